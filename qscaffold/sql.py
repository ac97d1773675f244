"""Splitting SQL scripts into statements the way SQLite itself reads them.

``sqlite3.complete_statement`` knows string literals, comments and ``CREATE TRIGGER …
BEGIN … END`` bodies, so a script is cut at each ``;`` after which the text so far is a
complete statement. Shared by :meth:`qscaffold.Database.exec` and the linter.
"""

from __future__ import annotations

import sqlite3
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
