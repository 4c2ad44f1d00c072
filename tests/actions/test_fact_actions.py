"""action_answer_fact answers every fact intent from the knowledge file."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.core.knowledge import KnowledgeBase
from actions.fact_actions import ActionAnswerFact
from tests.actions.helpers import make_tracker

KNOWLEDGE = KnowledgeBase.load()


def run(intent: str) -> list[dict]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerFact().run(dispatcher, make_tracker(intent), {}))
    assert events == []
    return dispatcher.messages


@pytest.mark.parametrize("intent", sorted(KNOWLEDGE.fact_intents))
def test_each_fact_intent_gets_its_sourced_answer(intent: str) -> None:
    fact = KNOWLEDGE.fact_for_intent(intent)
    [message] = run(intent)
    assert message["text"].startswith(fact.answers["en"][:40])
    assert "Sources: " in message["text"] and "as of" in message["text"]
    assert message["fact_id"] == fact.id


def test_unanswerable_question_gets_i_dont_know_and_official_pages() -> None:
    [message] = run("ask_outside_sources")
    assert message["text"].startswith("I don't know")
    assert "quebec.ca/immigration" in message["text"]
    assert "fact_id" not in message
