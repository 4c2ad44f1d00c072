"""The fact-sheet check finds each kind of problem and passes the knowledge file as it is."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest
import yaml

from actions.core import fact_editing as fe
from actions.core.fact_check import (
    check_knowledge,
    checked_date,
    codes_in,
    due_for_review,
    figures_in,
    numbers_in,
    parse_date,
    source_text,
)
from actions.core.knowledge import KnowledgeBase
from actions.core.settings import PROJECT_ROOT, facts_path

SOURCE_FILES = {
    path.name: path.read_text(encoding="utf-8") for path in (PROJECT_ROOT / "docs" / "sources").iterdir()
}
SHEET = {"file": "imp-plus-facts.md"}


@pytest.fixture()
def data() -> dict:
    return yaml.safe_load(Path(facts_path()).read_text(encoding="utf-8"))


def test_the_knowledge_file_passes(data: dict) -> None:
    assert check_knowledge(data, SOURCE_FILES) == []


def test_each_kind_of_problem_is_found(data: dict) -> None:
    broken = copy.deepcopy(data)
    broken["facts"]["fees"]["answer"]["fr"] = ""
    broken["facts"]["fees"]["answer"]["en"] += " Or CAD 999."
    broken["facts"]["cap"]["sources"].append("no_such_source")
    broken["facts"]["cap"]["as_of"] = "May 2022"
    broken["facts"]["cap"]["checked"] = "2026-13-45"
    broken["changes"][0]["text"]["fr"] = " "
    broken["sources"]["seed"]["date"] = "someday"
    found = {(problem.where, problem.what) for problem in check_knowledge(broken, SOURCE_FILES)}
    assert ("facts.fees", "no fr text") in found
    assert (
        "facts.fees",
        "en: the figure 999 is in none of its sources (fragomen, canada_fee_list, secondary_cap_refund)",
    ) in found
    assert ("facts.cap", "cites 'no_such_source', which is not in the sources list") in found
    assert ("facts.cap.as_of", "not an ISO date: 'May 2022'") in found
    assert any(where == "facts.cap.checked" for where, _ in found)
    assert ("changes[0]", "no fr text") in found
    assert ("sources.seed.date", "not an ISO date: 'someday'") in found


def test_figures_are_read_in_both_languages_styles() -> None:
    assert numbers_in("14,700 or 14 700 or 14\u202f700, on 1er janvier 2026") == {14700, 1, 2026}
    assert parse_date("2026") == date(2026, 1, 1) and parse_date("2025-11-19") == date(2025, 11, 19)


def test_list_markers_are_not_figures_but_other_numbers_at_a_line_start_are() -> None:
    text = (
        "All four:\n1. You live abroad.\n  2. You hold a CSQ for 3 years.\n10. Last.\n2022. Year.\nIn 2021. 5"
    )
    assert numbers_in(text) == {3, 2022, 2021, 5}
    assert numbers_in("1.5 years; 2,500") == {1, 5, 2500}  # "1.5" is no marker: no space after the dot


def test_code_names_are_figures_read_whole() -> None:
    assert codes_in("R205(a), code A76; IRCC code T13, R204c)") == {"R205", "A76", "T13", "R204"}
    assert numbers_in("code A76, T13") == set() and figures_in("A76 in 2022") == {"A76", "2022"}
    assert figures_in("985fm.ca 2026-01-30") == {"985", "2026", "1", "30"}  # digits first: a number


def _knowledge(answer: str, cited: list[str], **specs: dict) -> dict:
    """A knowledge file of one fact, citing `cited`, with the sources `specs` (id: text_in)."""
    sources = {key: {"name": key, "date": "2022", "text_in": spec} for key, spec in specs.items()}
    fact = {"as_of": "2022", "sources": cited, "answer": {"en": answer, "fr": answer}}
    return {"sources": sources, "facts": {"f": fact}}


FILES = {"sheet.md": "| cap | 14,700 | IRCC |\n| fee | CAD 255 | Fragomen |\n| code | A76 | IRCC |\n"}
IRCC = {"file": "sheet.md", "lines_with": ["ircc"]}
FRAGOMEN = {"file": "sheet.md", "lines_with": ["Fragomen"]}


def test_a_figure_in_a_cited_source_passes() -> None:
    assert (
        check_knowledge(
            _knowledge("14,700 then CAD 255 (A76)", ["ircc", "fragomen"], ircc=IRCC, fragomen=FRAGOMEN), FILES
        )
        == []
    )
    assert (
        check_knowledge(
            _knowledge("Le plafond : 14 700, code A76.", ["ircc"], ircc=IRCC, fragomen=FRAGOMEN), FILES
        )
        == []
    )


def test_a_figure_only_in_an_uncited_source_is_reported() -> None:
    data = _knowledge("CAD 255, code A76", ["fragomen"], ircc=IRCC, fragomen=FRAGOMEN)
    found = {(problem.where, problem.what) for problem in check_knowledge(data, FILES)}
    assert found == {
        ("facts.f", f"{language}: the figure A76 is in none of its sources (fragomen)")
        for language in ("en", "fr")
    }
    data = _knowledge("CAD 255 and 14,700", ["ircc"], ircc=IRCC, fragomen=FRAGOMEN)
    assert {problem.what for problem in check_knowledge(data, FILES)} == {
        "en: the figure 255 is in none of its sources (ircc)",
        "fr: the figure 255 is in none of its sources (ircc)",
    }


def test_a_code_name_needs_its_letters_in_the_source() -> None:
    files = {"sheet.md": "IRCC: rule 76 and 205"}
    data = _knowledge("code A76 under R205", ["ircc"], ircc={"file": "sheet.md"})
    assert {problem.what for problem in check_knowledge(data, files) if problem.what.startswith("en")} == {
        "en: the figure A76 is in none of its sources (ircc)",
        "en: the figure R205 is in none of its sources (ircc)",
    }


def test_list_markers_of_an_answer_need_no_source() -> None:
    answer = "All four must hold:\n1. You live abroad.\n2. You hold a CSQ.\n3. You were invited (14,700)."
    assert check_knowledge(_knowledge(answer, ["ircc"], ircc=IRCC), FILES) == []
    assert check_knowledge(_knowledge(answer + "\nOr 4 of them.", ["ircc"], ircc=IRCC), FILES) != []


def test_a_source_text_is_its_file_or_the_lines_of_it_a_string_picks() -> None:
    assert source_text({"file": "sheet.md"}, FILES) == FILES["sheet.md"]
    assert source_text(IRCC, FILES) == "| cap | 14,700 | IRCC |\n| code | A76 | IRCC |"
    assert source_text({"file": "sheet.md", "lines_with": ["FEE", "cap"]}, FILES).count("\n") == 1


@pytest.mark.parametrize(
    ("spec", "what"),
    [
        (None, "no text_in: {file: NAME} naming the file of docs/sources/ that holds its text"),
        (
            {"lines_with": ["IRCC"]},
            "no text_in: {file: NAME} naming the file of docs/sources/ that holds its text",
        ),
        ({"file": "gone.md"}, "text_in names 'gone.md', which is not a file of docs/sources/"),
        (
            {"file": "sheet.md", "lines_with": ["IRCC", "Deloitte"]},
            "text_in.lines_with: 'Deloitte' in no line of sheet.md",
        ),
        ({"file": "sheet.md", "lines_with": []}, "text_in.lines_with must be a list of non-empty strings"),
        (
            {"file": "sheet.md", "lines_with": "IRCC"},
            "text_in.lines_with must be a list of non-empty strings",
        ),
        ({"file": "sheet.md", "line_with": ["IRCC"]}, "text_in has unknown keys: line_with"),
    ],
)
def test_a_source_whose_text_cannot_be_found_is_reported(spec: dict | None, what: str) -> None:
    data = _knowledge("No figure here.", ["bad"], bad=spec)
    assert [(problem.where, problem.what) for problem in check_knowledge(data, FILES)] == [
        ("sources.bad.text_in", what)
    ]


def test_each_real_source_has_its_own_text(data: dict) -> None:
    """The fee figures are the Fragomen / fee-list row's: the cap-refund source alone does not hold them."""
    data["facts"]["fees"]["sources"] = ["secondary_cap_refund"]
    found = {problem.what for problem in check_knowledge(data, SOURCE_FILES) if problem.where == "facts.fees"}
    assert {
        f"en: the figure {n} is in none of its sources (secondary_cap_refund)" for n in (85, 100, 155, 255)
    } <= found
    data["facts"]["invitation_letter"]["sources"].remove("secondary_invitation_deadline")
    data["sources"]["ircc_a76"]["text_in"] = {**SHEET, "lines_with": ["jurilog.ca"]}
    found = {(problem.where, problem.what) for problem in check_knowledge(data, SOURCE_FILES)}
    assert (
        "facts.invitation_letter",
        "fr: the figure 90 is in none of its sources (seed, ircc_announcement)",
    ) in found
    assert (
        "facts.about_program",
        "en: the figure A76 is in none of its sources (seed, ircc_announcement, ircc_a76)",
    ) in found


