"""Table rebuilds and destructive table changes, judged against qscaffold's runner: foreign
keys are off during a migration (nothing cascades) and ``PRAGMA foreign_key_check`` runs
before the commit (dangling references fail the migration)."""

from __future__ import annotations

import re

from ...schema.features import FEATURES
from ..model import Severity
from ..registry import rule
from ._syntax import (children, created_name, parse_alter, parse_drop, quote, rebuild_partner,
                      renamed_from, run_on_copy, table_sql, tokenize)
from .alter import alter_of

V_RENAME_REWRITES_FKS = FEATURES["rename-rewrites-fks"]
_BROKEN = re.compile(r"^error in (view|trigger) (\S+): (.*)$")


def _dropped_table(stmt):
    if stmt.keywords[:2] != ("DROP", "TABLE"):
        return None
    drop = parse_drop(stmt.sql)
    if drop is None or stmt.schema is None:
        return None
    obj = table_sql(stmt.schema, drop.name)
    if obj is None or obj[0] != "table":
        return None
    return obj[1]


def recreated_later(stmt, name: str) -> bool:
    """Whether a later statement of the same migration creates ``name`` again (CREATE TABLE
    or RENAME TO)."""
    for sql in stmt.following or ():
        words = tokenize(sql)[:2]
        if not words:
            continue
        if words[0].value == "CREATE":
            kind, created, _ = created_name(tokenize(sql))
            if kind == "TABLE" and created and created.lower() == name.lower():
                return True
        elif words[0].value == "ALTER":
            a = parse_alter(sql)
            if a and a.action == "rename-table" and a.new_name and a.new_name.lower() == name.lower():
                return True
    return False


def _dropped_later(stmt, kind: str, name: str) -> bool:
    for sql in stmt.following or ():
        drop = parse_drop(sql) if sql.lstrip()[:4].upper() == "DROP" else None
        if drop and drop.kind == kind and drop.name.lower() == name.lower():
            return True
    return False


def _created_later(stmt, kind: str, name: str) -> bool:
    for sql in stmt.following or ():
        k, created, _ = created_name(tokenize(sql))
        if k == kind and created and created.lower() == name.lower():
            return True
    return False


def is_rebuild_drop(stmt, table: str) -> bool:
    return rebuild_partner(stmt.schema, table) is not None or recreated_later(stmt, table)


def _renamed_away_from(stmt, table: str) -> str | None:
    """The table ``table`` was renamed away from: followed through the section's earlier
    ``ALTER TABLE … RENAME TO`` statements (``group__``, ``oldCiphers``…), else guessed
    from the name (``t_old`` next to ``t``, for a rename in an earlier migration)."""
    if stmt.history is not None:
        origin = stmt.history.renamed.get(table.lower())
        if origin is not None and origin.lower() != table.lower():
            return origin
    return renamed_from(stmt.schema, table)


def _left_dangling(stmt, table: str) -> list[tuple[str, str]]:
    """``(child, column)`` of the foreign keys to ``table`` that still point at it, missing,
    once the rest of the section has run (a rebuild of the children mends them)."""
    if not children(stmt.schema, table):
        return []
    outcome = stmt.section_outcome
    if outcome is None:
        return [(c, col) for c, col, _ in children(stmt.schema, table)]
    return outcome.missing_parents.get(table.lower(), [])


@rule("QS122", "rename-away-rebuild", Severity.ERROR,
      "Rebuild that renames the old table away: child foreign keys follow it and dangle")
