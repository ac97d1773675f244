"""The one model of a SQLite schema, read from a connection.

:func:`read_model` reads the ``main`` schema of a connection: tables with their columns
(type, NOT NULL, default, primary-key position, hidden/generated), foreign keys with their
actions, indexes (partial and expression ones included), the automatic indexes of UNIQUE and
PRIMARY KEY constraints, views and triggers from the pragmas; and from the CREATE text what
no pragma shows: CHECK expressions, COLLATE, generated expressions, AUTOINCREMENT, STRICT and
WITHOUT ROWID. Virtual tables are marked as such, and the shadow tables their module keeps
(``docs_data``, ``docs_idx`` … of an FTS5 table ``docs``) as shadows.

Names are keyed lower-cased (SQLite compares ASCII names without case); every object keeps
the name and CREATE text it was written with. qscaffold's own ``metadata`` and
``migration_history`` tables and SQLite's internal tables are left out.

The pragmas are read with one query each for the whole schema (a join of ``sqlite_master``
with the table-valued pragma), not one query per table: on 1,000 tables that is the
difference between reading the schema in a few milliseconds and in tens of them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace

from ..sql import is_word, tokenize
from .create import TableDefinition, split_definition, table_clauses, table_options
from .normalize import normalize_sql
from .quote import always_quoted, if_not_exists, quote_string

IGNORED_TABLES = frozenset({"metadata", "migration_history", "sqlite_sequence"})
# The shadow tables SQLite's own virtual-table modules keep, by name suffix (for libraries
# older than 3.37, whose PRAGMA table_list would say "shadow").
SHADOW_SUFFIXES = ("_data", "_idx", "_content", "_docsize", "_config", "_segments", "_segdir",
                   "_stat", "_node", "_rowid", "_parent")


@dataclass(frozen=True)
class Column:
    """A column: the pragma facts (type upper-cased, default trimmed) and what only the
    CREATE TABLE text shows."""

    name: str
    type: str
    notnull: bool
    default: str | None
    pk: int  # position in the primary key, 0 when not part of it
    hidden: int  # 0 normal, 1 hidden (virtual tables), 2 generated VIRTUAL, 3 generated STORED
    collation: str = ""  # COLLATE of the column definition, "" for the default (BINARY)
    generated: str = ""  # normalised expression of a generated column
    autoincrement: bool = False
    declared_type: str = field(default="", compare=False, repr=False)  # the type as written

    def describe(self) -> str:
        parts = [self.type or "no type", "NOT NULL" if self.notnull else "nullable",
                 f"default {self.default}" if self.default is not None else "no default"]
        if self.pk:
            parts.append(f"primary key #{self.pk}")
        if self.autoincrement:
            parts.append("AUTOINCREMENT")
        if self.collation:
            parts.append(f"COLLATE {self.collation}")
        if self.hidden:
            kind = {1: "hidden", 2: "generated virtual", 3: "generated stored"}.get(self.hidden, "hidden")
            parts.append(f"{kind} as ({self.generated})" if self.generated else kind)
        return ", ".join(parts)

    def shape(self) -> tuple:
        return (self.type, self.notnull, self.default, self.pk, self.hidden, self.collation,
                self.generated, self.autoincrement)

    @property
    def is_generated(self) -> bool:
        return self.hidden in (2, 3)

    @property
    def storable(self) -> bool:
        """Whether an INSERT can name it (generated and hidden columns are not stored so)."""
        return self.hidden == 0

    @property
    def has_default(self) -> bool:
        return self.default is not None and self.default.strip().upper() != "NULL"


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    to: tuple[str | None, ...]
    on_update: str
    on_delete: str
    match: str

    def describe(self, table: str) -> str:
        target = f"{self.table}({', '.join(c or '<primary key>' for c in self.to)})"
        text = f"foreign key {table}({', '.join(self.columns)}) → {target}"
        for word, action in (("on update", self.on_update), ("on delete", self.on_delete)):
            if action and action.upper() != "NO ACTION":
                text += f" {word} {action.lower()}"
        return text


@dataclass(frozen=True)
class Index:
    name: str = field(compare=False)  # as written; the key is the lower-cased name
    table: str
    unique: bool
    origin: str  # "c" CREATE INDEX, "u" UNIQUE constraint, "pk" PRIMARY KEY
    partial: bool
    columns: tuple[tuple[str, bool, str], ...]  # (column or <expression>, descending, collation)
    where: str | None  # normalised WHERE of a partial index
    sql: str = field(default="", compare=False, repr=False)  # as written

    def column_list(self) -> str:
        return ", ".join(name + (" DESC" if desc else "") for name, desc, _ in self.columns)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    foreign_keys: frozenset[ForeignKey]
    constraints: frozenset[tuple]  # unnamed UNIQUE / PRIMARY KEY indexes: (origin, unique, columns)
    without_rowid: bool
    strict: bool
    checks: frozenset[str] = frozenset()  # CHECK expressions, as written (normalised)
    kind: str = "table"  # "table", "virtual" or "shadow" (kept by a virtual table's module)
    sql: str = field(default="", compare=False, repr=False)  # the CREATE text as written
    order: int = field(default=0, compare=False, repr=False)  # creation order (rowid)
    indexes: tuple[Entry, ...] = field(default=(), compare=False, repr=False)  # with SQL, in order

    def column(self, name: str) -> Column | None:
        wanted = name.lower()
        return next((c for c in self.columns if c.name.lower() == wanted), None)

    @property
    def autoincrement(self) -> bool:
        return any(c.autoincrement for c in self.columns) or (
            "AUTOINCREMENT" in self.sql.upper() and any(is_word(t, "AUTOINCREMENT") for t in tokenize(self.sql)))

    @property
    def virtual(self) -> bool:
        return self.kind == "virtual"

    @property
    def definition(self) -> TableDefinition:
        """The CREATE text split into its items, kept verbatim (for rebuilds)."""
        return split_definition(self.sql)

    @property
    def storable_columns(self) -> list[Column]:
        """Columns an INSERT can name (generated ones are computed)."""
        return [c for c in self.columns if c.storable]


@dataclass(frozen=True)
class Entry:
    """A view, trigger or index as ``sqlite_master`` holds it."""

    type: str
    name: str
    table: str  # tbl_name, as written
    sql: str
    order: int  # rowid: creation order

    @property
    def tbl_name(self) -> str:
        return self.table

    @property
    def recreate_sql(self) -> str:
        return if_not_exists(self.sql)


@dataclass(frozen=True)
class Schema:
    """The user-visible structure of one database, keyed by lower-cased name."""

    tables: dict[str, Table]
    indexes: dict[str, Index]
    views: dict[str, tuple[str, str]]  # name -> (display name, normalised SQL)
    triggers: dict[str, tuple[str, str, str]]  # name -> (display name, table, normalised SQL)
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)  # (type, name) -> as written
    broken_views: frozenset[str] = frozenset()  # views that name something missing
    names: frozenset[str] = frozenset()  # every name in sqlite_master, lower-cased

    def table(self, name: str) -> Table | None:
        return self.tables.get(name.lower())

    def exists(self, name: str) -> bool:
        return name.lower() in self.names

    def index(self, name: str) -> Entry | None:
        return self.entry("index", name)

    @property
    def all_objects(self) -> list[Entry]:
        """Every index with SQL, view and trigger, in creation order."""
        return sorted(self.entries.values(), key=lambda e: e.order)

    @property
    def foreign_keys(self) -> list[tuple[str, str, str | None, str]]:
        """``(child table, child column, parent column or None for the key, parent table)``."""
        out = []
        for t in sorted(self.tables.values(), key=lambda t: t.order):
            for fk in sorted(t.foreign_keys, key=lambda f: (f.table, f.columns)):
                out += [(t.name, c, to, fk.table) for c, to in zip(fk.columns, fk.to)]
        return out

    def entry(self, kind: str, name: str) -> Entry | None:
        return self.entries.get((kind, name.lower()))

    @property
    def user_tables(self) -> list[Table]:
        """Ordinary and virtual tables (not shadows), in creation order."""
        return sorted((t for t in self.tables.values() if t.kind != "shadow"), key=lambda t: t.order)

    def objects(self, kind: str) -> list[Entry]:
        """Views, triggers or indexes (with SQL) in creation order."""
        return sorted((e for (k, _), e in self.entries.items() if k == kind), key=lambda e: e.order)


def ignored(name: str, bookkeeping: frozenset[str] = IGNORED_TABLES) -> bool:
    lowered = name.lower()
    return lowered in bookkeeping or lowered.startswith("sqlite_")


def bookkeeping_tables(metadata: str = "metadata", history: str = "migration_history") -> frozenset[str]:
    """The tables a schema leaves out: the runner's two (as a project names them) and SQLite's."""
    return frozenset({metadata.lower(), history.lower(), "sqlite_sequence"})


def read_model(conn: sqlite3.Connection, *, check_views: bool = False,
               only: set[str] | frozenset[str] | None = None,
               bookkeeping: frozenset[str] = IGNORED_TABLES) -> Schema:
    """Read the structure of the ``main`` schema of ``conn`` (nothing is written).

    ``bookkeeping``: the tables left out, lower-cased (:func:`bookkeeping_tables` for a
    project that names the runner's tables otherwise).

    With ``check_views``, each view is also prepared once, to tell views that name a missing
    table or column (:attr:`Schema.broken_views`). With ``only`` (lower-case names), just the
    objects of those names and the indexes and triggers of those tables are read: ``verify``
    reads again only what a step wrote.
    """
    where, tables_where = "", ""
    if only is not None:
        names = ", ".join(quote_string(n) for n in sorted(only)) or "NULL"
        where = f" WHERE lower(name) IN ({names}) OR lower(tbl_name) IN ({names})"
        tables_where = f" AND lower(m.name) IN ({names})"
    rows = conn.execute(
        f"SELECT type, name, tbl_name, sql, rowid FROM main.sqlite_master{where} ORDER BY type, name"
    ).fetchall()
    kinds = _table_kinds(conn, rows)
    columns = _grouped(conn, "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden "
                             "FROM main.sqlite_master m, pragma_table_xinfo(m.name) p "
                             f"WHERE m.type = 'table'{tables_where} ORDER BY m.name, p.cid")
    fk_rows = _grouped(conn, 'SELECT m.name, p.id, p.seq, p."table", p."from", p."to", p.on_update, '
                             "p.on_delete, p.match FROM main.sqlite_master m, pragma_foreign_key_list(m.name) p "
                             f"WHERE m.type = 'table'{tables_where} ORDER BY m.name, p.id, p.seq")
    index_rows = _grouped(conn, 'SELECT m.name, p.name, p."unique", p.origin, p.partial '
                                "FROM main.sqlite_master m, pragma_index_list(m.name) p "
                                f"WHERE m.type = 'table'{tables_where} ORDER BY m.name, p.seq")
    key_rows = _grouped(conn, "SELECT i.name, p.cid, p.name, p.desc, p.coll FROM main.sqlite_master m, "
                              "pragma_index_list(m.name) i, pragma_index_xinfo(i.name) p "
                              f"WHERE m.type = 'table'{tables_where} AND p.key ORDER BY m.name, i.name, p.seqno")
    tables: dict[str, Table] = {}
    indexes: dict[str, Index] = {}
    views: dict[str, tuple[str, str]] = {}
    triggers: dict[str, tuple[str, str, str]] = {}
    entries: dict[tuple[str, str], Entry] = {}
    index_sql = {name.lower(): sql for kind, name, _t, sql, _r in rows if kind == "index"}
    for kind, name, table, sql, rowid in rows:
        if kind == "table" and not ignored(name, bookkeeping):
            tables[name.lower()] = _table(name, sql, rowid, kinds.get(name.lower(), "table"),
                                          columns.get(name, ()), fk_rows.get(name, ()),
                                          index_rows.get(name, ()), key_rows, indexes, index_sql)
        elif kind == "view":
            views[name.lower()] = (name, normalize_sql(sql))
            entries[("view", name.lower())] = Entry(kind, name, table, sql, rowid)
        elif kind == "trigger" and not ignored(table, bookkeeping):
            triggers[name.lower()] = (name, table.lower(), normalize_sql(sql))
            entries[("trigger", name.lower())] = Entry(kind, name, table, sql, rowid)
        elif kind == "index" and sql is not None and not ignored(table, bookkeeping):
            entries[("index", name.lower())] = Entry(kind, name, table, sql, rowid)
    by_table: dict[str, list[Entry]] = {}
    for (kind, _key), entry in sorted(entries.items(), key=lambda item: item[1].order):
        if kind == "index":
            by_table.setdefault(entry.table.lower(), []).append(entry)
    for key, found in by_table.items():
        if key in tables:
            tables[key] = replace(tables[key], indexes=tuple(found))
    broken = frozenset(_broken_views(conn, views)) if check_views else frozenset()
    names = frozenset(name.lower() for _k, name, _t, _s, _r in rows)
    return Schema(tables, indexes, views, triggers, entries, broken, names)


# The name verify has always used for it.
snapshot = read_model


def _grouped(conn: sqlite3.Connection, query: str) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    try:
        rows = conn.execute(query).fetchall()
    except sqlite3.Error:  # a virtual table whose module this library lacks: read one by one
        return _grouped_one_by_one(conn, query)
    for row in rows:
        out.setdefault(row[0], []).append(row[1:])
    return out


def _grouped_one_by_one(conn: sqlite3.Connection, query: str) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    one = query.replace("WHERE m.type = 'table'", "WHERE m.type = 'table' AND m.name = ?")
    for (name,) in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'").fetchall():
        try:
            rows = conn.execute(one, (name,)).fetchall()
        except sqlite3.Error:
            continue
        for row in rows:
            out.setdefault(row[0], []).append(row[1:])
    return out


def _table_kinds(conn: sqlite3.Connection, rows) -> dict[str, str]:
    """``"virtual"`` or ``"shadow"`` by lower-cased table name (ordinary tables absent)."""
    kinds: dict[str, str] = {}
    virtual = [name for kind, name, _t, sql, _r in rows
               if kind == "table" and sql and sql.lstrip()[:14].upper() == "CREATE VIRTUAL"]
    for name in virtual:
        kinds[name.lower()] = "virtual"
    try:  # PRAGMA table_list knows shadow tables from SQLite 3.37
        for name, type_ in conn.execute("SELECT name, type FROM pragma_table_list WHERE schema = 'main'"):
            if type_ == "shadow":
                kinds[name.lower()] = "shadow"
        return kinds
    except sqlite3.Error:
        pass
    for kind, name, _t, _sql, _r in rows:
        if kind == "table" and any(name.lower() == v.lower() + s for v in virtual for s in SHADOW_SUFFIXES):
            kinds[name.lower()] = "shadow"
    return kinds


def _table(name: str, sql: str | None, rowid: int, kind: str, column_rows, fk_rows, index_rows,
           key_rows: dict, indexes: dict, index_sql: dict) -> Table:
    checks, extras = table_clauses(sql)
    without_rowid, strict = table_options(sql) if kind != "virtual" else (False, False)
    columns = tuple(
        Column(col, (type_ or "").upper(), bool(notnull), None if default is None else str(default).strip(),
               pk, hidden, **extras.get(col.lower(), {}), declared_type=type_ or "")
        for col, type_, notnull, default, pk, hidden in column_rows
    )
    grouped: dict[int, list] = {}
    for row in fk_rows:
        grouped.setdefault(row[0], []).append(row)
    foreign_keys = frozenset(
        ForeignKey(tuple(r[3].lower() for r in fk), fk[0][2].lower(),
                   tuple(r[4].lower() if r[4] else None for r in fk), fk[0][5], fk[0][6], fk[0][7])
        for fk in grouped.values()
    )
    constraints = set()
    for index, unique, origin, partial in index_rows:
        cols = tuple(
            ("<expression>" if cid == -2 else (col or "").lower(), bool(desc), (coll or "").upper())
            for cid, col, desc, coll in key_rows.get(index, ())
        )
        if index.lower().startswith("sqlite_autoindex_"):
            constraints.add((origin, bool(unique), cols))
            continue
        sql_text = index_sql.get(index.lower())
        where = None
        if partial and sql_text:
            normalized = normalize_sql(sql_text)
            where = normalized.split(" where ", 1)[1] if " where " in normalized else normalized
        indexes[index.lower()] = Index(index, name.lower(), bool(unique), origin, bool(partial),
                                       cols, where, sql_text or "")
    return Table(name, columns, foreign_keys, frozenset(constraints), without_rowid, strict,
                 checks=checks, kind=kind, sql=sql or "", order=rowid)


def _broken_views(conn: sqlite3.Connection, views: dict) -> list[str]:
    out = []
    for key, (name, _sql) in views.items():
        try:
            conn.execute(f"SELECT * FROM main.{always_quoted(name)} LIMIT 0").fetchall()
        except sqlite3.Error:
            out.append(key)
    return out


def read_columns(conn: sqlite3.Connection, table: str) -> list[Column]:
    """``table``'s columns as ``PRAGMA table_xinfo`` reports them, in order."""
    row = conn.execute("SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = ?",
                       (table,)).fetchone()
    _checks, extras = table_clauses(row[0] if row else None)
    return [
        Column(r[1], (r[2] or "").upper(), bool(r[3]), None if r[4] is None else str(r[4]).strip(), r[5], r[6],
               **extras.get(r[1].lower(), {}), declared_type=r[2] or "")
        for r in conn.execute("SELECT * FROM pragma_table_xinfo(?)", (table,))
    ]
