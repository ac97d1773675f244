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


def is_name(tok: Tok | None) -> bool:
    return tok is not None and tok.kind in ("word", "id", "str")


def name_of(tok: Tok) -> str:
    return tok.name


def words_at(toks, i: int, *words: str) -> bool:
    """Whether the tokens from ``i`` are exactly the bare ``words``."""
    return all(is_word(at(toks, i + k), w) for k, w in enumerate(words))


def source(sql: str, toks) -> str:
    return sql[toks[0].start : toks[-1].end] if toks else ""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- column definitions ------------------------------------------------------------------

_CONSTRAINT_START = {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT",
                     "COLLATE", "REFERENCES", "GENERATED", "AS"}
_TABLE_CONSTRAINT_START = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}
ROWID_NAMES = {"ROWID", "OID", "_ROWID_"}
STRICT_TYPES = {"INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"}


@dataclass
class Constraint:
    kind: str  # pk notnull null unique check default collate references generated unknown
    name: str | None
    toks: list[Tok]
    expr: list[Tok] = field(default_factory=list)  # default/check/generated expression
    stored: bool = False
    autoincrement: bool = False
    desc: bool = False
    columns: list[str] = field(default_factory=list)  # table constraints: the columns named
    target: str | None = None  # references: the parent table


@dataclass
class ColumnDef:
    name: str
    name_tok: Tok
    type: str  # source text, "" when none
    constraints: list[Constraint]

    def has(self, kind: str) -> bool:
        return any(c.kind == kind for c in self.constraints)

    def get(self, kind: str) -> Constraint | None:
        return next((c for c in self.constraints if c.kind == kind), None)


def _conflict_clause(toks, i: int) -> int:
    if words_at(toks, i, "ON", "CONFLICT"):
        return i + 3
    return i


def parse_column_def(sql: str, toks) -> ColumnDef | None:
    """A column definition (``name [type] [constraints]``) from its tokens."""
    if not toks or not is_name(toks[0]):
        return None
    i = 1
    type_toks: list[Tok] = []
    while i < len(toks) and (toks[i].kind in ("word", "id") and toks[i].value not in _CONSTRAINT_START):
        type_toks.append(toks[i])
        i += 1
    if type_toks and is_op(at(toks, i), "("):
        j = close_paren(toks, i)
        type_toks.extend(toks[i : j + 1])
        i = j + 1
    constraints = parse_column_constraints(sql, toks, i)
    return ColumnDef(name_of(toks[0]), toks[0], source(sql, type_toks), constraints)


def parse_column_constraints(sql: str, toks, i: int) -> list[Constraint]:
    out: list[Constraint] = []
    name = None
    n = len(toks)
    while i < n:
        tok = toks[i]
        start = i
        if is_word(tok, "CONSTRAINT"):
            name = name_of(toks[i + 1]) if i + 1 < n else None
            i += 2
            continue
        if words_at(toks, i, "PRIMARY", "KEY"):
            c = Constraint("pk", name, [])
            i += 2
            if is_word(at(toks, i), "ASC", "DESC"):
                c.desc = toks[i].value == "DESC"
                i += 1
            i = _conflict_clause(toks, i)
            if is_word(at(toks, i), "AUTOINCREMENT"):
                c.autoincrement = True
                i += 1
        elif words_at(toks, i, "NOT", "NULL"):
            c = Constraint("notnull", name, [])
            i = _conflict_clause(toks, i + 2)
        elif is_word(tok, "NULL"):
            c = Constraint("null", name, [])
            i = _conflict_clause(toks, i + 1)
        elif is_word(tok, "UNIQUE"):
            c = Constraint("unique", name, [])
            i = _conflict_clause(toks, i + 1)
        elif is_word(tok, "CHECK") and is_op(at(toks, i + 1), "("):
            j = close_paren(toks, i + 1)
            c = Constraint("check", name, [], expr=list(toks[i + 2 : j]))
            i = j + 1
        elif is_word(tok, "DEFAULT"):
            nxt = at(toks, i + 1)
            if is_op(nxt, "("):
                j = close_paren(toks, i + 1)
                c = Constraint("default", name, [], expr=list(toks[i + 1 : j + 1]))
                i = j + 1
            elif is_op(nxt, "+", "-"):
                c = Constraint("default", name, [], expr=list(toks[i + 1 : i + 3]))
                i += 3
            else:
                c = Constraint("default", name, [], expr=[nxt] if nxt else [])
                i += 2
        elif is_word(tok, "COLLATE"):
            c = Constraint("collate", name, [])
            i += 2
        elif is_word(tok, "REFERENCES"):
            c = Constraint("references", name, [])
            c.target = name_of(toks[i + 1]) if i + 1 < n and is_name(toks[i + 1]) else None
            i += 2
            if is_op(at(toks, i), "("):
                j = close_paren(toks, i)
                c.columns = [name_of(t) for t in toks[i + 1 : j] if is_name(t)]
                i = j + 1
            i = _fk_tail(toks, i)
        elif is_word(tok, "GENERATED", "AS"):
            if is_word(tok, "GENERATED"):
                i += 2  # GENERATED ALWAYS
            if not is_word(at(toks, i), "AS") or not is_op(at(toks, i + 1), "("):
                c = Constraint("unknown", name, list(toks[start:]))
                out.append(c)
                break
            j = close_paren(toks, i + 1)
            c = Constraint("generated", name, [], expr=list(toks[i + 2 : j]))
            i = j + 1
            if is_word(at(toks, i), "STORED", "VIRTUAL"):
                c.stored = toks[i].value == "STORED"
                i += 1
        else:
            out.append(Constraint("unknown", name, list(toks[start:])))
            break
        c.toks = list(toks[start:i])
        out.append(c)
        name = None
    return out


