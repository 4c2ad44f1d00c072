"""Chatwoot's webhook: agents' replies reach the user's channel; resolving hands back to the assistant.

Listed in credentials.yml as ``rasa_plugins.channels.chatwoot.ChatwootWebhook:`` (no values): the
route is POST /webhooks/chatwoot/webhook?token=<IMP_CHATWOOT_WEBHOOK_TOKEN>, the URL given to
Chatwoot (the API inbox's webhook URL, an account webhook or an agent bot's outgoing URL). Chatwoot
posts its webhooks unsigned, so the token in the URL is what authenticates them: compared in
constant time, missing -> 401, wrong -> 403, and the body is not read. Off (503) unless every
IMP_CHATWOOT_* variable is set (actions/core/chatwoot.py). Handoffs are handed to Chatwoot by the
action server (actions/handoff_actions.py); the user's messages are forwarded by
rasa_plugins/patches/handoff.py. This channel receives no user messages.

Events: an agent's public message (`message_created`, `message_type` "outgoing", not `private`) in a
conversation we handed over -> sent to the user's channel and stored in the transcript
(`send_staff_message`), 404 when the conversation is not one of ours; the conversation resolved
(`conversation_status_changed` / `conversation_resolved` / `conversation_updated` with status
"resolved") -> the handoff is closed and the user told the assistant answers again. Anything
else -> 200 "ignored". Malformed JSON -> 400.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from actions.core import chatwoot
from actions.core.handoff import Handoff, HandoffError
from actions.core.texts import Texts
from rasa_plugins.patches.handoff import conversation_language, queue_for, send_staff_message

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
NOT_CONFIGURED = "Chatwoot is not configured: set " + ", ".join(chatwoot.VARIABLES) + "."
_TEXTS = Texts.load()


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"ok": False, "error": message}, status=status)


async def _run(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


class ChatwootWebhook(InputChannel):
    """Receives Chatwoot's events for the conversations handed over to it."""

    @classmethod
    def name(cls) -> str:
        """Channel name: the webhook is /webhooks/chatwoot/webhook."""
        return "chatwoot"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """The block in credentials.yml takes no settings: they come from IMP_CHATWOOT_*."""
        return cls(chatwoot.load_settings())

    def __init__(self, settings: chatwoot.ChatwootSettings | None = None) -> None:
        self.settings = settings
        if settings is None:
            logger.info("Chatwoot handoff disabled (its webhook answers 503): %s", NOT_CONFIGURED)

    def get_output_channel(self) -> OutputChannel | None:
        """Nobody is answered on this channel: replies go to the user's own channel."""
        return None

    async def _taken(self, conversation_id: int) -> Handoff | None:
        return await _run(queue_for().taken_by, chatwoot.taken_by_name(conversation_id))

    async def handle(self, app: Any, event: chatwoot.Event) -> HTTPResponse:
        """Do what the event asks; the answer says what was done."""
        if isinstance(event, chatwoot.Ignored):
            return response.json({"ok": True, "result": f"ignored: {event.reason}"})
        handoff = await self._taken(event.conversation_id)
        if handoff is None:
            if isinstance(event, chatwoot.Resolved):
                return response.json({"ok": True, "result": "ignored: not a conversation of ours"})
            return _error(404, f"Chatwoot conversation {event.conversation_id} is not handed over from here.")
        if isinstance(event, chatwoot.AgentReply):
            delivery = await send_staff_message(app, handoff, event.text, event.agent)
            result = "delivered" if delivery.delivered else "stored" if delivery.stored else "failed"
            return response.json({"ok": True, "result": result})
        try:
            closed = await _run(queue_for().close, handoff.id)
        except HandoffError:  # closed meanwhile (the console, another event)
            return response.json({"ok": True, "result": "ignored: already closed"})
        language = await conversation_language(app, closed)
        await send_staff_message(app, closed, _TEXTS.message("handoff_returned", language), "Chatwoot")
        logger.info("Chatwoot resolved conversation %s: handed back to the assistant", closed.sender_id)
        return response.json({"ok": True, "result": "handed back"})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes: GET / (whether it is on), POST /webhook (Chatwoot's events)."""
        webhook_blueprint = Blueprint("chatwoot_webhook")

        @webhook_blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if self.settings is None:
                return _error(503, NOT_CONFIGURED)
            return response.json({"ok": True, "status": "ok"})

        @webhook_blueprint.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if self.settings is None:
                return _error(503, NOT_CONFIGURED)
            token = request.args.get("token")
            if not token:
                return _error(401, "the webhook URL's token is missing")
            if not self.settings.webhook_token_ok(token):
                logger.warning("Chatwoot webhook call refused: wrong token")
                return _error(403, "wrong token")
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return _error(413, "event too large")
            try:
                event = chatwoot.parse_event(json.loads(body))
            except (ValueError, RecursionError):
                return _error(400, "the body is not a JSON object")
            try:
                return await self.handle(request.app, event)
            except (SQLAlchemyError, OSError) as error:
                logger.error("Chatwoot event not handled: %s", type(error).__name__)
                return _error(503, "the handoff queue cannot be read right now")

        return webhook_blueprint
