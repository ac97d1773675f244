"""``migrate verify`` and qscaffold.verify: up, down, up on a scratch copy, schema compared."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from qscaffold import MigrationRunner
from qscaffold.cli import main
from qscaffold.verify import diff_schemas, describe, normalize_sql, snapshot, verify

SHIPPED = Path(__file__).resolve().parent.parent / "migrations"


def write_migration(folder: Path, filename: str, up: str, down: str | None = None) -> Path:
    """A migration file whose up/down run the given SQL scripts through db.exec."""
    folder.mkdir(parents=True, exist_ok=True)
    version = int(filename.split("-", 1)[0])
    body = f'name = "{filename[4:-3]}"\nversion = {version}\n\n\ndef up(db):\n    db.exec({up!r})\n'
    if down is not None:
        body += f"\n\ndef down(db):\n    db.exec({down!r})\n"
    path = folder / filename
    path.write_text(body, encoding="utf-8")
    return path


def good_set(folder: Path) -> Path:
    write_migration(folder, "001-create-users.py",
                    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)",
                    "DROP TABLE users")
    write_migration(folder, "002-create-posts.py",
                    "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL "
                    "REFERENCES users(id) ON DELETE CASCADE, body TEXT DEFAULT '');"
                    "CREATE INDEX idx_posts_user ON posts(user_id)",
                    "DROP INDEX idx_posts_user; DROP TABLE posts")
    write_migration(folder, "003-add-nick-to-users.py",
                    "ALTER TABLE users ADD COLUMN nick TEXT",
                    "ALTER TABLE users DROP COLUMN nick")
    return folder


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# -- comparing schemas -----------------------------------------------------------------------


def schema_of(script: str):
    conn = sqlite3.connect(":memory:")
    conn.executescript(script)
    try:
        return snapshot(conn)
    finally:
        conn.close()


def differences(before: str, after: str) -> list[str]:
    return [describe(d, "down") for d in diff_schemas(schema_of(before), schema_of(after))]


BASE = """
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, age INTEGER DEFAULT 0);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), title TEXT);
CREATE INDEX idx_posts_user ON posts(user_id);
"""


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (BASE + "ALTER TABLE posts ADD COLUMN extra TEXT;", "down leaves column posts.extra"),
        (BASE + "CREATE INDEX idx_x ON posts(title);", "down leaves index idx_x"),
        (BASE + "CREATE TABLE t (a);", "down leaves table t"),
        (BASE.replace("CREATE INDEX idx_posts_user ON posts(user_id);", ""),
         "down drops index idx_posts_user that existed before"),
        (BASE.replace("CREATE TABLE posts", "CREATE TABLE other").replace("ON posts", "ON other"),
         "down drops table posts that existed before"),
        (BASE.replace("title TEXT", "title TEXT NOT NULL"),
         "down changes column posts.title: TEXT, nullable, no default → TEXT, NOT NULL, no default"),
        (BASE.replace("DEFAULT 0", "DEFAULT 1"),
         "down changes column users.age: INTEGER, nullable, default 0 → INTEGER, nullable, default 1"),
        (BASE.replace("age INTEGER", "age TEXT"),
         "down changes column users.age: INTEGER, nullable, default 0 → TEXT, nullable, default 0"),
        (BASE.replace("REFERENCES users(id)", "REFERENCES users(id) ON DELETE CASCADE"),
         "down leaves foreign key posts(user_id) → users(id) on delete cascade"),
        (BASE.replace("email TEXT NOT NULL UNIQUE", "email TEXT NOT NULL"),
         "down drops UNIQUE constraint on users(email) that existed before"),
        (BASE.replace("ON posts(user_id)", "ON posts(user_id) WHERE user_id IS NOT NULL"),
         "down changes index idx_posts_user: WHERE (none) → user_id is not null"),
        (BASE.replace("ON posts(user_id)", "ON posts(user_id, title)"),
         "down changes index idx_posts_user: columns (user_id) → (user_id, title)"),
        (BASE + "CREATE VIEW v AS SELECT * FROM users;", "down leaves view v"),
        (BASE + "CREATE TRIGGER tr AFTER DELETE ON users BEGIN DELETE FROM posts; END;",
         "down leaves trigger tr"),
        (BASE + "ALTER TABLE users ADD COLUMN g INTEGER GENERATED ALWAYS AS (age + 1) VIRTUAL;",
         "down leaves column users.g"),
        (BASE.replace("age INTEGER DEFAULT 0", "age INTEGER DEFAULT 0 CHECK (age >= 0)"),
         "down leaves CHECK (age >= 0) on users"),
        (BASE.replace("title TEXT", "title TEXT COLLATE NOCASE"),
         "down changes column posts.title: TEXT, nullable, no default → "
         "TEXT, nullable, no default, COLLATE NOCASE"),
        (BASE.replace("CREATE TABLE posts (id INTEGER PRIMARY KEY,",
                      "CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT,"),
         "down changes column posts.id: INTEGER, nullable, no default, primary key #1 → "
         "INTEGER, nullable, no default, primary key #1, AUTOINCREMENT"),
    ],
)
def test_each_kind_of_leftover_is_named(after, expected):
    assert expected in differences(BASE, after)


def test_lost_check_constraints_and_generated_expressions_are_named():
    before = ("CREATE TABLE t (a INTEGER CHECK (a > 0), b INTEGER GENERATED ALWAYS AS (a * 2) STORED, "
              "CONSTRAINT positive CHECK (b < 100))")
    after = "CREATE TABLE t (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 3) STORED)"
    assert differences(before, after) == [
        "down changes column t.b: INTEGER, nullable, no default, generated stored as (a * 2) → "
        "INTEGER, nullable, no default, generated stored as (a * 3)",
        "down drops CHECK (a > 0) on t that existed before",
        "down drops CHECK (b < 100) on t that existed before",
    ]


def test_primary_key_and_column_order_changes_are_named():
    found = differences("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)",
                        "CREATE TABLE t (b TEXT, a INTEGER, PRIMARY KEY (a, b))")
    assert "down changes table t: column order (a, b) → (b, a)" in found
    assert any(f.startswith("down changes column t.b:") and "primary key #2" in f for f in found)


def test_formatting_of_create_statements_is_not_a_difference():
    before = BASE + "CREATE VIEW v AS SELECT id FROM users; CREATE TRIGGER tr AFTER DELETE ON users BEGIN DELETE FROM posts WHERE user_id = old.id; END;"
    after = """
    create table "USERS" ( "id" integer primary key,
        email text not null unique,   -- a comment
        age integer default 0 );
    CREATE TABLE [posts] (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), title text);
    create index IDX_POSTS_USER on posts (user_id);
    create view v as   select id from USERS;
    CREATE TRIGGER tr AFTER DELETE ON users
    BEGIN
        DELETE FROM posts WHERE user_id = OLD.id;
    END;
    """
    assert differences(before, after) == []


def test_string_literals_in_views_still_count():
    assert differences("CREATE VIEW v AS SELECT 'a' AS x", "CREATE VIEW v AS SELECT 'A' AS x") == [
        "down changes view v: its SQL differs"
    ]


def test_normalize_sql_ignores_if_not_exists_and_quoting():
    assert normalize_sql('CREATE INDEX IF NOT EXISTS "Idx" ON t ( a ) ;') == normalize_sql("create index idx on t(a)")


def test_bookkeeping_tables_are_ignored():
    assert differences("", "CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT);"
                           "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)") == ["down leaves table t"]


# -- the API ---------------------------------------------------------------------------------


def test_shipped_migrations_pass_on_a_fresh_database():
    report = verify(MigrationRunner(":memory:", SHIPPED), fresh=True)
    assert report.passed, [v.to_dict() for v in report.verdicts if not v.passed]
    assert [v.status for v in report.verdicts] == ["passed"] * len(report.verdicts)


def test_each_failure_is_named_and_later_migrations_are_still_checked(tmp_path):
    folder = good_set(tmp_path / "m")
    write_migration(folder, "004-add-bio-to-users.py", "ALTER TABLE users ADD COLUMN bio TEXT", "SELECT 1")
    write_migration(folder, "005-create-tags.py", "CREATE TABLE tags (name TEXT)")
    write_migration(folder, "006-create-likes.py", "CREATE TABLE likes (post_id INTEGER)", "DROP TABLE likes")
    report = verify(MigrationRunner(":memory:", folder), fresh=True)
    by_version = {v.version: v for v in report.verdicts}
    assert [by_version[v].status for v in (1, 2, 3)] == ["passed"] * 3
    assert by_version[4].status == "failed"
    assert by_version[4].problems[0] == "down leaves column users.bio"
    assert "up after down fails: OperationalError: duplicate column name: bio" in by_version[4].problems
    assert by_version[5].problems == ["down is missing"]
    assert by_version[6].status == "passed"  # checked on the schema it was written for
    assert not report.passed


def test_an_up_that_breaks_foreign_keys_stops_the_run(tmp_path):
    folder = good_set(tmp_path / "m")
    write_migration(folder, "004-orphan-post.py", "INSERT INTO posts (user_id) VALUES (42)",
                    "DELETE FROM posts")
    write_migration(folder, "005-create-tags.py", "CREATE TABLE tags (name TEXT)", "DROP TABLE tags")
    report = verify(MigrationRunner(":memory:", folder), fresh=True)
    assert report.verdict(4).problems == [
        "up breaks foreign keys: posts rowid 1 references a missing row in users"
    ]
    assert report.verdict(5).status == "not checked"
    assert report.verdict(5).problems == ["not checked: 004-orphan-post.py failed before it"]


def test_a_down_that_drops_what_existed_before(tmp_path):
    folder = good_set(tmp_path / "m")
    write_migration(folder, "004-create-tags.py", "CREATE TABLE tags (name TEXT)",
                    "DROP TABLE tags; DROP TABLE posts")
    report = verify(MigrationRunner(":memory:", folder), fresh=True)
    assert "down drops table posts that existed before" in report.verdict(4).problems


def test_a_failing_down_is_reported(tmp_path):
    folder = good_set(tmp_path / "m")
    write_migration(folder, "004-create-tags.py", "CREATE TABLE tags (name TEXT)", "DROP TABLE nope")
    report = verify(MigrationRunner(":memory:", folder), fresh=True)
    assert report.verdict(4).problems == ["down fails: OperationalError: no such table: nope"]


# -- the command line ------------------------------------------------------------------------


@pytest.fixture
def database_with_rows(tmp_path) -> Path:
    path = tmp_path / "data" / "app.db"
    with MigrationRunner(path, SHIPPED) as runner:
        runner.run_migrations()
        conn = runner.connection
        conn.execute("INSERT INTO sessions (id, chat_id, first_user_message, created_at, last_accessed, "
                     "expires_at, user_id) VALUES ('s1', 'c1', 'hi', 1, 2, 3, 'u1')")
        conn.execute("INSERT INTO requests (request_id, session_id, timestamp, method, path, "
                     "openai_request, qwen_request, created_at) VALUES ('r1', 's1', 1, 'POST', '/', '{}', '{}', 1)")
        conn.execute("INSERT INTO api_keys (key_hash, user_id, created_at) VALUES ('h', 'u1', 1)")
    return path


def test_verify_leaves_the_database_byte_identical(database_with_rows):
    before = sha256(database_with_rows)
    result = cli("migrate", "verify", "--database", str(database_with_rows), "--dir", str(SHIPPED))
    assert result.exit_code == 0, result.output
    assert sha256(database_with_rows) == before
    assert "rolled back newest first" in result.output
    assert "Passed: 6  Failed: 0  Not checked: 0" in result.output
    assert not list(database_with_rows.parent.glob("*.bak"))
    conn = sqlite3.connect(database_with_rows)
    try:
        assert conn.execute("SELECT count(*) FROM api_keys").fetchone() == (1,)
        assert conn.execute("SELECT value FROM metadata WHERE key = 'schema_version'").fetchone() == ("6",)
    finally:
        conn.close()


def test_verify_failure_exits_1_and_leaves_the_file_alone(tmp_path):
    folder = good_set(tmp_path / "m")
    write_migration(folder, "004-add-bio-to-users.py", "ALTER TABLE users ADD COLUMN bio TEXT", "SELECT 1")
    database = tmp_path / "app.db"
    with MigrationRunner(database, folder) as runner:
        runner.run_migrations()
        runner.connection.execute("INSERT INTO users (email, bio) VALUES ('a@b', 'x')")
    before = sha256(database)
    result = cli("migrate", "verify", "--database", str(database), "--dir", str(folder))
    assert result.exit_code == 1
    assert "✗ v4: add-bio-to-users (004-add-bio-to-users.py) failed" in result.output
    assert "down leaves column users.bio" in result.output
    assert "1 of 4 migration(s) failed verification" in result.output
    assert sha256(database) == before


def test_applied_migration_without_down_stops_the_walk_down(tmp_path):
    folder = good_set(tmp_path / "m")
    write_migration(folder, "004-create-tags.py", "CREATE TABLE tags (name TEXT)")
    write_migration(folder, "005-create-likes.py", "CREATE TABLE likes (a)", "DROP TABLE likes")
    database = tmp_path / "app.db"
    with MigrationRunner(database, folder) as runner:
        runner.run_migrations(to=4)
    result = cli("migrate", "verify", "--database", str(database), "--dir", str(folder), "--json")
    assert result.exit_code == 1
    data = json.loads(result.output[: result.output.rindex("}") + 1])
    statuses = {m["version"]: (m["status"], m["problems"]) for m in data["migrations"]}
    assert statuses[4] == ("failed", ["down is missing"])
    assert statuses[5] == ("passed", [])
    for version in (1, 2, 3):
        assert statuses[version][0] == "not checked"
        assert "cannot be rolled back past version 4" in statuses[version][1][0]
    assert data["start_version"] == 4 and data["passed"] is False


def test_fresh_ignores_the_database_and_does_not_create_it(tmp_path):
    database = tmp_path / "nowhere" / "app.db"
    result = cli("migrate", "verify", "--fresh", "--database", str(database), "--dir", str(SHIPPED))
    assert result.exit_code == 0, result.output
    assert "on an empty in-memory database" in result.output
    assert not database.exists() and not database.parent.exists()


def test_fresh_checks_what_a_broken_database_copy_would_hide(tmp_path):
    folder = good_set(tmp_path / "m")
    database = tmp_path / "app.db"
    with MigrationRunner(database, folder) as runner:
        runner.run_migrations()
    # an applied file edited afterwards: the copy is refused, --fresh does not look at it
    path = folder / "003-add-nick-to-users.py"
    path.write_text(path.read_text() + "# edited\n")
    refused = cli("migrate", "verify", "--database", str(database), "--dir", str(folder))
    assert refused.exit_code == 1
    assert "changed since it was applied" in refused.output
    fresh = cli("migrate", "verify", "--fresh", "--database", str(database), "--dir", str(folder))
    assert fresh.exit_code == 0, fresh.output


def test_a_file_that_does_not_load_is_an_error_not_a_traceback(tmp_path):
    folder = good_set(tmp_path / "m")
    (folder / "004-broken.py").write_text("name = 'x'\nversion = 4\ndef up(db) pass\n")
    result = CliRunner().invoke(main, ["migrate", "verify", "--fresh", "--dir", str(folder)])
    assert result.exit_code == 1
    assert "004-broken.py:3: syntax error" in result.output
    assert "Traceback" not in result.output


def test_bad_usage_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["migrate", "verify", "--fresh", "--steps", "2"])
    assert result.exit_code == 2


def test_a_schema_the_applied_migrations_do_not_rebuild_is_reported(tmp_path):
    folder = good_set(tmp_path / "m")
    database = tmp_path / "app.db"
    with MigrationRunner(database, folder) as runner:
        runner.run_migrations()
        runner.connection.execute("ALTER TABLE users ADD COLUMN legacy TEXT")  # made by hand
    report = verify(MigrationRunner(database, folder))
    assert [v.status for v in report.verdicts] == ["passed"] * 3
    assert report.problems == [
        "the applied migrations, rolled back and applied again, do not give back the "
        "database's schema: down then up loses column users.legacy"
    ]
    result = cli("migrate", "verify", "--database", str(database), "--dir", str(folder))
    assert result.exit_code == 1
    assert "verification failed: the applied migrations" in result.output


def test_a_database_that_is_already_broken_is_not_blamed_on_a_migration(tmp_path):
    folder = good_set(tmp_path / "m")
    database = tmp_path / "app.db"
    with MigrationRunner(database, folder) as runner:
        runner.run_migrations()
        runner.connection.execute("INSERT INTO posts (user_id) VALUES (7)")  # foreign keys are off
    report = verify(MigrationRunner(database, folder))
    assert report.problems == [
        "the database before any migration breaks foreign keys: "
        "posts rowid 1 references a missing row in users"
    ]
    assert {v.status for v in report.verdicts} == {"not checked"}
    assert not report.passed


def test_a_write_ahead_log_left_by_a_crash_is_not_checkpointed_into_the_file(tmp_path):
    """Reading through a read-write connection would fold the log into the file on close."""
    folder = good_set(tmp_path / "m")
    live, crashed = tmp_path / "live.db", tmp_path / "crashed.db"
    writer = sqlite3.connect(live)
    writer.execute("PRAGMA journal_mode = wal")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.commit()
    with MigrationRunner(writer, folder) as runner:
        runner.run_migrations()
    writer.execute("INSERT INTO users (email) VALUES ('a@b')")
    writer.commit()
    for suffix in ("", "-wal"):  # what a process killed now leaves on disk
        crashed.with_name(crashed.name + suffix).write_bytes(live.with_name(live.name + suffix).read_bytes())
    writer.close()
    assert crashed.with_name("crashed.db-wal").stat().st_size > 0
    before = sha256(crashed)
    result = cli("migrate", "verify", "--database", str(crashed), "--dir", str(folder))
    assert result.exit_code == 0, result.output
    assert "on a copy of" in result.output and "(version 3)" in result.output
    assert sha256(crashed) == before


def test_a_file_that_is_not_a_database_is_an_error(tmp_path):
    not_db = tmp_path / "notes.db"
    not_db.write_text("not a database, just text that is long enough to have a header\n" * 20)
    before = sha256(not_db)
    result = CliRunner().invoke(main, ["migrate", "verify", "--database", str(not_db), "--dir", str(SHIPPED)])
    assert result.exit_code == 1
    assert "not a SQLite database" in result.output and "Traceback" not in result.output
    assert sha256(not_db) == before


def test_a_missing_database_is_verified_as_empty_and_not_created(tmp_path):
    database = tmp_path / "data" / "app.db"
    result = cli("migrate", "verify", "--database", str(database), "--dir", str(SHIPPED))
    assert result.exit_code == 0, result.output
    assert "(version 0)" in result.output
    assert not database.parent.exists()


def test_the_create_table_as_select_workaround_for_drop_column_is_caught(tmp_path):
    """The old system's DROP COLUMN workaround loses keys, constraints and defaults."""
    folder = good_set(tmp_path / "m")
    write_migration(folder, "004-add-age-to-users.py",
                    "ALTER TABLE users ADD COLUMN age INTEGER",
                    "CREATE TABLE users_backup AS SELECT id, email, nick FROM users;"
                    "DROP TABLE users; ALTER TABLE users_backup RENAME TO users")
    problems = verify(MigrationRunner(":memory:", folder), fresh=True).verdict(4).problems
    assert problems[0] == 'down breaks a foreign key: foreign key mismatch - "posts" referencing "users"'
    # the same down once nothing references users: what it loses is listed
    (folder / "002-create-posts.py").unlink()
    problems = verify(MigrationRunner(":memory:", folder), fresh=True).verdict(4).problems
    assert "down changes column users.id: INTEGER, nullable, no default, primary key #1 → " \
           "INT, nullable, no default" in problems
    assert "down changes column users.email: TEXT, NOT NULL, no default → TEXT, nullable, no default" in problems
    assert "down drops UNIQUE constraint on users(email) that existed before" in problems


