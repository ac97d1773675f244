"""Schema introspection for ``qscaffold new``: tables split into items, their indexes,
triggers and views, what references a column, and the plans that drop or restore one.

Everything here reads an open ``sqlite3.Connection`` (never writes to it) and returns
plain data: lists of SQL statements that a migration file then runs. A table is rebuilt
from its own ``CREATE TABLE`` text in ``sqlite_master``, split at top-level commas, so the
other columns keep their types, keys, constraints, defaults, collations and foreign keys
exactly as written.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import NamedTuple

from .errors import UsageError

Version = tuple[int, int, int]
NATIVE_DROP_COLUMN: Version = (3, 35, 0)

# SQLite's keywords (sqlite.org/lang_keywords.html): an identifier spelled like one is quoted.
KEYWORDS = frozenset("""
ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN
BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS
CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED DELETE
DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL
FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP GROUPS HAVING IF IGNORE
IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LAST
LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR
ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE
REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ROWS
SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE
UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT
""".split())

_BARE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}
_COLUMN_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT",
                            "COLLATE", "REFERENCES", "GENERATED", "AS"}
# What may follow ``REFERENCES parent (cols)``: actions, MATCH name, deferral.
_FOREIGN_KEY_ACTION_WORDS = {"ON", "DELETE", "UPDATE", "SET", "NULL", "DEFAULT", "CASCADE", "RESTRICT",
                             "NO", "ACTION", "MATCH", "NOT", "DEFERRABLE", "INITIALLY", "DEFERRED",
                             "IMMEDIATE"}
_CREATE_PREFIX_RE = re.compile(r"^\s*CREATE\s+(?:UNIQUE\s+)?(?:INDEX|VIEW|TRIGGER|TABLE)\s+", re.I)


def quote_identifier(name: str) -> str:
    """``name`` as SQL: bare when it can be, else in double quotes (``"order"``, ``"my col"``)."""
    if _BARE_RE.match(name) and name.upper() not in KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def if_not_exists(create_sql: str) -> str:
    """A ``CREATE INDEX|VIEW|TRIGGER|TABLE`` statement from ``sqlite_master`` with
    ``IF NOT EXISTS`` inserted (SQLite stores these without it)."""
    match = _CREATE_PREFIX_RE.match(create_sql)
    if not match:
        raise ValueError(f"not a CREATE statement: {create_sql[:40]!r}")
    head = match.group(0)
    if re.match(r"IF\s+NOT\s+EXISTS\b", create_sql[match.end():], re.I):
        return create_sql
    return head + "IF NOT EXISTS " + create_sql[match.end():]


# -- tokens -----------------------------------------------------------------------------


class Token(NamedTuple):
    kind: str  # word, quoted, string, number, punct, space, comment
    text: str
    start: int

    @property
    def value(self) -> str:
        """An identifier's name: quotes removed for quoted tokens."""
        if self.kind == "quoted":
            body = self.text[1:-1]
            if self.text[0] == '"':
                return body.replace('""', '"')
            if self.text[0] == "`":
                return body.replace("``", "`")
            return body
        return self.text

    @property
    def is_name(self) -> bool:
        return self.kind in ("word", "quoted")

    @property
    def trivia(self) -> bool:
        return self.kind in ("space", "comment")

    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokenize(sql: str) -> list[Token]:
    """SQLite tokens with their offsets; knows strings, quoted names and both comment forms."""
    tokens: list[Token] = []
    pos, n = 0, len(sql)
    while pos < n:
        ch = sql[pos]
        start = pos
        if ch.isspace():
            while pos < n and sql[pos].isspace():
                pos += 1
            kind = "space"
        elif sql.startswith("--", pos):
            end = sql.find("\n", pos)
            pos = n if end < 0 else end
            kind = "comment"
        elif sql.startswith("/*", pos):
            end = sql.find("*/", pos + 2)
            pos = n if end < 0 else end + 2
            kind = "comment"
        elif ch in "'\"`":
            pos += 1
            while pos < n:
                if sql[pos] == ch:
                    if pos + 1 < n and sql[pos + 1] == ch:
                        pos += 2
                        continue
                    pos += 1
                    break
                pos += 1
            kind = "string" if ch == "'" else "quoted"
        elif ch == "[":
            end = sql.find("]", pos)
            pos = n if end < 0 else end + 1
            kind = "quoted"
        elif ch.isalpha() or ch == "_" or ord(ch) > 127:
            while pos < n and (sql[pos].isalnum() or sql[pos] in "_$" or ord(sql[pos]) > 127):
                pos += 1
            kind = "word"
        elif ch.isdigit() or (ch == "." and pos + 1 < n and sql[pos + 1].isdigit()):
            while pos < n and (sql[pos].isalnum() or sql[pos] == "."):
                pos += 1
            kind = "number"
        else:
            pos += 1
            kind = "punct"
        tokens.append(Token(kind, sql[start:pos], start))
    return tokens


