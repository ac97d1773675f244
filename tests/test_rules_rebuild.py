"""Table rebuilds and destructive statements, through the whole linter and on the engine
under qscaffold's runner (foreign keys off, one transaction, foreign_key_check before
COMMIT)."""

from __future__ import annotations

from qscaffold.lint.engine import lint_sql
from qscaffold.lint.model import Severity

from test_rules_helpers import run

SCHEMA = """
CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
                              name TEXT COLLATE NOCASE DEFAULT '', legacy TEXT,
                              n INTEGER DEFAULT 0 CHECK (n >= 0));
CREATE INDEX IF NOT EXISTS ix_t_name ON t (name);
CREATE TABLE IF NOT EXISTS ch (id INTEGER PRIMARY KEY, t_id INTEGER NOT NULL REFERENCES t (id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS audit (t_id INTEGER, at TEXT);
CREATE TRIGGER IF NOT EXISTS tr_t AFTER UPDATE ON t BEGIN INSERT INTO audit (t_id, at) VALUES (new.id, 'x'); END;
CREATE VIEW IF NOT EXISTS v_t AS SELECT id, email FROM t;
"""
ROWS = """
INSERT INTO t (id, email, name, legacy) VALUES (1, 'a@x', 'Ann', 'old'), (2, 'b@x', 'Bob', NULL);
INSERT INTO ch (id, t_id) VALUES (1, 1), (2, 2);
"""

# What `qscaffold new … --pattern drop-column` writes: the table's definition minus a column.
SCAFFOLD_REBUILD = '''
DROP VIEW IF EXISTS v_t;
CREATE TABLE IF NOT EXISTS "new_t" (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
                                    name TEXT COLLATE NOCASE DEFAULT '',
                                    n INTEGER DEFAULT 0 CHECK (n >= 0));
INSERT INTO "new_t" ("id", "email", "name", "n") SELECT "id", "email", "name", "n" FROM "t";
DROP TABLE "t";
ALTER TABLE "new_t" RENAME TO "t";
CREATE INDEX IF NOT EXISTS ix_t_name ON t (name);
CREATE TRIGGER IF NOT EXISTS tr_t AFTER UPDATE ON t BEGIN INSERT INTO audit (t_id, at) VALUES (new.id, 'x'); END;
CREATE VIEW IF NOT EXISTS v_t AS SELECT id, email FROM t;
'''


def codes(findings):
    return sorted(f.code for f in findings)


def test_scaffolded_rebuild_has_no_findings_and_runs():
    for section in ("up", "down", None):
        assert lint_sql(SCAFFOLD_REBUILD, schema=SCHEMA, section=section) == []
    assert run(SCAFFOLD_REBUILD, setup=SCHEMA, rows=ROWS, runner=True) is None
    # and with rows the child still points at the rebuilt table
    assert run("SELECT 1", setup=SCHEMA + ROWS + "PRAGMA foreign_keys = OFF;" + SCAFFOLD_REBUILD) is None


def test_scaffolded_rebuild_unchanged_definition_has_no_findings():
    # a rebuild that keeps a table's (flawed) definition is not judged for its design
    schema = "CREATE TABLE IF NOT EXISTS k (code TEXT PRIMARY KEY, v TEXT, legacy TEXT);"
    script = '''
    CREATE TABLE IF NOT EXISTS "new_k" (code TEXT PRIMARY KEY, v TEXT);
    INSERT INTO "new_k" ("code", "v") SELECT "code", "v" FROM "k";
    DROP TABLE "k";
    ALTER TABLE "new_k" RENAME TO "k";
    '''
    assert lint_sql(script, schema=schema, section="up") == []
    # the same table written fresh is flagged
    assert codes(lint_sql('CREATE TABLE IF NOT EXISTS "k2" (code TEXT PRIMARY KEY, v TEXT);',
                          schema=schema)) == ["QS603"]


def test_rename_away_rebuild_is_an_error_and_fails_under_the_runner():
    script = """
    ALTER TABLE t RENAME TO t_old;
    CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
    INSERT INTO t (id, email, name) SELECT id, email, name FROM t_old;
    DROP TABLE t_old;
    """
    findings = lint_sql(script, schema=SCHEMA, section="up")
    qs122 = [f for f in findings if f.code == "QS122"]
    assert len(qs122) == 1 and qs122[0].severity is Severity.ERROR and qs122[0].line == 5
    assert "ch.t_id" in qs122[0].message
    assert "QS401" not in codes(findings)
    assert run(script, setup=SCHEMA, rows=ROWS, runner=True).startswith("foreign_key_check")
    assert run(script, setup=SCHEMA, runner=True) is None  # passes on empty tables only


