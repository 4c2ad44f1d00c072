"""Read-only queries of the staff console: conversations, misunderstood messages, verdicts, votes."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from actions.core.knowledge import DEFAULT_LANGUAGE, KnowledgeBase
from actions.core.tables import ASSESSMENTS, EVENTS, FEEDBACK

DEFAULT_THRESHOLD = 0.6
FALLBACK_INTENT = "nlu_fallback"
MAX_CONVERSATIONS = 200


@dataclass(frozen=True)
class ConversationFilter:
    """Search criteria of the conversations page; empty fields do not filter."""

    since: date | None = None
    until: date | None = None
    channel: str = ""
    language: str = ""
    text: str = ""
    limit: int = MAX_CONVERSATIONS


@dataclass
class ConversationSummary:
    """One row of the conversations page."""

    sender_id: str
    first_at: datetime
    last_at: datetime
    user_messages: int = 0
    channels: list[str] = field(default_factory=list)
    language: str = ""


@dataclass(frozen=True)
class TranscriptLine:
    """A user or bot message of a conversation."""

    role: str
    text: str
    at: datetime
    intent: str = ""
    confidence: float | None = None
    staff: str = ""  # the staff member who wrote a bot message during a handoff


@dataclass(frozen=True)
class NotUnderstood:
    """A (lower-cased) message text the NLU did not understand well, and how often it came."""

    text: str
    count: int
    last_at: datetime
    intents: tuple[str, ...]
    conversations: int


@dataclass(frozen=True)
class VerdictCount:
    """How many assessments ended with a verdict on one day (UTC)."""

    day: date
    verdict: str
    count: int


@dataclass(frozen=True)
class LatestAssessment:
    """One recent assessment."""

    id: int
    conversation_id: str
    verdict: str
    created_at: datetime


@dataclass(frozen=True)
class FactVotes:
    """The "was this helpful?" votes on one fact."""

    fact_id: str
    yes: int
    no: int

    @property
    def total(self) -> int:
        """Number of votes."""
        return self.yes + self.no

    @property
    def share_yes(self) -> float:
        """Share of "yes" votes, 0 to 1."""
        return self.yes / self.total if self.total else 0.0


@dataclass(frozen=True)
class ConsoleAnswer:
    """What the assistant would answer to a question, for staff to paste into an email."""

    intent: str
    confidence: float
    fact_id: str | None
    text: str
    sources: tuple[str, ...]
    as_of: str | None


def to_datetime(timestamp: float | None) -> datetime:
    """A Rasa event timestamp (Unix seconds) as an aware UTC datetime."""
    return datetime.fromtimestamp(float(timestamp or 0), tz=timezone.utc)


def _day_bounds(since: date | None, until: date | None) -> tuple[float | None, float | None]:
    start = datetime.combine(since, time.min, tzinfo=timezone.utc).timestamp() if since else None
    end = (
        datetime.combine(until + timedelta(days=1), time.min, tzinfo=timezone.utc).timestamp()
        if until
        else None
    )
    return start, end


def _data(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _has_table(engine: Engine, name: str) -> bool:
    return sa.inspect(engine).has_table(name)


def list_conversations(engine: Engine, criteria: ConversationFilter) -> list[ConversationSummary]:
    """Conversations with events in the date range that match the filters, latest first."""
    if not _has_table(engine, EVENTS.name):
        return []
    start, end = _day_bounds(criteria.since, criteria.until)
    first = sa.func.min(EVENTS.c.timestamp)
    last = sa.func.max(EVENTS.c.timestamp)
    span = sa.select(EVENTS.c.sender_id, first.label("first_at"), last.label("last_at")).group_by(
        EVENTS.c.sender_id
    )
    if start is not None:
        span = span.having(last >= start)
    if end is not None:
        span = span.having(first < end)
    span = span.order_by(last.desc())
    channel = criteria.channel.strip().lower()
    language = criteria.language.strip().lower()
    text = criteria.text.strip().lower()
    results: list[ConversationSummary] = []
    with engine.connect() as connection:
        spans = connection.execute(span).all()
        # Details in batches, in the order of the latest activity, until the page is full.
        for offset in range(0, len(spans), 200):
            batch = {row.sender_id: row for row in spans[offset : offset + 200]}
            details = _details(connection, list(batch))
            for sender_id, row in batch.items():
                summary = ConversationSummary(sender_id, to_datetime(row.first_at), to_datetime(row.last_at))
                user_texts, channels, lang = details.get(sender_id, ([], [], ""))
                summary.user_messages = len(user_texts)
                summary.channels = channels
                summary.language = lang
                if channel and channel not in [c.lower() for c in channels]:
                    continue
                if language and language != lang.lower():
                    continue
                if (
                    text
                    and not any(text in message.lower() for message in user_texts)
                    and text not in (sender_id.lower())
                ):
                    continue
                results.append(summary)
                if len(results) >= criteria.limit:
                    return results
    return results


def _details(
    connection: sa.engine.Connection, senders: list[str]
) -> dict[str, tuple[list[str], list[str], str]]:
    """Per sender: the user messages' texts, the input channels, the latest language slot value."""
    query = (
        sa.select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.data)
        .where(EVENTS.c.sender_id.in_(senders), EVENTS.c.type_name.in_(("user", "slot")))
        .order_by(EVENTS.c.id)
    )
    texts: dict[str, list[str]] = defaultdict(list)
    channels: dict[str, list[str]] = defaultdict(list)
    languages: dict[str, str] = {}
    for row in connection.execute(query):
        data = _data(row.data)
        if row.type_name == "user":
            texts[row.sender_id].append(str(data.get("text") or ""))
            channel = data.get("input_channel")
            if channel and channel not in channels[row.sender_id]:
                channels[row.sender_id].append(str(channel))
        elif data.get("name") == "language" and data.get("value"):
            languages[row.sender_id] = str(data["value"])
    return {
        sender: (texts.get(sender, []), channels.get(sender, []), languages.get(sender, ""))
        for sender in senders
    }


