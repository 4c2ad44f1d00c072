"""Starts the assistant as the README says (scripts/run.sh) on a throw-away SQLite file, for e2e tests.

Also the in-process form (`load_agent`, `in_process_assistant`, `play`) for tests that compare Rasa's
code paths, the one configuration that most end-to-end tests share (`SHARED`, started once per
session by tests/conftest.py), and the waits the tests use instead of fixed sleeps.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from actions.core.settings import PROJECT_ROOT

START_TIMEOUT = 600  # seconds; includes training when the model is out of date
RUN_SCRIPT = PROJECT_ROOT / "scripts" / "run.sh"  # the README's run command
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
T = TypeVar("T")


@dataclass(frozen=True)
class SharedConfiguration:
    """The one configuration of the session's shared assistant: everything on that tests may need.

    The staff console (named accounts and the opt-in shared token, signing secret), the HTTP API
    token, Telegram pointed at a fake Bot API server (tests/channels/fake_telegram.py), a copy of
    the facts file, and Rasa's default log levels. Tests that need something else (no Telegram, a
    server they stop or kill, a database behind a proxy) start their own.
    """

    staff_token: str = "shared-staff-token-" + uuid.uuid4().hex
    staff_secret: str = "shared-staff-secret-" + uuid.uuid4().hex
    api_token: str = "-e2e-test-token"  # starts with "-", as 1 random token in 64 does
    telegram_token: str = "123456789:AAH-fake_token_for_tests"
    telegram_secret: str = "imp-test_" + secrets.token_urlsafe(24)
    telegram_webhook_url: str = "https://imp.example.test/webhooks/telegram/webhook"
    telegram_bot: str = "imp_plus_test_bot"  # tests/channels/fake_telegram.py's BOT_USER

    def environment(self, telegram_api: str, facts: Path) -> dict[str, str]:
        return {
            "IMP_STAFF_TOKEN": self.staff_token,
            # both logins: the shared token (most tests) and accounts (tests/browser/test_staff_accounts.py)
            "IMP_STAFF_SHARED_TOKEN_MODE": "1",
            "IMP_STAFF_ACCOUNTS": "1",
            "IMP_STAFF_SECRET": self.staff_secret,
            "IMP_STAFF_SESSION_MINUTES": "30",
            "IMP_FACTS_PATH": str(facts),
            "IMP_API_TOKEN": self.api_token,
            "TELEGRAM_ACCESS_TOKEN": self.telegram_token,
            "TELEGRAM_VERIFY": self.telegram_bot,
            "TELEGRAM_WEBHOOK_URL": self.telegram_webhook_url,
            "TELEGRAM_SECRET_TOKEN": self.telegram_secret,
            "TELEGRAM_API_BASE_URL": telegram_api,
            "LOG_LEVEL": "INFO",  # what an unset environment gives (e2e/test_privacy.py reads the log)
            "LOG_LEVEL_LIBRARIES": "ERROR",
        }


SHARED = SharedConfiguration()


def wait_until(condition: Callable[[], T], timeout: float, what: str, interval: float = 0.05) -> T:
    """Poll condition() until it is truthy and return its value; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Reply:
    """An HTTP answer: status, headers and the body (decoded JSON when it is JSON, else text)."""

    status: int
    headers: dict[str, str]
    body: Any


def http(
    url: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    method: str | None = None,
    timeout: float = 120,
) -> Reply:
    """One HTTP request; 4xx and 5xx answers are returned, not raised."""
    request = urllib.request.Request(url, body, dict(headers or {}), method=method)
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, found, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, found, raw = error.code, dict(error.headers), error.read()
    try:
        return Reply(status, found, json.loads(raw))
    except ValueError:
        return Reply(status, found, raw.decode("utf-8", "replace"))


A = TypeVar("A", bound="Assistant")


