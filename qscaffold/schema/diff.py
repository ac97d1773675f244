"""``qscaffold schema diff``: the SQL that turns one schema into another, keeping every row.

:func:`plan_diff` compares two schema models (:mod:`.model`) and returns a :class:`SchemaDiff`,
a list of steps; nothing is run. Applied the way the runner applies a migration (foreign keys
off, one transaction, ``foreign_key_check`` before commit), the steps give FROM exactly TO's
structure.

- Renames only with hints (``users=accounts``, ``accounts.nick=handle``): without one, a
  column that vanished and one that appeared are a drop and an add, and a warning suggests
  the hint.
- Native ALTER where SQLite allows it at the target version: ADD COLUMN, DROP COLUMN (3.35),
  RENAME. Whether a native ALTER gives exactly TO's table is asked of the engine, on an
  empty in-memory copy of that one table.
- Otherwise the rebuild: CREATE ``new_t`` from TO's own CREATE text, copy the rows by column
  name (rowids and the AUTOINCREMENT counter kept), DROP the old table, RENAME ``new_t`` into
  place. The old table is never renamed away, so the foreign keys of its children keep
  pointing at the right name and no child row is touched. Views and triggers that read a
  rebuilt table are dropped before and recreated after; its indexes are recreated.
- Equivalent spellings are no difference (:mod:`.expressions`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from ..errors import UsageError
from ..sql import tokenize
from .create import renamed
from .expressions import same_expression, same_expressions, same_statement
from .features import FEATURES, Version, format_version, has
from .model import Column, Schema, Table, read_model
from .normalize import display, normal_tokens
from .quote import if_not_exists
from .quote import quote_identifier as q
from .quote import quote_string


@dataclass(frozen=True)
class Step:
    """One statement of the plan, with a comment for the reader (data loss, why a rebuild)."""

    sql: str
    comment: str = ""
    destroys_data: bool = False
    loss: str = ""  # what it destroys: "table", "column" or "values" (of columns a rebuild drops)

    def to_dict(self) -> dict:
        return {"sql": self.sql + ";", "comment": self.comment, "destroys_data": self.destroys_data}


@dataclass
class SchemaDiff:
    """The plan from FROM to TO: steps in order, and warnings for stderr."""

    steps: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)  # tables rebuilt
    native: list[str] = field(default_factory=list)  # tables changed with ALTER TABLE
    counters: list[str] = field(default_factory=list)  # AUTOINCREMENT counters carried over

    @property
    def same(self) -> bool:
        return not self.steps

    @property
    def statements(self) -> list[str]:
        return [s.sql for s in self.steps]

    def to_sql(self) -> str:
        """The steps as a script: each statement ends with ``;``, comments above it."""
        if not self.steps:
            return "-- No differences.\n"
        out = []
        for step in self.steps:
            out += [f"-- {line}" for line in step.comment.splitlines()]
            out.append(step.sql + ";")
        return "\n".join(out) + "\n"

    def to_dict(self) -> dict:
        return {"same": self.same, "statements": [s.to_dict() for s in self.steps],
                "warnings": list(self.warnings), "rebuilt": list(self.rebuilt),
                "native": list(self.native)}


# -- hints ------------------------------------------------------------------------------


def parse_renames(hints) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """``["users=accounts", "accounts.nick=handle"]`` → table renames ``{old: new}`` and
    column renames ``{(table, old): new}`` (keys lower-cased)."""
    tables: dict[str, str] = {}
    columns: dict[tuple[str, str], str] = {}
    for hint in hints or ():
        old, sep, new = hint.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new or "." in new:
            raise UsageError(f"--rename {hint!r}: write OLD=NEW for a table (users=accounts) or "
                             "TABLE.OLD=NEW for a column (accounts.nick=handle)")
        if "." in old:
            table, _, column = old.partition(".")
            if not table or not column:
                raise UsageError(f"--rename {hint!r}: write TABLE.OLD=NEW for a column")
            columns[(table.lower(), column.lower())] = new
        else:
            tables[old.lower()] = new
    return tables, columns


# -- comparing --------------------------------------------------------------------------


def _type(text: str) -> str:
    return display(normal_tokens(text)).upper().replace(" (", "(")


def same_column(a: Column, b: Column) -> bool:
    return (a.name.lower() == b.name.lower() and _type(a.type) == _type(b.type)
            and a.notnull == b.notnull and a.pk == b.pk and a.hidden == b.hidden
            and a.collation.upper() == b.collation.upper() and a.autoincrement == b.autoincrement
            and same_expression(a.default, b.default) and same_expression(a.generated or None, b.generated or None))


def same_table(a: Table, b: Table) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "virtual":
        return same_statement(renamed(a.sql, "t"), renamed(b.sql, "t"))
    if a == b:
        return True
    return (len(a.columns) == len(b.columns)
            and all(same_column(x, y) for x, y in zip(a.columns, b.columns))
            and a.foreign_keys == b.foreign_keys and a.constraints == b.constraints
            and a.without_rowid == b.without_rowid and a.strict == b.strict
            and same_expressions(a.checks, b.checks))


def _mentions(sql: str, names: set[str]) -> bool:
    return any(t.is_identifier and t.name.lower() in names for t in tokenize(sql))


# -- the plan ---------------------------------------------------------------------------


def plan_diff(old: Schema, new: Schema, *, renames=(), target: Version | None = None,
              rows=None) -> SchemaDiff:
    """The steps that turn schema ``old`` into schema ``new``.

    ``renames``: hints as given to ``--rename``. ``target``: the oldest SQLite the steps
    must run on (default: this one). ``rows(table)``: whether FROM's ``table`` has rows
    (``None`` when unknown), for the warnings about NOT NULL columns without a default.
    """
    target = tuple(target or sqlite3.sqlite_version_info)
    plan = SchemaDiff()
    table_hints, column_hints = parse_renames(renames)
    _check_hints(old, new, table_hints, column_hints)

    # 1. renames, applied to a copy of FROM's schema so what follows compares like with like
    column_maps: dict[str, dict[str, str]] = {}  # new table -> {new column: old column} (rebuild)
    rename_steps: list[Step] = []
    for old_name, new_name in sorted(table_hints.items()):
        table = old.table(old_name)
        rename_steps.append(Step(f"ALTER TABLE {q(table.name)} RENAME TO {q(new.table(new_name).name)}",
                                 f"rename table {table.name} to {new.table(new_name).name} (--rename)"))
    for (table_name, col_old), col_new in sorted(column_hints.items()):
        current = table_hints.get(table_name, table_name)
        current = new.table(current).name if new.table(current) else current
        old_table = old.table(table_name) or old.table(_old_name_of(table_name, table_hints))
        col = old_table.column(col_old)
        to_col = new.table(current).column(col_new)
        if has("rename-column", target):
            rename_steps.append(Step(f"ALTER TABLE {q(current)} RENAME COLUMN {q(col.name)} TO {q(to_col.name)}",
                                     f"rename column {current}.{col.name} to {to_col.name} (--rename)"))
        else:
            column_maps.setdefault(current.lower(), {})[to_col.name.lower()] = col.name
    broken_steps = [Step(f"DROP VIEW IF EXISTS {q(old.entries[('view', k)].name)}",
                         f"view {old.entries[('view', k)].name} names something missing: "
                         "ALTER TABLE ... RENAME fails while it exists; it is created again from TO")
                    for k in sorted(old.broken_views)]
    if rename_steps:
        old = _apply(old, [s.sql for s in broken_steps] + [s.sql for s in rename_steps])

    old_tables = {k: t for k, t in old.tables.items() if t.kind != "shadow"}
    new_tables = {k: t for k, t in new.tables.items() if t.kind != "shadow"}
    dropped = sorted((old_tables[k] for k in old_tables.keys() - new_tables.keys()), key=lambda t: t.order)
    created = sorted((new_tables[k] for k in new_tables.keys() - old_tables.keys()), key=lambda t: t.order)
    common = sorted((k for k in old_tables.keys() & new_tables.keys()), key=lambda k: new_tables[k].order)
    if dropped and created and not table_hints:
        plan.warnings.append(
            f"table(s) {', '.join(t.name for t in dropped)} vanished and {', '.join(t.name for t in created)} "
            f"appeared: they are dropped and created; if one was renamed, say so with "
            f"--rename {dropped[0].name}={created[0].name}")

    recreated: list[str] = []  # virtual tables dropped and created again
    native: dict[str, list[Step]] = {}
    rebuilt: dict[str, list[Step]] = {}
    taken = set(old.tables) | set(new.tables) | {k for _, k in old.entries} | {k for _, k in new.entries}
    for key in common:
        a, b = old_tables[key], new_tables[key]
        if key not in column_maps and same_table(a, b):
            continue
        if a.kind == "virtual" or b.kind == "virtual":
            recreated.append(key)
            continue
        _suggest_column_renames(plan, a, b, column_hints)
        steps = None if key in column_maps else _native(a, b, old, target)
        if steps is not None:
            native[key] = steps
        else:
            rebuilt[key] = _rebuild(plan, a, b, taken, column_maps.get(key, {}), rows)

    for table in created + [new_tables[k] for k in rebuilt]:
        needs = [(f, what) for f, what in (("strict", "STRICT"), ("generated-columns", "generated columns"))
                 if (table.strict if f == "strict" else any(c.is_generated for c in table.columns))]
        for feature, what in needs:
            if not has(feature, target):
                plan.warnings.append(
                    f"{table.name}: uses {what}, which SQLite {format_version(target)} (--target-sqlite) does "
                    f"not have (from {format_version(FEATURES[feature])}); the CREATE TABLE fails there")

    # what must be dropped first and created again after
    gone_tables = {t.name.lower() for t in dropped} | set(recreated)
    reshaped = set(rebuilt) | {k for k, steps in native.items() if any(" DROP COLUMN " in s.sql for s in steps)}
    affected = gone_tables | reshaped
    drop_views: list[str] = []
    views_old = old.objects("view")
    if not rename_steps and (rebuilt or reshaped):
        drop_views = sorted(old.broken_views)
    changed = True
    while changed:
        changed = False
        for view in views_old:
            key = view.name.lower()
            if key in drop_views:
                continue
            mine = new.entry("view", view.name)
            if mine is None or not same_statement(view.sql, mine.sql) or _mentions(view.sql, affected | set(drop_views)):
                drop_views.append(key)
                changed = True
    gone_views = set(drop_views)
    drop_triggers: list[str] = []
    for trig in old.objects("trigger"):
        key = trig.name.lower()
        on = trig.table.lower()
        if on in gone_tables:
            continue  # goes with its table
        mine = new.entry("trigger", trig.name)
        if (mine is None or not same_statement(trig.sql, mine.sql) or on in reshaped
                or _mentions(trig.sql, affected | gone_views)):
            drop_triggers.append(key)
    drop_indexes: list[str] = []
    for index in old.objects("index"):
        on = index.table.lower()
        if on in gone_tables:
            continue
        mine = new.entry("index", index.name)
        if on in rebuilt and mine is not None and same_statement(index.sql, mine.sql):
            continue  # goes with the old table and is created again after the rebuild
        if mine is None or not same_statement(index.sql, mine.sql):
            drop_indexes.append(index.name.lower())

    steps = plan.steps
    if rename_steps:
        steps += broken_steps + rename_steps
    for key in drop_triggers:
        steps.append(Step(f"DROP TRIGGER IF EXISTS {q(old.entry('trigger', key).name)}"))
    for view in reversed(views_old):
        if view.name.lower() in gone_views:
            steps.append(Step(f"DROP VIEW IF EXISTS {q(view.name)}"))
    for index in old.objects("index"):
        if index.name.lower() in drop_indexes:
            steps.append(Step(f"DROP INDEX IF EXISTS {q(index.name)}"))
    for table in dropped:
        steps.append(Step(f"DROP TABLE IF EXISTS {q(table.name)}",
                          f"DESTROYS DATA: table {table.name} and all its rows are dropped", True, "table"))
    for key in recreated:
        a = old_tables[key]
        steps.append(Step(f"DROP TABLE IF EXISTS {q(a.name)}",
                          f"DESTROYS DATA: virtual table {a.name} changed; it is dropped and created "
                          "again, empty (refill it from its source)", True, "table"))
    for table in sorted(created + [new_tables[k] for k in recreated], key=lambda t: t.order):
        steps.append(Step(_create(table.sql)))
    for key in common:
        if key in native:
            steps += native[key]
            plan.native.append(new_tables[key].name)
        elif key in rebuilt:
            steps += rebuilt[key]
            plan.rebuilt.append(new_tables[key].name)
            if old_tables[key].autoincrement and new_tables[key].autoincrement:
                plan.counters.append(new_tables[key].name)
    new_keys = {t.name.lower() for t in created}
    for index in new.objects("index"):
        on = index.table.lower()
        if on in recreated:
            continue
        if (on in new_keys or on in rebuilt or old.entry("index", index.name) is None
                or index.name.lower() in drop_indexes):
            steps.append(Step(_create(index.sql)))
    for view in new.objects("view"):
        if view.name.lower() in gone_views or old.entry("view", view.name) is None:
            steps.append(Step(_create(view.sql)))
    for trig in new.objects("trigger"):
        key = trig.name.lower()
        on = trig.table.lower()
        if (key in drop_triggers or old.entry("trigger", trig.name) is None
                or on in gone_tables or on in rebuilt):
            steps.append(Step(_create(trig.sql)))
    return plan


def _old_name_of(new_name: str, table_hints: dict[str, str]) -> str:
    return next((o for o, n in table_hints.items() if n.lower() == new_name.lower()), new_name)


def _check_hints(old: Schema, new: Schema, tables: dict[str, str], columns: dict) -> None:
    for old_name, new_name in tables.items():
        if old.table(old_name) is None:
            raise UsageError(f"--rename {old_name}={new_name}: FROM has no table {old_name}")
        if new.table(new_name) is None:
            raise UsageError(f"--rename {old_name}={new_name}: TO has no table {new_name}")
        if old.table(new_name) is not None and new_name.lower() != old_name:
            raise UsageError(f"--rename {old_name}={new_name}: FROM already has a table {new_name}")
    for (table, col_old), col_new in columns.items():
        where = f"--rename {table}.{col_old}={col_new}"
        current = tables.get(table, table)
        from_table = old.table(table) or old.table(_old_name_of(table, tables))
        if from_table is None or new.table(current) is None:
            raise UsageError(f"{where}: no table {table} on both sides")
        if from_table.column(col_old) is None:
            raise UsageError(f"{where}: FROM's {from_table.name} has no column {col_old}")
        if new.table(current).column(col_new) is None:
            raise UsageError(f"{where}: TO's {new.table(current).name} has no column {col_new}")
        if from_table.column(col_new) is not None and col_new.lower() != col_old:
            raise UsageError(f"{where}: FROM's {from_table.name} already has a column {col_new}")


def _suggest_column_renames(plan: SchemaDiff, a: Table, b: Table, hints: dict) -> None:
    if any(table in (a.name.lower(), b.name.lower()) for table, _ in hints):
        return  # the user has said what was renamed here
    gone = [c.name for c in a.columns if b.column(c.name) is None]
    came = [c.name for c in b.columns if a.column(c.name) is None]
    if gone and came:
        plan.warnings.append(
            f"{b.name}: column(s) {', '.join(gone)} vanished and {', '.join(came)} appeared: they are "
            f"dropped and added; if one was renamed, say so with --rename {b.name}.{gone[0]}={came[0]}")


def _apply(schema: Schema, statements: list[str]) -> Schema:
    """``schema`` replayed into an empty in-memory database, ``statements`` run on it, read back."""
    conn = replay(schema)
    try:
        for sql in statements:
            conn.execute(sql)
        return read_model(conn)
    except sqlite3.Error as exc:
        raise UsageError(f"--rename: SQLite refuses the rename: {exc}") from None
    finally:
        conn.close()


def replay(schema: Schema) -> sqlite3.Connection:
    """An empty in-memory database with ``schema``'s tables, indexes, views and triggers."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    items = [(t.order, t.sql) for t in schema.tables.values() if t.kind != "shadow" and t.sql]
    items += [(e.order, e.sql) for e in schema.entries.values()]
    for _order, sql in sorted(items):
        conn.execute(sql)
    return conn


