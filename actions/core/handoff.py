"""Handoff to a person: the `imp_handoffs` queue and when a conversation is stuck (framework-free)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions.core.paging import PAGE_SIZE, Cursor, Page, make_page, page_size, seek
from actions.core.tables import CHANNEL_LENGTH, SENDER_ID_LENGTH, STAFF_NAME_LENGTH, HandoffRecord

OPEN = "open"
TAKEN = "taken"
CLOSED = "closed"
STATUSES = (OPEN, TAKEN, CLOSED)
ACTIVE = (OPEN, TAKEN)
ASKED = "asked"
NOT_UNDERSTOOD = "not_understood"
REASONS = (ASKED, NOT_UNDERSTOOD)
LANGUAGES = ("en", "fr")
MAX_SENDER_ID_LENGTH = SENDER_ID_LENGTH
MAX_CHANNEL_LENGTH = CHANNEL_LENGTH
MAX_STAFF_NAME_LENGTH = STAFF_NAME_LENGTH
MAX_REPLY_LENGTH = 4000
# The action that answers a message the assistant did not understand (rules and core fallback).
STUCK_ACTION = "action_handoff_if_stuck"
# Failures in a row that put a conversation in the queue.
FAILURES_FOR_HANDOFF = 2


class HandoffError(ValueError):
    """A handoff operation that is not allowed (unknown id, wrong status, bad input)."""


@dataclass(frozen=True)
class Handoff:
    """A handoff as read back from the database."""

    id: int
    sender_id: str
    channel: str
    language: str
    reason: str
    status: str
    taken_by: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def active(self) -> bool:
        """Open or taken."""
        return self.status in ACTIVE


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _as_utc(value: datetime) -> datetime:
    """SQLite gives naive datetimes back: they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _handoff(row: HandoffRecord) -> Handoff:
    return Handoff(
        id=int(row.id),
        sender_id=row.sender_id,
        channel=row.channel,
        language=row.language,
        reason=row.reason,
        status=row.status,
        taken_by=row.taken_by,
        created_at=_as_utc(row.created_at),
        updated_at=_as_utc(row.updated_at),
    )


def normalise_language(language: Any) -> str:
    """ "en" or "fr" ("fr-CA" -> "fr"); anything else is English."""
    value = str(language or "").strip().lower()[:2]
    return value if value in LANGUAGES else "en"


def clean_reply(text: Any) -> str:
    """A staff reply stripped of surrounding blanks; HandoffError when empty or too long."""
    if not isinstance(text, str) or not text.strip():
        raise HandoffError("Type a reply.")
    text = text.replace("\r\n", "\n").strip()
    if len(text) > MAX_REPLY_LENGTH:
        raise HandoffError(f"A reply has at most {MAX_REPLY_LENGTH} characters.")
    return text


def _sender(sender_id: Any) -> str:
    if not isinstance(sender_id, str) or not 1 <= len(sender_id) <= MAX_SENDER_ID_LENGTH:
        raise HandoffError("invalid conversation id")
    return sender_id


