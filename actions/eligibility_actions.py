"""Form validation, verdict and reset actions of the eligibility check."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.core.answers import ANSWER_INTENTS, FORM_SLOTS, interpret
from actions.core.eligibility import Answers, assess
from actions.core.vocabulary import default_vocabulary
from actions.fact_actions import language_of, latest_intent
from actions.knowledge_access import assessment_repository, dialogue_file, knowledge_file

logger = logging.getLogger(__name__)
SLOTS_SKIPPED_WITHOUT_QUALIFYING_CSQ = {"none": ("csq_valid",), "other": ("csq_valid",)}


class ValidateEligibilityForm(FormValidationAction):
    """Reads each answer of the eligibility form from buttons or free text."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "validate_eligibility_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The form's questions, without CSQ validity for people with no qualifying CSQ."""
        skipped = SLOTS_SKIPPED_WITHOUT_QUALIFYING_CSQ.get(tracker.get_slot("csq_program"), ())
        return [slot for slot in domain_slots if slot not in skipped]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Keep the extracted answers as they are: `interpret` only returns allowed values."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        return [
            SlotSet(slot, value) for slot, value in tracker.slots_to_validate().items() if slot in required
        ]

    def _extract(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != slot:
            return {}
        intent = latest_intent(tracker)
        value = interpret(slot, intent, tracker.latest_message.get("entities", []), default_vocabulary())
        if value is not None:
            return {slot: value}
        if intent in ANSWER_INTENTS:
            notice = (
                "which_program" if slot == "csq_program" and intent == "affirm" else "answer_not_understood"
            )
            dispatcher.utter_message(text=dialogue_file.get().message(notice, language_of(tracker)))
            return {slot: None}
        return {}

    async def extract_residence(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Where the person lives."""
        return self._extract("residence", dispatcher, tracker)

    async def extract_csq_program(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The CSQ's program, or none."""
        return self._extract("csq_program", dispatcher, tracker)

    async def extract_csq_valid(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Whether the CSQ is still valid."""
        return self._extract("csq_valid", dispatcher, tracker)

    async def extract_invitation_letter(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Whether an IMP+ letter of invitation was received."""
        return self._extract("invitation_letter", dispatcher, tracker)

    async def extract_pr_status(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The permanent residence application's status."""
        return self._extract("pr_status", dispatcher, tracker)


class ActionEligibilityVerdict(Action):
    """Judges the answers, tells the verdict per criterion and stores the assessment."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "action_eligibility_verdict"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Utter the verdict and save it."""
        answers = Answers.from_values({slot: tracker.get_slot(slot) for slot in FORM_SLOTS})
        assessment = assess(answers)
        dispatcher.utter_message(
            text=knowledge_file.get().render_assessment(assessment, language_of(tracker))
        )
        criteria = [{**asdict(result), "status": result.status.value} for result in assessment.criteria]
        try:
            assessment_repository().add(
                tracker.sender_id, answers.as_dict(), assessment.verdict.value, criteria
            )
        except SQLAlchemyError:
            logger.exception("Could not store the assessment of a conversation")
            dispatcher.utter_message(
                text=dialogue_file.get().message("assessment_not_saved", language_of(tracker))
            )
        return [SlotSet("verdict", assessment.verdict.value)]


class ActionResetEligibility(Action):
    """Forgets the eligibility answers so a check starts afresh."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "action_reset_eligibility"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Clear every form slot and the last verdict."""
        return [SlotSet(slot, None) for slot in (*FORM_SLOTS, "requested_slot", "verdict")]
