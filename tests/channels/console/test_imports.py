"""The console's modules import in any order, and depend on each other one way only (no cycle)."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from actions.core.settings import PROJECT_ROOT

PACKAGE = "rasa_plugins.channels.console"
MODULES = sorted(path.stem for path in (PROJECT_ROOT / "rasa_plugins" / "channels" / "console").glob("*.py"))


def console_imports(module: str) -> set[str]:
    """The console modules that `module` imports (at any level, TYPE_CHECKING blocks included)."""
    path = PROJECT_ROOT / "rasa_plugins" / "channels" / "console" / f"{module}.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE + "."):
            found.add(node.module.removeprefix(PACKAGE + ".").split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {
                a.name.removeprefix(PACKAGE + ".").split(".")[0]
                for a in node.names
                if a.name.startswith(PACKAGE + ".")
            }
    return found


def test_the_import_graph_has_no_cycle() -> None:
    graph = {module: console_imports(module) for module in MODULES}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " → ".join((*path, module))
        if module not in done:
            for imported in graph[module]:
                visit(imported, (*path, module))
            done.add(module)

    for module in MODULES:
        visit(module, ())
    assert graph["render"] == set()  # the bottom layer
    assert "channel" not in set().union(*graph.values())  # the top layer


@pytest.mark.parametrize("module", [m for m in MODULES if m != "__init__"])
def test_each_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    others = [m for m in MODULES if m not in ("__init__", module)]
    code = "; ".join(f"import {PACKAGE}.{name}" for name in [module, *reversed(others)])
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr


def test_credentials_name_the_console_channel() -> None:
    credentials = (PROJECT_ROOT / "credentials.yml").read_text(encoding="utf-8")
    assert f"{PACKAGE}.channel.StaffConsole:" in credentials
