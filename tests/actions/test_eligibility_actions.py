"""The form validation, question, verdict and reset actions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge_access
from actions.core.repository import AssessmentRepository
from actions.eligibility_actions import (
    ActionEligibilityVerdict,
    ActionResetEligibility,
    ValidateEligibilityForm,
)
from actions.form_questions import (
    ActionAskCsqProgram,
    ActionAskCsqValid,
    ActionAskInvitationLetter,
    ActionAskPrStatus,
    ActionAskResidence,
)
from tests.actions.helpers import make_tracker, ruler_entities

FORM_DOMAIN: dict[str, Any] = {
    "forms": {
        "eligibility_form": {
            "required_slots": ["residence", "csq_program", "csq_valid", "invitation_letter", "pr_status"]
        }
    },
    "slots": {},
}


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AssessmentRepository:
    monkeypatch.setenv("IMP_DATABASE_URL", f"sqlite:///{tmp_path / 'actions.db'}")
    return knowledge_access.assessment_repository()


def validate(requested: str | None, intent: str, text: str = "", slots: dict | None = None, entities=None):
    """Run the form's validation on one reply; the entities are the ruler's (or given, for payloads)."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        intent,
        entities=ruler_entities(text) if entities is None else entities,
        text=text,
        slots={"requested_slot": requested, **(slots or {})},
        active_loop="eligibility_form",
    )
    events = asyncio.run(ValidateEligibilityForm().run(dispatcher, tracker, FORM_DOMAIN))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, [
        m["text"] for m in dispatcher.messages
    ]


def test_free_text_place_fills_residence() -> None:
    slots, messages = validate("residence", "inform", "I live in Lyon")
    assert slots["residence"] == "abroad"
    assert messages == []


def test_button_payload_fills_the_slot() -> None:
    slots, _ = validate(
        "pr_status", "inform", "/inform", entities=[{"entity": "pr_status", "value": "refused"}]
    )
    assert slots["pr_status"] == "refused"


def test_unclear_answer_is_reasked() -> None:
    slots, messages = validate("residence", "inform", "it's complicated")
    assert slots["residence"] is None
    assert messages == ["Sorry, I didn't catch that answer."]


def test_plain_yes_to_the_csq_question_asks_which_program() -> None:
    slots, messages = validate("csq_program", "affirm", "yes")
    assert slots["csq_program"] is None
    assert "Which program" in messages[0]


def test_a_question_mid_form_is_left_to_the_rules() -> None:
    slots, messages = validate("residence", "ask_cap", "how many permits a year?")
    assert "residence" not in slots
    assert messages == []


def test_a_question_with_form_words_fills_nothing() -> None:
    slots, messages = validate(
        "csq_valid",
        "ask_permit_duration",
        "how long is the permit valid?",
        {"residence": "abroad", "csq_program": "prtq"},
    )
    assert "csq_valid" not in slots
    assert messages == []


def test_an_answer_with_topic_words_fills_the_slot_and_moves_on() -> None:
    slots, messages = validate(
        "invitation_letter",
        "ask_invitation_letter",
        "yep, my invitation letter came in March",
        {"residence": "abroad", "csq_program": "prtq", "csq_valid": "yes"},
    )
    assert slots == {"invitation_letter": "yes"}  # Rasa's form then asks the next empty slot
    assert messages == []


def test_an_answer_and_a_question_are_both_handled() -> None:
    slots, messages = validate(
        "invitation_letter", "ask_invitation_letter", "got my invitation letter, how long do I have to apply?"
    )
    assert slots["invitation_letter"] == "yes"
    assert "letter of invitation" in messages[0] and "90 days" in messages[0]


def test_several_answers_are_said_back_and_only_the_rest_is_asked() -> None:
    slots, messages = validate(
        None,
        "check_eligibility",
        "I'm in Paris, got my CSQ under the PRTQ last year, invitation received, "
        "PR still processing: do I qualify?",
    )
    assert {slot: slots[slot] for slot in ("residence", "csq_program", "invitation_letter", "pr_status")} == {
        "residence": "abroad",
        "csq_program": "prtq",
        "invitation_letter": "yes",
        "pr_status": "in_process",
    }
    assert "csq_valid" not in slots  # the one question left
    assert messages == [
        "Got it: you live outside Canada; "
        "your CSQ was issued under the Regular Skilled Worker Program (PRTQ); "
        "you have received an IMP+ letter of invitation; your permanent residence application is in process."
    ]


