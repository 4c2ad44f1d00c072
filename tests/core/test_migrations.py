"""Alembic migrations create exactly the models' tables, on SQLite and PostgreSQL, and undo them."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from actions.core.migrations import (
    alembic_config,
    current_revision,
    downgrade_database,
    include_name,
    metadata,
    project_tables,
    upgrade_database,
)
from actions.core.repository import AssessmentRepository, make_engine

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def schema_diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_name": include_name, "compare_type": True}
            )
            return compare_metadata(context, metadata())
    finally:
        engine.dispose()


def tables_and_revision(url: str) -> tuple[set[str], str | None]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names()), current_revision(connection)
    finally:
        engine.dispose()


def test_one_head_and_every_model_table_is_migrated() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD]
    assert {"imp_assessments", "imp_feedback"} <= project_tables()


def test_upgrade_from_empty_gives_the_models_schema_and_downgrade_removes_it(database_url: str) -> None:
    upgrade_database(database_url)
    tables, revision = tables_and_revision(database_url)
    assert project_tables() <= tables
    assert revision == HEAD
    assert schema_diff(database_url) == []
    upgrade_database(database_url)  # nothing left to do
    assert schema_diff(database_url) == []

    downgrade_database(database_url, "base")
    tables, revision = tables_and_revision(database_url)
    assert not project_tables() & tables
    assert revision is None

    upgrade_database(database_url)
    assert schema_diff(database_url) == []
    engine = make_engine(database_url)
    assert AssessmentRepository(engine).add("c-1", {"residence": "abroad"}, "eligible", []) > 0
    engine.dispose()


def test_each_revision_goes_up_and_down_one_step(database_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for revision in revisions:
        upgrade_database(database_url, revision)
        assert tables_and_revision(database_url)[1] == revision
    for revision in reversed(revisions):
        downgrade_database(database_url, "-1")
        assert tables_and_revision(database_url)[1] == script.get_revision(revision).down_revision


def test_tables_made_by_create_all_before_migrations_are_kept(database_url: str) -> None:
    engine = make_engine(database_url)
    metadata().create_all(engine)
    AssessmentRepository(engine).add("old", {"residence": "quebec"}, "eligible", [])
    engine.dispose()
    upgrade_database(database_url)
    assert tables_and_revision(database_url)[1] == HEAD
    assert schema_diff(database_url) == []
    engine = make_engine(database_url)
    assert [a.conversation_id for a in AssessmentRepository(engine).for_conversation("old")] == ["old"]
    engine.dispose()


def test_servers_starting_together_upgrade_once(postgres_url: str) -> None:
    errors: list[BaseException] = []

    def upgrade() -> None:
        try:
            upgrade_database(postgres_url)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=upgrade) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert tables_and_revision(postgres_url)[1] == HEAD
    assert schema_diff(postgres_url) == []


def test_servers_starting_together_on_a_new_sqlite_file_all_upgrade(tmp_path) -> None:
    # the Rasa server and the action server both upgrade at start-up, in separate processes
    import subprocess
    import sys
    import time

    from actions.core.settings import PROJECT_ROOT

    for attempt in range(3):
        url = f"sqlite:///{tmp_path / f'together-{attempt}.db'}"
        start = time.time() + 4  # every process imported, then all upgrade at the same moment
        code = (
            "import time; from actions.core.migrations import upgrade_database; "
            f"time.sleep(max(0, {start} - time.time())); upgrade_database({url!r})"
        )
        processes = [
            subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT_ROOT, stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        errors = [process.communicate(timeout=120)[1].decode(errors="replace") for process in processes]
        assert [process.returncode for process in processes] == [0] * 4, errors
        assert tables_and_revision(url) == (project_tables() | {"alembic_version"}, HEAD)
