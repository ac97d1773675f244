"""ADD COLUMN, RENAME COLUMN and DROP COLUMN: the restrictions SQLite enforces, including the
ones that fail only once the table has rows."""

from __future__ import annotations

import re
import sqlite3

from ...schema.features import FEATURES
from ...schema.quote import quote_string
from ..model import Severity
from ..registry import rule
from ._syntax import (ROWID_NAMES, STRICT_TYPES, at, close_paren, is_op, is_word, run_on_copy,
                      source, table_sql, tokenize)
from .alter import REBUILD, V_DROP_COLUMN, alter_of

V_VALIDATES = FEATURES["add-column-validates"]
V_STRICT_DEFAULT = FEATURES["strict-default-checked"]
V_ROWID = FEATURES["rowid-alters-refused"]
_CURRENT = {"CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"}


def _add(stmt):
    a = alter_of(stmt)
    if a is None or a.action != "add-column" or a.coldef is None:
        return None
    return a


def is_constant_default(expr) -> bool:
    """Whether a DEFAULT is in the set ADD COLUMN accepts on a table with rows: literals,
    NULL/TRUE/FALSE, unary +/-, CAST(constant AS type), any parentheses around those."""
    return _constant(list(expr), top=True)


def _constant(toks, top: bool) -> bool:
    if not toks:
        return False
    while is_op(toks[0], "(") and close_paren(toks, 0) == len(toks) - 1:
        toks, top = toks[1:-1], False
        if not toks:
            return False
    first = toks[0]
    if is_op(first, "+", "-"):
        return _constant(toks[1:], top)
    if is_word(first, "CAST") and is_op(at(toks, 1), "(") and close_paren(toks, 1) == len(toks) - 1:
        inner = toks[2:-1]
        depth = 0
        for k in range(len(inner) - 1, -1, -1):
            if is_op(inner[k], ")"):
                depth += 1
            elif is_op(inner[k], "("):
                depth -= 1
            elif depth == 0 and is_word(inner[k], "AS"):
                return _constant(inner[:k], False)
        return False
    if len(toks) != 1:
        return False
    if first.kind in ("num", "str", "blob"):
        return True
    if first.kind == "word":
        if first.value in _CURRENT:
            return False
        return first.value in ("NULL", "TRUE", "FALSE") or top  # a bare word is a string
    return first.kind == "id" and top


def _default_sql(sql: str, expr) -> str:
    """The default as an SQL expression (a bare word default is a string)."""
    if len(expr) == 1 and expr[0].kind in ("word", "id") and expr[0].value not in ("NULL", "TRUE", "FALSE"):
        return quote_string(expr[0].value)
    return source(sql, expr)


@rule("QS109", "add-column-trailing-line-comment", Severity.ERROR,
      "ADD COLUMN ending in a -- comment, which SQLite copies into the table's definition")
def add_column_trailing_line_comment(stmt):
    """## What it does
    Flags `ALTER TABLE t ADD COLUMN …` whose text ends with a `-- comment` (before the
    statement's `;`, or with no `;` at all).

    ## Why is this bad?
    SQLite appends the column definition's text, up to the end of the statement, to the
    table's CREATE statement and then re-reads it: the `--` comment swallows the closing
    parenthesis and the ALTER fails with
    `error in table t after add column: incomplete input`. A `/* … */` comment, or a `--`
    comment after the `;`, is fine.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ALTER TABLE t ADD COLUMN note TEXT -- free text from the user
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ALTER TABLE t ADD COLUMN note TEXT /* free text from the user */
    ```
    """
    a = _add(stmt)
    if not a:
        return
    tail = stmt.sql[a.toks[-1].end:].split(";", 1)[0]
    if re.search(r"--", tail):
        yield (f"`error in table {a.table} after add column: incomplete input`: SQLite copies the "
               "trailing -- comment into the table definition, where it hides the closing "
               "parenthesis; move the comment after the ; or write it as /* … */")


