"""The console's admin pages: the accounts (list, add, role, disable, revoke sessions) and the audit log.

GET/POST /staff/accounts, POST /staff/accounts/<name>/<what> and GET /staff/audit, for admins only
(the role check is channel.py's); the rules and storage are actions/core/staff_accounts.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sanic.request import Request
from sanic.response import HTTPResponse

from actions.core import console_queries as queries
from actions.core.staff_accounts import ROLE_ORDER, AccountError, parse_role
from rasa_plugins.channels.console.auth import Sessions, check_post
from rasa_plugins.channels.console.data import ConsoleData
from rasa_plugins.channels.console.render import error_page, html_page, redirect

NOTICES = {
    "added": "Account added.",
    "role": "Role changed.",
    "disable": "Account disabled: its sessions have ended.",
    "enable": "Account enabled.",
    "revoke": "The account's sessions have ended: it must log in again.",
}


class AccountPages:
    """The accounts page and the audit log."""

    def __init__(self, sessions: Sessions, data: ConsoleData) -> None:
        self.sessions = sessions
        self.data = data

    async def page(
        self,
        request: Request,
        session: dict[str, Any],
        message: str = "",
        status: int = 200,
        draft: Any = None,
    ) -> HTTPResponse:
        """The accounts and the form to add one."""
        accounts = await self.data.run(self.data.accounts().all)
        return html_page(
            "accounts.html",
            status,
            title="Accounts",
            active="accounts",
            session=session,
            accounts=accounts,
            roles=[role.value for role in ROLE_ORDER],
            message=message,
            notice=NOTICES.get(request.args.get("done") or "", ""),
            draft_name=str((draft or {}).get("account", "") or "")[:64],
            draft_role=str((draft or {}).get("role", "") or "agent"),
            accounts_on=self.sessions.accounts,
        )

    async def list_page(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """GET the accounts, POST a new account (name, role, password)."""
        if request.method != "POST":
            return await self.page(request, session)
        denied = check_post(request, session)
        if denied:
            return denied
        form = request.form or {}
        try:
            role = parse_role(form.get("role", "") or "")
            await self.data.run(
                self.data.accounts().add,
                form.get("account", "") or "",
                role,
                form.get("password", "") or "",
                session["name"],
            )
        except AccountError as error:
            return await self.page(request, session, str(error), 400, form)
        return redirect("/staff/accounts?done=added")

    async def act(self, request: Request, session: dict[str, Any], account: str, what: str) -> HTTPResponse:
        """POST role / disable / enable / revoke on one account, then back to the accounts (303)."""
        denied = check_post(request, session)
        if denied:
            return denied
        store, actor = self.data.accounts(), session["name"]
        try:
            if what == "role":
                role = parse_role((request.form or {}).get("role", "") or "")
                await self.data.run(store.set_role, account, role, actor)
            elif what in ("disable", "enable"):
                await self.data.run(store.set_enabled, account, what == "enable", actor)
            elif what == "revoke":
                await self.data.run(store.revoke_sessions, account, actor)
            else:
                return error_page(404, "Not found", "Unknown action.", session)
        except AccountError as error:
            return await self.page(request, session, str(error), 400)
        return redirect(f"/staff/accounts?done={quote(what)}")

    async def audit(self, request: Request, session: dict[str, Any]) -> HTTPResponse:
        """The audit log, newest first, a page at a time."""
        try:
            cursor = queries.parse_cursor(request.args.get("after"), request.args.get("before"))
        except queries.InvalidCursor as error:
            return error_page(400, "Bad request", str(error), session)
        size = queries.page_size(request.args.get("size"))
        page = await self.data.run(self.data.accounts().audit_page, cursor, size)
        return html_page(
            "audit.html",
            title="Audit log",
            active="audit",
            session=session,
            entries=page.rows,
            page=page,
            args={"size": str(size)} if request.args.get("size") else {},
        )
