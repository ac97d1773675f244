"""``schema diff``: every kind of change, applied to a database with rows the way the runner
applies a migration, must give exactly TO's structure (the diff back to TO is empty) and keep
every row in the columns both sides have."""

from __future__ import annotations

import sqlite3

import pytest

from _schema_support import apply_like_runner, schema_of

from qscaffold.schema.diff import plan_diff
from qscaffold.schema.model import read_model


def migrate(from_sql: str, to_sql: str, rows: str = "", *, renames=(), target=None):
    """A database built from ``from_sql`` with ``rows``, the diff applied to it; returns the
    connection and the plan, after checking that the result has TO's structure."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(from_sql)
    conn.executescript(rows)
    to = schema_of(to_sql)
    plan = plan_diff(read_model(conn, check_views=True), to, renames=renames, target=target)
    assert not plan.same, "the schemas differ, the diff must say so"
    apply_like_runner(conn, plan.to_sql())
    back = plan_diff(read_model(conn), to)
    assert back.same, back.to_sql()
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    return conn, plan


def test_same_schema_is_no_difference_whatever_the_spelling():
    a = schema_of("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x', "
                  "n INT DEFAULT 0 CHECK (n >= 0));\n"
                  "CREATE INDEX ix ON users (name) WHERE n > 0;\n"
                  "CREATE VIEW v AS SELECT name FROM users WHERE n > 1;")
    b = schema_of('create table if not exists "Users" ( [id] integer primary key, `name` text not null '
                  "default ('x'), n int default (0) check ((n>=0)) );\n"
                  'create index if not exists "ix" on users(name) where (n > 0);\n'
                  "create view v as select \"name\" from [users] where (n>1);")
    plan = plan_diff(a, b)
    assert plan.same, plan.to_sql()
    assert plan.to_sql().startswith("--")


def test_new_and_dropped_tables_say_that_data_goes():
    conn, plan = migrate("CREATE TABLE old (a); CREATE TABLE keep (b);",
                         "CREATE TABLE keep (b); CREATE TABLE fresh (c TEXT);",
                         "INSERT INTO keep VALUES (1);")
    text = plan.to_sql()
    assert "DESTROYS DATA: table old" in text
    assert "CREATE TABLE IF NOT EXISTS fresh" in text
    assert any("--rename old=fresh" in w for w in plan.warnings)
    assert conn.execute("SELECT b FROM keep").fetchall() == [(1,)]


def test_add_column_is_native():
    conn, plan = migrate("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
                         "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT NOT NULL DEFAULT 7);",
                         "INSERT INTO t (a) VALUES ('x');")
    assert plan.native == ["t"] and not plan.rebuilt
    assert plan.statements == ["ALTER TABLE t ADD COLUMN b INT NOT NULL DEFAULT 7"]
    assert conn.execute("SELECT id, a, b FROM t").fetchall() == [(1, "x", 7)]


def test_drop_column_is_native_and_marked_destructive():
    conn, plan = migrate("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, gone TEXT);",
                         "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
                         "INSERT INTO t VALUES (5, 'x', 'y');", target=(3, 35, 0))
    assert plan.native == ["t"]
    assert "DESTROYS DATA: column t.gone" in plan.to_sql()
    assert conn.execute("SELECT * FROM t").fetchall() == [(5, "x")]


def test_drop_column_below_3_35_rebuilds():
    conn, plan = migrate("CREATE TABLE t (a TEXT, gone TEXT);", "CREATE TABLE t (a TEXT);",
                         "INSERT INTO t VALUES ('x', 'y'); INSERT INTO t VALUES ('z', 'w');"
                         "DELETE FROM t WHERE a = 'x';", target=(3, 34, 0))
    assert plan.rebuilt == ["t"]
    assert "DROP COLUMN" not in plan.to_sql()
    assert conn.execute("SELECT rowid, a FROM t").fetchall() == [(2, "z")]  # rowid kept


def test_type_change_rebuilds_and_keeps_rows_and_rowids():
    conn, plan = migrate("CREATE TABLE t (a TEXT, b INTEGER);", "CREATE TABLE t (a TEXT, b REAL);",
                         "INSERT INTO t VALUES ('x', 1); INSERT INTO t VALUES ('y', 2); DELETE FROM t WHERE a = 'x';")
    assert plan.rebuilt == ["t"]
    text = plan.to_sql()
    assert "ALTER TABLE new_t RENAME TO t" in text and "RENAME TO new_" not in text.replace("new_t RENAME", "")
    assert conn.execute("SELECT rowid, a, b, typeof(b) FROM t").fetchall() == [(2, "y", 2.0, "real")]


def test_not_null_with_default_fills_the_nulls():
    conn, _ = migrate("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT);",
                      "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT NOT NULL DEFAULT 'none');",
                      "INSERT INTO t VALUES (1, NULL), (2, 'set');")
    assert conn.execute("SELECT id, s FROM t ORDER BY id").fetchall() == [(1, "none"), (2, "set")]


def test_check_collate_default_unique_changes_rebuild():
    conn, plan = migrate(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INT DEFAULT 1, s TEXT, u TEXT);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INT DEFAULT 2 CHECK (n > 0), s TEXT COLLATE NOCASE, "
        "u TEXT UNIQUE);",
        "INSERT INTO t VALUES (1, 5, 'A', 'p'), (2, 6, 'b', 'q');")
    assert plan.rebuilt == ["t"]
    assert conn.execute("SELECT s FROM t ORDER BY s").fetchall() == [("A",), ("b",)]
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO t (n) VALUES (-1)")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO t (u) VALUES ('p')")


def test_foreign_key_added_and_dropped():
    parent = "CREATE TABLE p (id INTEGER PRIMARY KEY);"
    conn, plan = migrate(parent + "CREATE TABLE c (id INTEGER PRIMARY KEY, pid INT);",
                         parent + "CREATE TABLE c (id INTEGER PRIMARY KEY, pid INT REFERENCES p(id) ON DELETE CASCADE);",
                         "INSERT INTO p VALUES (1); INSERT INTO c VALUES (10, 1);")
    assert plan.rebuilt == ["c"]
    assert conn.execute("SELECT * FROM pragma_foreign_key_list('c')").fetchall()[0][6] == "CASCADE"
    conn, plan = migrate(parent + "CREATE TABLE c (id INTEGER PRIMARY KEY, pid INT REFERENCES p(id));",
                         parent + "CREATE TABLE c (id INTEGER PRIMARY KEY, pid INT);",
                         "INSERT INTO p VALUES (1); INSERT INTO c VALUES (10, 1);")
    assert conn.execute("SELECT * FROM pragma_foreign_key_list('c')").fetchall() == []
    assert conn.execute("SELECT * FROM c").fetchall() == [(10, 1)]


def test_composite_primary_key_and_without_rowid():
    conn, plan = migrate("CREATE TABLE t (a INT, b INT, v TEXT);",
                         "CREATE TABLE t (a INT, b INT, v TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;",
                         "INSERT INTO t VALUES (1, 1, 'x'), (1, 2, 'y');")
    assert plan.rebuilt == ["t"]
    assert conn.execute("SELECT * FROM t ORDER BY b").fetchall() == [(1, 1, "x"), (1, 2, "y")]
    assert "rowid" not in plan.to_sql().split("INSERT", 1)[1].split("FROM", 1)[0]


def test_stored_generated_column():
    conn, plan = migrate("CREATE TABLE t (a INT, b INT);",
                         "CREATE TABLE t (a INT, b INT, c INT AS (a + b) STORED);",
                         "INSERT INTO t VALUES (1, 2);")
    assert plan.rebuilt == ["t"]  # ADD COLUMN cannot add a STORED column
    assert conn.execute("SELECT c FROM t").fetchall() == [(3,)]


def test_strict_type_change_casts():
    conn, plan = migrate("CREATE TABLE t (id INTEGER PRIMARY KEY, n TEXT) STRICT;",
                         "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER) STRICT;",
                         "INSERT INTO t VALUES (1, '42');")
    assert "CAST(n AS INTEGER)" in plan.to_sql()
    assert conn.execute("SELECT n, typeof(n) FROM t").fetchall() == [(42, "integer")]


def test_autoincrement_counter_is_kept():
    conn, plan = migrate("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);",
                         "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT NOT NULL DEFAULT '');",
                         "INSERT INTO t (a) VALUES ('x'), ('y'), ('z'); DELETE FROM t WHERE id > 1;")
    assert plan.counters == ["t"]
    conn.execute("INSERT INTO t (a) VALUES ('next')")
    assert conn.execute("SELECT max(id) FROM t").fetchone() == (4,)
    assert conn.execute("SELECT count(*) FROM sqlite_sequence WHERE name = 't'").fetchone() == (1,)


def test_parent_with_cascade_children_keeps_the_children():
    conn, plan = migrate(
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE c (id INTEGER PRIMARY KEY, pid INT NOT NULL REFERENCES p(id) ON DELETE CASCADE);",
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');"
        "CREATE TABLE c (id INTEGER PRIMARY KEY, pid INT NOT NULL REFERENCES p(id) ON DELETE CASCADE);",
        "INSERT INTO p VALUES (1, 'a'), (2, NULL); INSERT INTO c VALUES (10, 1), (20, 2);")
    assert plan.rebuilt == ["p"]
    assert conn.execute("SELECT * FROM c ORDER BY id").fetchall() == [(10, 1), (20, 2)]
    assert conn.execute("SELECT * FROM pragma_foreign_key_list('c')").fetchone()[2] == "p"
    conn.execute("DELETE FROM p WHERE id = 1")  # the cascade still works on the new table
    assert conn.execute("SELECT id FROM c").fetchall() == [(20,)]


def test_view_and_triggers_over_a_rebuilt_table_come_back():
    base = ("CREATE TABLE log (msg TEXT);"
            "CREATE VIEW names AS SELECT name FROM t;"
            "CREATE VIEW names2 AS SELECT * FROM names;"
            "CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.name); END;"
            "CREATE TRIGGER log_ins AFTER INSERT ON log BEGIN SELECT count(*) FROM t; END;")
    conn, plan = migrate("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);" + base,
                         "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'n');" + base,
                         "INSERT INTO t VALUES (1, 'a');")
    assert plan.rebuilt == ["t"]
    conn.execute("INSERT INTO t (name) VALUES ('b')")
    assert conn.execute("SELECT * FROM names2 ORDER BY name").fetchall() == [("a",), ("b",)]
    assert conn.execute("SELECT * FROM log").fetchall() == [("a",), ("b",)]  # the copy fires nothing


def test_indexes_partial_and_expression():
    conn, plan = migrate(
        "CREATE TABLE t (a TEXT, b INT); CREATE INDEX i1 ON t (a); CREATE INDEX gone ON t (b);",
        "CREATE TABLE t (a TEXT, b INT); CREATE INDEX i1 ON t (a) WHERE b > 0;"
        "CREATE UNIQUE INDEX i2 ON t (lower(a));",
        "INSERT INTO t VALUES ('x', 1);")
    assert not plan.rebuilt and not plan.native
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert names == {"i1", "i2"}


def test_indexes_of_a_rebuilt_table_are_recreated():
    conn, plan = migrate(
        "CREATE TABLE t (a TEXT, b INT); CREATE INDEX i1 ON t (a) WHERE b > 0;",
        "CREATE TABLE t (a TEXT, b TEXT); CREATE INDEX i1 ON t (a) WHERE b > 0;",
        "INSERT INTO t VALUES ('x', 1);")
    assert plan.rebuilt == ["t"]
    assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall() == [("i1",)]


def test_renames_only_with_hints():
    conn, plan = migrate("CREATE TABLE users (id INTEGER PRIMARY KEY, nick TEXT);"
                         "CREATE TABLE posts (id INTEGER PRIMARY KEY, uid INT REFERENCES users(id));",
                         "CREATE TABLE accounts (id INTEGER PRIMARY KEY, handle TEXT);"
                         "CREATE TABLE posts (id INTEGER PRIMARY KEY, uid INT REFERENCES accounts(id));",
                         "INSERT INTO users VALUES (1, 'ann'); INSERT INTO posts VALUES (1, 1);",
                         renames=["users=accounts", "accounts.nick=handle"])
    assert conn.execute("SELECT * FROM accounts").fetchall() == [(1, "ann")]
    assert conn.execute("SELECT * FROM posts").fetchall() == [(1, 1)]
    assert "RENAME COLUMN nick TO handle" in plan.to_sql()


def test_column_without_hint_is_drop_and_add_with_a_suggestion():
    _conn, plan = migrate("CREATE TABLE t (id INTEGER PRIMARY KEY, nick TEXT);",
                          "CREATE TABLE t (id INTEGER PRIMARY KEY, handle TEXT);",
                          "INSERT INTO t VALUES (1, 'a');")
    assert any("--rename t.nick=handle" in w for w in plan.warnings)


def test_column_rename_below_3_25_rebuilds_with_the_mapping():
    conn, plan = migrate("CREATE TABLE t (id INTEGER PRIMARY KEY, nick TEXT);",
                         "CREATE TABLE t (id INTEGER PRIMARY KEY, handle TEXT);",
                         "INSERT INTO t VALUES (1, 'a');", renames=["t.nick=handle"], target=(3, 24, 0))
    assert "RENAME COLUMN" not in plan.to_sql()
    assert conn.execute("SELECT * FROM t").fetchall() == [(1, "a")]


def test_fts5_table_left_alone_when_it_does_not_change():
    fts = "CREATE VIRTUAL TABLE docs USING fts5(title, body);"
    conn, plan = migrate(fts + "CREATE TABLE t (a INT);", fts + "CREATE TABLE t (a INT, b INT);",
                         "INSERT INTO docs VALUES ('hello', 'world');")
    assert "docs" not in plan.to_sql()
    assert conn.execute("SELECT title FROM docs WHERE docs MATCH 'world'").fetchall() == [("hello",)]


def test_new_not_null_column_without_default_is_named_in_a_warning():
    a = schema_of("CREATE TABLE t (a INT);")
    b = schema_of("CREATE TABLE t (a INT, b INT NOT NULL);")
    plan = plan_diff(a, b)
    assert any("t.b" in w and "NOT NULL" in w for w in plan.warnings)


def test_output_is_deterministic():
    a = "CREATE TABLE a (x); CREATE TABLE b (y); CREATE VIEW v AS SELECT * FROM a;"
    b = "CREATE TABLE a (x INT); CREATE TABLE b (y TEXT); CREATE VIEW v AS SELECT * FROM a;"
    texts = {plan_diff(schema_of(a), schema_of(b)).to_sql() for _ in range(3)}
    assert len(texts) == 1


def test_view_naming_a_dropped_table_does_not_block_a_rebuild():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript("CREATE TABLE t (a INT); CREATE TABLE gone (b);"
                       "CREATE VIEW stale AS SELECT b FROM gone; DROP TABLE gone; INSERT INTO t VALUES (1);")
    to_sql = "CREATE TABLE t (a TEXT); CREATE VIEW stale AS SELECT b FROM gone;"
    to = schema_of(to_sql)
    plan = plan_diff(read_model(conn, check_views=True), to)
    apply_like_runner(conn, plan.to_sql())
    assert plan_diff(read_model(conn), to).same
    assert conn.execute("SELECT a FROM t").fetchall() == [("1",)]  # TEXT affinity now


@pytest.mark.parametrize("from_sql, to_sql, rows, renames", [
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, parent INT REFERENCES t(id), n TEXT);",
     "CREATE TABLE t (id INTEGER PRIMARY KEY, parent INT REFERENCES t(id), n TEXT NOT NULL DEFAULT '');",
     "INSERT INTO t VALUES (1, NULL, 'a'), (2, 1, NULL);", []),
    ('CREATE TABLE [order] ("first" TEXT, `group` INT, "my col" TEXT);',
     'CREATE TABLE "order" (first TEXT, [group] REAL, [my col] TEXT CHECK ("my col" || first <> \'\'));',
     "INSERT INTO [order] VALUES ('a', 1, 'b');", []),
    ("CREATE TABLE t (a INT, b INT AS (a * 2));", "CREATE TABLE t (a INT, b INT AS (a * 3));",
     "INSERT INTO t VALUES (2);", []),
    ("CREATE TABLE a (x INT); CREATE TABLE b (y INT);"
     "CREATE TRIGGER tr AFTER INSERT ON a BEGIN INSERT INTO b VALUES (new.x); END;",
     "CREATE TABLE a (x INT); CREATE TABLE b (y TEXT);"
     "CREATE TRIGGER tr AFTER INSERT ON a BEGIN INSERT INTO b VALUES (new.x); END;",
     "INSERT INTO a VALUES (1);", []),
    ("CREATE TABLE t (k TEXT PRIMARY KEY, v) WITHOUT ROWID;", "CREATE TABLE t (k TEXT PRIMARY KEY, v);",
     "INSERT INTO t VALUES ('a', 1);", []),
    ("CREATE TABLE t (a INT); CREATE TABLE new_t (z);", "CREATE TABLE t (a TEXT); CREATE TABLE new_t (z);",
     "INSERT INTO t VALUES (1);", []),
    ("CREATE TABLE t (a INT, b INT);", "CREATE TABLE t (b INT, a INT);", "INSERT INTO t VALUES (1, 2);", []),
    ("CREATE TABLE t (a INT, b INT UNIQUE);", "CREATE TABLE t (a INT);", "INSERT INTO t VALUES (1, 2);", []),
    ("CREATE TABLE u (id INTEGER PRIMARY KEY); CREATE TABLE p (uid INT REFERENCES u(id));"
     "CREATE VIEW v AS SELECT * FROM u;",
     "CREATE TABLE acc (id INTEGER PRIMARY KEY, x INT NOT NULL DEFAULT 0);"
     "CREATE TABLE p (uid INT REFERENCES acc(id)); CREATE VIEW v AS SELECT * FROM acc;",
     "INSERT INTO u VALUES (1); INSERT INTO p VALUES (1);", ["u=acc"]),
], ids=["self-reference", "keyword-and-bracket-names", "virtual-generated", "trigger-on-another-table",
        "from-without-rowid", "new_t-taken", "columns-reordered", "unique-column-dropped",
        "renamed-parent-with-view"])
def test_tricky_changes_keep_rows(from_sql, to_sql, rows, renames):
    conn, _plan = migrate(from_sql, to_sql, rows, renames=renames)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite%' AND name <> 'new_t'")]
    assert all(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] >= 1 for t in tables)


def test_columns_reordered_keep_their_values_by_name():
    conn, _ = migrate("CREATE TABLE t (a INT, b TEXT);", "CREATE TABLE t (b TEXT, a INT);",
                      "INSERT INTO t VALUES (1, 'x');")
    assert conn.execute("SELECT a, b FROM t").fetchall() == [(1, "x")]


def test_a_target_older_than_strict_is_warned_about():
    a = schema_of("CREATE TABLE t (a INT);")
    b = schema_of("CREATE TABLE t (a INT) STRICT; CREATE TABLE g (x INT, y INT AS (x + 1));")
    plan = plan_diff(a, b, target=(3, 30, 0))
    assert any("t: uses STRICT" in w and "3.37.0" in w for w in plan.warnings)
    assert any("g: uses generated columns" in w and "3.31.0" in w for w in plan.warnings)
    assert not plan_diff(a, b).warnings