@rule("QS110", "add-column-primary-key", Severity.ERROR, "ADD COLUMN … PRIMARY KEY")
def add_column_primary_key(stmt):
    """## What it does
    Flags `ALTER TABLE t ADD COLUMN c … PRIMARY KEY`.

    ## Why is this bad?
    SQLite refuses it on every table, empty or not: `Cannot add a PRIMARY KEY column`.
    A table's primary key is fixed when it is created.

    ## Example
    ```sql
    CREATE TABLE t (name TEXT);
    ALTER TABLE t ADD COLUMN id INTEGER PRIMARY KEY;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (name TEXT);
    CREATE TABLE IF NOT EXISTS new_t (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO new_t (name) SELECT name FROM t;
    DROP TABLE t;
    ALTER TABLE new_t RENAME TO t;
    ```
    """
    a = _add(stmt)
    if a and a.coldef.has("pk"):
        yield "`Cannot add a PRIMARY KEY column`: " + REBUILD


@rule("QS111", "add-column-unique", Severity.ERROR, "ADD COLUMN … UNIQUE")
def add_column_unique(stmt):
    """## What it does
    Flags `ALTER TABLE t ADD COLUMN c … UNIQUE`.

    ## Why is this bad?
    SQLite refuses it on every table, empty or not: `Cannot add a UNIQUE column`.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ALTER TABLE t ADD COLUMN email TEXT UNIQUE;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ALTER TABLE t ADD COLUMN email TEXT;
    CREATE UNIQUE INDEX IF NOT EXISTS t_email_unique ON t (email);
    ```
    """
    a = _add(stmt)
    if a and a.coldef.has("unique"):
        yield ("`Cannot add a UNIQUE column`: add the column without UNIQUE, then "
               f"CREATE UNIQUE INDEX IF NOT EXISTS ix_{a.table}_{a.column} ON {a.table} ({a.column})")


@rule("QS112", "add-column-not-null-no-default", Severity.ERROR,
      "ADD COLUMN … NOT NULL without a non-NULL default (fails once the table has rows)")
def add_column_not_null_no_default(stmt):
    """## What it does
    Flags `ALTER TABLE t ADD COLUMN c … NOT NULL` with no default or `DEFAULT NULL`.

    ## Why is this bad?
    Existing rows would hold NULL in a NOT NULL column. SQLite accepts the statement on an
    empty table, so it passes in development, and fails on a table with rows:
    `Cannot add a NOT NULL column with default value NULL`.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    INSERT INTO t (id) VALUES (1);
    ALTER TABLE t ADD COLUMN status TEXT NOT NULL;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    INSERT INTO t (id) VALUES (1);
    ALTER TABLE t ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
    ```
    """
    a = _add(stmt)
    if not a or not a.coldef.has("notnull") or a.coldef.has("generated"):
        return
    default = a.coldef.get("default")
    if default is None or _is_null(default.expr):
        yield ("`Cannot add a NOT NULL column with default value NULL` once the table has rows: "
               "give the column a non-NULL DEFAULT (or add it nullable, fill it, and rebuild)")


def _is_null(expr) -> bool:
    toks = [t for t in expr if not is_op(t, "(", ")")]
    return len(toks) == 1 and is_word(toks[0], "NULL")


@rule("QS113", "add-column-non-constant-default", Severity.ERROR,
      "ADD COLUMN with a non-constant default (fails once the table has rows)")
def add_column_non_constant_default(stmt):
    """## What it does
    Flags `ALTER TABLE t ADD COLUMN c … DEFAULT x` when `x` is outside the set ADD COLUMN
    accepts: literals, NULL, TRUE, FALSE, unary `+`/`-`, `CAST(literal AS type)`, and any
    parentheses around those. `CURRENT_TIMESTAMP`/`_DATE`/`_TIME`, function calls and
    operators (`||`, `+`, `NOT`, `COLLATE`, `IS` …) are not constant.

    ## Why is this bad?
    SQLite accepts the statement on an empty table and fails on a table with rows:
    `Cannot add a column with non-constant default`. (CREATE TABLE allows such defaults;
    ADD COLUMN does not.)

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    INSERT INTO t (id) VALUES (1);
    ALTER TABLE t ADD COLUMN created_at TEXT DEFAULT CURRENT_TIMESTAMP;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    INSERT INTO t (id) VALUES (1);
    ALTER TABLE t ADD COLUMN created_at TEXT;
    UPDATE t SET created_at = CURRENT_TIMESTAMP WHERE created_at IS NULL;
    ```
    """
    a = _add(stmt)
    if not a:
        return
    default = a.coldef.get("default")
    if default is not None and default.expr and not is_constant_default(default.expr):
        yield (f"DEFAULT {source(stmt.sql, default.expr)} is not constant: "
               "`Cannot add a column with non-constant default` once the table has rows; add "
               "the column without it and fill it with UPDATE, or rebuild the table")


