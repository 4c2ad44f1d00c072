"""The Rasa tracker store plugin keeps conversations in SQL (SQLite and PostgreSQL) and fails loudly."""

from __future__ import annotations

import asyncio
import socket
import time
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.core.settings import PROJECT_ROOT
from rasa_plugins import patches
from rasa_plugins.stores.tracker_store import (
    NOT_SAVED_MESSAGE,
    NOT_SAVED_MESSAGES,
    ConversationStoreError,
    DatabaseUnavailable,
    EnvSQLTrackerStore,
    StrictTrackerStore,
    masked_url,
)

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def a_tracker(sender: str = "user-1") -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered("I live in Lyon", {"name": "inform", "confidence": 0.9}),
            SlotSet("residence", "abroad"),
        ],
        slots=DOMAIN.slots,
    )


def test_conversation_round_trip(database_url: str) -> None:
    store = EnvSQLTrackerStore(domain=DOMAIN, host=database_url)
    asyncio.run(store.save(a_tracker()))
    loaded = asyncio.run(store.retrieve("user-1"))
    assert loaded is not None
    assert loaded.get_slot("residence") == "abroad"
    assert loaded.latest_message.text == "I live in Lyon"
    assert asyncio.run(store.retrieve("someone-else")) is None
    store.engine.dispose()


def test_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("IMP_DATABASE_URL", sqlite_url)
    store = EnvSQLTrackerStore(domain=DOMAIN)
    assert str(store.engine.url) == sqlite_url
    store.engine.dispose()


def test_pool_fits_postgresql_limits(monkeypatch: pytest.MonkeyPatch, postgres_url: str) -> None:
    store = EnvSQLTrackerStore(domain=DOMAIN, host=postgres_url)
    assert (store.engine.pool.size(), store.engine.pool._max_overflow) == (5, 5)
    store.engine.dispose()
    monkeypatch.setenv("IMP_DB_POOL_SIZE", "2")
    monkeypatch.setenv("IMP_DB_MAX_OVERFLOW", "1")
    store = EnvSQLTrackerStore(domain=DOMAIN, host=postgres_url)
    assert (store.engine.pool.size(), store.engine.pool._max_overflow) == (2, 1)
    store.engine.dispose()


def test_password_is_masked() -> None:
    assert masked_url("postgresql://imp:s3cret@db:5432/imp") == "postgresql://imp:***@db:5432/imp"
    assert masked_url("sqlite:///var/imp.db") == "sqlite:///var/imp.db"


def test_unreachable_database_fails_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMP_DB_CONNECT_TIMEOUT", "2")
    url = f"postgresql://imp:s3cret@127.0.0.1:{closed_port()}/imp"
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as raised:
        EnvSQLTrackerStore(domain=DOMAIN, host=url)
    assert time.monotonic() - started < 10
    message = str(raised.value)
    assert "s3cret" not in message
    assert f"postgresql://imp:***@127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}/imp" in message
    assert "IMP_DB_CONNECT_TIMEOUT" in message


def break_database(store: EnvSQLTrackerStore, tmp_path: object) -> None:
    """Point the store at a database file that cannot be opened."""
    store.sessionmaker.configure(bind=sa.create_engine(f"sqlite:///{tmp_path}/missing/dir/x.db"))


def test_agent_wraps_our_store_without_memory_fallback(sqlite_url: str, tmp_path: object) -> None:
    store = EnvSQLTrackerStore(domain=DOMAIN, host=sqlite_url)
    wrapped = Agent(tracker_store=store).tracker_store
    assert isinstance(wrapped, StrictTrackerStore)
    asyncio.run(wrapped.save(a_tracker()))
    break_database(store, tmp_path)
    with pytest.raises(ConversationStoreError):
        asyncio.run(wrapped.save(a_tracker("user-2")))
    with pytest.raises(ConversationStoreError):
        asyncio.run(wrapped.retrieve("user-1"))
    with pytest.raises(ConversationStoreError):
        asyncio.run(wrapped.retrieve_full_tracker("user-1"))
    with pytest.raises(ConversationStoreError):
        asyncio.run(wrapped.get_or_create_tracker("user-1"))
    # nothing was kept in memory
    assert wrapped._fallback_tracker_store is None


def test_other_stores_keep_rasas_wrapper() -> None:
    wrapped = Agent(tracker_store=InMemoryTrackerStore(DOMAIN)).tracker_store
    assert type(wrapped) is FailSafeTrackerStore


