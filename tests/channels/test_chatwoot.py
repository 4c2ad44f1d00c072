"""Handoff into Chatwoot, end to end: a Telegram user, the assistant, a fake Chatwoot API server.

The assistant is started by scripts/run.sh (its own, not the session's shared one: with Chatwoot
on, every handoff goes to Chatwoot, and the shared assistant's handoff tests need the built-in
queue) with Telegram pointed at a fake Bot API server and IMP_CHATWOOT_* at
tests/channels/fake_chatwoot.py. The fake's agent events are posted to the assistant's webhook as
Chatwoot would post them.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actions.core.settings import PROJECT_ROOT
from actions.core.texts import Texts
from rasa_plugins.channels.chatwoot import ChatwootWebhook
from tests.assistant import SHARED, Reply, http
from tests.channels.fake_chatwoot import FakeChatwoot
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.test_handoff_telegram import bot_events, handoffs
from tests.channels.test_telegram import Assistant, channel_server, run_assistant, say

API_TOKEN = "chatwoot-api-token-for-tests"
WEBHOOK_TOKEN = "chatwoot-webhook-token-for-tests"
TEXTS = Texts.load()
_chats = itertools.count(750_000)


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeTelegram, FakeChatwoot]]:
    telegram, helpdesk = FakeTelegram(SHARED.telegram_token).start(), FakeChatwoot(API_TOKEN).start()
    yield telegram, helpdesk
    helpdesk.stop()
    telegram.stop()


@pytest.fixture(scope="module")
def assistant(
    fakes: tuple[FakeTelegram, FakeChatwoot], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Assistant]:
    telegram, helpdesk = fakes
    env = SHARED.environment(telegram.base_url, PROJECT_ROOT / "data" / "knowledge" / "facts.yml")
    env.update(
        {
            "IMP_CHATWOOT_URL": helpdesk.base_url,
            "IMP_CHATWOOT_ACCOUNT_ID": str(helpdesk.account_id),
            "IMP_CHATWOOT_INBOX_ID": str(helpdesk.inbox_id),
            "IMP_CHATWOOT_API_TOKEN": API_TOKEN,
            "IMP_CHATWOOT_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        }
    )
    with run_assistant(tmp_path_factory.mktemp("chatwoot"), env) as running:
        yield running
        assert "rasa_plugins/channels/chatwoot.py" not in running.log()


def post_event(
    assistant: Assistant, event: Any, token: str | None = WEBHOOK_TOKEN, raw: bytes | None = None
) -> Reply:
    query = f"?token={token}" if token is not None else ""
    body = raw if raw is not None else json.dumps(event).encode()
    return http(
        f"{assistant.url}/webhooks/chatwoot/webhook{query}", body, {"Content-Type": "application/json"}
    )


@pytest.mark.e2e
def test_a_telegram_user_is_answered_from_chatwoot_and_handed_back(
    assistant: Assistant, fakes: tuple[FakeTelegram, FakeChatwoot]
) -> None:
    telegram, helpdesk = fakes
    chat = next(_chats)
    assert "CAD" in say(assistant, telegram, chat, "what are the fees?")
    assert say(assistant, telegram, chat, "I want to talk to a human") == TEXTS.message(
        "handoff_requested", "en"
    )

    # handed to Chatwoot: a conversation with the transcript, the handoff taken by it
    conversation_id = helpdesk.conversation_of(str(chat))
    assert conversation_id is not None
    assert helpdesk.conversations[conversation_id]["custom_attributes"] == {
        "imp_sender_id": str(chat),
        "imp_channel": "telegram",
        "imp_language": "en",
    }
    assert helpdesk.incoming_texts(conversation_id) == ["what are the fees?", "I want to talk to a human"]
    [handoff] = handoffs(assistant, chat)
    assert (handoff["status"], handoff["taken_by"]) == ("taken", f"Chatwoot #{conversation_id}")

    # the user's messages go on to Chatwoot; the assistant stays quiet
    assert say(assistant, telegram, chat, "hello? anyone there?") == ""
    assert helpdesk.incoming_texts(conversation_id)[-1] == "hello? anyone there?"

    # refused: no token, a wrong token; bad JSON; a conversation that is not ours
    sent_before = len(telegram.messages_to(chat))
    forged = helpdesk.agent_message(conversation_id, "forged reply")
    assert post_event(assistant, forged, token=None).status == 401
    assert post_event(assistant, forged, token="wrong-token").status == 403
    assert post_event(assistant, forged, token=WEBHOOK_TOKEN[:-1]).status == 403
    assert post_event(assistant, None, raw=b"{not json").status == 400
    assert post_event(assistant, None, raw=b"[1, 2]").status == 400
    assert post_event(assistant, helpdesk.agent_message(999_999, "lost")).status == 404
    note = post_event(assistant, helpdesk.agent_message(conversation_id, "internal note", private=True))
    assert note.status == 200 and note.body["result"].startswith("ignored")
    assert len(telegram.messages_to(chat)) == sent_before

    # an agent's reply reaches the user and the transcript
    reply = "Hi, Dana from support here: the fees are on IRCC's page."
    answer = post_event(assistant, helpdesk.agent_message(conversation_id, reply))
    assert (answer.status, answer.body) == (200, {"ok": True, "result": "delivered"})
    assert telegram.texts_to(chat)[-1] == reply
    staff = [e for e in bot_events(assistant, chat) if e.get("metadata", {}).get("imp_staff")]
    assert [(e["text"], e["metadata"]["imp_staff"]) for e in staff] == [(reply, "Dana")]

    # resolved in Chatwoot: back to the assistant
    done = post_event(assistant, helpdesk.resolved(conversation_id))
    assert (done.status, done.body["result"]) == (200, "handed back")
    assert telegram.texts_to(chat)[-1] == TEXTS.message("handoff_returned", "en")
    assert handoffs(assistant, chat)[0]["status"] == "closed"
    assert post_event(assistant, helpdesk.resolved(conversation_id)).body["result"].startswith("ignored")
    assert post_event(assistant, helpdesk.agent_message(conversation_id, "too late")).status == 404
    assert "CAD" in say(assistant, telegram, chat, "what are the fees?")
    assert helpdesk.incoming_texts(conversation_id)[-1] == "hello? anyone there?"  # no longer forwarded


@pytest.mark.e2e
def test_when_chatwoot_is_down_the_built_in_queue_takes_the_handoff(
    assistant: Assistant, fakes: tuple[FakeTelegram, FakeChatwoot]
) -> None:
    telegram, helpdesk = fakes
    chat = next(_chats)
    helpdesk.failing = True
    try:
        assert say(assistant, telegram, chat, "I want to talk to a human") == TEXTS.message(
            "handoff_requested", "en"
        )
    finally:
        helpdesk.failing = False
    [handoff] = handoffs(assistant, chat)
    assert (handoff["status"], handoff["taken_by"]) == ("open", None)
    assert helpdesk.conversation_of(str(chat)) is None
    assert "stays in the built-in queue" in assistant.log()


def test_without_settings_the_webhook_answers_503(tmp_path: Path) -> None:
    with channel_server(ChatwootWebhook(None)) as (url, received):
        reply = http(f"{url}/webhook?token=anything", b"{}", {"Content-Type": "application/json"})
        assert reply.status == 503 and "IMP_CHATWOOT_URL" in reply.body["error"]
        assert http(f"{url}/").status == 503
    assert received == []
