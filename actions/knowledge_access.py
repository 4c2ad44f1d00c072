"""Shared, lazily created access to the data files and the database for the actions."""

from __future__ import annotations

from actions.core.database import database
from actions.core.knowledge import KnowledgeBase
from actions.core.reloading import ReloadingFile
from actions.core.repository import AssessmentRepository
from actions.core.settings import facts_path
from actions.core.texts import Texts, texts_file

knowledge_file: ReloadingFile[KnowledgeBase] = ReloadingFile(facts_path, KnowledgeBase.load)
# The text catalogues (data/texts/), shared with the staff console, Telegram and the tracker store.
dialogue_file: ReloadingFile[Texts] = texts_file


def assessment_repository() -> AssessmentRepository:
    """The assessments on IMP_DATABASE_URL: the process's one database, migrated on first use."""
    return database().assessments
