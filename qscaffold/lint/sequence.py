"""What a statement and the rest of its section leave: judging a file by its end state.

A migration may break something for a while and mend it later: a rebuild drops the old
parent table while its children still point at it, then rebuilds the children; a view is
dropped with its table and created again after the rename. Rules that report a broken
schema therefore ask what the *section* (``up()``, ``down()``, a ``.sql`` file) leaves,
not what the statement leaves: :func:`outcome_of` runs the statement and the DDL after it
on a throwaway copy of the shadow schema (a SAVEPOINT rolled back) and reports

- the foreign keys left pointing at a table that no longer exists, by parent table, and
- the views and triggers that compiled before the statement, no longer compile after it,
  and still do not at the end.

Only DDL and the connection pragmas the shadow replays are run; queries and DML change no
schema (the shadow holds no rows), and nothing that touches files ever runs.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

from ..schema.quote import always_quoted
from .model import Statement, scratch

_BROKEN_RE = re.compile(r"^error in (view|trigger) (.+?): (.*)$", re.S)
_PROBE = "_qs_probe"
_MAX_BROKEN = 50  # views and triggers listed at most (each one costs a probe)


@dataclass
class Outcome:
    """What a statement and the rest of its section leave (see the module docstring)."""

    # parent table (lower-cased) → [(child table, child column)] whose parent is missing
    missing_parents: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # (kind, name) → SQLite's message, for views and triggers this statement broke and
    # the rest of the section does not mend
    broken: dict[tuple[str, str], str] = field(default_factory=dict)


def outcome_of(stmt: Statement) -> Outcome | None:
    """The :class:`Outcome` of ``stmt`` and the statements after it in its section (just
    ``stmt`` when they are unknown)."""
    conn = stmt.schema
    if conn is None:
        return None
    from .shadow import classify, replayed_pragma

    with scratch(conn, progress=False):
        before = broken_dependents(conn)
        try:
            conn.execute(stmt.sql).fetchall()
        except sqlite3.Error:
            return None  # the statement fails: other verdicts say why
        after = broken_dependents(conn)
        newly = {key: message for key, message in after.items() if key not in before}
        blocking: set[tuple[str, str]] = set()  # broken ones a later statement fails on
        for sql in stmt.following or ():
            kind = classify(sql)
            if kind == "ddl" or (kind == "pragma" and replayed_pragma(sql)):
                try:
                    conn.execute(sql).fetchall()
                except sqlite3.Error as exc:
                    # a failing statement changes nothing; its own verdict reports it (and
                    # the view or trigger it names, if that is why)
                    match = _BROKEN_RE.match(str(exc))
                    if match:
                        blocking.add((match.group(1), match.group(2)))
        at_end = broken_dependents(conn) if newly else {}
        outcome = Outcome(missing_parents=missing_parents(conn))
        for key, message in newly.items():
            if key in at_end and key not in blocking:
                outcome.broken[key] = message
    return outcome


def missing_parents(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str]]]:
    """Foreign keys whose parent table does not exist: parent (lower-cased) → children."""
    rows = conn.execute(
        "SELECT m.name, f.\"table\", f.\"from\" FROM sqlite_master AS m, "
        "pragma_foreign_key_list(m.name) AS f "
        "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "AND NOT EXISTS (SELECT 1 FROM sqlite_master AS p WHERE p.type = 'table' "
        "AND p.name = f.\"table\" COLLATE NOCASE)").fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for child, parent, column in rows:
        out.setdefault(parent.lower(), []).append((child, column))
    return out


def broken_dependents(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """The views and triggers of the main schema that no longer compile: ``(kind, name)``
    → SQLite's message. SQLite checks every one of them when a table is renamed, so a
    rename of a probe table names them one at a time (each dropped, on the copy, to find
    the next)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type IN ('view', 'trigger') "
                    "LIMIT 1").fetchone() is None:
        return {}
    found: dict[tuple[str, str], str] = {}
    with scratch(conn, progress=False):
        conn.execute("PRAGMA legacy_alter_table = OFF")
        try:
            conn.execute(f"CREATE TABLE {_PROBE} (x)")
        except sqlite3.Error:
            return found
        for _ in range(_MAX_BROKEN):
            try:
                conn.execute(f"ALTER TABLE {_PROBE} RENAME TO {_PROBE}2")
                break
            except sqlite3.Error as exc:
                match = _BROKEN_RE.match(str(exc))
                if not match:
                    break
                kind, name, message = match.groups()
                found[(kind, name)] = f"no longer compiles: {message}"
                try:
                    conn.execute(f"DROP {kind.upper()} {always_quoted(name)}")
                except sqlite3.Error:
                    break
    return found
