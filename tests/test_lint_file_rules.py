"""File rules (QS2xx/QS3xx/QS9xx of meta.py), noqa handling, --select/--ignore."""

from __future__ import annotations

import re

import pytest

from _lint_support import codes, lint, migration, write_py
from qscaffold.lint.engine import lint_sql
from qscaffold.lint.model import Severity
from qscaffold.lint.registry import all_rules

CLEAN_UP = '    db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")\n'
CLEAN_DOWN = '    db.exec("DROP TABLE IF EXISTS t")\n'


def _lint_one(tmp_path, source, filename="001-x.py", **flags):
    path = write_py(tmp_path / "migrations", filename, source)
    return path, lint([path], cwd=tmp_path, **flags)


def test_a_clean_migration_has_no_findings(tmp_path):
    _, found = _lint_one(tmp_path, migration(1, CLEAN_UP, CLEAN_DOWN))
    assert found == []


def test_missing_down_is_a_warning_at_up(tmp_path):
    path, found = _lint_one(tmp_path, migration(1, CLEAN_UP, None))
    up_line = path.read_text().splitlines().index("def up(db):") + 1
    assert [(f.code, f.severity, f.line) for f in found] == [("QS206", Severity.WARNING, up_line)]


def test_missing_up_is_an_error(tmp_path):
    _, found = _lint_one(tmp_path, 'name = "x"\nversion = 1\n\n\ndef upgrade(db):\n' + CLEAN_UP
                         + "\n\ndef down(db):\n" + CLEAN_DOWN)
    assert "QS901" in codes(found)


@pytest.mark.parametrize("source, message", [
    ("def up(db)\n    pass\n", "Python syntax error"),
    ("def up(db):\n    db.exec('''unterminated\n", "Python syntax error"),
    ("name = 'x'\x00\n", "NUL bytes"),
])
def test_unreadable_files_are_one_finding(tmp_path, source, message):
    path = tmp_path / "migrations" / "001-x.py"
    path.parent.mkdir()
    path.write_text(source)
    found = lint([path], cwd=tmp_path)
    assert codes(found) == ["QS902"]
    assert message in found[0].message


def test_undecodable_bytes_are_unreadable(tmp_path):
    path = tmp_path / "migrations" / "001-x.py"
    path.parent.mkdir()
    path.write_bytes(b"name = 'x'\nversion = 1\n# \xff\xfe caf\xe9\n")
    found = lint([path], cwd=tmp_path)
    assert [(f.code, f.line) for f in found] == [("QS902", 3)]
    assert "not UTF-8" in found[0].message


def test_a_syntax_error_reports_its_line(tmp_path):
    path, found = _lint_one(tmp_path, migration(1, "    db.exec('SELECT 1'\n", CLEAN_DOWN))
    assert codes(found) == ["QS902"]
    assert found[0].line >= 5


@pytest.mark.parametrize("filename, problem", [
    ("1-add-users.py", "at least 3 digits"),
    ("001_add_users.py", "separated by '-'"),
    ("001-Add-Users.py", "kebab-case"),
])
def test_misnamed_files_are_errors(tmp_path, filename, problem):
    _, found = _lint_one(tmp_path, migration(1, CLEAN_UP, CLEAN_DOWN), filename=filename)
    assert codes(found) == ["QS903"]
    assert problem in found[0].message


@pytest.mark.parametrize("header, code, fragment", [
    ('name = "x"\nversion = 2\n', "QS904", "does not match the file's number 1"),
    ('name = "x"\nversion = "1"\n', "QS904", "must be the integer 1"),
    ('name = "x"\n', "QS904", "no `version = 1`"),
    ('version = 1\n', "QS905", "no `name"),
    ('name = ""\nversion = 1\n', "QS905", "non-empty"),
])
def test_name_and_version_are_checked(tmp_path, header, code, fragment):
    source = header + "\n\ndef up(db):\n" + CLEAN_UP + "\n\ndef down(db):\n" + CLEAN_DOWN
    _, found = _lint_one(tmp_path, source)
    assert codes(found) == [code]
    assert fragment in found[0].message


def test_python_implicit_commits_are_errors(tmp_path):
    path, found = _lint_one(tmp_path, migration(1, CLEAN_UP + '''\
    db.connection.executescript("SELECT 1;")
    db.connection.commit()
    conn = db.connection
    conn.rollback()
    conn.isolation_level = None
    db.savepoint()
''', CLEAN_DOWN))
    lines = path.read_text().splitlines()
    expected = [i for i, t in enumerate(lines, 1)
                if re.search(r"executescript|commit\(\)|rollback\(\)|isolation_level", t)]
    assert [f.line for f in found if f.code == "QS306"] == expected
    assert codes(found) == ["QS306"] * 4