def test_a_correction_changes_the_earlier_answer_and_says_so() -> None:
    slots, messages = validate("csq_program", "inform", "sorry, I meant Ontario", {"residence": "abroad"})
    assert slots == {"residence": "another_province"}  # csq_program is still to answer
    assert messages == ["OK, I've corrected that: you live in another Canadian province."]


def test_french_answers_are_said_back_in_french() -> None:
    slots, messages = validate(
        "residence", "inform", "je vis à Lyon pis mon CSQ vient du PRTQ", {"language": "fr"}
    )
    assert (slots["residence"], slots["csq_program"]) == ("abroad", "prtq")
    assert messages[0].startswith("C'est noté : vous vivez à l'extérieur du Canada; votre CSQ")


def test_no_csq_skips_the_validity_question() -> None:
    slots, _ = validate("csq_program", "deny", "no", slots={"residence": "abroad"})
    assert slots["csq_program"] == "none"
    assert slots["requested_slot"] == "invitation_letter"


def test_with_a_csq_rasa_asks_the_next_question_in_domain_order() -> None:
    slots, _ = validate("csq_program", "inform", "through the PRTQ", {"residence": "abroad"})
    assert slots == {"csq_program": "prtq"}


@pytest.mark.parametrize(
    ("action", "slot", "first_payload"),
    [
        (ActionAskResidence, "residence", '/inform{"residence":"abroad"}'),
        (ActionAskCsqProgram, "csq_program", '/inform{"csq_program":"prtq"}'),
        (ActionAskCsqValid, "csq_valid", '/inform{"csq_valid":"yes"}'),
        (ActionAskInvitationLetter, "invitation_letter", '/inform{"invitation_letter":"yes"}'),
        (ActionAskPrStatus, "pr_status", '/inform{"pr_status":"not_applied"}'),
    ],
)
def test_questions_have_buttons(action: type, slot: str, first_payload: str) -> None:
    dispatcher = CollectingDispatcher()
    asyncio.run(action().run(dispatcher, make_tracker("inform"), {}))
    [message] = dispatcher.messages
    assert action().name() == f"action_ask_{slot}"
    assert message["text"].endswith("?") or "?" in message["text"]
    assert message["buttons"][0]["payload"] == first_payload
    assert any(button["payload"].endswith('"unknown"}') for button in message["buttons"])


def test_verdict_is_uttered_and_stored(repository: AssessmentRepository) -> None:
    dispatcher = CollectingDispatcher()
    slots = {
        "residence": "abroad",
        "csq_program": "prtq",
        "csq_valid": "yes",
        "invitation_letter": "yes",
        "pr_status": "in_process",
    }
    tracker = make_tracker("inform", slots=slots, sender_id="verdict-user")
    events = asyncio.run(ActionEligibilityVerdict().run(dispatcher, tracker, {}))
    assert events == [{"event": "slot", "timestamp": None, "name": "verdict", "value": "eligible"}]
    assert dispatcher.messages[0]["text"].startswith("From your answers, you appear eligible")
    [stored] = repository.for_conversation("verdict-user")
    assert stored.verdict == "eligible"
    assert stored.answers == slots
    assert {c["criterion"]: c["status"] for c in stored.criteria} == {
        "residence": "met",
        "csq": "met",
        "invitation_letter": "met",
        "pr_application": "met",
    }


def test_verdict_survives_a_database_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMP_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionEligibilityVerdict().run(dispatcher, make_tracker("inform"), {}))
    assert dispatcher.messages[0]["text"].startswith("From your answers, I can't tell")
    assert "couldn't save" in dispatcher.messages[1]["text"]


def test_reset_clears_every_answer() -> None:
    events = asyncio.run(
        ActionResetEligibility().run(CollectingDispatcher(), make_tracker("check_eligibility"), {})
    )
    assert {e["name"] for e in events} == {
        "residence",
        "csq_program",
        "csq_valid",
        "invitation_letter",
        "pr_status",
        "requested_slot",
        "verdict",
    }
    assert all(e["value"] is None for e in events)
