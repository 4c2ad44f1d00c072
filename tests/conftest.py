"""Shared fixtures: database URLs for SQLite and the machine's PostgreSQL; model + action server.

The model is loaded as few times as the tests allow: one action server and one in-process agent
(`loaded_agent`) for the whole session, and one assistant started by scripts/run.sh
(`shared_assistant`, tests/assistant.py's SHARED configuration) for every end-to-end test that
does not need a configuration of its own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from actions.core.settings import PROJECT_ROOT
from tests.assistant import SHARED, Assistant, LoadedAgent, free_port, load_agent, run_assistant
from tests.channels.fake_telegram import FakeTelegram

# A test run started in the background (`cmd &`, nohup) inherits SIGINT ignored, and so would every
# server it starts: run.sh could not trap Ctrl-C, and the SIGINT test would hang. A handler here
# gives the children the default disposition back (exec resets handled signals, not ignored ones).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

POSTGRES_ADMIN_URL = os.environ.get("IMP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("IMP_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")  # a DB of its own


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new database on the machine's PostgreSQL, dropped afterwards (fails if PG is down)."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    name = f"imp_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(make_url(POSTGRES_ADMIN_URL).set(database=name))
    finally:
        with admin.connect() as connection:
            connection.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name},
            )
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """REDIS_URL with a key prefix of its own; fails (never skips) when Redis is down."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is needed at {REDIS_URL} (IMP_TEST_REDIS_URL): {error}")
    prefix = f"t{uuid.uuid4().hex[:10]}"
    yield f"{REDIS_URL}?key_prefix={prefix}"
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL, dropped afterwards (fails if PG is down)."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on SQLite and on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture(scope="session")
def model_and_actions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The trained model (scripts/train.sh) and a running action server's webhook URL (one per session)."""
    model = subprocess.run(
        ["bash", str(PROJECT_ROOT / "scripts" / "train.sh")],
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    ).stdout.strip()
    port = free_port()
    log = open(tmp_path_factory.mktemp("actions") / "actions.log", "w")
    process = subprocess.Popen(
        [str(PROJECT_ROOT / ".venv/bin/rasa"), "run", "actions", "--actions", "actions", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                os.killpg(process.pid, signal.SIGKILL)
                pytest.fail("the action server did not start")
            time.sleep(0.5)
    yield model, f"http://127.0.0.1:{port}/webhook"
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    log.close()


@pytest.fixture(scope="session")
def loaded_agent(model_and_actions: tuple[str, str]) -> LoadedAgent:
    """The model loaded in this process, once per session (see tests/assistant.in_process_assistant)."""
    return load_agent(model_and_actions)


@dataclass
class SharedAssistant:
    """The session's assistant (scripts/run.sh, SHARED configuration) and what it was given."""

    assistant: Assistant
    facts: Path  # its IMP_FACTS_PATH, a copy of data/knowledge/facts.yml the console tests may edit
    telegram: FakeTelegram  # the fake Bot API server its Telegram channel talks to (only it)


ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def shared_assistant() -> Iterator[SharedAssistant]:
    """One assistant for the widget, console, handoff, Telegram, bad-input, privacy and run tests.

    Tests that share it use their own conversation ids, and put back anything they change (the
    console's fact edits); none stops it. Not tmp_path_factory: pytest deletes old numbered temp
    folders, and other pytest runs on the machine could remove ours while the servers use it.
    """
    telegram = FakeTelegram(SHARED.telegram_token).start()
    try:
        with tempfile.TemporaryDirectory(prefix="imp-shared-") as name:
            folder = Path(name)
            facts = folder / "facts.yml"
            shutil.copyfile(PROJECT_ROOT / "data" / "knowledge" / "facts.yml", facts)
            env = SHARED.environment(telegram.base_url, facts)
            # run.sh's default interface, as the browser tests had it
            env["IMP_INTERFACE"] = os.environ.get("IMP_INTERFACE", "0.0.0.0")
            try:
                with run_assistant(folder, env, f"sqlite:///{folder / 'shared.db'}") as running:
                    yield SharedAssistant(running, facts, telegram)
                    assert running.process.poll() is None, f"the assistant stopped:\n{running.log()[-3000:]}"
                    # A crash inside the channel would show up as a traceback from its module:
                    assert "rasa_plugins/channels/telegram.py" not in running.log()
            finally:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                if (folder / "run.log").exists():
                    shutil.copyfile(folder / "run.log", ARTIFACTS / "assistant.log")
    finally:
        telegram.stop()


@pytest.fixture
def shared_facts(shared_assistant: SharedAssistant) -> Iterator[Path]:
    """The shared assistant's facts file, for a test that edits it: put back as it was afterwards."""
    before = shared_assistant.facts.read_bytes()
    yield shared_assistant.facts
    shared_assistant.facts.write_bytes(before)
