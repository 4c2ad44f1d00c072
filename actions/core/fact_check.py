"""The fact-sheet check: every fact bilingual, sourced, dated, its figures traceable; review dates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

LANGUAGES = ("en", "fr")
REVIEW_AFTER = timedelta(days=180)
_ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# A figure as written in either language: "14,700", "14 700" (French, also with a no-break space), "1er".
_NUMBER = re.compile(r"\d+(?:[ ,\u00a0\u202f]\d{3})*")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge file, where it is and what."""

    where: str
    what: str


def parse_date(text: str) -> date:
    """The first day an ISO date of any precision (YYYY, YYYY-MM, YYYY-MM-DD) stands for."""
    if not _ISO.match(str(text)):
        raise ValueError(f"not an ISO date: {text!r}")
    parts = [int(part) for part in str(text).split("-")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


def numbers_in(text: str) -> set[int]:
    """The figures a text states ("14,700" and "14 700" give 14700, "01" gives 1)."""
    return {int(re.sub(r"\D", "", number)) for number in _NUMBER.findall(text)}


def _date_problems(where: str, value: Any) -> list[Problem]:
    try:
        parse_date(str(value))
    except ValueError as error:
        return [Problem(where, str(error))]
    return []


def _text_problems(where: str, texts: Mapping[str, Any], sheet: set[int]) -> list[Problem]:
    problems = [
        Problem(where, f"no {language} text")
        for language in LANGUAGES
        if not str(texts.get(language) or "").strip()
    ]
    for language in LANGUAGES:
        for number in numbers_in(str(texts.get(language) or "")):
            if number not in sheet:
                problems.append(Problem(where, f"{language}: the figure {number} is in no source text"))
    return problems


def _source_problems(where: str, cited: Iterable[str], sources: Mapping[str, Any]) -> list[Problem]:
    cited = list(cited or [])
    problems = [Problem(where, "cites no source")] if not cited else []
    return problems + [
        Problem(where, f"cites {s!r}, which is not in the sources list") for s in cited if s not in sources
    ]


def check_knowledge(data: Mapping[str, Any], source_texts: Iterable[str]) -> list[Problem]:
    """Every problem of a parsed knowledge file, given the texts of docs/sources/."""
    digits = set().union(*(numbers_in(text) for text in source_texts))
    sources = data.get("sources") or {}
    problems: list[Problem] = []
    for key, source in sources.items():
        problems += _date_problems(f"sources.{key}.date", source.get("date"))
    for key, fact in (data.get("facts") or {}).items():
        where = f"facts.{key}"
        problems += _date_problems(f"{where}.as_of", fact.get("as_of"))
        if fact.get("checked") is not None:
            problems += _date_problems(f"{where}.checked", fact.get("checked"))
        problems += _source_problems(where, fact.get("sources"), sources)
        problems += _text_problems(where, fact.get("answer") or {}, digits)
    for number, change in enumerate(data.get("changes") or ()):
        where = f"changes[{number}]"
        problems += _date_problems(f"{where}.date", change.get("date"))
        problems += _source_problems(where, change.get("sources"), sources)
        problems += _text_problems(where, change.get("text") or {}, digits)
    for key, reason in ((data.get("eligibility") or {}).get("reasons") or {}).items():
        where = f"eligibility.reasons.{key}"
        problems += _source_problems(where, reason.get("sources"), sources)
        problems += _text_problems(where, reason, digits)
    return problems


def checked_date(checked: Any) -> date | None:
    """The date a fact was last checked, None when never (absent, or not a real date)."""
    try:
        return parse_date(str(checked)) if checked else None
    except ValueError:
        return None  # the fact-sheet check reports it


def is_due(checked: date | None, today: date) -> bool:
    """Never checked, or checked more than 180 days before `today`."""
    return checked is None or today - checked > REVIEW_AFTER


def due_for_review(data: Mapping[str, Any], today: date) -> list[tuple[str, date | None]]:
    """(fact id, date last checked) of the facts not checked within 180 days, never checked first."""
    checked = {key: checked_date(fact.get("checked")) for key, fact in (data.get("facts") or {}).items()}
    due = [(key, when) for key, when in checked.items() if is_due(when, today)]
    return sorted(due, key=lambda row: (row[1] is not None, row[1] or date.min, row[0]))
