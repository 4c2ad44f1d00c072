"""Staff corrections of data/knowledge/facts.yml: validated, atomic, comment-keeping, and logged."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString, LiteralScalarString
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from actions.core.fact_check import parse_date
from actions.core.knowledge import KnowledgeBase
from actions.core.tables import STAFF_NAME_LENGTH, FactChangeRecord

MAX_ANSWER_LENGTH = 5000
MAX_STAFF_NAME_LENGTH = STAFF_NAME_LENGTH
LANGUAGES = ("en", "fr")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_SOURCE_ID = re.compile(r"[A-Za-z0-9_]+")
# One lock per process: the console saves one edit at a time (the file check covers other writers).
_WRITE_LOCK = threading.Lock()


class InvalidEdit(ValueError):
    """The edit would break the knowledge file (or the form is malformed); nothing was written."""


class EditConflict(InvalidEdit):
    """The file changed since the form was opened; reload and edit again."""


@dataclass(frozen=True)
class FactValues:
    """The editable part of a fact."""

    answers: dict[str, str]
    as_of: str
    sources: tuple[str, ...]
    checked: str | None = None  # when a person last confirmed it against the official page

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored in the change log."""
        values = {"answers": dict(self.answers), "as_of": self.as_of, "sources": list(self.sources)}
        return {**values, "checked": self.checked} if self.checked else values


@dataclass(frozen=True)
class FactChange:
    """A change as read back from the log."""

    id: int
    fact_id: str
    staff_name: str
    changed_at: datetime
    old: dict[str, Any]
    new: dict[str, Any]


def file_version(text: str) -> str:
    """A short fingerprint of the file's text, sent with the edit form to detect concurrent edits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def validate_date(value: str) -> str:
    """YYYY, YYYY-MM or YYYY-MM-DD naming a real date; returns it stripped."""
    value = (value or "").strip()
    match = _DATE.fullmatch(value)
    if not match:
        raise InvalidEdit("the date must be YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError as error:
        raise InvalidEdit(f"the date {value} does not exist") from error
    return value


def validate_staff_name(name: str) -> str:
    """A printable name of 1 to 64 characters."""
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= MAX_STAFF_NAME_LENGTH or not name.isprintable():
        raise InvalidEdit(f"the name must have 1 to {MAX_STAFF_NAME_LENGTH} printable characters")
    return name


def normalise_answer(text: str) -> str:
    """Unix newlines, no trailing spaces on lines, no leading or trailing blank lines."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def parse_sources(text: str | list[str]) -> tuple[str, ...]:
    """Source ids from a comma/space separated string (or a list), order kept, no duplicates."""
    items = text if isinstance(text, list) else re.split(r"[\s,]+", text or "")
    seen: list[str] = []
    for item in (part.strip() for part in items):
        if item and item not in seen:
            if not _SOURCE_ID.fullmatch(item):
                raise InvalidEdit(f"{item!r} is not a source id")
            seen.append(item)
    return tuple(seen)


def _round_trip_yaml() -> YAML:
    parser = YAML()
    parser.preserve_quotes = True
    parser.width = 4096  # never re-wrap the existing text
    parser.indent(mapping=2, sequence=4, offset=2)
    return parser


def current_values(knowledge: KnowledgeBase, fact_id: str) -> FactValues:
    """A fact's editable values as they are in the file."""
    fact = knowledge.facts.get(fact_id)
    if fact is None:
        raise InvalidEdit(f"there is no fact {fact_id!r}")
    return FactValues(
        answers={key: str(value) for key, value in fact.answers.items()},
        as_of=fact.as_of,
        sources=tuple(source.id for source in fact.sources),
        checked=fact.checked,
    )


def _styled_answer(text: str, width: int = 92) -> str:
    """Multi-line answers as `|-` blocks (lists keep their lines), others as `>-` blocks folded at `width`."""
    if "\n" in text:
        return LiteralScalarString(text)
    folded = FoldedScalarString(text)
    positions, line_start, last_space = [], 0, -1
    for index, char in enumerate(text):
        if char == " " and index > 0 and text[index - 1] != " " and index + 1 < len(text):
            if text[index + 1] == " ":
                continue  # only single spaces can be folded
            if index - line_start > width and last_space > line_start:
                positions.append(last_space)
                line_start = last_space + 1
            last_space = index
    if len(text) - line_start > width and last_space > line_start:
        positions.append(last_space)
    folded.fold_pos = positions  # type: ignore[attr-defined]
    return folded


