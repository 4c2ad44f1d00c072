"""Per-turn costs of Rasa 3.6 that do not depend on the conversation, removed with the same results.

Installed by `rasa_plugins.patches.install()` (the registry of every Rasa attribute the project
replaces; `IMP_RASA_PATCHES=off` leaves them out). Each was found and measured with
bench/profile_turns.py (py-spy; BENCHMARKS.md "Conversation benchmark"):

- `RemoteAction._validate_action_result` calls `jsonschema.validate` on every answer of the
  action server, which first validates Rasa's constant response schema against the Draft
  2020-12 meta-schema (`check_schema`): about 40 % of a turn of the assistant. Here the
  validator is built once per schema and only the answer is validated, each event against the
  branch of the event schema's `oneOf` for its type (the others cannot match); an invalid
  answer still goes through Rasa's own code, so the error and its message are Rasa's.
- `Event.resolve_by_type` walks every subclass of `Event` (with `inspect.isabstract`) for each
  event it deserialises (the window read each turn, the action server's events). Here the
  answer is remembered per type name; an unknown name still goes to Rasa's lookup.
- `EndpointConfig.request` opens a new `aiohttp.ClientSession`, so a new TCP connection, for
  every call to the action server (2-4 per turn). Here each endpoint keeps one session per event
  loop (no cookies kept, no connection limit, idle connections closed after 2 s: before the
  5 s of Sanic's keep-alive, so the server never closes one under a request). Rasa's `request`
  still does everything else (headers, token, SSL, compression, errors). The session is closed
  when its event loop shuts its async generators down (`asyncio.run`, Sanic's workers). Its
  JSON (the tracker, 6.9 % of a turn in json.dumps) is encoded by ujson (a Rasa dependency).
- Each policy (memoization, rules, TED) replays the tracker's events into dialogue states for
  every prediction, the rule policy twice. `DialogueStateTracker.past_states` here remembers
  its last answer per argument set on the tracker itself and returns a copy while the tracker
  holds the same event objects; training trackers (`TrackerWithCachedStates`) are left alone.

The registry installs them with `rasa_plugins.patches.graph_runner` (the prediction graph without
dask's scheduler, TED only when it can matter), `rasa_plugins.patches.tf_predict` (TED's
graph without tf.function's per-call input checks) and `rasa_plugins.patches.gc_freeze` (the loaded
model out of the garbage collector's full collections); nothing happens on import.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import weakref
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import ujson
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import Event
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

# Rasa's originals (rasa_plugins.patches keeps them as `_imp_rasa_*` once installed).
_rasa_validate_action_result = getattr(
    RemoteAction, "_imp_rasa_validate_action_result", RemoteAction._validate_action_result
)
_rasa_resolve_by_type = getattr(Event, "_imp_rasa_resolve_by_type", Event.resolve_by_type)
_rasa_request = getattr(EndpointConfig, "_imp_rasa_request", EndpointConfig.request)
_rasa_session = getattr(EndpointConfig, "_imp_rasa_session", EndpointConfig.session)
_rasa_past_states = getattr(DialogueStateTracker, "_imp_rasa_past_states", DialogueStateTracker.past_states)

_validators: dict[type, Any] = {}
_event_types: dict[str, Any] = {}

# Seconds an idle connection to the action server is kept (Sanic closes them after 5).
KEEPALIVE_SECONDS = 2.0
_KEPT = "_imp_kept_session"
_STATES = "_imp_past_states"
# The session `EndpointConfig.session()` hands to the `request` being run, with its endpoint.
_session_for_request: contextvars.ContextVar[tuple[EndpointConfig, aiohttp.ClientSession] | None] = (
    contextvars.ContextVar("imp_session_for_request", default=None)
)


# --- action server answers ----------------------------------------------------------------------


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result without re-checking the constant schema each time."""
    validator = _validators.get(type(self))
    if validator is None:
        validator = _validators[type(self)] = _AnswerValidator(self.action_response_format_spec())
    if validator.is_valid(result):
        return True
    return _rasa_validate_action_result(self, result)  # raises Rasa's own error and message


class _AnswerValidator:
    """Rasa's answer schema, checked with each event validated only against its own type's branch.

    Rasa's event schema is a `oneOf` of 23 branches, each pinning `event` to a different
    constant, so an event (an object whose `event` is a string, as the schema requires) can
    only match the branch of its own type: checking the shared part and that one branch gives
    the same verdict as the `oneOf`, without trying the 22 others. Any other schema shape is
    checked whole, as before.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        from jsonschema.validators import validator_for

        self.cls = validator_for(schema)
        self.cls.check_schema(schema)
        self.whole = self.cls(schema)
        self.outer: Any = None
        self.by_type: dict[str, Any] = {}
        events = schema.get("properties", {}).get("events", {})
        item = events.get("items") if set(events) == {"type", "items"} and events["type"] == "array" else None
        branches = item.get("oneOf") if isinstance(item, dict) else None
        if not branches or item.get("type") != "object" or "event" not in item.get("required", []):
            return
        shared = {key: value for key, value in item.items() if key != "oneOf"}
        for branch in branches:
            const = branch.get("properties", {}).get("event", {}).get("const")
            if not isinstance(const, str) or const in self.by_type:
                self.by_type = {}
                return
            self.by_type[const] = self.cls({"allOf": [shared, branch]})
        outer = {**schema, "properties": {**schema["properties"], "events": {"type": "array"}}}
        self.outer = self.cls(outer)

    def is_valid(self, result: Any) -> bool:
        """Whether the answer is valid against the whole schema."""
        if not self.by_type:
            return bool(self.whole.is_valid(result))
        if not self.outer.is_valid(result):
            return False
        for event in result.get("events", []) if isinstance(result, dict) else []:
            kind = event.get("event") if isinstance(event, dict) else None
            branch = self.by_type.get(kind) if isinstance(kind, str) else None
            if branch is None or not branch.is_valid(event):
                return False
        return True


def _resolve_by_type(type_name: str, default: Any = None) -> Any:
    """Event.resolve_by_type, remembered per type name."""
    cls = _event_types.get(type_name)
    if cls is None:
        cls = _rasa_resolve_by_type(type_name, default)
        if cls is not None and cls is not default:
            _event_types[type_name] = cls
    return cls


# --- one HTTP session per endpoint ----------------------------------------------------------------


class _KeptSession:
    """What `EndpointConfig.session()` returns inside `request`: the kept session, left open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc_info: object) -> None:
        return None


async def _closed_with_loop(session: aiohttp.ClientSession) -> AsyncIterator[aiohttp.ClientSession]:
    """Yields the session; the loop closes it when it shuts its async generators down."""
    try:
        yield session
    finally:
        await session.close()


def _new_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """A session configured as Rasa's `EndpointConfig.session()`, for reuse."""
    auth = (
        aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
        if endpoint.basic_auth
        else None
    )
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_SECONDS),
        cookie_jar=aiohttp.DummyCookieJar(),
        json_serialize=_dumps,
    )


def _dumps(value: Any) -> str:
    """The request's JSON (the whole tracker) by ujson: 2.5x faster than json, the same JSON values."""
    return str(ujson.dumps(value, escape_forward_slashes=False))


async def kept_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """The endpoint's session for the running event loop (made on first use)."""
    loop = asyncio.get_running_loop()
    kept = endpoint.__dict__.get(_KEPT)
    if kept is not None and kept[0] is loop and not kept[1].closed:
        return kept[1]
    session = _new_session(endpoint)
    closer = _closed_with_loop(session)
    await closer.__anext__()  # registered with the loop, which closes it at shutdown
    # (no await in between: two first requests at once cannot both get here)
    endpoint.__dict__[_KEPT] = (loop, session, closer)
    return session


async def _request(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
    """EndpointConfig.request on the endpoint's kept session."""
    token = _session_for_request.set((self, await kept_session(self)))
    try:
        return await _rasa_request(self, *args, **kwargs)
    finally:
        _session_for_request.reset(token)


def _session(self: EndpointConfig) -> Any:
    """EndpointConfig.session: the kept session inside `request`, a new one elsewhere."""
    current = _session_for_request.get()
    if current is not None and current[0] is self and not current[1].closed:
        return _KeptSession(current[1])
    return _rasa_session(self)


# --- dialogue states once per tracker -----------------------------------------------------------


def _past_states(
    self: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """DialogueStateTracker.past_states, computed once while the tracker's events stay the same."""
    if isinstance(self, TrackerWithCachedStates):  # training: it has its own cache
        return _rasa_past_states(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    events = list(self.events)
    cache: _StatesCache | None = self.__dict__.get(_STATES)
    if cache is None or not cache.holds(domain, events):
        cache = self.__dict__[_STATES] = _StatesCache(domain, events)
    arguments = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    for known, states in cache.entries:
        if known == arguments:
            return _copy(states)
    states = _rasa_past_states(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    known = (omit_unset_slots, ignore_rule_only_turns, copy.deepcopy(rule_only_data))
    cache.entries.append((known, _copy(states)))
    del cache.entries[:-_STATES_KEPT]
    return states


_STATES_KEPT = 4  # argument sets remembered per tracker (the policies use two)


class _StatesCache:
    """A tracker's past states per argument set, for one domain and one list of event objects."""

    def __init__(self, domain: Domain, events: list[Event]) -> None:
        self.domain = weakref.ref(domain)
        self.events = events
        self.entries: list[tuple[tuple[Any, ...], list[State]]] = []

    def holds(self, domain: Domain, events: list[Event]) -> bool:
        """Whether it was made for this domain and these very event objects."""
        return (
            self.domain() is domain
            and len(self.events) == len(events)
            and all(a is b for a, b in zip(self.events, events, strict=True))
        )


def _copy(states: list[State]) -> list[State]:
    """A copy that callers may change (sub-state values are strings, numbers and tuples)."""
    return [{name: dict(sub) for name, sub in state.items()} for state in states]
