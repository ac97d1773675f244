"""Rebuild plans for ``qscaffold new``: tables split into items, their indexes,
triggers and views, what references a column, and the plans that drop or restore one.

Everything here reads the one schema model (:mod:`.model`, read from a connection that is
never written to) and returns plain data: lists of SQL statements that a migration file
then runs. A table is rebuilt
from its own ``CREATE TABLE`` text in ``sqlite_master``, split at top-level commas, so the
other columns keep their types, keys, constraints, defaults, collations and foreign keys
exactly as written.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from ..errors import UsageError
from ..sql import Token, close_paren, depth_map, is_op, is_word, split_top, tokenize
from .create import Item, TableDefinition, split_definition
from .features import FEATURES, Version
from .model import Column, Entry, Schema, Table, read_columns, read_model  # noqa: F401
from .quote import if_not_exists, quote_identifier

NATIVE_DROP_COLUMN: Version = FEATURES["drop-column"]

# -- names ------------------------------------------------------------------------------


def names_in(sql: str) -> set[str]:
    """Every identifier-like token of ``sql``, lower-cased (keywords included)."""
    return {t.name.lower() for t in tokenize(sql) if t.is_identifier}


def mentions(sql: str, name: str) -> bool:
    """Whether ``sql`` names ``name`` (as a bare or quoted identifier, case-insensitively)."""
    return name.lower() in names_in(sql)


# -- reading a schema -------------------------------------------------------------------


# The plans read the one schema model (:mod:`.model`); these are its names for them.
SchemaObject = Entry
read_schema = read_model


def index_columns(index_sql: str) -> list[str]:
    """The column names of an index's key, from its SQL (expressions give ``""``)."""
    tokens = tokenize(index_sql)
    on = next((k for k, t in enumerate(tokens) if is_word(t, "ON")), None)
    if on is None:
        return []
    open_at = next((k for k in range(on + 2, len(tokens)) if is_op(tokens[k], "(")), None)
    if open_at is None:
        return []
    out = []
    for part in split_top(tokens[open_at + 1 : close_paren(tokens, open_at)]):
        rest = part[1:]
        while rest and is_word(rest[0], "ASC", "DESC", "COLLATE"):
            rest = rest[2:] if is_word(rest[0], "COLLATE") else rest[1:]
        simple = bool(part) and part[0].is_identifier and not rest
        out.append(part[0].name if simple else "")
    return out


def _has_where(index_sql: str) -> bool:
    tokens = tokenize(index_sql)
    return any(depth == 0 and is_word(t, "WHERE") for t, depth in zip(tokens, depth_map(tokens)))


# -- dependents -------------------------------------------------------------------------


@dataclass
class Dependents:
    """Views and triggers that must be dropped and recreated around a rebuild of a table."""

    views: list[SchemaObject]
    triggers: list[SchemaObject]  # every trigger on the table or naming it or an affected view

    @property
    def all(self) -> list[SchemaObject]:
        return sorted(self.views + self.triggers, key=lambda o: o.order)


def dependents(schema: Schema, table: str) -> Dependents:
    """Views that read ``table`` (directly or through other views) and the triggers that are
    on it or name it or one of those views."""
    affected = {table.lower()}
    views: list[SchemaObject] = []
    changed = True
    while changed:
        changed = False
        for obj in schema.all_objects:
            if obj.type == "view" and obj not in views and names_in(obj.sql) & affected:
                views.append(obj)
                affected.add(obj.name.lower())
                changed = True
    triggers = [
        o for o in schema.all_objects
        if o.type == "trigger" and (o.tbl_name.lower() in affected or names_in(o.sql) & affected)
    ]
    return Dependents(sorted(views, key=lambda o: o.order), triggers)


# -- plans ------------------------------------------------------------------------------


@dataclass
class Plan:
    """The statements of a migration's up and down, and what the file should say about them."""

    strategy: str  # "native" or "rebuild"
    up: list[str]
    down: list[str]
    notes: list[str] = field(default_factory=list)  # comments for the file
    sequence_table: str | None = None  # AUTOINCREMENT table whose counter must be kept


