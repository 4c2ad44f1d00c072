"""The staff console in headless Chromium, against the real assistant (scripts/run.sh).

The assistant is the session's shared one (tests/conftest.py): IMP_STAFF_TOKEN set and
IMP_FACTS_PATH on a temporary copy of the facts file, so editing a fact never touches
data/knowledge/facts.yml; a test that edits a fact puts the copy back as it was (`restore_facts`),
as other tests on that server expect the seeded answers. Each test sends the messages it looks
for (its own conversation ids and nonsense words), so the tests pass in any order. Screenshots go
to tests/artifacts/console-*.png.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from actions.core.repository import make_engine
from actions.core.tables import ASSESSMENTS, FEEDBACK
from bench.console_pages import seed, sender
from rasa_plugins.channels.console.auth import COOKIE, new_session, sign_session
from tests.assistant import SHARED
from tests.browser.conftest import ARTIFACTS, AXE, Assistant, screenshot, watch
from tests.core.test_console_queries import insert, user

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000
TOKEN = SHARED.staff_token
SECRET = SHARED.staff_secret
SENDER = "console-e2e-" + uuid.uuid4().hex[:12]
# Words no other test sends to the shared assistant: searches and counts see only ours.
NONSENSE = "zxqv vlumquist frumious"
SEARCHED = "vlumquist"
NOT_UNDERSTOOD = "plonk zarbvex quindle"
NEW_ANSWER = "The IMP+ work permit is valid for 7 years (seven years), according to the console test."
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def console(shared_assistant) -> tuple[Assistant, Path]:
    return Assistant.of(shared_assistant.assistant), shared_assistant.facts


@pytest.fixture
def restore_facts(console) -> Iterator[None]:
    """Put the facts file back as it was after a test that edits it (the server re-reads it)."""
    facts = console[1]
    before = facts.read_bytes()
    yield
    if facts.read_bytes() != before:
        temporary = facts.with_name(facts.name + ".restore")
        temporary.write_bytes(before)
        os.replace(temporary, facts)


@pytest.fixture(scope="module")
def assistant(console) -> Assistant:
    return console[0]


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.seen = watch(page)
    yield page
    context.close()


def rest(assistant: Assistant, sender: str, message: str) -> str:
    request = urllib.request.Request(
        f"{assistant.url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as reply:
        return "\n".join(m.get("text", "") for m in json.load(reply))


def get(url: str, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=60) as reply:
            return reply.status, dict(reply.headers), reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def login(page: Page, assistant: Assistant, name: str = "Test Staff") -> None:
    page.goto(f"{assistant.url}/staff/login")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Staff token").fill(TOKEN)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()


def assert_clean(page: Page) -> None:
    assert page.seen.errors == [] and page.seen.console_errors == [] and page.seen.dialogs == []


def test_denied_without_login(page: Page, assistant: Assistant) -> None:
    for path in ["/staff/api/conversations", "/staff/api/votes", "/staff/api/fact-changes"]:
        status, headers, body = get(assistant.url + path)
        assert status == 401, path
        assert json.loads(body) == {"error": "log in first"}
    status, headers, _ = get(f"{assistant.url}/staff/conversations")
    assert status == 303 and headers["Location"] == "/staff/login"
    status, headers, _ = get(f"{assistant.url}/staff/facts/permit_duration")
    assert status == 303
    page.goto(f"{assistant.url}/staff/transcript?id=x")
    expect(page).to_have_url(f"{assistant.url}/staff/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Your name").fill("Mallory")
    page.get_by_label("Staff token").fill("wrong-token")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong staff token.")
    assert page.context.cookies() == []
    screenshot(page, "console-01-login")


def test_login_conversations_and_transcript(page: Page, assistant: Assistant) -> None:
    assert "3 years" in rest(assistant, SENDER, "how long is the permit valid?")
    rest(assistant, SENDER, NONSENSE)
    login(page, assistant)
    [cookie] = page.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (
        COOKIE,
        True,
        "Strict",
        "/staff",
    )
    reply = page.goto(f"{assistant.url}/staff/conversations")
    csp = reply.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert page.locator("script").count() == 0
    page.get_by_label("Text").fill(SEARCHED)
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has_text=SENDER)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("rest")
    expect(page.get_by_role("row")).to_have_count(2)  # header + our conversation only
    screenshot(page, "console-02-conversations")
    row.get_by_role("link", name=SENDER).click()
    expect(page.get_by_role("heading", name="Transcript")).to_be_visible()
    messages = page.locator(".msg")
    # (has_text ignores case: the fallback's topic buttons, shown in the bot message, are bot lines)
    expect(page.locator(".msg.user").filter(has_text="how long is the permit valid?")).to_have_count(1)
    expect(page.locator(".msg.bot").filter(has_text="3 years").first).to_be_visible()
    expect(page.locator(".msg.user").filter(has_text=NONSENSE)).to_have_count(1)
    texts = messages.all_inner_texts()
    assert texts.index(next(t for t in texts if "permit valid?" in t)) < texts.index(
        next(t for t in texts if NONSENSE in t)
    )
    assert messages.first.locator("time").count() == 1
    screenshot(page, "console-03-transcript")
    # the JSON API answers with the session
    data = page.request.get(f"{assistant.url}/staff/api/conversations?q={SEARCHED}").json()
    assert [c["sender_id"] for c in data] == [SENDER]
    assert_clean(page)


def test_not_understood_lists_the_nonsense(page: Page, assistant: Assistant) -> None:
    sender = "console-nu-" + uuid.uuid4().hex[:12]
    assert "3 years" in rest(assistant, sender, "how long is the permit valid?")
    rest(assistant, sender, NOT_UNDERSTOOD)
    rest(assistant, sender + "-b", NOT_UNDERSTOOD.upper())
    login(page, assistant)
    page.get_by_role("link", name="Not understood", exact=True).click()
    messages = page.locator("#not-understood-messages")  # (the chart's table may list it too)
    row = messages.get_by_role("row").filter(has_text=NOT_UNDERSTOOD)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("2")  # grouped case-insensitively
    expect(page.get_by_role("row").filter(has_text="how long is the permit valid?")).to_have_count(0)
    screenshot(page, "console-04-not-understood")
    for name, heading in [("Assessments", "Assessments"), ("Votes", "Was this helpful?")]:
        page.get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    assert_clean(page)


def test_ask_box_gives_the_answer_with_its_source(page: Page, assistant: Assistant) -> None:
    login(page, assistant)
    page.get_by_role("link", name="Ask", exact=True).click()
    page.get_by_label("Question").fill("how long is the permit valid?")
    page.get_by_role("button", name="Ask").click()
    answer = page.locator("#answer-text")
    expect(answer).to_contain_text("3 years")
    expect(answer).to_contain_text("Sources:")
    expect(page.locator(".sources li").first).to_be_visible()
    expect(page.get_by_text("ask_permit_duration")).to_be_visible()
    screenshot(page, "console-05-ask")
    page.get_by_label("Question").fill("how long is the permit valid?")
    page.get_by_label("Answer in").select_option("fr")
    page.get_by_role("button", name="Ask").click()
    expect(page.locator("#answer-text")).to_contain_text("3 ans")
    page.get_by_label("Question").fill("what is the weather on Mars tomorrow?")
    page.get_by_label("Answer in").select_option("en")
    page.get_by_role("button", name="Ask").click()
    expect(page.get_by_text("no fact answers this intent")).to_be_visible()
    assert_clean(page)


def test_editing_a_fact_changes_the_answer_at_once(page: Page, console, restore_facts) -> None:
    assistant, facts = console
    login(page, assistant, name="Fact Editor")
    page.get_by_role("link", name="Facts", exact=True).click()
    page.locator("table:not(.log)").get_by_role("link", name="permit_duration", exact=True).click()
    expect(page.get_by_role("heading", name="Fact permit_duration")).to_be_visible()
    page.get_by_label("Answer (English)").fill(NEW_ANSWER)
    page.get_by_label("As of").fill("2026-11-25")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    assert NEW_ANSWER in " ".join(facts.read_text(encoding="utf-8").split())
    # over REST, right away, without retraining
    answer = rest(assistant, "console-after-edit-" + uuid.uuid4().hex[:8], "how long is the permit valid?")
    assert "7 years" in answer and "3 years" not in answer, answer
    assert "25 November 2026" in answer
    page.get_by_role("link", name="Facts", exact=True).click()
    log = page.locator("table.log")
    row = log.get_by_role("row").filter(has_text="Fact Editor")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("permit_duration")
    expect(row.locator("ins")).to_contain_text("7 years")
    expect(row.locator("del")).to_contain_text("3 years")
    expect(row).to_contain_text("2022 → 2026-11-25")
    log.scroll_into_view_if_needed()
    screenshot(page, "console-06-fact-log")
    changes = page.request.get(f"{assistant.url}/staff/api/fact-changes").json()
    assert changes[0]["staff_name"] == "Fact Editor" and changes[0]["new"]["as_of"] == "2026-11-25"
    assert_clean(page)


def test_facts_due_for_review_are_listed_and_marking_one_checked_is_logged(
    page: Page, console, restore_facts
) -> None:
    assistant, facts = console
    today = time.strftime("%Y-%m-%d")
    login(page, assistant, name="Fact Checker")
    page.get_by_role("link", name="Facts", exact=True).click()
    due = page.locator("ol.due")
    expect(due.get_by_role("link", name="fees", exact=True)).to_be_visible()
    before = rest(assistant, "console-before-check-" + uuid.uuid4().hex[:8], "how much are the fees?")
    assert "not yet checked against the official page" in before and "⚠️" in before, before
    due.get_by_role("link", name="fees", exact=True).click()
    page.get_by_role("button", name="Mark checked today").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.get_by_label("Last checked")).to_have_value(today)
    assert f'checked: "{today}"' in facts.read_text(encoding="utf-8")
    after = rest(assistant, "console-after-check-" + uuid.uuid4().hex[:8], "how much are the fees?")
    assert "last checked against the official page" in after and "⚠️" not in after, after
    page.get_by_role("link", name="Facts", exact=True).click()
    expect(page.locator("ol.due").get_by_role("link", name="fees", exact=True)).to_have_count(0)
    row = page.locator("table.log").get_by_role("row").filter(has_text="Fact Checker")
    expect(row).to_contain_text(f"checked: never → {today}")
    screenshot(page, "console-06b-fact-checked")
    assert_clean(page)


def test_an_invalid_edit_is_refused_and_changes_nothing(page: Page, console, restore_facts) -> None:
    assistant, facts = console
    before = facts.read_text(encoding="utf-8")
    login(page, assistant)
    page.goto(f"{assistant.url}/staff/facts/fees")
    page.get_by_label("As of").evaluate("input => input.removeAttribute('pattern')")
    page.get_by_label("As of").fill("2023-02-30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("does not exist")
    screenshot(page, "console-07-invalid-edit")
    assert facts.read_text(encoding="utf-8") == before


def test_posts_without_csrf_token_or_from_another_origin_are_rejected(
    page: Page, console, restore_facts
) -> None:
    assistant, facts = console
    before = facts.read_text(encoding="utf-8")
    login(page, assistant)
    page.goto(f"{assistant.url}/staff/facts/permit_duration")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    version = page.locator("input[name=version]").get_attribute("value")
    form = {"answer_en": "Hacked: 1 year.", "answer_fr": "Piraté.", "as_of": "2020", "sources": "seed"}
    url = f"{assistant.url}/staff/facts/permit_duration"
    missing = page.request.post(url, form={**form, "version": version}, max_redirects=0)
    assert missing.status == 403
    wrong = page.request.post(url, form={**form, "version": version, "csrf": "x" * 32}, max_redirects=0)
    assert wrong.status == 403
    foreign = page.request.post(
        url,
        form={**form, "version": version, "csrf": csrf},
        headers={"Origin": "http://evil.example"},
        max_redirects=0,
    )
    assert foreign.status == 403
    null_origin = page.request.post(
        url, form={**form, "version": version, "csrf": csrf}, headers={"Origin": "null"}, max_redirects=0
    )
    assert null_origin.status == 403
    ask = page.request.post(f"{assistant.url}/staff/ask", form={"question": "fees?"}, max_redirects=0)
    assert ask.status == 403
    assert facts.read_text(encoding="utf-8") == before
    # the same request with the token from the page's own origin is accepted
    ok = page.request.post(
        url,
        form={
            **form,
            "version": version,
            "csrf": csrf,
            "answer_en": NEW_ANSWER,
            "sources": "seed, quebec_ca",
        },
        headers={"Origin": assistant.url},
        max_redirects=0,
    )
    assert ok.status == 303


def test_expired_tampered_and_logged_out_sessions_are_refused(page: Page, assistant: Assistant) -> None:
    expired = new_session("Old Staff", 30, now=time.time() - 31 * 60)
    for cookie in [
        sign_session(SECRET.encode(), expired),
        sign_session(b"another-secret", new_session("Eve", 30)),
        sign_session(SECRET.encode(), new_session("Eve", 30))[:-2] + "AA",
        "garbage",
    ]:
        status, _, _body = get(f"{assistant.url}/staff/api/votes", cookie)
        assert status == 401, cookie
        assert get(f"{assistant.url}/staff/votes", cookie)[0] == 303
    # the browser with the expired cookie lands on the login page
    page.context.add_cookies(
        [{"name": COOKIE, "value": sign_session(SECRET.encode(), expired), "url": assistant.url + "/staff"}]
    )
    page.goto(f"{assistant.url}/staff/votes")
    expect(page).to_have_url(f"{assistant.url}/staff/login")
    screenshot(page, "console-08-expired")
    # a valid session works until logout, then is refused even if replayed
    valid = sign_session(SECRET.encode(), new_session("Replay", 30))
    assert get(f"{assistant.url}/staff/api/votes", valid)[0] == 200
    page.context.clear_cookies()
    page.context.add_cookies([{"name": COOKIE, "value": valid, "url": assistant.url + "/staff"}])
    page.goto(f"{assistant.url}/staff/votes")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{assistant.url}/staff/login")
    assert get(f"{assistant.url}/staff/api/votes", valid)[0] == 401


# --- in-process checks of the channel (no server needed) ----------------------------------------


class FakeRequest:
    def __init__(self, headers=None, host="localhost:5005", method="GET") -> None:
        self.headers = headers or {}
        self.host = host
        self.method = method
        self.cookies = {}
        self.body = b""


def run_in_thread(coroutine):
    # Playwright's sync API keeps an event loop running in this thread.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_without_a_token_every_route_answers_503() -> None:
    from rasa_plugins.channels.console.channel import StaffConsole

    console = StaffConsole(token="", secret="s")

    async def never_called(*args, **kwargs):
        raise AssertionError("the handler ran without a token")

    api = run_in_thread(console.guarded(never_called, api=True)(FakeRequest()))
    assert api.status == 503 and b"not configured" in api.body
    page = run_in_thread(console.guarded(never_called)(FakeRequest()))
    assert page.status == 503 and b"not configured" in page.body
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_session_signing_and_origin_rules() -> None:
    from rasa_plugins.channels.console.auth import read_session
    from rasa_plugins.channels.console.channel import StaffConsole

    secret = b"k" * 32
    session = new_session("Ana", 30, now=1000.0)
    cookie = sign_session(secret, session)
    assert read_session(secret, cookie, now=1001.0) == session
    assert read_session(secret, cookie, now=1000.0 + 30 * 60) is None  # expired
    assert read_session(b"other", cookie, now=1001.0) is None
    _payload, signature = cookie.split(".")
    forged = sign_session(b"other", {**session, "name": "Eve"}).split(".")[0] + "." + signature
    assert read_session(secret, forged, now=1001.0) is None
    allowed = StaffConsole.origin_allowed
    assert allowed(FakeRequest({"origin": "http://localhost:5005"}))
    assert allowed(FakeRequest({"origin": "https://LOCALHOST:5005"}))
    assert allowed(FakeRequest({}))  # no Origin, no Referer: not a browser form
    assert allowed(FakeRequest({"referer": "http://localhost:5005/staff/facts"}))
    for origin in [
        "http://evil.example",
        "null",
        "http://localhost:5006",
        "http://localhost:5005.evil.example",
    ]:
        assert not allowed(FakeRequest({"origin": origin})), origin
    assert not allowed(FakeRequest({"referer": "http://evil.example/staff"}))


def test_the_next_page_link_reaches_conversations_beyond_the_first_200(
    page: Page, assistant: Assistant
) -> None:
    prefix = "pages-" + uuid.uuid4().hex[:8]
    engine = make_engine(assistant.database_url)
    seed(engine, 260, prefix=prefix)  # the newest conversations: 259 first, then down to 0
    engine.dispose()
    login(page, assistant)
    page.goto(f"{assistant.url}/staff/conversations?size=200")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(200)
    expect(rows.first).to_contain_text(sender(259, prefix))
    old = sender(10, prefix)  # the 250th newest: not on the first page
    expect(page.get_by_role("link", name=old)).to_have_count(0)
    expect(page.locator("#page-previous")).to_have_count(0)
    page.locator("#page-next").click()
    expect(page).to_have_url(re.compile(r"/staff/conversations\?size=200&after=\d+$"))
    expect(page.get_by_role("link", name=old)).to_have_count(1)
    expect(rows.first).to_contain_text(sender(59, prefix))
    screenshot(page, "console-04-next-page")
    page.locator("#page-previous").click()
    expect(rows.first).to_contain_text(sender(259, prefix))
    expect(rows).to_have_count(200)
    status, _, body = get(
        f"{assistant.url}/staff/conversations?after=abc", page.context.cookies()[0]["value"]
    )
    assert status == 400 and "cursor" in body
    assert_clean(page)


# --- charts ---------------------------------------------------------------------------------------


def serious_axe_violations(page: Page, name: str) -> list[dict]:
    """axe-core's serious and critical violations on the page (its context must bypass the CSP to
    inject axe); all of them are kept in tests/artifacts/axe-<name>.json."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        """async () => {
             const r = await axe.run(document, {resultTypes: ["violations"]});
             return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
           }"""
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(results, indent=2))
    return [v for v in results if v["impact"] in ("serious", "critical")]


def seed_chart_data(database_url: str, tag: str, first: date) -> None:
    """Assessments, not-understood messages and votes of our own, on days no other test uses."""
    days = [
        datetime(d.year, d.month, d.day, 12, tzinfo=timezone.utc)
        for d in (first + timedelta(n) for n in range(3))
    ]
    verdicts = [(0, "eligible"), (0, "eligible"), (0, "not_eligible"), (2, "eligible"), (2, "cannot_tell")]
    votes = [(f"{tag}-fees", True)] * 30 + [(f"{tag}-fees", False)] * 10 + [(f"{tag}-cap", True)] * 5
    votes += [(f"{tag}-cap", False)] * 30
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(ASSESSMENTS),
                [
                    {
                        "conversation_id": f"{tag}-{n}",
                        "answers": "{}",
                        "verdict": verdict,
                        "criteria": "[]",
                        "created_at": days[day] + timedelta(minutes=n),
                    }
                    for n, (day, verdict) in enumerate(verdicts)
                ],
            )
            connection.execute(
                sa.insert(FEEDBACK),
                [
                    {"sender_id": tag, "fact_id": fact, "helpful": helpful, "created_at": days[0]}
                    for fact, helpful in votes
                ],
            )
        messages = [
            (0, "alpha"),
            (0, "ALPHA"),
            (0, "alpha"),
            (1, "alpha"),
            (1, "beta"),
            (1, "beta"),
            (2, "gamma"),
        ]
        insert(
            engine,
            f"{tag}-user",
            [
                user(f"{tag} {word}", "nlu_fallback", 0.3, at=days[day].timestamp() + n)
                for n, (day, word) in enumerate(messages)
            ],
        )
    finally:
        engine.dispose()


def bar_titles(page: Page, chart: str) -> list[str]:
    """What each bar of a chart counts, in drawing order."""
    return page.locator(f"#{chart} svg.chart rect.bar title").all_text_contents()


def table_cells(page: Page, table: str) -> list[list[str]]:
    """A table's cells, row by row, header first."""
    rows = page.locator(f"#{table} tr")
    expect(rows.first).to_be_visible()
    return [row.locator("th, td").all_inner_texts() for row in rows.all()]


