"""Several processes and killed processes, on real files."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from support import dump, query, table_migrations, tables, version, write_migration

QSCAFFOLD = [sys.executable, "-m", "qscaffold"]


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    env.pop("QSCAFFOLD_DATABASE", None)
    env.pop("QSCAFFOLD_MIGRATIONS", None)
    return env


def test_eight_processes_apply_twenty_migrations_exactly_once(tmp_path):
    mig = tmp_path / "migrations"
    # The first migration holds the write lock for a while, so the other processes pile up on it.
    write_migration(mig, 1, "counter", "", body=(
        "import time\n\n"
        "def up(db):\n"
        "    db.exec('CREATE TABLE runs (version INTEGER)')\n"
        "    time.sleep(0.5)\n"
    ))
    for v in range(2, 21):
        # Not idempotent on purpose: a second run of the same up() would fail or double-count.
        write_migration(mig, v, f"step-{v}",
                        f"CREATE TABLE t{v} (id INTEGER PRIMARY KEY); INSERT INTO runs VALUES ({v})")
    db = tmp_path / "data" / "app.db"
    procs = [
        subprocess.Popen(QSCAFFOLD + ["migrate", "up", "--database", str(db), "--dir", str(mig)],
                         cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=_env(tmp_path))
        for _ in range(8)
    ]
    outcomes = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]
    for code, out, err in outcomes:
        assert code == 0, err
        assert "Traceback" not in err and "locked" not in err
    assert version(db) == 20
    assert query(db, "SELECT version, count(*) FROM runs GROUP BY version HAVING count(*) > 1") == []
    assert query(db, "SELECT count(*) FROM runs") == [(19,)]
    assert query(db, "SELECT count(*) FROM migration_history") == [(20,)]
    applied_lines = sum(out.count("✓ Applied") for _, out, _ in outcomes)
    assert applied_lines == 20, "each migration is reported as applied by exactly one process"


def test_initialize_database_from_many_processes(tmp_path):
    mig = tmp_path / "migrations"
    table_migrations(mig, 10)
    db = tmp_path / "app.db"
    script = (
        "import sys\n"
        "from qscaffold import initialize_database\n"
        "initialize_database(sys.argv[1], sys.argv[2]).connection.close()\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(db), str(mig)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(6)]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
        assert p.stdout.read() == "" and p.stderr.read() == "", "the library never prints"
    assert version(db) == 10


def test_a_process_killed_inside_up_leaves_the_previous_version_intact(tmp_path):
    mig = tmp_path / "migrations"
    table_migrations(mig, 2)
    db = tmp_path / "app.db"
    subprocess.run(QSCAFFOLD + ["migrate", "up", "--database", str(db), "--dir", str(mig)],
                   check=True, capture_output=True)
    before = dump(db)
    body = (
        "import os, signal\n\n"
        "def up(db):\n"
        "    db.exec('CREATE TABLE half (a); INSERT INTO half VALUES (1)')\n"
        "    db.exec('INSERT INTO t1 (id) VALUES (99)')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    write_migration(mig, 3, "killed", "", body=body)
    result = subprocess.run(QSCAFFOLD + ["migrate", "up", "--database", str(db), "--dir", str(mig)],
                            capture_output=True, text=True)
    assert result.returncode == -9
    assert dump(db) == before, "the hot journal is rolled back: schema, rows and version as before"
    assert version(db) == 2 and "half" not in tables(db)
    # The migration is still pending and runs once fixed.
    write_migration(mig, 3, "killed", "CREATE TABLE half (a)")
    result = subprocess.run(QSCAFFOLD + ["migrate", "up", "--database", str(db), "--dir", str(mig)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert version(db) == 3


def test_start_up_stays_lean(tmp_path):
    """--help and migrate status must not import sqlglot or jinja2."""
    table_migrations(tmp_path / "migrations", 2)
    probe = (
        "import sys\n"
        "from qscaffold.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:], prog_name='qscaffold')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sqlglot', 'jinja2'})\n"
        "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
    )
    for args in (["--help"], ["--version"], ["migrate", "status"], ["migrate", "up"], ["migrate", "status", "--json"]):
        result = subprocess.run([sys.executable, "-c", probe, *args], cwd=tmp_path,
                                capture_output=True, text=True, env=_env(tmp_path))
        assert "HEAVY=\n" in result.stderr, (args, result.stderr)


def test_up_racing_down_never_leaves_a_gap_in_the_history(tmp_path):
    """`up` plans 4 and 5, then waits in 004's import while `down --steps 2` rolls back 3 and 2:
    inside the lock it must see that 2 and 3 are gone and stop, not apply 4 on top of 1."""
    mig = tmp_path / "migrations"
    table_migrations(mig, 5)
    started, go = tmp_path / "importing", tmp_path / "go"
    write_migration(mig, 4, "create-t4", "CREATE TABLE t4 (id INTEGER PRIMARY KEY)",
                    "DROP TABLE t4", header=(
                        "import pathlib, time\n"
                        f"pathlib.Path({str(started)!r}).touch()\n"
                        f"while not pathlib.Path({str(go)!r}).exists():\n"
                        "    time.sleep(0.02)\n"))
    db = tmp_path / "data" / "app.db"
    first = subprocess.run(QSCAFFOLD + ["migrate", "up", "--to", "3", "--database", str(db), "--dir", str(mig)],
                           cwd=tmp_path, capture_output=True, text=True, env=_env(tmp_path))
    assert first.returncode == 0, first.stderr
    up = subprocess.Popen(QSCAFFOLD + ["migrate", "up", "--database", str(db), "--dir", str(mig)],
                          cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=_env(tmp_path))
    try:
        for _ in range(1500):
            if started.exists():
                break
            time.sleep(0.01)
        down = subprocess.run(QSCAFFOLD + ["migrate", "down", "--steps", "2", "--yes", "--no-backup",
                                           "--database", str(db), "--dir", str(mig)],
                              cwd=tmp_path, capture_output=True, text=True, env=_env(tmp_path))
        assert down.returncode == 0, down.stderr
    finally:
        go.touch()
        out, err = up.communicate(timeout=60)
    assert up.returncode == 1, out + err
    assert "the database changed while migrating" in err
    assert [r[0] for r in query(db, "SELECT version FROM migration_history ORDER BY version")] == [1]
    assert version(db) == 1
    assert "t4" not in tables(db)
    again = subprocess.run(QSCAFFOLD + ["migrate", "up", "--database", str(db), "--dir", str(mig)],
                           cwd=tmp_path, capture_output=True, text=True, env=_env(tmp_path))
    assert again.returncode == 0, again.stderr
    assert version(db) == 5


def test_ctrl_c_says_where_the_database_stays_and_exits_130(tmp_path):
    import signal

    mig = tmp_path / "migrations"
    table_migrations(mig, 1)
    started = tmp_path / "started"
    write_migration(mig, 2, "slow", "", body=(
        "import pathlib, time\n\n\n"
        "def up(db):\n"
        "    db.exec('CREATE TABLE slow (x)')\n"
        f"    pathlib.Path({str(started)!r}).touch()\n"
        "    time.sleep(60)\n"))
    db = tmp_path / "data" / "app.db"
    proc = subprocess.Popen(QSCAFFOLD + ["migrate", "up", "--database", str(db), "--dir", str(mig)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(tmp_path))
    for _ in range(3000):
        if started.exists():
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "Applied v1" in out
    assert "Interrupted: the database is at version 1" in err and "Traceback" not in err
    assert version(db) == 1 and "slow" not in tables(db)
