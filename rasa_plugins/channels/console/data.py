"""What the console reads and writes: the shared database engine, the fact change log, the facts file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy.engine import Engine

from actions.core.database import database, shared_engine
from actions.core.fact_editing import FactChangeLog
from actions.core.knowledge import KnowledgeBase
from actions.core.reloading import ReloadingFile
from actions.core.settings import facts_path
from actions.core.staff_accounts import StaffAccounts


class ConsoleData:
    """The console's storage, on IMP_DATABASE_URL (or `db_url`) and IMP_FACTS_PATH."""

    def __init__(self, db_url: str | None = None) -> None:
        self.db_url = db_url
        self.knowledge_file: ReloadingFile[KnowledgeBase] = ReloadingFile(facts_path, KnowledgeBase.load)

    def engine(self) -> Engine:
        """The process's one engine on the database (shared with the tracker store…)."""
        return shared_engine(self.db_url)

    def change_log(self) -> FactChangeLog:
        """The fact change log on the process's one database, migrated on first use."""
        return database(self.db_url).fact_changes

    def accounts(self) -> StaffAccounts:
        """The accounts, failed logins and audit log on the process's one database, migrated on first use."""
        return database(self.db_url).staff_accounts

    async def audit(self, session: dict[str, Any], action: str, target: str = "", detail: Any = "") -> None:
        """Log one staff action with the session's account (or typed name, in shared-token mode)."""
        await self.run(self.accounts().audit, session["name"], action, target, detail)

    @staticmethod
    async def run(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`function(*args, **kwargs)` in the default executor (it blocks on I/O)."""
        return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args, **kwargs))
