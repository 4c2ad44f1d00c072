"""Alembic environment: the project's models on IMP_DATABASE_URL (or a connection given to it)."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from actions.core.migrations import include_name, metadata
from actions.core.repository import make_engine
from actions.core.settings import database_url

config = context.config
# upgrade_database() passes its connection; the alembic command line connects by itself.
given_connection: Connection | None = config.attributes.get("connection")
if given_connection is None and config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def configure(**options: object) -> None:
    """Options common to every run."""
    context.configure(
        target_metadata=metadata(),
        include_name=include_name,
        compare_type=True,
        # SQLite cannot ALTER most things: let Alembic copy the table instead
        render_as_batch=True,
        **options,
    )


def run_offline() -> None:
    """Print the SQL instead of running it (alembic upgrade head --sql)."""
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online(connection: Connection) -> None:
    """Run the migrations on `connection`."""
    configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif given_connection is not None:
    run_online(given_connection)
else:
    engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            run_online(connection)
            connection.commit()
    finally:
        engine.dispose()
