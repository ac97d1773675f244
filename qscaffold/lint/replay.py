"""The schema a migrations folder builds, learnt without running any of its code.

The linter's static replay, for whoever needs the schema rather than findings (``qscaffold
new``): each file's ``up()`` SQL is read with :mod:`ast` (``.sql`` files as they are) and its
DDL replayed, as the linter replays it, into a :class:`~qscaffold.lint.shadow.Shadow`:
queries are only compiled and statements that touch files never run. Each file is replayed
in a database of the objects it can meet, so the cost grows with the number of files, not
with its square (SQLite re-reads its schema after each CREATE). A file whose DDL is built at
run time, cannot be read, or is rejected on replay makes the result a guess: it is named, so
that the caller can fall back to running the code and say so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from .engine import extract
from .shadow import Shadow, classify


class Replay:
    """The replayed schema: every table's name, and a database of the objects some names
    can meet (:meth:`connect`). ``dynamic``: the files it cannot vouch for, and why."""

    def __init__(self, shadow: Shadow, dynamic: list[tuple[Path, str]]) -> None:
        self._shadow = shadow
        self.dynamic = dynamic

    def table_names(self) -> list[str]:
        """Every table of the main schema, as created."""
        return [e.name for e in self._shadow.catalog.select(None) if e.type == "table" and not e.temp]

    def connect(self, words: Iterable[str] | None = None) -> sqlite3.Connection:
        """A new in-memory database holding what statements made of ``words`` can meet
        (their tables, those tables' parents, children and indexes, every view and
        trigger), or everything when ``words`` is ``None``. The caller closes it."""
        shadow = self._shadow
        shadow.focus(None if words is None else {w.lower() for w in words}, alters=True)
        conn = sqlite3.connect(":memory:", isolation_level=None)
        shadow.conn.set_progress_handler(None, 0)
        shadow.conn.backup(conn)
        return conn

    def close(self) -> None:
        self._shadow.close()


def replay_schema(files: Iterable[Path]) -> Replay:
    """Replay the ``up()`` DDL of ``files``, in order; close the result when done."""
    shadow = Shadow()
    dynamic: list[tuple[Path, str]] = []
    for path in files:
        ex = extract(Path(path))
        if ex.unreadable is not None:
            dynamic.append((path, f"cannot be read statically ({ex.unreadable})"))
            continue
        if ex.is_python and ex.dynamic_ddl_in_up():
            dynamic.append((path, "builds SQL at run time"))
        pieces = ex.up_pieces()
        shadow.focus_on([p.text for p in pieces])
        for piece in pieces:
            error = shadow.replay(piece.text)
            if error is not None and classify(piece.text) == "ddl":
                dynamic.append((path, f"has DDL that SQLite rejects on replay (line {piece.line}: {error})"))
                break
        shadow.settle()
        if not shadow.known and not dynamic:
            dynamic.append((path, "leaves a schema that cannot be rebuilt statically"))
    return Replay(shadow, dynamic)
