"""The running model, as the console asks it: parse a message, and the confidence a fact needs.

Used by the Ask page (pages.py) and the handoff's suggested answer (handoff.py).
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

THRESHOLD_KEY = "fact_threshold"  # IntentRules' setting in config.yml


class ModelNotReady(Exception):
    """The model is not loaded yet, or could not read the message (the text says which)."""


def loaded_agent(app: Any) -> Any:
    """The Rasa server's agent when its model is loaded; ModelNotReady otherwise."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    if agent is None or not agent.is_ready():
        raise ModelNotReady("The assistant's model is not loaded yet.")
    return agent


async def parse(app: Any, text: str) -> dict[str, Any]:
    """The model's reading of a message (intent, confidence, entities), as `Agent.parse_message` gives it."""
    agent = loaded_agent(app)
    try:
        return await agent.parse_message(text)
    except Exception as error:
        logger.exception("Staff console: the model could not parse a message")
        raise ModelNotReady("The assistant could not read the question.") from error


def fact_threshold(app: Any) -> float:
    """The `fact_threshold` of the loaded model's IntentRules (0 when its pipeline has none)."""
    processor = getattr(loaded_agent(app), "processor", None)
    schema = getattr(getattr(processor, "model_metadata", None), "predict_schema", None)
    nodes = getattr(schema, "nodes", None) or {}
    values = [float(node.config[THRESHOLD_KEY]) for node in nodes.values() if THRESHOLD_KEY in node.config]
    return max(values, default=0.0)