@rule("QS114", "add-column-references-default", Severity.ERROR,
      "ADD COLUMN … REFERENCES with a non-NULL default")
def add_column_references_default(stmt):
    """## What it does
    Flags `ALTER TABLE t ADD COLUMN c … REFERENCES p … DEFAULT x` with a non-NULL default.

    ## Why is this bad?
    With foreign keys on, SQLite fails on a table with rows:
    `Cannot add a REFERENCES column with non-NULL default value`. With them off (as
    qscaffold's runner does during a migration) every existing row points at parent `x`, and
    the runner's `PRAGMA foreign_key_check` fails unless that parent row exists.

    ## Example
    ```sql
    CREATE TABLE p (id INTEGER PRIMARY KEY);
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    INSERT INTO t (id) VALUES (1);
    ALTER TABLE t ADD COLUMN p_id INTEGER REFERENCES p (id) DEFAULT 1;
    ```

    Use instead:
    ```sql
    CREATE TABLE p (id INTEGER PRIMARY KEY);
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    INSERT INTO t (id) VALUES (1);
    ALTER TABLE t ADD COLUMN p_id INTEGER REFERENCES p (id);
    ```
    """
    a = _add(stmt)
    if not a or not a.coldef.has("references"):
        return
    default = a.coldef.get("default")
    if default is not None and default.expr and not _is_null(default.expr):
        yield ("`Cannot add a REFERENCES column with non-NULL default value` once the table has "
               "rows (foreign keys on), and a dangling reference for foreign_key_check otherwise: "
               "add it with no default and fill it with UPDATE")


@rule("QS115", "add-column-stored-generated", Severity.ERROR,
      "ADD COLUMN … GENERATED ALWAYS AS (…) STORED")
def add_column_stored_generated(stmt):
    """## What it does
    Flags `ALTER TABLE t ADD COLUMN c … AS (…) STORED`.

    ## Why is this bad?
    SQLite accepts it on an empty table and fails on a table with rows:
    `cannot add a STORED column`. A VIRTUAL generated column can be added.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, price INTEGER);
    INSERT INTO t (id, price) VALUES (1, 10);
    ALTER TABLE t ADD COLUMN price_cents INTEGER GENERATED ALWAYS AS (price * 100) STORED;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, price INTEGER);
    INSERT INTO t (id, price) VALUES (1, 10);
    ALTER TABLE t ADD COLUMN price_cents INTEGER GENERATED ALWAYS AS (price * 100) VIRTUAL;
    ```
    """
    a = _add(stmt)
    if a and any(c.kind == "generated" and c.stored for c in a.coldef.constraints):
        yield ("`cannot add a STORED column` once the table has rows: make it VIRTUAL, or "
               + REBUILD)


def _check_violated_by_default(sql: str, coldef, check) -> bool | None:
    """Whether the new column's default (or NULL) violates its CHECK: True/False, or
    ``None`` when the CHECK reads other columns or cannot be evaluated alone."""
    default = coldef.get("default")
    value = _default_sql(sql, default.expr) if default is not None and default.expr else "NULL"
    expr = source(sql, check.expr)
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f'CREATE TABLE probe ("{coldef.name}" {coldef.type})')
        conn.execute(f"INSERT INTO probe VALUES ({value})")
        row = conn.execute(f"SELECT ({expr}) IS 0 FROM probe").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return bool(row[0])


@rule("QS116", "add-column-validates-rows", Severity.WARNING,
      "ADD COLUMN with a CHECK or a NOT NULL generated column that existing rows may violate")
