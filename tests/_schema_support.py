"""Helpers of the schema model and diff tests: a schema from SQL text, and a plan applied
the way the runner applies a migration."""

from __future__ import annotations

import sqlite3

from qscaffold.database import Database
from qscaffold.schema.model import read_model
from qscaffold.schema.sources import load_schema_text


def schema_of(sql: str):
    conn = load_schema_text(sql, "test.sql")
    try:
        return read_model(conn, check_views=True)
    finally:
        conn.close()


def apply_like_runner(conn: sqlite3.Connection, script: str) -> None:
    """Foreign keys off, one transaction, foreign_key_check before commit."""
    conn.isolation_level = None
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("BEGIN IMMEDIATE")
    try:
        Database(conn).exec(script)
        problems = conn.execute("PRAGMA foreign_key_check").fetchall()
        assert not problems, problems
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("PRAGMA foreign_keys = ON")
