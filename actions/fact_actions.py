"""Action that answers a fact question from the knowledge file."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge_access import knowledge_file


def latest_intent(tracker: Tracker) -> str | None:
    """The intent NLU gave the latest message (nlu_fallback included)."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def language_of(tracker: Tracker) -> str:
    """The conversation's language (the `language` slot when set, else English)."""
    return tracker.get_slot("language") or "en"


class ActionAnswerFact(Action):
    """Answers the intent's fact with its sources, or says "I don't know"."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "action_answer_fact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Utter the fact for the latest intent."""
        knowledge = knowledge_file.get()
        language = language_of(tracker)
        fact = knowledge.fact_for_intent(latest_intent(tracker))
        if fact is None:
            dispatcher.utter_message(text=knowledge.render_dont_know(language))
        else:
            dispatcher.utter_message(
                text=knowledge.render_fact(fact, language),
                fact_id=fact.id,
            )
        return []
