"""A data file (or a folder of them) that is parsed once and parsed again whenever it changes on disk."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import yaml

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _stamp(path: Path) -> tuple[tuple[str, int, int], ...]:
    """Modification time and size of a file, or of each YAML file in a folder."""
    files = sorted(path.glob("*.yml")) if path.is_dir() else [path]
    return tuple((file.name, (stat := os.stat(file)).st_mtime_ns, stat.st_size) for file in files)


class ReloadingFile(Generic[T]):
    """Staff edit the file, the next read uses it; an invalid edit keeps the last good version.

    The path may be a folder: its YAML files are then watched together and parsed as one.
    """

    def __init__(self, path: Callable[[], Path], parse: Callable[[Path], T]) -> None:
        self._path = path
        self._parse = parse
        self._lock = threading.Lock()
        self._stamp: tuple[tuple[str, int, int], ...] | None = None
        self._value: T | None = None

    def get(self) -> T:
        """The parsed file, re-read if its modification time or size changed."""
        path = self._path()
        stamp = _stamp(path)
        with self._lock:
            if self._value is None or stamp != self._stamp:
                try:
                    self._value = self._parse(path)
                except (yaml.YAMLError, KeyError, TypeError, ValueError) as error:
                    if self._value is None:
                        raise
                    logger.error("Keeping the previous version: %s is invalid (%s)", path, error)
                self._stamp = stamp
            return self._value
