"""Engines of their own (scripts, tests; servers share one: actions.core.database) and the assessments."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session

from actions.core.settings import db_connect_timeout, db_max_overflow, db_pool_size
from actions.core.tables import AssessmentRecord, Base


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


def make_engine(url: str | URL) -> Engine:
    """A new engine of its own (scripts, migrations, tests); an SQLite file gets its folder created first.

    Servers take the process's one engine from actions.core.database instead.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        if not parsed.database.startswith("file:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(parsed, **engine_options(parsed))


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