def _create(sql: str) -> str:
    """TO's CREATE statement as written, with IF NOT EXISTS (as every scaffolded file has)."""
    sql = sql.rstrip().rstrip(";")
    try:
        return if_not_exists(sql)
    except ValueError:  # CREATE TEMP …: kept as written
        return sql


# -- native ALTER -------------------------------------------------------------------------


def _native(a: Table, b: Table, old: Schema, target: Version) -> list[Step] | None:
    """ADD / DROP COLUMN statements that turn ``a`` into ``b``, or ``None`` when only a
    rebuild can (the engine is asked, on an empty copy of the table)."""
    kept = [c for c in a.columns if b.column(c.name) is not None]
    removed = [c for c in a.columns if b.column(c.name) is None]
    added = [c for c in b.columns if a.column(c.name) is None]
    if not removed and not added:
        return None
    if [c.name.lower() for c in b.columns] != [c.name.lower() for c in kept] + [c.name.lower() for c in added]:
        return None
    if removed and (not has("drop-column", target) or not has("drop-column", sqlite3.sqlite_version_info)):
        return None
    if any(not same_column(c, b.column(c.name)) for c in kept):
        return None
    definitions = _column_definitions(b)
    if any(c.name.lower() not in definitions or not _addable(c) for c in added):
        return None
    t = q(b.name)
    steps = [Step(f"ALTER TABLE {t} DROP COLUMN {q(c.name)}",
                  f"DESTROYS DATA: column {b.name}.{c.name} and its values are dropped", True, "column")
             for c in removed]
    steps += [Step(f"ALTER TABLE {t} ADD COLUMN {definitions[c.name.lower()]}") for c in added]
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.execute(a.sql)
        for index in old.objects("index"):
            if index.table.lower() == a.name.lower() and not _mentions(index.sql, {c.name.lower() for c in removed}):
                conn.execute(index.sql)
        for step in steps:
            conn.execute(step.sql)
        result = read_model(conn).table(b.name)
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    if result is None or not same_table(result, b):
        return None
    return steps


