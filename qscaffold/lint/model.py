"""What the lint engine and the rules share: severities, findings, statements and files.

A rule never sees a file's Python: the engine hands it one :class:`Statement` at a time (or,
for file rules, a :class:`FileUnit`) and turns what it yields into :class:`Finding` objects
with a position, after ``noqa``, ``--select`` and ``--ignore``.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path

from ..schema.quote import always_quoted
from ..sql import first_keywords, split_statements, tokenize

from ..config import Version, parse_version  # noqa: F401 - re-exported for rules and the CLI


class Severity(str, Enum):
    ERROR = "error"      # SQLite or the runner will reject it (also only once the table has rows)
    WARNING = "warning"  # it runs but is fragile
    INFO = "info"        # could not be checked

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str
    statement: str = ""  # the SQL it is about (normalised whitespace), for fingerprints
    fix: object = None  # a suggest.Fix: an engine-checked SQLite form of the statement

    def to_dict(self) -> dict:
        data = {"path": self.path, "line": self.line, "column": self.column, "code": self.code,
                "severity": self.severity.value, "message": self.message}
        if self.fix is not None:
            data["fix"] = self.fix.to_dict()
        return data


def format_version(version: Version) -> str:
    return ".".join(str(p) for p in version)


def shadow_database(ddl: str | list[str] = ()) -> sqlite3.Connection:
    """A throwaway in-memory database with ``ddl`` (a script or a list of statements) applied."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    scripts = [ddl] if isinstance(ddl, str) else list(ddl)
    for script in scripts:
        for statement in split_statements(script):
            conn.execute(statement.text)
    return conn


# Connection-level settings a shadow replays and carries from migration to migration (one
# connection runs a whole `migrate up`); a new connection starts with them off. A fresh
# scratch run (below) sees them as a new connection would; any scratch run leaves them as
# they were. (case_sensitive_like, which SQLite cannot report, is handled beside them.)
CONNECTION_PRAGMAS = ("legacy_alter_table", "recursive_triggers", "defer_foreign_keys")
READ_CONNECTION_PRAGMAS = "SELECT * FROM " + ", ".join(f"pragma_{n}" for n in CONNECTION_PRAGMAS)
_SCRATCH = "_qs_scratch"


class ShadowConnection(sqlite3.Connection):
    """A shadow database's connection. ``case_sensitive_like`` follows the pragma of that
    name (which SQLite cannot report); ``progress`` is the installed progress handler."""

    case_sensitive_like = False
    progress = None


@contextmanager
def scratch(conn: sqlite3.Connection, *, progress: bool = True, fresh: bool = False):
    """Run statements on ``conn`` as if on a copy of its database, then undo them.

    Everything runs inside a SAVEPOINT that is rolled back on exit (DDL is transactional
    in SQLite). With ``fresh``, the connection looks like a new one holding only the main
    database (as a later ``migrate down`` sees it): the connection-level pragmas a shadow
    replays are off and temporary objects are gone. With ``progress=False`` the progress
    handler is suspended. All of it is restored on exit.
    """
    handler = getattr(conn, "progress", None)
    if not progress and handler is not None:
        conn.set_progress_handler(None, 0)
    try:
        saved = list(zip(CONNECTION_PRAGMAS, conn.execute(READ_CONNECTION_PRAGMAS).fetchone()))
        like = bool(getattr(conn, "case_sensitive_like", False))
        conn.execute(f"SAVEPOINT {_SCRATCH}")
        try:
            if fresh:
                _as_new_connection(conn, saved, like)
            yield conn
        finally:
            if conn.in_transaction:
                try:
                    conn.execute(f"ROLLBACK TO {_SCRATCH}")
                    conn.execute(f"RELEASE {_SCRATCH}")
                except sqlite3.Error:
                    pass
            now = conn.execute(READ_CONNECTION_PRAGMAS).fetchone()
            for (name, value), current in zip(saved, now):
                if current != value:
                    conn.execute(f"PRAGMA {name} = {int(value)}")
            if bool(getattr(conn, "case_sensitive_like", False)) != like:
                conn.execute(f"PRAGMA case_sensitive_like = {int(like)}")
                conn.case_sensitive_like = like
    finally:
        if not progress and handler is not None:
            conn.set_progress_handler(handler, 1000)


