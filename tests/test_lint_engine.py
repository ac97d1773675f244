"""The lint engine through its API: extraction, positions, the shadow schema, the oracle."""

from __future__ import annotations

import sqlite3

import pytest

from _lint_support import REPO, codes, lint, migration, write_py
from qscaffold.errors import UsageError
from qscaffold.lint import registry
from qscaffold.lint.engine import classify, is_sqlglot_blind_spot, lint_sql
from qscaffold.lint.model import Severity
from qscaffold.lint.registry import Rule

LOCAL = sqlite3.sqlite_version
OTHER = "3.54.1" if LOCAL != "3.54.1" else "3.40.1"


def test_every_shipped_migration_lints_with_zero_findings():
    findings = lint([REPO / "migrations"], cwd=REPO)
    assert findings == []
    assert sorted((REPO / "migrations").glob("*.py")), "the shipped migrations are missing"


@pytest.mark.parametrize("path", sorted((REPO / "migrations").glob("*.py")), ids=lambda p: p.name)
def test_each_shipped_migration_alone_lints_clean(path):
    # linted alone, each file still sees the schema its earlier siblings build
    assert lint([path], cwd=REPO) == []


# -- positions ---------------------------------------------------------------------------


def test_statements_in_a_multiline_string_report_their_own_line_and_column(tmp_path):
    path = write_py(tmp_path / "migrations", "001-init.py", migration(1, '''\
    db.exec("""
        CREATE TABLE IF NOT EXISTS a (id INTEGER PRIMARY KEY);
          CREATE TABLE IF NOT EXISTS b (id INTEGER PRIMARY KEY,);
        CREATE TABLE IF NOT EXISTS c (id INTEGER PRIMARY KEY); ALTER TABLE nope ADD COLUMN x TEXT;
    """)
'''))
    lines = path.read_text().splitlines()
    found = [(f.line, f.column, f.code) for f in lint([path], cwd=tmp_path, select="QS0")]
    bad_b = next(i for i, text in enumerate(lines, 1) if "b (id" in text)
    nope = next(i for i, text in enumerate(lines, 1) if "nope" in text)
    assert found == [
        (bad_b, lines[bad_b - 1].index(",)") + 2, "QS001"),  # the `)` SQLite names
        (nope, lines[nope - 1].index("ALTER") + 1, "QS010"),
    ]


def test_a_statement_on_the_calls_line_reports_the_calls_line(tmp_path):
    path = write_py(tmp_path / "m", "001-init.py", migration(1, '''\
    db.exec("CREATE TABLE IF NOT EXISTS a (id INTEGER PRIMARY KEY)")
    db.exec(  "ALTER TABLE a ADD COLUMN b TEXT,"  )
    conn = db.connection
    conn.execute(r"ALTER TABLE missing ADD COLUMN c TEXT")
'''))
    lines = path.read_text().splitlines()
    found = [(f.line, f.column, f.code) for f in lint([path], cwd=tmp_path, select="QS0")]
    call_b = next(i for i, text in enumerate(lines, 1) if "ADD COLUMN b" in text)
    call_c = next(i for i, text in enumerate(lines, 1) if "missing" in text)
    assert found == [
        (call_b, lines[call_b - 1].index("TEXT,") + 5, "QS001"),  # near ","
        (call_c, lines[call_c - 1].index("ALTER") + 1, "QS010"),
    ]


def test_escapes_and_implicit_concatenation_fall_back_to_the_strings_start(tmp_path):
    path = write_py(tmp_path / "m", "001-init.py", migration(1, '''\
    db.exec("CREATE TABLE IF NOT EXISTS a (id INTEGER PRIMARY KEY);\\n"
            "ALTER TABLE nope ADD COLUMN b TEXT")
    db.exec("SELECT 1;\\n  ALTER TABLE nope2 ADD COLUMN b TEXT")
'''))
    lines = path.read_text().splitlines()
    first = next(i for i, text in enumerate(lines, 1) if "CREATE TABLE" in text)
    second = next(i for i, text in enumerate(lines, 1) if "SELECT 1" in text)
    found = [(f.line, f.column, f.code) for f in lint([path], cwd=tmp_path, select="QS0")]
    assert found == [
        (first, lines[first - 1].index('"') + 1, "QS010"),
        (second, lines[second - 1].index('"') + 1, "QS010"),
    ]