def _addable(column: Column) -> bool:
    """What ADD COLUMN refuses only once the table has rows (so an empty copy cannot tell):
    a STORED column, NOT NULL without a default, a default that is not a constant."""
    if column.hidden == 3 or (column.notnull and column.default is None):
        return False
    for tok in tokenize(column.default or ""):
        if tok.kind in ("num", "str", "blob") or (tok.kind == "op" and tok.value in "+-()"):
            continue
        if tok.kind == "word" and tok.value in ("NULL", "TRUE", "FALSE"):
            continue
        return False
    return True


def _column_definitions(table: Table) -> dict[str, str]:
    """Each column's definition as written in the table's CREATE text, by lower-cased name."""
    from .create import split_definition

    try:
        definition = split_definition(table.sql)
    except ValueError:
        return {}
    return {item.name.lower(): item.text for item in definition.items if item.kind == "column"}


# -- rebuild ------------------------------------------------------------------------------


def _rebuild(plan: SchemaDiff, a: Table, b: Table, taken: set[str], column_map: dict[str, str],
             rows) -> list[Step]:
    new_name = "new_" + b.name
    n = 2
    while new_name.lower() in taken:
        new_name, n = f"new_{b.name}_{n}", n + 1
    taken.add(new_name.lower())
    targets, sources = [], []
    if _keeps_rowid(a, b):
        targets.append("rowid")
        sources.append("rowid")
    has_rows = rows(a.name) if rows is not None else None
    for col in b.columns:
        source = a.column(column_map.get(col.name.lower(), col.name))
        if not col.storable:
            continue
        if source is None or not source.storable:
            if col.notnull and col.default is None and has_rows is not False:
                plan.warnings.append(
                    f"{b.name}.{col.name}: a new NOT NULL column without a DEFAULT cannot be filled: "
                    f"the copy fails if {a.name} has rows; give it a DEFAULT, or add it nullable and "
                    "fill it first")
            continue
        expr = q(source.name)
        if b.strict and _type(col.type) != _type(source.type) and _type(col.type) != "ANY":
            expr = f"CAST({expr} AS {col.type})"
        if col.notnull and not source.notnull:
            if col.default is not None:
                expr = f"coalesce({expr}, {_default_value(col.default)})"
            elif has_rows is not False:
                plan.warnings.append(
                    f"{b.name}.{col.name}: becomes NOT NULL without a DEFAULT: the copy fails on rows "
                    "where it is NULL; fill them first or give it a DEFAULT")
        targets.append(q(col.name))
        sources.append(expr)
    lost = [c.name for c in a.columns if c.storable and b.column(c.name) is None
            and c.name.lower() not in {v.lower() for v in column_map.values()}]
    t, nt = q(a.name), q(new_name)
    why = _why_rebuild(a, b)
    steps = [Step(_create(renamed(b.sql, new_name)), f"rebuild {b.name}: {why}")]
    if targets:
        steps.append(Step(f"INSERT INTO {nt} ({', '.join(targets)})\n  SELECT {', '.join(sources)} FROM {t}"))
    if a.autoincrement and b.autoincrement:
        steps.append(Step(f"DELETE FROM sqlite_sequence WHERE name = {quote_string(new_name)}",
                          f"keep {b.name}'s AUTOINCREMENT counter"))
        steps.append(Step(f"INSERT INTO sqlite_sequence (name, seq)\n  SELECT {quote_string(new_name)}, seq "
                          f"FROM sqlite_sequence WHERE name = {quote_string(a.name)}"))
    if lost:
        steps.append(Step(f"DROP TABLE IF EXISTS {t}", f"DESTROYS DATA: the values of {', '.join(lost)} are not copied", True,
                          "values"))
    else:
        steps.append(Step(f"DROP TABLE IF EXISTS {t}"))
    steps.append(Step(f"ALTER TABLE {nt} RENAME TO {q(b.name)}"))
    return steps


