"""Fixtures of the browser tests: the real assistant (scripts/run.sh) and Debian's Chromium.

The assistant is the session's shared one (tests/conftest.py: staff console on, Telegram on a fake
Bot API); Chromium is launched once per module.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from actions.core.settings import PROJECT_ROOT
from tests.assistant import Assistant as RunningAssistant

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
def assistant(shared_assistant) -> Assistant:
    """The session's assistant, reached as the browser does (localhost)."""
    return Assistant.of(shared_assistant.assistant)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Per module, not per session: Playwright's sync API keeps an event loop running in this
    # thread while it is open, and other modules' tests call asyncio.run().
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

    def on_console(msg: object) -> None:
        # Chromium asks every site for /favicon.ico, which the server does not have: whether that
        # 404 is reported before the page is closed depends on timing, not on the page.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            seen.console_errors.append(msg.text)

    page.on("console", on_console)
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