def test_collation_after_a_check_is_compared(tmp_path):
    from qscaffold.verify import table_clauses

    _, columns = table_clauses("CREATE TABLE t (b TEXT CHECK (b <> '') COLLATE NOCASE, "
                               "c INTEGER AS (1) STORED COLLATE BINARY)")
    assert columns["b"]["collation"] == "NOCASE"
    assert columns["c"]["collation"] == "BINARY" and columns["c"]["generated"]
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "001-t.py").write_text(
        "name = 'T'\nversion = 1\n\n\ndef up(db):\n"
        "    db.exec(\"CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, b TEXT CHECK (b <> '') COLLATE NOCASE)\")\n"
        "\n\ndef down(db):\n    db.exec('DROP TABLE IF EXISTS t')\n")
    (folder / "002-recollate.py").write_text(
        "name = 'Recollate'\nversion = 2\n\n\ndef up(db):\n    db.exec('ALTER TABLE t ADD COLUMN x TEXT')\n"
        "\n\ndef down(db):\n    db.exec(\"DROP TABLE t; CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT CHECK (b <> ''))\")\n")
    report = verify(MigrationRunner(":memory:", folder), fresh=True)
    problems = " ".join(report.verdict(2).problems)
    assert "NOCASE" in problems or "collat" in problems.lower(), problems


