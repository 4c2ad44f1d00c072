"""The table catalogue: every table the project owns, declared once, and Rasa's `events` table it reads.

The migrations (actions.core.migrations, migrations/) must produce exactly `Base.metadata`;
the repositories, the console's queries and privacy's deletions read their tables from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()

# Rasa's `events.sender_id` is a String(255): a conversation id never exceeds it.
SENDER_ID_LENGTH = 255
# Conversation ids a widget vote may carry.
FEEDBACK_SENDER_ID_LENGTH = 128
# Fact ids are the keys of data/knowledge/facts.yml.
FACT_ID_LENGTH = 64
CHANNEL_LENGTH = 64
STAFF_NAME_LENGTH = 64


class AssessmentRecord(Base):  # type: ignore[misc,valid-type]
    """One finished eligibility check."""

    __tablename__ = "imp_assessments"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    conversation_id = sa.Column(sa.String(SENDER_ID_LENGTH), nullable=False, index=True)
    answers = sa.Column(sa.Text, nullable=False)
    verdict = sa.Column(sa.String(32), nullable=False)
    criteria = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)


class FeedbackRecord(Base):  # type: ignore[misc,valid-type]
    """One yes/no vote on one fact answer."""

    __tablename__ = "imp_feedback"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    sender_id = sa.Column(sa.String(FEEDBACK_SENDER_ID_LENGTH), nullable=False, index=True)
    fact_id = sa.Column(sa.String(FACT_ID_LENGTH), nullable=False, index=True)
    helpful = sa.Column(sa.Boolean, nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)


class FactChangeRecord(Base):  # type: ignore[misc,valid-type]
    """One staff edit of a fact: who, when, which fact, the old and new values (JSON)."""

    __tablename__ = "imp_fact_changes"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    fact_id = sa.Column(sa.String(FACT_ID_LENGTH), nullable=False, index=True)
    staff_name = sa.Column(sa.String(STAFF_NAME_LENGTH), nullable=False)
    changed_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    old_value = sa.Column(sa.Text, nullable=False)
    new_value = sa.Column(sa.Text, nullable=False)


class HandoffRecord(Base):  # type: ignore[misc,valid-type]
    """One request for a person: who, on which channel, in which language, why, and its status."""

    __tablename__ = "imp_handoffs"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    sender_id = sa.Column(sa.String(SENDER_ID_LENGTH), nullable=False, index=True)
    channel = sa.Column(sa.String(CHANNEL_LENGTH), nullable=False)
    language = sa.Column(sa.String(8), nullable=False)
    reason = sa.Column(sa.String(32), nullable=False)
    status = sa.Column(sa.String(16), nullable=False, index=True)
    taken_by = sa.Column(sa.String(STAFF_NAME_LENGTH), nullable=True)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    updated_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    # The sender id while the handoff is open or taken, NULL once closed: the unique index lets
    # a conversation have one active handoff at most, even when two requests race.
    active_sender = sa.Column(sa.String(SENDER_ID_LENGTH), nullable=True, unique=True)


class TrackerWindowRecord(Base):  # type: ignore[misc,valid-type]
    """One conversation's window (rasa_plugins/stores/windowed_tracker): its first event, the state before."""

    __tablename__ = "imp_tracker_windows"

    sender_id = sa.Column(sa.String(SENDER_ID_LENGTH), primary_key=True)
    # id (in Rasa's `events` table) of the window's first event
    first_event_id = sa.Column(sa.Integer, nullable=False)
    # id of the newest event when the row was written (diagnostics)
    last_event_id = sa.Column(sa.Integer, nullable=False)
    # JSON: the conversation's state just before `first_event_id`
    state = sa.Column(sa.Text, nullable=False)
    updated_at = sa.Column(sa.Float, nullable=False)


class NoticeSubscriptionRecord(Base):  # type: ignore[misc,valid-type]
    """One person's consent to change notices: their conversation, channel and language, and when."""

    __tablename__ = "imp_notice_subscriptions"

    sender_id = sa.Column(sa.String(SENDER_ID_LENGTH), primary_key=True)
    channel = sa.Column(sa.String(CHANNEL_LENGTH), nullable=False)
    language = sa.Column(sa.String(8), nullable=False)
    consented_at = sa.Column(sa.DateTime(timezone=True), nullable=False)


