"""Change notices over Telegram, against the fake Bot API server on 127.0.0.1.

People subscribe and stop in their own words on Telegram; staff save a fact in the console with
"notify subscribers" ticked (the console's own form POST); each subscriber gets one sendMessage in
their language. The assistant is the session's shared one (tests/conftest.py); the fact edited is
put back afterwards, and every chat here unsubscribes, so other tests see neither.
"""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from actions.core.fact_editing import current_values, file_version
from actions.core.knowledge import KnowledgeBase
from actions.core.notices import fact_notice
from actions.core.texts import Texts
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.test_handoff_telegram import Staff
from tests.channels.test_telegram import Assistant, say

pytestmark = pytest.mark.e2e

TEXTS = Texts.load()
FACT = "fees"
_chats = itertools.count(760_000)


@pytest.fixture(scope="module")
def fake(shared_assistant) -> FakeTelegram:
    return shared_assistant.telegram


@pytest.fixture(scope="module")
def assistant(shared_assistant) -> Assistant:
    return Assistant.of(shared_assistant.assistant)


@pytest.fixture
def facts(shared_facts: Path) -> Path:
    """The shared assistant's facts file (put back after the test)."""
    return shared_facts


def rows(assistant: Any, table: str, chat: int | str) -> list[dict[str, Any]]:
    """The rows of one of the assistant's tables for one conversation."""
    engine = sa.create_engine(assistant.database_url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.text(f"SELECT * FROM {table} WHERE sender_id = :s"), {"s": str(chat)}
            )
            return [dict(row._mapping) for row in found]
    finally:
        engine.dispose()


def edit_fact(assistant: Assistant, facts: Path, staff: Staff, notify: bool = True, mark: str = "") -> int:
    """Post the console's form for FACT with one more sentence in each language (or unchanged)."""
    text = facts.read_text(encoding="utf-8")
    values = current_values(KnowledgeBase.load(facts), FACT)
    form = {
        "version": file_version(text),
        "answer_en": values.answers["en"] + ("" if mark == "same" else f" (Checked by staff{mark}.)"),
        "answer_fr": values.answers["fr"] + ("" if mark == "same" else f" (Vérifié par l'équipe{mark}.)"),
        "as_of": values.as_of,
        "sources": ", ".join(values.sources),
        "checked": values.checked or "",
    }
    if notify:
        form["notify_subscribers"] = "1"
    return staff.post(f"/staff/facts/{FACT}", form)


def test_subscribers_get_one_notice_each_in_their_language_and_stop(
    assistant: Assistant, fake: FakeTelegram, facts: Path
) -> None:
    english, french = next(_chats), next(_chats)
    staff = Staff(assistant, "Nadia")
    reply = say(assistant, fake, english, "could you message me here whenever the IMP+ rules get updated?")
    assert reply == TEXTS.message("notices_subscribed", "en")
    reply = say(assistant, fake, french, "écrivez-moi ici quand les règles du PMI+ changent svp", "fr")
    assert reply == TEXTS.message("notices_subscribed", "fr")
    [subscription] = rows(assistant, "imp_notice_subscriptions", french)
    assert (subscription["channel"], subscription["language"]) == ("telegram", "fr")
    assert subscription["consented_at"] is not None

    before = {chat: len(fake.messages_to(chat)) for chat in (english, french)}
    assert edit_fact(assistant, facts, staff) == 303
    today = date.today()
    assert fake.texts_to(english)[before[english] :] == [fact_notice(FACT, today, "en")]
    assert fake.texts_to(french)[before[french] :] == [fact_notice(FACT, today, "fr")]
    assert [n["delivered_at"] is not None for n in rows(assistant, "imp_notices", english)] == [True]

    # saved again with nothing changed: no notice, even with the box ticked
    assert edit_fact(assistant, facts, staff, mark="same") == 303
    assert len(fake.messages_to(english)) == before[english] + 1

    assert say(assistant, fake, english, "no more update messages for me thanks") == TEXTS.message(
        "notices_stopped", "en"
    )
    assert rows(assistant, "imp_notice_subscriptions", english) == []
    assert edit_fact(assistant, facts, staff, mark=" again") == 303
    assert len(fake.messages_to(english)) == before[english] + 2  # the notice, then "stopped"
    assert fake.texts_to(french)[-1] == fact_notice(FACT, today, "fr")
    assert say(assistant, fake, french, "arrêtez de m'envoyer les avis", "fr") == TEXTS.message(
        "notices_stopped", "fr"
    )


def test_a_chat_that_blocked_the_bot_keeps_its_notice_for_the_next_try(
    assistant: Assistant, fake: FakeTelegram, facts: Path
) -> None:
    chat = next(_chats)
    staff = Staff(assistant, "Omar")
    assert say(assistant, fake, chat, "pls keep me in the loop if the program changes") == TEXTS.message(
        "notices_subscribed", "en"
    )
    fake.blocked.add(str(chat))
    try:
        assert edit_fact(assistant, facts, staff) == 303
        [notice] = rows(assistant, "imp_notices", chat)
        assert notice["delivered_at"] is None
    finally:
        fake.blocked.discard(str(chat))
    assert edit_fact(assistant, facts, staff, mark=" twice") == 303  # the first one is sent now, too
    assert fake.texts_to(chat)[-2:] == [fact_notice(FACT, date.today(), "en")] * 2
    assert all(n["delivered_at"] is not None for n in rows(assistant, "imp_notices", chat))
    say(assistant, fake, chat, "unsubscribe me from the notifications")
    assert rows(assistant, "imp_notice_subscriptions", chat) == []


def test_delete_my_data_removes_the_subscription_and_its_notices(
    assistant: Assistant, fake: FakeTelegram, facts: Path
) -> None:
    chat = next(_chats)
    staff = Staff(assistant, "Lea")
    say(assistant, fake, chat, "notify me on telegram when something about IMP+ changes")
    assert edit_fact(assistant, facts, staff) == 303
    assert len(rows(assistant, "imp_notices", chat)) == 1
    assert "delete" in say(assistant, fake, chat, "please erase all the data you hold about me").lower()
    say(assistant, fake, chat, "yes")
    assert rows(assistant, "imp_notice_subscriptions", chat) == []
    assert rows(assistant, "imp_notices", chat) == []
