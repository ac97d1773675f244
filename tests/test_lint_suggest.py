"""SQLite forms of foreign statements: sqlglot reads another dialect, SQLite judges the rewrite."""

from __future__ import annotations

import json
import sqlite3

import pytest

from qscaffold.lint.engine import lint_sql
from qscaffold.lint.suggest import sqlite_form
from _lint_support import invoke, migration, write_py

SCHEMA = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, name TEXT, g INTEGER)"

REWRITES = [
    ("SELECT a::int FROM t", "SELECT CAST(a AS INTEGER) FROM t"),
    ("INSERT INTO t (a) VALUES (now())", "INSERT INTO t (a) VALUES (CURRENT_TIMESTAMP)"),
    ("INSERT IGNORE INTO t (a) VALUES ('x')", "INSERT OR IGNORE INTO t (a) VALUES ('x')"),
    ("SELECT * FROM t WHERE a ILIKE 'x%'", "SELECT * FROM t WHERE LOWER(a) LIKE LOWER('x%')"),
    ("SELECT TOP 5 * FROM t", "SELECT * FROM t LIMIT 5"),
    ("SELECT ISNULL(a, 'none') FROM t", "SELECT COALESCE(a, 'none') FROM t"),
    ("CREATE TABLE m (id INT NOT NULL AUTO_INCREMENT, name VARCHAR(20), PRIMARY KEY (id)) "
     "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
     "CREATE TABLE m (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, name TEXT(20))"),
    ("CREATE TABLE m (id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT)",
     "CREATE TABLE m (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)"),
    ("SELECT g, string_agg(name, ',') FROM t GROUP BY g", "SELECT g, GROUP_CONCAT(name, ',') FROM t GROUP BY g"),
    ("SELECT g, GROUP_CONCAT(name SEPARATOR ';') FROM t GROUP BY g",
     "SELECT g, GROUP_CONCAT(name, ';') FROM t GROUP BY g"),
]


def engine(schema: str = SCHEMA) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(schema)
    return conn


@pytest.mark.parametrize("foreign, expected", REWRITES)
def test_a_rejected_foreign_statement_gets_its_engine_checked_sqlite_form(foreign, expected):
    conn = engine()
    with pytest.raises(sqlite3.Error):
        conn.execute(foreign)  # SQLite really rejects what was written
    found = [f for f in lint_sql(foreign + ";", schema=SCHEMA) if f.severity.value == "error"]
    assert found and found[0].message.endswith(f"; SQLite form: {expected}"), found
    assert found[0].fix.replacement == expected
    conn.execute(expected)  # and really runs the rewrite on the schema the statement met


def test_concat_becomes_the_concatenation_operator_before_3_44():
    if sqlite3.sqlite_version_info >= (3, 44, 0):
        pytest.skip("SQLite 3.44 has concat()")
    (found,) = lint_sql("SELECT CONCAT(a, name) FROM t;", schema=SCHEMA, select=["QS010"])
    assert found.message == "SQLite rejects this statement: no such function: CONCAT; SQLite form: SELECT a || name FROM t"


def test_a_rewrite_the_engine_rejects_is_not_offered():
    # sqlglot writes `ARRAY<TEXT>` for TEXT[]: not SQLite, so no suggestion at all
    sql = "CREATE TABLE z (id SERIAL PRIMARY KEY, tags TEXT[], d TIMESTAMP DEFAULT now())"
    assert sqlite_form(sql, engine()) is None
    found = lint_sql(sql + ";", schema=SCHEMA)
    assert found and not any("SQLite form" in f.message or f.fix for f in found)


def test_the_rewrite_is_checked_against_the_schema_the_statement_meets():
    # the same text is fine against a schema that has the table, refused without it
    assert sqlite_form("SELECT TOP 1 a FROM t", engine()) == "SELECT a FROM t LIMIT 1"
    assert sqlite_form("SELECT TOP 1 a FROM t", engine("")) is None
    found = lint_sql("SELECT TOP 1 a FROM nowhere;", schema=SCHEMA)
    assert found and not any("SQLite form" in f.message for f in found)