class FailingProcessor:
    """Sends the turn's reply, then fails to store the turn."""

    async def handle_message(self, message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "Next question?")
        raise ConversationStoreError("Could not save conversation 'u'.")


def test_a_turn_that_cannot_be_stored_is_answered_try_again() -> None:
    patches.install()  # as building the store does (this test builds none)
    agent = SimpleNamespace(
        is_ready=lambda: True, lock_store=InMemoryLockStore(), processor=FailingProcessor()
    )
    collector = CollectingOutputChannel()
    result = asyncio.run(Agent.handle_message(agent, UserMessage("yes", collector, "u")))  # type: ignore[arg-type]
    assert [message["text"] for message in collector.messages] == [NOT_SAVED_MESSAGE]
    assert result == collector.messages


def a_tracker_in(language: str, sender: str) -> DialogueStateTracker:
    tracker = a_tracker(sender)
    tracker.update(SlotSet("language", language))
    return tracker


class StoringProcessor:
    """Answers, then reads the conversation (or saves `tracker`) through the agent's store."""

    def __init__(self, store: StrictTrackerStore, tracker: DialogueStateTracker | None = None) -> None:
        self.store, self.tracker = store, tracker

    async def handle_message(self, message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "Next question?")
        if self.tracker is None:
            await self.store.get_or_create_tracker(message.sender_id)
        else:
            await self.store.save(self.tracker)


def answer_when_broken(
    store: StrictTrackerStore, sender: str, tracker: DialogueStateTracker | None = None
) -> str:
    agent = SimpleNamespace(
        is_ready=lambda: True,
        lock_store=InMemoryLockStore(),
        tracker_store=store,
        processor=StoringProcessor(store, tracker),
    )
    collector = CollectingOutputChannel()
    asyncio.run(Agent.handle_message(agent, UserMessage("oui", collector, sender)))  # type: ignore[arg-type]
    [reply] = [message["text"] for message in collector.messages]
    return reply


def test_a_turn_that_cannot_be_stored_is_answered_in_the_conversations_language(
    sqlite_url: str, tmp_path: object
) -> None:
    french, english = NOT_SAVED_MESSAGES["fr"], NOT_SAVED_MESSAGES["en"]
    assert english == NOT_SAVED_MESSAGE and french != english
    assert "enregistrer" in french and "réessayer" in french  # not saved; try again
    store = EnvSQLTrackerStore(domain=DOMAIN, host=sqlite_url)
    wrapped = Agent(domain=DOMAIN, tracker_store=store).tracker_store
    asyncio.run(wrapped.save(a_tracker_in("fr", "fr-user")))
    asyncio.run(wrapped.save(a_tracker_in("en", "en-user")))
    asyncio.run(wrapped.save(a_tracker("no-language-yet")))
    # another process (or a restart) that read the conversation before the database failed
    restarted = Agent(domain=DOMAIN, tracker_store=store).tracker_store
    assert asyncio.run(restarted.retrieve("fr-user")).get_slot("language") == "fr"
    break_database(store, tmp_path)

    assert answer_when_broken(wrapped, "fr-user") == french  # the read fails
    assert answer_when_broken(restarted, "fr-user") == french
    assert answer_when_broken(wrapped, "en-user") == english
    assert answer_when_broken(wrapped, "no-language-yet") == english
    assert answer_when_broken(wrapped, "stranger") == english
    # the user switched to French in the very turn that cannot be saved
    assert answer_when_broken(wrapped, "en-user", a_tracker_in("fr", "en-user")) == french


def test_start_up_migrates_the_project_tables_with_alembic(database_url: str) -> None:
    from alembic.script import ScriptDirectory

    from actions.core.migrations import alembic_config, current_revision, project_tables

    store = EnvSQLTrackerStore(domain=DOMAIN, host=database_url)
    with store.engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        revision = current_revision(connection)
    assert {"events", "imp_tracker_windows"} | project_tables() <= tables
    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()
    asyncio.run(store.save(a_tracker("migrated")))
    assert asyncio.run(store.retrieve("migrated")).get_slot("residence") == "abroad"
    store.engine.dispose()
    EnvSQLTrackerStore(domain=DOMAIN, host=database_url).engine.dispose()  # a second start: nothing to do
