"""``migrate stamp`` and MigrationRunner.stamp: record a version without running anything."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from qscaffold import MigrationRunner
from qscaffold.cli import main
from qscaffold.errors import UsageError
from qscaffold.files import checksum_bytes


def write_migration(folder: Path, filename: str, up: str, down: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    version = int(filename.split("-", 1)[0])
    (folder / filename).write_text(
        f'name = "{filename[4:-3]}"\nversion = {version}\n\n\n'
        f"def up(db):\n    db.exec({up!r})\n\n\ndef down(db):\n    db.exec({down!r})\n",
        encoding="utf-8",
    )


@pytest.fixture
def folder(tmp_path) -> Path:
    folder = tmp_path / "migrations"
    write_migration(folder, "001-create-users.py",
                    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)", "DROP TABLE users")
    write_migration(folder, "002-add-nick-to-users.py",
                    "ALTER TABLE users ADD COLUMN nick TEXT", "ALTER TABLE users DROP COLUMN nick")
    write_migration(folder, "003-create-posts.py",
                    "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id))",
                    "DROP TABLE posts")
    return folder


@pytest.fixture
def hand_made(tmp_path) -> Path:
    """A database whose schema was made with plain sqlite3: migrations 1 and 2, no bookkeeping."""
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, nick TEXT);"
        "INSERT INTO users (email, nick) VALUES ('a@example.com', 'a');"
    )
    conn.close()
    return path


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def history(path: Path) -> dict[int, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT version, checksum FROM migration_history"))
    finally:
        conn.close()


def version_of(path: Path) -> str | None:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM metadata WHERE key = 'schema_version'").fetchone()
    finally:
        conn.close()
    return row and row[0]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_stamp_adopts_a_hand_made_database_then_up_runs_only_the_rest(folder, hand_made):
    result = cli("migrate", "stamp", "2", "--yes", "--database", str(hand_made), "--dir", str(folder))
    assert result.exit_code == 0, result.output
    assert "Marked v1 as applied: 001-create-users.py" in result.output
    assert "Marked v2 as applied: 002-add-nick-to-users.py" in result.output
    assert "Stamped version 2 (was 0); nothing was run." in result.output
    assert version_of(hand_made) == "2"
    assert history(hand_made) == {
        1: checksum_bytes((folder / "001-create-users.py").read_bytes()),
        2: checksum_bytes((folder / "002-add-nick-to-users.py").read_bytes()),
    }
    up = cli("migrate", "up", "--database", str(hand_made), "--dir", str(folder))
    assert up.exit_code == 0, up.output
    assert "Applied v3: create-posts" in up.output
    assert "v1" not in up.output and "v2" not in up.output
    assert "Applied 1 migration(s); schema version is now 3." in up.output
    conn = sqlite3.connect(hand_made)
    assert conn.execute("SELECT email, nick FROM users").fetchall() == [("a@example.com", "a")]
    conn.close()


def test_stamp_lower_removes_history_above_and_changes_no_table(folder, tmp_path):
    database = tmp_path / "app.db"
    with MigrationRunner(database, folder) as runner:
        runner.run_migrations()
    result = cli("migrate", "stamp", "1", "--yes", "--database", str(database), "--dir", str(folder), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"database": str(database), "previous_version": 3,
                                         "current_version": 1, "marked": [], "removed": [2, 3]}
    assert sorted(history(database)) == [1]
    with MigrationRunner(database, folder) as runner:
        status = runner.status()
        assert status.current_version == 1
        assert [m.version for m in status.pending] == [2, 3]
        assert runner.connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'posts'").fetchone() == (1,)


def test_stamp_zero_means_nothing_applied(folder, tmp_path):
    database = tmp_path / "app.db"
    with MigrationRunner(database, folder) as runner:
        runner.run_migrations(to=2)
        assert runner.stamp(0) == []
        assert runner.get_current_version() == 0
        assert runner.read_state().history == {}
        assert [m.version for m in runner.status().pending] == [1, 2, 3]


def test_stamp_keeps_existing_history_rows(folder, tmp_path):
    database = tmp_path / "app.db"
    with MigrationRunner(database, folder) as runner:
        runner.run_migrations(to=1)
        applied_at = runner.read_state().history[1].applied_at
        marked = runner.stamp(3)
        assert [f.version for f in marked] == [2, 3]
        state = runner.read_state()
        assert state.history[1].applied_at == applied_at
        assert state.current_version == 3
        assert runner.status().pending == [] and runner.status().problems == []


def test_stamp_to_an_unknown_version_is_bad_input(folder, hand_made):
    before = sha256(hand_made)
    result = cli("migrate", "stamp", "7", "--yes", "--database", str(hand_made), "--dir", str(folder))
    assert result.exit_code == 2
    assert "no migration file has version 7" in result.output
    assert sha256(hand_made) == before
    negative = cli("migrate", "stamp", "-1", "--yes", "--database", str(hand_made), "--dir", str(folder))
    assert negative.exit_code == 2
    with pytest.raises(UsageError, match="no migration file has version 4"):
        MigrationRunner(hand_made, folder).stamp(4)
    assert sha256(hand_made) == before


def test_stamp_without_yes_and_no_terminal_refuses(folder, hand_made):
    before = sha256(hand_made)
    result = cli("migrate", "stamp", "2", "--database", str(hand_made), "--dir", str(folder))
    assert result.exit_code == 1
    assert "needs confirmation: pass --yes" in result.output
    assert sha256(hand_made) == before


def test_stamp_then_verify_checks_the_adopted_migrations(folder, hand_made):
    assert cli("migrate", "stamp", "2", "--yes", "--database", str(hand_made), "--dir", str(folder)).exit_code == 0
    before = sha256(hand_made)
    result = cli("migrate", "verify", "--database", str(hand_made), "--dir", str(folder))
    assert result.exit_code == 0, result.output
    assert "The 2 applied migration(s) are rolled back newest first" in result.output
    assert sha256(hand_made) == before
