"""The table catalogue names every table the migrations create, and every table with personal data."""

from __future__ import annotations

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

from actions.core import privacy, tables
from actions.core.migrations import upgrade_database
from actions.core.repository import make_engine

# Columns that hold a conversation id (Rasa's sender_id).
CONVERSATION_COLUMNS = {"sender_id", "conversation_id"}


def test_the_catalogue_names_every_table_the_migrations_create(database_url: str) -> None:
    upgrade_database(database_url)
    engine = make_engine(database_url)
    try:
        inspector = sa.inspect(engine)
        created = set(inspector.get_table_names()) - {"alembic_version"}
        assert created == tables.project_tables()
        for name in created:
            columns = {column["name"] for column in inspector.get_columns(name)}
            assert columns == set(tables.Base.metadata.tables[name].columns.keys()), name
    finally:
        engine.dispose()


def test_the_events_table_is_rasas_and_not_migrated() -> None:
    rasa_events = SQLTrackerStore.SQLEvent.__table__
    assert tables.EVENTS.name == rasa_events.name
    for column in tables.EVENTS.columns:
        assert column.name in rasa_events.columns, column.name
        assert type(column.type)._type_affinity is type(rasa_events.columns[column.name].type)._type_affinity
    assert tables.EVENTS.name not in tables.project_tables()


def test_every_table_keyed_by_a_conversation_holds_personal_data() -> None:
    keyed = {
        table.name
        for table in [*tables.Base.metadata.tables.values(), tables.EVENTS]
        if CONVERSATION_COLUMNS & set(table.columns.keys())
    }
    assert keyed == {data.table.name for data in tables.PERSONAL_DATA}
    for data in tables.PERSONAL_DATA:
        assert data.conversation.name in CONVERSATION_COLUMNS and data.written.table is data.table


def test_privacy_cleans_every_personal_table_of_the_catalogue() -> None:
    cleaned = {table.name: table for table in privacy.PERSONAL_TABLES}
    for data in tables.PERSONAL_DATA:
        assert data.table.name in cleaned, data.table.name
        assert cleaned[data.table.name].id_columns == (data.conversation.name,)
        assert cleaned[data.table.name].time_columns == (data.written.name,)
    assert cleaned["events"].time_is_epoch and cleaned["imp_tracker_windows"].time_is_epoch
    assert not cleaned["imp_assessments"].time_is_epoch
