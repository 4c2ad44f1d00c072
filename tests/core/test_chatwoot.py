"""The Chatwoot client against a fake Chatwoot API, the webhook events, the settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from actions.core import chatwoot
from actions.core.chatwoot import (
    AgentReply,
    ChatwootClient,
    ChatwootError,
    ChatwootSettings,
    Ignored,
    Resolved,
    parse_event,
)
from tests.assistant import free_port
from tests.channels.fake_chatwoot import FakeChatwoot

API_TOKEN = "chatwoot-api-token"


@pytest.fixture
def fake() -> Iterator[FakeChatwoot]:
    server = FakeChatwoot(API_TOKEN).start()
    yield server
    server.stop()


def settings_for(fake: FakeChatwoot, token: str = API_TOKEN) -> ChatwootSettings:
    return ChatwootSettings(fake.base_url, fake.account_id, fake.inbox_id, token, "hook-token")


def environment(**changes: str) -> dict[str, str]:
    values = {
        "IMP_CHATWOOT_URL": "https://chatwoot.example.org/",
        "IMP_CHATWOOT_ACCOUNT_ID": "1",
        "IMP_CHATWOOT_INBOX_ID": "7",
        "IMP_CHATWOOT_API_TOKEN": "api",
        "IMP_CHATWOOT_WEBHOOK_TOKEN": "hook",
    }
    values.update(changes)
    return values


def test_settings_are_off_unless_every_variable_is_set() -> None:
    assert ChatwootSettings.load({}) is None
    for name in chatwoot.VARIABLES:
        assert ChatwootSettings.load(environment(**{name: " "})) is None
    settings = ChatwootSettings.load(environment())
    assert settings == ChatwootSettings("https://chatwoot.example.org", 1, 7, "api", "hook")
    with pytest.raises(ValueError, match="IMP_CHATWOOT_INBOX_ID"):
        ChatwootSettings.load(environment(IMP_CHATWOOT_INBOX_ID="seven"))
    with pytest.raises(ValueError, match="IMP_CHATWOOT_URL"):
        ChatwootSettings.load(environment(IMP_CHATWOOT_URL="ftp://x"))
    assert settings.webhook_token_ok("hook")
    assert not settings.webhook_token_ok("hook2") and not settings.webhook_token_ok(None)


def test_hand_over_creates_contact_conversation_note_and_transcript(fake: FakeChatwoot) -> None:
    client = ChatwootClient(settings_for(fake))
    conversation_id = client.hand_over("tg-1", "telegram", "fr", "asked", ["bonjour", "les frais?"])
    conversation = fake.conversations[conversation_id]
    assert conversation["custom_attributes"] == {
        "imp_sender_id": "tg-1",
        "imp_channel": "telegram",
        "imp_language": "fr",
    }
    assert fake.contacts["tg-1"]["identifier"] == "tg-1"
    [note, *messages] = fake.messages_in(conversation_id)
    assert note["private"] is True and "tg-1" in note["content"] and "asked" in note["content"]
    assert [(m["content"], m["message_type"], m["private"]) for m in messages] == [
        ("bonjour", "incoming", False),
        ("les frais?", "incoming", False),
    ]
    assert {call.token for call in fake.calls} == {API_TOKEN}

    # the same person again: the contact exists (422), it is found by its identifier
    second = client.hand_over("tg-1", "telegram", "fr", "not_understood", [])
    assert second != conversation_id and len(fake.contacts) == 1
    assert any(call.path.startswith("/contacts/search?q=tg-1") for call in fake.calls)

    client.post_message(second, "encore moi")
    assert fake.incoming_texts(second) == ["encore moi"]


def test_a_wrong_token_is_refused_and_raises_a_clear_error(fake: FakeChatwoot) -> None:
    client = ChatwootClient(settings_for(fake, token="stolen"))
    with pytest.raises(ChatwootError, match="POST /contacts: HTTP 401"):
        client.hand_over("tg-2", "telegram", "en", "asked", ["hi"])
    assert fake.conversations == {} and fake.contacts == {}


def test_failures_raise_chatwoot_errors(fake: FakeChatwoot) -> None:
    fake.failing = True
    with pytest.raises(ChatwootError, match="HTTP 500"):
        ChatwootClient(settings_for(fake)).hand_over("tg-3", "rest", "en", "asked", [])
    with pytest.raises(ChatwootError, match="POST /conversations/5/messages: HTTP 404"):
        fake.failing = False
        ChatwootClient(settings_for(fake)).post_message(5, "nobody there")
    closed = ChatwootSettings(f"http://127.0.0.1:{free_port()}", 1, 7, API_TOKEN, "h")
    with pytest.raises(ChatwootError, match="URLError"):
        ChatwootClient(closed, timeout=2).post_message(1, "hello")


def test_mapping_is_the_handoffs_taken_by_name() -> None:
    assert chatwoot.taken_by_name(12) == "Chatwoot #12"
    assert chatwoot.conversation_of("Chatwoot #12") == 12
    for other in (None, "", "Bob", "Chatwoot #", "Chatwoot #12x", "chatwoot #12"):
        assert chatwoot.conversation_of(other) is None


def test_user_texts_leave_out_payloads_and_keep_the_latest() -> None:
    events = [
        {"event": "user", "text": "/request_human"},
        {"event": "bot", "text": "bot says"},
        {"event": "user", "text": " what are the fees? "},
        {"event": "user", "text": None},
        *({"event": "user", "text": f"m{i}"} for i in range(30)),
    ]
    texts = chatwoot.user_texts(events)
    assert len(texts) == chatwoot.MAX_TRANSCRIPT_MESSAGES and texts[-1] == "m29"
    assert chatwoot.user_texts(events[:4]) == ["what are the fees?"]


def test_parse_event() -> None:
    fake = FakeChatwoot("t")
    assert parse_event(fake.agent_message(12, " Hello from Dana ")) == AgentReply(
        12, "Hello from Dana", "Dana"
    )
    assert parse_event(fake.resolved(12)) == Resolved(12)
    assert parse_event({**fake.resolved(12), "event": "conversation_resolved"}) == Resolved(12)
    assert isinstance(parse_event(fake.agent_message(12, "note", private=True)), Ignored)
    assert isinstance(parse_event(fake.agent_message(12, "user", message_type="incoming")), Ignored)
    assert isinstance(parse_event(fake.agent_message(12, "   ")), Ignored)
    assert isinstance(parse_event({**fake.resolved(12), "status": "open"}), Ignored)
    bot = {**fake.agent_message(12, "bot"), "sender": {"type": "agent_bot", "name": "bot"}}
    assert isinstance(parse_event(bot), Ignored)
    no_id = {**fake.agent_message(12, "x"), "conversation": {"id": "abc"}}
    assert isinstance(parse_event(no_id), Ignored)
    assert isinstance(parse_event({"event": "contact_created"}), Ignored)
    assert isinstance(parse_event({}), Ignored)
    for bad in ([], "x", None, 3):
        with pytest.raises(ValueError):
            parse_event(bad)
