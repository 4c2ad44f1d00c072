"""The console's pages and JSON API: each handler gathers its data and renders a template."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from actions.core import charts
from actions.core import console_queries as queries
from actions.core.fact_check import due_for_review
from actions.core.fact_editing import (
    LANGUAGES,
    EditConflict,
    FactChange,
    FactValues,
    InvalidEdit,
    current_values,
    file_version,
    parse_sources,
    save_fact,
    validate_staff_name,
)
from actions.core.knowledge import KnowledgeBase
from actions.core.notices import NoticeError
from actions.core.settings import facts_path
from actions.core.staff_accounts import ACCOUNT_THROTTLE, ADDRESS_THROTTLE
from rasa_plugins.channels.console.auth import Sessions, check_post, is_account_session
from rasa_plugins.channels.console.data import ConsoleData
from rasa_plugins.channels.console.model import ModelNotReady, parse
from rasa_plugins.channels.console.render import error_page, html_page, json_response, redirect
from rasa_plugins.channels.notices import NotifyReport, book_for, notify_subscribers

logger = logging.getLogger(__name__)

CHANGED_FIELDS = ("as_of", "checked", "sources")


@dataclass(frozen=True)
class Diff:
    """One changed field of a fact change; `answer` diffs show old and new text apart."""

    label: str
    old: str
    new: str
    answer: bool = False


@dataclass(frozen=True)
class ChangeRow:
    """One row of the change log table."""

    changed_at: datetime
    staff_name: str
    fact_id: str
    diffs: tuple[Diff, ...]


@dataclass(frozen=True)
class FactRow:
    """One row of the facts table."""

    id: str
    intent: str
    as_of: str
    checked: str | None
    sources: tuple[str, ...]
    answer: str  # on one line


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def change_diffs(change: FactChange) -> tuple[Diff, ...]:
    """What a change changed: dates and sources, then each language's answer."""
    diffs = []
    for key in CHANGED_FIELDS:
        old, new = change.old.get(key), change.new.get(key)
        if old != new:
            if key == "checked":  # absent: nobody has checked it against its official page
                old, new = old or "never", new or "never"
            diffs.append(Diff(key, _text(old), _text(new)))
    for lang in LANGUAGES:
        old = change.old.get("answers", {}).get(lang, "")
        new = change.new.get("answers", {}).get(lang, "")
        if old != new:
            diffs.append(Diff(f"answer ({lang})", _text(old), _text(new), answer=True))
    return tuple(diffs)


def change_rows(changes: list[FactChange]) -> list[ChangeRow]:
    """The change log as table rows."""
    return [ChangeRow(c.changed_at, c.staff_name, c.fact_id, change_diffs(c)) for c in changes]


def fact_rows(knowledge: KnowledgeBase) -> list[FactRow]:
    """The facts as table rows, with their English answer."""
    return [
        FactRow(
            fact.id,
            fact.intent,
            fact.as_of,
            fact.checked,
            tuple(s.id for s in fact.sources),
            " ".join(knowledge.text(fact.answers, "en").split()),
        )
        for fact in knowledge.facts.values()
    ]


def parse_day(value: str | None) -> date | None:
    """An ISO date of the query string, or None when empty or invalid."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def conversation_filter(request: Request) -> queries.ConversationFilter:
    """Search criteria from the query string."""
    args = request.args
    return queries.ConversationFilter(
        since=parse_day(args.get("from")),
        until=parse_day(args.get("to")),
        channel=(args.get("channel") or "")[:64],
        language=(args.get("language") or "")[:8],
        text=(args.get("q") or "")[:200],
        limit=queries.page_size(args.get("size")),
    )


def assessment_filter(request: Request) -> queries.AssessmentFilter:
    """Search criteria of the assessments page from the query string."""
    args = request.args
    return queries.AssessmentFilter(
        verdict=(args.get("verdict") or "")[:32],
        since=parse_day(args.get("from")),
        until=parse_day(args.get("to")),
        limit=queries.page_size(args.get("size")),
    )


def page_cursor(request: Request) -> queries.Cursor | None:
    """The page cursor of the query string (`after` / `before`); InvalidCursor when malformed."""
    return queries.parse_cursor(request.args.get("after"), request.args.get("before"))


def query_args(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    """The non-empty filter arguments of the query string, for the pages' links."""
    return {name: str(request.args.get(name)) for name in names if request.args.get(name)}


