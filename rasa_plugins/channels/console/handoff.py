"""The console's handoff queue: list, take, reply, hand back (docs/staff-console.md).

GET /staff/handoffs, GET /staff/handoffs/<id>, and POST /staff/handoffs/<id>/take, /reply and
/close, behind the console's login with its CSRF-checked forms (registered by `channel.py`).
Messages reach the user through rasa_plugins/patches/handoff.py; the queue is actions/core/handoff.py.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from sanic.request import Request
from sanic.response import HTTPResponse

from actions.core import console_queries as queries
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
from actions.core.knowledge import KnowledgeBase
from actions.core.suggestions import Suggestion, open_questions, suggest
from actions.core.texts import texts_file
from rasa_plugins.channels.console.auth import check_post
from rasa_plugins.channels.console.data import ConsoleData
from rasa_plugins.channels.console.model import ModelNotReady, fact_threshold, parse
from rasa_plugins.channels.console.render import error_page, html_page, redirect
from rasa_plugins.patches.handoff import Delivery, conversation_language, queue_for, send_staff_message

logger = logging.getLogger(__name__)

AUDIT_ACTIONS = {"take": "handoff_take", "reply": "handoff_reply", "close": "handoff_hand_back"}
VIEWS = {"active": ACTIVE, "open": (OPEN,), "taken": (TAKEN,), "closed": (CLOSED,), "all": STATUSES}
REASON_LABELS = {"asked": "asked for a person", "not_understood": "not understood twice"}
NOTICES = {
    "taken": "You have the conversation: the assistant stays quiet in it until you hand it back.",
    "sent": "Reply sent.",
    "closed": "Handed back: the assistant answers this conversation again.",
}
TRANSCRIPT_LINES = 30
LANGUAGE_NAMES = {"en": "English", "fr": "French"}
# Why a handoff's page shows "No suggestion".
NO_SUGGESTION = {
    "no_question": "the user has written nothing since the last staff message.",
    "not_ready": "the assistant's model is not loaded.",
    "no_fact": "no fact answers the user's latest messages with enough confidence.",
}
USE_SUGGESTION = "suggestion"  # ?use=suggestion puts the suggested answer in the reply box


def take_label(handoff: Handoff, staff_name: str) -> str:
    """The take button's text, or "" when the handoff cannot be taken (closed, or already ours)."""
    if handoff.status == OPEN:
        return "Take this conversation"
    if handoff.status == TAKEN and handoff.taken_by != staff_name:
        return "Take it over"
    return ""


async def suggestion_for(
    app: Any, handoff: Handoff, lines: list[queries.TranscriptLine], knowledge: KnowledgeBase
) -> tuple[Suggestion | None, str]:
    """The suggested answer to the user's latest question, or None and why there is none."""
    questions = open_questions(lines)
    if not questions:
        return None, NO_SUGGESTION["no_question"]
    language = await conversation_language(app, handoff)
    try:
        threshold = fact_threshold(app)
        for question in questions:
            found = suggest(await parse(app, question), knowledge, language, threshold)
            if found:
                return found, ""
    except ModelNotReady:
        return None, NO_SUGGESTION["not_ready"]
    return None, NO_SUGGESTION["no_fact"]


