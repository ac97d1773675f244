"""A small SQLite-exact reader shared by the rule modules.

SQLite's grammar for the statements migrations use (ALTER TABLE, column definitions, CREATE,
DROP, PRAGMA) is small and regular, and sqlglot both accepts forms SQLite rejects and
mis-parses some that SQLite accepts. The rules therefore classify statements with
:func:`qscaffold.sql.tokenize` and these hand-written readers, which follow SQLite's
``parse.y``, and keep the source text of types and expressions.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from dataclasses import dataclass, field

from ...sql import Token as Tok
from ..model import scratch
from ..names import is_rebuild_name, is_renamed_away
from ...sql import at, close_paren, depth_map, is_op, is_word, split_top, tokenize  # noqa: F401  (the rules' vocabulary)
# The CREATE TABLE reader is the schema model's (one reader for the linter, the scaffolder,
# verify and the diff); these names stay importable from here for the rule modules.
from ...schema.create import (  # noqa: F401
    _CONSTRAINT_START,
    _TABLE_CONSTRAINT_START,
    ROWID_NAMES,
    STRICT_TYPES,
    ColumnDef,
    Constraint,
    CreateTable,
    _conflict_clause,
    _fk_tail,
    is_name,
    name_of,
    parse_column_constraints,
    parse_column_def,
    parse_create_table,
    parse_table_constraint,
    source,
    words_at,
)
from ...schema.quote import always_quoted as quote  # noqa: F401


# -- ALTER TABLE -----------------------------------------------------------------------------


@dataclass
class Alter:
    table: str
    schema_name: str | None
    action: str  # see parse_alter
    toks: tuple[Tok, ...]  # the whole statement
    act: list[Tok]  # the action's tokens
    if_exists: bool = False  # ALTER TABLE IF EXISTS / ADD IF NOT EXISTS / DROP IF EXISTS
    column: str | None = None  # the column the action names
    new_name: str | None = None  # RENAME targets
    new_name_qualified: bool = False
    coldef: ColumnDef | None = None
    constraint: str | None = None  # DROP CONSTRAINT name / ADD CONSTRAINT name
    unsupported: str | None = None  # what SQLite has no form for
    near: str | None = None  # the token SQLite 3.40 reports for an unsupported form
    near_353: str | None = None  # ... and 3.53+
    multiple: bool = False


def parse_alter(sql: str) -> Alter | None:
    """Classify an ``ALTER TABLE`` statement. ``action`` is one of ``rename-table``,
    ``rename-column``, ``add-column``, ``drop-column``, ``add-check``, ``drop-constraint``,
    ``set-not-null``, ``drop-not-null``, ``unsupported`` or ``unknown``."""
    toks = tokenize(sql)
    if not is_word(at(toks, 0), "ALTER") or not is_word(at(toks, 1), "TABLE"):
        return None
    i = 2
    if_exists = False
    if words_at(toks, i, "IF", "EXISTS"):
        if_exists, i = True, i + 2
    only = (is_word(at(toks, i), "ONLY") and is_name(at(toks, i + 1))
            and not is_word(at(toks, i + 1), "ADD", "DROP", "RENAME", "ALTER"))
    if only:
        i += 1
    if not is_name(at(toks, i)):
        return None
    schema_name = None
    if is_op(at(toks, i + 1), ".") and is_name(at(toks, i + 2)):
        schema_name, i = name_of(toks[i]), i + 2
    table = name_of(toks[i])
    act = list(toks[i + 1 :])
    a = Alter(table, schema_name, "unknown", toks, act, if_exists)
    if only:
        a.action, a.unsupported, a.near = "unsupported", "ALTER TABLE ONLY", name_of(toks[3])
        a.near_353 = a.near
        return a
    a.multiple = len(split_top(act)) > 1
    first = at(act, 0)
    if is_word(first, "RENAME"):
        if is_word(at(act, 1), "TO"):
            a.action = "rename-table"
            if is_name(at(act, 2)):
                a.new_name = name_of(act[2])
                if is_op(at(act, 3), ".") and is_name(at(act, 4)):
                    a.new_name_qualified = True
        elif is_word(at(act, 1), "CONSTRAINT"):
            _unsupported(a, "RENAME CONSTRAINT", "CONSTRAINT")
        else:
            k = 2 if is_word(at(act, 1), "COLUMN") else 1
            if is_name(at(act, k)) and is_word(at(act, k + 1), "TO") and is_name(at(act, k + 2)):
                a.action, a.column, a.new_name = "rename-column", name_of(act[k]), name_of(act[k + 2])
    elif is_word(first, "ADD"):
        k = 1
        has_column_kw = is_word(at(act, 1), "COLUMN")
        if has_column_kw:
            k = 2
        if words_at(act, k, "IF", "NOT", "EXISTS"):
            a.if_exists = True
            k += 3
        nxt = at(act, k)
        if not has_column_kw and is_word(nxt, "CONSTRAINT"):
            a.constraint = name_of(act[k + 1]) if is_name(at(act, k + 1)) else None
            kind = at(act, k + 2)
            if is_word(kind, "CHECK"):
                a.action = "add-check"
            else:
                word = kind.value if kind else "CONSTRAINT"
                _unsupported(a, f"ADD CONSTRAINT … {word}", "CONSTRAINT", word)
        elif not has_column_kw and is_word(nxt, "CHECK"):
            a.action = "add-check"
        elif not has_column_kw and (is_word(nxt, "UNIQUE", "FOREIGN") or words_at(act, k, "PRIMARY", "KEY")):
            _unsupported(a, f"ADD {nxt.value}", nxt.value)
        elif is_op(nxt, "("):
            _unsupported(a, "ADD (…)", "(")
        elif is_name(nxt):
            a.action = "add-column"
            a.coldef = parse_column_def(sql, split_top(act[k:])[0])
            a.column = a.coldef.name if a.coldef else None
    elif is_word(first, "DROP"):
        nxt = at(act, 1)
        if is_word(nxt, "CONSTRAINT"):
            a.action = "drop-constraint"
            k = 2
            if words_at(act, 2, "IF", "EXISTS"):
                a.if_exists, k = True, 4
            a.constraint = name_of(act[k]) if is_name(at(act, k)) else None
        elif words_at(act, 1, "PRIMARY", "KEY") or is_word(nxt, "FOREIGN", "INDEX", "DEFAULT", "UNIQUE", "CHECK"):
            _unsupported(a, f"DROP {nxt.value}", nxt.value)
        else:
            k = 2 if is_word(nxt, "COLUMN") else 1
            if words_at(act, k, "IF", "EXISTS"):
                a.if_exists, k = True, k + 2
            if is_name(at(act, k)):
                a.action, a.column = "drop-column", name_of(act[k])
    elif is_word(first, "ALTER"):
        k = 2 if is_word(at(act, 1), "COLUMN") else 1
        a.column = name_of(act[k]) if is_name(at(act, k)) else None
        if words_at(act, k + 1, "SET", "NOT", "NULL"):
            a.action = "set-not-null"
        elif words_at(act, k + 1, "DROP", "NOT", "NULL"):
            a.action = "drop-not-null"
        else:
            what = " ".join(t.value for t in act[k + 1 : k + 3] if t.kind == "word") or "…"
            near = at(act, k + 2) if is_word(at(act, k + 1), "SET", "DROP") else at(act, k + 1)
            _unsupported(a, f"ALTER COLUMN … {what}", "ALTER", near.value if near else "ALTER")
    elif is_word(first, "MODIFY", "CHANGE"):
        _unsupported(a, first.value, first.value)
    return a


def _unsupported(a: Alter, form: str, near: str, near_353: str | None = None) -> None:
    a.action, a.unsupported, a.near = "unsupported", form, near
    a.near_353 = near_353 or near


# -- other statements ------------------------------------------------------------------------


@dataclass
class Drop:
    kind: str  # TABLE INDEX VIEW TRIGGER
    name: str
    if_exists: bool


def parse_drop(sql: str) -> Drop | None:
    toks = tokenize(sql)
    if not is_word(at(toks, 0), "DROP") or not is_word(at(toks, 1), "TABLE", "INDEX", "VIEW", "TRIGGER"):
        return None
    i = 2
    exists = words_at(toks, i, "IF", "EXISTS")
    if exists:
        i += 2
    if not is_name(at(toks, i)):
        return None
    if is_op(at(toks, i + 1), ".") and is_name(at(toks, i + 2)):
        i += 2
    return Drop(toks[1].value, name_of(toks[i]), exists)


def create_kind(toks) -> tuple[str | None, int]:
    """For ``CREATE …``: the object kind (TABLE, INDEX, VIEW, TRIGGER, VIRTUAL) and the index
    of the token after it."""
    if not is_word(at(toks, 0), "CREATE"):
        return None, 0
    i = 1
    if is_word(at(toks, i), "TEMP", "TEMPORARY", "UNIQUE"):
        i += 1
    if is_word(at(toks, i), "VIRTUAL") and is_word(at(toks, i + 1), "TABLE"):
        return "VIRTUAL", i + 2
    if is_word(at(toks, i), "TABLE", "INDEX", "VIEW", "TRIGGER"):
        return toks[i].value, i + 1
    return None, i


def created_name(toks) -> tuple[str | None, str | None, bool]:
    """``(kind, name, if_not_exists)`` of a CREATE statement."""
    kind, i = create_kind(toks)
    if kind is None:
        return None, None, False
    exists = words_at(toks, i, "IF", "NOT", "EXISTS")
    if exists:
        i += 3
    if not is_name(at(toks, i)):
        return kind, None, exists
    if is_op(at(toks, i + 1), ".") and is_name(at(toks, i + 2)):
        i += 2
    return kind, name_of(toks[i]), exists


def same_definition(a: str, b: str) -> bool:
    """Whether two CREATE statements define the same thing, ignoring case, blanks,
    identifier quoting and ``IF NOT EXISTS``."""
    return _definition_key(a) == _definition_key(b)


def _definition_key(sql: str) -> tuple:
    toks = list(tokenize(sql))
    kind, i = create_kind(toks)
    if words_at(toks, i, "IF", "NOT", "EXISTS"):
        del toks[i : i + 3]
    key = []
    for t in toks:
        if t.kind in ("word", "id"):
            key.append(("n", t.value.upper() if t.kind == "id" else t.value))
        else:
            key.append((t.kind, t.value))
    if key and key[1] == ("n", "TEMPORARY"):
        key[1] = ("n", "TEMP")
    return tuple(key)


# -- the engine ----------------------------------------------------------------------------


def run_on_copy(schema: sqlite3.Connection, sql: str, *, then: tuple[str, ...] = ()) -> str | None:
    """Run ``sql`` (then the ``then`` statements) as on a throwaway copy of the shadow
    ``schema``: inside a savepoint that is rolled back. SQLite's message, or ``None`` when
    it succeeds. The shadow is left as it was."""
    with scratch(schema, progress=False):
        try:
            schema.execute(sql).fetchall()
            for statement in then:
                schema.execute(statement).fetchall()
        except sqlite3.Error as exc:
            return str(exc)
    return None


def compile_alone(sql: str) -> str | None:
    """SQLite's message when it compiles ``sql`` in an empty database, else ``None``."""
    conn = getattr(_EMPTY, "conn", None)
    if conn is None or _EMPTY.pid != os.getpid():  # never use a connection across fork()
        conn = _EMPTY.conn = sqlite3.connect(":memory:", check_same_thread=False)
        _EMPTY.pid = os.getpid()
    try:
        conn.execute("EXPLAIN " + sql).fetchall()
    except sqlite3.Error as exc:
        return str(exc)
    return None