def _default_value(default: str) -> str:
    """A column's DEFAULT as an expression: a default written as a bare word or in double
    quotes is a string to SQLite's DDL, but would be a column name in a SELECT (and an error
    where double-quoted strings are off)."""
    tokens = tokenize(default)
    if len(tokens) == 1 and tokens[0].kind in ("id", "word") and tokens[0].value not in (
            "NULL", "TRUE", "FALSE", "CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"):
        return quote_string(tokens[0].value if tokens[0].kind == "id" else tokens[0].text)
    return default if len(tokens) <= 1 else f"({default})"


def _keeps_rowid(a: Table, b: Table) -> bool:
    """Whether the copy must name ``rowid``: both are rowid tables and TO's rowid is not a
    column the copy fills anyway (an INTEGER PRIMARY KEY)."""
    if a.without_rowid or b.without_rowid:
        return False
    names = {c.name.lower() for c in a.columns} | {c.name.lower() for c in b.columns}
    if names & {"rowid", "oid", "_rowid_"}:
        return False
    pk = [c for c in b.columns if c.pk]
    if len(pk) == 1 and _type(pk[0].type) == "INTEGER" and a.column(pk[0].name) is not None:
        return False
    return True


def _why_rebuild(a: Table, b: Table) -> str:
    reasons = []
    for col in b.columns:
        old = a.column(col.name)
        if old is None:
            continue
        if _type(old.type) != _type(col.type):
            reasons.append(f"{col.name} type {old.type or 'none'} -> {col.type or 'none'}")
        if old.notnull != col.notnull:
            reasons.append(f"{col.name} {'NOT NULL' if col.notnull else 'nullable'}")
        if not same_expression(old.default, col.default):
            reasons.append(f"{col.name} default")
        if old.collation != col.collation:
            reasons.append(f"{col.name} collation")
        if old.pk != col.pk:
            reasons.append("primary key")
        if old.hidden != col.hidden or not same_expression(old.generated or None, col.generated or None):
            reasons.append(f"{col.name} generated")
    if a.foreign_keys != b.foreign_keys:
        reasons.append("foreign keys")
    if a.constraints != b.constraints:
        reasons.append("UNIQUE/PRIMARY KEY constraints")
    if not same_expressions(a.checks, b.checks):
        reasons.append("CHECK constraints")
    if a.strict != b.strict:
        reasons.append("STRICT")
    if a.without_rowid != b.without_rowid:
        reasons.append("WITHOUT ROWID")
    if not reasons:
        reasons.append("columns added, dropped or moved where ALTER TABLE cannot")
    seen = []
    for r in reasons:
        if r not in seen:
            seen.append(r)
    return ", ".join(seen) + " (no ALTER TABLE does this)"


def diff_sources(from_source, to_source, *, renames=(), target: Version | None = None) -> SchemaDiff:
    """:func:`plan_diff` between two opened :class:`~.sources.Source` objects."""
    return plan_diff(from_source.schema, to_source.schema, renames=renames, target=target,
                     rows=from_source.has_rows)


__all__ = ["SchemaDiff", "Step", "diff_sources", "format_version", "parse_renames", "plan_diff", "replay"]


def diff_paths(from_path, to_path, *, renames=(), target: Version | None = None) -> SchemaDiff:
    """``schema diff FROM TO``: each a migrations folder, a database file or a ``.sql`` file."""
    from .sources import open_source

    first = open_source(from_path)
    try:
        second = open_source(to_path, check_views=False)
        try:
            return diff_sources(first, second, renames=renames, target=target)
        finally:
            second.close()
    finally:
        first.close()
