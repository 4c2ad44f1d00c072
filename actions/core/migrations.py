"""Creates and upgrades the project's own tables with Alembic (alembic.ini, migrations/)."""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from actions.core import tables
from actions.core.repository import make_engine
from actions.core.settings import PROJECT_ROOT, database_url

logger = logging.getLogger(__name__)
# Alembic announces each of its autogenerate plugins at INFO on every run.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
# Serialises upgrades of servers starting together on one PostgreSQL database.
POSTGRES_LOCK_KEY = 0x1A9_0001


def metadata() -> sa.MetaData:
    """The table catalogue's metadata (actions.core.tables): what the migrations must produce."""
    return tables.Base.metadata


def project_tables() -> frozenset[str]:
    """Names of the tables the migrations manage (Rasa's `events` table is not one)."""
    return tables.project_tables()


def include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """Alembic filter: only the project's tables (and everything inside them)."""
    return type_ != "table" or name in project_tables()


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, running on `connection` when given."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None for a database Alembic never touched."""
    return MigrationContext.configure(connection).get_current_revision()


@contextlib.contextmanager
def sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """Hold an exclusive lock file next to an SQLite database file (nothing for other databases).

    The Rasa server and the action server both upgrade at start-up: on one new SQLite file,
    two Alembic runs at once would both create `alembic_version` and step on each other.
    """
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    lock_path = Path(f"{database}.migrations.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # released when the file is closed
        yield


def upgrade_database(url: str | None = None, revision: str = "head", engine: Engine | None = None) -> None:
    """Bring the project's tables on `url` (IMP_DATABASE_URL by default) to `revision`.

    Safe to call from every server at start-up: one upgrades while the others wait (an
    advisory lock on PostgreSQL, a lock file on SQLite), then find nothing left to do. Tables
    made by create_all before migrations existed are kept (the first revisions create only what
    is missing). With `engine` (a `future=True` engine, e.g. with the tracker store's connect
    timeout) it runs on it and leaves it open.
    """
    given = engine
    engine = given or make_engine(url or database_url())
    try:
        with sqlite_migration_lock(engine), engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # held until the commit below: other servers wait, then find nothing to do
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK_KEY})
            command.upgrade(alembic_config(connection), revision)
            connection.commit()
    finally:
        if given is None:
            engine.dispose()


def downgrade_database(url: str | None = None, revision: str = "base") -> None:
    """Take the project's tables on `url` back to `revision` (all dropped at "base")."""
    engine = make_engine(url or database_url())
    try:
        with sqlite_migration_lock(engine), engine.connect() as connection:
            command.downgrade(alembic_config(connection), revision)
            connection.commit()
    finally:
        engine.dispose()
