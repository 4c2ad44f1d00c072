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

from actions.core import charts
from actions.core.console_queries import (
    AssessmentFilter,
    ConsoleAnswer,
    ConversationFilter,
    ConversationSummary,
    DailyCount,
    FactVotes,
    LatestAssessment,
    NotUnderstood,
    Page,
    TranscriptLine,
    VerdictCount,
)
from actions.core.fact_editing import FactChange, FactValues
from actions.core.handoff import Handoff
from actions.core.staff_accounts import Account, AuditEntry, Role
from actions.core.suggestions import Suggestion
from rasa_plugins.channels.console.auth import Sessions, new_session
from rasa_plugins.channels.console.data import ConsoleData
from rasa_plugins.channels.console.handoff import HandoffPages
from rasa_plugins.channels.console.pages import (
    ChangeRow,
    ConsolePages,
    Diff,
    FactRow,
    answer_changed,
    change_diffs,
    notified_report,
)
from rasa_plugins.channels.console.render import TEMPLATES, render
from rasa_plugins.channels.notices import NotifyReport
from tests.channels.console.test_model import FakeAgent
from tests.core.test_console_queries import DAY1, bot, insert, user

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
ATTRIBUTE = '"><script>alert(2)</script>'
AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
SESSION = {**new_session("Ana <b>", 30), "csrf": 'tok"en'}


def page(**context):
    return {"title": "T", "active": "", "session": SESSION, **context}


HANDOFF = Handoff(7, SCRIPT, "socketio", "en", "asked", "taken", "Bob", AT, AT)
SUGGESTION = Suggestion(
    SCRIPT, "fr", ConsoleAnswer("ask_fees", 0.876, "fees", ATTRIBUTE + SCRIPT, (SCRIPT,), "2022-05-25")
)
# Chart data with hostile text in a verdict, a message and a fact id.
VERDICTS = [
    VerdictCount(date(2026, 3, 2), "eligible", 3),
    VerdictCount(date(2026, 3, 2), SCRIPT, 1),
    VerdictCount(date(2026, 3, 4), "not_eligible", 2),
]
DAILY = [DailyCount(SCRIPT, date(2026, 3, 2), 2), DailyCount("blorp", date(2026, 3, 3), 1)]
VOTES = [FactVotes(SCRIPT, 3, 1), FactVotes("fees", 0, 2)]
CONTEXTS = {
    "error.html": page(message=SCRIPT),
    "login.html": page(session=None, message=SCRIPT, accounts=True, shared=True),
    "accounts.html": page(
        accounts=[
            Account(SCRIPT, Role.EDITOR, True, 0, AT, "x"),
            Account("bob", Role.AGENT, False, 1, AT, "y"),
        ],
        roles=["agent", "editor", "admin"],
        message=SCRIPT,
        notice="Account added.",
        draft_name=ATTRIBUTE,
        draft_role="agent",
        accounts_on=False,
    ),
    "audit.html": page(
        entries=[AuditEntry(3, AT, SCRIPT, "fact_edit", ATTRIBUTE, SCRIPT)],
        page=Page((), next_key=2, previous_key=4),
        args={"size": "50"},
    ),
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
        threshold=0.6,
        since="",
        until=ATTRIBUTE,
        rows=[NotUnderstood(SCRIPT, 2, AT, ("greet",), 1), NotUnderstood("blorp", 1, AT, ("greet",), 1)],
        chart=charts.not_understood_chart(DAILY),
        table=charts.not_understood_table(DAILY),
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
        chart=charts.verdict_chart(VERDICTS),
    ),
    "votes.html": page(rows=VOTES, chart=charts.votes_chart(VOTES)),
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
        subscribers=3,
        notified=None,
        notify_failed=False,
        notify_skipped=False,
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
        show_suggestion=True,
        suggestion=SUGGESTION,
        no_suggestion="",
        language_name="French",
        draft="</textarea>" + SCRIPT,
    ),
}


