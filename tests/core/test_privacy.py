"""Deleting one conversation everywhere, and retention, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from actions.core import privacy
from actions.core.migrations import metadata
from actions.core.repository import make_engine
from actions.core.tables import (
    EVENTS,
    RASA_METADATA,
    AssessmentRecord,
    Base,
    FeedbackRecord,
    HandoffRecord,
    NoticeSubscriptionRecord,
    PendingNoticeRecord,
    TrackerWindowRecord,
)

DAY = 86400.0
NOW = time.time()
events_metadata, events_table = RASA_METADATA, EVENTS  # Rasa's table, as the catalogue declares it
PERSONAL = (
    "events",
    "imp_tracker_windows",
    "imp_assessments",
    "imp_feedback",
    "imp_handoffs",
    "imp_notice_subscriptions",
    "imp_notices",
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    events_metadata.create_all(engine)
    yield engine
    engine.dispose()


def add_conversation(engine: Engine, sender: str, last_event_age_days: float, events: int = 3) -> None:
    """Events ending `last_event_age_days` ago, a window, an assessment, a vote, a handoff, a
    subscription to change notices and one notice."""
    last = NOW - last_event_age_days * DAY
    written = datetime.fromtimestamp(last, tz=timezone.utc)
    with engine.begin() as connection:
        for index in range(events):
            connection.execute(
                events_table.insert().values(
                    sender_id=sender, type_name="user", timestamp=last - (events - 1 - index) * 60, data="{}"
                )
            )
        connection.execute(
            TrackerWindowRecord.__table__.insert().values(
                sender_id=sender, first_event_id=1, last_event_id=1, state="{}", updated_at=last
            )
        )
        connection.execute(
            AssessmentRecord.__table__.insert().values(
                conversation_id=sender, answers="{}", verdict="eligible", criteria="[]", created_at=written
            )
        )
        connection.execute(
            FeedbackRecord.__table__.insert().values(
                sender_id=sender, fact_id="fees", helpful=True, created_at=written
            )
        )
        connection.execute(
            HandoffRecord.__table__.insert().values(
                sender_id=sender,
                channel="rest",
                language="en",
                reason="asked",
                status="closed",
                created_at=written,
                updated_at=written,
            )
        )
        connection.execute(
            NoticeSubscriptionRecord.__table__.insert().values(
                sender_id=sender, channel="telegram", language="fr", consented_at=written
            )
        )
        connection.execute(
            PendingNoticeRecord.__table__.insert().values(
                sender_id=sender, channel="telegram", fact_id="cap", text="IMP+ update", created_at=written
            )
        )


def counts(engine: Engine, sender: str) -> dict[str, int]:
    """Rows of `sender` in each personal table."""
    result = {}
    with engine.connect() as connection:
        for table in privacy.PERSONAL_TABLES:
            column = table.id_columns[0]
            result[table.name] = connection.execute(
                sa.text(f"SELECT count(*) FROM {table.name} WHERE {column} = :s"), {"s": sender}
            ).scalar_one()
    return result


def test_delete_conversation_removes_every_row_of_that_sender_only(engine: Engine) -> None:
    add_conversation(engine, "alice", 0)
    add_conversation(engine, "bob", 0)
    with engine.begin() as connection:
        report = privacy.delete_conversation(connection, "alice")
    assert counts(engine, "alice") == dict.fromkeys(PERSONAL, 0)
    assert counts(engine, "bob") == {**dict.fromkeys(PERSONAL, 1), "events": 3}
    assert report.rows == {**dict.fromkeys(PERSONAL, 1), "events": 3}
    assert report.total == 9 and report.conversations == 1
    assert "events 3" in report.summary()


def test_forget_an_unknown_conversation_deletes_nothing(engine: Engine) -> None:
    add_conversation(engine, "bob", 0)
    assert privacy.forget_conversation(engine, "nobody").total == 0
    assert counts(engine, "bob")["events"] == 3


def test_forget_skips_tables_that_do_not_exist(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    events_metadata.create_all(engine)  # only Rasa's table: an assistant before the migrations
    with engine.begin() as connection:
        connection.execute(events_table.insert().values(sender_id="alice", type_name="user", timestamp=NOW))
    report = privacy.forget_conversation(engine, "alice")
    assert report.rows == {"events": 1}


def test_a_table_without_a_known_id_column_is_left_alone(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE imp_handoffs (id INTEGER PRIMARY KEY, who TEXT)"))
        connection.execute(sa.text("INSERT INTO imp_handoffs (who) VALUES ('alice')"))
    assert privacy.forget_conversation(engine, "alice").total == 0


def test_deletion_requested_only_by_the_deletion_action() -> None:
    assert privacy.deletion_requested(["utter_confirm_data_deletion", "action_delete_my_data"])
    assert not privacy.deletion_requested(["action_listen", "utter_confirm_data_deletion", None])
    assert not privacy.deletion_requested([])


def test_retention_deletes_conversations_whose_latest_event_is_too_old(engine: Engine) -> None:
    add_conversation(engine, "old", 40)
    add_conversation(engine, "recent", 2)
    add_conversation(engine, "just-inside", 29.9)
    # a long conversation: old beginning, recent end -> kept whole
    add_conversation(engine, "long", 60)
    with engine.begin() as connection:
        connection.execute(events_table.insert().values(sender_id="long", type_name="user", timestamp=NOW))
    report = privacy.apply_retention(engine, 30, now=NOW)
    assert counts(engine, "old") == dict.fromkeys(PERSONAL, 0)
    assert counts(engine, "recent")["events"] == 3
    assert counts(engine, "just-inside")["imp_assessments"] == 1
    assert counts(engine, "long")["events"] == 4
    assert counts(engine, "long")["imp_assessments"] == 1  # its old assessment belongs to a live conversation
    assert report.conversations == 1
    assert report.rows["events"] == 3


def test_retention_deletes_old_rows_left_without_a_conversation(engine: Engine) -> None:
    add_conversation(engine, "orphan-old", 40, events=0)
    add_conversation(engine, "orphan-recent", 1, events=0)
    report = privacy.apply_retention(engine, 30, now=NOW)
    assert counts(engine, "orphan-old") == dict.fromkeys(PERSONAL, 0)
    assert counts(engine, "orphan-recent") == {**dict.fromkeys(PERSONAL, 1), "events": 0}
    assert report.rows == dict.fromkeys(PERSONAL[1:], 1)


def test_retention_fraction_of_a_day_and_nothing_to_do(engine: Engine) -> None:
    add_conversation(engine, "hour-old", 1 / 24)
    assert privacy.apply_retention(engine, 1, now=NOW).total == 0
    assert privacy.apply_retention(engine, 0.5 / 24, now=NOW).conversations == 1
    assert counts(engine, "hour-old")["events"] == 0


def test_retention_on_an_empty_database(sqlite_url: str) -> None:
    assert privacy.apply_retention(make_engine(sqlite_url), 30).total == 0


@pytest.mark.parametrize("days", [0, -1, "abc", "", float("nan"), float("inf")])
def test_retention_needs_a_positive_number_of_days(days: object) -> None:
    with pytest.raises(ValueError, match="number of days"):
        privacy.parse_days(days)  # type: ignore[arg-type]


def test_retention_days_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(privacy.RETENTION_DAYS_ENV, raising=False)
    assert privacy.retention_days() is None
    assert privacy.retention_days(default=90) == 90
    monkeypatch.setenv(privacy.RETENTION_DAYS_ENV, "30")
    assert privacy.retention_days() == 30
    monkeypatch.setenv(privacy.RETENTION_DAYS_ENV, "soon")
    with pytest.raises(ValueError):
        privacy.retention_days()


def test_many_conversations_are_deleted_in_batches(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(privacy, "BATCH_SIZE", 7)
    engine = make_engine(sqlite_url)
    events_metadata.create_all(engine)
    old = NOW - 100 * DAY
    with engine.begin() as connection:
        connection.execute(
            events_table.insert(),
            [{"sender_id": f"s{i}", "type_name": "user", "timestamp": old} for i in range(30)],
        )
    report = privacy.apply_retention(engine, 30, now=NOW)
    assert report.conversations == 30 and report.rows == {"events": 30}


def test_every_project_table_keyed_by_a_conversation_is_deleted_with_it() -> None:
    # a new table holding a sender_id / conversation_id must be added to PERSONAL_TABLES
    covered = {table.name: table.id_columns for table in privacy.PERSONAL_TABLES}
    keyed = {
        name
        for name, table in metadata().tables.items()
        if {"sender_id", "conversation_id"} & set(table.columns.keys())
    }
    assert keyed >= {
        "imp_assessments",
        "imp_feedback",
        "imp_handoffs",
        "imp_tracker_windows",
        "imp_notice_subscriptions",
        "imp_notices",
    }
    assert keyed <= set(covered), keyed - set(covered)
    for name in keyed:
        assert set(covered[name]) & set(metadata().tables[name].columns.keys()), name
