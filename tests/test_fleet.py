"""Fleets: one command over many databases, each on its own, in parallel processes."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from click.testing import CliRunner

from qscaffold.cli import main
from qscaffold.errors import MigrationFileError, UsageError
from qscaffold import expand_databases, run_fleet
from support import query, table_migrations, write_migration


def version(path) -> int:
    """The recorded version, 0 for a database nothing was applied to."""
    rows = query(path, "SELECT name FROM sqlite_master WHERE name = 'metadata'")
    if not rows:
        return 0
    found = query(path, "SELECT value FROM metadata WHERE key = 'schema_version'")
    return int(found[0][0]) if found else 0


@pytest.fixture
def fleet(project):
    """Five empty tenant databases and three migrations, the current folder at tmp_path."""
    tmp_path = project  # the current folder (conftest.project)
    table_migrations(tmp_path / "migrations", 3)
    (tmp_path / "tenants").mkdir()
    for i in range(1, 6):
        sqlite3.connect(tmp_path / "tenants" / f"t{i}.db").close()
    return tmp_path


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def tenants(root, n=5):
    return [root / "tenants" / f"t{i}.db" for i in range(1, n + 1)]


def test_a_glob_migrates_every_database_and_a_rerun_finds_them_current(fleet):
    result = run("migrate", "up", "--database", "tenants/*.db")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert sorted(line.split(" (")[0] for line in lines[:5]) == [
        f"  ✓ tenants/t{i}.db: migrated 0 → 3" for i in range(1, 6)]
    assert all(line.endswith(" ms)") and "(3 migration(s), " in line for line in lines[:5])
    assert lines[-1] == "5 migrated, 0 failed, 0 already current"
    assert [version(db) for db in tenants(fleet)] == [3] * 5
    again = run("migrate", "up", "--database", "tenants/*.db")
    assert again.exit_code == 0
    assert again.output.splitlines()[-1] == "0 migrated, 0 failed, 5 already current"
    assert "  = tenants/t1.db: already current (version 3)" in again.output


def test_a_corrupt_and_a_locked_tenant_fail_alone_and_a_rerun_finishes(fleet):
    (fleet / "tenants" / "t2.db").write_bytes(b"this is not a database" * 100)
    holder = sqlite3.connect(fleet / "tenants" / "t4.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    result = run("migrate", "up", "--database", "tenants/*.db", "--timeout", "0.2", "--jobs", "2")
    holder.execute("ROLLBACK")
    holder.close()
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "  ✗ tenants/t2.db: not a SQLite database" in result.output
    assert "  ✗ tenants/t4.db: database is locked" in result.output
    assert "3 migrated, 2 failed, 0 already current" in result.output
    assert result.output.strip().splitlines()[-1] == "Error: 2 of 5 database(s) failed"
    assert [version(db) for db in tenants(fleet) if db.name != "t2.db"] == [3, 3, 0, 3]
    assert (fleet / "tenants" / "t2.db").read_bytes() == b"this is not a database" * 100

    (fleet / "tenants" / "t2.db").unlink()
    rerun = run("migrate", "up", "--database", "tenants/*.db")
    assert rerun.exit_code == 0
    assert rerun.output.splitlines()[-1] == "1 migrated, 0 failed, 3 already current"


def test_repeated_database_flags_and_a_list_from_a_file_or_stdin(fleet):
    (fleet / "list.txt").write_text("# tenants to migrate\ntenants/t1.db\n\ntenants/t3.db\ntenants/t1.db\n")
    result = run("migrate", "up", "--databases-from", "list.txt", "--database", "tenants/t5.db")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "3 migrated, 0 failed, 0 already current"
    assert [version(db) for db in tenants(fleet)] == [3, 0, 3, 0, 3]
    piped = run("migrate", "up", "--databases-from", "-", input="tenants/t2.db\ntenants/t4.db\n")
    assert piped.exit_code == 0
    assert [version(db) for db in tenants(fleet)] == [3] * 5
    both = run("migrate", "status", "--database", "tenants/t1.db", "--database", "tenants/t2.db")
    assert both.output.splitlines()[-1].startswith("2 database(s): 2 at version 3")


def test_json_is_printed_even_when_the_fleet_cannot_start(fleet):
    result = run("migrate", "up", "--database", "nowhere/*.db", "--json")
    assert result.exit_code == 2
    data = json.loads(result.output[:result.output.rindex("}") + 1])
    assert data == {"command": "up", "error": "nowhere/*.db: matches no database file", "exit_code": 2}


def test_a_closed_pipe_stops_the_lines_not_the_migrations(fleet):
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "qscaffold", "migrate", "up", "--database", "tenants/*.db",
                             "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader went away (| head -0)
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err
    assert [version(db) for db in tenants(fleet)] == [3] * 5


@pytest.mark.parametrize("args, message", [
    (["--database", "nowhere/*.db"], "nowhere/*.db: matches no database file"),
    (["--databases-from", "missing.txt"], "missing.txt: cannot read the list of databases: No such file"),
    (["--databases-from", "-"], "standard input: the list of databases is empty"),
])
def test_bad_fleet_input_is_one_line_and_exit_2(fleet, args, message):
    result = run("migrate", "up", *args, input="")
    assert result.exit_code == 2
    assert result.output.strip().startswith(f"Error: {message}")
    assert len(result.output.strip().splitlines()) == 1
    assert [version(db) for db in tenants(fleet)] == [0] * 5


def test_repair_works_on_one_database_at_a_time(fleet):
    result = run("migrate", "repair", "--yes", "--database", "tenants/t1.db", "--database", "tenants/t2.db")
    assert result.exit_code == 2
    assert "migrate repair works on one database at a time" in result.output


def test_fail_fast_starts_nothing_after_the_first_failure(fleet):
    (fleet / "tenants" / "t2.db").write_bytes(b"garbage" * 200)
    result = run("migrate", "up", "--database", "tenants/*.db", "--jobs", "1", "--fail-fast")
    assert result.exit_code == 1
    assert "  - tenants/t3.db: not started (--fail-fast)" in result.output
    assert "1 migrated, 1 failed, 0 already current, 3 not started" in result.output
    assert [version(db) for db in tenants(fleet) if db.name != "t2.db"] == [3, 0, 0, 0]


def test_json_gives_a_result_per_database_even_when_some_fail(fleet):
    (fleet / "tenants" / "t5.db").write_bytes(b"garbage" * 200)
    result = run("migrate", "up", "--database", "tenants/*.db", "--json")
    assert result.exit_code == 1
    data = json.loads(result.output[:result.output.rindex("}") + 1])
    assert data["summary"] == "4 migrated, 1 failed, 0 already current"
    assert data["counts"] == {"migrated": 4, "failed": 1}
    by_db = {r["database"]: r for r in data["results"]}
    assert by_db["tenants/t1.db"]["applied"] == [1, 2, 3] and by_db["tenants/t1.db"]["version"] == 3
    assert by_db["tenants/t5.db"]["outcome"] == "failed"
    assert "not a SQLite database" in by_db["tenants/t5.db"]["error"]
    assert [r["database"] for r in data["results"]] == [f"tenants/t{i}.db" for i in range(1, 6)]


def test_status_counts_databases_per_version_and_names_the_problems(fleet):
    run("migrate", "up", "--database", "tenants/t1.db", "--database", "tenants/t2.db")
    run("migrate", "up", "--to", "1", "--database", "tenants/t3.db")
    conn = sqlite3.connect(fleet / "tenants" / "t4.db")
    conn.executescript("CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT);"
                       "INSERT INTO metadata VALUES ('schema_version', '9');")
    conn.close()
    result = run("migrate", "status", "--database", "tenants/*.db")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  ○ tenants/t3.db: version 1, 2 pending" in lines
    assert "  ○ tenants/t5.db: version 0, 3 pending" in lines
    assert "  ✗ tenants/t4.db: version 9" in lines
    assert any(line.startswith("      Problem: ") and "newer than every migration file" in line for line in lines)
    assert not any("t1.db" in line for line in lines), "current databases are only counted"
    assert lines[-1] == ("5 database(s): 1 at version 9, 2 at version 3, 1 at version 1, 1 at version 0, "
                         "2 with pending migrations, 1 with problems, 0 failed")
    data = json.loads(run("migrate", "status", "--database", "tenants/*.db", "--json").output)
    assert data["versions"] == {"9": 1, "3": 2, "1": 1, "0": 1}
    assert data["counts"] == {"current": 2, "pending": 2, "problem": 1}


def test_down_asks_once_and_backs_up_each_database(fleet):
    run("migrate", "up", "--database", "tenants/*.db")
    refused = run("migrate", "down", "--database", "tenants/*.db")
    assert refused.exit_code == 1 and "needs confirmation: pass --yes" in refused.output
    assert [version(db) for db in tenants(fleet)] == [3] * 5
    result = run("migrate", "down", "--database", "tenants/*.db", "--steps", "2", "--yes")
    assert result.exit_code == 0, result.output
    assert "  ✓ tenants/t1.db: rolled back 3 → 1 (2 migration(s), " in result.output
    assert result.output.splitlines()[-1] == "5 rolled back, 0 failed, 0 with nothing to roll back"
    assert [version(db) for db in tenants(fleet)] == [1] * 5
    assert len(list((fleet / "tenants").glob("t*.db.v3-*.bak"))) == 5


def test_stamp_and_verify_over_a_fleet(fleet):
    write_migration(fleet / "migrations", 4, "no-undo", "CREATE TABLE t4 (id INTEGER)", "SELECT 1")
    verified = run("migrate", "verify", "--database", "tenants/t1.db", "--database", "tenants/t2.db")
    assert verified.exit_code == 1
    assert "  ✗ tenants/t1.db: verification failed: v4 " in verified.output
    assert "0 passed, 2 failed" in verified.output
    (fleet / "migrations" / "004-no-undo.py").unlink()
    passed = run("migrate", "verify", "--database", "tenants/*.db")
    assert passed.exit_code == 0 and passed.output.splitlines()[-1] == "5 passed, 0 failed"
    result = run("migrate", "stamp", "2", "--yes", "--database", "tenants/*.db")
    assert result.exit_code == 0, result.output
    assert "  ✓ tenants/t1.db: stamped 0 → 2" in result.output
    assert result.output.splitlines()[-1] == "5 stamped, 0 failed"
    assert [version(db) for db in tenants(fleet)] == [2] * 5


def test_single_transaction_over_a_fleet(fleet):
    write_migration(fleet / "migrations", 4, "boom", "INSERT INTO nowhere VALUES (1)")
    result = run("migrate", "up", "--single-transaction", "--database", "tenants/*.db")
    assert result.exit_code == 1
    assert "0 migrated, 5 failed, 0 already current" in result.output
    assert [version(db) for db in tenants(fleet)] == [0] * 5


def test_the_api_runs_databases_in_separate_processes(fleet):
    write_migration(fleet / "migrations", 4, "who", "", body=(
        "import os\n\ndef up(db):\n    db.exec('CREATE TABLE who (pid INTEGER)')\n"
        "    db.execute('INSERT INTO who VALUES (?)', (os.getpid(),))\n"))
    paths = expand_databases([str(fleet / "tenants" / "*.db")])
    assert paths == [str(p) for p in tenants(fleet)]
    seen = []
    report = run_fleet("up", paths, fleet / "migrations", jobs=2, on_result=seen.append)
    assert report.ok and report.summary() == "5 migrated, 0 failed, 0 already current"
    assert sorted(r.database for r in seen) == paths
    pids = {query(p, "SELECT pid FROM who")[0][0] for p in paths}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    here = run_fleet("status", paths, fleet / "migrations", jobs=1)
    assert here.versions() == {4: 5}


def test_a_worker_that_dies_fails_its_database_only(fleet):
    write_migration(fleet / "migrations", 4, "die", "", body=(
        "import os\n\ndef up(db):\n"
        "    if db.query('PRAGMA database_list')[0][2].endswith('t3.db'):\n        os._exit(7)\n"))
    report = run_fleet("up", [str(p) for p in tenants(fleet)], fleet / "migrations", jobs=2)
    outcomes = {os.path.basename(r.database): r.outcome for r in report.results}
    assert outcomes["t3.db"] == "failed"
    assert "t3.db: the worker process died while migrating it" in report.results[2].error
    # A database that was in flight in the same pool runs again alone: it may have finished
    # before the pool broke, and is then found current.
    assert report.count("migrated") + report.count("current") == 4 and report.count("failed") == 1
    assert [version(db) for db in tenants(fleet)] == [4, 4, 3, 4, 4]


def test_a_broken_migration_file_stops_the_fleet_before_any_database(fleet):
    (fleet / "migrations" / "004-broken.py").write_text("name = 'x'\nversion = 4\ndef up(db):\n  oops(\n")
    with pytest.raises(MigrationFileError, match="004-broken.py"):
        run_fleet("up", [str(p) for p in tenants(fleet)], fleet / "migrations")
    assert [version(db) for db in tenants(fleet)] == [0] * 5
    with pytest.raises(UsageError):
        run_fleet("repair", [str(p) for p in tenants(fleet)], fleet / "migrations")


def test_a_terminal_sees_progress_and_a_pipe_does_not(fleet):
    import pty
    import subprocess
    import sys

    write_migration(fleet / "migrations", 4, "slow", "", body="import time\n\ndef up(db):\n    time.sleep(0.3)\n")
    primary, secondary = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "qscaffold", "migrate", "up", "--database", "tenants/*.db",
                           "--jobs", "1"], stdout=subprocess.PIPE, stderr=secondary, timeout=120)
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    assert proc.returncode == 0
    assert b"/5 databases done (" in seen
    assert b"databases done" not in proc.stdout, "results on stdout stay clean"
    piped = subprocess.run([sys.executable, "-m", "qscaffold", "migrate", "up", "--database", "tenants/*.db"],
                           capture_output=True, timeout=120)
    assert b"databases done" not in piped.stderr and piped.stderr == b""


def test_a_console_that_cannot_show_the_marks_gets_ascii_ones_not_a_traceback(fleet):
    import subprocess
    import sys

    env = dict(os.environ, PYTHONIOENCODING="latin-1", PYTHONUTF8="0")
    for args in (["--database", "tenants/*.db"], ["--database", "tenants/t1.db"]):
        proc = subprocess.run([sys.executable, "-m", "qscaffold", "migrate", "up", *args],
                              capture_output=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr.decode("latin-1")
        assert b"Traceback" not in proc.stderr
    down = subprocess.run([sys.executable, "-m", "qscaffold", "migrate", "down", "--yes", "--no-backup",
                           "--database", "tenants/*.db"], capture_output=True, env=env, timeout=120)
    assert down.returncode == 0, down.stderr.decode("latin-1")
    assert b"  + tenants/t1.db: rolled back 3 -> 2" in down.stdout


def test_a_fleet_keeps_the_project_s_bookkeeping_table_names(fleet):
    (fleet / "pyproject.toml").write_text('[tool.qscaffold]\nmetadata_table = "qs_meta"\n'
                                          'history_table = "qs_history"\n')
    result = run("migrate", "up", "--database", "tenants/*.db")
    assert result.exit_code == 0, result.output
    for db in tenants(fleet):
        assert query(db, "SELECT count(*) FROM qs_history") == [(3,)]
        assert query(db, "SELECT count(*) FROM sqlite_master WHERE name = 'migration_history'") == [(0,)]
