"""Rasa's REST channel with its request body checked first: bad input gets a clear 4xx, never a 5xx.

Use it in credentials.yml as ``rasa_plugins.channels.rest.ValidatingRestInput:`` in place of ``rest:``; the
channel keeps the name "rest", so the URL stays /webhooks/rest/webhook. Rasa's own channel reads
``request.json.get(...)`` without checks: a JSON list or string body is a 500, a missing sender
silently joins the shared "default" conversation, a huge or NUL-holding sender id breaks the
database write. Here the body must be a JSON object with

- ``sender``: a string of 1 to 255 characters (Rasa's ``events.sender_id``) without control
  characters;
- ``message``: a string of at most ``MAX_MESSAGE_LENGTH`` characters that is not empty once its
  control characters (other than tab and line breaks) are removed;
- optional ``metadata`` (an object) and ``input_channel`` (a short name); other fields are ignored.

A body over ``MAX_BODY_BYTES`` or a message over ``MAX_MESSAGE_LENGTH`` is a 413, anything else
malformed a 400 (415 for a non-JSON body sent with a non-JSON content type), and a message of a
conversation that already has ``MAX_PENDING_PER_SENDER`` messages waiting a 429; the answer is
JSON ``{"error": "<reason>"}``.
"""

from __future__ import annotations

import json
import logging
import re
from asyncio import CancelledError
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

logger = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 5000
MAX_SENDER_LENGTH = 255  # Rasa's events.sender_id is a String(255)
MAX_BODY_BYTES = 64 * 1024
MAX_INPUT_CHANNEL_LENGTH = 64
# Messages of one conversation handled or waiting at once (per server); more get a 429. Rasa
# handles them one at a time, and a waiting one gives up after the lock's 60 s lifetime.
MAX_PENDING_PER_SENDER = 10
# C0 controls, DEL and C1 controls; a message keeps its tabs and line breaks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MESSAGE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_INPUT_CHANNEL = re.compile(rf"[A-Za-z0-9_.-]{{1,{MAX_INPUT_CHANNEL_LENGTH}}}")


