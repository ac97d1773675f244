"""``qscaffold new NAME --to schema.sql``: the file is written, lints clean, passes verify,
and its up and down work on a database with rows."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from qscaffold.cli import main

INITIAL = '''name = "Initial"
version = 1


def up(db):
    db.exec("""
        CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL,
                                          nick TEXT, age TEXT);
        CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY,
                                          user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                                          body TEXT);
        CREATE INDEX IF NOT EXISTS idx_posts_user ON posts (user_id);
        CREATE VIEW IF NOT EXISTS user_emails AS SELECT email FROM users;
    """)


def down(db):
    db.exec("DROP VIEW IF EXISTS user_emails; DROP TABLE IF EXISTS posts; DROP TABLE IF EXISTS users;")
'''

DESIRED = """
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    handle TEXT, age INTEGER, created_at TEXT NOT NULL DEFAULT '1970-01-01');
CREATE TABLE posts (id INTEGER PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    body TEXT NOT NULL DEFAULT '');
CREATE INDEX idx_posts_user ON posts (user_id);
CREATE INDEX idx_users_age ON users (age) WHERE age IS NOT NULL;
CREATE VIEW user_emails AS SELECT email, handle FROM users;
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
"""


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001-initial.py").write_text(INITIAL)
    (tmp_path / "schema.sql").write_text(DESIRED)
    assert invoke("migrate", "up", "--database", "app.db").exit_code == 0
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.executescript("INSERT INTO users (email, nick, age) VALUES ('a@x', 'ann', '30'), ('b@x', NULL, NULL);"
                       "INSERT INTO posts (user_id, body) VALUES (1, 'one'), (2, NULL);")
    conn.close()


def test_new_to_end_to_end(tmp_path, monkeypatch):
    project(tmp_path, monkeypatch)
    result = invoke("new", "Reshape users", "--to", "schema.sql", "--rename", "users.nick=handle")
    assert result.exit_code == 0, result.output
    path = tmp_path / "migrations" / "002-reshape-users.py"
    assert path.is_file()
    text = path.read_text()
    assert "RENAME COLUMN nick TO handle" in text and "def down(db):" in text
    assert "not restored" in text
    lint = invoke("lint", "migrations")
    assert lint.exit_code == 0, lint.output
    assert invoke("migrate", "verify", "--database", "app.db").exit_code == 0
    # the migrations now describe schema.sql exactly
    assert invoke("schema", "diff", "migrations", "schema.sql").exit_code == 0
    assert invoke("migrate", "up", "--database", "app.db").exit_code == 0
    assert invoke("schema", "diff", "app.db", "schema.sql").exit_code == 0
    conn = sqlite3.connect(tmp_path / "app.db")
    assert conn.execute("SELECT id, email, handle, age, typeof(age), created_at FROM users ORDER BY id").fetchall() == [
        (1, "a@x", "ann", 30, "integer", "1970-01-01"), (2, "b@x", None, None, "null", "1970-01-01")]
    assert conn.execute("SELECT user_id, body FROM posts ORDER BY id").fetchall() == [(1, "one"), (2, "")]
    conn.close()
    assert invoke("migrate", "down", "--database", "app.db", "--yes", "--no-backup").exit_code == 0
    assert invoke("schema", "diff", "app.db", "migrations").exit_code == 1  # folder now has 002 too
    conn = sqlite3.connect(tmp_path / "app.db")
    assert conn.execute("SELECT id, email, nick FROM users ORDER BY id").fetchall() == [(1, "a@x", "ann"), (2, "b@x", None)]
    assert conn.execute("SELECT count(*) FROM posts").fetchone() == (2,)
    conn.close()


def test_new_to_from_the_database_and_no_difference_writes_nothing(tmp_path, monkeypatch):
    project(tmp_path, monkeypatch)
    (tmp_path / "same.sql").write_text(invoke("schema", "dump", "app.db").stdout)
    result = invoke("new", "nothing", "--to", "same.sql", "--database", "app.db")
    assert result.exit_code == 0
    assert "No difference" in result.output
    assert sorted(p.name for p in (tmp_path / "migrations").iterdir()) == ["001-initial.py"]


def test_new_to_uses_a_project_template(tmp_path, monkeypatch):
    project(tmp_path, monkeypatch)
    (tmp_path / "pyproject.toml").write_text('[tool.qscaffold]\ntemplates_dir = "tpl"\n')
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "declarative.py.j2").write_text(
        '"""House style: {{ name }}."""\nname = {{ name | pystr }}\nversion = {{ version }}\n\n\n'
        "def up(db):\n{% for s in up_steps %}    db.exec({{ s.sql | pystr }})\n{% endfor %}\n\n"
        "def down(db):\n{% for s in down_steps %}    db.exec({{ s.sql | pystr }})\n{% endfor %}")
    assert invoke("new", "house", "--to", "schema.sql", "--dry-run").stdout.startswith('"""House style: House.')