def test_sql_files_report_exact_lines_and_columns(tmp_path):
    path = tmp_path / "migrations" / "001_init.sql"
    path.parent.mkdir()
    path.write_text(
        "-- schema\n"
        "CREATE TABLE IF NOT EXISTS a (id INTEGER PRIMARY KEY);\n"
        "\n"
        "   CREATE INDEX IF NOT EXISTS ix ON a(nope);  SELECT * FROM missing;\n"
        "CREATE TABLE IF NOT EXISTS b (\n"
        "  x INTEGER,\n"
        ");\n"
    )
    found = [(f.line, f.column, f.code) for f in lint([path], cwd=tmp_path, select="QS0")]
    # engine rejections point at the statement, syntax errors at the token SQLite names
    assert found == [(4, 4, "QS010"), (4, 47, "QS010"), (7, 1, "QS001")]


def test_non_ascii_text_before_a_call_does_not_shift_columns(tmp_path):
    path = write_py(tmp_path / "m", "001-init.py", migration(1, '''\
    x = "héllo"; db.exec("ALTER TABLE nope ADD COLUMN b TEXT")
'''))
    line = path.read_text().splitlines()
    found = lint([path], cwd=tmp_path, select="QS010")
    row = next(i for i, t in enumerate(line, 1) if "nope" in t)
    assert [(f.line, f.column) for f in found] == [(row, line[row - 1].index("ALTER") + 1)]


# -- splitting, classification ---------------------------------------------------------


TRIGGER_SCRIPT = """
CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, account_id INTEGER, note TEXT);
-- a comment; with a semicolon
/* and a block comment; with another */
CREATE TRIGGER IF NOT EXISTS trg_accounts_ledger
AFTER UPDATE OF balance ON accounts
BEGIN
    INSERT INTO ledger (account_id, note) VALUES (new.id, 'balance; changed');
    UPDATE ledger SET note = note || ';' WHERE account_id = new.id;
END;
INSERT INTO ledger (account_id, note) VALUES (1, 'end; of script');
"""


def test_triggers_comments_and_strings_with_semicolons_split_correctly():
    assert lint_sql(TRIGGER_SCRIPT, schema="") == []
    # the trigger really reached the shadow schema: dropping it later is fine
    assert lint_sql(TRIGGER_SCRIPT + "DROP TRIGGER IF EXISTS trg_accounts_ledger;", schema="") == []


def test_an_error_inside_a_trigger_body_is_reported_at_the_trigger():
    sql = TRIGGER_SCRIPT.replace("UPDATE ledger SET", "UPDATE ledger SETT")
    found = lint_sql(sql, schema="", select=["QS0"])
    at = sql.index("SETT")
    line = sql.count("\n", 0, at) + 1
    assert [(f.code, f.line, f.column) for f in found] == [
        ("QS001", line, at - sql.rfind("\n", 0, at))]
    assert found[0].message == 'SQLite rejects this statement: near "SETT": syntax error'


def test_the_classifier_reads_leading_keywords():
    assert classify("  -- x\n end") == "transaction"
    assert classify("ROLLBACK TO sp") == "savepoint"
    assert classify("rollback") == "transaction"
    assert classify("VACUUM INTO 'x.db'") == "file"
    assert classify("attach 'x' as y") == "file"
    assert classify("PRAGMA foreign_keys=OFF") == "pragma"
    assert classify("/* c */ ALTER TABLE t DROP c") == "ddl"
    assert classify("WITH x AS (SELECT 1) SELECT * FROM x") == "other"


@pytest.mark.parametrize("sql", [
    "CREATE TABLE IF NOT EXISTS w (id INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS w2 (id INTEGER PRIMARY KEY, v TEXT) STRICT, WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS oc (a TEXT NOT NULL ON CONFLICT REPLACE, b TEXT UNIQUE ON CONFLICT IGNORE)",
    "SAVEPOINT sp1",
    "RELEASE sp1",
    "ALTER TABLE base DROP note",
    "CREATE TRIGGER IF NOT EXISTS tr AFTER INSERT ON base BEGIN SELECT 1; END",
])
def test_valid_sql_sqlglot_mishandles_gives_zero_findings(sql):
    assert is_sqlglot_blind_spot(sql)
    schema = "CREATE TABLE base (id INTEGER PRIMARY KEY, note TEXT)"
    assert lint_sql(sql, schema=schema, select=["QS0"]) == []


