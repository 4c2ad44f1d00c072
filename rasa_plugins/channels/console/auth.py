"""Staff sessions: signed session cookies, revocation, the shared-token login's throttling, CSRF and Origin.

A session is either an account's (`kind` "account", with the account's session `epoch`: the
console checks the account on every request, actions/core/staff_accounts.py) or, in the opt-in
shared-token mode, a typed name's (no `kind`), which has the admin role.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_plugins.channels.console.render import error_page

logger = logging.getLogger(__name__)

COOKIE = "imp_staff_session"
COOKIE_PATH = "/staff"
DEFAULT_SESSION_MINUTES = 30.0
MAX_LOGIN_FAILURES = 10
LOGIN_FAILURE_WINDOW = 300.0


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


ACCOUNT_SESSION = "account"


def new_session(
    name: str, minutes: float, now: float | None = None, epoch: int | None = None
) -> dict[str, Any]:
    """A fresh session for a staff member: random id and CSRF token, expiry in `minutes`; an
    account's session (with its `epoch`) when `epoch` is given, else a shared-token one."""
    session: dict[str, Any] = {
        "sid": secrets.token_urlsafe(16),
        "name": name,
        "csrf": secrets.token_urlsafe(24),
        "exp": int((time.time() if now is None else now) + minutes * 60),
    }
    if epoch is not None:
        session.update(kind=ACCOUNT_SESSION, epoch=epoch)
    return session


def is_account_session(session: dict[str, Any]) -> bool:
    """Whether the session was opened by an account (else by the shared token)."""
    return session.get("kind") == ACCOUNT_SESSION


def env_flag(name: str) -> bool:
    """Whether the environment variable is 1, true, yes or on."""
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def set_cookie(request: Request, reply: HTTPResponse, value: str, max_age: int) -> None:
    """Put the session cookie on `reply`: HttpOnly, SameSite=Strict, Secure behind HTTPS."""
    reply.cookies[COOKIE] = value
    cookie = reply.cookies[COOKIE]
    cookie["path"] = COOKIE_PATH
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["max-age"] = max_age
    forwarded = request.headers.get("x-forwarded-proto", "")
    if request.scheme == "https" or forwarded == "https":
        cookie["secure"] = True


def session_minutes_from_env() -> float:
    """IMP_STAFF_SESSION_MINUTES, or 30 when unset or not a number."""
    try:
        return float(os.environ.get("IMP_STAFF_SESSION_MINUTES") or DEFAULT_SESSION_MINUTES)
    except ValueError:
        logger.warning("IMP_STAFF_SESSION_MINUTES is not a number: using 30")
        return DEFAULT_SESSION_MINUTES


# --- requests ----------------------------------------------------------------------------------


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


def csrf_matches(request: Request, session: dict[str, Any]) -> bool:
    """The form's `csrf` field is the session's CSRF token."""
    sent = request.form.get("csrf", "") if request.form else ""
    return isinstance(sent, str) and hmac.compare_digest(sent, session["csrf"])


def check_post(request: Request, session: dict[str, Any] | None) -> HTTPResponse | None:
    """None when a POST may proceed; else a 403 (foreign origin, missing or wrong CSRF token)."""
    if not origin_allowed(request):
        return error_page(403, "Forbidden", "This form was sent from another site.", session)
    if session is not None and not csrf_matches(request, session):
        return error_page(
            403, "Forbidden", "The form's security token is missing or wrong: reload the page.", session
        )
    return None


class Sessions:
    """The console's modes, token, signing key, revoked sessions and failed shared-token logins per client.

    `accounts`: named accounts may log in; `shared`: the opt-in single-person mode, in which the
    shared token (and a typed name) opens an admin session.
    """

    def __init__(
        self, token: str, secret: bytes, minutes: float, shared: bool = False, accounts: bool = False
    ) -> None:
        self.token = token
        self.shared = shared and bool(token)
        self.accounts = accounts
        self.secret = secret
        self.minutes = minutes if minutes > 0 else DEFAULT_SESSION_MINUTES
        self._lock = threading.Lock()
        self._revoked: dict[str, float] = {}
        self._failures: dict[str, list[float]] = {}

    def token_matches(self, token: str) -> bool:
        """The staff token, compared in constant time."""
        return hmac.compare_digest(token.encode("utf-8"), self.token.encode("utf-8"))

    def of(self, request: Request) -> dict[str, Any] | None:
        """The request's valid, unrevoked session, or None."""
        session = read_session(self.secret, request.cookies.get(COOKIE))
        if session is None or session["sid"] in self._revoked:
            return None
        return session

    def start(self, request: Request, reply: HTTPResponse, name: str, epoch: int | None = None) -> None:
        """Open a session for `name` (an account's when `epoch` is given) and set its cookie on `reply`."""
        cookie = sign_session(self.secret, new_session(name, self.minutes, epoch=epoch))
        set_cookie(request, reply, cookie, int(self.minutes * 60))

    def end(self, request: Request, reply: HTTPResponse, session: dict[str, Any]) -> None:
        """Revoke the session (until it would have expired) and clear its cookie on `reply`."""
        now = time.time()
        with self._lock:
            self._revoked = {sid: exp for sid, exp in self._revoked.items() if exp > now}
            self._revoked[session["sid"]] = float(session["exp"])
        set_cookie(request, reply, "", 0)

    def throttled(self, client: str, failed: bool = False) -> bool:
        """Whether `client` failed to log in too often lately; `failed` records one more failure."""
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
