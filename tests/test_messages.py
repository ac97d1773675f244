"""Messages that say what happened: which file and line failed, what a path really is."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qscaffold.cli import main
from support import table_migrations, version, write_migration


@pytest.fixture
def project(project):
    tmp_path = project  # the current folder (conftest.project)
    table_migrations(tmp_path / "migrations", 2)
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_a_failed_migration_names_the_file_and_line_of_the_statement(project):
    write_migration(project / "migrations", 3, "fill", "", body=(
        "def up(db):\n"
        "    db.exec('CREATE TABLE IF NOT EXISTS a (id INTEGER PRIMARY KEY)')\n"
        "    helper(db)\n"
        "\n\n"
        "def helper(db):\n"
        "    db.exec('INSERT INTO nope VALUES (1)')\n"))
    result = run("migrate", "up")
    assert result.exit_code == 1
    # 4 header lines (name, version, two blank ones), then the body: the INSERT is line 11
    assert "003-fill.py:11: up() failed: OperationalError: no such table: nope" in result.output
    assert version(project / "data" / "app.db") == 2


@pytest.mark.parametrize("command", [["migrate", "verify"], ["migrate", "status"], ["migrate", "up"],
                                     ["new", "add-x-to-t1"]])
def test_a_folder_given_as_the_database_is_called_a_folder(project, command):
    (project / "adb").mkdir()
    result = run(*command, "--database", "adb")
    assert result.exit_code in (1, 2)
    assert "is a folder, not a database file" in result.output, result.output
    assert "disk I/O error" not in result.output and "does not exist" not in result.output


def test_status_says_when_the_database_does_not_exist(project):
    result = run("migrate", "status", "--database", "data/nope.db")
    assert result.exit_code == 0
    assert "Database: data/nope.db (does not exist yet; `qscaffold migrate up` creates it)" in result.output
    assert json.loads(run("migrate", "status", "--json", "--database", "data/nope.db").output)[
        "database_exists"] is False
    run("migrate", "up")
    assert "does not exist" not in run("migrate", "status").output
    assert json.loads(run("migrate", "status", "--json").output)["database_exists"] is True
    assert not (project / "data" / "nope.db").exists()
