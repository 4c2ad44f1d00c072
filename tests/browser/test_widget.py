"""The website chat widget in headless Chromium, against the real assistant (scripts/run.sh).

Needs Debian's chromium (/usr/bin/chromium) and the pinned `playwright` package; never
downloads a browser. Screenshots of each state go to tests/artifacts/ (git-ignored);
IMP_UPDATE_SCREENSHOT=1 also refreshes docs/widget-screenshot.png.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, expect

from actions.core.feedback import FeedbackRepository
from actions.core.repository import AssessmentRepository, make_engine
from actions.core.settings import PROJECT_ROOT
from tests.browser.conftest import ARTIFACTS, AXE, Assistant, PageWatch, publish_screenshot, screenshot, watch

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000
expect.set_options(timeout=TIMEOUT_MS)
DIST = PROJECT_ROOT / "widget" / "dist"

DEEP_ACTIVE = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el) return null;
  const style = getComputedStyle(el);
  return {tag: el.tagName, cls: String(el.className), id: el.id, text: el.textContent.trim(),
          label: el.getAttribute("aria-label"), outline: style.outlineStyle,
          outlineWidth: parseFloat(style.outlineWidth)};
}"""
SESSION_ID = """() => {
  for (const key of Object.keys(localStorage)) {
    if (key.endsWith(":session")) return JSON.parse(localStorage.getItem(key));
  }
  return null;
}"""


class Widget:
    """The demo page with its widget, seen the way a user would."""

    def __init__(self, page: Page, assistant: Assistant, seen: PageWatch) -> None:
        self.page = page
        self.assistant = assistant
        self.seen = seen

    def goto(self, language: str | None = None) -> None:
        query = f"?lang={language}" if language else ""
        self.page.goto(f"{self.assistant.url}/widget/demo.html{query}")
        expect(self.page.locator(".launcher")).to_be_attached()

    @property
    def dialog(self):
        return self.page.get_by_role("dialog")

    @property
    def log(self):
        return self.page.get_by_role("log")

    @property
    def bot(self):
        return self.page.locator(".msg.bot")

    def open(self, name: str = "Open the IMP+ assistant chat") -> None:
        self.page.get_by_role("button", name=name).click()
        expect(self.dialog).to_be_visible()

    def wait_for_greeting(self) -> None:
        expect(self.bot.first).to_contain_text("IMP+ assistant")

    def send(self, text: str, label: str = "Your message") -> None:
        box = self.page.get_by_role("textbox", name=label)
        box.fill(text)
        box.press("Enter")

    def session_id(self) -> str:
        session = self.page.evaluate(SESSION_ID)
        assert isinstance(session, str) and session, "no session id in localStorage"
        return session

    def choose(self, title: str) -> None:
        """Click a quick reply of the latest question."""
        self.page.locator(".choices").last.get_by_role("button", name=title, exact=True).click()

    def assert_clean(self) -> None:
        """No dialog, no uncaught error, no console error (CSP violations included)."""
        assert self.seen.dialogs == []
        assert self.seen.errors == []
        assert self.seen.console_errors == []


@pytest.fixture
def context(browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1000, "height": 760}, locale="en-CA")
    yield context
    context.close()


@pytest.fixture
def widget(context: BrowserContext, assistant: Assistant) -> Widget:
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return Widget(page, assistant, watch(page))


