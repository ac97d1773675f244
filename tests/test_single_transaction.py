"""`migrate up --single-transaction`: every pending migration in one transaction, all or nothing."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from qscaffold import MigrationRunner
from qscaffold.cli import main
from qscaffold.errors import ForeignKeyViolation, MigrationFailed
from support import query, sha256, table_migrations, tables, version, write_migration


@pytest.fixture
def db(tmp_path):
    return tmp_path / "app.db"


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_every_pending_migration_and_its_history_is_applied(mig, db):
    table_migrations(mig, 3)
    result = run("migrate", "up", "--single-transaction", "--database", str(db), "--dir", str(mig))
    assert result.exit_code == 0, result.output
    assert [line.split(":")[0] for line in result.output.splitlines()[:3]] == [
        "  ✓ Applied v1", "  ✓ Applied v2", "  ✓ Applied v3"]
    assert result.output.splitlines()[-1] == "Applied 3 migration(s); schema version is now 3."
    assert version(db) == 3
    assert [r[0] for r in query(db, "SELECT version FROM migration_history ORDER BY 1")] == [1, 2, 3]
    assert query(db, "SELECT key, value FROM metadata ORDER BY key") == [
        ("migration_history_rows", "3"), ("schema_version", "3")]
    again = run("migrate", "up", "--single-transaction", "--database", str(db), "--dir", str(mig))
    assert again.exit_code == 0 and "Database is up to date (version 3)." in again.output


def test_a_failure_leaves_the_database_exactly_as_it_was(mig, db):
    table_migrations(mig, 1)
    MigrationRunner(db, mig).run_migrations()
    table_migrations(mig, 2, start=2)
    write_migration(mig, 4, "boom", "CREATE TABLE t4 (id INTEGER PRIMARY KEY); INSERT INTO nowhere VALUES (1)")
    before = sha256(db)
    result = run("migrate", "up", "--single-transaction", "--database", str(db), "--dir", str(mig))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    error = result.output.strip().splitlines()[-1]
    assert error.startswith("Error: ") and "004-boom.py:6: up() failed" in error
    assert "no such table: nowhere" in error
    assert "the database stays at version 1" in error
    assert "the 2 migration(s) before it in the same transaction were rolled back too" in error
    assert "Applied v2" not in result.output, "nothing is reported as applied when nothing was"
    assert sha256(db) == before, "the file is byte for byte what it was"
    assert version(db) == 1 and tables(db) >= {"t1"} and not tables(db) & {"t2", "t3", "t4"}


def test_without_the_flag_the_migrations_before_the_failure_stay(mig, db):
    table_migrations(mig, 2)
    write_migration(mig, 3, "boom", "INSERT INTO nowhere VALUES (1)")
    result = run("migrate", "up", "--database", str(db), "--dir", str(mig))
    assert result.exit_code == 1
    assert version(db) == 2


def test_a_foreign_key_broken_by_a_later_migration_undoes_all_of_them(mig, db):
    write_migration(mig, 1, "parents", "CREATE TABLE parent (id INTEGER PRIMARY KEY); INSERT INTO parent VALUES (1)")
    write_migration(mig, 2, "children", "CREATE TABLE child (id INTEGER PRIMARY KEY, "
                    "parent_id INTEGER REFERENCES parent(id)); INSERT INTO child VALUES (1, 1)")
    write_migration(mig, 3, "orphan", "DELETE FROM parent")
    with pytest.raises(ForeignKeyViolation) as info:
        MigrationRunner(db, mig).run_migrations(single_transaction=True)
    assert "003-orphan.py" in str(info.value) and "rolled back too" in str(info.value)
    assert not tables(db) & {"parent", "child", "migration_history"}


def test_results_are_announced_only_after_the_commit(mig, db):
    table_migrations(mig, 3)
    seen = []

    def on_result(result):
        seen.append((result.version, version(db)))  # what another connection sees by then

    results = MigrationRunner(db, mig).run_migrations(single_transaction=True, on_result=on_result)
    assert [r.version for r in results] == [1, 2, 3]
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_to_and_steps_bound_the_single_transaction(mig, db):
    table_migrations(mig, 4)
    runner = MigrationRunner(db, mig)
    assert [r.version for r in runner.run_migrations(single_transaction=True, steps=2)] == [1, 2]
    assert [r.version for r in runner.run_migrations(single_transaction=True, to=3)] == [3]
    assert version(db) == 3
    runner.close()


def test_dry_run_with_a_single_transaction_reports_and_changes_nothing(mig, db):
    table_migrations(mig, 2)
    write_migration(mig, 3, "boom", "INSERT INTO nowhere VALUES (1)")
    result = run("migrate", "up", "--single-transaction", "--dry-run", "--database", str(db), "--dir", str(mig))
    assert result.exit_code == 1
    assert "003-boom.py:6: up() failed" in result.output
    assert not db.exists()


def test_json_says_it_was_one_transaction(mig, db):
    table_migrations(mig, 2)
    result = run("migrate", "up", "--single-transaction", "--json", "--database", str(db), "--dir", str(mig))
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["single_transaction"] is True and data["current_version"] == 2
    assert [r["version"] for r in data["results"]] == [1, 2]


def test_a_caller_connection_keeps_foreign_keys_on_and_nothing_open(mig, db):
    table_migrations(mig, 2)
    write_migration(mig, 3, "boom", "INSERT INTO nowhere VALUES (1)")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(MigrationFailed):
        MigrationRunner(conn, mig).run_migrations(single_transaction=True)
    assert not conn.in_transaction
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 't1'").fetchone() == (0,)
    conn.close()
