"""action_answer_fact answers every fact intent from the knowledge file, and follow-ups in context."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.core.knowledge import KnowledgeBase
from actions.fact_actions import ActionAnswerFact
from tests.actions.helpers import make_tracker, ruler_entities

KNOWLEDGE = KnowledgeBase.load()


def run(intent: str, text: str = "", **slots: str) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent, text=text, entities=ruler_entities(text), slots=slots)
    events = asyncio.run(ActionAnswerFact().run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def topic(events: list[dict]) -> str | None:
    [event] = events
    assert event["name"] == "last_topic"
    return event["value"]


@pytest.mark.parametrize("intent", sorted(KNOWLEDGE.fact_intents))
def test_each_fact_intent_gets_its_sourced_answer(intent: str) -> None:
    fact = KNOWLEDGE.fact_for_intent(intent)
    [message], events = run(intent)
    assert message["text"].startswith(fact.answers["en"][:40])
    assert "Sources: " in message["text"] and "as of" in message["text"]
    assert message["fact_id"] == fact.id
    assert topic(events) == fact.id


def test_unanswerable_question_gets_i_dont_know_and_official_pages() -> None:
    [message], events = run("ask_outside_sources", "how long does processing take?", last_topic="cap")
    assert message["text"].startswith("I don't know")
    assert "quebec.ca/immigration" in message["text"]
    assert "fact_id" not in message
    assert topic(events) is None


def test_a_year_follow_up_keeps_the_topic() -> None:
    [message], events = run("follow_up", "what about 2022 then?", last_topic="cap")
    assert "14,700" in message["text"] and "25,000" not in message["text"]
    assert topic(events) == "cap"


def test_a_year_the_sources_do_not_cover_is_answered_i_dont_know() -> None:
    [message], events = run("follow_up", "and in 2025?", last_topic="cap")
    assert message["text"].startswith(
        "I don't know that for 2025: my sources only give figures for 2022 and 2023."
    )
    assert "7,350" not in message["text"] and "official pages" in message["text"].lower()
    assert topic(events) == "cap"
    [message], _ = run("ask_2021_figures", "how many skilled workers got PR in 2023?")
    assert message["text"].startswith("I don't know that for 2023") and "25,000" not in message["text"]


def test_a_direct_question_on_a_covered_year_gets_the_fact() -> None:
    [message], _ = run("ask_cap", "what was the cap in 2022?")
    assert "14,700" in message["text"]


def test_a_family_follow_up_gets_the_family_fact() -> None:
    [message], events = run("follow_up", "and my kids?", last_topic="fees")
    assert message["text"].startswith(KNOWLEDGE.facts["family"].answers["en"][:40])
    assert topic(events) == "family"
    [message], _ = run("follow_up", "pis ma blonde?", last_topic="cap", language="fr")
    assert message["text"].startswith(KNOWLEDGE.facts["family"].answers["fr"][:40])


def test_a_year_follow_up_on_a_fact_without_years_says_so() -> None:
    [message], _ = run("follow_up", "what about 2024?", last_topic="permit_duration")
    assert message["text"].startswith("My sources don't give this year by year")
    assert "3 years" in message["text"]


def test_a_follow_up_without_a_topic_asks_for_the_whole_question() -> None:
    [message], events = run("follow_up", "what about 2022?")
    assert message["text"].startswith("Could you ask me the whole question?")
    assert events == []


def test_a_follow_up_with_nothing_to_follow_is_not_understood() -> None:
    [message], events = run("follow_up", "xq7 blorp ok??", last_topic="cap")
    assert message["response"] == "utter_fallback_topics"
    assert events == []
