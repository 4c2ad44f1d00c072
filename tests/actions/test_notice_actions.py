"""The actions that start and stop a conversation's change notices."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError

from actions import notice_actions
from actions.core.notices import NoticeBook, NoticeChannel
from actions.knowledge_access import dialogue_file
from actions.notice_actions import ActionStopNotifications, ActionSubscribeChanges


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> NoticeBook:
    monkeypatch.setenv("IMP_DATABASE_URL", f"sqlite:///{tmp_path / 'actions.db'}")
    return notice_actions.notice_book()


def tracker(intent: str, channel: str, language: str | None = None, sender_id: str = "u-1") -> Tracker:
    event = {"event": "user", "input_channel": channel, "parse_data": {"intent": {"name": intent}}}
    return Tracker(
        sender_id=sender_id,
        slots={"language": language},
        latest_message=event["parse_data"],
        events=[event],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def said(action: Any, tracker: Tracker) -> list[str]:
    dispatcher = CollectingDispatcher()
    assert asyncio.run(action.run(dispatcher, tracker, {})) == []
    return [message["text"] for message in dispatcher.messages]


def message(key: str, language: str = "en") -> str:
    return dialogue_file.get().message(key, language)


def test_subscribing_on_telegram_stores_channel_and_language_and_says_how_to_stop(book: NoticeBook) -> None:
    assert said(ActionSubscribeChanges(), tracker("subscribe_changes", "telegram", "fr")) == [
        message("notices_subscribed", "fr")
    ]
    subscription = book.subscription("u-1")
    assert subscription is not None
    assert (subscription.channel, subscription.language) == (NoticeChannel.TELEGRAM, "fr")
    assert "arrêter les notifications" in message("notices_subscribed", "fr")


def test_subscribing_twice_says_so(book: NoticeBook) -> None:
    said(ActionSubscribeChanges(), tracker("subscribe_changes", "socketio"))
    assert said(ActionSubscribeChanges(), tracker("subscribe_changes", "socketio")) == [
        message("notices_already_subscribed")
    ]
    assert book.count() == 1


def test_a_channel_that_cannot_reach_the_person_later_is_refused(book: NoticeBook) -> None:
    assert said(ActionSubscribeChanges(), tracker("subscribe_changes", "rest")) == [
        message("notices_unsupported_channel")
    ]
    assert book.count() == 0


def test_stop_removes_the_subscription_and_says_whether_there_was_one(book: NoticeBook) -> None:
    said(ActionSubscribeChanges(), tracker("subscribe_changes", "socketio"))
    assert said(ActionStopNotifications(), tracker("stop_notifications", "socketio")) == [
        message("notices_stopped")
    ]
    assert book.subscription("u-1") is None
    assert said(ActionStopNotifications(), tracker("stop_notifications", "socketio", "fr")) == [
        message("notices_not_subscribed", "fr")
    ]


def test_a_database_failure_gets_an_apology_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def subscribe(self, *args: Any) -> None:
            raise OperationalError("INSERT", {}, Exception("database is down"))

        unsubscribe = subscribe

    monkeypatch.setattr(notice_actions, "notice_book", Broken)
    for action, intent in (
        (ActionSubscribeChanges(), "subscribe_changes"),
        (ActionStopNotifications(), "stop"),
    ):
        assert said(action, tracker(intent, "telegram")) == [message("notices_unavailable")]
