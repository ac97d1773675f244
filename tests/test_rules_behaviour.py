"""What the warnings and the "silently ignored" errors are about, shown on the engine; and the
readers the rules share, checked against SQLite's own parser."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from qscaffold.lint.model import Severity
from qscaffold.lint.registry import RULES
from qscaffold.lint.rules._syntax import parse_alter, parse_create_table, tokenize
from qscaffold.lint.rules.columns import is_constant_default
from qscaffold.lint.rules.design import RESERVED

from test_rules_helpers import Engine, check, run

T = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER); INSERT INTO t VALUES (1, 'a', 5);"

DEFAULTS = [
    "1", "-1", "+1", "1.5", "1e3", "0x1F", "-0x1F", "'x'", "-'1'", "x'00'", "NULL", "TRUE", "FALSE",
    "word", '"dq"', "(1)", "((1))", "('x')", "(NULL)", "(TRUE)", "(x'00')", "(-1)", "(- -1)", "(-(1))",
    "(+'a')", "(CAST(1 AS TEXT))", "(CAST('1' AS INTEGER))", "(CAST(-1 AS REAL))",
    "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "(CURRENT_TIMESTAMP)",
    "(datetime('now'))", "(1 + 1)", "('a' || 'b')", "(abs(-1))", "(random())", "(NOT 0)", "(~1)",
    "('x' COLLATE NOCASE)", "(1 IS NULL)", "(json('[]'))", "(CAST(1 + 1 AS TEXT))", "(word)",
    "(\"dq\")", "(?)", "(1 = 1)", "(CASE WHEN 1 THEN 2 END)",
]


@pytest.mark.parametrize("default", DEFAULTS)
def test_constant_default_set_is_the_engines(default):
    sql = f"ALTER TABLE t ADD COLUMN c DEFAULT {default}"
    engine_accepts = run(sql, setup=T) is None
    toks = list(tokenize(sql))
    a = parse_alter(sql)
    expr = a.coldef.get("default").expr
    assert len(toks) > 0
    assert is_constant_default(expr) == engine_accepts, run(sql, setup=T)
    assert bool(check("QS113", sql, schema=T)) == (not engine_accepts)


def test_reserved_words_are_the_engines():
    conn = sqlite3.connect(":memory:")
    probed = set()
    for word in sorted(RESERVED | {"KEY", "ACTION", "ROWID", "TEMP", "REPLACE", "CURRENT_DATE", "WINDOW",
                                   "FILTER", "DO", "IF", "VIEW", "ABORT", "RENAME", "REINDEX"}):
        try:
            conn.execute(f"EXPLAIN CREATE TABLE t ({word} INTEGER)")
        except sqlite3.Error:
            probed.add(word)
    assert probed == set(RESERVED)


def test_pragma_foreign_keys_is_ignored_inside_a_transaction():
    db = Engine("sqlite3")
    db.run("BEGIN")
    db.run("PRAGMA foreign_keys = ON")
    assert db.run("PRAGMA foreign_keys") == [(0,)]
    assert check("QS304", "PRAGMA foreign_keys = ON")
    assert not check("QS304", "PRAGMA foreign_keys")


def test_journal_mode_is_silently_unchanged_inside_a_transaction(tmp_path):
    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    conn.execute("CREATE TABLE t (a)")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t VALUES (1)")
    assert conn.execute("PRAGMA journal_mode = WAL").fetchall() == [("delete",)]
    conn.execute("COMMIT")
    assert conn.execute("PRAGMA journal_mode").fetchall() == [("delete",)]
    conn.close()
    [message] = check("QS303", "PRAGMA journal_mode = WAL")
    assert "silently ignored" in message


def test_foreign_key_mismatch_fails_the_runners_check_and_every_child_write():
    setup = "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);"
    sql = "CREATE TABLE ch (id INTEGER PRIMARY KEY, pc TEXT REFERENCES p (code))"
    assert run(sql, setup=setup) is None  # SQLite accepts the DDL
    mismatch = 'foreign key mismatch - "ch" referencing "p"'
    assert run(sql, setup=setup, runner=True) == mismatch  # even with no rows
    assert run("SELECT 1", setup=setup + sql + ";", runner=True) == mismatch  # and in every later migration
    assert run("INSERT INTO ch (id, pc) VALUES (1, 'x')", setup=setup + sql + ";", fk=True) == mismatch
    [message] = check("QS407", sql, schema=setup)
    assert f"`{mismatch}`" in message


def test_drop_of_an_update_of_column_silences_the_trigger():
    setup = ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE TABLE log (x);"
             "CREATE TRIGGER tr AFTER UPDATE OF a ON t BEGIN INSERT INTO log VALUES (1); END;"
             "INSERT INTO t VALUES (1, 'a', 'b');")
    db = Engine("sqlite3")
    db.script(setup + "ALTER TABLE t DROP COLUMN a; UPDATE t SET b = 'c';")
    assert db.run("SELECT count(*) FROM log") == [(0,)]
    assert "never fires" in check("QS133", "ALTER TABLE t DROP COLUMN a", schema=setup)[0]


def test_drop_constraint_of_a_default_keeps_the_default():
    db = Engine("apsw")
    db.script("CREATE TABLE d (id INTEGER PRIMARY KEY, b INTEGER CONSTRAINT df DEFAULT 1);"
              "ALTER TABLE d DROP CONSTRAINT df; INSERT INTO d (id) VALUES (1);")
    assert db.run("SELECT b FROM d") == [(1,)]
    assert "DEFAULT 1" in db.run("SELECT sql FROM sqlite_master WHERE name = 'd'")[0][0]


@pytest.mark.parametrize("ddl", ["CREATE TABLE u (id INT PRIMARY KEY, v TEXT)",
                                 "CREATE TABLE u (id BIGINT PRIMARY KEY, v TEXT)",
                                 "CREATE TABLE u (id INTEGER AUTO_INCREMENT PRIMARY KEY, v TEXT)",
                                 "CREATE TABLE u (id INTEGER PRIMARY KEY DESC, v TEXT)"])
def test_non_alias_primary_key_stores_null_ids(ddl):
    db = Engine("sqlite3")
    db.script(ddl + "; INSERT INTO u (v) VALUES ('a'); INSERT INTO u (v) VALUES ('b');")
    assert db.run("SELECT id FROM u") == [(None,), (None,)]
    assert check("QS603", ddl)
    assert not check("QS605", ddl)


def test_replace_deletes_child_rows_through_cascade():
    setup = ("CREATE TABLE p (id INTEGER PRIMARY KEY, v TEXT);"
             "CREATE TABLE ch (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id) ON DELETE CASCADE);"
             "INSERT INTO p VALUES (1, 'a'); INSERT INTO ch VALUES (1, 1);")
    db = Engine("sqlite3")
    db.script(setup)
    db.run("PRAGMA foreign_keys = ON")
    db.run("REPLACE INTO p (id, v) VALUES (1, 'b')")
    assert db.run("SELECT count(*) FROM ch") == [(0,)]
    db.run("INSERT INTO ch VALUES (1, 1)")
    db.run("INSERT INTO p (id, v) VALUES (1, 'c') ON CONFLICT (id) DO UPDATE SET v = excluded.v")
    assert db.run("SELECT count(*) FROM ch") == [(1,)]


def test_if_not_exists_keeps_the_old_index():
    db = Engine("sqlite3")
    db.script("CREATE TABLE t (a, b); CREATE INDEX ix ON t (a); CREATE INDEX IF NOT EXISTS ix ON t (b);")
    assert db.run("SELECT name FROM pragma_index_info('ix')") == [("a",)]


def test_create_table_like_makes_a_column_named_like():
    db = Engine("sqlite3")
    db.script("CREATE TABLE t (id INTEGER PRIMARY KEY); CREATE TABLE c (LIKE t);")
    assert db.run("SELECT name, type FROM pragma_table_info('c')") == [("LIKE", "t")]


def test_create_table_as_select_loses_the_key():
    db = Engine("sqlite3")
    db.script("CREATE TABLE t (id INTEGER PRIMARY KEY, e TEXT NOT NULL UNIQUE); CREATE TABLE c AS SELECT * FROM t;")
    assert db.run("SELECT name, type, \"notnull\", pk FROM pragma_table_info('c')") == [("id", "INT", 0, 0), ("e", "TEXT", 0, 0)]


def test_check_violated_by_the_default_is_an_error_from_337_and_a_warning_below():
    sql = "ALTER TABLE t ADD COLUMN n INTEGER DEFAULT 0 CHECK (n > 0)"
    [above] = check("QS116", sql, target="3.37.0")
    [below] = check("QS116", sql, target="3.36.0")
    assert above[0] is Severity.ERROR
    assert isinstance(below, str) and RULES["QS116"].severity is Severity.WARNING
    assert run(sql, setup=T) == "CHECK constraint failed"


@pytest.mark.parametrize("sql,action", [
    ("ALTER TABLE t ADD COLUMN a TEXT", "add-column"),
    ("ALTER TABLE t ADD a", "add-column"),
    ("ALTER TABLE t ADD CHECK (a > 0)", "add-check"),
    ("ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0)", "add-check"),
    ("ALTER TABLE t DROP a", "drop-column"),
    ("ALTER TABLE t DROP COLUMN \"a b\"", "drop-column"),
    ("ALTER TABLE t DROP CONSTRAINT ck", "drop-constraint"),
    ("ALTER TABLE t ALTER a SET NOT NULL", "set-not-null"),
    ("ALTER TABLE t ALTER COLUMN a DROP NOT NULL", "drop-not-null"),
    ("ALTER TABLE t RENAME a TO b", "rename-column"),
    ("ALTER TABLE [t] RENAME TO `u`", "rename-table"),
    ("ALTER TABLE t ALTER COLUMN a SET DEFAULT 1", "unsupported"),
    ("ALTER TABLE t ADD CONSTRAINT u UNIQUE (a)", "unsupported"),
    ("/* c */ ALTER TABLE t -- c\n ADD COLUMN a TEXT DEFAULT 'x;y'", "add-column"),
])
def test_alter_reader(sql, action):
    assert parse_alter(sql).action == action


def test_create_table_reader_handles_what_sqlglot_cannot():
    sql = ("CREATE TABLE IF NOT EXISTS w (k TEXT NOT NULL ON CONFLICT REPLACE PRIMARY KEY, "
           "v TEXT UNIQUE ON CONFLICT IGNORE, t TEXT[] , CONSTRAINT c CHECK (v <> '')) STRICT, WITHOUT ROWID")
    table = parse_create_table(sql)
    assert [c.name for c in table.columns] == ["k", "v", "t"]
    assert table.options == {"STRICT", "WITHOUT ROWID"}
    assert [c.kind for c in table.columns[0].constraints] == ["notnull", "pk"]
    assert table.constraints[0].name == "c"


def test_rule_modules_do_not_import_sqlglot():
    code = ("import sys, qscaffold.lint.rules as r; from qscaffold.lint.registry import all_rules; "
            "all_rules(); print('sqlglot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


ODD = [
    "ALTER", "ALTER TABLE", "ALTER TABLE t", "ALTER TABLE t ADD", "ALTER TABLE t ADD COLUMN",
    "ALTER TABLE t DROP", "ALTER TABLE t DROP CONSTRAINT", "ALTER TABLE t RENAME", "ALTER TABLE t RENAME TO",
    "ALTER TABLE t ALTER", "ALTER TABLE t ALTER COLUMN", "ALTER TABLE t ADD CONSTRAINT", "ALTER TABLE t ADD c DEFAULT",
    "ALTER TABLE t ADD c DEFAULT (", "ALTER TABLE t ADD c CHECK (", "ALTER TABLE t ADD c REFERENCES",
    "ALTER TABLE t ADD c GENERATED ALWAYS", "ALTER TABLE . ADD c", "CREATE", "CREATE TABLE", "CREATE TABLE t",
    "CREATE TABLE t (", "CREATE TABLE t ()", "CREATE TABLE t (a,)", "CREATE TABLE t (PRIMARY KEY)",
    "CREATE TABLE t (a INTEGER PRIMARY KEY AUTOINCREMENT, PRIMARY KEY (", "CREATE TABLE t (CONSTRAINT)",
    "CREATE TABLE t (a DEFAULT -)", "CREATE INDEX", "CREATE UNIQUE INDEX IF NOT EXISTS", "CREATE TRIGGER",
    "DROP", "DROP TABLE", "DROP TABLE IF", "DROP TABLE IF EXISTS", "PRAGMA", "PRAGMA main.", "PRAGMA foreign_keys =",
    "UPDATE", "DELETE", "WITH", "WITH x AS (SELECT 1)", "INSERT", "INSERT INTO", "INSERT OR REPLACE",
    "REPLACE", "SELECT 'unterminated", "SELECT \"unterminated", "SELECT x'00", "SELECT [a", "/* only a comment",
    "-- only a comment", ";", "SELECT 1;;", "SELECT unhex(", "SELECT group_concat(a ORDER BY", "ROLLBACK TO",
    "ALTER TABLE sqlite_master", "CREATE TABLE t (a TEXT) STRICT, WITHOUT ROWID, STRICT",
    "ALTER TABLE t ADD COLUMN a TEXT CONSTRAINT", "CREATE TABLE \u00e9t\u00e9 (\u00e0 TEXT)",
]


@pytest.mark.parametrize("sql", ODD)
@pytest.mark.parametrize("schema", [None, T + "CREATE VIEW v AS SELECT * FROM t;"])
def test_rules_never_crash(sql, schema):
    from test_rules_docs import my_rules

    for code in my_rules():
        for target in ("3.20.0", "3.40.1", "3.54.1"):
            check(code, sql, schema=schema, target=target, following="")


def test_rebuild_and_rename_away_names():
    from qscaffold.lint.model import shadow_database
    from qscaffold.lint.rules._syntax import rebuild_partner, renamed_from

    db = shadow_database("CREATE TABLE t (a); CREATE TABLE audit (a); CREATE TABLE users (a);"
                         "CREATE TABLE new_users (a); CREATE TABLE _alembic_tmp_t (a); CREATE TABLE users_old (a);")
    assert rebuild_partner(db, "users") == "new_users"
    assert rebuild_partner(db, "t") == "_alembic_tmp_t"
    assert rebuild_partner(db, "audit") is None
    assert renamed_from(db, "users_old") == "users"
    assert renamed_from(db, "audit") is None and renamed_from(db, "new_users") is None


DQS = [
    ('CREATE TABLE u (s TEXT CHECK (s IN ("active", "off")))', "", True),
    ('CREATE TABLE u (a TEXT, CHECK (a <> ""))', "", True),
    ('CREATE INDEX ix ON t ("nmae")', T, True),
    ('CREATE INDEX ix ON t (qty) WHERE name <> "x"', T, True),
    ('ALTER TABLE t ADD COLUMN s TEXT CHECK (s <> "x")', T, False),  # not resolved by ADD COLUMN
    ('CREATE TABLE u ("s" TEXT CHECK ("s" IN (\'a\', \'b\')), "t" TEXT DEFAULT "x")', "", False),
    ('CREATE INDEX ix ON t ("name") WHERE "qty" > 0', T, False),
]


@pytest.mark.parametrize("sql,setup,flagged", DQS)
def test_double_quoted_strings_fail_where_sqlite_disables_them(sql, setup, flagged):
    import apsw

    assert run(sql, setup=setup) is None  # the stdlib build reads "x" as 'x'
    strict = apsw.Connection(":memory:")
    strict.config(apsw.SQLITE_DBCONFIG_DQS_DDL, 0)
    strict.config(apsw.SQLITE_DBCONFIG_DQS_DML, 0)
    try:
        for statement in [s for s in setup.split(";") if s.strip()]:
            strict.execute(statement)
        strict.execute(sql)
        error = None
    except apsw.Error as exc:
        error = str(exc)
    found = check("QS601", sql, schema=setup or None)
    assert bool(found) == flagged == (error is not None), (found, error)
    if flagged:
        assert f"`{error}`" in found[0]
