"""Read-only queries of the staff console: conversations, misunderstood messages, verdicts, votes."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from actions.core.knowledge import DEFAULT_LANGUAGE, KnowledgeBase
from actions.core.paging import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    Cursor,
    Direction,
    InvalidCursor,
    Page,
    make_page,
    page_size,
    parse_cursor,
    seek,
)
from actions.core.tables import ASSESSMENTS, EVENTS, FEEDBACK

__all__ = ["Cursor", "Direction", "InvalidCursor", "Page", "parse_cursor"]

DEFAULT_THRESHOLD = 0.6
FALLBACK_INTENT = "nlu_fallback"
# Conversations examined per page at most when a filter is checked in Python (channel, language,
# message text): a rare match ends the page early with a cursor to search on.
MAX_SCANNED = 5000
# The search form's channel and language choices come from this many of the latest events.
CHOICES_SCANNED = 20000
# The not-understood page charts this many of the most frequent messages, day by day.
TOP_NOT_UNDERSTOOD = 5


@dataclass(frozen=True)
class ConversationFilter:
    """Search criteria of the conversations page; empty fields do not filter."""

    since: date | None = None
    until: date | None = None
    channel: str = ""
    language: str = ""
    text: str = ""
    limit: int = PAGE_SIZE


@dataclass
class ConversationSummary:
    """One row of the conversations page."""

    sender_id: str
    first_at: datetime
    last_at: datetime
    user_messages: int = 0
    channels: list[str] = field(default_factory=list)
    language: str = ""
    last_event_id: int = 0  # the page key: the id of the conversation's newest event


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
class DailyCount:
    """How many times a (lower-cased) not-understood message came on one day (UTC)."""

    text: str
    day: date
    count: int


@dataclass(frozen=True)
class NotUnderstoodReport:
    """The not-understood messages, most frequent first, and the most frequent ones' counts per day."""

    rows: list[NotUnderstood]
    per_day: list[DailyCount]  # the top messages in the order of `rows`, each oldest day first


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
    checked: str | None = None  # when a person last confirmed the fact against its official page


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


def newest_events(criteria: ConversationFilter) -> sa.Select:
    """Each conversation's newest event (id, sender, time) in the date range: Rasa's indexes only.

    The newest event is the one no later event of the same sender follows: walking the primary key
    from the cursor, each row costs one probe of Rasa's index on sender_id, so a page costs about
    its rows times their events, however deep it lies (no OFFSET, no GROUP BY over the table).
    """
    newest = EVENTS.alias("newest")
    later = EVENTS.alias("later")
    query = sa.select(newest.c.id, newest.c.sender_id, newest.c.timestamp).where(
        ~sa.exists().where(later.c.sender_id == newest.c.sender_id, later.c.id > newest.c.id)
    )
    start, end = _day_bounds(criteria.since, criteria.until)
    if start is not None:
        query = query.where(newest.c.timestamp >= start)
    if end is not None:
        earlier = EVENTS.alias("earlier")
        query = query.where(
            sa.exists().where(earlier.c.sender_id == newest.c.sender_id, earlier.c.timestamp < end)
        )
    return query


def _first_times(connection: sa.engine.Connection, senders: list[str]) -> dict[str, float]:
    first = sa.func.min(EVENTS.c.timestamp)
    query = (
        sa.select(EVENTS.c.sender_id, first)
        .where(EVENTS.c.sender_id.in_(senders))
        .group_by(EVENTS.c.sender_id)
    )
    return {row[0]: float(row[1] or 0) for row in connection.execute(query)}


def _matches(summary: ConversationSummary, texts: list[str], criteria: ConversationFilter) -> bool:
    channel = criteria.channel.strip().lower()
    language = criteria.language.strip().lower()
    text = criteria.text.strip().lower()
    if channel and channel not in [c.lower() for c in summary.channels]:
        return False
    if language and language != summary.language.lower():
        return False
    return not text or text in summary.sender_id.lower() or any(text in t.lower() for t in texts)


def conversation_page(
    engine: Engine, criteria: ConversationFilter, cursor: Cursor | None = None
) -> Page[ConversationSummary]:
    """One page of the conversations matching the filters, latest activity (newest event) first."""
    size = page_size(criteria.limit)
    if not _has_table(engine, EVENTS.name):
        return make_page([], lambda row: row.last_event_id, cursor, size)
    newest = newest_events(criteria).subquery()
    found: list[ConversationSummary] = []
    position, scanned = cursor, 0
    batch = size + 1
    with engine.connect() as connection:
        while len(found) <= size:
            query = seek(sa.select(newest), newest.c.id, True, position, batch - 1)
            rows = connection.execute(query).all()
            if not rows:
                break
            senders = [row.sender_id for row in rows]
            details = _details(connection, senders)
            firsts = _first_times(connection, senders)
            for row in rows:
                texts, channels, language = details.get(row.sender_id, ([], [], ""))
                summary = ConversationSummary(
                    row.sender_id,
                    to_datetime(firsts.get(row.sender_id, row.timestamp)),
                    to_datetime(row.timestamp),
                    len(texts),
                    channels,
                    language,
                    row.id,
                )
                if _matches(summary, texts, criteria):
                    found.append(summary)
                    if len(found) > size:
                        break
            scanned += len(rows)
            if len(rows) < batch or len(found) > size:
                break
            if scanned >= MAX_SCANNED:
                page = make_page(found, lambda r: r.last_event_id, cursor, size, truncated=True)
                if cursor is not None and cursor.direction is Direction.BEFORE:
                    return replace(page, previous_key=rows[-1].id)
                return replace(page, next_key=rows[-1].id)
            direction = cursor.direction if cursor else Direction.AFTER
            position = Cursor(direction, rows[-1].id)
            batch = min(MAX_PAGE_SIZE, batch * 2)
    return make_page(found, lambda r: r.last_event_id, cursor, size)


