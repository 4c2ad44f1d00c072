"""`python -m scripts.retention` / `make retention`: old conversations go, recent ones stay."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.core.feedback import FeedbackRepository, FeedbackVote
from actions.core.repository import AssessmentRepository, make_engine
from actions.core.settings import PROJECT_ROOT
from actions.core.tables import Base
from rasa_plugins.stores.tracker_store import EnvSQLTrackerStore

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
DAY = 86400.0


def conversation(store: EnvSQLTrackerStore, sender: str, age_days: float) -> None:
    """A short conversation whose events were written `age_days` days ago."""
    at = time.time() - age_days * DAY
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for event in [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at),
        ActionExecuted("action_listen", timestamp=at),
        UserUttered("what are the fees?", {"name": "ask_fees"}, timestamp=at + 1),
        ActionExecuted("action_answer_fact", timestamp=at + 2),
        BotUttered("CAD 255", timestamp=at + 2),
        ActionExecuted("action_listen", timestamp=at + 3),
    ]:
        tracker.update(event)
    asyncio.run(store.save(tracker))


def rows(url: str, table: str, column: str) -> dict[str, int]:
    with make_engine(url).connect() as connection:
        result = connection.execute(sa.text(f"SELECT {column}, count(*) FROM {table} GROUP BY {column}"))
        return {row[0]: row[1] for row in result}


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'retention.db'}"
    store = EnvSQLTrackerStore(domain=DOMAIN, host=url)
    conversation(store, "old", 45)
    conversation(store, "recent", 3)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    for sender in ("old", "recent"):
        AssessmentRepository(engine).add(sender, {"residence": "abroad"}, "eligible", [])
        FeedbackRepository(engine).add(FeedbackVote(sender_id=sender, fact_id="fees", helpful=True))
    return url


def run(command: list[str], url: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "IMP_RETENTION_DAYS"}
    environment.update(IMP_DATABASE_URL=url, **env)
    return subprocess.run(
        command, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_retention_command_deletes_only_old_conversations(database: str) -> None:
    result = run([sys.executable, "-m", "scripts.retention", "--days", "30"], database)
    assert result.returncode == 0, result.stderr
    assert "deleted 1 conversation(s)" in result.stdout and "events 7" in result.stdout
    assert rows(database, "events", "sender_id") == {"recent": 7}
    assert rows(database, "imp_assessments", "conversation_id") == {"recent": 1}
    assert rows(database, "imp_feedback", "sender_id") == {"recent": 1}
    # running it again finds nothing more to delete
    again = run([sys.executable, "-m", "scripts.retention", "--days", "30"], database)
    assert "deleted 0 conversation(s): nothing" in again.stdout


def test_make_retention_takes_the_days_from_the_environment(database: str) -> None:
    result = run(["make", "-s", "retention"], database, IMP_RETENTION_DAYS="2")
    assert result.returncode == 0, result.stderr
    assert rows(database, "events", "sender_id") == {}
    assert rows(database, "imp_assessments", "conversation_id") == {}


def test_make_retention_days_argument(database: str) -> None:
    result = run(["make", "-s", "retention", "DAYS=60"], database)
    assert result.returncode == 0, result.stderr
    assert set(rows(database, "events", "sender_id")) == {"old", "recent"}


@pytest.mark.parametrize("arguments", [[], ["--days", "0"], ["--days", "a week"]])
def test_retention_command_refuses_a_missing_or_bad_number_of_days(
    database: str, arguments: list[str]
) -> None:
    result = run([sys.executable, "-m", "scripts.retention", *arguments], database)
    assert result.returncode == 2
    assert "days" in result.stderr and "Traceback" not in result.stderr
    assert set(rows(database, "events", "sender_id")) == {"old", "recent"}


def test_retention_command_reports_an_unreachable_database(tmp_path: Path) -> None:
    url = "postgresql://imp:secret@127.0.0.1:1/imp"
    result = run([sys.executable, "-m", "scripts.retention", "--days", "30"], url)
    assert result.returncode == 1
    assert "retention failed" in result.stderr and "secret" not in result.stderr
    assert "Traceback" not in result.stderr
