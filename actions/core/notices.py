"""Opt-in change notices: who asked to be told when a fact changes, and the notices owed to them.

A person subscribes from a channel that can reach them later (Telegram, the website widget); the
subscription keeps the conversation id, the channel, the language and the date of consent
(`imp_notice_subscriptions`). When staff save a fact with "notify subscribers" ticked, one notice
per subscriber is queued in `imp_notices`, in the subscriber's language: Telegram ones are sent at
once, widget ones at the widget's next visit (rasa_plugins/channels/notices.py). Both tables are
personal data (actions.core.tables.PERSONAL_DATA): "delete my data" and retention remove them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions.core.knowledge import format_date
from actions.core.tables import (
    FACT_ID_LENGTH,
    SENDER_ID_LENGTH,
    NoticeSubscriptionRecord,
    PendingNoticeRecord,
)
from actions.core.texts import Texts, texts_file

LANGUAGES = ("en", "fr")
MAX_NOTICE_LENGTH = 1000


class NoticeChannel(str, Enum):
    """The channels that can reach a person after the conversation (Rasa's input channel names)."""

    TELEGRAM = "telegram"  # sent at once through the bot (sendMessage)
    WIDGET = "socketio"  # kept until the widget's next visit (its session_request)


class SubscribeResult(str, Enum):
    """What became of a request to subscribe."""

    SUBSCRIBED = "subscribed"
    ALREADY = "already"
    UNSUPPORTED_CHANNEL = "unsupported_channel"


class NoticeError(ValueError):
    """Input the notices cannot take (an id or text too long, an unknown language)."""


@dataclass(frozen=True)
class Subscription:
    """One person's consent to change notices."""

    sender_id: str
    channel: NoticeChannel
    language: str
    consented_at: datetime


@dataclass(frozen=True)
class Notice:
    """One notice owed to one subscriber."""

    id: int
    sender_id: str
    channel: NoticeChannel
    fact_id: str
    text: str
    created_at: datetime
    delivered_at: datetime | None


def notice_channel(channel: str | None) -> NoticeChannel | None:
    """The notice channel of a conversation's input channel, or None when it cannot reach anyone later."""
    try:
        return NoticeChannel(channel or "")
    except ValueError:
        return None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _as_utc(value: datetime) -> datetime:
    """SQLite gives naive datetimes back: they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _sender(sender_id: object) -> str:
    if not isinstance(sender_id, str) or not 1 <= len(sender_id) <= SENDER_ID_LENGTH:
        raise NoticeError("invalid conversation id")
    return sender_id


def _language(language: object) -> str:
    if language not in LANGUAGES:
        raise NoticeError(f"the language must be one of {', '.join(LANGUAGES)}")
    return str(language)


def _subscription(row: NoticeSubscriptionRecord) -> Subscription:
    return Subscription(row.sender_id, NoticeChannel(row.channel), row.language, _as_utc(row.consented_at))


def _notice(row: PendingNoticeRecord) -> Notice:
    return Notice(
        id=int(row.id),
        sender_id=row.sender_id,
        channel=NoticeChannel(row.channel),
        fact_id=row.fact_id,
        text=row.text,
        created_at=_as_utc(row.created_at),
        delivered_at=_as_utc(row.delivered_at) if row.delivered_at else None,
    )


class NoticeBook:
    """The subscriptions (imp_notice_subscriptions) and the notices owed (imp_notices)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        """Create both tables if they do not exist (tests; servers use migrations)."""
        for record in (NoticeSubscriptionRecord, PendingNoticeRecord):
            record.__table__.create(self.engine, checkfirst=True)

    def subscribe(self, sender_id: str, channel: str | None, language: str) -> SubscribeResult:
        """Record consent; an existing subscription keeps its date and takes the new language."""
        found = notice_channel(channel)
        if found is None:
            return SubscribeResult.UNSUPPORTED_CHANNEL
        sender_id, language = _sender(sender_id), _language(language)
        try:
            with Session(self.engine) as session, session.begin():
                row = session.get(NoticeSubscriptionRecord, sender_id)
                if row is not None:
                    row.language, row.channel = language, found.value
                    return SubscribeResult.ALREADY
                session.add(
                    NoticeSubscriptionRecord(
                        sender_id=sender_id, channel=found.value, language=language, consented_at=_now()
                    )
                )
        except IntegrityError:  # the same person, twice at once: the other request won
            return SubscribeResult.ALREADY
        return SubscribeResult.SUBSCRIBED

    def unsubscribe(self, sender_id: str) -> bool:
        """End the subscription and drop its undelivered notices; whether there was one."""
        sender_id = _sender(sender_id)
        with Session(self.engine) as session, session.begin():
            session.execute(
                sa.delete(PendingNoticeRecord).where(
                    PendingNoticeRecord.sender_id == sender_id, PendingNoticeRecord.delivered_at.is_(None)
                )
            )
            deleted = session.execute(
                sa.delete(NoticeSubscriptionRecord).where(NoticeSubscriptionRecord.sender_id == sender_id)
            )
            return bool(deleted.rowcount)

    def subscription(self, sender_id: str) -> Subscription | None:
        """This conversation's subscription, if any."""
        with Session(self.engine) as session:
            row = session.get(NoticeSubscriptionRecord, _sender(sender_id))
            return _subscription(row) if row is not None else None

    def subscribers(self) -> list[Subscription]:
        """Every subscription, oldest consent first."""
        query = sa.select(NoticeSubscriptionRecord).order_by(
            NoticeSubscriptionRecord.consented_at, NoticeSubscriptionRecord.sender_id
        )
        with Session(self.engine) as session:
            return [_subscription(row) for row in session.scalars(query)]

    def count(self) -> int:
        """How many people are subscribed."""
        with Session(self.engine) as session:
            return int(session.scalar(sa.select(sa.func.count()).select_from(NoticeSubscriptionRecord)) or 0)

    def queue(self, fact_id: str, text_for: Callable[[str], str]) -> list[Notice]:
        """One notice about `fact_id` per subscriber, worded by `text_for(language)`, in one transaction."""
        if not isinstance(fact_id, str) or not 1 <= len(fact_id) <= FACT_ID_LENGTH:
            raise NoticeError("invalid fact id")
        texts = {language: text_for(language) for language in LANGUAGES}
        if any(not text.strip() or len(text) > MAX_NOTICE_LENGTH for text in texts.values()):
            raise NoticeError(f"a notice has 1 to {MAX_NOTICE_LENGTH} characters")
        now = _now()
        with Session(self.engine) as session, session.begin():
            rows = [
                PendingNoticeRecord(
                    sender_id=s.sender_id,
                    channel=s.channel,
                    fact_id=fact_id,
                    text=texts.get(s.language, texts["en"]),
                    created_at=now,
                )
                for s in session.scalars(
                    sa.select(NoticeSubscriptionRecord).order_by(NoticeSubscriptionRecord.sender_id)
                )
            ]
            session.add_all(rows)
            session.flush()
            return [_notice(row) for row in rows]

    def undelivered(self, sender_id: str | None = None, channel: NoticeChannel | None = None) -> list[Notice]:
        """The notices not delivered yet (of one conversation, of one channel), oldest first."""
        query = sa.select(PendingNoticeRecord).where(PendingNoticeRecord.delivered_at.is_(None))
        if sender_id is not None:
            query = query.where(PendingNoticeRecord.sender_id == _sender(sender_id))
        if channel is not None:
            query = query.where(PendingNoticeRecord.channel == channel.value)
        with Session(self.engine) as session:
            return [_notice(row) for row in session.scalars(query.order_by(PendingNoticeRecord.id))]

    def mark_delivered(self, notice_ids: Iterable[int]) -> int:
        """Record these notices as delivered now (once: a delivered one keeps its date); how many were."""
        ids = sorted({int(notice_id) for notice_id in notice_ids})
        if not ids:
            return 0
        statement = (
            sa.update(PendingNoticeRecord)
            .where(PendingNoticeRecord.id.in_(ids), PendingNoticeRecord.delivered_at.is_(None))
            .values(delivered_at=_now())
        )
        with self.engine.begin() as connection:
            return int(connection.execute(statement).rowcount or 0)


def fact_notice(fact_id: str, day: date, language: str, texts: Texts | None = None) -> str:
    """The notice that a fact's answer changed on `day`, in `language` ("… my answer about the fees …")."""
    texts = texts or texts_file.get()
    template = texts.message("notice_fact_changed", language)
    return template.format(topic=texts.topic(fact_id, language), date=format_date(day.isoformat(), language))
