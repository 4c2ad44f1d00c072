"""The staff console's input channel: its blueprint at /staff/ (docs/staff-console.md).

`StaffConsole` never receives messages: its blueprint serves server-rendered pages (pages.py, the
handoff queue in handoff.py, the accounts and audit log in accounts.py) and a small JSON API, behind
a login that exchanges an account's name and password (IMP_STAFF_ACCOUNTS=1), or in the opt-in
single-person mode the shared staff token (IMP_STAFF_SHARED_TOKEN_MODE=1 and IMP_STAFF_TOKEN), for a
signed, expiring, HttpOnly SameSite=Strict session cookie (auth.py). Every route needs a role
(actions/core/staff_accounts.py): agent, editor or admin.
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

from actions.core.staff_accounts import Role, allows, session_valid
from rasa_plugins.channels.console.accounts import AccountPages
from rasa_plugins.channels.console.auth import (
    Sessions,
    env_flag,
    is_account_session,
    origin_allowed,
    session_minutes_from_env,
)
from rasa_plugins.channels.console.data import ConsoleData
from rasa_plugins.channels.console.handoff import HandoffPages
from rasa_plugins.channels.console.pages import ConsolePages
from rasa_plugins.channels.console.render import error_page, headers, json_response, redirect

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
MAX_FORM_BYTES = 64 * 1024
NOT_CONFIGURED = (
    "The staff console is not configured (set IMP_STAFF_ACCOUNTS=1 for named accounts, or "
    "IMP_STAFF_SHARED_TOKEN_MODE=1 and IMP_STAFF_TOKEN for a single person)."
)
# What each JSON API needs beyond the agent role.
API_ROLES = {"fact-changes": Role.EDITOR}

Handler = Callable[..., Awaitable[HTTPResponse]]


def api_role(what: str) -> Role:
    """The role a JSON API needs: agent, except the fact change log (editor)."""
    return API_ROLES.get(what, Role.AGENT)


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
        accounts: bool | None = None,
        shared_token_mode: bool | None = None,
    ) -> None:
        token = token if token is not None else os.environ.get("IMP_STAFF_TOKEN", "")
        accounts = accounts if accounts is not None else env_flag("IMP_STAFF_ACCOUNTS")
        shared = (
            shared_token_mode if shared_token_mode is not None else env_flag("IMP_STAFF_SHARED_TOKEN_MODE")
        )
        if token and not shared:
            logger.warning(
                "IMP_STAFF_TOKEN is ignored without IMP_STAFF_SHARED_TOKEN_MODE=1 (staff accounts)"
            )
        secret = secret if secret is not None else os.environ.get("IMP_STAFF_SECRET", "")
        minutes = session_minutes if session_minutes is not None else session_minutes_from_env()
        key = secret.encode("utf-8") if secret else secrets.token_bytes(32)
        self.sessions = Sessions(token, key, minutes, shared=shared, accounts=accounts)
        self.data = ConsoleData(db_url)
        self.pages = ConsolePages(self.sessions, self.data)
        self.handoffs = HandoffPages(self.data)
        self.accounts = AccountPages(self.sessions, self.data)

    def url_prefix(self) -> str:
        """Absolute, so that Rasa mounts the blueprint at /staff rather than /webhooks/staff."""
        return "/staff"

    def get_output_channel(self) -> OutputChannel | None:
        """This channel never answers anybody."""
        return None

    @property
    def configured(self) -> bool:
        """The console is on with named accounts, or in the opt-in shared-token mode with a token."""
        return self.sessions.accounts or self.sessions.shared

    def engine(self) -> Engine:
        """The process's one engine on IMP_DATABASE_URL (shared with the tracker store…)."""
        return self.data.engine()

    def not_configured(self, api: bool = False) -> HTTPResponse:
        """503: IMP_STAFF_TOKEN is not set."""
        if api:
            return json_response({"error": NOT_CONFIGURED}, 503)
        return error_page(503, "Not configured", NOT_CONFIGURED)

    async def staff_session(self, request: Request) -> dict[str, Any] | None:
        """The request's session with its `role`, or None: an account's session is valid while the
        account is enabled and its epoch unchanged; a shared-token one only in shared-token mode."""
        session = self.sessions.of(request)
        if session is None:
            return None
        if not is_account_session(session):
            return {**session, "role": Role.ADMIN.value} if self.sessions.shared else None
        if not self.sessions.accounts:
            return None
        account = await self.data.run(self.data.accounts().get, session["name"])
        if account is None or not session_valid(account, session.get("epoch")):
            return None
        return {**session, "role": account.role.value}

    def guarded(
        self, handler: Handler, api: bool = False, role: Role | Callable[..., Role] = Role.AGENT
    ) -> Handler:
        """Wrap a handler: 503 when not configured, 401/303 without a session, 403 when the role is
        too low (`role`, or `role(**route arguments)`), 503 on database errors."""

        async def wrapped(request: Request, **kwargs: Any) -> HTTPResponse:
            if not self.configured:
                return self.not_configured(api)
            try:
                session = await self.staff_session(request)
            except SQLAlchemyError:
                logger.exception("Staff console: database error")
                return self.database_error(api)
            if session is None:
                if api:
                    return json_response({"error": "log in first"}, 401)
                if request.method == "GET":
                    return redirect("/staff/login")
                return error_page(401, "Log in first", "Your session expired: log in again.")
            needed = role if isinstance(role, Role) else role(**kwargs)
            if not allows(Role(session["role"]), needed):
                message = (
                    f"Your role ({session['role']}) cannot open this page: it needs the {needed.value} "
                    "role. Ask an admin if you need it."
                )
                if api:
                    return json_response({"error": message}, 403)
                return error_page(403, "Not allowed", message, session)
            if request.body and len(request.body) > MAX_FORM_BYTES:
                return error_page(413, "Too large", "The form is too large.", session)
            try:
                if api:
                    return await handler(request, **kwargs)
                return await handler(request, session, **kwargs)
            except SQLAlchemyError:
                logger.exception("Staff console: database error")
                return self.database_error(api, session)

        return wrapped

    @staticmethod
    def database_error(api: bool, session: dict[str, Any] | None = None) -> HTTPResponse:
        """503: the database did not answer."""
        if api:
            return json_response({"error": "database unavailable"}, 503)
        return error_page(503, "Database unavailable", "Try again in a moment.", session)

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
        pages, handoffs, accounts, guarded = self.pages, self.handoffs, self.accounts, self.guarded
        editor, admin = Role.EDITOR, Role.ADMIN

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
        staff.add_route(
            guarded(pages.logout_everywhere), "/logout-everywhere", methods=["POST"], name="logout_everywhere"
        )
        staff.add_route(guarded(pages.conversations), "/conversations", methods=["GET"], name="conversations")
        staff.add_route(guarded(pages.transcript), "/transcript", methods=["GET"], name="transcript")
        staff.add_route(
            guarded(pages.not_understood), "/not-understood", methods=["GET"], name="not_understood"
        )
        staff.add_route(guarded(pages.assessments), "/assessments", methods=["GET"], name="assessments")
        staff.add_route(guarded(pages.votes), "/votes", methods=["GET"], name="votes")
        staff.add_route(guarded(pages.ask), "/ask", methods=["GET", "POST"], name="ask")
        staff.add_route(guarded(pages.facts, role=editor), "/facts", methods=["GET"], name="facts")
        staff.add_route(
            guarded(pages.fact, role=editor),
            "/facts/<fact_id:[A-Za-z0-9_.-]{1,64}>",
            methods=["GET", "POST"],
            name="fact",
        )
        staff.add_route(
            guarded(pages.api, api=True, role=lambda what: api_role(what)),
            "/api/<what:[a-z-]{1,32}>",
            methods=["GET"],
            name="api",
        )
        staff.add_route(
            guarded(accounts.list_page, role=admin), "/accounts", methods=["GET", "POST"], name="accounts"
        )
        staff.add_route(
            guarded(accounts.act, role=admin),
            "/accounts/<account:[A-Za-z0-9._@-]{1,64}>/<what:[a-z-]{1,16}>",
            methods=["POST"],
            name="account_action",
        )
        staff.add_route(guarded(accounts.audit, role=admin), "/audit", methods=["GET"], name="audit")
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