def _significant(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if not t.trivia]


def names_in(sql: str) -> set[str]:
    """Every identifier-like token of ``sql``, lower-cased (keywords included)."""
    return {t.value.lower() for t in tokenize(sql) if t.is_name}


def mentions(sql: str, name: str) -> bool:
    """Whether ``sql`` names ``name`` (as a bare or quoted identifier, case-insensitively)."""
    return name.lower() in names_in(sql)


def _strip_references(tokens: list[Token]) -> list[Token]:
    """Significant tokens without ``REFERENCES parent (cols)`` clauses and constraint names:
    the parent's columns are another table's names."""
    out: list[Token] = []
    sig = _significant(tokens)
    i = 0
    while i < len(sig):
        tok = sig[i]
        word = tok.upper()
        if word == "REFERENCES":
            i += 2  # the keyword and the parent table
            if i < len(sig) and sig[i].text == "(":
                depth = 0
                while i < len(sig):
                    if sig[i].text == "(":
                        depth += 1
                    elif sig[i].text == ")":
                        depth -= 1
                        if depth == 0:
                            i += 1
                            break
                    i += 1
            while i < len(sig) and sig[i].upper() in _FOREIGN_KEY_ACTION_WORDS:
                i += 2 if sig[i].upper() == "MATCH" else 1
            continue
        if word in ("CONSTRAINT", "COLLATE"):
            out.append(tok)
            i += 2  # skip the name that follows
            continue
        out.append(tok)
        i += 1
    return out


# -- table definitions ------------------------------------------------------------------


@dataclass
class Item:
    """One entry of a ``CREATE TABLE (…)`` list: a column definition or a table constraint."""

    text: str
    kind: str  # "column" or "constraint"
    name: str | None = None  # the column's name
    tokens: list[Token] = field(default_factory=list, repr=False)

    def uses(self, column: str) -> bool:
        """Whether this item's expressions or key lists name ``column`` (besides a column
        definition's own name and type, and a foreign key's parent columns)."""
        sig = _strip_references(self.tokens)
        if self.kind == "column":
            sig = sig[1:]  # the name
            while sig and sig[0].is_name and sig[0].upper() not in _COLUMN_CONSTRAINT_WORDS:
                sig = sig[1:]  # the type's words
        wanted = column.lower()
        return any(t.is_name and t.value.lower() == wanted for t in sig)

    def has_word(self, *words: str) -> bool:
        wanted = {w.upper() for w in words}
        return any(t.upper() in wanted for t in self.tokens)


@dataclass
class TableDefinition:
    """``CREATE TABLE name (`` items ``)`` suffix, from ``sqlite_master.sql``."""

    head: str
    items: list[Item]
    suffix: str  # after the closing parenthesis: WITHOUT ROWID, STRICT

    def column_item(self, name: str) -> Item | None:
        wanted = name.lower()
        return next((i for i in self.items if i.kind == "column" and i.name.lower() == wanted), None)

    def render(self, table: str, items: list[Item]) -> str:
        """``CREATE TABLE IF NOT EXISTS table (…)`` with ``items`` kept verbatim."""
        body = ",\n    ".join(item.text for item in items)
        return f"CREATE TABLE IF NOT EXISTS {quote_identifier(table)} (\n    {body}\n){self.suffix}"


