"""What the console reads and writes: the shared database engine, the fact change log, the facts file."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy.engine import Engine

from actions.core.fact_editing import FactChangeLog
from actions.core.knowledge import KnowledgeBase
from actions.core.migrations import upgrade_database
from actions.core.reloading import ReloadingFile
from actions.core.repository import shared_engine
from actions.core.settings import database_url, facts_path


class ConsoleData:
    """The console's storage, on IMP_DATABASE_URL (or `db_url`) and IMP_FACTS_PATH."""

    def __init__(self, db_url: str | None = None) -> None:
        self.db_url = db_url
        self.knowledge_file: ReloadingFile[KnowledgeBase] = ReloadingFile(facts_path, KnowledgeBase.load)
        self._lock = threading.Lock()
        self._change_log: FactChangeLog | None = None

    def engine(self) -> Engine:
        """The process's one engine on the database (shared with the tracker store…)."""
        return shared_engine(self.db_url or database_url())

    def change_log(self) -> FactChangeLog:
        """The fact change log, the database migrated (Alembic) on first use."""
        engine = self.engine()
        with self._lock:
            if self._change_log is None or self._change_log.engine is not engine:  # or a forked worker
                upgrade_database(engine=engine)
                self._change_log = FactChangeLog(engine)
            return self._change_log

    @staticmethod
    async def run(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`function(*args, **kwargs)` in the default executor (it blocks on I/O)."""
        return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args, **kwargs))