def channels_and_languages(engine: Engine) -> tuple[list[str], list[str]]:
    """The channels and languages seen, for the search form's choices."""
    if not _has_table(engine, EVENTS.name):
        return [], []
    found_channels: set[str] = set()
    found_languages: set[str] = set()
    query = sa.select(EVENTS.c.type_name, EVENTS.c.data).where(EVENTS.c.type_name.in_(("user", "slot")))
    with engine.connect() as connection:
        for row in connection.execute(query):
            data = _data(row.data)
            if row.type_name == "user" and data.get("input_channel"):
                found_channels.add(str(data["input_channel"]))
            elif row.type_name == "slot" and data.get("name") == "language" and data.get("value"):
                found_languages.add(str(data["value"]))
    return sorted(found_channels), sorted(found_languages)


def transcript(engine: Engine, sender_id: str) -> list[TranscriptLine]:
    """The user and bot messages of a conversation, in order."""
    if not _has_table(engine, EVENTS.name):
        return []
    query = (
        sa.select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
        .where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name.in_(("user", "bot")))
        .order_by(EVENTS.c.id)
    )
    lines: list[TranscriptLine] = []
    with engine.connect() as connection:
        for row in connection.execute(query):
            data = _data(row.data)
            at = to_datetime(row.timestamp)
            if row.type_name == "user":
                intent = (data.get("parse_data") or {}).get("intent") or {}
                confidence = intent.get("confidence")
                lines.append(
                    TranscriptLine(
                        "user",
                        str(data.get("text") or ""),
                        at,
                        str(intent.get("name") or ""),
                        float(confidence) if confidence is not None else None,
                    )
                )
            else:
                text = str(data.get("text") or "")
                buttons = (data.get("data") or {}).get("buttons") or []
                titles = [str(b.get("title", "")) for b in buttons if isinstance(b, dict)]
                if titles:
                    text = f"{text}\n[{' | '.join(titles)}]".strip()
                metadata = data.get("metadata")
                staff = metadata.get("imp_staff") if isinstance(metadata, dict) else None
                lines.append(TranscriptLine("bot", text, at, staff=str(staff) if staff else ""))
    return lines


