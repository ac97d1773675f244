"""`qscaffold new` patterns on a database with rows, foreign keys, UNIQUE, CHECK, DEFAULT,
indexes, a view and triggers: every generated file runs up, down, up and keeps every row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from qscaffold import MigrationRunner
from qscaffold.cli import main
from qscaffold.config import load_settings
from qscaffold.errors import UsageError
from qscaffold.scaffold import new_migration, plan_migration

SCHEMA = """
CREATE TABLE IF NOT EXISTS teams (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    motto TEXT DEFAULT 'C:\\path \"\"\" end'
);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL DEFAULT 'anon' CHECK (length(name) > 0),
    nickname TEXT,
    age INTEGER CHECK (age >= 0),
    team_id INTEGER REFERENCES teams(id) ON DELETE CASCADE,
    score REAL NOT NULL DEFAULT 0,
    bio TEXT, -- free text, may hold commas, (parentheses) and 'quotes'
    "order" INTEGER NOT NULL DEFAULT 1,
    handle TEXT UNIQUE,
    CHECK (score >= 0)
);
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    CHECK (body <> '')
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    what TEXT NOT NULL,
    note TEXT
);
CREATE INDEX IF NOT EXISTS idx_users_nickname ON users(nickname);
CREATE INDEX IF NOT EXISTS idx_users_bio_age ON users(bio, age);
CREATE INDEX IF NOT EXISTS idx_posts_user_id ON posts(user_id);
CREATE VIEW IF NOT EXISTS user_names AS SELECT id, email, name FROM users;
CREATE VIEW IF NOT EXISTS user_emails AS SELECT email FROM user_names;
CREATE TRIGGER IF NOT EXISTS trg_users_renamed AFTER UPDATE OF name ON users
BEGIN
    UPDATE users SET score = score + 1 WHERE id = new.id;
END;
CREATE TRIGGER IF NOT EXISTS trg_posts_deleted AFTER DELETE ON posts
BEGIN
    INSERT INTO audit (what) VALUES ('post ' || old.id);
END;
"""

ROWS = """
INSERT INTO teams (id, title) VALUES (1, 'red'), (2, 'blue');
INSERT INTO users (email, name, nickname, age, team_id, bio, handle)
VALUES ('a@x.org', 'Ann', 'annie', 30, 1, 'likes, commas', 'ann'),
       ('b@x.org', 'Bob', NULL, 40, 2, NULL, NULL),
       ('c@x.org', 'Cid', 'cid', 50, 1, 'bye', 'cid');
DELETE FROM users WHERE email = 'c@x.org';
INSERT INTO posts (user_id, body) VALUES (1, 'one'), (1, 'two'), (2, 'three'), (2, 'four');
"""


def write_schema_migration(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "001-schema.py").write_text(
        f'name = "Schema"\nversion = 1\n\n\ndef up(db):\n    db.exec({SCHEMA!r})\n\n\n'
        'def down(db):\n    db.exec("DROP VIEW IF EXISTS user_emails; DROP VIEW IF EXISTS user_names; DROP TABLE IF EXISTS posts; '
        'DROP TABLE IF EXISTS users; DROP TABLE IF EXISTS teams; DROP TABLE IF EXISTS audit")\n',
        encoding="utf-8",
    )


@pytest.fixture
def project(tmp_path):
    """A migrations folder with the schema applied to a file database holding rows."""
    folder = tmp_path / "migrations"
    write_schema_migration(folder)
    db = tmp_path / "app.db"
    with MigrationRunner(str(db), folder) as runner:
        runner.run_migrations()
        runner.connection.executescript(ROWS)
    return tmp_path


def settings_for(project: Path, **kwargs):
    return load_settings(migrations_dir=project / "migrations", cwd=project, **kwargs)


def fk_connection(db: Path) -> sqlite3.Connection:
    """A connection with foreign keys ON, as an application would open it."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def healthy(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 4
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM teams").fetchone()[0] == 2
    finally:
        conn.close()


def shape(db: Path) -> dict:
    """Columns, indexes, views and triggers, to compare the schema before up and after down."""
    conn = sqlite3.connect(db)
    try:
        out = {}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            out[name] = conn.execute(f'SELECT * FROM pragma_table_xinfo("{name}")').fetchall()
            out[name + " fks"] = conn.execute(f'SELECT * FROM pragma_foreign_key_list("{name}")').fetchall()
        for kind, name, tbl in conn.execute(
            "SELECT type, name, tbl_name FROM sqlite_master WHERE type != 'table' ORDER BY name"
        ):
            out[f"{kind} {name}"] = tbl
            if kind == "index":
                out[f"{kind} {name} cols"] = conn.execute(f'SELECT * FROM pragma_index_xinfo("{name}")').fetchall()
        return out
    finally:
        conn.close()


