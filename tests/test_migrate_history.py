"""`qscaffold migrate history`: what was applied, when, and how long it took."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from click.testing import CliRunner

from qscaffold.cli import main
from support import table_migrations


@pytest.fixture
def project(project):
    tmp_path = project  # the current folder (conftest.project)
    table_migrations(tmp_path / "migrations", 3)
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_history_lists_applied_migrations_with_when_and_how_long(project):
    assert run("migrate", "up", "--to", "2").exit_code == 0
    result = run("migrate", "history")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Database: data/app.db (version 2)"
    assert re.fullmatch(r"  v1  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +\d+ ms  Create t1", lines[1]), lines[1]
    assert lines[2].endswith("ms  Create t2  (current)")
    assert lines[3].startswith("2 migration(s) in the history;")
    assert "t3" not in result.output  # pending ones are not history

    data = json.loads(run("migrate", "history", "--json").output)
    assert data["current_version"] == 2
    assert [m["version"] for m in data["migrations"]] == [1, 2]
    assert all(isinstance(m["duration_ms"], int) and m["applied_at"].endswith("Z") for m in data["migrations"])


def test_history_of_a_database_adopted_from_the_old_system(project):
    (project / "data").mkdir()
    conn = sqlite3.connect(project / "data" / "app.db")
    conn.executescript("CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT);"
                       "INSERT INTO metadata VALUES ('schema_version', '2');")
    conn.close()
    result = run("migrate", "history")
    assert "v1-v2: applied before migration_history was kept (adopted)" in result.output
    assert json.loads(run("migrate", "history", "--json").output)["adopted_up_to"] == 2


def test_history_of_a_missing_database_creates_nothing(project):
    result = run("migrate", "history", "--database", "data/none.db")
    assert result.exit_code == 0
    assert "does not exist yet" in result.output
    assert not (project / "data").exists()
