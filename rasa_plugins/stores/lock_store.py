"""Rasa's lock store chosen by IMP_LOCK_STORE_URL: in memory without it, Redis with it.

Several Rasa servers sharing one database must share a lock store, so that the turns of one
conversation are handled one at a time whichever server receives them. Rasa 3.6's
RedisLockStore reads, changes and writes a conversation's ticket lock in separate commands,
so two servers can draw the same ticket at the same moment (RasaHQ/rasa#9213);
`AtomicRedisLockStore` does each change as one Lua script, which Redis runs atomically: a turn
that nobody else is waiting for costs two round trips (issue and release), not eight. The lock
is stored in Rasa's own format, so Rasa's `RedisLockStore` can read it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
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

from rasa_plugins.stores.tracker_store import connect_timeout, masked_url

logger = logging.getLogger(__name__)
DEFAULT_SOCKET_TIMEOUT = 10.0

KEY_GRACE_SECONDS = 5  # the lock's key outlives its last ticket by this much, even if a server dies

# Drops the expired tickets (and ARGV[3]'s ticket, if given), issues a ticket valid for ARGV[4]
# seconds (if given), then stores the lock in Rasa's TicketLock format (or deletes it when no
# ticket is left) and returns it. Redis runs a script atomically: no other command runs between.
TICKET_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
local now = tonumber(ARGV[2])
local removed = tonumber(ARGV[3])
local lifetime = tonumber(ARGV[4])
local kept = {}
if raw then
  for _, text in ipairs(cjson.decode(raw)['tickets']) do
    local ticket = cjson.decode(text)
    if ticket['expires'] >= now and ticket['number'] ~= removed then
      kept[#kept + 1] = ticket
    end
  end
end
if lifetime then
  local number = 0
  if #kept > 0 then number = kept[#kept]['number'] + 1 end
  kept[#kept + 1] = {number = number, expires = now + lifetime}
end
if #kept == 0 then
  redis.call('DEL', KEYS[1])
  return false
end
local texts = {}
local last_expiry = now
for i, ticket in ipairs(kept) do
  texts[i] = cjson.encode(cjson.encode({number = ticket['number'], expires = ticket['expires']}))
  last_expiry = math.max(last_expiry, ticket['expires'])
end
local value = '{"conversation_id": ' .. cjson.encode(ARGV[1]) .. ', "tickets": ['
  .. table.concat(texts, ', ') .. ']}'
redis.call('SET', KEYS[1], value, 'EX', math.max(1, math.ceil(last_expiry - now) + tonumber(ARGV[5])))
return value
"""


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
        self._ticket_script = self.red.register_script(TICKET_SCRIPT)
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

    def _change(
        self,
        conversation_id: str,
        removed_ticket: int | None = None,
        new_ticket_lifetime: float | None = None,
    ) -> TicketLock | None:
        """Run TICKET_SCRIPT on the conversation's lock; the lock it stored, or None if it deleted it."""
        raw = self._ticket_script(
            keys=[self.key_prefix + conversation_id],
            args=[
                conversation_id,
                repr(time.time()),
                "" if removed_ticket is None else removed_ticket,
                "" if new_ticket_lifetime is None else repr(float(new_ticket_lifetime)),
                KEY_GRACE_SECONDS,
            ],
        )
        return TicketLock.from_dict(json.loads(raw)) if raw else None

    def _issue(self, conversation_id: str, lock_lifetime: float) -> TicketLock:
        """The lock with a new ticket issued last in it (one round trip)."""
        try:
            lock = self._change(conversation_id, new_ticket_lifetime=lock_lifetime)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        if lock is None:  # the script always keeps the ticket it has just issued
            raise LockError(f"No ticket was issued for conversation '{conversation_id}'.")
        return lock

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue the next ticket for the conversation (atomic)."""
        return self._issue(conversation_id, lock_lifetime).tickets[-1].number

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[TicketLock]:
        """Rasa's `LockStore.lock`, without reading the lock again when the new ticket is first."""
        lock = self._issue(conversation_id, lock_lifetime)
        ticket = lock.tickets[-1].number
        try:
            if lock.is_locked(ticket):
                lock = await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
            yield lock
        finally:
            self.cleanup(conversation_id, ticket)

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's lock; a Redis failure is a `LockError` (the turn is not handled)."""
        try:
            return super().get_lock(conversation_id)
        except redis.RedisError as error:
            raise LockError(f"Could not read the lock of '{conversation_id}': {error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets (atomic); the lock is deleted when none is left."""
        try:
            self._change(conversation_id)
        except redis.RedisError as error:
            raise LockError(f"Could not update the lock of '{conversation_id}': {error}") from error

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the served ticket, and the lock when nobody waits (atomic; failures only logged)."""
        try:
            self._change(conversation_id, removed_ticket=ticket_number)
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
