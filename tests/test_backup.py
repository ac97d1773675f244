"""Backups before `down` (qscaffold.backup): complete or absent, never overwritten, and an
error that names the backup."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from qscaffold import MigrationRunner
from qscaffold.backup import write_backup
from qscaffold.errors import DatabaseError
from support import table_migrations, tables, version, write_migration


@pytest.fixture
def applied(tmp_path):
    mig = tmp_path / "migrations"
    table_migrations(mig, 2)
    write_migration(mig, 3, "bulk", "", body=(
                        "def up(db):\n"
                        "    db.exec('CREATE TABLE bulk (b BLOB)')\n"
                        "    db.executemany('INSERT INTO bulk VALUES (randomblob(4000))', [()] * 200)\n\n\n"
                        "def down(db):\n"
                        "    db.exec('DROP TABLE bulk')\n"))
    db = tmp_path / "data" / "app.db"
    MigrationRunner(db, mig).run_migrations()
    return mig, db


def test_a_backup_that_cannot_be_completed_leaves_nothing_and_names_itself(applied):
    mig, db = applied
    assert db.stat().st_size > 600_000
    # A file-size limit below the database's size: the backup runs out of room half-way, as on
    # a full disk.
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))\n"
        "from qscaffold.cli import main\n"
        f"main(['migrate', 'down', '--yes', '--database', {str(db)!r}, '--dir', {str(mig)!r}])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    error = result.stderr.strip().splitlines()
    assert len(error) == 1 and "Traceback" not in result.stderr
    assert error[0].startswith(f"Error: {db}.v3-") and ".bak: cannot write the backup" in error[0]
    assert sorted(p.name for p in db.parent.iterdir()) == ["app.db"]
    assert version(db) == 3 and "bulk" in tables(db)


def test_two_backups_in_the_same_second_get_their_own_files(tmp_path):
    source = sqlite3.connect(":memory:")
    source.execute("CREATE TABLE t (x)")
    base = str(tmp_path / "app.db.v3-20260101T000000Z")
    first = write_backup(source, None, base=base)
    second = write_backup(source, None, base=base)
    assert (first.name, second.name) == ("app.db.v3-20260101T000000Z.bak", "app.db.v3-20260101T000000Z-2.bak")
    assert tables(first) == tables(second) == {"t"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name])


def test_a_backup_into_a_missing_folder_names_the_backup(applied):
    mig, db = applied
    target = db.parent / "no-such-folder" / "app.bak"
    with pytest.raises(DatabaseError) as info:
        MigrationRunner(db, mig).backup(target)
    assert str(info.value).startswith(f"{target}: cannot write the backup")
    assert not target.parent.exists()
