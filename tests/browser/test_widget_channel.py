"""The widget's Rasa channels without a server: what reaches the browser, and the room fix."""

from __future__ import annotations

import asyncio
import re
import warnings
from pathlib import Path
from unittest.mock import AsyncMock

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from socketio import AsyncRedisManager

from actions.core.database import database
from actions.core.notices import NoticeBook
from rasa_plugins.channels.widget import (
    DEFAULT_QUEUE_CHANNEL,
    WidgetSocketIO,
    WidgetSocketIOOutput,
    WidgetStatic,
    content_security_policy,
    message_queue,
)

FACT_TEXT = "Valid for 3 years.\n\nSources: IRCC (2022)."
RETURNING = "0f8e2a7c4b1d4e6f9a3b5c7d9e1f2a3b"


@pytest.fixture(autouse=True)
def notices_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> NoticeBook:
    """A database of its own for the notices a returning visitor is sent (never var/'s)."""
    monkeypatch.setenv("IMP_DATABASE_URL", f"sqlite:///{tmp_path / 'widget.db'}")
    return database().notices


def emitted(output: SocketIOOutput) -> list[dict]:
    return [call.args[1] for call in output.sio.emit.await_args_list]


def test_fact_answers_reach_the_browser_whole_with_their_fact_id() -> None:
    output = WidgetSocketIOOutput(AsyncMock(), "bot_uttered")
    message = {"text": FACT_TEXT, "fact_id": "permit_duration", "template": None, "timestamp": 1.0}
    asyncio.run(output.send_response("session-1", dict(message)))
    assert emitted(output) == [{"text": FACT_TEXT, "fact_id": "permit_duration"}]
    assert output.sio.emit.await_args.kwargs["room"] == "session-1"


def test_buttons_become_quick_replies_in_the_same_event() -> None:
    output = WidgetSocketIOOutput(AsyncMock(), "bot_uttered")
    buttons = [{"title": "Yes", "payload": '/inform{"csq_valid":"yes"}'}]
    asyncio.run(output.send_response("s", {"text": "Still valid?\n\nPick one.", "buttons": buttons}))
    assert emitted(output) == [
        {
            "text": "Still valid?\n\nPick one.",
            "quick_replies": [
                {"content_type": "text", "title": "Yes", "payload": '/inform{"csq_valid":"yes"}'}
            ],
        }
    ]


def test_rasa_stock_output_drops_the_fact_id() -> None:
    """Why the subclass exists: if this starts failing, Rasa fixed it upstream."""
    output = SocketIOOutput(AsyncMock(), "bot_uttered")
    asyncio.run(output.send_response("s", {"text": FACT_TEXT, "fact_id": "permit_duration"}))
    assert emitted(output) == [{"text": "Valid for 3 years."}, {"text": "Sources: IRCC (2022)."}]


def session_request_handler(channel: WidgetSocketIO) -> object:
    async def on_new_message(message: UserMessage) -> None:
        raise AssertionError("not expected")

    assert isinstance(channel.blueprint(on_new_message), Blueprint)
    channel.sio.enter_room = AsyncMock()
    channel.sio.emit = AsyncMock()
    return channel.sio.handlers["/"]["session_request"]


def test_session_request_awaits_enter_room_and_confirms_the_id() -> None:
    channel = WidgetSocketIO(session_persistence=True)
    handler = session_request_handler(channel)
    session = "0f8e2a7c4b1d4e6f9a3b5c7d9e1f2a3b"
    asyncio.run(handler("sid-1", {"session_id": session}))
    channel.sio.enter_room.assert_awaited_once_with("sid-1", session, namespace=None)
    channel.sio.emit.assert_awaited_once_with("session_confirm", session, room="sid-1", namespace=None)


@pytest.mark.parametrize(
    "data", [None, {}, {"session_id": None}, {"session_id": "short"}, {"session_id": "a/b" * 8}, "x"]
)
def test_a_missing_or_odd_session_id_gets_a_new_random_one(data: object) -> None:
    channel = WidgetSocketIO(session_persistence=True)
    handler = session_request_handler(channel)
    asyncio.run(handler("sid-2", data))
    confirmed = channel.sio.emit.await_args.args[1]
    assert re.fullmatch(r"[0-9a-f]{32}", confirmed)  # uuid4().hex
    channel.sio.enter_room.assert_awaited_once_with("sid-2", confirmed, namespace=None)


def test_a_returning_visitor_gets_the_notices_waiting_once(notices_database: NoticeBook) -> None:
    notices_database.subscribe(RETURNING, "socketio", "en")
    notices_database.queue("fees", lambda language: f"IMP+ update ({language})")
    channel = WidgetSocketIO(session_persistence=True)
    handler = session_request_handler(channel)
    asyncio.run(handler("sid-4", {"session_id": RETURNING}))
    calls = [(call.args[0], call.args[1], call.kwargs["room"]) for call in channel.sio.emit.await_args_list]
    assert calls == [
        ("session_confirm", RETURNING, "sid-4"),
        ("bot_uttered", {"text": "IMP+ update (en)"}, RETURNING),
    ]
    asyncio.run(handler("sid-5", {"session_id": RETURNING}))
    assert [call.args[0] for call in channel.sio.emit.await_args_list[2:]] == ["session_confirm"]