def split_definition(create_sql: str) -> TableDefinition:
    """Split a ``CREATE TABLE`` statement's column list at its top-level commas."""
    tokens = tokenize(create_sql)
    open_at = next((k for k, t in enumerate(tokens) if t.text == "("), None)
    if open_at is None:
        raise ValueError("CREATE TABLE without a column list")
    depth = 0
    items: list[Item] = []
    current: list[Token] = []
    close_at = None
    for k in range(open_at, len(tokens)):
        tok = tokens[k]
        if tok.text == "(":
            depth += 1
            if depth == 1:
                continue
        elif tok.text == ")":
            depth -= 1
            if depth == 0:
                close_at = k
                items.append(_item(current))
                break
        elif tok.text == "," and depth == 1:
            items.append(_item(current))
            current = []
            continue
        current.append(tok)
    if close_at is None:
        raise ValueError("CREATE TABLE with an unbalanced column list")
    head = "".join(t.text for t in tokens[: open_at + 1])
    suffix = "".join(t.text for t in tokens[close_at + 1:]).rstrip().rstrip(";")
    return TableDefinition(head, [i for i in items if i.text], suffix)


def _item(tokens: list[Token]) -> Item:
    while tokens and tokens[0].trivia:
        tokens = tokens[1:]
    while tokens and tokens[-1].trivia:
        tokens = tokens[:-1]
    text = "".join(t.text for t in tokens)
    sig = _significant(tokens)
    if not sig:
        return Item("", "constraint")
    if sig[0].upper() in _TABLE_CONSTRAINT_WORDS:
        return Item(text, "constraint", None, tokens)
    return Item(text, "column", sig[0].value, tokens)


# -- reading a schema -------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaObject:
    """A row of ``sqlite_master`` (indexes with SQL, views and triggers)."""

    type: str
    name: str
    tbl_name: str
    sql: str
    order: int  # rowid: creation order

    @property
    def recreate_sql(self) -> str:
        return if_not_exists(self.sql)


@dataclass(frozen=True)
class Column:
    """A column as ``PRAGMA table_xinfo`` reports it."""

    name: str
    type: str
    notnull: bool
    default: str | None
    pk: int
    hidden: int  # 0 plain, 1 hidden (virtual tables), 2/3 generated

    @property
    def generated(self) -> bool:
        return self.hidden in (2, 3)

    @property
    def has_default(self) -> bool:
        return self.default is not None and self.default.strip().upper() != "NULL"


@dataclass
class Table:
    """One table: its CREATE text, columns, and the objects built on it."""

    name: str
    sql: str
    columns: list[Column]
    indexes: list[SchemaObject]  # indexes with SQL (not the automatic ones of UNIQUE/PK)
    virtual: bool = False

    def column(self, name: str) -> Column | None:
        wanted = name.lower()
        return next((c for c in self.columns if c.name.lower() == wanted), None)

    @property
    def autoincrement(self) -> bool:
        return any(t.upper() == "AUTOINCREMENT" for t in tokenize(self.sql))

    @property
    def definition(self) -> TableDefinition:
        return split_definition(self.sql)

    @property
    def storable_columns(self) -> list[Column]:
        """Columns an INSERT can name (generated ones are computed)."""
        return [c for c in self.columns if not c.generated and c.hidden == 0]


