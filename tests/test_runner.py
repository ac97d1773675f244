"""The runner through the Python API, on real SQLite files."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from qscaffold import Database, MigrationRunner, QscaffoldError, initialize_database
from qscaffold.errors import (
    ChecksumMismatch,
    DatabaseAhead,
    DatabaseError,
    DatabaseLocked,
    DuplicateVersion,
    ForeignKeyViolation,
    MigrationFailed,
    MigrationFileError,
    MissingMigration,
    NotADatabase,
    OutOfOrder,
    RefusedError,
)
from support import dump, query, sha256, table_migrations, tables, version, write_migration


def test_initialize_database_applies_everything_and_returns_the_open_database(mig, db):
    table_migrations(mig, 3)
    database = initialize_database(db, mig)
    assert isinstance(database, Database)
    assert database.has_table("t3")
    assert version(db) == 3
    rows = query(db, "SELECT version, name, length(checksum), applied_at, duration_ms FROM migration_history")
    assert [r[0] for r in rows] == [1, 2, 3]
    assert all(r[2] == 64 and r[3].endswith("Z") and r[4] >= 0 for r in rows)
    database.connection.close()


def test_a_second_run_applies_nothing(mig, db):
    table_migrations(mig, 2)
    assert len(MigrationRunner(db, mig).run_migrations()) == 2
    runner = MigrationRunner(db, mig)
    assert runner.run_migrations() == []
    assert runner.get_current_version() == 2


def test_load_migrations_imports_every_file(mig, db):
    table_migrations(mig, 2)
    runner = MigrationRunner(db, mig)
    loaded = runner.load_migrations()
    assert [(m.version, m.name) for m in loaded] == [(1, "Create t1"), (2, "Create t2")]
    assert callable(loaded[0].up) and callable(loaded[0].down)
    assert not db.exists(), "loading must not create the database"


def test_exec_runs_a_script_with_a_trigger_inside_the_transaction(mig, db):
    script = """
        CREATE TABLE IF NOT EXISTS t (a INTEGER);
        CREATE TABLE IF NOT EXISTS log (msg TEXT);  -- a comment; with a semicolon
        CREATE TRIGGER IF NOT EXISTS trg AFTER INSERT ON t
        BEGIN
            INSERT INTO log VALUES ('one; two');
            INSERT INTO log VALUES ('three');
        END;
        INSERT INTO t VALUES (1)
    """
    write_migration(mig, 1, "script", script)
    MigrationRunner(db, mig).run_migrations()
    assert query(db, "SELECT msg FROM log ORDER BY rowid") == [("one; two",), ("three",)]


@pytest.mark.parametrize("style", ["one-script", "separate-calls"])
def test_a_migration_that_raises_half_way_leaves_nothing_behind(mig, db, style):
    table_migrations(mig, 1)
    write_migration(mig, 1, "create-t1", "CREATE TABLE IF NOT EXISTS t1 (id INTEGER PRIMARY KEY)")
    MigrationRunner(db, mig).run_migrations()
    query(db, "SELECT 1")  # nothing open
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO t1 VALUES (7)")
    conn.commit()
    conn.close()
    before = dump(db)
    trigger = "CREATE TRIGGER trg AFTER INSERT ON t1 BEGIN DELETE FROM t1; END"
    if style == "one-script":
        body = (
            "def up(db):\n"
            f"    db.exec('''CREATE TABLE extra (a); INSERT INTO t1 VALUES (8); {trigger};"
            " ALTER TABLE t1 ADD COLUMN x TEXT; INSERT INTO nope VALUES (1)''')\n"
        )
    else:
        body = (
            "def up(db):\n"
            "    db.exec('CREATE TABLE extra (a)')\n"
            "    db.execute('INSERT INTO t1 VALUES (8)')\n"
            f"    db.exec('{trigger}')\n"
            "    db.exec('ALTER TABLE t1 ADD COLUMN x TEXT')\n"
            "    raise RuntimeError('disk full')\n"
        )
    write_migration(mig, 2, "breaks", "", body=body)
    write_migration(mig, 3, "never", "CREATE TABLE never (a)")
    with pytest.raises(MigrationFailed) as info:
        MigrationRunner(db, mig).run_migrations()
    message = str(info.value)
    assert "002-breaks.py" in message and "rolled back" in message and "version 1" in message
    assert "\n" not in message
    assert dump(db) == before
    assert version(db) == 1


def test_earlier_migrations_of_the_same_run_stay_applied(mig, db):
    table_migrations(mig, 2)
    write_migration(mig, 3, "breaks", "CREATE TABLE x (a); SELECT * FROM missing_table")
    with pytest.raises(MigrationFailed, match="no such table: missing_table"):
        MigrationRunner(db, mig).run_migrations()
    assert version(db) == 2
    assert {"t1", "t2"} <= tables(db) and "x" not in tables(db)


def test_a_file_that_does_not_load_stops_the_run_before_anything_runs(mig, db):
    table_migrations(mig, 2)
    (mig / "003-broken.py").write_text("name = 'Broken'\nversion = 3\ndef up(db):\n    pass\n  oops\n")
    with pytest.raises(MigrationFileError, match=r"003-broken.py:5: syntax error"):
        MigrationRunner(db, mig).run_migrations()
    assert not db.exists() or version(db) == 0


@pytest.mark.parametrize(
    "source, cause",
    [
        ("name = 'X'\nversion = 2\nraise ValueError('no config')\ndef up(db): pass\n",
         "raises ValueError on import: no config"),
        ("name = 'X'\nversion = 2\n", "no `up(db)` function"),
        ("name = 'X'\nversion = 3\ndef up(db): pass\n", "does not match the file's number 2"),
        ("version = 2\ndef up(db): pass\n", "`name` must be a non-empty string"),
        ("name = 'X'\nversion = '2'\ndef up(db): pass\n", "`version` must be an int"),
        ("import sys\nname = 'X'\nversion = 2\nsys.exit(3)\ndef up(db): pass\n", "raises SystemExit on import"),
    ],
)
def test_broken_files_are_named_with_their_cause(mig, db, source, cause):
    table_migrations(mig, 1)
    (mig / "002-bad.py").write_text(source)
    with pytest.raises(MigrationFileError) as info:
        MigrationRunner(db, mig).run_migrations()
    assert "002-bad.py" in str(info.value) and cause in str(info.value)
    assert not db.exists() or version(db) == 0


def test_duplicate_versions_are_refused(mig, db):
    table_migrations(mig, 2)
    write_migration(mig, 2, "other", "CREATE TABLE o (a)")
    with pytest.raises(DuplicateVersion, match="version 2 is also used by"):
        MigrationRunner(db, mig).run_migrations()
    assert not db.exists()


def test_misnamed_migration_files_are_refused_not_skipped(mig, db):
    table_migrations(mig, 1)
    (mig / "2-add-thing.py").write_text("name='x'\nversion=2\ndef up(db): pass\n")
    with pytest.raises(MigrationFileError, match="at least 3 digits"):
        MigrationRunner(db, mig).run_migrations()
    (mig / "2-add-thing.py").rename(mig / "002-AddThing.py")
    with pytest.raises(MigrationFileError, match="kebab-case"):
        MigrationRunner(db, mig).run_migrations()
    (mig / "002-AddThing.py").rename(mig / "helpers.py")  # not a migration: ignored
    assert len(MigrationRunner(db, mig).run_migrations()) == 1


def test_an_edited_applied_file_is_refused_until_repaired(mig, db):
    paths = table_migrations(mig, 2)
    MigrationRunner(db, mig).run_migrations()
    write_migration(mig, 3, "more", "CREATE TABLE more (a)")
    paths[0].write_text(paths[0].read_text() + "# a comment\n")
    with pytest.raises(ChecksumMismatch, match=r"001-create-t1.py: changed since it was applied.*repair"):
        MigrationRunner(db, mig).run_migrations()
    assert version(db) == 2
    runner = MigrationRunner(db, mig)
    assert [f.version for f in runner.repair()] == [1]
    assert [r.version for r in MigrationRunner(db, mig).run_migrations()] == [3]


def test_a_crlf_checkout_is_not_an_edit(mig, db):
    paths = table_migrations(mig, 2)
    MigrationRunner(db, mig).run_migrations()
    for p in paths:
        p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))
    runner = MigrationRunner(db, mig)
    assert runner.status().problems == []
    assert runner.run_migrations() == []


def test_a_vanished_applied_file_is_refused(mig, db):
    paths = table_migrations(mig, 3)
    MigrationRunner(db, mig).run_migrations()
    paths[1].unlink()
    with pytest.raises(MissingMigration, match="migration 2 .* was applied but its file is gone"):
        MigrationRunner(db, mig).run_migrations()
    status = MigrationRunner(db, mig).status()
    assert [(m.version, m.state) for m in status.migrations] == [(1, "applied"), (2, "missing"), (3, "applied")]


def test_a_database_newer_than_every_file_is_refused(mig, db):
    table_migrations(mig, 3)
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT);"
                       "INSERT INTO metadata VALUES ('schema_version', '5');")
    conn.close()
    with pytest.raises(DatabaseAhead, match="at version 5, newer than every migration file"):
        MigrationRunner(db, mig).run_migrations()


def test_a_pending_file_below_the_newest_applied_is_refused_with_a_renumbering(mig, db):
    write_migration(mig, 1, "one", "CREATE TABLE one (a)")
    write_migration(mig, 3, "three", "CREATE TABLE three (a)")
    MigrationRunner(db, mig).run_migrations()
    write_migration(mig, 2, "from-a-branch", "CREATE TABLE two (a)")
    with pytest.raises(OutOfOrder) as info:
        MigrationRunner(db, mig).run_migrations()
    assert "git mv 002-from-a-branch.py 004-from-a-branch.py" in str(info.value)
    assert "two" not in tables(db)


def test_a_database_made_by_the_node_system_is_adopted(mig, db):
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT);"
        "INSERT INTO metadata VALUES ('schema_version', '2');"
        "CREATE TABLE t1 (id INTEGER PRIMARY KEY); CREATE TABLE t2 (id INTEGER PRIMARY KEY);"
    )
    conn.close()
    table_migrations(mig, 4)
    runner = MigrationRunner(db, mig)
    status = runner.status()
    assert [(m.version, m.state, m.adopted) for m in status.migrations] == [
        (1, "applied", True), (2, "applied", True), (3, "pending", False), (4, "pending", False)]
    assert [r.version for r in runner.run_migrations()] == [3, 4]
    assert [r[0] for r in query(db, "SELECT version FROM migration_history ORDER BY version")] == [1, 2, 3, 4]
    assert MigrationRunner(db, mig).status().problems == []


def test_rollback_steps_and_to(mig, db):
    table_migrations(mig, 5)
    runner = MigrationRunner(db, mig)
    runner.run_migrations()
    assert [r.version for r in runner.rollback()] == [5]
    assert version(db) == 4 and "t5" not in tables(db)
    assert [r.version for r in runner.rollback(steps=2)] == [4, 3]
    assert [r.version for r in runner.rollback(to=0)] == [2, 1]
    assert version(db) == 0
    assert query(db, "SELECT count(*) FROM migration_history") == [(0,)]
    assert [r.version for r in runner.run_migrations(to=3)] == [1, 2, 3]


def test_rollback_of_a_migration_without_down_is_refused(mig, db):
    table_migrations(mig, 1)
    write_migration(mig, 2, "no-down", "CREATE TABLE nd (a)")
    runner = MigrationRunner(db, mig)
    runner.run_migrations()
    with pytest.raises(RefusedError, match="002-no-down.py: has no down"):
        runner.rollback()
    assert version(db) == 2


def test_a_parent_table_rebuild_never_cascades_into_children(mig, db):
    write_migration(mig, 1, "schema", """
        CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, legacy TEXT);
        CREATE TABLE child (id INTEGER PRIMARY KEY,
                            parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE);
        INSERT INTO parent VALUES (1, 'a', 'x'), (2, 'b', 'y');
        INSERT INTO child (parent_id) VALUES (1), (1), (2);
    """)
    write_migration(mig, 2, "rebuild-parent", """
        CREATE TABLE new_parent (id INTEGER PRIMARY KEY, name TEXT);
        INSERT INTO new_parent (id, name) SELECT id, name FROM parent;
        DROP TABLE parent;
        ALTER TABLE new_parent RENAME TO parent;
    """)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    MigrationRunner(conn, mig).run_migrations()
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,), "enforcement is restored"
    assert conn.execute("SELECT count(*) FROM child").fetchone() == (3,)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert [c[1] for c in conn.execute("PRAGMA table_info(parent)")] == ["id", "name"]
    conn.close()


def test_a_migration_that_leaves_an_orphan_row_is_rolled_back(mig, db):
    write_migration(mig, 1, "schema", """
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));
        INSERT INTO parent VALUES (1);
        INSERT INTO child VALUES (1, 1);
    """)
    write_migration(mig, 2, "orphans", "INSERT INTO child VALUES (2, 42); DELETE FROM parent WHERE id = 1")
    with pytest.raises(ForeignKeyViolation) as info:
        MigrationRunner(db, mig).run_migrations()
    message = str(info.value)
    assert "foreign" in message and "002-orphans.py" in message and "child" in message
    assert version(db) == 1
    assert query(db, "SELECT count(*) FROM child") == [(1,)]
    assert query(db, "SELECT count(*) FROM parent") == [(1,)]


@pytest.mark.parametrize("statement", ["COMMIT", "BEGIN", "END", "ROLLBACK", "begin immediate"])
def test_transaction_control_inside_a_migration_is_refused(mig, db, statement):
    write_migration(mig, 1, "sneaky", f"CREATE TABLE a (x); {statement}; CREATE TABLE b (x)")
    with pytest.raises(MigrationFailed, match="not allowed in a migration"):
        MigrationRunner(db, mig).run_migrations()
    assert "a" not in tables(db)


def test_savepoints_nest_inside_a_migration(mig, db):
    body = (
        "def up(db):\n"
        "    db.exec('CREATE TABLE t (a)')\n"
        "    try:\n"
        "        with db.savepoint():\n"
        "            db.execute('INSERT INTO t VALUES (1)')\n"
        "            raise ValueError\n"
        "    except ValueError:\n"
        "        pass\n"
        "    db.exec('SAVEPOINT sp; INSERT INTO t VALUES (3); ROLLBACK TRANSACTION TO sp; RELEASE sp')\n"
        "    try:\n"
        "        raise ValueError\n"
        "    except ValueError:\n"
        "        pass\n"
        "    db.execute('INSERT INTO t VALUES (2)')\n"
        "    return db.query('SELECT count(*) FROM t')[0][0]\n"
    )
    write_migration(mig, 1, "nested", "", body=body)
    results = MigrationRunner(db, mig).run_migrations()
    assert results[0].detail == 1
    assert query(db, "SELECT a FROM t") == [(2,)]


def test_dry_run_reports_and_changes_nothing(mig, db):
    table_migrations(mig, 2)
    MigrationRunner(db, mig).run_migrations(to=1)
    before = sha256(db)
    results = MigrationRunner(db, mig).run_migrations(dry_run=True)
    assert [r.version for r in results] == [2]
    assert sha256(db) == before
    write_migration(mig, 3, "fails", "CREATE TABLE t1 (id)")
    with pytest.raises(MigrationFailed, match="table t1 already exists"):
        MigrationRunner(db, mig).run_migrations(dry_run=True)
    assert sha256(db) == before


def test_dry_run_on_a_missing_database_creates_nothing(mig, tmp_path):
    table_migrations(mig, 2)
    target = tmp_path / "nowhere" / "app.db"
    assert len(MigrationRunner(target, mig).run_migrations(dry_run=True)) == 2
    assert not target.parent.exists()


def test_the_database_folder_is_created(mig, tmp_path):
    table_migrations(mig, 1)
    target = tmp_path / "a" / "b" / "app.db"
    MigrationRunner(target, mig).run_migrations()
    assert version(target) == 1


def test_a_path_that_cannot_be_created_is_a_clear_error(mig, tmp_path):
    table_migrations(mig, 1)
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatabaseError, match="cannot create folder"):
        MigrationRunner(tmp_path / "file" / "app.db", mig).run_migrations()


def test_a_file_that_is_not_a_database_stays_as_it_was(mig, tmp_path):
    table_migrations(mig, 1)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite\n" * 100)
    before = sha256(junk)
    with pytest.raises(NotADatabase, match="junk.db: not a SQLite database"):
        MigrationRunner(junk, mig).run_migrations()
    with pytest.raises(NotADatabase):
        MigrationRunner(junk, mig).status()
    assert sha256(junk) == before


def test_a_lock_held_past_the_timeout_is_a_clear_error(mig, db):
    table_migrations(mig, 2)
    MigrationRunner(db, mig).run_migrations(to=1)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseLocked, match="database is locked.*0.2s"):
            MigrationRunner(db, mig, busy_timeout=0.2).run_migrations()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert version(db) == 1


def test_memory_databases_work(mig):
    table_migrations(mig, 3)
    database = initialize_database(":memory:", mig)
    assert database.query("SELECT value FROM metadata")[0][0] == "3"
    runner = MigrationRunner(database, mig)
    assert runner.get_current_version() == 3
    assert [r.version for r in runner.rollback()] == [3]
    assert not database.has_table("t3")


def test_the_library_never_prints_and_leaves_logging_alone(mig, db, capsys, caplog):
    table_migrations(mig, 2)
    root_handlers = list(logging.getLogger().handlers)
    with caplog.at_level(logging.INFO, logger="qscaffold"):
        initialize_database(db, mig).connection.close()
        MigrationRunner(db, mig).rollback()
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    assert logging.getLogger().handlers == root_handlers
    assert any("002-create-t2.py" in r.getMessage() for r in caplog.records)


def test_errors_are_qscaffold_errors_with_one_line_and_an_exit_code(mig, db):
    write_migration(mig, 1, "bad", "CREATE TABLE (")
    with pytest.raises(QscaffoldError) as info:
        MigrationRunner(db, mig).run_migrations()
    assert info.value.exit_code == 1
    assert "\n" not in str(info.value)


def test_database_helpers(mig, db):
    body = (
        "def up(db):\n"
        "    db.exec('CREATE TABLE t (a TEXT, b INTEGER)')\n"
        "    db.executemany('INSERT INTO t VALUES (?, ?)', [('x', 1), ('y', 2)])\n"
        "    assert db.has_table('t') and db.has_table('T') and not db.has_table('u')\n"
        "    assert db.has_column('t', 'B') and not db.has_column('t', 'c')\n"
        "    assert db.query('SELECT b FROM t WHERE a = ?', ('y',)) == [(2,)]\n"
        "    return db.execute('UPDATE t SET b = b + 1 WHERE b > ?', (0,)).rowcount\n"
    )
    write_migration(mig, 1, "helpers", "", body=body)
    assert MigrationRunner(db, mig).run_migrations()[0].detail == 2


def test_a_foreign_key_to_a_column_that_is_no_key_names_the_migration(mig, db):
    write_migration(mig, 1, "schema", """
        CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE);
        CREATE TABLE child (id INTEGER PRIMARY KEY, code TEXT REFERENCES parent(code));
        INSERT INTO parent VALUES (1, 'a');
        INSERT INTO child VALUES (1, 'a');
    """)
    write_migration(mig, 2, "unkey-parent", """
        CREATE TABLE new_parent (id INTEGER PRIMARY KEY, code TEXT);
        INSERT INTO new_parent (id, code) SELECT id, code FROM parent;
        DROP TABLE parent;
        ALTER TABLE new_parent RENAME TO parent;
    """)
    with pytest.raises(ForeignKeyViolation) as info:
        MigrationRunner(db, mig).run_migrations()
    assert "002-unkey-parent.py" in str(info.value) and "foreign key mismatch" in str(info.value)
    assert version(db) == 1
