"""The tracker store masks identifiers in SQL and deletes a conversation after the turn that asks it."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.core.feedback import FeedbackRepository, FeedbackVote
from actions.core.privacy import DELETION_ACTION
from actions.core.repository import AssessmentRepository, make_engine
from actions.core.settings import PROJECT_ROOT
from actions.core.tables import Base, HandoffRecord
from rasa_plugins.stores.privacy import PrivacyTrackerStoreMixin
from rasa_plugins.stores.tracker_store import EnvSQLTrackerStore
from rasa_plugins.stores.windowed_tracker import WINDOW_TURNS_ENV, WindowedTracker

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
PII_TEXT = "I'm at ana.silva@example.com or 514-555-1234, UCI 12-3456-7890, file W123456789"
MASKED_TEXT = "I'm at [email] or [phone], UCI [uci], file [application number]"


def user(text: str, intent: str, entities: list[dict] | None = None) -> UserUttered:
    parse_data = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    return UserUttered(text, parse_data["intent"], entities or [], parse_data=parse_data)


def turn(text: str, intent: str, *actions: str) -> list[Event]:
    events: list[Event] = [user(text, intent)]
    for action in actions:
        events.append(ActionExecuted(action))
        if action.startswith("utter_"):
            events.append(BotUttered(f"reply of {action}"))
    return [*events, ActionExecuted("action_listen")]


def start() -> list[Event]:
    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]


def save_turn(store: EnvSQLTrackerStore, sender: str, events: list[Event]) -> DialogueStateTracker:
    """One turn the way Rasa's processor does it: retrieve (or create), update, save."""
    tracker = asyncio.run(store.retrieve(sender))
    if tracker is None:
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        events = start() + events
    for event in events:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    return tracker


def stored(store: EnvSQLTrackerStore, sender: str) -> list[dict]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
        )
        return [json.loads(row.data) for row in rows]


def count(store: EnvSQLTrackerStore, table: str, column: str, sender: str) -> int:
    with store.engine.connect() as connection:
        return connection.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :s"), {"s": sender}
        ).scalar_one()


def test_the_assistants_store_has_the_privacy_duties() -> None:
    assert EnvSQLTrackerStore.__mro__[1] is PrivacyTrackerStoreMixin


@pytest.mark.parametrize("window_turns", ["6", "0"])
def test_sql_holds_masked_text_while_the_turn_saw_the_original(
    database_url: str, window_turns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WINDOW_TURNS_ENV, window_turns)
    store = EnvSQLTrackerStore(domain=DOMAIN, host=database_url)
    first = save_turn(store, "ana", turn("hello", "greet", "utter_greet"))  # Rasa's own save
    entities = [{"entity": "email", "value": "ana.silva@example.com", "start": 7, "end": 28}]
    second = [
        user(PII_TEXT, "inform", entities),
        SlotSet("residence", "call 438 555 9876"),
        ActionExecuted("action_listen"),
    ]
    tracker = save_turn(store, "ana", second)  # the windowed save (or Rasa's with the window off)
    assert isinstance(tracker, WindowedTracker) == (window_turns != "0")
    assert first.latest_message.text == "hello"
    # the processor's tracker (what NLU, the policies and the actions saw) is unchanged
    assert tracker.latest_message.text == PII_TEXT
    assert tracker.get_slot("residence") == "call 438 555 9876"
    user_rows = [row for row in stored(store, "ana") if row["event"] == "user"]
    assert [row["text"] for row in user_rows] == ["hello", MASKED_TEXT]
    assert user_rows[1]["parse_data"]["text"] == MASKED_TEXT
    assert user_rows[1]["parse_data"]["entities"][0]["value"] == "[email]"
    assert user_rows[1]["parse_data"]["intent"]["name"] == "inform"
    [slot] = [row for row in stored(store, "ana") if row["event"] == "slot" and row["name"] == "residence"]
    assert slot["value"] == "call [phone]"
    everything = json.dumps(stored(store, "ana"))
    for secret in ("ana.silva", "555-1234", "3456-7890", "W123456789", "555 9876"):
        assert secret not in everything
    # the next read gives the masked conversation back, still usable
    again = asyncio.run(store.retrieve("ana"))
    assert again is not None and again.latest_message.text == MASKED_TEXT


