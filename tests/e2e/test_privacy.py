"""End to end (scripts/run.sh, SQLite, REST): "delete my data", masked identifiers, quiet logs.

Every check of the database is made after the REST answer has come back, that is after the
turn has ended and the tracker store has saved it. The assistant is the session's shared one
(tests/conftest.py), at Rasa's default log levels.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import sqlalchemy as sa

from actions.core.repository import AssessmentRepository, make_engine
from tests.assistant import Assistant, http, wait_until

pytestmark = pytest.mark.e2e
# Tables that hold a conversation's personal data, and their conversation-id column.
PERSONAL = {
    "events": "sender_id",
    "imp_tracker_windows": "sender_id",
    "imp_assessments": "conversation_id",
    "imp_feedback": "sender_id",
    "imp_handoffs": "sender_id",
}


@pytest.fixture(scope="module")
def assistant(shared_assistant) -> Assistant:
    """The assistant as `make run` starts it (scripts/run.sh), at Rasa's default log levels."""
    return Assistant.of(shared_assistant.assistant)


REJECTED = "Telegram update rejected"  # a warning the Rasa server logs for an update without the secret


def logged_so_far(assistant: Assistant) -> str:
    """The log, once the Rasa server has written everything it had to write before now.

    A signal rather than a wait: the server logs a warning for a Telegram update without its
    secret, and its log lines reach the file in order (unbuffered), so once that warning is there,
    so is everything it logged before. The action server logs an action before it answers it, and
    the REST answers came back after the turns' actions.
    """
    before = assistant.log().count(REJECTED)
    reply = http(f"{assistant.url}/webhooks/telegram/webhook", b"{}", {"Content-Type": "application/json"})
    assert reply.status == 403, reply
    return wait_until(
        lambda: (log := assistant.log()).count(REJECTED) > before and log, 30, "the server's log line"
    )


def rows_of(assistant: Assistant, sender: str) -> dict[str, int]:
    """Rows of one conversation in every personal table that exists."""
    engine = make_engine(assistant.database_url)
    try:
        with engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            return {
                table: connection.execute(
                    sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :s"), {"s": sender}
                ).scalar_one()
                for table, column in PERSONAL.items()
                if table in tables
            }
    finally:
        engine.dispose()


def user_rows(assistant: Assistant, sender: str) -> list[dict]:
    engine = make_engine(assistant.database_url)
    try:
        with engine.connect() as connection:
            result = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
                {"s": sender},
            )
            return [json.loads(row.data) for row in result]
    finally:
        engine.dispose()


def vote(assistant: Assistant, sender: str) -> None:
    body = json.dumps({"sender_id": sender, "fact_id": "fees", "helpful": True}).encode()
    reply = http(
        f"{assistant.url}/widget/feedback", body, {"Content-Type": "application/json"}, method="POST"
    )
    assert reply.status == 201, reply.body


def eligibility_check(assistant: Assistant, sender: str) -> None:
    """A whole check in free text: it ends with an assessment row."""
    assert "Where do you live" in assistant.text(sender, "am I eligible for IMP+?")
    for answer in ("I live in Lyon", "yes, through the PRTQ", "yes it is", "yes I got it"):
        assistant.text(sender, answer)
    assert "you appear eligible" in assistant.text(sender, "I haven't applied yet")


def chat_with_data(assistant: Assistant, sender: str) -> None:
    assert "Hello" in assistant.text(sender, "hello")
    assert "CAD 255" in assistant.text(sender, "how much does it cost?")
    eligibility_check(assistant, sender)
    vote(assistant, sender)
    counts = rows_of(assistant, sender)
    assert counts["events"] > 20 and counts["imp_assessments"] == 1 and counts["imp_feedback"] == 1
    assert counts["imp_tracker_windows"] == 1


def test_confirmed_deletion_leaves_nothing_and_the_next_message_starts_afresh(assistant: Assistant) -> None:
    sender, other = f"privacy-{uuid.uuid4().hex[:8]}", f"privacy-other-{uuid.uuid4().hex[:8]}"
    chat_with_data(assistant, sender)
    chat_with_data(assistant, other)
    before_other = rows_of(assistant, other)

    replies = assistant.say(sender, "delete my data")
    assert "delete this conversation" in replies[0]["text"]
    assert [b["payload"] for b in replies[0]["buttons"]] == ["/affirm", "/deny"]
    assert rows_of(assistant, sender)["events"] > 20  # asking alone deletes nothing
    done = assistant.text(sender, "yes")
    assert "have been deleted" in done

    # the turn has ended (its answer came back): nothing of that conversation remains
    assert set(rows_of(assistant, sender).values()) == {0}, rows_of(assistant, sender)
    assert AssessmentRepository(make_engine(assistant.database_url)).for_conversation(sender) == []
    assert rows_of(assistant, other) == before_other
    # the same sender's next message is a new conversation
    assert "Hello" in assistant.text(sender, "hello")
    assert [row["text"] for row in user_rows(assistant, sender)] == ["hello"]
    assert rows_of(assistant, sender)["imp_assessments"] == 0


