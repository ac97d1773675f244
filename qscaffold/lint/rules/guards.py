"""Guards and fragile statements: IF [NOT] EXISTS, CREATE TABLE AS, unbounded DML, positional
copies."""

from __future__ import annotations

from ..model import Severity
from ..registry import rule
from ._syntax import (at, created_name, depth_map, is_name, is_op, is_word, parse_drop,
                      same_definition, table_sql, tokenize)
from .helpers import is_rebuild_drop


def _create(stmt, *kinds):
    if stmt.keywords[:1] != ("CREATE",):
        return None, None, False
    kind, name, exists = created_name(tokenize(stmt.sql))
    if kind not in kinds:
        return None, None, False
    return kind, name, exists


@rule("QS201", "create-table-no-if-not-exists", Severity.WARNING,
      "CREATE TABLE without IF NOT EXISTS")
def create_table_no_if_not_exists(stmt):
    """## What it does
    Flags `CREATE TABLE` without `IF NOT EXISTS`.

    ## Why is this bad?
    If the table already exists (a database adopted from another tool, a migration re-run by
    hand) SQLite fails with `table t already exists` and the whole migration rolls back.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    ```

    Use instead:
    ```sql
    CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY);
    ```
    """
    kind, name, exists = _create(stmt, "TABLE")
    if kind and not exists:
        yield f"CREATE TABLE {name} without IF NOT EXISTS fails with `table {name} already exists` if it exists: add IF NOT EXISTS"


@rule("QS202", "create-index-no-if-not-exists", Severity.WARNING,
      "CREATE INDEX without IF NOT EXISTS")
def create_index_no_if_not_exists(stmt):
    """## What it does
    Flags `CREATE [UNIQUE] INDEX` without `IF NOT EXISTS`.

    ## Why is this bad?
    If the index already exists SQLite fails with `index ix already exists` and the
    migration rolls back.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT);
    CREATE INDEX ix_t_email ON t (email);
    CREATE INDEX ix_t_email ON t (email);
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT);
    CREATE INDEX IF NOT EXISTS ix_t_email ON t (email);
    ```
    """
    kind, name, exists = _create(stmt, "INDEX")
    if kind and not exists:
        yield f"CREATE INDEX {name} without IF NOT EXISTS fails with `index {name} already exists` if it exists: add IF NOT EXISTS"


@rule("QS203", "create-other-no-if-not-exists", Severity.WARNING,
      "CREATE VIEW / TRIGGER / VIRTUAL TABLE without IF NOT EXISTS")
def create_other_no_if_not_exists(stmt):
    """## What it does
    Flags `CREATE VIEW`, `CREATE TRIGGER` and `CREATE VIRTUAL TABLE` without
    `IF NOT EXISTS`.

    ## Why is this bad?
    If the object already exists SQLite fails with `view v already exists`,
    `trigger tr already exists` or `table f already exists`.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    CREATE VIEW v AS SELECT id FROM t;
    CREATE VIEW v AS SELECT id FROM t;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    CREATE VIEW IF NOT EXISTS v AS SELECT id FROM t;
    ```
    """
    kind, name, exists = _create(stmt, "VIEW", "TRIGGER", "VIRTUAL")
    if kind and not exists:
        what = "VIRTUAL TABLE" if kind == "VIRTUAL" else kind
        yield f"CREATE {what} {name} without IF NOT EXISTS fails if it already exists: add IF NOT EXISTS"


def in_rebuild_drop(stmt, drop) -> bool:
    """Whether ``DROP TABLE x`` is step 6 of a recognised rebuild (``new_x`` exists, or a
    later statement recreates ``x``)."""
    return drop.kind == "TABLE" and is_rebuild_drop(stmt, drop.name)


@rule("QS204", "drop-no-if-exists", Severity.WARNING,
      "DROP TABLE/INDEX/VIEW/TRIGGER without IF EXISTS")
