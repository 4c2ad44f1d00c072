"""Rasa's lock store chosen by IMP_LOCK_STORE_URL: in memory without it, Redis with it.

Several Rasa servers sharing one database must share a lock store, so that the turns of one
conversation are handled one at a time whichever server receives them. Rasa 3.6's
RedisLockStore reads, changes and writes a conversation's ticket lock in separate commands,
so two servers can draw the same ticket at the same moment (RasaHQ/rasa#9213);
`AtomicRedisLockStore` does each change in one Redis transaction (WATCH/MULTI/EXEC).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    LOCK_LIFETIME,
    InMemoryLockStore,
    LockError,
    LockStore,
    RedisLockStore,
)
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from rasa_plugins.tracker_store import connect_timeout, masked_url

logger = logging.getLogger(__name__)
T = TypeVar("T")
DEFAULT_SOCKET_TIMEOUT = 10.0


class LockStoreUnavailable(RasaException):
    """The Redis lock store could not be reached at start-up, or is misconfigured."""


def lock_store_url() -> str | None:
    """Redis URL of the lock store (IMP_LOCK_STORE_URL), or None for the in-memory one."""
    return os.environ.get("IMP_LOCK_STORE_URL", "").strip() or None


def _split_key_prefix(url: str) -> tuple[str, str | None]:
    """The URL without its `key_prefix` query parameter, and that parameter."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefixes = [value for key, value in query if key == "key_prefix"]
    rest = urlencode([(key, value) for key, value in query if key != "key_prefix"])
    return urlunsplit(parts._replace(query=rest)), (prefixes[-1] if prefixes else None)


class AtomicRedisLockStore(RedisLockStore):
    """RedisLockStore whose ticket changes are atomic across servers."""

    def __init__(
        self,
        url: str,
        key_prefix: str | None = None,
        socket_timeout: float = DEFAULT_SOCKET_TIMEOUT,
    ) -> None:
        # Replaces RedisLockStore.__init__, which takes host/port/db instead of a URL.
        url, url_prefix = _split_key_prefix(url)
        self.url = url
        self.red = redis.StrictRedis.from_url(
            url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
        )
        self.key_prefix = "lock:"
        prefix = key_prefix or url_prefix
        if prefix:
            if not prefix.isalnum():
                raise LockStoreUnavailable(f"The lock store's key_prefix must be alphanumeric: {prefix!r}.")
            self._set_key_prefix(prefix)
        LockStore.__init__(self)

    def wait_until_reachable(self, timeout: float) -> None:
        """Ping Redis until it answers; raise `LockStoreUnavailable` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        attempts = 0
        while True:
            attempts += 1
            try:
                self.red.ping()
                return
            except redis.RedisError as error:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LockStoreUnavailable(
                        f"Cannot reach the Redis lock store {masked_url(self.url)} (IMP_LOCK_STORE_URL) "
                        f"after {attempts} attempt(s) in {timeout:g} s (IMP_DB_CONNECT_TIMEOUT): {error}."
                    ) from None
                logger.warning(
                    "The Redis lock store %s is not reachable yet (attempt %d): %s",
                    masked_url(self.url),
                    attempts,
                    error,
                )
                time.sleep(min(1.0 * attempts, 3.0, remaining))

    def _transaction(
        self, conversation_id: str, change: Callable[[TicketLock | None], tuple[T, TicketLock | None]]
    ) -> T:
        """Apply `change` to the stored lock atomically; it returns a result and the lock to keep."""
        key = self.key_prefix + conversation_id

        def attempt(pipe: redis.client.Pipeline) -> T:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            result, new_lock = change(lock)
            pipe.multi()
            if new_lock is None:
                pipe.delete(key)
            else:
                # the key outlives its last ticket by a little, even if a server dies
                expires = max((ticket.expires for ticket in new_lock.tickets), default=time.time())
                pipe.set(key, new_lock.dumps(), ex=max(1, math.ceil(expires - time.time()) + 5))
            return result

        return self.red.transaction(attempt, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue the next ticket for the conversation (atomic)."""

        def change(lock: TicketLock | None) -> tuple[int, TicketLock]:
            lock = lock or self.create_lock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        try:
            return self._transaction(conversation_id, change)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's lock; a Redis failure is a `LockError` (the turn is not handled)."""
        try:
            return super().get_lock(conversation_id)
        except redis.RedisError as error:
            raise LockError(f"Could not read the lock of '{conversation_id}': {error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets (atomic)."""

        def change(lock: TicketLock | None) -> tuple[None, TicketLock | None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return None, lock

        try:
            self._transaction(conversation_id, change)
        except redis.RedisError as error:
            raise LockError(f"Could not update the lock of '{conversation_id}': {error}") from error

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the served ticket, and the lock when nobody waits (atomic; failures only logged)."""

        def change(lock: TicketLock | None) -> tuple[None, TicketLock | None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return None, (lock if lock.is_someone_waiting() else None)

        try:
            self._transaction(conversation_id, change)
        except redis.RedisError as error:
            # The turn is already stored; the ticket expires after its lifetime.
            logger.warning("Could not release the lock of conversation '%s': %s", conversation_id, error)


def _sanic_workers() -> int:
    try:
        return int(os.environ.get("SANIC_WORKERS", "1"))
    except ValueError:
        return 1


class EnvLockStore(LockStore):
    """Rasa's InMemoryLockStore, or `AtomicRedisLockStore` on IMP_LOCK_STORE_URL when it is set.

    Rasa builds a custom lock store as `EnvLockStore(endpoint_config=...)`; this returns
    the chosen store itself. Options from endpoints.yml: `key_prefix`, `socket_timeout`.
    """

    def __new__(cls, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> LockStore:  # type: ignore[misc]
        """The lock store configured by the environment."""
        options = {**(endpoint_config.kwargs if endpoint_config else {}), **kwargs}
        url = lock_store_url()
        if url is None:
            if _sanic_workers() > 1:
                raise LockStoreUnavailable(
                    "SANIC_WORKERS > 1 needs a shared lock store: set IMP_LOCK_STORE_URL "
                    "(e.g. redis://127.0.0.1:6379/0)."
                )
            return InMemoryLockStore()
        store = AtomicRedisLockStore(
            url,
            key_prefix=options.get("key_prefix"),
            socket_timeout=float(options.get("socket_timeout", DEFAULT_SOCKET_TIMEOUT)),
        )
        store.wait_until_reachable(connect_timeout())
        logger.info("Using the Redis lock store %s.", masked_url(store.url))
        return store
