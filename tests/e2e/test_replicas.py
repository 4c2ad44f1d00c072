"""Two Rasa servers share PostgreSQL and a Redis lock store: every turn is stored once, in order."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from actions.core.settings import PROJECT_ROOT
from rasa_plugins.stores.tracker_store import NOT_SAVED_MESSAGE
from tests.e2e.test_faults import START_TIMEOUT, free_port, log_tail, post_message, user_texts

RASA = str(PROJECT_ROOT / ".venv" / "bin" / "rasa")

FORM = [
    ("am I eligible for IMP+?", "Where do you live"),
    ("I live in Lyon", "CSQ"),
    ("yes, through the PRTQ", "still valid"),
    ("yes it is", "letter of invitation"),
    ("yes I got it", "permanent residence"),
    ("I haven't applied yet", "you appear eligible"),
]
QUESTIONS = [
    "what is IMP+?",
    "how long is the IMP+ permit valid?",
    "how much does it cost?",
    "who can apply?",
    "thank you",
]


def wait_until_up(url: str, processes: list[subprocess.Popen], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            pass
        if any(process.poll() is not None for process in processes):
            pytest.fail(f"a server exited early:\n{log_tail(log)}")
        time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {START_TIMEOUT} s")


def model_path() -> str:
    """The model scripts/train.sh gives (IMP_MODEL, or trained when the data changed)."""
    train = subprocess.Popen(
        ["bash", str(PROJECT_ROOT / "scripts" / "train.sh")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        model = train.communicate(timeout=START_TIMEOUT)[0].strip()
    except subprocess.TimeoutExpired:
        os.killpg(train.pid, signal.SIGKILL)  # with the training it started
        train.wait()
        pytest.fail(f"scripts/train.sh did not finish within {START_TIMEOUT} s")
    assert train.returncode == 0 and model.endswith(".tar.gz"), model
    return model


@contextmanager
def running_replicas(
    postgres_url: str, tmp_path: Path, credentials: Path, extra_env: dict[str, str]
) -> Iterator[tuple[int, int]]:
    """Two Rasa servers (ports) and one action server on one database, with `extra_env` set."""
    model = model_path()
    action_port, ports = free_port(), (free_port(), free_port())
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "IMP_ACTION_ENDPOINT": f"http://127.0.0.1:{action_port}/webhook",
        "IMP_DATABASE_URL": postgres_url,
        **extra_env,
    }
    log = tmp_path / "servers.log"
    rasa = [RASA, "run", "--model", model, "--endpoints", "endpoints.yml", "--credentials", str(credentials)]
    commands = [
        [RASA, "run", "actions", "--actions", "actions", "--port", str(action_port)],
        *([*rasa, "--port", str(port)] for port in ports),
    ]
    processes: list[subprocess.Popen] = []
    with open(log, "w") as output:
        for command in commands:
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )
    try:
        wait_until_up(f"http://127.0.0.1:{action_port}/health", processes, log)
        for port in ports:
            wait_until_up(f"http://127.0.0.1:{port}/", processes, log)
        yield ports
    finally:
        for process in processes:
            process.kill()
        for process in processes:
            process.wait(timeout=30)


@pytest.fixture
def replicas(postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[int, int]]:
    """Two Rasa servers (REST only) and one action server on one database and one lock store."""
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("rest:\n")
    with running_replicas(postgres_url, tmp_path, credentials, {"IMP_LOCK_STORE_URL": redis_url}) as ports:
        yield ports


@pytest.mark.e2e
@pytest.mark.timeout(900)  # three servers to start, then up to 300 s of conversations
def test_twenty_users_on_two_servers_every_turn_once_in_order(
    replicas: tuple[int, int], postgres_url: str
) -> None:
    started = time.monotonic()

    def say(port: int, sender: str, message: str) -> str:
        text = "\n".join(r.get("text") or "" for r in post_message(port, sender, message))
        assert text != NOT_SAVED_MESSAGE, (sender, message)
        return text

    def form_user(number: int) -> None:
        """Answers the eligibility form, each answer on the other server than the last."""
        sender = f"replica-form-{number}"
        for index, (message, expected) in enumerate(FORM):
            reply = say(replicas[(number + index) % 2], sender, message)
            assert expected in reply, (sender, message, reply)

    def question_user(number: int) -> None:
        """Asks questions alternately; odd users send their 2nd and 3rd at once, one per server."""
        sender = f"replica-questions-{number}"
        for index, message in enumerate(QUESTIONS):
            if number % 2 and index == 1:
                both = [(replicas[0], QUESTIONS[1]), (replicas[1], QUESTIONS[2])]
                with ThreadPoolExecutor(2) as pool:
                    list(pool.map(lambda sent: say(sent[0], sender, sent[1]), both))
            elif not (number % 2 and index == 2):
                say(replicas[(number + index) % 2], sender, message)

    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(form_user, n) for n in range(10)]
        futures += [pool.submit(question_user, n) for n in range(10)]
        for future in futures:
            future.result(timeout=300)

    for number in range(10):
        assert user_texts(postgres_url, f"replica-form-{number}") == [message for message, _ in FORM]
    for number in range(10):
        stored = user_texts(postgres_url, f"replica-questions-{number}")
        assert Counter(stored) == Counter(QUESTIONS), stored  # each turn exactly once
        if number % 2:  # the two sent at once may be stored in either order
            assert stored[0] == QUESTIONS[0] and stored[3:] == QUESTIONS[3:]
            assert set(stored[1:3]) == set(QUESTIONS[1:3])
        else:
            assert stored == QUESTIONS
    assert time.monotonic() - started < 300
