"""Database layer: the engines (one shared per URL in a process), SQLAlchemy models and the assessments."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, declarative_base

from actions.core.settings import db_connect_timeout, db_max_overflow, db_pool_size

Base = declarative_base()


class AssessmentRecord(Base):  # type: ignore[misc,valid-type]
    """One finished eligibility check."""

    __tablename__ = "imp_assessments"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    answers = sa.Column(sa.Text, nullable=False)
    verdict = sa.Column(sa.String(32), nullable=False)
    criteria = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)


@dataclass(frozen=True)
class StoredAssessment:
    """An assessment as read back from the database."""

    id: int
    conversation_id: str
    answers: dict[str, str]
    verdict: str
    criteria: list[dict[str, str]]
    created_at: datetime


# Longest wait for a free connection of the pool, in seconds.
POOL_TIMEOUT = 10.0
# Longest wait for one new PostgreSQL connection, in seconds (start-up and conversations).
MAX_ATTEMPT_TIMEOUT = 5
# Rasa's variable naming the PostgreSQL schema of its tables (also honoured here).
POSTGRESQL_SCHEMA = "POSTGRESQL_SCHEMA"


def engine_options(url: str | URL) -> dict[str, Any]:
    """`create_engine` options: 2.0-style API, bounded pool and connection time, stale connections re-made."""
    parsed = make_url(url)
    options: dict[str, Any] = {"future": True, "pool_pre_ping": True}
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        options["connect_args"] = {"check_same_thread": False, "timeout": 15}
        return options
    options.update(pool_size=db_pool_size(), max_overflow=db_max_overflow(), pool_timeout=POOL_TIMEOUT)
    if backend == "postgresql":
        attempt_timeout = max(2, min(MAX_ATTEMPT_TIMEOUT, int(db_connect_timeout()) or MAX_ATTEMPT_TIMEOUT))
        connect_args: dict[str, Any] = {
            "connect_timeout": attempt_timeout,
            # notice a silently dropped connection within about a minute
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }
        schema = os.environ.get(POSTGRESQL_SCHEMA)
        if schema:  # as Rasa's SQLTrackerStore does
            connect_args["options"] = f"-csearch_path={schema}"
        options["connect_args"] = connect_args
    return options


def _create_engine(url: URL, options: dict[str, Any]) -> Engine:
    """A new engine; an SQLite file gets its folder created first."""
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        if not url.database.startswith("file:"):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url, **options)


def make_engine(url: str | URL) -> Engine:
    """A new engine of its own (scripts, migrations, tests); servers use `shared_engine`."""
    parsed = make_url(url)
    return _create_engine(parsed, engine_options(parsed))


# (process id, URL with its password, options) -> the engine every component of that process uses
_shared_engines: dict[tuple[int, str, str], Engine] = {}
_shared_engines_lock = threading.Lock()


def _new_lock_after_fork() -> None:
    global _shared_engines_lock
    _shared_engines_lock = threading.Lock()  # it may have been held by another thread at the fork


os.register_at_fork(after_in_child=_new_lock_after_fork)


def shared_engine(url: str | URL) -> Engine:
    """This process's one engine (one connection pool) for `url`, created on first use.

    Every component of a server process (tracker store, handoff queue, staff console, feedback
    votes, the action server's repositories) takes its engine from here, so that a process
    opens at most IMP_DB_POOL_SIZE + IMP_DB_MAX_OVERFLOW connections per database. The key
    holds the process id: a forked worker gets its own pool, never its parent's connections
    (the parent's engines are left alone, not closed, in the child). It also holds the options
    read from the environment, so changed pool settings (tests) give a new engine.
    """
    parsed = make_url(url)
    options = engine_options(parsed)
    key = (os.getpid(), parsed.render_as_string(hide_password=False), json.dumps(options, sort_keys=True))
    with _shared_engines_lock:
        engine = _shared_engines.get(key)
        if engine is None:
            engine = _shared_engines[key] = _create_engine(parsed, options)
        return engine


class AssessmentRepository:
    """Stores and reads eligibility assessments."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        """Create the project's tables if they do not exist."""
        Base.metadata.create_all(self.engine)

    def add(
        self,
        conversation_id: str,
        answers: dict[str, str],
        verdict: str,
        criteria: list[dict[str, str]],
    ) -> int:
        """Store one assessment and return its id."""
        record = AssessmentRecord(
            conversation_id=conversation_id,
            answers=json.dumps(answers, sort_keys=True),
            verdict=verdict,
            criteria=json.dumps(criteria),
            created_at=datetime.now(timezone.utc),
        )
        with Session(self.engine) as session, session.begin():
            session.add(record)
            session.flush()
            return int(record.id)

    def for_conversation(self, conversation_id: str) -> list[StoredAssessment]:
        """All assessments of one conversation, oldest first."""
        query = (
            sa.select(AssessmentRecord)
            .where(AssessmentRecord.conversation_id == conversation_id)
            .order_by(AssessmentRecord.id)
        )
        with Session(self.engine) as session:
            return [
                StoredAssessment(
                    id=row.id,
                    conversation_id=row.conversation_id,
                    answers=json.loads(row.answers),
                    verdict=row.verdict,
                    criteria=json.loads(row.criteria),
                    created_at=row.created_at,
                )
                for row in session.scalars(query)
            ]
