"""The core stays framework-free: no rasa or rasa_sdk import anywhere under actions/core/."""

from __future__ import annotations

import ast

import pytest

from actions.core.settings import PROJECT_ROOT

CORE_MODULES = sorted((PROJECT_ROOT / "actions" / "core").glob("*.py"))


@pytest.mark.parametrize("path", CORE_MODULES, ids=lambda p: p.name)
def test_core_module_imports_no_framework(path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"rasa", "rasa_sdk", "sanic", "spacy"}, path.name


def test_there_is_a_core() -> None:
    assert len(CORE_MODULES) >= 8
