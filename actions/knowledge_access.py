"""Shared, lazily created access to the data files and the database for the actions."""

from __future__ import annotations

from functools import lru_cache

from actions.core.knowledge import KnowledgeBase
from actions.core.migrations import upgrade_database
from actions.core.reloading import ReloadingFile
from actions.core.repository import AssessmentRepository, shared_engine
from actions.core.settings import database_url, facts_path
from actions.core.texts import Texts, texts_file

knowledge_file: ReloadingFile[KnowledgeBase] = ReloadingFile(facts_path, KnowledgeBase.load)
# The text catalogues (data/texts/), shared with the staff console, Telegram and the tracker store.
dialogue_file: ReloadingFile[Texts] = texts_file


@lru_cache(maxsize=1)
def assessment_repository() -> AssessmentRepository:
    """The repository on IMP_DATABASE_URL, its tables migrated to the latest revision on first use.

    It uses the process's one engine on the URL, shared with the handoff queue (handoff_actions).
    """
    engine = shared_engine(database_url())
    upgrade_database(engine=engine)
    return AssessmentRepository(engine)