def test_sql_sqlite_accepts_but_sqlglot_cannot_parse_is_noted_as_info_when_selected():
    sql = "CREATE TABLE IF NOT EXISTS tags (id INTEGER PRIMARY KEY, names TEXT[])"
    found = lint_sql(sql, schema="", select=["QS002"])
    assert [(f.code, f.severity) for f in found] == [("QS002", Severity.INFO)]
    # opt-in: a prefix or ALL does not turn it on, and by default it is off
    assert lint_sql(sql, schema="", select=["QS0"]) == []
    assert "QS002" not in [f.code for f in lint_sql(sql, schema="", select=["ALL"])]
    assert "QS002" not in [f.code for f in lint_sql(sql, schema="")]
    sqlite3.connect(":memory:").execute(
        "CREATE TABLE IF NOT EXISTS tags (id INTEGER PRIMARY KEY, names TEXT[])")


# -- the shadow schema and the oracle --------------------------------------------------


def test_lint_sql_schema_none_means_unknown_and_empty_string_means_empty():
    assert lint_sql("ALTER TABLE t ADD COLUMN b TEXT", select=["QS0"]) == []
    found = lint_sql("ALTER TABLE t ADD COLUMN b TEXT", schema="", select=["QS0"])
    assert [(f.code, f.message) for f in found] == [
        ("QS010", "SQLite rejects this statement: no such table: t")]


@pytest.mark.parametrize("sql, message", [
    ("ALTER TABLE t DROP COLUMN id", 'cannot drop PRIMARY KEY column: "id"'),
    ("ALTER TABLE t ADD COLUMN e TEXT", "duplicate column name: e"),
    ("ALTER TABLE t DROP COLUMN e", "error in index ix_e after drop column: no such column: e"),
    ("ALTER TABLE t RENAME COLUMN zz TO yy", 'no such column: "zz"'),
    ("INSERT INTO t (nope) VALUES (1)", "table t has no column named nope"),
])
def test_engine_rejections_carry_sqlites_own_message(sql, message):
    schema = "CREATE TABLE t (id INTEGER PRIMARY KEY, e TEXT); CREATE INDEX ix_e ON t(e)"
    found = lint_sql(sql, schema=schema, select=["QS0"])
    assert [(f.code, f.message) for f in found] == [("QS010", f"SQLite rejects this statement: {message}")]
    conn = sqlite3.connect(":memory:")
    conn.executescript(schema)
    with pytest.raises(sqlite3.Error, match=message.split(":")[0]):
        conn.execute(sql)


def test_earlier_statements_of_the_file_build_the_schema():
    sql = ("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY);\n"
           "ALTER TABLE t ADD COLUMN b TEXT;\n"
           "CREATE INDEX IF NOT EXISTS ix_b ON t(b);\n")
    assert lint_sql(sql, schema="") == []


def test_a_failed_statement_does_not_cascade_into_more_findings():
    sql = ("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY,);\n"
           "ALTER TABLE t ADD COLUMN b TEXT;\n"
           "CREATE INDEX IF NOT EXISTS ix_b ON t(b);\n")
    assert codes(lint_sql(sql, schema="", select=["QS0"])) == ["QS001"]


def test_sibling_migrations_give_schema_context_and_only_given_files_are_reported(tmp_path):
    folder = tmp_path / "migrations"
    write_py(folder, "001-create.py", migration(1, '''\
    db.exec("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT)")
    db.exec("CREATE TABLE IF NOT EXISTS broken (a,)")
''', '    db.exec("DROP TABLE IF EXISTS users")\n'))
    second = write_py(folder, "002-alter.py", migration(2, '''\
    db.exec("ALTER TABLE users ADD COLUMN nickname TEXT")
    db.exec("ALTER TABLE ghosts ADD COLUMN x TEXT")
''', '    db.exec("ALTER TABLE users DROP COLUMN nickname")\n'))
    found = lint([second], cwd=tmp_path, select="QS0")
    assert [(f.path, f.code, f.message) for f in found] == [
        (str(second), "QS010", "SQLite rejects this statement: no such table: ghosts")]
    # the whole folder: 001's error is reported too
    assert sorted(codes(lint([folder], cwd=tmp_path, select="QS0"))) == ["QS001", "QS010"]


