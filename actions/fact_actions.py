"""Action that answers a fact question or a follow-up from the knowledge file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.core.knowledge import FactChoice, KnowledgeBase
from actions.knowledge_access import dialogue_file, knowledge_file


def latest_intent(tracker: Tracker) -> str | None:
    """The intent NLU gave the latest message (nlu_fallback included)."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def language_of(tracker: Tracker) -> str:
    """The conversation's language (the `language` slot when set, else English)."""
    return tracker.get_slot("language") or "en"


def years_named(entities: Iterable[Mapping[str, Any]]) -> tuple[int, ...]:
    """The years the entity ruler found in a message, in order."""
    return tuple(
        int(entity["value"])
        for entity in entities
        if entity.get("entity") == "year" and str(entity.get("value", "")).isdigit()
    )


def names_family(entities: Iterable[Mapping[str, Any]]) -> bool:
    """True when a message names a family member (wife, kids, « mon chum »...)."""
    return any(entity.get("entity") == "family_member" for entity in entities)


def render_choice(choice: FactChoice, knowledge: KnowledgeBase, language: str) -> str:
    """The text of a chosen answer: a notice and / or the fact, or "I don't know"."""
    if choice.fact is None and choice.notice is None:
        return knowledge.render_dont_know(language)
    notice = ""
    if choice.notice:
        years = knowledge.years_list(choice.fact.years if choice.fact else (), language)
        notice = dialogue_file.get().message(choice.notice, language).format(year=choice.year, years=years)
    if choice.notice == "year_not_covered":
        return f"{notice}\n\n{knowledge.official_pages(language)}"
    if choice.fact is None:
        return notice
    fact = knowledge.render_fact(choice.fact, language)
    return f"{notice}\n\n{fact}" if notice else fact


class ActionAnswerFact(Action):
    """Answers the intent's fact with its sources, keeps the topic for follow-ups, or says "I don't know"."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "action_answer_fact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Utter the answer for the latest intent and remember its topic."""
        knowledge = knowledge_file.get()
        entities = tracker.latest_message.get("entities") or []
        choice = knowledge.choose(
            latest_intent(tracker),
            years_named(entities),
            names_family(entities),
            tracker.get_slot("last_topic"),
        )
        if choice.notice == "not_understood":  # a "follow-up" with no year or family member in it
            dispatcher.utter_message(response="utter_fallback_topics")
            return []
        text = render_choice(choice, knowledge, language_of(tracker))
        if choice.fact is None or choice.notice == "year_not_covered":
            dispatcher.utter_message(text=text)
        else:
            dispatcher.utter_message(text=text, fact_id=choice.fact.id)
        if choice.fact is None:  # "I don't know" leaves no topic to follow up on
            return [] if choice.notice else [SlotSet("last_topic", None)]
        return [SlotSet("last_topic", choice.fact.id)]
