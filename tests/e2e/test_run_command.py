"""End to end: the README's run command starts both servers; we talk over REST and read SQL.

The conversations use the session's shared assistant (tests/conftest.py); the SIGINT test stops
the assistant, so it starts one of its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from actions.core.repository import AssessmentRepository, make_engine
from tests.assistant import SHARED, Assistant, run_assistant, wait_until

pytestmark = pytest.mark.e2e
API_TOKEN = SHARED.api_token  # starts with "-", as 1 random token in 64 does
assert API_TOKEN.startswith("-")


@pytest.fixture(scope="module")
def assistant(shared_assistant) -> Assistant:
    return Assistant.of(shared_assistant.assistant)


def test_first_answer_about_validity_says_three_years_with_source(assistant: Assistant) -> None:
    text = assistant.text("e2e-duration", "how long is the IMP+ permit valid?")
    assert "3 years" in text
    assert "Sources:" in text and "quebec.ca" in text


def test_a_francophone_gets_french_without_asking(assistant: Assistant) -> None:
    sender = "e2e-fr"
    assert "Bonjour" in assistant.text(sender, "bonjour")
    text = assistant.text(sender, "le permis est valide combien de temps?")
    assert "3 ans" in text and "Sources :" in text
    assert "Où vivez-vous" in assistant.text(sender, "suis-je admissible?")
    # switching language in the middle of the check, then back
    switched = assistant.text(sender, "in English please")
    assert "continue in English" in switched and "Where do you live" in switched
    assert "CSQ" in assistant.text(sender, "I live in Lyon")
    assert "français" in assistant.text(sender, "en français svp")
    verdict = ""
    for answer in ("oui, par le PRTQ", "oui", "oui", "non"):
        verdict = assistant.text(sender, answer)
    assert "vous semblez admissible" in verdict


def test_the_channel_language_sets_the_first_answer(assistant: Assistant) -> None:
    text = assistant.text("e2e-widget-fr", "/greet", metadata={"language": "fr"})
    assert text.startswith("Bonjour")


def test_another_language_gets_a_bilingual_answer(assistant: Assistant) -> None:
    text = assistant.text("e2e-es", "hola, necesito información sobre el permiso de trabajo")
    assert "English and French" in text and "l'anglais et le français" in text


def test_eligibility_check_in_free_text_is_stored(assistant: Assistant) -> None:
    sender = "e2e-eligibility"
    assert "Where do you live" in assistant.text(sender, "am I eligible for IMP+?")
    assert "CSQ" in assistant.text(sender, "I live in Lyon")
    assert "still valid" in assistant.text(sender, "yes, through the PRTQ")
    assert "letter of invitation" in assistant.text(sender, "yes it is")
    # a fact question in the middle of the form, then back to the question
    detour = assistant.text(sender, "how much does it cost?")
    assert "CAD 255" in detour and "letter of invitation" in detour
    assert "permanent residence" in assistant.text(sender, "yes I got it")
    verdict = assistant.text(sender, "I haven't applied yet")
    assert "you appear eligible" in verdict

    engine = make_engine(assistant.database_url)
    [stored] = AssessmentRepository(engine).for_conversation(sender)
    assert stored.verdict == "eligible"
    assert stored.answers["residence"] == "abroad"
    assert stored.answers["pr_status"] == "not_applied"
    with engine.connect() as connection:
        texts = [
            json.loads(row.data).get("text")
            for row in connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
                {"s": sender},
            )
        ]
    assert texts[0] == "am I eligible for IMP+?"
    assert "I haven't applied yet" in texts


def test_buttons_drive_the_check_to_a_verdict(assistant: Assistant) -> None:
    sender = "e2e-buttons"
    replies = assistant.say(sender, "/check_eligibility")
    payloads = [b["payload"] for r in replies for b in r.get("buttons", [])]
    assert '/inform{"residence":"quebec"}' in payloads
    assistant.say(sender, '/inform{"residence":"quebec"}')
    assistant.say(sender, '/inform{"csq_program":"prtq"}')
    assistant.say(sender, '/inform{"csq_valid":"yes"}')
    assistant.say(sender, '/inform{"invitation_letter":"no"}')
    verdict = assistant.text(sender, '/inform{"pr_status":"in_process"}')
    assert "you do not appear eligible" in verdict
    assert "bridging open work permit" in verdict


@pytest.mark.parametrize(
    ("message", "status"),
    [("", 400), ("   ", 400), ("\x00\x01", 400), ("'; DROP TABLE events; --", 200), ("🙂" * 50, 200)],
)
def test_odd_messages_get_an_answer_or_a_400_and_lose_nothing(
    assistant: Assistant, message: str, status: int
) -> None:
    sender = "e2e-odd"
    assistant.text(sender, "what is IMP+?")
    reply = assistant.post_rest(json.dumps({"sender": sender, "message": message}).encode())
    assert reply.status == status, reply
    assert isinstance(reply.body, list) if status == 200 else reply.body["error"]
    with make_engine(assistant.database_url).connect() as connection:
        count = connection.execute(
            sa.text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'"),
            {"s": sender},
        ).scalar_one()
    assert count >= 1


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_http_api_needs_the_token(assistant: Assistant) -> None:
    assistant.text("e2e-api", "hello")
    base = f"http://127.0.0.1:{assistant.port}"
    for path in ("/conversations/e2e-api/tracker", "/status", "/domain"):
        assert http_get(base + path)[0] == 401, path
        assert http_get(base + path + "?token=wrong")[0] == 401, path
    status, _, body = http_get(f"{base}/conversations/e2e-api/tracker?token={API_TOKEN}")
    assert status == 200
    assert json.loads(body)["latest_message"]["text"] == "hello"


def test_cors_allows_only_the_configured_origin(assistant: Assistant) -> None:
    url = f"http://127.0.0.1:{assistant.port}/"
    own = f"http://localhost:{assistant.port}"
    _, headers, _ = http_get(url, {"Origin": own})
    assert headers.get("Access-Control-Allow-Origin") == own
    _, headers, _ = http_get(url, {"Origin": "https://evil.example"})
    assert headers.get("Access-Control-Allow-Origin") in (None, "")


def group_left(process: subprocess.Popen) -> list[str]:
    """The processes left in run.sh's process group."""
    found = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True)
    return found.stdout.split()


