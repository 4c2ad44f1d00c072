"""The factory: one engine per process and URL, migrations run once, the repositories on that engine."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from actions.core import database as db
from actions.core.migrations import project_tables, upgrade_database


@pytest.fixture
def upgrades(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs the factory ran the migrations on, in order."""
    calls: list[str] = []

    def counting(*args: object, engine: Engine, **kwargs: object) -> None:
        calls.append(engine.url.render_as_string(hide_password=False))
        upgrade_database(*args, engine=engine, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(db, "upgrade_database", counting)
    return calls


def test_one_engine_per_url_whatever_its_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    monkeypatch.setenv("IMP_DATABASE_URL", url)
    engine = db.shared_engine(url)
    assert db.shared_engine(make_url(url)) is engine
    assert db.shared_engine() is engine  # IMP_DATABASE_URL by default
    assert db.database(url).engine is engine
    assert db.shared_engine(f"sqlite:///{tmp_path / 'two.db'}") is not engine


def test_the_repositories_are_made_once_on_the_one_engine(sqlite_url: str) -> None:
    found = db.database(sqlite_url)
    assert db.database(sqlite_url) is found
    repositories = (found.assessments, found.feedback, found.handoffs, found.fact_changes)
    assert {id(repository.engine) for repository in repositories} == {id(found.engine)}
    assert found.assessments is db.database(sqlite_url).assessments
    assert found.handoffs is db.database(sqlite_url).handoffs


def test_migrations_run_once_per_process_and_url(tmp_path: Path, upgrades: list[str]) -> None:
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    for _ in range(3):
        db.database(first)
        db.migrate(db.shared_engine(first))
    db.database(second)
    assert upgrades == [first, second]
    tables = set(sa.inspect(db.shared_engine(first)).get_table_names())
    assert project_tables() <= tables


def test_threads_starting_together_migrate_once(sqlite_url: str, upgrades: list[str]) -> None:
    found: list[db.Database] = []
    threads = [threading.Thread(target=lambda: found.append(db.database(sqlite_url))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(found) == 8 and len({id(database) for database in found}) == 1
    assert upgrades == [sqlite_url]


def test_a_failed_migration_is_tried_again(
    sqlite_url: str, upgrades: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = db.upgrade_database
    attempts: list[int] = []

    def failing_once(*args: object, **kwargs: object) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise sa.exc.OperationalError("upgrade", {}, Exception("database is down"))
        counting(*args, **kwargs)

    monkeypatch.setattr(db, "upgrade_database", failing_once)
    with pytest.raises(sa.exc.OperationalError):
        db.database(sqlite_url)
    db.database(sqlite_url)
    db.database(sqlite_url)
    assert len(attempts) == 2 and upgrades == [sqlite_url]


def in_a_child(work: Callable[[], bool]) -> bool:
    """Run `work` in a forked child (killed after 20 s) and return its answer."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(read)
            signal.alarm(20)  # a lock left held at the fork would hang the child
            os.write(write, b"yes" if work() else b"no")
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read()
    os.waitpid(child, 0)
    return answer == b"yes"


def test_a_forked_child_gets_its_own_engine(sqlite_url: str) -> None:
    parent = db.database(sqlite_url)
    assert in_a_child(lambda: db.database(sqlite_url).engine is not parent.engine)
    assert db.database(sqlite_url) is parent


def test_the_locks_are_new_in_a_child_forked_while_they_were_held(sqlite_url: str) -> None:
    engine = db.shared_engine(sqlite_url)
    with db._lock, db._migrations_lock:  # as if other threads were making an engine and migrating
        answer = in_a_child(lambda: db.database(sqlite_url).engine is not engine)
    assert answer
