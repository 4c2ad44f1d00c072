"""Faults: the database is cut mid-conversation, or the Rasa server is killed; nothing is lost.

The assistant runs with the README's run command on a fresh PostgreSQL database, reached
through a TCP proxy on loopback that the test cuts and restores. The kill -9 test starts (and
kills) an assistant of its own, on a database of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from actions.core.repository import AssessmentRepository, make_engine
from actions.core.settings import PROJECT_ROOT
from rasa_plugins.stores.tracker_store import NOT_SAVED_MESSAGE, NOT_SAVED_MESSAGES
from tests.assistant import free_port
from tests.conftest import fresh_postgres_database

pytestmark = pytest.mark.e2e
START_TIMEOUT = 600  # seconds; includes training if the model is out of date
RASA_RUN = [
    str(PROJECT_ROOT / ".venv" / "bin" / "rasa"),
    "run",
    "--model",
    "models",
    "--endpoints",
    "endpoints.yml",
]


def post_message(port: int, sender: str, message: str, timeout: float = 120) -> list[dict]:
    """Send one message to the REST channel of the Rasa server on `port`; its replies."""
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def user_texts(database_url: str, sender: str) -> list[str]:
    """The user messages of one conversation as stored in Rasa's events table, in order."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
                {"s": sender},
            )
            return [json.loads(row.data).get("text") for row in rows]
    finally:
        engine.dispose()


def log_tail(log: Path, characters: int = 6000) -> str:
    """The end of a server log, without Python's deprecation warnings."""
    noise = ("Warning", "declare_namespace", "implicit namespace", "LooseVersion", "alembic.runtime.plugins")
    lines = log.read_text(errors="replace").splitlines()
    return "\n".join(line for line in lines if line.strip() and not any(n in line for n in noise))[
        -characters:
    ]


