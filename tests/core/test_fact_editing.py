"""Fact editing: validation, a comment-keeping atomic write, the change log, and the reload."""

from __future__ import annotations

import shutil

import pytest

from actions.core import fact_editing as fe
from actions.core.knowledge import KnowledgeBase
from actions.core.reloading import ReloadingFile
from actions.core.repository import make_engine
from actions.core.settings import PROJECT_ROOT

FACTS = PROJECT_ROOT / "data" / "knowledge" / "facts.yml"


@pytest.fixture
def facts(tmp_path):
    path = tmp_path / "facts.yml"
    shutil.copyfile(FACTS, path)
    return path


@pytest.fixture
def log(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'changes.db'}")
    change_log = fe.FactChangeLog(engine)
    change_log.create_schema()
    yield change_log
    engine.dispose()


def values(path, fact_id="permit_duration"):
    return fe.current_values(KnowledgeBase.load(path), fact_id)


def edit(old: fe.FactValues, **changes) -> fe.FactValues:
    data = {"answers": dict(old.answers), "as_of": old.as_of, "sources": old.sources}
    data.update(changes)
    return fe.FactValues(**data)


@pytest.mark.parametrize("good", ["2022", "2022-05", "2022-05-24", " 2024-02-29 "])
def test_dates_that_are_accepted(good) -> None:
    assert fe.validate_date(good) == good.strip()


@pytest.mark.parametrize(
    "bad", ["", "22", "2022-5", "2022/05/24", "2022-13", "2023-02-29", "May 2022", "2022-05-24x"]
)
def test_dates_that_are_refused(bad) -> None:
    with pytest.raises(fe.InvalidEdit):
        fe.validate_date(bad)


def test_sources_and_names_are_parsed_strictly() -> None:
    assert fe.parse_sources("seed, quebec_ca  seed,") == ("seed", "quebec_ca")
    with pytest.raises(fe.InvalidEdit):
        fe.parse_sources("seed, <script>")
    assert fe.validate_staff_name("  Ana   Lopez ") == "Ana Lopez"
    for bad in ["", " ", "x" * 65, "a\x00b"]:
        with pytest.raises(fe.InvalidEdit):
            fe.validate_staff_name(bad)


def test_save_changes_only_that_fact_and_logs_it(facts, log) -> None:
    before = facts.read_text(encoding="utf-8")
    old = values(facts)
    new = edit(
        old,
        answers={
            "en": "The IMP+ work permit is valid for 2 years.",
            "fr": "Le permis est valide 2 ans.\nDeux.",
        },
        as_of="2026-01-15",
        sources=("quebec_ca",),
    )
    saved_old, saved_new = fe.save_fact(facts, "permit_duration", new, "Ana", log, fe.file_version(before))
    assert saved_old == old and saved_new.as_of == "2026-01-15"

    knowledge = KnowledgeBase.load(facts)
    fact = knowledge.facts["permit_duration"]
    assert fact.answers == {
        "en": "The IMP+ work permit is valid for 2 years.",
        "fr": "Le permis est valide 2 ans.\nDeux.",
    }
    assert fact.as_of == "2026-01-15" and [s.id for s in fact.sources] == ["quebec_ca"]
    assert "2 years" in knowledge.render_fact(fact)

    after = facts.read_text(encoding="utf-8")
    # everything outside the fact is byte for byte the same (comments, flow mappings, quotes)
    start = before.index("  permit_duration:")
    end = before.index("  permit_type:")
    assert after.startswith(before[:start])
    assert after.endswith(before[end:])
    assert 'as_of: "2026-01-15"' in after and "sources: [quebec_ca]" in after
    assert KnowledgeBase.load(facts).facts.keys() == KnowledgeBase.load(FACTS).facts.keys()

    [change] = log.recent()
    assert (change.fact_id, change.staff_name) == ("permit_duration", "Ana")
    assert change.old == old.as_dict() and change.new == saved_new.as_dict()
    assert change.changed_at is not None
    assert list(facts.parent.glob(".facts.yml.*")) == []  # no temp file left


def test_round_trip_without_change_keeps_the_file(facts, log) -> None:
    before = facts.read_text(encoding="utf-8")
    fe.save_fact(facts, "permit_duration", values(facts), "Ana", log)
    assert facts.read_text(encoding="utf-8") == before
    assert log.recent() == []
    assert fe.edited_text(before, "fees", values(facts, "fees")) == before


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"as_of": "2022-02-30"}, "does not exist"),
        ({"as_of": "soon"}, "YYYY"),
        ({"sources": ("seed", "no_such_source")}, "unknown sources"),
        ({"sources": ()}, "at least one source"),
        ({"answers": {"en": "  ", "fr": "x"}}, "English answer is required"),
        ({"answers": {"en": "x" * 5001}}, "longer than"),
    ],
)
def test_invalid_edits_change_nothing(facts, log, change, reason) -> None:
    before = facts.read_text(encoding="utf-8")
    with pytest.raises(fe.InvalidEdit, match=reason):
        fe.save_fact(facts, "permit_duration", edit(values(facts), **change), "Ana", log)
    assert facts.read_text(encoding="utf-8") == before
    assert log.recent() == []


