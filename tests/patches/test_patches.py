"""rasa_plugins.patches: one registry of Rasa's replaced attributes, installed and undone in one place."""

from __future__ import annotations

import ast
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rasa

from actions.core.settings import PROJECT_ROOT
from rasa_plugins import patches
from rasa_plugins.patches import Applied, Kind, Patch
from tests.assistant import free_port

ASSIGNED = [patch for patch in patches.PATCHES if patch.applied is Applied.BY_INSTALL]
MISSING = object()


def held(patch: Patch) -> tuple[Any, Any]:
    """What the patched class holds now: the attribute and the saved original (MISSING if none)."""
    owner, attribute = patches.owner_and_attribute(patch)
    return owner.__dict__[attribute], owner.__dict__.get(patches.SAVED_PREFIX + attribute, MISSING)


@pytest.fixture(autouse=True)
def as_before() -> Iterator[None]:
    """Each test leaves Rasa's classes and the registry exactly as it found them."""
    before = {patch.target: held(patch) for patch in ASSIGNED}
    installed = patches._installed
    yield
    for patch in ASSIGNED:
        owner, attribute = patches.owner_and_attribute(patch)
        current, saved = before[patch.target]
        setattr(owner, attribute, current)
        if saved is not MISSING:
            setattr(owner, patches.SAVED_PREFIX + attribute, saved)
        elif patches.SAVED_PREFIX + attribute in owner.__dict__:
            delattr(owner, patches.SAVED_PREFIX + attribute)
    patches._installed = installed


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Rasa as shipped (every original back, the switch unset): each target's original object."""
    monkeypatch.delenv(patches.SWITCH, raising=False)
    patches.uninstall()
    return {patch.target: held(patch)[0] for patch in ASSIGNED}


def unwrapped(value: Any) -> Any:
    """A staticmethod's function, anything else as is."""
    return value.__func__ if isinstance(value, staticmethod) else value


# --- the registry ----------------------------------------------------------------------------------


def test_the_registry_lists_the_twelve_replaced_attributes_once_each() -> None:
    targets = [patch.target for patch in patches.PATCHES]
    assert len(targets) == len(set(targets)) == 12
    assert {patch.name for patch in patches.entries(kind=Kind.FEATURE)} == {
        "handoff",
        "strict_store",
        "widget_session",
    }
    for patch in patches.PATCHES:
        assert patch.why and "\n" not in patch.why and patch.why.endswith("."), patch.target
        assert patch.target.startswith("rasa.") and patch.replacement.startswith("rasa_plugins.")


@pytest.mark.parametrize("patch", patches.PATCHES, ids=lambda patch: patch.target.rsplit(".", 2)[-2])
def test_each_entry_names_an_attribute_of_the_installed_rasa_and_our_replacement(patch: Patch) -> None:
    owner, attribute = patches.owner_and_attribute(patch)
    assert owner.__module__.startswith("rasa.") and attribute in owner.__dict__
    ours = patches._resolve(patch.replacement)
    assert callable(ours) and ours is not unwrapped(patches.original(patch))
    if patch.applied is Applied.BY_SUBCLASS:
        subclass = patches._resolve(patch.replacement.rsplit(".", 1)[0])
        assert issubclass(subclass, owner) and attribute in subclass.__dict__
    assert patch.verified == rasa.__version__ == "3.6.21"


@pytest.mark.parametrize("patch", patches.PATCHES, ids=lambda patch: patch.target.rsplit(".", 2)[-2])
def test_each_entrys_comparison_test_exists(patch: Patch) -> None:
    path, name = patch.test.split("::")
    source = PROJECT_ROOT / path
    assert source.is_file() and path.startswith("tests/"), patch.test
    tree = ast.parse(source.read_text())
    tests = {
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")
    }
    assert name in tests, patch.test


def test_an_unknown_name_is_refused() -> None:
    with pytest.raises(patches.PatchError, match="speedy"):
        patches.entries(["session", "speedy"])