def _as_new_connection(conn: sqlite3.Connection, saved, like: bool) -> None:
    """Switch off the replayed connection-level pragmas and drop temporary objects."""
    for name, value in saved:
        if value:
            conn.execute(f"PRAGMA {name} = 0")
    if like:
        conn.execute("PRAGMA case_sensitive_like = 0")
        conn.case_sensitive_like = False
    temp = conn.execute(
        "SELECT type, name FROM sqlite_temp_master WHERE type IN "
        "('trigger', 'view', 'index', 'table') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).fetchall()
    order = {"trigger": 0, "view": 1, "index": 2, "table": 3}
    for kind, name in sorted(temp, key=lambda row: order[row[0]]):
        conn.execute(f"DROP {kind.upper()} IF EXISTS temp.{always_quoted(name)}")


def _quiet_sqlglot() -> None:
    """sqlglot reports its fallbacks as log warnings; the linter reports them as findings."""
    import logging

    logging.getLogger("sqlglot").setLevel(logging.ERROR)


@dataclass
class SectionHistory:
    """What the earlier statements of the same ``up()``/``down()`` (or ``.sql`` file) did,
    for rules that judge a sequence by following it rather than by table-name patterns:
    the tables renamed away and the tables an ``INSERT … SELECT`` copied rows from. The
    engine notes each statement after the rules have seen it."""

    renamed: dict[str, str] = field(default_factory=dict)  # new name (lower) → first old name
    copied_from: set[str] = field(default_factory=set)  # tables read by INSERT … SELECT (lower)

    def note(self, sql: str) -> None:
        words = first_keywords(sql, 6)
        if words[:2] == ("ALTER", "TABLE") and "RENAME" in words:
            toks = [t for t in tokenize(sql) if t.kind != "op" or t.value == "."]
            names = [t for t in toks[2:]]
            # ALTER TABLE [schema .] old RENAME TO new
            if len(names) >= 4 and names[1].value == ".":
                names = names[2:]
            if len(names) >= 4 and names[1].value == "RENAME" and names[2].value == "TO" \
                    and names[0].is_identifier and names[3].is_identifier:
                old, new = names[0].name, names[3].name
                self.renamed[new.lower()] = self.renamed.pop(old.lower(), old)
        elif words[:1] in (("INSERT",), ("REPLACE",)) and "SELECT" in sql.upper():
            toks = tokenize(sql)
            for prev, tok in zip(toks, toks[1:]):
                if prev.kind == "word" and prev.value in ("FROM", "JOIN") and tok.is_identifier:
                    self.copied_from.add(tok.name.lower())


@dataclass
class Statement:
    """One SQL statement, as a rule sees it.

    ``schema`` is a shadow database holding the schema as it stands just *before* this
    statement (earlier migrations and earlier statements of this one replayed, SQL only);
    ``None`` when it is unknown. Rules that need the schema stay silent without it.
    """

    sql: str
    section: str | None = "up"  # "up", "down", or None (.sql file, module level)
    target: Version = field(default_factory=lambda: parse_version(None))
    schema: sqlite3.Connection | None = None
    call: str | None = "exec"  # the Database method that carried it; None in .sql files
    # The SQL of the statements that come after this one in the same up()/down() (or .sql
    # file), in order; ``None`` when unknown. Rules that judge a sequence (a table rebuild)
    # use it to see whether a dropped table, index or trigger is recreated later.
    following: tuple[str, ...] | None = None
    # Whether the runner runs the file inside one transaction it opens (qscaffold's runner,
    # goose, dbmate, …) rather than as written (the sqlite3 shell, per-file opt-outs).
    wrapped: bool = True
    # Whether foreign key enforcement is on when the statement runs (off in qscaffold's
    # runner; on under sqlx, or after PRAGMA foreign_keys = ON in a file run as written).
    foreign_keys: bool = False
    # What the earlier statements of the same section did; ``None`` when unknown.
    history: SectionHistory | None = None

    @classmethod
    def build(cls, sql: str, *, schema: str | list[str] | None = None, section: str | None = "up",
              target: str | Version | None = None, call: str | None = "exec",
              following: tuple[str, ...] | list[str] | None = None,
              preceding: tuple[str, ...] | list[str] = (), wrapped: bool = True,
              foreign_keys: bool = False) -> "Statement":
        """A statement for tests and tools: ``schema`` is DDL replayed into a fresh shadow,
        then ``preceding`` (the earlier statements of the same section)."""
        shadow = shadow_database(list(schema or ()) if not isinstance(schema, str) else schema)\
            if schema is not None else None
        history = SectionHistory()
        for sql_before in preceding:
            if shadow is not None:
                shadow.execute(sql_before)
            history.note(sql_before)
        after = tuple(following) if following is not None else None
        return cls(sql.strip(), section, parse_version(target), shadow, call, after, wrapped,
                   foreign_keys, history)

    @cached_property
    def keywords(self) -> tuple[str, ...]:
        """The first bare words, upper-cased: ``("ALTER", "TABLE", "T", "ADD")``."""
        return first_keywords(self.sql, 6)

    @cached_property
    def _parsed(self):
        import sqlglot
        from sqlglot import exp
        from sqlglot.errors import ParseError, TokenError

        _quiet_sqlglot()
        try:
            trees = [t for t in sqlglot.parse(self.sql, read="sqlite") if t is not None]
        except (ParseError, TokenError) as exc:
            return None, str(exc).splitlines()[0]
        except Exception as exc:  # sqlglot bugs must not crash the linter
            return None, f"{type(exc).__name__}: {exc}"
        if len(trees) != 1:
            return None, "sqlglot split the statement in several"
        tree = trees[0]
        if isinstance(tree, exp.Command):
            return None, "sqlglot fell back to a generic command"
        return tree, None

    @cached_property
    def tree(self):
        """The sqlglot expression, or ``None`` when sqlglot could not really parse it. Only
        QS002 (opt-in) reads it: the rules read SQLite's grammar themselves; reading it
        imports sqlglot."""
        return self._parsed[0]

    @cached_property
    def parse_error(self) -> str | None:
        return self._parsed[1]

    @cached_property
    def section_outcome(self):
        """What this statement and the rest of its section leave
        (:class:`qscaffold.lint.sequence.Outcome`), run on a throwaway copy of the schema
        (this statement alone when :attr:`following` is unknown); ``None`` without a
        schema, or when this statement fails."""
        from .sequence import outcome_of

        return outcome_of(self)

    @cached_property
    def normalized(self) -> str:
        return " ".join(self.sql.split())

    # -- schema helpers (all ``None``/empty without a schema) -------------------------

    def object_sql(self, name: str) -> tuple[str, str] | None:
        """``(type, sql)`` of a table, index, view or trigger named ``name``."""
        if self.schema is None:
            return None
        row = self.schema.execute(
            "SELECT type, sql FROM sqlite_master WHERE name = ? COLLATE NOCASE", (name,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def columns(self, table: str) -> list[tuple]:
        """``PRAGMA table_xinfo`` rows: (cid, name, type, notnull, dflt_value, pk, hidden)."""
        if self.schema is None:
            return []
        return self.schema.execute("SELECT * FROM pragma_table_xinfo(?)", (table,)).fetchall()

    def engine_error(self) -> str | None:
        """What SQLite says when it compiles this statement against the shadow schema
        (``EXPLAIN``, never run), or ``None`` when it compiles."""
        if self.schema is None:
            return None
        try:
            self.schema.execute("EXPLAIN " + self.sql).fetchall()
        except sqlite3.Error as exc:
            return str(exc)
        return None


@dataclass
class FileUnit:
    """One file as a file rule sees it."""

    path: Path
    source: str
    module: ast.Module | None  # None for .sql files and Python that does not parse
    is_python: bool
    statements: list[Statement] = field(default_factory=list)
    # Filled by the engine: the SQL-carrying calls found by ``ast`` (extract.SqlCall), the
    # shadow schema before up / after up / after down (``(type, name)`` → column names),
    # whether that schema is known (no dynamic DDL on the way), and the target version.
    calls: list = field(default_factory=list)
    snapshots: dict = field(default_factory=dict)
    schema_known: bool = False
    target: Version | None = None
