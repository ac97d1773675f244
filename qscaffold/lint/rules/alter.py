"""ALTER TABLE forms: what SQLite has, since which version, and what it refuses outright."""

from __future__ import annotations

import re

from ...schema.features import FEATURES
from ..model import Severity, format_version
from ..registry import rule
from ._syntax import at, close_paren, is_name, is_op, is_word, name_of, parse_alter, quote, \
    table_sql, tokenize

REBUILD = ("rebuild the table instead: CREATE TABLE new_t with the new definition, "
           "INSERT INTO new_t (cols) SELECT cols FROM t, DROP TABLE t, "
           "ALTER TABLE new_t RENAME TO t, then recreate its indexes, triggers and views "
           "(`qscaffold new … --pattern drop-column` writes one)")

V_RENAME_COLUMN = FEATURES["rename-column"]
V_DROP_COLUMN = FEATURES["drop-column"]
V_CONSTRAINTS = FEATURES["constraint-alters"]
V_DROP_FK = FEATURES["drop-foreign-key"]


def alter_of(stmt):
    """The statement's ALTER TABLE reading, cached on the statement (``None`` otherwise)."""
    if stmt.keywords[:2] != ("ALTER", "TABLE"):
        return None
    cached = stmt.__dict__.get("_qs_alter", False)
    if cached is False:
        cached = parse_alter(stmt.sql)
        stmt.__dict__["_qs_alter"] = cached
    return cached


def _fix_for(a) -> str:
    """The SQLite way to do what the unsupported ALTER ``a`` meant, with its own names
    where SQLite has a direct form for it."""
    form = a.unsupported
    if form.startswith(("ADD UNIQUE", "ADD CONSTRAINT … UNIQUE")):
        columns = _parenthesised_after(a, "UNIQUE")
        name = a.constraint or f"ux_{a.table}_{'_'.join(_bare(c) for c in columns) or 'cols'}"
        cols = ", ".join(columns) or "cols"
        return (f"create a unique index instead: CREATE UNIQUE INDEX IF NOT EXISTS "
                f"{_q(name)} ON {_q(a.table)} ({cols})")
    if form == "DROP INDEX":
        index = a.act[2] if len(a.act) > 2 and is_name(a.act[2]) else None
        return ("an index is dropped on its own in SQLite: DROP INDEX IF EXISTS "
                + (_q(name_of(index)) if index is not None else "ix"))
    if form == "RENAME CONSTRAINT":
        return "drop and re-add the constraint by rebuilding the table: " + REBUILD
    if form.startswith("ALTER COLUMN") or form in ("MODIFY", "CHANGE"):
        return ("rebuild the table: put its new definition in a schema file and let "
                f"`qscaffold new change-{_bare(a.table).lower()} --to schema.sql` write the "
                "migration, or by hand: " + REBUILD.split(": ", 1)[1])
    return REBUILD


def _parenthesised_after(a, word: str) -> list[str]:
    """The source texts of the comma-separated items in the parentheses after ``word``."""
    toks = a.act
    for i, tok in enumerate(toks):
        if is_word(tok, word) and is_op(at(toks, i + 1), "("):
            end = close_paren(toks, i + 1)
            inner = toks[i + 2:end]
            items, current = [], []
            for t in inner:
                if is_op(t, ","):
                    items.append(current)
                    current = []
                else:
                    current.append(t)
            items.append(current)
            return [" ".join(t.text for t in item) for item in items if item]
    return []


