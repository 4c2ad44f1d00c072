"""Runtime settings read from environment variables, with safe local defaults."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'imp_assistant.db'}"


def database_url() -> str:
    """SQLAlchemy URL of the conversation database (IMP_DATABASE_URL; SQLite file by default)."""
    return os.environ.get("IMP_DATABASE_URL") or DEFAULT_DATABASE_URL


def facts_path() -> Path:
    """Path of the knowledge file (IMP_FACTS_PATH; data/knowledge/facts.yml by default)."""
    return Path(os.environ.get("IMP_FACTS_PATH") or PROJECT_ROOT / "data" / "knowledge" / "facts.yml")


def vocabulary_path() -> Path:
    """Path of the entity vocabulary (IMP_VOCABULARY_PATH; data/entities/vocabulary.yml)."""
    return Path(
        os.environ.get("IMP_VOCABULARY_PATH") or PROJECT_ROOT / "data" / "entities" / "vocabulary.yml"
    )


def _env_number(name: str, default: float) -> float:
    """A non-negative number from the environment variable `name`, or `default` when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a number, got {raw!r}.") from error
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {raw!r}.")
    return value


def db_pool_size() -> int:
    """Database connections kept open per process (IMP_DB_POOL_SIZE, 5 by default)."""
    return int(_env_number("IMP_DB_POOL_SIZE", 5))


def db_max_overflow() -> int:
    """Extra database connections opened under load per process (IMP_DB_MAX_OVERFLOW, 5)."""
    return int(_env_number("IMP_DB_MAX_OVERFLOW", 5))


def db_connect_timeout() -> float:
    """Seconds start-up waits for a database (IMP_DB_CONNECT_TIMEOUT, 15 by default)."""
    return _env_number("IMP_DB_CONNECT_TIMEOUT", 15.0)
