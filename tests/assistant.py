"""Starts the assistant as the README says (scripts/run.sh) on a throw-away SQLite file, for e2e tests.

Also the in-process form (`in_process_assistant`, `play`) for tests that compare Rasa's code paths.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from actions.core.settings import PROJECT_ROOT

START_TIMEOUT = 600  # seconds; includes training when the model is out of date
RUN_SCRIPT = PROJECT_ROOT / "scripts" / "run.sh"  # the README's run command
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


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


@dataclass
class Assistant:
    """The assistant started by scripts/run.sh (its own process group)."""

    process: subprocess.Popen
    port: int
    database_url: str
    log_path: Path

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


def in_process_assistant(model_and_actions: tuple[str, str], database: Path) -> tuple[Any, Any]:
    """The trained model as an agent in this process: SQLite tracker store, in-memory lock, action server."""
    from rasa.core.agent import Agent
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.utils.endpoints import EndpointConfig

    from rasa_plugins.tracker_store import EnvSQLTrackerStore

    model, action_url = model_and_actions
    store = EnvSQLTrackerStore(domain=None, host=f"sqlite:///{database}")
    endpoint = EndpointConfig(url=action_url)
    agent = Agent.load(model, tracker_store=store, lock_store=InMemoryLockStore(), action_endpoint=endpoint)
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