def test_new_to_bad_inputs(tmp_path, monkeypatch):
    project(tmp_path, monkeypatch)
    result = invoke("new", "x", "--to", "missing.sql")
    assert result.exit_code == 2 and "missing.sql" in result.output
    result = invoke("new", "x", "--rename", "a=b")
    assert result.exit_code == 2 and "--to" in result.output
    result = invoke("new", "x", "--to", "schema.sql", "--pattern", "table")
    assert result.exit_code == 2
    assert sorted(p.name for p in (tmp_path / "migrations").iterdir()) == ["001-initial.py"]


def test_new_to_that_destroys_data_says_so_and_lints_clean(tmp_path, monkeypatch):
    project(tmp_path, monkeypatch)
    (tmp_path / "smaller.sql").write_text(
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, nick TEXT);\n")
    assert invoke("new", "shrink", "--to", "smaller.sql").exit_code == 0
    text = (tmp_path / "migrations" / "002-shrink.py").read_text()
    assert "DESTROYS DATA: table posts" in text and "DESTROYS DATA: column users.age" in text
    assert "Up destroys data" in text
    lint = invoke("lint", "migrations")
    assert lint.exit_code == 0 and "no findings" in lint.output, lint.output
    assert invoke("migrate", "verify", "--database", "app.db").exit_code == 0
    assert invoke("migrate", "up", "--database", "app.db").exit_code == 0
    conn = sqlite3.connect(tmp_path / "app.db")
    assert conn.execute("SELECT id, email, nick FROM users ORDER BY id").fetchall() == [(1, "a@x", "ann"), (2, "b@x", None)]
    conn.close()


def test_new_to_warns_about_a_new_not_null_column_without_default(tmp_path, monkeypatch):
    project(tmp_path, monkeypatch)
    (tmp_path / "strict.sql").write_text(
        DESIRED.replace("created_at TEXT NOT NULL DEFAULT '1970-01-01'", "created_at TEXT NOT NULL"))
    result = invoke("new", "strict", "--to", "strict.sql", "--dry-run")
    assert result.exit_code == 0
    assert "users.created_at" in result.stderr and "NOT NULL" in result.stderr


def test_new_to_says_when_the_migrations_had_to_run_to_learn_the_schema(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001-dynamic.py").write_text(
        'name = "Dynamic"\nversion = 1\nTABLE = "t"\n\n\ndef up(db):\n'
        '    db.exec(f"CREATE TABLE IF NOT EXISTS {TABLE} (a INTEGER)")\n\n\n'
        'def down(db):\n    db.exec(f"DROP TABLE IF EXISTS {TABLE}")\n')
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (a INTEGER, b TEXT);\n")
    result = invoke("new", "add-b", "--to", "schema.sql")
    assert result.exit_code == 0, result.output
    assert "001-dynamic.py" in result.stderr and "run" in result.stderr
    assert "ADD COLUMN b TEXT" in (tmp_path / "migrations" / "002-add-b.py").read_text()