def rename_away_rebuild(stmt):
    """## What it does
    With the schema, flags `DROP TABLE x_old` when other tables' foreign keys point at
    `x_old` and a table `x` exists: the signature of a rebuild done in the wrong order,
    `ALTER TABLE x RENAME TO x_old`, `CREATE TABLE x …`, copy, `DROP TABLE x_old`.

    ## Why is this bad?
    Since SQLite 3.26 renaming a table rewrites the foreign keys of other tables (and views
    and triggers) to the new name, even with foreign keys off. The children now reference
    `x_old`; once it is dropped, every child row dangles and the runner's
    `PRAGMA foreign_key_check` fails the migration whenever the child has rows. Build the new
    table under a temporary name and rename *it*.

    ## Example
    ```sql
    CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE ch (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));
    INSERT INTO p (id, name) VALUES (1, 'a');
    INSERT INTO ch (id, p_id) VALUES (1, 1);
    ALTER TABLE p RENAME TO p_old;
    CREATE TABLE IF NOT EXISTS p (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
    INSERT INTO p (id, name) SELECT id, coalesce(name, '') FROM p_old;
    DROP TABLE p_old;
    ```

    Use instead:
    ```sql
    CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE ch (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));
    INSERT INTO p (id, name) VALUES (1, 'a');
    INSERT INTO ch (id, p_id) VALUES (1, 1);
    CREATE TABLE IF NOT EXISTS new_p (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
    INSERT INTO new_p (id, name) SELECT id, coalesce(name, '') FROM p;
    DROP TABLE p;
    ALTER TABLE new_p RENAME TO p;
    ```
    """
    table = _dropped_table(stmt)
    if table is None or stmt.target < V_RENAME_REWRITES_FKS:
        return
    origin = _renamed_away_from(stmt, table)
    if origin is None:
        return
    kids = _left_dangling(stmt, table)
    if not kids:
        return  # the section rebuilds the children too: every key is valid at its end
    refs = ", ".join(sorted({f"{c}.{col}" for c, col in kids}))
    yield (f"{refs} now reference{'s' if len(kids) == 1 else ''} {table} (renaming {origin} away "
           f"repointed them), so dropping {table} leaves them dangling and "
           "`PRAGMA foreign_key_check` fails whenever they have rows: create new_"
           f"{origin}, copy, DROP TABLE {origin}, ALTER TABLE new_{origin} RENAME TO {origin}")


@rule("QS401", "drop-parent-table", Severity.ERROR,
      "DROP TABLE of a table other tables' foreign keys reference, outside a rebuild",
      sections=("up", None))
def drop_parent_table(stmt):
    """## What it does
    With the schema, flags `DROP TABLE p` when other tables have foreign keys to `p` and the
    migration does not recreate `p` (a recognised rebuild: `CREATE TABLE new_p` → copy →
    `DROP TABLE p` → `ALTER TABLE new_p RENAME TO p`).

    ## Why is this bad?
    The runner turns foreign keys off, so the drop itself does not cascade; but the child
    rows are left pointing at a missing table and `PRAGMA foreign_key_check` fails the
    migration before commit. (With foreign keys on, the drop would instead delete child rows
    through ON DELETE CASCADE or fail with `FOREIGN KEY constraint failed`.) Drop or rebuild
    the children first.

    ## Example
    ```sql
    CREATE TABLE p (id INTEGER PRIMARY KEY);
    CREATE TABLE ch (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));
    INSERT INTO p (id) VALUES (1);
    INSERT INTO ch (id, p_id) VALUES (1, 1);
    DROP TABLE IF EXISTS p;
    ```

    Use instead:
    ```sql
    CREATE TABLE p (id INTEGER PRIMARY KEY);
    CREATE TABLE ch (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));
    INSERT INTO p (id) VALUES (1);
    INSERT INTO ch (id, p_id) VALUES (1, 1);
    DROP TABLE IF EXISTS ch;
    ```
    """
    table = _dropped_table(stmt)
    if table is None or is_rebuild_drop(stmt, table):
        return
    if _renamed_away_from(stmt, table) and stmt.target >= V_RENAME_REWRITES_FKS:
        return  # QS122 says it better
    kids = [k for k in _left_dangling(stmt, table) if not _dropped_later(stmt, "TABLE", k[0])]
    if kids:
        refs = ", ".join(sorted({f"{c}.{col}" for c, col in kids}))
        yield (f"{refs} reference{'s' if len(kids) == 1 else ''} {table}: with foreign keys off "
               "nothing cascades, and `PRAGMA foreign_key_check` fails the migration if child rows "
               "remain; drop or rebuild the child tables first, or rebuild this table instead")


