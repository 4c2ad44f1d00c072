"""A bounded window of each conversation for the policies; every event stays in SQL, once.

Rasa 3.6 rebuilds a conversation from every event of its session on each turn: the SQL
tracker store reads and deserialises all of them, counts them again to decide what to
write, and the policies replay the whole history (`tracker.past_states` ->
`Domain.states_for_tracker_history`) to featurize the last few turns. A turn therefore
costs more the longer the conversation (a bare Rasa bot: 95 ms for turns 1-50, 524 ms for
turns 251-300).

`WindowedTrackerStoreMixin` (for `SQLTrackerStore` subclasses) keeps, per conversation, one
row in `imp_tracker_windows`: the id of the first event of the window and the state of the
conversation just before it (slot values, active loop, paused). `retrieve` reads that row
and the events from that id on, and returns a `WindowedTracker`: the state as a few leading
events (`SlotSet`, `ActiveLoop`, `ConversationPaused`), then the window's events, so the
policies, the action server and the processor see the same current state and the same
recent history as with the whole session, from a bounded number of events. `save` inserts
exactly the events the tracker gained since it was read (never the synthetic leading ones,
never by counting the stored events) and moves the window forward.

Both use SQLAlchemy Core, not the ORM (whose unit of work was about a third of their cost): a
read is one statement (the window row, then its events: `UNION ALL`), a save one transaction of
one `INSERT ... RETURNING id` for the new events (one per event on SQLite, whose dialect in
SQLAlchemy 1.4 has no RETURNING) and one `UPDATE` of the window row. The rows are the ones
Rasa's `SQLTrackerStore` writes, byte for byte.

The table is declared in the table catalogue (`actions/core/tables.py`) and created by the Alembic
migration 0005_tracker_windows, which the store applies at start-up like the project's other migrations.

The window starts at a user turn (the `action_listen` before a `UserUttered`) and holds the
last `IMP_TRACKER_WINDOW_TURNS` turns that began outside a loop (6 by default; 0 turns
windowing off), plus the turns of an active loop (the eligibility form, whose happy path
Rasa collapses into a couple of dialogue states), up to `MAX_WINDOW_FACTOR` times as many
turns. 6 such turns are at least 12 dialogue states: more than the policies' `max_history`
(5) and than the longest rule (6 states), so predictions are those of the whole session.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from actions.core.database import database
from actions.core.tables import TRACKER_WINDOWS as window_table

logger = logging.getLogger(__name__)

WINDOW_TURNS_ENV = "IMP_TRACKER_WINDOW_TURNS"
DEFAULT_WINDOW_TURNS = 6
# Below this the oldest dialogue states the policies look at could fall out of the window.
MIN_WINDOW_TURNS = 4
# A window held open by an active loop grows to at most this many times the window.
MAX_WINDOW_FACTOR = 4


def window_turns() -> int:
    """User turns the policies see (IMP_TRACKER_WINDOW_TURNS; 6 by default, 0 = whole session)."""
    raw = os.environ.get(WINDOW_TURNS_ENV, "").strip()
    if not raw:
        return DEFAULT_WINDOW_TURNS
    try:
        turns = int(raw)
    except ValueError as error:
        raise RasaException(f"{WINDOW_TURNS_ENV} must be a whole number, got {raw!r}.") from error
    if turns < 0:
        raise RasaException(f"{WINDOW_TURNS_ENV} must not be negative, got {raw!r}.")
    return 0 if turns == 0 else max(turns, MIN_WINDOW_TURNS)


class WindowedTracker(DialogueStateTracker):
    """A tracker read from a window: knows which of its events are stored, and their ids."""

    # Number of leading events that only restore the state before the window (not stored).
    snapshot_length: int = 0
    # Number of leading events (snapshot + window) already in SQL; later ones are new.
    stored_length: int = 0
    # SQL id of each of the first `stored_length` events (None for the snapshot's).
    event_ids: list[int | None]

    def new_events(self) -> list[Event]:
        """The events added since the tracker was read or last saved."""
        return list(self.events)[self.stored_length :]


def window_state(tracker: DialogueStateTracker) -> dict[str, Any]:
    """The part of a tracker's state that the events of a window cannot restore by themselves."""
    slots = {
        name: slot.value
        for name, slot in tracker.slots.items()
        if slot.value != slot.initial_value and slot.value is not None
    }
    unset = [
        name for name, slot in tracker.slots.items() if slot.value is None and slot.initial_value is not None
    ]
    return {
        "slots": slots,
        "unset_slots": unset,
        "active_loop": dataclasses.asdict(tracker.active_loop) if tracker.active_loop else None,
        "paused": tracker.is_paused(),
    }