CONVERSATION_ARGS = ("from", "to", "channel", "language", "q", "size")
ASSESSMENT_ARGS = ("verdict", "from", "to", "size")


def threshold(request: Request) -> float:
    """The confidence threshold of the query string, within [0, 1]."""
    try:
        value = float(request.args.get("threshold") or queries.DEFAULT_THRESHOLD)
    except ValueError:
        return queries.DEFAULT_THRESHOLD
    return min(max(value, 0.0), 1.0)


def answer_changed(old: FactValues, new: FactValues) -> bool:
    """Whether an edit changed what the assistant says (its texts, date or sources), not only `checked`."""
    return (old.answers, old.as_of, old.sources) != (new.answers, new.as_of, new.sources)


def notified_report(request: Request) -> NotifyReport | None:
    """The notify report a redirect after a save carries (sent, waiting, failed), if any."""
    try:
        counts = [int(request.args.get(name, "")) for name in ("sent", "waiting", "failed")]
    except ValueError:
        return None
    return NotifyReport(*counts) if all(count >= 0 for count in counts) else None


def form_values(form: Any) -> FactValues:
    """The fact as typed in a form that was not saved, to show it again."""
    return FactValues(
        answers={lang: form.get(f"answer_{lang}", "") or "" for lang in LANGUAGES},
        as_of=form.get("as_of", "") or "",
        sources=tuple(part.strip() for part in (form.get("sources", "") or "").split(",") if part.strip()),
        checked=form.get("checked", "") or None,
    )