@rule("QS402", "rebuild-incomplete", Severity.WARNING,
      "Table rebuild that does not recreate the old table's indexes and triggers")
def rebuild_incomplete(stmt):
    """## What it does
    In a recognised rebuild, flags `DROP TABLE x` when `x` has indexes or triggers that no
    later statement of the migration creates again.

    ## Why is this bad?
    `DROP TABLE x` drops its indexes and triggers with it. The renamed new table has none
    of them: queries slow down, uniqueness stops being enforced, triggers stop firing, and
    nothing fails to tell you.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, legacy TEXT);
    CREATE UNIQUE INDEX IF NOT EXISTS ix_t_email ON t (email);
    CREATE TABLE IF NOT EXISTS new_t (id INTEGER PRIMARY KEY, email TEXT);
    INSERT INTO new_t (id, email) SELECT id, email FROM t;
    DROP TABLE t;
    -- then:
    ALTER TABLE new_t RENAME TO t;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, legacy TEXT);
    CREATE UNIQUE INDEX IF NOT EXISTS ix_t_email ON t (email);
    CREATE TABLE IF NOT EXISTS new_t (id INTEGER PRIMARY KEY, email TEXT);
    INSERT INTO new_t (id, email) SELECT id, email FROM t;
    DROP TABLE t;
    -- then:
    ALTER TABLE new_t RENAME TO t;
    CREATE UNIQUE INDEX IF NOT EXISTS ix_t_email ON t (email);
    ```
    """
    table = _dropped_table(stmt)
    if table is None or stmt.following is None or not is_rebuild_drop(stmt, table):
        return
    rows = stmt.schema.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL "
        "AND tbl_name = ? COLLATE NOCASE", (table,)).fetchall()
    dropped = _dropped_columns(stmt, table)
    missing = [f"{kind} {name}" for kind, name, sql in rows
               if not _created_later(stmt, kind.upper(), name) and not (_names_in(sql) & dropped)]
    if missing:
        yield (f"DROP TABLE {table} also drops {', '.join(missing)}, and the rebuild does not "
               "create them again: recreate them after the rename")


def _dropped_columns(stmt, table: str) -> set[str]:
    """Columns of ``table`` its rebuild partner (``new_t``) no longer has (lower-case)."""
    partner = rebuild_partner(stmt.schema, table)
    if partner is None:
        return set()
    new = {r[1].lower() for r in stmt.columns(partner)}
    return {r[1].lower() for r in stmt.columns(table)} - new


def _names_in(sql: str) -> set[str]:
    return {(t.value if t.kind != "word" else t.text).lower() for t in tokenize(sql) if t.kind in ("word", "id")}


@rule("QS403", "rebuild-rename-blocked-by-view", Severity.ERROR,
      "Rebuild rename that fails because a view or trigger still names the dropped table")
def rebuild_rename_blocked_by_view(stmt):
    """## What it does
    With the schema, flags `ALTER TABLE new_x RENAME TO x` when a view or trigger refers to
    `x` while `x` does not exist (step 7 of a rebuild, after `DROP TABLE x`).

    ## Why is this bad?
    A rename re-checks the whole schema, and the view now points at a missing table:
    `error in view v: no such table: main.x`. Drop such views before `DROP TABLE x` and
    create them again after the rename (or bracket the rename with
    `PRAGMA legacy_alter_table = ON` … `OFF`).

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, legacy TEXT);
    CREATE VIEW IF NOT EXISTS v AS SELECT id FROM t;
    CREATE TABLE IF NOT EXISTS new_t (id INTEGER PRIMARY KEY);
    INSERT INTO new_t (id) SELECT id FROM t;
    DROP TABLE t;
    ALTER TABLE new_t RENAME TO t;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, legacy TEXT);
    CREATE VIEW IF NOT EXISTS v AS SELECT id FROM t;
    DROP VIEW IF EXISTS v;
    CREATE TABLE IF NOT EXISTS new_t (id INTEGER PRIMARY KEY);
    INSERT INTO new_t (id) SELECT id FROM t;
    DROP TABLE t;
    ALTER TABLE new_t RENAME TO t;
    ```
    """
    error, a = _rename_error(stmt)
    if error is None:
        return
    m = _BROKEN.match(error)
    if m and a.action == "rename-table" and a.new_name and \
            m.group(3).lower() == f"no such table: main.{a.new_name}".lower():
        yield (f"`{error}`: drop {m.group(1)} {m.group(2)} before DROP TABLE {a.new_name} and "
               "create it again after the rename")


