"""Knowledge base: sourced IMP+ facts read at run time from data/knowledge/facts.yml."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from actions.core.eligibility import Assessment, Status
from actions.core.fact_check import checked_date, is_due
from actions.core.settings import facts_path
from actions.core.texts import texts_file

DEFAULT_LANGUAGE = "en"
_STATUS_MARK = {Status.MET: "✅", Status.NOT_MET: "❌", Status.UNKNOWN: "❔"}


def format_date(iso: str, language: str = DEFAULT_LANGUAGE) -> str:
    """Render YYYY, YYYY-MM or YYYY-MM-DD for people ("24 May 2022", "May 2022", "2022")."""
    parts = [int(part) for part in str(iso).split("-")]
    months = texts_file.get().label("months", language).split()
    if len(parts) == 3:
        day = date(*parts)
        number = "1er" if language == "fr" and day.day == 1 else str(day.day)
        return f"{number} {months[day.month - 1]} {day.year}"
    if len(parts) == 2:
        return f"{months[parts[1] - 1]} {parts[0]}"
    return str(parts[0])


@dataclass(frozen=True)
class Source:
    """Where a fact comes from, and of when."""

    id: str
    names: dict[str, str]
    date: str

    def name(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The source's name in a language, English by default."""
        return self.names.get(language) or self.names[DEFAULT_LANGUAGE]


@dataclass(frozen=True)
class Fact:
    """One answerable topic: its intent, answer texts, sources and as-of date."""

    id: str
    intent: str
    as_of: str
    sources: tuple[Source, ...]
    answers: dict[str, str]
    show_official_pages: bool = False
    years: tuple[int, ...] = ()  # the years its figures are about, when it has figures by year
    lists_changes: int = 0  # how many of the newest dated changes follow the answer
    checked: str | None = None  # when a person last confirmed it against the official page (ISO)

    def due_for_review(self, today: date) -> bool:
        """Never checked, or checked more than 180 days before `today`."""
        return is_due(checked_date(self.checked), today)


@dataclass(frozen=True)
class Change:
    """One dated change around IMP+ (a program replaced, closed or opened), with its sources."""

    date: str
    sources: tuple[Source, ...]
    texts: dict[str, str]


@dataclass(frozen=True)
class FactChoice:
    """What to answer a fact question or a follow-up with: a fact, a notice, or "I don't know"."""

    fact: Fact | None = None
    notice: str | None = None  # a key of data/texts' messages, said before (or instead of) the fact
    year: int | None = None


def _localised(entry: dict[str, Any], field: str) -> dict[str, str]:
    """{"en": entry[field], "fr": entry[field + "_fr"]} for fields kept as name / name_fr."""
    texts = {DEFAULT_LANGUAGE: entry[field]}
    if entry.get(f"{field}_fr"):
        texts["fr"] = entry[f"{field}_fr"]
    return texts


def _colon(language: str) -> str:
    """French typography puts a space before a colon."""
    return " :" if language == "fr" else ":"