@dataclass
class Assistant:
    """The assistant started by scripts/run.sh (its own process group)."""

    process: subprocess.Popen
    port: int
    database_url: str
    log_path: Path

    @classmethod
    def of(cls: type[A], running: Assistant) -> A:
        """The same running assistant, seen through another test module's subclass."""
        return cls(running.process, running.port, running.database_url, running.log_path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def post_rest(self, body: bytes, headers: Mapping[str, str] | None = None) -> Reply:
        """POST raw bytes to the REST channel."""
        return http(
            f"{self.url}/webhooks/rest/webhook",
            body,
            {"Content-Type": "application/json", **(headers or {})},
            method="POST",
        )

    def say(self, sender: str, message: str, metadata: dict | None = None) -> list[dict]:
        """The replies to one REST message (fails the test on anything but a 200)."""
        payload = {"sender": sender, "message": message, **({"metadata": metadata} if metadata else {})}
        reply = self.post_rest(json.dumps(payload).encode())
        if reply.status != 200:
            pytest.fail(f"REST answered {reply.status}: {reply.body!r}\n{self.log()[-3000:]}")
        return reply.body

    def text(self, sender: str, message: str, metadata: dict | None = None) -> str:
        """The text of the replies to one REST message."""
        return "\n".join(reply.get("text") or "" for reply in self.say(sender, message, metadata))

    def stop(self) -> None:
        """SIGTERM to the whole process group, then SIGKILL to whatever is left of it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):  # anything of the group still running
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@contextmanager
def run_assistant(
    tmp_path: Path,
    env: Mapping[str, str] | None = None,
    database_url: str | None = None,
    assistant_class: type[Assistant] = Assistant,
) -> Iterator[Assistant]:
    """scripts/run.sh on free ports and a SQLite file in `tmp_path` (or `database_url`), stopped after."""
    port, action_port = free_port(), free_port()
    database_url = database_url or f"sqlite:///{tmp_path / 'assistant.db'}"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")}
    environment.update(
        {
            "IMP_PORT": str(port),
            "IMP_ACTION_PORT": str(action_port),
            "IMP_ACTION_ENDPOINT": f"http://127.0.0.1:{action_port}/webhook",
            "IMP_DATABASE_URL": database_url,
            "IMP_INTERFACE": "127.0.0.1",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",  # the log file holds what the servers wrote, when they wrote it
            **(env or {}),
        }
    )
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["bash", str(RUN_SCRIPT)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    assistant = assistant_class(process, port, database_url, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "is ready" not in assistant.log():
            if process.poll() is not None:
                pytest.fail(f"run.sh exited early:\n{assistant.log()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the assistant did not start within {START_TIMEOUT} s")
            time.sleep(1)
        yield assistant
    finally:
        assistant.stop()


@dataclass
class LoadedAgent:
    """The trained model loaded in this process once, and what the load left behind."""

    agent: Any
    action_url: str
    freeze_count: int  # gc.get_freeze_count() right after the load (rasa_plugins/patches/gc_freeze.py)
    generation_2: int  # objects left in the oldest generation right after the load


def load_agent(model_and_actions: tuple[str, str]) -> LoadedAgent:
    """Load the model as `rasa run` does (rasa_plugins.patches installed first, as our tracker store does)."""
    from rasa.core.agent import Agent
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.utils.endpoints import EndpointConfig

    from rasa_plugins import patches

    patches.install()  # what building our tracker store does in `rasa run`, before the model loads

    model, action_url = model_and_actions
    agent = Agent.load(model, lock_store=InMemoryLockStore(), action_endpoint=EndpointConfig(url=action_url))
    return LoadedAgent(agent, action_url, gc.get_freeze_count(), len(gc.get_objects(generation=2)))


def in_process_assistant(loaded: LoadedAgent, database: Path) -> tuple[Any, Any]:
    """The loaded agent on a fresh SQLite tracker store and lock store, talking to the action server.

    The model is shared (loading it takes half a minute); the stores and the action endpoint are
    set anew for each test, as Agent.load would have set them.
    """
    from rasa.core.agent import Agent
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.utils.endpoints import EndpointConfig

    from rasa_plugins.stores.tracker_store import EnvSQLTrackerStore

    agent = loaded.agent
    store = EnvSQLTrackerStore(domain=None, host=f"sqlite:///{database}")
    agent.tracker_store = agent.processor.tracker_store = Agent._create_tracker_store(store, agent.domain)
    agent.lock_store = agent.processor.lock_store = InMemoryLockStore()
    agent.action_endpoint = agent.processor.action_endpoint = EndpointConfig(url=loaded.action_url)
    return agent, store


def play(agent: Any, store: Any, messages: list[str], sender: str) -> tuple[list[list[dict]], list[dict]]:
    """Each message through the agent in turn: the replies to each, and the stored events after."""
    import asyncio

    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.shared.core.trackers import EventVerbosity

    replies: list[list[dict]] = []

    async def conversation() -> None:
        for message in messages:
            output = CollectingOutputChannel()
            await agent.handle_message(UserMessage(message, output, sender))
            replies.append([{k: v for k, v in m.items() if k != "recipient_id"} for m in output.messages])

    asyncio.run(conversation())
    events = asyncio.run(store.retrieve_full_tracker(sender)).current_state(EventVerbosity.ALL)["events"]
    return replies, events