def test_every_page_template_has_a_case() -> None:
    pages = {
        name for name in TEMPLATES.list_templates() if name not in ("base.html", "macros.html", "charts.html")
    }
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


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("agent", ["handoffs", "conversations", "ask"], ["facts", "accounts", "audit"]),
        ("editor", ["handoffs", "facts"], ["accounts", "audit"]),
        ("admin", ["handoffs", "facts", "accounts", "audit"], []),
    ],
)
def test_the_navigation_shows_only_the_pages_of_the_role(role: str, shown: list, hidden: list) -> None:
    session = {**SESSION, "role": role, "kind": "account", "epoch": 0}
    html = render("votes.html", **{**CONTEXTS["votes.html"], "session": session})
    for slug in shown:
        assert f'href="/staff/{slug}"' in html
    for slug in hidden:
        assert f'href="/staff/{slug}"' not in html
    assert f"({role})" in html and "Log out everywhere" in html


def test_the_login_page_offers_the_modes_that_are_on() -> None:
    accounts_only = render("login.html", **{**CONTEXTS["login.html"], "shared": False})
    assert 'name="password"' in accounts_only and 'name="token"' not in accounts_only
    shared_only = render("login.html", **{**CONTEXTS["login.html"], "accounts": False})
    assert 'name="token"' in shared_only and 'name="password"' not in shared_only


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
    assert 'name="notify_subscribers"' in html and "each of the 3 people subscribed" in html


def test_the_saved_fact_page_says_what_became_of_the_notices() -> None:
    context = {**CONTEXTS["fact.html"], "message": "", "saved": True}
    sent = render("fact.html", **{**context, "notified": NotifyReport(sent=2, waiting=1, failed=0)})
    assert "Change notices: 2 sent on Telegram, 1 waiting" in sent
    skipped = render("fact.html", **{**context, "notify_skipped": True})
    assert "No change notice was sent" in skipped and "Change notices:" not in skipped
    failed = render("fact.html", **{**context, "notify_failed": True})
    assert "could not be queued" in failed


def test_only_a_change_of_what_the_assistant_says_is_notified() -> None:
    old = FactValues({"en": "A", "fr": "B"}, "2024", ("seed",), None)
    assert not answer_changed(old, old)
    assert not answer_changed(old, FactValues({"en": "A", "fr": "B"}, "2024", ("seed",), "2026-12-06"))
    assert answer_changed(old, FactValues({"en": "A!", "fr": "B"}, "2024", ("seed",), None))
    assert answer_changed(old, FactValues({"en": "A", "fr": "B"}, "2026", ("seed",), None))
    assert answer_changed(old, FactValues({"en": "A", "fr": "B"}, "2024", ("seed", "fragomen"), None))


@pytest.mark.parametrize(
    ("args", "report"),
    [
        ({"sent": "1", "waiting": "2", "failed": "0"}, NotifyReport(1, 2, 0)),
        ({}, None),
        ({"sent": "x", "waiting": "2", "failed": "0"}, None),
        ({"sent": "-1", "waiting": "2", "failed": "0"}, None),
        ({"sent": "1"}, None),
    ],
)
def test_the_notice_report_is_read_back_from_the_redirect(args: dict[str, str], report: object) -> None:
    assert notified_report(SimpleNamespace(args=args)) == report


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


# --- the suggested answer of a handoff ------------------------------------------------------------


def handoff_page(**changes: object) -> str:
    return render("handoff.html", **{**CONTEXTS["handoff.html"], **changes})


def test_the_suggested_answer_shows_its_sources_dates_and_confidence() -> None:
    html = handoff_page()
    assert '<h2 id="suggestion-title">Suggested answer</h2>' in html
    assert f"To the user's message « {ESCAPED} » · in French · confidence 88%" in html
    assert "as of 2022-05-25 · last checked never" in html
    assert f'<ul class="sources" id="suggestion-sources">\n<li>{ESCAPED}</li>' in html
    text = "&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" + ESCAPED
    assert f'<pre class="text" id="suggestion-text">{text}</pre>' in html


