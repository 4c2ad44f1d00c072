"""Shared, lazily created access to the data files and the database for the actions."""

from __future__ import annotations

from actions.core.database import database
from actions.core.dialogue import DIALOGUE_PATH, DialogueTexts
from actions.core.knowledge import KnowledgeBase
from actions.core.reloading import ReloadingFile
from actions.core.repository import AssessmentRepository
from actions.core.settings import facts_path

knowledge_file: ReloadingFile[KnowledgeBase] = ReloadingFile(facts_path, KnowledgeBase.load)
dialogue_file: ReloadingFile[DialogueTexts] = ReloadingFile(lambda: DIALOGUE_PATH, DialogueTexts.load)


def assessment_repository() -> AssessmentRepository:
    """The assessments on IMP_DATABASE_URL: the process's one database, migrated on first use."""
    return database().assessments
