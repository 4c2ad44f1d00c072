"""Turns a user's reply to an eligibility question (intent and entities) into a slot value."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from actions.core.eligibility import Answer, CsqProgram, PrStatus, Residence
from actions.core.vocabulary import ENTITY_LABELS, Vocabulary

FORM_SLOTS = ("residence", "csq_program", "csq_valid", "invitation_letter", "pr_status")
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "dont_know"})

_ALLOWED = {
    "residence": {member.value for member in Residence},
    "csq_program": {member.value for member in CsqProgram},
    "csq_valid": {member.value for member in Answer},
    "invitation_letter": {member.value for member in Answer},
    "pr_status": {member.value for member in PrStatus},
}
# slot -> vocabulary section whose entities answer it
_SECTION = {
    "residence": "residence",
    "csq_program": "csq_program",
    "pr_status": "pr_status",
    "csq_valid": "csq_validity",
}
# slot -> value meant by a plain yes / no
_YES_NO = {
    "csq_program": {"deny": CsqProgram.NONE.value},
    "csq_valid": {"affirm": Answer.YES.value, "deny": Answer.NO.value},
    "invitation_letter": {"affirm": Answer.YES.value, "deny": Answer.NO.value},
    "pr_status": {"deny": PrStatus.NOT_APPLIED.value},
}


def interpret(
    slot: str, intent: str | None, entities: Iterable[Mapping[str, Any]], vocabulary: Vocabulary
) -> str | None:
    """The value a reply gives to `slot`, or None when the reply does not answer it."""
    entities = list(entities)
    for entity in entities:  # a button payload such as /inform{"residence":"abroad"}
        if entity.get("entity") == slot and str(entity.get("value")) in _ALLOWED[slot]:
            return str(entity["value"])
    section = _SECTION.get(slot)
    if section:
        label = ENTITY_LABELS[section]
        for entity in entities:
            if entity.get("entity") == label:
                value = vocabulary.normalise(section, str(entity.get("value", "")))
                if value in _ALLOWED[slot]:
                    return value
    if intent == "dont_know":
        return "unknown"
    return _YES_NO.get(slot, {}).get(intent or "")