def test_rebuild_that_forgets_indexes_and_triggers_is_reported():
    script = SCAFFOLD_REBUILD.replace(
        "CREATE INDEX IF NOT EXISTS ix_t_name ON t (name);\n", "").replace(
        "CREATE TRIGGER IF NOT EXISTS tr_t AFTER UPDATE ON t BEGIN INSERT INTO audit (t_id, at) VALUES (new.id, 'x'); END;\n", "")
    findings = lint_sql(script, schema=SCHEMA, section="up")
    [f] = findings
    assert f.code == "QS402" and "index ix_t_name" in f.message and "trigger tr_t" in f.message
    # SQLite runs it: the loss is silent
    assert run(script, setup=SCHEMA, rows=ROWS, runner=True) is None


def test_rebuild_that_keeps_the_view_is_blocked():
    script = SCAFFOLD_REBUILD.replace("DROP VIEW IF EXISTS v_t;\n", "").replace(
        "CREATE VIEW IF NOT EXISTS v_t AS SELECT id, email FROM t;\n", "")
    findings = lint_sql(script, schema=SCHEMA, section="up")
    assert "QS403" in codes(findings)
    error = run(script, setup=SCHEMA, rows=ROWS, runner=True)
    assert error == "error in view v_t: no such table: main.t"
    [f] = [f for f in findings if f.code == "QS403"]
    assert f"`{error}`" in f.message


def test_drop_parent_table_outside_a_rebuild():
    script = "DROP TABLE IF EXISTS t;"
    findings = lint_sql(script, schema=SCHEMA, section="up")
    assert codes(findings) == ["QS401", "QS408", "QS701"]  # the view over t breaks too
    assert run(script, setup=SCHEMA, rows=ROWS, runner=True).startswith("foreign_key_check")
    # dropping the child first is fine for the engine, and the linter
    script = "DROP TABLE IF EXISTS ch;\nDROP TABLE IF EXISTS t;"
    assert run(script, setup=SCHEMA, rows=ROWS, runner=True) is None
    assert "QS401" not in codes(lint_sql(script, schema=SCHEMA, section="up"))
    # with foreign keys on (not qscaffold's runner) the drop cascades into the child
    assert run("DROP TABLE t; SELECT count(*) FROM ch", setup=SCHEMA, rows=ROWS, fk=True) is None


def test_destructive_rules_apply_to_up_only_and_guards_to_both():
    schema = SCHEMA + "CREATE TABLE scratch (x);"
    script = "DROP TABLE scratch;\nALTER TABLE t DROP COLUMN legacy;\nUPDATE t SET n = 0;"
    up = lint_sql(script, schema=schema, section="up")
    down = lint_sql(script, schema=schema, section="down")
    assert codes(up) == ["QS204", "QS209", "QS701", "QS702"]
    assert codes(down) == ["QS204"]
    guards = "CREATE TABLE x (id INTEGER PRIMARY KEY);\nCREATE INDEX ix ON x (id);\nDROP INDEX ix;"
    assert codes(lint_sql(guards, schema=SCHEMA, section="down")) == ["QS201", "QS202", "QS204"]
    assert codes(lint_sql(guards, schema=SCHEMA, section="up")) == ["QS201", "QS202", "QS204"]


def test_scaffold_patterns_lint_clean():
    """The shapes the other templates write: table, column, index, data."""
    table = ("CREATE TABLE IF NOT EXISTS api_keys (id INTEGER PRIMARY KEY, key TEXT NOT NULL, "
             "created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);")
    assert lint_sql(table, schema=SCHEMA, section="up") == []
    assert lint_sql("DROP TABLE IF EXISTS api_keys;", schema=SCHEMA + table, section="down") == []
    column = "ALTER TABLE t ADD COLUMN nickname TEXT;"
    assert lint_sql(column, schema=SCHEMA, section="up") == []
    assert lint_sql("ALTER TABLE t DROP COLUMN nickname;", schema=SCHEMA + column, section="down") == []
    index = "CREATE INDEX IF NOT EXISTS ix_t_email ON t (email);"
    assert lint_sql(index, schema=SCHEMA, section="up") == []
    assert lint_sql("DROP INDEX IF EXISTS ix_t_email;", schema=SCHEMA + index, section="down") == []
    data = "UPDATE t SET name = 'unknown' WHERE name IS NULL;"
    assert lint_sql(data, schema=SCHEMA, section="up") == []


def test_rebuild_need_not_recreate_indexes_of_the_dropped_column():
    # dropping t.name: ix_t_name goes with it and cannot be recreated
    script = SCAFFOLD_REBUILD.replace("name TEXT COLLATE NOCASE DEFAULT '',\n", "").replace(
        '"name", ', "").replace("CREATE INDEX IF NOT EXISTS ix_t_name ON t (name);\n", "")
    assert "name" not in script.split("RENAME")[0].replace("ix_t_name", "")
    assert lint_sql(script, schema=SCHEMA, section="up") == []
    assert run(script, setup=SCHEMA, rows=ROWS, runner=True) is None