def edited_text(original: str, fact_id: str, new: FactValues) -> str:
    """The file's text with one fact's answers, as_of and sources replaced, everything else kept."""
    parser = _round_trip_yaml()
    document = parser.load(original)
    facts = document.get("facts") if isinstance(document, CommentedMap) else None
    if not isinstance(facts, CommentedMap) or fact_id not in facts:
        raise InvalidEdit(f"there is no fact {fact_id!r}")
    entry = facts[fact_id]
    for language in LANGUAGES:
        if new.answers.get(language):
            if str(entry["answer"].get(language, "")) != new.answers[language]:
                entry["answer"][language] = _styled_answer(new.answers[language])
        elif language in entry["answer"]:
            del entry["answer"][language]
    if str(entry["as_of"]) != new.as_of:
        entry["as_of"] = DoubleQuotedScalarString(new.as_of)
    if new.checked and str(entry.get("checked") or "") != new.checked:
        if "checked" in entry:
            entry["checked"] = DoubleQuotedScalarString(new.checked)
        else:  # right after as_of
            entry.insert(list(entry).index("as_of") + 1, "checked", DoubleQuotedScalarString(new.checked))
    elif not new.checked and "checked" in entry:
        del entry["checked"]
    sources = entry["sources"]
    if [str(source) for source in sources] == list(new.sources):
        pass
    elif isinstance(sources, CommentedSeq):
        sources.clear()
        sources.extend(new.sources)
    else:
        entry["sources"] = list(new.sources)
    out = io.StringIO()
    parser.dump(document, out)
    return out.getvalue()


def validate_values(values: FactValues, knowledge: KnowledgeBase) -> FactValues:
    """Check one fact's new values against the rest of the file; returns them normalised."""
    answers = {lang: normalise_answer(values.answers.get(lang, "")) for lang in LANGUAGES}
    if not answers["en"]:
        raise InvalidEdit("the English answer is required")
    for language, text in answers.items():
        if len(text) > MAX_ANSWER_LENGTH:
            raise InvalidEdit(f"the {language} answer is longer than {MAX_ANSWER_LENGTH} characters")
    if not values.sources:
        raise InvalidEdit("at least one source is required")
    unknown = [source for source in values.sources if source not in knowledge.sources]
    if unknown:
        raise InvalidEdit(f"unknown sources: {', '.join(unknown)}")
    checked = validate_date(values.checked) if (values.checked or "").strip() else None
    if checked and parse_date(checked) > date.today():
        raise InvalidEdit("the date last checked cannot be in the future")
    return FactValues(
        answers={lang: text for lang, text in answers.items() if text},
        as_of=validate_date(values.as_of),
        sources=tuple(values.sources),
        checked=checked,
    )


def check_file_text(text: str, fact_id: str) -> KnowledgeBase:
    """The new text must load as a knowledge base, and the fact must render in both languages."""
    try:
        knowledge = KnowledgeBase(yaml.safe_load(text))
        fact = knowledge.facts[fact_id]
        for language in LANGUAGES:
            knowledge.render_fact(fact, language)
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise InvalidEdit(f"the edited file would not load: {error}") from error
    return knowledge


def write_atomically(path: Path, text: str) -> None:
    """Write a temp file in the same folder, fsync it, then os.replace it over `path`."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as temp:
            temp.write(text)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
        raise


class FactChangeLog:
    """The `imp_fact_changes` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        """Create the table if it does not exist (until an Alembic revision does it)."""
        FactChangeRecord.__table__.create(self.engine, checkfirst=True)

    def recent(self, limit: int = 100, fact_id: str | None = None) -> list[FactChange]:
        """The latest changes, newest first."""
        query = sa.select(FactChangeRecord).order_by(FactChangeRecord.id.desc()).limit(limit)
        if fact_id:
            query = query.where(FactChangeRecord.fact_id == fact_id)
        with Session(self.engine) as session:
            return [
                FactChange(
                    id=row.id,
                    fact_id=row.fact_id,
                    staff_name=row.staff_name,
                    changed_at=row.changed_at,
                    old=json.loads(row.old_value),
                    new=json.loads(row.new_value),
                )
                for row in session.scalars(query)
            ]


def save_fact(
    path: Path,
    fact_id: str,
    values: FactValues,
    staff_name: str,
    log: FactChangeLog,
    expected_version: str | None = None,
) -> tuple[FactValues, FactValues]:
    """Validate, log and write one fact's new values; returns (old, new). Nothing changes on error.

    The log row and the file change go together: the row is committed only after the file is
    replaced, and the old file is put back if the commit fails.
    """
    staff_name = validate_staff_name(staff_name)
    with _WRITE_LOCK:
        original = path.read_text(encoding="utf-8")
        if expected_version is not None and expected_version != file_version(original):
            raise EditConflict("the facts file changed since this form was opened: reload and edit again")
        knowledge = check_file_text(original, fact_id) if fact_id in yaml_facts(original) else None
        if knowledge is None:
            raise InvalidEdit(f"there is no fact {fact_id!r}")
        old = current_values(knowledge, fact_id)
        new = validate_values(values, knowledge)
        if new == old:
            return old, new
        text = edited_text(original, fact_id, new)
        check_file_text(text, fact_id)
        record = FactChangeRecord(
            fact_id=fact_id,
            staff_name=staff_name,
            changed_at=datetime.now(timezone.utc),
            old_value=json.dumps(old.as_dict(), ensure_ascii=False),
            new_value=json.dumps(new.as_dict(), ensure_ascii=False),
        )
        with Session(log.engine) as session:
            session.add(record)
            session.flush()
            write_atomically(path, text)
            try:
                session.commit()
            except Exception:
                write_atomically(path, original)
                raise
        return old, new


def yaml_facts(text: str) -> set[str]:
    """The fact ids of a facts file's text (empty when it does not parse)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return set()
    facts = data.get("facts") if isinstance(data, dict) else None
    return set(facts) if isinstance(facts, dict) else set()