def test_down_is_checked_against_the_schema_after_up(tmp_path):
    folder = tmp_path / "migrations"
    write_py(folder, "001-create.py", migration(1, '''\
    db.exec("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT)")
''', '    db.exec("DROP TABLE IF EXISTS users")\n'))
    second = write_py(folder, "002-column.py", migration(2, '''\
    db.exec("ALTER TABLE users ADD COLUMN nickname TEXT")
    db.exec("CREATE INDEX IF NOT EXISTS ix_nick ON users(nickname)")
''', '''\
    db.exec("DROP INDEX IF EXISTS ix_nick")
    db.exec("ALTER TABLE users DROP COLUMN nickname")
    db.exec("ALTER TABLE users DROP COLUMN nickname")
'''))
    third = write_py(folder, "003-more.py", migration(3, '''\
    db.exec("ALTER TABLE users ADD COLUMN age INTEGER")
    db.exec("CREATE INDEX IF NOT EXISTS ix_nick2 ON users(nickname)")
''', '    db.exec("DROP INDEX IF EXISTS ix_nick2")\n    db.exec("ALTER TABLE users DROP COLUMN age")\n'))
    found = lint([folder], cwd=tmp_path, select="QS0")
    # down of 002 dropped the column once; the second DROP fails; 003 still sees the
    # column because down() never reaches the schema the next file starts from
    assert [(f.path, f.code, f.message) for f in found] == [
        (str(second), "QS010", 'SQLite rejects this statement: no such column: "nickname"')]
    assert lint([third], cwd=tmp_path) == []


def test_statements_outside_up_and_down_are_checked_but_not_replayed(tmp_path):
    folder = tmp_path / "migrations"
    write_py(folder, "001-create.py", migration(1, '''\
    db.exec("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY)")
''', '    db.exec("DROP TABLE IF EXISTS users")\n', extra='''

def helper_never_called(db):
    db.exec("CREATE TABLE IF NOT EXISTS side (id INTEGER PRIMARY KEY)")
    db.exec("ALTER TABLE nope ADD COLUMN x TEXT")
'''))
    second = write_py(folder, "002-x.py", migration(2, '''\
    db.exec("ALTER TABLE side ADD COLUMN x TEXT")
''', '    db.exec("ALTER TABLE side DROP COLUMN x")\n'))
    found = lint([folder], cwd=tmp_path, select="QS0")
    assert [(f.path.rsplit("/", 1)[1], f.message) for f in found] == [
        ("001-create.py", "SQLite rejects this statement: no such table: nope"),
        ("002-x.py", "SQLite rejects this statement: no such table: side"),
    ]


def test_helpers_called_from_up_count_as_up(tmp_path):
    folder = tmp_path / "migrations"
    write_py(folder, "001-create.py", migration(1, '''\
    _create(db)
''', '    db.exec("DROP TABLE IF EXISTS users")\n', extra='''

def _create(db):
    db.exec("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY)")
'''))
    write_py(folder, "002-x.py", migration(2, '''\
    db.exec("ALTER TABLE users ADD COLUMN x TEXT")
''', '    db.exec("ALTER TABLE users DROP COLUMN x")\n'))
    assert lint([folder], cwd=tmp_path) == []


def test_dynamic_ddl_makes_the_schema_unknown_instead_of_guessing(tmp_path):
    folder = tmp_path / "migrations"
    write_py(folder, "001-create.py", migration(1, '''\
    for name in ("users", "teams"):
        db.exec(f"CREATE TABLE IF NOT EXISTS {name} (id INTEGER PRIMARY KEY)")
''', '    db.exec("DROP TABLE IF EXISTS users")\n    db.exec("DROP TABLE IF EXISTS teams")\n'))
    second = write_py(folder, "002-x.py", migration(2, '''\
    db.exec("ALTER TABLE users ADD COLUMN x TEXT")
    db.exec("ALTER TABLE users ADD COLUMN y TEXT,")
''', '    db.exec("ALTER TABLE users DROP COLUMN x")\n'))
    found = lint([second], cwd=tmp_path, select="QS0")
    assert codes(found) == ["QS001"]  # syntax is still judged; "no such table" is not


