"""Website chat widget support: its static files and feedback votes, and a socket.io channel.

`WidgetStatic` is an input channel that never receives messages: its blueprint serves
widget/dist/ at /widget/ and stores "Was this helpful?" votes sent to POST /widget/feedback.
`WidgetSocketIO` is Rasa's socket.io channel with two fixes: its output forwards each bot
message's `fact_id` (the stock output drops every key but the text and buttons), and its
`session_request` handler awaits `AsyncServer.enter_room`, a coroutine since python-socketio
5.10 that Rasa 3.6 never awaits, so with `session_persistence: true` no answer ever reached
the browser; when a returning visitor rejoins their session, it also sends the change notices
waiting for them (rasa_plugins/channels/notices.py). Its socket.io server shares its events
with the other Rasa servers through Redis when IMP_SOCKETIO_MESSAGE_QUEUE is set
(`message_queue`), so that a staff reply sent by one server reaches a widget connected to
another (docs/production.md).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import re
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer
from sqlalchemy.exc import SQLAlchemyError

from actions.core.database import database
from actions.core.feedback import FeedbackRepository, FeedbackVote, InvalidFeedback, parse_vote
from actions.core.settings import PROJECT_ROOT
from rasa_plugins.channels.notices import deliver_waiting

logger = logging.getLogger(__name__)

DIST_DIR = PROJECT_ROOT / "widget" / "dist"
MAX_FEEDBACK_BYTES = 2048
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
# One plain file name: no folder, no "..", no hidden file, no encoded separator.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
# Session ids a browser may ask to resume; anything else gets a new random id.
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,128}")
# Bot message keys, besides text and buttons, that the widget needs.
FORWARDED_KEYS = ("fact_id",)
# Redis URL through which the Rasa servers share socket.io events; unset: one server on its own.
MESSAGE_QUEUE_VARIABLE = "IMP_SOCKETIO_MESSAGE_QUEUE"
# Redis pub/sub channel of those events: the same on every server of one assistant.
QUEUE_CHANNEL_VARIABLE = "IMP_SOCKETIO_CHANNEL"
DEFAULT_QUEUE_CHANNEL = "imp-widget-socketio"


def message_queue(environ: dict[str, str] | None = None) -> AsyncRedisManager | None:
    """The Redis client manager of IMP_SOCKETIO_MESSAGE_QUEUE, or None (events stay in this process)."""
    environ = os.environ if environ is None else environ
    url = environ.get(MESSAGE_QUEUE_VARIABLE, "").strip()
    if not url:
        return None
    channel = environ.get(QUEUE_CHANNEL_VARIABLE, "").strip() or DEFAULT_QUEUE_CHANNEL
    return AsyncRedisManager(url, channel=channel)


def content_security_policy(host: str) -> str:
    """The demo page's policy: only this server's scripts, styles and socket.io connection."""
    sockets = f" ws://{host} wss://{host}" if _HOST.fullmatch(host) else ""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'{sockets}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'; object-src 'none'"
    )


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


class WidgetStatic(InputChannel):
    """Serves the chat widget's files at /widget/ and takes its feedback votes; no messages."""

    @classmethod
    def name(cls) -> str:
        """Channel name (not used for messages)."""
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """The block in credentials.yml takes no settings."""
        return cls()

    def __init__(self, dist_dir: Path | None = None, db_url: str | None = None) -> None:
        self.dist_dir = (dist_dir or DIST_DIR).resolve()
        self._db_url = db_url

    def url_prefix(self) -> str:
        """Absolute, so that Rasa mounts the blueprint at /widget rather than /webhooks/widget."""
        return "/widget"

    def get_output_channel(self) -> OutputChannel | None:
        """This channel never answers anybody."""
        return None

    def repository(self) -> FeedbackRepository:
        """The votes on IMP_DATABASE_URL (or `db_url`): the process's one database, migrated on first use."""
        return database(self._db_url).feedback

    def _store(self, vote: FeedbackVote) -> int:
        return self.repository().add(vote)

    async def file_response(self, name: str, host: str) -> HTTPResponse:
        """A file of the dist folder with its content type, or 404."""
        if not _FILE_NAME.fullmatch(name):
            return _error(404, "not found")
        path = (self.dist_dir / name).resolve()
        content_type = CONTENT_TYPES.get(path.suffix.lower())
        if content_type is None or path.parent != self.dist_dir or not path.is_file():
            return _error(404, "not found")
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            # The bundle is meant to be loaded by other sites' pages.
            "Cross-Origin-Resource-Policy": "cross-origin",
        }
        if path.suffix.lower() == ".html":
            headers["Content-Security-Policy"] = content_security_policy(host)
            headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return await response.file(path, mime_type=content_type, headers=headers)

    async def feedback(self, request: Request) -> HTTPResponse:
        """Store one vote: 201, or 4xx for bad input, 503 if the database fails; never 500."""
        try:
            if (request.content_type or "").split(";")[0].strip().lower() != "application/json":
                return _error(415, "send application/json")
            body = request.body or b""
            if len(body) > MAX_FEEDBACK_BYTES:
                return _error(413, "body too large")
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return _error(400, "the body is not valid JSON")
            vote = parse_vote(data)
            vote_id = await asyncio.get_running_loop().run_in_executor(None, self._store, vote)
        except InvalidFeedback as error:
            return _error(400, str(error))
        except SQLAlchemyError:
            logger.exception("Could not store a feedback vote")
            return _error(503, "the vote could not be stored, try again later")
        except Exception:
            logger.exception("Unexpected error while storing a feedback vote")
            return _error(503, "the vote could not be stored, try again later")
        return response.json({"status": "stored", "id": vote_id}, status=201)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes for the files and the votes; `on_new_message` is never called."""
        widget = Blueprint("imp_widget_static", __name__)

        @widget.route("/", methods=["GET", "HEAD"], strict_slashes=False)
        async def index(request: Request) -> HTTPResponse:
            return response.redirect("/widget/demo.html")

        @widget.route("/feedback", methods=["POST"])
        async def feedback(request: Request) -> HTTPResponse:
            return await self.feedback(request)

        @widget.route("/<name:str>", methods=["GET", "HEAD"])
        async def static_file(request: Request, name: str) -> HTTPResponse:
            if not name:  # "/widget/" arrives here with an empty name
                return response.redirect("/widget/demo.html")
            return await self.file_response(name, request.host)

        return widget


# Event sent instead of an answer while a person has the conversation (widget/src/index.js).
QUIET_EVENT = "handoff_quiet"


class WidgetSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output, keeping each bot message whole and its `fact_id`."""

    @staticmethod
    def _extra(kwargs: dict[str, Any]) -> dict[str, Any]:
        return {key: kwargs[key] for key in FORWARDED_KEYS if kwargs.get(key) is not None}

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """One bot_uttered event per message (newlines kept), with the forwarded keys."""
        await self._send_message(recipient_id, {"text": text.strip(), **self._extra(kwargs)})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """The text, its buttons as quick replies, and the forwarded keys in one event."""
        quick_replies = [
            {"content_type": "text", "title": button["title"], "payload": button["payload"]}
            for button in buttons
        ]
        message = {"text": (text or "").strip(), "quick_replies": quick_replies, **self._extra(kwargs)}
        await self._send_message(recipient_id, message)

    async def notify_quiet(self, recipient_id: str) -> None:
        """Tell the widget no answer is coming: a person has the conversation (`handoff_quiet`)."""
        await self.sio.emit(QUIET_EVENT, {}, room=recipient_id)


