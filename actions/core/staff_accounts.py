"""Named staff accounts: roles, scrypt password hashes, login throttling, revocation and the audit log.

Framework-free (docs/staff-console.md, "Accounts"): the console (rasa_plugins/channels/console/) and
the command line (scripts/staff.py) call these functions and the `StaffAccounts` store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from actions.core.paging import Cursor, Page, make_page, seek
from actions.core.tables import AUDIT_LOG, LOGIN_FAILURES, STAFF_ACCOUNTS, STAFF_NAME_LENGTH

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# scrypt's cost: N = 2**14, r = 8 (16 MiB of memory per hash), p = 1; stored with each hash.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SCRYPT_MAXMEM = 64 * 1024 * 1024
HASH_BYTES = 32
MAX_DETAIL_LENGTH = 2000


class Role(str, Enum):
    """What a staff member may do: each role can do everything the previous one can."""

    AGENT = "agent"  # the queue, the transcripts, replies (and the read-only pages)
    EDITOR = "editor"  # + the facts: edit, mark checked, notify subscribers
    ADMIN = "admin"  # + the accounts and the audit log


ROLE_ORDER = (Role.AGENT, Role.EDITOR, Role.ADMIN)


class AccountError(ValueError):
    """An account operation that cannot be done (unknown name, bad password, duplicate…)."""


@dataclass(frozen=True)
class Account:
    """One staff account (its password hash is never shown)."""

    name: str
    role: Role
    enabled: bool
    epoch: int
    created_at: datetime
    password_hash: str


@dataclass(frozen=True)
class ThrottleRule:
    """`limit` failed logins within `window`: logins are refused until the oldest ages out."""

    limit: int
    window: timedelta


ACCOUNT_THROTTLE = ThrottleRule(5, timedelta(minutes=15))
ADDRESS_THROTTLE = ThrottleRule(20, timedelta(minutes=15))


@dataclass(frozen=True)
class AuditEntry:
    """One logged staff action: who, what, on what, when, and details."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


# --- rules -------------------------------------------------------------------------------------


def parse_role(value: str) -> Role:
    """The role named `value` (agent, editor, admin); AccountError otherwise."""
    try:
        return Role((value or "").strip().lower())
    except ValueError:
        raise AccountError("the role must be agent, editor or admin") from None


def allows(role: Role, needed: Role) -> bool:
    """Whether `role` may do what `needed` may."""
    return ROLE_ORDER.index(role) >= ROLE_ORDER.index(needed)


def validate_account_name(name: str) -> str:
    """1 to 64 characters: letters, digits, dot, dash, underscore, @."""
    name = (name or "").strip()
    if not 1 <= len(name) <= STAFF_NAME_LENGTH or not all(c.isalnum() or c in "._-@" for c in name):
        raise AccountError("the account name must have 1 to 64 letters, digits or . _ - @")
    return name


def validate_password(password: str) -> str:
    """At least MIN_PASSWORD_LENGTH characters."""
    if not MIN_PASSWORD_LENGTH <= len(password or "") <= MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$hash` (base64): the salt and parameters travel with the hash."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=SCRYPT_MAXMEM,
        dklen=HASH_BYTES,
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` gives the stored hash, with the stored parameters (constant-time compare)."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        wanted = base64.b64decode(expected, validate=True)
        if scheme != "scrypt" or len(wanted) != HASH_BYTES:
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=SCRYPT_MAXMEM,
            dklen=HASH_BYTES,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, wanted)


# A hash of a random password: checked when the account does not exist, so that the answer takes
# as long as for a real account (no telling which names exist from the timing).
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def throttled(failures: Sequence[datetime], now: datetime, rule: ThrottleRule) -> bool:
    """Whether `failures` (times of failed logins) reach the rule's limit within its window."""
    return sum(1 for at in failures if now - at < rule.window) >= rule.limit


def session_valid(account: Account | None, epoch: object) -> bool:
    """A session is valid while its account exists, is enabled and its epoch is the account's."""
    return account is not None and account.enabled and epoch == account.epoch


def now_utc() -> datetime:
    """The current time in UTC."""
    return datetime.now(timezone.utc)


