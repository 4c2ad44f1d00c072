"""The fact-sheet check finds each kind of problem and passes the knowledge file as it is."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest
import yaml

from actions.core.fact_check import check_knowledge, checked_date, due_for_review, numbers_in, parse_date
from actions.core.settings import PROJECT_ROOT, facts_path

SOURCE_TEXTS = [path.read_text(encoding="utf-8") for path in (PROJECT_ROOT / "docs" / "sources").iterdir()]


@pytest.fixture()
def data() -> dict:
    return yaml.safe_load(Path(facts_path()).read_text(encoding="utf-8"))


def test_the_knowledge_file_passes(data: dict) -> None:
    assert check_knowledge(data, SOURCE_TEXTS) == []


def test_each_kind_of_problem_is_found(data: dict) -> None:
    broken = copy.deepcopy(data)
    broken["facts"]["fees"]["answer"]["fr"] = ""
    broken["facts"]["fees"]["answer"]["en"] += " Or CAD 999."
    broken["facts"]["cap"]["sources"].append("no_such_source")
    broken["facts"]["cap"]["as_of"] = "May 2022"
    broken["facts"]["cap"]["checked"] = "2026-13-45"
    broken["changes"][0]["text"]["fr"] = " "
    broken["sources"]["seed"]["date"] = "someday"
    found = {(problem.where, problem.what) for problem in check_knowledge(broken, SOURCE_TEXTS)}
    assert ("facts.fees", "no fr text") in found
    assert ("facts.fees", "en: the figure 999 is in no source text") in found
    assert ("facts.cap", "cites 'no_such_source', which is not in the sources list") in found
    assert ("facts.cap.as_of", "not an ISO date: 'May 2022'") in found
    assert any(where == "facts.cap.checked" for where, _ in found)
    assert ("changes[0]", "no fr text") in found
    assert ("sources.seed.date", "not an ISO date: 'someday'") in found


def test_figures_are_read_in_both_languages_styles() -> None:
    assert numbers_in("14,700 or 14 700 or 14\u202f700, on 1er janvier 2026") == {14700, 1, 2026}
    assert parse_date("2026") == date(2026, 1, 1) and parse_date("2025-11-19") == date(2025, 11, 19)


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