# --- install and uninstall ---------------------------------------------------------------------------


def test_install_then_uninstall_restores_the_exact_originals(shipped: dict[str, Any]) -> None:
    patches.install()
    for patch in ASSIGNED:
        current, saved = held(patch)
        assert patches.is_installed(patch), patch.target
        assert saved is shipped[patch.target]  # Rasa's very object, kept beside ours
        assert isinstance(current, staticmethod) == isinstance(saved, staticmethod)
    installed = {patch.target: held(patch) for patch in ASSIGNED}
    patches.install()  # once per process: nothing changes
    assert {patch.target: held(patch) for patch in ASSIGNED} == installed
    patches.uninstall()
    for patch in ASSIGNED:
        assert held(patch) == (shipped[patch.target], MISSING), patch.target
        assert not patches.is_installed(patch)


def test_the_plugin_modules_call_rasas_originals(shipped: dict[str, Any]) -> None:
    from rasa_plugins.patches import gc_freeze, graph_runner, handoff, speedups, tf_predict
    from rasa_plugins.stores import tracker_store

    patches.install()
    kept = {patch.target.rsplit(".", 1)[1]: unwrapped(held(patch)[1]) for patch in ASSIGNED}
    assert graph_runner._rasa_run is kept["run"]
    assert tf_predict._rasa_predict is kept["_rasa_predict"]
    assert gc_freeze._rasa_load_model is kept["load_model"]
    assert speedups._rasa_validate_action_result is kept["_validate_action_result"]
    assert speedups._rasa_resolve_by_type is kept["resolve_by_type"]
    assert speedups._rasa_request is kept["request"]
    assert speedups._rasa_session is kept["session"]
    assert speedups._rasa_past_states is kept["past_states"]
    assert tracker_store._rasa_create_tracker_store is kept["_create_tracker_store"]
    processor = next(patch for patch in ASSIGNED if patch.name == "handoff")
    agent = next(patch for patch in ASSIGNED if patch.target.endswith("Agent.handle_message"))
    assert handoff._rasa_handle_message is unwrapped(held(processor)[1])
    assert tracker_store._rasa_handle_message is unwrapped(held(agent)[1])


def test_uninstall_by_name_restores_only_those(shipped: dict[str, Any]) -> None:
    patches.install()
    patches.uninstall(["session", "gc_freeze"])
    for patch in ASSIGNED:
        restored = patch.name in ("session", "gc_freeze")
        assert patches.is_installed(patch) is not restored, patch.target
        assert (held(patch)[0] is shipped[patch.target]) is restored


def test_subclass_entries_leave_rasas_class_alone(shipped: dict[str, Any]) -> None:
    from rasa.core.channels.socketio import SocketIOInput

    blueprint = SocketIOInput.__dict__["blueprint"]
    patches.install()
    assert SocketIOInput.__dict__["blueprint"] is blueprint
    assert not hasattr(SocketIOInput, patches.SAVED_PREFIX + "blueprint")


# --- the version check and the switch ----------------------------------------------------------------


@pytest.mark.parametrize("switch", ["on", "off"])
def test_an_unverified_rasa_version_is_refused_naming_both_versions_and_the_switch(
    shipped: dict[str, Any], monkeypatch: pytest.MonkeyPatch, switch: str
) -> None:
    monkeypatch.setenv(patches.SWITCH, switch)
    monkeypatch.setattr(rasa, "__version__", "3.6.22")
    with pytest.raises(patches.UnverifiedRasaVersion) as refused:
        patches.install()
    message = str(refused.value)
    assert "Rasa 3.6.22 is installed" in message and "verified with Rasa 3.6.21" in message
    assert "IMP_RASA_PATCHES=off" in message and "handoff" in message
    assert ("graph_runner" in message) is (switch == "on")  # only what it would have installed
    assert all(held(patch) == (shipped[patch.target], MISSING) for patch in ASSIGNED)  # nothing patched
    assert patches._installed is False