def rebuild(table: Table, schema: Schema, *, items: list[Item], copy: list[tuple[str, str]],
            keep_index) -> list[str]:
    """The rebuild of ``table`` into a table made of ``items`` (rows copied by column name:
    ``copy`` is ``[(target column SQL, source expression SQL)]``), then its indexes (those
    ``keep_index`` accepts), triggers and views recreated.

    Never renames the old table away (child foreign keys would follow it); views and the
    triggers that name the table are dropped first, since renaming the new table into place
    re-checks the whole schema.
    """
    definition = table.definition
    deps = dependents(schema, table.name)
    new_name = "new_" + table.name
    if schema.exists(new_name):
        raise UsageError(f"{table.name}: a table rebuild needs the name {new_name!r}, which is taken")
    t = quote_identifier(table.name)
    n = quote_identifier(new_name)
    statements: list[str] = []
    for trig in deps.triggers:
        if trig.tbl_name.lower() != table.name.lower():
            statements.append(f"DROP TRIGGER IF EXISTS {quote_identifier(trig.name)}")
    for view in reversed(deps.views):
        statements.append(f"DROP VIEW IF EXISTS {quote_identifier(view.name)}")
    statements.append(definition.render(new_name, items))
    targets = ", ".join(c for c, _ in copy)
    sources = ", ".join(s for _, s in copy)
    statements.append(f"INSERT INTO {n} ({targets})\nSELECT {sources}\nFROM {t}")
    statements.append(f"DROP TABLE IF EXISTS {t}")
    statements.append(f"ALTER TABLE {n} RENAME TO {t}")
    statements += [ix.recreate_sql for ix in table.indexes if keep_index(ix)]
    statements += [o.recreate_sql for o in deps.views]
    statements += [o.recreate_sql for o in deps.triggers]
    return statements


def _placeholder(type_text: str) -> str:
    """A value of the column's affinity, for a NOT NULL column that has no default."""
    t = type_text.upper()
    if "INT" in t:
        return "0"
    if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
        return "''"
    if not t or "BLOB" in t:
        return "X''"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "0.0"
    return "0"


def restore_plan(table: Table, schema: Schema, missing: Column | None = None) -> list[str]:
    """Rebuild ``table`` back into its current definition (for a down). Every current column
    is copied by name, except ``missing`` (a column the table will lack by then): it gets its
    default, or NULL, or a placeholder of its type when it is NOT NULL without a default."""
    copy = []
    for c in table.storable_columns:
        if missing is not None and c.name.lower() == missing.name.lower():
            if c.notnull and not c.has_default:
                copy.append((quote_identifier(c.name), _placeholder(c.type)))
            continue
        copy.append((quote_identifier(c.name), quote_identifier(c.name)))
    return rebuild(table, schema, items=table.definition.items, copy=copy, keep_index=lambda ix: True)


def restored_as(column: Column) -> str:
    """What a column put back by :func:`restore_plan` holds in every row."""
    if column.is_generated:
        return "its computed value"
    if column.has_default:
        return f"its default, {column.default}"
    if column.notnull:
        return f"{_placeholder(column.type)}, a placeholder for this NOT NULL column without a default"
    return "NULL"


def _native_allowed_by_engine(schema_sql: list[str], drops: list[str], table: str, column: str) -> bool:
    """Whether this SQLite accepts the DROP COLUMN on an empty copy of the schema."""
    if sqlite3.sqlite_version_info < NATIVE_DROP_COLUMN:
        return True  # cannot ask; the static checks decided
    scratch = sqlite3.connect(":memory:")
    try:
        for sql in schema_sql:
            scratch.execute(sql)
        for sql in drops:
            scratch.execute(sql)
        scratch.execute(f"ALTER TABLE {quote_identifier(table)} DROP COLUMN {quote_identifier(column)}")
        return True
    except sqlite3.Error:
        return False
    finally:
        scratch.close()


def schema_ddl(conn: sqlite3.Connection) -> list[str]:
    """The CREATE statements of ``conn``'s main schema, in creation order."""
    return [
        r[0] for r in conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY rowid"
        )
    ]


