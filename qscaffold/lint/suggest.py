"""SQLite forms of statements written for another database, found by sqlglot, checked by SQLite.

When SQLite rejects a statement (``a::int``, ``now()``, ``INSERT IGNORE``, ``TOP 5``…), the
statement is read as PostgreSQL, T-SQL, MySQL and Oracle in turn and written back as
SQLite. A rewrite is offered only when the engine compiles it (``EXPLAIN``, never run)
against the shadow schema the statement met: sqlglot alone emits SQLite that SQLite
rejects (``ARRAY<TEXT>``), so the engine stays the judge. ALTER and RENAME forms are never
rewritten (sqlglot keeps forms SQLite has no equivalent for; their rules give the recipe).

sqlglot is imported here only, and only when a statement needs a rewrite: a clean file
never loads it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..sql import first_keywords

# Tried in this order; the first accepted rewrite wins. T-SQL before MySQL: MySQL's one-argument
# ISNULL(x) would read T-SQL's ISNULL(a, b) as "a IS NULL".
DIALECTS = ("postgres", "tsql", "mysql", "oracle")
# Rules whose finding means "syntax from another database": their statements get a rewrite
# too, even where SQLite accepts them as written (a declared type swallowing foreign words).
FOREIGN_SYNTAX_CODES = frozenset({"QS605", "QS610"})
_NEVER = frozenset({"ALTER", "RENAME", "PRAGMA", "ATTACH", "DETACH", "VACUUM"})


@dataclass(frozen=True)
class Fix:
    """Replace the file's text from ``(line, column)`` up to, not including, ``(end_line,
    end_column)`` with ``replacement`` (1-based, like the findings)."""

    replacement: str
    line: int
    column: int
    end_line: int
    end_column: int

    def to_dict(self) -> dict:
        return {"replacement": self.replacement,
                "range": {"start": {"line": self.line, "column": self.column},
                          "end": {"line": self.end_line, "column": self.end_column}}}


def wants_rewrite(error: str | None) -> bool:
    """Whether SQLite's rejection is the kind another dialect's syntax causes."""
    return error is not None and ("syntax error" in error or error.startswith("unrecognized token")
                                  or error.startswith("no such function"))


def sqlite_form(sql: str, schema: sqlite3.Connection | None = None) -> str | None:
    """The SQLite form of ``sql`` (one statement) that the engine accepts against ``schema``
    (an empty database when ``None``), or ``None`` when no dialect's reading gives one."""
    body = sql.strip().rstrip(";").rstrip()
    words = first_keywords(body, 1)
    if not words or words[0] in _NEVER:
        return None
    import sqlglot
    from sqlglot.errors import ErrorLevel

    from .model import _quiet_sqlglot

    _quiet_sqlglot()  # it logs what it drops ("Unsupported property …"); the engine judges
    own = _squash(body)
    conn = schema if schema is not None else sqlite3.connect(":memory:")
    try:
        for dialect in DIALECTS:
            try:
                out = sqlglot.transpile(body, read=dialect, write="sqlite",
                                        unsupported_level=ErrorLevel.IGNORE)
            except Exception:  # noqa: BLE001 - any sqlglot failure means "no reading here"
                continue
            if len(out) != 1 or not out[0] or _squash(out[0]) == own:
                continue
            rewrite = out[0]
            again = first_keywords(rewrite, 1)
            if not again or again[0] in _NEVER:
                continue
            try:
                conn.execute("EXPLAIN " + rewrite).fetchall()
            except (sqlite3.Error, sqlite3.Warning, ValueError, OverflowError):
                continue
            return rewrite
        return None
    finally:
        if schema is None:
            conn.close()


def fix_for(piece, schema: sqlite3.Connection | None) -> tuple[str, Fix | None] | None:
    """``(rewrite, fix)`` for a statement found in a file: the fix's range covers the
    statement without its ``;``, or is ``None`` when the statement's text does not map onto
    the file exactly (a Python string with escapes)."""
    rewrite = sqlite_form(piece.text, schema)
    if rewrite is None:
        return None
    text = piece.text.rstrip()
    end = len(text[:-1].rstrip()) if text.endswith(";") else len(text)
    if not piece.exact:
        return rewrite, None
    end_line, end_column = piece.position(end)
    return rewrite, Fix(rewrite, piece.line, piece.column, end_line, end_column)


def _squash(sql: str) -> str:
    return " ".join(sql.split()).upper()

