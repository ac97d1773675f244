"""`qscaffold new` learns the current schema from the migrations' SQL without running them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qscaffold.cli import main
from support import write_migration


@pytest.fixture
def project(project):
    tmp_path = project  # the current folder (conftest.project)
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, list(args))


def side_effect_migration(folder: Path, marker: Path, ddl: str) -> None:
    """A migration whose up() touches ``marker`` (and would sleep a long time) before its DDL."""
    write_migration(folder, 1, "create-users", "", body=(
        "import pathlib, time\n\n\n"
        "def up(db):\n"
        f"    pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "    time.sleep(0 if pathlib.Path(__file__).name else 30)\n"
        f"    db.exec({ddl})\n"))


def test_new_does_not_run_migration_code(project):
    marker = project / "ran.txt"
    side_effect_migration(project / "migrations", marker,
                          repr("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT);"
                               "CREATE INDEX IF NOT EXISTS idx_users_name ON users(name)"))
    result = run("new", "add-email-to-users")
    assert result.exit_code == 0, result.output
    assert not marker.exists(), "new ran a migration's up()"
    assert "were run" not in result.stderr
    assert (project / "migrations" / "002-add-email-to-users.py").is_file()
    dropped = run("new", "drop-name-from-users", "--dry-run")
    assert dropped.exit_code == 0, dropped.output
    assert "DROP INDEX IF EXISTS idx_users_name" in dropped.stdout  # the index was seen statically
    assert not marker.exists()


def test_dynamic_ddl_is_run_and_the_user_is_told(project):
    marker = project / "ran.txt"
    side_effect_migration(project / "migrations", marker,
                          'f"CREATE TABLE IF NOT EXISTS {\'users\'} (id INTEGER PRIMARY KEY)"')
    result = run("new", "add-email-to-users")
    assert result.exit_code == 0, result.output
    assert marker.exists()
    assert "001-create-users.py builds SQL at run time, so the migrations were run on an in-memory " \
           "database to learn the schema" in result.stderr


def test_a_failure_while_learning_the_schema_does_not_speak_of_the_database(project):
    folder = project / "migrations"
    write_migration(folder, 1, "create-users", "", body=(
        "def up(db):\n"
        "    table = 'users'\n"
        "    db.exec(f'CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY)')\n"
        "    raise RuntimeError('needs the production secrets')\n"))
    result = run("new", "add-email-to-users")
    assert result.exit_code == 1
    assert "001-create-users.py: cannot learn the current schema: its up() fails: RuntimeError: " \
           "needs the production secrets when run on an in-memory database; nothing was written" in result.output
    assert "stays at version" not in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["001-create-users.py"]
