"""The Redis lock store: chosen by the environment, atomic, in Rasa's format, two round trips a turn."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from typing import Any

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockError, RedisLockStore

from rasa_plugins.stores.lock_store import (
    TICKET_SCRIPT,
    AtomicRedisLockStore,
    EnvLockStore,
    LockStoreUnavailable,
)
from tests.assistant import free_port


def rasa_store_like(store: AtomicRedisLockStore) -> RedisLockStore:
    """Rasa's own RedisLockStore on the same Redis database and key prefix."""
    rasa_store = RedisLockStore.__new__(RedisLockStore)
    rasa_store.red = store.red
    rasa_store.key_prefix = store.key_prefix
    return rasa_store


def count_commands(store: AtomicRedisLockStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the Redis commands the store sends from now on."""
    sent: list[str] = []
    execute = store.red.execute_command

    def counting(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return execute(*args, **options)

    monkeypatch.setattr(store.red, "execute_command", counting)
    return sent


def test_lock_store_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    monkeypatch.delenv("IMP_LOCK_STORE_URL", raising=False)
    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    assert type(EnvLockStore()) is InMemoryLockStore
    monkeypatch.setenv("SANIC_WORKERS", "2")
    with pytest.raises(LockStoreUnavailable, match="IMP_LOCK_STORE_URL"):
        EnvLockStore()
    monkeypatch.setenv("IMP_LOCK_STORE_URL", redis_url)
    store = EnvLockStore()
    assert isinstance(store, AtomicRedisLockStore)
    assert store.key_prefix.endswith(":lock:")


def test_unreachable_lock_store_fails_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMP_LOCK_STORE_URL", f"redis://:s3cret@127.0.0.1:{free_port()}/0")
    monkeypatch.setenv("IMP_DB_CONNECT_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(LockStoreUnavailable) as raised:
        EnvLockStore()
    assert time.monotonic() - started < 10
    assert "redis://:***@127.0.0.1:" in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_two_servers_never_hold_one_conversation_together(redis_url: str) -> None:
    """Each thread plays a server with its own Redis connection; critical sections never overlap."""
    sections: list[tuple[float, float]] = []
    errors: list[BaseException] = []

    def server() -> None:
        store = AtomicRedisLockStore(redis_url)

        async def turns() -> None:
            for _ in range(15):
                async with store.lock("shared-conversation", wait_time_in_seconds=0.005):
                    started = time.monotonic()
                    await asyncio.sleep(0.01)
                    sections.append((started, time.monotonic()))

        try:
            asyncio.run(turns())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=server) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(sections) == 45
    ordered = sorted(sections)
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(ordered))


def test_a_turn_nobody_waits_for_costs_two_round_trips(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = AtomicRedisLockStore(redis_url)
    store.red.script_load(TICKET_SCRIPT)  # as after the first turn of the process
    sent = count_commands(store, monkeypatch)

    async def turn() -> list[str]:
        async with store.lock("alone"):
            inside = list(sent)
        return inside

    assert asyncio.run(turn()) == ["EVALSHA"]
    assert sent == ["EVALSHA", "EVALSHA"]
    assert store.get_lock("alone") is None  # released and deleted


def test_the_lock_is_stored_in_rasas_format(redis_url: str) -> None:
    store = AtomicRedisLockStore(redis_url)
    rasa_store = rasa_store_like(store)
    first = store.issue_ticket("shared", lock_lifetime=60)
    second = store.issue_ticket("shared", lock_lifetime=60)
    assert (first, second) == (0, 1)
    lock = rasa_store.get_lock("shared")
    assert lock is not None and lock.conversation_id == "shared"
    assert [ticket.number for ticket in lock.tickets] == [0, 1]
    assert all(time.time() + 59 < ticket.expires <= time.time() + 60 for ticket in lock.tickets)
    assert not lock.is_locked(0) and lock.is_locked(1)
    assert 60 <= store.red.ttl(store.key_prefix + "shared") <= 66  # outlives its last ticket a little
    store.cleanup("shared", 0)
    lock = rasa_store.get_lock("shared")
    assert lock is not None and not lock.is_locked(1)
    store.cleanup("shared", 1)
    assert store.red.exists(store.key_prefix + "shared") == 0


def test_a_lock_written_by_rasas_store_is_understood(redis_url: str) -> None:
    store = AtomicRedisLockStore(redis_url)
    rasa_store = rasa_store_like(store)
    assert rasa_store.issue_ticket("from-rasa", 60) == 0
    assert store.issue_ticket("from-rasa", 60) == 1
    lock = store.get_lock("from-rasa")
    assert lock is not None and lock.is_locked(1) and not lock.is_locked(0)


def test_expired_tickets_are_dropped_and_the_next_one_gets_the_lock(redis_url: str) -> None:
    store = AtomicRedisLockStore(redis_url)
    assert store.issue_ticket("dead-server", lock_lifetime=0.2) == 0  # its server died holding it

    async def turn() -> float:
        started = time.monotonic()
        async with store.lock("dead-server", wait_time_in_seconds=0.05) as lock:
            assert lock.now_serving == 1
        return time.monotonic() - started

    waited = asyncio.run(turn())
    assert 0.1 < waited < 2
    assert store.get_lock("dead-server") is None
    assert store.issue_ticket("dead-server", lock_lifetime=60) == 0  # nothing left: numbering restarts


def test_a_conversation_id_with_quotes_and_unicode_round_trips(redis_url: str) -> None:
    store = AtomicRedisLockStore(redis_url)
    odd = 'x"; DROP TABLE events; -- \\ é 🙂 \u202e'
    store.issue_ticket(odd, 60)
    lock = rasa_store_like(store).get_lock(odd)
    assert lock is not None and lock.conversation_id == odd


def test_redis_down_during_a_turn_is_a_lock_error(monkeypatch: pytest.MonkeyPatch) -> None:
    store = AtomicRedisLockStore(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.5)

    async def turn() -> None:
        async with store.lock("anyone"):
            pytest.fail("the turn must not run without the lock")

    with pytest.raises(LockError):
        asyncio.run(turn())
    store.cleanup("anyone", 0)  # releasing while Redis is down is only logged
