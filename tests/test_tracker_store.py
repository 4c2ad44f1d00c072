"""The Rasa tracker store plugin keeps conversations in SQL (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.core.settings import PROJECT_ROOT
from rasa_plugins.tracker_store import EnvSQLTrackerStore

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


def test_conversation_round_trip(database_url: str) -> None:
    store = EnvSQLTrackerStore(domain=DOMAIN, host=database_url)
    tracker = DialogueStateTracker.from_events(
        "user-1",
        [
            ActionExecuted("action_listen"),
            UserUttered("I live in Lyon", {"name": "inform", "confidence": 0.9}),
            SlotSet("residence", "abroad"),
        ],
        slots=DOMAIN.slots,
    )
    asyncio.run(store.save(tracker))
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
