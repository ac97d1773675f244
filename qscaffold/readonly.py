"""Reading a database file without changing any file: the read-only commands (``status``,
``verify``, ``--dry-run``, the planning before ``up`` / ``down``) leave every byte as it was.

A plain connection is not enough. A read-write connection that closes last checkpoints a
WAL database into the main file and deletes ``-wal`` / ``-shm``, and rolls back a hot
journal; even ``mode=ro`` creates ``-wal`` / ``-shm`` on a clean WAL database and leaves them
behind, and rewrites ``-shm`` after a crash. So:

- a database in rollback-journal mode with no journal beside it is read through ``mode=ro``
  (shared lock, no file written);
- anything else (WAL mode, or a ``-journal`` / ``-wal`` left by a crashed writer) is copied,
  with its journal, into a private temporary folder and read there: SQLite recovers the copy
  exactly as it would recover the original. The copy costs one read of the files. When the
  files keep changing while being copied (a live writer, whose files are in use anyway), or
  are larger than :data:`COPY_LIMIT` (a copy in the temporary folder would cost more than the
  command), ``mode=ro`` is used after all: its locks give a consistent read, and only
  ``-wal`` / ``-shm`` may be touched.

Commands that write (``up``, ``down``, ``stamp``, ``repair``) read through the connection
they write with, never through a copy.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

_SIDE_FILES = ("-journal", "-wal")
_COPY_ATTEMPTS = 3
COPY_LIMIT = 256 * 1024 * 1024  # bytes of the database and its journal


def _is_wal(path: Path) -> bool:
    """Bytes 18 and 19 of the header are 2 in WAL mode (1 in rollback-journal mode)."""
    try:
        with open(path, "rb") as f:
            header = f.read(20)
    except OSError:
        return False
    return len(header) == 20 and header.startswith(b"SQLite format 3\x00") and header[18] == 2


def _signature(path: Path) -> tuple:
    out = []
    for suffix in ("",) + _SIDE_FILES:
        try:
            st = os.stat(f"{path}{suffix}")
            out.append((suffix, st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            out.append((suffix, None, None))
    return tuple(out)


def _size(path: Path) -> int:
    return sum(size or 0 for _suffix, size, _mtime in _signature(path))


def needs_copy(path: Path) -> bool:
    return _is_wal(path) or any(os.path.exists(f"{path}{s}") for s in _SIDE_FILES)


def _connect_ro(path: Path, timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout,
                           isolation_level=None)


@contextlib.contextmanager
def open_readonly(path: str | os.PathLike, *, timeout: float = 5.0) -> Iterator[sqlite3.Connection]:
    """A connection that sees what ``path`` holds (committed data, a crashed writer's
    journal or WAL recovered) and never writes to ``path`` or its side files."""
    path = Path(path)
    if not needs_copy(path) or _size(path) > COPY_LIMIT:
        conn = _connect_ro(path, timeout)
        try:
            yield conn
        finally:
            conn.close()
        return
    import shutil  # only here: `migrate status` on a rollback-journal database needs neither
    import tempfile

    folder = tempfile.mkdtemp(prefix="qscaffold-read-")
    try:
        copy = Path(folder) / "db"
        for _attempt in range(_COPY_ATTEMPTS):
            before = _signature(path)
            for suffix in ("",) + _SIDE_FILES:
                with contextlib.suppress(FileNotFoundError):
                    shutil.copyfile(f"{path}{suffix}", f"{copy}{suffix}")
            if _signature(path) == before:
                break
            for suffix in _SIDE_FILES:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(f"{copy}{suffix}")
        else:
            copy = None  # a live writer: read the original under SQLite's locks
        conn = _connect_ro(path, timeout) if copy is None else sqlite3.connect(
            copy, timeout=timeout, isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
