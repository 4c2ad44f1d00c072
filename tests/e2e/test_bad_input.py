"""Bad input over the REST channel and the Telegram webhook: a clear answer or a clear 4xx, never a 5xx.

The session's shared assistant (scripts/run.sh on a SQLite file in a temp dir, Telegram on a fake
Bot API; tests/conftest.py) serves the module. Before any bad input, a conversation runs an
eligibility check to a verdict (an assessment row). After every case: no 5xx, a 4xx carries its
reason, the server still answers a normal question, that earlier conversation's events and
assessment are exactly as they were, and the server logged no traceback while the case ran.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from actions.core.eligibility import Answer, CsqProgram, PrStatus, Residence
from rasa_plugins.channels.rest import MAX_MESSAGE_LENGTH, MAX_PENDING_PER_SENDER, MAX_SENDER_LENGTH
from rasa_plugins.stores.tracker_store import NOT_SAVED_MESSAGE
from tests.assistant import SHARED, Assistant, Reply, http
from tests.channels.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e

SECRET = SHARED.telegram_secret
PROBE = "how long is the permit valid?"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BASELINE = "bad-input-baseline"
HEALTH = "bad-input-health"
INJECTION = "'; DROP TABLE events;--"
ASSESSMENT_INJECTION = "Robert'); DROP TABLE imp_assessments;--"
SCRIPT = "<script>alert('x')</script>"
MISSING = object()
_update_ids = itertools.count(500_000)
_chats = itertools.count(950_000)


# --- the assistant and the conversation that must survive everything ----------------------------


@pytest.fixture(scope="module")
def fake(shared_assistant) -> FakeTelegram:
    return shared_assistant.telegram


@pytest.fixture(scope="module")
def assistant(shared_assistant) -> Assistant:
    return Assistant.of(shared_assistant.assistant)


@pytest.fixture(autouse=True)
def no_traceback_logged(assistant: Assistant) -> Iterator[None]:
    """The server logged no traceback while the test ran (whatever ran before it)."""
    start = assistant.log_path.stat().st_size
    yield
    with open(assistant.log_path, "rb") as log:
        log.seek(start)
        written = log.read().decode("utf-8", "replace")
    assert "Traceback" not in written, written[written.find("Traceback") - 2000 :][:6000]


def query(assistant: Assistant, sql: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(assistant.database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(sql), params))
    finally:
        engine.dispose()


def events_of(assistant: Assistant, sender: str) -> list[tuple[int, str, str]]:
    rows = query(
        assistant, "SELECT id, type_name, data FROM events WHERE sender_id = :s ORDER BY id", s=sender
    )
    return [(row.id, row.type_name, row.data) for row in rows]


def user_texts(assistant: Assistant, sender: str) -> list[str]:
    return [json.loads(data).get("text") for _, kind, data in events_of(assistant, sender) if kind == "user"]


def assessments_of(assistant: Assistant, sender: str) -> list[tuple]:
    rows = query(
        assistant,
        "SELECT id, conversation_id, answers, verdict, criteria, created_at FROM imp_assessments "
        "WHERE conversation_id = :s ORDER BY id",
        s=sender,
    )
    return [tuple(row) for row in rows]


@dataclass(frozen=True)
class Snapshot:
    events: list[tuple[int, str, str]]
    assessments: list[tuple]


@pytest.fixture(scope="module")
def baseline(assistant: Assistant) -> Snapshot:
    """An eligibility check to a verdict, before any bad input."""
    assert "Where do you live" in assistant.text(BASELINE, "am I eligible for IMP+?")
    assert "CSQ" in assistant.text(BASELINE, "I live in Lyon")
    assistant.say(BASELINE, '/inform{"csq_program":"prtq"}')
    assistant.say(BASELINE, '/inform{"csq_valid":"yes"}')
    assistant.say(BASELINE, '/inform{"invitation_letter":"yes"}')
    assert "you appear eligible" in assistant.text(BASELINE, "I haven't applied yet")
    snapshot = Snapshot(events_of(assistant, BASELINE), assessments_of(assistant, BASELINE))
    assert len(snapshot.assessments) == 1 and snapshot.assessments[0][3] == "eligible"
    assert len([event for event in snapshot.events if event[1] == "user"]) == 6
    return snapshot


def assert_still_fine(assistant: Assistant, baseline: Snapshot) -> None:
    """The server answers a normal question and the earlier conversation is untouched."""
    assert "3 years" in assistant.text(HEALTH, "how long is the IMP+ permit valid?")
    assert events_of(assistant, BASELINE) == baseline.events
    assert assessments_of(assistant, BASELINE) == baseline.assessments
    assert assistant.process.poll() is None


def assert_clear_error(reply: Reply, status: int) -> None:
    assert reply.status == status, reply
    if isinstance(reply.body, dict):
        assert isinstance(reply.body.get("error"), str) and reply.body["error"].strip(), reply
    else:
        pytest.fail(f"not a JSON error: {reply!r}")


def reply_texts(reply: Reply) -> list[str]:
    assert reply.status == 200, reply
    assert isinstance(reply.body, list), reply
    return [message.get("text") or "" for message in reply.body]


# --- REST -------------------------------------------------------------------------------------


def body(sender: Any = MISSING, message: Any = MISSING, **extra: Any) -> bytes:
    data = {**({"sender": sender} if sender is not MISSING else {}), **extra}
    if message is not MISSING:
        data["message"] = message
    return json.dumps(data).encode()


@dataclass(frozen=True)
class Case:
    """One kind of bad input: what is posted and what must come back."""

    make: Callable[[str], bytes]  # sender -> request body
    status: int = 200  # 200: a reply in the conversation
    stored: str | None = None  # the user text the conversation must then hold (200 only)
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    query: str = ""
    form_first: bool = False  # start the eligibility check first: the bad input answers a question
    sender: str | None = None  # a fixed sender instead of a fresh one


LONGEST = ("how long is the permit valid? " * 200)[:MAX_MESSAGE_LENGTH]
ODD_SENDER = "../../etc/passwd/é/Ωμέγα/😀/\\x"
REST_CASES: dict[str, Case] = {
    "empty message": Case(lambda s: body(s, ""), 400),
    "whitespace-only message": Case(lambda s: body(s, "   \n\t  "), 400),
    "message of control characters only": Case(lambda s: body(s, "\x00\x01\x1b\x7f"), 400),
    "1 MB message": Case(lambda s: body(s, "a" * 1024 * 1024), 413),
    "message one character over the limit": Case(lambda s: body(s, "a" * (MAX_MESSAGE_LENGTH + 1)), 413),
    "message at the limit": Case(lambda s: body(s, LONGEST), stored=LONGEST),
    "control characters and NUL in a message": Case(
        lambda s: body(s, "how long is\x00 the permit\x07 valid?\x1b[31m"),
        stored="how long is the permit valid?[31m",
    ),
    "lone surrogate in a message": Case(
        lambda s: f'{{"sender": "{s}", "message": "hi \\ud800"}}'.encode(), 400
    ),
    "invalid UTF-8 body": Case(lambda s: b'{"sender": "x", "message": "caf\xe9 \xff\xfe"}', 400),
    "UTF-16 body": Case(lambda s: body(s, "hello").decode().encode("utf-16"), 400),
    "UTF-8 byte order mark": Case(lambda s: b"\xef\xbb\xbf" + body(s, "hello"), stored="hello"),
    "malformed JSON": Case(lambda s: f'{{"sender": "{s}", "message": "hi"'.encode(), 400),
    "empty body": Case(lambda s: b"", 400),
    "deeply nested JSON": Case(lambda s: b"[" * 30_000 + b"]" * 30_000, 400),
    "JSON list": Case(lambda s: json.dumps([s, "hello"]).encode(), 400),
    "JSON string": Case(lambda s: b'"hello"', 400),
    "JSON number": Case(lambda s: b"42", 400),
    "JSON null": Case(lambda s: b"null", 400),
    "message is a number": Case(lambda s: body(s, 42), 400),
    "message is an object": Case(lambda s: body(s, {"text": "hi"}), 400),
    "message is a list": Case(lambda s: body(s, ["hi"]), 400),
    "message is null": Case(lambda s: body(s, None), 400),
    "missing message": Case(lambda s: body(s), 400),
    "missing sender": Case(lambda s: body(message="hello"), 400),
    "empty sender": Case(lambda s: body("", "hello"), 400),
    "whitespace sender": Case(lambda s: body("   ", "hello"), 400),
    "sender is a number": Case(lambda s: body(12345, "hello"), 400),
    "sender is an object": Case(lambda s: body({"id": 1}, "hello"), 400),
    "huge sender (10,000 characters)": Case(lambda s: body("s" * 10_000, "hello"), 400),
    "sender one character over the limit": Case(lambda s: body("s" * (MAX_SENDER_LENGTH + 1), "hello"), 400),
    "sender at the limit": Case(lambda s: body(s, "hello"), stored="hello", sender="L" * MAX_SENDER_LENGTH),
    "sender with slashes and unicode": Case(lambda s: body(s, "hello"), stored="hello", sender=ODD_SENDER),
    "sender with NUL": Case(lambda s: body("abc\x00def", "hello"), 400),
    "sender with a line break": Case(lambda s: body("abc\ndef", "hello"), 400),
    "metadata is a list": Case(lambda s: body(s, "hello", metadata=["fr"]), 400),
    "odd metadata values": Case(
        lambda s: body(s, "hello", metadata={"language": 42, "x": {"y": [None]}}), stored="hello"
    ),
    "input_channel is not a name": Case(lambda s: body(s, "hello", input_channel="<b>x</b>"), 400),
    "SQL injection in a message": Case(lambda s: body(s, INJECTION), stored=INJECTION),
    "HTML and script in a message": Case(
        lambda s: body(s, SCRIPT + "<b>IMP+</b>"), stored=SCRIPT + "<b>IMP+</b>"
    ),
    "emoji": Case(
        lambda s: body(s, "🙂🇨🇦 how long is the permit valid? 👍🏽"),
        stored="🙂🇨🇦 how long is the permit valid? 👍🏽",
    ),
    "right-to-left text": Case(
        lambda s: body(s, "ما هي مدة صلاحية تصريح العمل؟ \u202eIMP+\u202c"),
        stored="ما هي مدة صلاحية تصريح العمل؟ \u202eIMP+\u202c",
    ),
    "zero-width characters only": Case(lambda s: body(s, "\u200b\u200d\ufeff"), stored="\u200b\u200d\ufeff"),
    "unknown intent payload": Case(lambda s: body(s, '/drop_tables{"x": 1}'), stored='/drop_tables{"x": 1}'),
    "broken confidence in a payload": Case(lambda s: body(s, "/greet@1.2.3"), stored="/greet@1.2.3"),
    "confidence over 1 in a payload": Case(lambda s: body(s, "/greet@7"), stored="/greet@7"),
    "wrong content type with a JSON body": Case(
        lambda s: body(s, "hello"), stored="hello", headers={"Content-Type": "text/plain"}
    ),
    "wrong content type, form-encoded body": Case(
        lambda s: f"sender={s}&message=hello".encode(),
        415,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    "XML body": Case(
        lambda s: b"<message><sender>x</sender><text>hi</text></message>",
        415,
        headers={"Content-Type": "text/xml"},
    ),
    "GET instead of POST": Case(lambda s: b"", 405, method="GET"),
    "PUT instead of POST": Case(lambda s: body(s, "hello"), 405, method="PUT"),
    "bad body with stream=true": Case(lambda s: b"[1, 2]", 400, query="?stream=true"),
}

# Answers to the eligibility form's first question (where do you live?) that must set nothing.
FORM_CASES: dict[str, Case] = {
    "SQL injection as a slot value (payload)": Case(
        lambda s: body(s, json.dumps({"residence": INJECTION}).join(["/inform", ""]))
    ),
    "HTML as a slot value (payload)": Case(lambda s: body(s, "/inform" + json.dumps({"residence": SCRIPT}))),
    "slot value is an object (payload)": Case(lambda s: body(s, '/inform{"residence": {"$ne": null}}')),
    "slot value is a number (payload)": Case(lambda s: body(s, '/inform{"residence": 12345}')),
    "unknown slot in a payload": Case(
        lambda s: body(s, '/inform{"verdict": "eligible", "requested_slot": null}')
    ),
    "malformed payload JSON (unclosed)": Case(lambda s: body(s, '/inform{"residence": "quebec"')),
    "malformed payload JSON (not JSON)": Case(lambda s: body(s, "/inform{residence: quebec,}")),
    "payload JSON is a list": Case(lambda s: body(s, '/inform["quebec"]')),
    "SQL injection as a free-text answer": Case(lambda s: body(s, f"I live in {INJECTION}")),
    "HTML as a free-text answer": Case(lambda s: body(s, f"I live in {SCRIPT}")),
    "language payload out of range": Case(lambda s: body(s, '/switch_language{"language": "xx"}')),
    "HTML as the language (payload)": Case(lambda s: body(s, "/inform" + json.dumps({"language": SCRIPT}))),
}


def post(assistant: Assistant, case: Case, sender: str) -> Reply:
    return http(
        f"{assistant.url}/webhooks/rest/webhook{case.query}",
        case.make(sender),
        {"Content-Type": "application/json", **case.headers},
        method=case.method,
    )


@pytest.mark.parametrize("name", list(REST_CASES))
def test_bad_rest_input(assistant: Assistant, baseline: Snapshot, name: str) -> None:
    case = REST_CASES[name]
    sender = case.sender or f"bad-rest-{list(REST_CASES).index(name)}"
    reply = post(assistant, case, sender)
    assert reply.status < 500, reply
    if case.status == 200:
        texts = reply_texts(reply)
        assert any(text.strip() for text in texts), reply
        assert NOT_SAVED_MESSAGE not in texts
        assert not any("<script" in text for text in texts)  # nothing of the input is echoed as markup
        assert user_texts(assistant, sender)[-1] == case.stored
    else:
        assert_clear_error(reply, case.status)
        assert user_texts(assistant, sender) == []
    assert_still_fine(assistant, baseline)


def slots_set(assistant: Assistant, sender: str) -> list[tuple[str, Any]]:
    return [
        (json.loads(data)["name"], json.loads(data).get("value"))
        for _, kind, data in events_of(assistant, sender)
        if kind == "slot"
    ]


ALLOWED_SLOT_VALUES: dict[str, set[Any]] = {
    "residence": {member.value for member in Residence} | {None},
    "csq_program": {member.value for member in CsqProgram} | {None},
    "csq_valid": {member.value for member in Answer} | {None},
    "invitation_letter": {member.value for member in Answer} | {None},
    "pr_status": {member.value for member in PrStatus} | {None},
}


@pytest.mark.parametrize("name", list(FORM_CASES))
def test_bad_answers_in_the_eligibility_form(assistant: Assistant, baseline: Snapshot, name: str) -> None:
    sender = f"bad-form-{list(FORM_CASES).index(name)}"
    assert "Where do you live" in assistant.text(sender, "am I eligible for IMP+?")
    case = FORM_CASES[name]
    reply = post(assistant, case, sender)
    texts = reply_texts(reply)
    assert any(text.strip() for text in texts), reply
    assert NOT_SAVED_MESSAGE not in texts
    assert not any("<script" in text for text in texts)
    assert user_texts(assistant, sender)[-1] == json.loads(case.make(sender))["message"]
    # no slot ever holds anything but the form's own values
    for slot, value in slots_set(assistant, sender):
        if slot in ALLOWED_SLOT_VALUES:
            assert value in ALLOWED_SLOT_VALUES[slot], (slot, value)
    assert ("residence", "quebec") not in slots_set(assistant, sender)  # a broken payload sets nothing
    # the conversation goes on, in a language the assistant speaks
    assert "3 years" in assistant.text(sender, "how long is the permit valid?")
    assert_still_fine(assistant, baseline)


def test_injection_in_the_form_then_a_verdict_is_stored_cleanly(
    assistant: Assistant, baseline: Snapshot
) -> None:
    sender = "bad-form-then-verdict"
    assistant.say(sender, "am I eligible for IMP+?")
    assert "Where do you live" in assistant.text(sender, "/inform" + json.dumps({"residence": INJECTION}))
    assert "CSQ" in assistant.text(sender, "I live in Lyon")
    assistant.say(sender, f"{ASSESSMENT_INJECTION} through the PRTQ")
    for payload in ('{"csq_program":"prtq"}', '{"csq_valid":"yes"}', '{"invitation_letter":"yes"}'):
        assistant.say(sender, "/inform" + payload)
    assert "you appear eligible" in assistant.text(sender, "I haven't applied yet")
    [row] = assessments_of(assistant, sender)
    assert json.loads(row[2]) == {
        "residence": "abroad",
        "csq_program": "prtq",
        "csq_valid": "yes",
        "invitation_letter": "yes",
        "pr_status": "not_applied",
    }
    assert {row.name for row in query(assistant, "SELECT name FROM sqlite_master WHERE type = 'table'")} >= {
        "events",
        "imp_assessments",
    }
    assert_still_fine(assistant, baseline)


def test_a_burst_of_100_messages_from_one_sender(assistant: Assistant, baseline: Snapshot) -> None:
    sender = "bad-burst"
    messages = [f"burst {index}: how long is the permit valid?" for index in range(100)]
    start = threading.Barrier(len(messages))

    def send(message: str) -> Reply:
        start.wait(timeout=60)
        return assistant.post_rest(json.dumps({"sender": sender, "message": message}).encode())

    with ThreadPoolExecutor(len(messages)) as pool:
        replies = list(pool.map(send, messages))
    answered = [
        m
        for m, r in zip(messages, replies, strict=True)
        if r.status == 200 and NOT_SAVED_MESSAGE not in reply_texts(r)
    ]
    for reply in replies:
        assert reply.status in (200, 429), reply
        if reply.status == 429:
            assert_clear_error(reply, 429)
        else:
            assert any("3 years" in text or text == NOT_SAVED_MESSAGE for text in reply_texts(reply)), reply
    # at least as many as may wait at once were answered; each answered message is stored once
    assert len(answered) >= MAX_PENDING_PER_SENDER
    stored = user_texts(assistant, sender)
    assert sorted(stored) == sorted(answered)
    # and the conversation goes on normally
    assert "3 years" in assistant.text(sender, "how long is the permit valid?")
    assert_still_fine(assistant, baseline)


# --- Telegram ---------------------------------------------------------------------------------


def tg_message(chat: int, **content: Any) -> dict[str, Any]:
    return {
        "message_id": next(_update_ids),
        "from": {"id": chat, "is_bot": False, "first_name": "Test", "language_code": "en"},
        "chat": {"id": chat, "type": "private", "first_name": "Test"},
        "date": int(time.time()),
        **content,
    }


def tg_text(chat: int, text: str) -> dict[str, Any]:
    return {"update_id": next(_update_ids), "message": tg_message(chat, text=text)}


def tg_say(assistant: Assistant, chat: int, text: str) -> None:
    ok = http(
        f"{assistant.url}/webhooks/telegram/webhook",
        raw(tg_text(chat, text)),
        {"Content-Type": "application/json", SECRET_HEADER: SECRET},
    )
    assert ok.status == 200 and ok.body["result"] == "processed", ok


@pytest.fixture(scope="module")
def probe_answer(assistant: Assistant, fake: FakeTelegram) -> list[str]:
    """What a new chat gets for PROBE."""
    chat = next(_chats)
    tg_say(assistant, chat, PROBE)
    texts = fake.texts_to(chat)
    assert any("3 years" in text for text in texts), texts
    return texts


@dataclass(frozen=True)
class TelegramCase:
    """One kind of bad update: (chat -> body bytes), expected status and whether Rasa gets it."""

    make: Callable[[int], bytes]
    status: int = 200
    processed: bool = False  # the text reached the assistant, which answered in the chat
    secret: str | None = SECRET
    method: str = "POST"


def raw(update: Any) -> bytes:
    return json.dumps(update).encode()


TELEGRAM_CASES: dict[str, TelegramCase] = {
    "oversized update (over 1 MB)": TelegramCase(
        lambda c: raw(tg_text(c, "x" * 100 + " " * (1024 * 1024))), 413
    ),
    "wrong secret token": TelegramCase(lambda c: raw(tg_text(c, "hello")), 403, secret="wrong"),
    "missing secret token": TelegramCase(lambda c: raw(tg_text(c, "hello")), 403, secret=None),
    "malformed JSON update": TelegramCase(lambda c: b'{"update_id": 1, "message": {', 400),
    "invalid UTF-8 update": TelegramCase(lambda c: b'{"update_id": 1, "message": "\xff"}', 400),
    "JSON list update": TelegramCase(lambda c: b"[1, 2, 3]", 200),
    "update without update_id": TelegramCase(lambda c: raw({"message": tg_message(c, text="hello")})),
    "message without chat": TelegramCase(
        lambda c: raw({"update_id": next(_update_ids), "message": {"message_id": 1, "text": "hello"}})
    ),
    "message without text or content": TelegramCase(
        lambda c: raw({"update_id": next(_update_ids), "message": tg_message(c)})
    ),
    "text is a number": TelegramCase(
        lambda c: raw({"update_id": next(_update_ids), "message": tg_message(c, text=7)})
    ),
    "chat id out of range": TelegramCase(
        lambda c: raw(
            {
                "update_id": next(_update_ids),
                "message": {**tg_message(c, text="hi"), "chat": {"id": 10**300, "type": "private"}},
            }
        )
    ),
    "NUL-only text": TelegramCase(lambda c: raw(tg_text(c, "\x00\x00"))),
    "SQL injection text": TelegramCase(lambda c: raw(tg_text(c, INJECTION)), processed=True),
    "HTML text": TelegramCase(lambda c: raw(tg_text(c, SCRIPT)), processed=True),
    "emoji and right-to-left text": TelegramCase(
        lambda c: raw(tg_text(c, "🙂 ما هي مدة صلاحية التصريح؟")), processed=True
    ),
    "button press with malformed payload JSON": TelegramCase(
        lambda c: raw(
            {
                "update_id": next(_update_ids),
                "callback_query": {
                    "id": f"cb-{c}",
                    "from": {"id": c, "is_bot": False, "first_name": "T"},
                    "message": tg_message(c, text="(question)"),
                    "chat_instance": "1",
                    "data": '/inform{"residence": "quebec"',
                },
            }
        ),
        processed=True,
    ),
    "GET instead of POST": TelegramCase(lambda c: b"", 405, method="GET"),
}


@pytest.mark.parametrize("name", list(TELEGRAM_CASES))
def test_bad_telegram_update(
    assistant: Assistant, fake: FakeTelegram, baseline: Snapshot, probe_answer: list[str], name: str
) -> None:
    case = TELEGRAM_CASES[name]
    chat = next(_chats)
    headers = {"Content-Type": "application/json", **({SECRET_HEADER: case.secret} if case.secret else {})}
    reply = http(f"{assistant.url}/webhooks/telegram/webhook", case.make(chat), headers, method=case.method)
    assert reply.status < 500, reply
    if case.status != 200:
        assert_clear_error(reply, case.status)
    else:
        assert reply.status == 200 and reply.body["ok"] is True, reply
        expected = "processed" if case.processed else "ignored"
        assert reply.body["result"].startswith(expected), reply
    if case.processed:
        assert fake.texts_to(chat), "no answer reached the chat"
        assert user_texts(assistant, str(chat))
        # Telegram still works
        chat = next(_chats)
        tg_say(assistant, chat, PROBE)
        assert fake.texts_to(chat) == probe_answer
    else:
        # Nothing reached Rasa or the chat, shown by a probe in the same chat rather than by
        # waiting: the webhook answers once an update is handled, and Rasa handles one
        # conversation's messages in order, so anything the bad update had started would be done
        # before the probe is answered. The chat holds the probe alone, and its answer. This
        # also shows that Telegram still works.
        tg_say(assistant, chat, PROBE)
        assert user_texts(assistant, str(chat)) == [PROBE]
        assert fake.texts_to(chat) == probe_answer
    # and so does everything else
    assert_still_fine(assistant, baseline)
