"""Corpora judged by SQLite itself: the linter must report an error on every statement the
engine rejects (no misses) and none on a statement it accepts (no false alarms).

The truth is SQLite 3.40.1 (stdlib) running each statement on a copy of the fixture schema
whose tables hold rows, with foreign keys on: so the data-dependent ADD COLUMN failures count
as rejections, as they do in production.
"""

from __future__ import annotations

import pytest

from qscaffold.lint.engine import lint_sql
from qscaffold.lint.model import Severity

from test_rules_helpers import LOCAL, run

TARGET = ".".join(map(str, LOCAL))

FIXTURE = """
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT,
                    age INTEGER CHECK (age >= 0), created TEXT DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX ix_users_name ON users (name);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id),
                    title TEXT NOT NULL, body TEXT, score REAL DEFAULT 0);
CREATE VIEW v_titles AS SELECT id, title FROM posts;
CREATE TRIGGER tr_posts AFTER UPDATE OF body ON posts
BEGIN UPDATE posts SET score = score + 1 WHERE id = new.id; END;
CREATE TABLE tags (tag TEXT PRIMARY KEY NOT NULL, note TEXT) WITHOUT ROWID;
CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT) STRICT;
CREATE VIRTUAL TABLE docs USING fts5(content);
"""
ROWS = """
INSERT INTO users (id, email, name, age) VALUES (1, 'a@x', 'Ann', 30), (2, 'b@x', NULL, 40);
INSERT INTO posts (id, user_id, title, body) VALUES (1, 1, 'Hello', 'text'), (2, 2, 'Bye', NULL);
INSERT INTO tags (tag, note) VALUES ('sql', NULL);
INSERT INTO s (id, v) VALUES (1, 'x');
INSERT INTO docs (content) VALUES ('hello');
"""