def add_column_validates_rows(stmt):
    """## What it does
    Flags `ALTER TABLE t ADD COLUMN` whose CHECK existing rows will violate (an error when
    the column's own default violates it), or whose CHECK or generated `NOT NULL` depends on
    other columns.

    ## Why is this bad?
    Since SQLite 3.37 ADD COLUMN tests the new CHECK, and NOT NULL on a generated column,
    against every existing row: `CHECK constraint failed` / `NOT NULL constraint failed`.
    The statement passes on an empty table and fails in production.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    INSERT INTO t (id) VALUES (1);
    ALTER TABLE t ADD COLUMN qty INTEGER DEFAULT 0 CHECK (qty > 0);
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    INSERT INTO t (id) VALUES (1);
    ALTER TABLE t ADD COLUMN qty INTEGER DEFAULT 1 CHECK (qty > 0);
    ```
    """
    a = _add(stmt)
    if not a:
        return
    col = a.coldef
    for check in (c for c in col.constraints if c.kind == "check"):
        verdict = _check_violated_by_default(stmt.sql, col, check)
        if verdict is True:
            if stmt.target >= V_VALIDATES:
                yield (Severity.ERROR, "the default violates CHECK "
                       f"({source(stmt.sql, check.expr)}): `CHECK constraint failed` once the "
                       "table has rows; choose a default that satisfies it")
            else:
                yield ("the default violates CHECK; below SQLite 3.37 existing rows are not "
                       "tested, so the table will hold rows that break its own CHECK")
        elif verdict is None:
            yield (f"CHECK ({source(stmt.sql, check.expr)}) is tested against every existing "
                   "row (SQLite 3.37+) and fails with `CHECK constraint failed` if one violates "
                   "it: make sure existing rows satisfy it first")
    if col.has("generated") and col.has("notnull"):
        yield ("NOT NULL on a generated column is tested against every existing row (SQLite "
               "3.37+): `NOT NULL constraint failed` if the expression is NULL for one")


def _is_strict(stmt, table: str) -> bool | None:
    if stmt.schema is None:
        return None
    try:
        row = stmt.schema.execute(
            "SELECT strict FROM pragma_table_list WHERE name = ? COLLATE NOCASE AND schema = 'main'",
            (table,)).fetchone()
    except sqlite3.Error:
        obj = table_sql(stmt.schema, table)
        return bool(obj and re.search(r"\)\s*(WITHOUT\s+ROWID\s*,\s*)?STRICT\b[^)]*$", obj[2], re.I))
    return bool(row and row[0])


def strict_type_problem(table: str, col) -> str | None:
    if not col.type:
        return f"missing datatype for {table}.{col.name}"
    if col.type.upper() not in STRICT_TYPES:
        return f'unknown datatype for {table}.{col.name}: "{col.type}"'
    return None


@rule("QS117", "strict-type", Severity.ERROR,
      "STRICT table column with a type STRICT does not allow, or a default of the wrong type")
def strict_type(stmt):
    """## What it does
    Flags columns of STRICT tables (in CREATE TABLE, and with the schema in ADD COLUMN) whose
    type is not INT, INTEGER, REAL, TEXT, BLOB or ANY, and ADD COLUMN defaults that STRICT
    cannot store in the column (target 3.44+).

    ## Why is this bad?
    SQLite refuses them: `unknown datatype for t.c: "VARCHAR(10)"`,
    `missing datatype for t.c`, and since 3.44, on a table with rows,
    `type mismatch on DEFAULT`.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(10)) STRICT;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT CHECK (length(name) <= 10)) STRICT;
    ```
    """
    from ._syntax import parse_create_table

    if stmt.keywords[:1] == ("CREATE",):
        table = parse_create_table(stmt.sql) if "STRICT" in stmt.sql.upper() else None
        if table is None or not any(o.endswith("STRICT") or o.startswith("STRICT") for o in table.options):
            return
        for col in table.columns:
            problem = strict_type_problem(table.name, col)
            if problem:
                yield f"`{problem}`: STRICT tables take INT, INTEGER, REAL, TEXT, BLOB or ANY"
        return
    a = _add(stmt)
    if not a or not _is_strict(stmt, a.table):
        return
    problem = strict_type_problem(a.table, a.coldef)
    if problem:
        yield f"`error in table {a.table} after add column: {problem}`: STRICT tables take INT, INTEGER, REAL, TEXT, BLOB or ANY"
        return
    default = a.coldef.get("default")
    if default is None or not default.expr or stmt.target < V_STRICT_DEFAULT:
        return
    if not is_constant_default(default.expr):
        return
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE TABLE probe (c {a.coldef.type}) STRICT")
        conn.execute(f"INSERT INTO probe VALUES ({_default_sql(stmt.sql, default.expr)})")
    except sqlite3.Error as exc:
        if "cannot store" in str(exc):
            yield (f"`type mismatch on DEFAULT` once the table has rows (SQLite 3.44+): the "
                   f"default cannot be stored in a STRICT {a.coldef.type} column")
    finally:
        conn.close()