def _rename_error(stmt):
    a = alter_of(stmt)
    if a is None or a.action not in ("rename-table", "rename-column") or stmt.schema is None:
        return None, a
    key = "_qs_rename_outcome"
    if key not in stmt.__dict__:
        stmt.__dict__[key] = run_on_copy(stmt.schema, stmt.sql)
    return stmt.__dict__[key], a


@rule("QS121", "rename-blocked-by-broken-dependents", Severity.ERROR,
      "RENAME while a view or trigger in the schema is broken")
def rename_blocked_by_broken_dependents(stmt):
    """## What it does
    With the schema, flags a RENAME (of a table or a column) that SQLite will refuse because
    some view or trigger anywhere in the schema refers to something that no longer exists.

    ## Why is this bad?
    A rename re-checks the whole schema: one stale view elsewhere makes every rename fail,
    `error in view v: no such table: main.gone`. Drop or fix the broken view or trigger
    first.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, nmae TEXT);
    CREATE VIEW IF NOT EXISTS stale AS SELECT * FROM gone;
    ALTER TABLE t RENAME COLUMN nmae TO name;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, nmae TEXT);
    CREATE VIEW IF NOT EXISTS stale AS SELECT * FROM gone;
    DROP VIEW IF EXISTS stale;
    ALTER TABLE t RENAME COLUMN nmae TO name;
    ```
    """
    error, a = _rename_error(stmt)
    if error is None:
        return
    m = _BROKEN.match(error)
    if not m:
        return
    if a.action == "rename-table" and a.new_name and \
            m.group(3).lower() == f"no such table: main.{a.new_name}".lower():
        return  # QS403
    yield f"`{error}`: the rename re-checks the whole schema; drop or fix {m.group(1)} {m.group(2)} first"


_MISMATCH = re.compile(r'^foreign key mismatch - "(.+)" referencing "(.+)"$')


def _fk_children_to_check(stmt) -> list[str]:
    """The child tables whose foreign keys this statement could point at a non-key: the
    table a CREATE TABLE or ADD COLUMN … REFERENCES defines, the children of a table renamed
    into place, the children of the table whose UNIQUE index is dropped."""
    kw = stmt.keywords
    if kw[0] == "CREATE":
        kind, name, _ = created_name(tokenize(stmt.sql))
        return [name] if kind == "TABLE" and name and "REFERENCES" in stmt.sql.upper() else []
    if kw[:2] == ("ALTER", "TABLE"):
        a = alter_of(stmt)
        if a is None:
            return []
        if a.action == "add-column" and "REFERENCES" in stmt.sql.upper():
            return [a.table]
        if a.action == "rename-table" and a.new_name:
            return sorted({c for c, _, _ in children(stmt.schema, a.new_name)})
        return []
    if kw[:2] == ("DROP", "INDEX"):
        drop = parse_drop(stmt.sql)
        row = stmt.schema.execute(
            "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND name = ? COLLATE NOCASE",
            (drop.name,)).fetchone() if drop else None
        if row and row[1] and re.match(r"\s*CREATE\s+UNIQUE", row[1], re.I):
            return sorted({c for c, _, _ in children(stmt.schema, row[0])})
    return []


def _fk_check(tables) -> tuple[str, ...]:
    return tuple(f"PRAGMA foreign_key_check({quote(t)})" for t in tables)


