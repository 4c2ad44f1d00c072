"""Fixtures of the browser tests: the real assistant (scripts/run.sh) and Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from actions.core.settings import PROJECT_ROOT

CHROMIUM = os.environ.get("IMP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Assistant:
    """A running assistant started by scripts/run.sh."""

    process: subprocess.Popen
    port: int
    database_url: str

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
    port, action_port = free_port(), free_port()
    database_url = f"sqlite:///{folder / 'browser.db'}"
    env = {
        **os.environ,
        "IMP_PORT": str(port),
        "IMP_ACTION_PORT": str(action_port),
        "IMP_ACTION_ENDPOINT": f"http://127.0.0.1:{action_port}/webhook",
        "IMP_DATABASE_URL": database_url,
    }
    log = open(folder / "run.log", "w+")
    process = subprocess.Popen(
        ["bash", str(PROJECT_ROOT / "scripts" / "run.sh")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            log.seek(0)
            if "is ready" in log.read():
                break
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"run.sh exited early:\n{log.read()[-3000:]}")
            time.sleep(1)
        else:
            pytest.fail("the assistant did not start within 10 minutes")
        yield Assistant(process, port, database_url)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        log.seek(0)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "assistant.log").write_text(log.read())
        log.close()


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