def not_understood(
    engine: Engine,
    threshold: float = DEFAULT_THRESHOLD,
    since: date | None = None,
    until: date | None = None,
) -> list[NotUnderstood]:
    """Messages classified nlu_fallback or below the threshold, grouped by text, most frequent first."""
    if not _has_table(engine, EVENTS.name):
        return []
    start, end = _day_bounds(since, until)
    query = sa.select(EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.data).where(
        EVENTS.c.type_name == "user"
    )
    if start is not None:
        query = query.where(EVENTS.c.timestamp >= start)
    if end is not None:
        query = query.where(EVENTS.c.timestamp < end)
    counts: Counter[str] = Counter()
    last: dict[str, float] = {}
    intents: dict[str, set[str]] = defaultdict(set)
    senders: dict[str, set[str]] = defaultdict(set)
    with engine.connect() as connection:
        for row in connection.execute(query):
            data = _data(row.data)
            text = " ".join(str(data.get("text") or "").split()).lower()
            if not text or text.startswith("/"):  # empty, or a button payload
                continue
            intent = (data.get("parse_data") or {}).get("intent") or {}
            name = str(intent.get("name") or "")
            confidence = intent.get("confidence")
            unsure = confidence is None or float(confidence) < threshold
            if name != FALLBACK_INTENT and not unsure:
                continue
            counts[text] += 1
            last[text] = max(last.get(text, 0.0), float(row.timestamp or 0))
            intents[text].add(name or "(none)")
            senders[text].add(row.sender_id)
    ordered = sorted(counts, key=lambda text: (-counts[text], -last[text], text))
    return [
        NotUnderstood(t, counts[t], to_datetime(last[t]), tuple(sorted(intents[t])), len(senders[t]))
        for t in ordered
    ]


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def _as_datetime(value: Any) -> datetime:
    result = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return result if result.tzinfo else result.replace(tzinfo=timezone.utc)


def verdicts_per_day(engine: Engine, since: date | None = None) -> list[VerdictCount]:
    """Assessments per day (UTC) and verdict, oldest day first."""
    if not _has_table(engine, ASSESSMENTS.name):
        return []
    query = sa.select(ASSESSMENTS.c.verdict, ASSESSMENTS.c.created_at)
    if since is not None:
        query = query.where(
            ASSESSMENTS.c.created_at >= datetime.combine(since, time.min, tzinfo=timezone.utc)
        )
    counts: Counter[tuple[date, str]] = Counter()
    with engine.connect() as connection:
        for row in connection.execute(query):
            counts[(_as_datetime(row.created_at).astimezone(timezone.utc).date(), row.verdict)] += 1
    return [VerdictCount(day, verdict, n) for (day, verdict), n in sorted(counts.items())]


def latest_assessments(engine: Engine, limit: int = 50) -> list[LatestAssessment]:
    """The most recent assessments, newest first."""
    if not _has_table(engine, ASSESSMENTS.name):
        return []
    columns = ASSESSMENTS.c
    query = (
        sa.select(columns.id, columns.conversation_id, columns.verdict, columns.created_at)
        .order_by(columns.id.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return [
            LatestAssessment(row.id, row.conversation_id, row.verdict, _as_datetime(row.created_at))
            for row in connection.execute(query)
        ]


def votes_per_fact(engine: Engine) -> list[FactVotes]:
    """Yes/no votes per fact, the most voted first."""
    if not _has_table(engine, FEEDBACK.name):
        return []
    yes = sa.func.sum(sa.case((FEEDBACK.c.helpful == sa.true(), 1), else_=0))
    total = sa.func.count()
    query = sa.select(FEEDBACK.c.fact_id, yes.label("yes"), total.label("total")).group_by(FEEDBACK.c.fact_id)
    with engine.connect() as connection:
        rows = [
            FactVotes(r.fact_id, int(r.yes or 0), int(r.total) - int(r.yes or 0))
            for r in connection.execute(query)
        ]
    return sorted(rows, key=lambda votes: (-votes.total, votes.fact_id))


def answer_for(
    knowledge: KnowledgeBase, intent: str | None, confidence: float, language: str = DEFAULT_LANGUAGE
) -> ConsoleAnswer:
    """The fact the assistant gives for an intent, with its sources, or the "I don't know" answer."""
    fact = knowledge.fact_for_intent(intent)
    if fact is None:
        return ConsoleAnswer(intent or "", confidence, None, knowledge.render_dont_know(language), (), None)
    return ConsoleAnswer(
        intent=intent or "",
        confidence=confidence,
        fact_id=fact.id,
        text=knowledge.render_fact(fact, language),
        sources=tuple(source.name(language) for source in fact.sources),
        as_of=fact.as_of,
    )
