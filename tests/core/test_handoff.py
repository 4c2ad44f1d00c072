"""The handoff queue on SQLite and PostgreSQL, and when a conversation counts as stuck."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from actions.core.handoff import (
    ASKED,
    CLOSED,
    NOT_UNDERSTOOD,
    OPEN,
    STUCK_ACTION,
    TAKEN,
    HandoffError,
    HandoffQueue,
    clean_reply,
    failures_in_a_row,
    normalise_language,
    should_hand_off,
)
from actions.core.migrations import upgrade_database
from actions.core.repository import make_engine


@pytest.fixture
def queue(database_url: str) -> Iterator[HandoffQueue]:
    upgrade_database(database_url)
    engine = make_engine(database_url)
    yield HandoffQueue(engine)
    engine.dispose()


def test_opening_records_who_channel_language_reason_and_time(queue: HandoffQueue) -> None:
    handoff, created = queue.open("user-1", "socketio", "fr-CA", ASKED)
    assert created is True
    assert (handoff.sender_id, handoff.channel, handoff.language, handoff.reason) == (
        "user-1",
        "socketio",
        "fr",
        ASKED,
    )
    assert handoff.status == OPEN and handoff.taken_by is None
    assert handoff.created_at.tzinfo is not None
    assert queue.get(handoff.id) == handoff
    assert queue.active_for("user-1") == handoff
    assert queue.active_for("someone-else") is None


def test_opening_twice_returns_the_same_handoff(queue: HandoffQueue) -> None:
    first, created = queue.open("user-1", "telegram", "en", ASKED)
    again, created_again = queue.open("user-1", "telegram", "en", NOT_UNDERSTOOD)
    assert created and not created_again
    assert again.id == first.id and again.reason == ASKED
    queue.take(first.id, "Alice")
    taken_again, created = queue.open("user-1", "telegram", "en", ASKED)
    assert not created and taken_again.id == first.id and taken_again.status == TAKEN
    assert len(queue.list()) == 1


def test_concurrent_requests_open_one_handoff(queue: HandoffQueue) -> None:
    results: list[int] = []
    errors: list[BaseException] = []

    def request() -> None:
        try:
            results.append(queue.open("racer", "rest", "en", ASKED)[0].id)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 6


def test_take_close_and_reopen(queue: HandoffQueue) -> None:
    handoff, _ = queue.open("user-2", "socketio", "en", NOT_UNDERSTOOD)
    assert not queue.is_taken("user-2")
    taken = queue.take(handoff.id, "  Alice  ")
    assert taken.status == TAKEN and taken.taken_by == "Alice"
    assert taken.updated_at >= handoff.updated_at
    assert queue.is_taken("user-2")
    over = queue.take(handoff.id, "Bob")  # a colleague takes over
    assert over.taken_by == "Bob"
    closed = queue.close(handoff.id, "Bob")
    assert closed.status == CLOSED
    assert not queue.is_taken("user-2") and queue.active_for("user-2") is None
    with pytest.raises(HandoffError):
        queue.take(handoff.id, "Alice")
    with pytest.raises(HandoffError):
        queue.close(handoff.id)
    # the user can ask again: a new handoff, the old one stays closed
    new, created = queue.open("user-2", "socketio", "en", ASKED)
    assert created and new.id != handoff.id
    assert queue.get(handoff.id).status == CLOSED  # type: ignore[union-attr]


def test_list_and_counts(queue: HandoffQueue) -> None:
    a, _ = queue.open("a", "socketio", "en", ASKED)
    b, _ = queue.open("b", "telegram", "fr", ASKED)
    c, _ = queue.open("c", "rest", "en", NOT_UNDERSTOOD)
    queue.take(b.id, "Alice")
    queue.close(c.id)
    assert [h.sender_id for h in queue.list()] == ["a", "b"]  # oldest first
    assert [h.sender_id for h in queue.list([CLOSED])] == ["c"]
    assert {h.sender_id for h in queue.list([OPEN, TAKEN, CLOSED])} == {"a", "b", "c"}
    assert queue.list(["bogus"]) == []
    assert queue.counts() == {OPEN: 1, TAKEN: 1, CLOSED: 1}
    assert a.id < b.id < c.id


@pytest.mark.parametrize(
    ("sender_id", "reason"),
    [("", ASKED), ("x" * 256, ASKED), (None, ASKED), ("ok", "bored")],
)
def test_bad_input_is_refused(queue: HandoffQueue, sender_id: object, reason: str) -> None:
    with pytest.raises(HandoffError):
        queue.open(sender_id, "rest", "en", reason)  # type: ignore[arg-type]
    assert queue.list([OPEN, TAKEN, CLOSED]) == []


def test_unknown_handoffs_and_missing_staff_name(queue: HandoffQueue) -> None:
    assert queue.get(404) is None
    with pytest.raises(HandoffError):
        queue.take(404, "Alice")
    handoff, _ = queue.open("user-3", None, None, ASKED)
    assert (handoff.channel, handoff.language) == ("unknown", "en")
    with pytest.raises(HandoffError):
        queue.take(handoff.id, "   ")


def test_create_schema_makes_the_table(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    HandoffQueue(engine).create_schema()
    assert "imp_handoffs" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_reply_text_is_checked() -> None:
    assert clean_reply("  Hello\r\nthere  ") == "Hello\nthere"
    for bad in ("", "   ", None, 42, "x" * 4001):
        with pytest.raises(HandoffError):
            clean_reply(bad)


def test_language_is_normalised() -> None:
    assert [normalise_language(v) for v in ("fr", "FR-ca", "en", "es", None, 3)] == [
        "fr",
        "fr",
        "en",
        "en",
        "en",
        "en",
    ]


def user(intent: str = "nlu_fallback") -> dict[str, object]:
    return {"event": "user", "parse_data": {"intent": {"name": intent}}}


def action(name: str) -> dict[str, object]:
    return {"event": "action", "name": name}


STUCK = [user(), action("utter_fallback_topics"), {"event": "bot", "text": "?"}, action(STUCK_ACTION)]
ANSWERED = [user("ask_fees"), action("action_answer_fact"), action("action_listen")]


def test_the_second_failure_in_a_row_hands_off() -> None:
    first = [*ANSWERED, user(), action("utter_fallback_topics")]
    assert failures_in_a_row(first) == 1 and not should_hand_off(first)
    second = [*ANSWERED, *STUCK, action("action_listen"), user(), action("utter_fallback_topics")]
    assert failures_in_a_row(second) == 2 and should_hand_off(second)
    third = [*STUCK, *STUCK, user()]
    assert failures_in_a_row(third) == 3 and not should_hand_off(third)
    fourth = [*STUCK, *STUCK, *STUCK, user()]
    assert should_hand_off(fourth)


def test_an_understood_message_resets_the_count() -> None:
    events = [*STUCK, *ANSWERED, user()]
    assert failures_in_a_row(events) == 1 and not should_hand_off(events)


def test_odd_events_never_crash() -> None:
    assert failures_in_a_row([]) == 1
    assert failures_in_a_row([None, "x", 3, {"event": "action"}]) == 1  # type: ignore[list-item]
    assert not should_hand_off([action(STUCK_ACTION)])  # no user message before it
