"""rasa_plugins.patches.graph_runner: Rasa's graph results, in a fixed order, TED only when it can matter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

from rasa_plugins.patches import graph_runner
from tests.assistant import LoadedAgent, in_process_assistant, play
from tests.patches.test_speedups import behaviour

SIZE = 5


class FakeTED:
    """What the gate reads of a TED policy."""

    def __init__(self, *, trained: bool = True, text_features: bool = False) -> None:
        self.model = object() if trained else None
        self.fake_features = {TEXT: []} if text_features else {}
        self.priority = 1


def prediction(best: float, priority: int, **flags: Any) -> PolicyPrediction:
    """A prediction whose highest confidence is `best`."""
    return PolicyPrediction([best] + [0.0] * (SIZE - 1), "P", priority, **flags)


def tracker(*events: Any) -> DialogueStateTracker:
    """A tracker holding the events."""
    return DialogueStateTracker.from_events(
        "u", [ActionExecuted("action_listen"), UserUttered("hi"), *events]
    )


@pytest.mark.parametrize(
    ("others", "events", "ted", "skipped"),
    [
        ([prediction(1.0, 6)], [], FakeTED(), True),  # a rule is certain
        ([prediction(0.0, 3), prediction(1.0, 6)], [], FakeTED(), True),
        ([prediction(0.2, 6, is_no_user_prediction=True)], [], FakeTED(), True),  # loop happy path
        ([prediction(0.99, 6)], [], FakeTED(), False),  # not certain: TED may win
        ([prediction(0.3, 6), prediction(0.0, 3)], [], FakeTED(), False),  # core fallback
        ([prediction(1.0, 1)], [], FakeTED(), False),  # same priority: TED would come first on a tie
        ([prediction(1.0, 0)], [], FakeTED(), False),
        ([prediction(1.0, 6)], [ActionExecutionRejected("some_form")], FakeTED(), False),  # rejected
        ([prediction(1.0, 6, is_end_to_end_prediction=True)], [], FakeTED(), False),
        ([prediction(1.0, 6)], [], FakeTED(text_features=True), False),  # TED may be end to end
        ([prediction(1.0, 6)], [], FakeTED(trained=False), False),
        ([], [], FakeTED(), False),
    ],
)
def test_ted_is_skipped_only_when_another_prediction_must_win(
    others: list[PolicyPrediction], events: list, ted: FakeTED, skipped: bool
) -> None:
    assert graph_runner._ted_cannot_win(ted, others, tracker(*events)) is skipped  # type: ignore[arg-type]


@pytest.mark.parametrize("ted_best", [0.0, 0.5, 1.0])
def test_when_skipped_the_ensemble_picks_the_same_as_with_teds_answer(ted_best: float) -> None:
    others = [prediction(1.0, 6), PolicyPrediction([0.0, 1.0, 0.0, 0.0, 0.0], "Memo", 3)]
    ted = FakeTED()
    assert graph_runner._ted_cannot_win(ted, others, tracker())  # type: ignore[arg-type]
    real = PolicyPrediction([0.0] * (SIZE - 1) + [ted_best], "TEDPolicy", 1)
    empty = graph_runner._empty_prediction(ted, others)  # type: ignore[arg-type]
    assert empty.probabilities == [0.0] * SIZE and empty.policy_priority == 1
    with_ted = DefaultPolicyPredictionEnsemble._pick_best_policy([*others, real])
    without = DefaultPolicyPredictionEnsemble._pick_best_policy([*others, empty])
    assert with_ted == without


# --- with the trained model: the same predictions as Rasa's runner ------------------------------

CONVERSATION = [
    "hello",
    "what is IMP+?",
    "how many permits are there?",
    "am I eligible for IMP+?",
    "I live in Lyon",
    "wait, how long is the permit valid?",
    "yes, through the PRTQ",
    "asdkjh qwpoeiu",
    "yes it is",
    "banana",
    "yes I got it",
    "I haven't applied yet",
    "bonjour",
    "c'est quoi le PMI+?",
    "est-ce que je suis admissible?",
    "j'habite à Montréal",
    "oui, avec le PEQ",
    "stop",
    "in English please",
    "check my eligibility",
    "I live in Toronto",
    "start over",
    "what is the weather in Paris?",
    "zzzz",
    "xxyy qq",
    "can I talk to a person?",
    "bye",
]


@pytest.mark.e2e
def test_the_assistant_predicts_the_same_as_with_rasas_runner(
    loaded_agent: LoadedAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent, store = in_process_assistant(loaded_agent, tmp_path / "runner.db")
    picked: list[tuple] = []
    original_combine = DefaultPolicyPredictionEnsemble.combine_predictions

    def noting_combine(self: Any, predictions: list, tracker: Any, domain: Any) -> PolicyPrediction:
        best = original_combine(self, predictions, tracker, domain)
        events = [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in best.events]
        picked.append((best.policy_name, best.probabilities, events))
        return best

    monkeypatch.setattr(DefaultPolicyPredictionEnsemble, "combine_predictions", noting_combine)

    def talk(sender: str) -> tuple[list, list, list]:
        picked.clear()
        replies, events = play(agent, store, CONVERSATION, sender)
        return replies, behaviour(events), list(picked)

    monkeypatch.setattr(DaskGraphRunner, "run", graph_runner._rasa_run)
    rasa_replies, rasa_behaviour, rasa_picked = talk("rasa-runner")
    monkeypatch.setattr(DaskGraphRunner, "run", graph_runner.run)
    monkeypatch.setattr(graph_runner, "ted_calls", {"skipped": 0, "run": 0})
    our_replies, our_behaviour, our_picked = talk("our-runner")
    store.engine.dispose()

    assert our_replies == rasa_replies and all(our_replies)
    assert our_behaviour == rasa_behaviour
    assert len(our_picked) == len(rasa_picked) > len(CONVERSATION)
    for ours, theirs in zip(our_picked, rasa_picked, strict=True):
        assert ours[0] == theirs[0] and ours[2] == theirs[2]
        assert ours[1] == pytest.approx(theirs[1])
    # Rules decide almost every turn of this assistant; TED still ran where no policy was certain
    assert graph_runner.ted_calls["skipped"] > graph_runner.ted_calls["run"] > 0
    assert graph_runner.ted_calls["skipped"] + graph_runner.ted_calls["run"] == len(our_picked)


def test_inputs_that_clash_with_node_names_are_refused_as_by_rasa(loaded_agent: LoadedAgent) -> None:
    runner = loaded_agent.agent.processor.graph_runner  # type: ignore[union-attr]
    node = next(iter(runner._graph_schema.nodes))
    for run in (graph_runner._rasa_run, graph_runner.run):
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            run(runner, inputs={"__tracker__": node}, targets=[node])
