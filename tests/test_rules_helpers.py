"""Helpers for the rule tests: run SQL on the real engines (stdlib sqlite3 3.40.1 and apsw's
bundled SQLite), emulate qscaffold's runner, and run one rule on one statement."""

from __future__ import annotations

import sqlite3

import apsw

from qscaffold.lint.model import Statement, parse_version
from qscaffold.lint.registry import RULES, all_rules
from qscaffold.sql import split_statements

LOCAL = tuple(sqlite3.sqlite_version_info)
APSW = tuple(int(p) for p in apsw.sqlite_lib_version().split("."))

all_rules()


def statements(script: str) -> list[str]:
    return [s.text for s in split_statements(script)]


class Engine:
    """One SQLite library: ``"sqlite3"`` (the stdlib's) or ``"apsw"``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        if kind == "sqlite3":
            self.conn = sqlite3.connect(":memory:", isolation_level=None)
        else:
            self.conn = apsw.Connection(":memory:")

    def run(self, sql: str) -> list[tuple]:
        if self.kind == "sqlite3":
            return self.conn.execute(sql).fetchall()
        return [tuple(r) for r in self.conn.execute(sql)]

    def script(self, script: str) -> None:
        for s in statements(script):
            self.run(s)

    def close(self) -> None:
        self.conn.close()


ERRORS = (sqlite3.Error, apsw.Error)


def engine_for(target) -> str:
    """The engine that can judge a statement at ``target``."""
    return "sqlite3" if parse_version(target) <= LOCAL else "apsw"


def run(sql: str, *, setup: str = "", rows: str = "", engine: str = "sqlite3", fk: bool = False,
        runner: bool = False, following: str = "") -> str | None:
    """SQLite's message for ``sql`` (and ``following``) after ``setup`` and ``rows``, or
    ``None`` when it runs. ``runner`` emulates qscaffold's runner: foreign keys off, one
    transaction, ``PRAGMA foreign_key_check`` before COMMIT."""
    db = Engine(engine)
    try:
        db.script(setup)
        db.script(rows)
        if fk:
            db.run("PRAGMA foreign_keys = ON")
        if runner:
            db.run("PRAGMA foreign_keys = OFF")
            db.run("BEGIN IMMEDIATE")
        try:
            db.script(sql)
            db.script(following)
            if runner:
                bad = db.run("PRAGMA foreign_key_check")
                if bad:
                    return f"foreign_key_check: {bad}"
                db.run("COMMIT")
        except ERRORS as exc:
            return str(exc)
        return None
    finally:
        db.close()


def check(code: str, sql: str, *, schema: str | None = None, target=None, section="up",
          following: str | None = None, foreign_keys: bool = False) -> list:
    """What rule ``code`` yields for ``sql`` (with foreign keys enforced or not)."""
    stmt = Statement.build(sql, schema=schema, target=target, section=section,
                           following=statements(following) if following is not None else None,
                           foreign_keys=foreign_keys)
    return list(RULES[code].check(stmt) or ())


def fires(code: str, sql: str, **kw) -> bool:
    return bool(check(code, sql, **kw))


def test_runner_emulation_catches_dangling_references():
    setup = ("CREATE TABLE p (id INTEGER PRIMARY KEY);"
             "CREATE TABLE ch (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));")
    rows = "INSERT INTO p VALUES (1); INSERT INTO ch VALUES (1, 1);"
    assert run("DROP TABLE p", setup=setup, rows=rows, runner=True).startswith("foreign_key_check")
    assert run("DROP TABLE p", setup=setup, runner=True) is None
    assert run("DROP TABLE p", setup=setup, rows=rows, fk=True) == "FOREIGN KEY constraint failed"


def test_engines_are_the_versions_the_tests_assume():
    assert LOCAL < (3, 53, 0) <= APSW
    assert run("ALTER TABLE t ADD CHECK (a > 0)", setup="CREATE TABLE t (a)") == 'near "CHECK": syntax error'
    assert run("ALTER TABLE t ADD CHECK (a > 0)", setup="CREATE TABLE t (a)", engine="apsw") is None
