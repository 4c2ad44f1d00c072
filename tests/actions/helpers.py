"""Builds rasa_sdk trackers for action tests."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import spacy
from rasa_sdk import Tracker

from actions.core.vocabulary import Vocabulary
from scripts.build_spacy import build


@lru_cache(maxsize=1)
def ruler() -> spacy.Language:
    """The project's spaCy pipeline (entity ruler), built once per test session."""
    return build("fr", Vocabulary.load())


def ruler_entities(text: str) -> list[dict[str, Any]]:
    """The entities Rasa's SpacyEntityExtractor reports for a text with the project's pipeline."""
    return [
        {"entity": ent.label_, "value": ent.text, "start": ent.start_char, "end": ent.end_char}
        for ent in ruler()(text).ents
    ]


def make_tracker(
    intent: str,
    *,
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    text: str = "",
    sender_id: str = "test-user",
    active_loop: str | None = None,
) -> Tracker:
    """A tracker whose latest message has this intent and these entities."""
    latest = {
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "text": text,
    }
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )
