"""Every Rasa attribute the project replaces at run time, in one list, installed from one place.

`PATCHES` names each replaced Rasa attribute, our replacement, why (one line), the Rasa version
it was verified with and the test that compares it with Rasa's original. Two kinds:

- `Kind.SPEED`: the same answers as Rasa's code, in less time (rasa_plugins/patches/speedups.py,
  graph_runner.py, tf_predict.py, gc_freeze.py; measured in BENCHMARKS.md);
- `Kind.FEATURE`: the assistant's behaviour (the handoff's quiet turns, the strict tracker
  store, the widget's session fix); turning it off would change what users get.

`install()` is the one entry point. `EnvSQLTrackerStore.__init__` (rasa_plugins/stores/tracker_store.py)
calls it: Rasa builds the tracker store named in endpoints.yml before it creates the agent and
loads the model, in `rasa run`, `rasa shell` and each Sanic worker, so every patch is in place
before it is used. Importing a plugin module (the tracker store, the lock store, the windowed
tracker) installs nothing. Scripts and tests that build an agent without that store call
`install()` themselves.

`install()` refuses (`UnverifiedRasaVersion`) on a Rasa version that an entry it would install
was not verified with. `IMP_RASA_PATCHES=off` (default `on`) leaves every speed patch out, so
Rasa's own code runs, to compare behaviour and speed with Rasa as shipped; the features stay,
so the assistant still stays quiet during a handoff and never loses a turn silently (and their
version is still checked). Entries applied `BY_SUBCLASS` are a project subclass that Rasa loads
from credentials.yml: `install()` leaves them (and Rasa's class) alone, whatever the switch.
`uninstall()` puts Rasa's originals back (tests, bench/profile_turns.py).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import rasa
from rasa.shared.exceptions import RasaException

SWITCH = "IMP_RASA_PATCHES"
# Where install() keeps Rasa's original on the patched class (the plugin modules read it there).
SAVED_PREFIX = "_imp_rasa_"


class Kind(str, Enum):
    """What a patch changes."""

    SPEED = "speed"  # Rasa's answers in less time; off with IMP_RASA_PATCHES=off
    FEATURE = "feature"  # the assistant's behaviour; always on


class Applied(str, Enum):
    """How a patch takes Rasa's place."""

    BY_INSTALL = "by_install"  # install() assigns the class attribute
    BY_SUBCLASS = "by_subclass"  # a project subclass Rasa loads from credentials.yml overrides it


@dataclass(frozen=True)
class Patch:
    """One Rasa attribute replaced by the project, and how it was checked."""

    target: str  # the Rasa attribute replaced: "module.Class.attribute"
    replacement: str  # ours: "module.function" or "module.Class.attribute"
    name: str  # short name, shared by the entries of one change (bench/profile_turns.py --without)
    kind: Kind
    why: str
    verified: str  # the Rasa version the test below passed with
    test: str  # pytest node id of the test that compares it with Rasa's original
    applied: Applied = Applied.BY_INSTALL


PATCHES: tuple[Patch, ...] = (
    Patch(
        target="rasa.engine.runner.dask.DaskGraphRunner.run",
        replacement="rasa_plugins.patches.graph_runner.run",
        name="graph_runner",
        kind=Kind.SPEED,
        why="A dask graph per prediction, TED always run; ours: the same nodes, TED only when it can win.",
        verified="3.6.21",
        test="tests/patches/test_graph_runner.py::test_the_assistant_predicts_the_same_as_with_rasas_runner",
    ),
    Patch(
        target="rasa.utils.tensorflow.models.RasaModel._rasa_predict",
        replacement="rasa_plugins.patches.tf_predict._predict",
        name="tf_predict",
        kind=Kind.SPEED,
        why="tf.function re-checks each input array per call; ours calls ConcreteFunction._call_flat.",
        verified="3.6.21",
        test="tests/patches/test_tf_predict.py::test_ted_gives_the_same_outputs_as_through_rasas_call",
    ),
    Patch(
        target="rasa.core.agent.Agent.load_model",
        replacement="rasa_plugins.patches.gc_freeze._load_model",
        name="gc_freeze",
        kind=Kind.SPEED,
        why="Full collections walk the model's 800,000 objects; ours loads as Rasa does, then gc.freeze().",
        verified="3.6.21",
        test="tests/patches/test_gc_freeze.py::test_a_loaded_model_is_frozen_and_a_replaced_one_collected",
    ),
    Patch(
        target="rasa.core.actions.action.RemoteAction._validate_action_result",
        replacement="rasa_plugins.patches.speedups._validate_action_result",
        name="validate",
        kind=Kind.SPEED,
        why="jsonschema re-checks Rasa's constant schema per action answer; ours builds the validator once.",
        verified="3.6.21",
        test="tests/patches/test_speedups.py::test_invalid_answers_fail_with_rasas_error",
    ),
    Patch(
        target="rasa.shared.core.events.Event.resolve_by_type",
        replacement="rasa_plugins.patches.speedups._resolve_by_type",
        name="resolve_by_type",
        kind=Kind.SPEED,
        why="Rasa walks every Event subclass per event it reads; ours remembers the class per type name.",
        verified="3.6.21",
        test="tests/patches/test_speedups.py::test_event_types_resolve_as_in_rasa",
    ),
    Patch(
        target="rasa.utils.endpoints.EndpointConfig.request",
        replacement="rasa_plugins.patches.speedups._request",
        name="session",
        kind=Kind.SPEED,
        why="Rasa opens a new HTTP session per action call; ours keeps one per endpoint and event loop.",
        verified="3.6.21",
        test="tests/patches/test_speedups.py::test_action_calls_give_rasas_events_and_errors_on_one_connection",
    ),
    Patch(
        target="rasa.utils.endpoints.EndpointConfig.session",
        replacement="rasa_plugins.patches.speedups._session",
        name="session",
        kind=Kind.SPEED,
        why="Inside request, hands Rasa's code the endpoint's kept session; elsewhere Rasa's new one.",
        verified="3.6.21",
        test="tests/patches/test_speedups.py::test_a_session_outside_request_is_rasas_own",
    ),
    Patch(
        target="rasa.shared.core.trackers.DialogueStateTracker.past_states",
        replacement="rasa_plugins.patches.speedups._past_states",
        name="past_states",
        kind=Kind.SPEED,
        why="Each policy replays the tracker into states per prediction; ours computes them once per events.",
        verified="3.6.21",
        test="tests/patches/test_speedups.py::test_past_states_are_rasas_and_computed_once_per_tracker_and_events",
    ),
    Patch(
        target="rasa.core.processor.MessageProcessor.handle_message",
        replacement="rasa_plugins.patches.handoff._handle_message",
        name="handoff",
        kind=Kind.FEATURE,
        why="While a person has the conversation the message is only logged: no prediction, no reply.",
        verified="3.6.21",
        test="tests/patches/test_handoff_plugin.py::test_the_assistant_answers_unless_a_person_has_the_conversation",
    ),
    Patch(
        target="rasa.core.agent.Agent.handle_message",
        replacement="rasa_plugins.stores.tracker_store._handle_message",
        name="strict_store",
        kind=Kind.FEATURE,
        why="A turn the database or lock store refused is answered 'try again' instead of failing.",
        verified="3.6.21",
        test="tests/stores/test_tracker_store.py::test_a_turn_that_cannot_be_stored_is_answered_try_again",
    ),
    Patch(
        target="rasa.core.agent.Agent._create_tracker_store",
        replacement="rasa_plugins.stores.tracker_store._create_tracker_store",
        name="strict_store",
        kind=Kind.FEATURE,
        why="EnvSQLTrackerStore gets StrictTrackerStore, not the fail-safe wrapper's silent memory fallback.",
        verified="3.6.21",
        test="tests/stores/test_tracker_store.py::test_agent_wraps_our_store_without_memory_fallback",
    ),
    Patch(
        target="rasa.core.channels.socketio.SocketIOInput.blueprint",
        replacement="rasa_plugins.channels.widget.WidgetSocketIO.blueprint",
        name="widget_session",
        kind=Kind.FEATURE,
        why=(
            "session_request: Rasa never awaits enter_room (a coroutine since python-socketio 5.10); we do."
            " Our AsyncServer also shares its events through Redis (IMP_SOCKETIO_MESSAGE_QUEUE)."
        ),
        verified="3.6.21",
        test="tests/browser/test_widget_channel.py::test_session_request_awaits_enter_room_and_confirms_the_id",
        applied=Applied.BY_SUBCLASS,
    ),
)

_installed = False  # whether install() ran (and uninstall() did not since)


class PatchError(RasaException):
    """A patch names a Rasa attribute or a replacement that does not exist."""


class UnverifiedRasaVersion(RasaException):
    """The installed Rasa is not the version the patches were verified with."""


def installed_rasa_version() -> str:
    """The version of the Rasa this process imported."""
    return str(rasa.__version__)


def speed_patches_on() -> bool:
    """Whether IMP_RASA_PATCHES lets the speed patches in (`on`, the default, or `off`)."""
    value = os.environ.get(SWITCH, "").strip().lower()
    if value in ("", "on"):
        return True
    if value == "off":
        return False
    raise PatchError(f"{SWITCH} must be 'on' or 'off', not {value!r}.")


def entries(names: Iterable[str] | None = None, kind: Kind | None = None) -> list[Patch]:
    """The registry's entries with these names (all by default) and of this kind (any by default)."""
    wanted = None if names is None else set(names)
    unknown = (wanted or set()) - {patch.name for patch in PATCHES}
    if unknown:
        raise PatchError(f"No patch is named {', '.join(sorted(unknown))}.")
    return [
        patch
        for patch in PATCHES
        if (wanted is None or patch.name in wanted) and (kind is None or patch.kind is kind)
    ]


def to_install(speed_on: bool) -> list[Patch]:
    """The entries install() assigns: the features, and the speed patches when the switch is on."""
    return [
        patch
        for patch in PATCHES
        if patch.applied is Applied.BY_INSTALL and (speed_on or patch.kind is Kind.FEATURE)
    ]


def check_version(selected: Iterable[Patch], installed: str) -> None:
    """Raise UnverifiedRasaVersion if a patch was verified with another Rasa than `installed`."""
    unverified = [patch for patch in selected if patch.verified != installed]
    if not unverified:
        return
    verified = ", ".join(sorted({patch.verified for patch in unverified}))
    names = ", ".join(dict.fromkeys(patch.name for patch in unverified))
    features = ", ".join(dict.fromkeys(patch.name for patch in to_install(speed_on=False)))
    raise UnverifiedRasaVersion(
        f"Rasa {installed} is installed, but the patches of rasa_plugins/patches/__init__.py ({names}) were "
        f"verified with Rasa {verified} only. Install Rasa {verified} (constraints.txt), or run each "
        f"patch's test with Rasa {installed} and update its `verified`. {SWITCH}=off leaves the speed "
        f"patches out (Rasa's own code), but not the features ({features}), whose version is checked too."
    )


def owner_and_attribute(patch: Patch) -> tuple[type, str]:
    """The Rasa class that holds the patched attribute, and the attribute's name."""
    owner = _resolve(patch.target.rsplit(".", 1)[0])
    attribute = patch.target.rsplit(".", 1)[1]
    if not isinstance(owner, type) or attribute not in owner.__dict__:
        raise PatchError(f"{patch.target} does not exist in Rasa {installed_rasa_version()}.")
    return owner, attribute


def original(patch: Patch) -> Any:
    """Rasa's own attribute, as stored in its class (a staticmethod stays one)."""
    owner, attribute = owner_and_attribute(patch)
    return owner.__dict__.get(SAVED_PREFIX + attribute, owner.__dict__[attribute])


def replacement(patch: Patch) -> Any:
    """Our replacement, as stored in the class (a staticmethod where Rasa's is one)."""
    ours = _resolve(patch.replacement)
    return staticmethod(ours) if isinstance(original(patch), staticmethod) else ours


def is_installed(patch: Patch) -> bool:
    """Whether the class holds our replacement now."""
    owner, attribute = owner_and_attribute(patch)
    current = owner.__dict__[attribute]
    current = current.__func__ if isinstance(current, staticmethod) else current
    return current is _resolve(patch.replacement)


def install() -> None:
    """Put the patches the switch selects in place, once per process (later calls do nothing)."""
    global _installed
    if _installed:
        return
    selected = to_install(speed_patches_on())
    check_version(selected, installed_rasa_version())
    for patch in selected:
        _assign(patch)
    _installed = True


def uninstall(names: Iterable[str] | None = None) -> None:
    """Put Rasa's originals back for the named entries (all by default)."""
    global _installed
    for patch in entries(names):
        if patch.applied is Applied.BY_INSTALL:
            _restore(patch)
    if names is None:
        _installed = False


def _assign(patch: Patch) -> None:
    """Our replacement in the class, Rasa's original kept beside it (idempotent)."""
    owner, attribute = owner_and_attribute(patch)
    ours = replacement(patch)
    if SAVED_PREFIX + attribute not in owner.__dict__:
        setattr(owner, SAVED_PREFIX + attribute, owner.__dict__[attribute])
    setattr(owner, attribute, ours)


def _restore(patch: Patch) -> None:
    """Rasa's original back in the class, exactly the object it held."""
    owner, attribute = owner_and_attribute(patch)
    if SAVED_PREFIX + attribute in owner.__dict__:
        setattr(owner, attribute, owner.__dict__[SAVED_PREFIX + attribute])
        delattr(owner, SAVED_PREFIX + attribute)


def _resolve(path: str) -> Any:
    """The object at a dotted path "module.name[.attribute…]"; PatchError if there is none."""
    # Never an ImportError or AttributeError out of here: Rasa would take it, raised while it
    # builds the tracker store, for a class it cannot find and quietly use an in-memory store.
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:split])
        try:
            value: Any = importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name is not None and module.startswith(error.name):
                continue  # no such module: the path's last parts are attributes
            raise PatchError(f"{path} cannot be imported: {error}") from error
        try:
            for part in parts[split:]:
                value = value.__dict__[part] if isinstance(value, type) else getattr(value, part)
        except (AttributeError, KeyError):
            break
        return value.__func__ if isinstance(value, staticmethod) else value
    raise PatchError(f"{path} does not exist (Rasa {installed_rasa_version()}).")
