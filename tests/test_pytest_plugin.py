"""The pytest plugin, run for real inside throwaway projects with pytester."""

from __future__ import annotations

import json
import sqlite3  # noqa: F401 - loaded before pytester's in-process runs, which unload what they load
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qscaffold.cli import main

pytest_plugins = ["pytester"]


def migration(version: int, slug: str, up: str, down: str | None = None) -> str:
    text = f'name = "{slug}"\nversion = {version}\n\n\ndef up(db):\n    db.exec({up!r})\n'
    if down is not None:
        text += f"\n\ndef down(db):\n    db.exec({down!r})\n"
    return text


GOOD = {
    "001-create-users": migration(
        1, "create-users",
        "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)",
        "DROP TABLE IF EXISTS users"),
    "002-create-posts": migration(
        2, "create-posts",
        "CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY, "
        "user_id INTEGER NOT NULL REFERENCES users(id), body TEXT);"
        "CREATE INDEX IF NOT EXISTS idx_posts_user_id ON posts(user_id)",
        "DROP INDEX IF EXISTS idx_posts_user_id; DROP TABLE IF EXISTS posts"),
    "003-add-nick-to-users": migration(
        3, "add-nick-to-users",
        "ALTER TABLE users ADD COLUMN nick TEXT",
        "ALTER TABLE users DROP COLUMN nick"),
}

USER_TESTS = '''
def test_users_table(migrated_db):
    assert migrated_db.has_column("users", "nick")


def test_runner_starts_empty(qscaffold_runner):
    assert qscaffold_runner.get_current_version() == 0
    qscaffold_runner.run_migrations(to=1)
    assert qscaffold_runner.get_current_version() == 1
'''


def make_project(pytester: pytest.Pytester, migrations: dict[str, str], *,
                 folder: str = "migrations", ini: str = "") -> Path:
    pytester.makepyprojecttoml(
        f'[tool.qscaffold]\nmigrations_dir = "{folder}"\n\n[tool.pytest.ini_options]\n{ini}'
    )
    target = pytester.path / folder
    target.mkdir(parents=True, exist_ok=True)
    for stem, text in migrations.items():
        (target / f"{stem}.py").write_text(text, encoding="utf-8")
    pytester.makepyfile(test_app=USER_TESTS)
    return target


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # -k "not test_lint": the lint item depends on the linter's rules, tested on its own below
    return pytester.runpytest("-p", "no:cacheprovider", "-v", *args)


def failure_sections(result: pytest.RunResult) -> str:
    return result.stdout.str().split("= FAILURES =", 1)[-1]


def test_a_good_set_passes_with_user_tests_and_named_items(pytester):
    make_project(pytester, GOOD)
    result = run(pytester, "--qscaffold", "-k", "not test_lint")
    result.assert_outcomes(passed=2 + 2 + 3)
    result.stdout.fnmatch_lines([
        "qscaffold::test_migration_files PASSED*",
        "qscaffold::test_upgrade PASSED*",
        "qscaffold::test_up_down_consistency[[]001-create-users[]] PASSED*",
        "qscaffold::test_up_down_consistency[[]002-create-posts[]] PASSED*",
        "qscaffold::test_up_down_consistency[[]003-add-nick-to-users[]] PASSED*",
    ])


def test_ready_made_tests_only_run_when_asked_for(pytester):
    make_project(pytester, GOOD)
    result = run(pytester)
    result.assert_outcomes(passed=2)  # the fixtures work without the flag
    assert "qscaffold::" not in result.stdout.str()


def test_the_ini_setting_turns_them_on(pytester):
    make_project(pytester, GOOD, ini="qscaffold_tests = true")
    result = run(pytester, "-k", "not test_lint")
    result.assert_outcomes(passed=7)


