"""Progress on a terminal for long work: the running migration and time, the lock wait.

These run the real command in a subprocess whose stderr is a pseudo-terminal, as a user's
shell would give it; pipes (and --json) must get no progress noise at all.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from support import table_migrations, write_migration

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")


@pytest.fixture
def project(tmp_path):
    write_migration(tmp_path / "migrations", 1, "slow", "", body=(
        "import time\n\n\n"
        "def up(db):\n"
        "    time.sleep(0.9)\n"
        "    db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)')\n\n\n"
        "def down(db):\n"
        "    db.exec('DROP TABLE IF EXISTS t')\n"))
    return tmp_path


def qscaffold(project, *args, stderr_tty: bool = True, before=None):
    """Run ``qscaffold ARGS``; stdout is a pipe, stderr a terminal (or a pipe)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QSCAFFOLD_")}
    env["PYTHONIOENCODING"] = "utf-8"
    if not stderr_tty:
        result = subprocess.run([sys.executable, "-m", "qscaffold", *args], cwd=project, env=env,
                                capture_output=True, text=True, timeout=120)
        return result.returncode, result.stdout, result.stderr
    master, slave = os.openpty()
    chunks: list[bytes] = []

    def drain():
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        process = subprocess.Popen([sys.executable, "-m", "qscaffold", *args], cwd=project, env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
        if before is not None:
            before(process)
        stdout, _ = process.communicate(timeout=120)
    finally:
        os.close(slave)
        reader.join(timeout=5)
        os.close(master)
    return process.returncode, stdout.decode(), b"".join(chunks).decode("ascii", "replace")


def test_a_long_migration_shows_itself_with_its_time_on_a_terminal(project):
    code, out, err = qscaffold(project, "migrate", "up")
    assert code == 0, err
    assert "running up v1: 001-slow.py (" in err and " s)" in err
    assert "Applied v1: Slow" in out
    assert "running" not in out


@pytest.mark.parametrize("args", [["migrate", "up"], ["migrate", "up", "--json"]])
def test_pipes_get_no_progress(project, args):
    code, out, err = qscaffold(project, *args, stderr_tty=False)
    assert code == 0
    assert "running" not in err and "\r" not in err and "\x1b" not in err
    assert err == ""


def test_json_on_a_terminal_gets_no_progress(project):
    code, out, err = qscaffold(project, "migrate", "up", "--json")
    assert code == 0
    assert "running" not in err


def test_waiting_for_another_process_s_lock_is_said(project):
    holder = sqlite3.connect(project / "data.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    def release_later(process):
        time.sleep(1.6)
        holder.execute("COMMIT")

    try:
        code, out, err = qscaffold(project, "migrate", "up", "--database", "data.db",
                                   before=release_later)
    finally:
        holder.close()
    assert code == 0, err
    assert "waiting for the database lock held by another process (timeout 30 s)" in err
    assert "Applied v1: Slow" in out


def test_verify_shows_each_migration_as_it_checks_it(project):
    table_migrations(project / "migrations", 1, start=2)
    code, out, err = qscaffold(project, "migrate", "verify", "--fresh")
    assert code == 0, out + err
    assert "checking v1: 001-slow.py (up, down, up)" in err