class PendingNoticeRecord(Base):  # type: ignore[misc,valid-type]
    """One change notice for one subscriber: its text, when it was queued and when it was delivered."""

    __tablename__ = "imp_notices"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    sender_id = sa.Column(sa.String(SENDER_ID_LENGTH), nullable=False, index=True)
    channel = sa.Column(sa.String(CHANNEL_LENGTH), nullable=False)
    fact_id = sa.Column(sa.String(FACT_ID_LENGTH), nullable=False)
    text = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    delivered_at = sa.Column(sa.DateTime(timezone=True), nullable=True)


class StaffAccountRecord(Base):  # type: ignore[misc,valid-type]
    """One named staff account: its role, whether it may log in, its session epoch and password hash."""

    __tablename__ = "imp_staff_accounts"

    name = sa.Column(sa.String(STAFF_NAME_LENGTH), primary_key=True)
    role = sa.Column(sa.String(16), nullable=False)
    enabled = sa.Column(sa.Boolean, nullable=False)
    # sessions carry the epoch they were opened in: moving it on ends them all (log out everywhere)
    epoch = sa.Column(sa.Integer, nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    # scrypt$N$r$p$salt$hash (actions/core/staff_accounts.py)
    password_hash = sa.Column(sa.String(255), nullable=False)


class LoginFailureRecord(Base):  # type: ignore[misc,valid-type]
    """One failed console login, under the account's or the client address's key (throttling)."""

    __tablename__ = "imp_login_failures"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    key = sa.Column(sa.String(200), nullable=False, index=True)
    failed_at = sa.Column(sa.DateTime(timezone=True), nullable=False)


class AuditRecord(Base):  # type: ignore[misc,valid-type]
    """One staff action in the console (or the command line): who, what, on what, when."""

    __tablename__ = "imp_audit_log"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    actor = sa.Column(sa.String(STAFF_NAME_LENGTH), nullable=False)
    action = sa.Column(sa.String(32), nullable=False)
    target = sa.Column(sa.String(255), nullable=False)
    detail = sa.Column(sa.Text, nullable=False)


ASSESSMENTS: sa.Table = AssessmentRecord.__table__  # type: ignore[assignment]
FEEDBACK: sa.Table = FeedbackRecord.__table__  # type: ignore[assignment]
FACT_CHANGES: sa.Table = FactChangeRecord.__table__  # type: ignore[assignment]
HANDOFFS: sa.Table = HandoffRecord.__table__  # type: ignore[assignment]
TRACKER_WINDOWS: sa.Table = TrackerWindowRecord.__table__  # type: ignore[assignment]
NOTICE_SUBSCRIPTIONS: sa.Table = NoticeSubscriptionRecord.__table__  # type: ignore[assignment]
NOTICES: sa.Table = PendingNoticeRecord.__table__  # type: ignore[assignment]
STAFF_ACCOUNTS: sa.Table = StaffAccountRecord.__table__  # type: ignore[assignment]
LOGIN_FAILURES: sa.Table = LoginFailureRecord.__table__  # type: ignore[assignment]
AUDIT_LOG: sa.Table = AuditRecord.__table__  # type: ignore[assignment]

# Rasa's tracker store table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent): Rasa creates and
# owns it, so it sits on a MetaData of its own, which the migrations never touch.
RASA_METADATA = sa.MetaData()
EVENTS = sa.Table(
    "events",
    RASA_METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(SENDER_ID_LENGTH), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


@dataclass(frozen=True)
class PersonalData:
    """A table holding people's data: the column with the conversation id and when each row was written."""

    conversation: sa.Column
    written: sa.Column

    @property
    def table(self) -> sa.Table:
        """The table of both columns."""
        return self.conversation.table  # type: ignore[no-any-return]


# Every table with a conversation's personal data: deleting a conversation deletes its rows in each.
PERSONAL_DATA: tuple[PersonalData, ...] = (
    PersonalData(EVENTS.c.sender_id, EVENTS.c.timestamp),
    PersonalData(TRACKER_WINDOWS.c.sender_id, TRACKER_WINDOWS.c.updated_at),
    PersonalData(ASSESSMENTS.c.conversation_id, ASSESSMENTS.c.created_at),
    PersonalData(FEEDBACK.c.sender_id, FEEDBACK.c.created_at),
    PersonalData(HANDOFFS.c.sender_id, HANDOFFS.c.updated_at),
    PersonalData(NOTICE_SUBSCRIPTIONS.c.sender_id, NOTICE_SUBSCRIPTIONS.c.consented_at),
    PersonalData(NOTICES.c.sender_id, NOTICES.c.created_at),
)


def project_tables() -> frozenset[str]:
    """Names of the tables the project owns and migrates (Rasa's `events` is not one)."""
    return frozenset(Base.metadata.tables)
