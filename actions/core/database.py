"""One database per process and URL: its one engine, its migrations run once, and its repositories.

Every component of a process (the tracker store, handoff queue, staff console and widget votes
of the Rasa server; the action server's assessments and handoff queue) takes its engine and
repositories from `database()`, so that a process opens at most IMP_DB_POOL_SIZE +
IMP_DB_MAX_OVERFLOW connections per database and migrates each database once. Scripts and
tests that want an engine of their own use `actions.core.repository.make_engine`.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.engine import URL, Engine, make_url

from actions.core.fact_editing import FactChangeLog
from actions.core.feedback import FeedbackRepository
from actions.core.handoff import HandoffQueue
from actions.core.migrations import upgrade_database
from actions.core.notices import NoticeBook
from actions.core.repository import AssessmentRepository, engine_options, make_engine
from actions.core.settings import database_url
from actions.core.staff_accounts import StaffAccounts


@dataclass(frozen=True)
class Database:
    """A process's access to one database: its engine (one connection pool) and the repositories on it."""

    engine: Engine

    @cached_property
    def assessments(self) -> AssessmentRepository:
        """The eligibility assessments (imp_assessments)."""
        return AssessmentRepository(self.engine)

    @cached_property
    def feedback(self) -> FeedbackRepository:
        """The widget's "was this helpful?" votes (imp_feedback)."""
        return FeedbackRepository(self.engine)

    @cached_property
    def handoffs(self) -> HandoffQueue:
        """The handoff queue (imp_handoffs)."""
        return HandoffQueue(self.engine)

    @cached_property
    def fact_changes(self) -> FactChangeLog:
        """The log of staff edits to the facts (imp_fact_changes)."""
        return FactChangeLog(self.engine)

    @cached_property
    def notices(self) -> NoticeBook:
        """The change-notice subscriptions and the notices owed (imp_notice_subscriptions, imp_notices)."""
        return NoticeBook(self.engine)

    @cached_property
    def staff_accounts(self) -> StaffAccounts:
        """The staff accounts, failed logins and audit log (imp_staff_accounts, …)."""
        return StaffAccounts(self.engine)


# (process id, URL with its password, engine options) -> that process's Database on the URL.
# A dict under a lock rather than functools.cache, which may run the factory twice in a race
# and so hand out two engines for one URL.
_databases: dict[tuple[int, str, str], Database] = {}
_lock = threading.Lock()
# (process id, URL with its password) of the databases this process has migrated; a lock of its
# own, so that a migration waiting for another server does not hold up `shared_engine`.
_migrated: set[tuple[int, str]] = set()
_migrations_lock = threading.Lock()


def _new_lock_after_fork() -> None:
    global _lock, _migrations_lock
    # either may have been held by another thread at the fork
    _lock, _migrations_lock = threading.Lock(), threading.Lock()


os.register_at_fork(after_in_child=_new_lock_after_fork)


def _url_key(url: URL) -> tuple[int, str]:
    return os.getpid(), url.render_as_string(hide_password=False)


def _database(url: str | URL | None) -> Database:
    """This process's Database on `url` (IMP_DATABASE_URL by default), made on first use, not migrated."""
    parsed = make_url(url or database_url())
    key = (*_url_key(parsed), json.dumps(engine_options(parsed), sort_keys=True))
    with _lock:
        found = _databases.get(key)
        if found is None:
            found = _databases[key] = Database(make_engine(parsed))
        return found


def shared_engine(url: str | URL | None = None) -> Engine:
    """This process's one engine on `url` (IMP_DATABASE_URL by default), without migrating.

    The key holds the process id: a forked worker gets its own pool, never its parent's
    connections (the parent's engines are left alone, not closed, in the child). It also holds
    the options read from the environment, so changed pool settings (tests) give a new engine.
    """
    return _database(url).engine


def migrate(engine: Engine) -> None:
    """Bring the project's tables on the engine's database to the latest revision, once per process.

    A failed migration is not remembered: the next call tries again.
    """
    key = _url_key(engine.url)
    with _migrations_lock:
        if key not in _migrated:
            upgrade_database(engine=engine)
            _migrated.add(key)


def database(url: str | URL | None = None) -> Database:
    """This process's database on `url` (IMP_DATABASE_URL by default), migrated on first use."""
    found = _database(url)
    migrate(found.engine)
    return found
