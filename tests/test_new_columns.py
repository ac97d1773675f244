"""`qscaffold new --column`: the spellings users type, checked by SQLite, and honest messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qscaffold.cli import main
from support import query, write_migration


@pytest.fixture
def project(project):
    tmp_path = project  # the current folder (conftest.project)
    write_migration(tmp_path / "migrations", 1, "create-users",
                    "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);"
                    "INSERT INTO users (email) VALUES ('a@example.com')",
                    "DROP TABLE IF EXISTS users")
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, list(args))


def columns(db: Path, table: str) -> dict[str, tuple]:
    """name → (type, notnull, default) as SQLite reports them."""
    return {r[1]: (r[2], r[3], r[4]) for r in query(db, f"PRAGMA table_info({table})")}


def up_down_up(project: Path) -> None:
    for args in (["migrate", "up"], ["migrate", "down", "--yes", "--no-backup"], ["migrate", "up"]):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)


@pytest.mark.parametrize("spec", ["email2 TEXT", "email2:TEXT", "email2"])
def test_name_space_type_is_a_name_and_a_type(project, spec):
    result = run("new", "create-contacts-table", "--column", spec)
    assert result.exit_code == 0, result.output
    up_down_up(project)
    assert columns(project / "data" / "app.db", "contacts")["email2"] == ("TEXT", 0, None)


@pytest.mark.parametrize("spec", ["uses:INTEGER NOT NULL DEFAULT 0", "uses INTEGER NOT NULL DEFAULT 0"])
def test_constraints_are_kept_in_the_table_and_column_patterns(project, spec):
    assert run("new", "create-api-keys-table", "--column", spec).exit_code == 0
    result = run("new", "add-uses-to-users", "--column", spec)
    assert result.exit_code == 0, result.output
    up_down_up(project)
    db = project / "data" / "app.db"
    assert columns(db, "api_keys")["uses"] == ("INTEGER", 1, "0")
    assert columns(db, "users")["uses"] == ("INTEGER", 1, "0")
    assert query(db, "SELECT uses FROM users") == [(0,)]


def test_a_check_naming_the_column_gets_a_down_that_works(project):
    result = run("new", "add-score-to-users", "--column", "score:INTEGER DEFAULT 0 CHECK (score >= 0)")
    assert result.exit_code == 0, result.output
    up_down_up(project)
    assert "score" in columns(project / "data" / "app.db", "users")


@pytest.mark.parametrize("spec, message", [
    ("n:INTEGER NOT NULL", "cannot add a NOT NULL column without a DEFAULT"),
    ("n:INTEGER PRIMARY KEY", "Cannot add a PRIMARY KEY column"),
    ("n:TEXT DEFAULT (random(", "SQLite rejects the column definition"),
    ("n TEXT, m TEXT", "must define exactly one column"),
    ("n TEXT); DROP TABLE users", "comments and ';' are not allowed"),
])
def test_what_sqlite_rejects_is_refused(project, spec, message):
    result = run("new", "add-n-to-users", "--column", spec)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in (project / "migrations").iterdir()) == ["001-create-users.py"]


def test_a_table_with_only_id_says_how_to_add_columns(project):
    result = CliRunner().invoke(main, ["new", "add-api-keys-table", "--pattern", "table"])
    assert result.exit_code == 0, result.output
    assert "the table has only `id`; add columns with --column" in result.stderr
    assert "Created migrations/002-add-api-keys-table.py" in result.stdout
    with_columns = CliRunner().invoke(main, ["new", "create-tags-table", "--column", "label"])
    assert "only `id`" not in with_columns.stderr


def test_an_inferred_column_is_not_called_a_flag(project):
    result = run("new", "AddEmailToUsers")
    assert result.exit_code == 2
    assert "column from NAME: users.email already exists" in result.output
    assert "--column" not in result.output
    flagged = run("new", "x", "--pattern", "column", "--table", "users", "--column", "email")
    assert "--column 'email': users.email already exists" in flagged.output