def test_switch_off_leaves_rasas_code_in_place_and_keeps_the_features(
    shipped: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(patches.SWITCH, "off")
    patches.install()
    for patch in ASSIGNED:
        if patch.kind is Kind.SPEED:
            assert held(patch) == (shipped[patch.target], MISSING), patch.target
        else:
            assert patches.is_installed(patch), patch.target  # quiet during a handoff, strict store


def test_switch_on_is_the_default_and_an_odd_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(patches.SWITCH, raising=False)
    assert patches.speed_patches_on()
    monkeypatch.setenv(patches.SWITCH, " ON ")
    assert patches.speed_patches_on()
    monkeypatch.setenv(patches.SWITCH, "no")
    with pytest.raises(patches.PatchError, match="IMP_RASA_PATCHES must be 'on' or 'off'"):
        patches.speed_patches_on()


# --- where install happens ----------------------------------------------------------------------------

WIRING = """
import sys
from rasa_plugins import patches
installed = lambda: sorted(patch.name for patch in patches.PATCHES if patch.applied.value == "by_install"
                           and patches.is_installed(patch))
import rasa_plugins.stores.lock_store, rasa_plugins.stores.windowed_tracker, rasa_plugins.stores.tracker_store
import rasa_plugins.patches.handoff, rasa_plugins.patches.speedups, rasa_plugins.channels.widget
print(installed())
rasa_plugins.stores.tracker_store.EnvSQLTrackerStore(host=sys.argv[1])
print(installed())
"""


@pytest.mark.parametrize("switch", ["on", "off"])
def test_importing_the_plugins_installs_nothing_and_building_the_store_installs_everything(
    tmp_path: Path, switch: str
) -> None:
    """Rasa builds the tracker store named in endpoints.yml before the agent: that installs them."""
    result = subprocess.run(
        [sys.executable, "-c", WIRING, f"sqlite:///{tmp_path / 'wiring.db'}"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "IMP_RASA_PATCHES": switch},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    after_imports, after_store = result.stdout.strip().splitlines()[-2:]
    assert after_imports == "[]"
    expected = [patch for patch in ASSIGNED if switch == "on" or patch.kind is Kind.FEATURE]
    assert after_store == str(sorted(patch.name for patch in expected))


@pytest.mark.e2e
def test_rasa_run_refuses_to_start_on_an_unverified_rasa_version(tmp_path: Path) -> None:
    """The refusal stops `rasa run` with the message (not Rasa's silent in-memory store fallback)."""
    # The Rasa server builds the tracker store before it loads the model: no model is needed.
    (tmp_path / "sitecustomize.py").write_text("import rasa\n\nrasa.__version__ = '3.6.99'\n")
    (tmp_path / "credentials.yml").write_text("rest:\n")
    log = tmp_path / "rasa.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [
                *(str(PROJECT_ROOT / ".venv" / "bin" / "rasa"), "run", "--model", "models"),
                *("--endpoints", "endpoints.yml", "--credentials", str(tmp_path / "credentials.yml")),
                *("--port", str(free_port())),
            ],
            cwd=PROJECT_ROOT,
            env={
                **os.environ,
                "PYTHONPATH": f"{tmp_path}:{PROJECT_ROOT}",
                "RASA_TELEMETRY_ENABLED": "false",
                "IMP_ACTION_ENDPOINT": "http://127.0.0.1:9/webhook",
                "IMP_DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}",
                "IMP_RASA_PATCHES": "off",
            },
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        assert process.wait(timeout=120) != 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    text = " ".join(log.read_text(errors="replace").split())
    assert "Rasa 3.6.99 is installed, but the patches of rasa_plugins/patches/__init__.py" in text
    assert "verified with Rasa 3.6.21 only" in text and "IMP_RASA_PATCHES=off" in text
    assert not (tmp_path / "never.db").exists()  # refused before anything was touched
