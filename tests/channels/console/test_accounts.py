"""The console with named accounts, through its registered routes on SQLite: roles, login throttling,
revocation, the accounts page, the audit log, and the opt-in shared-token mode."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from sanic import Sanic

from actions.core.settings import facts_path
from actions.core.staff_accounts import Role
from rasa_plugins.channels.console.auth import COOKIE, new_session, sign_session
from rasa_plugins.channels.console.channel import StaffConsole

PASSWORD = "a long enough password"
SECRET = "route-test-secret"


class FakeRequest:
    """What the console reads of a Sanic request."""

    def __init__(
        self, method: str, cookie: str | None, form: dict[str, str] | None, args: dict[str, str]
    ) -> None:
        self.method = method
        self.headers: dict[str, str] = {}
        self.host = "localhost:5005"
        self.scheme = "http"
        self.cookies = {COOKIE: cookie} if cookie else {}
        self.form = form or {}
        self.args = args
        self.body = b"x" if form else b""
        self.remote_addr = "10.1.2.3"
        self.ip = "10.1.2.3"
        self.app = SimpleNamespace(ctx=SimpleNamespace(agent=None))


class Console:
    """A console with three accounts and its route handlers by name."""

    def __init__(self, console: StaffConsole) -> None:
        self.console = console
        app = Sanic("accounts_" + uuid.uuid4().hex[:8])
        app.blueprint(console.blueprint(lambda message: None), url_prefix=console.url_prefix())
        app.router.finalize()
        self.routes = {route.name.rsplit(".", 1)[-1]: route.handler for route in app.router.routes}

    def call(
        self,
        route: str,
        cookie: str | None = None,
        method: str = "GET",
        form: Any = None,
        args: Any = None,
        **params,
    ):
        request = FakeRequest(method, cookie, form, args or {})
        return asyncio.run(self.routes[route](request, **params))

    def login(self, name: str, password: str = PASSWORD):
        return self.call("login", method="POST", form={"account": name, "password": password})

    def cookie(self, name: str) -> str:
        reply = self.login(name)
        assert reply.status == 303, reply.body
        return reply.cookies[COOKIE].value

    def csrf(self, cookie: str) -> str:
        return self.console.sessions.of(SimpleNamespace(cookies={COOKIE: cookie}))["csrf"]


@pytest.fixture
def staff(tmp_path, monkeypatch) -> Console:
    facts = tmp_path / "facts.yml"
    shutil.copy(facts_path(), facts)
    monkeypatch.setenv("IMP_FACTS_PATH", str(facts))
    console = StaffConsole(
        token="",
        secret=SECRET,
        db_url=f"sqlite:///{tmp_path / 'c.db'}",
        accounts=True,
        shared_token_mode=False,
    )
    store = console.data.accounts()
    for name, role in [("al", Role.AGENT), ("ed", Role.EDITOR), ("ad", Role.ADMIN)]:
        store.add(name, role, PASSWORD, actor="cli")
    return Console(console)


ROUTES = [  # (route, parameters, the role it needs)
    ("handoffs", {}, Role.AGENT),
    ("conversations", {}, Role.AGENT),
    ("votes", {}, Role.AGENT),
    ("api", {"what": "votes"}, Role.AGENT),
    ("facts", {}, Role.EDITOR),
    ("fact", {"fact_id": "fees"}, Role.EDITOR),
    ("api", {"what": "fact-changes"}, Role.EDITOR),
    ("accounts", {}, Role.ADMIN),
    ("audit", {}, Role.ADMIN),
]


def test_each_role_opens_its_pages_and_gets_a_clear_403_for_the_others(staff: Console) -> None:
    cookies = {
        role: staff.cookie(name)
        for name, role in [("al", Role.AGENT), ("ed", Role.EDITOR), ("ad", Role.ADMIN)]
    }
    for route, params, needed in ROUTES:
        for role, cookie in cookies.items():
            reply = staff.call(route, cookie, **params)
            allowed = [Role.AGENT, Role.EDITOR, Role.ADMIN].index(role) >= [
                Role.AGENT,
                Role.EDITOR,
                Role.ADMIN,
            ].index(needed)
            if allowed:
                assert reply.status == 200, (route, params, role, reply.body[:300])
            else:
                assert reply.status == 403, (route, params, role)
                assert f"needs the {needed.value} role".encode() in reply.body
    # POSTs too: the role is checked before the form
    for route, params in [
        ("account_action", {"account": "al", "what": "disable"}),
        ("fact", {"fact_id": "fees"}),
    ]:
        reply = staff.call(
            route, cookies[Role.AGENT], "POST", {"csrf": staff.csrf(cookies[Role.AGENT])}, **params
        )
        assert reply.status == 403
    assert staff.console.data.accounts().get("al").enabled


def test_without_a_session_pages_redirect_and_the_api_is_401(staff: Console) -> None:
    assert staff.call("facts").status == 303
    assert staff.call("api", what="votes").status == 401
    forged = sign_session(b"another key", new_session("ad", 30, epoch=0))
    assert staff.call("facts", forged).status == 303


def test_five_failures_lock_the_account_for_a_while_not_the_others(staff: Console) -> None:
    for _ in range(5):
        reply = staff.login("ed", "wrong password!!")
        assert reply.status == 401 and b"Wrong account name or password" in reply.body
    refused = staff.login("ed")  # even with the right password
    assert refused.status == 429 and b"Too many failed logins" in refused.body
    assert staff.login("ad").status == 303  # another account, same address
    assert staff.login("nobody", "x").status == 401


def test_logout_everywhere_and_disabling_end_other_sessions(staff: Console) -> None:
    first, second = staff.cookie("ed"), staff.cookie("ed")
    assert staff.call("facts", second).status == 200
    reply = staff.call("logout_everywhere", first, "POST", {"csrf": staff.csrf(first)})
    assert reply.status == 303 and reply.headers["location"] == "/staff/login"
    assert staff.call("facts", second).status == 303 and staff.call("facts", first).status == 303
    third, admin = staff.cookie("ed"), staff.cookie("ad")
    assert staff.call("facts", third).status == 200
    staff.call(
        "account_action",
        admin,
        "POST",
        {"csrf": staff.csrf(admin), "role": "agent"},
        account="ed",
        what="role",
    )
    assert staff.call("facts", third).status == 403  # the new role applies at once
    staff.call("account_action", admin, "POST", {"csrf": staff.csrf(admin)}, account="ed", what="disable")
    assert staff.call("handoffs", third).status == 303
    assert staff.login("ed").status == 401
    staff.call("account_action", admin, "POST", {"csrf": staff.csrf(admin)}, account="al", what="revoke")
    assert staff.console.data.accounts().get("al").epoch == 1


def test_an_admin_adds_an_account_and_reads_the_audit_log(staff: Console) -> None:
    admin = staff.cookie("ad")
    form = {"csrf": staff.csrf(admin), "account": "<b>new", "role": "editor", "password": PASSWORD}
    refused = staff.call("accounts", admin, "POST", form)
    assert refused.status == 400 and b"account name" in refused.body and b"<b>new" not in refused.body
    reply = staff.call("accounts", admin, "POST", {**form, "account": "nina"})
    assert reply.status == 303
    assert staff.console.data.accounts().get("nina").role is Role.EDITOR
    listed = staff.call("accounts", admin).body.decode()
    assert 'data-account="nina"' in listed and "scrypt" not in listed
    no_csrf = staff.call("accounts", admin, "POST", {**form, "account": "eve", "csrf": "x"})
    assert no_csrf.status == 403 and staff.console.data.accounts().get("eve") is None

    editor = staff.cookie("nina")
    page = staff.call("fact", editor, args={}, fact_id="fees").body.decode()
    version = page.split('name="version" value="')[1].split('"')[0]
    save = {
        "csrf": staff.csrf(editor),
        "version": version,
        "answer_en": "Fees: see the official page (edited by nina).",
        "answer_fr": "Frais : voir la page officielle.",
        "as_of": "2026-01-01",
        "sources": page.split('id="sources" name="sources" required value="')[1].split('"')[0],
        "mark_checked": "1",
    }
    assert staff.call("fact", editor, "POST", save, fact_id="fees").status == 303
    changes = staff.console.data.change_log().recent(5)
    assert changes[0].staff_name == "nina"  # the account, not a typed name

    audit = staff.call("audit", admin, args={"size": "3"}).body.decode()
    rows = audit.split('data-audit="')[1:]
    assert len(rows) == 3 and "fact_checked" in rows[0] and "fact_edit" in rows[1] and "login" in rows[2]
    assert 'id="page-next"' in audit and "nina" in audit
    entries = staff.console.data.accounts().audit_page(None, 50).rows
    assert ("ad", "account_add", "nina") in {(e.actor, e.action, e.target) for e in entries}


def test_the_shared_token_is_an_explicit_opt_in_with_the_admin_role(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    ignored = Console(
        StaffConsole(token="tok", secret=SECRET, db_url=url, accounts=False, shared_token_mode=False)
    )
    assert ignored.call("login").status == 503 and ignored.call("handoffs").status == 503

    shared = Console(
        StaffConsole(token="tok", secret=SECRET, db_url=url, accounts=False, shared_token_mode=True)
    )
    reply = shared.call("login", method="POST", form={"name": "Solo", "token": "tok"})
    assert reply.status == 303
    cookie = reply.cookies[COOKIE].value
    assert shared.call("accounts", cookie).status == 200 and shared.call("audit", cookie).status == 200
    assert shared.call("login", method="POST", form={"account": "x", "password": "y" * 12}).status == 400
    # an account's cookie is refused when accounts are off
    assert (
        shared.call("handoffs", sign_session(SECRET.encode(), new_session("ad", 30, epoch=0))).status == 303
    )

    accounts_only = Console(
        StaffConsole(token="tok", secret=SECRET, db_url=url, accounts=True, shared_token_mode=False)
    )
    assert accounts_only.call("handoffs", cookie).status == 303  # a shared-token cookie is refused
    login = accounts_only.call("login").body.decode()
    assert 'name="password"' in login and 'name="token"' not in login


def test_handoff_actions_carry_the_account_in_the_queue_and_the_audit_log(staff: Console) -> None:
    agent = staff.cookie("al")
    queue = staff.console.handoffs.queue()
    handoff, _ = queue.open("accounts-user", "rest", "en", "asked")
    csrf = {"csrf": staff.csrf(agent)}
    for what, form in [("take", csrf), ("reply", {**csrf, "text": "Hello from al"}), ("close", csrf)]:
        reply = staff.call("handoff_action", agent, "POST", form, handoff_id=handoff.id, what=what)
        assert reply.status == 303, (what, reply.body[:300])
        if what == "take":
            assert queue.get(handoff.id).taken_by == "al"  # the account, not a typed name
    entries = staff.console.data.accounts().audit_page(None, 3).rows
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("al", "handoff_hand_back", f"handoff {handoff.id}"),
        ("al", "handoff_reply", f"handoff {handoff.id}"),
        ("al", "handoff_take", f"handoff {handoff.id}"),
    ]
    assert '"conversation": "accounts-user"' in entries[0].detail