def snapshot_events(state: dict[str, Any] | None, timestamp: float | None) -> list[Event]:
    """Events that bring a fresh tracker to `state`: slots, then the active loop, then paused."""
    if not state:
        return []
    restored: list[Event] = [
        SlotSet(name, value, timestamp=timestamp) for name, value in state["slots"].items()
    ]
    restored += [SlotSet(name, None, timestamp=timestamp) for name in state.get("unset_slots", [])]
    loop = state.get("active_loop")
    if loop and loop.get("name"):
        restored.append(ActiveLoop(loop["name"], timestamp=timestamp))
    if state.get("paused"):
        restored.append(ConversationPaused(timestamp=timestamp))
    return restored


def _is_turn_start(events: Sequence[Event], index: int) -> bool:
    """Whether events[index] is the `action_listen` right before a user message."""
    event = events[index]
    return (
        isinstance(event, ActionExecuted)
        and event.action_name == ACTION_LISTEN_NAME
        and index + 1 < len(events)
        and isinstance(events[index + 1], UserUttered)
    )


def window_start(events: Sequence[Event], event_ids: Sequence[int | None], turns: int) -> int:
    """Index of the first event of the window to keep (an event with an SQL id).

    The start of the `turns`-th last user turn that began outside a loop (at most
    `MAX_WINDOW_FACTOR * turns` turns back), never before the latest session start.
    """
    stored = [index for index, event_id in enumerate(event_ids) if event_id is not None]
    if not stored:
        return 0
    first = stored[0]
    session_starts = [i for i in stored if isinstance(events[i], SessionStarted)]
    floor = max(first, session_starts[-1]) if session_starts else first
    # user turns from `floor` on, with whether a loop was active when each began (the
    # snapshot's leading events include its `ActiveLoop`)
    loop: str | None = None
    turn_starts: list[tuple[int, bool]] = []
    for index in range(len(event_ids)):
        event = events[index]
        if isinstance(event, (SessionStarted, Restarted)):
            loop = None
        elif isinstance(event, ActiveLoop):
            loop = event.name
        if index >= floor and event_ids[index] is not None and _is_turn_start(events, index):
            turn_starts.append((index, loop is not None))
    if len(turn_starts) <= turns:
        return floor
    # Count back `turns` turns that began outside a loop: Rasa collapses a loop's happy path
    # into a couple of dialogue states, so turns inside it add almost no history.
    earliest = max(0, len(turn_starts) - turns * MAX_WINDOW_FACTOR)
    counted = 0
    for choice in range(len(turn_starts) - 1, earliest - 1, -1):
        counted += not turn_starts[choice][1]
        if counted == turns:
            return turn_starts[choice][0]
    return turn_starts[earliest][0] if earliest > 0 else floor