@dataclass
class Schema:
    """The tables, indexes, views and triggers of one database (``main``)."""

    tables: dict[str, Table]  # by lower-cased name
    objects: list[SchemaObject]  # every index with SQL, view and trigger, in creation order
    names: set[str]  # every object name, lower-cased
    foreign_keys: list[tuple[str, str, str | None, str]] = field(default_factory=list)
    # (child table, child column, parent column or None for the primary key, parent table)

    def table(self, name: str) -> Table | None:
        return self.tables.get(name.lower())

    def exists(self, name: str) -> bool:
        return name.lower() in self.names

    def index(self, name: str) -> SchemaObject | None:
        wanted = name.lower()
        return next((o for o in self.objects if o.type == "index" and o.name.lower() == wanted), None)


def read_schema(conn: sqlite3.Connection) -> Schema:
    """Everything in ``conn``'s main schema that ``new`` needs, read in one pass."""
    rows = conn.execute(
        "SELECT rowid, type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"
    ).fetchall()
    tables: dict[str, Table] = {}
    objects: list[SchemaObject] = []
    names: set[str] = set()
    for rowid, kind, name, tbl_name, sql in rows:
        names.add(name.lower())
        if kind == "table":
            if name.startswith("sqlite_") or sql is None:
                continue
            columns = [
                Column(r[1], r[2] or "", bool(r[3]), r[4], r[5], r[6])
                for r in conn.execute("SELECT * FROM pragma_table_xinfo(?)", (name,))
            ]
            virtual = sql.upper().lstrip().startswith("CREATE VIRTUAL")
            tables[name.lower()] = Table(name, sql, columns, [], virtual)
        elif sql is not None and kind in ("index", "view", "trigger"):
            objects.append(SchemaObject(kind, name, tbl_name, sql, rowid))
    for obj in objects:
        if obj.type == "index" and obj.tbl_name.lower() in tables:
            tables[obj.tbl_name.lower()].indexes.append(obj)
    fks = []
    for table in tables.values():
        if table.virtual:
            continue
        for r in conn.execute("SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?)",
                              (table.name,)):
            fks.append((table.name, r[1], r[2], r[0]))
    return Schema(tables, objects, names, fks)


def index_columns(index_sql: str) -> list[str]:
    """The column names of an index's key, from its SQL (expressions give ``""``)."""
    tokens = _significant(tokenize(index_sql))
    try:
        on = next(k for k, t in enumerate(tokens) if t.upper() == "ON")
    except StopIteration:
        return []
    depth, parts, current = 0, [], []
    for tok in tokens[on + 2:]:
        if tok.text == "(":
            depth += 1
            if depth == 1:
                continue
        elif tok.text == ")":
            depth -= 1
            if depth == 0:
                parts.append(current)
                break
        elif tok.text == "," and depth == 1:
            parts.append(current)
            current = []
            continue
        current.append(tok)
    out = []
    for part in parts:
        rest = part[1:]
        while rest and rest[0].upper() in ("ASC", "DESC", "COLLATE"):
            rest = rest[2:] if rest[0].upper() == "COLLATE" else rest[1:]
        simple = bool(part) and part[0].is_name and not rest
        out.append(part[0].value if simple else "")
    return out


def _has_where(index_sql: str) -> bool:
    depth = 0
    for tok in _significant(tokenize(index_sql)):
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
        elif depth == 0 and tok.upper() == "WHERE":
            return True
    return False


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
        for obj in schema.objects:
            if obj.type == "view" and obj not in views and names_in(obj.sql) & affected:
                views.append(obj)
                affected.add(obj.name.lower())
                changed = True
    triggers = [
        o for o in schema.objects
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
    if column.generated:
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
    star_views = [v for v in deps.views if any(t.text == "*" for t in tokenize(v.sql))]
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
    sig = [k for k, t in enumerate(tokens) if not t.trivia]
    # CREATE VIEW|TRIGGER name …: the name is the third significant token
    if len(sig) > 2:
        tokens = tokens[: sig[2]] + tokens[sig[2] + 1:]
    return "".join(t.text for t in tokens)


def _index_body(sql: str) -> str:
    tokens = tokenize(sql)
    on = next((k for k, t in enumerate(tokens) if t.upper() == "ON"), 0)
    return "".join(t.text for t in tokens[on + 1:])


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
