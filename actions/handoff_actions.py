"""Actions that put a conversation in the staff's handoff queue (logic in actions/core/handoff.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.core import chatwoot
from actions.core.database import database
from actions.core.handoff import (
    ASKED,
    NOT_UNDERSTOOD,
    STUCK_ACTION,
    Handoff,
    HandoffError,
    HandoffQueue,
    should_hand_off,
)
from actions.fact_actions import language_of
from actions.knowledge_access import dialogue_file

logger = logging.getLogger(__name__)
FALLBACK_RESPONSE = "utter_fallback_topics"


def handoff_queue() -> HandoffQueue:
    """The queue on IMP_DATABASE_URL: the process's one database, migrated on first use."""
    return database().handoffs


def open_handoff(tracker: Tracker, reason: str) -> bool | None:
    """Queue the conversation: True if queued now, False if it already was, None if the database failed.

    A handoff queued now goes on to the Chatwoot inbox when IMP_CHATWOOT_* are set (`hand_to_chatwoot`).
    """
    try:
        handoff, created = handoff_queue().open(
            tracker.sender_id, tracker.get_latest_input_channel(), language_of(tracker), reason
        )
    except (SQLAlchemyError, OSError) as error:
        logger.error(
            "Could not queue conversation %s for a person: %s", tracker.sender_id, type(error).__name__
        )
        return None
    logger.info("Conversation %s queued for a person (%s)", tracker.sender_id, reason)
    if created:
        hand_to_chatwoot(handoff, tracker)
    return created


def hand_to_chatwoot(handoff: Handoff, tracker: Tracker) -> bool:
    """Hand a new handoff to the Chatwoot inbox, if configured, and mark it taken by that conversation.

    On any failure the handoff stays open in the built-in queue (and the log says so).
    """
    settings = chatwoot.load_settings()
    if settings is None:
        return False
    try:
        conversation_id = chatwoot.ChatwootClient(settings).hand_over(
            handoff.sender_id,
            handoff.channel,
            handoff.language,
            handoff.reason,
            chatwoot.user_texts(tracker.events),
        )
        handoff_queue().take(handoff.id, chatwoot.taken_by_name(conversation_id))
    except (chatwoot.ChatwootError, HandoffError, SQLAlchemyError, OSError) as error:
        logger.error(
            "Could not hand conversation %s to Chatwoot (%s): it stays in the built-in queue",
            handoff.sender_id,
            error,
        )
        return False
    logger.info("Conversation %s handed to Chatwoot conversation %s", handoff.sender_id, conversation_id)
    return True


async def open_handoff_async(tracker: Tracker, reason: str) -> bool | None:
    """open_handoff in a worker thread: the Chatwoot requests do not hold up the action server."""
    return await asyncio.get_running_loop().run_in_executor(None, open_handoff, tracker, reason)


class ActionRequestHuman(Action):
    """The user asked for a person: queue the conversation and say what happens next."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Open a handoff (reason "asked"), idempotently."""
        created = await open_handoff_async(tracker, ASKED)
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
            created = await open_handoff_async(tracker, NOT_UNDERSTOOD)
            key = "handoff_unavailable" if created is None else "handoff_not_understood"
            dispatcher.utter_message(text=dialogue_file.get().message(key, language_of(tracker)))
        return []
