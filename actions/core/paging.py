"""Keyset (seek) pagination: a page is the rows after or before a key, never an OFFSET."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

import sqlalchemy as sa

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_CURSOR = 2**62
T = TypeVar("T")


class Direction(str, Enum):
    """Which side of the cursor a page lies on, in the list's display order."""

    AFTER = "after"
    BEFORE = "before"


class InvalidCursor(ValueError):
    """A page cursor of the query string that is not a key."""


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: the rows after (or before) the row with this key, in display order."""

    direction: Direction
    key: int


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the keys to give the next and previous pages, None at either end."""

    rows: tuple[T, ...]
    next_key: int | None = None
    previous_key: int | None = None
    # the page ended early: MAX_SCANNED rows were examined (the next page searches on)
    truncated: bool = False


def parse_cursor(after: str | None, before: str | None) -> Cursor | None:
    """The cursor of the `after` / `before` query arguments; None for the first page."""
    if after and before:
        raise InvalidCursor("Give either after or before, not both.")
    value = after or before
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 19 or int(value) >= MAX_CURSOR:
        raise InvalidCursor("The page cursor is not a valid key.")
    return Cursor(Direction.AFTER if after else Direction.BEFORE, int(value))


def page_size(value: str | int | None) -> int:
    """A page size from 1 to MAX_PAGE_SIZE; PAGE_SIZE when absent or not a number."""
    try:
        size = int(value) if value not in (None, "") else PAGE_SIZE
    except (TypeError, ValueError):
        return PAGE_SIZE
    return min(max(size, 1), MAX_PAGE_SIZE)


def make_page(
    found: Sequence[T], key: Callable[[T], int], cursor: Cursor | None, size: int, truncated: bool = False
) -> Page[T]:
    """A page from up to size + 1 rows read in seek order (away from the cursor)."""
    more = len(found) > size or truncated
    rows = list(found[:size])
    if cursor is not None and cursor.direction is Direction.BEFORE:
        rows.reverse()
        previous_key = key(rows[0]) if rows and more else None
        next_key = key(rows[-1]) if rows else cursor.key
        return Page(tuple(rows), next_key, previous_key, truncated)
    next_key = key(rows[-1]) if rows and more else None
    previous_key = key(rows[0]) if rows and cursor is not None else None
    if cursor is not None and not rows:
        previous_key = cursor.key
    return Page(tuple(rows), next_key, previous_key, truncated)


def seek(
    query: sa.Select, column: sa.ColumnElement, descending: bool, cursor: Cursor | None, size: int
) -> sa.Select:
    """The query's next size + 1 rows in seek order: display order, reversed before the cursor."""
    backwards = cursor is not None and cursor.direction is Direction.BEFORE
    down = descending != backwards
    if cursor is not None:
        query = query.where(column < cursor.key if down else column > cursor.key)
    return query.order_by(column.desc() if down else column.asc()).limit(size + 1)
