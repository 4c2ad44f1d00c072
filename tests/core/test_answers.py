"""Reading form answers from intents, spaCy entities and button payloads."""

from __future__ import annotations

import pytest

from actions.core.answers import interpret
from actions.core.vocabulary import default_vocabulary


def entity(name: str, value: str) -> dict[str, str]:
    return {"entity": name, "value": value}


@pytest.mark.parametrize(
    ("slot", "intent", "entities", "value"),
    [
        ("residence", "inform", [entity("location", "Lyon")], "abroad"),
        ("residence", "inform", [entity("location", "Ontario")], "another_province"),
        ("residence", "inform", [entity("location", "Québec")], "quebec"),
        ("residence", "inform", [entity("residence", "quebec")], "quebec"),
        ("residence", "inform", [entity("residence", "'; DROP TABLE events;--")], None),
        ("residence", "inform", [], None),
        ("residence", "dont_know", [], "unknown"),
        ("csq_program", "affirm", [entity("program", "PRTQ")], "prtq"),
        ("csq_program", "affirm", [], None),
        ("csq_program", "deny", [], "none"),
        ("csq_program", "inform", [entity("program", "PSTQ")], "pstq"),
        ("csq_valid", "affirm", [], "yes"),
        ("csq_valid", "inform", [entity("csq_validity", "expired")], "no"),
        ("invitation_letter", "deny", [], "no"),
        ("invitation_letter", "inform", [entity("invitation_letter", "yes")], "yes"),
        ("pr_status", "deny", [], "not_applied"),
        ("pr_status", "inform", [entity("pr_status", "still waiting")], "in_process"),
        ("pr_status", "inform", [entity("pr_status", "refused")], "refused"),
        ("pr_status", "affirm", [], None),
        ("pr_status", "ask_cap", [], None),
    ],
)
def test_interpret(slot: str, intent: str, entities: list, value: str | None) -> None:
    assert interpret(slot, intent, entities, default_vocabulary()) == value
