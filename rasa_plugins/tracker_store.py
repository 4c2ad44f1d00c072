"""Rasa's SQL tracker store on one SQLAlchemy URL from the environment, failing loudly.

Rasa 3.6 waits forever at start-up when the database is down, sizes its PostgreSQL pool
at 50 + 100 connections per process, and wraps every tracker store in a
`FailSafeTrackerStore` that quietly keeps events in memory when a write fails and
returns an empty tracker when a read fails. For `EnvSQLTrackerStore` this module:

- connects at start-up with a deadline (IMP_DB_CONNECT_TIMEOUT) and raises
  `DatabaseUnavailable`, naming the URL with its password masked;
- sizes the pool from IMP_DB_POOL_SIZE / IMP_DB_MAX_OVERFLOW (5 + 5 by default);
- replaces the fail-safe wrapper by `StrictTrackerStore`, which re-raises every database
  error as `ConversationStoreError`, and makes the agent answer such a turn with
  `NOT_SAVED_MESSAGE` (instead of the turn's replies): nothing the user was told is lost,
  and a conversation never restarts from an empty tracker.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from rasa.core.agent import Agent
from rasa.core.brokers.broker import EventBroker
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import (
    FailSafeTrackerStore,
    SQLTrackerStore,
    TrackerStore,
    create_engine_kwargs,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from sqlalchemy.engine import URL, Engine, make_url

from actions.core.migrations import upgrade_database
from actions.core.settings import database_url
from actions.core.settings import db_connect_timeout as connect_timeout
from actions.core.settings import db_max_overflow as max_overflow
from actions.core.settings import db_pool_size as pool_size
from rasa_plugins import handoff, speedups
from rasa_plugins.privacy import PrivacyTrackerStoreMixin
from rasa_plugins.windowed_tracker import WindowedTrackerStoreMixin

logger = logging.getLogger(__name__)

DEFAULT_POOL_TIMEOUT = 10.0
# Longest wait for one new connection (start-up and during conversations).
MAX_ATTEMPT_TIMEOUT = 5
NOT_SAVED_MESSAGE = (
    "Sorry, I can't save this right now, so I didn't take it into account. Please try again in a moment."
)


class DatabaseUnavailable(RasaException):
    """The conversation database could not be reached at start-up."""


class ConversationStoreError(RasaException):
    """A conversation could not be read from or written to the database."""


def masked_url(url: str | URL) -> str:
    """The URL as text with its password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show only its scheme
        return str(url).split("://", 1)[0] + "://***"


def _reason(error: BaseException, url: URL) -> str:
    """A one-line cause of a database error, without the password."""
    cause = getattr(error, "orig", None) or error
    text = " ".join(str(cause).split()).rstrip(".") or type(cause).__name__
    if url.password:
        text = text.replace(str(url.password), "***")
    return text


def engine_options(url: str | URL) -> dict[str, Any]:
    """`create_engine` options: bounded pool and connection time, stale connections re-made."""
    parsed = make_url(url)
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        options["connect_args"] = {"check_same_thread": False, "timeout": 15}
        return options
    # Rasa's own options (the PostgreSQL schema from POSTGRESQL_SCHEMA), with our pool sizes.
    options.update(create_engine_kwargs(parsed))
    options.update(pool_size=pool_size(), max_overflow=max_overflow(), pool_timeout=DEFAULT_POOL_TIMEOUT)
    if parsed.get_backend_name() == "postgresql":
        attempt_timeout = max(2, min(MAX_ATTEMPT_TIMEOUT, int(connect_timeout()) or MAX_ATTEMPT_TIMEOUT))
        options["connect_args"] = {
            **options.get("connect_args", {}),
            "connect_timeout": attempt_timeout,
            # notice a silently dropped connection within about a minute
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }
    return options