class WindowedTrackerStoreMixin:
    """For `SQLTrackerStore` subclasses: read a bounded window, write each new event once.

    Use as `class Store(WindowedTrackerStoreMixin, SQLTrackerStore)`. Trackers that did not
    come from this store's `retrieve` (a new conversation, an API replacing the events) are
    saved the way Rasa does it.
    """

    _window_table_ready: bool = False

    def create_window_table(self: Any) -> None:
        """Migrate the project's tables, `imp_tracker_windows` among them (once per process and URL)."""
        database(self.engine.url)  # the process's engine on that URL, migrated once
        self._window_table_ready = True

    def _ensure_window_table(self: Any) -> None:
        if not self._window_table_ready:
            self.create_window_table()

    async def retrieve(self: Any, sender_id: str) -> DialogueStateTracker | None:
        """The latest session's tracker: its window and the state before it."""
        turns = window_turns()
        if turns == 0:
            return await SQLTrackerStore.retrieve(self, sender_id)
        self._ensure_window_table()
        with self.engine.connect() as connection:  # one statement: the window row, then its events
            found = connection.execute(self._window_query, {"sender_id": sender_id}).all()
        rows: list[Any] = []
        state: dict[str, Any] | None = None
        if found:
            window, rows = found[0], found[1:]
            if rows and rows[0].id == window.id:
                state = json.loads(window.data)
            else:  # the window's first event is gone: read the session as Rasa does
                logger.warning("Window of conversation '%s' is stale; reading its session.", sender_id)
                rows = []
        if not rows:
            with self.session_scope() as session:
                rows = (
                    self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
                    .with_entities(self.SQLEvent.id, self.SQLEvent.data)
                    .all()
                )
        if not self.domain or not rows:
            return None
        events = deserialise_events([json.loads(r.data) for r in rows])
        tracker = self._windowed_tracker(sender_id, state, events, [r.id for r in rows])
        # A conversation without a window row yet (or longer than its window): cut it now.
        start = window_start(tracker.events, tracker.event_ids, turns)
        if start > tracker.snapshot_length:
            tracker = self._cut(tracker, start)
        return tracker

    @functools.cached_property
    def _window_query(self: Any) -> Any:
        """SELECT (part, id, data): the window row (first event id, state), then its events in order."""
        events = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        head = sa.select(
            sa.literal(0).label("part"),
            window_table.c.first_event_id.label("id"),
            window_table.c.state.label("data"),
        ).where(window_table.c.sender_id == sender)
        body = (
            sa.select(sa.literal(1).label("part"), events.c.id.label("id"), events.c.data.label("data"))
            .select_from(
                events.join(
                    window_table,
                    sa.and_(
                        window_table.c.sender_id == events.c.sender_id,
                        events.c.id >= window_table.c.first_event_id,
                    ),
                )
            )
            .where(window_table.c.sender_id == sender)
        )
        return sa.union_all(head, body).order_by("part", "id")

    def _windowed_tracker(
        self: Any,
        sender_id: str,
        state: dict[str, Any] | None,
        events: list[Event],
        event_ids: list[int],
    ) -> WindowedTracker:
        """A tracker of `state` followed by `events` (stored, with their ids)."""
        tracker = WindowedTracker(sender_id, self.domain.slots)
        prefix = snapshot_events(state, events[0].timestamp if events else None)
        for event in prefix:
            tracker.update(event)
        loop = (state or {}).get("active_loop")
        if loop and tracker.active_loop is not None:
            tracker.active_loop.is_interrupted = bool(loop.get("is_interrupted"))
            tracker.active_loop.rejected = bool(loop.get("rejected"))
            tracker.active_loop.trigger_message = loop.get("trigger_message")
        for event in events:
            tracker.update(event)
        tracker.snapshot_length = len(prefix)
        tracker.stored_length = len(tracker.events)
        tracker.event_ids = [None] * len(prefix) + list(event_ids)
        return tracker

    def _cut(self: Any, tracker: WindowedTracker, start: int) -> WindowedTracker:
        """The same conversation from events[start] on, with the state before it as a snapshot."""
        events = list(tracker.events)
        before = DialogueStateTracker.from_events(tracker.sender_id, events[:start], slots=self.domain.slots)
        ids = [event_id for event_id in tracker.event_ids[start:] if event_id is not None]
        return self._windowed_tracker(tracker.sender_id, window_state(before), events[start:], ids)

    async def save(self: Any, tracker: DialogueStateTracker) -> None:
        """Insert the tracker's new events (each exactly once) and move its window forward."""
        if not isinstance(tracker, WindowedTracker):
            await SQLTrackerStore.save(self, tracker)
            return
        self._ensure_window_table()
        events = list(tracker.events)
        new = events[tracker.stored_length :]
        if self.event_broker is not None and new:
            await self._stream_new_events(self.event_broker, new, tracker.sender_id)
        with self.engine.begin() as connection:  # one transaction: the new events, the window row
            event_ids = list(tracker.event_ids) + self._insert_events(connection, tracker.sender_id, new)
            start = window_start(events, event_ids, max(window_turns(), MIN_WINDOW_TURNS))
            first_event_id = event_ids[start]
            if first_event_id is not None:
                state = self._state_before(tracker, events, start)
                self._write_window(connection, tracker.sender_id, first_event_id, event_ids[-1] or 0, state)
        tracker.stored_length = len(events)
        tracker.event_ids = event_ids

    def _insert_events(self: Any, connection: Any, sender_id: str, events: list[Event]) -> list[int]:
        """Insert `events` (Core SQL, one statement where the database returns many ids) and their ids."""
        if not events:
            return []
        table = self.SQLEvent.__table__
        rows = [self._event_row(sender_id, event) for event in events]
        if connection.dialect.insert_executemany_returning:  # PostgreSQL: one INSERT ... RETURNING id
            ids = [row.id for row in connection.execute(table.insert().returning(table.c.id), rows)]
            return sorted(ids)  # the sequence numbers them in the order of the rows
        return [connection.execute(table.insert(), row).inserted_primary_key[0] for row in rows]

    def _state_before(self: Any, tracker: WindowedTracker, events: list[Event], start: int) -> dict[str, Any]:
        """The state of the conversation just before events[start] (a replay of the window so far)."""
        before = DialogueStateTracker.from_events(tracker.sender_id, events[:start], slots=self.domain.slots)
        return window_state(before)

    def _event_data(self: Any, event: Event) -> dict[str, Any]:
        """The `data` of an event's row (privacy.PrivacyTrackerStoreMixin masks it)."""
        return event.as_dict()

    def _event_row(self: Any, sender_id: str, event: Event) -> dict[str, Any]:
        """The `events` row of one event, as Rasa's SQLTrackerStore.save writes it."""
        data = self._event_data(event)
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    @staticmethod
    def _write_window(
        connection: Any, sender_id: str, first_event_id: int, last_event_id: int, state: Any
    ) -> None:
        values = {
            "first_event_id": first_event_id,
            "last_event_id": last_event_id,
            "state": json.dumps(state),
            "updated_at": time.time(),
        }
        updated = connection.execute(
            window_table.update().where(window_table.c.sender_id == sender_id).values(**values)
        )
        if updated.rowcount == 0:
            connection.execute(window_table.insert().values(sender_id=sender_id, **values))