ALTERS = [
    # forms SQLite accepts
    "ALTER TABLE users ADD COLUMN nickname TEXT",
    "ALTER TABLE users ADD nickname TEXT DEFAULT 'x' NOT NULL",
    "ALTER TABLE users ADD COLUMN score INTEGER DEFAULT (-1)",
    "ALTER TABLE users ADD COLUMN flag INTEGER DEFAULT TRUE",
    "ALTER TABLE users ADD COLUMN data BLOB DEFAULT x'00'",
    "ALTER TABLE users ADD COLUMN ref INTEGER REFERENCES posts (id)",
    "ALTER TABLE users ADD COLUMN upper_name TEXT AS (upper(name))",
    "ALTER TABLE users ADD COLUMN n INTEGER CHECK (n > 0)",
    "ALTER TABLE users ADD COLUMN c TEXT COLLATE NOCASE",
    "ALTER TABLE users ADD COLUMN e TEXT DEFAULT \"hello\"",
    "ALTER TABLE users ADD COLUMN m NUMERIC(10, 2)",
    "ALTER TABLE users ADD COLUMN g INTEGER GENERATED ALWAYS AS (age * 2) VIRTUAL",
    "alter table users add column lower_case text",
    "ALTER TABLE main.users ADD COLUMN z TEXT",
    'ALTER TABLE "users" ADD COLUMN "select" TEXT',
    "ALTER TABLE users ADD COLUMN d TEXT DEFAULT 'a;b'",
    "ALTER TABLE users ADD COLUMN x TEXT NOT NULL ON CONFLICT IGNORE DEFAULT 'a'",
    "ALTER TABLE users ADD COLUMN x INTEGER CONSTRAINT ck CHECK (x IS NULL OR x > 0)",
    "ALTER TABLE users ADD COLUMN x TEXT DEFAULT (CAST(1 AS TEXT))",
    "ALTER TABLE users ADD COLUMN rowid TEXT",
    "ALTER TABLE users ADD COLUMN if TEXT",
    "ALTER TABLE s ADD COLUMN w INTEGER",
    "ALTER TABLE tags ADD COLUMN rowid TEXT",
    "ALTER TABLE users RENAME TO members",
    "ALTER TABLE users RENAME COLUMN name TO full_name",
    "ALTER TABLE users RENAME name TO full_name",
    "ALTER TABLE posts RENAME COLUMN body TO content",
    "ALTER TABLE docs RENAME TO documents",
    "ALTER TABLE users DROP COLUMN created",
    "ALTER TABLE users DROP created",
    "ALTER TABLE users DROP COLUMN age",
    "ALTER TABLE posts DROP COLUMN user_id",
    "ALTER TABLE posts DROP COLUMN body",
    "ALTER TABLE posts ADD COLUMN ts INTEGER AS (score) NOT NULL",
    # forms SQLite rejects (some only once the table has rows)
    "ALTER TABLE users ADD COLUMN x INTEGER PRIMARY KEY",
    "ALTER TABLE users ADD COLUMN x TEXT UNIQUE",
    "ALTER TABLE users ADD COLUMN x TEXT NOT NULL",
    "ALTER TABLE users ADD COLUMN x TEXT NOT NULL DEFAULT NULL",
    "ALTER TABLE users ADD COLUMN x TEXT DEFAULT CURRENT_TIMESTAMP",
    "ALTER TABLE users ADD COLUMN x TEXT DEFAULT (datetime('now'))",
    "ALTER TABLE users ADD COLUMN x TEXT DEFAULT ('a' || 'b')",
    "ALTER TABLE users ADD COLUMN x INTEGER REFERENCES posts (id) DEFAULT 1",
    "ALTER TABLE users ADD COLUMN x INTEGER AS (age + 1) STORED",
    "ALTER TABLE users ADD COLUMN x INTEGER DEFAULT 0 CHECK (x > 0)",
    "ALTER TABLE users ADD COLUMN x TEXT DEFAULT CAST(1 AS TEXT)",
    "ALTER TABLE users ADD COLUMN x TEXT DEFAULT now()",
    "ALTER TABLE users ADD COLUMN x INTEGER AUTO_INCREMENT",
    "ALTER TABLE users ADD COLUMN Email TEXT",
    "ALTER TABLE users ADD COLUMN order TEXT",
    "ALTER TABLE users ADD COLUMN IF NOT EXISTS x TEXT",
    "ALTER TABLE users ADD x TEXT, ADD y TEXT",
    "ALTER TABLE users ADD (x TEXT)",
    "ALTER TABLE users ALTER COLUMN name TYPE TEXT",
    "ALTER TABLE users ALTER COLUMN name SET DEFAULT 'x'",
    "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
    "ALTER TABLE users ALTER name DROP NOT NULL",
    "ALTER TABLE users ADD CONSTRAINT uq UNIQUE (name)",
    "ALTER TABLE users ADD CHECK (age < 200)",
    "ALTER TABLE users ADD CONSTRAINT ck CHECK (age < 200)",
    "ALTER TABLE users ADD PRIMARY KEY (id)",
    "ALTER TABLE users DROP CONSTRAINT ck",
    "ALTER TABLE users DROP PRIMARY KEY",
    "ALTER TABLE users DROP INDEX ix_users_name",
    "ALTER TABLE posts DROP FOREIGN KEY fk_user",
    "ALTER TABLE users ALTER COLUMN age SET DATA TYPE TEXT",
    "ALTER TABLE users ALTER COLUMN age DROP DEFAULT",
    "ALTER TABLE users MODIFY name TEXT",
    "ALTER TABLE users CHANGE COLUMN name full_name TEXT",
    "ALTER TABLE users RENAME CONSTRAINT a TO b",
    "ALTER TABLE ONLY users ADD COLUMN x TEXT",
    "ALTER TABLE IF EXISTS users ADD COLUMN x TEXT",
    "ALTER TABLE users DROP COLUMN IF EXISTS name",
    "ALTER TABLE users DROP COLUMN id",
    "ALTER TABLE users DROP COLUMN email",
    "ALTER TABLE users DROP COLUMN name",
    "ALTER TABLE posts DROP COLUMN title",
    "ALTER TABLE posts DROP COLUMN score",
    "ALTER TABLE posts DROP COLUMN zz",
    "ALTER TABLE v_titles ADD COLUMN x TEXT",
    "ALTER TABLE v_titles RENAME TO v2",
    "ALTER TABLE docs ADD COLUMN x",
    "ALTER TABLE sqlite_master ADD x",
    "ALTER TABLE s ADD COLUMN w VARCHAR(10)",
    "ALTER TABLE users RENAME TO sqlite_users",
    "ALTER TABLE users RENAME TO main.members",
    "ALTER TABLE users RENAME TO posts",
    "ALTER TABLE users RENAME TO ix_users_name",
    "ALTER TABLE nope ADD COLUMN x TEXT",
    "ALTER TABLE users RENAME COLUMN zz TO yy",
    "ALTER TABLE users RENAME COLUMN name TO email",
    "ALTER TABLE users RENAME COLUMN name TO from",
    "ALTER INDEX ix_users_name RENAME TO ix2",
    "ALTER VIEW v_titles RENAME TO v2",
]


def _truth(sql: str) -> str | None:
    return run(sql, setup=FIXTURE, rows=ROWS, fk=True)


def _errors(sql: str, schema: str, *, foreign_keys: bool = False) -> list:
    # sqlx runs migrations with foreign keys on, as _truth does
    return [f for f in lint_sql(sql, schema=schema, target=TARGET, section="up",
                                sql_runner="sqlx" if foreign_keys else None)
            if f.severity is Severity.ERROR]


