"""The knowledge file: every fact sourced and dated, every figure traceable to the fact sheet."""

from __future__ import annotations

import itertools
import re
import shutil
import time
from pathlib import Path

import pytest
import yaml

from actions.core.eligibility import Answer, Answers, CsqProgram, PrStatus, Residence, assess
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