def test_several_statements_in_execute_are_errors_but_not_in_exec(tmp_path):
    path, found = _lint_one(tmp_path, migration(1, CLEAN_UP + '''\
    db.execute("SELECT 1; SELECT 2")
    db.query("SELECT 1; SELECT 2;")
    db.exec("SELECT 1; SELECT 2")
    db.execute("SELECT 1;")
''', CLEAN_DOWN))
    lines = path.read_text().splitlines()
    assert [(f.code, f.line) for f in found] == [
        ("QS307", i) for i, t in enumerate(lines, 1) if "execute(\"SELECT 1; SELECT 2" in t
        or "query(" in t]


@pytest.mark.parametrize("up, down, fragment", [
    ('    db.exec("ALTER TABLE t ADD COLUMN nick TEXT")\n', "    pass\n", "does nothing"),
    ('    db.exec("ALTER TABLE t ADD COLUMN nick TEXT")\n', '    db.exec("SELECT 1")\n',
     "leaves column t.nick"),
    ('    db.exec("CREATE INDEX IF NOT EXISTS ix ON t(id)")\n', '    db.exec("SELECT 1")\n',
     "leaves index ix"),
    ('    db.exec("DROP TABLE IF EXISTS t")\n', '    db.exec("SELECT 1")\n',
     "does not recreate table t"),
])
def test_down_that_does_not_undo_up_is_a_warning(tmp_path, up, down, fragment):
    folder = tmp_path / "migrations"
    write_py(folder, "001-t.py", migration(1, CLEAN_UP, CLEAN_DOWN))
    path = write_py(folder, "002-x.py", migration(2, up, down))
    found = [f for f in lint([path], cwd=tmp_path) if f.code == "QS207"]
    assert len(found) == 1 and fragment in found[0].message
    assert found[0].line == path.read_text().splitlines().index("def down(db):") + 1


def test_down_that_undoes_up_through_a_rebuild_is_fine(tmp_path):
    folder = tmp_path / "migrations"
    write_py(folder, "001-t.py", migration(1, '''\
    db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, a TEXT, b TEXT)")
    db.exec("CREATE INDEX IF NOT EXISTS ix_t_a ON t(a)")
''', CLEAN_DOWN))
    path = write_py(folder, "002-drop-b.py", migration(2, '''\
    db.exec("ALTER TABLE t DROP COLUMN b")
''', '''\
    db.exec("ALTER TABLE t ADD COLUMN b TEXT")
'''))
    assert [f for f in lint([path], cwd=tmp_path) if f.code == "QS207"] == []


# -- noqa --------------------------------------------------------------------------------


MISSING_DOWN = migration(1, CLEAN_UP, None)


def test_coded_noqa_on_the_calls_line_suppresses_that_code_only(tmp_path):
    source = migration(1, '''\
    db.exec("ALTER TABLE nope ADD COLUMN x TEXT")  # qscaffold: noqa: QS010
    db.exec("ALTER TABLE nope2 ADD COLUMN x TEXT")  # qscaffold: noqa: QS206
''', CLEAN_DOWN)
    path, found = _lint_one(tmp_path, source, select="QS0,QS2")
    lines = path.read_text().splitlines()
    second = next(i for i, t in enumerate(lines, 1) if "nope2" in t)
    assert [(f.code, f.line) for f in found] == [("QS010", second), ("QS004", second)]
    assert "QS206" in found[1].message


def test_bare_noqa_suppresses_everything_on_the_line_and_is_unused_elsewhere(tmp_path):
    source = migration(1, '''\
    db.exec("ALTER TABLE nope ADD COLUMN x TEXT")  # qscaffold: noqa
    db.exec("SELECT 1")  # qscaffold: noqa
''', CLEAN_DOWN)
    path, found = _lint_one(tmp_path, source)
    lines = path.read_text().splitlines()
    assert [(f.code, f.line) for f in found] == [
        ("QS004", next(i for i, t in enumerate(lines, 1) if "SELECT 1" in t))]


def test_noqa_on_a_multiline_call_applies_to_its_statements(tmp_path):
    source = migration(1, '''\
    db.exec(  # qscaffold: noqa: QS010
        """
        ALTER TABLE nope ADD COLUMN x TEXT;
        ALTER TABLE nope2 ADD COLUMN y TEXT;  -- qscaffold: noqa: QS010
        ALTER TABLE nope3 ADD COLUMN z TEXT;
        """
    )
    db.exec("""
        ALTER TABLE nope4 ADD COLUMN z TEXT;  -- qscaffold: noqa: QS010
        ALTER TABLE nope5 ADD COLUMN z TEXT;
    """)
''', CLEAN_DOWN)
    path, found = _lint_one(tmp_path, source, select="QS0")
    lines = path.read_text().splitlines()
    # the call-line noqa covers the whole first call; in the second call only the
    # statement on nope4's line is covered
    assert [(f.code, lines[f.line - 1].strip()[:24]) for f in found] == [
        ("QS010", "ALTER TABLE nope5 ADD CO"),
    ]


