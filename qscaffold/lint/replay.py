"""The schema a migrations folder builds, learnt without running any of its code.

The linter's static replay, for whoever needs the schema rather than findings (``qscaffold
new``): each file's ``up()`` SQL is read with :mod:`ast` (``.sql`` files as they are) and its
DDL replayed into an in-memory database (:class:`~qscaffold.lint.shadow.Shadow`); queries
are only compiled and statements that touch files never run. A file whose DDL is built at
run time, cannot be read, or is rejected on replay makes the result a guess: it is named,
so that the caller can fall back to running the code and say so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .engine import extract
from .shadow import Shadow, classify


@dataclass
class Replay:
    """The replayed schema (a connection the caller closes) and the files it cannot vouch for."""

    connection: sqlite3.Connection
    dynamic: list[tuple[Path, str]] = field(default_factory=list)  # (file, why)


def replay_schema(files: Iterable[Path]) -> Replay:
    """Replay the ``up()`` DDL of ``files``, in order, into one in-memory database."""
    shadow = Shadow()
    dynamic: list[tuple[Path, str]] = []
    for path in files:
        ex = extract(Path(path))
        if ex.unreadable is not None:
            dynamic.append((path, f"cannot be read statically ({ex.unreadable})"))
            continue
        if ex.is_python and ex.dynamic_ddl_in_up():
            dynamic.append((path, "builds SQL at run time"))
        for piece in ex.up_pieces():
            error = shadow.replay(piece.text)
            if error is not None and classify(piece.text) == "ddl":
                dynamic.append((path, f"has DDL that SQLite rejects on replay (line {piece.line}: {error})"))
                break
    conn = sqlite3.connect(":memory:", isolation_level=None)
    shadow.conn.set_progress_handler(None, 0)
    shadow.conn.backup(conn)
    shadow.close()
    return Replay(conn, dynamic)