def test_down_that_forgets_a_column_fails_naming_migration_and_column(pytester):
    bad = dict(GOOD)
    bad["003-add-nick-to-users"] = migration(3, "add-nick-to-users",
                                             "ALTER TABLE users ADD COLUMN nick TEXT", "SELECT 1")
    make_project(pytester, bad)
    result = run(pytester, "--qscaffold", "-k", "not test_lint")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines([
        "*_ qscaffold::test_up_down_consistency[[]003-add-nick-to-users[]] _*",
        "*003-add-nick-to-users.py: migration 3 (add-nick-to-users) fails the up/down/up round trip:",
        "  down leaves column users.nick",
        "  up after down fails: OperationalError: duplicate column name: nick",
        "FAILED qscaffold::test_up_down_consistency[[]003-add-nick-to-users[]]*",
    ])
    failures = failure_sections(result)
    assert "Traceback" not in failures and "runner.py" not in failures and "verify.py" not in failures


def test_missing_down_fails(pytester):
    bad = dict(GOOD)
    bad["002-create-posts"] = migration(2, "create-posts", "CREATE TABLE posts (id INTEGER PRIMARY KEY)")
    make_project(pytester, bad)
    result = run(pytester, "--qscaffold", "-k", "consistency")
    result.assert_outcomes(passed=2, failed=1, deselected=5)
    result.stdout.fnmatch_lines([
        "*002-create-posts.py: migration 2 (create-posts) fails the up/down/up round trip:",
        "  down is missing",
    ])


def test_up_that_breaks_a_foreign_key_fails_and_later_migrations_are_skipped(pytester):
    bad = dict(GOOD)
    bad["002-create-posts"] = migration(
        2, "create-posts",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));"
        "INSERT INTO posts (user_id) VALUES (99)",
        "DROP TABLE posts")
    make_project(pytester, bad)
    result = run(pytester, "--qscaffold", "-k", "not test_lint", "-rs")
    # test_upgrade fails too, and so does the user's test that needs migrated_db
    result.assert_outcomes(passed=3, failed=2, skipped=1, errors=1)
    result.stdout.fnmatch_lines([
        "*002-create-posts.py: migration 2 (create-posts) fails the up/down/up round trip:",
        "  up breaks foreign keys: posts rowid 1 references a missing row in users",
    ])
    result.stdout.fnmatch_lines(["*_ qscaffold::test_upgrade _*",
                                 "migrations do not apply on an empty database:",
                                 "*002-create-posts.py: up() broke foreign keys*"])
    result.stdout.fnmatch_lines(["SKIPPED*003-add-nick-to-users.py: not checked: 002-create-posts.py failed before it"])
    result.stdout.fnmatch_lines(["*migrated_db: the migrations do not apply:*002-create-posts.py*"])


def test_plugin_and_migrate_verify_agree(pytester):
    bad = dict(GOOD)
    bad["002-create-posts"] = migration(2, "create-posts", "CREATE TABLE posts (id INTEGER PRIMARY KEY)",
                                        "SELECT 1")
    folder = make_project(pytester, bad)
    result = run(pytester, "--qscaffold", "-k", "consistency")
    outcomes = {}
    for line in result.stdout.lines:
        if line.startswith("qscaffold::test_up_down_consistency[") and " " in line:
            name, verdict = line.split(" ")[:2]
            outcomes[name.split("[", 1)[1].rstrip("]")] = verdict
    cli = CliRunner().invoke(main, ["migrate", "verify", "--fresh", "--json", "--dir", str(folder)])
    assert cli.exit_code == 1
    data = json.loads(cli.output[: cli.output.rindex("}") + 1])
    verified = {Path(m["file"]).stem: m["status"].upper() for m in data["migrations"]}
    assert outcomes == verified == {"001-create-users": "PASSED", "002-create-posts": "FAILED",
                                    "003-add-nick-to-users": "PASSED"}
    assert "down leaves table posts" in result.stdout.str()
    assert data["migrations"][1]["problems"][0] == "down leaves table posts"


def test_file_problems_fail_test_migration_files(pytester):
    bad = dict(GOOD)
    bad["004-create-tags"] = migration(5, "create-tags", "CREATE TABLE tags (a)", "DROP TABLE tags")
    make_project(pytester, bad)
    result = run(pytester, "--qscaffold", "-k", "test_migration_files")
    result.assert_outcomes(failed=1, deselected=8)
    result.stdout.fnmatch_lines(["*004-create-tags.py: `version = 5` does not match the file's number 4"])


