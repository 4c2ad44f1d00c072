"""The secure Telegram channel, against a fake Telegram Bot API server on 127.0.0.1.

The assistant is started with the README's run command (scripts/run.sh) with the TELEGRAM_* variables
pointing at the fake server, which plays a self-hosted Bot API server: the session's shared assistant
and its fake (tests/conftest.py), which no other server or in-process channel calls. Tests post real
Update JSON to /webhooks/telegram/webhook and read the replies that reached the fake API; each uses
chat ids of its own.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from actions.core.settings import PROJECT_ROOT
from rasa_plugins.channels.telegram import (
    EDITED_MESSAGE_REPLY,
    TEXT_ONLY_REPLY,
    SecureTelegramInput,
    SecureTelegramOutput,
    TelegramSettings,
    language_of,
    split_text,
)
from tests.assistant import SHARED, free_port
from tests.assistant import Assistant as RunningAssistant
from tests.assistant import run_assistant as start_assistant
from tests.channels.fake_telegram import BOT_USER, FakeTelegram

TOKEN = SHARED.telegram_token
SECRET = SHARED.telegram_secret
WEBHOOK_URL = SHARED.telegram_webhook_url
PROBE = "how long is the permit valid?"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_update_ids = itertools.count(100_000)
_message_ids = itertools.count(1)
_rejected_chats = itertools.count(920_000)
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


# --- HTTP and Update helpers ------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: Any


def http(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None, method: str = "POST"
) -> Reply:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", **(headers or {})})
    request.method = method
    try:
        with _opener.open(request, timeout=120) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return Reply(status, json.loads(raw))
    except ValueError:
        return Reply(status, raw.decode("utf-8", "replace"))


def user(chat_id: int, language: str | None = "en") -> dict[str, Any]:
    person = {"id": chat_id, "is_bot": False, "first_name": "Test", "username": f"user{chat_id}"}
    if language:
        person["language_code"] = language
    return person


def message(chat_id: int, language: str | None = "en", chat_type: str = "private", **content: Any) -> dict:
    return {
        "message_id": next(_message_ids),
        "from": user(chat_id, language),
        "chat": {"id": chat_id, "type": chat_type, "first_name": "Test"},
        "date": int(time.time()),
        **content,
    }


def text_update(chat_id: int, text: str, language: str | None = "en") -> dict[str, Any]:
    return {"update_id": next(_update_ids), "message": message(chat_id, language, text=text)}


def content_update(chat_id: int, **content: Any) -> dict[str, Any]:
    return {"update_id": next(_update_ids), "message": message(chat_id, **content)}


def callback_update(chat_id: int, data: str, language: str = "en") -> tuple[str, dict[str, Any]]:
    query_id = uuid.uuid4().hex
    update = {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": query_id,
            "from": user(chat_id, language),
            "message": message(chat_id, text="(the question)"),
            "chat_instance": "42",
            "data": data,
        },
    }
    return query_id, update


# --- the assistant, started by scripts/run.sh ---------------------------------------------


class Assistant(RunningAssistant):
    """The assistant started by scripts/run.sh, with Telegram's webhook and stored user events."""

    def post_update(self, update: Any, secret: str | None = SECRET, raw: bytes | None = None) -> Reply:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        body = raw if raw is not None else json.dumps(update).encode()
        return http(f"{self.url}/webhooks/telegram/webhook", body, headers)

    def user_texts(self, sender: int | str) -> list[dict[str, Any]]:
        """The user events Rasa stored for a conversation (nothing processed = empty)."""
        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.text(
                        "SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"
                    ),
                    {"s": str(sender)},
                )
                return [json.loads(row.data) for row in rows]
        finally:
            engine.dispose()


@contextmanager
def run_assistant(tmp_path: Path, env: dict[str, str]) -> Iterator[Assistant]:
    database_url = f"sqlite:///{tmp_path / 'telegram.db'}"
    with start_assistant(tmp_path, env, database_url, Assistant) as running:
        yield running
        assert running.process.poll() is None, f"the assistant stopped:\n{running.log()[-3000:]}"
        # A crash inside the channel would show up as a traceback from rasa_plugins/channels/telegram.py.
        assert "rasa_plugins/channels/telegram.py" not in running.log()


