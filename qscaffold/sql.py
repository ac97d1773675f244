"""Reading SQL text the way SQLite does: scripts split into statements, statements into tokens.

``sqlite3.complete_statement`` knows string literals, comments and ``CREATE TRIGGER …
BEGIN … END`` bodies, so a script is cut at each ``;`` after which the text so far is a
complete statement. Shared by :meth:`qscaffold.Database.exec` and the linter.

:func:`tokenize` is the one SQLite tokenizer: the lint rules, the scaffolder's schema
introspection and ``migrate verify`` all read statements through it.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache
from typing import NamedTuple


class Statement(NamedTuple):
    """One statement of a script: its text and where it starts in the script."""

    start: int  # offset of the statement's first token (leading comments skipped)
    text: str  # from the first token up to and including the terminating ';' if any


def skip_trivia(sql: str, pos: int = 0) -> int:
    """Offset of the first character at or after ``pos`` that is not blank or a comment."""
    n = len(sql)
    while pos < n:
        ch = sql[pos]
        if ch.isspace():
            pos += 1
        elif sql.startswith("--", pos):
            nl = sql.find("\n", pos)
            pos = n if nl < 0 else nl + 1
        elif sql.startswith("/*", pos):
            end = sql.find("*/", pos + 2)
            pos = n if end < 0 else end + 2
        else:
            break
    return pos


def split_statements(sql: str) -> list[Statement]:
    """The statements of ``sql``, in order; blank and comment-only pieces are dropped.

    A trailing statement without ``;`` is kept (SQLite runs it too).
    """
    out: list[Statement] = []
    start = 0
    pos = sql.find(";")
    while pos >= 0:
        piece = sql[start : pos + 1]
        if sqlite3.complete_statement(piece):
            _append(out, sql, start, pos + 1)
            start = pos + 1
        pos = sql.find(";", pos + 1)
    _append(out, sql, start, len(sql))
    return out


def _append(out: list[Statement], sql: str, start: int, end: int) -> None:
    first = skip_trivia(sql, start)
    if first >= end or sql[first:end].strip() == ";":
        return
    out.append(Statement(first, sql[first:end].rstrip()))


def first_keywords(text: str, count: int = 2) -> tuple[str, ...]:
    """The first ``count`` bare words of a statement, upper-cased (``("ROLLBACK", "TO")``)."""
    words: list[str] = []
    pos = skip_trivia(text)
    n = len(text)
    while pos < n and len(words) < count:
        end = pos
        while end < n and (text[end].isalnum() or text[end] == "_"):
            end += 1
        if end == pos:
            break
        words.append(text[pos:end].upper())
        pos = skip_trivia(text, end)
    return tuple(words)


# -- tokens ------------------------------------------------------------------------------


class Token(NamedTuple):
    """One SQLite token, with its offsets in the tokenized text."""

    kind: str  # "word", "id" (quoted identifier), "str", "blob", "num", "param", "op"
    text: str  # as written
    value: str  # words upper-cased, identifiers and strings unquoted, blobs their digits, others as written
    start: int
    end: int

    @property
    def name(self) -> str:
        """The name this token spells: a bare word as written, a quoted one unquoted."""
        return self.text if self.kind == "word" else self.value

    @property
    def is_identifier(self) -> bool:
        """A bare word or a quoted identifier (keywords included)."""
        return self.kind in ("word", "id")


_OPS = ("->>", "->", "||", "<=", ">=", "==", "!=", "<>", "<<", ">>")


@lru_cache(maxsize=None)
def _patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """Numbers, words and parameters; compiled on first use (running migrations never
    tokenizes)."""
    return (
        re.compile(r"0[xX][0-9a-fA-F_]+|(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"),
        # A letter, "_" or any non-ASCII character, then those, digits or "$": written as
        # negated ASCII classes, which compile in a fraction of the time of a \u0080- range.
        re.compile(r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f][^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]*"),
        re.compile(r"[?:@$][A-Za-z0-9_]*"),
    )


@lru_cache(maxsize=512)
def tokenize(sql: str) -> tuple[Token, ...]:
    """SQLite tokens of ``sql`` without blanks, comments and trailing ``;`` (never raises).

    Knows ``--`` and ``/* */`` comments, ``'…'`` strings with ``''`` escapes, ``"…"``,
    `` `…` `` and ``[…]`` identifiers, ``x'…'`` blobs, numbers, parameters and the
    multi-character operators. Cached: the same statement is read by many callers.
    """
    num_re, word_re, param_re = _patterns()
    out: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch.isspace() or (ch in "-/" and sql.startswith(("--", "/*"), i)):
            i = skip_trivia(sql, i)
        elif ch in "'\"`[":
            close = "]" if ch == "[" else ch
            j = i + 1
            while j < n:
                if sql[j] == close:
                    if close != "]" and j + 1 < n and sql[j + 1] == close:
                        j += 2
                        continue
                    break
                j += 1
            text = sql[i : j + 1]
            inner = text[1:-1]
            if close != "]":
                inner = inner.replace(close * 2, close)
            out.append(Token("str" if ch == "'" else "id", text, inner, i, j + 1))
            i = j + 1
        elif ch in "xX" and i + 1 < n and sql[i + 1] == "'":
            j = sql.find("'", i + 2)
            j = n - 1 if j < 0 else j
            out.append(Token("blob", sql[i : j + 1], sql[i + 2 : j], i, j + 1))
            i = j + 1
        elif ch.isdigit() or (ch == "." and i + 1 < n and sql[i + 1].isdigit()):
            m = num_re.match(sql, i)
            j = m.end() if m else i + 1
            out.append(Token("num", sql[i:j], sql[i:j], i, j))
            i = j
        elif ch in "?:@$" and (ch == "?" or (i + 1 < n and (sql[i + 1].isalnum() or sql[i + 1] == "_"))):
            j = param_re.match(sql, i).end()
            out.append(Token("param", sql[i:j], sql[i:j], i, j))
            i = j
        else:
            m = word_re.match(sql, i)
            if m:
                out.append(Token("word", m.group(), m.group().upper(), i, m.end()))
                i = m.end()
                continue
            for op in _OPS:
                if sql.startswith(op, i):
                    out.append(Token("op", op, op, i, i + len(op)))
                    i += len(op)
                    break
            else:
                out.append(Token("op", ch, ch, i, i + 1))
                i += 1
    while out and out[-1].value == ";":
        out.pop()
    return tuple(out)


def is_word(tok: Token | None, *words: str) -> bool:
    """A bare word, one of ``words`` (upper-case) when given."""
    return tok is not None and tok.kind == "word" and (not words or tok.value in words)


def is_op(tok: Token | None, *ops: str) -> bool:
    return tok is not None and tok.kind == "op" and tok.value in ops


def at(toks, i: int) -> Token | None:
    """``toks[i]``, or ``None`` out of range."""
    return toks[i] if 0 <= i < len(toks) else None


def close_paren(toks, i: int) -> int:
    """Index of the ``)`` matching the ``(`` at ``i`` (``len(toks)`` when unbalanced)."""
    depth = 0
    for j in range(i, len(toks)):
        if is_op(toks[j], "("):
            depth += 1
        elif is_op(toks[j], ")"):
            depth -= 1
            if depth == 0:
                return j
    return len(toks)


def depth_map(toks) -> list[int]:
    """Parenthesis depth of each token (the parentheses themselves at the outer depth)."""
    out, depth = [], 0
    for tok in toks:
        if is_op(tok, ")"):
            depth -= 1
        out.append(depth)
        if is_op(tok, "("):
            depth += 1
    return out


def split_top(toks, sep: str = ",") -> list[list[Token]]:
    """``toks`` cut at ``sep`` outside parentheses."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in toks:
        if is_op(tok, "("):
            depth += 1
        elif is_op(tok, ")"):
            depth -= 1
        if depth == 0 and is_op(tok, sep):
            parts.append([])
        else:
            parts[-1].append(tok)
    return parts
