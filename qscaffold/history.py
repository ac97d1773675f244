"""The bookkeeping in the database: the one owner of the history and the version.

Two tables, exactly as the Node.js system kept the first of them:

- ``metadata(key TEXT PRIMARY KEY, value TEXT)``, row ``schema_version`` = current version;
- ``migration_history(version INTEGER PRIMARY KEY, name, checksum, applied_at, duration_ms)``.

Every SQL statement on them lives here; the runner, ``stamp``, ``repair`` and ``status`` go
through :class:`History`. Writes run inside the caller's transaction and never commit.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import BookkeepingMismatch, DatabaseError, UsageError
from .schema.quote import always_quoted

if TYPE_CHECKING:
    from .files import MigrationFile

METADATA_DDL = "CREATE TABLE IF NOT EXISTS metadata (key TEXT PRIMARY KEY, value TEXT)"
HISTORY_DDL = (
    "CREATE TABLE IF NOT EXISTS migration_history ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, "
    "applied_at TEXT NOT NULL, duration_ms INTEGER NOT NULL)"
)
VERSION_KEY = "schema_version"
# How many history rows qscaffold wrote, kept beside the version: a row deleted by hand then
# shows as a loss instead of passing for a migration that never ran (a merge of two branches).
ROWS_KEY = "migration_history_rows"
TABLES = ("metadata", "migration_history")
_COLUMNS = {"metadata": ("key", "value"),
            "migration_history": ("version", "name", "checksum", "applied_at", "duration_ms")}


@dataclass(frozen=True)
class HistoryRow:
    version: int
    name: str
    checksum: str
    applied_at: str
    duration_ms: int


@dataclass
class DatabaseState:
    """What the database says about itself (read without writing anything)."""

    current_version: int = 0
    history: dict[int, HistoryRow] = field(default_factory=dict)
    has_metadata: bool = False
    has_history: bool = False
    recorded_version: int | None = None  # metadata.schema_version as written (None: no row)
    recorded_rows: int | None = None  # metadata.migration_history_rows (None: not kept yet)

    @property
    def adopted_up_to(self) -> int:
        """The versions up to this one count as applied without history rows: a database of
        the Node.js system, which kept none (0 once any history exists)."""
        return 0 if self.history else self.current_version


@dataclass(frozen=True)
class BookkeepingNames:
    """The names of the two bookkeeping tables. A project whose own schema already has a
    ``metadata`` table chooses others (``[tool.qscaffold] metadata_table`` /
    ``history_table``); the defaults are the Node.js system's, which adoption relies on."""

    metadata: str = "metadata"
    history: str = "migration_history"

    def __post_init__(self) -> None:
        for key, name in (("metadata_table", self.metadata), ("history_table", self.history)):
            if not isinstance(name, str) or not _NAME.fullmatch(name) or name.lower().startswith("sqlite_"):
                raise UsageError(f"{key} {name!r}: must be a plain table name (letters, digits, _)")
        if self.metadata.lower() == self.history.lower():
            raise UsageError(f"metadata_table and history_table are both {self.metadata!r}")


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class History:
    """``metadata.schema_version`` and ``migration_history`` of one connection."""

    def __init__(self, conn: sqlite3.Connection, *, label: str = "",
                 names: "BookkeepingNames | None" = None) -> None:
        self.conn = conn
        self.label = label  # the database, for messages
        self.names = names or BookkeepingNames()
        self._m, self._h = always_quoted(self.names.metadata), always_quoted(self.names.history)

    # -- reading -----------------------------------------------------------------------

    def tables(self) -> set[str]:
        """Which of the two bookkeeping tables exist: ``"metadata"``, ``"migration_history"``
        (their roles, whatever their names)."""
        found = {r[0].lower() for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND lower(name) IN (?, ?)",
            (self.names.metadata.lower(), self.names.history.lower()))}
        return {role for role, name in (("metadata", self.names.metadata),
                                        ("migration_history", self.names.history))
                if name.lower() in found}

    def exists(self) -> bool:
        return len(self.tables()) == 2

    def check_shape(self, tables: set[str] | None = None) -> None:
        """Refuse tables of these names that are not qscaffold's bookkeeping (an application's
        own ``metadata`` table, say): reading or writing them would fail half-way or, worse,
        write into the application's data."""
        for table in sorted(self.tables() if tables is None else tables):
            name = self.names.metadata if table == "metadata" else self.names.history
            columns = [r[0] for r in self.conn.execute("SELECT name FROM pragma_table_info(?)", (name,))]
            wanted = _COLUMNS[table]
            if not set(wanted) <= {c.lower() for c in columns}:
                where = f"{self.label}: " if self.label else ""
                raise BookkeepingMismatch(
                    f"{where}table {name} has columns ({', '.join(columns)}), not ({', '.join(wanted)}): "
                    "it is not qscaffold's bookkeeping and is left alone; nothing was changed (keep "
                    "the bookkeeping elsewhere: [tool.qscaffold] metadata_table / history_table)"
                )

    def read(self) -> DatabaseState:
        """Current version and every history row, without creating or changing anything."""
        tables = self.tables()
        self.check_shape(tables)
        state = DatabaseState(has_metadata="metadata" in tables, has_history="migration_history" in tables)
        if state.has_history:
            for row in self.conn.execute(
                f"SELECT version, name, checksum, applied_at, duration_ms FROM {self._h}"
            ):
                state.history[row[0]] = HistoryRow(*row)
        version = None
        if state.has_metadata:
            version = state.recorded_version = self.recorded_version()
            state.recorded_rows = self._read_int(ROWS_KEY)
        state.current_version = version if version is not None else max(state.history, default=0)
        return state

    def _read_int(self, key: str) -> int | None:
        row = self.conn.execute(f"SELECT value FROM {self._m} WHERE key = ?", (key,)).fetchone()
        try:
            return None if row is None or row[0] is None else int(row[0])
        except (TypeError, ValueError):
            return None

    def recorded_version(self) -> int | None:
        """``metadata.schema_version``, or None when there is no such row."""
        row = self.conn.execute(f"SELECT value FROM {self._m} WHERE key = ?", (VERSION_KEY,)).fetchone()
        if row is None or row[0] is None:
            return None
        try:
            return int(row[0])
        except (TypeError, ValueError):
            raise DatabaseError(f"metadata.schema_version is {row[0]!r}, not a number") from None

    def current_version(self) -> int:
        """The recorded version, else the newest history row (both tables must exist)."""
        version = self.recorded_version()
        if version is None:
            row = self.conn.execute(f"SELECT max(version) FROM {self._h}").fetchone()
            version = row[0] or 0
        return version

    def versions(self) -> set[int]:
        return {r[0] for r in self.conn.execute(f"SELECT version FROM {self._h}")}

    def is_applied(self, version: int, current: int) -> bool:
        """Whether ``version`` counts as applied at ``current``: a history row, or (a database
        of the Node.js system, which kept no history) no history at all."""
        if version > current:
            return False
        row = self.conn.execute(f"SELECT 1 FROM {self._h} WHERE version = ?", (version,)).fetchone()
        if row is not None:
            return True
        return self.conn.execute(f"SELECT 1 FROM {self._h} LIMIT 1").fetchone() is None

    def previous_version(self, version: int) -> int:
        """The newest history row below ``version`` (0 when none)."""
        row = self.conn.execute(
            f"SELECT max(version) FROM {self._h} WHERE version < ?", (version,)
        ).fetchone()
        return row[0] or 0

    # -- writing (inside the caller's transaction) --------------------------------------

    def create_tables(self) -> None:
        self.conn.execute(METADATA_DDL.replace("metadata", self._m, 1))
        self.conn.execute(HISTORY_DDL.replace("migration_history", self._h, 1))
        self.check_shape()

    def _put(self, key: str, value: str) -> None:
        cursor = self.conn.execute(f"UPDATE {self._m} SET value = ? WHERE key = ?", (value, key))
        if cursor.rowcount == 0:
            self.conn.execute(f"INSERT INTO {self._m} (key, value) VALUES (?, ?)", (key, value))

    def set_version(self, version: int) -> None:
        """The version, and the count of history rows that goes with it."""
        self._put(VERSION_KEY, str(version))
        rows = self.conn.execute(f"SELECT count(*) FROM {self._h}").fetchone()[0]
        self._put(ROWS_KEY, str(rows))

    def record_up(self, migration: "MigrationFile", duration_ms: float, *, move_version: bool = True) -> None:
        """``migration`` was applied: its history row, and the version moves to it (unless
        ``move_version`` is false: several in one transaction move it once, at the end)."""
        self.conn.execute(
            f"INSERT OR REPLACE INTO {self._h} "
            "(version, name, checksum, applied_at, duration_ms) VALUES (?, ?, ?, ?, ?)",
            (migration.version, migration.name, migration.checksum, now(), round(duration_ms)),
        )
        if move_version:
            self.set_version(migration.version)

    def record_down(self, version: int) -> None:
        """``version`` was rolled back: its row goes, the version falls to the one below."""
        self.conn.execute(f"DELETE FROM {self._h} WHERE version = ?", (version,))
        self.set_version(self.previous_version(version))


    def insert(self, files: Iterable["MigrationFile"]) -> int:
        """History rows (current checksum, duration 0) for files that ran before history was
        kept, or are stamped as applied."""
        rows = [(f.version, f.declared_name, f.checksum, now(), 0) for f in files]
        if rows:
            self.conn.executemany(
                f"INSERT INTO {self._h} (version, name, checksum, applied_at, duration_ms) "
                "VALUES (?, ?, ?, ?, ?)", rows
            )
        return len(rows)

    def adopt(self, current: int, files: Iterable["MigrationFile"]) -> int:
        """History rows for the versions a database made by the Node.js system already has
        (it kept ``schema_version`` and no history); returns how many were written. Only a
        database without any history row is adopted: any other disagreement is refused
        before anything runs (see ``status``)."""
        if current == 0 or self.conn.execute(f"SELECT 1 FROM {self._h} LIMIT 1").fetchone():
            return 0
        written = self.insert(f for f in files if f.version <= current)
        self.set_version(current)
        return written

    def update_checksums(self, files: Iterable["MigrationFile"]) -> None:
        self.conn.executemany(
            f"UPDATE {self._h} SET checksum = ? WHERE version = ?",
            [(f.checksum, f.version) for f in files],
        )

    def stamp(self, version: int, files: list["MigrationFile"]) -> list["MigrationFile"]:
        """Record ``version`` as current: rows for ``files`` that have none, rows above it
        removed. Returns the files newly recorded."""
        self.create_tables()
        recorded = self.versions()
        new = [f for f in files if f.version not in recorded]
        self.conn.execute(f"DELETE FROM {self._h} WHERE version > ?", (version,))
        self.insert(new)
        self.set_version(version)
        return new
