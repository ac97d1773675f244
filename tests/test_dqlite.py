"""``dqlite://`` databases on a real 3-node dqlite cluster on 127.0.0.1.

Skipped, with the reason, where Python 3.13, the dqlite client or ``dqlite-demo`` is missing;
``.ci/run`` installs go-dqlite and runs this file in a Python 3.13 venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
from click.testing import CliRunner

from dqlite_cluster import Cluster, why_not
from qscaffold.cli import main
from support import write_migration

REQUIRED = os.environ.get("QSCAFFOLD_REQUIRE_DQLITE") == "1"  # set by .ci/run: skipping is failing
pytestmark = pytest.mark.skipif(why_not() is not None and not REQUIRED, reason=why_not() or "")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("dqlite")).start()
    print(f"\n3-node dqlite cluster ready in {c.ready_seconds:.1f} s")
    yield c
    c.stop()


@pytest.fixture
def name():
    """A database of its own for each test."""
    return f"t{uuid.uuid4().hex[:12]}"


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def qscaffold(*args, timeout=120):
    """The real command in its own process (for what kills nodes or runs concurrently)."""
    return subprocess.run([sys.executable, "-m", "qscaffold", *args], capture_output=True, text=True,
                          timeout=timeout)


def parents_and_children(folder):
    write_migration(folder, 1, "parents", """
        CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, legacy TEXT);
        CREATE TABLE child (id INTEGER PRIMARY KEY,
                            parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE);
        INSERT INTO parent VALUES (1, 'a', 'x'), (2, 'b', 'y');
        INSERT INTO child (parent_id) VALUES (1), (1), (2);
    """, "DROP TABLE child; DROP TABLE parent")


def test_migrate_and_status(cluster, project, name):
    parents_and_children(project / "migrations")
    write_migration(project / "migrations", 2, "add-email", "ALTER TABLE parent ADD COLUMN email TEXT",
                    "ALTER TABLE parent DROP COLUMN email")
    url = cluster.url(name)
    before = json.loads(run("migrate", "status", "--database", url, "--json").output)
    assert before["database"] == url and before["current_version"] == 0 and before["pending"] == 2

    dry = run("migrate", "up", "--dry-run", "--database", url)
    assert dry.exit_code == 0 and "2 migration(s) would apply" in dry.output
    assert cluster.query(name, "SELECT count(*) FROM sqlite_master WHERE name = 'parent'") == [(0,)]

    up = run("migrate", "up", "--database", url)
    assert up.exit_code == 0, up.output
    assert up.output.splitlines()[-1] == "Applied 2 migration(s); schema version is now 2."
    assert cluster.query(name, "SELECT version FROM migration_history ORDER BY 1") == [(1,), (2,)]

    status = run("migrate", "status", "--database", url)
    assert f"Database: {url}" in status.output and "Current schema version: 2" in status.output
    assert "Applied: 2\nPending: 0" in status.output

    verify = run("migrate", "verify", "--database", url)
    assert verify.exit_code == 0, verify.output
    assert f"on a copy of {url} (version 2)" in verify.output

    down = run("migrate", "down", "--yes", "--database", url)
    assert down.exit_code == 0, down.output
    assert f"Backup written to {name}.dqlite.v2-" in down.output
    backups = list(project.glob(f"{name}.dqlite.v2-*.bak"))
    assert len(backups) == 1
    import sqlite3

    copy = sqlite3.connect(backups[0])
    assert copy.execute("SELECT count(*) FROM child").fetchone() == (3,)
    copy.close()
    assert cluster.query(name, "SELECT value FROM metadata WHERE key = 'schema_version'") == [("1",)]

    assert run("migrate", "stamp", "2", "--yes", "--database", url).exit_code == 0
    assert cluster.query(name, "SELECT value FROM metadata WHERE key = 'schema_version'") == [("2",)]
    (project / "migrations" / "002-add-email.py").write_text(
        (project / "migrations" / "002-add-email.py").read_text() + "# a comment\n")
    repair = run("migrate", "repair", "--yes", "--database", url)
    assert repair.exit_code == 0 and "Repaired 1 migration(s)." in repair.output


def test_the_url_can_come_from_pyproject(cluster, project, name):
    (project / "pyproject.toml").write_text(f'[tool.qscaffold]\ndatabase = "{cluster.url(name)}"\n')
    parents_and_children(project / "migrations")
    result = run("migrate", "up")
    assert result.exit_code == 0, result.output
    assert cluster.query(name, "SELECT count(*) FROM child") == [(3,)]


def test_a_migration_that_breaks_foreign_keys_is_rolled_back(cluster, project, name):
    parents_and_children(project / "migrations")
    write_migration(project / "migrations", 2, "orphans", "DELETE FROM parent WHERE id = 1")
    result = run("migrate", "up", "--database", cluster.url(name))
    assert result.exit_code == 1
    assert "002-orphans.py: up() broke foreign keys: child rowid 1 references a missing row in parent" in result.output
    assert "the database stays at version 1" in result.output
    assert cluster.query(name, "SELECT count(*) FROM parent") == [(2,)]
    assert cluster.query(name, "SELECT value FROM metadata WHERE key = 'schema_version'") == [("1",)]


def test_a_parent_rebuild_keeps_its_on_delete_cascade_children(cluster, project, name):
    parents_and_children(project / "migrations")
    write_migration(project / "migrations", 2, "rebuild-parent", """
        CREATE TABLE new_parent (id INTEGER PRIMARY KEY, name TEXT);
        INSERT INTO new_parent (id, name) SELECT id, name FROM parent;
        DROP TABLE parent;
        ALTER TABLE new_parent RENAME TO parent;
    """)
    # Foreign keys are ON by default on dqlite: without the runner switching them off (an
    # exec, not a query), DROP TABLE parent would delete every child.
    result = run("migrate", "up", "--database", cluster.url(name))
    assert result.exit_code == 0, result.output
    assert cluster.query(name, "SELECT count(*) FROM child") == [(3,)]
    assert cluster.query(name, "SELECT name FROM pragma_table_info('parent')") == [("id",), ("name",)]
    assert cluster.query(name, "PRAGMA foreign_key_check") == []


def test_three_ups_through_different_nodes_apply_each_migration_once(cluster, project, name):
    folder = project / "migrations"
    write_migration(folder, 1, "runs", "CREATE TABLE runs (version INTEGER)")
    for v in range(2, 7):
        write_migration(folder, v, f"step-{v}", f"INSERT INTO runs VALUES ({v}); CREATE TABLE s{v} (x)")
    procs = [subprocess.Popen([sys.executable, "-m", "qscaffold", "migrate", "up", "--database",
                               cluster.url(name, node), "--dir", str(folder)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for node in cluster.nodes]
    outcomes = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert [rc for _, _, rc in outcomes] == [0, 0, 0], outcomes
    assert cluster.query(name, "SELECT version FROM runs ORDER BY 1") == [(v,) for v in range(2, 7)]
    assert cluster.query(name, "SELECT version FROM migration_history ORDER BY 1") == [(v,) for v in range(1, 7)]
    applied = sum(out.count("✓ Applied") for out, _, _ in outcomes)
    assert applied == 6


def test_returning_is_refused_and_the_cluster_is_unharmed(cluster, project, name):
    folder = project / "migrations"
    parents_and_children(folder)
    url = cluster.url(name)
    assert run("migrate", "up", "--database", url).exit_code == 0
    write_migration(folder, 2, "returning", "", body=(
        "def up(db):\n    db.execute(\"INSERT INTO parent (name) VALUES ('c') RETURNING id\")\n"))
    refused = run("migrate", "up", "--database", url)
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        f"Error: {folder / '002-returning.py'}: uses RETURNING, which dqlite cannot run: RETURNING is "
        "refused on dqlite: libdqlite 1.11 aborts the leader on it (go-dqlite issue 192); read the "
        "rows with a SELECT instead; nothing was run")
    dry = run("migrate", "up", "--dry-run", "--database", url)
    assert dry.exit_code == 1 and "uses RETURNING" in dry.output

    # Built at run time, where no reading of the file can see it: refused before it is sent.
    write_migration(folder, 2, "returning", "", body=(
        "def up(db):\n    db.execute(\"INSERT INTO parent (name) VALUES ('c')\")\n"
        "    db.execute(\"INSERT INTO parent (name) VALUES ('d') \" + 'RET' + 'URNING id')\n"))
    failed = run("migrate", "up", "--database", url)
    assert failed.exit_code == 1
    assert "002-returning.py:7: up() failed: NotSupportedError: RETURNING is refused on dqlite" in failed.output
    assert "rolled back, the database stays at version 1" in failed.output

    # Named parameters: a plain refusal too.
    write_migration(folder, 2, "returning", "", body=(
        "def up(db):\n    db.execute('INSERT INTO parent (name) VALUES (:n)', {'n': 'e'})\n"))
    named = run("migrate", "up", "--database", url)
    assert named.exit_code == 1 and "named parameters (:name) are not supported by dqlite" in named.output

    assert all(n.process.poll() is None for n in cluster.nodes), "every node is still running"
    assert cluster.query(name, "SELECT count(*) FROM parent") == [(2,)]
    assert json.loads(run("migrate", "status", "--database", url, "--json").output)["current_version"] == 1


def test_a_leader_killed_mid_migration_loses_nothing_and_a_rerun_finishes(tmp_path_factory, project, name):
    cluster = Cluster(tmp_path_factory.mktemp("dqlite-failover")).start()
    try:
        folder = project / "migrations"
        write_migration(folder, 1, "first", "CREATE TABLE first (x); INSERT INTO first VALUES (1)")
        leader = cluster.leader()
        pid_file, marker = project / "leader.pid", project / "killed"
        pid_file.write_text(str(leader.process.pid))
        write_migration(folder, 2, "second", "", body=(
            "import os, pathlib, signal, time\n\n"
            "def up(db):\n"
            "    db.exec('CREATE TABLE second (x); INSERT INTO second VALUES (1)')\n"
            f"    marker = pathlib.Path({str(marker)!r})\n"
            "    if not marker.exists():\n"
            "        marker.touch()\n"
            f"        os.kill(int(pathlib.Path({str(pid_file)!r}).read_text()), signal.SIGKILL)\n"
            "        time.sleep(0.5)\n"
            "    db.exec('INSERT INTO second VALUES (2)')\n"))
        url = cluster.url(name)
        first = qscaffold("migrate", "up", "--database", url, "--dir", str(folder))
        assert first.returncode == 1, first
        assert "Traceback" not in first.stderr
        error = first.stderr.strip().splitlines()
        assert len(error) == 1 and error[0].startswith(f"Error: {url}: ")
        assert "the connection to the cluster was lost" in error[0]
        assert "✓ Applied v1: First" in first.stdout

        started = time.monotonic()
        rerun = qscaffold("migrate", "up", "--database", url, "--dir", str(folder))
        failover = time.monotonic() - started
        print(f"\nrerun after the leader was killed finished in {failover:.1f} s")
        assert rerun.returncode == 0, rerun
        assert "✓ Applied v2: Second" in rerun.stdout and "v1" not in rerun.stdout
        assert cluster.query(name, "SELECT x FROM first") == [(1,)]
        assert cluster.query(name, "SELECT x FROM second ORDER BY 1") == [(1,), (2,)]
        assert cluster.query(name, "SELECT version FROM migration_history ORDER BY 1") == [(1,), (2,)]
        assert cluster.leader() is not leader
    finally:
        cluster.stop()


def test_bad_urls_and_a_missing_cluster_are_one_line(project, name):
    bad = run("migrate", "status", "--database", "dqlite://nohost/app")
    assert bad.exit_code == 2
    assert bad.output.strip() == ("Error: dqlite://nohost/app: not a dqlite URL; write "
                                  "dqlite://HOST:PORT[,HOST:PORT...]/NAME")
    unknown = run("migrate", "status", "--database", "rqlite://127.0.0.1:4001/app")
    assert unknown.exit_code == 2 and "unknown database URL scheme 'rqlite'" in unknown.output


def test_a_fleet_of_cluster_databases_with_single_transactions(cluster, project):
    folder = project / "migrations"
    parents_and_children(folder)
    write_migration(folder, 2, "tags", "CREATE TABLE tags (id INTEGER PRIMARY KEY)")
    good, bad = f"g{uuid.uuid4().hex[:10]}", f"b{uuid.uuid4().hex[:10]}"
    # The bad tenant already has a table 'tags': migration 2 fails there, and with
    # --single-transaction migration 1 is undone with it.
    write_migration(project / "setup", 1, "tags", "CREATE TABLE tags (id INTEGER PRIMARY KEY)")
    assert run("migrate", "up", "--dir", "setup", "--database", cluster.url(bad)).exit_code == 0
    assert run("migrate", "stamp", "0", "--yes", "--dir", "setup", "--database", cluster.url(bad)).exit_code == 0
    result = run("migrate", "up", "--single-transaction", "--jobs", "2",
                 "--database", cluster.url(good), "--database", cluster.url(bad))
    assert result.exit_code == 1, result.output
    assert "1 migrated, 1 failed, 0 already current" in result.output
    assert f"  ✗ {cluster.url(bad)}: " in result.output and "table tags already exists" in result.output
    assert cluster.query(good, "SELECT version FROM migration_history ORDER BY 1") == [(1,), (2,)]
    assert cluster.query(bad, "SELECT count(*) FROM sqlite_master WHERE name IN ('parent', 'child')") == [(0,)]
    assert cluster.query(bad, "SELECT count(*) FROM migration_history") == [(0,)]