def _staff(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise HandoffError("a staff name is required")
    return name.strip()[:MAX_STAFF_NAME_LENGTH]


class HandoffQueue:
    """Opens, takes, closes and lists handoffs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        """Create the `imp_handoffs` table if it does not exist (tests; servers use migrations)."""
        HandoffRecord.__table__.create(self.engine, checkfirst=True)

    def open(
        self, sender_id: str, channel: str | None, language: str | None, reason: str
    ) -> tuple[Handoff, bool]:
        """The conversation's active handoff, or a new open one; True when it was created now."""
        sender_id = _sender(sender_id)
        if reason not in REASONS:
            raise HandoffError(f"unknown reason {reason!r}")
        for _ in range(3):
            existing = self.active_for(sender_id)
            if existing is not None:
                return existing, False
            now = _now()
            record = HandoffRecord(
                sender_id=sender_id,
                channel=(channel or "unknown")[:MAX_CHANNEL_LENGTH],
                language=normalise_language(language),
                reason=reason,
                status=OPEN,
                taken_by=None,
                created_at=now,
                updated_at=now,
                active_sender=sender_id,
            )
            try:
                with Session(self.engine) as session, session.begin():
                    session.add(record)
                    session.flush()
                    return _handoff(record), True
            except IntegrityError:
                continue  # another request opened one at the same moment: return that one
        raise HandoffError("could not open a handoff")  # pragma: no cover - needs 3 lost races

    def get(self, handoff_id: int) -> Handoff | None:
        """One handoff by id."""
        with Session(self.engine) as session:
            row = session.get(HandoffRecord, handoff_id)
            return _handoff(row) if row is not None else None

    def active_for(self, sender_id: str) -> Handoff | None:
        """The open or taken handoff of a conversation, if any."""
        query = sa.select(HandoffRecord).where(HandoffRecord.active_sender == sender_id)
        with Session(self.engine) as session:
            row = session.scalars(query).first()
            return _handoff(row) if row is not None else None

    def taken_by(self, name: str) -> Handoff | None:
        """The taken handoff whose `taken_by` is `name` (a helpdesk's conversation, "Chatwoot #12")."""
        query = (
            sa.select(HandoffRecord)
            .where(HandoffRecord.status == TAKEN, HandoffRecord.taken_by == name)
            .order_by(HandoffRecord.id.desc())
        )
        with Session(self.engine) as session:
            row = session.scalars(query).first()
            return _handoff(row) if row is not None else None

    def is_taken(self, sender_id: str) -> bool:
        """Whether a person has the conversation now (the assistant must stay quiet)."""
        active = self.active_for(sender_id)
        return active is not None and active.status == TAKEN

    def _change(
        self, handoff_id: int, allowed_from: tuple[str, ...], status: str, staff: str | None
    ) -> Handoff:
        with Session(self.engine) as session, session.begin():
            row = session.get(HandoffRecord, handoff_id, with_for_update=True)
            if row is None:
                raise HandoffError(f"There is no handoff {handoff_id}.")
            if row.status not in allowed_from:
                raise HandoffError(f"Handoff {handoff_id} is {row.status}.")
            row.status = status
            if staff is not None:
                row.taken_by = staff
            row.updated_at = _now()
            row.active_sender = row.sender_id if status in ACTIVE else None
            session.flush()
            return _handoff(row)

    def take(self, handoff_id: int, staff_name: str) -> Handoff:
        """A staff member takes an open handoff (or takes over a taken one)."""
        return self._change(handoff_id, ACTIVE, TAKEN, _staff(staff_name))

    def close(self, handoff_id: int, staff_name: str | None = None) -> Handoff:
        """Hand the conversation back to the assistant (or drop an open request)."""
        return self._change(handoff_id, ACTIVE, CLOSED, _staff(staff_name) if staff_name else None)

    def list(self, statuses: Iterable[str] = ACTIVE, limit: int = 200) -> list[Handoff]:
        """Handoffs with these statuses: open and taken oldest first (a queue), closed newest first."""
        wanted = [status for status in statuses if status in STATUSES]
        if not wanted:
            return []
        order = HandoffRecord.updated_at.desc() if wanted == [CLOSED] else HandoffRecord.created_at
        query = (
            sa.select(HandoffRecord)
            .where(HandoffRecord.status.in_(wanted))
            .order_by(order, HandoffRecord.id)
            .limit(max(1, min(limit, 1000)))
        )
        with Session(self.engine) as session:
            return [_handoff(row) for row in session.scalars(query)]

    def page(
        self, statuses: Iterable[str] = ACTIVE, cursor: Cursor | None = None, limit: int = PAGE_SIZE
    ) -> Page[Handoff]:
        """One page of handoffs with these statuses (keyset on the id): oldest first, closed newest first."""
        wanted = [status for status in statuses if status in STATUSES]
        size = page_size(limit)
        query = sa.select(HandoffRecord).where(HandoffRecord.status.in_(wanted))
        query = seek(query, HandoffRecord.id, wanted == [CLOSED], cursor, size)
        with Session(self.engine) as session:
            found = [_handoff(row) for row in session.scalars(query)] if wanted else []
        return make_page(found, lambda handoff: handoff.id, cursor, size)

    def counts(self) -> dict[str, int]:
        """How many handoffs have each status."""
        query = sa.select(HandoffRecord.status, sa.func.count()).group_by(HandoffRecord.status)
        counts = dict.fromkeys(STATUSES, 0)
        with self.engine.connect() as connection:
            for status, count in connection.execute(query):
                counts[str(status)] = int(count)
        return counts


def failures_in_a_row(events: Iterable[Mapping[str, Any]]) -> int:
    """User turns in a row, the latest included, that ran STUCK_ACTION (the latest one is running)."""
    turns: list[bool] = []
    for event in events:
        if not isinstance(event, Mapping):
            continue
        if event.get("event") == "user":
            turns.append(False)
        elif event.get("event") == "action" and event.get("name") == STUCK_ACTION and turns:
            turns[-1] = True
    if not turns:
        return 1
    turns[-1] = True  # the action asking is running for the latest turn
    count = 0
    for failed in reversed(turns):
        if not failed:
            break
        count += 1
    return count


def should_hand_off(events: Iterable[Mapping[str, Any]]) -> bool:
    """True on the 2nd (4th, …) message in a row that the assistant did not understand."""
    return failures_in_a_row(events) % FAILURES_FOR_HANDOFF == 0
