"""Staff console served by the Rasa server at /staff/ (docs/staff-console.md).

`StaffConsole` is an input channel that never receives messages: its blueprint serves
server-rendered pages (conversations, transcripts, not-understood messages, assessments, votes,
an "ask" box and the fact editor) and a small JSON API, behind a login that exchanges the staff
token (IMP_STAFF_TOKEN) for a signed, expiring, HttpOnly SameSite=Strict session cookie. The
logic lives in actions/core/console_queries.py and actions/core/fact_editing.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from actions.core import console_queries as queries
from actions.core.fact_check import due_for_review
from actions.core.fact_editing import (
    LANGUAGES,
    EditConflict,
    FactChangeLog,
    FactValues,
    InvalidEdit,
    current_values,
    file_version,
    parse_sources,
    save_fact,
    validate_staff_name,
)
from actions.core.knowledge import KnowledgeBase
from actions.core.migrations import upgrade_database
from actions.core.reloading import ReloadingFile
from actions.core.repository import shared_engine
from actions.core.settings import PROJECT_ROOT, database_url, facts_path

logger = logging.getLogger(__name__)

COOKIE = "imp_staff_session"
STATIC_DIR = PROJECT_ROOT / "staff"
DEFAULT_SESSION_MINUTES = 30.0
MAX_FORM_BYTES = 64 * 1024
MAX_LOGIN_FAILURES = 10
LOGIN_FAILURE_WINDOW = 300.0
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes Chromium send `Origin: null`
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}
NAV = (
    ("handoffs", "Handoff queue"),
    ("conversations", "Conversations"),
    ("not-understood", "Not understood"),
    ("assessments", "Assessments"),
    ("votes", "Votes"),
    ("ask", "Ask"),
    ("facts", "Facts"),
)


# --- signed session cookies -------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_session(secret: bytes, session: dict[str, Any]) -> str:
    """`payload.signature`: the session as base64url JSON and its HMAC-SHA256."""
    payload = _b64(json.dumps(session, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    signature = _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def read_session(secret: bytes, cookie: str | None, now: float | None = None) -> dict[str, Any] | None:
    """The session of a cookie whose signature is valid and which has not expired, else None."""
    if not cookie or cookie.count(".") != 1 or len(cookie) > 4096:
        return None
    payload, signature = cookie.split(".")
    expected = _b64(hmac.new(secret, payload.encode("ascii", "replace"), hashlib.sha256).digest())
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        session = json.loads(_unb64(payload))
    except ValueError:
        return None
    if not isinstance(session, dict) or not all(
        isinstance(session.get(key), str) for key in ("sid", "name", "csrf")
    ):
        return None
    expires = session.get("exp")
    if not isinstance(expires, (int, float)) or expires <= (time.time() if now is None else now):
        return None
    return session


def new_session(name: str, minutes: float, now: float | None = None) -> dict[str, Any]:
    """A fresh session for a staff member: random id and CSRF token, expiry in `minutes`."""
    return {
        "sid": secrets.token_urlsafe(16),
        "name": name,
        "csrf": secrets.token_urlsafe(24),
        "exp": int((time.time() if now is None else now) + minutes * 60),
    }


# --- HTML helpers -----------------------------------------------------------------------------


def e(value: Any) -> str:
    """HTML-escaped text (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt_time(value: datetime | None) -> str:
    """UTC time to the second."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class StaffConsole(InputChannel):
    """The staff console at /staff/; receives no messages."""

    @classmethod
    def name(cls) -> str:
        """Channel name (not used for messages)."""
        return "staff"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Settings come from the environment, not from credentials.yml."""
        return cls()

    def __init__(
        self,
        token: str | None = None,
        secret: str | None = None,
        session_minutes: float | None = None,
        db_url: str | None = None,
    ) -> None:
        self.token = token if token is not None else os.environ.get("IMP_STAFF_TOKEN", "")
        secret = secret if secret is not None else os.environ.get("IMP_STAFF_SECRET", "")
        self.secret = secret.encode("utf-8") if secret else secrets.token_bytes(32)
        if session_minutes is None:
            try:
                session_minutes = float(
                    os.environ.get("IMP_STAFF_SESSION_MINUTES") or DEFAULT_SESSION_MINUTES
                )
            except ValueError:
                logger.warning("IMP_STAFF_SESSION_MINUTES is not a number: using 30")
                session_minutes = DEFAULT_SESSION_MINUTES
        self.session_minutes = session_minutes if session_minutes > 0 else DEFAULT_SESSION_MINUTES
        self._db_url = db_url
        self._change_log: FactChangeLog | None = None
        self._lock = threading.Lock()
        self._revoked: dict[str, float] = {}
        self._failures: dict[str, list[float]] = {}
        self.knowledge_file: ReloadingFile[KnowledgeBase] = ReloadingFile(facts_path, KnowledgeBase.load)

    def url_prefix(self) -> str:
        """Absolute, so that Rasa mounts the blueprint at /staff rather than /webhooks/staff."""
        return "/staff"

    def get_output_channel(self) -> OutputChannel | None:
        """This channel never answers anybody."""
        return None

    @property
    def configured(self) -> bool:
        """The console is on only when a staff token is set."""
        return bool(self.token)

    # --- storage ------------------------------------------------------------------------------

    def engine(self) -> Engine:
        """The process's one engine on IMP_DATABASE_URL (shared with the tracker store…)."""
        return shared_engine(self._db_url or database_url())

    def change_log(self) -> FactChangeLog:
        """The fact change log, the database migrated (Alembic) on first use."""
        engine = self.engine()
        with self._lock:
            if self._change_log is None or self._change_log.engine is not engine:  # or a forked worker
                upgrade_database(engine=engine)
                self._change_log = FactChangeLog(engine)
            return self._change_log

    async def _run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args, **kwargs))

    # --- sessions -----------------------------------------------------------------------------

    def session_of(self, request: Request) -> dict[str, Any] | None:
        """The request's valid, unrevoked session, or None."""
        session = read_session(self.secret, request.cookies.get(COOKIE))
        if session is None or session["sid"] in self._revoked:
            return None
        return session

    def _revoke(self, session: dict[str, Any]) -> None:
        now = time.time()
        with self._lock:
            self._revoked = {sid: exp for sid, exp in self._revoked.items() if exp > now}
            self._revoked[session["sid"]] = float(session["exp"])

    def _throttled(self, client: str, failed: bool = False) -> bool:
        now = time.time()
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if now - t < LOGIN_FAILURE_WINDOW]
            if failed:
                recent.append(now)
            if recent:
                self._failures[client] = recent
            else:
                self._failures.pop(client, None)
            return len(recent) >= MAX_LOGIN_FAILURES

    @staticmethod
    def origin_allowed(request: Request) -> bool:
        """POSTs must come from this server's own pages: a foreign or "null" Origin is refused."""
        origin = request.headers.get("origin")
        if origin is None:
            referer = request.headers.get("referer")
            if referer is None:
                return True  # not a browser form (browsers send Origin on POST)
            origin = referer
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == (request.host or "").lower()

    def check_post(self, request: Request, session: dict[str, Any] | None) -> HTTPResponse | None:
        """None when a POST may proceed; else a 403 (foreign origin, missing or wrong CSRF token)."""
        if not self.origin_allowed(request):
            return self.error_page(403, "Forbidden", "This form was sent from another site.", session)
        if session is not None:
            sent = request.form.get("csrf", "") if request.form else ""
            if not isinstance(sent, str) or not hmac.compare_digest(sent, session["csrf"]):
                return self.error_page(
                    403,
                    "Forbidden",
                    "The form's security token is missing or wrong: reload the page.",
                    session,
                )
        return None

    # --- rendering ----------------------------------------------------------------------------

    def html_response(self, body: str, status: int = 200) -> HTTPResponse:
        """An HTML page with the console's security headers."""
        return response.html(body, status=status, headers=dict(SECURITY_HEADERS))

    def json_response(self, data: Any, status: int = 200) -> HTTPResponse:
        """JSON with the console's security headers."""
        return response.json(_jsonable(data), status=status, headers=dict(SECURITY_HEADERS))

    def page(self, title: str, body: str, session: dict[str, Any] | None, active: str = "") -> str:
        """The page layout: header with navigation and logout, then the body."""
        nav = ""
        if session is not None:
            links = "".join(
                f'<li><a href="/staff/{slug}"{" aria-current=page" if slug == active else ""}>'
                f"{e(label)}</a></li>"
                for slug, label in NAV
            )
            nav = (
                f'<nav aria-label="Console"><ul>{links}</ul></nav>'
                f'<form class="logout" method="post" action="/staff/logout">'
                f'<input type="hidden" name="csrf" value="{e(session["csrf"])}">'
                f"<span>Signed in as <strong>{e(session['name'])}</strong></span> "
                f'<button type="submit">Log out</button></form>'
            )
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{e(title)} · IMP+ staff console</title>"
            '<link rel="stylesheet" href="/staff/static/console.css"></head><body>'
            f'<header><p class="brand">IMP+ staff console</p>{nav}</header>'
            f"<main><h1>{e(title)}</h1>{body}</main></body></html>"
        )

    def error_page(
        self, status: int, title: str, message: str, session: dict[str, Any] | None = None
    ) -> HTTPResponse:
        """A short HTML error page."""
        return self.html_response(self.page(title, f'<p class="error">{e(message)}</p>', session), status)

    def csrf_field(self, session: dict[str, Any]) -> str:
        """The hidden CSRF input of every POST form."""
        return f'<input type="hidden" name="csrf" value="{e(session["csrf"])}">'

    # --- pages --------------------------------------------------------------------------------

    def login_page(self, message: str = "", status: int = 200) -> HTTPResponse:
        """The login form."""
        error = f'<p class="error" role="alert">{e(message)}</p>' if message else ""
        body = (
            f'{error}<form method="post" action="/staff/login" class="card narrow">'
            '<label for="name">Your name (shown in the change log)</label>'
            '<input id="name" name="name" required maxlength="64" autocomplete="name">'
            '<label for="token">Staff token</label>'
            '<input id="token" name="token" type="password" required autocomplete="current-password">'
            '<button type="submit">Log in</button></form>'
        )
        return self.html_response(self.page("Log in", body, None), status)

    async def login(self, request: Request) -> HTTPResponse:
        """Exchange the staff token (and a name) for a session cookie."""
        denied = self.check_post(request, None)
        if denied:
            return denied
        client = request.remote_addr or request.ip or "?"
        if self._throttled(client):
            return self.login_page("Too many failed attempts: wait a few minutes.", 429)
        form = request.form or {}
        token = form.get("token", "") or ""
        if not hmac.compare_digest(token.encode("utf-8"), self.token.encode("utf-8")):
            self._throttled(client, failed=True)
            logger.warning("Staff console: failed login from %s", client)
            return self.login_page("Wrong staff token.", 401)
        try:
            name = validate_staff_name(form.get("name", "") or "")
        except InvalidEdit as error:
            return self.login_page(str(error), 400)
        session = new_session(name, self.session_minutes)
        logger.info("Staff console: %s logged in from %s", name, client)
        reply = response.redirect("/staff/conversations", status=303, headers=dict(SECURITY_HEADERS))
        self._set_cookie(request, reply, sign_session(self.secret, session), int(self.session_minutes * 60))
        return reply

    @staticmethod
    def _set_cookie(request: Request, reply: HTTPResponse, value: str, max_age: int) -> None:
        reply.cookies[COOKIE] = value
        cookie = reply.cookies[COOKIE]
        cookie["path"] = "/staff"
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["max-age"] = max_age
        forwarded = request.headers.get("x-forwarded-proto", "")
        if request.scheme == "https" or forwarded == "https":
            cookie["secure"] = True

    async def logout(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """Revoke the session and clear the cookie."""
        denied = self.check_post(request, session)
        if denied:
            return denied
        self._revoke(session)
        reply = response.redirect("/staff/login", status=303, headers=dict(SECURITY_HEADERS))
        self._set_cookie(request, reply, "", 0)
        return reply

    def conversation_filter(self, request: Request) -> queries.ConversationFilter:
        """Search criteria from the query string."""
        args = request.args
        return queries.ConversationFilter(
            since=_parse_day(args.get("from")),
            until=_parse_day(args.get("to")),
            channel=(args.get("channel") or "")[:64],
            language=(args.get("language") or "")[:8],
            text=(args.get("q") or "")[:200],
        )

    async def conversations(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """The searchable list of conversations."""
        criteria = self.conversation_filter(request)
        engine = self.engine()
        rows = await self._run(queries.list_conversations, engine, criteria)
        channels, languages = await self._run(queries.channels_and_languages, engine)

        def options(values: list[str], chosen: str) -> str:
            items = ['<option value="">any</option>']
            items += [
                f'<option value="{e(v)}"{" selected" if v == chosen else ""}>{e(v)}</option>' for v in values
            ]
            return "".join(items)

        args = request.args
        form = (
            '<form method="get" action="/staff/conversations" class="filters" role="search">'
            f'<label>From <input type="date" name="from" value="{e(args.get("from", ""))}"></label>'
            f'<label>To <input type="date" name="to" value="{e(args.get("to", ""))}"></label>'
            f'<label>Channel <select name="channel">{options(channels, criteria.channel)}</select></label>'
            f'<label>Language <select name="language">{options(languages, criteria.language)}'
            "</select></label>"
            f'<label>Text <input type="search" name="q" value="{e(criteria.text)}"></label>'
            '<button type="submit">Search</button> <a href="/staff/conversations">Reset</a></form>'
        )
        lines = "".join(
            "<tr>"
            f'<td><a href="/staff/transcript?{urlencode({"id": row.sender_id})}">{e(row.sender_id)}</a></td>'
            f"<td>{e(', '.join(row.channels))}</td><td>{e(row.language)}</td>"
            f"<td>{e(fmt_time(row.first_at))}</td><td>{e(fmt_time(row.last_at))}</td>"
            f'<td class="num">{row.user_messages}</td></tr>'
            for row in rows
        )
        capped = f" (the first {criteria.limit})" if len(rows) >= criteria.limit else ""
        table = (
            f"<p>{len(rows)} conversation(s){capped}, latest first.</p>"
            '<table><thead><tr><th scope="col">Conversation</th><th scope="col">Channel</th>'
            '<th scope="col">Language</th><th scope="col">First message</th>'
            '<th scope="col">Last activity</th><th scope="col">User messages</th></tr></thead>'
            f"<tbody>{lines}</tbody></table>"
            if rows
            else "<p>No conversation matches.</p>"
        )
        return self.html_response(self.page("Conversations", form + table, session, "conversations"))

    async def transcript(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """One conversation's messages, in order."""
        sender_id = request.args.get("id") or ""
        lines = await self._run(queries.transcript, self.engine(), sender_id)
        if not lines:
            return self.error_page(404, "Not found", "There is no message in this conversation.", session)
        items = []
        for line in lines:
            who = "User" if line.role == "user" else "Assistant"
            if line.role == "bot" and line.staff:  # a staff reply during a handoff
                who = f"Staff ({e(line.staff)})"
            meta = ""
            if line.role == "user" and line.intent:
                confidence = f" {line.confidence:.2f}" if line.confidence is not None else ""
                meta = f'<span class="meta">{e(line.intent)}{e(confidence)}</span>'
            items.append(
                f'<li class="msg {e(line.role)}"><p class="who">{who} · '
                f'<time datetime="{e(line.at.isoformat())}">{e(fmt_time(line.at))}</time> {meta}</p>'
                f'<p class="text">{e(line.text)}</p></li>'
            )
        body = (
            f'<p>Conversation <code>{e(sender_id)}</code> · <a href="/staff/conversations">back</a></p>'
            f'<ol class="transcript">{"".join(items)}</ol>'
        )
        return self.html_response(self.page("Transcript", body, session, "conversations"))

    def _threshold(self, request: Request) -> float:
        try:
            value = float(request.args.get("threshold") or queries.DEFAULT_THRESHOLD)
        except ValueError:
            return queries.DEFAULT_THRESHOLD
        return min(max(value, 0.0), 1.0)

    async def not_understood(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """Messages the NLU did not understand, grouped and counted."""
        threshold = self._threshold(request)
        rows = await self._run(
            queries.not_understood,
            self.engine(),
            threshold,
            _parse_day(request.args.get("from")),
            _parse_day(request.args.get("to")),
        )
        form = (
            '<form method="get" action="/staff/not-understood" class="filters">'
            f'<label>Confidence below <input type="number" name="threshold" min="0" max="1" step="0.05" '
            f'value="{threshold:.2f}"></label>'
            f'<label>From <input type="date" name="from" value="{e(request.args.get("from", ""))}"></label>'
            f'<label>To <input type="date" name="to" value="{e(request.args.get("to", ""))}"></label>'
            '<button type="submit">Show</button></form>'
            "<p>Messages classified <code>nlu_fallback</code> or with an intent confidence below the "
            "threshold, by lower-cased text, most frequent first: what to teach the assistant next.</p>"
        )
        lines = "".join(
            f'<tr><td>{e(row.text)}</td><td class="num">{row.count}</td>'
            f'<td class="num">{row.conversations}</td><td>{e(", ".join(row.intents))}</td>'
            f"<td>{e(fmt_time(row.last_at))}</td></tr>"
            for row in rows
        )
        table = (
            '<table><thead><tr><th scope="col">Message</th><th scope="col">Times</th>'
            '<th scope="col">Conversations</th><th scope="col">Intent given</th>'
            f'<th scope="col">Last seen</th></tr></thead><tbody>{lines}</tbody></table>'
            if rows
            else "<p>Nothing: every message was understood.</p>"
        )
        return self.html_response(self.page("Not understood", form + table, session, "not-understood"))

    async def assessments(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """Verdicts per day and the latest assessments."""
        per_day = await self._run(queries.verdicts_per_day, self.engine())
        latest = await self._run(queries.latest_assessments, self.engine())
        verdicts = sorted({row.verdict for row in per_day})
        days: dict[date, dict[str, int]] = {}
        for row in per_day:
            days.setdefault(row.day, {})[row.verdict] = row.count
        heads = "".join(f'<th scope="col">{e(v)}</th>' for v in verdicts)
        day_rows = "".join(
            f'<tr><th scope="row">{e(day.isoformat())}</th>'
            + "".join(f'<td class="num">{counts.get(v, 0)}</td>' for v in verdicts)
            + f'<td class="num">{sum(counts.values())}</td></tr>'
            for day, counts in sorted(days.items(), reverse=True)
        )
        latest_rows = "".join(
            f'<tr><td>{e(fmt_time(row.created_at))}</td><td><span class="verdict {e(row.verdict)}">'
            f"{e(row.verdict)}</span></td>"
            f'<td><a href="/staff/transcript?{urlencode({"id": row.conversation_id})}">'
            f"{e(row.conversation_id)}</a></td></tr>"
            for row in latest
        )
        body = (
            "<h2>Verdicts per day (UTC)</h2>"
            + (
                f'<table><thead><tr><th scope="col">Day</th>{heads}<th scope="col">Total</th></tr></thead>'
                f"<tbody>{day_rows}</tbody></table>"
                if per_day
                else "<p>No assessment yet.</p>"
            )
            + "<h2>Latest assessments</h2>"
            + (
                '<table><thead><tr><th scope="col">When</th><th scope="col">Verdict</th>'
                f'<th scope="col">Conversation</th></tr></thead><tbody>{latest_rows}</tbody></table>'
                if latest
                else "<p>No assessment yet.</p>"
            )
        )
        return self.html_response(self.page("Assessments", body, session, "assessments"))

    async def votes(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """ "Was this helpful?" per fact."""
        rows = await self._run(queries.votes_per_fact, self.engine())
        lines = "".join(
            f'<tr><td>{e(row.fact_id)}</td><td class="num">{row.yes}</td><td class="num">{row.no}</td>'
            f'<td class="num">{row.total}</td><td class="num">{row.share_yes:.0%}</td></tr>'
            for row in rows
        )
        body = (
            '<table><thead><tr><th scope="col">Fact</th><th scope="col">Yes</th><th scope="col">No</th>'
            '<th scope="col">Votes</th><th scope="col">Helpful</th></tr></thead>'
            f"<tbody>{lines}</tbody></table>"
            if rows
            else "<p>No vote yet.</p>"
        )
        return self.html_response(self.page("Was this helpful?", body, session, "votes"))

    def ask_form(self, session: dict[str, Any], question: str = "", language: str = "en") -> str:
        """The question box."""
        choices = "".join(
            f'<option value="{lang}"{" selected" if lang == language else ""}>{label}</option>'
            for lang, label in (("en", "English"), ("fr", "French"))
        )
        return (
            '<form method="post" action="/staff/ask" class="card">'
            f"{self.csrf_field(session)}"
            '<label for="question">Question</label>'
            '<textarea id="question" name="question" rows="3" required maxlength="1000">'
            f"{e(question)}</textarea>"
            f'<label for="language">Answer in</label><select id="language" name="language">{choices}</select>'
            '<button type="submit">Ask</button></form>'
        )

    async def ask(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """The assistant's answer (fact and sources) to a staff question."""
        if request.method != "POST":
            body = self.ask_form(session) + "<p>The answer the assistant gives, with its sources.</p>"
            return self.html_response(self.page("Ask", body, session, "ask"))
        denied = self.check_post(request, session)
        if denied:
            return denied
        form = request.form or {}
        question = (form.get("question") or "").strip()[:1000]
        language = form.get("language") if form.get("language") in LANGUAGES else "en"
        if not question:
            return self.html_response(
                self.page(
                    "Ask", '<p class="error">Type a question.</p>' + self.ask_form(session), session, "ask"
                ),
                400,
            )
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            return self.error_page(503, "Not ready", "The assistant's model is not loaded yet.", session)
        try:
            parsed = await agent.parse_message(question)
        except Exception:
            logger.exception("Staff console: the model could not parse a question")
            return self.error_page(503, "Not ready", "The assistant could not read the question.", session)
        intent = parsed.get("intent") or {}
        knowledge = await self._run(self.knowledge_file.get)
        answer = queries.answer_for(
            knowledge, intent.get("name"), float(intent.get("confidence") or 0.0), language
        )
        sources = "".join(f"<li>{e(source)}</li>" for source in answer.sources)
        result = (
            '<section class="card answer" aria-label="Answer">'
            f'<p class="meta">Intent <code>{e(answer.intent)}</code> ({answer.confidence:.2f})'
            + (
                f" · fact <code>{e(answer.fact_id)}</code> · as of {e(answer.as_of)}"
                if answer.fact_id
                else ""
            )
            + f'</p><pre class="text" id="answer-text">{e(answer.text)}</pre>'
            + (f'<h2>Sources</h2><ul class="sources">{sources}</ul>' if answer.sources else "")
            + ("" if answer.fact_id else "<p><strong>I don't know</strong>: no fact answers this intent.</p>")
            + "</section>"
        )
        body = self.ask_form(session, question, language) + result
        return self.html_response(self.page("Ask", body, session, "ask"))

    async def facts(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """The facts and the change log."""
        knowledge = await self._run(self.knowledge_file.get)
        changes = await self._run(lambda: self.change_log().recent(50))
        rows = "".join(
            f'<tr><td><a href="/staff/facts/{quote(fact.id)}">{e(fact.id)}</a></td>'
            f"<td><code>{e(fact.intent)}</code></td><td>{e(fact.as_of)}</td>"
            f"<td>{e(fact.checked or 'never')}</td>"
            f"<td>{e(', '.join(s.id for s in fact.sources))}</td>"
            f"<td>{e(_shorten(knowledge.text(fact.answers, 'en')))}</td></tr>"
            for fact in knowledge.facts.values()
        )
        due = due_for_review(knowledge.data, date.today())
        due_rows = "".join(
            f'<li><a href="/staff/facts/{quote(fact_id)}">{e(fact_id)}</a>: '
            f"{e('last checked ' + checked.isoformat() if checked else 'never checked')}</li>"
            for fact_id, checked in due
        )
        review = (
            f'<ol class="due">{due_rows}</ol>'
            if due
            else "<p>Every fact was checked in the last 180 days.</p>"
        )
        body = (
            f"<p>From <code>{e(facts_path())}</code>. The assistant uses a saved change at once.</p>"
            "<h2>Due for review</h2><p>Not confirmed against the official page in the last 180 days, oldest "
            "first. The assistant adds a warning to their answers until someone marks them checked.</p>"
            f"{review}<h2>All facts</h2>"
            '<table><thead><tr><th scope="col">Fact</th><th scope="col">Intent</th>'
            '<th scope="col">As of</th><th scope="col">Last checked</th><th scope="col">Sources</th>'
            '<th scope="col">Answer (English)</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>"
            "<h2>Change log</h2>" + self.change_table(changes)
        )
        return self.html_response(self.page("Facts", body, session, "facts"))

    @staticmethod
    def change_table(changes: list[Any]) -> str:
        """The change log as a table (old and new values of what changed)."""
        if not changes:
            return "<p>No change yet.</p>"
        rows = []
        for change in changes:
            diffs = []
            for key in ("as_of", "checked", "sources"):
                old, new = change.old.get(key), change.new.get(key)
                if old != new:
                    if key == "checked":  # absent: nobody has checked it against its official page
                        old, new = old or "never", new or "never"
                    diffs.append(f"<li>{e(key)}: {e(old)} → {e(new)}</li>")
            for lang in LANGUAGES:
                old = change.old.get("answers", {}).get(lang, "")
                new = change.new.get("answers", {}).get(lang, "")
                if old != new:
                    diffs.append(f"<li>answer ({lang}): <del>{e(old)}</del><br><ins>{e(new)}</ins></li>")
            rows.append(
                f"<tr><td>{e(fmt_time(change.changed_at))}</td>"
                f"<td>{e(change.staff_name)}</td><td>{e(change.fact_id)}</td>"
                f'<td><ul class="diff">{"".join(diffs)}</ul></td></tr>'
            )
        return (
            '<table class="log"><thead><tr><th scope="col">When</th><th scope="col">Who</th>'
            '<th scope="col">Fact</th><th scope="col">Change</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def fact_form(
        self, session: dict[str, Any], fact_id: str, values: FactValues, version: str, sources: list[str]
    ) -> str:
        """The edit form of one fact."""
        fields = "".join(
            f'<label for="answer_{lang}">Answer ({"English" if lang == "en" else "French"})</label>'
            f'<textarea id="answer_{lang}" name="answer_{lang}" rows="8"'
            f"{' required' if lang == 'en' else ''}>"
            f"{e(values.answers.get(lang, ''))}</textarea>"
            for lang in LANGUAGES
        )
        return (
            f'<form method="post" action="/staff/facts/{quote(fact_id)}" class="card">'
            f'{self.csrf_field(session)}<input type="hidden" name="version" value="{e(version)}">'
            f"{fields}"
            '<label for="as_of">As of (YYYY, YYYY-MM or YYYY-MM-DD)</label>'
            f'<input id="as_of" name="as_of" required value="{e(values.as_of)}" '
            'pattern="[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?">'
            '<label for="checked">Last checked against the official page (YYYY-MM-DD; empty: never)</label>'
            f'<input id="checked" name="checked" value="{e(values.checked or "")}" '
            'pattern="[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?">'
            '<label for="sources">Sources (ids, comma-separated)</label>'
            f'<input id="sources" name="sources" required value="{e(", ".join(values.sources))}">'
            f'<p class="hint">Known sources: {e(", ".join(sources))}</p>'
            '<button type="submit">Save</button> '
            '<button type="submit" name="mark_checked" value="1">Mark checked today</button> '
            '<a href="/staff/facts">Cancel</a></form>'
        )

    async def fact(self, request: Request, session: dict[str, Any], fact_id: str) -> HTTPResponse:
        """Show or save the edit form of one fact."""
        path = facts_path()
        message = ""
        status = 200
        if request.method == "POST":
            denied = self.check_post(request, session)
            if denied:
                return denied
            form = request.form or {}
            try:
                checked = date.today().isoformat() if form.get("mark_checked") else form.get("checked", "")
                values = FactValues(
                    answers={lang: form.get(f"answer_{lang}", "") or "" for lang in LANGUAGES},
                    as_of=form.get("as_of", "") or "",
                    sources=parse_sources(form.get("sources", "") or ""),
                    checked=checked or None,
                )
                await self._run(
                    save_fact,
                    path,
                    fact_id,
                    values,
                    session["name"],
                    self.change_log(),
                    form.get("version") or None,
                )
            except EditConflict as error:
                message, status = str(error), 409
            except InvalidEdit as error:
                message, status = str(error), 400
            else:
                logger.info("Staff console: %s edited fact %s", session["name"], fact_id)
                return response.redirect(
                    f"/staff/facts/{quote(fact_id)}?saved=1", status=303, headers=dict(SECURITY_HEADERS)
                )
        text = await self._run(path.read_text, encoding="utf-8")
        knowledge = await self._run(KnowledgeBase.load, path)
        if fact_id not in knowledge.facts:
            return self.error_page(404, "Not found", f"There is no fact {fact_id}.", session)
        values = current_values(knowledge, fact_id)
        if status != 200:
            form = request.form or {}
            values = FactValues(
                answers={lang: form.get(f"answer_{lang}", "") or "" for lang in LANGUAGES},
                as_of=form.get("as_of", "") or "",
                sources=tuple(
                    part.strip() for part in (form.get("sources", "") or "").split(",") if part.strip()
                ),
                checked=form.get("checked", "") or None,
            )
        notice = ""
        if message:
            notice = f'<p class="error" role="alert">Not saved: {e(message)}</p>'
        elif request.args.get("saved"):
            notice = '<p class="ok" role="status">Saved. The assistant uses the new text from now on.</p>'
        fact = knowledge.facts[fact_id]
        changes = await self._run(lambda: self.change_log().recent(20, fact_id))
        body = (
            f'{notice}<p>Intent <code>{e(fact.intent)}</code> · <a href="/staff/facts">all facts</a></p>'
            + self.fact_form(session, fact_id, values, file_version(text), sorted(knowledge.sources))
            + "<h2>Changes of this fact</h2>"
            + self.change_table(changes)
        )
        return self.html_response(self.page(f"Fact {fact_id}", body, session, "facts"), status)

    # --- JSON API -----------------------------------------------------------------------------

    async def api(self, request: Request, what: str) -> HTTPResponse:
        """JSON versions of the pages' data."""
        engine = self.engine()
        if what == "conversations":
            data: Any = await self._run(queries.list_conversations, engine, self.conversation_filter(request))
        elif what == "transcript":
            data = await self._run(queries.transcript, engine, request.args.get("id") or "")
        elif what == "not-understood":
            data = await self._run(queries.not_understood, engine, self._threshold(request))
        elif what == "assessments":
            data = {
                "per_day": await self._run(queries.verdicts_per_day, engine),
                "latest": await self._run(queries.latest_assessments, engine),
            }
        elif what == "votes":
            votes = await self._run(queries.votes_per_fact, engine)
            data = [{**asdict(v), "total": v.total, "share_yes": v.share_yes} for v in votes]
        elif what == "fact-changes":
            data = await self._run(lambda: self.change_log().recent(100))
        else:
            return self.json_response({"error": "not found"}, 404)
        return self.json_response(data)

    # --- routing ------------------------------------------------------------------------------

    def guarded(
        self, handler: Callable[..., Awaitable[HTTPResponse]], api: bool = False
    ) -> Callable[..., Awaitable[HTTPResponse]]:
        """Wrap a handler: 503 when not configured, 401/303 without a session, 503 on database errors."""

        async def wrapped(request: Request, **kwargs: Any) -> HTTPResponse:
            if not self.configured:
                return self.not_configured(api)
            session = self.session_of(request)
            if session is None:
                if api:
                    return self.json_response({"error": "log in first"}, 401)
                if request.method == "GET":
                    return response.redirect("/staff/login", status=303, headers=dict(SECURITY_HEADERS))
                return self.error_page(401, "Log in first", "Your session expired: log in again.")
            if request.body and len(request.body) > MAX_FORM_BYTES:
                return self.error_page(413, "Too large", "The form is too large.", session)
            try:
                if api:
                    return await handler(request, **kwargs)
                return await handler(request, session, **kwargs)
            except SQLAlchemyError:
                logger.exception("Staff console: database error")
                if api:
                    return self.json_response({"error": "database unavailable"}, 503)
                return self.error_page(503, "Database unavailable", "Try again in a moment.", session)

        return wrapped

    def not_configured(self, api: bool = False) -> HTTPResponse:
        """503: IMP_STAFF_TOKEN is not set."""
        message = "The staff console is not configured (set IMP_STAFF_TOKEN)."
        if api:
            return self.json_response({"error": message}, 503)
        return self.error_page(503, "Not configured", message)

    async def static_css(self, request: Request) -> HTTPResponse:
        """The console's stylesheet."""
        return await response.file(
            STATIC_DIR / "console.css", mime_type="text/css; charset=utf-8", headers=dict(SECURITY_HEADERS)
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The console's routes; `on_new_message` is never called."""
        staff = Blueprint("imp_staff_console", __name__)

        @staff.route("/", methods=["GET"], strict_slashes=False)
        async def index(request: Request) -> HTTPResponse:
            if not self.configured:
                return self.not_configured()
            target = "/staff/conversations" if self.session_of(request) else "/staff/login"
            return response.redirect(target, status=303, headers=dict(SECURITY_HEADERS))

        @staff.route("/login", methods=["GET", "POST"])
        async def login(request: Request) -> HTTPResponse:
            if not self.configured:
                return self.not_configured()
            if request.method == "POST":
                return await self.login(request)
            return self.login_page()

        @staff.route("/static/console.css", methods=["GET"])
        async def css(request: Request) -> HTTPResponse:
            return await self.static_css(request)

        staff.add_route(self.guarded(self.logout), "/logout", methods=["POST"], name="logout")
        staff.add_route(
            self.guarded(self.conversations), "/conversations", methods=["GET"], name="conversations"
        )
        staff.add_route(self.guarded(self.transcript), "/transcript", methods=["GET"], name="transcript")
        staff.add_route(
            self.guarded(self.not_understood), "/not-understood", methods=["GET"], name="not_understood"
        )
        staff.add_route(self.guarded(self.assessments), "/assessments", methods=["GET"], name="assessments")
        staff.add_route(self.guarded(self.votes), "/votes", methods=["GET"], name="votes")
        staff.add_route(self.guarded(self.ask), "/ask", methods=["GET", "POST"], name="ask")
        staff.add_route(self.guarded(self.facts), "/facts", methods=["GET"], name="facts")
        staff.add_route(
            self.guarded(self.fact),
            "/facts/<fact_id:[A-Za-z0-9_.-]{1,64}>",
            methods=["GET", "POST"],
            name="fact",
        )
        staff.add_route(
            self.guarded(self.api, api=True), "/api/<what:[a-z-]{1,32}>", methods=["GET"], name="api"
        )
        from rasa_plugins.handoff_console import add_routes  # imports this module

        add_routes(staff, self)  # the handoff queue (handoff_console.py)
        return staff


def _shorten(text: str, length: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
