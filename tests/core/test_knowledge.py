"""The knowledge file: every fact sourced and dated, every figure traceable to the fact sheet."""

from __future__ import annotations

import itertools
import re
import shutil
import time
from datetime import date
from pathlib import Path

import pytest
import yaml

from actions.core.eligibility import Answer, Answers, CsqProgram, PrStatus, Residence, Verdict, assess
from actions.core.knowledge import KnowledgeBase, format_date
from actions.core.reloading import ReloadingFile
from actions.core.settings import PROJECT_ROOT, facts_path

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
FACT_INTENTS = {intent for intent in DOMAIN["intents"] if intent.startswith("ask_")}
SOURCES_TEXT = "\n".join(
    path.read_text(encoding="utf-8") for path in (PROJECT_ROOT / "docs" / "sources").iterdir()
)
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return KnowledgeBase.load()


def test_every_fact_intent_has_a_fact_or_is_the_dont_know_intent(knowledge: KnowledgeBase) -> None:
    assert FACT_INTENTS - knowledge.fact_intents == {"ask_outside_sources"}
    assert knowledge.fact_intents <= FACT_INTENTS


def test_every_fact_has_sources_and_dates(knowledge: KnowledgeBase) -> None:
    for fact in knowledge.facts.values():
        assert fact.sources, fact.id
        assert DATE.match(fact.as_of), fact.id
        for source in fact.sources:
            assert source.name and DATE.match(source.date), (fact.id, source.id)
        assert fact.answers["en"].strip(), fact.id


def test_every_number_in_an_answer_comes_from_the_sources(knowledge: KnowledgeBase) -> None:
    """An invented figure is the worst bug: each number said must stand in the fact sheet or seed."""
    texts = [fact.answers["en"] for fact in knowledge.facts.values()]
    texts += [reason["en"] for reason in knowledge.data["eligibility"]["reasons"].values()]
    sheet = SOURCES_TEXT.replace(",", "")
    for text in texts:
        for number in re.findall(r"\d[\d,]*", text):
            assert number.replace(",", "") in sheet, (number, text[:60])


def test_every_reason_and_step_of_every_assessment_has_a_text(knowledge: KnowledgeBase) -> None:
    texts = knowledge.data["eligibility"]
    for values in itertools.product(Residence, CsqProgram, Answer, Answer, PrStatus):
        assessment = assess(Answers(*values))
        for result in assessment.criteria:
            assert result.reason in texts["reasons"]
            assert result.criterion in texts["criteria"]
        for step in assessment.next_steps:
            assert step in texts["next_steps"]
    for entry in [*texts["reasons"].values(), *texts["next_steps"].values()]:
        assert set(entry.get("sources", [])) <= set(knowledge.sources)


def test_duration_answer_says_three_years_and_names_its_source(knowledge: KnowledgeBase) -> None:
    text = knowledge.render_fact(knowledge.fact_for_intent("ask_permit_duration"))
    assert "3 years" in text
    assert "Sources: " in text and "quebec.ca" in text
    assert "as of 2022" in text


def test_cap_answer_gives_both_sides(knowledge: KnowledgeBase) -> None:
    text = knowledge.render_fact(knowledge.fact_for_intent("ask_cap"))
    for figure in ("14,700", "7,350", "14,000", "7,000"):
        assert figure in text
    assert "disagree" in text


def test_status_answer_admits_not_knowing_and_points_to_official_pages(
    knowledge: KnowledgeBase,
) -> None:
    text = knowledge.render_fact(knowledge.fact_for_intent("ask_program_status"))
    assert "I don't know" in text
    assert "quebec.ca/immigration/programmes-immigration/permis-travail-ouvert" in text
    dont_know = knowledge.render_dont_know()
    assert dont_know.startswith("I don't know") and "Official pages" in dont_know


def test_assessment_rendering_lists_each_criterion(knowledge: KnowledgeBase) -> None:
    answers = Answers(Residence.QUEBEC, CsqProgram.PRTQ, Answer.YES, Answer.NO, PrStatus.UNKNOWN)
    text = knowledge.render_assessment(assess(answers))
    assert text.startswith("From your answers, you do not appear eligible")
    assert "1. Lives outside Quebec: not met." in text
    assert "3. Has an IMP+ letter of invitation: not met." in text
    assert "4. No permanent residence decision yet: unknown." in text
    assert "bridging open work permit" in text
    assert "Sources:" in text


