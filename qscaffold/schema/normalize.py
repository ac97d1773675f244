"""SQL text made comparable: comments, blank space, the case of keywords and identifiers,
identifier quoting and ``IF NOT EXISTS`` never count; string literals are kept as written.

This is the fast comparison. Where two normalised texts still differ, the schema diff asks
sqlglot whether they parse to the same tree (:mod:`qscaffold.schema.expressions`).
"""

from __future__ import annotations

import re

from ..sql import Token, tokenize

_BARE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def normalize_sql(sql: str | None) -> str:
    """SQL with comments, case of keywords and identifiers, quoting of identifiers, blank
    space and ``IF NOT EXISTS`` made irrelevant; string literals are kept as written."""
    text = " ".join(normal_tokens(sql))
    text = text.replace(" if not exists ", " ")
    return text.rstrip(" ;")


def normal_tokens(sql: str | None) -> list[str]:
    """The tokens of ``sql``: comments and blanks dropped, words and identifiers lower-cased
    and unquoted (unless they need quotes), string literals kept."""
    return [normal(t) for t in tokenize(sql)] if sql else []


def normal(tok: Token) -> str:
    """A token as it counts for comparison: SQLite folds the case of ASCII letters only."""
    if tok.kind == "id":
        return tok.value.lower() if _BARE_NAME.fullmatch(tok.value) else f'"{tok.value}"'
    if tok.kind == "word" or (tok.kind == "num" and tok.text[:2] in ("0x", "0X")):
        return tok.text.translate(_ASCII_LOWER)
    if tok.kind == "blob":
        return f"x'{tok.value}'"
    return tok.text


def display(tokens: list[str]) -> str:
    """Normalised tokens joined the way a person writes them: ``lower(a), (b)``."""
    text = " ".join(tokens)
    return re.sub(r"\s*,", ",", re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", text)))


def unwrap(text: str) -> str:
    """Normalised text without parentheses around all of it: ``(0)`` → ``0``."""
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for k, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and k < len(text) - 1:
                return text
        text = text[1:-1].strip()
    return text
