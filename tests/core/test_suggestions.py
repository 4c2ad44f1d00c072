"""The suggested answer of a handoff: which messages are questions, and which parse gives a fact."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from actions.core.console_queries import TranscriptLine, answer_for
from actions.core.knowledge import KnowledgeBase
from actions.core.settings import facts_path
from actions.core.suggestions import MAX_QUESTIONS, is_button_payload, open_questions, suggest

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
THRESHOLD = 0.55


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return KnowledgeBase.load(facts_path())


def said(text: str) -> TranscriptLine:
    return TranscriptLine("user", text, AT)


def answered(text: str, staff: str = "") -> TranscriptLine:
    return TranscriptLine("bot", text, AT, staff=staff)


def parse(text: str, intent: str, confidence: float) -> dict[str, object]:
    return {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}


def test_button_payloads_are_clicks_not_questions() -> None:
    assert is_button_payload("/request_human") and is_button_payload('  /inform{"x": 1}')
    assert not is_button_payload("what about /r/canada?") and not is_button_payload("fees?")


def test_the_questions_are_the_users_typed_messages_since_the_last_staff_message() -> None:
    lines = [
        said("how long is the permit valid?"),
        answered("It is valid for...", staff="Ana"),  # a staff reply: what came before is answered
        said("/request_human"),
        said("   "),
        said("  what does it cost? "),
        answered("A person will answer you here."),  # the assistant's own messages do not count
        said("hello?"),
    ]
    assert open_questions(lines) == ("hello?", "what does it cost?")


def test_the_newest_questions_come_first_and_few_of_them() -> None:
    lines = [said(f"question {n}") for n in range(6)]
    assert open_questions(lines) == tuple(f"question {n}" for n in (5, 4, 3))
    assert len(open_questions(lines)) == MAX_QUESTIONS
    assert open_questions(lines, limit=1) == ("question 5",)


def test_no_question_when_staff_spoke_last_or_nothing_was_said() -> None:
    assert open_questions([]) == ()
    assert open_questions([said("fees?"), answered("A person has joined.", staff="Ana")]) == ()
    assert open_questions([said("/greet"), answered("Hi!")]) == ()


def test_a_sure_fact_question_gets_the_facts_answer_in_the_conversations_language(knowledge) -> None:
    found = suggest(parse("combien ça coûte?", "ask_fees", 0.987), knowledge, "fr", THRESHOLD)
    assert found is not None
    assert found.question == "combien ça coûte?" and found.language == "fr" and found.percent == 99
    assert found.answer == answer_for(knowledge, "ask_fees", 0.987, "fr")
    assert found.answer.fact_id == "fees" and "255 $ CA" in found.answer.text
    assert found.answer.sources and found.answer.as_of == knowledge.facts["fees"].as_of
    english = suggest(parse("fees?", "ask_fees", 0.9), knowledge, "en", THRESHOLD)
    assert english is not None and "CAD 255" in english.answer.text and "Sources:" in english.answer.text


def test_the_threshold_is_the_one_a_fact_needs(knowledge) -> None:
    assert suggest(parse("fees?", "ask_fees", THRESHOLD), knowledge, "en", THRESHOLD) is not None
    assert suggest(parse("fees?", "ask_fees", 0.549), knowledge, "en", THRESHOLD) is None


@pytest.mark.parametrize(
    "parsed",
    [
        parse("zxqv blorptang", "nlu_fallback", 0.0),
        parse("thanks!", "thank", 0.99),
        parse("talk to a person", "request_human", 0.99),
        parse("and in 2023?", "follow_up", 0.99),  # its topic is the conversation's, not the message's
        {"text": "no intent at all"},
    ],
)
def test_no_suggestion_without_a_fact(knowledge, parsed) -> None:
    assert suggest(parsed, knowledge, "en", THRESHOLD) is None
