"""The assessment repository on SQLite and on the machine's PostgreSQL."""

from __future__ import annotations

from actions.core.repository import AssessmentRepository, make_engine


def test_assessments_round_trip(database_url: str) -> None:
    repository = AssessmentRepository(make_engine(database_url))
    repository.create_schema()
    repository.create_schema()  # idempotent
    criteria = [{"criterion": "residence", "status": "met", "reason": "residence_abroad"}]
    first = repository.add("alice", {"residence": "abroad"}, "cannot_tell", criteria)
    second = repository.add("alice", {"residence": "quebec"}, "not_eligible", criteria)
    repository.add("bob", {}, "eligible", [])
    stored = repository.for_conversation("alice")
    assert [a.id for a in stored] == [first, second]
    assert stored[1].answers == {"residence": "quebec"}
    assert stored[1].verdict == "not_eligible"
    assert stored[0].criteria == criteria
    assert stored[0].created_at is not None
    assert repository.for_conversation("nobody") == []
    repository.engine.dispose()


def test_hostile_text_is_stored_as_data(database_url: str) -> None:
    repository = AssessmentRepository(make_engine(database_url))
    repository.create_schema()
    sender = "x'); DROP TABLE imp_assessments; --"
    repository.add(sender, {"residence": "<script>alert(1)</script>"}, "cannot_tell", [])
    assert repository.for_conversation(sender)[0].answers["residence"] == "<script>alert(1)</script>"
    repository.engine.dispose()


def test_sqlite_folder_is_created(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'imp.db'}"
    AssessmentRepository(make_engine(url)).create_schema()
    assert (tmp_path / "deep" / "er" / "imp.db").exists()