def http_request(
    assistant: Assistant, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, dict[str, str], bytes]:
    """A raw request (the path is sent exactly as given, no normalisation)."""
    connection = http.client.HTTPConnection("127.0.0.1", assistant.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def post_feedback(assistant: Assistant, body: bytes, content_type: str = "application/json") -> int:
    status, _, _ = http_request(assistant, "POST", "/widget/feedback", body, {"Content-Type": content_type})
    return status


# ---------------------------------------------------------------- served files and endpoint


def test_demo_page_and_bundle_are_served_with_their_types_and_a_csp(assistant: Assistant) -> None:
    status, headers, body = http_request(assistant, "GET", "/widget/demo.html")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["x-content-type-options"] == "nosniff"
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert b'src="imp-widget.js"' in body

    status, headers, body = http_request(assistant, "GET", "/widget/imp-widget.js")
    assert status == 200
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    assert body == (DIST / "imp-widget.js").read_bytes()
    status, headers, _ = http_request(assistant, "GET", "/widget/demo.css")
    assert status == 200 and headers["content-type"] == "text/css; charset=utf-8"
    status, headers, _ = http_request(assistant, "GET", "/widget/")
    assert status in (301, 302, 307, 308) and headers["location"].endswith("/widget/demo.html")


@pytest.mark.parametrize(
    "path",
    [
        "/widget/../credentials.yml",
        "/widget/..%2fcredentials.yml",
        "/widget/..%2F..%2Fcredentials.yml",
        "/widget/%2e%2e/credentials.yml",
        "/widget/%2e%2e%2fcredentials.yml",
        "/widget/..\\credentials.yml",
        "/widget/....//credentials.yml",
        "/widget/%252e%252e%252fcredentials.yml",
        "/widget//etc/passwd",
        "/widget/%2fetc%2fpasswd",
        "/widget/.npmrc",
        "/widget/package.json",
        "/widget/build.mjs",
        "/widget/src/index.js",
        "/widget/node_modules/axe-core/axe.min.js",
        "/widget/nothing-here.js",
        "/widget/imp-widget.js%00.html",
    ],
)
def test_no_file_outside_dist_is_served(assistant: Assistant, path: str) -> None:
    status, _, body = http_request(assistant, "GET", path)
    assert status in (400, 404), (path, status)
    assert b"rest:" not in body and b"root:" not in body


def test_feedback_endpoint_validates_strictly_and_never_fails_with_500(assistant: Assistant) -> None:
    good = {"sender_id": "http0123456789abcdef", "fact_id": "permit_duration", "helpful": True}
    bad_bodies = [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b"null",
        b'"text"',
        b"{",
        json.dumps({**good, "extra": 1}).encode(),
        json.dumps({**good, "helpful": "yes"}).encode(),
        json.dumps({**good, "helpful": 1}).encode(),
        json.dumps({**good, "fact_id": "f" * 65}).encode(),
        json.dumps({**good, "sender_id": "s" * 129}).encode(),
        json.dumps({**good, "sender_id": "<script>"}).encode(),
        json.dumps({"sender_id": good["sender_id"], "helpful": True}).encode(),
    ]
    for body in bad_bodies:
        assert post_feedback(assistant, body) == 400, body
    assert post_feedback(assistant, json.dumps(good).encode(), "text/plain") == 415
    assert post_feedback(assistant, json.dumps(good).encode(), "application/x-www-form-urlencoded") == 415
    assert post_feedback(assistant, b'{"sender_id": "' + b"a" * 5000 + b'"}') == 413
    status, _, _ = http_request(assistant, "GET", "/widget/feedback")
    assert status in (404, 405)

    assert post_feedback(assistant, json.dumps(good).encode()) == 201
    assert post_feedback(assistant, json.dumps({**good, "helpful": False}).encode()) == 201
    votes = FeedbackRepository(make_engine(assistant.database_url)).for_sender(good["sender_id"])
    assert [(vote.fact_id, vote.helpful) for vote in votes] == [
        ("permit_duration", True),
        ("permit_duration", False),
    ]


# ---------------------------------------------------------------- conversations in the browser


def test_answer_and_helpful_vote_reach_the_database(widget: Widget, assistant: Assistant) -> None:
    widget.goto()
    screenshot(widget.page, "01-closed")
    expect(widget.dialog).to_be_hidden()
    widget.open()
    widget.wait_for_greeting()
    screenshot(widget.page, "02-open-greeting")
    widget.send("how long is the permit valid?")
    answer = widget.bot.filter(has_text="3 years")
    expect(answer).to_have_count(1)
    expect(widget.page.locator(".msg.user").last).to_have_text(re.compile(r"how long is the permit valid\?$"))
    # the fact answer, and only it, asks for feedback: its fact_id reached the browser
    expect(answer.get_by_text("Was this helpful?")).to_be_visible()
    expect(widget.bot.first.locator(".feedback")).to_have_count(0)
    # links in bot text are real links, opened safely in a new tab
    link = answer.locator("a").first
    expect(link).to_have_attribute("href", re.compile(r"^https://"))
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    shot = screenshot(widget.page, "03-answer")
    publish_screenshot(shot)

    answer.get_by_role("button", name="Yes").click()
    expect(answer.get_by_text("Thank you for your feedback.")).to_be_visible()
    expect(answer.get_by_role("button", name="Yes")).to_have_count(0)
    screenshot(widget.page, "04-feedback-sent")
    votes = FeedbackRepository(make_engine(assistant.database_url)).for_sender(widget.session_id())
    assert [(vote.fact_id, vote.helpful) for vote in votes] == [("permit_duration", True)]
    widget.assert_clean()


def test_eligibility_check_by_clicking_buttons_reaches_a_verdict(
    widget: Widget, assistant: Assistant
) -> None:
    widget.goto()
    widget.open()
    widget.wait_for_greeting()
    widget.choose("Check my eligibility")
    for question, answer in [
        ("Where do you live", "Outside Canada"),
        ("CSQ", "Yes, Regular Skilled Worker Program (PRTQ)"),
        ("still valid", "Yes, still valid"),
        ("letter of invitation", "Yes"),
        ("permanent residence", "I haven't applied yet"),
    ]:
        expect(widget.bot.last).to_contain_text(question)
        widget.choose(answer)
        # the title is shown, never the payload, and the used buttons are gone
        expect(widget.page.locator(".msg.user").last).to_have_text(re.compile(re.escape(answer) + "$"))
    expect(widget.bot.last).to_contain_text("you appear eligible")
    expect(widget.page.locator(".choices")).to_have_count(0)
    expect(widget.log).not_to_contain_text("/inform")
    screenshot(widget.page, "05-eligibility-verdict")
    [stored] = AssessmentRepository(make_engine(assistant.database_url)).for_conversation(widget.session_id())
    assert stored.verdict == "eligible" and stored.answers["residence"] == "abroad"
    widget.assert_clean()


def test_history_and_votes_are_restored_after_a_reload(widget: Widget, assistant: Assistant) -> None:
    widget.goto()
    widget.open()
    widget.wait_for_greeting()
    widget.send("how much does it cost?")
    answer = widget.bot.filter(has_text="CAD")
    expect(answer).to_have_count(1)
    answer.get_by_role("button", name="No").click()
    expect(answer.get_by_text("Thank you for your feedback.")).to_be_visible()
    session = widget.session_id()

    widget.page.reload()
    expect(widget.dialog).to_be_visible()  # it was open: it opens again
    expect(widget.log).to_contain_text("how much does it cost?")
    expect(widget.bot.filter(has_text="CAD").get_by_text("Thank you for your feedback.")).to_be_visible()
    expect(widget.bot.filter(has_text="CAD").get_by_role("button", name="No")).to_have_count(0)
    screenshot(widget.page, "06-after-reload")
    # the same conversation goes on: same session id, answers still arrive
    widget.send("how long is the permit valid?")
    expect(widget.bot.filter(has_text="3 years")).to_have_count(1)
    assert widget.session_id() == session
    with make_engine(assistant.database_url).connect() as connection:
        texts = [
            json.loads(row.data).get("text")
            for row in connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
                {"s": session},
            )
        ]
    assert "how much does it cost?" in texts and "how long is the permit valid?" in texts
    assert texts.index("how much does it cost?") < texts.index("how long is the permit valid?")
    widget.assert_clean()