def _without_rowid(stmt, table: str) -> bool:
    obj = table_sql(stmt.schema, table)
    return bool(obj and re.search(r"WITHOUT\s+ROWID", obj[2], re.I))


@rule("QS118", "rowid-alias-column", Severity.ERROR,
      "ALTER that adds, drops or renames a column named rowid, oid or _rowid_")
def rowid_alias_column(stmt):
    """## What it does
    Flags ADD COLUMN, DROP COLUMN and RENAME COLUMN from or to a column named `rowid`,
    `oid` or `_rowid_` on a rowid table. An error when `--target-sqlite` is 3.54.0 or newer,
    a warning below.

    ## Why is this bad?
    Such a column hides the table's real rowid. SQLite 3.54 refuses these ALTERs:
    `cannot add rowid alias: rowid`, `cannot drop rowid alias: oid`,
    `cannot rename to rowid alias: rowid`, `cannot rename from rowid alias: oid`.

    ## Example
    ```sql
    -- target: 3.54.1
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ALTER TABLE t ADD COLUMN rowid TEXT;
    ```

    Use instead:
    ```sql
    -- target: 3.54.1
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ALTER TABLE t ADD COLUMN row_ref TEXT;
    ```
    """
    a = alter_of(stmt)
    if a is None or a.action not in ("add-column", "drop-column", "rename-column"):
        return
    if stmt.schema is not None and _without_rowid(stmt, a.table):
        return
    checks = []
    if a.action == "add-column" and a.column:
        checks.append(("add", a.column))
    elif a.action == "drop-column" and a.column:
        checks.append(("drop", a.column))
    elif a.action == "rename-column":
        checks += [("rename from", a.column), ("rename to", a.new_name)]
    for verb, name in checks:
        if name and name.upper() in ROWID_NAMES:
            message = f"cannot {verb} rowid alias: {name}"
            if stmt.target >= V_ROWID:
                yield f"`{message}` (SQLite 3.54+): choose another column name"
            else:
                yield (Severity.WARNING, f"a column named {name} hides the table's rowid, and "
                       f"SQLite 3.54+ refuses the ALTER (`{message}`): choose another name")


@rule("QS119", "duplicate-column", Severity.ERROR,
      "ADD COLUMN or RENAME COLUMN to a name the table already has")
def duplicate_column(stmt):
    """## What it does
    With the schema, flags ADD COLUMN of a name the table already has and RENAME COLUMN to
    such a name (names compare case-insensitively).

    ## Why is this bad?
    SQLite refuses it: `duplicate column name: email`, or
    `error in table t after rename: duplicate column name: b`.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT);
    ALTER TABLE t ADD COLUMN Email TEXT;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT);
    ALTER TABLE t ADD COLUMN email_verified INTEGER;
    ```
    """
    a = alter_of(stmt)
    if a is None or stmt.schema is None or a.action not in ("add-column", "rename-column"):
        return
    obj = table_sql(stmt.schema, a.table)
    if obj is None or obj[0] != "table":
        return
    names = {row[1].lower() for row in stmt.columns(obj[1])}
    if a.action == "add-column" and a.column and a.column.lower() in names:
        yield f"`duplicate column name: {a.column}`: table {obj[1]} already has it"
    elif (a.action == "rename-column" and a.new_name and a.column
          and a.new_name.lower() in names and a.new_name.lower() != a.column.lower()):
        yield (f"`error in table {obj[1]} after rename: duplicate column name: {a.new_name}`: "
               "the table already has a column of that name")


# -- DROP COLUMN ----------------------------------------------------------------------------


