"""Custom session start: carries slots over and takes the language from the channel's metadata."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.language import SUPPORTED


def language_from_metadata(metadata: dict[str, Any] | None) -> str | None:
    """The language a channel announced ("fr-CA" -> "fr"), if it is one the assistant speaks."""
    value = str((metadata or {}).get("language") or "").strip().lower()[:2]
    return value if value in SUPPORTED else None


class ActionSessionStart(Action):
    """Starts a session; the widget's language setting or Telegram's language_code sets `language`."""

    def name(self) -> str:
        """Rasa's session start action, overridden."""
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Emit SessionStarted, the carried-over slots, the language, then listen."""
        carried = [
            SlotSet(key, value)
            for key, value in tracker.slots.items()
            if value is not None and key not in ("session_started_metadata", "requested_slot")
        ]
        events: list[EventType] = [SessionStarted(), *carried]
        language = language_from_metadata(tracker.get_slot("session_started_metadata"))
        if language and not tracker.get_slot("language"):
            events.append(SlotSet("language", language))
        return [*events, ActionExecuted("action_listen")]