def test_the_windows_saved_slot_state_is_masked(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WINDOW_TURNS_ENV, "4")
    store = EnvSQLTrackerStore(domain=DOMAIN, host=sqlite_url)
    save_turn(
        store,
        "bo",
        [user("x", "inform"), SlotSet("residence", "bo@example.com"), ActionExecuted("action_listen")],
    )
    for number in range(8):  # the slot falls out of the window into its saved state
        save_turn(store, "bo", turn(f"question {number}", "ask_fees", "action_answer_fact"))
    with store.engine.connect() as connection:
        state = connection.execute(
            sa.text("SELECT state FROM imp_tracker_windows WHERE sender_id = 'bo'")
        ).scalar_one()
    assert json.loads(state)["slots"]["residence"] == "[email]"
    assert "bo@example.com" not in json.dumps(stored(store, "bo"))


def add_personal_rows(database_url: str, sender: str) -> None:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    AssessmentRepository(engine).add(sender, {"residence": "abroad"}, "eligible", [])
    FeedbackRepository(engine).add(FeedbackVote(sender_id=sender, fact_id="fees", helpful=True))
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        connection.execute(
            HandoffRecord.__table__.insert().values(
                sender_id=sender,
                channel="rest",
                language="en",
                reason="asked",
                status="closed",
                created_at=now,
                updated_at=now,
            )
        )
    engine.dispose()


PERSONAL = [
    ("events", "sender_id"),
    ("imp_tracker_windows", "sender_id"),
    ("imp_assessments", "conversation_id"),
    ("imp_feedback", "sender_id"),
    ("imp_handoffs", "sender_id"),
]


@pytest.mark.parametrize("window_turns", ["6", "0"])
def test_confirmed_deletion_holds_after_the_turn_is_saved(
    database_url: str, window_turns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WINDOW_TURNS_ENV, window_turns)
    store = EnvSQLTrackerStore(domain=DOMAIN, host=database_url)
    for sender in ("ana", "bob"):
        save_turn(store, sender, turn("what are the fees", "ask_fees", "action_answer_fact"))
        save_turn(store, sender, turn("thanks", "thank", "utter_thank"))  # a window row from now on
        add_personal_rows(database_url, sender)
    save_turn(store, "ana", turn("delete my data", "request_data_deletion", "utter_confirm_data_deletion"))
    assert count(store, "imp_assessments", "conversation_id", "ana") == 1  # asking alone deletes nothing
    tracker = save_turn(store, "ana", turn("yes", "affirm", DELETION_ACTION, "utter_data_deleted"))
    for table, column in PERSONAL:
        assert count(store, table, column, "ana") == 0, table
        if table != "imp_tracker_windows" or window_turns != "0":
            assert count(store, table, column, "bob") >= 1, table
    # saving the same tracker again (a second save in the same turn) brings nothing back
    asyncio.run(store.save(tracker))
    assert count(store, "events", "sender_id", "ana") == 0
    # the next message starts a new conversation
    assert asyncio.run(store.retrieve("ana")) is None
    fresh = save_turn(store, "ana", turn("hi", "greet", "utter_greet"))
    assert [e.text for e in fresh.events if isinstance(e, UserUttered)] == ["hi"]
    assert [row.get("text") for row in stored(store, "ana") if row["event"] == "user"] == ["hi"]


def test_a_declined_deletion_keeps_everything(database_url: str) -> None:
    store = EnvSQLTrackerStore(domain=DOMAIN, host=database_url)
    save_turn(store, "ana", turn("what are the fees", "ask_fees", "action_answer_fact"))
    add_personal_rows(database_url, "ana")
    save_turn(store, "ana", turn("delete my data", "request_data_deletion", "utter_confirm_data_deletion"))
    save_turn(store, "ana", turn("no", "deny", "utter_data_deletion_cancelled"))
    for table, column in PERSONAL:
        assert count(store, table, column, "ana") >= 1, table
    assert count(store, "events", "sender_id", "ana") == len(start()) + 3 + 4 + 4
