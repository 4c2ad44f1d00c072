"""Actions that ask the eligibility form's questions, with buttons, from data/texts/."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.fact_actions import language_of
from actions.knowledge_access import dialogue_file


class AskFormQuestion(Action, ABC):
    """Asks for one slot of the eligibility form (Rasa calls action_ask_<slot>)."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot this action asks for."""

    def name(self) -> str:
        """Action name Rasa's form looks for."""
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Utter the question with one button per possible answer."""
        text, buttons = dialogue_file.get().question(self.slot, language_of(tracker))
        dispatcher.utter_message(text=text, buttons=[asdict(button) for button in buttons])
        return []


class ActionAskResidence(AskFormQuestion):
    """Where do you live?"""

    slot = "residence"


class ActionAskCsqProgram(AskFormQuestion):
    """Do you hold a CSQ, under which program?"""

    slot = "csq_program"


class ActionAskCsqValid(AskFormQuestion):
    """Is your CSQ still valid?"""

    slot = "csq_valid"


class ActionAskInvitationLetter(AskFormQuestion):
    """Have you received an IMP+ letter of invitation?"""

    slot = "invitation_letter"


class ActionAskPrStatus(AskFormQuestion):
    """What is the status of your PR application?"""

    slot = "pr_status"
