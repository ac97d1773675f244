"""The one identifier quoter: how qscaffold writes a name or a string into SQL."""

from __future__ import annotations

import re

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
_CREATE_PREFIX_RE = re.compile(r"^\s*CREATE\s+(?:UNIQUE\s+|VIRTUAL\s+)?(?:INDEX|VIEW|TRIGGER|TABLE)\s+", re.I)


def quote_identifier(name: str) -> str:
    """``name`` as SQL: bare when it can be, else in double quotes (``"order"``, ``"my col"``)."""
    if _BARE_RE.match(name) and name.upper() not in KEYWORDS:
        return name
    return always_quoted(name)


def always_quoted(name: str) -> str:
    """``name`` in double quotes, whatever it is (``"users"``)."""
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