def test_the_suggested_answer_is_sent_in_one_click_or_put_in_the_reply_box() -> None:
    html = handoff_page()
    hidden = 'name="text" value="&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;&lt;script&gt;alert(1)'
    assert hidden in html and 'id="reply-with-suggestion">Reply with this answer</button>' in html
    assert html.count('action="/staff/handoffs/7/reply"') == 2 and html.count('name="csrf"') >= 4
    assert '<form method="get" action="/staff/handoffs/7" class="inline">' in html
    assert (
        '<input type="hidden" name="use" value="suggestion"><button type="submit" id="use-suggestion">'
        in html
    )
    # the draft (a used suggestion, or a reply that was refused) fills the reply box, escaped
    assert f'maxlength="2000">&lt;/textarea&gt;{ESCAPED}</textarea>' in html
    assert 'maxlength="2000"></textarea>' in handoff_page(draft="")


def test_no_suggestion_and_an_open_handoffs_suggestion() -> None:
    none = handoff_page(suggestion=None, no_suggestion="no fact answers it.", language_name="")
    assert '<p id="no-suggestion"><strong>No suggestion</strong>: no fact answers it.</p>' in none
    assert "Reply with this answer" not in none and "Use this answer" not in none
    waiting = handoff_page(can_reply=False)
    assert "Take the conversation to send it." in waiting and "Reply with this answer" not in waiting
    closed = handoff_page(show_suggestion=False, suggestion=None, can_reply=False)
    assert "Suggested answer" not in closed and "No suggestion" not in closed


def staff_said(text: str, name: str) -> tuple:
    data = {"event": "bot", "timestamp": DAY1, "text": text, "metadata": {"imp_staff": name}}
    return ("bot", DAY1, None, data)


@pytest.fixture
def taken(tmp_path) -> tuple[HandoffPages, Handoff]:
    data = ConsoleData(f"sqlite:///{tmp_path / 'suggest.db'}")
    pages = HandoffPages(data)
    handoff, _ = pages.queue().open("suggest-user", "socketio", "en", "asked")
    pages.queue().take(handoff.id, "Ana")
    insert(
        data.engine(),
        "suggest-user",
        [
            user("/request_human", "request_human", 1.0),
            staff_said("A person has joined.", "Ana"),
            user("c'est combien pour appliquer?", "ask_fees", 0.99),
            user("allo?", "greet", 0.99),
        ],
    )
    yield pages, handoff
    data.engine().dispose()


def with_agent(agent: object, args: dict[str, str] | None = None) -> FakeRequest:
    request = FakeRequest(args)
    request.app.ctx.agent = agent
    return request


MODEL = {"rules": SimpleNamespace(config={"fact_threshold": 0.55})}


def test_a_handoffs_page_suggests_the_fact_answer_to_the_users_latest_question(taken) -> None:
    pages, handoff = taken
    intents = {"c'est combien pour appliquer?": ("ask_fees", 0.97), "allo?": ("greet", 0.99)}
    agent = FakeAgent(nodes=MODEL, intents=intents, language="fr")
    html = body(asyncio.run(pages.detail(with_agent(agent), SESSION, handoff.id)))
    assert agent.parsed == ["allo?", "c'est combien pour appliquer?"]  # newest first, up to a fact
    assert "« c&#39;est combien pour appliquer? » · in French · confidence 97%" in html
    assert "255 $ CA" in html and 'maxlength="4000"></textarea>' in html
    used = body(asyncio.run(pages.detail(with_agent(agent, {"use": "suggestion"}), SESSION, handoff.id)))
    reply_box = used[used.index('id="reply"') :]
    assert "255 $ CA" in reply_box[: reply_box.index("</textarea>")]


def test_no_suggestion_below_the_threshold_or_without_a_model(taken) -> None:
    pages, handoff = taken
    unsure = FakeAgent(nodes=MODEL, intents={"c'est combien pour appliquer?": ("ask_fees", 0.5)})
    html = body(asyncio.run(pages.detail(with_agent(unsure), SESSION, handoff.id)))
    assert "<strong>No suggestion</strong>: no fact answers" in html and "255 $ CA" not in html
    html = body(asyncio.run(pages.detail(FakeRequest({"use": "suggestion"}), SESSION, handoff.id)))
    assert "<strong>No suggestion</strong>: the assistant&#39;s model is not loaded." in html
    assert 'maxlength="4000"></textarea>' in html


