"""What a migration may not do inside the runner's transaction, and the check that it did not.

The runner applies each migration in one ``BEGIN IMMEDIATE`` transaction and claims a
rollback when ``up()`` / ``down()`` fails. That claim is true only while the transaction
``up()`` ran in is the one the runner rolls back, and only while the rollback journal is
there to undo it. So, while ``up()`` / ``down()`` run:

- SQLite's authorizer denies transaction control (``COMMIT``, ``ROLLBACK``, ``BEGIN`` -- also
  the implicit ``COMMIT`` of ``sqlite3.Connection.commit()`` and ``executescript()``),
  ``ATTACH`` and ``DETACH`` (an attached file is outside the transaction's journal, and a dry
  run would write to it), changes of ``journal_mode`` and ``locking_mode`` (``journal_mode =
  OFF`` makes the rollback undefined and stays for every later migration), and releasing the
  runner's own savepoint. A denied statement fails with "not authorized"; the migration fails
  even when it catches that error.
- Whatever the authorizer cannot see (a connection the caller owns keeps its own authorizer),
  the check after ``up()`` finds: the runner's savepoint must still be open in the same
  transaction, and ``journal_mode``, ``locking_mode`` and the attached databases must be as
  before. A transaction that already ended is reported as such, never as "rolled back".
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

MARKER = "qscaffold_migration"  # the savepoint that proves the transaction is still the runner's

_TRANSACTION = sqlite3.SQLITE_TRANSACTION
_SAVEPOINT = sqlite3.SQLITE_SAVEPOINT
_PRAGMA = sqlite3.SQLITE_PRAGMA
_ATTACH_DETACH = {sqlite3.SQLITE_ATTACH: "ATTACH", sqlite3.SQLITE_DETACH: "DETACH"}
_FIXED_PRAGMAS = ("journal_mode", "locking_mode")

_NAMED_ON_TABLE = {sqlite3.SQLITE_CREATE_INDEX, sqlite3.SQLITE_DROP_INDEX, sqlite3.SQLITE_CREATE_TRIGGER,
                   sqlite3.SQLITE_DROP_TRIGGER}  # arg1 the object, arg2 its table
_WRITES = _NAMED_ON_TABLE | {
    sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE, sqlite3.SQLITE_CREATE_TABLE,
    sqlite3.SQLITE_DROP_TABLE, sqlite3.SQLITE_CREATE_VIEW, sqlite3.SQLITE_DROP_VIEW,
    sqlite3.SQLITE_ALTER_TABLE,
}

RULE = ("a migration may not commit, roll back or begin the runner's transaction, attach or "
        "detach a database, or change journal_mode or locking_mode")


@dataclass
class Escape:
    """What the check after ``up()`` / ``down()`` found."""

    denied: list[str] = field(default_factory=list)  # statements the authorizer refused
    ended: bool = False  # the runner's transaction ended (committed or rolled back) inside
    changed: list[str] = field(default_factory=list)  # settings that differ from before
    journal_off: bool = False  # journal_mode went OFF: SQLite's rollback is undefined then

    @property
    def untrusted(self) -> bool:
        """A rollback now would not give back the database as it was."""
        return self.ended or self.journal_off

    def __bool__(self) -> bool:
        return bool(self.denied or self.ended or self.changed)

    def describe(self) -> str:
        parts = []
        if self.ended:
            parts.append("it ended the runner's transaction itself (a commit or rollback, e.g. "
                         "connection.commit() or executescript())")
        if self.denied:
            parts.append(f"it tried {', '.join(dict.fromkeys(self.denied))}")
        parts.extend(self.changed)
        return "; ".join(parts) + f" ({RULE})"


class TransactionGuard:
    """Watches one run of ``up()`` / ``down()`` on ``conn``, which is inside ``BEGIN``.

    ``enforce`` installs the authorizer (for connections the runner owns); ``observe`` is
    called first for every action, e.g. by the foreign-key scope, and its verdict is ignored.
    """

    def __init__(self, conn: sqlite3.Connection, *, enforce: bool, observe=None) -> None:
        self.conn = conn
        self.enforce = enforce
        self.observe = observe
        self.escape = Escape()
        self._before: tuple = ()
        # What the migration wrote or redefined (tables, indexes, views, triggers; lower case),
        # as the authorizer saw it; None when it cannot say (no authorizer, or an ALTER TABLE,
        # which may rewrite other objects' SQL).
        self.touched: set[str] | None = set() if (enforce or observe is not None) else None

    def _settings(self) -> tuple:
        conn = self.conn
        modes = tuple(str(conn.execute(f"PRAGMA main.{p}").fetchone()[0]).lower() for p in _FIXED_PRAGMAS)
        # "temp" appears once anything uses it (a temp table, a rebuild's sort): not attached.
        attached = tuple(row[1] for row in conn.execute("PRAGMA database_list") if row[1] != "temp")
        return modes + (attached,)

    def start(self) -> None:
        self._before = self._settings()
        self.conn.execute(f"SAVEPOINT {MARKER}")
        if self.enforce or self.observe is not None:
            self.conn.set_authorizer(self._authorize)

    def _authorize(self, action, arg1, arg2, schema, source):
        if self.observe is not None:
            self.observe(action, arg1, arg2, schema, source)
        if self.touched is not None:
            if action in _WRITES:
                if action == sqlite3.SQLITE_ALTER_TABLE or (schema not in (None, "main", "temp")):
                    self.touched = None
                else:
                    for name in (arg1, arg2) if action in _NAMED_ON_TABLE else (arg1,):
                        # CREATE and DROP write sqlite_master themselves; a direct write needs
                        # writable_schema, which makes everything unknown (below).
                        if name and not name.lower().startswith(("sqlite_master", "sqlite_temp_master",
                                                                 "sqlite_schema", "sqlite_temp_schema")):
                            self.touched.add(name.lower())
            elif action == _PRAGMA and (arg1 or "").lower() == "writable_schema":
                self.touched = None
        if not self.enforce:
            return sqlite3.SQLITE_OK
        if action == _TRANSACTION:
            return self._deny(str(arg1 or "transaction control").upper())
        if action in _ATTACH_DETACH:
            return self._deny(_ATTACH_DETACH[action])
        if action == _PRAGMA and arg2 is not None and (arg1 or "").lower() in _FIXED_PRAGMAS:
            return self._deny(f"PRAGMA {arg1.lower()} = {arg2}")
        if action == _SAVEPOINT and (arg2 or "").lower() == MARKER and arg1 != "BEGIN":
            return self._deny(f"{arg1} {MARKER}")
        return sqlite3.SQLITE_OK

    def _deny(self, what: str) -> int:
        self.escape.denied.append(what)
        return sqlite3.SQLITE_DENY

    def finish(self) -> Escape:
        """Stop watching and check what the migration left; the savepoint is released when
        the transaction is still the runner's (the caller then commits or rolls back)."""
        conn = self.conn
        if self.enforce or self.observe is not None:
            conn.set_authorizer(None)
        escape = self.escape
        if not conn.in_transaction:
            escape.ended = True
        else:
            try:
                conn.execute(f"RELEASE {MARKER}")
            except sqlite3.OperationalError:  # no such savepoint: a new transaction was begun
                escape.ended = True
        after = self._settings()
        for name, old, new in zip(_FIXED_PRAGMAS, self._before, after):
            if old != new:
                escape.changed.append(f"it changed {name} from {old} to {new}")
                escape.journal_off = escape.journal_off or (name == "journal_mode" and new == "off")
        if self._before and self._before[-1] != after[-1]:
            extra = sorted(set(after[-1]) - set(self._before[-1]))
            gone = sorted(set(self._before[-1]) - set(after[-1]))
            if extra:
                escape.changed.append(f"it attached {', '.join(extra)}")
            if gone:
                escape.changed.append(f"it detached {', '.join(gone)}")
        return escape

    def restore(self) -> None:
        """Put back the settings a migration changed (outside any transaction)."""
        conn = self.conn
        if not self._before or conn.in_transaction:
            return
        after = self._settings()
        for name in sorted(set(after[-1]) - set(self._before[-1])):
            try:
                conn.execute("DETACH DATABASE ?", (name,))
            except sqlite3.Error:
                pass
        for name, old, new in zip(_FIXED_PRAGMAS, self._before, after):
            if old != new:
                try:
                    conn.execute(f"PRAGMA main.{name} = {old}")
                except sqlite3.Error:
                    pass