def drop_no_if_exists(stmt):
    """## What it does
    Flags `DROP TABLE`, `DROP INDEX`, `DROP VIEW` and `DROP TRIGGER` without `IF EXISTS`
    (except the `DROP TABLE x` of a recognised table rebuild, which must fail loudly).

    ## Why is this bad?
    If the object is already gone SQLite fails with `no such table: t` (`no such index`,
    …) and the migration, typically a `down()`, cannot run.

    ## Example
    ```sql
    DROP TABLE old_sessions;
    ```

    Use instead:
    ```sql
    DROP TABLE IF EXISTS old_sessions;
    ```
    """
    if stmt.keywords[:1] != ("DROP",):
        return
    drop = parse_drop(stmt.sql)
    if drop is None or drop.if_exists or in_rebuild_drop(stmt, drop):
        return
    yield (f"DROP {drop.kind} {drop.name} without IF EXISTS fails with "
           f"`no such {drop.kind.lower()}: {drop.name}` if it is gone: add IF EXISTS")


@rule("QS205", "if-not-exists-masks-drift", Severity.WARNING,
      "CREATE … IF NOT EXISTS of a name the schema already has with another definition")
def if_not_exists_masks_drift(stmt):
    """## What it does
    With the schema, flags `CREATE … IF NOT EXISTS x` when `x` already exists as another
    kind of object or with a different definition.

    ## Why is this bad?
    The statement is then a silent no-op: the migration "succeeds" and the table keeps its
    old columns, the index its old columns, or the view stays a view.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);
    CREATE INDEX IF NOT EXISTS ix_t ON t (a);
    CREATE INDEX IF NOT EXISTS ix_t ON t (b);
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);
    CREATE INDEX IF NOT EXISTS ix_t ON t (a);
    DROP INDEX IF EXISTS ix_t;
    CREATE INDEX IF NOT EXISTS ix_t ON t (b);
    ```
    """
    if stmt.schema is None or stmt.keywords[:1] != ("CREATE",):
        return
    kind, name, exists = created_name(tokenize(stmt.sql))
    if not exists or not name:
        return
    obj = table_sql(stmt.schema, name)
    if obj is None:
        return
    have, real, sql = obj
    want = {"VIRTUAL": "table", "TABLE": "table"}.get(kind, kind.lower())
    if have != want:
        yield (f"{real} is already a {have}: CREATE {kind} IF NOT EXISTS {name} does nothing; "
               f"drop the {have} first or pick another name")
    elif sql and not same_definition(sql, stmt.sql):
        yield (f"{have} {real} already exists with another definition, so this CREATE … IF NOT "
               f"EXISTS does nothing: drop it first (or rebuild the table) to change it")


@rule("QS208", "create-table-as-select", Severity.WARNING,
      "CREATE TABLE … AS SELECT loses keys, constraints and defaults")
def create_table_as_select(stmt):
    """## What it does
    Flags `CREATE TABLE x AS SELECT …`.

    ## Why is this bad?
    The copy keeps only column names and affinities: PRIMARY KEY, NOT NULL, UNIQUE,
    DEFAULT, CHECK, foreign keys and the rowid alias are lost (`INTEGER PRIMARY KEY` becomes
    `INT`). Using it to rebuild a table silently drops the table's constraints.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
    CREATE TABLE t_copy AS SELECT id, email FROM t;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS t_copy (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
    INSERT INTO t_copy (id, email) SELECT id, email FROM t;
    ```

    ## References
    - https://www.sqlite.org/lang_createtable.html#createtabas
    """
    if stmt.keywords[:1] != ("CREATE",):
        return
    toks = tokenize(stmt.sql)
    kind, name, exists = created_name(toks)
    if kind != "TABLE" or not name:
        return
    for k, t in enumerate(toks[:12]):
        if is_word(t, "AS") and (is_word(at(toks, k + 1), "SELECT", "WITH", "VALUES") or is_op(at(toks, k + 1), "(")):
            if k > 0 and (is_name(toks[k - 1])) and not is_op(at(toks, k + 1), "("):
                yield (f"CREATE TABLE {name} AS SELECT keeps only names and affinities (no PRIMARY "
                       "KEY, NOT NULL, UNIQUE, DEFAULT, CHECK or foreign keys): create the table "
                       "with its full definition, then INSERT INTO … (cols) SELECT cols")
            return