def test_file_level_noqa(tmp_path):
    source = "# qscaffold: noqa-file: QS206\n" + MISSING_DOWN
    _, found = _lint_one(tmp_path, source)
    assert found == []
    source = "# qscaffold: noqa-file: QS206, QS999\n" + migration(1, CLEAN_UP, CLEAN_DOWN)
    _, found = _lint_one(tmp_path, source)
    assert sorted(codes(found)) == ["QS004", "QS005"]


def test_unknown_noqa_codes_are_reported(tmp_path):
    source = migration(1, '    db.exec("SELECT 1")  # qscaffold: noqa: QS2O1\n', CLEAN_DOWN)
    _, found = _lint_one(tmp_path, source)
    assert [(f.code, f.message) for f in found] == [
        ("QS005", "`noqa` names unknown rule code QS2O1")]


def test_noqa_inside_a_string_literal_is_not_a_comment(tmp_path):
    source = migration(1, '''\
    db.exec("SELECT '# qscaffold: noqa'")
    db.exec("ALTER TABLE nope ADD COLUMN x TEXT")
''', CLEAN_DOWN)
    _, found = _lint_one(tmp_path, source, select="QS0")
    assert codes(found) == ["QS010"]


def test_noqa_in_sql_files():
    sql = ("ALTER TABLE nope ADD COLUMN x TEXT; -- qscaffold: noqa: QS010\n"
           "ALTER TABLE nope2 ADD COLUMN x TEXT;\n"
           "SELECT 1; -- qscaffold: noqa\n"
           "CREATE TABLE IF NOT EXISTS t (\n  id INTEGER PRIMARY KEY,\n);  -- qscaffold: noqa: QS001\n")
    found = lint_sql(sql, schema="", select=["QS0"])
    assert [(f.code, f.line) for f in found] == [("QS010", 2), ("QS004", 3)]
    assert lint_sql("-- qscaffold: noqa-file: QS010\n" + sql, schema="", select=["QS010"]) == []


# -- select / ignore ---------------------------------------------------------------------


BAD = migration(1, '    db.exec("ALTER TABLE nope ADD COLUMN x TEXT")\n', None)


def test_select_and_ignore_take_codes_and_prefixes(tmp_path):
    _, found = _lint_one(tmp_path, BAD)
    assert codes(found) == ["QS206", "QS010"] or sorted(codes(found)) == ["QS010", "QS206"]
    _, found = _lint_one(tmp_path, BAD, select="QS2")
    assert codes(found) == ["QS206"]
    _, found = _lint_one(tmp_path, BAD, ignore="QS206")
    assert codes(found) == ["QS010"]
    _, found = _lint_one(tmp_path, BAD, select="QS0,QS206", ignore="QS01")
    assert codes(found) == ["QS206"]


def test_select_and_ignore_come_from_pyproject_and_the_flag_wins(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.qscaffold]\nignore = ["QS206"]\n')
    _, found = _lint_one(tmp_path, BAD)
    assert codes(found) == ["QS010"]
    _, found = _lint_one(tmp_path, BAD, ignore="QS010")
    assert codes(found) == ["QS206"]


def test_every_meta_rule_is_documented_in_the_ruff_style():
    rules = {code: r for code, r in all_rules().items()
             if r.check.__module__.endswith(".meta")}
    assert {"QS001", "QS002", "QS003", "QS004", "QS005", "QS010", "QS206", "QS207", "QS306",
            "QS307", "QS901", "QS902", "QS903", "QS904", "QS905"} <= set(rules)
    for code, r in rules.items():
        text = r.explanation
        for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
            assert section in text, (code, section)
        assert re.search(r"## Example\s+```(sql|python)\n", text), code
        assert re.search(r"Use instead:\s+```(sql|python)\n", text), code


def test_two_files_sharing_a_version_are_both_reported(tmp_path):
    folder = tmp_path / "migrations"
    write_py(folder, "001-t.py", migration(1, CLEAN_UP, CLEAN_DOWN))
    a = write_py(folder, "002-add-email.py", migration(
        2, '    db.exec("ALTER TABLE t ADD COLUMN email TEXT")\n',
        '    db.exec("ALTER TABLE t DROP COLUMN email")\n'))
    b = write_py(folder, "002-add-phone.py", migration(
        2, '    db.exec("ALTER TABLE t ADD COLUMN phone TEXT")\n',
        '    db.exec("ALTER TABLE t DROP COLUMN phone")\n'))
    found = lint([b], cwd=tmp_path)
    assert [(f.code, f.line, f.message) for f in found] == [
        ("QS906", 1, "version 2 is also used by 002-add-email.py: renumber one of them")]
    found = lint([folder], cwd=tmp_path)
    assert sorted((f.path, f.code) for f in found) == [(str(a), "QS906"), (str(b), "QS906")]
