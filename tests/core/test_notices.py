"""The change-notice subscriptions and the notices owed, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import yaml
from sqlalchemy.engine import Engine

from actions.core.notices import (
    MAX_NOTICE_LENGTH,
    NoticeBook,
    NoticeChannel,
    NoticeError,
    SubscribeResult,
    fact_notice,
    notice_channel,
)
from actions.core.repository import make_engine
from actions.core.settings import facts_path
from actions.core.tables import Base
from actions.core.texts import Texts


@pytest.fixture
def book(database_url: str) -> Iterator[NoticeBook]:
    engine: Engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield NoticeBook(engine)
    engine.dispose()


def words(language: str) -> str:
    return {"en": "IMP+ changed", "fr": "Le PMI+ a changé"}[language]


def test_only_telegram_and_the_widget_can_reach_a_person_later() -> None:
    assert notice_channel("telegram") is NoticeChannel.TELEGRAM
    assert notice_channel("socketio") is NoticeChannel.WIDGET
    assert [notice_channel(name) for name in ("rest", "cmdline", "", None)] == [None] * 4


def test_a_subscription_keeps_channel_language_and_date_of_consent(book: NoticeBook) -> None:
    assert book.subscribe("tg-1", "telegram", "fr") is SubscribeResult.SUBSCRIBED
    found = book.subscription("tg-1")
    assert found is not None and (found.channel, found.language) == (NoticeChannel.TELEGRAM, "fr")
    assert found.consented_at.tzinfo is not None
    assert book.subscribe("tg-1", "telegram", "en") is SubscribeResult.ALREADY
    again = book.subscription("tg-1")
    assert again is not None and again.language == "en" and again.consented_at == found.consented_at
    assert book.count() == 1


def test_a_channel_that_cannot_reach_anyone_later_is_refused_and_stores_nothing(book: NoticeBook) -> None:
    assert book.subscribe("rest-1", "rest", "en") is SubscribeResult.UNSUPPORTED_CHANNEL
    assert book.subscription("rest-1") is None and book.count() == 0


@pytest.mark.parametrize(
    ("sender_id", "language"), [("", "en"), ("x" * 256, "en"), (None, "en"), ("ok", "de"), ("ok", None)]
)
def test_bad_ids_and_languages_are_refused(book: NoticeBook, sender_id: object, language: object) -> None:
    with pytest.raises(NoticeError):
        book.subscribe(sender_id, "telegram", language)  # type: ignore[arg-type]
    assert book.count() == 0


def test_queue_words_each_notice_in_its_subscribers_language(book: NoticeBook) -> None:
    book.subscribe("tg-fr", "telegram", "fr")
    book.subscribe("web-en", "socketio", "en")
    notices = book.queue("cap", words)
    assert {(n.sender_id, n.channel, n.text) for n in notices} == {
        ("tg-fr", NoticeChannel.TELEGRAM, "Le PMI+ a changé"),
        ("web-en", NoticeChannel.WIDGET, "IMP+ changed"),
    }
    assert all(n.fact_id == "cap" and n.delivered_at is None for n in notices)
    assert [n.sender_id for n in book.undelivered(channel=NoticeChannel.WIDGET)] == ["web-en"]
    assert [n.sender_id for n in book.undelivered("tg-fr")] == ["tg-fr"]


def test_nobody_subscribed_queues_nothing(book: NoticeBook) -> None:
    assert book.queue("fees", words) == [] and book.undelivered() == []


@pytest.mark.parametrize("fact_id", ["", "f" * 65])
def test_a_bad_fact_id_or_text_queues_nothing(book: NoticeBook, fact_id: str) -> None:
    book.subscribe("tg-1", "telegram", "en")
    with pytest.raises(NoticeError):
        book.queue(fact_id, words)
    with pytest.raises(NoticeError):
        book.queue("cap", lambda language: "x" * (MAX_NOTICE_LENGTH + 1))
    with pytest.raises(NoticeError):
        book.queue("cap", lambda language: "  ")
    assert book.undelivered() == []


def test_a_notice_is_delivered_once(book: NoticeBook) -> None:
    book.subscribe("web-1", "socketio", "en")
    (notice,) = book.queue("fees", words)
    assert book.mark_delivered([notice.id, notice.id]) == 1
    assert book.mark_delivered([notice.id]) == 0 and book.mark_delivered([]) == 0
    assert book.undelivered("web-1") == []


def test_stopping_removes_the_subscription_and_its_undelivered_notices_only(book: NoticeBook) -> None:
    book.subscribe("web-1", "socketio", "en")
    book.subscribe("web-2", "socketio", "fr")
    first, _ = book.queue("fees", words)
    delivered = first if first.sender_id == "web-1" else _
    book.mark_delivered([delivered.id])
    book.queue("cap", words)
    assert book.unsubscribe("web-1") is True
    assert book.subscription("web-1") is None and book.undelivered("web-1") == []
    assert book.unsubscribe("web-1") is False
    assert [n.fact_id for n in book.undelivered("web-2")] == ["fees", "cap"]
    assert book.queue("permit_duration", words)[0].sender_id == "web-2"


def test_the_notice_names_the_topic_and_the_date_in_each_language() -> None:
    texts = Texts.load()
    english = fact_notice("cap", date(2026, 12, 6), "en", texts)
    french = fact_notice("fees", date(2026, 12, 1), "fr", texts)
    assert "the yearly cap" in english and "6 December 2026" in english and "stop notifications" in english
    assert "les frais" in french and "1er décembre 2026" in french and "arrêter les notifications" in french


def test_every_fact_has_a_topic_in_both_languages() -> None:
    facts = yaml.safe_load(facts_path().read_text(encoding="utf-8"))["facts"]
    texts = Texts.load()
    for language in ("en", "fr"):
        assert set(texts.catalogues[language]["topics"]) == set(facts), language
