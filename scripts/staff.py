"""Manages the staff console's named accounts: `python -m scripts.staff add|list|set-role|…`.

Commands: add, list, set-role, disable, enable, revoke (log out everywhere), reset-password.

The password is never an argument (it would land in the shell's history): it is read from
$IMP_STAFF_PASSWORD when set, else from a prompt (typed twice) on a terminal, else from the
first line of standard input. The database comes from --database-url, else IMP_DATABASE_URL;
it is migrated first. Each change is written in the audit log as done by "cli".
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from sqlalchemy.engine import make_url

from actions.core.database import migrate
from actions.core.repository import make_engine
from actions.core.settings import database_url
from actions.core.staff_accounts import AccountError, StaffAccounts, parse_role

PASSWORD_ENV = "IMP_STAFF_PASSWORD"  # noqa: S105 (the variable's name, not a password)
ACTOR = "cli"


def read_password() -> str:
    """The new password: $IMP_STAFF_PASSWORD, a prompt typed twice, or standard input's first line."""
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if sys.stdin.isatty():
        first = getpass.getpass("Password (at least 12 characters): ")
        if getpass.getpass("Again: ") != first:
            raise AccountError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def run(accounts: StaffAccounts, args: argparse.Namespace) -> str:
    """Do the command; what to print."""
    if args.command == "list":
        rows = [
            f"{a.name}\t{a.role.value}\t{'active' if a.enabled else 'disabled'}\t{a.created_at:%Y-%m-%d}"
            for a in accounts.all()
        ]
        return "\n".join(rows) or "No account."
    if args.command == "add":
        account = accounts.add(args.name, parse_role(args.role), read_password(), ACTOR)
        return f"Added {account.name} ({account.role.value})."
    if args.command == "set-role":
        account = accounts.set_role(args.name, parse_role(args.role), ACTOR)
        return f"{account.name} is now {account.role.value}."
    if args.command in ("disable", "enable"):
        account = accounts.set_enabled(args.name, args.command == "enable", ACTOR)
        return f"{account.name} is {'active' if account.enabled else 'disabled (its sessions ended)'}."
    if args.command == "revoke":
        return f"Ended the sessions of {accounts.revoke_sessions(args.name, ACTOR).name}."
    account = accounts.reset_password(args.name, read_password(), ACTOR)
    return f"New password for {account.name} (its sessions ended)."


def parser() -> argparse.ArgumentParser:
    """The command line."""
    main_parser = argparse.ArgumentParser(prog="python -m scripts.staff", description=__doc__.split("\n")[0])
    main_parser.add_argument("--database-url", help="SQLAlchemy URL (default: $IMP_DATABASE_URL)")
    commands = main_parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the accounts")
    for name, text in [("add", "add an account"), ("set-role", "change an account's role")]:
        command = commands.add_parser(name, help=text)
        command.add_argument("name")
        command.add_argument("role", choices=["agent", "editor", "admin"])
    for name, text in [
        ("disable", "disable an account (its sessions end)"),
        ("enable", "enable a disabled account"),
        ("revoke", "end every session of an account"),
        ("reset-password", "set a new password (its sessions end)"),
    ]:
        commands.add_parser(name, help=text).add_argument("name")
    return main_parser


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run the command: 0, or 1 with one line on standard error."""
    args = parser().parse_args(argv)
    url = args.database_url or database_url()
    engine = make_engine(url)
    try:
        migrate(engine)
        print(run(StaffAccounts(engine), args))
    except AccountError as error:
        print(f"staff: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a database error: one readable line, no traceback
        cause = getattr(error, "orig", None) or error
        print(
            f"staff: failed on {make_url(url).render_as_string(hide_password=True)}: {cause}", file=sys.stderr
        )
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
