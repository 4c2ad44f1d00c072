"""The staff console's input channel: its blueprint at /staff/ (docs/staff-console.md).

`StaffConsole` never receives messages: its blueprint serves server-rendered pages (pages.py, the
handoff queue in handoff.py) and a small JSON API, behind a login that exchanges the staff token
(IMP_STAFF_TOKEN) for a signed, expiring, HttpOnly SameSite=Strict session cookie (auth.py).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from rasa_plugins.channels.console.auth import Sessions, origin_allowed, session_minutes_from_env
from rasa_plugins.channels.console.data import ConsoleData
from rasa_plugins.channels.console.handoff import HandoffPages
from rasa_plugins.channels.console.pages import ConsolePages
from rasa_plugins.channels.console.render import error_page, headers, json_response, redirect

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
MAX_FORM_BYTES = 64 * 1024
NOT_CONFIGURED = "The staff console is not configured (set IMP_STAFF_TOKEN)."

Handler = Callable[..., Awaitable[HTTPResponse]]


class StaffConsole(InputChannel):
    """The staff console at /staff/; receives no messages."""

    origin_allowed = staticmethod(origin_allowed)

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
        token = token if token is not None else os.environ.get("IMP_STAFF_TOKEN", "")
        secret = secret if secret is not None else os.environ.get("IMP_STAFF_SECRET", "")
        minutes = session_minutes if session_minutes is not None else session_minutes_from_env()
        key = secret.encode("utf-8") if secret else secrets.token_bytes(32)
        self.sessions = Sessions(token, key, minutes)
        self.data = ConsoleData(db_url)
        self.pages = ConsolePages(self.sessions, self.data)
        self.handoffs = HandoffPages(self.data)

    def url_prefix(self) -> str:
        """Absolute, so that Rasa mounts the blueprint at /staff rather than /webhooks/staff."""
        return "/staff"

    def get_output_channel(self) -> OutputChannel | None:
        """This channel never answers anybody."""
        return None

    @property
    def configured(self) -> bool:
        """The console is on only when a staff token is set."""
        return bool(self.sessions.token)

    def engine(self) -> Engine:
        """The process's one engine on IMP_DATABASE_URL (shared with the tracker store…)."""
        return self.data.engine()

    def not_configured(self, api: bool = False) -> HTTPResponse:
        """503: IMP_STAFF_TOKEN is not set."""
        if api:
            return json_response({"error": NOT_CONFIGURED}, 503)
        return error_page(503, "Not configured", NOT_CONFIGURED)

    def guarded(self, handler: Handler, api: bool = False) -> Handler:
        """Wrap a handler: 503 when not configured, 401/303 without a session, 503 on database errors."""

        async def wrapped(request: Request, **kwargs: Any) -> HTTPResponse:
            if not self.configured:
                return self.not_configured(api)
            session = self.sessions.of(request)
            if session is None:
                if api:
                    return json_response({"error": "log in first"}, 401)
                if request.method == "GET":
                    return redirect("/staff/login")
                return error_page(401, "Log in first", "Your session expired: log in again.")
            if request.body and len(request.body) > MAX_FORM_BYTES:
                return error_page(413, "Too large", "The form is too large.", session)
            try:
                if api:
                    return await handler(request, **kwargs)
                return await handler(request, session, **kwargs)
            except SQLAlchemyError:
                logger.exception("Staff console: database error")
                if api:
                    return json_response({"error": "database unavailable"}, 503)
                return error_page(503, "Database unavailable", "Try again in a moment.", session)

        return wrapped

    async def index(self, request: Request) -> HTTPResponse:
        """/staff/: to the conversations, or to the login page."""
        if not self.configured:
            return self.not_configured()
        return redirect("/staff/conversations" if self.sessions.of(request) else "/staff/login")

    async def login(self, request: Request) -> HTTPResponse:
        """GET the login form, POST the token."""
        if not self.configured:
            return self.not_configured()
        if request.method == "POST":
            return await self.pages.login(request)
        return self.pages.login_page()

    async def static_css(self, request: Request) -> HTTPResponse:
        """The console's stylesheet."""
        return await response.file(
            STATIC_DIR / "console.css", mime_type="text/css; charset=utf-8", headers=headers()
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The console's routes; `on_new_message` is never called."""
        staff = Blueprint("imp_staff_console", __name__)
        pages, handoffs, guarded = self.pages, self.handoffs, self.guarded

        # Sanic marks each handler with its blueprint's name: a function, not a bound method.
        @staff.route("/", methods=["GET"], strict_slashes=False)
        async def index(request: Request) -> HTTPResponse:
            return await self.index(request)

        @staff.route("/login", methods=["GET", "POST"])
        async def login(request: Request) -> HTTPResponse:
            return await self.login(request)

        @staff.route("/static/console.css", methods=["GET"])
        async def css(request: Request) -> HTTPResponse:
            return await self.static_css(request)

        staff.add_route(guarded(pages.logout), "/logout", methods=["POST"], name="logout")
        staff.add_route(guarded(pages.conversations), "/conversations", methods=["GET"], name="conversations")
        staff.add_route(guarded(pages.transcript), "/transcript", methods=["GET"], name="transcript")
        staff.add_route(
            guarded(pages.not_understood), "/not-understood", methods=["GET"], name="not_understood"
        )
        staff.add_route(guarded(pages.assessments), "/assessments", methods=["GET"], name="assessments")
        staff.add_route(guarded(pages.votes), "/votes", methods=["GET"], name="votes")
        staff.add_route(guarded(pages.ask), "/ask", methods=["GET", "POST"], name="ask")
        staff.add_route(guarded(pages.facts), "/facts", methods=["GET"], name="facts")
        staff.add_route(
            guarded(pages.fact), "/facts/<fact_id:[A-Za-z0-9_.-]{1,64}>", methods=["GET", "POST"], name="fact"
        )
        staff.add_route(guarded(pages.api, api=True), "/api/<what:[a-z-]{1,32}>", methods=["GET"], name="api")
        staff.add_route(guarded(handoffs.list_page), "/handoffs", methods=["GET"], name="handoffs")
        staff.add_route(
            guarded(handoffs.detail), "/handoffs/<handoff_id:int>", methods=["GET"], name="handoff"
        )
        staff.add_route(
            guarded(handoffs.act),
            "/handoffs/<handoff_id:int>/<what:[a-z]{1,16}>",
            methods=["POST"],
            name="handoff_action",
        )
        return staff
