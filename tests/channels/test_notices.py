"""Delivering change notices (rasa_plugins/channels/notices.py), with stand-in channels."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import InputChannel, OutputChannel

from actions.core.notices import NoticeBook, NoticeChannel, fact_notice
from actions.core.repository import make_engine
from actions.core.tables import Base
from rasa_plugins.channels.notices import NotifyReport, deliver_waiting, notify_subscribers

DAY = date(2026, 12, 6)


class RecordingOutput(OutputChannel):
    """Records what it sends; refuses the recipients in `refused`."""

    def __init__(self, refused: set[str] | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.refused = refused or set()

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        if recipient_id in self.refused:
            raise RuntimeError("Forbidden: bot was blocked by the user")
        self.sent.append((recipient_id, text))


class Channel(InputChannel):
    def __init__(self, name: str, output: OutputChannel | None) -> None:
        self._name, self.output = name, output

    def name(self) -> str:  # type: ignore[override]
        return self._name

    def get_output_channel(self) -> OutputChannel | None:
        return self.output


def app(*channels: InputChannel) -> Any:
    return SimpleNamespace(ctx=SimpleNamespace(input_channels=list(channels)))


@pytest.fixture
def book(tmp_path: Path) -> NoticeBook:
    engine = make_engine(f"sqlite:///{tmp_path / 'notices.db'}")
    Base.metadata.create_all(engine)
    book = NoticeBook(engine)
    book.subscribe("tg-en", "telegram", "en")
    book.subscribe("tg-fr", "telegram", "fr")
    book.subscribe("web-fr", "socketio", "fr")
    return book


def test_telegram_notices_go_at_once_and_widget_ones_wait(book: NoticeBook) -> None:
    telegram = RecordingOutput()
    report = asyncio.run(notify_subscribers(app(Channel("telegram", telegram)), "cap", DAY, book))
    assert report == NotifyReport(sent=2, waiting=1, failed=0)
    assert sorted(telegram.sent) == [
        ("tg-en", fact_notice("cap", DAY, "en")),
        ("tg-fr", fact_notice("cap", DAY, "fr")),
    ]
    assert [n.sender_id for n in book.undelivered()] == ["web-fr"]
    assert "2 sent on Telegram, 1 waiting" in report.summary()


def test_a_refused_chat_does_not_stop_the_others_and_is_tried_again(book: NoticeBook) -> None:
    telegram = RecordingOutput(refused={"tg-en"})
    first = asyncio.run(notify_subscribers(app(Channel("telegram", telegram)), "cap", DAY, book))
    assert (first.sent, first.failed) == (1, 1)
    telegram.refused.clear()
    second = asyncio.run(notify_subscribers(app(Channel("telegram", telegram)), "fees", DAY, book))
    assert (second.sent, second.failed) == (3, 0)  # the refused one and the two new ones
    assert [r for r, _ in telegram.sent].count("tg-en") == 2


class ReportingOutput(RecordingOutput):
    """Like the Telegram output: swallows the Bot API's errors and says whether the text went."""

    async def deliver_text(self, recipient_id: str, text: str) -> bool:
        if recipient_id in self.refused:
            return False
        self.sent.append((recipient_id, text))
        return True


def test_an_output_that_reports_a_refusal_keeps_the_notice(book: NoticeBook) -> None:
    telegram = ReportingOutput(refused={"tg-fr"})
    report = asyncio.run(notify_subscribers(app(Channel("telegram", telegram)), "cap", DAY, book))
    assert (report.sent, report.failed) == (1, 1)
    assert [n.sender_id for n in book.undelivered(channel=NoticeChannel.TELEGRAM)] == ["tg-fr"]


def test_without_a_telegram_channel_nothing_is_lost(book: NoticeBook) -> None:
    report = asyncio.run(notify_subscribers(app(Channel("rest", None)), "cap", DAY, book))
    assert report == NotifyReport(sent=0, waiting=1, failed=2)
    assert len(book.undelivered()) == 3


def test_the_widget_gets_its_waiting_notices_once(book: NoticeBook) -> None:
    asyncio.run(notify_subscribers(app(), "cap", DAY, book))
    received: list[str] = []

    async def send(text: str) -> None:
        received.append(text)

    assert asyncio.run(deliver_waiting("web-fr", send, book)) == 1
    assert received == [fact_notice("cap", DAY, "fr")]
    assert asyncio.run(deliver_waiting("web-fr", send, book)) == 0
    assert asyncio.run(deliver_waiting("tg-en", send, book)) == 0  # a Telegram chat's are not the widget's
    assert received == [fact_notice("cap", DAY, "fr")]


def test_a_widget_send_that_fails_keeps_the_notice(book: NoticeBook) -> None:
    asyncio.run(notify_subscribers(app(), "cap", DAY, book))

    async def broken(text: str) -> None:
        raise ConnectionError("socket closed")

    assert asyncio.run(deliver_waiting("web-fr", broken, book)) == 0
    assert [n.sender_id for n in book.undelivered("web-fr")] == ["web-fr"]


def test_a_database_failure_while_delivering_is_logged_not_raised(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables

    async def send(text: str) -> None:
        raise AssertionError("nothing to send")

    assert asyncio.run(deliver_waiting("web-1", send, NoticeBook(engine))) == 0
