"""Forgetting people: delete one conversation's rows, or every conversation older than N days.

A conversation's personal data is spread over the tables the catalogue lists in
`actions.core.tables.PERSONAL_DATA` (keyed by the conversation id, Rasa's `sender_id`): Rasa's
`events` and the project's tables holding a conversation id. A table that does not exist (yet)
is skipped, so the functions work on any version of the schema. The deletion of a user's own conversation is
triggered by the `action_delete_my_data` action and carried out by the tracker store once
the turn has been saved (rasa_plugins/stores/privacy.py); retention is `python -m scripts.retention`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from actions.core.tables import EVENTS, PERSONAL_DATA, PersonalData

logger = logging.getLogger(__name__)

# The action that asks for the deletion (data/rules/privacy.yml, actions/privacy_actions.py).
DELETION_ACTION = "action_delete_my_data"
EVENTS_TABLE = EVENTS.name
RETENTION_DAYS_ENV = "IMP_RETENTION_DAYS"


@dataclass(frozen=True)
class PersonalTable:
    """A table holding personal data: its conversation-id column and when each row was written."""

    name: str
    id_columns: tuple[str, ...]  # the first one the table has is used
    time_columns: tuple[str, ...] = ()  # for rows left without a conversation (retention)
    time_is_epoch: bool = False


def personal_table(data: PersonalData) -> PersonalTable:
    """The catalogue's entry as a table to clean: its columns by name, an epoch time if it is a Float."""
    return PersonalTable(
        data.table.name,
        (data.conversation.name,),
        (data.written.name,),
        time_is_epoch=isinstance(data.written.type, sa.Float),
    )


PERSONAL_TABLES: tuple[PersonalTable, ...] = tuple(personal_table(data) for data in PERSONAL_DATA)
# Conversation ids deleted per statement (bound parameters stay well under every limit).
BATCH_SIZE = 500


@dataclass
class DeletionReport:
    """How many rows were deleted, per table, for how many conversations."""

    conversations: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """All deleted rows."""
        return sum(self.rows.values())

    def add(self, table: str, count: int) -> None:
        """Count `count` more deleted rows of `table`."""
        if count > 0:
            self.rows[table] = self.rows.get(table, 0) + count

    def summary(self) -> str:
        """One line, e.g. '2 conversation(s): events 40, imp_assessments 1'."""
        tables = ", ".join(f"{name} {count}" for name, count in sorted(self.rows.items())) or "nothing"
        return f"{self.conversations} conversation(s): {tables}"


def deletion_requested(action_names: Iterable[str | None]) -> bool:
    """Whether the deletion action is among these executed actions (a turn's new events)."""
    return DELETION_ACTION in set(action_names)


@dataclass(frozen=True)
class _Present:
    table: PersonalTable
    id_column: str
    time_column: str | None


def _present_tables(connection: Connection, tables: Sequence[PersonalTable]) -> list[_Present]:
    """The personal tables this database has, with the columns they actually have."""
    inspector = sa.inspect(connection)
    existing = set(inspector.get_table_names())
    present = []
    for table in tables:
        if table.name not in existing:
            continue
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        id_column = next((c for c in table.id_columns if c in columns), None)
        if id_column is None:
            logger.warning("Table %s has none of the columns %s; not cleaned.", table.name, table.id_columns)
            continue
        time_column = next((c for c in table.time_columns if c in columns), None)
        present.append(_Present(table, id_column, time_column))
    return present


def _delete_ids(connection: Connection, present: Sequence[_Present], ids: Sequence[str]) -> DeletionReport:
    report = DeletionReport(conversations=len(ids))
    for start in range(0, len(ids), BATCH_SIZE):
        batch = list(ids[start : start + BATCH_SIZE])
        for item in present:
            target = sa.table(item.table.name, sa.column(item.id_column))
            result = connection.execute(sa.delete(target).where(target.c[item.id_column].in_(batch)))
            report.add(item.table.name, max(result.rowcount or 0, 0))
    return report


def delete_conversation(
    connection: Connection, sender_id: str, tables: Sequence[PersonalTable] = PERSONAL_TABLES
) -> DeletionReport:
    """Delete every row of one conversation from every personal table (in the caller's transaction)."""
    return _delete_ids(connection, _present_tables(connection, tables), [sender_id])


def forget_conversation(
    engine: Engine, sender_id: str, tables: Sequence[PersonalTable] = PERSONAL_TABLES
) -> DeletionReport:
    """Delete one conversation everywhere, in one transaction of its own."""
    with engine.begin() as connection:
        return delete_conversation(connection, sender_id, tables)


def retention_days(default: float | None = None) -> float | None:
    """Days a conversation is kept after its latest event (IMP_RETENTION_DAYS; `default` if unset)."""
    raw = os.environ.get(RETENTION_DAYS_ENV, "").strip()
    if not raw:
        return default
    return parse_days(raw)


def parse_days(raw: str | float) -> float:
    """A positive number of days; ValueError with a readable message otherwise."""
    try:
        days = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"the number of days must be a number, got {raw!r}") from None
    if not days > 0 or days == float("inf"):
        raise ValueError(f"the number of days must be more than 0, got {raw!r}")
    return days


def expired_conversations(connection: Connection, cutoff: float) -> list[str]:
    """Ids of the conversations whose latest event is older than `cutoff` (a Unix time)."""
    if EVENTS_TABLE not in sa.inspect(connection).get_table_names():
        return []
    query = (
        sa.select(EVENTS.c.sender_id)
        .group_by(EVENTS.c.sender_id)
        .having(sa.func.max(EVENTS.c.timestamp) < cutoff)
        .order_by(EVENTS.c.sender_id)
    )
    return [row[0] for row in connection.execute(query)]


def _delete_orphans(connection: Connection, present: Sequence[_Present], cutoff: float) -> DeletionReport:
    """Rows older than `cutoff` whose conversation has no event any more (e.g. deleted earlier)."""
    report = DeletionReport()
    if not any(item.table.name == EVENTS_TABLE for item in present):
        return report
    for item in present:
        if item.table.name == EVENTS_TABLE or item.time_column is None:
            continue
        if item.table.time_is_epoch:
            time_type: sa.types.TypeEngine = sa.Float()
            limit: float | datetime = cutoff
        else:
            time_type = sa.DateTime(timezone=True)
            limit = datetime.fromtimestamp(cutoff, tz=timezone.utc)
            if connection.dialect.name == "sqlite":  # SQLite keeps naive UTC text
                limit = limit.replace(tzinfo=None)
        target = sa.table(item.table.name, sa.column(item.id_column), sa.column(item.time_column, time_type))
        has_events = sa.exists().where(EVENTS.c.sender_id == target.c[item.id_column])
        statement = sa.delete(target).where(target.c[item.time_column] < limit, ~has_events)
        report.add(item.table.name, max(connection.execute(statement).rowcount or 0, 0))
    return report


def apply_retention(
    engine: Engine,
    days: float,
    now: float | None = None,
    tables: Sequence[PersonalTable] = PERSONAL_TABLES,
) -> DeletionReport:
    """Delete the conversations whose latest event is more than `days` days old, everywhere."""
    days = parse_days(days)
    cutoff = (time.time() if now is None else now) - days * 86400
    with engine.begin() as connection:
        present = _present_tables(connection, tables)
        expired = expired_conversations(connection, cutoff)
        report = _delete_ids(connection, present, expired)
        orphans = _delete_orphans(connection, present, cutoff)
    for table, count in orphans.rows.items():
        report.add(table, count)
    return report