@pytest.mark.parametrize("sql", [
    "ALTER TABLE t ALTER COLUMN a TYPE INTEGER",
    "ALTER TABLE t MODIFY a INTEGER",
    "RENAME TABLE t TO u",
])
def test_alter_forms_are_never_rewritten(sql):
    assert sqlite_form(sql, engine()) is None
    assert not any("SQLite form" in f.message or f.fix for f in lint_sql(sql + ";", schema=SCHEMA))


def test_json_gives_a_fix_whose_range_applied_to_the_file_makes_it_clean(tmp_path, monkeypatch):
    folder = tmp_path / "migrations"
    path = write_py(folder, "001-seed.py", migration(1, '''\
    db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, a TEXT)")
    db.exec("INSERT IGNORE INTO t (a) VALUES ('x')")
''', '    db.exec("DROP TABLE IF EXISTS t")\n'))
    result = invoke(["lint", "--format", "json", str(path)], tmp_path, monkeypatch)
    assert result.exit_code == 1
    (item,) = [d for d in json.loads(result.stdout) if "fix" in d]
    assert item["code"] == "QS001"
    fix = item["fix"]
    assert fix["replacement"] == "INSERT OR IGNORE INTO t (a) VALUES ('x')"
    start, end = fix["range"]["start"], fix["range"]["end"]
    lines = path.read_text().split("\n")
    assert start["line"] == end["line"]
    line = lines[start["line"] - 1]
    assert line[start["column"] - 1:end["column"] - 1] == "INSERT IGNORE INTO t (a) VALUES ('x')"
    lines[start["line"] - 1] = line[:start["column"] - 1] + fix["replacement"] + line[end["column"] - 1:]
    path.write_text("\n".join(lines))
    again = invoke(["lint", "--format", "json", str(path)], tmp_path, monkeypatch)
    assert again.exit_code == 0, again.stdout


def test_sarif_carries_the_fix(tmp_path, monkeypatch):
    path = tmp_path / "001-x.sql"
    path.write_text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, a TEXT);\n"
                    "SELECT TOP 5 * FROM t;\n")
    result = invoke(["lint", "--format", "sarif", str(path)], tmp_path, monkeypatch)
    (hit,) = [r for r in json.loads(result.stdout)["runs"][0]["results"] if "fixes" in r]
    (change,) = hit["fixes"][0]["artifactChanges"]
    (replacement,) = change["replacements"]
    assert replacement["insertedContent"]["text"] == "SELECT * FROM t LIMIT 5"
    assert replacement["deletedRegion"] == {"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 22}
    assert change["artifactLocation"] == hit["locations"][0]["physicalLocation"]["artifactLocation"]


def test_text_output_names_the_sqlite_form(tmp_path, monkeypatch):
    path = tmp_path / "001-x.sql"
    path.write_text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, a TEXT);\nSELECT a::int FROM t;\n")
    result = invoke(["lint", str(path)], tmp_path, monkeypatch)
    assert "001-x.sql:2:9: QS001 SQLite rejects this statement: unrecognized token: \":\"; " \
           "SQLite form: SELECT CAST(a AS INTEGER) FROM t" in result.stdout


def test_a_declared_type_swallowing_foreign_words_gets_a_sqlite_form_that_satisfies_the_rule():
    sql = "CREATE TABLE IF NOT EXISTS m (id INT IDENTITY(1,1) PRIMARY KEY, name NVARCHAR(20));"
    engine("").execute(sql)  # SQLite accepts it: the type is "INT IDENTITY(1,1)"
    (found,) = [f for f in lint_sql(sql, schema=SCHEMA) if f.code == "QS610"]
    expected = "CREATE TABLE IF NOT EXISTS m (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT(20))"
    assert found.message.endswith(f"; SQLite form: {expected}") and found.fix.replacement == expected
    assert not [f for f in lint_sql(expected + ";", schema=SCHEMA) if f.code == "QS610"]
    # sqlglot keeps `AFTER a` in the type: SQLite accepts that too, the rule does not
    (found,) = lint_sql("ALTER TABLE t ADD COLUMN z INT AFTER a;", schema=SCHEMA, select=["QS610"])
    assert "SQLite form" not in found.message and found.fix is None
