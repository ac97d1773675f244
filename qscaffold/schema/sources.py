"""Where a schema comes from: a migrations folder (replayed in memory), a SQLite database
file (opened read-only) or a ``.sql`` schema file of CREATE statements (run in memory).

The real database is never written to. A bad source is a :class:`UsageError` (exit 2) whose
message names the file, and for a schema file the line with SQLite's own message.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import QscaffoldError, UsageError
from ..sql import first_keywords, split_statements
from .quote import always_quoted
from .model import Schema, read_model

SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass
class Source:
    """A schema source, opened: what it is, its connection and its model."""

    label: str  # as given, for messages
    kind: str  # "migrations", "database" or "sql"
    connection: sqlite3.Connection
    schema: Schema
    closing: contextlib.ExitStack | None = None  # a database's private copy, removed on close

    def close(self) -> None:
        self.connection.close()
        if self.closing is not None:
            self.closing.close()

    def has_rows(self, table: str) -> bool | None:
        """Whether ``table`` has rows (``None`` when unknown: a schema file has none)."""
        if self.kind == "sql":
            return None
        try:
            return self.connection.execute(f"SELECT 1 FROM main.{always_quoted(table)} LIMIT 1").fetchone() is not None
        except sqlite3.Error:
            return None


def open_source(source: str | os.PathLike, *, check_views: bool = True) -> Source:
    """Open ``source`` and read its schema (the caller closes it)."""
    label = os.fspath(source)
    path = Path(label).expanduser()
    closing = None
    if path.is_dir():
        conn = replay_migrations(path)
        kind = "migrations"
    elif not path.exists():
        raise UsageError(f"{label}: no such file or folder (give a migrations folder, a SQLite "
                         "database or a .sql schema file)")
    elif path.suffix.lower() == ".sql":
        conn = load_schema_file(path, label)
        kind = "sql"
    else:
        closing = contextlib.ExitStack()
        conn = open_database(path, label, closing)
        kind = "database"
    try:
        schema = read_model(conn, check_views=check_views)
    except sqlite3.Error as exc:
        conn.close()
        if closing is not None:
            closing.close()
        raise UsageError(f"{label}: cannot read its schema: {exc}") from None
    return Source(label, kind, conn, schema, closing)


def replay_migrations(folder: Path) -> sqlite3.Connection:
    """The migrations of ``folder`` applied to a fresh in-memory database."""
    from ..runner import MigrationRunner

    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        MigrationRunner(conn, folder).run_migrations()
    except QscaffoldError as err:
        conn.close()
        raise UsageError(f"{folder}: the migrations cannot be replayed to read their schema: {err}") from None
    return conn


def open_database(path: Path, label: str, closing: contextlib.ExitStack) -> sqlite3.Connection:
    """A SQLite database file, read without changing any file (:mod:`qscaffold.readonly`: a
    WAL database, or one a crashed writer left a journal beside, is read from a private copy
    that ``closing`` removes)."""
    from ..readonly import open_readonly

    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise UsageError(f"{label}: cannot be read: {exc.strerror or exc}") from None
    if head and head != SQLITE_HEADER:
        raise UsageError(f"{label}: is not a SQLite database (a schema file must end in .sql)")
    try:
        conn = closing.enter_context(open_readonly(path))
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        closing.close()
        raise UsageError(f"{label}: cannot be read as a SQLite database: {exc}") from None
    return conn


def load_schema_file(path: Path, label: str | None = None) -> sqlite3.Connection:
    """The CREATE statements of a ``.sql`` file run, in order, on an in-memory database."""
    label = label or os.fspath(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{label}: is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{label}: cannot be read: {exc.strerror or exc}") from None
    return load_schema_text(text, label)


def load_schema_text(text: str, label: str) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    statements = split_statements(text)
    line, counted = 1, 0
    lines = []
    for statement in statements:
        line += text.count("\n", counted, statement.start)  # counted once: linear in the file
        counted = statement.start
        lines.append(line)
        words = first_keywords(statement.text, 1)
        if words != ("CREATE",):
            conn.close()
            shown = " ".join(statement.text.split())[:50]
            raise UsageError(f"{label}:{line}: a schema file holds only CREATE statements, not "
                             f"{(words or ('?',))[0]} (`{shown}`)")
    try:
        conn.executescript(text)  # one call, as fast as SQLite reads a script
        return conn
    except sqlite3.Error:
        conn.close()
    # Find the statement SQLite refuses, on a fresh database, to name its line.
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for statement, line in zip(statements, lines):
        try:
            conn.execute(statement.text)
        except sqlite3.Error as exc:
            conn.close()
            raise UsageError(f"{label}:{line}: {exc}") from None
    return conn
