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