def test_the_charts_are_drawn_with_their_numbers_and_pass_axe(
    browser, page: Page, assistant: Assistant
) -> None:
    tag = "charts-" + uuid.uuid4().hex[:10]
    # days of their own, years ago: the pages' date filters show only this test's data
    first = date(2001, 1, 1) + timedelta(days=uuid.uuid4().int % 4000)
    days = [first + timedelta(n) for n in range(3)]
    period = f"from={days[0].isoformat()}&to={days[2].isoformat()}"
    seed_chart_data(assistant.database_url, tag, first)
    login(page, assistant)

    page.goto(f"{assistant.url}/staff/assessments?{period}")
    figure = page.get_by_role("figure", name=re.compile(r"^Verdicts per day \(UTC\)"))
    expect(figure).to_be_visible()
    expect(figure.locator("figcaption")).to_contain_text(f"{days[0].isoformat()} to {days[2].isoformat()}")
    chart = page.get_by_role("img", name=re.compile(r"^Stacked column chart of 5 assessments over 3 days"))
    expect(chart).to_have_attribute("aria-label", re.compile("eligible 3, not_eligible 1, cannot_tell 1"))
    assert bar_titles(page, "verdicts-chart") == [
        f"{days[0].isoformat()}, eligible: 2",
        f"{days[0].isoformat()}, not_eligible: 1",
        f"{days[2].isoformat()}, eligible: 1",
        f"{days[2].isoformat()}, cannot_tell: 1",
    ]
    expect(page.locator("#verdicts-chart ul.legend li")).to_have_text(
        ["eligible", "not_eligible", "cannot_tell"]
    )
    tall, short = (page.locator("#verdicts-chart rect.bar").nth(n).bounding_box() for n in (0, 1))
    assert tall and short and tall["height"] == pytest.approx(2 * short["height"], abs=1.5)  # drawn to scale
    assert table_cells(page, "verdicts-table") == [
        ["Day", "eligible", "not_eligible", "cannot_tell", "Total"],
        [days[2].isoformat(), "1", "0", "1", "2"],
        [days[0].isoformat(), "2", "1", "0", "3"],
    ]
    figure.scroll_into_view_if_needed()
    screenshot(page, "console-charts-assessments")

    page.goto(f"{assistant.url}/staff/not-understood?{period}")
    figure = page.get_by_role(
        "figure", name=re.compile(r"^The 3 most frequent not-understood messages per day")
    )
    expect(figure).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"^Column charts of the 3 most frequent"))).to_be_visible()
    assert bar_titles(page, "not-understood-chart") == [
        f"“{tag} alpha”, {days[0].isoformat()}: 3",
        f"“{tag} alpha”, {days[1].isoformat()}: 1",
        f"“{tag} beta”, {days[1].isoformat()}: 2",
        f"“{tag} gamma”, {days[2].isoformat()}: 1",
    ]
    panels = page.locator("#not-understood-chart svg.chart text.name")
    expect(panels).to_have_text(
        [f"“{tag} alpha”: 4 times", f"“{tag} beta”: 2 times", f"“{tag} gamma”: 1 time"]
    )
    assert table_cells(page, "not-understood-days") == [
        ["Day (UTC)", f"{tag} alpha", f"{tag} beta", f"{tag} gamma"],
        [days[2].isoformat(), "0", "0", "1"],
        [days[1].isoformat(), "1", "2", "0"],
        [days[0].isoformat(), "3", "0", "0"],
    ]
    figure.scroll_into_view_if_needed()
    screenshot(page, "console-charts-not-understood")

    page.goto(f"{assistant.url}/staff/votes")
    figure = page.get_by_role("figure", name=re.compile(r"^Votes per fact"))
    expect(figure).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"^Stacked bar chart of \d+ votes"))).to_be_visible()
    ours = [title for title in bar_titles(page, "votes-chart") if title.startswith(tag)]
    assert ours == [f"{tag}-fees, yes: 30", f"{tag}-fees, no: 10", f"{tag}-cap, yes: 5", f"{tag}-cap, no: 30"]
    expect(figure.locator("text.value").filter(has_text="30 yes · 10 no")).to_have_count(1)
    row = page.locator("#votes-table tbody tr").filter(has_text=f"{tag}-fees")
    expect(row.locator("td")).to_have_text([f"{tag}-fees", "30", "10", "40", "75%"])
    screenshot(page, "console-charts-votes")
    assert_clean(page)  # drawn under the console's strict CSP: no script, no inline style

    # axe-core, injected (so this context bypasses the CSP), finds nothing serious on the three pages
    context = browser.new_context(viewport={"width": 1280, "height": 860}, bypass_csp=True)
    try:
        context.add_cookies(page.context.cookies())
        checked = context.new_page()
        checked.set_default_timeout(TIMEOUT_MS)
        for name, path in [
            ("assessments", f"/staff/assessments?{period}"),
            ("not-understood", f"/staff/not-understood?{period}"),
            ("votes", "/staff/votes"),
        ]:
            checked.goto(assistant.url + path)
            expect(checked.locator("figure.chart svg[role=img]")).to_be_visible()
            serious = serious_axe_violations(checked, f"console-charts-{name}")
            assert serious == [], json.dumps(serious, indent=2)
    finally:
        context.close()