class KnowledgeBase:
    """The facts file, parsed, with rendering of answers and eligibility verdicts."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.sources = {
            key: Source(key, _localised(value, "name"), str(value["date"]))
            for key, value in data.get("sources", {}).items()
        }
        self.facts = {
            key: Fact(
                id=key,
                intent=value["intent"],
                as_of=str(value["as_of"]),
                sources=tuple(self.sources[source] for source in value["sources"]),
                answers=dict(value["answer"]),
                show_official_pages=bool(value.get("show_official_pages", False)),
                years=tuple(int(year) for year in value.get("years", ())),
                lists_changes=int(value.get("lists_changes", 0)),
                checked=str(value["checked"]) if value.get("checked") else None,
            )
            for key, value in data.get("facts", {}).items()
        }
        changes = (
            Change(str(entry["date"]), tuple(self.sources[s] for s in entry["sources"]), dict(entry["text"]))
            for entry in data.get("changes", ())
        )
        self.changes = tuple(sorted(changes, key=lambda change: change.date, reverse=True))
        self._by_intent = {fact.intent: fact for fact in self.facts.values()}

    @classmethod
    def load(cls, path: Path | None = None) -> KnowledgeBase:
        """Parse a facts file."""
        with open(path or facts_path(), encoding="utf-8") as handle:
            return cls(yaml.safe_load(handle))

    def fact_for_intent(self, intent: str | None) -> Fact | None:
        """The fact answering an intent, if any."""
        return self._by_intent.get(intent or "")

    def choose(
        self,
        intent: str | None,
        years: tuple[int, ...] = (),
        family: bool = False,
        last_topic: str | None = None,
    ) -> FactChoice:
        """The answer to a fact question or a follow-up, given the years and family members it names.

        A follow-up ("what about 2022?", "and my kids?") keeps the previous topic (`last_topic`, a
        fact id). A year the fact has no figures for is answered "I don't know", never with the
        figures of another year.
        """
        follow_up = intent == "follow_up"
        if follow_up and not years and not family:
            return FactChoice(notice="not_understood")  # "and then?": nothing to carry the topic over to
        if follow_up and family:
            return FactChoice(self.fact_for_intent("ask_family"))
        fact = self.facts.get(last_topic or "") if follow_up else self.fact_for_intent(intent)
        if fact is None:
            return FactChoice(notice="follow_up_without_topic") if follow_up else FactChoice()
        year = years[-1] if years else None
        if year is None:
            return FactChoice(fact)
        if fact.years and year not in fact.years:
            return FactChoice(fact, "year_not_covered", year)
        if follow_up and not fact.years:
            return FactChoice(fact, "not_by_year", year)
        return FactChoice(fact, year=year)

    def years_list(self, years: tuple[int, ...], language: str = DEFAULT_LANGUAGE) -> str:
        """ "2022 and 2023" / « 2022 et 2023 »."""
        names = [str(year) for year in years]
        if len(names) < 2:
            return "".join(names)
        return f"{', '.join(names[:-1])} {'et' if language == 'fr' else 'and'} {names[-1]}"

    @property
    def fact_intents(self) -> set[str]:
        """Every intent that has a fact."""
        return set(self._by_intent)

    def text(self, entry: dict[str, str], language: str = DEFAULT_LANGUAGE) -> str:
        """An entry's text in a language, falling back to English."""
        return entry.get(language) or entry[DEFAULT_LANGUAGE]

    def _ui(self, key: str, language: str) -> str:
        return texts_file.get().label(key, language)

    def cite(self, sources: tuple[Source, ...], language: str = DEFAULT_LANGUAGE) -> str:
        """ "Sources: A (24 May 2022); B (2022)"."""
        listed = "; ".join(f"{s.name(language)} ({format_date(s.date, language)})" for s in sources)
        return f"{self._ui('sources_label', language)}{_colon(language)} {listed}"

    def official_pages(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The official pages to check, one per line."""
        pages = "\n".join(
            f"• {self.text(_localised(page, 'title'), language)}{_colon(language)} "
            f"{self.text(_localised(page, 'where'), language)}"
            for page in self.data["official_pages"]
        )
        return f"{self._ui('official_pages_label', language)}{_colon(language)}\n{pages}"

    def render_changes(self, count: int, language: str = DEFAULT_LANGUAGE) -> str:
        """The newest dated changes, newest first, one line each with its date and sources."""
        return "\n".join(
            f"• {format_date(change.date, language)}{_colon(language)} {self.text(change.texts, language)} "
            f"[{self.cite(change.sources, language)}]"
            for change in self.changes[:count]
        )

    def render_fact(self, fact: Fact, language: str = DEFAULT_LANGUAGE, today: date | None = None) -> str:
        """A fact's answer, its sources, as-of and last-checked dates (and the official pages where needed).

        A fact nobody has confirmed against its official page within 180 days of `today` ends with a
        short warning and the official pages.
        """
        as_of = f"{self._ui('as_of_label', language)} {format_date(fact.as_of, language)}"
        if fact.checked:
            checked = f"{self._ui('last_checked_label', language)} {format_date(fact.checked, language)}"
        else:
            checked = self._ui("never_checked", language)
        dates = f"({as_of}; {checked})"
        parts = [self.text(fact.answers, language)]
        if fact.lists_changes:  # the newest dated changes, each citing its own sources
            parts.append(self.render_changes(fact.lists_changes, language))
        parts.append(f"{self.cite(fact.sources, language)}. {dates}")
        due = fact.due_for_review(today or date.today())
        if due:
            parts.append(self._ui("review_warning", language))
        if fact.show_official_pages or due:
            parts.append(self.official_pages(language))
        return "\n\n".join(parts)

    @property
    def newest_as_of(self) -> str:
        """The as-of date of the most recent fact (ISO; dates of any precision compare as text)."""
        return max(fact.as_of for fact in self.facts.values())

    def render_dont_know(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The honest "I don't know" answer, naming the newest fact's date, with the official pages."""
        newest = format_date(self.newest_as_of, language)
        text = self.text(self.data["dont_know"], language).replace("{newest}", newest)
        return f"{text}\n\n{self.official_pages(language)}"

    def render_assessment(self, assessment: Assessment, language: str = DEFAULT_LANGUAGE) -> str:
        """A verdict with each criterion (status, reason, sources), next steps and pages."""
        texts = self.data["eligibility"]
        lines = [self.text(texts["verdicts"][assessment.verdict.value], language), ""]
        for number, result in enumerate(assessment.criteria, start=1):
            reason = texts["reasons"][result.reason]
            sources = tuple(self.sources[s] for s in reason["sources"])
            lines.append(
                f"{_STATUS_MARK[result.status]} {number}. "
                f"{self.text(texts['criteria'][result.criterion], language)}{_colon(language)} "
                f"{self.text(texts['statuses'][result.status.value], language)}. "
                f"{self.text(reason, language)} [{self.cite(sources, language)}]"
            )
        lines.append("")
        for step in assessment.next_steps:
            lines.append(f"➡️ {self.text(texts['next_steps'][step], language)}")
        lines += ["", self.text(texts["disclaimer"], language), "", self.official_pages(language)]
        return "\n".join(lines)
