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

from actions.core.answers import ANSWER_INTENTS, FORM_SLOTS, read_reply, said_back
from actions.core.eligibility import Answers, assess
from actions.core.vocabulary import default_vocabulary
from actions.fact_actions import language_of, latest_intent, names_family, render_choice, years_named
from actions.knowledge_access import assessment_repository, dialogue_file, knowledge_file

logger = logging.getLogger(__name__)
SLOTS_SKIPPED_WITHOUT_QUALIFYING_CSQ = {"none": ("csq_valid",), "other": ("csq_valid",)}


class ValidateEligibilityForm(FormValidationAction):
    """Reads every answer a reply gives, from buttons or free text, and says back what it read."""

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

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Read the whole reply once (see actions/core/answers.py); a question in it fills nothing."""
        requested = tracker.get_slot("requested_slot")
        intent = latest_intent(tracker)
        message = tracker.latest_message
        reading = read_reply(
            message.get("text") or "", intent, message.get("entities") or [], requested, default_vocabulary()
        )
        language = language_of(tracker)
        texts = dialogue_file.get()
        if not reading.values:
            if requested and intent in ANSWER_INTENTS and not reading.asks_question:
                notice = (
                    "which_program"
                    if requested == "csq_program" and intent == "affirm"
                    else ("answer_not_understood")
                )
                dispatcher.utter_message(text=texts.message(notice, language))
                return [SlotSet(requested, None)]
            return []  # nothing answered: the form steps aside and the question is answered
        values = dict(reading.values)
        if values.get("csq_program", tracker.get_slot("csq_program")) in SLOTS_SKIPPED_WITHOUT_QUALIFYING_CSQ:
            values.pop("csq_valid", None)
        if reading.asks_question:
            self._answer_question_too(dispatcher, tracker, intent, language)
        for line in said_back(values, {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}, requested):
            dispatcher.utter_message(text=texts.said_back(line, language))
        return [SlotSet(slot, value) for slot, value in values.items()]

    @staticmethod
    def _answer_question_too(
        dispatcher: CollectingDispatcher, tracker: Tracker, intent: str | None, language: str
    ) -> None:
        """A reply that answers and asks ("got the letter, how long do I have?"): answer the fact too."""
        knowledge = knowledge_file.get()
        if intent not in knowledge.fact_intents:
            return
        entities = tracker.latest_message.get("entities") or []
        choice = knowledge.choose(intent, years_named(entities), names_family(entities))
        dispatcher.utter_message(text=render_choice(choice, knowledge, language))

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Keep the extracted answers as they are: `read_reply` only returns allowed values."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        return [
            SlotSet(slot, value) for slot, value in tracker.slots_to_validate().items() if slot in required
        ]


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


class ActionStartCheckWithAnswers(Action):
    """Starts the check from a message that gives answers, or updates a finished check with them."""

    def name(self) -> str:
        """Action name used in the domain."""
        return "action_start_check_with_answers"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Keep a finished check's answers (the form reads the correction), else start afresh."""
        if tracker.get_slot("verdict"):
            dispatcher.utter_message(text=dialogue_file.get().message("check_updated", language_of(tracker)))
            return [SlotSet("verdict", None), SlotSet("requested_slot", None)]
        dispatcher.utter_message(response="utter_start_check")
        return [SlotSet(slot, None) for slot in (*FORM_SLOTS, "requested_slot")]