def _drop_outcome(stmt):
    """``(alter, engine message or None)`` for a DROP COLUMN the schema can judge."""
    a = alter_of(stmt)
    if a is None or a.action != "drop-column" or stmt.schema is None or stmt.target < V_DROP_COLUMN:
        return None, None
    if a.multiple or a.if_exists:
        return None, None
    obj = table_sql(stmt.schema, a.table)
    if obj is None or obj[0] != "table":
        return None, None
    key = "_qs_drop_outcome"
    if key not in stmt.__dict__:
        stmt.__dict__[key] = run_on_copy(stmt.schema, stmt.sql)
    return a, stmt.__dict__[key]


@rule("QS131", "drop-key-column", Severity.ERROR,
      "DROP COLUMN of a PRIMARY KEY or UNIQUE column")
def drop_key_column(stmt):
    """## What it does
    With the schema, flags DROP COLUMN of a column that is (part of) the PRIMARY KEY or has a
    column-level UNIQUE constraint.

    ## Why is this bad?
    SQLite refuses it: `cannot drop PRIMARY KEY column: "id"`,
    `cannot drop UNIQUE column: "email"`. Only a table rebuild can remove such a column.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);
    ALTER TABLE t DROP COLUMN email;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);
    CREATE TABLE IF NOT EXISTS new_t (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO new_t (id, name) SELECT id, name FROM t;
    DROP TABLE t;
    ALTER TABLE new_t RENAME TO t;
    ```
    """
    a, error = _drop_outcome(stmt)
    if error and error.startswith(("cannot drop PRIMARY KEY column", "cannot drop UNIQUE column")):
        yield f"`{error}`: " + REBUILD


_AFTER_DROP = re.compile(r"^error in (index|table|view|trigger) (\S+) after drop column: (.*)$")


@rule("QS132", "drop-referenced-column", Severity.ERROR,
      "DROP COLUMN of a column an index, CHECK, foreign key, generated column, trigger or view uses")
def drop_referenced_column(stmt):
    """## What it does
    With the schema, flags DROP COLUMN of a column used by an index (plain, expression or
    partial-index WHERE), a table CHECK or another column's CHECK, a table-level FOREIGN
    KEY, a table-level UNIQUE(a, b), a generated column, a trigger body, or a view.

    ## Why is this bad?
    SQLite re-checks the schema after the drop and refuses, naming the object:
    `error in index ix_a after drop column: no such column: a`,
    `error in table ch after drop column: unknown column "pid" in foreign key definition`,
    `error in view v after drop column: no such column: a`.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, name TEXT);
    CREATE INDEX ix_t_email ON t (email);
    ALTER TABLE t DROP COLUMN email;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, name TEXT);
    CREATE INDEX ix_t_email ON t (email);
    DROP INDEX IF EXISTS ix_t_email;
    ALTER TABLE t DROP COLUMN email;
    ```
    """
    a, error = _drop_outcome(stmt)
    if not error:
        return
    m = _AFTER_DROP.match(error)
    if not m:
        return
    kind, name, _ = m.groups()
    if kind == "table" and name.lower() == a.table.lower():
        fix = "remove the constraint that names it by rebuilding the table: " + REBUILD
    elif kind == "table":
        fix = f"table {name} uses it; rebuild that table first"
    else:
        fix = f"drop {kind} {name} first (DROP {kind.upper()} IF EXISTS {name}) and recreate it without the column"
    yield f"`{error}`: {fix}"


@rule("QS134", "drop-last-column", Severity.ERROR, "DROP COLUMN of a table's only column")
def drop_last_column(stmt):
    """## What it does
    With the schema, flags DROP COLUMN of the only column of a table.

    ## Why is this bad?
    A table needs at least one column: `cannot drop column "a": no other columns exist`.

    ## Example
    ```sql
    CREATE TABLE t (a TEXT);
    ALTER TABLE t DROP COLUMN a;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (a TEXT);
    DROP TABLE IF EXISTS t;
    ```
    """
    a, error = _drop_outcome(stmt)
    if error and "no other columns exist" in error:
        yield f"`{error}`: drop the table instead"