def test_dml_dynamic_sql_keeps_the_schema_known(tmp_path):
    folder = tmp_path / "migrations"
    write_py(folder, "001-create.py", migration(1, '''\
    db.exec("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY)")
    for n in range(3):
        db.execute(f"INSERT INTO users (id) VALUES ({n})")
''', '    db.exec("DROP TABLE IF EXISTS users")\n'))
    second = write_py(folder, "002-x.py", migration(2, '''\
    db.exec("ALTER TABLE nope ADD COLUMN x TEXT")
''', '    pass\n'))
    assert codes(lint([second], cwd=tmp_path, select="QS010")) == ["QS010"]


def test_dynamic_sql_is_info(tmp_path):
    path = write_py(tmp_path / "m", "001-dyn.py", migration(1, '''\
    table = "users"
    db.exec(f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY)")
    db.exec("CREATE TABLE IF NOT EXISTS %s (id INTEGER)" % table)
    db.exec("CREATE TABLE IF NOT EXISTS {} (id INTEGER)".format(table))
    db.exec("CREATE TABLE IF NOT EXISTS " + table + " (id INTEGER)")
    sql = "SELECT 1"
    db.execute(sql)
    db.exec(f"SELECT 1")
    db.exec("SELECT " "2")
''', '    pass\n'))
    found = lint([path], cwd=tmp_path, select="QS003")
    assert [f.severity for f in found] == [Severity.INFO] * 5
    lines = path.read_text().splitlines()
    assert [f.line for f in found] == [
        i for i, t in enumerate(lines, 1)
        if "table" in t and "db.exec" in t or "db.execute(sql)" in t]


def test_target_other_than_the_local_library_skips_version_dependent_syntax_verdicts():
    sql = "ALTER TABLE t ADD CONSTRAINT positive CHECK (n > 0)"
    schema = "CREATE TABLE t (n INTEGER)"
    local = lint_sql(sql, schema=schema, target=LOCAL, select=["QS001"])
    other = lint_sql(sql, schema=schema, target=OTHER, select=["QS001"])
    if sqlite3.sqlite_version_info < (3, 53, 0):
        assert codes(local) == ["QS001"]
    assert other == []
    # an unterminated string is a syntax error in every version
    assert codes(lint_sql("SELECT 'abc", schema=schema, target=OTHER, select=["QS001"])) == ["QS001"]


def test_syntax_errors_are_reported_at_every_target():
    """SQLite's grammar only grows: a statement the local library cannot parse is a syntax
    error for every older target too, and for a newer one unless newer syntax explains it
    (3.40.0 against a local 3.40.1 used to silence every syntax error)."""
    version = ".".join(LOCAL.split(".")[:2])
    for target in (version, "3.30.0", LOCAL, "3.54.1"):
        found = lint_sql("SELEC 1;\nCREATE TABLE t (a,)", schema="", target=target,
                         select=["QS001"])
        assert [(f.line, f.code) for f in found] == [(1, "QS001"), (2, "QS001")], target
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):
        sqlite3.connect(":memory:").execute("CREATE TABLE t (a,)")


def test_a_specific_error_rule_suppresses_the_generic_engine_verdict(monkeypatch):
    def alter_missing(stmt):
        if stmt.keywords[:2] == ("ALTER", "TABLE"):
            yield "a more specific explanation"

    monkeypatch.setitem(registry.RULES, "QS899", Rule(
        "QS899", "test-specific", Severity.ERROR, "test", alter_missing))
    found = lint_sql("ALTER TABLE t ADD COLUMN b TEXT", schema="", select=["QS0", "QS899"])
    assert codes(found) == ["QS899"]
    # a warning does not suppress it
    monkeypatch.setitem(registry.RULES, "QS899", Rule(
        "QS899", "test-specific", Severity.WARNING, "test", alter_missing))
    found = lint_sql("ALTER TABLE t ADD COLUMN b TEXT", schema="", select=["QS0", "QS899"])
    assert codes(found) == ["QS010", "QS899"]


