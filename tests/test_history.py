"""The bookkeeping (qscaffold.history): tampered or lost history is refused with a message that
names it, branch collisions get advice that never re-runs an applied migration, and repair
never records as applied what did not run."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from qscaffold import MigrationRunner
from qscaffold.cli import main
from qscaffold.errors import BookkeepingMismatch, DuplicateVersion, OutOfOrder
from support import query, table_migrations, tables, write_migration


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def counting_migrations(mig, count: int) -> None:
    """Migrations that each add a row to ``runs``: running one twice shows."""
    write_migration(mig, 1, "runs", "CREATE TABLE runs (v INTEGER)", "DROP TABLE runs")
    for v in range(2, count + 1):
        write_migration(mig, v, f"step-{v}", f"INSERT INTO runs VALUES ({v})",
                        f"DELETE FROM runs WHERE v = {v}")


def edit(db, sql: str) -> None:
    conn = sqlite3.connect(db)
    conn.executescript(sql)
    conn.close()


def test_a_lowered_schema_version_is_refused_not_rerun(mig, db):
    counting_migrations(mig, 5)
    MigrationRunner(db, mig).run_migrations()
    edit(db, "UPDATE metadata SET value = '3' WHERE key = 'schema_version'")
    result = cli("migrate", "up", "--database", db, "--dir", mig)
    assert result.exit_code == 1
    assert "schema_version is 3 but migration_history records versions 4, 5 as applied" in result.output
    assert query(db, "SELECT count(*) FROM runs") == [(4,)]


def test_a_raised_schema_version_is_refused_not_adopted(mig, db):
    counting_migrations(mig, 5)
    MigrationRunner(db, mig).run_migrations(to=3)
    edit(db, "UPDATE metadata SET value = '4' WHERE key = 'schema_version'")
    with pytest.raises(BookkeepingMismatch, match="schema_version is 4 but migration_history ends at version 3"):
        MigrationRunner(db, mig).run_migrations()
    assert [r[0] for r in query(db, "SELECT version FROM migration_history ORDER BY 1")] == [1, 2, 3]
    status = MigrationRunner(db, mig).status()
    assert not any(m.adopted for m in status.migrations)


def test_a_deleted_history_row_is_a_loss_not_a_branch_merge(mig, db):
    counting_migrations(mig, 5)
    MigrationRunner(db, mig).run_migrations()
    edit(db, "DELETE FROM migration_history WHERE version = 3")
    with pytest.raises(BookkeepingMismatch) as info:
        MigrationRunner(db, mig).run_migrations()
    message = str(info.value)
    assert "003-step-3.py" in message and "its row was deleted" in message
    assert "git mv" not in message and "do not renumber it" in message
    # The advice given restores the row without running anything.
    assert cli("migrate", "stamp", "5", "--yes", "--database", db, "--dir", mig).exit_code == 0
    assert MigrationRunner(db, mig).status().problems == []
    assert query(db, "SELECT count(*) FROM runs") == [(4,)]


def test_a_real_branch_merge_still_gets_the_renumbering_advice(mig, db):
    write_migration(mig, 1, "one", "CREATE TABLE one (a)")
    write_migration(mig, 3, "three", "CREATE TABLE three (a)")
    MigrationRunner(db, mig).run_migrations()
    write_migration(mig, 2, "from-a-branch", "CREATE TABLE two (a)")
    with pytest.raises(OutOfOrder) as info:
        MigrationRunner(db, mig).run_migrations()
    assert ("`git mv 002-from-a-branch.py 004-from-a-branch.py` and change `version = 2` inside "
            "it to `version = 4`") in str(info.value)


def test_a_node_database_is_adopted_only_without_any_history(mig, db):
    edit(db, "CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT);"
             "INSERT INTO metadata VALUES ('schema_version', '2');"
             "CREATE TABLE runs (v INTEGER);")
    counting_migrations(mig, 4)
    assert [r.version for r in MigrationRunner(db, mig).run_migrations()] == [3, 4]
    assert [r[0] for r in query(db, "SELECT version FROM migration_history ORDER BY 1")] == [1, 2, 3, 4]
    assert MigrationRunner(db, mig).status().problems == []


def branch_collision(mig, db):
    """Two branches each add 006: ours ran here; theirs arrives with the merge."""
    counting_migrations(mig, 5)
    write_migration(mig, 6, "ours", "INSERT INTO runs VALUES (60)", "DELETE FROM runs WHERE v = 60")
    MigrationRunner(db, mig).run_migrations()
    write_migration(mig, 6, "theirs", "INSERT INTO runs VALUES (61)", "DELETE FROM runs WHERE v = 61",
                    name="Theirs")


@pytest.mark.parametrize("applied_sorts_first", [True, False])
def test_the_collision_advice_names_only_the_file_that_never_ran(mig, db, applied_sorts_first):
    counting_migrations(mig, 5)
    first, second = ("aaa-ours", "zzz-theirs") if applied_sorts_first else ("zzz-ours", "aaa-theirs")
    write_migration(mig, 6, first if applied_sorts_first else second.replace("theirs", "ours"),
                    "INSERT INTO runs VALUES (60)")
    MigrationRunner(db, mig).run_migrations()
    theirs = second if applied_sorts_first else first.replace("ours", "theirs")
    write_migration(mig, 6, theirs, "INSERT INTO runs VALUES (61)", name="Theirs")
    with pytest.raises(DuplicateVersion) as info:
        MigrationRunner(db, mig).run_migrations()
    message = str(info.value)
    assert message.startswith(str(mig / f"006-{theirs}.py"))
    assert f"`git mv 006-{theirs}.py 007-{theirs}.py` and change `version = 6` inside it to `version = 7`" in message
    assert "ours.py 007" not in message


def test_the_duplicate_advice_renumbers_above_every_file(mig, db):
    table_migrations(mig, 8)
    write_migration(mig, 6, "other", "CREATE TABLE o (a)")
    with pytest.raises(DuplicateVersion, match="009-create-t6.py|009-other.py"):
        MigrationRunner(db, mig).run_migrations()


def test_repair_never_records_a_migration_that_did_not_run(mig, db):
    branch_collision(mig, db)
    # The wrong way out: the applied file is moved away, so theirs sits alone at 006.
    (mig / "006-ours.py").unlink()
    result = cli("migrate", "status", "--database", db, "--dir", mig)
    assert "006-theirs.py: version 6 in this database is 'Ours'" in result.output
    assert "never ran here" in result.output and "MODIFIED" not in result.output
    repaired = cli("migrate", "repair", "--yes", "--database", db, "--dir", mig)
    assert repaired.exit_code == 0
    assert "Nothing to repair" in repaired.output
    history = query(db, "SELECT name FROM migration_history WHERE version = 6")
    assert history == [("Ours",)]
    status = MigrationRunner(db, mig).status()
    assert [m.state for m in status.migrations if m.version == 6] == ["pending"]
    assert query(db, "SELECT count(*) FROM runs WHERE v = 61") == [(0,)]


def test_a_project_keeps_its_bookkeeping_under_other_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QSCAFFOLD_DATABASE", raising=False)
    monkeypatch.delenv("QSCAFFOLD_MIGRATIONS", raising=False)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.qscaffold]\nmetadata_table = "qs_meta"\nhistory_table = "qs_history"\n')
    counting_migrations(tmp_path / "migrations", 3)
    db = tmp_path / "data" / "app.db"
    db.parent.mkdir()
    edit(db, "CREATE TABLE metadata (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO metadata (title) VALUES ('mine');")
    result = cli("migrate", "up")
    assert result.exit_code == 0, result.output
    assert query(db, "SELECT title FROM metadata") == [("mine",)]
    assert query(db, "SELECT value FROM qs_meta WHERE key = 'schema_version'") == [("3",)]
    assert [r[0] for r in query(db, "SELECT version FROM qs_history ORDER BY 1")] == [1, 2, 3]
    assert "migration_history" not in tables(db)
    assert cli("migrate", "status").exit_code == 0
    assert cli("migrate", "verify").exit_code == 0
    # The API reads the same settings, or takes the names.
    assert MigrationRunner(db, tmp_path / "migrations").get_current_version() == 3
    runner = MigrationRunner(db, tmp_path / "migrations", metadata_table="qs_meta", history_table="qs_history")
    assert runner.status().problems == []


def test_an_unusable_bookkeeping_name_is_bad_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.qscaffold]\nhistory_table = "my history"\n')
    (tmp_path / "migrations").mkdir()
    result = cli("migrate", "status")
    assert result.exit_code == 2
    assert "history_table 'my history': must be a plain table name" in result.output
