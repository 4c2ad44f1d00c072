"""Rasa's graph run without dask's scheduler, and TED asked only when its answer can matter.

Rasa 3.6 runs each prediction (the NLU of a message, then every next action) through
`DaskGraphRunner.run`: it rebuilds the minimal schema and a dask graph for each call, lets
dask's scheduler order about ten nodes, and runs every policy, TED included (one TensorFlow
call, the largest cost of a turn), although `DefaultPolicyPredictionEnsemble` throws TED's
answer away whenever the rule or memoization policy is certain.

`run` here evaluates the same nodes (`GraphNode.__call__`, so hooks, errors and results are
Rasa's) in dependency order, each once, and, before the ensemble node, runs a `TEDPolicy` node
only if the other predictions leave TED a chance to win. TED cannot win when:

- TED was trained without end-to-end (text) features, so its prediction is never an
  end-to-end one and it adds no optional events; and no other prediction is end-to-end;
- the last action of the tracker was not rejected (the ensemble then zeroes that action in
  every prediction, which could make a certain prediction uncertain);
- another prediction is a "no user" one (loop happy path: only those are compared), or has a
  confidence of 1.0 from a policy of higher priority than TED's (TED's best is at most 1.0, and
  ties go to the higher priority).

Then TED's place in the ensemble gets a prediction with all confidences 0 (same policy name and
priority): `_pick_best_policy` returns exactly what it returns with TED's real answer, because
TED's answer is never picked and TED adds no mandatory events. In every other case TED runs.
`tests/patches/test_graph_runner.py` compares both runners over whole conversations.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

logger = logging.getLogger(__name__)

# Rasa's original (rasa_plugins.patches installs ours and keeps it as `_imp_rasa_run`).
_rasa_run = getattr(DaskGraphRunner, "_imp_rasa_run", DaskGraphRunner.run)

# How many TED predictions were skipped and run (read by tests and the profile script).
ted_calls = {"skipped": 0, "run": 0}


def run(
    self: DaskGraphRunner, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
) -> dict[str, Any]:
    """DaskGraphRunner.run: the same nodes and results, in a fixed order, TED when it can matter."""
    run_targets = list(targets) if targets else list(self._graph_schema.target_names)
    nodes = self._graph_schema.nodes
    results: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in nodes:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure "
                f"that none of the input names passed to the `run` method are the "
                f"same as node names in the graph schema."
            )
        results[name] = (name, value)
    try:
        outputs = [_evaluate(self, name, results) for name in run_targets]
    except RuntimeError as error:  # as DaskGraphRunner.run
        raise GraphRunError("Error running runner.") from error
    return dict(outputs)


def _evaluate(runner: DaskGraphRunner, name: str, results: dict[str, Any]) -> Any:
    """The node's `(name, output)` (each node once); a name that is no node is passed as is."""
    if name in results:
        return results[name]
    schema_node = runner._graph_schema.nodes.get(name)
    if schema_node is None:
        return name  # dask hands an unknown key to the node as the key itself
    node: GraphNode = runner._instantiated_nodes[name]
    needs = list(schema_node.needs.values())
    if _is_ensemble(node):
        arguments = _ensemble_arguments(runner, needs, results)
    else:
        arguments = [_evaluate(runner, need, results) for need in needs]
    results[name] = node(*arguments)
    return results[name]


def _ensemble_arguments(runner: DaskGraphRunner, needs: list[str], results: dict[str, Any]) -> list[Any]:
    """The ensemble's inputs: every other node first, then each TED node or its empty stand-in."""
    teds = [need for need in needs if _ted_of(runner, need) is not None]
    for need in needs:
        if need not in teds:
            _evaluate(runner, need, results)
    others = [_output(results.get(need)) for need in needs if need not in teds]
    tracker = next((value for value in others if isinstance(value, DialogueStateTracker)), None)
    predictions = [value for value in others if isinstance(value, PolicyPrediction)]
    for need in teds:
        if need in results:
            continue
        ted = _ted_of(runner, need)
        if ted is not None and _ted_cannot_win(ted, predictions, tracker):
            ted_calls["skipped"] += 1
            results[need] = (need, _empty_prediction(ted, predictions))
        else:
            ted_calls["run"] += 1
            _evaluate(runner, need, results)
    return [_evaluate(runner, need, results) for need in needs]


def _ted_cannot_win(
    ted: TEDPolicy, others: list[PolicyPrediction], tracker: DialogueStateTracker | None
) -> bool:
    """Whether the ensemble would pick another prediction whatever TED answered."""
    if tracker is None or not others or ted.model is None or TEXT in ted.fake_features:
        return False
    if any(prediction.is_end_to_end_prediction for prediction in others):
        return False
    last_action = next(
        (
            event
            for event in reversed(tracker.events)
            if isinstance(event, (ActionExecutionRejected, ActionExecuted))
        ),
        None,
    )
    if isinstance(last_action, ActionExecutionRejected):
        return False
    return any(
        prediction.is_no_user_prediction
        or (prediction.max_confidence >= 1.0 and prediction.policy_priority > ted.priority)
        for prediction in others
    )


def _empty_prediction(ted: TEDPolicy, others: list[PolicyPrediction]) -> PolicyPrediction:
    """TED's place in the ensemble: no confidence for any action, TED's name and priority."""
    size = len(others[0].probabilities)
    return PolicyPrediction([0.0] * size, type(ted).__name__, ted.priority)


def _ted_of(runner: DaskGraphRunner, name: str) -> TEDPolicy | None:
    """The loaded TED policy of a node that predicts with it, else None."""
    node = runner._instantiated_nodes.get(name)
    if node is None or node._fn_name != "predict_action_probabilities":
        return None
    component = node._component
    return component if isinstance(component, TEDPolicy) else None


def _is_ensemble(node: GraphNode) -> bool:
    """Whether the node combines the policies' predictions with Rasa's default ensemble."""
    return node._component_class is DefaultPolicyPredictionEnsemble


def _output(value: Any) -> Any:
    """A node's output from its `(name, output)` pair."""
    return value[1] if isinstance(value, tuple) and len(value) == 2 else None