def test_a_gap_in_the_numbering_is_a_warning(pytester):
    gap = dict(GOOD)
    gap["005-create-tags"] = migration(5, "create-tags", "CREATE TABLE tags (a)", "DROP TABLE tags")
    make_project(pytester, gap)
    result = run(pytester, "--qscaffold", "-k", "test_migration_files")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*no migration with version 4 (a gap in the numbering)*"])


def test_duplicate_versions_fail(pytester):
    dup = dict(GOOD)
    dup["003-create-tags"] = migration(3, "create-tags", "CREATE TABLE tags (a)", "DROP TABLE tags")
    make_project(pytester, dup)
    result = run(pytester, "--qscaffold", "-k", "test_migration_files or test_upgrade")
    result.assert_outcomes(failed=2, deselected=3)
    result.stdout.fnmatch_lines(["*version 3 is also used by*"])


def test_command_line_option_and_fixture_override_pick_the_folder(pytester):
    make_project(pytester, {"001-create-users": GOOD["001-create-users"]}, folder="other")
    # [tool.qscaffold] points at other/; --qscaffold-migrations at the full set
    full = pytester.path / "full"
    full.mkdir()
    for stem, text in GOOD.items():
        (full / f"{stem}.py").write_text(text, encoding="utf-8")
    result = run(pytester, "--qscaffold", "--qscaffold-migrations", "full", "-k", "not test_lint")
    result.assert_outcomes(passed=7)
    pytester.makeconftest(
        "import pytest\n\n@pytest.fixture(scope='session')\n"
        "def qscaffold_migrations_dir(pytestconfig):\n    return pytestconfig.rootpath / 'full'\n"
    )
    result = run(pytester)
    result.assert_outcomes(passed=2)  # test_users_table needs migration 003 from full/
    result = run(pytester, "--qscaffold", "-k", "not test_lint")
    result.assert_outcomes(passed=5)  # the ready-made tests still read other/, as configured
    assert "qscaffold::test_up_down_consistency[001-create-users] PASSED" in result.stdout.str()
    assert "002-create-posts" not in result.stdout.str()


def test_lint_item_runs_the_linter_or_says_why_not(pytester):
    make_project(pytester, GOOD)
    result = run(pytester, "--qscaffold", "-k", "test_lint", "-rs")
    try:
        import qscaffold.lint.engine  # noqa: F401
    except ImportError:
        result.assert_outcomes(skipped=1, deselected=7)
        result.stdout.fnmatch_lines(["SKIPPED*the qscaffold linter is not available*"])
    else:
        outcomes = result.parseoutcomes()
        assert outcomes.get("skipped", 0) == 0
        assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 1


def test_lint_failures_are_listed(pytester):
    pytest.importorskip("qscaffold.lint.engine", reason="the linter is not in this tree yet")
    bad = {"001-create-users": migration(1, "create-users", "CREATE TABLE users (id INTEGER PRIMARY KEY",
                                         "DROP TABLE users")}
    make_project(pytester, bad)
    result = run(pytester, "--qscaffold", "-k", "test_lint")
    result.assert_outcomes(failed=1, deselected=5)
    result.stdout.fnmatch_lines(["*qscaffold lint found * problem(s):",
                                 "*001-create-users.py:*:*: QS*"])


def test_plugin_import_stays_light():
    code = ("import sys, qscaffold.pytest_plugin; "
            "print(sorted(m for m in ('sqlglot', 'jinja2', 'qscaffold.verify') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unreadable_settings_fail_one_item_instead_of_crashing(pytester):
    pytester.makepyprojecttoml('[tool.qscaffold]\nmigrations_dir = 3\n')
    pytester.makepyfile(test_app="def test_mine(migrated_db):\n    pass\n")
    result = run(pytester, "--qscaffold")
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(["*[[]tool.qscaffold[]] migrations_dir must be a string*"])
    assert "INTERNALERROR" not in result.stdout.str()


def test_a_missing_migrations_folder_is_named(pytester):
    pytester.makepyprojecttoml('[tool.qscaffold]\nmigrations_dir = "db/migrations"\n')
    result = run(pytester, "--qscaffold", "-k", "not test_lint")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*db/migrations: migrations folder not found*"])