@rule("QS407", "foreign-key-mismatch", Severity.ERROR,
      "Statement after which a foreign key no longer points at a PRIMARY KEY or UNIQUE parent key")
def foreign_key_mismatch(stmt):
    """## What it does
    With the schema, flags a CREATE TABLE, ALTER TABLE or DROP INDEX after which some
    foreign key references parent columns that are not the parent's PRIMARY KEY and have no
    UNIQUE index: a REFERENCES to ordinary columns, dropping the unique index behind a
    parent key, dropping the parent key column, or a rebuild that loses its UNIQUE.

    ## Why is this bad?
    SQLite accepts the DDL, but from then on `PRAGMA foreign_key_check` fails with
    `foreign key mismatch - "ch" referencing "p"`: qscaffold's runner runs that check
    before every commit, so this migration and every later one fails. With foreign keys
    on, every write to the child table fails the same way.

    ## Example
    ```sql
    CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);
    CREATE TABLE IF NOT EXISTS ch (id INTEGER PRIMARY KEY, p_code TEXT REFERENCES p (code));
    ```

    Use instead:
    ```sql
    CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);
    CREATE UNIQUE INDEX IF NOT EXISTS ix_p_code ON p (code);
    CREATE TABLE IF NOT EXISTS ch (id INTEGER PRIMARY KEY, p_code TEXT REFERENCES p (code));
    ```
    """
    if stmt.schema is None or not stmt.keywords:
        return
    if stmt.keywords[0] not in ("CREATE", "ALTER", "DROP"):
        return
    kids = _fk_children_to_check(stmt)
    if not kids:
        return
    existing = [k for k in kids if table_sql(stmt.schema, k)]
    if existing and run_on_copy(stmt.schema, "SELECT 1", then=_fk_check(existing)):
        return  # already broken before this statement
    error = run_on_copy(stmt.schema, stmt.sql, then=_fk_check(kids))
    if error and not _MISMATCH.match(error):
        return
    if error:
        child, parent = _MISMATCH.match(error).groups()
        yield (f"`{error}`: after this statement {child}'s foreign key to {parent} names columns "
               f"that are neither {parent}'s PRIMARY KEY nor UNIQUE, so the runner's "
               "PRAGMA foreign_key_check fails (this migration and every later one); reference a "
               "PRIMARY KEY or UNIQUE column, or keep its unique index")


@rule("QS405", "replace-deletes-rows", Severity.WARNING,
      "REPLACE INTO / INSERT OR REPLACE deletes the conflicting row")
def replace_deletes_rows(stmt):
    """## What it does
    Flags `REPLACE INTO …` and `INSERT OR REPLACE INTO …`.

    ## Why is this bad?
    On a conflict SQLite deletes the existing row and inserts a new one: columns not listed
    are reset to their defaults, the rowid may change, and with foreign keys on the delete
    fires `ON DELETE CASCADE` in child tables. An UPSERT updates in place.

    ## Example
    ```sql
    CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT, note TEXT);
    INSERT OR REPLACE INTO settings (key, value) VALUES ('theme', 'dark');
    ```

    Use instead:
    ```sql
    CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT, note TEXT);
    INSERT INTO settings (key, value) VALUES ('theme', 'dark')
        ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    ```
    """
    kw = stmt.keywords
    if kw[:1] == ("REPLACE",) or kw[:3] == ("INSERT", "OR", "REPLACE"):
        yield ("REPLACE deletes the conflicting row (resetting unlisted columns, cascading deletes "
               "with foreign keys on): use INSERT … ON CONFLICT (key) DO UPDATE SET …")


@rule("QS701", "drop-table", Severity.WARNING, "Destructive DROP TABLE in up(), outside a rebuild",
      sections=("up", None))