def test_a_new_visitor_is_sent_no_notice(notices_database: NoticeBook) -> None:
    channel = WidgetSocketIO(session_persistence=True)
    handler = session_request_handler(channel)
    asyncio.run(handler("sid-6", {"session_id": "short"}))
    assert [call.args[0] for call in channel.sio.emit.await_args_list] == ["session_confirm"]


def test_without_persistence_no_room_is_entered() -> None:
    channel = WidgetSocketIO(session_persistence=False)
    handler = session_request_handler(channel)
    asyncio.run(handler("sid-3", {"session_id": "0f8e2a7c4b1d4e6f9a3b5c7d9e1f2a3b"}))
    channel.sio.enter_room.assert_not_awaited()


def test_widget_static_never_answers_and_mounts_at_widget() -> None:
    channel = WidgetStatic.from_credentials(None)
    assert channel.get_output_channel() is None
    assert channel.url_prefix() == "/widget"


def test_csp_names_the_socket_host_only_when_it_is_a_plain_host() -> None:
    assert "connect-src 'self' ws://example.org:5005 wss://example.org:5005;" in content_security_policy(
        "example.org:5005"
    )
    hostile = content_security_policy("evil.example; script-src *")
    assert "script-src *" not in hostile and "connect-src 'self';" in hostile


def test_no_message_queue_unless_the_variable_is_set() -> None:
    assert message_queue({}) is None
    assert message_queue({"IMP_SOCKETIO_MESSAGE_QUEUE": " "}) is None
    assert WidgetSocketIO().server().manager.__class__.__name__ == "AsyncManager"


def test_the_message_queue_is_redis_on_the_channel_named() -> None:
    url = "redis://127.0.0.1:6379/3"
    manager = message_queue({"IMP_SOCKETIO_MESSAGE_QUEUE": url})
    assert isinstance(manager, AsyncRedisManager)
    assert (manager.redis_url, manager.channel) == (url, DEFAULT_QUEUE_CHANNEL)
    named = message_queue({"IMP_SOCKETIO_MESSAGE_QUEUE": url, "IMP_SOCKETIO_CHANNEL": "imp-staging"})
    assert named is not None and named.channel == "imp-staging"


def test_the_server_shares_its_events_through_the_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMP_SOCKETIO_MESSAGE_QUEUE", "redis://127.0.0.1:6379/3")
    channel = WidgetSocketIO(session_persistence=True)
    channel.blueprint(AsyncMock())
    assert isinstance(channel.sio.manager, AsyncRedisManager)
    assert channel.sio.manager.server is channel.sio


def _routes(blueprint: Blueprint) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((route.uri, tuple(sorted(route.methods))) for route in blueprint._future_routes)


def test_the_blueprint_has_rasas_routes_events_and_server_options() -> None:
    """Comparison with Rasa's SocketIOInput.blueprint, which ours replaces (registry: widget_session)."""
    settings = {
        "user_message_evt": "user_uttered",
        "bot_message_evt": "bot_uttered",
        "session_persistence": True,
    }
    rasa, ours = SocketIOInput(**settings), WidgetSocketIO(**settings)
    rasa_blueprint, our_blueprint = rasa.blueprint(AsyncMock()), ours.blueprint(AsyncMock())
    assert _routes(our_blueprint) == _routes(rasa_blueprint)
    assert (our_blueprint.name, our_blueprint.ctx.socketio_path) == ("socketio_webhook", "/socket.io")
    assert sorted(ours.sio.handlers["/"]) == sorted(rasa.sio.handlers["/"])
    assert ours.sio.eio.cors_allowed_origins == rasa.sio.eio.cors_allowed_origins == []
    assert ours.sio.eio.async_mode == rasa.sio.eio.async_mode == "sanic"


@pytest.mark.parametrize("persistence", [True, False])
@pytest.mark.parametrize(
    "data",
    [
        {"message": "hello", "session_id": "0f8e2a7c4b1d4e6f9a3b5c7d", "metadata": {"language": "fr"}},
        {"message": "hi", "session_id": "0f8e2a7c4b1d4e6f9a3b5c7d", "metadata": '{"channel": "w"}'},
        {"message": "no session"},
    ],
)
def test_user_messages_are_the_ones_rasa_builds(persistence: bool, data: dict) -> None:
    """Same sender, text, channel and metadata as Rasa's handler; only the output differs."""
    received: dict[str, list[UserMessage]] = {"rasa": [], "ours": []}
    for key, channel in (("rasa", SocketIOInput), ("ours", WidgetSocketIO)):
        instance = channel(session_persistence=persistence)

        async def collect(message: UserMessage, key: str = key) -> None:
            received[key].append(message)

        instance.blueprint(collect)
        with warnings.catch_warnings():  # Rasa warns of a message without a session id
            warnings.simplefilter("ignore")
            asyncio.run(instance.sio.handlers["/"]["user_uttered"]("sid-9", dict(data)))
    fields = [
        [(m.text, m.sender_id, m.input_channel, m.metadata) for m in received[key]]
        for key in ("rasa", "ours")
    ]
    assert fields[0] == fields[1]
    assert all(isinstance(m.output_channel, WidgetSocketIOOutput) for m in received["ours"])