def server_pid(process: subprocess.Popen, pattern: str) -> int:
    """The pid of run.sh's child whose command line matches `pattern`."""
    found = subprocess.run(["pgrep", "-P", str(process.pid), "-f", pattern], capture_output=True, text=True)
    return int(found.stdout.split()[0])


def test_sigint_stops_both_servers(tmp_path: Path) -> None:
    with run_assistant(tmp_path) as assistant:  # its own: this test stops it
        assert assistant.say("e2e-sigint", "hello")  # in use, as a server is when it is stopped
        os.kill(assistant.process.pid, signal.SIGINT)
        assert assistant.process.wait(timeout=120) == 0
        # run.sh waits for both servers before it exits; poll a little in case one is slow to go
        wait_until(
            lambda: group_left(assistant.process) == [], 30, "the assistant's process group to be empty", 0.2
        )
        assert "did not stop" not in assistant.log()


def test_a_server_that_ignores_sigterm_is_killed_after_the_stop_timeout(tmp_path: Path) -> None:
    with run_assistant(tmp_path, env={"IMP_STOP_TIMEOUT": "2"}) as assistant:
        rasa = server_pid(assistant.process, "rasa run --model")
        os.kill(rasa, signal.SIGSTOP)  # a stopped process cannot act on SIGTERM
        os.kill(assistant.process.pid, signal.SIGINT)
        assert assistant.process.wait(timeout=60) == 0
        wait_until(
            lambda: group_left(assistant.process) == [], 30, "the assistant's process group to be empty", 0.2
        )
        assert (
            f"The rasa server (pid {rasa}) did not stop within 2 s of SIGTERM: killing it" in assistant.log()
        )


def test_when_one_server_dies_run_sh_stops_the_other_and_fails(tmp_path: Path) -> None:
    with run_assistant(tmp_path) as assistant:
        os.kill(server_pid(assistant.process, "rasa run actions"), signal.SIGKILL)
        assert assistant.process.wait(timeout=60) == 1
        wait_until(
            lambda: group_left(assistant.process) == [], 30, "the assistant's process group to be empty", 0.2
        )
        assert "A server stopped unexpectedly." in assistant.log()