def test_verdicts_arrive_as_they_are_known(tmp_path):
    folder = good_set(tmp_path / "m")
    seen = []
    report = verify(MigrationRunner(":memory:", folder), fresh=True,
                    on_verdict=lambda v: seen.append((v.version, v.status)))
    assert seen == [(v.version, v.status) for v in report.verdicts]
    assert report.passed


@pytest.mark.parametrize("down", [
    # drops an index made by an earlier migration, that up never touched
    "DROP TABLE bio; DROP INDEX users_email",
    # drops a whole table of an earlier migration
    "DROP TABLE bio; DROP TABLE tags",
    # leaves a trigger on an earlier table
    "DROP TABLE bio; CREATE TRIGGER tr AFTER INSERT ON tags BEGIN SELECT 1; END",
    # changes rows only: the schema is the same, so this one passes
    "DROP TABLE bio; INSERT INTO tags VALUES ('x')",
])
def test_a_down_that_damages_what_up_never_touched_is_caught(tmp_path, down):
    folder = tmp_path / "m"
    write_migration(folder, "001-users.py",
                    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); "
                    "CREATE INDEX users_email ON users (email); CREATE TABLE tags (t TEXT)",
                    "DROP TABLE tags; DROP TABLE users")
    write_migration(folder, "002-bio.py", "CREATE TABLE bio (user_id INTEGER REFERENCES users (id))", down)
    write_migration(folder, "003-more.py", "CREATE TABLE more (x)", "DROP TABLE more")
    report = verify(MigrationRunner(":memory:", folder), fresh=True)
    expected = "passed" if "INSERT INTO" in down else "failed"
    assert report.verdict(2).status == expected, report.to_dict()
    assert report.verdict(3).status == "passed"
