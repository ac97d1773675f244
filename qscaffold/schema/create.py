"""The one reader of ``CREATE TABLE`` text, on the one tokenizer (:mod:`qscaffold.sql`).

A table's definition is split at its top-level commas into items (column definitions and
table constraints), kept verbatim so a rebuild keeps every type, key, constraint, default,
collation and foreign key exactly as written. :func:`table_clauses` reads what no pragma
shows: CHECK expressions, and per column its COLLATE, generated expression and
AUTOINCREMENT; :func:`table_options` reads STRICT and WITHOUT ROWID.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..sql import Token, at, close_paren, is_op, is_word, split_top, tokenize
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
    tokens = tokenize(sql) if sql else ()
    start = next((k for k, t in enumerate(tokens) if is_op(t, "(")), None)
    if start is None:
        return frozenset(), {}
    checks: set[str] = set()
    columns: dict[str, dict] = {}
    for part in split_top(tokens[start + 1 : close_paren(tokens, start)]):
        if not part:
            continue
        words = [normal(t) for t in part]
        is_column = words[0] not in _LOWER_TABLE_CONSTRAINT_WORDS
        info = {"collation": "", "generated": "", "autoincrement": False}
        i, depth = 0, 0
        while i < len(part):
            word = words[i]
            if word == "(":
                depth += 1
            elif word == ")":
                depth -= 1
            elif depth == 0 and word == "check" and i + 1 < len(part) and words[i + 1] == "(":
                end = close_paren(part, i + 1)
                checks.add(display(words[i + 2 : end]))
                i = end + 1
                continue
            elif depth == 0 and is_column and word == "collate" and i + 1 < len(part):
                info["collation"] = words[i + 1].strip('"').upper()
            elif depth == 0 and is_column and word == "as" and i + 1 < len(part) and words[i + 1] == "(":
                end = close_paren(part, i + 1)
                info["generated"] = display(words[i + 2 : end])
                i = end + 1
                continue
            elif depth == 0 and is_column and word == "autoincrement":
                info["autoincrement"] = True
            i += 1
        if is_column:
            columns[words[0].strip('"').lower()] = info
    return frozenset(checks), columns


_LOWER_TABLE_CONSTRAINT_WORDS = frozenset(w.lower() for w in _TABLE_CONSTRAINT_WORDS)


def table_options(sql: str | None) -> tuple[bool, bool]:
    """``(WITHOUT ROWID, STRICT)`` of a CREATE TABLE, read after its closing parenthesis."""
    tokens = tokenize(sql) if sql else ()
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