def test_html_in_messages_is_shown_as_text_and_never_run(widget: Widget) -> None:
    widget.goto()
    widget.open()
    widget.wait_for_greeting()
    hostile = "<img src=x onerror=alert(1)>"
    widget.send(hostile)
    expect(widget.page.locator(".msg.user").last).to_have_text(re.compile(re.escape(hostile) + "$"))
    expect(widget.bot.nth(1)).to_be_visible()  # the assistant answered something
    # a bot message with markup, script URLs and links (as a compromised server could send)
    widget.page.evaluate(
        """() => window.IMPWidget.init().receive({
             text: "<img src=y onerror=alert(2)><script>alert(3)</script><b>bold</b>\\n" +
                   "javascript:alert(4) see quebec.ca/immigration/programmes-immigration, " +
                   "https://www.canada.ca/en.html and mail me@example.com (or http://x.test/a).",
             quick_replies: [{title: "<i>italic</i>", payload: "/greet"}],
             fact_id: "<bad id>"})"""
    )
    last = widget.bot.last
    expect(last).to_contain_text("<script>alert(3)</script><b>bold</b>")
    # receive() renders at once (the message is there): no element was made of the markup, so
    # no onerror handler or script can run later, and no dialog can come after this check.
    assert widget.log.locator("img, script, b, i, iframe").count() == 0
    hrefs = last.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs == [
        "https://quebec.ca/immigration/programmes-immigration",
        "https://www.canada.ca/en.html",
        "http://x.test/a",
    ]
    expect(last.get_by_role("button", name="<i>italic</i>")).to_be_visible()
    expect(last.locator(".feedback")).to_have_count(0)  # an invalid fact_id is ignored
    screenshot(widget.page, "07-html-as-text")
    assert widget.seen.dialogs == []
    widget.assert_clean()


