"""Handoff round trip in headless Chromium: a widget user asks for a person, staff answer.

One page is the website widget (the user), a second one the staff console. Both talk to the real
assistant started by scripts/run.sh with IMP_STAFF_TOKEN set (the session's shared one,
tests/conftest.py).
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, expect

from actions.core.texts import Texts
from tests.assistant import SHARED
from tests.browser.conftest import Assistant, screenshot, watch

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000
TOKEN = SHARED.staff_token
TEXTS = Texts.load()
STAFF_REPLY = "Hello, this is Alice from the support team. How can I help?"
QUIET_MESSAGE = "Are you there? I have a question about my CSQ"
# The suggestion tests' messages: written for them (not from data/nlu), one conversation each.
FEES_QUESTION = "roughly what price will I pay to apply for this open work permit?"
FAMILY_QUESTION = "can my kids come along with me to Quebec?"
NONSENSE = "vlorp snazzle quimberwick dorf"
STAFF_GREETING = "Hi, Dana from the support team here."
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def contexts(browser) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    user = browser.new_context(viewport={"width": 1000, "height": 760}, locale="en-CA")
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    yield user, staff
    user.close()
    staff.close()


def handoff_rows(assistant: Assistant, sender_id: str) -> list[tuple[str, str, str, str | None]]:
    engine = sa.create_engine(assistant.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT channel, reason, status, taken_by FROM imp_handoffs WHERE sender_id = :s"),
                {"s": sender_id},
            )
            return [tuple(row) for row in rows]
    finally:
        engine.dispose()


def open_widget(page: Page, assistant: Assistant) -> None:
    page.goto(f"{assistant.url}/widget/demo.html")
    page.get_by_role("button", name="Open the IMP+ assistant chat").click()
    expect(page.locator(".msg.bot").first).to_contain_text("IMP+ assistant")


def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Your message")
    box.fill(text)
    box.press("Enter")


def session_id(page: Page) -> str:
    value = page.evaluate(
        """() => { for (const k of Object.keys(localStorage)) if (k.endsWith(":session"))
                     return JSON.parse(localStorage.getItem(k)); return null; }"""
    )
    assert isinstance(value, str) and value
    return value


def login(page: Page, assistant: Assistant, name: str) -> None:
    page.goto(f"{assistant.url}/staff/login")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Staff token").fill(TOKEN)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()


def reload_until_shown(staff: Page, handoff_url: str, text: str) -> None:
    """Reload the handoff's page until the user's message `text` is in its transcript."""
    deadline = time.monotonic() + 60
    while text not in staff.locator("#conversation").inner_text():
        assert time.monotonic() < deadline, f"the user's message {text!r} never reached the transcript"
        time.sleep(1)
        staff.goto(handoff_url)


def take_a_handoff(user: Page, staff: Page, assistant: Assistant, request: str, staff_name: str) -> str:
    """The widget user asks for a person with `request`, staff log in and take it: its page's URL."""
    open_widget(user, assistant)
    send(user, request)
    expect(user.locator(".msg.bot").filter(has_text="A person will answer you here")).to_have_count(1)
    sender = session_id(user)
    login(staff, assistant, staff_name)
    staff.goto(f"{assistant.url}/staff/handoffs")
    staff.locator("tr[data-handoff]").filter(has_text=sender).locator("a").first.click()
    staff.get_by_role("button", name="Take this conversation").click()
    expect(staff.locator("#handoff-status")).to_have_text(f"taken by {staff_name}")
    expect(user.locator(".msg.bot").filter(has_text=TEXTS.message("handoff_taken", "en"))).to_have_count(1)
    return staff.url.split("?")[0]