class ConsolePages:
    """The route handlers of the console's pages (behind the login, except the login itself)."""

    def __init__(self, sessions: Sessions, data: ConsoleData) -> None:
        self.sessions = sessions
        self.data = data

    # --- login --------------------------------------------------------------------------------

    def login_page(self, message: str = "", status: int = 200) -> HTTPResponse:
        """The login form (accounts, and the shared token in shared-token mode)."""
        return html_page(
            "login.html",
            status,
            title="Log in",
            active="",
            session=None,
            message=message,
            accounts=self.sessions.accounts,
            shared=self.sessions.shared,
        )

    async def login(self, request: Request) -> HTTPResponse:
        """Exchange an account's name and password (or the shared token and a name) for a session cookie."""
        denied = check_post(request, None)
        if denied:
            return denied
        form = request.form or {}
        if "password" in form:
            if self.sessions.accounts:
                return await self.account_login(request, form)
            return self.login_page("Named accounts are off: log in with the staff token.", 400)
        if not self.sessions.shared:
            return self.login_page("Log in with your account name and password.", 400)
        client = request.remote_addr or request.ip or "?"
        if self.sessions.throttled(client):
            return self.login_page("Too many failed attempts: wait a few minutes.", 429)
        if not self.sessions.token_matches(form.get("token", "") or ""):
            self.sessions.throttled(client, failed=True)
            logger.warning("Staff console: failed login from %s", client)
            return self.login_page("Wrong staff token.", 401)
        try:
            name = validate_staff_name(form.get("name", "") or "")
        except InvalidEdit as error:
            return self.login_page(str(error), 400)
        logger.info("Staff console: %s logged in from %s", name, client)
        reply = redirect("/staff/conversations")
        self.sessions.start(request, reply, name)
        return reply

    async def account_login(self, request: Request, form: Any) -> HTTPResponse:
        """An account's login, throttled per account and per client address."""
        client = request.remote_addr or request.ip or "?"
        name = str(form.get("account", "") or "").strip()[:64]
        keys = (f"account:{name.lower()}", f"address:{client}")
        accounts = self.data.accounts()
        for key, rule in zip(keys, (ACCOUNT_THROTTLE, ADDRESS_THROTTLE), strict=True):
            if await self.data.run(accounts.is_throttled, key, rule):
                logger.warning("Staff console: login refused (throttled %s)", key.split(":")[0])
                minutes = int(rule.window.total_seconds() // 60)
                return self.login_page(
                    "Too many failed logins for this account or from this address: "
                    f"try again in {minutes} minutes.",
                    429,
                )
        account = await self.data.run(accounts.authenticate, name, str(form.get("password", "") or ""))
        if account is None:
            await self.data.run(accounts.record_failure, keys)
            logger.warning("Staff console: failed account login from %s", client)
            return self.login_page("Wrong account name or password (or the account is disabled).", 401)
        await self.data.run(accounts.clear_failures, keys[0])
        await self.data.run(accounts.audit, account.name, "login", account.name, f"from {client}")
        logger.info("Staff console: %s logged in from %s", account.name, client)
        reply = redirect("/staff/conversations")
        self.sessions.start(request, reply, account.name, epoch=account.epoch)
        return reply

    async def logout(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """Revoke the session and clear the cookie."""
        denied = check_post(request, session)
        if denied:
            return denied
        if is_account_session(session):
            await self.data.audit(session, "logout", session["name"])
        reply = redirect("/staff/login")
        self.sessions.end(request, reply, session)
        return reply

    async def logout_everywhere(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """End every session of the account (its epoch moves on), this one included."""
        denied = check_post(request, session)
        if denied:
            return denied
        if not is_account_session(session):
            return error_page(400, "Not an account", "The shared-token session has no account.", session)
        await self.data.run(self.data.accounts().revoke_sessions, session["name"], session["name"])
        reply = redirect("/staff/login")
        self.sessions.end(request, reply, session)
        return reply

    # --- conversations ------------------------------------------------------------------------

    async def conversations(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """The searchable list of conversations, one page at a time."""
        criteria = conversation_filter(request)
        try:
            cursor = page_cursor(request)
        except queries.InvalidCursor as error:
            return error_page(400, "Bad request", str(error), session)
        engine = self.data.engine()
        page = await self.data.run(queries.conversation_page, engine, criteria, cursor)
        channels, languages = await self.data.run(queries.channels_and_languages, engine)
        return html_page(
            "conversations.html",
            title="Conversations",
            active="conversations",
            session=session,
            criteria=criteria,
            since=request.args.get("from", ""),
            until=request.args.get("to", ""),
            channels=channels,
            languages=languages,
            rows=page.rows,
            page=page,
            args=query_args(request, CONVERSATION_ARGS),
        )

    async def transcript(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """One conversation's messages, in order."""
        sender_id = request.args.get("id") or ""
        lines = await self.data.run(queries.transcript, self.data.engine(), sender_id)
        if not lines:
            return error_page(404, "Not found", "There is no message in this conversation.", session)
        return html_page(
            "transcript.html",
            title="Transcript",
            active="conversations",
            session=session,
            sender_id=sender_id,
            lines=lines,
        )

    async def not_understood(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """Messages the NLU did not understand, grouped and counted, and the top ones day by day."""
        below = threshold(request)
        report = await self.data.run(
            queries.not_understood_report,
            self.data.engine(),
            below,
            parse_day(request.args.get("from")),
            parse_day(request.args.get("to")),
        )
        return html_page(
            "not_understood.html",
            title="Not understood",
            active="not-understood",
            session=session,
            threshold=below,
            since=request.args.get("from", ""),
            until=request.args.get("to", ""),
            rows=report.rows,
            chart=charts.not_understood_chart(report.per_day),
            table=charts.not_understood_table(report.per_day),
        )

    async def assessments(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """Verdicts per day and the latest assessments, one page at a time."""
        criteria = assessment_filter(request)
        try:
            cursor = page_cursor(request)
        except queries.InvalidCursor as error:
            return error_page(400, "Bad request", str(error), session)
        engine = self.data.engine()
        per_day = await self.data.run(queries.verdicts_per_day, engine, None, criteria)
        page = await self.data.run(queries.assessment_page, engine, criteria, cursor)
        choices = await self.data.run(queries.verdicts, engine)
        days: dict[date, dict[str, int]] = {}
        for row in per_day:
            days.setdefault(row.day, {})[row.verdict] = row.count
        return html_page(
            "assessments.html",
            title="Assessments",
            active="assessments",
            session=session,
            verdicts=charts.verdict_order(row.verdict for row in per_day),
            days=sorted(days.items(), reverse=True),
            chart=charts.verdict_chart(per_day),
            latest=page.rows,
            page=page,
            criteria=criteria,
            verdict_choices=choices,
            since=request.args.get("from", ""),
            until=request.args.get("to", ""),
            args=query_args(request, ASSESSMENT_ARGS),
        )

    async def votes(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """ "Was this helpful?" per fact."""
        rows = await self.data.run(queries.votes_per_fact, self.data.engine())
        return html_page(
            "votes.html",
            title="Was this helpful?",
            active="votes",
            session=session,
            rows=rows,
            chart=charts.votes_chart(rows),
        )

    # --- ask ----------------------------------------------------------------------------------

    def ask_page(
        self,
        session: dict[str, Any],
        question: str = "",
        language: str = "en",
        answer: queries.ConsoleAnswer | None = None,
        missing: bool = False,
    ) -> HTTPResponse:
        """The question box, and the answer when there is one (400 when no question was typed)."""
        return html_page(
            "ask.html",
            400 if missing else 200,
            title="Ask",
            active="ask",
            session=session,
            question=question,
            language=language,
            answer=answer,
            missing=missing,
        )

    async def ask(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """The assistant's answer (fact and sources) to a staff question."""
        if request.method != "POST":
            return self.ask_page(session)
        denied = check_post(request, session)
        if denied:
            return denied
        form = request.form or {}
        question = (form.get("question") or "").strip()[:1000]
        language = form.get("language") if form.get("language") in LANGUAGES else "en"
        if not question:
            return self.ask_page(session, missing=True)
        try:
            parsed = await parse(request.app, question)
        except ModelNotReady as error:
            return error_page(503, "Not ready", str(error), session)
        knowledge = await self.data.run(self.data.knowledge_file.get)
        return self.ask_page(session, question, language, queries.answer_to(parsed, knowledge, language))

    # --- facts --------------------------------------------------------------------------------

    async def facts(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """The facts and the change log."""
        knowledge = await self.data.run(self.data.knowledge_file.get)
        changes = await self.data.run(lambda: self.data.change_log().recent(50))
        return html_page(
            "facts.html",
            title="Facts",
            active="facts",
            session=session,
            path=facts_path(),
            due=due_for_review(knowledge.data, date.today()),
            facts=fact_rows(knowledge),
            changes=change_rows(changes),
        )

    async def save(self, request: Request, session: dict[str, Any], fact_id: str) -> tuple[str, int, bool]:
        """Save the posted form of a fact: ("", 200, whether its answer changed) when saved, else the
        message, its status and False."""
        form = request.form or {}
        try:
            checked = date.today().isoformat() if form.get("mark_checked") else form.get("checked", "")
            values = FactValues(
                answers={lang: form.get(f"answer_{lang}", "") or "" for lang in LANGUAGES},
                as_of=form.get("as_of", "") or "",
                sources=parse_sources(form.get("sources", "") or ""),
                checked=checked or None,
            )
            old, new = await self.data.run(
                save_fact,
                facts_path(),
                fact_id,
                values,
                session["name"],
                self.data.change_log(),
                form.get("version") or None,
            )
        except EditConflict as error:
            return str(error), 409, False
        except InvalidEdit as error:
            return str(error), 400, False
        logger.info("Staff console: %s edited fact %s", session["name"], fact_id)
        changed = answer_changed(old, new)
        if changed:
            await self.data.audit(
                session, "fact_edit", fact_id, {"as_of": new.as_of, "sources": list(new.sources)}
            )
        if form.get("mark_checked"):
            await self.data.audit(session, "fact_checked", fact_id, {"checked": new.checked})
        return "", 200, changed

    async def notify(self, request: Request, session: dict[str, Any], fact_id: str, changed: bool) -> str:
        """Notify the subscribers of a saved fact if the form asks to and its answer changed: the
        report as query arguments."""
        if not (request.form or {}).get("notify_subscribers"):
            return ""
        if not changed:
            return "&notify_skipped=1"
        try:
            report = await notify_subscribers(request.app, fact_id, date.today(), book_for(self.data.db_url))
        except (SQLAlchemyError, OSError, NoticeError) as error:
            logger.error("Could not notify the subscribers of fact %s: %s", fact_id, type(error).__name__)
            return "&notify_failed=1"
        logger.info("Staff console: fact %s notices: %s", fact_id, report.summary())
        await self.data.audit(session, "notify", fact_id, report.summary())
        return f"&sent={report.sent}&waiting={report.waiting}&failed={report.failed}"

    async def fact(self, request: Request, session: dict[str, Any], fact_id: str) -> HTTPResponse:
        """Show or save the edit form of one fact."""
        message, status = "", 200
        if request.method == "POST":
            denied = check_post(request, session)
            if denied:
                return denied
            message, status, changed = await self.save(request, session, fact_id)
            if status == 200:
                notified = await self.notify(request, session, fact_id, changed)
                return redirect(f"/staff/facts/{quote(fact_id)}?saved=1{notified}")
        path = facts_path()
        text = await self.data.run(path.read_text, encoding="utf-8")
        knowledge = await self.data.run(KnowledgeBase.load, path)
        if fact_id not in knowledge.facts:
            return error_page(404, "Not found", f"There is no fact {fact_id}.", session)
        values = form_values(request.form or {}) if status != 200 else current_values(knowledge, fact_id)
        changes = await self.data.run(lambda: self.data.change_log().recent(20, fact_id))
        return html_page(
            "fact.html",
            status,
            title=f"Fact {fact_id}",
            active="facts",
            session=session,
            message=message,
            saved=bool(request.args.get("saved")),
            notified=notified_report(request),
            notify_failed=bool(request.args.get("notify_failed")),
            notify_skipped=bool(request.args.get("notify_skipped")),
            subscribers=await self.data.run(book_for(self.data.db_url).count),
            intent=knowledge.facts[fact_id].intent,
            fact_id=fact_id,
            values=values,
            version=file_version(text),
            languages=LANGUAGES,
            sources=sorted(knowledge.sources),
            changes=change_rows(changes),
        )

    # --- JSON API -----------------------------------------------------------------------------

    async def api(self, request: Request, what: str) -> HTTPResponse:
        """JSON versions of the pages' data."""
        engine = self.data.engine()
        run = self.data.run
        try:
            cursor = page_cursor(request)
        except queries.InvalidCursor as error:
            return json_response({"error": str(error)}, 400)
        if what == "conversations":
            page = await run(queries.conversation_page, engine, conversation_filter(request), cursor)
            data: Any = list(page.rows)
        elif what == "transcript":
            data = await run(queries.transcript, engine, request.args.get("id") or "")
        elif what == "not-understood":
            data = await run(queries.not_understood, engine, threshold(request))
        elif what == "assessments":
            criteria = assessment_filter(request)
            latest = await run(queries.assessment_page, engine, criteria, cursor)
            data = {
                "per_day": await run(queries.verdicts_per_day, engine, None, criteria),
                "latest": list(latest.rows),
            }
        elif what == "votes":
            votes = await run(queries.votes_per_fact, engine)
            data = [{**asdict(v), "total": v.total, "share_yes": v.share_yes} for v in votes]
        elif what == "fact-changes":
            data = await run(lambda: self.data.change_log().recent(100))
        else:
            return json_response({"error": "not found"}, 404)
        return json_response(data)
