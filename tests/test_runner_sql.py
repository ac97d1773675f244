"""Plain-SQL migrations in the runner: ``NNN-name.sql`` with ``-- migrate:up`` / ``-- migrate:down``
sections and ``NNN-name.up.sql`` + ``NNN-name.down.sql`` pairs, numbered with the ``.py`` files."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from qscaffold import MigrationRunner
from qscaffold.cli import main
from qscaffold.errors import ChecksumMismatch, DuplicateVersion, MigrationFailed, MigrationFileError
from qscaffold.files import discover, parse_migration_name
from support import dump, query, tables, version, write_migration

pytest_plugins = ["pytester"]

WIDGETS = """\
-- Widgets belong to users.
-- migrate:up
CREATE TABLE widgets (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), label TEXT);
CREATE INDEX widgets_user ON widgets (user_id);
CREATE TRIGGER widgets_label AFTER INSERT ON widgets BEGIN
  UPDATE widgets SET label = 'w' || NEW.id WHERE id = NEW.id AND label IS NULL;
END;

-- migrate:down
DROP TABLE widgets;
"""


@pytest.fixture
def project(project):
    tmp_path = project  # the current folder (conftest.project)
    folder = tmp_path / "migrations"
    write_migration(folder, 1, "create-users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)",
                    "DROP TABLE users")
    (folder / "002-create-widgets.sql").write_text(WIDGETS, encoding="utf-8")
    (folder / "003-add-nick-to-users.up.sql").write_text(
        "ALTER TABLE users ADD COLUMN nick TEXT;\nUPDATE users SET nick = email;\n", encoding="utf-8")
    (folder / "003-add-nick-to-users.down.sql").write_text(
        "ALTER TABLE users DROP COLUMN nick;\n", encoding="utf-8")
    return tmp_path


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def db_path(project):
    return project / "data" / "app.db"


def test_names_of_both_layouts_are_read_with_the_python_ones():
    assert parse_migration_name("007-widgets.sql") == (7, "widgets", ".sql")
    assert parse_migration_name("007-widgets.up.sql") == (7, "widgets", ".up.sql")
    assert parse_migration_name("007-widgets.down.sql") == (7, "widgets", ".down.sql")
    assert parse_migration_name("007-widgets.py") == (7, "widgets", ".py")
    assert parse_migration_name("0007-widgets.sql") is None
    assert parse_migration_name("schema.sql") is None


def test_status_up_down_apply_and_roll_back_both_layouts(project):
    result = run("migrate", "status", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)["migrations"]
    assert [(m["version"], m["file"], m["state"]) for m in listed] == [
        (1, "001-create-users.py", "pending"),
        (2, "002-create-widgets.sql", "pending"),
        (3, "003-add-nick-to-users.up.sql", "pending"),
    ]
    result = run("migrate", "up")
    assert result.exit_code == 0, result.output
    assert "Applied v2: Create widgets" in result.output and "Applied v3: Add nick to users" in result.output
    db = db_path(project)
    assert version(db) == 3
    assert {"users", "widgets"} <= tables(db)
    assert [r[1] for r in query(db, "PRAGMA table_info(users)")] == ["id", "email", "nick"]
    query_conn = sqlite3.connect(db)
    query_conn.execute("INSERT INTO users (id, email) VALUES (1, 'a@b')")
    query_conn.execute("INSERT INTO widgets (user_id) VALUES (1)")  # the trigger ran whole
    query_conn.commit()
    query_conn.close()
    assert query(db, "SELECT label FROM widgets") == [("w1",)]

    result = run("migrate", "down", "--yes", "--no-backup")
    assert result.exit_code == 0, result.output
    assert version(db) == 2
    assert [r[1] for r in query(db, "PRAGMA table_info(users)")] == ["id", "email"]
    result = run("migrate", "down", "--yes", "--no-backup")
    assert result.exit_code == 0, result.output
    assert version(db) == 1 and "widgets" not in tables(db)
    assert query(db, "SELECT version FROM migration_history") == [(1,)]


def test_verify_and_stamp_take_sql_migrations(project):
    result = run("migrate", "verify", "--fresh")
    assert result.exit_code == 0, result.output
    assert "002-create-widgets.sql) passed" in result.output
    assert "003-add-nick-to-users.up.sql) passed" in result.output
    result = run("migrate", "stamp", "2", "--yes")
    assert result.exit_code == 0, result.output
    db = db_path(project)
    assert version(db) == 2
    assert "widgets" not in tables(db)  # stamped, not run
    checksums = dict(query(db, "SELECT version, checksum FROM migration_history"))
    assert checksums[2] == discover(project / "migrations")[1].checksum


@pytest.mark.parametrize("layout", ["sections", "pair"])
def test_a_failing_statement_rolls_back_the_whole_sql_file(project, layout):
    folder = project / "migrations"
    up = ("CREATE TABLE gadgets (id INTEGER PRIMARY KEY);\nINSERT INTO gadgets VALUES (1);\n"
          "INSERT INTO nowhere VALUES (1);\n")
    if layout == "sections":
        name = "004-broken.sql"
        (folder / name).write_text(f"-- migrate:up\n{up}-- migrate:down\nDROP TABLE gadgets;\n")
    else:
        name = "004-broken.up.sql"
        (folder / name).write_text(up)
        (folder / "004-broken.down.sql").write_text("DROP TABLE gadgets;\n")
    result = run("migrate", "up")
    assert result.exit_code == 1
    assert f"{name}: up() failed: OperationalError: no such table: nowhere" in result.output
    assert "Traceback" not in result.output
    db = db_path(project)
    assert version(db) == 3  # the earlier migrations of the run stay
    assert "gadgets" not in tables(db)  # nothing of 004 is left


def test_a_failing_down_file_rolls_back_and_keeps_the_version(project):
    run("migrate", "up")
    db = db_path(project)
    before = dump(db)
    (project / "migrations" / "003-add-nick-to-users.down.sql").write_text(
        "ALTER TABLE users DROP COLUMN nick;\nDROP TABLE no_such_table;\n", encoding="utf-8")
    runner = MigrationRunner(db, project / "migrations")
    runner.repair()  # accept the edit: the down file is part of the checksum
    with pytest.raises(MigrationFailed, match="no such table: no_such_table"):
        runner.rollback()
    runner.close()
    after = [line for line in dump(db) if "migration_history" not in line]
    assert after == [line for line in before if "migration_history" not in line]
    assert version(db) == 3


def test_foreign_keys_are_checked_before_commit(project):
    (project / "migrations" / "004-orphans.sql").write_text(
        "INSERT INTO widgets (id, user_id) VALUES (1, 42);\n", encoding="utf-8")
    result = run("migrate", "up")
    assert result.exit_code == 1
    assert "004-orphans.sql: up() broke foreign keys: widgets rowid 1 references a missing row in users" \
        in result.output
    db = db_path(project)
    assert version(db) == 3 and query(db, "SELECT count(*) FROM widgets") == [(0,)]


@pytest.mark.parametrize("statement", ["BEGIN;", "BEGIN IMMEDIATE TRANSACTION;", "COMMIT;", "END;", "ROLLBACK;"])
def test_transaction_control_inside_is_refused_before_anything_runs(project, statement):
    (project / "migrations" / "004-own-transaction.sql").write_text(
        f"-- migrate:up\nCREATE TABLE gadgets (id INTEGER);\n{statement}\n-- migrate:down\nDROP TABLE gadgets;\n",
        encoding="utf-8")
    result = run("migrate", "up")
    assert result.exit_code == 1
    word = statement.split()[0].rstrip(";")
    assert f"004-own-transaction.sql:3: {word} is not allowed in a migration" in result.output
    assert not db_path(project).exists() or version(db_path(project)) == 0  # not even 001 ran


def test_savepoints_inside_a_sql_file_are_fine(project):
    (project / "migrations" / "004-savepoint.sql").write_text(
        "SAVEPOINT s;\nCREATE TABLE gadgets (id INTEGER);\nROLLBACK TO s;\nRELEASE s;\n", encoding="utf-8")
    assert run("migrate", "up").exit_code == 0
    assert version(db_path(project)) == 4 and "gadgets" not in tables(db_path(project))


def test_editing_either_file_of_a_pair_is_a_checksum_mismatch(project):
    run("migrate", "up")
    down = project / "migrations" / "003-add-nick-to-users.down.sql"
    down.write_text(down.read_text() + "-- a comment\n", encoding="utf-8")
    result = run("migrate", "up")
    assert result.exit_code == 1
    assert "003-add-nick-to-users.up.sql: changed since it was applied" in result.output
    with pytest.raises(ChecksumMismatch):
        MigrationRunner(db_path(project), project / "migrations").check()


def test_crlf_checkout_of_a_sql_file_is_not_an_edit(project):
    run("migrate", "up")
    path = project / "migrations" / "002-create-widgets.sql"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert run("migrate", "up").exit_code == 0


def test_a_sql_file_without_markers_is_all_up_and_has_no_down(project):
    (project / "migrations" / "004-seed.sql").write_text(
        "INSERT INTO users (email) VALUES ('x@y');\n", encoding="utf-8")
    assert run("migrate", "up").exit_code == 0
    result = run("migrate", "down", "--yes", "--no-backup")
    assert result.exit_code == 1
    assert "004-seed.sql: has no down(db); it cannot be rolled back" in result.output
    assert version(db_path(project)) == 4


@pytest.mark.parametrize("name, text, cause", [
    ("004-x.sql", "CREATE TABLE a (id INTEGER);\n-- migrate:up\nCREATE TABLE b (id INTEGER);\n",
     "004-x.sql:1: a statement before `-- migrate:up`"),
    ("004-x.sql", "-- migrate:down\nDROP TABLE a;\n", "no `-- migrate:up` section"),
    ("004-x.sql", "-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n", "004-x.sql:3: a second `-- migrate:up`"),
    ("004-x.sql", "-- migrate:up transaction:false\nSELECT 1;\n", "transaction:false is not supported"),
    ("004-x.sql", "-- +goose Up\nCREATE TABLE a (id INTEGER);\n-- +goose Down\nDROP TABLE a;\n",
     "004-x.sql:1: -- +goose Up: another tool's marker"),
    ("004-x.up.sql", "-- migrate:up\nSELECT 1;\n", "an .up.sql file holds only the up half"),
    ("004-x.sql", b"SELECT '\xff';\n", "004-x.sql:1: not UTF-8 text"),
])
def test_unreadable_sql_files_are_refused_with_file_and_cause(project, name, text, cause):
    path = project / "migrations" / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    result = run("migrate", "up")
    assert result.exit_code == 1
    assert cause in result.output and "Traceback" not in result.output
    assert not db_path(project).exists() or version(db_path(project)) == 0


def test_a_down_file_without_its_up_file_is_refused(project):
    (project / "migrations" / "004-lonely.down.sql").write_text("DROP TABLE x;\n", encoding="utf-8")
    with pytest.raises(MigrationFileError, match=r"004-lonely.down.sql: a down file without its up file "
                                                 r"004-lonely.up.sql"):
        discover(project / "migrations")
    result = run("migrate", "status")
    assert result.exit_code == 1 and "004-lonely.down.sql" in result.output


def test_sql_and_python_files_share_one_numbering(project):
    (project / "migrations" / "002-other.py").write_text("name = 'x'\nversion = 2\ndef up(db): pass\n")
    with pytest.raises(DuplicateVersion, match="002-other.py: version 2 is also used by 002-create-widgets.sql"):
        discover(project / "migrations")


def test_a_misnamed_sql_migration_is_reported_not_skipped(project):
    (project / "migrations" / "4_add_things.sql").write_text("SELECT 1;\n")
    result = run("migrate", "status")
    assert result.exit_code == 1
    assert "4_add_things.sql: misnamed migration" in result.output


def test_new_numbers_after_sql_migrations(project):
    result = run("new", "add-widget-notes", "--pattern", "data")
    assert result.exit_code == 0, result.output
    assert (project / "migrations" / "004-add-widget-notes.py").exists()
    (project / "migrations" / "005-more.sql").write_text("SELECT 1;\n")
    result = run("new", "again", "--pattern", "data")
    assert (project / "migrations" / "006-again.py").exists(), result.output


def test_the_python_api_runs_sql_migrations_in_memory(project):
    with MigrationRunner(":memory:", project / "migrations") as runner:
        files = runner.load_migrations()
        assert [f.name for f in files] == ["Create users", "Create widgets", "Add nick to users"]
        assert [r.version for r in runner.run_migrations()] == [1, 2, 3]
        assert [r.version for r in runner.rollback(to=1)] == [3, 2]
        assert runner.get_current_version() == 1


def test_the_pytest_plugin_checks_sql_migrations(project, pytester):
    pytester.makepyprojecttoml('[tool.qscaffold]\nmigrations_dir = "migrations"\n')
    target = pytester.path / "migrations"
    target.mkdir()
    for path in (project / "migrations").iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    (target / "003-add-nick-to-users.down.sql").write_text("SELECT 1;\n")  # forgets the column
    result = pytester.runpytest("-p", "no:cacheprovider", "-v", "--qscaffold", "-k", "not test_lint")
    result.stdout.fnmatch_lines([
        "qscaffold::test_up_down_consistency[[]002-create-widgets[]] PASSED*",
        "qscaffold::test_up_down_consistency[[]003-add-nick-to-users[]] FAILED*",
    ])
    assert "down leaves column users.nick" in result.stdout.str()


def test_a_sql_file_sharing_an_applied_version_gets_advice_for_its_own_files(project):
    assert run("migrate", "up").exit_code == 0
    folder = project / "migrations"
    (folder / "003-other.up.sql").write_text("SELECT 1;\n")
    (folder / "003-other.down.sql").write_text("SELECT 1;\n")
    result = run("migrate", "up")
    assert result.exit_code == 1 and "Traceback" not in result.output
    # the pair that never ran is the one to move, both of its files
    assert "003-add-nick-to-users.up.sql" not in result.output.split("renumber")[-1]
    assert "`git mv 003-other.up.sql 004-other.up.sql` and `git mv 003-other.down.sql 004-other.down.sql`" \
        in result.output


def test_a_pending_sql_file_below_the_applied_version_is_told_to_move_as_sql(project):
    assert run("migrate", "up").exit_code == 0
    (project / "migrations" / "003-add-nick-to-users.up.sql").rename(project / "migrations" / "005-add-nick-to-users.up.sql")
    (project / "migrations" / "003-add-nick-to-users.down.sql").rename(project / "migrations" / "005-add-nick-to-users.down.sql")
    run("migrate", "stamp", "5", "--yes")
    (project / "migrations" / "004-late.sql").write_text("SELECT 1;\n")
    result = run("migrate", "up")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "`git mv 004-late.sql 006-late.sql`" in result.output
    assert "version = 4" not in result.output
