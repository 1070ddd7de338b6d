"""Serialised, atomic rewrites of a ledger file.

Writers take an exclusive `fcntl` lock on a sidecar `.<name>.lock` file (the ledger itself is replaced
on every write, so a lock on its inode would not be seen by the next writer), write the new text to a
temporary file in the same directory, fsync it and `os.replace` it over the ledger. A process killed
at any point leaves either the old file or the new one, never a mix; a stray `.<name>.*.tmp` is
harmless and ignored.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the ledger's write lock (blocking) for the duration of a read-modify-write."""
    lock_path = path.with_name(f".{path.name}.lock")
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _commit(temporary: str, path: Path) -> None:
    """The one step that makes the new text the ledger (tests replace it to simulate a crash)."""
    os.replace(temporary, path)


def atomic_write(path: Path, text: str) -> None:
    """Replace the file's content with `text`, all or nothing; keeps the old file's permissions."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
        os.chmod(temporary, mode)
        _commit(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
