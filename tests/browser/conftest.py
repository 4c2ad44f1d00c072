"""Fixtures of the browser tests: the real assistant (scripts/run.sh) and Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from actions.core.settings import PROJECT_ROOT
from tests.assistant import Assistant as RunningAssistant
from tests.assistant import run_assistant

CHROMIUM = os.environ.get("IMP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


class Assistant(RunningAssistant):
    """A running assistant started by scripts/run.sh, reached as the browser does (localhost)."""

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"


@dataclass
class PageWatch:
    """What a page did that a test may want to forbid: dialogs, errors, CSP violations."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def assistant() -> Iterator[Assistant]:
    # Not tmp_path_factory: pytest deletes old numbered temp folders, and other pytest runs on
    # the machine could remove ours while the servers still use it.
    with tempfile.TemporaryDirectory(prefix="imp-browser-") as folder:
        yield from _run_assistant(Path(folder))


def _run_assistant(folder: Path) -> Iterator[Assistant]:
    interface = {"IMP_INTERFACE": os.environ.get("IMP_INTERFACE", "0.0.0.0")}  # run.sh's default
    try:
        with run_assistant(folder, interface, f"sqlite:///{folder / 'browser.db'}", Assistant) as running:
            yield running
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "assistant.log").write_text((folder / "run.log").read_text(errors="replace"))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (or set IMP_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def watch(page: object) -> PageWatch:
    """Record the page's dialogs (dismissed), uncaught errors and console errors."""
    seen = PageWatch()

    def on_dialog(dialog: object) -> None:
        seen.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("console", lambda msg: seen.console_errors.append(msg.text) if msg.type == "error" else None)
    return seen


def screenshot(page: object, name: str) -> Path:
    """Save a screenshot under tests/artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def publish_screenshot(path: Path) -> None:
    """Refresh docs/widget-screenshot.png when IMP_UPDATE_SCREENSHOT=1."""
    if os.environ.get("IMP_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(path, PROJECT_ROOT / "docs" / "widget-screenshot.png")