class WidgetSocketIO(SocketIOInput):
    """Rasa's socket.io channel (same settings, events and routes) with `WidgetSocketIOOutput`."""

    def get_output_channel(self) -> OutputChannel | None:
        """The output used for messages not triggered by the user (e.g. reminders, staff replies)."""
        if self.sio is None:
            return super().get_output_channel()
        return WidgetSocketIOOutput(self.sio, self.bot_message_evt)

    def server(self) -> AsyncServer:
        """Rasa's socket.io server, sharing its events through Redis when a message queue is set."""
        return AsyncServer(async_mode="sanic", cors_allowed_origins=[], client_manager=message_queue())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's socket.io blueprint on `server()`, answering through `WidgetSocketIOOutput`."""
        sio = self.server()
        blueprint = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        namespace = self.namespace

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: dict, auth: dict | None) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: str) -> None:
            logger.debug("Socket.IO client %s disconnected.", sid)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            if isinstance(requested, str) and _SESSION_ID.fullmatch(requested):
                session_id = requested
            else:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id, namespace=namespace)
                if inspect.isawaitable(entered):  # a coroutine since python-socketio 5.10
                    await entered
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
            logger.debug(f"Socket.IO client {sid} joined session {session_id}.")
            if self.session_persistence and session_id == requested:  # a returning visitor
                output = WidgetSocketIOOutput(sio, self.bot_message_evt)
                await deliver_waiting(session_id, partial(output.send_text_message, session_id))

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any) -> None:
            message = self.user_message(sid, data, WidgetSocketIOOutput(sio, self.bot_message_evt))
            if message is not None:
                await on_new_message(message)

        return blueprint

    def user_message(self, sid: str, data: Any, output: OutputChannel) -> UserMessage | None:
        """The `UserMessage` Rasa's handler builds from a user_uttered event, or None to ignore it."""
        data = data if isinstance(data, dict) else {}
        if self.session_persistence:
            sender_id = data.get("session_id")
            if not sender_id:
                logger.warning("A socket.io message without a session_id was ignored.")
                return None
        else:
            sender_id = sid
        metadata = data.get(self.metadata_key, {})
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        return UserMessage(
            data.get("message", ""), output, sender_id, input_channel=self.name(), metadata=metadata
        )
