"""Handoff on the Rasa server: the assistant stays quiet while a person has the conversation,
and staff messages reach the user's channel and the transcript.

`rasa_plugins.patches.install()` replaces `MessageProcessor.handle_message` by `_handle_message`
(a feature: installed whatever IMP_RASA_PATCHES says). The agent calls it inside the
conversation's lock: when the conversation's handoff is
*taken*, the message is only logged (`MessageProcessor.log_message`: NLU runs and the user
event is stored, nothing is predicted, no reply). `send_staff_message` delivers a staff message
through the conversation's input channel (socket.io widget, Telegram…) and appends it to the
tracker as a `BotUttered` event whose metadata names the staff member. A conversation handed to
Chatwoot (taken by "Chatwoot #<id>", actions/core/chatwoot.py) has its user's messages forwarded
to that Chatwoot conversation (`forward_to_chatwoot`). The queue itself is
actions/core/handoff.py; the console pages are rasa_plugins/channels/console/handoff.py.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered
from sqlalchemy.exc import SQLAlchemyError

from actions.core import chatwoot
from actions.core.database import database
from actions.core.handoff import TAKEN, Handoff, HandoffQueue

logger = logging.getLogger(__name__)

# BotUttered metadata key naming the staff member who wrote the message.
STAFF_METADATA_KEY = "imp_staff"


def queue_for(url: str | None = None) -> HandoffQueue:
    """The handoff queue on `url` (IMP_DATABASE_URL by default): the process's one database, migrated once."""
    return database(url).handoffs


async def taken_handoff(sender_id: str) -> Handoff | None:
    """The conversation's handoff if a person has it; None (the assistant answers) if the database fails."""
    try:
        active = await asyncio.get_running_loop().run_in_executor(
            None, lambda: queue_for().active_for(sender_id)
        )
    except (SQLAlchemyError, OSError) as error:
        logger.error("Could not read the handoff queue for %s: %s", sender_id, type(error).__name__)
        return None
    return active if active is not None and active.status == TAKEN else None


async def conversation_taken(sender_id: str) -> bool:
    """Whether a person has the conversation; False (the assistant answers) if the database fails."""
    return await taken_handoff(sender_id) is not None


async def forward_to_chatwoot(handoff: Handoff, text: str | None) -> bool:
    """A user's message in a conversation Chatwoot has: posted to it as an incoming message."""
    conversation_id = chatwoot.conversation_of(handoff.taken_by)
    settings = chatwoot.load_settings() if conversation_id is not None else None
    if settings is None or not text or not text.strip() or text.startswith("/"):
        return False
    client = chatwoot.ChatwootClient(settings)
    try:
        await asyncio.get_running_loop().run_in_executor(None, client.post_message, conversation_id, text)
    except chatwoot.ChatwootError as error:
        logger.error("Could not forward a message of %s to Chatwoot: %s", handoff.sender_id, error)
        return False
    return True


# Rasa's original (rasa_plugins.patches keeps it as `_imp_rasa_handle_message` once installed).
_rasa_handle_message = getattr(MessageProcessor, "_imp_rasa_handle_message", MessageProcessor.handle_message)


async def _handle_message(self: MessageProcessor, message: UserMessage) -> list[dict[str, Any]] | None:
    """MessageProcessor.handle_message: only log the message while a person has the conversation."""
    handoff = await taken_handoff(message.sender_id) if message.sender_id else None
    if handoff is not None:
        await self.log_message(message)  # stored (and shown to staff), nothing predicted
        logger.info("Conversation %s is with a person: message stored without a reply", message.sender_id)
        await forward_to_chatwoot(handoff, message.text)  # when the person is in Chatwoot
        notify_quiet = getattr(message.output_channel, "notify_quiet", None)  # the widget's output
        if notify_quiet is not None:
            await notify_quiet(message.sender_id)
        if isinstance(message.output_channel, CollectingOutputChannel):
            return message.output_channel.messages
        return None
    return await _rasa_handle_message(self, message)


# --- staff messages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What became of a staff message."""

    delivered: bool  # sent live on the user's channel
    stored: bool  # appended to the conversation's tracker


def output_channel_for(app: Any, channel_name: str) -> OutputChannel | None:
    """The output of the server's input channel with this name, if it can push messages."""
    channels: list[InputChannel] = getattr(getattr(app, "ctx", None), "input_channels", None) or []
    for channel in channels:
        if channel.name() != channel_name:
            continue
        try:
            output = channel.get_output_channel()
        except Exception:  # a channel that cannot build its output (not configured…)
            logger.exception("The %s channel has no output for staff messages", channel_name)
            return None
        if output is None or isinstance(output, CollectingOutputChannel):
            return None  # REST-like channels only answer requests: nothing to push to
        return output
    return None


async def conversation_language(app: Any, handoff: Handoff) -> str:
    """The conversation's current language: the tracker's `language` slot, else the handoff's."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return handoff.language
    try:
        tracker = await store.retrieve(handoff.sender_id)
    except Exception:
        logger.exception("Could not read conversation %s", handoff.sender_id)
        return handoff.language
    value = tracker.get_slot("language") if tracker is not None else None
    return value if value in ("en", "fr") else handoff.language


async def store_staff_message(app: Any, sender_id: str, text: str, staff_name: str) -> bool:
    """Append the message to the conversation's tracker as a BotUttered from staff."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    if agent is None or getattr(agent, "tracker_store", None) is None:
        return False
    try:
        async with agent.lock_store.lock(sender_id):
            tracker = await agent.tracker_store.retrieve(sender_id)
            if tracker is None:
                return False
            tracker.update(BotUttered(text=text, data={}, metadata={STAFF_METADATA_KEY: staff_name}))
            await agent.tracker_store.save(tracker)
    except Exception:
        logger.exception("Could not store a staff message in conversation %s", sender_id)
        return False
    return True


async def send_staff_message(app: Any, handoff: Handoff, text: str, staff_name: str) -> Delivery:
    """Send `text` to the user of `handoff` on their channel and store it in the transcript."""
    delivered = False
    output = output_channel_for(app, handoff.channel)
    if output is not None:
        try:
            deliver = getattr(output, "deliver_text", None)  # the Telegram output says whether it went
            if deliver is not None:
                delivered = bool(await deliver(handoff.sender_id, text))
            else:
                await output.send_text_message(handoff.sender_id, text)
                delivered = True
        except Exception:
            logger.exception("Could not send a staff message on %s to %s", handoff.channel, handoff.sender_id)
    stored = await store_staff_message(app, handoff.sender_id, text, staff_name)
    return Delivery(delivered=delivered, stored=stored)
