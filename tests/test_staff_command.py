"""`python -m scripts.staff`: accounts managed from the command line, the password never an argument."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from actions.core.repository import make_engine
from actions.core.settings import PROJECT_ROOT
from actions.core.staff_accounts import Role, StaffAccounts
from scripts import staff

PASSWORD = "a long enough password"


def accounts(url: str) -> StaffAccounts:
    return StaffAccounts(make_engine(url))


def test_add_list_set_role_disable_and_reset(database_url: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv("IMP_STAFF_PASSWORD", PASSWORD)
    assert staff.main(["--database-url", database_url, "add", "ana", "editor"]) == 0
    assert "Added ana (editor)" in capsys.readouterr().out
    store = accounts(database_url)
    assert store.authenticate("ana", PASSWORD).role is Role.EDITOR

    assert staff.main(["--database-url", database_url, "set-role", "ana", "admin"]) == 0
    assert staff.main(["--database-url", database_url, "disable", "ana"]) == 0
    assert store.authenticate("ana", PASSWORD) is None
    assert staff.main(["--database-url", database_url, "enable", "ana"]) == 0
    capsys.readouterr()
    assert staff.main(["--database-url", database_url, "list"]) == 0
    assert capsys.readouterr().out.startswith("ana\tadmin\tactive\t")

    monkeypatch.delenv("IMP_STAFF_PASSWORD")
    monkeypatch.setattr(sys, "stdin", io.StringIO("the new password here\n"))
    epoch = store.get("ana").epoch
    assert staff.main(["--database-url", database_url, "reset-password", "ana"]) == 0
    assert store.authenticate("ana", "the new password here").epoch == epoch + 1
    assert staff.main(["--database-url", database_url, "revoke", "ana"]) == 0
    assert store.get("ana").epoch == epoch + 2
    assert {e.actor for e in store.audit_page(None, 50).rows} == {"cli"}
    store.engine.dispose()


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["add", "ana", "editor"], "already"),
        (["set-role", "nobody", "agent"], "no account"),
        (["add", "bad name", "agent"], "account name"),
    ],
)
def test_errors_are_one_line(sqlite_url: str, monkeypatch, capsys, argv: list[str], error: str) -> None:
    monkeypatch.setenv("IMP_STAFF_PASSWORD", PASSWORD)
    staff.main(["--database-url", sqlite_url, "add", "ana", "editor"])
    capsys.readouterr()
    assert staff.main(["--database-url", sqlite_url, *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("staff: ") and error in err and "Traceback" not in err


def test_a_short_password_from_stdin_is_refused_and_none_is_an_argument(sqlite_url: str, tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.staff", "--database-url", sqlite_url, "add", "bob", "agent"],
        input="short\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode == 1 and "at least 12" in result.stderr
    with pytest.raises(SystemExit):
        staff.parser().parse_args(["add", "bob", "agent", "--password", "x" * 20])
