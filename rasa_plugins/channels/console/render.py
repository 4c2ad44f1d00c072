"""The console's pages from Jinja2 templates (autoescaped), and its HTML and JSON responses."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sanic import response
from sanic.response import HTTPResponse

from actions.core.staff_accounts import Role, allows

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
    ("accounts", "Accounts"),
    ("audit", "Audit log"),
)
# The role each page of the navigation needs (the others: agent). The routes check it (channel.py).
NAV_ROLES = {"facts": Role.EDITOR, "accounts": Role.ADMIN, "audit": Role.ADMIN}


def can_open(slug: str, session: Any) -> bool:
    """Whether the session's role may open the navigation's page `slug` (no role: every page)."""
    role = session.get("role") if isinstance(session, dict) else None
    return role is None or allows(Role(role), NAV_ROLES.get(slug, Role.AGENT))


def fmt_time(value: datetime | None) -> str:
    """UTC time to the second."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("rasa_plugins.channels.console", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["time"] = fmt_time
    environment.globals["NAV"] = NAV
    environment.globals["can_open"] = can_open
    return environment


TEMPLATES = _environment()


def render(template: str, **context: Any) -> str:
    """A page of templates/ rendered with `context` (values are HTML-escaped)."""
    return TEMPLATES.get_template(template).render(**context)


def headers() -> dict[str, str]:
    """A fresh copy of the console's security headers."""
    return dict(SECURITY_HEADERS)


def html_page(template: str, status: int = 200, **context: Any) -> HTTPResponse:
    """A rendered page with the console's security headers."""
    return response.html(render(template, **context), status=status, headers=headers())


def error_page(status: int, title: str, message: str, session: dict[str, Any] | None = None) -> HTTPResponse:
    """A short HTML error page."""
    return html_page("error.html", status, title=title, message=message, session=session, active="")


def redirect(location: str) -> HTTPResponse:
    """303 See Other to `location`, with the console's security headers."""
    return response.redirect(location, status=303, headers=headers())


def jsonable(value: Any) -> Any:
    """Dataclasses, dates and tuples as JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def json_response(data: Any, status: int = 200) -> HTTPResponse:
    """JSON with the console's security headers."""
    return response.json(jsonable(data), status=status, headers=headers())
