"""Database layer: SQLAlchemy models and the repository of eligibility assessments."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, declarative_base

from actions.core.settings import db_max_overflow, db_pool_size

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


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite files get their folder created first."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    else:
        kwargs.update(pool_size=db_pool_size(), max_overflow=db_max_overflow(), pool_timeout=10)
    return sa.create_engine(parsed, **kwargs)


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
