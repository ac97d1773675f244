"""What a migration may not do inside the runner's transaction (qscaffold.guard), and that the
runner never says "rolled back" when the transaction had already ended."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from qscaffold import MigrationRunner
from qscaffold.cli import main
from qscaffold.errors import MigrationFailed, TransactionEscaped
from support import query, sha256, tables, version, write_migration


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def seeded(mig, db, rows: int = 100) -> None:
    """Version 1: a table ``t`` with ``rows`` rows, applied."""
    write_migration(mig, 1, "seed", "", body=(
        "def up(db):\n"
        "    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)')\n"
        f"    db.executemany('INSERT INTO t (n) VALUES (?)', [(0,)] * {rows})\n"
    ))
    MigrationRunner(db, mig).run_migrations()


ESCAPES = {
    "commit": "db.connection.commit()",
    "executescript": "db.connection.executescript('CREATE TABLE b (x)')",
    "commit-then-begin": "db.connection.commit()\n    db.connection.execute('BEGIN')",
    "rollback": "db.connection.rollback()",
}


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_a_migration_cannot_commit_behind_the_runner(mig, db, escape):
    seeded(mig, db)
    write_migration(mig, 2, "sneaky", "", body=(
        "def up(db):\n"
        "    db.exec('CREATE TABLE a (x)')\n"
        "    db.execute('UPDATE t SET n = 1')\n"
        f"    {ESCAPES[escape]}\n"
        "    db.exec('CREATE TABLE c (x)')\n"
    ))
    result = cli("migrate", "up", "--database", db, "--dir", mig)
    assert result.exit_code == 1
    assert "002-sneaky.py" in result.output and "not allowed" not in result.output
    assert "may not commit, roll back or begin the runner's transaction" in result.output
    assert "rolled back, the database stays at version 1" in result.output
    assert tables(db) == {"t", "metadata", "migration_history"}
    assert query(db, "SELECT count(*) FROM t WHERE n = 1") == [(0,)]
    assert version(db) == 1


def test_a_denied_commit_fails_the_migration_even_when_caught(mig, db):
    seeded(mig, db)
    write_migration(mig, 2, "catches", "", body=(
        "def up(db):\n"
        "    db.execute('UPDATE t SET n = 2')\n"
        "    try:\n"
        "        db.connection.commit()\n"
        "    except Exception:\n"
        "        pass\n"
    ))
    with pytest.raises(MigrationFailed, match="it tried COMMIT"):
        MigrationRunner(db, mig).run_migrations()
    assert query(db, "SELECT count(*) FROM t WHERE n = 2") == [(0,)]
    assert version(db) == 1


@pytest.mark.parametrize("escape", ["commit", "commit-then-begin", "executescript"])
def test_on_a_callers_connection_an_ended_transaction_is_never_called_rolled_back(mig, db, escape):
    seeded(mig, db)
    write_migration(mig, 2, "sneaky", "", body=(
        "def up(db):\n"
        "    db.exec('CREATE TABLE a (x)')\n"
        f"    {ESCAPES[escape]}\n"
        "    raise RuntimeError('late failure')\n"
    ))
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        with pytest.raises(TransactionEscaped) as info:
            MigrationRunner(conn, mig).run_migrations()
        assert not conn.in_transaction
    finally:
        conn.close()
    message = str(info.value)
    assert "NOT rolled back" in message and "rolled back, the database stays" not in message
    assert "ended the runner's transaction" in message and "late failure" in message
    assert "a" in tables(db)  # committed by the migration itself, as the message says
    assert version(db) == 1


def test_a_callers_connection_that_commits_then_begins_again_is_caught(mig, db):
    seeded(mig, db)
    write_migration(mig, 2, "restart", "", body=(
        "def up(db):\n"
        "    db.exec('CREATE TABLE a (x)')\n"
        "    db.connection.commit()\n"
        "    db.connection.execute('BEGIN')\n"
        "    db.exec('CREATE TABLE c (x)')\n"
    ))
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        with pytest.raises(TransactionEscaped, match="NOT rolled back"):
            MigrationRunner(conn, mig).run_migrations()
    finally:
        conn.close()
    assert "c" not in tables(db)
    assert version(db) == 1
    assert [r[0] for r in query(db, "SELECT version FROM migration_history")] == [1]


def test_a_migration_cannot_switch_the_journal_off(mig, db):
    seeded(mig, db, rows=5000)
    write_migration(mig, 2, "journal-off", "", body=(
        "def up(db):\n"
        "    db.execute('PRAGMA journal_mode=OFF')\n"
        "    db.execute('UPDATE t SET n = n + 1')\n"
        "    raise RuntimeError('boom')\n"
    ))
    write_migration(mig, 3, "locking", "", body=(
        "def up(db):\n"
        "    db.execute('PRAGMA locking_mode=EXCLUSIVE')\n"
    ))
    with pytest.raises(MigrationFailed, match="journal_mode") as info:
        MigrationRunner(db, mig).run_migrations(to=2)
    assert "rolled back, the database stays at version 1" in str(info.value)
    assert query(db, "SELECT count(*) FROM t WHERE n <> 0") == [(0,)]
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    with pytest.raises(MigrationFailed, match="locking_mode"):
        MigrationRunner(db, mig).run_migrations(to=3)
    assert version(db) == 1


def test_reading_journal_mode_is_allowed(mig, db):
    write_migration(mig, 1, "reads", "", body="def up(db):\n    return db.query('PRAGMA journal_mode')[0][0]\n")
    assert MigrationRunner(db, mig).run_migrations()[0].detail == "delete"


def test_a_callers_connection_with_the_journal_switched_off_is_not_called_rolled_back(mig, db):
    seeded(mig, db, rows=5000)
    write_migration(mig, 2, "journal-off", "", body=(
        "def up(db):\n"
        "    db.execute('PRAGMA journal_mode=OFF')\n"
        "    db.execute('UPDATE t SET n = n + 1')\n"
        "    raise RuntimeError('boom')\n"
    ))
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        with pytest.raises(TransactionEscaped, match="NOT rolled back"):
            MigrationRunner(conn, mig).run_migrations()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # put back
    finally:
        conn.close()
    assert version(db) == 1


def test_attach_is_refused_and_cannot_write_through_a_dry_run(mig, db, tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE log (x)").connection.commit()
    before = sha256(other)
    write_migration(mig, 1, "attach", "", body=(
        "def up(db):\n"
        "    db.exec('CREATE TABLE t (x)')\n"
        f"    db.execute(\"ATTACH DATABASE '{other}' AS other\")\n"
        "    db.execute('INSERT INTO other.log VALUES (1)')\n"
    ))
    result = cli("migrate", "up", "--dry-run", "--database", db, "--dir", mig)
    assert result.exit_code == 1
    assert "it tried ATTACH" in result.output
    assert sha256(other) == before
    result = cli("migrate", "up", "--database", db, "--dir", mig)
    assert result.exit_code == 1 and "it tried ATTACH" in result.output
    assert sha256(other) == before
    assert query(other, "SELECT count(*) FROM log") == [(0,)]


@pytest.mark.parametrize("code", ["0", "None", "3"])
def test_sys_exit_inside_up_is_a_failed_migration(mig, db, code):
    seeded(mig, db)
    write_migration(mig, 2, "exits", "", body=(
        "import sys\n\n\n"
        "def up(db):\n"
        "    db.execute('UPDATE t SET n = 7')\n"
        f"    sys.exit({code})\n"
    ))
    result = cli("migrate", "up", "--database", db, "--dir", mig)
    assert result.exit_code == 1
    assert f"002-exits.py:10: up() failed: up() called sys.exit({code})" in result.output
    assert "rolled back, the database stays at version 1" in result.output
    assert query(db, "SELECT count(*) FROM t WHERE n = 7") == [(0,)]
    assert version(db) == 1


def test_savepoints_are_still_allowed(mig, db):
    write_migration(mig, 1, "nested", "", body=(
        "def up(db):\n"
        "    db.exec('CREATE TABLE t (a)')\n"
        "    db.exec('SAVEPOINT sp; INSERT INTO t VALUES (3); ROLLBACK TO sp; RELEASE sp')\n"
        "    with db.savepoint():\n"
        "        db.execute('INSERT INTO t VALUES (1)')\n"
    ))
    MigrationRunner(db, mig).run_migrations()
    assert query(db, "SELECT a FROM t") == [(1,)]
