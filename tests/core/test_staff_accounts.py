"""Staff accounts: scrypt hashes, roles, throttling, revocation, audit log; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.engine import Engine

from actions.core.paging import Cursor, Direction
from actions.core.repository import make_engine
from actions.core.staff_accounts import (
    ACCOUNT_THROTTLE,
    ADDRESS_THROTTLE,
    AccountError,
    Role,
    StaffAccounts,
    ThrottleRule,
    allows,
    hash_password,
    parse_role,
    session_valid,
    throttled,
    validate_account_name,
    verify_password,
)
from actions.core.tables import Base

PASSWORD = "correct horse battery"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def accounts(database_url: str) -> Iterator[StaffAccounts]:
    engine: Engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield StaffAccounts(engine)
    engine.dispose()


def test_a_password_hash_is_salted_scrypt_with_its_parameters() -> None:
    stored = hash_password(PASSWORD)
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert PASSWORD not in stored and salt and digest
    assert hash_password(PASSWORD) != stored  # a new salt each time
    assert hash_password(PASSWORD, b"s" * 16) == hash_password(PASSWORD, b"s" * 16)
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + "!", stored)
    for broken in ["", "plain", "md5$1$1$1$AA==$AA==", "scrypt$x$8$1$AA==$AA==", stored[:-8]]:
        assert not verify_password(PASSWORD, broken)


def test_each_role_can_do_what_the_previous_one_can() -> None:
    assert (
        allows(Role.ADMIN, Role.EDITOR) and allows(Role.EDITOR, Role.AGENT) and allows(Role.AGENT, Role.AGENT)
    )
    assert not allows(Role.AGENT, Role.EDITOR) and not allows(Role.EDITOR, Role.ADMIN)
    assert parse_role(" Editor ") is Role.EDITOR
    with pytest.raises(AccountError):
        parse_role("root")


@pytest.mark.parametrize("name", ["", "a b", "<script>", "x" * 65, "ana;drop"])
def test_an_account_name_is_plain(name: str) -> None:
    with pytest.raises(AccountError):
        validate_account_name(name)


def test_throttling_counts_the_failures_within_the_window() -> None:
    rule = ThrottleRule(3, timedelta(minutes=15))
    recent = [NOW - timedelta(minutes=m) for m in (1, 5, 14)]
    assert throttled(recent, NOW, rule)
    assert not throttled(recent[:2], NOW, rule)
    assert not throttled(recent, NOW + timedelta(minutes=2), rule)  # the oldest aged out
    assert (ACCOUNT_THROTTLE.limit, ACCOUNT_THROTTLE.window) == (5, timedelta(minutes=15))
    assert ADDRESS_THROTTLE.limit > ACCOUNT_THROTTLE.limit


def test_add_authenticate_and_audit(accounts: StaffAccounts) -> None:
    added = accounts.add("ana", Role.EDITOR, PASSWORD, actor="cli")
    assert (added.name, added.role, added.enabled, added.epoch) == ("ana", Role.EDITOR, True, 0)
    assert PASSWORD not in added.password_hash
    assert accounts.authenticate("ana", PASSWORD) == added
    assert accounts.authenticate("ana", "wrong password!") is None
    assert accounts.authenticate("nobody", PASSWORD) is None
    with pytest.raises(AccountError, match="already"):
        accounts.add("ana", Role.AGENT, PASSWORD, actor="cli")
    with pytest.raises(AccountError, match="12"):
        accounts.add("bob", Role.AGENT, "short", actor="cli")
    entries = accounts.audit_page(None, 50).rows
    assert [(e.actor, e.action, e.target, e.detail) for e in entries] == [
        ("cli", "account_add", "ana", "role editor")
    ]


def test_role_changes_disabling_and_revocation_end_sessions(accounts: StaffAccounts) -> None:
    accounts.add("ana", Role.AGENT, PASSWORD, actor="boss")
    session_epoch = accounts.get("ana").epoch
    assert session_valid(accounts.get("ana"), session_epoch)

    assert accounts.set_role("ana", Role.ADMIN, actor="boss").role is Role.ADMIN
    assert session_valid(accounts.get("ana"), session_epoch)  # a role change keeps the session

    revoked = accounts.revoke_sessions("ana", actor="ana")
    assert revoked.epoch == session_epoch + 1 and not session_valid(revoked, session_epoch)
    assert session_valid(revoked, revoked.epoch)

    disabled = accounts.set_enabled("ana", False, actor="boss")
    assert not session_valid(disabled, disabled.epoch) and disabled.epoch == revoked.epoch + 1
    assert accounts.authenticate("ana", PASSWORD) is None
    enabled = accounts.set_enabled("ana", True, actor="boss")
    assert accounts.authenticate("ana", PASSWORD) == enabled

    reset = accounts.reset_password("ana", "another long password", actor="cli")
    assert reset.epoch == enabled.epoch + 1
    assert accounts.authenticate("ana", PASSWORD) is None
    assert accounts.authenticate("ana", "another long password") is not None
    with pytest.raises(AccountError, match="no account"):
        accounts.set_role("nobody", Role.AGENT, actor="boss")
    actions = [e.action for e in accounts.audit_page(None, 50).rows]
    assert actions == [
        "account_password",
        "account_enable",
        "account_disable",
        "sessions_revoked",
        "account_role",
        "account_add",
    ]


def test_failed_logins_throttle_per_key(accounts: StaffAccounts) -> None:
    rule = ThrottleRule(5, timedelta(minutes=15))
    for minute in range(4):
        accounts.record_failure(["account:ana", "address:10.0.0.1"], NOW + timedelta(minutes=minute))
    later = NOW + timedelta(minutes=4)
    assert not accounts.is_throttled("account:ana", rule, later)
    accounts.record_failure(["account:ana"], later)
    assert accounts.is_throttled("account:ana", rule, later)
    assert not accounts.is_throttled("address:10.0.0.1", rule, later)
    assert not accounts.is_throttled("account:ana", rule, NOW + timedelta(minutes=16))  # for a while only
    accounts.clear_failures("account:ana")
    assert not accounts.is_throttled("account:ana", rule, later)
    assert len(accounts.failures("address:10.0.0.1", NOW - timedelta(hours=1))) == 4


def test_the_audit_log_pages_newest_first(accounts: StaffAccounts) -> None:
    for number in range(5):
        accounts.audit("ana", "handoff_take", f"handoff {number}", {"n": number})
    first = accounts.audit_page(None, 2)
    assert [e.target for e in first.rows] == ["handoff 4", "handoff 3"] and first.previous_key is None
    second = accounts.audit_page(Cursor(Direction.AFTER, first.next_key), 2)
    assert [e.target for e in second.rows] == ["handoff 2", "handoff 1"]
    assert second.rows[0].detail == '{"n": 2}' and second.rows[0].at.tzinfo is not None
    back = accounts.audit_page(Cursor(Direction.BEFORE, second.previous_key), 2)
    assert back.rows == first.rows
