"""Rasa's SQL tracker store, configured by one SQLAlchemy URL from the environment."""

from __future__ import annotations

from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from actions.core.repository import make_engine
from actions.core.settings import database_url


class EnvSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore on IMP_DATABASE_URL (a SQLite file under var/ by default)."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        url = host or database_url()
        make_engine(url).dispose()  # creates the SQLite folder when needed
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
