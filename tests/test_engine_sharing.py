"""One engine (one connection pool) per database URL in a process, whichever component asks."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import Engine, make_url

from actions import handoff_actions, knowledge_access
from actions.core import console_queries
from actions.core.database import shared_engine
from actions.core.feedback import FeedbackVote
from actions.core.handoff import ASKED
from actions.core.settings import PROJECT_ROOT
from rasa_plugins.channels.console.channel import StaffConsole
from rasa_plugins.channels.widget import WidgetStatic
from rasa_plugins.patches import handoff
from rasa_plugins.stores.tracker_store import EnvSQLTrackerStore
from tests.conftest import POSTGRES_ADMIN_URL

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


def components(url: str) -> dict[str, Engine]:
    """The engine of each Rasa server component built for `url`."""
    store = EnvSQLTrackerStore(domain=DOMAIN, host=url)
    return {
        "tracker store": store.engine,
        "handoff queue": handoff.queue_for(url).engine,
        "staff console": StaffConsole(token="t", secret="s", db_url=url).engine(),
        "feedback votes": WidgetStatic(db_url=url).repository().engine,
    }


def test_the_rasa_server_components_share_one_engine_per_url(tmp_path: Path) -> None:
    first = components(f"sqlite:///{tmp_path / 'one.db'}")
    second = components(f"sqlite:///{tmp_path / 'two.db'}")
    assert len({id(engine) for engine in first.values()}) == 1, first
    assert len({id(engine) for engine in second.values()}) == 1, second
    assert first["tracker store"] is not second["tracker store"]
    assert first["tracker store"].url.database.endswith("one.db")
    assert second["tracker store"].url.database.endswith("two.db")


def test_the_action_server_repositories_share_one_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'actions.db'}"
    monkeypatch.setenv("IMP_DATABASE_URL", url)
    assessments = knowledge_access.assessment_repository().engine
    queue = handoff_actions.handoff_queue().engine
    assert assessments is queue is shared_engine(url)


def test_the_six_call_sites_get_one_engine_per_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'six.db'}"
    monkeypatch.setenv("IMP_DATABASE_URL", url)  # the actions read it; the Rasa server's parts are given it
    engines = {
        **components(url),
        "assessments (actions)": knowledge_access.assessment_repository().engine,
        "handoff queue (actions)": handoff_actions.handoff_queue().engine,
        "fact change log (console)": StaffConsole(token="t", secret="s", db_url=url).data.change_log().engine,
    }
    assert {id(engine) for engine in engines.values()} == {id(shared_engine(url))}, engines


def test_new_pool_settings_get_another_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"  # no connection is made
    engine = shared_engine(url)
    assert shared_engine(make_url(url)) is engine
    monkeypatch.setenv("IMP_DB_POOL_SIZE", "2")
    smaller = shared_engine(url)
    assert smaller is not engine and smaller.pool.size() == 2
    assert shared_engine(url) is smaller


def test_a_forked_worker_gets_its_own_engine(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'forked.db'}"
    console, widget = StaffConsole(token="t", secret="s", db_url=url), WidgetStatic(db_url=url)
    parent = {handoff.queue_for(url).engine, console.engine(), widget.repository().engine, shared_engine(url)}
    assert len(parent) == 1

    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # as a Sanic worker forked after the channels were made
        try:
            os.close(read)
            engines = {handoff.queue_for(url).engine, console.engine(), widget.repository().engine}
            answer = b"own" if len(engines) == 1 and not engines & parent else repr(engines).encode()
            os.write(write, answer)
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read()
    os.waitpid(child, 0)
    assert answer == b"own"
    assert {handoff.queue_for(url).engine, console.engine(), widget.repository().engine} == parent


def a_tracker(sender: str) -> DialogueStateTracker:
    events = [ActionExecuted("action_listen"), UserUttered("hello", {"name": "greet", "confidence": 1.0})]
    return DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)


@pytest.fixture
def small_pool(monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    monkeypatch.setenv("IMP_DB_POOL_SIZE", "2")
    monkeypatch.setenv("IMP_DB_MAX_OVERFLOW", "1")
    return 2, 1


def connections_to(database: str, stop: threading.Event, peaks: list[int]) -> None:
    """Sample how many client connections `database` has until `stop` is set."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, future=True, poolclass=sa.pool.NullPool)
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = :name AND backend_type = 'client backend'"
    )
    with admin.connect() as connection:
        while not stop.is_set():
            peaks.append(int(connection.execute(query, {"name": database}).scalar_one()))
            connection.rollback()  # a fresh snapshot of pg_stat_activity next time
            time.sleep(0.01)
    admin.dispose()


def test_concurrent_components_stay_within_one_pool(postgres_url: str, small_pool: tuple[int, int]) -> None:
    store = EnvSQLTrackerStore(domain=DOMAIN, host=postgres_url)
    queue = handoff.queue_for(postgres_url)
    console = StaffConsole(token="t", secret="s", db_url=postgres_url)
    widget = WidgetStatic(db_url=postgres_url)
    limit = sum(small_pool)
    engines = {store.engine, queue.engine, console.engine(), widget.repository().engine}
    assert len(engines) == 1
    engine = engines.pop()
    engine.dispose()  # start from no connection at all

    def slow(component_engine: Engine) -> Callable[[int], object]:
        def hold(i: int) -> object:  # keeps a connection busy, as a slow query would
            with component_engine.connect() as connection:
                return connection.execute(sa.text("SELECT pg_sleep(0.05)")).all()

        return hold

    work: list[Callable[[int], object]] = [
        lambda i: asyncio.run(store.save(a_tracker(f"user-{i}"))),
        lambda i: asyncio.run(store.retrieve(f"user-{i}")),
        lambda i: queue.open(f"user-{i}", "socketio", "en", ASKED),
        lambda i: queue.is_taken(f"user-{i}"),
        lambda i: console_queries.transcript(console.engine(), f"user-{i}"),
        lambda i: widget._store(FeedbackVote(f"user-{i}", "imp_plus_overview", i % 2 == 0)),
        slow(store.engine),
        slow(queue.engine),
        slow(console.engine()),
        slow(widget.repository().engine),
    ]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            for round_ in range(12):
                work[(index + round_) % len(work)](index * 100 + round_)
        except BaseException as error:  # reported below
            errors.append(error)

    stop, peaks = threading.Event(), []
    sampler = threading.Thread(target=connections_to, args=(make_url(postgres_url).database, stop, peaks))
    sampler.start()
    workers = [threading.Thread(target=worker, args=(index,)) for index in range(16)]
    try:
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=120)
    finally:
        stop.set()
        sampler.join(timeout=30)
    assert errors == []
    assert peaks, "pg_stat_activity was never read"
    assert max(peaks) <= limit, f"{max(peaks)} connections for a pool of {small_pool[0]} + {small_pool[1]}"
    assert max(peaks) == limit  # the load did fill the pool: the bound was really tested
    assert engine.pool.checkedout() == 0
    engine.dispose()