# One empty database per thread for compile_alone: EXPLAIN only compiles, so it stays empty.
_EMPTY = threading.local()


def table_sql(schema: sqlite3.Connection | None, name: str) -> tuple[str, str, str] | None:
    """``(type, name, sql)`` of a schema object, case-insensitively."""
    if schema is None:
        return None
    row = schema.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name = ? COLLATE NOCASE", (name,)
    ).fetchone()
    return (row[0], row[1], row[2] or "") if row else None


_ORDINARY = "type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
# Names SQLite's ASCII-only lower() may fold differently from Python's: always fetched,
# then judged in Python.
_NOT_ASCII = "name GLOB '*[^ -~]*'"


def tables_within(schema: sqlite3.Connection, text: str) -> list[tuple[str, str]]:
    """``(name, sql)`` of the ordinary tables whose lower-cased name may occur in ``text``
    (lower-cased): a superset of those whose name does, in schema order."""
    return schema.execute(
        f"SELECT name, sql FROM sqlite_master WHERE {_ORDINARY} "
        f"AND (instr(?, lower(name)) > 0 OR {_NOT_ASCII})", (text,)
    ).fetchall()


def tables_containing(schema: sqlite3.Connection, text: str) -> list[tuple[str, str]]:
    """``(name, sql)`` of the ordinary tables whose lower-cased name may contain ``text``
    (lower-cased): a superset of those whose name does, in schema order."""
    return schema.execute(
        f"SELECT name, sql FROM sqlite_master WHERE {_ORDINARY} "
        f"AND (instr(lower(name), ?) > 0 OR {_NOT_ASCII})", (text,)
    ).fetchall()


