"""Action that marks a conversation for deletion; the tracker store deletes it after the turn."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.core.privacy import DELETION_ACTION


class ActionDeleteMyData(Action):
    """Marks the conversation for deletion by running; `utter_data_deleted` then tells the user.

    The deletion itself happens in the tracker store once this turn has been saved
    (rasa_plugins/stores/privacy.py): done here, the save that ends the turn would undo it.
    """

    def name(self) -> str:
        """Action name used in the domain."""
        return DELETION_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Nothing to do here: the executed action is the mark the tracker store looks for."""
        return []