def test_french_ui_strings_when_configured_fr(widget: Widget) -> None:
    widget.goto("fr")
    launcher = widget.page.get_by_role("button", name="Ouvrir le clavardage de l'assistant PMI+")
    expect(launcher).to_be_visible()
    launcher.click()
    expect(widget.page.get_by_role("dialog", name="Assistant PMI+")).to_be_visible()
    assert widget.page.locator(".root").get_attribute("lang") == "fr"
    expect(widget.page.get_by_role("button", name="Envoyer")).to_be_visible()
    expect(widget.page.get_by_role("button", name="Fermer le clavardage")).to_be_visible()
    expect(widget.page.get_by_role("button", name=re.compile("^Recommencer"))).to_be_visible()
    expect(widget.page.get_by_role("log", name="Conversation")).to_be_visible()
    expect(widget.bot.first).to_be_visible()
    widget.send("how long is the permit valid?", label="Votre message")
    expect(widget.page.get_by_text("Cette réponse vous a-t-elle été utile?")).to_be_visible()
    expect(widget.page.locator(".feedback").get_by_role("button", name="Oui")).to_be_visible()
    expect(widget.page.locator(".feedback").get_by_role("button", name="Non")).to_be_visible()
    screenshot(widget.page, "08-french")
    widget.assert_clean()


def test_french_widget_runs_an_eligibility_check_in_french(widget: Widget, assistant: Assistant) -> None:
    widget.goto("fr")
    widget.open("Ouvrir le clavardage de l'assistant PMI+")
    expect(widget.bot.first).to_contain_text("Bonjour")
    widget.choose("Vérifier mon admissibilité")
    for question, answer in [
        ("Où vivez-vous", "À l'extérieur du Canada"),
        ("CSQ", "Oui, Programme régulier des travailleurs qualifiés (PRTQ)"),
        ("toujours valide", "Oui, toujours valide"),
        ("lettre d'invitation", "Oui"),
        ("résidence permanente", "Je n'ai pas encore présenté de demande"),
    ]:
        expect(widget.bot.last).to_contain_text(question)
        widget.choose(answer)
    expect(widget.bot.last).to_contain_text("vous semblez admissible")
    expect(widget.bot.last).to_contain_text("Sources :")
    screenshot(widget.page, "09-french-eligibility-verdict")
    [stored] = AssessmentRepository(make_engine(assistant.database_url)).for_conversation(widget.session_id())
    assert stored.verdict == "eligible"
    widget.assert_clean()


def test_usable_on_a_360_px_phone(browser, assistant: Assistant) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        widget = Widget(page, assistant, watch(page))
        widget.goto()
        launcher = page.locator(".launcher")
        box = launcher.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
        launcher.tap()
        expect(widget.dialog).to_be_visible()
        widget.wait_for_greeting()
        panel = page.locator(".panel").bounding_box()
        assert panel and {k: round(v) for k, v in panel.items()} == {
            "x": 0,
            "y": 0,
            "width": 360,
            "height": 640,
        }
        for part in [
            page.get_by_role("textbox", name="Your message"),
            page.get_by_role("button", name="Send"),
        ]:
            expect(part).to_be_in_viewport(ratio=1)
            part_box = part.bounding_box()
            assert part_box["height"] >= 40  # a finger-sized target
        widget.send("how long is the permit valid?")
        expect(widget.bot.filter(has_text="3 years")).to_be_visible()
        for bubble in page.locator(".bubble").all():
            bubble_box = bubble.bounding_box()
            assert bubble_box["x"] >= 0 and bubble_box["x"] + bubble_box["width"] <= 360
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        screenshot(page, "09-phone-360")
        page.get_by_role("button", name="Close the chat").tap()
        expect(widget.dialog).to_be_hidden()
        widget.assert_clean()
    finally:
        context.close()