def up_down_up(project: Path) -> list:
    """Apply the new migration, roll it back, apply it again, with foreign keys ON."""
    db = project / "app.db"
    before = shape(db)
    conn = fk_connection(db)
    try:
        runner = MigrationRunner(conn, project / "migrations")
        first = runner.run_migrations()
        assert [r.version for r in first] == [2]
        healthy(db)
        after_up = shape(db)
        runner.rollback()
        healthy(db)
        assert shape(db) == before
        again = runner.run_migrations()
        healthy(db)
        assert shape(db) == after_up
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        return first + again
    finally:
        conn.close()


def create_sql(db: Path, name: str) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    finally:
        conn.close()


def objects(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE sql IS NOT NULL")}
    finally:
        conn.close()


# -- each pattern -----------------------------------------------------------------------


def test_table_pattern_runs_up_down_up(project):
    path = new_migration(settings_for(project), "create-api-keys-table",
                         columns=["key_hash", "uses:INTEGER"])
    text = path.read_text()
    assert path.name == "002-create-api-keys-table.py"
    assert "CREATE TABLE IF NOT EXISTS api_keys (" in text
    assert "id INTEGER PRIMARY KEY,\n            key_hash TEXT,\n            uses INTEGER\n" in text
    assert 'db.exec("DROP TABLE IF EXISTS api_keys")' in text
    up_down_up(project)
    assert "api_keys" in objects(project / "app.db")


def test_column_pattern_runs_up_down_up_with_native_drop(project):
    path = new_migration(settings_for(project), "add-phone-to-users", columns=["phone", "level:INTEGER"])
    text = path.read_text()
    assert 'db.exec("ALTER TABLE users ADD COLUMN phone TEXT")' in text
    assert 'db.exec("ALTER TABLE users ADD COLUMN level INTEGER")' in text
    assert text.index("DROP COLUMN level") < text.index("DROP COLUMN phone")
    up_down_up(project)


def test_column_pattern_down_rebuilds_below_3_35(project):
    path = new_migration(settings_for(project), "add-phone-to-users", target="3.34")
    text = path.read_text()
    assert "ALTER TABLE users DROP COLUMN" not in text
    assert "CREATE TABLE IF NOT EXISTS new_users (" in text
    up_down_up(project)
    users = create_sql(project / "app.db", "users")
    assert "phone TEXT" in users
    assert "REFERENCES teams(id) ON DELETE CASCADE" in users


def test_index_pattern_runs_up_down_up(project):
    path = new_migration(settings_for(project), "add-index-on-posts-body-and-user-id")
    text = path.read_text()
    assert 'db.exec("CREATE INDEX IF NOT EXISTS idx_posts_body_user_id ON posts (body, user_id)")' in text
    assert 'db.exec("DROP INDEX IF EXISTS idx_posts_body_user_id")' in text
    up_down_up(project)
    assert "idx_posts_body_user_id" in objects(project / "app.db")


def test_index_name_quotes_only_what_needs_it(project):
    text = new_migration(settings_for(project), "index order", pattern="index", table="users",
                         columns=["order"], dry_run=True)
    assert 'CREATE INDEX IF NOT EXISTS idx_users_order ' in text
    assert '(\\"order\\")' in text
    path = new_migration(settings_for(project), "index order", pattern="index", table="users",
                         columns=["order"])
    up_down_up(project)
    assert path.exists()


def test_data_pattern_runs_and_reports_changed_rows(project):
    path = new_migration(settings_for(project), "backfill-nicknames", pattern="data", table="users",
                         columns=["nickname"])
    text = path.read_text()
    assert "UPDATE users" in text and "WHERE nickname IS NOT NULL AND 1 = 0" in text
    assert "return cursor.rowcount" in text
    results = up_down_up(project)
    assert [r.detail for r in results] == [0, 0]


def test_data_pattern_counts_rows_once_filled_in(project):
    path = new_migration(settings_for(project), "backfill-nicknames", pattern="data", table="users",
                         columns=["nickname"])
    text = path.read_text().replace("SET nickname = nickname\n        WHERE nickname IS NOT NULL AND 1 = 0",
                                    "SET nickname = 'x'\n        WHERE nickname IS NULL", 1)
    path.write_text(text)
    with MigrationRunner(str(project / "app.db"), project / "migrations") as runner:
        assert [r.detail for r in runner.run_migrations()] == [1]


def test_data_pattern_without_a_table_still_runs(project):
    path = new_migration(settings_for(project), "fix-things")
    assert "def down(db):" in path.read_text()
    results = up_down_up(project)
    assert [r.detail for r in results] == [0, 0]


def test_data_pattern_picks_the_first_ordinary_column(project):
    text = new_migration(settings_for(project), "touch", pattern="data", table="posts", dry_run=True)
    assert "SET user_id = user_id" in text


# -- drop-column ------------------------------------------------------------------------


def test_drop_column_native_when_legal(project):
    scaffold = plan_migration(settings_for(project), "drop-nickname-from-users")
    assert scaffold.pattern == "drop-column" and scaffold.strategy == "native"
    assert ('    db.exec("DROP INDEX IF EXISTS idx_users_nickname")\n'
            '    # Dropping the column is what this migration is for: its data goes with it.\n'
            '    db.exec("ALTER TABLE users DROP COLUMN nickname")  # qscaffold: noqa: QS702\n') in scaffold.text
    assert "new_users" not in scaffold.text.split("def down")[0]
    new_migration(settings_for(project), "drop-nickname-from-users")
    up_down_up(project)
    db = project / "app.db"
    assert "nickname" not in create_sql(db, "users")
    assert "idx_users_nickname" not in objects(db)


def test_drop_column_rebuild_below_3_35_keeps_every_constraint(project):
    scaffold = plan_migration(settings_for(project), "drop-nickname-from-users", target="3.34")
    assert scaffold.strategy == "rebuild"
    text = scaffold.text
    up_part = text.split("def up")[1].split("def down")[0]
    order = [up_part.index(s) for s in (
        "DROP VIEW IF EXISTS user_names;",
        "CREATE TABLE IF NOT EXISTS new_users (",
        "INSERT INTO new_users (id, email, name, age, team_id, score, bio, \"order\", handle)\n"
        "        SELECT id, email, name, age, team_id, score, bio, \"order\", handle\n        FROM users;",
        "DROP TABLE IF EXISTS users;",
        "ALTER TABLE new_users RENAME TO users;",
        "CREATE INDEX IF NOT EXISTS idx_users_bio_age ON users(bio, age);",
        "CREATE VIEW IF NOT EXISTS user_names AS SELECT id, email, name FROM users;",
        "CREATE TRIGGER IF NOT EXISTS trg_users_renamed AFTER UPDATE OF name ON users",
    )]
    assert order == sorted(order)
    assert "idx_users_nickname" not in up_part
    assert "PRAGMA foreign_keys" not in text
    assert "RENAME TO users_old" not in text and "RENAME TO old" not in text
    assert "cannot be restored" in text
    new_migration(settings_for(project), "drop-nickname-from-users", target="3.34")
    up_down_up(project)
    db = project / "app.db"
    users = create_sql(db, "users")
    for kept in ("id INTEGER PRIMARY KEY AUTOINCREMENT", "email TEXT NOT NULL UNIQUE COLLATE NOCASE",
                 "name TEXT NOT NULL DEFAULT 'anon' CHECK (length(name) > 0)",
                 "team_id INTEGER REFERENCES teams(id) ON DELETE CASCADE",
                 "score REAL NOT NULL DEFAULT 0", "\"order\" INTEGER NOT NULL DEFAULT 1",
                 "handle TEXT UNIQUE", "CHECK (score >= 0)"):
        assert kept in users
    assert "nickname" not in users
    assert {"idx_users_bio_age", "user_names", "trg_users_renamed", "trg_posts_deleted",
            "idx_posts_user_id"} <= objects(db)
    assert "REFERENCES users(id) ON DELETE CASCADE" in create_sql(db, "posts")


def test_drop_column_with_a_shared_index_rebuilds(project):
    scaffold = plan_migration(settings_for(project), "drop-bio-from-users")
    assert scaffold.strategy == "rebuild"
    assert any("idx_users_bio_age" in note for note in scaffold.notes)
    up_part, down_part = scaffold.text.split("def up")[1].split("def down")
    assert "idx_users_bio_age" not in up_part
    assert "CREATE INDEX IF NOT EXISTS idx_users_bio_age ON users(bio, age);" in down_part
    new_migration(settings_for(project), "drop-bio-from-users")
    up_down_up(project)
    db = project / "app.db"
    assert "bio" not in create_sql(db, "users")
    assert "idx_users_bio_age" not in objects(db)


def test_drop_unique_column_rebuilds_and_keeps_the_other_unique(project):
    scaffold = plan_migration(settings_for(project), "remove-handle-from-users")
    assert scaffold.strategy == "rebuild"
    new_migration(settings_for(project), "remove-handle-from-users")
    up_down_up(project)
    users = create_sql(project / "app.db", "users")
    assert "handle" not in users and "email TEXT NOT NULL UNIQUE" in users


def test_rebuild_keeps_the_autoincrement_counter(project):
    new_migration(settings_for(project), "drop-nickname-from-users", target="3.34")
    db = project / "app.db"
    with MigrationRunner(str(db), project / "migrations") as runner:
        runner.run_migrations()
    conn = sqlite3.connect(db)
    try:
        conn.execute("INSERT INTO users (email) VALUES ('d@x.org')")
        # user 3 was deleted before the rebuild: its id is never handed out again
        assert conn.execute("SELECT id FROM users WHERE email = 'd@x.org'").fetchone()[0] == 4
    finally:
        conn.close()


def test_down_puts_a_not_null_column_back_with_a_placeholder(project):
    path = new_migration(settings_for(project), "drop-title-from-teams", target="3.34")
    assert "placeholder" in path.read_text()
    up_down_up(project)
    conn = fk_connection(project / "app.db")
    try:
        MigrationRunner(conn, project / "migrations").rollback()
        assert conn.execute("SELECT DISTINCT title FROM teams").fetchall() == [("",)]
    finally:
        conn.close()


@pytest.mark.parametrize("name, reason", [
    ("drop-id-from-users", "PRIMARY KEY"),
    ("drop-score-from-users", "table constraint"),
    ("drop-email-from-users", "view 'user_names'"),
    ("drop-name-from-users", "user_names"),
    ("drop-body-from-posts", "table constraint"),
    ("drop-what-from-audit", "trigger 'trg_posts_deleted'"),
    ("drop-age-from-users", None),  # only its own CHECK and a shared index: allowed
])
def test_drop_column_refuses_what_a_rebuild_cannot_keep(project, name, reason):
    before = sorted(p.name for p in (project / "migrations").iterdir())
    result = CliRunner().invoke(main, ["new", name, "--dir", str(project / "migrations")])
    if reason is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in (project / "migrations").iterdir()) == before