def post_without_session(url: str, fields: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def test_widget_user_gets_a_person_and_the_assistant_back(contexts, assistant: Assistant) -> None:
    user_context, staff_context = contexts
    user = user_context.new_page()
    user.set_default_timeout(TIMEOUT_MS)
    user_seen = watch(user)
    staff = staff_context.new_page()
    staff.set_default_timeout(TIMEOUT_MS)
    staff_seen = watch(staff)
    errors_at: list[str] = []  # where each console error came from
    staff.on(
        "console", lambda msg: errors_at.append(msg.location.get("url", "")) if msg.type == "error" else None
    )
    bot = user.locator(".msg.bot")

    # the user asks for a person and is told what happens next
    open_widget(user, assistant)
    send(user, "I want to talk to a real person")
    expect(bot.filter(has_text="A person will answer you here")).to_have_count(1)
    sender = session_id(user)
    assert handoff_rows(assistant, sender) == [("socketio", "asked", "open", None)]
    screenshot(user, "handoff-01-widget-asked")

    # staff see it in the queue and take it
    login(staff, assistant, "Alice")
    staff.get_by_role("link", name="Handoff queue", exact=True).click()
    row = staff.locator("tr[data-handoff]").filter(has_text=sender)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("asked for a person")
    expect(row).to_contain_text("open")
    screenshot(staff, "handoff-02-queue")
    row.locator("a").first.click()
    expect(staff.locator("#conversation")).to_contain_text("I want to talk to a real person")
    staff.get_by_role("button", name="Take this conversation").click()
    expect(staff.get_by_role("status")).to_contain_text("You have the conversation")
    expect(staff.locator("#handoff-status")).to_have_text("taken by Alice")
    expect(bot.filter(has_text=TEXTS.message("handoff_taken", "en"))).to_have_count(1)
    handoff_url = staff.url.split("?")[0]

    # while taken, the user's message is stored and shown to staff, with no bot reply (checked
    # once the staff reply, sent after this turn was stored, has reached the widget)
    replies_before = bot.count()
    send(user, QUIET_MESSAGE)
    expect(user.locator(".msg.user").filter(has_text=QUIET_MESSAGE)).to_have_count(1)
    reload_until_shown(staff, handoff_url, QUIET_MESSAGE)
    # the widget is told no answer is coming: no "typing" indicator, a person will answer
    expect(user.locator(".typing")).to_be_empty()
    expect(user.get_by_text("A person has this conversation and will answer here.")).to_be_visible()

    # a reply without the form's CSRF token, or without a session, is refused and never sent
    csrf = staff.locator("input[name=csrf]").first.get_attribute("value")
    denied = staff.request.post(f"{handoff_url}/reply", form={"text": "forged"}, max_redirects=0)
    assert denied.status == 403
    wrong = staff.request.post(
        f"{handoff_url}/reply", form={"text": "forged", "csrf": "x" * 32}, max_redirects=0
    )
    assert wrong.status == 403
    foreign = staff.request.post(
        f"{handoff_url}/reply",
        form={"text": "forged", "csrf": csrf},
        headers={"Origin": "https://evil.example"},
        max_redirects=0,
    )
    assert foreign.status == 403
    assert post_without_session(f"{handoff_url}/reply", {"text": "forged", "csrf": "x"}) == 401

    # the staff reply reaches the widget and the transcript
    staff.get_by_label("Your reply").fill(STAFF_REPLY)
    staff.get_by_role("button", name="Send").click()
    expect(staff.get_by_role("status")).to_have_text("Reply sent.")
    expect(bot.filter(has_text=STAFF_REPLY)).to_have_count(1)
    # The turn of QUIET_MESSAGE was stored (the transcript showed it) before the staff reply was
    # sent, and a bot reply is sent before its turn is stored; both reach the widget over one
    # socket.io connection, in order. So, the staff reply in, any bot reply would be in too: none.
    assert bot.count() == replies_before + 1 and STAFF_REPLY in bot.last.inner_text()
    expect(user.get_by_text("A person has this conversation and will answer here.")).to_have_count(0)
    assert bot.filter(has_text="forged").count() == 0
    screenshot(user, "handoff-03-widget-staff-reply")
    staff.locator("dd").get_by_role("link", name=sender).click()
    expect(staff.get_by_role("heading", name="Transcript")).to_be_visible()
    expect(staff.locator(".msg.user").filter(has_text=QUIET_MESSAGE)).to_have_count(1)
    staff_line = staff.locator(".msg.bot").filter(has_text=STAFF_REPLY)
    expect(staff_line).to_have_count(1)
    expect(staff_line).to_contain_text("Staff (Alice)")
    screenshot(staff, "handoff-04-transcript")

    # hand back: the user is told, and the assistant answers again
    staff.goto(handoff_url)
    staff.get_by_role("button", name="Hand back to the assistant").click()
    expect(staff.get_by_role("status")).to_contain_text("Handed back")
    expect(staff.locator("#handoff-status")).to_have_text("closed by Alice")
    expect(bot.filter(has_text=TEXTS.message("handoff_returned", "en"))).to_have_count(1)
    assert handoff_rows(assistant, sender) == [("socketio", "asked", "closed", "Alice")]
    send(user, "what are the fees?")
    expect(bot.filter(has_text="CAD")).to_have_count(1)
    staff.goto(f"{assistant.url}/staff/handoffs?status=closed")
    expect(staff.locator("tr[data-handoff]").filter(has_text=sender)).to_contain_text("closed")
    screenshot(user, "handoff-05-widget-back-to-bot")

    for seen in (user_seen, staff_seen):
        assert seen.errors == [] and seen.dialogs == []
    # Chromium asks every site for /favicon.ico, which the server does not have: nothing else
    assert [url for url in errors_at if not url.endswith("/favicon.ico")] == [], staff_seen.console_errors


def test_a_reply_sent_from_the_suggested_answer_reaches_the_widget(contexts, assistant: Assistant) -> None:
    user, staff = (context.new_page() for context in contexts)
    for page in (user, staff):
        page.set_default_timeout(TIMEOUT_MS)
    seen = [watch(user), watch(staff)]
    bot = user.locator(".msg.bot")
    handoff_url = take_a_handoff(
        user, staff, assistant, "I would like to speak with a person from your team please", "Dana"
    )
    suggestion = staff.locator("#suggestion")
    expect(suggestion).to_contain_text("No suggestion")  # nothing asked since the person joined

    # while taken, the user asks a fact question: staff see the assistant's sourced answer to it
    send(user, FEES_QUESTION)
    reload_until_shown(staff, handoff_url, FEES_QUESTION)
    expect(suggestion.get_by_role("heading", name="Suggested answer")).to_be_visible()
    expect(suggestion).to_contain_text(f"« {FEES_QUESTION} » · in English")
    expect(suggestion).to_contain_text(re.compile(r"confidence \d{2,3}% \(intent ask_fees\)"))
    expect(suggestion).to_contain_text(re.compile(r"as of \d{4}(-\d\d)* · last checked"))
    expect(staff.locator("#suggestion-text")).to_contain_text("CAD")
    expect(staff.locator("#suggestion-text")).to_contain_text("Sources:")
    assert staff.locator("#suggestion-sources li").count() >= 2
    expect(staff.get_by_label("Your reply")).to_have_value("")
    screenshot(staff, "handoff-06-suggestion")

    # "Use this answer" puts it in the reply box (no script: a GET of the page), to edit and send
    staff.get_by_role("button", name="Use this answer").click()
    reply = staff.get_by_label("Your reply")
    expect(reply).to_have_value(re.compile("CAD"))
    reply.fill(f"{STAFF_GREETING}\n\n{reply.input_value()}")
    staff.get_by_role("button", name="Send", exact=True).click()
    expect(staff.get_by_role("status")).to_have_text("Reply sent.")
    answer = bot.filter(has_text=STAFF_GREETING)
    expect(answer).to_have_count(1)
    expect(answer).to_contain_text("CAD")
    expect(answer).to_contain_text("Sources:")
    expect(staff.locator(".msg.bot").filter(has_text=STAFF_GREETING)).to_contain_text("Staff (Dana)")
    expect(suggestion).to_contain_text("No suggestion")  # answered: nothing new since
    screenshot(user, "handoff-07-widget-suggested-reply")
    for watched in seen:
        assert watched.errors == [] and watched.dialogs == [] and watched.console_errors == []


def test_nonsense_gets_no_suggestion_and_a_question_a_one_click_reply(contexts, assistant: Assistant) -> None:
    user, staff = (context.new_page() for context in contexts)
    for page in (user, staff):
        page.set_default_timeout(TIMEOUT_MS)
    bot = user.locator(".msg.bot")
    handoff_url = take_a_handoff(
        user, staff, assistant, "get me a human please, the bot is not helping", "Eve"
    )
    send(user, NONSENSE)
    reload_until_shown(staff, handoff_url, NONSENSE)
    expect(staff.locator("#no-suggestion")).to_contain_text("No suggestion")
    expect(staff.locator("#no-suggestion")).to_contain_text("no fact answers")
    expect(staff.get_by_role("button", name="Reply with this answer")).to_have_count(0)

    # a question after it: the newest message that a fact answers is suggested, sent in one click
    send(user, FAMILY_QUESTION)
    reload_until_shown(staff, handoff_url, FAMILY_QUESTION)
    expect(staff.locator("#suggestion")).to_contain_text(f"« {FAMILY_QUESTION} »")
    replies_before = bot.count()
    staff.get_by_role("button", name="Reply with this answer").click()
    expect(staff.get_by_role("status")).to_have_text("Reply sent.")
    expect(bot).to_have_count(replies_before + 1)
    expect(bot.last).to_contain_text("common-law partner")
    expect(bot.last).to_contain_text("Sources:")


def test_two_messages_not_understood_in_a_row_queue_the_conversation(contexts, assistant: Assistant) -> None:
    user = contexts[0].new_page()
    user.set_default_timeout(TIMEOUT_MS)
    open_widget(user, assistant)
    send(user, "zxqv blorptang frumious")
    expect(user.locator(".msg.bot").filter(has_text="didn't understand")).to_have_count(1)
    assert handoff_rows(assistant, session_id(user)) == []
    send(user, "qwop flurbish gnarvle")
    expect(user.locator(".msg.bot").filter(has_text="twice in a row")).to_have_count(1)
    assert handoff_rows(assistant, session_id(user)) == [("socketio", "not_understood", "open", None)]


def test_queue_pages_need_a_login(assistant: Assistant) -> None:
    assert post_without_session(f"{assistant.url}/staff/handoffs/1/take", {"csrf": "x"}) == 401
    assert post_without_session(f"{assistant.url}/staff/handoffs/1/close", {"csrf": "x"}) == 401
