"""Keyset pages of the console's lists (issue #17), on SQLite and PostgreSQL: no gap, no duplicate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from actions.core import console_queries as q
from actions.core.handoff import ACTIVE, CLOSED, OPEN, STATUSES, TAKEN, HandoffQueue
from actions.core.paging import Cursor, Direction, InvalidCursor, Page, page_size, parse_cursor
from actions.core.repository import make_engine
from bench.console_pages import START, seed, sender

CONVERSATIONS = 130


@pytest.fixture
def seeded(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    seed(engine, CONVERSATIONS, assessments=90, handoffs=40)
    yield engine
    engine.dispose()


def walk(load: Callable[[Cursor | None], Page[Any]], key: Callable[[Any], Any]) -> list[list[Any]]:
    """Every page, following the next-page links from the first."""
    pages, cursor = [], None
    while True:
        page = load(cursor)
        pages.append([key(row) for row in page.rows])
        if page.next_key is None:
            return pages
        cursor = Cursor(Direction.AFTER, page.next_key)


def test_conversation_pages_cover_the_list_once_latest_first(seeded: Engine) -> None:
    pages = walk(
        lambda c: q.conversation_page(seeded, q.ConversationFilter(limit=50), c), lambda r: r.sender_id
    )
    assert [len(page) for page in pages] == [50, 50, 30]
    everything = [sender_id for page in pages for sender_id in page]
    assert everything == [sender(n) for n in reversed(range(CONVERSATIONS))]


def test_a_conversation_row_has_its_details(seeded: Engine) -> None:
    row = q.conversation_page(seeded, q.ConversationFilter(limit=1)).rows[0]
    last = CONVERSATIONS - 1
    assert (row.sender_id, row.channels, row.language, row.user_messages) == (
        sender(last),
        ["socketio"],
        "fr",
        2,
    )
    assert row.first_at == q.to_datetime(START + last * 10) and row.last_at == q.to_datetime(
        START + last * 10 + 80
    )


def test_previous_page_goes_back_to_the_same_rows(seeded: Engine) -> None:
    criteria = q.ConversationFilter(limit=20)
    first = q.conversation_page(seeded, criteria)
    assert first.previous_key is None and first.next_key is not None
    second = q.conversation_page(seeded, criteria, Cursor(Direction.AFTER, first.next_key))
    assert second.previous_key is not None
    back = q.conversation_page(seeded, criteria, Cursor(Direction.BEFORE, second.previous_key))
    assert back.rows == first.rows and back.previous_key is None and back.next_key == first.next_key


def test_a_new_message_moves_a_conversation_up_without_repeating_it(seeded: Engine) -> None:
    criteria = q.ConversationFilter(limit=50)
    first = q.conversation_page(seeded, criteria)
    assert first.next_key is not None
    seed(seeded, 1, first=5)  # conversation 5, on the last page, gets new events
    after = Cursor(Direction.AFTER, first.next_key)
    rest = walk(lambda c: q.conversation_page(seeded, criteria, c or after), lambda r: r.sender_id)
    assert sender(5) not in [s for page in rest for s in page]
    assert sum(len(page) for page in rest) == CONVERSATIONS - 50 - 1
    assert q.conversation_page(seeded, criteria).rows[0].sender_id == sender(5)


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (q.ConversationFilter(language="fr"), [n for n in range(CONVERSATIONS) if n % 3 == 0]),
        (q.ConversationFilter(channel="telegram"), [n for n in range(CONVERSATIONS) if n % 3 == 2]),
        (q.ConversationFilter(text="CONV-00012"), list(range(120, 130))),
        (q.ConversationFilter(text="hello 7"), [7, *range(70, 80)]),
    ],
)
def test_filters_hold_across_pages(
    seeded: Engine, criteria: q.ConversationFilter, expected: list[int]
) -> None:
    paged = q.ConversationFilter(
        criteria.since, criteria.until, criteria.channel, criteria.language, criteria.text, 7
    )
    pages = walk(lambda c: q.conversation_page(seeded, paged, c), lambda r: r.sender_id)
    assert all(len(page) == 7 for page in pages[:-1])
    assert [s for page in pages for s in page] == [sender(n) for n in sorted(expected, reverse=True)]


def test_date_range_filters_by_activity(seeded: Engine) -> None:
    day = datetime.fromtimestamp(START, tz=timezone.utc).date()
    assert day == date(2026, 1, 1)
    rows = q.conversation_page(seeded, q.ConversationFilter(since=day, until=day, limit=200)).rows
    assert len(rows) == CONVERSATIONS
    assert q.conversation_page(seeded, q.ConversationFilter(since=date(2026, 1, 2))).rows == ()
    assert q.conversation_page(seeded, q.ConversationFilter(until=date(2025, 12, 31))).rows == ()


def test_a_rare_match_ends_the_page_early_with_a_cursor_to_search_on(
    seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(q, "MAX_SCANNED", 40)
    criteria = q.ConversationFilter(text="hello 3", limit=50)  # conversations 3 and 30-39
    first = q.conversation_page(seeded, criteria)
    assert first.truncated and first.rows == () and first.next_key is not None
    pages = walk(lambda c: q.conversation_page(seeded, criteria, c), lambda r: r.sender_id)
    assert [s for page in pages for s in page] == [sender(n) for n in [*reversed(range(30, 40)), 3]]


def test_an_unknown_cursor_gives_the_rows_beyond_it(seeded: Engine) -> None:
    criteria = q.ConversationFilter()
    assert q.conversation_page(seeded, criteria, Cursor(Direction.AFTER, 1)).rows == ()
    past_the_end = q.conversation_page(seeded, criteria, Cursor(Direction.AFTER, 10**12))
    assert past_the_end.rows == q.conversation_page(seeded, criteria).rows


@pytest.mark.parametrize("value", ["x", "-1", "1.5", "", "٣", "9" * 20, str(2**62)])
def test_malformed_cursors_are_refused(value: str) -> None:
    if value:
        with pytest.raises(InvalidCursor):
            parse_cursor(value, None)
    else:
        assert parse_cursor(value, None) is None
    with pytest.raises(InvalidCursor):
        parse_cursor("1", "2")
    assert parse_cursor(None, "12") == Cursor(Direction.BEFORE, 12)


@pytest.mark.parametrize(
    ("value", "size"), [(None, 50), ("", 50), ("x", 50), ("0", 1), ("7", 7), ("5000", 200)]
)
def test_page_size_is_clamped(value: str | None, size: int) -> None:
    assert page_size(value) == size


def test_assessment_pages_and_filters(seeded: Engine) -> None:
    pages = walk(lambda c: q.assessment_page(seeded, q.AssessmentFilter(limit=40), c), lambda r: r.id)
    ids = [i for page in pages for i in page]
    assert [len(page) for page in pages] == [40, 40, 10] and ids == sorted(set(ids), reverse=True)
    eligible = walk(
        lambda c: q.assessment_page(seeded, q.AssessmentFilter("eligible", limit=7), c), lambda r: r
    )
    rows = [row for page in eligible for row in page]
    assert len(rows) == 30 and {row.verdict for row in rows} == {"eligible"}
    day = date(2026, 1, 1)  # the 90 assessments are one minute apart from midnight
    assert len(q.assessment_page(seeded, q.AssessmentFilter(since=day, until=day, limit=200)).rows) == 90
    assert q.assessment_page(seeded, q.AssessmentFilter(since=date(2026, 1, 2))).rows == ()
    per_day = q.verdicts_per_day(seeded, criteria=q.AssessmentFilter(verdict="not_eligible"))
    assert [(v.day, v.verdict, v.count) for v in per_day] == [(day, "not_eligible", 30)]
    assert q.verdicts(seeded) == ["cannot_tell", "eligible", "not_eligible"]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (ACTIVE, [n for n in range(40) if n % 4 in (0, 1)]),
        ((OPEN,), [n for n in range(40) if n % 4 == 0]),
        ((TAKEN,), [n for n in range(40) if n % 4 == 1]),
        ((CLOSED,), [n for n in reversed(range(40)) if n % 4 in (2, 3)]),  # newest first
        (STATUSES, list(range(40))),
    ],
)
def test_queue_pages_by_status(seeded: Engine, statuses: tuple[str, ...], expected: list[int]) -> None:
    queue = HandoffQueue(seeded)
    pages = walk(lambda c: queue.page(statuses, c, 6), lambda h: h.sender_id)
    assert all(len(page) == 6 for page in pages[:-1])
    assert [s for page in pages for s in page] == [sender(n) for n in expected]
    assert queue.page(["bogus"]).rows == ()
