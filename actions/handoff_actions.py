"""Actions that put a conversation in the staff's handoff queue (logic in actions/core/handoff.py)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.core.database import database
from actions.core.handoff import ASKED, NOT_UNDERSTOOD, STUCK_ACTION, HandoffQueue, should_hand_off
from actions.fact_actions import language_of
from actions.knowledge_access import dialogue_file

logger = logging.getLogger(__name__)
FALLBACK_RESPONSE = "utter_fallback_topics"


def handoff_queue() -> HandoffQueue:
    """The queue on IMP_DATABASE_URL: the process's one database, migrated on first use."""
    return database().handoffs


def open_handoff(tracker: Tracker, reason: str) -> bool | None:
    """Queue the conversation: True if queued now, False if it already was, None if the database failed."""
    try:
        _, created = handoff_queue().open(
            tracker.sender_id, tracker.get_latest_input_channel(), language_of(tracker), reason
        )
    except (SQLAlchemyError, OSError) as error:
        logger.error(
            "Could not queue conversation %s for a person: %s", tracker.sender_id, type(error).__name__
        )
        return None
    logger.info("Conversation %s queued for a person (%s)", tracker.sender_id, reason)
    return created


class ActionRequestHuman(Action):
    """The user asked for a person: queue the conversation and say what happens next."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Open a handoff (reason "asked"), idempotently."""
        created = open_handoff(tracker, ASKED)
        key = {True: "handoff_requested", False: "handoff_already_requested", None: "handoff_unavailable"}[
            created
        ]
        dispatcher.utter_message(text=dialogue_file.get().message(key, language_of(tracker)))
        return []


class ActionHandoffIfStuck(Action):
    """After a message not understood: on the second one in a row, queue the conversation."""

    def name(self) -> str:
        """Action name used in the rules and as the core fallback (config.yml)."""
        return STUCK_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Offer the topics when running as the core fallback; open a handoff on a repeated failure."""
        last = next((e for e in reversed(tracker.events) if e.get("event") in ("action", "user")), {})
        if last.get("name") != FALLBACK_RESPONSE:  # the core fallback: no topics shown yet
            dispatcher.utter_message(response=FALLBACK_RESPONSE)
        if should_hand_off(tracker.events):
            created = open_handoff(tracker, NOT_UNDERSTOOD)
            key = "handoff_unavailable" if created is None else "handoff_not_understood"
            dispatcher.utter_message(text=dialogue_file.get().message(key, language_of(tracker)))
        return []