@pytest.fixture(scope="module")
def fake(shared_assistant) -> FakeTelegram:
    """The fake Bot API server of the session's assistant."""
    return shared_assistant.telegram


@pytest.fixture
def own_fake() -> Iterator[FakeTelegram]:
    """A fake Bot API server of the test's own, for the in-process channels (not the shared one)."""
    server = FakeTelegram(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def assistant(shared_assistant) -> Assistant:
    return Assistant.of(shared_assistant.assistant)


def last_keyboard(fake: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    """The buttons of the latest message with an inline keyboard sent to a chat."""
    for call in reversed(fake.messages_to(chat_id)):
        markup = call.params.get("reply_markup")
        if markup:
            return [button for row in markup["inline_keyboard"] for button in row]
    raise AssertionError(f"no inline keyboard sent to {chat_id}: {fake.texts_to(chat_id)}")


def press(assistant: Assistant, fake: FakeTelegram, chat_id: int, title_part: str) -> str:
    """Press the button of the latest keyboard whose title contains title_part; returns the replies."""
    buttons = last_keyboard(fake, chat_id)
    [button] = [b for b in buttons if title_part in b["text"]]
    before = len(fake.messages_to(chat_id))
    query_id, update = callback_update(chat_id, button["callback_data"])
    reply = assistant.post_update(update)
    assert reply.status == 200 and reply.body["result"] == "processed", reply
    assert any(
        call.params.get("callback_query_id") == query_id for call in fake.calls_to("answerCallbackQuery")
    )
    return "\n".join(call.params["text"] for call in fake.messages_to(chat_id)[before:])


def say(assistant: Assistant, fake: FakeTelegram, chat_id: int, text: str, language: str = "en") -> str:
    before = len(fake.messages_to(chat_id))
    reply = assistant.post_update(text_update(chat_id, text, language))
    assert reply.status == 200 and reply.body["result"] == "processed", reply
    return "\n".join(call.params["text"] for call in fake.messages_to(chat_id)[before:])


@pytest.fixture(scope="module")
def probe_answer(assistant: Assistant, fake: FakeTelegram) -> list[str]:
    """What a new chat gets for PROBE (see assert_nothing_reached)."""
    chat = 919_999
    say(assistant, fake, chat, PROBE)
    texts = fake.texts_to(chat)
    assert any("3 years" in text for text in texts), texts
    return texts


def assert_nothing_reached(
    assistant: Assistant, fake: FakeTelegram, chat: int, probe_answer: list[str]
) -> None:
    """Nothing sent to `chat` so far reached Rasa or got a reply: shown by a probe, not by waiting.

    The webhook answers an update once it has been handled, and Rasa handles one conversation's
    messages one at a time, in the order they came: anything the earlier updates had started would
    be done before the probe is answered. So the chat must hold the probe alone, and its answer.
    """
    say(assistant, fake, chat, PROBE)
    assert [event["text"] for event in assistant.user_texts(chat)] == [PROBE]
    assert fake.texts_to(chat) == probe_answer


# --- (1) and (2): the real assistant over Telegram ---------------------------------------


@pytest.mark.e2e
def test_eligibility_check_with_inline_buttons_ends_with_a_verdict(
    assistant: Assistant, fake: FakeTelegram
) -> None:
    chat = 910_001
    first = say(assistant, fake, chat, "am I eligible for IMP+?")
    assert "Where do you live" in first
    payloads = [button["callback_data"] for button in last_keyboard(fake, chat)]
    assert '/inform{"residence":"quebec"}' in payloads

    assert "CSQ" in press(assistant, fake, chat, "In Quebec")
    assert "still valid" in press(assistant, fake, chat, "PRTQ")
    assert "letter of invitation" in press(assistant, fake, chat, "Yes, still valid")
    assert "permanent residence" in press(assistant, fake, chat, "Not yet")
    verdict = press(assistant, fake, chat, "still in process")
    assert "you do not appear eligible" in verdict
    assert "bridging open work permit" in verdict

    stored = [event["text"] for event in assistant.user_texts(chat)]
    assert stored[0] == "am I eligible for IMP+?"
    assert '/inform{"pr_status":"in_process"}' in stored


@pytest.mark.e2e
def test_permit_validity_question_is_answered_with_three_years(
    assistant: Assistant, fake: FakeTelegram
) -> None:
    answer = say(assistant, fake, 910_002, "how long is the permit valid?")
    assert "3 years" in answer
    assert "Sources:" in answer


@pytest.mark.e2e
def test_start_command_greets_with_an_inline_keyboard(assistant: Assistant, fake: FakeTelegram) -> None:
    chat = 910_003
    assert "IMP+ assistant" in say(assistant, fake, chat, "/start@imp_plus_test_bot")
    titles = [button["text"] for button in last_keyboard(fake, chat)]
    assert "Check my eligibility" in titles
    assert assistant.user_texts(chat)[0]["text"] == "/greet"


@pytest.mark.e2e
def test_language_code_reaches_the_message_metadata(assistant: Assistant, fake: FakeTelegram) -> None:
    chat = 910_004
    say(assistant, fake, chat, "hello", language="fr-CA")
    [event] = assistant.user_texts(chat)
    assert event["metadata"]["language"] == "fr"


# --- (3) the secret token -------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET[:-1], "é" + SECRET])
def test_update_without_the_right_secret_is_rejected(
    assistant: Assistant, fake: FakeTelegram, probe_answer: list[str], secret: Any
) -> None:
    chat = next(_rejected_chats)
    reply = assistant.post_update(text_update(chat, "how much does it cost?"), secret=secret)
    assert reply.status == 403
    assert "Secret-Token" in reply.body["error"]
    # also before reading the body: an undecodable body is still a 403
    assert assistant.post_update(None, secret=secret, raw=b"{not json").status == 403
    assert_nothing_reached(assistant, fake, chat, probe_answer)


@pytest.mark.e2e
def test_set_webhook_route_needs_the_secret(assistant: Assistant, fake: FakeTelegram) -> None:
    url = f"{assistant.url}/webhooks/telegram/set_webhook"
    before = len(fake.calls_to("setWebhook"))
    assert http(url, b"", {SECRET_HEADER: "wrong"}).status == 403
    assert http(url, b"").status == 403
    assert len(fake.calls_to("setWebhook")) == before
    reply = http(url, b"", {SECRET_HEADER: SECRET})
    assert reply.status == 200 and reply.body["ok"] is True
    [*_, call] = fake.calls_to("setWebhook")
    assert call.params["url"] == WEBHOOK_URL and call.params["secret_token"] == SECRET


# --- (4) malformed and non-text updates ------------------------------------------------------

POLITE, IGNORED = "polite", "ignored"
MALFORMED: dict[str, tuple[Any, int, str]] = {
    # name: (update or raw bytes, status, what the chat gets)
    "invalid JSON": (b'{"update_id": 1, "message": {', 400, IGNORED),
    "not UTF-8": (b"\xff\xfe\xfa{}", 400, IGNORED),
    "empty body": (b"", 400, IGNORED),
    "deeply nested JSON": (b"[" * 200_000 + b"]" * 200_000, 400, IGNORED),
    "JSON array": ([1, 2, 3], 200, IGNORED),
    "JSON string": ("update", 200, IGNORED),
    "JSON null": (None, 200, IGNORED),
    "no update_id": (lambda chat: {"message": message(chat, text="hello")}, 200, IGNORED),
    "boolean update_id": (
        lambda chat: {"update_id": True, "message": message(chat, text="hello")},
        200,
        IGNORED,
    ),
    "message is a string": (lambda chat: {"update_id": next(_update_ids), "message": "hello"}, 200, IGNORED),
    "chat id is a string": (
        lambda chat: {
            "update_id": next(_update_ids),
            "message": {**message(chat, text="hi"), "chat": {"id": "x"}},
        },
        200,
        IGNORED,
    ),
    "no chat": (
        lambda chat: {"update_id": next(_update_ids), "message": {"message_id": 1, "text": "hello"}},
        200,
        IGNORED,
    ),
    "text is a number": (lambda chat: content_update(chat, text=42), 200, IGNORED),
    "text is a list": (lambda chat: content_update(chat, text=["how", "long"]), 200, IGNORED),
    "huge text": (lambda chat: text_update(chat, "how long is it valid? " * 20_000), 200, IGNORED),
    "sticker": (lambda chat: content_update(chat, sticker={"file_id": "s1", "emoji": "🙂"}), 200, POLITE),
    "photo with caption": (
        lambda chat: content_update(
            chat, photo=[{"file_id": "p1", "width": 90, "height": 90}], caption="my CSQ"
        ),
        200,
        POLITE,
    ),
    "voice": (lambda chat: content_update(chat, voice={"file_id": "v1", "duration": 3}), 200, POLITE),
    "document": (
        lambda chat: content_update(chat, document={"file_id": "d1", "file_name": "csq.pdf"}),
        200,
        POLITE,
    ),
    "location": (
        lambda chat: content_update(chat, location={"latitude": 45.5, "longitude": -73.6}),
        200,
        POLITE,
    ),
    "sticker in a group": (
        lambda chat: content_update(chat, chat_type="group", sticker={"file_id": "s2"}),
        200,
        IGNORED,
    ),
    "service message": (lambda chat: content_update(chat, new_chat_title="IMP+ group"), 200, IGNORED),
    "edited message": (
        lambda chat: {"update_id": next(_update_ids), "edited_message": message(chat, text="how long?")},
        200,
        EDITED_MESSAGE_REPLY,
    ),
    "channel post": (
        lambda chat: {
            "update_id": next(_update_ids),
            "channel_post": {
                "message_id": 1,
                "chat": {"id": chat, "type": "channel"},
                "date": 0,
                "text": "news",
            },
        },
        200,
        IGNORED,
    ),
    "my_chat_member": (
        lambda chat: {
            "update_id": next(_update_ids),
            "my_chat_member": {
                "chat": {"id": chat, "type": "private"},
                "from": user(chat),
                "date": 0,
                "old_chat_member": {"status": "member", "user": BOT_USER},
                "new_chat_member": {"status": "kicked", "user": BOT_USER},
            },
        },
        200,
        IGNORED,
    ),
    "inline query": (
        lambda chat: {
            "update_id": next(_update_ids),
            "inline_query": {"id": "q", "from": user(chat), "query": "imp", "offset": ""},
        },
        200,
        IGNORED,
    ),
    "callback query without data": (
        lambda chat: {
            "update_id": next(_update_ids),
            "callback_query": {"id": "cb-no-data", "from": user(chat), "chat_instance": "1"},
        },
        200,
        IGNORED,
    ),
    "callback query with wrong types": (
        lambda chat: {
            "update_id": next(_update_ids),
            "callback_query": {"id": 5, "from": "me", "message": [], "data": {"a": 1}},
        },
        200,
        IGNORED,
    ),
}


@pytest.mark.e2e
@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_and_non_text_updates_never_crash(
    assistant: Assistant, fake: FakeTelegram, name: str
) -> None:
    chat = 930_000 + list(MALFORMED).index(name)
    update, status, expected = MALFORMED[name]
    if callable(update):
        update = update(chat)
    raw = update if isinstance(update, bytes) else None
    reply = assistant.post_update(update, raw=raw)
    assert reply.status == status, reply
    texts = fake.texts_to(chat)
    if expected == IGNORED:
        assert texts == []
        if status == 200:
            assert reply.body["result"].startswith("ignored"), reply.body
    elif expected == POLITE:
        assert texts == [TEXT_ONLY_REPLY]
        assert "I can only read text messages" in TEXT_ONLY_REPLY
    else:
        assert texts == [expected]
    assert assistant.user_texts(chat) == []  # nothing reached Rasa
    # and the channel still works
    assert "3 years" in say(assistant, fake, 939_999, "how long is the permit valid?")


@pytest.mark.e2e
def test_a_resent_update_is_processed_once(assistant: Assistant, fake: FakeTelegram) -> None:
    chat = 910_005
    update = text_update(chat, "how much does it cost?")
    assert assistant.post_update(update).body["result"] == "processed"
    assert assistant.post_update(update).body["result"].startswith("ignored")
    assert len(assistant.user_texts(chat)) == 1


# --- (5) and (6): setWebhook and getMe -------------------------------------------------------


@pytest.mark.e2e
def test_webhook_is_set_with_the_secret_on_the_self_hosted_api(
    assistant: Assistant, fake: FakeTelegram
) -> None:
    [first, *_] = fake.wait_for(lambda: fake.calls_to("setWebhook"))
    assert first.token == TOKEN  # reached the fake server: the base URL override works
    assert first.params["url"] == WEBHOOK_URL
    assert first.params["secret_token"] == SECRET
    assert set(first.params["allowed_updates"]) == {"message", "edited_message", "callback_query"}
    # every Bot API call of the run went to the fake server with the bot's token
    assert fake.calls and all(call.token == TOKEN for call in fake.calls)


@pytest.mark.e2e
def test_get_me_is_called_at_most_once(assistant: Assistant, fake: FakeTelegram) -> None:
    for index in range(12):
        chat = 940_000 + index
        say(assistant, fake, chat, "hello" if index % 2 else "thanks")
        callback = callback_update(chat, "/ask_cap")[1]
        assert assistant.post_update(callback).status == 200
    # TELEGRAM_VERIFY is checked once, then cached: one call in the server's whole life, whatever
    # ran before (only the shared assistant talks to this fake; in-process channels have their own)
    assert len(fake.calls_to("getMe")) == 1


# --- without a token: the server starts, the channel answers 503, the rest works ----------------


@pytest.mark.e2e
def test_without_token_the_assistant_starts_and_telegram_answers_503(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with run_assistant(tmp_path_factory.mktemp("no-telegram"), {}) as running:
        reply = running.post_update(text_update(950_001, "hello"))
        assert reply.status == 503
        assert "TELEGRAM_ACCESS_TOKEN" in reply.body["error"]
        assert http(f"{running.url}/webhooks/telegram/", method="GET").status == 503
        assert (
            http(f"{running.url}/webhooks/telegram/set_webhook", b"", {SECRET_HEADER: SECRET}).status == 503
        )
        rest = http(
            f"{running.url}/webhooks/rest/webhook",
            json.dumps({"sender": "no-telegram", "message": "how long is the permit valid?"}).encode(),
        )
        assert rest.status == 200
        assert "3 years" in "\n".join(message.get("text", "") for message in rest.body)
        assert running.user_texts(950_001) == []


# --- the channel alone, in this process (no model): secret missing, wrong bot --------------------


@contextmanager
def channel_server(channel: SecureTelegramInput) -> Iterator[tuple[str, list[UserMessage]]]:
    """Serve the channel's blueprint on 127.0.0.1 with a handler that only collects messages."""
    received: list[UserMessage] = []

    async def on_new_message(user_message: UserMessage) -> None:
        received.append(user_message)

    async def start() -> Any:
        app = Sanic(f"telegram_test_{uuid.uuid4().hex[:12]}", configure_logging=False)
        app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/telegram")
        # create_server already listens (it awaits the AsyncioServer); then run the listeners
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        await server.before_start()
        await server.after_start()
        return server

    async def stop() -> None:
        await server.before_stop()
        await server.close()
        await server.after_stop()

    port = free_port()
    loop = asyncio.new_event_loop()
    test_mode, Sanic.test_mode = Sanic.test_mode, True  # several apps in one process, as sanic-testing does
    try:
        server = loop.run_until_complete(start())
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{port}/webhooks/telegram", received
        finally:
            asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
    finally:
        Sanic.test_mode = test_mode
        loop.close()


def test_without_secret_token_the_webhook_refuses_updates(own_fake: FakeTelegram) -> None:
    channel = SecureTelegramInput(TOKEN, None, WEBHOOK_URL, secret_token=None, api_base_url=own_fake.base_url)
    with channel_server(channel) as (url, received):
        for headers in ({}, {SECRET_HEADER: "anything"}):
            reply = http(f"{url}/webhook", json.dumps(text_update(1, "hello")).encode(), headers)
            assert reply.status == 503
            assert "TELEGRAM_SECRET_TOKEN" in reply.body["error"]
        assert http(f"{url}/set_webhook", b"").status == 503
    assert received == []


def test_a_token_of_another_bot_is_refused_after_one_get_me() -> None:
    other = FakeTelegram(TOKEN).start()
    try:
        channel = SecureTelegramInput(
            TOKEN, "some_other_bot", None, secret_token=SECRET, api_base_url=other.base_url
        )
        with channel_server(channel) as (url, received):
            for _ in range(3):
                reply = http(
                    f"{url}/webhook", json.dumps(text_update(2, "hello")).encode(), {SECRET_HEADER: SECRET}
                )
                assert reply.status == 503
                assert "some_other_bot" in reply.body["error"]
        assert received == []
        assert len(other.calls_to("getMe")) == 1
        assert other.calls_to("setWebhook") == []  # no webhook URL configured
    finally:
        other.stop()


def test_in_process_channel_forwards_text_and_button_presses(own_fake: FakeTelegram) -> None:
    fake = own_fake
    channel = SecureTelegramInput(TOKEN, None, None, secret_token=SECRET, api_base_url=fake.base_url)
    with channel_server(channel) as (url, received):
        headers = {SECRET_HEADER: SECRET}
        assert http(f"{url}/", method="GET").body == {"ok": True, "status": "ok"}
        http(f"{url}/webhook", json.dumps(text_update(3, "  /restart  ", "pt-br")).encode(), headers)
        query_id, update = callback_update(3, "/ask_fees")
        http(f"{url}/webhook", json.dumps(update).encode(), headers)
    assert [(m.text, m.sender_id, m.metadata) for m in received] == [
        ("/restart", "3", {"language": "pt"}),
        ("/greet", "3", {"language": "pt"}),
        ("/ask_fees", "3", {"language": "en"}),
    ]
    assert all(
        m.input_channel == "telegram" and isinstance(m.output_channel, SecureTelegramOutput) for m in received
    )
    assert any(
        call.params.get("callback_query_id") == query_id for call in fake.calls_to("answerCallbackQuery")
    )


# --- units ------------------------------------------------------------------------------------


def test_settings_come_from_the_environment_and_credentials_win() -> None:
    environ = {
        "TELEGRAM_ACCESS_TOKEN": "1:env",
        "TELEGRAM_VERIFY": "env_bot",
        "TELEGRAM_WEBHOOK_URL": "https://env.example/webhook",
        "TELEGRAM_SECRET_TOKEN": "env-secret",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081",
    }
    from_env = TelegramSettings.load(None, environ)
    assert from_env == TelegramSettings(
        "1:env", "env_bot", "https://env.example/webhook", "env-secret", environ["TELEGRAM_API_BASE_URL"]
    )
    mixed = TelegramSettings.load({"access_token": "2:cred", "secret_token": "", "verify": None}, environ)
    assert (mixed.access_token, mixed.secret_token, mixed.verify) == ("2:cred", "env-secret", "env_bot")
    assert TelegramSettings.load(None, {}).api_base_url == "https://api.telegram.org"
    assert TelegramSettings.load({}, {}).access_token is None


@pytest.mark.parametrize(
    ("token", "secret", "base_url", "problem"),
    [
        (None, SECRET, None, "TELEGRAM_ACCESS_TOKEN"),
        (TOKEN, None, None, "TELEGRAM_SECRET_TOKEN"),
        (TOKEN, "has spaces in it", None, "TELEGRAM_SECRET_TOKEN"),
        (TOKEN, "x" * 257, None, "TELEGRAM_SECRET_TOKEN"),
        ("not a token", SECRET, None, "TELEGRAM_ACCESS_TOKEN"),
        (TOKEN, SECRET, "ftp://example", "TELEGRAM_API_BASE_URL"),
        (TOKEN, SECRET, None, None),
    ],
)
def test_configuration_problems_disable_the_channel(
    token: Any, secret: Any, base_url: Any, problem: Any
) -> None:
    channel = SecureTelegramInput(token, None, None, secret_token=secret, api_base_url=base_url)
    if problem is None:
        assert channel.problem is None
        assert isinstance(channel.get_output_channel(), SecureTelegramOutput)
    else:
        assert problem in channel.problem
        assert not isinstance(channel.get_output_channel(), SecureTelegramOutput)


def test_channel_loads_from_credentials_yml_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.run import create_http_input_channels

    text = (PROJECT_ROOT / "credentials.yml").read_text()
    assert "rasa_plugins.channels.telegram.SecureTelegramInput:" in text
    assert TOKEN not in text and "secret_token:" not in text
    monkeypatch.setenv("TELEGRAM_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/")
    channels = create_http_input_channels(None, str(PROJECT_ROOT / "credentials.yml"))
    [telegram] = [channel for channel in channels if isinstance(channel, SecureTelegramInput)]
    assert telegram.problem is None
    output = telegram.get_output_channel()
    assert output.server.api_url(TOKEN, "getMe") == f"http://127.0.0.1:8081/bot{TOKEN}/getMe"


def test_buttons_become_an_inline_keyboard_and_long_payloads_still_work() -> None:
    output = SecureTelegramOutput(TOKEN, "http://127.0.0.1:1")
    long_payload = '/inform{"csq_program":"' + "x" * 80 + '"}'
    keyboard = output.inline_keyboard(
        [
            {"title": "In Quebec", "payload": '/inform{"residence":"quebec"}'},
            {"title": "Long", "payload": long_payload},
        ]
    ).to_python()
    rows = keyboard["inline_keyboard"]
    assert [len(row) for row in rows] == [1, 1]
    assert rows[0][0] == {"text": "In Quebec", "callback_data": '/inform{"residence":"quebec"}'}
    data = rows[1][0]["callback_data"]
    assert len(data.encode()) <= 64 and output.payload_for(data) == long_payload


def test_helpers() -> None:
    assert split_text("  short  ") == ["short"]
    assert split_text("") == []
    parts = split_text("\n\n".join(["a" * 3000, "b" * 3000, "c" * 9000]))
    assert (
        all(len(part) <= 4000 for part in parts)
        and "".join(parts).replace("\n", "") == "a" * 3000 + "b" * 3000 + "c" * 9000
    )
    assert language_of({"language_code": "fr-CA"}) == "fr"
    assert language_of({"language_code": "EN"}) == "en"
    assert language_of({"language_code": 5}) is None
    assert language_of({"language_code": "'; drop"}) is None
    assert language_of(None) is None


def test_channel_replies_follow_the_telegram_language() -> None:
    from rasa_plugins.channels.telegram import TEXT_ONLY_REPLIES, in_language_of

    assert in_language_of(TEXT_ONLY_REPLIES, {"language_code": "fr-CA"}).startswith("Désolé")
    assert in_language_of(TEXT_ONLY_REPLIES, {"language_code": "es"}) == TEXT_ONLY_REPLIES["en"]
    assert in_language_of(TEXT_ONLY_REPLIES, None) == TEXT_ONLY_REPLIES["en"]


@pytest.mark.e2e
def test_identifiers_are_masked_before_a_telegram_chat_is_stored(
    assistant: Assistant, fake: FakeTelegram
) -> None:
    chat = 910_077
    question = "how long is the IMP+ work permit valid?"
    plain = say(assistant, fake, 910_078, question)
    pasted = f"{question} my email is jane.doe@example.com"
    assert say(assistant, fake, chat, pasted) == plain  # understood from the original text
    [stored] = assistant.user_texts(chat)
    assert stored["text"] == f"{question} my email is [email]"
    assert stored["parse_data"]["text"] == stored["text"]
    assert (
        stored["parse_data"]["intent"]["name"]
        == assistant.user_texts(910_078)[0]["parse_data"]["intent"]["name"]
    )
    raw = json.dumps(assistant.user_texts(chat))
    assert not any(secret in raw for secret in ("jane.doe", "example.com"))
