"""rasa_plugins/patches/handoff.py, no server: quiet turns, and staff messages to channels and trackers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.core.handoff import ASKED, HandoffQueue
from actions.core.settings import PROJECT_ROOT
from rasa_plugins import patches
from rasa_plugins.channels.widget import WidgetSocketIO, WidgetSocketIOOutput
from rasa_plugins.patches import handoff

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HandoffQueue:
    monkeypatch.setenv("IMP_DATABASE_URL", f"sqlite:///{tmp_path / 'plugin.db'}")
    return handoff.queue_for()


def test_the_registry_wraps_the_processor_once() -> None:
    patches.install()
    patches.install()
    assert MessageProcessor.handle_message is handoff._handle_message
    assert MessageProcessor._imp_rasa_handle_message is handoff._rasa_handle_message  # type: ignore[attr-defined]
    assert handoff._rasa_handle_message is not handoff._handle_message


def run_turn(queue: HandoffQueue, sender: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, Any]:
    original = AsyncMock(return_value=[{"text": "bot answer"}])
    monkeypatch.setattr(handoff, "_rasa_handle_message", original)
    processor = SimpleNamespace(log_message=AsyncMock())
    message = UserMessage("hello?", CollectingOutputChannel(), sender)
    result = asyncio.run(handoff._handle_message(processor, message))  # type: ignore[arg-type]
    return result, original, processor


def test_the_assistant_answers_unless_a_person_has_the_conversation(
    queue: HandoffQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, original, processor = run_turn(queue, "u-1", monkeypatch)
    assert result == [{"text": "bot answer"}] and original.await_count == 1
    processor.log_message.assert_not_awaited()

    handoff_row, _ = queue.open("u-1", "socketio", "en", ASKED)
    result, original, processor = run_turn(queue, "u-1", monkeypatch)  # open, not taken yet
    assert original.await_count == 1

    queue.take(handoff_row.id, "Alice")
    result, original, processor = run_turn(queue, "u-1", monkeypatch)
    assert result == [] and original.await_count == 0
    processor.log_message.assert_awaited_once()
    assert processor.log_message.await_args.args[0].text == "hello?"
    result, original, _ = run_turn(queue, "someone-else", monkeypatch)
    assert original.await_count == 1

    queue.close(handoff_row.id)
    result, original, processor = run_turn(queue, "u-1", monkeypatch)
    assert original.await_count == 1


def test_a_database_failure_lets_the_assistant_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(url: str | None = None) -> HandoffQueue:
        raise OSError("disk gone")

    monkeypatch.setattr(handoff, "queue_for", broken)
    assert asyncio.run(handoff.conversation_taken("u-1")) is False


def fake_app(channels: list[Any], agent: Any = None) -> Any:
    return SimpleNamespace(ctx=SimpleNamespace(input_channels=channels, agent=agent))


def test_output_channel_is_found_by_name_and_rest_cannot_push() -> None:
    widget = WidgetSocketIO(session_persistence=True)
    widget.sio = AsyncMock()
    app = fake_app([RestInput(), widget])
    output = handoff.output_channel_for(app, "socketio")
    assert isinstance(output, WidgetSocketIOOutput)
    assert handoff.output_channel_for(app, "rest") is None
    assert handoff.output_channel_for(app, "telegram") is None
    assert handoff.output_channel_for(SimpleNamespace(), "socketio") is None


def agent_with(tracker: DialogueStateTracker | None) -> Any:
    store = InMemoryTrackerStore(DOMAIN)
    if tracker is not None:
        asyncio.run(store.save(tracker))
    return SimpleNamespace(tracker_store=store, lock_store=InMemoryLockStore())


def conversation(sender: str, language: str = "fr") -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered("je veux parler à une personne", {"name": "request_human", "confidence": 0.9}),
            SlotSet("language", language),
        ],
        slots=DOMAIN.slots,
    )


def test_staff_message_reaches_the_widget_room_and_the_tracker(queue: HandoffQueue) -> None:
    widget = WidgetSocketIO(session_persistence=True)
    widget.sio = AsyncMock()
    agent = agent_with(conversation("session-1"))
    app = fake_app([widget], agent)
    row, _ = queue.open("session-1", "socketio", "en", ASKED)
    delivery = asyncio.run(handoff.send_staff_message(app, row, "Bonjour, ici Alice.", "Alice"))
    assert delivery == handoff.Delivery(delivered=True, stored=True)
    widget.sio.emit.assert_awaited_once()
    assert widget.sio.emit.await_args.args == ("bot_uttered", {"text": "Bonjour, ici Alice."})
    assert widget.sio.emit.await_args.kwargs["room"] == "session-1"
    stored = asyncio.run(agent.tracker_store.retrieve("session-1"))
    last = stored.events[-1]
    assert (last.type_name, last.text, last.metadata) == (
        "bot",
        "Bonjour, ici Alice.",
        {"imp_staff": "Alice"},
    )
    # the language comes from the tracker's slot, not the handoff row
    assert asyncio.run(handoff.conversation_language(app, row)) == "fr"


def test_staff_message_on_a_channel_that_cannot_push_is_still_stored(queue: HandoffQueue) -> None:
    agent = agent_with(conversation("rest-user", "en"))
    app = fake_app([RestInput()], agent)
    row, _ = queue.open("rest-user", "rest", "fr", ASKED)
    delivery = asyncio.run(handoff.send_staff_message(app, row, "Hello", "Bob"))
    assert delivery == handoff.Delivery(delivered=False, stored=True)
    # an unknown conversation, a failing channel and a missing agent never crash
    failing = WidgetSocketIO(session_persistence=True)
    failing.sio = AsyncMock()
    failing.sio.emit.side_effect = RuntimeError("socket closed")
    ghost, _ = queue.open("ghost", "socketio", "fr", ASKED)
    delivery = asyncio.run(handoff.send_staff_message(fake_app([failing], agent), ghost, "Hi", "Bob"))
    assert delivery == handoff.Delivery(delivered=False, stored=False)
    assert asyncio.run(handoff.conversation_language(fake_app([]), ghost)) == "fr"


def test_messages_of_a_conversation_chatwoot_has_are_forwarded(
    queue: HandoffQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.channels.fake_chatwoot import FakeChatwoot

    fake = FakeChatwoot("api").start()
    try:
        conversation_id = 5
        fake.conversations[conversation_id] = {"id": conversation_id, "custom_attributes": {}}
        fake.messages[conversation_id] = []
        for name, value in {
            "IMP_CHATWOOT_URL": fake.base_url,
            "IMP_CHATWOOT_ACCOUNT_ID": str(fake.account_id),
            "IMP_CHATWOOT_INBOX_ID": str(fake.inbox_id),
            "IMP_CHATWOOT_API_TOKEN": "api",
            "IMP_CHATWOOT_WEBHOOK_TOKEN": "hook",
        }.items():
            monkeypatch.setenv(name, value)
        row, _ = queue.open("u-cw", "telegram", "en", ASKED)
        by_staff = queue.take(row.id, "Alice")
        assert asyncio.run(handoff.forward_to_chatwoot(by_staff, "hello")) is False  # a console handoff
        by_chatwoot = queue.take(row.id, f"Chatwoot #{conversation_id}")
        assert asyncio.run(handoff.taken_handoff("u-cw")) == by_chatwoot
        assert asyncio.run(handoff.forward_to_chatwoot(by_chatwoot, "hello?")) is True
        assert asyncio.run(handoff.forward_to_chatwoot(by_chatwoot, "/request_human")) is False
        assert fake.incoming_texts(conversation_id) == ["hello?"]
        fake.failing = True  # logged, never raised
        assert asyncio.run(handoff.forward_to_chatwoot(by_chatwoot, "still there?")) is False
    finally:
        fake.stop()
