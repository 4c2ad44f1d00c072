"""rasa_plugins.patches.tf_predict: TED's outputs exactly as through Rasa's tf.function call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.utils.tensorflow.models import RasaModel

from rasa_plugins import patches
from rasa_plugins.patches import graph_runner, tf_predict
from tests.assistant import LoadedAgent, in_process_assistant, play
from tests.patches.test_graph_runner import CONVERSATION


def same(ours: Any, theirs: Any) -> bool:
    """Equal outputs: the same keys, the same arrays (dtype, shape, every value), the same values."""
    if isinstance(theirs, dict):
        return (
            isinstance(ours, dict)
            and ours.keys() == theirs.keys()
            and all(same(ours[k], theirs[k]) for k in theirs)
        )
    if isinstance(theirs, np.ndarray):
        return (
            isinstance(ours, np.ndarray)
            and ours.dtype == theirs.dtype
            and ours.shape == theirs.shape
            and np.array_equal(ours, theirs, equal_nan=True)
        )
    if isinstance(theirs, (list, tuple)):
        return type(ours) is type(theirs) and len(ours) == len(theirs) and all(map(same, ours, theirs))
    return bool(ours == theirs)


@pytest.mark.e2e
def test_ted_gives_the_same_outputs_as_through_rasas_call(
    loaded_agent: LoadedAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patches.install()  # as the tracker store does (loaded_agent did already), before `both` takes its place
    compared: dict[str, int] = {}

    def both(self: RasaModel, batch_in: tuple) -> dict:
        direct_before = tf_predict.calls["direct"]
        ours = tf_predict._predict(self, batch_in)
        theirs = tf_predict._rasa_predict(self, batch_in)
        assert same(ours, theirs), type(self).__name__
        if tf_predict.calls["direct"] > direct_before:
            compared[type(self).__name__] = compared.get(type(self).__name__, 0) + 1
        return theirs

    monkeypatch.setattr(RasaModel, "_rasa_predict", both)
    monkeypatch.setattr(graph_runner, "ted_calls", {"skipped": 0, "run": 0})
    monkeypatch.setattr(graph_runner, "_ted_cannot_win", lambda *args: False)  # TED on every prediction
    agent, store = in_process_assistant(loaded_agent, tmp_path / "tf.db")

    replies, _ = play(agent, store, CONVERSATION, "tf-predict")
    assert all(replies)
    store.engine.dispose()
    assert compared.get("TED", 0) >= 2 * len(CONVERSATION)


def test_a_batch_that_does_not_match_the_signature_goes_through_rasas_code() -> None:
    import tensorflow as tf

    function = tf.function(
        lambda batch: {"sum": tf.reduce_sum(batch[0]) + tf.cast(tf.reduce_sum(batch[1]), tf.float32)},
        input_signature=[[tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None], tf.int64)]],
    )
    direct = tf_predict._Direct(function)
    good = (np.ones((2, 3), np.float32), np.arange(4, dtype=np.int64))
    assert direct.accepts(good)
    assert float(direct(good)["sum"].numpy()) == float(function(list(good))["sum"].numpy()) == 12.0
    assert not direct.accepts((np.ones((2, 4), np.float32), good[1]))  # fixed dimension differs
    assert not direct.accepts((np.ones((2, 3), np.float64), good[1]))  # dtype differs
    assert not direct.accepts((np.ones((2, 3, 1), np.float32), good[1]))  # rank differs
    assert not direct.accepts(good[:1])  # an array missing
    assert not direct.accepts((good[0].tolist(), good[1]))  # not an array