def test_a_console_edit_keeps_the_sources_texts(data: dict) -> None:
    original = Path(facts_path()).read_text(encoding="utf-8")
    values = fe.current_values(KnowledgeBase(data), "permit_duration")
    new = fe.FactValues({**values.answers, "en": "Valid for 3 years."}, values.as_of, ("quebec_ca", "seed"))
    edited = yaml.safe_load(fe.edited_text(original, "permit_duration", new))
    assert edited["sources"] == data["sources"]
    assert all(source.get("text_in") for source in edited["sources"].values())
    assert check_knowledge(edited, SOURCE_FILES) == []


def test_due_for_review_lists_never_checked_then_oldest_first() -> None:
    data = {
        "facts": {
            "a": {"checked": "2026-07-01"},
            "b": {},
            "c": {"checked": "2025-01-10"},
            "d": {"checked": "2026-11-01"},
        }
    }
    assert due_for_review(data, date(2026, 11, 30)) == [("b", None), ("c", date(2025, 1, 10))]
    assert [key for key, _ in due_for_review(data, date(2027, 6, 1))] == ["b", "c", "a", "d"]
    assert [key for key, _ in due_for_review(data, date(2026, 12, 28))] == ["b", "c"]  # a: 180 days


def test_a_malformed_checked_date_reads_as_never_checked() -> None:
    for bad in ("2026-13-45", "someday", "2026-02-30"):
        assert checked_date(bad) is None
        assert due_for_review({"facts": {"x": {"checked": bad}}}, date(2026, 11, 30)) == [("x", None)]
    assert checked_date("2026-11-01") == date(2026, 11, 1) and checked_date(None) is None