def test_a_refused_reply_keeps_its_text(taken) -> None:
    pages, handoff = taken
    request = FakeRequest(method="POST")
    request.form = {"csrf": SESSION["csrf"], "text": "x" * 4001}
    reply = asyncio.run(pages.act(request, SESSION, handoff.id, "reply"))
    assert reply.status == 409 and "at most 4000 characters" in body(reply)
    assert 'maxlength="4000">' + "x" * 4001 + "</textarea>" in body(reply)


# --- charts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "chart_id", "bars", "summary"),
    [
        ("assessments.html", "verdicts-chart", 3, "Stacked column chart of 6 assessments over 3 days"),
        ("not_understood.html", "not-understood-chart", 2, "Column charts of the 2 most frequent"),
        ("votes.html", "votes-chart", 3, "Stacked bar chart of 6 votes on 2 facts: 3 yes, 3 no."),
    ],
)
def test_each_chart_is_a_described_svg_figure_before_its_table(
    template: str, chart_id: str, bars: int, summary: str
) -> None:
    html = render(template, **CONTEXTS[template])
    figure = html[html.index(f'<figure class="chart" id="{chart_id}">') : html.index("</figure>")]
    assert "<figcaption>" in figure and "The numbers are in the table below." in figure
    assert '<svg class="chart" role="img" aria-label="' + summary in figure
    assert "<title>" + summary in figure
    assert figure.count('<rect class="bar ') == bars
    assert "<script" not in figure and ESCAPED in figure
    assert html.index("</figure>") < html.index("<table", html.index("</figure>"))  # the numbers follow


def test_the_verdict_chart_has_a_legend_and_one_fill_per_verdict() -> None:
    html = render("assessments.html", **CONTEXTS["assessments.html"])
    legend = html[html.index('<ul class="legend"') : html.index("</ul>", html.index('<ul class="legend"'))]
    assert [part.split("</li>")[0].strip() for part in legend.split("</svg>")[1:]] == [
        "eligible",
        "not_eligible",
        ESCAPED,
    ]
    for tone in (0, 1, 3):  # eligible, not eligible, then an unknown verdict
        assert f'<pattern id="verdicts-chart-tone-{tone}"' in html
        assert f'fill="url(#verdicts-chart-tone-{tone})"' in html
    assert 'patternTransform="rotate(45)"' in html  # not eligible is striped, not only another colour


def test_the_not_understood_chart_has_its_numbers_per_day() -> None:
    html = render("not_understood.html", **CONTEXTS["not_understood.html"])
    table = html[html.index('<table id="not-understood-days"') : html.index("</table>")]
    assert f'<th scope="col">{ESCAPED}</th><th scope="col">blorp</th>' in table
    assert '<th scope="row">2026-03-03</th><td class="num">0</td><td class="num">1</td>' in table
    assert '<th scope="row">2026-03-02</th><td class="num">2</td><td class="num">0</td>' in table
    assert f"“{ESCAPED}”: 2 times" in html


@pytest.mark.parametrize(
    ("template", "empty"),
    [
        ("assessments.html", "No data yet: no assessment to chart."),
        ("not_understood.html", "No data yet: no message to chart."),
        ("votes.html", "No data yet: no vote to chart."),
    ],
)
def test_a_chart_without_data_is_a_short_text_not_an_empty_svg(template: str, empty: str) -> None:
    context = {**CONTEXTS[template], "chart": None}
    if template == "not_understood.html":
        context["table"] = charts.not_understood_table([])
    html = render(template, **context)
    assert f'<p class="no-data">{empty}</p>' in html
    assert "<svg" not in html and "<figure" not in html


def test_the_chart_pages_from_the_database(pages: ConsolePages) -> None:
    html = body(asyncio.run(pages.not_understood(FakeRequest(), SESSION)))
    assert 'id="not-understood-chart"' in html and html.count('<rect class="bar ') == 1
    assert f"<title>“{ESCAPED.lower()}”, 2026-03-02: 1</title>" in html
    for handler, empty in [(pages.assessments, "no assessment"), (pages.votes, "no vote")]:
        html = body(asyncio.run(handler(FakeRequest(), SESSION)))
        assert f"No data yet: {empty} to chart." in html and "<svg" not in html