def test_rules_apply_by_section_and_see_the_following_statements(monkeypatch, tmp_path):
    seen = []

    def spy(stmt):
        seen.append((stmt.section, stmt.sql, tuple(stmt.following)))
        return ()

    monkeypatch.setitem(registry.RULES, "QS898", Rule(
        "QS898", "test-spy", Severity.WARNING, "test", spy, sections=("up", None)))
    path = write_py(tmp_path / "m", "001-x.py", migration(1, '''\
    db.exec("CREATE TABLE IF NOT EXISTS a (id INTEGER PRIMARY KEY); CREATE TABLE IF NOT EXISTS b (id INTEGER PRIMARY KEY)")
''', '    db.exec("DROP TABLE IF EXISTS a")\n'))
    lint([path], cwd=tmp_path)
    assert seen == [
        ("up", "CREATE TABLE IF NOT EXISTS a (id INTEGER PRIMARY KEY);",
         ("CREATE TABLE IF NOT EXISTS b (id INTEGER PRIMARY KEY)",)),
        ("up", "CREATE TABLE IF NOT EXISTS b (id INTEGER PRIMARY KEY)", ()),
    ]


def test_a_crashing_rule_becomes_an_info_finding_not_a_traceback(monkeypatch):
    def broken(stmt):
        raise RuntimeError("boom")

    monkeypatch.setitem(registry.RULES, "QS897", Rule(
        "QS897", "test-broken", Severity.ERROR, "test", broken))
    found = lint_sql("SELECT 1", schema="")
    assert [(f.code, f.severity) for f in found] == [("QS009", Severity.INFO)]
    assert "QS897" in found[0].message and "boom" in found[0].message


def test_runaway_statements_in_the_shadow_are_interrupted():
    sql = ("CREATE TABLE IF NOT EXISTS big AS WITH RECURSIVE c(x) AS "
           "(SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c;")
    assert codes(lint_sql(sql, schema="", select=["QS0"])) == []


def test_parameters_do_not_prevent_compiling(tmp_path):
    path = write_py(tmp_path / "m", "001-x.py", migration(1, '''\
    db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    db.execute("INSERT INTO t (id, v) VALUES (?, ?)", (1, "a"))
    db.execute("UPDATE t SET v = :v WHERE id = :id", {"v": "b", "id": 1})
    db.executemany("INSERT INTO t (v) VALUES (?)", [("x",)])
    db.execute("INSERT INTO t (nope) VALUES (?)", (1,))
''', '    db.exec("DROP TABLE IF EXISTS t")\n'))
    found = lint([path], cwd=tmp_path, select="QS0")
    assert [f.message for f in found] == ["SQLite rejects this statement: table t has no column named nope"]


def test_bad_select_codes_and_targets_are_usage_errors():
    with pytest.raises(UsageError, match="QS9Z"):
        lint_sql("SELECT 1", select=["QS9Z"])
    with pytest.raises(UsageError, match="target"):
        lint_sql("SELECT 1", target="three")


# -- never run anything ----------------------------------------------------------------


def test_linting_never_imports_or_runs_the_migration(tmp_path):
    folder = tmp_path / "migrations"
    write_py(folder, "001-side-effects.py", '''
        import pathlib
        pathlib.Path(__file__).with_name("imported.txt").write_text("imported")
        name = "Side effects"
        version = 1


        def up(db):
            pathlib.Path(__file__).with_name("ran-up.txt").write_text("up")
            db.exec("ATTACH DATABASE 'attached.db' AS side")
            db.exec("CREATE TABLE IF NOT EXISTS side.t (id INTEGER PRIMARY KEY)")
            db.exec("VACUUM INTO 'copy.db'")
            db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")


        def down(db):
            db.exec("DETACH DATABASE side")
            db.exec("DROP TABLE IF EXISTS t")
        ''')
    before = sorted(p.name for p in tmp_path.rglob("*"))
    cwd_before = sorted(p.name for p in REPO.iterdir())
    # nothing was attached, so "unknown database side" is not held against the file
    assert lint([folder], cwd=tmp_path, select="QS0") == []
    import os
    os.chdir(folder)
    try:
        lint([folder], cwd=folder)
    finally:
        os.chdir(REPO)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert sorted(p.name for p in REPO.iterdir()) == cwd_before


