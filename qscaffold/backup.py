"""Backups before ``down``: written under a temporary name, renamed into place only when
complete, deleted on failure, never overwriting anything.

A half-written ``.bak`` (disk full, a read-only folder) would open as a valid, smaller or
empty database: worse than none. SQLite's online backup API writes to
``<name>.tmp-<pid>-<random>`` beside the final name; a hard link then gives it its final
name atomically and only if no file has that name yet, so two ``down`` runs in the same
second each get their own file (``…Z.bak``, ``…Z-2.bak``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from pathlib import Path

from .errors import DatabaseError, UsageError


def _candidates(base: str):
    yield Path(f"{base}.bak")
    for n in range(2, 1000):
        yield Path(f"{base}-{n}.bak")


def write_backup(source: sqlite3.Connection, destination: str | os.PathLike | None, *,
                 base: str) -> Path:
    """Copy ``source`` to ``destination`` (or to the first free ``<base>[-N].bak``); returns
    the path written. Raises :class:`DatabaseError` naming the backup when it cannot be
    written; nothing is left behind then."""
    fixed = destination is not None
    first = Path(destination) if fixed else Path(f"{base}.bak")
    if fixed and first.exists():
        raise UsageError(f"{first}: already exists; not overwriting it")
    temporary = first.with_name(f"{first.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        try:
            target = sqlite3.connect(temporary)
            try:
                source.backup(target)
            finally:
                target.close()
        except sqlite3.Error as exc:
            raise DatabaseError(f"{first}: cannot write the backup: {exc}; nothing was changed") from None
        for candidate in [first] if fixed else _candidates(base):
            try:
                os.link(temporary, candidate)
            except FileExistsError:
                continue
            except OSError:  # no hard links here: rename, after checking the name is free
                if candidate.exists():
                    continue
                os.replace(temporary, candidate)
            return candidate
        raise UsageError(f"{first}: already exists; not overwriting it")
    except OSError as exc:
        raise DatabaseError(f"{first}: cannot write the backup: {exc.strerror or exc}; "
                            "nothing was changed") from None
    finally:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        for suffix in ("-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.remove(f"{temporary}{suffix}")
