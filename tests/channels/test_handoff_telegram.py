"""Handoff round trip over Telegram, against the fake Bot API server on 127.0.0.1.

The assistant runs from scripts/run.sh with Telegram pointed at the fake server and the staff
console on (the session's shared one, tests/conftest.py); staff actions are the console's own form
POSTs (session cookie + CSRF token).
"""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
import sqlalchemy as sa

from actions.core.texts import Texts
from rasa_plugins.channels.console.auth import COOKIE, new_session, sign_session
from tests.assistant import SHARED
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.test_telegram import Assistant, say

pytestmark = pytest.mark.e2e

STAFF_SECRET = SHARED.staff_secret
TEXTS = Texts.load()
_chats = itertools.count(730_000)
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def fake(shared_assistant) -> FakeTelegram:
    return shared_assistant.telegram


@pytest.fixture(scope="module")
def assistant(shared_assistant) -> Assistant:
    return Assistant.of(shared_assistant.assistant)


class Staff:
    """A logged-in staff member posting the console's forms."""

    def __init__(self, assistant: Assistant, name: str) -> None:
        self.assistant = assistant
        self.session = new_session(name, 30)
        self.cookie = sign_session(STAFF_SECRET.encode(), self.session)

    def post(self, path: str, fields: dict[str, str], csrf: bool = True, cookie: bool = True) -> int:
        data = {**fields, **({"csrf": self.session["csrf"]} if csrf else {})}
        request = urllib.request.Request(
            f"{self.assistant.url}{path}", data=urllib.parse.urlencode(data).encode(), method="POST"
        )
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        if cookie:
            request.add_header("Cookie", f"{COOKIE}={self.cookie}")

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
        try:
            with opener.open(request, timeout=60) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            return error.code


def handoffs(assistant: Assistant, chat_id: int) -> list[dict[str, Any]]:
    engine = sa.create_engine(assistant.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT * FROM imp_handoffs WHERE sender_id = :s ORDER BY id"), {"s": str(chat_id)}
            )
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def bot_events(assistant: Assistant, chat_id: int) -> list[dict[str, Any]]:
    engine = sa.create_engine(assistant.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'bot' ORDER BY id"),
                {"s": str(chat_id)},
            )
            return [json.loads(row.data) for row in rows]
    finally:
        engine.dispose()


def test_telegram_user_gets_a_person_and_the_assistant_back(assistant: Assistant, fake: FakeTelegram) -> None:
    chat = next(_chats)
    staff = Staff(assistant, "Bob")
    asked = say(assistant, fake, chat, "I want to talk to a human")
    assert asked == TEXTS.message("handoff_requested", "en")
    [handoff] = handoffs(assistant, chat)
    assert (handoff["channel"], handoff["language"], handoff["reason"], handoff["status"]) == (
        "telegram",
        "en",
        "asked",
        "open",
    )
    base = f"/staff/handoffs/{handoff['id']}"

    assert staff.post(f"{base}/take", {}) == 303
    assert fake.texts_to(chat)[-1] == TEXTS.message("handoff_taken", "en")
    assert handoffs(assistant, chat)[0]["taken_by"] == "Bob"

    # while taken: stored, not answered
    assert say(assistant, fake, chat, "hello? what are the fees?") == ""
    assert assistant.user_texts(chat)[-1]["text"] == "hello? what are the fees?"

    # denied replies are not sent
    sent_before = len(fake.messages_to(chat))
    assert staff.post(f"{base}/reply", {"text": "forged"}, csrf=False) == 403
    assert staff.post(f"{base}/reply", {"text": "forged"}, cookie=False) == 401
    assert staff.post(f"{base}/reply", {"text": "   "}) == 409  # nothing to send
    assert len(fake.messages_to(chat)) == sent_before

    reply = "Hi, Bob from support here: the fees are listed on IRCC's page."
    assert staff.post(f"{base}/reply", {"text": reply}) == 303
    assert fake.texts_to(chat)[-1] == reply
    staff_events = [
        event for event in bot_events(assistant, chat) if event.get("metadata", {}).get("imp_staff")
    ]
    assert [(e["text"], e["metadata"]["imp_staff"]) for e in staff_events] == [
        (TEXTS.message("handoff_taken", "en"), "Bob"),
        (reply, "Bob"),
    ]

    assert staff.post(f"{base}/close", {}) == 303
    assert fake.texts_to(chat)[-1] == TEXTS.message("handoff_returned", "en")
    assert handoffs(assistant, chat)[0]["status"] == "closed"
    assert staff.post(f"{base}/reply", {"text": "too late"}) == 409
    assert "CAD" in say(assistant, fake, chat, "what are the fees?")


def test_french_telegram_user_is_answered_in_french(assistant: Assistant, fake: FakeTelegram) -> None:
    chat = next(_chats)
    staff = Staff(assistant, "Chloé")
    asked = say(assistant, fake, chat, "je veux parler à une personne", language="fr")
    assert asked == TEXTS.message("handoff_requested", "fr")
    [handoff] = handoffs(assistant, chat)
    assert handoff["language"] == "fr"
    assert say(assistant, fake, chat, "je veux parler à une personne", language="fr") == TEXTS.message(
        "handoff_already_requested", "fr"
    )
    assert len(handoffs(assistant, chat)) == 1
    assert staff.post(f"/staff/handoffs/{handoff['id']}/take", {}) == 303
    assert fake.texts_to(chat)[-1] == TEXTS.message("handoff_taken", "fr")
    assert staff.post(f"/staff/handoffs/{handoff['id']}/close", {}) == 303
    assert fake.texts_to(chat)[-1] == TEXTS.message("handoff_returned", "fr")


def test_two_messages_not_understood_in_a_row_queue_the_chat(
    assistant: Assistant, fake: FakeTelegram
) -> None:
    chat = next(_chats)
    first = say(assistant, fake, chat, "zxqv blorptang frumious")
    assert "didn't understand" in first and handoffs(assistant, chat) == []
    second = say(assistant, fake, chat, "qwop flurbish gnarvle")
    assert TEXTS.message("handoff_not_understood", "en") in second
    assert [(h["reason"], h["status"]) for h in handoffs(assistant, chat)] == [("not_understood", "open")]
