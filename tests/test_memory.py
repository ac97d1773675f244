"""``:memory:`` is a valid database path for the API and for every migrate command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qscaffold import MigrationRunner, initialize_database
from qscaffold.cli import main
from qscaffold.errors import UsageError

SHIPPED = Path(__file__).resolve().parent.parent / "migrations"
LATEST = max(int(p.name[:3]) for p in SHIPPED.glob("[0-9][0-9][0-9]-*.py"))


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(autouse=True)
def in_empty_folder(tmp_path, monkeypatch):
    """Run from an empty folder: a file called ':memory:' or 'data/' would show up here."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QSCAFFOLD_DATABASE", raising=False)
    return tmp_path


def test_up_applies_everything_to_a_throwaway_database(in_empty_folder):
    result = cli("migrate", "up", "--database", ":memory:", "--dir", str(SHIPPED))
    assert result.exit_code == 0, result.output
    assert f"Applied {LATEST} migration(s); schema version is now {LATEST}." in result.output
    assert list(in_empty_folder.iterdir()) == []


def test_status_on_memory_shows_everything_pending(in_empty_folder):
    result = cli("migrate", "status", "--database", ":memory:", "--dir", str(SHIPPED), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["database"] == ":memory:"
    assert data["current_version"] == 0
    assert data["pending"] == LATEST and data["applied"] == 0
    assert list(in_empty_folder.iterdir()) == []


def test_the_environment_can_name_memory(in_empty_folder, monkeypatch):
    monkeypatch.setenv("QSCAFFOLD_DATABASE", ":memory:")
    result = cli("migrate", "up", "--dir", str(SHIPPED), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["current_version"] == LATEST
    assert list(in_empty_folder.iterdir()) == []


@pytest.mark.parametrize("args", [
    ["migrate", "up", "--dry-run"],
    ["migrate", "down", "--yes"],
    ["migrate", "repair", "--yes"],
    ["migrate", "verify"],
    ["migrate", "stamp", "0", "--yes"],
])
def test_every_migrate_command_accepts_memory(in_empty_folder, args):
    result = cli(*args, "--database", ":memory:", "--dir", str(SHIPPED))
    assert result.exit_code == 0, result.output
    assert list(in_empty_folder.iterdir()) == []


def test_api_up_down_status_stamp_on_memory(in_empty_folder):
    with MigrationRunner(":memory:", SHIPPED) as runner:
        assert runner.in_memory
        assert runner.get_current_version() == 0
        assert len(runner.status().pending) == LATEST
        assert len(runner.run_migrations()) == LATEST
        assert runner.get_current_version() == LATEST
        assert [r.version for r in runner.rollback(steps=2)] == [LATEST, LATEST - 1]
        assert runner.get_current_version() == LATEST - 2
        assert len(runner.run_migrations(dry_run=True)) == 2
        assert runner.get_current_version() == LATEST - 2
        runner.stamp(LATEST)
        assert runner.status().pending == []
        with pytest.raises(UsageError, match="in-memory database cannot be backed up"):
            runner.backup()
    assert list(in_empty_folder.iterdir()) == []


def test_two_memory_runners_do_not_share_a_database():
    with MigrationRunner(":memory:", SHIPPED) as first, MigrationRunner(":memory:", SHIPPED) as second:
        first.run_migrations()
        assert second.get_current_version() == 0


def test_initialize_database_on_memory_returns_the_migrated_database():
    db = initialize_database(":memory:", SHIPPED)
    try:
        assert db.has_table("sessions")
        assert db.query("SELECT value FROM metadata WHERE key = 'schema_version'") == [(str(LATEST),)]
    finally:
        db.connection.close()