def _aware(value: datetime) -> datetime:
    """SQLite gives back naive datetimes: they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- storage -----------------------------------------------------------------------------------


class StaffAccounts:
    """The accounts (imp_staff_accounts), failed logins (imp_login_failures) and audit log (imp_audit_log)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @staticmethod
    def _account(row: Row) -> Account:
        return Account(
            row.name, Role(row.role), bool(row.enabled), row.epoch, _aware(row.created_at), row.password_hash
        )

    def get(self, name: str) -> Account | None:
        """The account called `name`, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(STAFF_ACCOUNTS).where(STAFF_ACCOUNTS.c.name == name)).first()
        return self._account(row) if row else None

    def all(self) -> list[Account]:
        """Every account, by name."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(STAFF_ACCOUNTS).order_by(STAFF_ACCOUNTS.c.name)).all()
        return [self._account(row) for row in rows]

    def add(self, name: str, role: Role, password: str, actor: str) -> Account:
        """Create an account; AccountError when the name is taken or the password too short."""
        name = validate_account_name(name)
        hashed = hash_password(validate_password(password))
        if self.get(name) is not None:
            raise AccountError(f"there is already an account {name}")
        with self.engine.begin() as connection:
            connection.execute(
                STAFF_ACCOUNTS.insert().values(
                    name=name,
                    role=role.value,
                    enabled=True,
                    epoch=0,
                    created_at=now_utc(),
                    password_hash=hashed,
                )
            )
            self._audit(connection, actor, "account_add", name, f"role {role.value}")
        return self._required(name)

    def _required(self, name: str) -> Account:
        account = self.get(name)
        if account is None:
            raise AccountError(f"there is no account {name}")
        return account

    def _update(self, name: str, actor: str, action: str, detail: str, **values: object) -> Account:
        self._required(name)
        with self.engine.begin() as connection:
            connection.execute(STAFF_ACCOUNTS.update().where(STAFF_ACCOUNTS.c.name == name).values(**values))
            self._audit(connection, actor, action, name, detail)
        return self._required(name)

    def set_role(self, name: str, role: Role, actor: str) -> Account:
        """Change an account's role (it applies to its open sessions at once)."""
        return self._update(name, actor, "account_role", f"role {role.value}", role=role.value)

    def set_enabled(self, name: str, enabled: bool, actor: str) -> Account:
        """Disable (its sessions end) or enable an account."""
        epoch = self._required(name).epoch + (0 if enabled else 1)
        action = "account_enable" if enabled else "account_disable"
        return self._update(name, actor, action, "", enabled=enabled, epoch=epoch)

    def reset_password(self, name: str, password: str, actor: str) -> Account:
        """Set a new password; the account's sessions end."""
        hashed = hash_password(validate_password(password))
        epoch = self._required(name).epoch + 1
        return self._update(name, actor, "account_password", "", password_hash=hashed, epoch=epoch)

    def revoke_sessions(self, name: str, actor: str) -> Account:
        """End every session of the account (log out everywhere): its epoch moves on."""
        epoch = self._required(name).epoch + 1
        return self._update(name, actor, "sessions_revoked", "", epoch=epoch)

    def authenticate(self, name: str, password: str) -> Account | None:
        """The enabled account whose password this is, else None (as slow for unknown names)."""
        account = self.get((name or "").strip())
        if account is None:
            verify_password(password, _DUMMY_HASH)
            return None
        if not verify_password(password, account.password_hash) or not account.enabled:
            return None
        return account

    # --- throttling ----------------------------------------------------------------------------

    def record_failure(self, keys: Sequence[str], at: datetime | None = None) -> None:
        """Remember a failed login under each key ("account:…", "address:…")."""
        at = at or now_utc()
        with self.engine.begin() as connection:
            connection.execute(
                LOGIN_FAILURES.delete().where(LOGIN_FAILURES.c.failed_at < at - timedelta(days=1))
            )
            for key in keys:
                connection.execute(LOGIN_FAILURES.insert().values(key=key[:200], failed_at=at))

    def failures(self, key: str, since: datetime) -> list[datetime]:
        """The times of the key's failed logins since `since`."""
        query = sa.select(LOGIN_FAILURES.c.failed_at).where(
            LOGIN_FAILURES.c.key == key[:200], LOGIN_FAILURES.c.failed_at >= since
        )
        with self.engine.connect() as connection:
            return [_aware(at) for at in connection.scalars(query)]

    def is_throttled(self, key: str, rule: ThrottleRule, now: datetime | None = None) -> bool:
        """Whether the key has reached the rule's limit of failed logins lately."""
        now = now or now_utc()
        return throttled(self.failures(key, now - rule.window), now, rule)

    def clear_failures(self, key: str) -> None:
        """Forget the key's failed logins (after a successful login of the account)."""
        with self.engine.begin() as connection:
            connection.execute(LOGIN_FAILURES.delete().where(LOGIN_FAILURES.c.key == key[:200]))

    # --- audit log -----------------------------------------------------------------------------

    @staticmethod
    def _audit(connection: Connection, actor: str, action: str, target: str, detail: str) -> None:
        connection.execute(
            AUDIT_LOG.insert().values(
                at=now_utc(),
                actor=actor[:STAFF_NAME_LENGTH],
                action=action[:32],
                target=target[:255],
                detail=detail[:MAX_DETAIL_LENGTH],
            )
        )

    def audit(self, actor: str, action: str, target: str = "", detail: str | dict[str, object] = "") -> None:
        """Log one staff action."""
        text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, sort_keys=True)
        with self.engine.begin() as connection:
            self._audit(connection, actor, action, target, text)

    def audit_page(self, cursor: Cursor | None, size: int) -> Page[AuditEntry]:
        """One page of the audit log, newest first."""
        query = seek(sa.select(AUDIT_LOG), AUDIT_LOG.c.id, True, cursor, size)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        entries = [AuditEntry(r.id, _aware(r.at), r.actor, r.action, r.target, r.detail) for r in rows]
        return make_page(entries, lambda entry: entry.id, cursor, size)
