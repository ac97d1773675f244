"""The one reader of ``CREATE TABLE`` text, on the one tokenizer (:mod:`qscaffold.sql`).

A table's definition is split at its top-level commas into items (column definitions and
table constraints), kept verbatim so a rebuild keeps every type, key, constraint, default,
collation and foreign key exactly as written. :func:`table_clauses` reads what no pragma
shows: CHECK expressions, and per column its COLLATE, generated expression and
AUTOINCREMENT; :func:`table_options` reads STRICT and WITHOUT ROWID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..sql import Token, at, close_paren, is_op, is_word, split_top, tokenize
from ..sql import Token as Tok
from .normalize import display, normal
from .quote import quote_identifier

_TABLE_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}
_COLUMN_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT",
                            "COLLATE", "REFERENCES", "GENERATED", "AS"}
# What may follow ``REFERENCES parent (cols)``: actions, MATCH name, deferral.
_FOREIGN_KEY_ACTION_WORDS = {"ON", "DELETE", "UPDATE", "SET", "NULL", "DEFAULT", "CASCADE", "RESTRICT",
                             "NO", "ACTION", "MATCH", "NOT", "DEFERRABLE", "INITIALLY", "DEFERRED",
                             "IMMEDIATE"}


def _strip_references(tokens: list[Token]) -> list[Token]:
    """Tokens without ``REFERENCES parent (cols)`` clauses and constraint names: the
    parent's columns are another table's names."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if is_word(tok, "REFERENCES"):
            i += 2  # the keyword and the parent table
            if is_op(at(tokens, i), "("):
                i = close_paren(tokens, i) + 1
            while i < len(tokens) and is_word(tokens[i], *_FOREIGN_KEY_ACTION_WORDS):
                i += 2 if is_word(tokens[i], "MATCH") else 1
            continue
        out.append(tok)
        i += 2 if is_word(tok, "CONSTRAINT", "COLLATE") else 1  # skip the name that follows
    return out


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
            while sig and sig[0].is_identifier and not is_word(sig[0], *_COLUMN_CONSTRAINT_WORDS):
                sig = sig[1:]  # the type's words
        wanted = column.lower()
        return any(t.is_identifier and t.name.lower() == wanted for t in sig)

    def has_word(self, *words: str) -> bool:
        wanted = {w.upper() for w in words}
        return any(t.kind == "word" and t.value in wanted for t in self.tokens)


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
    open_at = next((k for k, t in enumerate(tokens) if is_op(t, "(")), None)
    if open_at is None:
        raise ValueError("CREATE TABLE without a column list")
    close_at = close_paren(tokens, open_at)
    if close_at == len(tokens):
        raise ValueError("CREATE TABLE with an unbalanced column list")
    items = [_item(create_sql, part) for part in split_top(tokens[open_at + 1 : close_at])]
    head = create_sql[: tokens[open_at].end]
    suffix = create_sql[tokens[close_at].end :].rstrip().rstrip(";")
    return TableDefinition(head, [i for i in items if i.text], suffix)


def _item(sql: str, tokens: list[Token]) -> Item:
    if not tokens:
        return Item("", "constraint")
    text = sql[tokens[0].start : tokens[-1].end]
    if is_word(tokens[0], *_TABLE_CONSTRAINT_WORDS):
        return Item(text, "constraint", None, tokens)
    return Item(text, "column", tokens[0].name, tokens)




# -- what only the CREATE text says -----------------------------------------------------