class HandoffPages:
    """The handoff pages of the staff console."""

    def __init__(self, data: ConsoleData) -> None:
        self.data = data

    def queue(self) -> HandoffQueue:
        """The queue on the console's database (migrated on first use)."""
        return queue_for(self.data.db_url)

    async def list_page(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """The queue: open and taken handoffs (oldest first), or the closed ones."""
        view = request.args.get("status") or "active"
        if view not in VIEWS:
            view = "active"
        try:
            cursor = queries.parse_cursor(request.args.get("after"), request.args.get("before"))
        except queries.InvalidCursor as error:
            return error_page(400, "Bad request", str(error), session)
        size = queries.page_size(request.args.get("size"))
        queue = self.queue()
        page = await self.data.run(queue.page, VIEWS[view], cursor, size)
        counts = await self.data.run(queue.counts)
        tabs = (
            ("active", f"Waiting or taken ({counts[OPEN]} + {counts[TAKEN]})"),
            ("open", f"Waiting ({counts[OPEN]})"),
            ("taken", f"Taken ({counts[TAKEN]})"),
            ("closed", f"Closed ({counts[CLOSED]})"),
            ("all", "All"),
        )
        args = {"status": view, **({"size": str(size)} if request.args.get("size") else {})}
        return html_page(
            "handoffs.html",
            title="Handoff queue",
            active="handoffs",
            session=session,
            tabs=tabs,
            view=view,
            handoffs=page.rows,
            page=page,
            args=args,
            reasons=REASON_LABELS,
        )

    async def detail_page(
        self,
        request: Request,
        session: dict[str, Any],
        handoff_id: int,
        message: str = "",
        status: int = 200,
        draft: str = "",
    ) -> HTTPResponse:
        """One handoff: its details, the suggested answer, the conversation so far and the forms."""
        handoff = await self.data.run(self.queue().get, handoff_id)
        if handoff is None:
            return error_page(404, "Not found", f"There is no handoff {handoff_id}.", session)
        lines = await self.data.run(queries.transcript, self.data.engine(), handoff.sender_id)
        suggestion, no_suggestion = None, ""
        if handoff.status in ACTIVE:
            knowledge = await self.data.run(self.data.knowledge_file.get)
            suggestion, no_suggestion = await suggestion_for(request.app, handoff, lines, knowledge)
        if suggestion and not draft and request.args.get("use") == USE_SUGGESTION:
            draft = suggestion.answer.text
        return html_page(
            "handoff.html",
            status,
            title=f"Handoff #{handoff.id}",
            active="handoffs",
            session=session,
            handoff=handoff,
            message=message,
            notice=NOTICES.get(request.args.get("done") or "", ""),
            unstored=bool(request.args.get("unstored")),
            undelivered=bool(request.args.get("undelivered")),
            reason=REASON_LABELS.get(handoff.reason, handoff.reason),
            take_label=take_label(handoff, session["name"]),
            can_reply=handoff.status == TAKEN,
            can_close=handoff.status in ACTIVE,
            max_reply=MAX_REPLY_LENGTH,
            lines=lines[-TRANSCRIPT_LINES:],
            show_suggestion=handoff.status in ACTIVE,
            suggestion=suggestion,
            no_suggestion=no_suggestion,
            language_name=LANGUAGE_NAMES.get(suggestion.language, "") if suggestion else "",
            draft=draft,
        )

    async def _notify(
        self, request: Request, handoff: Handoff, key: str, session: dict[str, Any]
    ) -> Delivery:
        """Send one of the text catalogues' notices to the user, in the conversation's language."""
        language = await conversation_language(request.app, handoff)
        texts = await self.data.run(texts_file.get)
        return await send_staff_message(request.app, handoff, texts.message(key, language), session["name"])

    async def act(
        self, request: Request, session: dict[str, Any], handoff_id: int, what: str
    ) -> HTTPResponse:
        """POST take / reply / close, then back to the handoff's page (303)."""
        denied = check_post(request, session)
        if denied:
            return denied
        queue = self.queue()
        handoff = await self.data.run(queue.get, handoff_id)
        if handoff is None:
            return error_page(404, "Not found", f"There is no handoff {handoff_id}.", session)
        try:
            if what == "take":
                handoff = await self.data.run(queue.take, handoff_id, session["name"])
                delivery = await self._notify(request, handoff, "handoff_taken", session)
                done = "taken"
            elif what == "reply":
                if handoff.status != TAKEN:
                    raise HandoffError("Take the conversation before replying.")
                text = clean_reply((request.form or {}).get("text"))
                delivery = await send_staff_message(request.app, handoff, text, session["name"])
                done = "sent"
            elif what == "close":
                handoff = await self.data.run(queue.close, handoff_id, session["name"])
                delivery = await self._notify(request, handoff, "handoff_returned", session)
                done = "closed"
            else:
                return error_page(404, "Not found", "Unknown action.", session)
        except HandoffError as error:
            draft = str((request.form or {}).get("text") or "") if what == "reply" else ""
            return await self.detail_page(request, session, handoff_id, str(error), 409, draft)
        logger.info("Staff console: %s did %s on handoff %s", session["name"], what, handoff_id)
        detail = {"conversation": handoff.sender_id, "delivered": delivery.delivered}
        await self.data.audit(session, AUDIT_ACTIONS[what], f"handoff {handoff_id}", detail)
        query = {"done": done}
        if not delivery.delivered:
            query["undelivered"] = "1"
        if not delivery.stored:
            query["unstored"] = "1"
        return redirect(f"/staff/handoffs/{handoff_id}?{urlencode(query)}")

    async def detail(self, request: Request, session: dict[str, Any], handoff_id: int) -> HTTPResponse:
        """GET one handoff's page."""
        return await self.detail_page(request, session, handoff_id)