def test_lint_sql_keeps_its_signature():
    import inspect

    params = inspect.signature(lint_sql).parameters
    assert list(params) == ["sql", "path", "schema", "target", "select", "ignore", "section"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for name, p in params.items() if name != "sql")


REBUILD_UNDER_A_VIEW = """
CREATE TABLE IF NOT EXISTS p_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO p_new (id, name) SELECT id, name FROM p;
DROP TABLE p;
{pragma_on}ALTER TABLE p_new RENAME TO p;
{pragma_off}"""


def test_the_legacy_alter_table_pragma_is_replayed():
    schema = ("CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT); "
              "CREATE VIEW v AS SELECT name FROM p")
    plain = REBUILD_UNDER_A_VIEW.format(pragma_on="", pragma_off="")
    found = lint_sql(plain, schema=schema, select=["QS0"])
    assert [(f.code, f.line, f.message) for f in found] == [
        ("QS010", 5, "SQLite rejects this statement: error in view v: no such table: main.p")]
    bracketed = REBUILD_UNDER_A_VIEW.format(pragma_on="PRAGMA legacy_alter_table = ON;\n",
                                            pragma_off="PRAGMA legacy_alter_table = OFF;\n")
    assert lint_sql(bracketed, schema=schema, select=["QS0"]) == []
    # the rules that rerun a statement on a copy see the pragma too (QS403 did not)
    assert [f.code for f in lint_sql(plain, schema=schema)] == ["QS403"]
    assert lint_sql(bracketed, schema=schema) == []


def test_unbalanced_quotes_in_sql_are_syntax_errors_not_crashes(tmp_path):
    path = write_py(tmp_path / "m", "001-x.py", migration(1, '''\
    db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT DEFAULT 'x)")
''', '    db.exec("DROP TABLE IF EXISTS t")\n'))
    found = lint([path], cwd=tmp_path, select="QS0")
    assert [f.code for f in found] == ["QS001"]
    assert "unrecognized token" in found[0].message or "incomplete input" in found[0].message


def test_module_level_sql_constants_are_read_where_they_are_written(tmp_path):
    path = write_py(tmp_path / "m", "001-x.py", '''
        name = "Constants"
        version = 1

        UP_SQL = """
        CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY);
        ALTER TABLE nope ADD COLUMN x TEXT;
        """
        DOWN_SQL = "DROP TABLE IF EXISTS t"
        REBOUND = "SELECT 1"


        def up(db):
            db.exec(UP_SQL)
            db.exec(REBOUND)


        def down(db):
            REBOUND = "SELECT 2"
            db.exec(DOWN_SQL)
            db.exec(REBOUND)
        ''')
    lines = path.read_text().splitlines()
    found = lint([path], cwd=tmp_path, select="QS0")
    nope = next(i for i, t in enumerate(lines, 1) if "nope" in t)
    rebound = [i for i, t in enumerate(lines, 1) if "db.exec(REBOUND)" in t]
    assert [(f.code, f.line) for f in found] == [
        ("QS010", nope), ("QS003", rebound[0]), ("QS003", rebound[1])]


@pytest.mark.parametrize("up_marker, down_marker", [
    ("-- migrate:up", "-- migrate:down"),
    ("-- +goose Up", "-- +goose Down"),
    ("-- +migrate Up", "-- +migrate Down"),
])
def test_sql_files_with_up_and_down_markers_get_sections(tmp_path, monkeypatch, up_marker, down_marker):
    seen = []

    def spy(stmt):
        seen.append((stmt.section, stmt.sql.split()[0]))
        return ()

    monkeypatch.setitem(registry.RULES, "QS898", Rule(
        "QS898", "test-spy", Severity.WARNING, "test", spy))
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "20240101000000_users.sql").write_text(
        f"{up_marker}\nCREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY);\n\n"
        f"{down_marker}\nDROP TABLE IF EXISTS users;\n")
    second = folder / "20240102000000_nick.sql"
    second.write_text(
        f"{up_marker}\nALTER TABLE users ADD COLUMN nick TEXT;\n"
        f"{down_marker}\nALTER TABLE users DROP COLUMN nick;\nALTER TABLE users DROP COLUMN nick;\n")
    found = lint([folder], cwd=tmp_path, select="QS0,QS898")
    assert seen == [("up", "CREATE"), ("down", "DROP"), ("up", "ALTER"), ("down", "ALTER"),
                    ("down", "ALTER")]
    # down is checked after up (the first DROP COLUMN works), and never reaches the next file
    assert [(f.path, f.line, f.message) for f in found] == [
        (str(second), 5, 'SQLite rejects this statement: no such column: "nick"')]