@pytest.mark.parametrize(
    ("iso", "shown"), [("2022-05-24", "24 May 2022"), ("2022-05", "May 2022"), ("2022", "2022")]
)
def test_format_date(iso: str, shown: str) -> None:
    assert format_date(iso) == shown


def test_an_edit_to_the_facts_file_is_used_without_restart(tmp_path: Path) -> None:
    path = tmp_path / "facts.yml"
    shutil.copy(facts_path(), path)
    facts = ReloadingFile(lambda: path, KnowledgeBase.load)
    assert "3 years" in facts.get().facts["permit_duration"].answers["en"]
    time.sleep(0.01)
    path.write_text(path.read_text(encoding="utf-8").replace("valid for 3 years", "valid for 4 years"))
    assert "4 years" in facts.get().facts["permit_duration"].answers["en"]
    path.write_text("facts: [broken", encoding="utf-8")
    assert "4 years" in facts.get().facts["permit_duration"].answers["en"], (
        "a bad edit keeps the last good facts"
    )


def test_choose_keeps_the_topic_of_a_follow_up(knowledge: KnowledgeBase) -> None:
    choice = knowledge.choose("follow_up", (2022,), last_topic="cap")
    assert (choice.fact.id, choice.notice, choice.year) == ("cap", None, 2022)
    assert knowledge.choose("follow_up", (), family=True, last_topic="cap").fact.id == "family"
    assert knowledge.choose("follow_up", (2022,)).notice == "follow_up_without_topic"


def test_choose_never_gives_another_years_figures(knowledge: KnowledgeBase) -> None:
    for intent, year in (("ask_cap", 2025), ("ask_2021_figures", 2022), ("ask_cap", 2021)):
        choice = knowledge.choose(intent, (year,))
        assert choice.notice == "year_not_covered" and choice.year == year
    assert knowledge.choose("ask_cap", (2023,)).notice is None
    assert knowledge.choose("ask_permit_duration", (2019,)).notice is None  # a year beside the question
    assert knowledge.choose("follow_up", (2030,), last_topic="fees").notice == "not_by_year"
    assert knowledge.choose("ask_outside_sources", (2024,)).fact is None


def test_a_follow_up_with_nothing_to_carry_over_is_not_understood(knowledge: KnowledgeBase) -> None:
    assert knowledge.choose("follow_up", (), last_topic="cap").notice == "not_understood"


def test_years_list(knowledge: KnowledgeBase) -> None:
    assert knowledge.years_list((2022, 2023)) == "2022 and 2023"
    assert knowledge.years_list((2021, 2022, 2023), "fr") == "2021, 2022 et 2023"
    assert knowledge.years_list((2021,)) == "2021"


def test_the_pstq_reason_gives_the_date_the_pstq_replaced_the_prtq(knowledge: KnowledgeBase) -> None:
    """The fact sheet dates the PSTQ's coming into force 2024-11-29 (it once said "in 2025")."""
    reason = knowledge.data["eligibility"]["reasons"]["csq_pstq"]
    assert "29 November 2024" in reason["en"] and "2025" not in reason["en"]
    assert "29 novembre 2024" in reason["fr"] and "2025" not in reason["fr"]
    assert "2024-11-29" in SOURCES_TEXT


def test_the_programs_answer_says_neither_named_program_selects_new_candidates(
    knowledge: KnowledgeBase,
) -> None:
    """Fact sheet 2024-2026: PSTQ replaced PRTQ 2024-11-29, the pilot ended 2026-01-01, PEQ closed."""
    fact = knowledge.fact_for_intent("ask_csq_programs")
    english, french = fact.answers["en"], fact.answers["fr"]
    for said in ("29 November 2024", "1 January 2026", "19 November 2025", "inference", "still counts"):
        assert said in english, said
    for said in ("29 novembre 2024", "1er janvier 2026", "19 novembre 2025", "déduction", "compte toujours"):
        assert said in french, said
    assert "unknown" in english and "on ignore" in french  # a PSTQ CSQ: not known either way
    assert fact.as_of == max(source.date for source in fact.sources)


def test_the_status_answer_says_the_2026_public_policy_is_not_imp_plus(knowledge: KnowledgeBase) -> None:
    fact = knowledge.fact_for_intent("ask_program_status")
    english, french = knowledge.render_fact(fact), knowledge.render_fact(fact, "fr")
    assert "It is not IMP+" in english and "already in Quebec" in english
    assert "Ce n'est pas le PMI+" in french and "déjà au Québec" in french
    assert "public_policy_2026" in {source.id for source in fact.sources}