def create_tracker_engine(url: str | URL) -> Engine:
    """An engine for the conversation database; SQLite files get their folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    return sa.create_engine(parsed, **engine_options(parsed))


class EnvSQLTrackerStore(PrivacyTrackerStoreMixin, WindowedTrackerStoreMixin, SQLTrackerStore):
    """SQLTrackerStore on IMP_DATABASE_URL; the policies get a bounded window (windowed_tracker)."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        # Replaces SQLTrackerStore.__init__, whose connection loop never gives up.
        url = make_url(host or database_url())
        self.engine = create_tracker_engine(url)
        self._connect(url, connect_timeout())
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        TrackerStore.__init__(self, domain, event_broker, **kwargs)

    def _connect(self, url: URL, timeout: float) -> None:
        """Create the events table, retrying until `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        attempts = 0
        while True:
            attempts += 1
            try:
                self._create_tables()
                logger.debug("Connected to the conversation database %s.", masked_url(url))
                return
            except sa.exc.DBAPIError as error:
                reason = _reason(error, url)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.engine.dispose()
                    raise DatabaseUnavailable(
                        f"Cannot reach the conversation database {masked_url(url)} "
                        f"(IMP_DATABASE_URL) after {attempts} attempt(s) in {timeout:g} s "
                        f"(IMP_DB_CONNECT_TIMEOUT): {reason}. Check that the database is running "
                        f"and reachable from this machine."
                    ) from None
                logger.warning(
                    "The conversation database %s is not reachable yet (attempt %d, retrying for %.0f s): %s",
                    masked_url(url),
                    attempts,
                    remaining,
                    reason,
                )
                time.sleep(min(1.0 * attempts, 3.0, remaining))

    def _create_tables(self) -> None:
        try:
            self.Base.metadata.create_all(self.engine)
        except (sa.exc.ProgrammingError, sa.exc.IntegrityError):
            # Another server created the table at the same moment: fine if it is there now.
            if not sa.inspect(self.engine).has_table(self.SQLEvent.__tablename__):
                raise
        # The project's tables (imp_tracker_windows among them) come from its Alembic migrations,
        # run on an engine with the same bounded connection time (lock-protected on PostgreSQL).
        migrations_engine = sa.create_engine(self.engine.url, future=True, **engine_options(self.engine.url))
        try:
            upgrade_database(engine=migrations_engine)
        finally:
            migrations_engine.dispose()
        self._window_table_ready = True


class StrictTrackerStore(FailSafeTrackerStore):
    """The agent's wrapper for our store: raises `ConversationStoreError` instead of falling back."""

    def _fail(self, operation: str, sender_id: str, error: Exception) -> ConversationStoreError:
        cause = getattr(error, "orig", None) or error  # without the SQL and its parameters
        logger.error(
            "Could not %s conversation '%s' in the database: %s: %s",
            operation,
            sender_id,
            type(cause).__name__,
            " ".join(str(cause).split())[:300],
        )
        return ConversationStoreError(f"Could not {operation} conversation '{sender_id}'.")

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of the latest session; raises when the database fails."""
        try:
            return await self._tracker_store.retrieve(sender_id)
        except Exception as error:
            raise self._fail("read", sender_id, error) from error

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of every session; raises when the database fails."""
        try:
            return await self._tracker_store.retrieve_full_tracker(sender_id)
        except Exception as error:
            raise self._fail("read", sender_id, error) from error

    async def keys(self) -> Iterable[str]:
        """Every conversation ID; raises when the database fails."""
        try:
            return await self._tracker_store.keys()
        except Exception as error:
            raise self._fail("list", "*", error) from error

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events; raises when the database fails (nothing kept in memory)."""
        try:
            await self._tracker_store.save(tracker)
        except Exception as error:
            raise self._fail("save", tracker.sender_id, error) from error


# Rasa's originals, kept once even if this module is imported again.
_rasa_create_tracker_store = getattr(Agent, "_imp_rasa_create_tracker_store", Agent._create_tracker_store)
_rasa_handle_message = getattr(Agent, "_imp_rasa_handle_message", Agent.handle_message)


def _create_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
    """Agent._create_tracker_store: our store gets the strict wrapper, others Rasa's fail-safe one."""
    if isinstance(store, EnvSQLTrackerStore):
        store.domain = domain
        return StrictTrackerStore(store)
    return _rasa_create_tracker_store(store, domain)


async def _handle_message(self: Agent, message: UserMessage) -> list[dict[str, Any]] | None:
    """Agent.handle_message: a turn that could not be stored is answered with NOT_SAVED_MESSAGE."""
    try:
        return await _rasa_handle_message(self, message)
    except (ConversationStoreError, LockError) as error:
        logger.error("Turn of conversation '%s' not processed: %s", message.sender_id, error)
        output = message.output_channel
        if isinstance(output, CollectingOutputChannel):
            output.messages.clear()  # the replies of a turn that was not stored
        await output.send_text_message(message.sender_id, NOT_SAVED_MESSAGE)
        return output.messages if isinstance(output, CollectingOutputChannel) else None


def install() -> None:
    """Neutralise Rasa's in-memory fallback for EnvSQLTrackerStore (idempotent)."""
    Agent._imp_rasa_create_tracker_store = staticmethod(_rasa_create_tracker_store)  # type: ignore[attr-defined]
    Agent._imp_rasa_handle_message = _rasa_handle_message  # type: ignore[attr-defined]
    Agent._create_tracker_store = staticmethod(_create_tracker_store)  # type: ignore[method-assign]
    Agent.handle_message = _handle_message  # type: ignore[method-assign]
    speedups.install()  # per-turn overheads of Rasa 3.6 (speedups.py)
    handoff.install()  # the assistant stays quiet while a person has the conversation


# Rasa imports this module (endpoints.yml) before it creates the agent.
install()
