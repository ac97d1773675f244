"""`qscaffold migrate …` as a user runs it: output, exit codes, settings."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qscaffold.cli import main
from support import query, sha256, table_migrations, tables, version, write_migration

REPO = Path(__file__).resolve().parent.parent


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_version_and_help():
    assert run("--version").output.startswith("qscaffold ")
    for command in (["--help"], ["migrate", "--help"], ["migrate", "up", "--help"],
                    ["migrate", "down", "--help"], ["migrate", "status", "--help"],
                    ["migrate", "repair", "--help"]):
        result = run(*command)
        assert result.exit_code == 0, command
        assert "Usage:" in result.output


def test_status_up_status_in_the_default_database(project):
    table_migrations(project / "migrations", 2)
    result = run("migrate", "status")
    assert result.exit_code == 0
    assert "Database Migration Status" in result.output
    assert "Current schema version: 0" in result.output
    assert "  ○ Pending v1: Create t1" in result.output
    assert "Applied: 0\nPending: 2" in result.output
    assert not (project / "data").exists(), "status must not create the database"

    result = run("migrate", "up")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("  ✓ Applied v1: Create t1 (") and lines[0].endswith(" ms)")
    assert lines[-1] == "Applied 2 migration(s); schema version is now 2."
    assert version(project / "data" / "app.db") == 2

    result = run("migrate", "status")
    assert "  ✓ Applied v1: Create t1\n  ✓ Applied v2: Create t2 (current)" in result.output
    assert "Applied: 2\nPending: 0" in result.output
    assert run("migrate", "up").output == "Database is up to date (version 2).\n"


def test_status_json(project):
    table_migrations(project / "migrations", 3)
    run("migrate", "up", "--to", "2")
    data = json.loads(run("migrate", "status", "--json").output)
    assert data["current_version"] == 2 and data["applied"] == 2 and data["pending"] == 1
    assert [(m["version"], m["state"], m["current"]) for m in data["migrations"]] == [
        (1, "applied", False), (2, "applied", True), (3, "pending", False)]
    assert data["problems"] == []
    assert data["migrations"][0]["file"] == "001-create-t1.py"


def test_status_marks_modified_and_missing_files(project):
    paths = table_migrations(project / "migrations", 3)
    run("migrate", "up")
    paths[0].write_text(paths[0].read_text() + "\n# edited\n")
    paths[1].unlink()
    result = CliRunner().invoke(main, ["migrate", "status"])
    assert result.exit_code == 1  # it lists what `up` would refuse
    assert "✗ Applied v1: Create t1 (MODIFIED since applied)" in result.output
    assert "✗ Missing v2: Create t2 (file not found)" in result.output
    result = CliRunner().invoke(main, ["migrate", "up"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "001-create-t1.py: changed since it was applied" in result.output
    assert "Traceback" not in result.output


def test_up_failure_is_one_line_exit_1_and_keeps_earlier_migrations(project):
    table_migrations(project / "migrations", 1)
    write_migration(project / "migrations", 2, "broken", "CREATE TABLE t1 (x)")
    result = CliRunner().invoke(main, ["migrate", "up"])
    assert result.exit_code == 1
    assert "  ✓ Applied v1: Create t1" in result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and "002-broken.py:6: up() failed" in error[0] and "table t1 already exists" in error[0]
    assert version(project / "data" / "app.db") == 1


def test_dry_run_changes_nothing(project):
    table_migrations(project / "migrations", 2)
    run("migrate", "up", "--steps", "1")
    db = project / "data" / "app.db"
    before = sha256(db)
    result = run("migrate", "up", "--dry-run")
    assert "Would apply v2: Create t2" in result.output
    assert "the database stays at version 1" in result.output
    assert sha256(db) == before


def test_down_needs_consent_without_a_terminal(project):
    table_migrations(project / "migrations", 2)
    run("migrate", "up")
    db = project / "data" / "app.db"
    before = sha256(db)
    result = CliRunner().invoke(main, ["migrate", "down"])
    assert result.exit_code == 1
    assert "needs confirmation: pass --yes" in result.output
    assert sha256(db) == before
    assert list((project / "data").iterdir()) == [db], "no backup written for a refused rollback"


def test_down_backs_up_first_then_rolls_back(project):
    table_migrations(project / "migrations", 3)
    run("migrate", "up")
    db = project / "data" / "app.db"
    result = run("migrate", "down", "--yes")
    assert result.exit_code == 0
    backup_line = result.output.splitlines()[0]
    assert backup_line.startswith("Backup written to data/app.db.v3-")
    backup = project / backup_line.removeprefix("Backup written to ")
    assert version(backup) == 3 and "t3" in tables(backup)
    assert "  ✓ Rolled back v3: Create t3" in result.output
    assert version(db) == 2 and "t3" not in tables(db)

    result = run("migrate", "down", "--yes", "--no-backup", "--steps", "2")
    assert "Backup written" not in result.output
    assert version(db) == 0
    assert len(list((project / "data").glob("*.bak"))) == 1


def test_down_to_and_dry_run(project):
    table_migrations(project / "migrations", 4)
    run("migrate", "up")
    db = project / "data" / "app.db"
    before = sha256(db)
    result = run("migrate", "down", "--to", "1", "--dry-run")
    assert "Would roll back v4" in result.output and "Would roll back v2" in result.output
    assert sha256(db) == before
    run("migrate", "down", "--to", "1", "--yes", "--no-backup")
    assert version(db) == 1


@pytest.mark.parametrize("answer, expected_version", [("n", 2), ("y", 1)])
def test_down_asks_on_a_terminal(project, answer, expected_version):
    table_migrations(project / "migrations", 2)
    run("migrate", "up")
    master, slave = os.openpty()
    try:
        os.write(master, f"{answer}\n".encode())
        result = subprocess.run([sys.executable, "-m", "qscaffold", "migrate", "down", "--no-backup"],
                                stdin=slave, capture_output=True, text=True, cwd=project, timeout=60)
    finally:
        os.close(master)
        os.close(slave)
    assert "Roll back v2 on data/app.db? [y/N]" in result.stdout
    assert result.returncode == (0 if answer == "y" else 1)
    assert version(project / "data" / "app.db") == expected_version


def test_repair_records_new_checksums(project):
    paths = table_migrations(project / "migrations", 2)
    run("migrate", "up")
    paths[1].write_text(paths[1].read_text() + "# note\n")
    assert CliRunner().invoke(main, ["migrate", "repair"]).exit_code == 1
    result = run("migrate", "repair", "--yes")
    assert "Recorded new checksum for v2: 002-create-t2.py" in result.output
    assert run("migrate", "status").output.count("MODIFIED") == 0
    assert run("migrate", "repair", "--yes").output.startswith("Nothing to repair")


def test_bad_usage_exits_2(project):
    for args in (["migrate", "up", "--to", "x"], ["migrate", "down", "--steps", "0"], ["migrate", "nope"]):
        assert CliRunner().invoke(main, args).exit_code == 2, args
    table_migrations(project / "migrations", 2)
    result = CliRunner().invoke(main, ["migrate", "up", "--to", "7"])
    assert result.exit_code == 2 and "no migration file has version 7" in result.output


def test_a_missing_migrations_folder_is_named(project):
    result = CliRunner().invoke(main, ["migrate", "up", "--dir", "nope"])
    assert result.exit_code == 1
    assert "nope: migrations folder not found" in result.output


def test_settings_precedence_flag_env_pyproject_default(project, monkeypatch):
    (project / "sub").mkdir()
    table_migrations(project / "db-migrations", 1)
    (project / "pyproject.toml").write_text(
        "[tool.qscaffold]\ndatabase = 'state/from-pyproject.db'\nmigrations_dir = 'db-migrations'\n")
    monkeypatch.chdir(project / "sub")  # pyproject paths are relative to the pyproject, not the cwd
    run("migrate", "up")
    assert version(project / "state" / "from-pyproject.db") == 1

    monkeypatch.setenv("QSCAFFOLD_DATABASE", "from-env.db")
    run("migrate", "up")
    assert version(project / "sub" / "from-env.db") == 1

    run("migrate", "up", "--database", "from-flag.db")
    assert version(project / "sub" / "from-flag.db") == 1


def test_a_broken_pyproject_is_bad_input(project):
    (project / "pyproject.toml").write_text("[tool.qscaffold]\ndatabse = 'x.db'\n")
    result = CliRunner().invoke(main, ["migrate", "status"])
    assert result.exit_code == 2
    assert "unknown key 'databse'" in result.output
    (project / "pyproject.toml").write_text("[tool.qscaffold\n")
    result = CliRunner().invoke(main, ["migrate", "status"])
    assert result.exit_code == 2 and "invalid TOML" in result.output


def test_not_a_database_through_the_cli(project):
    table_migrations(project / "migrations", 1)
    junk = project / "junk.db"
    junk.write_bytes(os.urandom(4096))
    before = sha256(junk)
    result = CliRunner().invoke(main, ["migrate", "up", "--database", "junk.db"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "junk.db: not a SQLite database" in result.output
    assert sha256(junk) == before


def test_python_dash_m_runs_the_same_cli(project):
    table_migrations(project / "migrations", 1)
    result = subprocess.run([sys.executable, "-m", "qscaffold", "migrate", "up"],
                            capture_output=True, text=True, cwd=project)
    assert result.returncode == 0, result.stderr
    assert "Applied v1" in result.stdout
    result = subprocess.run([sys.executable, "-m", "qscaffold", "migrate", "up", "--dir", "nope"],
                            capture_output=True, text=True, cwd=project)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


def test_shipped_migrations_round_trip(tmp_path):
    db = tmp_path / "app.db"
    result = run("migrate", "up", "--database", str(db), "--dir", str(REPO / "migrations"))
    assert result.exit_code == 0, result.output
    assert {"sessions", "requests", "responses", "api_keys", "audit_logs"} <= tables(db)
    assert "user_id" in [r[1] for r in query(db, "PRAGMA table_info(sessions)")]
    run("migrate", "down", "--database", str(db), "--dir", str(REPO / "migrations"), "--to", "0",
        "--yes", "--no-backup")
    assert tables(db) <= {"metadata", "migration_history", "sqlite_sequence"}
    run("migrate", "up", "--database", str(db), "--dir", str(REPO / "migrations"))
    assert version(db) == max(int(p.name[:3]) for p in (REPO / "migrations").glob("[0-9]*.py"))
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_a_console_that_cannot_encode_the_marks_gets_ascii_and_every_migration(tmp_path):
    mig = tmp_path / "migrations"
    table_migrations(mig, 3)
    db = tmp_path / "app.db"
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    env.pop("QSCAFFOLD_DATABASE", None)
    result = subprocess.run([sys.executable, "-m", "qscaffold", "migrate", "up", "--database", str(db),
                             "--dir", str(mig)], capture_output=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode("cp1252")
    out = result.stdout.decode("cp1252")
    assert "  + Applied v1: Create t1 (" in out and "  + Applied v3: Create t3 (" in out
    assert version(db) == 3
    status = subprocess.run([sys.executable, "-m", "qscaffold", "migrate", "status", "--database", str(db),
                             "--dir", str(mig)], capture_output=True, env=env, cwd=tmp_path)
    assert status.returncode == 0 and "+ Applied v3" in status.stdout.decode("cp1252")


def test_a_closed_pipe_stops_the_lines_not_the_migrations(tmp_path):
    mig = tmp_path / "migrations"
    table_migrations(mig, 30)
    db = tmp_path / "app.db"
    env = dict(os.environ)
    env.pop("QSCAFFOLD_DATABASE", None)
    proc = subprocess.Popen([sys.executable, "-m", "qscaffold", "migrate", "up", "--database", str(db),
                             "--dir", str(mig)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            cwd=tmp_path)
    proc.stdout.close()  # the reader is gone before the first line
    proc.wait(timeout=60)
    assert "Traceback" not in proc.stderr.read().decode()
    assert version(db) == 30


def test_json_is_always_json(project):
    mig = project / "migrations"
    table_migrations(mig, 3)
    write_migration(mig, 4, "breaks", "CREATE TABLE t5 (a); SELECT * FROM nowhere")
    down = run("migrate", "down", "--json", "--yes")
    assert down.exit_code == 0
    assert json.loads(down.output) == {"database": str(project / "data" / "app.db"), "dry_run": False,
                                       "current_version": 0, "backup": None, "results": []}
    result = CliRunner().invoke(main, ["migrate", "up", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [r["version"] for r in report["results"]] == [1, 2, 3]
    assert report["current_version"] == 3 and report["exit_code"] == 1
    assert "004-breaks.py" in report["error"] and "no such table: nowhere" in report["error"]
    assert result.stderr.startswith("Error: ")
    # A refusal before anything runs is JSON too.
    (mig / "002-create-t2.py").unlink()
    refused = CliRunner().invoke(main, ["migrate", "status", "--json"])
    assert json.loads(refused.stdout)["problems"]
    refused = CliRunner().invoke(main, ["migrate", "up", "--json"])
    assert refused.exit_code == 1 and "its file is gone" in json.loads(refused.stdout)["error"]


@pytest.mark.parametrize("damage", ["modified", "missing", "out-of-order", "tampered", "does-not-load"])
def test_status_exits_1_when_up_would_refuse(project, damage):
    mig = project / "migrations"
    paths = table_migrations(mig, 3)
    db = project / "data" / "app.db"
    if damage == "out-of-order":  # 1 and 3 applied, then 2 arrives from another branch
        paths[1].rename(project / "later.py")
        run("migrate", "up")
        (project / "later.py").rename(paths[1])
    else:
        run("migrate", "up", "--to", "2")
    if damage == "modified":
        paths[0].write_text(paths[0].read_text() + "# edited\n")
    elif damage == "missing":
        paths[1].unlink()
    elif damage == "tampered":
        conn = sqlite3.connect(db)
        conn.execute("UPDATE metadata SET value = '1' WHERE key = 'schema_version'")
        conn.commit()
        conn.close()
    elif damage == "does-not-load":
        paths[2].write_text("name = 'Broken'\nversion = 3\n\ndef up(db):\n    return (\n")
    text = CliRunner().invoke(main, ["migrate", "status"])
    assert text.exit_code == 1, text.output
    assert "Problem: " in text.output
    report = CliRunner().invoke(main, ["migrate", "status", "--json"])
    assert report.exit_code == 1
    assert json.loads(report.stdout)["problems"]
    assert run("migrate", "up").exit_code == 1
