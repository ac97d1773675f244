"""`qscaffold lint` and `qscaffold rules` on the command line: exit codes, options, imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from _lint_support import REPO, invoke, migration, write_py
from qscaffold.lint.registry import all_rules

CLEAN = migration(1, '    db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")\n',
                  '    db.exec("DROP TABLE IF EXISTS t")\n')


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.qscaffold]\nmigrations_dir = "db/migrations"\n')
    folder = tmp_path / "db" / "migrations"
    write_py(folder, "001-create-t.py", CLEAN)
    return tmp_path


def test_clean_folder_exits_0(project, monkeypatch):
    result = invoke(["lint"], project, monkeypatch)
    assert result.exit_code == 0, result.output
    assert result.stdout == "All checks passed: no findings.\n"


def test_the_shipped_migrations_lint_clean_through_the_cli(monkeypatch):
    result = invoke(["lint"], REPO, monkeypatch)
    assert (result.exit_code, result.stdout) == (0, "All checks passed: no findings.\n")


def test_errors_and_warnings_exit_1_and_name_the_file(project, monkeypatch):
    bad = write_py(project / "db" / "migrations", "002-bad.py",
                   migration(2, '    db.exec("ALTER TABLE nope ADD COLUMN x TEXT")\n', None))
    result = invoke(["lint"], project, monkeypatch)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("db/migrations/002-bad.py:")
    assert "QS010" in result.stdout and "QS206" in result.stdout
    assert lines[-1].startswith("Found 2 findings: 1 error, 1 warning, 0 info")
    # only warnings still fail the run
    bad.write_text(migration(2, '    db.exec("SELECT 1")\n', None))
    assert invoke(["lint"], project, monkeypatch).exit_code == 1


def test_info_only_exits_0(project, monkeypatch):
    write_py(project / "db" / "migrations", "002-dyn.py", migration(
        2, '    for t in ("a", "b"):\n        db.exec(f"UPDATE {t} SET x = 1")\n',
        '    for t in ("a", "b"):\n        db.exec(f"UPDATE {t} SET x = 0")\n'))
    result = invoke(["lint", "--format", "json"], project, monkeypatch)
    assert result.exit_code == 0, result.output
    assert [(d["code"], d["severity"]) for d in json.loads(result.stdout)] == [("QS003", "info")] * 2


def test_paths_may_be_files_or_folders(project, monkeypatch):
    write_py(project / "other", "001-x.py", migration(1, '    db.exec("SELEC 1")\n', "    pass\n"))
    result = invoke(["lint", "other/001-x.py", "db/migrations"], project, monkeypatch)
    assert result.exit_code == 1
    assert result.stdout.startswith('other/001-x.py:6:14: QS001 SQLite rejects this statement: near "SELEC"')


def test_sql_files_are_linted(project, monkeypatch):
    sql = project / "sql" / "0001_init.sql"
    sql.parent.mkdir()
    sql.write_text("CREATE TABLE IF NOT EXISTS a (id INTEGER PRIMARY KEY);\nALTER TABLE a ADD COLUMN;\n")
    result = invoke(["lint", "sql"], project, monkeypatch)
    assert result.exit_code == 1
    # the column of the token SQLite names: `near ";"`
    assert result.stdout.startswith('sql/0001_init.sql:2:25: QS001 SQLite rejects this statement: near ";"')


@pytest.mark.parametrize("args, fragment", [
    (["lint", "--format", "xml"], "'xml' is not one of"),
    (["lint", "nowhere"], "does not exist"),
    (["lint", "--select", "QS9X9"], "unknown rule code or prefix 'QS9X9'"),
    (["lint", "--ignore", "E501"], "unknown rule code or prefix 'E501'"),
    (["lint", "--target-sqlite", "3.x"], "is not a SQLite version"),
    (["lint", "--target-sqlite", ""], "is not a SQLite version"),
    (["rules", "QS999"], "unknown rule code 'QS999'"),
])
def test_bad_usage_exits_2(project, monkeypatch, args, fragment):
    result = invoke(args, project, monkeypatch)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr
    assert "Traceback" not in result.output


def test_missing_migrations_folder_exits_2(tmp_path, monkeypatch):
    result = invoke(["lint"], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


def test_non_migration_file_exits_2(project, monkeypatch):
    (project / "notes.txt").write_text("hello")
    result = invoke(["lint", "notes.txt"], project, monkeypatch)
    assert result.exit_code == 2
    assert "not a .py or .sql migration file" in result.stderr


def test_bad_target_in_pyproject_exits_2(project, monkeypatch):
    (project / "pyproject.toml").write_text(
        '[tool.qscaffold]\nmigrations_dir = "db/migrations"\ntarget_sqlite = "latest"\n')
    result = invoke(["lint"], project, monkeypatch)
    assert result.exit_code == 2
    assert "target" in result.stderr


def test_select_and_ignore_flags(project, monkeypatch):
    write_py(project / "db" / "migrations", "002-bad.py",
             migration(2, '    db.exec("ALTER TABLE nope ADD COLUMN x TEXT")\n', None))
    result = invoke(["lint", "--select", "QS2", "--format", "json"], project, monkeypatch)
    assert [d["code"] for d in json.loads(result.stdout)] == ["QS206"]
    result = invoke(["lint", "--ignore", "QS206,QS01", "--format", "json"], project, monkeypatch)
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_target_sqlite_flag(project, monkeypatch):
    write_py(project / "db" / "migrations", "002-bad.py",
             migration(2, '    db.exec("CREATE TABLE IF NOT EXISTS b (a,)")\n',
                       '    db.exec("DROP TABLE IF EXISTS b")\n'))
    local = invoke(["lint", "--select", "QS001"], project, monkeypatch)
    other = invoke(["lint", "--select", "QS001", "--target-sqlite", "3.35.0"], project, monkeypatch)
    assert local.exit_code == 1 and "QS001" in local.stdout
    # a syntax error is one at every target
    assert other.exit_code == 1 and other.stdout == local.stdout, other.output
    # the target gates version-dependent syntax: 3.53's ADD CHECK passes at 3.54.1
    write_py(project / "db" / "migrations", "002-bad.py",
             migration(2, '    db.exec("ALTER TABLE t ADD CHECK (a > 0)")\n', "    pass\n"))
    newer = invoke(["lint", "--select", "QS0,QS140", "--target-sqlite", "3.54.1"], project,
                   monkeypatch)
    assert newer.exit_code == 0, newer.output


def test_rules_lists_every_rule(monkeypatch, tmp_path):
    result = invoke(["rules"], tmp_path, monkeypatch)
    assert result.exit_code == 0
    rules = all_rules()
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(rules)
    for line, r in zip(lines, rules.values()):
        assert line.split()[1:3] == [r.name, r.severity.value]
        assert line.endswith(r.summary)


def test_rules_code_prints_the_explanation(monkeypatch, tmp_path):
    result = invoke(["rules", "qs207"], tmp_path, monkeypatch)
    assert result.exit_code == 0
    assert result.stdout.startswith("QS207 down-not-inverse (warning)\n")
    for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
        assert section in result.stdout


def test_lint_help_documents_the_options(monkeypatch, tmp_path):
    result = invoke(["lint", "--help"], tmp_path, monkeypatch)
    for option in ("--format", "--select", "--ignore", "--target-sqlite"):
        assert option in result.stdout


def test_python_dash_m_runs_lint(project):
    result = subprocess.run([sys.executable, "-m", "qscaffold", "lint", "--format", "json"],
                            cwd=project, capture_output=True, text=True, timeout=120)
    assert (result.returncode, json.loads(result.stdout)) == (0, [])
    assert result.stderr == ""


def _modules_after(args, cwd) -> set[str]:
    code = (
        "import sys\n"
        "from qscaffold.cli import main\n"
        f"sys.argv = ['qscaffold'] + {args!r}\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                            text=True, timeout=120)
    return set(result.stderr.split())


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["migrate", "status"], ["rules"],
                                  ["rules", "QS201"]])
def test_help_status_and_rules_import_neither_sqlglot_nor_jinja2(args, project):
    modules = _modules_after(args, project)
    assert "click" in modules  # the probe really ran the command line
    assert "sqlglot" not in modules
    assert "jinja2" not in modules


def test_linting_a_clean_file_never_imports_sqlglot(project):
    modules = _modules_after(["lint"], project)
    assert "qscaffold.lint.engine" in modules  # the probe really linted
    assert "sqlglot" not in modules


def test_sqlglot_is_imported_for_a_rejected_statement_or_when_qs002_is_selected(project):
    assert "sqlglot" in _modules_after(["lint", "--select", "QS002"], project)
    write_py(project / "db" / "migrations", "002-seed.py", migration(
        2, '    db.exec("INSERT IGNORE INTO t (id) VALUES (1)")\n', '    db.exec("DELETE FROM t")\n'))
    assert "sqlglot" in _modules_after(["lint"], project)


def test_the_shipped_migrations_lint_without_sqlglot(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    migration = Path(__file__).resolve().parent.parent / "migrations" / "003-add-api-keys-table.py"
    probe = (
        "import sys\n"
        "from qscaffold.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:], prog_name='qscaffold')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print('SQLGLOT=' + str('sqlglot' in sys.modules), 'CODE=' + str(code), file=sys.stderr)\n"
    )
    default = subprocess.run([sys.executable, "-c", probe, "lint", str(migration)],
                             capture_output=True, text=True, cwd=tmp_path)
    assert "SQLGLOT=False CODE=0" in default.stderr, default.stderr