def test_drop_column_refuses_a_parent_key_and_another_columns_check(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    ddl = ("CREATE TABLE IF NOT EXISTS p (id INTEGER PRIMARY KEY, code TEXT UNIQUE, lo INT, "
           "hi INT CHECK (hi > lo), twice INT GENERATED ALWAYS AS (lo * 2));"
           "CREATE TABLE IF NOT EXISTS c (id INTEGER PRIMARY KEY, pcode TEXT REFERENCES p(code))")
    (folder / "001-p.py").write_text(f"name = 'p'\nversion = 1\n\n\ndef up(db):\n    db.exec({ddl!r})\n")
    settings = load_settings(migrations_dir=folder, cwd=tmp_path)
    with pytest.raises(UsageError, match="parent key of the foreign key c.pcode"):
        plan_migration(settings, "drop-code-from-p")
    with pytest.raises(UsageError, match="used by column 'hi'"):
        plan_migration(settings, "drop-lo-from-p")
    scaffold = plan_migration(settings, "drop-twice-from-p", target="3.34")
    assert "twice" not in scaffold.text.split("def down")[0].split("INSERT")[1]


def test_drop_column_reads_the_real_database_when_given(project):
    db = project / "app.db"
    before = (db.read_bytes(), sorted(p.name for p in project.iterdir()))
    result = CliRunner().invoke(main, ["new", "drop-nickname-from-users", "--dir", str(project / "migrations"),
                                       "--database", str(db), "--target-sqlite", "3.34"])
    assert result.exit_code == 0, result.output
    assert "Inferred from NAME: pattern drop-column; table users; column nickname" in result.stderr
    assert (db.read_bytes(), sorted(p.name for p in project.iterdir())) == before
    up_down_up(project)


def test_unknown_table_and_column_are_refused(project):
    folder = project / "migrations"
    cases = [
        ["new", "add-phone-to-nobody"],
        ["new", "drop-nothing-from-users"],
        ["new", "add-email-to-users"],  # ADD of an existing column
        ["new", "add-index-on-users-nothing"],
        ["new", "touch", "--pattern", "data", "--table", "nobody"],
        ["new", "create-users-table"],  # the table exists already
    ]
    for args in cases:
        result = CliRunner().invoke(main, args + ["--dir", str(folder)])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["001-schema.py"]


def test_rebuild_drops_and_recreates_views_over_views_and_triggers_naming_the_table(project):
    scaffold = plan_migration(settings_for(project), "drop-note-from-audit", target="3.34")
    up_part = scaffold.text.split("def up")[1].split("def down")[0]
    assert up_part.index("DROP TRIGGER IF EXISTS trg_posts_deleted;") < up_part.index("DROP TABLE IF EXISTS audit;")
    assert "CREATE TRIGGER IF NOT EXISTS trg_posts_deleted AFTER DELETE ON posts" in up_part
    new_migration(settings_for(project), "drop-note-from-audit", target="3.34")
    up_down_up(project)
    db = project / "app.db"
    conn = fk_connection(db)
    try:
        conn.execute("DELETE FROM posts WHERE id = 1")
        assert conn.execute("SELECT what FROM audit").fetchall() == [("post 1",)]
    finally:
        conn.close()


def test_views_over_views_survive_a_users_rebuild(project):
    scaffold = plan_migration(settings_for(project), "drop-nickname-from-users", target="3.34")
    up_part = scaffold.text.split("def up")[1].split("def down")[0]
    assert up_part.index("DROP VIEW IF EXISTS user_emails;") < up_part.index("DROP VIEW IF EXISTS user_names;")
    assert up_part.index("CREATE VIEW IF NOT EXISTS user_names") < up_part.index("CREATE VIEW IF NOT EXISTS user_emails")
    new_migration(settings_for(project), "drop-nickname-from-users", target="3.34")
    up_down_up(project)
    conn = sqlite3.connect(project / "app.db")
    try:
        assert conn.execute("SELECT email FROM user_emails ORDER BY email").fetchall() == [("a@x.org",), ("b@x.org",)]
    finally:
        conn.close()


def test_backslashes_and_triple_quotes_in_the_schema_survive_the_python_file(project):
    path = new_migration(settings_for(project), "drop-title-from-teams", target="3.34")
    compile(path.read_text(), str(path), "exec")
    up_down_up(project)
    teams = create_sql(project / "app.db", "teams")
    assert "motto TEXT DEFAULT 'C:\\path \"\"\" end'" in teams


def test_select_star_view_forces_the_rebuild(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    ddl = ("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);"
           "CREATE VIEW IF NOT EXISTS everything AS SELECT * FROM t")
    (folder / "001-t.py").write_text(f"name = 't'\nversion = 1\n\n\ndef up(db):\n    db.exec({ddl!r})\n")
    settings = load_settings(migrations_dir=folder, cwd=tmp_path)
    scaffold = plan_migration(settings, "drop-b-from-t")
    assert scaffold.strategy == "rebuild"
    assert any("everything" in note for note in scaffold.notes)


def test_drop_a_foreign_key_column_natively(project):
    scaffold = plan_migration(settings_for(project), "drop-team-id-from-users")
    assert scaffold.strategy == "native"
    new_migration(settings_for(project), "drop-team-id-from-users")
    up_down_up(project)
    assert "team_id" not in create_sql(project / "app.db", "users")


def test_without_rowid_and_strict_tables_keep_their_options(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    ddl = ("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL, extra INT) WITHOUT ROWID;"
           "CREATE TABLE IF NOT EXISTS s (id INTEGER PRIMARY KEY, n INT NOT NULL, extra TEXT) STRICT;"
           "INSERT INTO kv VALUES ('a', 'x', 1); INSERT INTO s VALUES (1, 2, 'z')")
    (folder / "001-kv.py").write_text(f"name = 'kv'\nversion = 1\n\n\ndef up(db):\n    db.exec({ddl!r})\n")
    settings = load_settings(migrations_dir=folder, cwd=tmp_path)
    db = tmp_path / "app.db"
    with MigrationRunner(str(db), folder) as runner:
        runner.run_migrations()
        new_migration(settings, "drop-extra-from-kv", target="3.34")
        new_migration(settings, "drop-extra-from-s", target="3.34")
        runner.discover(reload=True)
        runner.run_migrations()
        runner.rollback(steps=2)
        runner.run_migrations()
    assert create_sql(db, "kv").endswith(") WITHOUT ROWID")
    assert create_sql(db, "s").endswith(") STRICT")
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT * FROM kv").fetchall() == [("a", "x")]
        assert conn.execute("SELECT * FROM s").fetchall() == [(1, 2)]
    finally:
        conn.close()


RICH_CASES = [
    ("create-api-keys-table", ["--column", "key_hash", "--column", "uses:INTEGER"]),
    ("add-phone-to-users", []),
    ("add-phone-to-users", ["--target-sqlite", "3.34"]),
    ("add-index-on-posts-body-and-user-id", []),
    ("backfill", ["--pattern", "data", "--table", "users", "--column", "nickname"]),
    ("drop-nickname-from-users", []),
    ("drop-nickname-from-users", ["--target-sqlite", "3.34"]),
    ("drop-bio-from-users", []),
    ("drop-note-from-audit", ["--target-sqlite", "3.34"]),
    ("drop-title-from-teams", ["--target-sqlite", "3.34"]),
]


@pytest.mark.parametrize("name, args", RICH_CASES)
def test_generated_files_lint_clean_on_a_rich_schema(project, name, args):
    pytest.importorskip("qscaffold.lint.engine")
    if "lint" not in main.commands:
        pytest.skip("the lint command is not there yet")
    folder = project / "migrations"
    result = CliRunner().invoke(main, ["new", name, "--dir", str(folder), *args])
    assert result.exit_code == 0, result.output
    generated = sorted(folder.iterdir())[-1]
    assert generated.name.startswith("002-")
    lint = CliRunner().invoke(main, ["lint", str(generated), "--format", "json"])
    assert lint.exit_code == 0, lint.output
    assert lint.stdout.strip() in ("[]", ""), lint.stdout


def test_foreign_key_actions_are_not_mistaken_for_column_names(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    ddl = ("CREATE TABLE IF NOT EXISTS p (id INTEGER PRIMARY KEY);"
           "CREATE TABLE IF NOT EXISTS c (id INTEGER PRIMARY KEY, action TEXT, \"match\" TEXT, "
           "pid INT REFERENCES p(id) ON DELETE NO ACTION MATCH \"match\" DEFERRABLE INITIALLY DEFERRED)")
    (folder / "001-c.py").write_text(f"name = 'c'\nversion = 1\n\n\ndef up(db):\n    db.exec({ddl!r})\n")
    settings = load_settings(migrations_dir=folder, cwd=tmp_path)
    for column in ("action", "match"):
        scaffold = plan_migration(settings, f"drop-{column}-from-c", target="3.34")
        assert scaffold.strategy == "rebuild"
        assert "ON DELETE NO ACTION" in scaffold.text.split("def down")[0]


def test_names_that_need_quotes_are_quoted_and_run(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    ddl = ('CREATE TABLE IF NOT EXISTS "order items" (id INTEGER PRIMARY KEY AUTOINCREMENT, '
           '"group" TEXT NOT NULL DEFAULT \'g\', "my col" INT, note TEXT);'
           'CREATE INDEX IF NOT EXISTS "ix group" ON "order items"("group");'
           'INSERT INTO "order items" ("group", "my col", note) VALUES (\'a\', 1, \'n\')')
    (folder / "001-o.py").write_text(f"name = 'o'\nversion = 1\n\n\ndef up(db):\n    db.exec({ddl!r})\n")
    s = load_settings(migrations_dir=folder, cwd=tmp_path)
    db = tmp_path / "app.db"
    with MigrationRunner(str(db), folder) as runner:
        runner.run_migrations()
        text = new_migration(s, "drop my col", pattern="drop-column", table="order items",
                             columns=["my col"], target="3.34", dry_run=True)
        assert 'CREATE TABLE IF NOT EXISTS "new_order items" (' in text
        assert 'INSERT INTO "new_order items" (id, "group", note)' in text
        new_migration(s, "drop my col", pattern="drop-column", table="order items", columns=["my col"],
                      target="3.34")
        new_migration(s, "add level", pattern="column", table="order items", columns=["level:INTEGER"])
        new_migration(s, "index note", pattern="index", table="order items", columns=["note"])
        new_migration(s, "touch group", pattern="data", table="order items", columns=["group"])
        runner.discover(reload=True)
        assert len(runner.run_migrations()) == 4
        runner.rollback(to=1)
        assert len(runner.run_migrations()) == 4
    conn = sqlite3.connect(db)
    try:
        assert conn.execute('SELECT "group", note, level FROM "order items"').fetchall() == [("a", "n", None)]
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
