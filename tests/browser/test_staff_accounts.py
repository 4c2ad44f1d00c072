"""Named staff accounts in headless Chromium, against the session's shared assistant (scripts/run.sh).

The shared configuration turns on both logins (tests/assistant.py): named accounts, created here in
the assistant's database with names of this run, and the opt-in shared token the other console
tests use. Shown: an agent refused the facts and accounts pages, an editor allowed the facts but
refused the accounts, an admin adding an account and reading the audit log, an account throttled
after five failed logins, and "log out everywhere" ending another browser's session.
Screenshots go to tests/artifacts/accounts-*.png.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from actions.core.repository import make_engine
from actions.core.staff_accounts import Role, StaffAccounts
from tests.browser.conftest import Assistant, screenshot, watch

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000
RUN = uuid.uuid4().hex[:8]
PASSWORD = "browser test password " + RUN
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def accounts(assistant: Assistant) -> Iterator[dict[Role, str]]:
    """An agent, an editor and an admin account in the assistant's database."""
    store = StaffAccounts(make_engine(assistant.database_url))
    names = {role: f"{role.value}-{RUN}" for role in Role}
    for role, name in names.items():
        store.add(name, role, PASSWORD, actor="browser-test")
    yield names
    store.engine.dispose()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.seen = watch(page)
    yield page
    context.close()


def sign_in(page: Page, assistant: Assistant, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{assistant.url}/staff/login")
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def expect_refused(page: Page, assistant: Assistant, path: str, needed: str) -> None:
    reply = page.goto(f"{assistant.url}{path}")
    assert reply.status == 403, path
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text(f"needs the {needed} role")).to_be_visible()


def test_an_agent_is_refused_the_facts_and_the_accounts(page: Page, assistant: Assistant, accounts) -> None:
    sign_in(page, assistant, accounts[Role.AGENT])
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    expect(page.locator("header")).to_contain_text(f"{accounts[Role.AGENT]} (agent)")
    navigation = page.get_by_role("navigation", name="Console")
    expect(navigation.get_by_role("link", name="Handoff queue")).to_be_visible()
    expect(navigation.get_by_role("link", name="Facts")).to_have_count(0)
    expect(navigation.get_by_role("link", name="Accounts")).to_have_count(0)
    page.goto(f"{assistant.url}/staff/handoffs")
    expect(page.get_by_role("heading", name="Handoff queue")).to_be_visible()
    expect_refused(page, assistant, "/staff/facts", "editor")
    screenshot(page, "accounts-01-agent-refused-facts")
    expect_refused(page, assistant, "/staff/facts/fees", "editor")
    expect_refused(page, assistant, "/staff/accounts", "admin")
    expect_refused(page, assistant, "/staff/audit", "admin")
    assert page.request.get(f"{assistant.url}/staff/api/fact-changes").status == 403


def test_an_editor_opens_the_facts_but_not_the_accounts(page: Page, assistant: Assistant, accounts) -> None:
    sign_in(page, assistant, accounts[Role.EDITOR])
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    page.goto(f"{assistant.url}/staff/facts")
    expect(page.get_by_role("heading", name="Facts", exact=True)).to_be_visible()
    page.goto(f"{assistant.url}/staff/facts/fees")
    expect(page.get_by_role("heading", name="Fact fees")).to_be_visible()
    expect_refused(page, assistant, "/staff/accounts", "admin")
    screenshot(page, "accounts-02-editor-refused-accounts")


def test_an_admin_adds_an_account_and_reads_the_audit_log(page: Page, assistant: Assistant, accounts) -> None:
    sign_in(page, assistant, accounts[Role.ADMIN])
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
    new = f"new-{RUN}"
    page.get_by_label("Account name").fill(new)
    page.get_by_label("Role", exact=True).select_option("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_role("status")).to_have_text("Account added.")
    row = page.locator(f'tr[data-account="{new}"]')
    expect(row).to_contain_text("editor")
    expect(row).to_contain_text("active")
    row.get_by_label(f"Role of {new}").select_option("agent")
    row.get_by_role("button", name="Change role").click()
    expect(page.locator(f'tr[data-account="{new}"]')).to_contain_text("agent")
    screenshot(page, "accounts-03-accounts")

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    newest = page.locator("tr[data-audit]").first
    expect(newest).to_contain_text("account_role")
    expect(newest).to_contain_text(accounts[Role.ADMIN])
    expect(newest).to_contain_text(new)
    expect(page.locator("tr[data-audit]").filter(has_text="account_add").filter(has_text=new)).to_have_count(
        1
    )
    screenshot(page, "accounts-04-audit-log")


def test_five_failed_logins_lock_the_account_for_a_while(page: Page, assistant: Assistant, accounts) -> None:
    name = f"locked-{RUN}"
    store = StaffAccounts(make_engine(assistant.database_url))
    store.add(name, Role.AGENT, PASSWORD, actor="browser-test")
    store.engine.dispose()
    for _ in range(5):
        sign_in(page, assistant, name, "not the password at all")
        expect(page.get_by_role("alert")).to_contain_text("Wrong account name or password")
    page.goto(f"{assistant.url}/staff/login")
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)  # the right password, too late
    with page.expect_response(lambda reply: reply.request.method == "POST") as refused:
        page.get_by_role("button", name="Sign in").click()
    assert refused.value.status == 429
    expect(page.get_by_role("alert")).to_contain_text("Too many failed logins")
    assert page.context.cookies() == []
    screenshot(page, "accounts-05-throttled")
    sign_in(page, assistant, accounts[Role.AGENT])  # another account from the same address
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()


def test_log_out_everywhere_ends_the_other_browsers_session(browser, assistant: Assistant, accounts) -> None:
    contexts = [browser.new_context() for _ in range(2)]
    try:
        first, second = (context.new_page() for context in contexts)
        for page in (first, second):
            page.set_default_timeout(TIMEOUT_MS)
            sign_in(page, assistant, accounts[Role.EDITOR])
            expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
        first.get_by_role("button", name="Log out everywhere").click()
        expect(first.get_by_role("heading", name="Log in")).to_be_visible()
        second.goto(f"{assistant.url}/staff/facts")
        expect(second).to_have_url(f"{assistant.url}/staff/login")
        sign_in(second, assistant, accounts[Role.EDITOR])  # a new login works
        expect(second.get_by_role("heading", name="Conversations")).to_be_visible()
    finally:
        for context in contexts:
            context.close()