def test_i_dont_know_names_the_newest_facts_date_from_the_facts(knowledge: KnowledgeBase) -> None:
    """Never a hard-coded "newest from July 2025": the date follows the facts file."""
    newest = knowledge.newest_as_of
    assert newest == max(fact.as_of for fact in knowledge.facts.values())
    assert f"newest dated {format_date(newest)})" in knowledge.render_dont_know("en")
    assert f"date du {format_date(newest, 'fr')})" in knowledge.render_dont_know("fr")
    data = yaml.safe_load(facts_path().read_text(encoding="utf-8"))
    data["facts"]["program_status"]["as_of"] = "2027-02-03"
    later = KnowledgeBase(data)
    assert "newest dated 3 February 2027)" in later.render_dont_know("en")
    assert "date du 3 février 2027)" in later.render_dont_know("fr")


def test_a_csq_of_a_closed_program_still_counts_and_a_pstq_csq_cannot_be_told(
    knowledge: KnowledgeBase,
) -> None:
    english = knowledge.render_assessment(
        assess(Answers(Residence.ABROAD, CsqProgram.PRTQ, Answer.YES, Answer.YES, PrStatus.IN_PROCESS))
    )
    assert "It still counts" in english and "1 January 2026" in english
    pstq = assess(Answers(Residence.ABROAD, CsqProgram.PSTQ, Answer.YES, Answer.YES, PrStatus.IN_PROCESS))
    assert pstq.verdict is Verdict.CANNOT_TELL
    text = knowledge.render_assessment(pstq, "fr")
    assert "je ne peux donc pas trancher" in text and "quebec.ca/immigration" in text


def test_the_status_answer_lists_the_newest_dated_changes_newest_first(knowledge: KnowledgeBase) -> None:
    fact = knowledge.fact_for_intent("ask_program_status")
    listed = knowledge.changes[: fact.lists_changes]
    assert [change.date for change in knowledge.changes] == sorted(
        (change.date for change in knowledge.changes), reverse=True
    )
    assert fact.as_of == max(source.date for source in fact.sources)
    assert {source.id for change in listed for source in change.sources} <= {s.id for s in fact.sources}
    for language in ("en", "fr"):
        text = knowledge.render_fact(fact, language)
        positions = [text.index(f"• {format_date(change.date, language)}") for change in listed]
        assert positions == sorted(positions)
        assert all(change.texts[language] in text for change in listed)
        assert "quebec.ca/immigration" in text
    older = knowledge.changes[fact.lists_changes :]
    assert all(change.texts["en"] not in knowledge.render_fact(fact) for change in older)
    assert "1 January 2026" in knowledge.render_fact(fact)  # the pilot's end, 2026-01-01


def test_every_change_is_dated_sourced_and_in_both_languages(knowledge: KnowledgeBase) -> None:
    sheet = SOURCES_TEXT.replace(",", "")
    for change in knowledge.changes:
        assert DATE.match(change.date) and change.date in SOURCES_TEXT, change.date
        assert change.sources and change.texts["en"].strip() and change.texts["fr"].strip()
        for number in re.findall(r"\d[\d,]*", change.texts["en"]):
            assert number.replace(",", "") in sheet, (number, change.date)


def test_answers_show_when_a_fact_was_last_checked_and_warn_after_180_days() -> None:
    data = yaml.safe_load(facts_path().read_text(encoding="utf-8"))
    data["facts"]["permit_duration"]["checked"] = "2026-06-01"
    knowledge = KnowledgeBase(data)
    fact = knowledge.facts["permit_duration"]
    fresh = knowledge.render_fact(fact, today=date(2026, 11, 28))  # 180 days later
    assert "last checked against the official page 1 June 2026" in fresh
    assert "⚠️" not in fresh and "Official pages" not in fresh
    stale = knowledge.render_fact(fact, "fr", today=date(2026, 11, 29))  # 181 days later
    assert "dernière vérification sur la page officielle : 1er juin 2026" in stale
    assert "⚠️ Personne n'a vérifié ceci" in stale and "quebec.ca/immigration" in stale
    never = knowledge.render_fact(knowledge.facts["fees"], today=date(2026, 11, 29))
    assert "not yet checked against the official page" in never and "⚠️" in never
    assert never.count("Official pages") == 1