def test_unknown_fact_and_concurrent_change_are_refused(facts, log) -> None:
    with pytest.raises(fe.InvalidEdit, match="no fact"):
        fe.save_fact(facts, "nope", values(facts), "Ana", log)
    stale = fe.file_version(facts.read_text(encoding="utf-8"))
    facts.write_text(facts.read_text(encoding="utf-8") + "\n# edited by hand\n", encoding="utf-8")
    new = edit(values(facts), as_of="2025")
    with pytest.raises(fe.EditConflict):
        fe.save_fact(facts, "permit_duration", new, "Ana", log, stale)
    assert log.recent() == []


def test_yaml_special_characters_survive(facts, log) -> None:
    tricky = 'Valid 3 years: "quoted", #not a comment, key: value, « guillemets », <b>html</b> & - dash'
    new = edit(values(facts), answers={"en": tricky, "fr": "- tiret\n  indenté\n# pas un commentaire"})
    fe.save_fact(facts, "permit_duration", new, "Ana", log)
    assert values(facts).answers == {"en": tricky, "fr": "- tiret\n  indenté\n# pas un commentaire"}


def test_the_reloading_file_sees_the_change_at_once(facts, log) -> None:
    reloading = ReloadingFile(lambda: facts, KnowledgeBase.load)
    assert "3 years" in reloading.get().facts["permit_duration"].answers["en"]
    new = edit(values(facts), answers={"en": "Valid for 4 years.", "fr": "Valide 4 ans."})
    fe.save_fact(facts, "permit_duration", new, "Ana", log)
    assert reloading.get().facts["permit_duration"].answers["en"] == "Valid for 4 years."


def test_the_log_filters_by_fact_newest_first(facts, log) -> None:
    fe.save_fact(facts, "permit_duration", edit(values(facts), as_of="2023"), "Ana", log)
    fe.save_fact(facts, "fees", edit(values(facts, "fees"), as_of="2024"), "Ben", log)
    fe.save_fact(facts, "permit_duration", edit(values(facts), as_of="2025"), "Cy", log)
    assert [c.staff_name for c in log.recent()] == ["Cy", "Ben", "Ana"]
    assert [c.new["as_of"] for c in log.recent(fact_id="permit_duration")] == ["2025", "2023"]


def test_a_long_new_answer_is_folded_into_readable_lines(facts, log) -> None:
    long = " ".join(f"word{i}" for i in range(80))
    fe.save_fact(
        facts, "permit_duration", edit(values(facts), answers={"en": long, "fr": "Court."}), "Ana", log
    )
    assert values(facts).answers["en"] == long
    block = facts.read_text(encoding="utf-8").split("  permit_duration:")[1].split("  permit_type:")[0]
    assert "en: >-" in block
    assert max(len(line) for line in block.splitlines()) <= 110


def test_marking_a_fact_checked_is_saved_and_logged_like_an_edit(facts, log) -> None:
    old = values(facts)
    assert old.checked is None
    today = fe.date.today().isoformat()
    _, new = fe.save_fact(facts, "permit_duration", edit(old, checked=today), "Ana", log)
    assert new.checked == today and new.answers == old.answers
    assert KnowledgeBase.load(facts).facts["permit_duration"].checked == today
    assert f'as_of: "{old.as_of}"\n    checked: "{today}"' in facts.read_text(encoding="utf-8")
    [change] = log.recent()
    assert "checked" not in change.old and change.new["checked"] == today
    _, cleared = fe.save_fact(facts, "permit_duration", edit(new, checked=None), "Ana", log)
    assert (
        cleared.checked is None
        and "checked:" not in facts.read_text(encoding="utf-8").split("permit_type:")[0]
    )


@pytest.mark.parametrize("bad", ["2999-01-01", "yesterday", "2026-02-30"])
def test_a_checked_date_in_the_future_or_malformed_is_refused(facts, log, bad) -> None:
    before = facts.read_text(encoding="utf-8")
    with pytest.raises(fe.InvalidEdit):
        fe.save_fact(facts, "permit_duration", edit(values(facts), checked=bad), "Ana", log)
    assert facts.read_text(encoding="utf-8") == before and log.recent() == []