def drop_column_plan(schema: Schema, table_name: str, column_name: str, target: Version,
                     ddl: list[str] | None = None) -> Plan:
    """How to drop ``column_name`` from ``table_name`` and put it back.

    Native ``ALTER TABLE … DROP COLUMN`` where the target SQLite has it and it is legal for
    this column (indexes only on the column are dropped first); otherwise the rebuild. Raises
    :class:`UsageError` when the column is used in a way no rebuild can keep.
    """
    table = schema.table(table_name)
    if table is None:
        raise UsageError(f"{table_name}: no such table")
    column = table.column(column_name)
    if column is None:
        raise UsageError(f"{table.name}.{column_name}: no such column")
    where = f"{table.name}.{column.name}"
    if table.virtual:
        raise UsageError(f"{table.name}: is a virtual table; its columns cannot be dropped")
    if len(table.columns) == 1:
        raise UsageError(f"{where}: is the table's only column; drop the table instead")
    if column.pk:
        raise UsageError(f"{where}: is part of the PRIMARY KEY; a rebuild cannot keep the key without it")
    definition = table.definition
    own = definition.column_item(column.name)
    if own is None:
        raise UsageError(f"{where}: not found in the table's CREATE statement")
    for item in definition.items:
        if item is own:
            continue
        if item.kind == "constraint" and item.uses(column.name):
            raise UsageError(f"{where}: is used by the table constraint `{_short(item.text)}`; "
                             "write this rebuild by hand")
        if item.kind == "column" and item.uses(column.name):
            raise UsageError(f"{where}: is used by column {item.name!r} (`{_short(item.text)}`); "
                             "write this rebuild by hand")
    for child, child_col, parent_col, parent in schema.foreign_keys:
        if parent.lower() == table.name.lower() and parent_col and parent_col.lower() == column.name.lower():
            raise UsageError(f"{where}: is the parent key of the foreign key {child}.{child_col}")
    deps = dependents(schema, table.name)
    for obj in deps.all:
        if mentions(_body(obj), column.name):
            raise UsageError(f"{where}: is used by {obj.type} {obj.name!r}; "
                             f"change or drop that {obj.type} first")

    using = [ix for ix in table.indexes if mentions(_index_body(ix.sql), column.name)]
    only_on_column = [
        ix for ix in using
        if [c.lower() for c in index_columns(ix.sql)] == [column.name.lower()] and not _has_where(ix.sql)
    ]
    unique = own.has_word("UNIQUE") or own.has_word("PRIMARY")
    star_views = [v for v in deps.views if any(is_op(t, "*") for t in tokenize(v.sql))]
    t, c = quote_identifier(table.name), quote_identifier(column.name)
    notes: list[str] = []
    restore = restore_plan(table, schema, missing=column)
    native = (
        target >= NATIVE_DROP_COLUMN
        and not unique
        and len(only_on_column) == len(using)
        and not star_views
        and (ddl is None or _native_allowed_by_engine(
            ddl, [f"DROP INDEX {quote_identifier(ix.name)}" for ix in using], table.name, column.name))
    )
    if native:
        up = [f"DROP INDEX IF EXISTS {quote_identifier(ix.name)}" for ix in using]
        up.append(f"ALTER TABLE {t} DROP COLUMN {c}")
        if using:
            notes.append("the index(es) on the column alone are dropped first and come back in down: "
                         + ", ".join(ix.name for ix in using))
        return Plan("native", up, restore, notes, table.name if table.autoincrement else None)

    items = [i for i in definition.items if i is not own]
    copy = [(quote_identifier(k.name), quote_identifier(k.name))
            for k in table.storable_columns if k.name.lower() != column.name.lower()]
    up = rebuild(table, schema, items=items, copy=copy, keep_index=lambda ix: ix not in using)
    if target < NATIVE_DROP_COLUMN:
        notes.append(f"the target SQLite ({'.'.join(map(str, target))}) has no ALTER TABLE … DROP COLUMN")
    elif unique:
        notes.append("SQLite cannot DROP COLUMN a UNIQUE column")
    if using:
        notes.append("these indexes use the column and are not recreated (down brings them back): "
                     + ", ".join(ix.name for ix in using))
    if star_views:
        notes.append("these views select * and lose the column: " + ", ".join(v.name for v in star_views))
    return Plan("rebuild", up, restore, notes, table.name if table.autoincrement else None)


def _body(obj: SchemaObject) -> str:
    """An object's SQL without its own name (a view named like the column is no use of it)."""
    tokens = tokenize(obj.sql)
    # CREATE VIEW|TRIGGER name …: the name is the third token
    if len(tokens) > 2:
        return obj.sql[: tokens[2].start] + obj.sql[tokens[2].end :]
    return obj.sql


def _index_body(sql: str) -> str:
    tokens = tokenize(sql)
    on = next((k for k, t in enumerate(tokens) if is_word(t, "ON")), 0)
    return sql[tokens[on].end :] if tokens else ""


def _short(text: str, limit: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def column_down_plan(schema: Schema, table_name: str, columns: list[str], target: Version) -> Plan:
    """The down of an ADD COLUMN migration: native DROP COLUMN of each added column (newest
    first) on SQLite 3.35+, else a rebuild into the table's current definition."""
    table = schema.table(table_name)
    t = quote_identifier(table.name)
    if target >= NATIVE_DROP_COLUMN:
        down = [f"ALTER TABLE {t} DROP COLUMN {quote_identifier(c)}" for c in reversed(columns)]
        return Plan("native", [], down)
    notes = [f"the target SQLite ({'.'.join(map(str, target))}) has no ALTER TABLE … DROP COLUMN, "
             "so down rebuilds the table as it was"]
    return Plan("rebuild", [], restore_plan(table, schema), notes,
                table.name if table.autoincrement else None)