def test_alter_corpus_size():
    rejected = [s for s in ALTERS if _truth(s) is not None]
    assert len(ALTERS) >= 50 and len(set(ALTERS)) == len(ALTERS)
    assert len(rejected) >= 40 and len(ALTERS) - len(rejected) >= 25


@pytest.mark.parametrize("sql", ALTERS)
def test_alter_corpus_agrees_with_sqlite(sql):
    truth = _truth(sql)
    errors = _errors(sql, FIXTURE + ROWS, foreign_keys=True)
    if truth is None:
        assert not errors, f"false alarm: SQLite accepts it: {errors}"
    else:
        assert errors, f"miss: SQLite says {truth!r}"


# Schema-aware corpus: (setup, statement, the rule expected, or None when SQLite accepts it
# and no error may be reported). The engine's own rejection (QS010) counts where no rule
# is more specific.
SCHEMA_CASES = [
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);", "ALTER TABLE t DROP COLUMN id", "QS131"),
    ("CREATE TABLE t (a, b, c, PRIMARY KEY (a, b));", "ALTER TABLE t DROP COLUMN a", "QS131"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, e TEXT UNIQUE, n TEXT);", "ALTER TABLE t DROP COLUMN e", "QS131"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, e TEXT, n TEXT); CREATE INDEX ix ON t (e);",
     "ALTER TABLE t DROP COLUMN e", "QS132"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, e TEXT, n TEXT); CREATE INDEX ix ON t (n) WHERE e > '';",
     "ALTER TABLE t DROP COLUMN e", "QS132"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, CHECK (a < b));",
     "ALTER TABLE t DROP COLUMN b", "QS132"),
    ("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER, "
     "FOREIGN KEY (pid) REFERENCES p (id));", "ALTER TABLE c DROP COLUMN pid", "QS132"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE VIEW v AS SELECT a FROM t;",
     "ALTER TABLE t DROP COLUMN a", "QS132"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE TABLE log (x);"
     "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.a); END;",
     "ALTER TABLE t DROP COLUMN a", "QS132"),
    ("CREATE TABLE t (a TEXT);", "ALTER TABLE t DROP COLUMN a", "QS134"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY);", "ALTER TABLE missing ADD COLUMN a TEXT", "QS010"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);", "ALTER TABLE t RENAME COLUMN zz TO b", "QS010"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);", "ALTER TABLE t ADD COLUMN A INTEGER", "QS119"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);", "ALTER TABLE t RENAME COLUMN a TO b", "QS119"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY); CREATE VIEW v AS SELECT id FROM t;", "DROP TABLE IF EXISTS v", "QS609"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP VIEW IF EXISTS t", "QS609"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); CREATE VIEW stale AS SELECT * FROM gone;",
     "ALTER TABLE t RENAME COLUMN a TO b", "QS121"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY); CREATE VIEW v AS SELECT id FROM t;",
     "ALTER TABLE v ADD COLUMN a TEXT", "QS105"),
    # accepted: no error may be reported
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT CHECK (a <> ''), b TEXT);", "ALTER TABLE t DROP COLUMN a", None),
    ("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p (id));",
     "ALTER TABLE c DROP COLUMN pid", None),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE VIEW v AS SELECT * FROM t;",
     "ALTER TABLE t DROP COLUMN a", None),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE INDEX ix ON t (b);",
     "ALTER TABLE t DROP COLUMN a", None),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);", "ALTER TABLE t RENAME COLUMN a TO A", None),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); CREATE INDEX ix ON t (a);",
     "ALTER TABLE t RENAME COLUMN a TO b", None),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);", "ALTER TABLE t ADD COLUMN b TEXT NOT NULL DEFAULT ''", None),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY); CREATE VIEW v AS SELECT id FROM t;", "DROP VIEW IF EXISTS v", None),
]


@pytest.mark.parametrize("setup,sql,code", SCHEMA_CASES, ids=[c[1] for c in SCHEMA_CASES])
def test_schema_aware_corpus(setup, sql, code):
    truth = run(sql, setup=setup)
    errors = _errors(sql, setup)
    if code is None:
        assert truth is None
        assert not errors, f"false alarm: {errors}"
    else:
        assert truth is not None, "SQLite accepts it"
        assert code in {f.code for f in errors}, (truth, errors)


def test_schema_aware_rules_stay_silent_without_a_schema():
    for setup, sql, code in SCHEMA_CASES:
        findings = lint_sql(sql, schema=None, target=TARGET, section="up")
        assert not {"QS119", "QS131", "QS132", "QS134", "QS121", "QS105", "QS609"} & {f.code for f in findings} \
            or "sqlite_" in sql, (sql, findings)
