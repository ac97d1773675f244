"""Destructive changes in ``up()``: what a migration throws away for good (QS7xx)."""

from __future__ import annotations

from ..model import Severity
from ..registry import rule
from ._syntax import parse_drop, table_sql
from .helpers import is_rebuild_drop, recreated_later


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

    ## Known problems
    A rebuild is recognised by a `new_t`-style partner, a later CREATE of the same name,
    or a rename away whose rows were copied; anything else that keeps the data (a copy
    made by an earlier migration, an export) is not seen.
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

    ## References
    - https://www.sqlite.org/lang_altertable.html
    """
    a = stmt.alter
    if a is not None and a.action == "drop-column":
        yield (f"DROP COLUMN {a.column} destroys its data and down() cannot restore it: make "
               "sure no code reads it and the data is not needed (or add a noqa)")