def test_keyboard_only(widget: Widget, assistant: Assistant) -> None:
    page = widget.page
    widget.goto()
    for _ in range(30):
        page.keyboard.press("Tab")
        active = page.evaluate(DEEP_ACTIVE)
        if active and "launcher" in active["cls"]:
            break
    else:
        pytest.fail("Tab never reached the launcher")
    assert active["outline"] != "none" and active["outlineWidth"] >= 2, "no visible focus on the launcher"
    page.keyboard.press("Enter")
    expect(widget.dialog).to_be_visible()
    assert page.evaluate(DEEP_ACTIVE)["id"] == "imp-input"
    widget.wait_for_greeting()
    page.keyboard.type("how long is the permit valid?")
    page.keyboard.press("Enter")
    answer = widget.bot.filter(has_text="3 years")
    expect(answer.locator(".feedback")).to_be_visible()
    # the input keeps the focus; Tab goes to Send, Shift+Tab back into the conversation
    assert page.evaluate(DEEP_ACTIVE)["id"] == "imp-input"
    page.keyboard.press("Tab")
    assert page.evaluate(DEEP_ACTIVE)["text"] == "Send"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate(DEEP_ACTIVE)
    assert focused["text"] == "Yes" and focused["outline"] != "none"
    screenshot(page, "10-keyboard-focus")
    page.keyboard.press("Enter")
    expect(answer.get_by_text("Thank you for your feedback.")).to_be_visible()
    assert page.evaluate(DEEP_ACTIVE)["id"] == "imp-input"
    votes = FeedbackRepository(make_engine(assistant.database_url)).for_sender(widget.session_id())
    assert [(vote.fact_id, vote.helpful) for vote in votes] == [("permit_duration", True)]
    page.keyboard.press("Escape")
    expect(widget.dialog).to_be_hidden()
    assert "launcher" in page.evaluate(DEEP_ACTIVE)["cls"]
    widget.assert_clean()


def test_typing_indicator_while_waiting(widget: Widget) -> None:
    widget.goto()
    widget.open()
    widget.wait_for_greeting()
    typing = widget.page.evaluate(
        """() => {
             const root = document.querySelector("[data-imp-widget]").shadowRoot;
             root.querySelector("input").value = "what are the fees?";
             root.querySelector("form").requestSubmit();
             return root.querySelector(".typing").textContent;
           }"""
    )
    assert typing == "The assistant is typing…"
    expect(widget.bot.filter(has_text="CAD")).to_have_count(1)
    expect(widget.page.locator(".typing")).to_have_text("")
    widget.assert_clean()


def test_start_over_clears_the_transcript_and_restarts_the_conversation(
    widget: Widget, assistant: Assistant
) -> None:
    widget.goto()
    widget.open()
    widget.wait_for_greeting()
    widget.send("how long is the permit valid?")
    expect(widget.bot.filter(has_text="3 years")).to_have_count(1)
    session = widget.session_id()
    widget.page.get_by_role("button", name=re.compile("^Start over")).click()
    expect(widget.log).to_contain_text("The conversation was cleared.")
    expect(widget.log).not_to_contain_text("3 years")
    widget.wait_for_greeting()  # greeted again
    screenshot(widget.page, "11-start-over")
    widget.page.reload()
    expect(widget.dialog).to_be_visible()
    widget.wait_for_greeting()
    expect(widget.log).not_to_contain_text("how long is the permit valid?")
    with make_engine(assistant.database_url).connect() as connection:
        restarts = connection.execute(
            sa.text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'restart'"),
            {"s": session},
        ).scalar_one()
    assert restarts == 1
    widget.assert_clean()


def test_vendored_axe_matches_the_pinned_version() -> None:
    pinned = json.loads((PROJECT_ROOT / "widget" / "package.json").read_text())["devDependencies"]["axe-core"]
    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{pinned}\n")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_open_widget_has_no_serious_accessibility_violation(
    browser, assistant: Assistant, language: str
) -> None:
    # bypass_csp only so that axe can be injected; the widget runs as in production
    context = browser.new_context(viewport={"width": 1000, "height": 760}, bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        widget = Widget(page, assistant, watch(page))
        widget.goto(language)
        page.locator(".launcher").click()
        expect(widget.dialog).to_be_visible()
        expect(page.locator(".choices").first).to_be_visible()  # greeting with buttons
        widget.send(
            "how long is the permit valid?", label="Your message" if language == "en" else "Votre message"
        )
        expect(page.locator(".feedback button").first).to_be_visible()
        page.add_script_tag(path=str(AXE))
        results = page.evaluate(
            """async () => {
                 const r = await axe.run(document, {resultTypes: ["violations"]});
                 return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
               }"""
        )
        screenshot(page, f"12-axe-{language}")
        (ARTIFACTS / f"axe-{language}.json").write_text(json.dumps(results, indent=2))
        serious = [v for v in results if v["impact"] in ("serious", "critical")]
        assert serious == [], json.dumps(serious, indent=2)
        widget.assert_clean()
    finally:
        context.close()
