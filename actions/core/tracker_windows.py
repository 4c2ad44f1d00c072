"""The `imp_tracker_windows` table: where each conversation's window starts (rasa_plugins/stores).

Defined here, framework-free, so that the Alembic migrations (actions.core.migrations) manage it
like the project's other tables; the Rasa-side store only reads and writes it.
"""

from __future__ import annotations

import sqlalchemy as sa

from actions.core.repository import Base

# Rasa's `events.sender_id` is a String(255): a conversation id never exceeds it.
MAX_SENDER_ID_LENGTH = 255


class TrackerWindowRecord(Base):  # type: ignore[misc,valid-type]
    """One conversation's window: its first event and the state just before it."""

    __tablename__ = "imp_tracker_windows"

    sender_id = sa.Column(sa.String(MAX_SENDER_ID_LENGTH), primary_key=True)
    # id (in Rasa's `events` table) of the window's first event
    first_event_id = sa.Column(sa.Integer, nullable=False)
    # id of the newest event when the row was written (diagnostics)
    last_event_id = sa.Column(sa.Integer, nullable=False)
    # JSON: the conversation's state just before `first_event_id`
    state = sa.Column(sa.Text, nullable=False)
    updated_at = sa.Column(sa.Float, nullable=False)


window_table: sa.Table = TrackerWindowRecord.__table__  # type: ignore[assignment]
