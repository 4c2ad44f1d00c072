"""The README's "Architecture" section matches the folders, and the import rules it states hold."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.core.settings import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
TOP_FOLDERS = ("rasa_plugins", "actions", "tests")
# tests/ mirrors rasa_plugins/ folder for folder, except rasa_plugins/nlu: tests/nlu holds the
# held-out NLU data, so the NLU components are tested in tests/nlu_components.
MIRROR_RENAMES = {"nlu": "nlu_components"}


def architecture_section() -> str:
    """The README's text from "## Architecture" to the next second-level heading."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Architecture\n(.*?)(?=^## )", text, flags=re.MULTILINE | re.DOTALL)
    assert match, 'README.md has no "## Architecture" section'
    return match.group(1)


def folders_named_in_readme() -> set[str]:
    """Every folder under rasa_plugins/, actions/ or tests/ the section names, as "a/b"."""
    pattern = rf"(?<![\w/.])((?:{'|'.join(TOP_FOLDERS)})(?:/\w+)*)/"
    return set(re.findall(pattern, architecture_section()))


def package_folders(top: str) -> list[str]:
    """The folders under `top` (itself included) that are Python packages, as "a/b"."""
    root = PROJECT_ROOT / top
    return sorted(
        init.parent.relative_to(PROJECT_ROOT).as_posix()
        for init in root.rglob("__init__.py")
        if "__pycache__" not in init.parts and "vendor" not in init.parts
    )


def python_files(folder: Path) -> list[Path]:
    """The Python modules under `folder`, sorted."""
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def imported_modules(path: Path) -> Iterator[str]:
    """Every module `path` imports, in function bodies too, dotted; `from a import b` gives "a.b"."""
    relative = path.relative_to(PROJECT_ROOT).with_suffix("")
    package = list(relative.parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import: resolved against the module's own package
                parent = package[: len(package) - (node.level - 1)]
                base = ".".join([*parent, *([base] if base else [])])
            yield from (f"{base}.{alias.name}" if base else alias.name for alias in node.names)


def is_under(module: str, package: str) -> bool:
    """Whether the dotted `module` is `package` or inside it."""
    return module == package or module.startswith(package + ".")


# --- the section names the folders that exist --------------------------------------------------------


def test_every_folder_the_section_names_exists() -> None:
    named = folders_named_in_readme()
    assert {"rasa_plugins/channels", "actions/core", "tests/e2e"} <= named  # the pattern finds them
    missing = sorted(folder for folder in named if not (PROJECT_ROOT / folder).is_dir())
    assert not missing, f"README's Architecture section names folders that do not exist: {missing}"


@pytest.mark.parametrize("top", ["rasa_plugins", "actions"])
def test_every_package_folder_of_the_code_is_named_in_the_section(top: str) -> None:
    unnamed = sorted(set(package_folders(top)) - folders_named_in_readme())
    assert not unnamed, f"README's Architecture section does not name: {unnamed}"


def test_the_tests_mirror_every_package_of_rasa_plugins() -> None:
    for folder in package_folders("rasa_plugins")[1:]:  # [0] is rasa_plugins itself
        parts = Path(folder).parts[1:]
        mirror = Path("tests", MIRROR_RENAMES.get(parts[0], parts[0]), *parts[1:]).as_posix()
        assert (PROJECT_ROOT / mirror / "__init__.py").is_file(), f"{folder} has no tests in {mirror}/"
        assert mirror in folders_named_in_readme(), f"README's Architecture section does not name {mirror}/"


# --- the import rules ------------------------------------------------------------------------------


CORE = PROJECT_ROOT / "actions" / "core"
ADAPTERS = sorted((PROJECT_ROOT / "actions").glob("*.py"))


@pytest.mark.parametrize("path", python_files(CORE), ids=lambda path: path.name)
def test_the_core_imports_neither_rasa_nor_the_servers_code(path: Path) -> None:
    forbidden = [
        module
        for module in imported_modules(path)
        if any(is_under(module, package) for package in ("rasa", "rasa_sdk", "rasa_plugins"))
        or (is_under(module, "actions") and not is_under(module, "actions.core"))
    ]
    assert not forbidden, f"{path.relative_to(PROJECT_ROOT)} imports {forbidden}"


@pytest.mark.parametrize("path", ADAPTERS, ids=lambda path: path.name)
def test_the_action_server_imports_neither_rasa_nor_rasa_plugins(path: Path) -> None:
    forbidden = [
        module
        for module in imported_modules(path)
        if is_under(module, "rasa") or is_under(module, "rasa_plugins")
    ]
    assert not forbidden, f"{path.relative_to(PROJECT_ROOT)} imports {forbidden}"


@pytest.mark.parametrize(
    "path",
    python_files(PROJECT_ROOT / "rasa_plugins"),
    ids=lambda path: path.relative_to(PROJECT_ROOT / "rasa_plugins").as_posix(),
)
def test_rasa_plugins_imports_the_core_but_not_the_action_servers_adapters(path: Path) -> None:
    forbidden = [
        module
        for module in imported_modules(path)
        if is_under(module, "actions") and not is_under(module, "actions.core")
    ]
    assert not forbidden, f"{path.relative_to(PROJECT_ROOT)} imports {forbidden}"


def test_the_import_rules_see_the_imports_that_exist() -> None:
    """The parser finds known imports, so the rules above do not pass by seeing nothing."""
    tracker_store = PROJECT_ROOT / "rasa_plugins" / "stores" / "tracker_store.py"
    imports = set(imported_modules(tracker_store))
    assert "rasa_plugins.patches" in imports
    assert any(is_under(module, "actions.core") for module in imports)
    assert any(is_under(module, "rasa_sdk") for path in ADAPTERS for module in imported_modules(path))
