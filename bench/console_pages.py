"""Time the console's paged lists on a large database: first page and a deep page (issue #17).

    .venv/bin/python -m bench.console_pages [--conversations 100000] [--postgres URL] [--keep PATH]

Seeds a fresh SQLite file (and, with --postgres, a throwaway database on that server, dropped
afterwards) with Rasa `events` rows (5 per conversation, conversations overlapping in time as on a
live server), assessments and handoffs, by bulk inserts; then times each list's first page and a
page deep in it (reached by following the cursors), and prints the figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from actions.core import console_queries as queries
from actions.core.handoff import ACTIVE, CLOSED, OPEN, STATUSES, TAKEN, HandoffQueue
from actions.core.paging import Cursor, Direction, Page, seek
from actions.core.repository import make_engine
from actions.core.tables import ASSESSMENTS, EVENTS, HANDOFFS, RASA_METADATA, Base

START = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
CHANNELS = ("socketio", "rest", "telegram")
VERDICTS = ("eligible", "not_eligible", "cannot_tell")
BATCH = 20000


@dataclass(frozen=True)
class Timing:
    """One measured page load."""

    what: str
    page: str
    seconds: float
    rows: int


def sender(number: int, prefix: str = "conv") -> str:
    """The conversation id of the seeded conversation number."""
    return f"{prefix}-{number:06d}"


def _user(text: str, channel: str, intent: str) -> dict[str, Any]:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.97}, "entities": []}
    return {"event": "user", "text": text, "input_channel": channel, "parse_data": parse}


def conversation_events(number: int, prefix: str = "conv") -> list[dict[str, Any]]:
    """A seeded conversation's 5 events: language slot, two user messages, two bot answers."""
    at = START + number * 10.0
    language = "fr" if number % 3 == 0 else "en"
    channel = CHANNELS[number % len(CHANNELS)]
    rows = []
    for step, (type_name, data) in enumerate(
        [
            ("slot", {"event": "slot", "name": "language", "value": language}),
            ("user", _user(f"hello {number}", channel, "greet")),
            ("bot", {"event": "bot", "text": "Hi! Ask me about IMP+."}),
            ("user", _user("how much does it cost?", channel, "ask_fees")),
            ("bot", {"event": "bot", "text": "The fee is the one of a work permit."}),
        ]
    ):
        stamp = at + step * 20.0  # a conversation spans 80 s: about 8 overlap at any time
        rows.append(
            {
                "sender_id": sender(number, prefix),
                "type_name": type_name,
                "timestamp": stamp,
                "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
                "action_name": None,
                "data": json.dumps({**data, "timestamp": stamp}),
            }
        )
    return rows


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def seed(
    engine: Engine,
    conversations: int,
    assessments: int = 0,
    handoffs: int = 0,
    first: int = 0,
    prefix: str = "conv",
) -> None:
    """Bulk-insert conversations (events in time order), assessments and handoffs."""
    RASA_METADATA.create_all(engine)
    Base.metadata.create_all(engine)
    events = [row for n in range(first, first + conversations) for row in conversation_events(n, prefix)]
    events.sort(key=lambda row: row["timestamp"])
    at = datetime.fromtimestamp(START, tz=timezone.utc)
    assessment_rows = [
        {
            "conversation_id": sender(first + n % max(conversations, 1)),
            "answers": "{}",
            "verdict": VERDICTS[n % len(VERDICTS)],
            "criteria": "[]",
            "created_at": at + timedelta(minutes=n),
        }
        for n in range(assessments)
    ]
    handoff_rows = []
    for n in range(handoffs):
        status = (OPEN, TAKEN, CLOSED, CLOSED)[n % 4]
        handoff_rows.append(
            {
                "sender_id": sender(first + n),
                "channel": CHANNELS[n % len(CHANNELS)],
                "language": "en",
                "reason": "asked",
                "status": status,
                "taken_by": "Ana" if status != OPEN else None,
                "created_at": at + timedelta(minutes=n),
                "updated_at": at + timedelta(minutes=n + 5),
                "active_sender": sender(first + n) if status != CLOSED else None,
            }
        )
    with engine.begin() as connection:
        for table, rows in ((EVENTS, events), (ASSESSMENTS, assessment_rows), (HANDOFFS, handoff_rows)):
            for batch in _batches(rows):
                connection.execute(table.insert(), batch)


def timed(what: str, page: str, load: Callable[[], Page[Any]]) -> tuple[Timing, Page[Any]]:
    """The best of three loads of one page."""
    times, result = [], None
    for _ in range(3):
        started = time.perf_counter()
        result = load()
        times.append(time.perf_counter() - started)
    assert result is not None
    return Timing(what, page, min(times), len(result.rows)), result


