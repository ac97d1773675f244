"""What a statement and the rest of its section leave: judging a file by its end state.

A migration may break something for a while and mend it later: a rebuild drops the old
parent table while its children still point at it, then rebuilds the children; a view is
dropped with its table and created again after the rename. Rules that report a broken
schema therefore ask what the *section* (``up()``, ``down()``, a ``.sql`` file) leaves,
not what the statement leaves.

:func:`section_end` runs the rest of the section once, on a throwaway copy of the shadow
schema (a SAVEPOINT rolled back), from the first statement that asks; every later statement
of the section shares the result (it is the same end state), so the cost is one replay per
section, not one per statement. :func:`outcome_of` adds what only the statement itself can
say: the views and triggers that compiled before it and no longer do after it.

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
_COMPILES = [0]


@dataclass
class SectionEnd:
    """What the rest of a section leaves, from the statement that computed it on."""

    # parent table (lower-cased) → [(child table, child column)] whose parent is missing
    missing_parents: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # (kind, name) → SQLite's message, for the views and triggers broken at the end
    broken: dict[tuple[str, str], str] = field(default_factory=dict)
    # (index of a statement that failed on a broken view or trigger, (kind, name))
    blocking: list[tuple[int, tuple[str, str]]] = field(default_factory=list)


@dataclass
class Outcome:
    """What a statement and the rest of its section leave (see the module docstring)."""

    # parent table (lower-cased) → [(child table, child column)] whose parent is missing
    missing_parents: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # (kind, name) → SQLite's message, for views and triggers this statement broke and
    # the rest of the section does not mend
    broken: dict[tuple[str, str], str] = field(default_factory=dict)


def section_end(stmt: Statement) -> SectionEnd | None:
    """What ``stmt`` and the statements after it in its section leave (just ``stmt`` when
    they are unknown); shared through the section's history once computed."""
    conn = stmt.schema
    if conn is None:
        return None
    history = stmt.history
    if history is not None and history.end is not None:
        return history.end
    from .shadow import classify, replayed_pragma

    first = history.seen if history is not None else 0
    end = SectionEnd()
    with scratch(conn, progress=False):
        for offset, sql in enumerate((stmt.sql, *(stmt.following or ()))):
            kind = classify(sql) if offset else "ddl"
            if kind == "ddl" or (kind == "pragma" and replayed_pragma(sql)):
                try:
                    conn.execute(sql).fetchall()
                except sqlite3.Error as exc:
                    # a failing statement changes nothing; its own verdict reports it (and
                    # the view or trigger it names, if that is why)
                    match = _BROKEN_RE.match(str(exc))
                    if match:
                        end.blocking.append((first + offset, (match.group(1), match.group(2))))
        end.missing_parents = missing_parents(conn)
        end.broken = broken_dependents(conn)
    if history is not None:
        history.end = end
    return end


def outcome_of(stmt: Statement, name: str | None = None) -> Outcome | None:
    """The :class:`Outcome` of ``stmt`` and the statements after it in its section. Only
    views and triggers whose SQL mentions ``name`` (the table or view the statement drops
    or renames) are checked for being broken by it; without ``name``, none are."""
    end = section_end(stmt)
    if end is None:
        return None
    outcome = Outcome(missing_parents=end.missing_parents)
    here = stmt.history.seen if stmt.history is not None else 0
    blocking = {key for index, key in end.blocking if index > here}
    conn = stmt.schema
    candidates = [key for key in end.broken if key not in blocking and name
                  and _mentions(conn, key, name)]
    if not candidates:
        return outcome
    triggers = any(kind == "trigger" for kind, _ in candidates)
    before = _compile_errors(conn, candidates, triggers)
    with scratch(conn, progress=False):
        try:
            conn.execute(stmt.sql).fetchall()
        except sqlite3.Error:
            return None  # the statement fails: other verdicts say why
        after = _compile_errors(conn, candidates, triggers)
    for key in candidates:
        if key in after and key not in before:
            outcome.broken[key] = after[key]
    return outcome


def _mentions(conn: sqlite3.Connection, key: tuple[str, str], name: str) -> bool:
    row = conn.execute("SELECT instr(lower(sql), ?) FROM sqlite_master WHERE type = ? AND name = ?",
                       (name.lower(), key[0], key[1])).fetchone()
    return bool(row and row[0])


def _compile_errors(conn: sqlite3.Connection, keys, triggers: bool) -> dict:
    """Which of the views and triggers ``keys`` do not compile now: ``(kind, name)`` →
    message. A view is compiled on its own; triggers need the schema-wide probe."""
    out = broken_dependents(conn) if triggers else {}
    for kind, obj in keys:
        if kind != "view":
            continue
        quoted = always_quoted(obj)
        _COMPILES[0] += 1
        try:
            # an EXPLAIN never checks the schema it was prepared against, so the text is
            # made new each time: the connection's statement cache must not answer
            conn.execute(f"EXPLAIN SELECT * FROM {quoted} /* {_COMPILES[0]} */").fetchall()
            out.pop((kind, obj), None)
        except sqlite3.Error as exc:
            out[(kind, obj)] = f"no longer compiles: {exc}"
    return {key: message for key, message in out.items() if key in set(keys)}


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
