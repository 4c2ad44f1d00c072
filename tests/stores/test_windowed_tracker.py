"""The windowed tracker store: policies see a bounded window, SQL keeps every event once, in order."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from actions.core.settings import PROJECT_ROOT
from rasa_plugins.stores.tracker_store import EnvSQLTrackerStore
from rasa_plugins.stores.windowed_tracker import (
    MAX_WINDOW_FACTOR,
    WINDOW_TURNS_ENV,
    WindowedTracker,
    WindowedTrackerStoreMixin,
    window_start,
)
from tests.assistant import LoadedAgent, in_process_assistant

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
FORM = "eligibility_form"
FORM_SLOTS = ["residence", "csq_program", "csq_valid", "invitation_letter", "pr_status"]


def test_the_assistants_tracker_store_is_windowed() -> None:
    assert issubclass(EnvSQLTrackerStore, WindowedTrackerStoreMixin)


def user(text: str, intent: str) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.9}, parse_data={"text": text})


def turn_events(number: int) -> list[Event]:
    """The events of one turn (after the user's message) of a conversation that mixes
    fact questions, the eligibility form (5 turns, then a verdict), a question in the middle
    of the form and a retracted message."""
    phase = number % 12
    if phase == 0:
        return [
            ActionExecuted(FORM),
            ActiveLoop(FORM),
            SlotSet("requested_slot", "residence"),
            ActionExecuted("action_listen"),
        ]
    if 1 <= phase <= 5:
        slot = FORM_SLOTS[phase - 1]
        events: list[Event] = [
            ActionExecuted(FORM),
            SlotSet(slot, f"value-{number}"),
        ]
        if phase == 3:  # a question in the middle of the form, then back to it
            events = [ActionExecuted("action_answer_fact"), BotUttered(f"fact {number}"), *events]
        if phase < 5:
            return [*events, SlotSet("requested_slot", FORM_SLOTS[phase]), ActionExecuted("action_listen")]
        return [
            *events,
            SlotSet("requested_slot", None),
            ActiveLoop(None),
            ActionExecuted("action_eligibility_verdict"),
            BotUttered(f"verdict {number}"),
            SlotSet("verdict", "eligible"),
            ActionExecuted("action_listen"),
        ]
    if phase == 7:
        return [UserUtteranceReverted(), ActionExecuted("action_listen")]  # a retracted message
    language = "fr" if phase == 9 else "en"
    return [
        SlotSet("language", language),
        ActionExecuted("action_answer_fact"),
        BotUttered(f"fact {number}"),
        ActionExecuted("action_listen"),
    ]


INTENTS = {0: "check_eligibility", 1: "inform", 2: "inform", 3: "ask_fees", 4: "inform", 5: "inform"}


def state_of(tracker: DialogueStateTracker) -> tuple:
    return (
        tracker.current_slot_values(),
        tracker.active_loop_name,
        tracker.latest_message.text if tracker.latest_message else None,
        tracker.latest_action_name,
        tracker.is_paused(),
    )


def stored_rows(store: SQLTrackerStore, sender: str) -> list[tuple[str, str]]:
    with store.engine.connect() as connection:
        return [
            (row.type_name, row.data)
            for row in connection.execute(
                sa.text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            )
        ]


def test_window_start_is_a_user_turn_and_keeps_an_active_form_whole() -> None:
    events: list[Event] = [ActionExecuted("action_session_start"), SessionStarted()]
    for number in range(30):
        events += [ActionExecuted("action_listen"), user(f"m{number}", "inform")]
        if number == 20:
            events.append(ActiveLoop(FORM))
        events.append(ActionExecuted(FORM if number >= 20 else "action_answer_fact"))
    ids = list(range(1, len(events) + 1))
    start = window_start(events, ids, 5)
    assert isinstance(events[start + 1], UserUttered)
    # the 9 turns inside the form count as none: 5 turns that began outside it
    assert events[start + 1].text == "m16"
    assert events[window_start(events[:40], ids[:40], 5) + 1].text == f"m{(40 - 2) // 3 - 4}"
    # a form that never ends still gives a bounded window
    assert events[window_start(events, ids, 2) + 1].text == f"m{30 - 2 * MAX_WINDOW_FACTOR}"


def run_conversation(
    store: EnvSQLTrackerStore, sender: str, turns: int, check_every: int = 1
) -> tuple[list[tuple[str, str]], int]:
    """Plays `turns` turns the way Rasa's processor does (retrieve, update, save); returns the
    rows expected in SQL and the largest number of events the policies were given."""
    expected: list[Event] = []
    largest = 0
    for number in range(turns):
        tracker = asyncio.run(store.get_or_create_tracker(sender, append_action_listen=False))
        new: list[Event] = []
        if not tracker.events:
            new += [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
        new.append(user(f"message {number}", INTENTS.get(number % 12, "ask_fees")))
        new += turn_events(number)
        for event in new:
            tracker.update(event, DOMAIN)
        expected += new
        largest = max(largest, len(tracker.events))
        if number % check_every == 0 and number > 0:
            assert isinstance(tracker, WindowedTracker)
            full = asyncio.run(SQLTrackerStore.retrieve(store, sender))
            for event in new:
                full.update(event, DOMAIN)
            # same current state and the same recent dialogue states as the whole session
            assert state_of(tracker) == state_of(full), number
            assert tracker.past_states(DOMAIN)[-8:] == full.past_states(DOMAIN)[-8:], number
        asyncio.run(store.save(tracker))
    rows = [(event.type_name, json.dumps(event.as_dict())) for event in expected]
    return rows, largest


@pytest.mark.parametrize("turns", [300])
def test_long_conversation_every_event_once_in_order_and_bounded(
    database_url: str, turns: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WINDOW_TURNS_ENV, "6")
    store = EnvSQLTrackerStore(domain=DOMAIN, host=database_url)
    expected, largest = run_conversation(store, "long", turns, check_every=7)
    stored = stored_rows(store, "long")
    assert len(stored) == len(expected)
    assert stored == expected  # exactly once each, in order, byte for byte as Rasa writes them
    # the policies saw at most the window (6 turns, plus a form's turns) and the new turn,
    # against 1,600 events for the whole conversation
    assert largest <= 90 and len(expected) > 1500
    final = asyncio.run(store.retrieve("long"))
    assert isinstance(final, WindowedTracker) and len(final.events) < 120
    assert len(asyncio.run(store.retrieve_full_tracker("long")).events) == len(expected)
    store.engine.dispose()


def test_a_turn_is_one_read_and_one_transaction_of_two_writes(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WINDOW_TURNS_ENV, "6")
    store = EnvSQLTrackerStore(domain=DOMAIN, host=database_url)
    run_conversation(store, "counted", 12, check_every=1000)
    statements: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(" ".join(statement.split()).upper())

    sa.event.listen(store.engine, "before_cursor_execute", note)
    try:
        tracker = asyncio.run(store.retrieve("counted"))
        read = list(statements)
        assert isinstance(tracker, WindowedTracker)
        for event in [ActionExecuted("action_listen"), user("one more", "ask_fees"), *turn_events(12)]:
            tracker.update(event, DOMAIN)
        statements.clear()
        asyncio.run(store.save(tracker))
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", note)
    assert len(read) == 1 and "UNION ALL" in read[0]  # the window row and its events in one statement
    inserts = [s for s in statements if s.startswith("INSERT INTO EVENTS")]
    assert len(inserts) == (1 if store.engine.dialect.name == "postgresql" else len(turn_events(12)) + 2)
    assert len(statements) == len(inserts) + 1 and statements[-1].startswith("UPDATE IMP_TRACKER_WINDOWS")
    again = asyncio.run(store.retrieve("counted"))
    assert again is not None
    assert [e.as_dict() for e in list(again.events)[-5:]] == [e.as_dict() for e in list(tracker.events)[-5:]]
    store.engine.dispose()


def test_window_off_reads_the_whole_session_like_rasa(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WINDOW_TURNS_ENV, "0")
    store = EnvSQLTrackerStore(domain=DOMAIN, host=sqlite_url)
    expected, largest = run_conversation(store, "plain", 40, check_every=1000)
    assert stored_rows(store, "plain") == expected
    assert largest >= len(expected) - 10
    store.engine.dispose()


def test_conversation_stored_before_the_window_existed_is_cut_on_first_read(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WINDOW_TURNS_ENV, "0")
    store = EnvSQLTrackerStore(domain=DOMAIN, host=sqlite_url)
    expected, _ = run_conversation(store, "old", 50, check_every=1000)
    monkeypatch.setenv(WINDOW_TURNS_ENV, "5")
    more, _ = run_conversation(store, "old", 10, check_every=1)
    stored = stored_rows(store, "old")
    assert stored[: len(expected)] == expected
    assert stored == expected + more
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM imp_tracker_windows")).scalar_one() == 1
    store.engine.dispose()


# --- with the trained model: the assistant behaves the same with and without the window ---

CONVERSATION = [
    "hello",
    "what is IMP+?",
    "how long is the IMP+ permit valid?",
    "am I eligible for IMP+?",
    "I live in Lyon",
    "how much does it cost?",
    "yes, through the PRTQ",
    "yes it is",
    "yes I got it",
    "I haven't applied yet",
    "thanks",
    "bonjour",
    "c'est quoi le PMI+?",
    "combien ça coûte?",
    "est-ce que je suis admissible?",
    "j'habite à Montréal",
    "oui, avec le PEQ",
    "oui il est valide",
    "non, pas encore",
    "en cours",
    "merci",
    "in English please",
    "who decides?",
    "am I eligible?",
    "I live in Laval",
    "stop",
    "are you a bot?",
    "can I bring my family?",
    "what is the weather in Paris?",
    "check my eligibility",
    "I live in Toronto",
    "no",
    "start over",
    "bye",
]


def behaviour(events: list[dict]) -> list[tuple]:
    """What the assistant did: its actions, the slots it set, the loop, its texts' sources."""
    kept = []
    for event in events:
        kind = event["event"]
        if kind == "action":
            kept.append(("action", event["name"]))
        elif kind == "slot":
            kept.append(("slot", event["name"], json.dumps(event["value"])))
        elif kind == "active_loop":
            kept.append(("loop", event["name"]))
        elif kind == "user":
            kept.append(("user", event["text"], event["parse_data"]["intent"]["name"]))
        elif kind == "bot":
            kept.append(("bot", (event["metadata"] or {}).get("utter_action"), bool(event["text"])))
    return kept


@pytest.mark.e2e
def test_assistant_answers_the_same_with_a_window(
    loaded_agent: LoadedAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    agent, store = in_process_assistant(loaded_agent, tmp_path / "window.db")
    seen: list[int] = []
    original = Domain.states_for_tracker_history

    def counting(self: Domain, tracker: DialogueStateTracker, *args: object, **kwargs: object) -> list:
        seen.append(len(tracker.events))
        return original(self, tracker, *args, **kwargs)

    monkeypatch.setattr(Domain, "states_for_tracker_history", counting)

    def talk(sender: str, window: str, rounds: int) -> list[list[str]]:
        monkeypatch.setenv(WINDOW_TURNS_ENV, window)
        texts = []
        for _ in range(rounds):
            for message in CONVERSATION:
                output = CollectingOutputChannel()
                asyncio.run(agent.handle_message(UserMessage(message, output, sender)))
                texts.append([reply.get("text", "") for reply in output.messages])
        return texts

    rounds = 3  # about 100 turns, ten times the smallest window
    full_texts = talk("full", "0", rounds)
    seen_full = max(seen)
    seen.clear()
    window_texts = talk("windowed", "4", rounds)
    full = asyncio.run(store.retrieve_full_tracker("full")).current_state(EventVerbosity.ALL)["events"]
    windowed = asyncio.run(store.retrieve_full_tracker("windowed")).current_state(EventVerbosity.ALL)[
        "events"
    ]
    assert behaviour(windowed) == behaviour(full)
    assert len(window_texts) == len(full_texts) == rounds * len(CONVERSATION)
    assert [bool(t) for t in window_texts] == [bool(t) for t in full_texts]
    # the policies saw a bounded window; without it, the whole conversation
    assert max(seen) < 150 < seen_full
    store.engine.dispose()
