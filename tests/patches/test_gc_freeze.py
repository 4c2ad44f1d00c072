"""patches.gc_freeze: the loaded model frozen out of full collections, an old model collectable."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.agent import Agent

from rasa_plugins.patches import gc_freeze
from tests.assistant import LoadedAgent


class Model:
    """Stands in for a loaded model: many objects, and a reference cycle."""

    def __init__(self) -> None:
        self.parts = [{"weight": [number]} for number in range(20_000)]
        self.myself = self


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    """Each test starts and ends with nothing frozen."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_loaded_model_is_frozen_and_a_replaced_one_collected(monkeypatch: pytest.MonkeyPatch) -> None:
    def load(agent: Any, path: str) -> str:
        agent.model = Model()
        return path

    monkeypatch.setattr(gc_freeze, "_rasa_load_model", load)
    agent = Agent.__new__(Agent)
    assert gc_freeze._load_model(agent, "first.tar.gz") == "first.tar.gz"
    assert gc.get_freeze_count() >= 60_000  # the stand-in's objects, beyond gen 2's reach
    old = weakref.ref(agent.model)
    gc_freeze._load_model(agent, "second.tar.gz")
    assert old() is None  # the first model's cycle was unfrozen and collected
    assert gc.get_freeze_count() >= 60_000


def test_the_assistant_loaded_as_rasa_run_does_is_frozen(loaded_agent: LoadedAgent) -> None:
    # The session's in-process agent (Agent.load -> load_model, patched), as measured right after
    # its load: the `unfrozen` fixture and other tests unfreeze afterwards.
    assert loaded_agent.freeze_count > 300_000  # TensorFlow, spaCy, the domain and the graph
    assert loaded_agent.generation_2 < loaded_agent.freeze_count / 4
