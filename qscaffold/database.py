"""``Database``: the thin wrapper over one ``sqlite3.Connection`` that migrations receive."""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
from collections.abc import Iterable, Iterator, Sequence

from .errors import MigrationFailed
from .schema.quote import always_quoted

# qscaffold.sql (the statement splitter and the tokenizer) is imported when a migration first
# runs SQL: `migrate status` and the other read-only commands never need it.

_TRANSACTION_WORDS = {"BEGIN", "COMMIT", "END", "ROLLBACK"}
_savepoint_ids = itertools.count(1)


class TransactionControlError(MigrationFailed):
    """A migration tried to begin, commit or roll back the runner's transaction."""


def _refuse_transaction_control(sql: str) -> None:
    from .sql import first_keywords

    words = first_keywords(sql, 3)
    if not words or words[0] not in _TRANSACTION_WORDS:
        return
    if words[0] == "ROLLBACK" and "TO" in words[1:3]:
        return  # ROLLBACK [TRANSACTION] TO savepoint is nesting, not transaction control
    raise TransactionControlError(
        f"{words[0]} is not allowed in a migration: the runner wraps each migration in one "
        "transaction (use db.savepoint() to nest)"
    )


class Database:
    """What ``up(db)`` and ``down(db)`` get: statements run inside the migration's transaction.

    Nothing here commits: :meth:`exec` runs a whole script statement by statement (trigger
    bodies included) on the same connection, never through ``executescript``, which would
    commit the runner's transaction first.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def exec(self, sql: str) -> None:
        """Run one or many ``;``-separated statements."""
        from .sql import split_statements

        execute = self.connection.execute
        for statement in split_statements(sql):
            _refuse_transaction_control(statement.text)
            execute(statement.text).fetchall()

    def execute(self, sql: str, params: Sequence | dict = ()) -> sqlite3.Cursor:
        """Run one statement with parameters; the cursor gives rows and ``rowcount``."""
        _refuse_transaction_control(sql)
        return self.connection.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence | dict]) -> sqlite3.Cursor:
        """Run one statement once per parameter row."""
        _refuse_transaction_control(sql)
        return self.connection.executemany(sql, rows)

    def query(self, sql: str, params: Sequence | dict = ()) -> list[tuple]:
        """All rows of one statement."""
        return self.execute(sql, params).fetchall()

    def has_table(self, name: str) -> bool:
        """Whether a table (or view) called ``name`` exists, case-insensitively."""
        row = self.connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE",
            (name,),
        ).fetchone()
        return row is not None

    def has_column(self, table: str, column: str) -> bool:
        """Whether ``table`` has a column called ``column``, case-insensitively."""
        rows = self.connection.execute(
            "SELECT name FROM pragma_table_xinfo(?)", (table,)
        ).fetchall()
        wanted = column.lower()
        return any(r[0].lower() == wanted for r in rows)

    def columns(self, table: str) -> list[str]:
        """The column names of ``table`` in order (empty when it does not exist)."""
        return [r[0] for r in self.connection.execute("SELECT name FROM pragma_table_info(?)", (table,))]

    @contextlib.contextmanager
    def savepoint(self, name: str | None = None) -> Iterator[None]:
        """A nested transaction: rolled back alone if the block raises."""
        name = name or f"qscaffold_sp{next(_savepoint_ids)}"
        quoted = always_quoted(name)
        self.connection.execute(f"SAVEPOINT {quoted}")
        try:
            yield
        except BaseException:
            self.connection.execute(f"ROLLBACK TO {quoted}")
            self.connection.execute(f"RELEASE {quoted}")
            raise
        self.connection.execute(f"RELEASE {quoted}")

    def __repr__(self) -> str:
        return f"<qscaffold.Database {self.connection!r}>"
