"""The fact-sheet check: every fact bilingual, sourced, dated, each figure in a cited source; review dates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

LANGUAGES = ("en", "fr")
REVIEW_AFTER = timedelta(days=180)
_ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# A figure as written in either language: "14,700", "14 700" (French, also with a no-break space), "1er";
# not the digits of a code name ("A76"), which are read whole by _CODE.
_NUMBER = re.compile(r"(?<!\w)\d+(?:[ ,\u00a0\u202f]\d{3})*")
# A code name: letters then digits, "A76", "R205(a)" (R205), "T13".
_CODE = re.compile(r"\b[A-Za-z]+\d+")
# A list item's number at the start of a line ("1. You live…"): a marker, not a figure.
_LIST_MARKER = re.compile(r"^[ \t]*\d{1,2}\.[ \t]", re.MULTILINE)
# The keys of a source's `text_in`: the file of docs/sources/ holding its text, and (optionally) the
# strings that pick its lines there (case-insensitive); without them, the whole file is its text.
_TEXT_SPEC_KEYS = {"file", "lines_with"}


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


def _without_list_markers(text: str) -> str:
    return _LIST_MARKER.sub(" ", text)


def numbers_in(text: str) -> set[int]:
    """The figures a text states ("14,700" and "14 700" give 14700, "01" gives 1), list markers aside."""
    return {int(re.sub(r"\D", "", number)) for number in _NUMBER.findall(_without_list_markers(text))}


def codes_in(text: str) -> set[str]:
    """The code names a text states, upper-cased ("A76", "R205" of "R205(a)", "T13")."""
    return {code.upper() for code in _CODE.findall(text)}


def figures_in(text: str) -> set[str]:
    """Every figure and code name of a text, as it is reported ("14700", "A76")."""
    return {str(number) for number in numbers_in(text)} | codes_in(text)


def _lines_wanted(spec: Mapping[str, Any]) -> list[str]:
    """The strings of `lines_with`, checked to be a list of non-empty strings."""
    wanted = spec["lines_with"]
    if (
        not isinstance(wanted, list)
        or not wanted
        or not all(isinstance(s, str) and s.strip() for s in wanted)
    ):
        raise ValueError("text_in.lines_with must be a list of non-empty strings")
    return wanted


def _has_any(line: str, wanted: Iterable[str]) -> bool:
    return any(string.casefold() in line.casefold() for string in wanted)


def source_text(spec: Any, files: Mapping[str, str]) -> str:
    """A source's text, from its `text_in` spec and the files of docs/sources/ (name: text).

    `{file: NAME}` is the whole file; `{file: NAME, lines_with: [S, ...]}` the lines of the file
    containing any of the strings, case-insensitively. ValueError says what is wrong with the spec.
    """
    if not isinstance(spec, Mapping) or not spec.get("file"):
        raise ValueError("no text_in: {file: NAME} naming the file of docs/sources/ that holds its text")
    unknown = sorted(str(key) for key in set(spec) - _TEXT_SPEC_KEYS)
    if unknown:
        raise ValueError(f"text_in has unknown keys: {', '.join(unknown)}")
    name = str(spec["file"])
    if name not in files:
        raise ValueError(f"text_in names {name!r}, which is not a file of docs/sources/")
    if "lines_with" not in spec:
        return files[name]
    wanted, lines = _lines_wanted(spec), files[name].splitlines()
    missing = [string for string in wanted if not any(_has_any(line, [string]) for line in lines)]
    if missing:
        raise ValueError(f"text_in.lines_with: {', '.join(map(repr, missing))} in no line of {name}")
    return "\n".join(line for line in lines if _has_any(line, wanted))


def _date_problems(where: str, value: Any) -> list[Problem]:
    try:
        parse_date(str(value))
    except ValueError as error:
        return [Problem(where, str(error))]
    return []


def _text_problems(
    where: str, texts: Mapping[str, Any], cited: Iterable[str], figures: Mapping[str, set[str]]
) -> list[Problem]:
    """No text in a language, or a figure none of the cited sources' texts states."""
    cited = [str(source) for source in cited or ()]
    known = set().union(*(figures.get(source, set()) for source in cited))
    problems = [
        Problem(where, f"no {language} text")
        for language in LANGUAGES
        if not str(texts.get(language) or "").strip()
    ]
    for language in LANGUAGES:
        for figure in sorted(figures_in(str(texts.get(language) or "")) - known):
            problems.append(
                Problem(
                    where, f"{language}: the figure {figure} is in none of its sources ({', '.join(cited)})"
                )
            )
    return problems


def _source_problems(where: str, cited: Iterable[str], sources: Mapping[str, Any]) -> list[Problem]:
    cited = list(cited or [])
    problems = [Problem(where, "cites no source")] if not cited else []
    return problems + [
        Problem(where, f"cites {s!r}, which is not in the sources list") for s in cited if s not in sources
    ]


def _cited_problems(
    where: str,
    entry: Mapping[str, Any],
    texts: Mapping[str, Any],
    sources: Mapping[str, Any],
    figures: Mapping[str, set[str]],
) -> list[Problem]:
    """Its sources unknown or missing, a text missing, or a figure none of its sources states."""
    return _source_problems(where, entry.get("sources"), sources) + _text_problems(
        where, texts, entry.get("sources"), figures
    )


def source_figures(
    sources: Mapping[str, Any], files: Mapping[str, str]
) -> tuple[dict[str, set[str]], list[Problem]]:
    """Each source's figures, read in its own text; and the sources whose text cannot be found."""
    figures: dict[str, set[str]] = {}
    problems: list[Problem] = []
    for key, source in sources.items():
        problems += _date_problems(f"sources.{key}.date", source.get("date"))
        try:
            figures[key] = figures_in(source_text(source.get("text_in"), files))
        except ValueError as error:
            problems.append(Problem(f"sources.{key}.text_in", str(error)))
    return figures, problems


def check_knowledge(data: Mapping[str, Any], files: Mapping[str, str]) -> list[Problem]:
    """Every problem of a parsed knowledge file, given the files of docs/sources/ (name: text).

    Each figure of a fact, a change or an eligibility reason must be in the text of a source it cites.
    """
    sources = data.get("sources") or {}
    figures, problems = source_figures(sources, files)
    for key, fact in (data.get("facts") or {}).items():
        where = f"facts.{key}"
        problems += _date_problems(f"{where}.as_of", fact.get("as_of"))
        if fact.get("checked") is not None:
            problems += _date_problems(f"{where}.checked", fact.get("checked"))
        problems += _cited_problems(where, fact, fact.get("answer") or {}, sources, figures)
    for number, change in enumerate(data.get("changes") or ()):
        where = f"changes[{number}]"
        problems += _date_problems(f"{where}.date", change.get("date"))
        problems += _cited_problems(where, change, change.get("text") or {}, sources, figures)
    for key, reason in ((data.get("eligibility") or {}).get("reasons") or {}).items():
        problems += _cited_problems(f"eligibility.reasons.{key}", reason, reason, sources, figures)
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