def table_clauses(sql: str | None) -> tuple[frozenset[str], dict[str, dict]]:
    """What the pragmas do not show of a CREATE TABLE: its CHECK expressions, and per column
    its COLLATE, generated expression and AUTOINCREMENT (all normalised)."""
    if not sql or not _CLAUSE_WORDS.search(sql):
        return frozenset(), {}  # nothing to find: most tables, read without tokenizing
    table = parse_create_table(sql)
    if table is None:
        return frozenset(), {}
    checks = {display([normal(t) for t in c.expr]) for c in table.constraints if c.kind == "check"}
    columns: dict[str, dict] = {}
    for col in table.columns:
        info = {"collation": "", "generated": "", "autoincrement": False}
        for c in col.constraints:
            if c.kind == "check":
                checks.add(display([normal(t) for t in c.expr]))
            elif c.kind == "collate" and len(c.toks) > 1:
                info["collation"] = normal(c.toks[1]).strip('"').upper()
            elif c.kind == "generated":
                info["generated"] = display([normal(t) for t in c.expr])
            elif c.kind == "pk" and c.autoincrement:
                info["autoincrement"] = True
        columns[col.name.lower()] = info
    return frozenset(checks), columns


# Cheap pre-checks: a CREATE TABLE without these words has no clause to read (reading 1,000
# tables, skipping the tokenizer for them halves the time of `schema diff`).
_CLAUSE_WORDS = re.compile(r"check|collate|autoincrement|\bas\b|generated", re.I)
_OPTION_WORDS = re.compile(r"strict|rowid", re.I)


def table_options(sql: str | None) -> tuple[bool, bool]:
    """``(WITHOUT ROWID, STRICT)`` of a CREATE TABLE, read after its closing parenthesis."""
    if not sql or not _OPTION_WORDS.search(sql):
        return False, False
    tokens = tokenize(sql)
    start = next((k for k, t in enumerate(tokens) if is_op(t, "(")), None)
    if start is None:
        return False, False
    tail = [t.value for t in tokens[close_paren(tokens, start) + 1 :] if t.kind == "word"]
    return "ROWID" in tail and "WITHOUT" in tail, "STRICT" in tail


def name_span(sql: str) -> tuple[int, int] | None:
    """Offsets of the created object's name, with its schema prefix, in ``CREATE [TEMP]
    TABLE|VIEW|INDEX|TRIGGER [IF NOT EXISTS] [schema.]name`` (``None`` for anything else)."""
    tokens = tokenize(sql)
    i = 1
    while i < len(tokens) and is_word(tokens[i], "TEMP", "TEMPORARY", "UNIQUE", "VIRTUAL"):
        i += 1
    if not is_word(at(tokens, 0), "CREATE") or not is_word(at(tokens, i), "TABLE", "VIEW", "INDEX", "TRIGGER"):
        return None
    i += 1
    if is_word(at(tokens, i), "IF") and is_word(at(tokens, i + 1), "NOT"):
        i += 3
    first = at(tokens, i)
    if is_op(at(tokens, i + 1), "."):
        i += 2
    name = at(tokens, i)
    return (first.start, name.end) if first is not None and name is not None else None


def renamed(sql: str, new_name: str) -> str:
    """A CREATE statement with the created object's name replaced by ``new_name`` (quoted)."""
    span = name_span(sql)
    if span is None:
        raise ValueError(f"not a CREATE statement: {sql[:40]!r}")
    return sql[: span[0]] + quote_identifier(new_name) + sql[span[1]:]


# -- the full reader: every column definition and constraint, as SQLite's parse.y reads them --
#
# SQLite's grammar for CREATE TABLE is small and regular, and sqlglot both accepts forms
# SQLite rejects and mis-parses some that SQLite accepts; so this reader follows parse.y on
# the one tokenizer and keeps the source text of types and expressions. The linter's rules,
# :func:`table_clauses` and :func:`split_definition` all read CREATE TABLE through it.


def is_name(tok: Tok | None) -> bool:
    return tok is not None and tok.kind in ("word", "id", "str")


def name_of(tok: Tok) -> str:
    return tok.name


def words_at(toks, i: int, *words: str) -> bool:
    """Whether the tokens from ``i`` are exactly the bare ``words``."""
    return all(is_word(at(toks, i + k), w) for k, w in enumerate(words))


def source(sql: str, toks) -> str:
    return sql[toks[0].start : toks[-1].end] if toks else ""


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