def deep_pages(
    what: str, load: Callable[[Cursor | None], Page[Any]], follow: int
) -> tuple[list[Timing], Page[Any]]:
    """Time the first page, follow up to `follow` next-page links, time the page reached."""
    first, page = timed(what, "first page", lambda: load(None))
    cursor: Cursor | None = None
    pages = 1
    started = time.perf_counter()
    while pages <= follow and page.next_key is not None:
        cursor = Cursor(Direction.AFTER, page.next_key)
        page = load(cursor)
        pages += 1
    walked = time.perf_counter() - started
    deep, page = timed(what, f"page {pages} (via its cursor)", lambda: load(cursor))
    walk = Timing(what, f"walk to page {pages}", walked, pages - 1)
    return [first, walk, deep], page


def measure(engine: Engine, size: int) -> list[Timing]:
    """The timings of the three lists on one database."""
    results: list[Timing] = []
    follow = 200  # page 201: the 10,000th conversation at 50 a page
    for criteria in (
        queries.ConversationFilter(limit=size),
        queries.ConversationFilter(limit=size, language="fr"),
    ):
        label = "conversations" + (" language=fr" if criteria.language else "")
        timings, _ = deep_pages(label, lambda c, f=criteria: queries.conversation_page(engine, f, c), follow)
        results += timings
    near_end = Cursor(Direction.AFTER, 5 * size)  # a cursor near the end: the oldest conversations
    timing, _ = timed(
        "conversations",
        "jump to a cursor near the end",
        lambda: queries.conversation_page(engine, queries.ConversationFilter(limit=size), near_end),
    )
    results.append(timing)
    assessments = queries.AssessmentFilter(limit=size)
    timings, _ = deep_pages("assessments", lambda c: queries.assessment_page(engine, assessments, c), 100)
    results += timings
    eligible = queries.AssessmentFilter(limit=size, verdict="eligible")
    timings, _ = deep_pages(
        "assessments verdict=eligible", lambda c: queries.assessment_page(engine, eligible, c), 50
    )
    results += timings
    for label, load in (
        ("conversations form choices", lambda: Page(tuple(queries.channels_and_languages(engine)))),
        ("assessments verdicts per day", lambda: Page(tuple(queries.verdicts_per_day(engine)))),
    ):
        timing, _ = timed(label, "(part of the page)", load)
        results.append(timing)
    queue = HandoffQueue(engine)
    for label, statuses in (("queue active", ACTIVE), ("queue closed", (CLOSED,)), ("queue all", STATUSES)):
        timings, _ = deep_pages(label, lambda c, s=statuses: queue.page(s, c, size), 40)
        results += timings
    return results


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A throwaway database on the PostgreSQL server, dropped afterwards."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    name = f"imp_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(make_url(admin_url).set(database=name))
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def plan(engine: Engine, size: int) -> list[str]:
    """The database's plan of a deep conversations page: which indexes it uses."""
    newest = queries.newest_events(queries.ConversationFilter()).subquery()
    query = seek(sa.select(newest), newest.c.id, True, Cursor(Direction.AFTER, 250_000), size)
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        rows = connection.execute(sa.text(prefix + sql)).all()
    return [str(row[-1]) for row in rows]


def run(url: str, label: str, conversations: int, size: int) -> None:
    """Seed one database, measure, print."""
    engine = make_engine(url)
    started = time.perf_counter()
    seed(engine, conversations, assessments=conversations // 5, handoffs=conversations // 10)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
    print(
        f"\n{label}: seeded {conversations:,} conversations ({conversations * 5:,} events), "
        f"{conversations // 5:,} assessments, {conversations // 10:,} handoffs in "
        f"{time.perf_counter() - started:.1f} s; page size {size}; best of 3 per page"
    )
    print("  plan of a deep conversations page:")
    for line in plan(engine, size):
        print(f"    {line}")
    for timing in measure(engine, size):
        per = f"{timing.seconds * 1000:9.1f} ms"
        print(f"  {timing.what:32} {timing.page:28} {per}  ({timing.rows} rows)")
    engine.dispose()


def main() -> None:
    """Parse the arguments and run on SQLite, then PostgreSQL when asked."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=queries.PAGE_SIZE)
    parser.add_argument(
        "--postgres", default="", help="admin URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bench.db'}", "SQLite", args.conversations, args.size)
    if args.postgres:
        with postgres_database(args.postgres) as url:
            run(url, "PostgreSQL", args.conversations, args.size)


if __name__ == "__main__":
    main()
