"""Change notices in headless Chromium: a widget user subscribes, staff save a fact with "notify
subscribers" ticked, and the notice is in the chat at the user's next visit.

One page is the website widget (the user), a second one the staff console, both on the session's
shared assistant (tests/conftest.py). The edited fact is put back afterwards, and the user stops
their notices, so other tests see neither.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from actions.core.notices import fact_notice
from actions.core.texts import Texts
from tests.browser.conftest import Assistant, screenshot, watch
from tests.browser.test_handoff import login, open_widget, send, session_id
from tests.channels.test_notices_telegram import rows

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000
TEXTS = Texts.load()
FACT = "permit_type"
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def contexts(browser) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    user = browser.new_context(viewport={"width": 1000, "height": 760}, locale="en-CA")
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    yield user, staff
    user.close()
    staff.close()


@pytest.fixture
def facts(shared_facts: Path) -> Path:
    """The shared assistant's facts file (put back after the test)."""
    return shared_facts


def test_a_widget_subscriber_finds_the_notice_at_the_next_visit(
    contexts, assistant: Assistant, facts: Path
) -> None:
    user_context, staff_context = contexts
    user = user_context.new_page()
    user.set_default_timeout(TIMEOUT_MS)
    user_seen = watch(user)
    bot = user.locator(".msg.bot")

    open_widget(user, assistant)
    send(user, "can this chat give me a heads-up next time something about IMP+ changes?")
    expect(bot.filter(has_text=TEXTS.message("notices_subscribed", "en")[:40])).to_have_count(1)
    sender = session_id(user)
    [subscription] = rows(assistant, "imp_notice_subscriptions", sender)
    assert (subscription["channel"], subscription["language"]) == ("socketio", "en")
    screenshot(user, "notices-01-subscribed")
    user.close()  # the visitor leaves

    staff = staff_context.new_page()
    staff.set_default_timeout(TIMEOUT_MS)
    staff_seen = watch(staff)
    login(staff, assistant, "Nora")
    staff.goto(f"{assistant.url}/staff/facts/{FACT}")
    answer = staff.get_by_label("Answer (English)")
    answer.fill(answer.input_value() + " Staff note: confirmed with IRCC.")
    staff.get_by_label("Notify subscribers", exact=False).check()
    staff.get_by_role("button", name="Save", exact=True).click()
    status = staff.get_by_role("status")
    expect(status).to_contain_text("Saved.")
    expect(status).to_contain_text("waiting for the person's next visit")
    screenshot(staff, "notices-02-console-notified")
    [notice] = rows(assistant, "imp_notices", sender)
    assert notice["delivered_at"] is None and notice["fact_id"] == FACT

    # the next visit, in the same browser: the notice arrives once
    back = user_context.new_page()
    back.set_default_timeout(TIMEOUT_MS)
    back_seen = watch(back)
    back.goto(f"{assistant.url}/widget/demo.html")
    back.get_by_role("button", name="Open the IMP+ assistant chat").click()
    notice_text = fact_notice(FACT, date.today(), "en")
    expect(back.locator(".msg.bot").filter(has_text=notice_text)).to_have_count(1)
    screenshot(back, "notices-03-widget-notice")
    assert session_id(back) == sender
    [delivered] = rows(assistant, "imp_notices", sender)
    assert delivered["delivered_at"] is not None

    send(back, "ok you can stop the notifications now")
    expect(back.locator(".msg.bot").filter(has_text=TEXTS.message("notices_stopped", "en"))).to_have_count(1)
    assert rows(assistant, "imp_notice_subscriptions", sender) == []
    for seen in (user_seen, staff_seen, back_seen):
        assert seen.errors == [] and seen.console_errors == [] and seen.dialogs == []
