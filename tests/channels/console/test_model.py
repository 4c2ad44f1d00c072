"""The console's questions to the running model: not loaded, failing, and its fact threshold."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from rasa_plugins.channels.console.model import ModelNotReady, fact_threshold, parse


class FakeTrackerStore:
    """A tracker store whose conversations all have the same `language` slot."""

    def __init__(self, language: str | None) -> None:
        self.language = language

    async def retrieve(self, sender_id: str) -> SimpleNamespace:
        return SimpleNamespace(get_slot=lambda name: self.language if name == "language" else None)


class FakeAgent:
    """What the console reads of Rasa's Agent: readiness, parse_message, the model's graph, the store."""

    def __init__(
        self,
        ready: bool = True,
        fails: bool = False,
        nodes: dict | None = None,
        intents: dict[str, tuple[str, float]] | None = None,
        language: str | None = None,
    ) -> None:
        self.ready, self.fails = ready, fails
        self.intents = {"fees?": ("ask_fees", 0.9)} if intents is None else intents
        schema = SimpleNamespace(nodes=nodes or {})
        self.processor = SimpleNamespace(model_metadata=SimpleNamespace(predict_schema=schema))
        self.tracker_store = FakeTrackerStore(language)
        self.parsed: list[str] = []

    def is_ready(self) -> bool:
        return self.ready

    async def parse_message(self, text: str) -> dict:
        if self.fails:
            raise RuntimeError("boom")
        self.parsed.append(text)
        name, confidence = self.intents.get(text, ("nlu_fallback", 0.0))
        return {"text": text, "intent": {"name": name, "confidence": confidence}, "entities": []}


def app(agent: object) -> SimpleNamespace:
    return SimpleNamespace(ctx=SimpleNamespace(agent=agent))


def node(**config: object) -> SimpleNamespace:
    return SimpleNamespace(config=config)


def test_a_message_is_parsed_by_the_loaded_model() -> None:
    parsed = asyncio.run(parse(app(FakeAgent()), "fees?"))
    assert parsed["intent"]["name"] == "ask_fees" and parsed["text"] == "fees?"


@pytest.mark.parametrize(
    ("agent", "message"),
    [
        (None, "not loaded yet"),
        (FakeAgent(ready=False), "not loaded yet"),
        (FakeAgent(fails=True), "could not read the question"),
    ],
)
def test_a_model_not_loaded_or_failing_is_not_ready(agent: object, message: str) -> None:
    with pytest.raises(ModelNotReady, match=message):
        asyncio.run(parse(app(agent), "fees?"))


def test_the_fact_threshold_is_the_loaded_models() -> None:
    nodes = {"classifier": node(C=1.0), "rules": node(fact_threshold=0.55), "fallback": node(threshold=0.45)}
    assert fact_threshold(app(FakeAgent(nodes=nodes))) == 0.55
    assert fact_threshold(app(FakeAgent())) == 0.0  # no IntentRules: the model sets no threshold
    with pytest.raises(ModelNotReady):
        fact_threshold(app(None))