def children(schema: sqlite3.Connection, parent: str) -> list[tuple[str, str, str | None]]:
    """``(child table, child column, parent column or None)`` of every foreign key that
    references ``parent`` from another table."""
    low = parent.lower()
    rows = schema.execute(
        "SELECT m.name, f.\"table\", f.\"from\", f.\"to\" FROM sqlite_master AS m, "
        "pragma_foreign_key_list(m.name) AS f "
        "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).fetchall()
    return [(name, column, to) for name, target, column, to in rows
            if name.lower() != low and target.lower() == low]


def rebuild_partner(schema: sqlite3.Connection | None, table: str) -> str | None:
    """The table a recognised rebuild of ``table`` is building (``new_t``, ``t_new``,
    ``_t_tmp``…), if the shadow schema has one."""
    if schema is None:
        return None
    for name, _sql in tables_containing(schema, table.lower()):
        if is_rebuild_name(name, table):
            return name
    return None


def renamed_from(schema: sqlite3.Connection | None, table: str) -> str | None:
    """For ``t_old`` (``old_t``, ``t_backup``, ``_t_old``…): the table ``t`` the shadow also
    has, i.e. the name this one was presumably renamed away from."""
    if schema is None:
        return None
    low = table.lower()
    for name, _sql in tables_within(schema, low):
        other = name.lower()
        if other == low:
            continue
        if is_renamed_away(low, other) and low.strip("_") != other:
            return name
    return None
