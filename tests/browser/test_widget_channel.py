"""The widget's Rasa channels without a server: what reaches the browser, and the room fix."""

from __future__ import annotations

import asyncio
import re
from unittest.mock import AsyncMock

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOOutput
from sanic import Blueprint

from rasa_plugins.channels.widget import (
    WidgetSocketIO,
    WidgetSocketIOOutput,
    WidgetStatic,
    content_security_policy,
)

FACT_TEXT = "Valid for 3 years.\n\nSources: IRCC (2022)."


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
