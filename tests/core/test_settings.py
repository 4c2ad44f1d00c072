"""Settings read from the environment: database pool sizes and start-up deadline."""

from __future__ import annotations

import pytest

from actions.core.repository import make_engine
from actions.core.settings import db_connect_timeout, db_max_overflow, db_pool_size


def test_defaults_fit_postgresql_max_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IMP_DB_POOL_SIZE", "IMP_DB_MAX_OVERFLOW", "IMP_DB_CONNECT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    assert (db_pool_size(), db_max_overflow(), db_connect_timeout()) == (5, 5, 15.0)


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMP_DB_POOL_SIZE", "3")
    monkeypatch.setenv("IMP_DB_MAX_OVERFLOW", "0")
    monkeypatch.setenv("IMP_DB_CONNECT_TIMEOUT", "2.5")
    assert (db_pool_size(), db_max_overflow(), db_connect_timeout()) == (3, 0, 2.5)


@pytest.mark.parametrize("raw", ["many", "-1", "1e", "five"])
def test_a_bad_value_is_refused_with_its_name(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("IMP_DB_POOL_SIZE", raw)
    with pytest.raises(ValueError, match="IMP_DB_POOL_SIZE"):
        db_pool_size()


def test_the_repository_engine_uses_the_same_pool_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMP_DB_POOL_SIZE", "2")
    monkeypatch.setenv("IMP_DB_MAX_OVERFLOW", "1")
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")  # no connection is made
    assert (engine.pool.size(), engine.pool._max_overflow) == (2, 1)
    engine.dispose()