def list_conversations(engine: Engine, criteria: ConversationFilter) -> list[ConversationSummary]:
    """The first page of conversations matching the filters, latest first."""
    return list(conversation_page(engine, criteria).rows)


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
    """The channels and languages of the latest CHOICES_SCANNED messages, for the search form."""
    if not _has_table(engine, EVENTS.name):
        return [], []
    found_channels: set[str] = set()
    found_languages: set[str] = set()
    query = (
        sa.select(EVENTS.c.type_name, EVENTS.c.data)
        .where(EVENTS.c.type_name.in_(("user", "slot")))
        .order_by(EVENTS.c.id.desc())
        .limit(CHOICES_SCANNED)
    )
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


def not_understood_report(
    engine: Engine,
    threshold: float = DEFAULT_THRESHOLD,
    since: date | None = None,
    until: date | None = None,
    top: int = TOP_NOT_UNDERSTOOD,
) -> NotUnderstoodReport:
    """The not-understood messages (as `not_understood`) and the `top` ones' counts per day, in one scan."""
    if not _has_table(engine, EVENTS.name):
        return NotUnderstoodReport([], [])
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
    days: dict[str, Counter[date]] = defaultdict(Counter)
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
            days[text][to_datetime(row.timestamp).date()] += 1
    ordered = sorted(counts, key=lambda text: (-counts[text], -last[text], text))
    rows = [
        NotUnderstood(t, counts[t], to_datetime(last[t]), tuple(sorted(intents[t])), len(senders[t]))
        for t in ordered
    ]
    per_day = [DailyCount(t, day, n) for t in ordered[: max(top, 0)] for day, n in sorted(days[t].items())]
    return NotUnderstoodReport(rows, per_day)


def not_understood(
    engine: Engine,
    threshold: float = DEFAULT_THRESHOLD,
    since: date | None = None,
    until: date | None = None,
) -> list[NotUnderstood]:
    """Messages classified nlu_fallback or below the threshold, grouped by text, most frequent first."""
    return not_understood_report(engine, threshold, since, until, top=0).rows


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def _as_datetime(value: Any) -> datetime:
    result = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return result if result.tzinfo else result.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class AssessmentFilter:
    """Search criteria of the assessments page; empty fields do not filter."""

    verdict: str = ""
    since: date | None = None
    until: date | None = None
    limit: int = PAGE_SIZE


def _assessment_criteria(query: sa.Select, criteria: AssessmentFilter) -> sa.Select:
    columns = ASSESSMENTS.c
    if criteria.verdict:
        query = query.where(columns.verdict == criteria.verdict)
    if criteria.since is not None:
        query = query.where(
            columns.created_at >= datetime.combine(criteria.since, time.min, tzinfo=timezone.utc)
        )
    if criteria.until is not None:
        end = datetime.combine(criteria.until + timedelta(days=1), time.min, tzinfo=timezone.utc)
        query = query.where(columns.created_at < end)
    return query


def verdicts_per_day(
    engine: Engine, since: date | None = None, criteria: AssessmentFilter | None = None
) -> list[VerdictCount]:
    """Assessments per day (UTC) and verdict, oldest day first."""
    if not _has_table(engine, ASSESSMENTS.name):
        return []
    criteria = criteria or AssessmentFilter(since=since)
    query = _assessment_criteria(sa.select(ASSESSMENTS.c.verdict, ASSESSMENTS.c.created_at), criteria)
    counts: Counter[tuple[date, str]] = Counter()
    with engine.connect() as connection:
        for row in connection.execute(query):
            counts[(_as_datetime(row.created_at).astimezone(timezone.utc).date(), row.verdict)] += 1
    return [VerdictCount(day, verdict, n) for (day, verdict), n in sorted(counts.items())]


def latest_assessments(engine: Engine, limit: int = PAGE_SIZE) -> list[LatestAssessment]:
    """The most recent assessments, newest first."""
    return list(assessment_page(engine, AssessmentFilter(limit=limit)).rows)


def assessment_page(
    engine: Engine, criteria: AssessmentFilter, cursor: Cursor | None = None
) -> Page[LatestAssessment]:
    """One page of the assessments matching the filters, newest first (keyset on the id)."""
    size = page_size(criteria.limit)
    if not _has_table(engine, ASSESSMENTS.name):
        return make_page([], lambda row: row.id, cursor, size)
    columns = ASSESSMENTS.c
    query = sa.select(columns.id, columns.conversation_id, columns.verdict, columns.created_at)
    query = seek(_assessment_criteria(query, criteria), columns.id, True, cursor, size)
    with engine.connect() as connection:
        found = [
            LatestAssessment(row.id, row.conversation_id, row.verdict, _as_datetime(row.created_at))
            for row in connection.execute(query)
        ]
    return make_page(found, lambda row: row.id, cursor, size)


def verdicts(engine: Engine) -> list[str]:
    """The verdicts recorded, for the search form's choices."""
    if not _has_table(engine, ASSESSMENTS.name):
        return []
    with engine.connect() as connection:
        return sorted(
            str(v) for v in connection.execute(sa.select(ASSESSMENTS.c.verdict).distinct()).scalars()
        )


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
        checked=fact.checked,
    )


def answer_to(
    parsed: Mapping[str, Any], knowledge: KnowledgeBase, language: str = DEFAULT_LANGUAGE
) -> ConsoleAnswer:
    """The answer to a parse result of the model (`Agent.parse_message`): its fact, or "I don't know"."""
    intent = parsed.get("intent") or {}
    return answer_for(knowledge, intent.get("name"), float(intent.get("confidence") or 0.0), language)
