"""The staff console's handoff queue: list, take, reply, hand back (docs/staff-console.md).

Pages are served by `StaffConsole` (rasa_plugins/staff_console.py), behind its login, with its
CSRF-checked forms: GET /staff/handoffs, GET /staff/handoffs/<id>, and POST
/staff/handoffs/<id>/take, /reply and /close. Messages reach the user through
rasa_plugins/handoff.py; the queue is actions/core/handoff.py.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.core import console_queries as queries
from actions.core.dialogue import DIALOGUE_PATH, DialogueTexts
from actions.core.handoff import (
    ACTIVE,
    CLOSED,
    MAX_REPLY_LENGTH,
    OPEN,
    STATUSES,
    TAKEN,
    Handoff,
    HandoffError,
    HandoffQueue,
    clean_reply,
)
from actions.core.reloading import ReloadingFile
from rasa_plugins.handoff import Delivery, conversation_language, queue_for, send_staff_message
from rasa_plugins.staff_console import SECURITY_HEADERS, StaffConsole, e, fmt_time

logger = logging.getLogger(__name__)

dialogue_file: ReloadingFile[DialogueTexts] = ReloadingFile(lambda: DIALOGUE_PATH, DialogueTexts.load)
VIEWS = {"active": ACTIVE, "closed": (CLOSED,), "all": STATUSES}
REASON_LABELS = {"asked": "asked for a person", "not_understood": "not understood twice"}
NOTICES = {
    "taken": "You have the conversation: the assistant stays quiet in it until you hand it back.",
    "sent": "Reply sent.",
    "closed": "Handed back: the assistant answers this conversation again.",
}
TRANSCRIPT_LINES = 30


class HandoffPages:
    """The handoff pages of a staff console."""

    def __init__(self, console: StaffConsole) -> None:
        self.console = console

    def queue(self) -> HandoffQueue:
        """The queue on the console's database (migrated on first use)."""
        return queue_for(self.console._db_url)

    # --- rendering ----------------------------------------------------------------------------

    def _page(self, title: str, body: str, session: dict[str, Any], status: int = 200) -> HTTPResponse:
        return self.console.html_response(self.console.page(title, body, session, "handoffs"), status)

    @staticmethod
    def _transcript_link(sender_id: str) -> str:
        return f'<a href="/staff/transcript?{urlencode({"id": sender_id})}">{e(sender_id)}</a>'

    def table(self, handoffs: list[Handoff]) -> str:
        """The handoffs as a table, each with a link to its page."""
        if not handoffs:
            return "<p>No handoff.</p>"
        rows = "".join(
            f'<tr data-handoff="{h.id}"><td><a href="/staff/handoffs/{h.id}">#{h.id}</a></td>'
            f"<td>{e(fmt_time(h.created_at))}</td><td>{self._transcript_link(h.sender_id)}</td>"
            f"<td>{e(h.channel)}</td><td>{e(h.language)}</td>"
            f"<td>{e(REASON_LABELS.get(h.reason, h.reason))}</td>"
            f'<td><span class="status {e(h.status)}">{e(h.status)}</span></td><td>{e(h.taken_by or "")}</td>'
            f"<td>{e(fmt_time(h.updated_at))}</td></tr>"
            for h in handoffs
        )
        return (
            '<table class="handoffs"><thead><tr><th scope="col">Handoff</th><th scope="col">Opened</th>'
            '<th scope="col">Conversation</th><th scope="col">Channel</th><th scope="col">Language</th>'
            '<th scope="col">Reason</th><th scope="col">Status</th><th scope="col">Taken by</th>'
            f'<th scope="col">Last change</th></tr></thead><tbody>{rows}</tbody></table>'
        )

    async def list_page(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """The queue: open and taken handoffs (oldest first), or the closed ones."""
        view = request.args.get("status") or "active"
        if view not in VIEWS:
            view = "active"
        queue = self.queue()
        handoffs = await self.console._run(queue.list, VIEWS[view])
        counts = await self.console._run(queue.counts)
        tabs = " · ".join(
            f'<a href="/staff/handoffs?status={name}"{" aria-current=page" if name == view else ""}>'
            f"{e(label)}</a>"
            for name, label in (
                ("active", f"Waiting or taken ({counts[OPEN]} + {counts[TAKEN]})"),
                ("closed", f"Closed ({counts[CLOSED]})"),
                ("all", "All"),
            )
        )
        body = (
            f'<p class="filters">{tabs} · <a href="/staff/handoffs?status={view}">Refresh</a></p>'
            "<p>Conversations whose user asked for a person or was not understood twice in a row. "
            "Take one to answer it: the assistant stays quiet in it until you hand it back.</p>"
            + self.table(handoffs)
        )
        return self._page("Handoff queue", body, session)

    def forms(self, handoff: Handoff, session: dict[str, Any]) -> str:
        """The take, reply and hand-back forms that fit the handoff's status."""
        csrf = self.console.csrf_field(session)
        action = f"/staff/handoffs/{handoff.id}"
        parts = []
        if handoff.status == OPEN or (handoff.status == TAKEN and handoff.taken_by != session["name"]):
            label = "Take this conversation" if handoff.status == OPEN else "Take it over"
            parts.append(
                f'<form method="post" action="{action}/take" class="inline">{csrf}'
                f'<button type="submit" id="take">{e(label)}</button></form>'
            )
        if handoff.status == TAKEN:
            parts.append(
                f'<form method="post" action="{action}/reply" class="card">{csrf}'
                '<label for="reply">Your reply (sent to the user as you type it)</label>'
                f'<textarea id="reply" name="text" rows="4" required maxlength="{MAX_REPLY_LENGTH}">'
                "</textarea>"
                '<button type="submit" id="send">Send</button></form>'
            )
        if handoff.status in ACTIVE:
            parts.append(
                f'<form method="post" action="{action}/close" class="inline">{csrf}'
                '<button type="submit" id="hand-back">Hand back to the assistant</button></form>'
            )
        return "".join(parts)

    async def transcript_html(self, sender_id: str) -> str:
        """The latest messages of the conversation."""
        lines = await self.console._run(queries.transcript, self.console.engine(), sender_id)
        if not lines:
            return "<p>No message stored yet.</p>"
        items = []
        for line in lines[-TRANSCRIPT_LINES:]:
            staff = getattr(line, "staff", "")
            who = "User" if line.role == "user" else (f"Staff ({staff})" if staff else "Assistant")
            items.append(
                f'<li class="msg {e(line.role)}"><p class="who">{e(who)} · '
                f'<time datetime="{e(line.at.isoformat())}">{e(fmt_time(line.at))}</time></p>'
                f'<p class="text">{e(line.text)}</p></li>'
            )
        return f'<ol class="transcript" id="conversation">{"".join(items)}</ol>'

    async def detail_page(
        self, request: Request, session: dict[str, Any], handoff_id: int, message: str = "", status: int = 200
    ) -> HTTPResponse:
        """One handoff: its details, the conversation so far and the forms."""
        handoff = await self.console._run(self.queue().get, handoff_id)
        if handoff is None:
            return self.console.error_page(404, "Not found", f"There is no handoff {handoff_id}.", session)
        notice = ""
        if message:
            notice = f'<p class="error" role="alert">{e(message)}</p>'
        elif (done := request.args.get("done") or "") in NOTICES:
            notice = f'<p class="ok" role="status">{e(NOTICES[done])}</p>'
        if request.args.get("unstored"):
            notice += '<p class="error" role="alert">The message could not be stored in the transcript.</p>'
        if request.args.get("undelivered"):
            notice += (
                f'<p class="error" role="alert">The message could not be sent on the {e(handoff.channel)} '
                "channel (it cannot receive messages from the console, or sending failed): the user "
                "may not have got it.</p>"
            )
        details = (
            '<dl class="details">'
            f"<dt>Conversation</dt><dd>{self._transcript_link(handoff.sender_id)}</dd>"
            f"<dt>Channel</dt><dd>{e(handoff.channel)}</dd><dt>Language</dt><dd>{e(handoff.language)}</dd>"
            f"<dt>Reason</dt><dd>{e(REASON_LABELS.get(handoff.reason, handoff.reason))}</dd>"
            f'<dt>Status</dt><dd id="handoff-status">{e(handoff.status)}'
            f"{' by ' + e(handoff.taken_by) if handoff.taken_by else ''}</dd>"
            f"<dt>Opened</dt><dd>{e(fmt_time(handoff.created_at))}</dd>"
            f"<dt>Last change</dt><dd>{e(fmt_time(handoff.updated_at))}</dd></dl>"
        )
        body = (
            f'{notice}<p><a href="/staff/handoffs">Back to the queue</a> · '
            f'<a href="/staff/handoffs/{handoff.id}">Refresh</a></p>'
            + details
            + self.forms(handoff, session)
            + "<h2>Conversation so far</h2>"
            + await self.transcript_html(handoff.sender_id)
        )
        return self._page(f"Handoff #{handoff.id}", body, session, status)

    # --- actions ------------------------------------------------------------------------------

    async def _notify(
        self, request: Request, handoff: Handoff, key: str, session: dict[str, Any]
    ) -> Delivery:
        """Send one of the dialogue file's notices to the user, in the conversation's language."""
        language = await conversation_language(request.app, handoff)
        texts = await self.console._run(dialogue_file.get)
        return await send_staff_message(request.app, handoff, texts.message(key, language), session["name"])

    async def act(
        self, request: Request, session: dict[str, Any], handoff_id: int, what: str
    ) -> HTTPResponse:
        """POST take / reply / close, then back to the handoff's page (303)."""
        denied = self.console.check_post(request, session)
        if denied:
            return denied
        queue = self.queue()
        handoff = await self.console._run(queue.get, handoff_id)
        if handoff is None:
            return self.console.error_page(404, "Not found", f"There is no handoff {handoff_id}.", session)
        try:
            if what == "take":
                handoff = await self.console._run(queue.take, handoff_id, session["name"])
                delivery = await self._notify(request, handoff, "handoff_taken", session)
                done = "taken"
            elif what == "reply":
                if handoff.status != TAKEN:
                    raise HandoffError("Take the conversation before replying.")
                text = clean_reply((request.form or {}).get("text"))
                delivery = await send_staff_message(request.app, handoff, text, session["name"])
                done = "sent"
            elif what == "close":
                handoff = await self.console._run(queue.close, handoff_id, session["name"])
                delivery = await self._notify(request, handoff, "handoff_returned", session)
                done = "closed"
            else:
                return self.console.error_page(404, "Not found", "Unknown action.", session)
        except HandoffError as error:
            return await self.detail_page(request, session, handoff_id, str(error), 409)
        logger.info("Staff console: %s did %s on handoff %s", session["name"], what, handoff_id)
        query = {"done": done}
        if not delivery.delivered:
            query["undelivered"] = "1"
        if not delivery.stored:
            query["unstored"] = "1"
        return response.redirect(
            f"/staff/handoffs/{handoff_id}?{urlencode(query)}", status=303, headers=self.console_headers()
        )

    @staticmethod
    def console_headers() -> dict[str, str]:
        """The console's security headers."""
        return dict(SECURITY_HEADERS)


def add_routes(blueprint: Blueprint, console: StaffConsole) -> None:
    """Register the handoff pages on the console's blueprint, behind its login."""
    pages = HandoffPages(console)

    async def detail(request: Request, session: dict[str, Any], handoff_id: int) -> HTTPResponse:
        return await pages.detail_page(request, session, handoff_id)

    async def act(request: Request, session: dict[str, Any], handoff_id: int, what: str) -> HTTPResponse:
        return await pages.act(request, session, handoff_id, what)

    blueprint.add_route(console.guarded(pages.list_page), "/handoffs", methods=["GET"], name="handoffs")
    blueprint.add_route(
        console.guarded(detail), "/handoffs/<handoff_id:int>", methods=["GET"], name="handoff"
    )
    blueprint.add_route(
        console.guarded(act),
        "/handoffs/<handoff_id:int>/<what:[a-z]{1,16}>",
        methods=["POST"],
        name="handoff_action",
    )
