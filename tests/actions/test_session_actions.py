"""The session start action sets the language from the channel's metadata."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.session_actions import ActionSessionStart, language_from_metadata
from tests.actions.helpers import make_tracker


@pytest.mark.parametrize(
    ("metadata", "language"),
    [
        ({"language": "fr"}, "fr"),
        ({"language": "fr-CA"}, "fr"),
        ({"language": "EN"}, "en"),
        ({"language": "es"}, None),
        ({}, None),
        (None, None),
        ({"language": 42}, None),
    ],
)
def test_language_from_metadata(metadata, language) -> None:
    assert language_from_metadata(metadata) == language


def run(slots: dict) -> list[dict]:
    tracker = make_tracker("greet", slots=slots)
    return asyncio.run(ActionSessionStart().run(CollectingDispatcher(), tracker, {}))


def test_metadata_language_is_set_and_slots_carried_over() -> None:
    events = run({"session_started_metadata": {"language": "fr-CA"}, "residence": "abroad"})
    assert events[0]["event"] == "session_started"
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {"residence": "abroad", "language": "fr"}
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")


def test_a_language_already_chosen_is_kept() -> None:
    events = run({"session_started_metadata": {"language": "fr"}, "language": "en"})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {"language": "en"}
