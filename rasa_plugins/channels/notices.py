"""Delivering change notices: Telegram ones at once through the bot, widget ones at the next visit.

`notify_subscribers` is what the staff console's "notify subscribers" tick runs after a fact is
saved: it queues one notice per subscriber (actions/core/notices.py) and sends the Telegram ones
through the Telegram channel's output (a Bot API sendMessage); a notice that cannot be sent stays
undelivered and is tried again at the next notify. `deliver_waiting` is called by the widget's
socket.io channel when a browser (re)joins its session: it emits the notices waiting for that
conversation as bot messages and marks them delivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from rasa.core.channels.channel import OutputChannel
from sqlalchemy.exc import SQLAlchemyError

from actions.core.database import database
from actions.core.notices import Notice, NoticeBook, NoticeChannel, fact_notice
from rasa_plugins.patches.handoff import output_channel_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotifyReport:
    """What became of the notices of one fact change."""

    sent: int  # delivered now (Telegram)
    waiting: int  # kept for the widget's next visit
    failed: int  # could not be sent now; tried again at the next notify

    def summary(self) -> str:
        """One line for the console: "2 sent on Telegram, 1 waiting for a widget visit, 0 not sent"."""
        return (
            f"{self.sent} sent on Telegram, {self.waiting} waiting for the person's next visit "
            f"to the website chat, {self.failed} could not be sent (tried again at the next notice)"
        )


def book_for(url: str | None = None) -> NoticeBook:
    """The notices on `url` (IMP_DATABASE_URL by default): the process's one database, migrated once."""
    return database(url).notices


async def _run(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args))


async def delivered(output: OutputChannel, notice: Notice) -> bool:
    """Send one notice; whether it reached the channel (the Telegram output says so; others raise)."""
    try:
        deliver = getattr(output, "deliver_text", None)
        if deliver is not None:
            return bool(await deliver(notice.sender_id, notice.text))
        await output.send_text_message(notice.sender_id, notice.text)
    except Exception as error:  # the bot blocked, the Bot API down…: the others still go
        logger.error("Could not send notice %d: %s", notice.id, type(error).__name__)
        return False
    return True


async def send_now(app: Any, book: NoticeBook, notices: list[Notice]) -> tuple[int, int]:
    """Send the Telegram notices through the bot; (sent, failed). Delivered ones are marked so."""
    telegram = [notice for notice in notices if notice.channel is NoticeChannel.TELEGRAM]
    if not telegram:
        return 0, 0
    output = output_channel_for(app, NoticeChannel.TELEGRAM.value)
    if output is None:
        logger.warning("No Telegram output: %d notice(s) not sent", len(telegram))
        return 0, len(telegram)
    sent: list[int] = []
    for notice in telegram:
        if await delivered(output, notice):
            sent.append(notice.id)
    await _run(book.mark_delivered, sent)
    return len(sent), len(telegram) - len(sent)


async def notify_subscribers(
    app: Any, fact_id: str, day: date, book: NoticeBook | None = None
) -> NotifyReport:
    """Queue the notice of a change of `fact_id` for every subscriber and send what can go now."""
    book = book or book_for()
    await _run(book.queue, fact_id, lambda language: fact_notice(fact_id, day, language))
    undelivered = await _run(book.undelivered)
    sent, failed = await send_now(app, book, undelivered)
    waiting = sum(1 for notice in undelivered if notice.channel is NoticeChannel.WIDGET)
    return NotifyReport(sent=sent, waiting=waiting, failed=failed)


async def deliver_waiting(
    sender_id: str, send: Callable[[str], Awaitable[None]], book: NoticeBook | None = None
) -> int:
    """Send this widget conversation's waiting notices with `send(text)`; how many went out."""
    try:
        book = book or book_for()
        waiting = await _run(book.undelivered, sender_id, NoticeChannel.WIDGET)
    except (SQLAlchemyError, OSError) as error:
        logger.error("Could not read the notices of %s: %s", sender_id, type(error).__name__)
        return 0
    delivered: list[int] = []
    for notice in waiting:
        try:
            await send(notice.text)
        except Exception as error:
            logger.error("Could not send notice %d to the widget: %s", notice.id, type(error).__name__)
            break
        delivered.append(notice.id)
    try:
        await _run(book.mark_delivered, delivered)
    except (SQLAlchemyError, OSError) as error:
        logger.error("Could not mark notices delivered for %s: %s", sender_id, type(error).__name__)
    return len(delivered)