def test_declined_deletion_keeps_everything(assistant: Assistant) -> None:
    sender = f"privacy-keep-{uuid.uuid4().hex[:8]}"
    chat_with_data(assistant, sender)
    assert "delete this conversation" in assistant.text(sender, "erase everything you know about me")
    assert "haven't deleted anything" in assistant.text(sender, "/deny")
    counts = rows_of(assistant, sender)
    assert (
        counts["imp_assessments"] == 1 and counts["imp_feedback"] == 1 and counts["imp_tracker_windows"] == 1
    )
    texts = [row["text"] for row in user_rows(assistant, sender)]
    assert texts[0] == "hello" and texts[-2:] == ["erase everything you know about me", "/deny"]


def test_deletion_in_french_during_the_check(assistant: Assistant) -> None:
    sender = f"privacy-fr-{uuid.uuid4().hex[:8]}"
    assert "Où vivez-vous" in assistant.text(sender, "suis-je admissible au PMI+?")
    assistant.text(sender, "je vis à Lyon")
    confirm = assistant.text(sender, "effacez mes données svp")
    assert "Voulez-vous que j'efface" in confirm
    assert "C'est fait" in assistant.text(sender, "oui")
    assert set(rows_of(assistant, sender).values()) == {0}


def test_identifiers_are_masked_in_sql_and_understanding_is_unchanged(assistant: Assistant) -> None:
    with_pii, without = f"pii-{uuid.uuid4().hex[:8]}", f"pii-plain-{uuid.uuid4().hex[:8]}"
    question = "how much does it cost? reach me at jo.tremblay@example.com or 514-555-0199"
    plain = "how much does it cost? reach me at [email] or [phone]"
    replies = [{k: v for k, v in r.items() if k != "recipient_id"} for r in assistant.say(with_pii, question)]
    expected = [{k: v for k, v in r.items() if k != "recipient_id"} for r in assistant.say(without, plain)]
    assert replies == expected and "CAD 255" in replies[0]["text"]
    assistant.text(with_pii, "am I eligible?")
    assert "CSQ" in assistant.text(with_pii, "I live in Lyon, my UCI is 12-3456-7890 and passport AB123456")
    assistant.text(with_pii, "yes, through the PRTQ, file W123456789")
    rows = user_rows(assistant, with_pii)
    assert [row["text"] for row in rows] == [
        plain,
        "am I eligible?",
        "I live in Lyon, my UCI is [uci] and passport [passport]",
        "yes, through the PRTQ, file [application number]",
    ]
    assert (
        rows[0]["parse_data"]["intent"]["name"]
        == user_rows(assistant, without)[0]["parse_data"]["intent"]["name"]
    )
    assert rows[0]["parse_data"]["text"] == plain
    everything = json.dumps(rows)
    for secret in ("jo.tremblay", "555-0199", "3456-7890", "AB123456", "W123456789"):
        assert secret not in everything


def test_logs_at_the_default_level_hold_no_message_text(assistant: Assistant) -> None:
    marker = f"zebra{uuid.uuid4().hex[:10]}"
    email = f"{marker}@example.org"
    sender = f"logs-{uuid.uuid4().hex[:8]}"
    assistant.text(sender, f"hello {marker}, my e-mail is {email}")
    assistant.text(sender, f"I live in {marker}ville")
    assistant.text(sender, "what are the fees?")
    log = logged_so_far(assistant)
    assert "is ready" in log and "rasa" in log.lower()  # the servers' output is in this file
    assert marker not in log and email not in log and "e-mail is" not in log


async def widget_exchange(url: str, session_id: str, message: str, expected: str) -> list[dict]:
    """One message over the website widget's socket.io channel; the bot's answers up to `expected`."""
    import socketio  # python-socketio, installed with Rasa

    answers: list[dict] = []
    confirmed, answered = asyncio.Event(), asyncio.Event()
    client = socketio.AsyncClient()

    @client.on("session_confirm")
    async def on_confirm(data: object) -> None:
        confirmed.set()

    @client.on("bot_uttered")
    async def on_answer(data: dict) -> None:
        answers.append(data)
        if expected in (data.get("text") or ""):
            answered.set()

    await client.connect(url, transports=["polling"])
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), timeout=60)  # in the session's room: answers reach us
        await client.emit("user_uttered", {"message": message, "session_id": session_id})
        await asyncio.wait_for(answered.wait(), timeout=60)
    finally:
        await client.disconnect()
    return answers


def test_identifiers_are_masked_on_the_widget_channel_too(assistant: Assistant) -> None:
    session_id = uuid.uuid4().hex
    message = "how much does it cost? reach me at lea.roy@example.com or 438-555-0142"
    answers = asyncio.run(widget_exchange(assistant.url, session_id, message, "CAD 255"))
    assert any("CAD 255" in (answer.get("text") or "") for answer in answers), answers
    # the turn is stored after its answers were sent: wait for it, then it must be the only one
    [row] = wait_until(lambda: user_rows(assistant, session_id), 60, "the widget turn to be stored", 0.2)
    assert row["text"] == "how much does it cost? reach me at [email] or [phone]"
    assert row["input_channel"] == "socketio"
    assert "lea.roy" not in json.dumps(row) and "555-0142" not in json.dumps(row)
