"""Errors that are the database's fault name the database, not a migration (defect reports:
a read-only file, a corrupt one, an application table called `metadata`)."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from qscaffold import MigrationRunner
from qscaffold.cli import main
from qscaffold.errors import BookkeepingMismatch, DatabaseError
from support import query, table_migrations, write_migration


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_a_read_only_database_is_named_not_the_migration(mig, db):
    table_migrations(mig, 2)
    MigrationRunner(db, mig).run_migrations(to=1)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
    try:
        with pytest.raises(DatabaseError) as info:
            MigrationRunner(conn, mig).run_migrations()
    finally:
        conn.close()
    message = str(info.value)
    assert message.startswith(f"{db}: the database is read-only")
    assert "up() failed" not in message and "stays at version 1" in message


def test_a_corrupt_database_is_one_line_in_verify_and_up(mig, db):
    write_migration(mig, 1, "rows", "", body=(
        "def up(db):\n"
        "    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)')\n"
        "    db.executemany('INSERT INTO t (b) VALUES (randomblob(3000))', [()] * 100)\n\n\n"
        "def down(db):\n"
        "    db.exec('DROP TABLE t')\n"))
    write_migration(mig, 2, "touch", "UPDATE t SET b = zeroblob(10)", "")
    MigrationRunner(db, mig).run_migrations(to=1)
    with open(db, "r+b") as f:  # pages of t overwritten
        f.seek(4096 * 20)
        f.write(b"\xff" * 4096 * 5)
    result = cli("migrate", "verify", "--database", db, "--dir", mig)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"Error: {db}: the database is corrupt (database disk image is malformed)" in result.output
    result = cli("migrate", "up", "--database", db, "--dir", mig)
    assert result.exit_code == 1
    assert f"Error: {db}: the database is corrupt" in result.output and "up() failed" not in result.output


def test_an_application_table_called_metadata_is_refused_by_name(mig, db):
    table_migrations(mig, 1)
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE metadata (id INTEGER PRIMARY KEY, title TEXT);"
                       "INSERT INTO metadata (title) VALUES ('mine');")
    conn.close()
    for command in ("status", "up"):
        result = cli("migrate", command, "--database", db, "--dir", mig)
        assert result.exit_code == 1, command
        assert "no such column" not in result.output
        assert (f"{db}: table metadata has columns (id, title), not (key, value): it is not "
                "qscaffold's bookkeeping") in result.output
    assert query(db, "SELECT title FROM metadata") == [("mine",)]
    assert "migration_history" not in {r[0] for r in query(db, "SELECT name FROM sqlite_master")}
    with pytest.raises(BookkeepingMismatch):
        MigrationRunner(db, mig).run_migrations()
