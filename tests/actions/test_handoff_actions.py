"""The actions that put a conversation in the handoff queue."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import handoff_actions
from actions.core.handoff import ASKED, NOT_UNDERSTOOD, OPEN, STUCK_ACTION, TAKEN, HandoffQueue
from actions.handoff_actions import ActionHandoffIfStuck, ActionRequestHuman
from actions.knowledge_access import dialogue_file
from tests.channels.fake_chatwoot import FakeChatwoot


@pytest.fixture
def queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HandoffQueue:
    monkeypatch.setenv("IMP_DATABASE_URL", f"sqlite:///{tmp_path / 'actions.db'}")
    return handoff_actions.handoff_queue()


def tracker(events: list[dict[str, Any]], language: str | None = None, sender_id: str = "u-1") -> Tracker:
    return Tracker(
        sender_id=sender_id,
        slots={"language": language},
        latest_message=events[-1].get("parse_data", {}) if events else {},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def user(intent: str, channel: str = "socketio") -> dict[str, Any]:
    return {"event": "user", "input_channel": channel, "parse_data": {"intent": {"name": intent}}}


def act(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def run(action: Any, tracker: Tracker) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    assert asyncio.run(action.run(dispatcher, tracker, {})) == []
    return dispatcher


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def test_request_human_opens_a_handoff_and_says_what_happens(queue: HandoffQueue) -> None:
    dispatcher = run(ActionRequestHuman(), tracker([user("request_human", "telegram")], "fr"))
    handoff = queue.active_for("u-1")
    assert handoff is not None
    assert (handoff.channel, handoff.language, handoff.reason, handoff.status) == (
        "telegram",
        "fr",
        ASKED,
        OPEN,
    )
    assert texts(dispatcher) == [dialogue_file.get().message("handoff_requested", "fr")]
    assert "personne vous répondra ici" in texts(dispatcher)[0]

    again = run(ActionRequestHuman(), tracker([user("request_human", "telegram")], "fr"))
    assert texts(again) == [dialogue_file.get().message("handoff_already_requested", "fr")]
    assert len(queue.list()) == 1


def test_request_human_in_english_promises_no_time(queue: HandoffQueue) -> None:
    dispatcher = run(ActionRequestHuman(), tracker([user("request_human")]))
    (text,) = texts(dispatcher)
    assert "A person will answer you here" in text and "can't tell you when" in text
    assert not any(word in text.lower() for word in ("minute", "hour ", "today", "24"))


def test_database_failure_is_said_not_crashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("IMP_DATABASE_URL", f"sqlite:///{blocker / 'sub' / 'db.sqlite'}")
    dispatcher = run(ActionRequestHuman(), tracker([user("request_human")]))
    assert texts(dispatcher) == [dialogue_file.get().message("handoff_unavailable", "en")]


def test_first_failure_only_offers_topics(queue: HandoffQueue) -> None:
    events = [user("ask_fees"), act("action_answer_fact"), act("action_listen"), user("nlu_fallback")]
    events.append(act("utter_fallback_topics"))
    dispatcher = run(ActionHandoffIfStuck(), tracker(events))
    assert dispatcher.messages == []  # the rule already showed the topics
    assert queue.active_for("u-1") is None


def test_second_failure_in_a_row_opens_a_handoff(queue: HandoffQueue) -> None:
    events = [
        user("nlu_fallback"),
        act("utter_fallback_topics"),
        act(STUCK_ACTION),
        act("action_listen"),
        user("nlu_fallback"),
        act("utter_fallback_topics"),
    ]
    dispatcher = run(ActionHandoffIfStuck(), tracker(events, "en"))
    handoff = queue.active_for("u-1")
    assert handoff is not None and handoff.reason == NOT_UNDERSTOOD
    assert texts(dispatcher) == [dialogue_file.get().message("handoff_not_understood", "en")]


def test_as_core_fallback_it_shows_the_topics_itself(queue: HandoffQueue) -> None:
    events = [user("ask_fees"), act("action_answer_fact"), act("action_listen"), user("greet")]
    dispatcher = run(ActionHandoffIfStuck(), tracker(events))
    assert dispatcher.messages[0]["response"] == "utter_fallback_topics"
    assert len(dispatcher.messages) == 1
    assert queue.active_for("u-1") is None


# --- with Chatwoot configured (tests/channels/fake_chatwoot.py) -----------------------------


@pytest.fixture
def chatwoot_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeChatwoot]:
    fake = FakeChatwoot("api-token").start()
    monkeypatch.setenv("IMP_CHATWOOT_URL", fake.base_url)
    monkeypatch.setenv("IMP_CHATWOOT_ACCOUNT_ID", str(fake.account_id))
    monkeypatch.setenv("IMP_CHATWOOT_INBOX_ID", str(fake.inbox_id))
    monkeypatch.setenv("IMP_CHATWOOT_API_TOKEN", "api-token")
    monkeypatch.setenv("IMP_CHATWOOT_WEBHOOK_TOKEN", "hook-token")
    yield fake
    fake.stop()


def test_with_chatwoot_the_handoff_goes_to_its_inbox(
    queue: HandoffQueue, chatwoot_fake: FakeChatwoot
) -> None:
    events = [
        {**user("ask_fees", "telegram"), "text": "what are the fees?"},
        user("request_human", "telegram"),
    ]
    dispatcher = run(ActionRequestHuman(), tracker(events, "en", sender_id="tg-9"))
    assert texts(dispatcher) == [dialogue_file.get().message("handoff_requested", "en")]
    conversation_id = chatwoot_fake.conversation_of("tg-9")
    assert conversation_id is not None
    handoff = queue.active_for("tg-9")
    assert handoff is not None and (handoff.status, handoff.taken_by) == (
        TAKEN,
        f"Chatwoot #{conversation_id}",
    )
    assert chatwoot_fake.incoming_texts(conversation_id) == ["what are the fees?"]
    assert queue.taken_by(f"Chatwoot #{conversation_id}") == handoff
    # asking again: nothing new in Chatwoot
    run(ActionRequestHuman(), tracker(events, "en", sender_id="tg-9"))
    assert len(chatwoot_fake.conversations) == 1


def test_when_chatwoot_fails_the_built_in_queue_keeps_it(
    queue: HandoffQueue, chatwoot_fake: FakeChatwoot, caplog: pytest.LogCaptureFixture
) -> None:
    chatwoot_fake.failing = True
    dispatcher = run(ActionRequestHuman(), tracker([user("request_human")], "en", sender_id="w-1"))
    assert texts(dispatcher) == [dialogue_file.get().message("handoff_requested", "en")]
    handoff = queue.active_for("w-1")
    assert handoff is not None and (handoff.status, handoff.taken_by) == (OPEN, None)
    assert "stays in the built-in queue" in caplog.text and "HTTP 500" in caplog.text