def drop_table(stmt):
    """## What it does
    Flags `DROP TABLE` in `up()` unless it is step 6 of a recognised table rebuild
    (`CREATE TABLE new_t` → copy → `DROP TABLE t` → `ALTER TABLE new_t RENAME TO t`).
    `down()` is expected to drop what `up()` created and is not checked.

    ## Why is this bad?
    The table's rows are gone for good: `down()` can recreate the table but not its data.

    ## Example
    ```sql
    CREATE TABLE sessions (id INTEGER PRIMARY KEY);
    DROP TABLE IF EXISTS sessions;
    ```

    Use instead:
    ```sql
    CREATE TABLE sessions (id INTEGER PRIMARY KEY);
    ALTER TABLE sessions RENAME TO sessions_archived;
    ```
    """
    if stmt.keywords[:2] != ("DROP", "TABLE"):
        return
    drop = parse_drop(stmt.sql)
    if drop is None:
        return
    if stmt.schema is not None:
        obj = table_sql(stmt.schema, drop.name)
        if (obj is not None and obj[0] != "table") or is_rebuild_drop(stmt, drop.name):
            return  # a view is QS609's; a rebuild's DROP is expected
    if recreated_later(stmt, drop.name):
        return
    history = stmt.history
    if history is not None and drop.name.lower() in history.renamed \
            and drop.name.lower() in history.copied_from:
        return  # the old copy of a rebuild that renamed it away, its rows copied already
    yield (f"DROP TABLE {drop.name} destroys its rows and down() cannot bring them back: make "
           "sure the data is not needed (keep a renamed copy, or add a noqa)")


@rule("QS408", "view-or-trigger-broken", Severity.ERROR,
      "DROP or RENAME after which a view or trigger no longer compiles, and the migration leaves it so")
def view_or_trigger_broken(stmt):
    """## What it does
    With the schema, flags `DROP TABLE`, `DROP VIEW` and `ALTER TABLE … RENAME` after which a
    view or trigger that compiled before no longer does, when nothing later in the migration
    mends it (drops and recreates it, or creates the missing table again).

    ## Why is this bad?
    SQLite accepts the statement and keeps the view or trigger. From then on every query of
    the view fails (`no such table: main.orders`), every write that fires the trigger fails,
    and every later `ALTER TABLE … RENAME` anywhere in the schema is refused
    (`error in view v: …`). A rename with `PRAGMA legacy_alter_table = ON` does not rewrite
    views and triggers either.

    ## Example
    ```sql
    CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER);
    CREATE VIEW IF NOT EXISTS big_orders AS SELECT id FROM orders WHERE total > 100;
    DROP TABLE IF EXISTS orders;
    -- then:
    SELECT id FROM big_orders;
    ```

    Use instead:
    ```sql
    CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER);
    CREATE VIEW IF NOT EXISTS big_orders AS SELECT id FROM orders WHERE total > 100;
    DROP VIEW IF EXISTS big_orders;
    DROP TABLE IF EXISTS orders;
    -- then:
    SELECT name FROM sqlite_master;
    ```

    ## References
    - https://www.sqlite.org/lang_altertable.html (compatibility note on renames)
    - https://www.sqlite.org/lang_droptable.html
    """
    if stmt.schema is None:
        return
    kw = stmt.keywords
    if kw[:2] in (("DROP", "TABLE"), ("DROP", "VIEW")):
        drop = parse_drop(stmt.sql)
        name = drop.name if drop else None
    elif kw[:2] == ("ALTER", "TABLE"):
        a = alter_of(stmt)
        name = a.table if a is not None and a.action in ("rename-table", "rename-column") else None
    else:
        return
    if not name or stmt.schema.execute(
            "SELECT 1 FROM sqlite_master WHERE type IN ('view', 'trigger') AND instr(lower(sql), ?) "
            "LIMIT 1", (name.lower(),)).fetchone() is None:
        return  # nothing that could mention it
    outcome = stmt.section_outcome
    if outcome is None:
        return
    for (kind, obj), message in sorted(outcome.broken.items()):
        yield (f"{kind} {obj} {message.replace('no longer compiles: ', 'no longer compiles (`', 1)}`) "
               "after this statement, and nothing later in the migration mends it: drop it "
               "first and create it again against the new schema")
