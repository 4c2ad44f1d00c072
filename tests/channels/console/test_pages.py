"""The console's pages from their templates, without a server: every page renders, and escapes.

Handlers run on a SQLite database (Rasa's `events` table, as in tests/core/test_console_queries.py)
with stand-in requests; hostile text in a message, a fact, a handoff or the query string must come
out as text, never as markup.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from actions.core.console_queries import (
    AssessmentFilter,
    ConsoleAnswer,
    ConversationFilter,
    ConversationSummary,
    FactVotes,
    LatestAssessment,
    NotUnderstood,
    Page,
    TranscriptLine,
)
from actions.core.fact_editing import FactChange, FactValues
from actions.core.handoff import Handoff
from rasa_plugins.channels.console.auth import Sessions, new_session
from rasa_plugins.channels.console.data import ConsoleData
from rasa_plugins.channels.console.handoff import HandoffPages
from rasa_plugins.channels.console.pages import ChangeRow, ConsolePages, Diff, FactRow, change_diffs
from rasa_plugins.channels.console.render import TEMPLATES, render
from tests.core.test_console_queries import DAY1, bot, insert, user

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
ATTRIBUTE = '"><script>alert(2)</script>'
AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
SESSION = {**new_session("Ana <b>", 30), "csrf": 'tok"en'}


def page(**context):
    return {"title": "T", "active": "", "session": SESSION, **context}


HANDOFF = Handoff(7, SCRIPT, "socketio", "en", "asked", "taken", "Bob", AT, AT)
CONTEXTS = {
    "error.html": page(message=SCRIPT),
    "login.html": page(session=None, message=SCRIPT),
    "conversations.html": page(
        criteria=ConversationFilter(channel="rest", text=ATTRIBUTE),
        since="",
        until="",
        channels=["rest", SCRIPT],
        languages=["en"],
        rows=[ConversationSummary(SCRIPT, AT, AT, 2, ["rest"], "en")],
        page=Page((), next_key=9, previous_key=20, truncated=True),
        args={"q": SCRIPT},
    ),
    "transcript.html": page(
        sender_id=SCRIPT,
        lines=[
            TranscriptLine("user", SCRIPT, AT, intent="greet", confidence=0.5),
            TranscriptLine("bot", "hi", AT, staff=SCRIPT),
        ],
    ),
    "not_understood.html": page(
        threshold=0.6, since="", until=ATTRIBUTE, rows=[NotUnderstood(SCRIPT, 2, AT, ("greet",), 1)]
    ),
    "assessments.html": page(
        verdicts=["eligible"],
        days=[(date(2026, 3, 2), {"eligible": 3})],
        latest=[LatestAssessment(1, SCRIPT, "eligible", AT)],
        page=Page((), next_key=9),
        args={"verdict": SCRIPT},
        criteria=AssessmentFilter(verdict=SCRIPT),
        verdict_choices=["eligible", SCRIPT],
        since="",
        until="",
    ),
    "votes.html": page(rows=[FactVotes(SCRIPT, 3, 1)]),
    "ask.html": page(
        question=SCRIPT,
        language="fr",
        answer=ConsoleAnswer("ask_fees", 0.91, "fees", SCRIPT, (SCRIPT,), "2024"),
        missing=False,
    ),
    "facts.html": page(
        path="facts.yml",
        due=[("fees", None), ("permit_duration", date(2025, 1, 2))],
        facts=[FactRow("fees", "ask_fees", "2024", None, ("seed",), SCRIPT)],
        changes=[ChangeRow(AT, "Ana", "fees", (Diff("answer (en)", SCRIPT, "new", answer=True),))],
    ),
    "fact.html": page(
        message=SCRIPT,
        saved=False,
        intent="ask_fees",
        fact_id="fees",
        values=FactValues({"en": SCRIPT, "fr": "</textarea>" + SCRIPT}, ATTRIBUTE, ("seed",)),
        version="v1",
        languages=("en", "fr"),
        sources=["seed"],
        changes=[],
    ),
    "handoffs.html": page(
        tabs=(("active", "Waiting"), ("all", "All")),
        view="active",
        handoffs=[HANDOFF],
        reasons={},
        page=Page((), previous_key=3),
        args={"status": "active"},
    ),
    "handoff.html": page(
        handoff=HANDOFF,
        message="",
        notice="Reply sent.",
        unstored=True,
        undelivered=True,
        reason="asked for a person",
        take_label="",
        can_reply=True,
        can_close=True,
        max_reply=2000,
        lines=[TranscriptLine("user", SCRIPT, AT)],
    ),
}


def test_every_page_template_has_a_case() -> None:
    pages = {name for name in TEMPLATES.list_templates() if name not in ("base.html", "macros.html")}
    assert pages == set(CONTEXTS)


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_page_renders_hostile_text_as_text(template: str) -> None:
    html = render(template, **CONTEXTS[template])
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "<script" not in html
    assert ESCAPED in html or "&lt;script&gt;alert(2)" in html
    assert '<link rel="stylesheet" href="/staff/static/console.css">' in html
    if CONTEXTS[template]["session"]:
        assert 'value="tok&#34;en"' in html  # the CSRF field, in the logout form at least
        assert "Ana &lt;b&gt;" in html


def test_the_layout_marks_the_active_page_and_hides_the_navigation_before_login() -> None:
    html = render("votes.html", **{**CONTEXTS["votes.html"], "active": "votes"})
    assert '<a href="/staff/votes" aria-current="page">Votes</a>' in html
    assert html.count("aria-current") == 1
    assert "75%" in html
    login = render("login.html", **CONTEXTS["login.html"])
    assert "<nav" not in login and "Log out" not in login
    assert 'role="alert">' + ESCAPED in login


def test_the_fact_form_keeps_its_fields() -> None:
    html = render("fact.html", **CONTEXTS["fact.html"])
    for field in ['name="csrf"', 'name="version"', 'name="answer_en"', 'name="answer_fr"', 'name="as_of"']:
        assert field in html
    assert 'name="checked"' in html and 'name="sources"' in html and 'name="mark_checked"' in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"' in html
    assert "&lt;/textarea&gt;" in html


def test_a_change_shows_what_changed() -> None:
    change = FactChange(
        1,
        "fees",
        "Ana",
        AT,
        {"as_of": "2022", "sources": ["seed"], "answers": {"en": "old"}},
        {"as_of": "2026-11-25", "sources": ["seed"], "checked": "2026-11-25", "answers": {"en": "new"}},
    )
    assert change_diffs(change) == (
        Diff("as_of", "2022", "2026-11-25"),
        Diff("checked", "never", "2026-11-25"),
        Diff("answer (en)", "old", "new", answer=True),
    )
    html = render(
        "facts.html",
        **{**CONTEXTS["facts.html"], "changes": [ChangeRow(AT, "Ana", "fees", change_diffs(change))]},
    )
    assert "<li>checked: never → 2026-11-25</li>" in html
    assert "<li>answer (en): <del>old</del><br><ins>new</ins></li>" in html


# --- handlers on SQLite ---------------------------------------------------------------------------


class FakeRequest:
    """What the handlers read of a Sanic request."""

    def __init__(self, args: dict[str, str] | None = None, method: str = "GET") -> None:
        self.args = args or {}
        self.method = method
        self.headers: dict[str, str] = {}
        self.form: dict[str, str] = {}
        self.app = SimpleNamespace(ctx=SimpleNamespace(agent=None))


@pytest.fixture
def pages(tmp_path) -> ConsolePages:
    data = ConsoleData(f"sqlite:///{tmp_path / 'console.db'}")
    insert(
        data.engine(), SCRIPT, [user(SCRIPT, "nlu_fallback", 0.3, at=DAY1), bot("Sorry <b>?</b>", at=DAY1)]
    )
    yield ConsolePages(Sessions("token", b"k" * 32, 30), data)
    data.engine().dispose()


def body(reply) -> str:
    return reply.body.decode("utf-8")


def test_a_conversation_message_with_a_script_is_shown_escaped(pages: ConsolePages) -> None:
    reply = asyncio.run(pages.transcript(FakeRequest({"id": SCRIPT}), SESSION))
    assert reply.status == 200 and reply.headers["Content-Security-Policy"].startswith("default-src 'none'")
    html = body(reply)
    assert "<script" not in html
    assert f'<p class="text">{ESCAPED}</p>' in html
    assert "<code>" + ESCAPED + "</code>" in html
    assert "Sorry &lt;b&gt;?&lt;/b&gt;" in html


def test_the_search_box_echoes_the_query_escaped(pages: ConsolePages) -> None:
    html = body(asyncio.run(pages.conversations(FakeRequest({"q": ATTRIBUTE, "from": ATTRIBUTE}), SESSION)))
    assert "<script" not in html
    assert 'name="q" value="&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"' in html
    reply = asyncio.run(pages.conversations(FakeRequest({"q": "alert"}), SESSION))
    assert f'transcript?id=%3Cscript%3Ealert%281%29%3C%2Fscript%3E">{ESCAPED}</a>' in body(reply)


def test_not_understood_and_an_unknown_transcript(pages: ConsolePages) -> None:
    html = body(asyncio.run(pages.not_understood(FakeRequest({"threshold": "x"}), SESSION)))
    assert f"<td>{ESCAPED.lower()}</td>" in html and 'value="0.60"' in html
    missing = asyncio.run(pages.transcript(FakeRequest({"id": "nobody"}), SESSION))
    assert missing.status == 404 and "There is no message in this conversation." in body(missing)


def test_ask_without_a_question_is_a_400_with_the_form(pages: ConsolePages) -> None:
    request = FakeRequest(method="POST")
    request.form = {"csrf": SESSION["csrf"], "question": "  "}
    reply = asyncio.run(pages.ask(request, SESSION))
    assert reply.status == 400
    assert '<p class="error">Type a question.</p>' in body(reply) and 'name="question"' in body(reply)
    get = body(asyncio.run(pages.ask(FakeRequest(), SESSION)))
    assert "The answer the assistant gives, with its sources." in get


def test_the_facts_table_cuts_long_answers_on_one_line() -> None:
    long = FactRow("fees", "ask_fees", "2024", None, ("seed",), "word " * 40 + "end")
    html = render("facts.html", **{**CONTEXTS["facts.html"], "facts": [long]})
    assert f"<td>{('word ' * 40)[:139]}…</td>" in html
    short = FactRow("fees", "ask_fees", "2024", None, ("seed",), "x" * 140)
    assert f"<td>{'x' * 140}</td>" in render("facts.html", **{**CONTEXTS["facts.html"], "facts": [short]})


def test_the_pager_links_carry_the_filters_and_the_cursor() -> None:
    html = render("conversations.html", **CONTEXTS["conversations.html"])
    assert 'id="page-next" rel="next" href="?q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E&amp;after=9"' in html
    assert (
        'id="page-previous" rel="prev" href="?q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E&amp;before=20"'
        in html
    )


@pytest.mark.parametrize(
    "args", [{"after": "x"}, {"before": "-1"}, {"after": "1", "before": "2"}, {"after": "9" * 30}]
)
def test_a_malformed_cursor_is_a_clear_400(pages: ConsolePages, args: dict[str, str]) -> None:
    for handler in (pages.conversations, pages.assessments):
        reply = asyncio.run(handler(FakeRequest(args), SESSION))
        assert reply.status == 400 and ("cursor" in body(reply) or "not both" in body(reply))


def test_an_unknown_cursor_gives_an_empty_page_with_a_way_back(pages: ConsolePages) -> None:
    html = body(asyncio.run(pages.conversations(FakeRequest({"after": "1"}), SESSION)))
    assert "No conversation matches." in html and 'id="page-previous"' in html
    html = body(asyncio.run(pages.conversations(FakeRequest({"size": "1"}), SESSION)))
    assert ESCAPED in html and 'id="page-next"' not in html


def test_the_queue_page_by_status_a_page_at_a_time(tmp_path) -> None:
    data = ConsoleData(f"sqlite:///{tmp_path / 'queue.db'}")
    pages = HandoffPages(data)
    queue = pages.queue()
    for n in range(3):
        queue.open(f"user-{n}", "socketio", "en", "asked")
    queue.take(queue.page().rows[1].id, "Ana")
    html = body(asyncio.run(pages.list_page(FakeRequest({"status": "open", "size": "1"}), SESSION)))
    assert "user-0" in html and "user-1" not in html and "user-2" not in html
    assert 'id="page-next" rel="next" href="?status=open&amp;size=1&amp;after=' in html
    taken = body(asyncio.run(pages.list_page(FakeRequest({"status": "taken"}), SESSION)))
    assert "user-1" in taken and "user-0" not in taken and 'id="page-next"' not in taken
    bad = asyncio.run(pages.list_page(FakeRequest({"before": "x"}), SESSION))
    assert bad.status == 400 and "cursor" in body(bad)
    data.engine().dispose()
