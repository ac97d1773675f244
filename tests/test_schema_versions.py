"""The diff's SQL on apsw's SQLite (3.54.1, double-quoted strings off as in strict builds):
native ALTERs the target allows, and rebuilds, give TO's structure with every row."""

from __future__ import annotations

import apsw
import pytest
from _schema_support import schema_of

from qscaffold.schema.diff import plan_diff
from qscaffold.schema.model import read_model
from qscaffold.sql import split_statements

TARGET = tuple(int(p) for p in apsw.sqlite_lib_version().split("."))


def engine() -> apsw.Connection:
    conn = apsw.Connection(":memory:")
    conn.config(apsw.SQLITE_DBCONFIG_DQS_DDL, 1)  # the schema texts below may use "" for strings
    conn.config(apsw.SQLITE_DBCONFIG_DQS_DML, 0)  # ... but no statement the diff writes may
    return conn


def apply(conn: apsw.Connection, script: str) -> None:
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("BEGIN IMMEDIATE")
    for statement in split_statements(script):
        conn.execute(statement.text)
    assert list(conn.execute("PRAGMA foreign_key_check")) == []
    conn.execute("COMMIT")


@pytest.mark.parametrize("from_sql, to_sql, rows, native, check", [
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, gone TEXT);",
     "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
     "INSERT INTO t VALUES (1, 'x', 'y');", True,
     ("SELECT * FROM t", [(1, "x")])),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
     'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT "none");',
     "INSERT INTO t VALUES (1, NULL);", False,
     ("SELECT * FROM t", [(1, "none")])),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, n TEXT) STRICT;",
     "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0) STRICT;",
     "INSERT INTO t VALUES (1, '7'), (2, NULL);", False,
     ("SELECT id, n, typeof(n) FROM t ORDER BY id", [(1, 7, "integer"), (2, 0, "integer")])),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);",
     "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT CHECK (a <> ''));",
     "INSERT INTO t (a) VALUES ('p'), ('q'); DELETE FROM t WHERE a = 'q';", False,
     ("SELECT seq FROM sqlite_sequence WHERE name = 't'", [(2,)])),
])
def test_diff_runs_on_sqlite_3_54(from_sql, to_sql, rows, native, check):
    conn = engine()
    conn.execute(from_sql)
    conn.execute(rows)
    to = schema_of(to_sql)
    plan = plan_diff(read_model(conn, check_views=True), to, target=TARGET)
    assert bool(plan.native) is native and bool(plan.rebuilt) is not native
    apply(conn, plan.to_sql())
    assert plan_diff(read_model(conn), to, target=TARGET).same
    query, expected = check
    assert list(conn.execute(query)) == expected
