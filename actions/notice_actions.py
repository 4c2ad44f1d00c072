"""Actions that start and stop a conversation's change notices (logic in actions/core/notices.py)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.core.database import database
from actions.core.notices import NoticeBook, SubscribeResult
from actions.fact_actions import language_of
from actions.knowledge_access import dialogue_file

logger = logging.getLogger(__name__)

_SUBSCRIBE_REPLIES = {
    SubscribeResult.SUBSCRIBED: "notices_subscribed",
    SubscribeResult.ALREADY: "notices_already_subscribed",
    SubscribeResult.UNSUPPORTED_CHANNEL: "notices_unsupported_channel",
}


def notice_book() -> NoticeBook:
    """The notices on IMP_DATABASE_URL: the process's one database, migrated on first use."""
    return database().notices


class ActionSubscribeChanges(Action):
    """ "Tell me when IMP+ changes": subscribe the conversation on its channel, in its language."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "action_subscribe_changes"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Record the consent (channel, language, date) and say what it means and how to stop."""
        language = language_of(tracker)
        try:
            result = notice_book().subscribe(tracker.sender_id, tracker.get_latest_input_channel(), language)
        except (SQLAlchemyError, OSError) as error:
            logger.error("Could not subscribe %s to notices: %s", tracker.sender_id, type(error).__name__)
            key = "notices_unavailable"
        else:
            key = _SUBSCRIBE_REPLIES[result]
            logger.info("Notices for %s: %s", tracker.sender_id, result.value)
        dispatcher.utter_message(text=dialogue_file.get().message(key, language))
        return []


class ActionStopNotifications(Action):
    """ "Stop notifications": end the conversation's subscription and drop what it has not received."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "action_stop_notifications"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Remove the subscription, and say whether there was one."""
        language = language_of(tracker)
        try:
            removed = notice_book().unsubscribe(tracker.sender_id)
        except (SQLAlchemyError, OSError) as error:
            logger.error("Could not unsubscribe %s from notices: %s", tracker.sender_id, type(error).__name__)
            key = "notices_unavailable"
        else:
            key = "notices_stopped" if removed else "notices_not_subscribed"
        dispatcher.utter_message(text=dialogue_file.get().message(key, language))
        return []
