"""Read-only commands (status, verify, --dry-run) leave every file byte for byte: a clean WAL
database, a crashed writer's hot WAL, a hot rollback journal (qscaffold.readonly)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qscaffold.cli import main
from support import table_migrations, write_migration


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def files(db: Path) -> dict[str, str]:
    """Every file of the database (main file, -wal, -shm, -journal) and its hash."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(db.parent.iterdir()) if p.name.startswith(db.name)}


READ_ONLY_COMMANDS = [
    ("migrate", "status"),
    ("migrate", "status", "--json"),
    ("migrate", "up", "--dry-run"),
    ("migrate", "down", "--dry-run"),
    ("migrate", "verify"),
]


@pytest.fixture
def project(tmp_path):
    mig = tmp_path / "migrations"
    table_migrations(mig, 3)
    write_migration(mig, 4, "rows", "CREATE TABLE rows (n INTEGER)", "DROP TABLE rows")
    db = tmp_path / "data" / "app.db"
    return mig, db


def crash_after(db: Path, script: str) -> None:
    """Run ``script`` on ``db`` in a process that dies without closing its connection."""
    code = (f"import os, sqlite3\nc = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
            f"{script}\nos._exit(0)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def run_all(mig, db) -> list:
    outputs = []
    for command in READ_ONLY_COMMANDS:
        result = cli(*command, "--database", db, "--dir", mig)
        assert result.exit_code == 0, (command, result.output)
        outputs.append(result.output)
    return outputs


def test_a_hot_wal_is_read_and_left_as_it_was(project):
    mig, db = project
    assert cli("migrate", "up", "--database", db, "--dir", mig).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    crash_after(db, "c.execute('PRAGMA wal_autocheckpoint=0')\n"
                    "c.executemany('INSERT INTO rows VALUES (?)', [(i,) for i in range(500)])")
    write_migration(mig, 5, "count", "", body=(
        "def up(db):\n    return db.query('SELECT count(*) FROM rows')[0][0]\n\n\n"
        "def down(db):\n    pass\n"))
    before = files(db)
    assert set(before) == {"app.db", "app.db-wal", "app.db-shm"}
    outputs = run_all(mig, db)
    assert files(db) == before
    assert json.loads(outputs[1])["current_version"] == 4
    assert "Would apply v5: Count" in outputs[2] and "-> 500" in outputs[2]  # the WAL's rows were read


def test_a_clean_wal_database_gets_no_wal_or_shm_files(project):
    mig, db = project
    assert cli("migrate", "up", "--database", db, "--dir", mig).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    before = files(db)
    assert set(before) == {"app.db"}
    run_all(mig, db)
    assert files(db) == before


def test_a_hot_rollback_journal_is_left_for_the_next_writer(project):
    mig, db = project
    assert cli("migrate", "up", "--database", db, "--dir", mig).exit_code == 0
    crash_after(db, "c.execute('PRAGMA cache_size=1')\nc.execute('BEGIN IMMEDIATE')\n"
                    "c.executemany('INSERT INTO rows VALUES (?)', [(i,) for i in range(20000)])\n"
                    "c.execute('DROP TABLE t1')")
    before = files(db)
    assert "app.db-journal" in before
    outputs = run_all(mig, db)
    assert files(db) == before
    assert "Applied: 4" in outputs[0]  # the uncommitted DROP TABLE is not seen


def test_commands_that_write_read_through_their_own_connection_not_a_copy(project, monkeypatch):
    mig, db = project
    assert cli("migrate", "up", "--to", "2", "--database", db, "--dir", mig).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    import qscaffold.readonly

    def no_copy(*args, **kwargs):
        raise AssertionError("a writing command read a private copy of the database")

    monkeypatch.setattr(qscaffold.readonly, "open_readonly", no_copy)
    from qscaffold import MigrationRunner, initialize_database

    initialize_database(db, mig).connection.close()
    with MigrationRunner(db, mig) as runner:
        runner.rollback()
        runner.stamp(4)
        runner.repair()


def test_a_database_above_the_copy_limit_is_read_in_place(project, monkeypatch):
    mig, db = project
    assert cli("migrate", "up", "--database", db, "--dir", mig).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    import qscaffold.readonly

    monkeypatch.setattr(qscaffold.readonly, "COPY_LIMIT", 1024)
    before = files(db)["app.db"]
    result = cli("migrate", "status", "--database", db, "--dir", mig)
    assert result.exit_code == 0 and "Applied: 4" in result.output
    assert files(db)["app.db"] == before  # mode=ro: the main file is never written