@dataclass
class Assistant:
    """The assistant started by scripts/run.sh (its own process group)."""

    process: subprocess.Popen
    port: int
    log: Path

    def text(self, sender: str, message: str) -> str:
        try:
            replies = post_message(self.port, sender, message)
        except OSError as error:
            pytest.fail(f"no answer from port {self.port} ({error}); run.sh log:\n{log_tail(self.log)}")
        return "\n".join(reply.get("text") or "" for reply in replies)

    def kill(self) -> None:
        """kill -9 run.sh, the Rasa server and the action server at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def start_assistant(database_url: str, log: Path, **env: str) -> Assistant:
    """Start scripts/run.sh on `database_url` and wait until it is ready."""
    port, action_port = free_port(), free_port()
    environment = {
        **os.environ,
        "IMP_PORT": str(port),
        "IMP_ACTION_PORT": str(action_port),
        "IMP_ACTION_ENDPOINT": f"http://127.0.0.1:{action_port}/webhook",
        "IMP_DATABASE_URL": database_url,
        "IMP_INTERFACE": "127.0.0.1",
        **env,
    }
    with open(log, "w") as output:
        process = subprocess.Popen(
            ["bash", str(PROJECT_ROOT / "scripts" / "run.sh")],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    assistant = Assistant(process, port, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if "is ready" in log.read_text(errors="replace"):
            try:  # our server, not another one that took the port meanwhile
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                    assert b"Rasa" in response.read()
            except (OSError, AssertionError):
                assistant.kill()
                pytest.fail(f"run.sh said ready but port {port} is not its Rasa server:\n{log_tail(log)}")
            return assistant
        if process.poll() is not None:
            pytest.fail(f"run.sh exited early:\n{log_tail(log)}")
        time.sleep(0.5)
    assistant.kill()
    pytest.fail(f"the assistant did not start within {START_TIMEOUT} s")


class DatabaseProxy:
    """A TCP proxy on loopback in front of PostgreSQL that the test can cut."""

    PASS, DOWN, DROP_EVENT_INSERTS = "pass", "down", "drop event inserts"
    INSERT = b"INSERT INTO events"

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = self.PASS
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = int(self.listener.getsockname()[1])
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, database_url: str) -> str:
        return str(make_url(database_url).set(host="127.0.0.1", port=self.port))

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            if self.mode == self.DOWN:
                client.close()  # the database is unreachable
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        tail = b""
        try:
            while data := source.recv(65536):
                seen, tail = tail + data, (tail + data)[-len(self.INSERT) :]
                if from_client and self.mode == self.DROP_EVENT_INSERTS and self.INSERT in seen:
                    break  # the write never reaches the database
                sink.sendall(data)
        except OSError:
            pass
        self._close(source, sink)

    def _close(self, *sockets: socket.socket) -> None:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            with self.lock:
                self.sockets.discard(sock)

    def cut(self, mode: str = DOWN) -> None:
        """Drop every open connection; new ones are refused (DOWN) or lose their event writes."""
        self.mode = mode
        with self.lock:
            open_sockets = list(self.sockets)
        self._close(*open_sockets)

    def restore(self) -> None:
        self.mode = self.PASS

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.listener.close()


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def proxy(database: str) -> Iterator[DatabaseProxy]:
    parsed = make_url(database)
    proxy = DatabaseProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def assistant(
    proxy: DatabaseProxy, database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Assistant]:
    running = start_assistant(proxy.url(database), tmp_path_factory.mktemp("faults") / "run.log")
    yield running
    running.kill()


def test_start_up_fails_fast_and_clearly_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # The Rasa server opens the tracker store before it loads the model: no model is needed.
    log, credentials = tmp_path / "rasa.log", tmp_path / "credentials.yml"
    credentials.write_text("rest:\n")
    url = f"postgresql://imp:s3cret-pw@127.0.0.1:{free_port()}/imp"
    started = time.monotonic()
    with open(log, "w") as output:
        process = subprocess.Popen(
            [*RASA_RUN, "--port", str(free_port()), "--credentials", str(credentials)],
            cwd=PROJECT_ROOT,
            env={
                **os.environ,
                "PYTHONPATH": str(PROJECT_ROOT),
                "RASA_TELEMETRY_ENABLED": "false",
                "IMP_ACTION_ENDPOINT": "http://127.0.0.1:9/webhook",
                "IMP_DATABASE_URL": url,
                "IMP_DB_CONNECT_TIMEOUT": "3",
            },
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        assert process.wait(timeout=90) != 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert time.monotonic() - started < 90
    text = log.read_text(errors="replace")
    assert "Cannot reach the conversation database postgresql://imp:***@127.0.0.1:" in text
    assert "s3cret-pw" not in text


def test_database_outage_mid_conversation_loses_no_acknowledged_turn(
    assistant: Assistant, proxy: DatabaseProxy, database: str
) -> None:
    sender, acknowledged = "fault-form", []

    def turn(message: str, expected: str) -> None:
        reply = assistant.text(sender, message)
        assert expected in reply, reply
        acknowledged.append(message)

    turn("am I eligible for IMP+?", "Where do you live")
    turn("I live in Lyon", "CSQ")
    assert "PMI+" in assistant.text("fault-french", "Qu'est-ce que le PMI+ ?")  # a French conversation

    # The database is unreachable for a few seconds: nothing can be read, the user is told.
    proxy.cut()
    cut_at = time.monotonic()
    assert assistant.text(sender, "yes, through the PRTQ") == NOT_SAVED_MESSAGE
    assert assistant.text("fault-newcomer", "what is IMP+?") == NOT_SAVED_MESSAGE
    assert assistant.text("fault-french", "Combien ça coûte ?") == NOT_SAVED_MESSAGES["fr"]
    time.sleep(max(0.0, 3 - (time.monotonic() - cut_at)))
    proxy.restore()
    # The form goes on where it was: no empty tracker, no restart.
    turn("yes, through the PRTQ", "still valid")

    # The turn is computed but its events cannot be written: its replies are withheld.
    proxy.cut(DatabaseProxy.DROP_EVENT_INSERTS)
    assert assistant.text(sender, "yes it is") == NOT_SAVED_MESSAGE
    proxy.restore()
    turn("yes it is", "letter of invitation")
    turn("yes I got it", "permanent residence")
    turn("I haven't applied yet", "you appear eligible")

    # Every acknowledged turn is in SQL, once and in order; the refused ones are not.
    assert user_texts(database, sender) == acknowledged
    assert user_texts(database, "fault-newcomer") == []
    engine = make_engine(database)
    [stored] = AssessmentRepository(engine).for_conversation(sender)
    engine.dispose()
    assert stored.verdict == "eligible"


@pytest.mark.timeout(600)  # two start-ups of the assistant
def test_kill_9_mid_form_then_restart_continues_the_form(tmp_path: Path) -> None:
    # Its own assistant and database: the test kills it (the outage test's server is not touched).
    with fresh_postgres_database() as database:
        assistant = start_assistant(database, tmp_path / "run.log")
        try:
            sender = "restart-form"
            assert "Where do you live" in assistant.text(sender, "am I eligible for IMP+?")
            assert "CSQ" in assistant.text(sender, "I live in Lyon")
        finally:
            assistant.kill()  # no graceful shutdown: what was acknowledged must already be in SQL

        restarted = start_assistant(database, tmp_path / "restart.log")
        try:
            reply = restarted.text(sender, "yes, through the PRTQ")
            assert "still valid" in reply, reply  # the question after the last answered one
            assert "letter of invitation" in restarted.text(sender, "yes it is")
        finally:
            restarted.kill()
        assert user_texts(database, sender) == [
            "am I eligible for IMP+?",
            "I live in Lyon",
            "yes, through the PRTQ",
            "yes it is",
        ]