def _bare(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_") or "t"


def _q(name: str) -> str:
    """A name as written in a suggestion: bare when it is a plain word."""
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else quote(name)


@rule("QS101", "unsupported-alter-form", Severity.ERROR,
      "ALTER form SQLite has no syntax for (ALTER COLUMN TYPE, ADD UNIQUE, MODIFY, ALTER INDEX…)")
def unsupported_alter_form(stmt):
    """## What it does
    Flags ALTER statements written for other databases that SQLite has no syntax for:
    `ALTER COLUMN … TYPE` / `SET DATA TYPE` / `SET DEFAULT` / `DROP DEFAULT`, `MODIFY`,
    `CHANGE`, `ADD [CONSTRAINT n] UNIQUE / PRIMARY KEY / FOREIGN KEY`, `ADD (…)`,
    `DROP PRIMARY KEY / FOREIGN KEY / INDEX / DEFAULT`, `RENAME CONSTRAINT`,
    `ALTER TABLE ONLY`, `ALTER INDEX`, `ALTER VIEW` and `RENAME TABLE`.

    ## Why is this bad?
    SQLite rejects every one of them with `near "…": syntax error`, in every version. Its
    ALTER TABLE can rename a table or a column, add or drop a column and, from 3.53, add a
    CHECK, drop a constraint or change NOT NULL. Anything else needs a table rebuild.

    ## Example
    ```sql
    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
    ALTER TABLE users ADD CONSTRAINT uq_email UNIQUE (email);
    ```

    Use instead:
    ```sql
    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
    CREATE UNIQUE INDEX IF NOT EXISTS uq_email ON users (email);
    ```
    """
    kw = stmt.keywords
    if kw[:1] == ("ALTER",) and len(kw) > 1 and kw[1] != "TABLE":
        yield (f"SQLite has no ALTER {kw[1]} (`near \"{kw[1]}\": syntax error`); drop the "
               f"{kw[1].lower()} and create it again")
        return
    if kw[:2] == ("RENAME", "TABLE"):
        yield ("SQLite has no RENAME TABLE (`near \"RENAME\": syntax error`); use "
               + _rename_table_form(stmt.sql))
        return
    a = alter_of(stmt)
    if a is None or a.action != "unsupported":
        return
    near = a.near_353 if stmt.target >= V_CONSTRAINTS else a.near
    yield (f"SQLite has no {a.unsupported} in ALTER TABLE (`near \"{near}\": syntax error`); "
           + _fix_for(a))


def _rename_table_form(sql: str) -> str:
    """``ALTER TABLE a RENAME TO b`` for MySQL's ``RENAME TABLE a TO b`` (one pair)."""
    toks = tokenize(sql)
    names = [t for t in toks[2:] if not is_word(t, "TO")]
    if len(toks) >= 5 and is_word(at(toks, 3), "TO") and len(names) == 2 \
            and all(is_name(t) for t in names):
        return f"ALTER TABLE {names[0].text} RENAME TO {names[1].text}"
    return "ALTER TABLE a RENAME TO b, one table per statement"


@rule("QS102", "multiple-alter-actions", Severity.ERROR,
      "More than one action in one ALTER TABLE")
def multiple_alter_actions(stmt):
    """## What it does
    Flags an ALTER TABLE with several comma-separated actions.

    ## Why is this bad?
    SQLite's ALTER TABLE takes exactly one action: `ADD c, ADD d` or `DROP a, DROP b` fails
    with `near ",": syntax error`.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ALTER TABLE t ADD COLUMN a TEXT, ADD COLUMN b TEXT;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ALTER TABLE t ADD COLUMN a TEXT;
    ALTER TABLE t ADD COLUMN b TEXT;
    ```
    """
    a = alter_of(stmt)
    if a is not None and a.multiple and a.action != "unsupported":
        yield ('ALTER TABLE takes one action (`near ",": syntax error`); write one '
               "ALTER TABLE statement per action")


@rule("QS103", "if-exists-in-alter", Severity.ERROR,
      "IF [NOT] EXISTS inside ALTER TABLE")
def if_exists_in_alter(stmt):
    """## What it does
    Flags `ALTER TABLE IF EXISTS`, `ADD COLUMN IF NOT EXISTS`, `DROP COLUMN IF EXISTS` and
    `DROP CONSTRAINT IF EXISTS`.

    ## Why is this bad?
    SQLite has no IF [NOT] EXISTS anywhere in ALTER TABLE: each fails with
    `near "EXISTS": syntax error`. A migration runs once, so it does not need the guard; code
    that must be idempotent can ask `db.has_column(table, column)` first.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ALTER TABLE t ADD COLUMN IF NOT EXISTS note TEXT;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ALTER TABLE t ADD COLUMN note TEXT;
    ```
    """
    a = alter_of(stmt)
    if a is not None and a.if_exists:
        yield ('SQLite has no IF [NOT] EXISTS in ALTER TABLE (`near "EXISTS": syntax error`); '
               "remove it (in Python, guard with db.has_column() if needed)")


@rule("QS104", "qualified-rename-target", Severity.ERROR,
      "RENAME TO with a schema-qualified new name")
def qualified_rename_target(stmt):
    """## What it does
    Flags `ALTER TABLE t RENAME TO schema.name`.

    ## Why is this bad?
    A table cannot move between attached databases, so the new name takes no schema:
    SQLite fails with `near ".": syntax error`. The table stays in its own schema.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ALTER TABLE t RENAME TO main.t2;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ALTER TABLE main.t RENAME TO t2;
    ```
    """
    a = alter_of(stmt)
    if a is not None and a.action == "rename-table" and a.new_name_qualified:
        yield ('the new name of RENAME TO takes no schema (`near ".": syntax error`); '
               "write RENAME TO name and qualify the table being altered instead")


@rule("QS105", "alter-protected-object", Severity.ERROR,
      "ALTER of a system table, a view or a virtual table, or a rename to sqlite_*")
def alter_protected_object(stmt):
    """## What it does
    Flags ALTER TABLE on `sqlite_*` tables, renames to a `sqlite_` name, and (with the
    schema) ALTER TABLE on a view or on a virtual table.

    ## Why is this bad?
    SQLite refuses them: `table sqlite_master may not be altered`,
    `object name reserved for internal use: sqlite_x`, `view v may not be altered`,
    `Cannot add a column to a view`, `virtual tables may not be altered`. A view is changed by
    dropping and re-creating it.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
    CREATE VIEW v AS SELECT id FROM t;
    ALTER TABLE v ADD COLUMN name TEXT;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
    CREATE VIEW v AS SELECT id FROM t;
    DROP VIEW IF EXISTS v;
    CREATE VIEW IF NOT EXISTS v AS SELECT id, name FROM t;
    ```
    """
    a = alter_of(stmt)
    if a is None or a.action in ("unsupported", "unknown"):
        return
    if a.table.lower().startswith("sqlite_"):
        yield f"`table {a.table} may not be altered`: SQLite's own tables cannot be altered"
        return
    if a.action == "rename-table" and a.new_name and a.new_name.lower().startswith("sqlite_"):
        yield (f"`object name reserved for internal use: {a.new_name}`: names starting with "
               "sqlite_ belong to SQLite; choose another name")
        return
    obj = table_sql(stmt.schema, a.table)
    if obj is None:
        return
    kind, name, sql = obj
    if kind == "view":
        message = {
            "rename-table": f"view {name} may not be altered",
            "add-column": "Cannot add a column to a view",
            "drop-column": f'cannot drop column from view "{name}"',
            "rename-column": f'cannot rename columns of view "{name}"',
        }.get(a.action, f'cannot edit constraints of view "{name}"')
        yield f"`{message}`: drop the view and create it again with the new definition"
    elif kind == "table" and sql.upper().lstrip().startswith("CREATE VIRTUAL"):
        message = {
            "add-column": "virtual tables may not be altered",
            "drop-column": f'cannot drop column from virtual table "{name}"',
            "rename-column": f'cannot rename columns of virtual table "{name}"',
        }.get(a.action)
        if message:
            yield (f"`{message}`: drop the virtual table and create it again with the new "
                   "columns, then refill it")


@rule("QS120", "rename-column-unavailable", Severity.ERROR,
      "RENAME COLUMN with a target SQLite older than 3.25.0")
def rename_column_unavailable(stmt):
    """## What it does
    Flags `ALTER TABLE t RENAME [COLUMN] a TO b` when `--target-sqlite` is below 3.25.0.

    ## Why is this bad?
    RENAME COLUMN arrived in SQLite 3.25.0; older libraries fail with a syntax error.
    Below 3.25 a column is renamed by rebuilding the table.

    ## Example
    ```sql
    -- target: 3.24.0
    CREATE TABLE t (id INTEGER PRIMARY KEY, nmae TEXT);
    ALTER TABLE t RENAME COLUMN nmae TO name;
    ```

    Use instead:
    ```sql
    -- target: 3.25.0
    CREATE TABLE t (id INTEGER PRIMARY KEY, nmae TEXT);
    ALTER TABLE t RENAME COLUMN nmae TO name;
    ```
    """
    a = alter_of(stmt)
    if a is not None and a.action == "rename-column" and stmt.target < V_RENAME_COLUMN:
        yield (f"RENAME COLUMN needs SQLite 3.25.0; the target is {format_version(stmt.target)}: "
               "raise --target-sqlite or " + REBUILD)


@rule("QS130", "drop-column-unavailable", Severity.ERROR,
      "DROP COLUMN with a target SQLite older than 3.35.0")
def drop_column_unavailable(stmt):
    """## What it does
    Flags `ALTER TABLE t DROP [COLUMN] c` when `--target-sqlite` is below 3.35.0.

    ## Why is this bad?
    DROP COLUMN arrived in SQLite 3.35.0; older libraries fail with a syntax error. Below
    3.35 a column is dropped by rebuilding the table, never with `CREATE TABLE … AS SELECT`,
    which loses keys, constraints and defaults.

    ## Example
    ```sql
    -- target: 3.34.0
    CREATE TABLE t (id INTEGER PRIMARY KEY, legacy TEXT);
    ALTER TABLE t DROP COLUMN legacy;
    ```

    Use instead:
    ```sql
    -- target: 3.34.0
    CREATE TABLE t (id INTEGER PRIMARY KEY, legacy TEXT);
    CREATE TABLE IF NOT EXISTS new_t (id INTEGER PRIMARY KEY);
    INSERT INTO new_t (id) SELECT id FROM t;
    DROP TABLE t;
    ALTER TABLE new_t RENAME TO t;
    ```
    """
    a = alter_of(stmt)
    if a is not None and a.action == "drop-column" and stmt.target < V_DROP_COLUMN:
        yield (f"DROP COLUMN needs SQLite 3.35.0; the target is {format_version(stmt.target)}: "
               "raise --target-sqlite or " + REBUILD)


_FORMS_353 = {
    "add-check": "ADD [CONSTRAINT n] CHECK",
    "drop-constraint": "DROP CONSTRAINT",
    "set-not-null": "ALTER COLUMN … SET NOT NULL",
    "drop-not-null": "ALTER COLUMN … DROP NOT NULL",
}


@rule("QS140", "constraint-alter-unavailable", Severity.ERROR,
      "ADD CHECK, DROP CONSTRAINT or SET/DROP NOT NULL with a target older than 3.53.0")
def constraint_alter_unavailable(stmt):
    """## What it does
    Flags the constraint ALTERs added in SQLite 3.53.0 — `ADD [CONSTRAINT n] CHECK (…)`,
    `DROP CONSTRAINT n`, `ALTER [COLUMN] c SET NOT NULL` and `ALTER [COLUMN] c DROP NOT NULL`
    — when `--target-sqlite` is below 3.53.0.

    ## Why is this bad?
    Older libraries fail with a syntax error (`near "CHECK": syntax error`,
    `near "CONSTRAINT": syntax error`, `near "ALTER": syntax error`). Below 3.53 a constraint
    is added or removed by rebuilding the table.

    ## Example
    ```sql
    -- target: 3.40.1
    CREATE TABLE t (id INTEGER PRIMARY KEY, qty INTEGER);
    ALTER TABLE t ADD CONSTRAINT qty_positive CHECK (qty > 0);
    ```

    Use instead:
    ```sql
    -- target: 3.53.0
    CREATE TABLE t (id INTEGER PRIMARY KEY, qty INTEGER);
    ALTER TABLE t ADD CONSTRAINT qty_positive CHECK (qty > 0);
    ```
    """
    a = alter_of(stmt)
    if a is None or a.action not in _FORMS_353 or stmt.target >= V_CONSTRAINTS:
        return
    near = {"add-check": "CONSTRAINT" if a.constraint else "CHECK", "drop-constraint": "CONSTRAINT"}
    yield (f"{_FORMS_353[a.action]} needs SQLite 3.53.0; the target is "
           f"{format_version(stmt.target)} (`near \"{near.get(a.action, 'ALTER')}\": syntax error`): "
           "raise --target-sqlite or " + REBUILD)


def _named_constraints(create_sql: str) -> dict[str, str]:
    """Constraint name (lower-case) → kind, from a table's CREATE statement."""
    from ._syntax import parse_create_table

    table = parse_create_table(create_sql)
    out: dict[str, str] = {}
    if table is None:
        return out
    for col in table.columns:
        for c in col.constraints:
            if c.name:
                out[c.name.lower()] = c.kind
    for c in table.constraints:
        if c.name:
            out[c.name.lower()] = c.kind
    return out


def _dropped_constraint(stmt):
    """For ``ALTER TABLE t DROP CONSTRAINT n`` on a target that has it and a table the schema
    knows: ``(the ALTER, t's sqlite_master row, what kind of clause n names or None)``."""
    a = alter_of(stmt)
    if a is None or a.action != "drop-constraint" or stmt.target < V_CONSTRAINTS or not a.constraint:
        return None
    obj = table_sql(stmt.schema, a.table)
    if obj is None or obj[0] != "table":
        return None
    return a, obj, _named_constraints(obj[2]).get(a.constraint.lower())


@rule("QS141", "drop-constraint-refused", Severity.ERROR,
      "DROP CONSTRAINT of a UNIQUE/PRIMARY KEY constraint, of a foreign key before 3.54, or of a missing name")
def drop_constraint_refused(stmt):
    """## What it does
    With the schema, flags `ALTER TABLE t DROP CONSTRAINT n` when `n` names a UNIQUE or
    PRIMARY KEY constraint, a foreign key while `--target-sqlite` is below 3.54.0, or no
    constraint at all.

    ## Why is this bad?
    SQLite 3.53 drops only named CHECK and NOT NULL constraints; 3.54 adds foreign keys.
    Others fail with `constraint may not be dropped: n`, a missing name with
    `no such constraint: n`. A UNIQUE or PRIMARY KEY constraint goes away only by
    rebuilding the table.

    ## Example
    ```sql
    -- target: 3.54.1
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT CONSTRAINT uq_email UNIQUE);
    ALTER TABLE t DROP CONSTRAINT uq_email;
    ```

    Use instead:
    ```sql
    -- target: 3.54.1
    CREATE TABLE t (id INTEGER PRIMARY KEY, qty INTEGER CONSTRAINT qty_positive CHECK (qty > 0));
    ALTER TABLE t DROP CONSTRAINT qty_positive;
    ```
    """
    dropped = _dropped_constraint(stmt)
    if dropped is None:
        return
    a, obj, kind = dropped
    if kind is None:
        yield f"`no such constraint: {a.constraint}`: table {obj[1]} has no constraint of that name"
    elif kind in ("unique", "pk"):
        what = "UNIQUE" if kind == "unique" else "PRIMARY KEY"
        yield (f"`constraint may not be dropped: {a.constraint}`: SQLite cannot drop a {what} "
               "constraint; " + REBUILD)
    elif kind in ("references", "foreign") and stmt.target < V_DROP_FK:
        yield (f"`constraint may not be dropped: {a.constraint}`: dropping a foreign key needs "
               f"SQLite 3.54.0 (target {format_version(stmt.target)}); " + REBUILD)


@rule("QS142", "drop-constraint-name-only", Severity.WARNING,
      "DROP CONSTRAINT naming a DEFAULT or COLLATE clause removes only the name")
def drop_constraint_name_only(stmt):
    """## What it does
    With the schema, flags `ALTER TABLE t DROP CONSTRAINT n` when `n` names a DEFAULT or
    COLLATE clause.

    ## Why is this bad?
    SQLite accepts it but removes only the name: `b CONSTRAINT df DEFAULT 1` becomes
    `b DEFAULT 1`, and the default (or collation) stays. Changing a default needs a rebuild.

    ## Example
    ```sql
    -- target: 3.53.0
    CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER CONSTRAINT df DEFAULT 1);
    ALTER TABLE t DROP CONSTRAINT df;
    ```

    Use instead:
    ```sql
    -- target: 3.53.0
    CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER CONSTRAINT df DEFAULT 1);
    CREATE TABLE IF NOT EXISTS new_t (id INTEGER PRIMARY KEY, b INTEGER);
    INSERT INTO new_t (id, b) SELECT id, b FROM t;
    DROP TABLE t;
    ALTER TABLE new_t RENAME TO t;
    ```
    """
    dropped = _dropped_constraint(stmt)
    if dropped is None:
        return
    a, _table, kind = dropped
    if kind in ("default", "collate"):
        yield (f"constraint {a.constraint} is a {kind.upper()} clause: DROP CONSTRAINT removes "
               f"only its name and the {kind} stays; " + REBUILD)


@rule("QS143", "constraint-validates-rows", Severity.WARNING,
      "ADD CHECK / SET NOT NULL fail on existing rows that violate them")
def constraint_validates_rows(stmt):
    """## What it does
    Flags `ALTER TABLE t ADD [CONSTRAINT n] CHECK (…)` and `ALTER [COLUMN] c SET NOT NULL`
    (SQLite 3.53+).

    ## Why is this bad?
    SQLite tests every existing row first and fails with `constraint failed` if one violates
    the new constraint, so the migration passes on a developer's empty database and fails in
    production. Fix or delete the violating rows in the same migration, before the ALTER.

    ## Example
    ```sql
    -- target: 3.53.0
    CREATE TABLE t (id INTEGER PRIMARY KEY, qty INTEGER);
    INSERT INTO t (id, qty) VALUES (1, 0);
    ALTER TABLE t ADD CONSTRAINT qty_positive CHECK (qty > 0);
    ```

    Use instead:
    ```sql
    -- target: 3.53.0
    CREATE TABLE t (id INTEGER PRIMARY KEY, qty INTEGER);
    INSERT INTO t (id, qty) VALUES (1, 0);
    UPDATE t SET qty = 1 WHERE qty IS NULL OR qty <= 0;
    -- then:
    ALTER TABLE t ADD CONSTRAINT qty_positive CHECK (qty > 0);
    ```
    """
    a = alter_of(stmt)
    if a is None or stmt.target < V_CONSTRAINTS:
        return
    if a.action == "add-check":
        yield ("ADD CHECK validates every existing row and fails with `constraint failed` if one "
               "violates it: fix or delete such rows earlier in the migration")
    elif a.action == "set-not-null":
        yield ("SET NOT NULL fails with `constraint failed` if any row holds NULL in "
               f"{a.column}: UPDATE those rows earlier in the migration")