def dml_start(toks) -> int | None:
    """Index of the UPDATE/DELETE keyword of a DML statement (after an optional WITH)."""
    if is_word(at(toks, 0), "UPDATE", "DELETE"):
        return 0
    if is_word(at(toks, 0), "WITH"):
        depths = depth_map(toks)
        for k, t in enumerate(toks):
            if depths[k] == 0 and is_word(t, "UPDATE", "DELETE", "INSERT", "REPLACE", "SELECT") and k > 0 \
                    and (is_op(toks[k - 1], ")")):
                return k if t.value in ("UPDATE", "DELETE") else None
    return None


@rule("QS209", "unbounded-dml", Severity.WARNING, "UPDATE or DELETE without WHERE",
      sections=("up", None))
def unbounded_dml(stmt):
    """## What it does
    Flags `UPDATE` and `DELETE` without a `WHERE` clause in `up()`.

    ## Why is this bad?
    It touches every row of the table. In a migration that is rarely meant: a data fix
    usually targets the rows that need it, and re-running it must not clobber newer values.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, status TEXT);
    UPDATE t SET status = 'active';
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, status TEXT);
    UPDATE t SET status = 'active' WHERE status IS NULL;
    ```
    """
    if stmt.keywords[:1] not in (("UPDATE",), ("DELETE",), ("WITH",)):
        return
    toks = tokenize(stmt.sql)
    k = dml_start(toks)
    if k is None:
        return
    depths = depth_map(toks)
    if not any(depths[j] == 0 and is_word(toks[j], "WHERE") for j in range(k, len(toks))):
        verb = toks[k].value
        yield f"{verb} without WHERE changes every row: add a WHERE clause naming the rows meant (WHERE 1 if all really are)"


@rule("QS210", "positional-copy", Severity.WARNING,
      "INSERT without a column list (SELECT * or VALUES by position)")
def positional_copy(stmt):
    """## What it does
    Flags `INSERT INTO x SELECT …` and `INSERT INTO x VALUES (…)` without a column list.

    ## Why is this bad?
    Values go in by position. When the table gains, loses or reorders a column (a rebuild's
    new table, say) the data silently lands in the wrong columns or the insert fails with
    `table x has 3 columns but 2 values were supplied`.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE IF NOT EXISTS new_t (id INTEGER PRIMARY KEY, email TEXT, name TEXT);
    INSERT INTO new_t SELECT * FROM t;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE IF NOT EXISTS new_t (id INTEGER PRIMARY KEY, email TEXT, name TEXT);
    INSERT INTO new_t (id, name) SELECT id, name FROM t;
    ```
    """
    kw = stmt.keywords
    if not kw or kw[0] not in ("INSERT", "REPLACE"):
        return
    toks = tokenize(stmt.sql)
    k = next((j for j, t in enumerate(toks[:8]) if is_word(t, "INTO")), None)
    if k is None or not is_name(at(toks, k + 1)):
        return
    j = k + 2
    if is_op(at(toks, j), ".") and is_name(at(toks, j + 1)):
        j += 2
    if is_word(at(toks, j), "AS") and is_name(at(toks, j + 1)):
        j += 2
    nxt = at(toks, j)
    if is_word(nxt, "SELECT", "VALUES", "WITH"):
        yield (f"INSERT without a column list fills columns by position ({nxt.value}): name the "
               "columns, INSERT INTO t (a, b) SELECT a, b …")

