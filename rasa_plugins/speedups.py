"""Two per-turn costs of Rasa 3.6 that do not depend on the conversation, removed (not wired yet).

Measured with bench/profile_turns.py (py-spy, BENCHMARKS.md "Conversation benchmark"):

- `RemoteAction._validate_action_result` calls `jsonschema.validate` on every answer of the
  action server, which first validates Rasa's constant response schema against the
  Draft 2020-12 meta-schema (`check_schema`): about 40 % of a turn of the assistant. Here
  the validator is built once per schema and only the answer is validated, with the same
  errors (`best_match`, and the same message suffix) as Rasa's.
- `Event.resolve_by_type` walks every subclass of `Event` (with `inspect.isabstract`) for
  each event it deserialises (the window read each turn, the action server's events).
  Here the answer is remembered per type name; an unknown name still goes to Rasa's lookup.

`install()` (idempotent) patches both; nothing happens on import.
"""

from __future__ import annotations

from typing import Any

from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event

_rasa_validate_action_result = getattr(
    RemoteAction, "_imp_rasa_validate_action_result", RemoteAction._validate_action_result
)
_rasa_resolve_by_type = getattr(Event, "_imp_rasa_resolve_by_type", Event.resolve_by_type)
_validators: dict[type, Any] = {}
_event_types: dict[str, Any] = {}


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result without re-checking the constant schema each time."""
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for

    validator = _validators.get(type(self))
    if validator is None:
        schema = self.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        validator = _validators[type(self)] = cls(schema)
    if best_match(validator.iter_errors(result)) is None:
        return True
    return _rasa_validate_action_result(self, result)  # raises Rasa's own error and message


def _resolve_by_type(type_name: str, default: Any = None) -> Any:
    """Event.resolve_by_type, remembered per type name."""
    cls = _event_types.get(type_name)
    if cls is None:
        cls = _rasa_resolve_by_type(type_name, default)
        if cls is not None and cls is not default:
            _event_types[type_name] = cls
    return cls


def install() -> None:
    """Patch RemoteAction._validate_action_result and Event.resolve_by_type (idempotent)."""
    RemoteAction._imp_rasa_validate_action_result = _rasa_validate_action_result  # type: ignore[attr-defined]
    Event._imp_rasa_resolve_by_type = staticmethod(_rasa_resolve_by_type)  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]