class BadRestRequest(ValueError):
    """The request cannot be handled: `status` (4xx) and a reason for the client."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class RestRequest:
    """A checked REST message."""

    sender: str
    message: str
    metadata: dict[str, Any] | None
    input_channel: str | None


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list"}.get(
        type(value), "an object"
    )


def parse_body(body: bytes, content_type: str | None = None) -> dict[str, Any]:
    """The body as a JSON object, or BadRestRequest (413 too large, 415/400 not a JSON object)."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRestRequest(413, f"request body too large: at most {MAX_BODY_BYTES} bytes")
    if not body.strip():
        raise BadRestRequest(400, 'empty body: send a JSON object {"sender": ..., "message": ...}')
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRestRequest(400, "the body is not valid UTF-8") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        kind = (content_type or "").split(";")[0].strip().lower()
        if kind and kind != "application/json" and not kind.endswith("+json"):
            raise BadRestRequest(415, f"unsupported content type {kind!r}: send application/json") from None
        raise BadRestRequest(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRestRequest(
            400, f'the body must be a JSON object {{"sender": ..., "message": ...}}, not {_type_name(data)}'
        )
    return data


def clean_message(value: Any) -> str:
    """The message text without control characters (tabs and line breaks kept), or BadRestRequest."""
    if value is None:
        raise BadRestRequest(400, '"message" is required (a string)')
    if not isinstance(value, str):
        raise BadRestRequest(400, f'"message" must be a string, not {_type_name(value)}')
    if len(value) > MAX_MESSAGE_LENGTH:
        raise BadRestRequest(413, f'"message" is too long: at most {MAX_MESSAGE_LENGTH} characters')
    if _SURROGATE.search(value):
        raise BadRestRequest(400, '"message" is not valid Unicode (lone surrogate)')
    text = _MESSAGE_CONTROL.sub("", value)
    if not text.strip():
        raise BadRestRequest(400, '"message" is empty')
    return text


def check_sender(value: Any) -> str:
    """The sender id, or BadRestRequest: a string of 1-255 characters, no control characters."""
    if value is None:
        raise BadRestRequest(400, '"sender" is required (the conversation id, a string)')
    if not isinstance(value, str):
        raise BadRestRequest(400, f'"sender" must be a string, not {_type_name(value)}')
    if not value.strip():
        raise BadRestRequest(400, '"sender" is empty')
    if len(value) > MAX_SENDER_LENGTH:
        raise BadRestRequest(400, f'"sender" is too long: at most {MAX_SENDER_LENGTH} characters')
    if _CONTROL.search(value) or _SURROGATE.search(value):
        raise BadRestRequest(400, '"sender" must not contain control characters')
    return value


def check_request(data: dict[str, Any]) -> RestRequest:
    """The checked message of a decoded body, or BadRestRequest."""
    sender = check_sender(data.get("sender"))
    message = clean_message(data.get("message"))
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRestRequest(400, f'"metadata" must be an object, not {_type_name(metadata)}')
    channel = data.get("input_channel")
    if channel is not None and not (isinstance(channel, str) and _INPUT_CHANNEL.fullmatch(channel)):
        raise BadRestRequest(400, '"input_channel" must be a short name (letters, digits, _ . -)')
    return RestRequest(sender, message, metadata, channel)


def error_response(status: int, reason: str) -> HTTPResponse:
    """The JSON error answer."""
    return response.json({"error": reason}, status=status)


class ValidatingRestInput(RestInput):
    """Rasa's REST channel (same name and URL) that answers malformed requests with a 4xx."""

    @classmethod
    def name(cls) -> str:
        """Channel name, as Rasa's: the webhook stays /webhooks/rest/webhook."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's routes (GET / and POST /webhook), the body checked before anything else."""
        webhook = Blueprint(f"validating_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            """Whether the channel is up."""
            return response.json({"status": "ok"})

        pending: Counter[str] = Counter()  # messages of each conversation being handled or waiting

        def too_many(sender: str) -> HTTPResponse | None:
            if pending[sender] < MAX_PENDING_PER_SENDER:
                return None
            return response.json(
                {
                    "error": f"too many messages of this conversation are waiting for an answer "
                    f"(at most {MAX_PENDING_PER_SENDER}): wait for the answers, then send again"
                },
                status=429,
                headers={"Retry-After": "1"},
            )

        @contextmanager
        def counted(sender: str) -> Iterator[None]:
            pending[sender] += 1
            try:
                yield
            finally:
                pending[sender] -= 1
                if pending[sender] <= 0:
                    del pending[sender]

        @webhook.route("/webhook", methods=["GET", "PUT", "PATCH", "DELETE"])
        async def wrong_method(request: Request) -> HTTPResponse:
            """Messages are POSTed: a JSON 405 instead of Sanic's HTML page."""
            return response.json(
                {"error": f"{request.method} is not allowed here: POST a JSON message"},
                status=405,
                headers={"Allow": "POST"},
            )

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> ResponseStream | HTTPResponse:
            """Check the body, then process the message as Rasa's channel does."""
            try:
                checked = check_request(parse_body(request.body or b"", request.content_type))
            except BadRestRequest as error:
                return error_response(error.status, error.reason)
            refused = too_many(checked.sender)
            if refused is not None:
                return refused
            input_channel = checked.input_channel or self.name()
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                stream = self.stream_response(
                    on_new_message, checked.message, checked.sender, input_channel, checked.metadata
                )

                async def counted_stream(resp: Any) -> None:
                    with counted(checked.sender):
                        await stream(resp)

                return response.stream(counted_stream, content_type="text/event-stream")
            collector = CollectingOutputChannel()
            with counted(checked.sender):
                try:
                    await on_new_message(
                        UserMessage(
                            checked.message,
                            collector,
                            checked.sender,
                            input_channel=input_channel,
                            metadata=checked.metadata,
                        )
                    )
                except CancelledError:
                    logger.error("REST message of '%s' timed out.", checked.sender)
                except Exception:
                    # As Rasa's channel: the replies collected so far (the failure is logged).
                    logger.exception("REST message of '%s' could not be handled.", checked.sender)
            return response.json(collector.messages)

        return webhook
