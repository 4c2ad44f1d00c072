"""rasa_plugins.speedups: the same answers as Rasa's code, without its per-call overheads."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from rasa_plugins import speedups


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", speedups._validate_action_result)
    monkeypatch.setattr(Event, "resolve_by_type", staticmethod(speedups._resolve_by_type))


def remote_action() -> RemoteAction:
    return RemoteAction("action_answer_fact", None)


def test_valid_answers_pass_without_checking_the_schema_each_time(
    installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    action = remote_action()
    answer = {"events": [{"event": "slot", "name": "language", "value": "fr"}], "responses": [{"text": "hi"}]}
    assert action._validate_action_result(answer) is True
    checks = []
    import jsonschema.validators

    original = jsonschema.validators.Draft202012Validator.check_schema
    monkeypatch.setattr(
        jsonschema.validators.Draft202012Validator,
        "check_schema",
        classmethod(lambda cls, schema: checks.append(1) or original(schema)),
    )
    for _ in range(5):
        assert action._validate_action_result(answer) is True
    assert checks == []


@pytest.mark.parametrize(
    "answer",
    [
        {"events": "not a list"},
        {"events": [{"no_event_key": 1}]},
        {"events": [{"event": "slot", "name": "language", "timestamp": "noon"}]},
    ],
)
def test_invalid_answers_fail_with_rasas_error(installed: None, answer: dict) -> None:
    with pytest.raises(ValidationError) as ours:
        remote_action()._validate_action_result(answer)
    with pytest.raises(ValidationError) as rasas:
        speedups._rasa_validate_action_result(remote_action(), answer)
    assert ours.value.message == rasas.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_event_types_resolve_as_in_rasa(installed: None) -> None:
    for cls in all_subclasses(Event):
        if getattr(cls, "type_name", None):
            assert Event.resolve_by_type(cls.type_name) is speedups._rasa_resolve_by_type(cls.type_name)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no such event")


def test_install_is_idempotent() -> None:
    before = (RemoteAction._validate_action_result, Event.resolve_by_type)
    try:
        speedups.install()
        speedups.install()
        assert RemoteAction._validate_action_result is speedups._validate_action_result
        assert speedups._rasa_validate_action_result is not speedups._validate_action_result
    finally:
        RemoteAction._validate_action_result = before[0]
        Event.resolve_by_type = staticmethod(speedups._rasa_resolve_by_type)