def _trigger_update_of(sql: str) -> tuple[list[str], str | None]:
    """``UPDATE OF`` columns and the table of a CREATE TRIGGER."""
    toks = tokenize(sql)
    cols, table = [], None
    for k, t in enumerate(toks):
        if is_word(t, "OF") and is_word(at(toks, k - 1), "UPDATE"):
            j = k + 1
            while j < len(toks) and not is_word(toks[j], "ON"):
                if toks[j].kind in ("word", "id"):
                    cols.append(toks[j].value if toks[j].kind == "id" else toks[j].text)
                j += 1
            if is_word(at(toks, j), "ON") and at(toks, j + 1) is not None:
                table = toks[j + 1].value if toks[j + 1].kind != "word" else toks[j + 1].text
            break
    return cols, table


def _reads_star(sql: str, table: str) -> bool:
    toks = tokenize(sql)
    names = {t.value.lower() if t.kind != "word" else t.text.lower() for t in toks if t.kind in ("word", "id")}
    return table.lower() in names and any(
        is_op(t, "*") and (is_word(at(toks, k - 1), "SELECT", "DISTINCT") or is_op(at(toks, k - 1), ",", "."))
        for k, t in enumerate(toks))


@rule("QS133", "drop-column-silent-breakage", Severity.WARNING,
      "DROP COLUMN that SQLite accepts but that silences a trigger or changes a SELECT * view")
def drop_column_silent_breakage(stmt):
    """## What it does
    With the schema, flags a DROP COLUMN SQLite accepts although the column is named in a
    trigger's `UPDATE OF` list, or read by a view through `SELECT *`. (A column that is the
    parent key of a foreign key is QS407.)

    ## Why is this bad?
    Nothing fails, things just go quiet: the trigger keeps `UPDATE OF a` and never fires
    again, and the view silently loses the column its readers expect.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, status TEXT, legacy TEXT);
    CREATE TABLE log (t_id INTEGER);
    CREATE TRIGGER IF NOT EXISTS tr_t AFTER UPDATE OF status, legacy ON t
    BEGIN INSERT INTO log (t_id) VALUES (new.id); END;
    ALTER TABLE t DROP COLUMN legacy;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, status TEXT, legacy TEXT);
    CREATE TABLE log (t_id INTEGER);
    CREATE TRIGGER IF NOT EXISTS tr_t AFTER UPDATE OF status, legacy ON t
    BEGIN INSERT INTO log (t_id) VALUES (new.id); END;
    DROP TRIGGER IF EXISTS tr_t;
    -- then:
    ALTER TABLE t DROP COLUMN legacy;
    CREATE TRIGGER IF NOT EXISTS tr_t AFTER UPDATE OF status ON t
    BEGIN INSERT INTO log (t_id) VALUES (new.id); END;
    ```
    """
    a, error = _drop_outcome(stmt)
    if a is None or error is not None:
        return
    col = a.column.lower()
    for name, sql in stmt.schema.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"):
        cols, table = _trigger_update_of(sql or "")
        if table and table.lower() == a.table.lower() and col in (c.lower() for c in cols):
            yield (f"trigger {name} fires on UPDATE OF {a.column}: after the drop it never fires "
                   "for that column again and SQLite says nothing; drop and recreate the trigger")
    for name, sql in stmt.schema.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'"):
        if _reads_star(sql or "", a.table):
            yield (f"view {name} reads {a.table} with SELECT *: it silently loses {a.column}; "
                   "list the view's columns explicitly")


@rule("QS702", "drop-column", Severity.WARNING, "Destructive DROP COLUMN in up()",
      sections=("up", None))
def drop_column(stmt):
    """## What it does
    Flags `ALTER TABLE t DROP [COLUMN] c` in `up()` (never in `down()`, which is expected to
    undo).

    ## Why is this bad?
    The column's data is gone: `down()` can add the column back but not its values, and
    application code still reading the column breaks at once. Stop using the column first
    (renaming it is reversible and keeps the data), then drop it in a later release.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, legacy TEXT);
    ALTER TABLE t DROP COLUMN legacy;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, legacy TEXT);
    ALTER TABLE t RENAME COLUMN legacy TO legacy_unused;
    ```
    """
    a = alter_of(stmt)
    if a is not None and a.action == "drop-column":
        yield (f"DROP COLUMN {a.column} destroys its data and down() cannot restore it: make "
               "sure no code reads it and the data is not needed (or add a noqa)")
