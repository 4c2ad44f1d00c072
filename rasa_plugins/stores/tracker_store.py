"""Rasa's SQL tracker store on one SQLAlchemy URL from the environment, failing loudly.

Rasa 3.6 waits forever at start-up when the database is down, sizes its PostgreSQL pool
at 50 + 100 connections per process, and wraps every tracker store in a
`FailSafeTrackerStore` that quietly keeps events in memory when a write fails and
returns an empty tracker when a read fails. For `EnvSQLTrackerStore` this module:

- connects at start-up with a deadline (IMP_DB_CONNECT_TIMEOUT) and raises
  `DatabaseUnavailable`, naming the URL with its password masked;
- sizes the pool from IMP_DB_POOL_SIZE / IMP_DB_MAX_OVERFLOW (5 + 5 by default), on the
  process's one engine for the URL (`actions.core.database.shared_engine`), which the
  handoff queue, the staff console and the widget's feedback votes use too;
- replaces the fail-safe wrapper by `StrictTrackerStore`, which re-raises every database
  error as `ConversationStoreError`, and makes the agent answer such a turn with
  `NOT_SAVED_MESSAGES` in the conversation's language, English when this process does not
  know it (instead of the turn's replies): nothing the user was told is lost, and a
  conversation never restarts from an empty tracker.

The last two are patches of Rasa's `Agent` (`_create_tracker_store`, `handle_message`), listed
with all others in rasa_plugins/patches/__init__.py. `EnvSQLTrackerStore.__init__` calls
`patches.install()`: Rasa builds this store (endpoints.yml) before the agent and the model, so
every patch is in place in time. Importing this module installs nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
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
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from sqlalchemy.engine import URL, make_url

from actions.core.database import migrate, shared_engine
from actions.core.settings import database_url
from actions.core.settings import db_connect_timeout as connect_timeout
from actions.core.texts import Texts
from rasa_plugins import patches
from rasa_plugins.stores.privacy import DELETED_FLAG, PrivacyTrackerStoreMixin
from rasa_plugins.stores.windowed_tracker import WindowedTrackerStoreMixin

logger = logging.getLogger(__name__)

# The answer to a turn that could not be stored, in the conversation's language (`language` slot):
# data/texts/ (messages: not_saved), read once at start-up so that a failing turn reads no file.
NOT_SAVED_MESSAGES = Texts.load().in_every_language("not_saved")
NOT_SAVED_MESSAGE = NOT_SAVED_MESSAGES["en"]
# Conversations whose language one process remembers for that answer (the most recent ones).
MAX_REMEMBERED_LANGUAGES = 10_000


class DatabaseUnavailable(RasaException):
    """The conversation database could not be reached at start-up."""


class ConversationStoreError(RasaException):
    """A conversation could not be read from or written to the database."""


def not_saved_message(language: str | None) -> str:
    """NOT_SAVED_MESSAGES in `language` ("en" or "fr"); English when it is unknown."""
    return NOT_SAVED_MESSAGES.get(language or "", NOT_SAVED_MESSAGE)


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


class EnvSQLTrackerStore(PrivacyTrackerStoreMixin, WindowedTrackerStoreMixin, SQLTrackerStore):
    """SQLTrackerStore on IMP_DATABASE_URL; the policies get a bounded window (windowed_tracker)."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        patches.install()  # Rasa builds this store before the agent: every patch in time (patches.py)
        # Replaces SQLTrackerStore.__init__, whose connection loop never gives up.
        url = make_url(host or database_url())
        # The process's one engine on this URL, shared with the handoff queue, console and widget.
        self.engine = shared_engine(url)
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
        # run on the same engine, so with the same bounded connection time, once per process.
        migrate(self.engine)
        self._window_table_ready = True


class StrictTrackerStore(FailSafeTrackerStore):
    """The agent's wrapper for our store: raises `ConversationStoreError` instead of falling back.

    It remembers the `language` slot of the conversations it read or saved, so that a turn the
    database refuses (often at the read, before anything else is known) is answered in the
    conversation's language (`known_language`).
    """

    def __init__(self, tracker_store: TrackerStore, *args: Any, **kwargs: Any) -> None:
        super().__init__(tracker_store, *args, **kwargs)
        self._languages: OrderedDict[str, str] = OrderedDict()
        self._languages_lock = threading.Lock()

    def _remember_language(self, tracker: DialogueStateTracker | None) -> None:
        slot = tracker.slots.get("language") if tracker is not None else None
        if tracker is None or slot is None or slot.value not in NOT_SAVED_MESSAGES:
            return
        with self._languages_lock:
            self._languages[tracker.sender_id] = slot.value
            self._languages.move_to_end(tracker.sender_id)
            while len(self._languages) > MAX_REMEMBERED_LANGUAGES:
                self._languages.popitem(last=False)

    def _forget_language(self, sender_id: str) -> None:
        with self._languages_lock:
            self._languages.pop(sender_id, None)

    def known_language(self, sender_id: str) -> str | None:
        """The conversation's language ("en"/"fr") as last read or saved here, if any."""
        with self._languages_lock:
            return self._languages.get(sender_id)

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
            tracker = await self._tracker_store.retrieve(sender_id)
        except Exception as error:
            raise self._fail("read", sender_id, error) from error
        self._remember_language(tracker)
        return tracker

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of every session; raises when the database fails."""
        try:
            tracker = await self._tracker_store.retrieve_full_tracker(sender_id)
        except Exception as error:
            raise self._fail("read", sender_id, error) from error
        self._remember_language(tracker)
        return tracker

    async def keys(self) -> Iterable[str]:
        """Every conversation ID; raises when the database fails."""
        try:
            return await self._tracker_store.keys()
        except Exception as error:
            raise self._fail("list", "*", error) from error

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events; raises when the database fails (nothing kept in memory)."""
        self._remember_language(tracker)  # the turn's language, even if it cannot be stored
        try:
            await self._tracker_store.save(tracker)
        except Exception as error:
            raise self._fail("save", tracker.sender_id, error) from error
        if getattr(tracker, DELETED_FLAG, False):  # the user had the conversation deleted
            self._forget_language(tracker.sender_id)


# Rasa's originals (rasa_plugins.patches keeps them as `_imp_rasa_*` once installed).
_rasa_create_tracker_store = getattr(Agent, "_imp_rasa_create_tracker_store", Agent._create_tracker_store)
_rasa_handle_message = getattr(Agent, "_imp_rasa_handle_message", Agent.handle_message)


def _create_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
    """Agent._create_tracker_store: our store gets the strict wrapper, others Rasa's fail-safe one."""
    if isinstance(store, EnvSQLTrackerStore):
        store.domain = domain
        return StrictTrackerStore(store)
    return _rasa_create_tracker_store(store, domain)


async def _handle_message(self: Agent, message: UserMessage) -> list[dict[str, Any]] | None:
    """Agent.handle_message: a turn that could not be stored is answered with NOT_SAVED_MESSAGES."""
    try:
        return await _rasa_handle_message(self, message)
    except (ConversationStoreError, LockError) as error:
        logger.error("Turn of conversation '%s' not processed: %s", message.sender_id, error)
        output = message.output_channel
        if isinstance(output, CollectingOutputChannel):
            output.messages.clear()  # the replies of a turn that was not stored
        store = getattr(self, "tracker_store", None)
        language = store.known_language(message.sender_id) if isinstance(store, StrictTrackerStore) else None
        await output.send_text_message(message.sender_id, not_saved_message(language))
        return output.messages if isinstance(output, CollectingOutputChannel) else None
