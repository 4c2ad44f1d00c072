"""The tracker store's privacy duties: mask personal identifiers, and forget a conversation on request.

`PrivacyTrackerStoreMixin` goes first in the bases of an `SQLTrackerStore` subclass
(`EnvSQLTrackerStore`):

- **Masking.** Every `events` row the store writes (Rasa's own `save`, just before the ORM
  flushes it, or the windowed one, as it builds the row) has its user text, entity values,
  metadata and string slot values masked (actions/core/pii.py), and so has the window's saved state (slots,
  the form's trigger message). NLU, the policies and the actions worked on the original text
  during the turn; SQL only ever holds `[email]`, `[phone]`...
- **Deletion.** Rasa's SQL store decides what to write by counting the stored events, and
  the windowed store writes the events added since the tracker was read: a deletion done
  inside an action would be undone (or half undone) by the save that ends the turn. So the
  action `action_delete_my_data` only marks the turn; this `save` first writes the turn,
  then, when its new events contain that action, deletes every row of the conversation
  (actions/core/privacy.py). The next message of that sender starts a new conversation.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.core import pii, privacy
from rasa_plugins.stores.windowed_tracker import WindowedTracker

logger = logging.getLogger(__name__)

# Set on a tracker whose conversation was deleted: later saves of that object are ignored.
DELETED_FLAG = "_imp_deleted"
# Set on a sessionmaker whose sessions mask new `events` rows before each flush.
MASKING_FLAG = "_imp_masking"


def turn_events(tracker: DialogueStateTracker) -> list[Event]:
    """The events not yet stored (windowed trackers), else those since the latest user message."""
    if isinstance(tracker, WindowedTracker):
        return tracker.new_events()
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return events[index:]
    return events


def _mask_rows(session: Any, flush_context: Any, instances: Any) -> None:
    """before_flush: mask the `data` of every new `events` row."""
    for row in session.new:
        if getattr(row, "__tablename__", None) != privacy.EVENTS_TABLE or not row.data:
            continue
        try:
            data = json.loads(row.data)
        except (TypeError, ValueError):
            continue
        masked = pii.mask_event(data)
        if masked is not data:
            row.data = json.dumps(masked)


class PrivacyTrackerStoreMixin:
    """For `SQLTrackerStore` subclasses: masked events in SQL, and deletion after the turn is saved."""

    @contextlib.contextmanager
    def session_scope(self: Any) -> Iterator[Any]:
        """Rasa's session scope, with new `events` rows masked before each flush."""
        makers = self.sessionmaker
        if not getattr(makers, MASKING_FLAG, False):  # once per sessionmaker (listen is slow per session)
            sa.event.listen(makers, "before_flush", _mask_rows)
            setattr(makers, MASKING_FLAG, True)
        with super().session_scope() as session:  # type: ignore[misc]
            yield session

    def _event_data(self: Any, event: Event) -> dict[str, Any]:
        """The `data` of an event's row written by the windowed save (Core SQL, no flush): masked."""
        return pii.mask_event(super()._event_data(event))  # type: ignore[misc]

    def _state_before(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The window's saved state (windowed_tracker), its slot values and loop trigger masked."""
        state = super()._state_before(*args, **kwargs)  # type: ignore[misc]
        return pii.mask_window_state(state) if isinstance(state, dict) else state

    async def save(self: Any, tracker: DialogueStateTracker) -> None:
        """Store the turn; then, if it ran the deletion action, delete the whole conversation."""
        if getattr(tracker, DELETED_FLAG, False):
            return
        names = [e.action_name for e in turn_events(tracker) if isinstance(e, ActionExecuted)]
        await super().save(tracker)  # type: ignore[misc]
        if privacy.deletion_requested(names):
            self.forget(tracker.sender_id)
            setattr(tracker, DELETED_FLAG, True)

    def forget(self: Any, sender_id: str) -> privacy.DeletionReport:
        """Delete every row of one conversation (events, window, assessments, votes, handoffs)."""
        with self.engine.begin() as connection:
            report = privacy.delete_conversation(connection, sender_id)
        logger.info("Deleted a conversation on its user's request (%s).", report.summary())
        return report
