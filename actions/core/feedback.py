"""Votes on fact answers ("Was this helpful?"): strict validation and the `imp_feedback` repository."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from actions.core.tables import FACT_ID_LENGTH, FEEDBACK_SENDER_ID_LENGTH, FeedbackRecord

MAX_SENDER_ID_LENGTH = FEEDBACK_SENDER_ID_LENGTH
MAX_FACT_ID_LENGTH = FACT_ID_LENGTH
# Conversation ids of the widget are uuid4 hex strings; other channels' ids stay printable.
_SENDER_ID = re.compile(r"[A-Za-z0-9_.:@-]+")
# Fact ids are the keys of data/knowledge/facts.yml (snake_case).
_FACT_ID = re.compile(r"[A-Za-z0-9_.-]+")
_FIELDS = frozenset({"sender_id", "fact_id", "helpful"})


class InvalidFeedback(ValueError):
    """The submitted vote is not a well-formed {sender_id, fact_id, helpful} object."""


@dataclass(frozen=True)
class FeedbackVote:
    """A validated vote, ready to store."""

    sender_id: str
    fact_id: str
    helpful: bool


@dataclass(frozen=True)
class StoredFeedback:
    """A vote as read back from the database."""

    id: int
    sender_id: str
    fact_id: str
    helpful: bool
    created_at: datetime


def _identifier(data: dict[str, Any], field: str, pattern: re.Pattern[str], max_length: int) -> str:
    value = data[field]
    if not isinstance(value, str):
        raise InvalidFeedback(f"{field} must be a string")
    if not 1 <= len(value) <= max_length:
        raise InvalidFeedback(f"{field} must have 1 to {max_length} characters")
    if not pattern.fullmatch(value):
        raise InvalidFeedback(f"{field} has characters that are not allowed")
    return value


def parse_vote(data: Any) -> FeedbackVote:
    """Validate a decoded JSON body strictly; raises InvalidFeedback with a short reason."""
    if not isinstance(data, dict):
        raise InvalidFeedback("the body must be a JSON object")
    unknown = sorted(str(key) for key in set(data) - _FIELDS)
    if unknown:
        raise InvalidFeedback(f"unknown fields: {', '.join(unknown)}"[:200])
    missing = sorted(_FIELDS - set(data))
    if missing:
        raise InvalidFeedback(f"missing fields: {', '.join(missing)}")
    if not isinstance(data["helpful"], bool):
        raise InvalidFeedback("helpful must be true or false")
    return FeedbackVote(
        sender_id=_identifier(data, "sender_id", _SENDER_ID, MAX_SENDER_ID_LENGTH),
        fact_id=_identifier(data, "fact_id", _FACT_ID, MAX_FACT_ID_LENGTH),
        helpful=data["helpful"],
    )


class FeedbackRepository:
    """Stores and reads the votes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        """Create the `imp_feedback` table if it does not exist."""
        FeedbackRecord.__table__.create(self.engine, checkfirst=True)

    def add(self, vote: FeedbackVote) -> int:
        """Store one vote and return its id."""
        record = FeedbackRecord(
            sender_id=vote.sender_id,
            fact_id=vote.fact_id,
            helpful=vote.helpful,
            created_at=datetime.now(timezone.utc),
        )
        with Session(self.engine) as session, session.begin():
            session.add(record)
            session.flush()
            return int(record.id)

    def for_sender(self, sender_id: str) -> list[StoredFeedback]:
        """All votes of one conversation, oldest first."""
        query = (
            sa.select(FeedbackRecord).where(FeedbackRecord.sender_id == sender_id).order_by(FeedbackRecord.id)
        )
        with Session(self.engine) as session:
            return [
                StoredFeedback(
                    id=row.id,
                    sender_id=row.sender_id,
                    fact_id=row.fact_id,
                    helpful=row.helpful,
                    created_at=row.created_at,
                )
                for row in session.scalars(query)
            ]