def test_dynamic_ddl_in_up_makes_the_rest_of_the_file_unknown(tmp_path):
    path = write_py(tmp_path / "m", "001-x.py", migration(1, '''\
    db.exec("ALTER TABLE before_dynamic ADD COLUMN x TEXT")
    for name in ("users",):
        db.exec(f"CREATE TABLE IF NOT EXISTS {name} (id INTEGER PRIMARY KEY)")
    db.exec("ALTER TABLE users ADD COLUMN x TEXT")
''', '    db.exec("DROP TABLE IF EXISTS users")\n'))
    lines = path.read_text().splitlines()
    found = lint([path], cwd=tmp_path, select="QS0")
    assert [(f.code, f.line, f.message) for f in found] == [
        ("QS010", next(i for i, t in enumerate(lines, 1) if "before_dynamic" in t),
         "SQLite rejects this statement: no such table: before_dynamic"),
        ("QS003", next(i for i, t in enumerate(lines, 1) if 'f"CREATE' in t),
         "dynamic SQL passed to exec() is not checked"),
    ]


def test_syntax_errors_point_at_the_token_sqlite_names_not_an_earlier_twin(tmp_path):
    # `,` occurs three times; only the last one is wrong
    sql = "CREATE TABLE IF NOT EXISTS t (\n  a INTEGER,\n  b TEXT,\n  c TEXT,\n);\n"
    (found,) = lint_sql(sql, schema="", select=["QS001"])
    assert (found.line, found.column) == (5, 1)
    assert found.message.startswith('SQLite rejects this statement: near ")": syntax error')
    # an escaped string cannot be mapped exactly: the statement's start is reported
    path = write_py(tmp_path / "m", "001-x.py", migration(1, '''\
    db.exec("SELECT 1;\\n  CREATE TABLE IF NOT EXISTS t (a INTEGER,)")
''', "    pass\n"))
    (found,) = lint([path], cwd=tmp_path, select="QS001")
    line = path.read_text().splitlines()[found.line - 1]
    assert found.column == line.index('"') + 1


def test_noqa_comments_are_read_whatever_their_case(tmp_path):
    """`# QSCAFFOLD: NOQA: QS201` suppresses as the lower-case form does, in .py and .sql."""
    sql = "CREATE TABLE t (id INTEGER PRIMARY KEY);"
    assert [f.code for f in lint_sql(sql, schema="")] == ["QS201"]
    assert lint_sql(sql + "  -- QSCAFFOLD: NOQA: QS201", schema="") == []
    folder = tmp_path / "migrations"
    write_py(folder, "001-t.py", migration(
        1, f'    db.exec("{sql}")  # Qscaffold: NoQA: QS201\n', '    db.exec("DROP TABLE IF EXISTS t")\n'))
    assert lint([folder], cwd=tmp_path) == []


def test_statements_sqlglot_cannot_parse_are_reported_in_their_own_files(tmp_path):
    """QS002's parses run together once the folder is checked: each finding still lands on
    its file and line, and a noqa on the call still silences it (without an unused-noqa)."""
    sql = "CREATE TABLE IF NOT EXISTS tags{n} (id INTEGER PRIMARY KEY, names TEXT[])"
    folder = tmp_path / "migrations"
    for n, comment in ((1, ""), (2, "  # qscaffold: noqa: QS002"), (3, "")):
        write_py(folder, f"00{n}-tags.py", migration(
            n, f'    db.exec("SELECT 1")\n    db.exec("{sql.format(n=n)}"){comment}\n',
            f'    db.exec("DROP TABLE IF EXISTS tags{n}")\n'))
    found = [(f.path.rsplit("/", 1)[-1], f.line, f.code)
             for f in lint([folder], cwd=tmp_path, select=["QS002"])]
    assert found == [("001-tags.py", 7, "QS002"), ("003-tags.py", 7, "QS002")]
