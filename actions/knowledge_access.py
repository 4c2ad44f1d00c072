"""Shared, lazily created access to the data files and the database for the actions."""

from __future__ import annotations

from functools import lru_cache

from actions.core.dialogue import DIALOGUE_PATH, DialogueTexts
from actions.core.knowledge import KnowledgeBase
from actions.core.migrations import upgrade_database
from actions.core.reloading import ReloadingFile
from actions.core.repository import AssessmentRepository, shared_engine
from actions.core.settings import database_url, facts_path

knowledge_file: ReloadingFile[KnowledgeBase] = ReloadingFile(facts_path, KnowledgeBase.load)
dialogue_file: ReloadingFile[DialogueTexts] = ReloadingFile(lambda: DIALOGUE_PATH, DialogueTexts.load)


@lru_cache(maxsize=1)
def assessment_repository() -> AssessmentRepository:
    """The repository on IMP_DATABASE_URL, its tables migrated to the latest revision on first use.

    It uses the process's one engine on the URL, shared with the handoff queue (handoff_actions).
    """
    engine = shared_engine(database_url())
    upgrade_database(engine=engine)
    return AssessmentRepository(engine)
