"""``qscaffold schema dump`` and ``schema diff`` through the command line."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from click.testing import CliRunner

from qscaffold.cli import main

MIGRATION = '''name = "Initial"
version = 1


def up(db):
    db.exec("""
        CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INT NOT NULL REFERENCES users(id)
                            ON DELETE CASCADE, body TEXT);
        CREATE INDEX idx_posts_user ON posts (user_id);
        CREATE VIRTUAL TABLE search USING fts5(body);
    """)


def down(db):
    db.exec("DROP TABLE search; DROP TABLE posts; DROP TABLE users;")
'''


def run(*args, cwd=None):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def project(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001-initial.py").write_text(MIGRATION)
    return folder


def test_dump_sql_runs_on_an_empty_database_without_bookkeeping_or_shadow_tables(tmp_path):
    folder = project(tmp_path)
    result = run("schema", "dump", str(folder))
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "migration_history" not in text and "metadata" not in text
    assert "search_data" not in text and text.count("CREATE VIRTUAL TABLE search") == 1
    conn = sqlite3.connect(":memory:")
    conn.executescript(text)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'search_%'")}
    assert {"users", "posts", "idx_posts_user", "search"} <= names


def test_dump_to_a_file_then_diff_against_the_folder_is_empty(tmp_path):
    folder = project(tmp_path)
    out = tmp_path / "schema.sql"
    assert run("schema", "dump", str(folder), "-o", str(out)).exit_code == 0
    result = run("schema", "diff", str(folder), str(out))
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("--")


def test_dump_mermaid_and_json(tmp_path):
    folder = project(tmp_path)
    mermaid = run("schema", "dump", str(folder), "--format", "mermaid").stdout
    assert mermaid.startswith("erDiagram")
    assert "users ||--o{ posts" in mermaid and "INT user_id FK" in mermaid and "INTEGER id PK" in mermaid
    data = json.loads(run("schema", "dump", str(folder), "--format", "json").stdout)
    assert [t["name"] for t in data["tables"]] == ["users", "posts", "search"]


def test_drift_check_against_a_database_changed_by_hand(tmp_path):
    folder = project(tmp_path)
    db = tmp_path / "app.db"
    assert run("migrate", "up", "--database", str(db), "--dir", str(folder)).exit_code == 0
    assert run("schema", "diff", str(folder), str(db)).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("CREATE INDEX by_hand ON users (email)")
    conn.close()
    before = db.read_bytes()
    result = run("schema", "diff", str(folder), str(db))
    assert result.exit_code == 1
    assert "CREATE INDEX IF NOT EXISTS by_hand ON users (email);" in result.stdout
    assert db.read_bytes() == before  # read-only


def test_diff_json_and_exit_codes(tmp_path):
    a = tmp_path / "a.sql"
    b = tmp_path / "b.sql"
    a.write_text("CREATE TABLE t (a INT);\n")
    b.write_text("CREATE TABLE t (a INT, b TEXT);\n")
    result = run("schema", "diff", str(a), str(b), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["same"] is False
    assert data["statements"][0]["sql"] == "ALTER TABLE t ADD COLUMN b TEXT;"
    missing = run("schema", "diff", str(tmp_path / "nope.sql"), str(b), "--json")
    assert missing.exit_code == 2 and "nope.sql" in json.loads(missing.stdout)["error"]


def test_bad_inputs_exit_2_with_file_line_and_sqlite_message(tmp_path):
    good = tmp_path / "good.sql"
    good.write_text("CREATE TABLE t (a);\n")
    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE TABLE t (a);\n\nCREATE TABLE u (a b c,);\n")
    result = run("schema", "diff", str(bad), str(good))
    assert result.exit_code == 2
    assert f"{bad}:3: near \")\": syntax error" in result.stderr
    assert "Traceback" not in result.stderr
    data = tmp_path / "data.sql"
    data.write_text("CREATE TABLE t (a);\nINSERT INTO t VALUES (1);\n")
    result = run("schema", "diff", str(data), str(good))
    assert result.exit_code == 2 and f"{data}:2:" in result.stderr and "INSERT" in result.stderr
    result = run("schema", "diff", str(tmp_path / "missing"), str(good))
    assert result.exit_code == 2 and "no such file or folder" in result.stderr
    notdb = tmp_path / "notes.txt"
    notdb.write_text("hello")
    result = run("schema", "dump", str(notdb))
    assert result.exit_code == 2 and "not a SQLite database" in result.stderr


def test_rename_hint_and_suggestion(tmp_path):
    a = tmp_path / "a.sql"
    b = tmp_path / "b.sql"
    a.write_text("CREATE TABLE t (id INTEGER PRIMARY KEY, nick TEXT);\n")
    b.write_text("CREATE TABLE t (id INTEGER PRIMARY KEY, handle TEXT);\n")
    result = run("schema", "diff", str(a), str(b))
    assert "--rename t.nick=handle" in result.stderr
    result = run("schema", "diff", str(a), str(b), "--rename", "t.nick=handle")
    assert result.stdout.strip() == "-- rename column t.nick to handle (--rename)\nALTER TABLE t RENAME COLUMN nick TO handle;"
    result = run("schema", "diff", str(a), str(b), "--rename", "t.zzz=handle")
    assert result.exit_code == 2 and "no column zzz" in result.stderr


def test_schema_commands_do_not_import_sqlglot_or_jinja2_for_help():
    code = ("import sys; from qscaffold.cli import main\n"
            "try:\n    main(['schema', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('sqlglot' in sys.modules, 'jinja2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False False")


def test_a_migrations_folder_that_cannot_be_replayed_is_bad_input(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001-broken.py").write_text('name = "Broken"\nversion = 1\n\n\ndef up(db):\n    db.exec("CREATE TABLE (")\n')
    result = run("schema", "dump", str(folder))
    assert result.exit_code == 2
    assert "cannot be replayed" in result.stderr and "Traceback" not in result.stderr


def test_a_wal_database_is_read_without_touching_its_files(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (a INT)")
    conn.commit()
    conn.close()  # the last connection checkpoints: no -wal, no -shm left
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE t (a INT);\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert run("schema", "diff", str(db), str(schema)).exit_code == 0
    assert "CREATE TABLE t" in run("schema", "dump", str(db)).stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before