def _fk_tail(toks, i: int) -> int:
    """Skip ``ON DELETE …``, ``MATCH x``, ``[NOT] DEFERRABLE [INITIALLY …]``."""
    n = len(toks)
    while i < n:
        if words_at(toks, i, "ON", "DELETE") or words_at(toks, i, "ON", "UPDATE"):
            i += 2
            if words_at(toks, i, "SET", "NULL") or words_at(toks, i, "SET", "DEFAULT") or words_at(toks, i, "NO", "ACTION"):
                i += 2
            else:
                i += 1
        elif is_word(at(toks, i), "MATCH"):
            i += 2
        elif words_at(toks, i, "NOT", "DEFERRABLE"):
            i += 2
        elif is_word(at(toks, i), "DEFERRABLE"):
            i += 1
        elif words_at(toks, i, "INITIALLY", "DEFERRED") or words_at(toks, i, "INITIALLY", "IMMEDIATE"):
            i += 2
        else:
            break
    return i


def parse_table_constraint(toks) -> Constraint | None:
    i, name = 0, None
    if is_word(at(toks, 0), "CONSTRAINT"):
        name = name_of(toks[1]) if len(toks) > 1 else None
        i = 2
    tok = at(toks, i)
    if words_at(toks, i, "PRIMARY", "KEY") or is_word(tok, "UNIQUE"):
        kind = "pk" if tok.value == "PRIMARY" else "unique"
        k = i + (2 if kind == "pk" else 1)
        c = Constraint(kind, name, list(toks))
        if is_op(at(toks, k), "("):
            j = close_paren(toks, k)
            for part in split_top(toks[k + 1 : j]):
                if part and is_name(part[0]):
                    c.columns.append(name_of(part[0]))
                if any(is_word(t, "AUTOINCREMENT") for t in part):
                    c.autoincrement = True
        return c
    if is_word(tok, "CHECK"):
        j = close_paren(toks, i + 1)
        return Constraint("check", name, list(toks), expr=list(toks[i + 2 : j]))
    if words_at(toks, i, "FOREIGN", "KEY"):
        c = Constraint("foreign", name, list(toks))
        k = i + 2
        if is_op(at(toks, k), "("):
            j = close_paren(toks, k)
            c.columns = [name_of(t) for t in toks[k + 1 : j] if is_name(t)]
            k = j + 1
        if is_word(at(toks, k), "REFERENCES") and is_name(at(toks, k + 1)):
            c.target = name_of(toks[k + 1])
        return c
    return None


@dataclass
class CreateTable:
    name: str
    schema_name: str | None
    if_not_exists: bool
    temp: bool
    columns: list[ColumnDef]
    constraints: list[Constraint]
    options: set[str]  # STRICT, WITHOUT ROWID (upper-cased)
    as_select: bool
    body: list[Tok]  # the tokens inside the parentheses
    name_tok: Tok | None = None
    trailing_comma: bool = False

    def column(self, name: str) -> ColumnDef | None:
        low = name.lower()
        return next((c for c in self.columns if c.name.lower() == low), None)


def parse_create_table(sql: str) -> CreateTable | None:
    """``CREATE [TEMP] TABLE [IF NOT EXISTS] [s.]name (…) [options]`` or ``… AS SELECT``."""
    toks = tokenize(sql)
    if not is_word(at(toks, 0), "CREATE"):
        return None
    i = 1
    temp = False
    if is_word(at(toks, i), "TEMP", "TEMPORARY"):
        temp, i = True, i + 1
    if not is_word(at(toks, i), "TABLE"):
        return None
    i += 1
    exists = words_at(toks, i, "IF", "NOT", "EXISTS")
    if exists:
        i += 3
    if not is_name(at(toks, i)):
        return None
    schema_name = None
    name_tok = toks[i]
    if is_op(at(toks, i + 1), ".") and is_name(at(toks, i + 2)):
        schema_name, name_tok, i = name_of(toks[i]), toks[i + 2], i + 2
    name = name_of(name_tok)
    i += 1
    if is_word(at(toks, i), "AS"):
        return CreateTable(name, schema_name, exists, temp, [], [], set(), True, [], name_tok)
    if not is_op(at(toks, i), "("):
        return None
    j = close_paren(toks, i)
    body = list(toks[i + 1 : j])
    columns, constraints = [], []
    parts = split_top(body)
    trailing = len(parts) > 1 and not parts[-1]
    for part in parts:
        if not part:
            continue
        if is_word(part[0], *_TABLE_CONSTRAINT_START):
            c = parse_table_constraint(part)
            if c is not None:
                constraints.append(c)
            continue
        col = parse_column_def(sql, part)
        if col is not None:
            columns.append(col)
    options = set()
    for opt in split_top(toks[j + 1 :]):
        words = " ".join(t.value for t in opt if t.kind == "word")
        if words:
            options.add(words)
    return CreateTable(name, schema_name, exists, temp, columns, constraints, options, False,
                       body, name_tok, trailing)


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
