"""Smoke test of ``benchmarks/run.py --quick``: it runs, prints its table and writes valid JSON.

No time is asserted: the numbers depend on the machine. Peers that are not installed
(the ``bench`` extra) and commands that do not exist yet are reported as skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "run.py"


def _measurement_names() -> list[str]:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import run
    finally:
        sys.path.remove(str(SCRIPT.parent))
    return list(run.MEASUREMENTS)


def test_quick_run_prints_the_table_and_writes_every_measurement(tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--rounds", "1", "--json", str(out)],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ratios are qscaffold ÷ reference" in proc.stdout
    data = json.loads(out.read_text())
    names = _measurement_names()
    assert [m["name"] for m in data["measurements"]] == names
    for m in data["measurements"]:
        # "error" means a qscaffold command failed inside the benchmark: that is a bug here.
        assert m["status"] in ("ok", "skipped"), m
        assert f"== {m['name']}:" in proc.stdout
        assert m["targets"], m["name"]
        for target in m["targets"]:
            assert target["skipped"] or target["met"] is not None or target["kind"] == "info", target
        for command in m["commands"]:
            assert command["skipped"] or command["runs"], command
    assert data["quick"] is True


def test_only_selects_measurements(tmp_path):
    out = tmp_path / "only.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--rounds", "1", "--only", "startup-*", "--json", str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = [m["name"] for m in json.loads(out.read_text())["measurements"]]
    assert names == ["startup-help", "startup-status"]


# -- the speed-ups keep the runner's guarantees ---------------------------------------------
#
# After the first migration of a run, the runner checks foreign keys only in the tables a
# migration wrote and in their children (see runner._ForeignKeyScope). Each case below runs a
# few harmless migrations first, so the last one is checked that way, and must still be
# refused when it leaves a dangling reference.

import pytest  # noqa: E402

from qscaffold import MigrationRunner  # noqa: E402
from qscaffold.errors import ForeignKeyViolation  # noqa: E402

_BASE = ("CREATE TABLE p (id INTEGER PRIMARY KEY);"
         "CREATE TABLE c (id INTEGER PRIMARY KEY, pid INT REFERENCES p(id));"
         "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1)")
_REBUILD_P = ("CREATE TABLE p2 (id INTEGER PRIMARY KEY); INSERT INTO p2 SELECT id {shift} FROM p;"
              "DROP TABLE p; ALTER TABLE p2 RENAME TO p")
_CASES = {
    "delete-parent-rows": (["DELETE FROM p"], True),
    "insert-orphan": (["INSERT INTO c VALUES (2, 9)"], True),
    "drop-parent": (["DROP TABLE p"], True),
    "orphans-renamed-into-place": ([
        "CREATE TABLE tmp (id INTEGER PRIMARY KEY, pid INT REFERENCES p(id));"
        "INSERT INTO tmp VALUES (5, 77); ALTER TABLE tmp RENAME TO c2"], True),
    "parent-rebuild-losing-rows": ([_REBUILD_P.format(shift="+ 1")], True),
    "parent-rebuild-keeping-rows": ([_REBUILD_P.format(shift="")], False),
    "trigger-deletes-parents": ([
        "CREATE TRIGGER tr AFTER INSERT ON x BEGIN DELETE FROM p; END; INSERT INTO x VALUES (1)"], True),
    "fk-column-added-to-empty-table": (["ALTER TABLE x ADD COLUMN pid INT REFERENCES p(id) DEFAULT 42"], False),
    "fk-column-added-to-rows": (["INSERT INTO x VALUES (1)",
                                 "ALTER TABLE x ADD COLUMN pid INT REFERENCES p(id) DEFAULT 42"], True),
    "new-child-then-orphan": (["CREATE TABLE y (id INTEGER PRIMARY KEY, pid INT REFERENCES p(id))",
                               "INSERT INTO y VALUES (1, 5)"], True),
    "parent-key-updated": (["CREATE TABLE y (id INTEGER PRIMARY KEY, pid INT REFERENCES p(id))",
                            "INSERT INTO y VALUES (1, 1)", "UPDATE p SET id = 3"], True),
    "same-statement-text-twice": (["INSERT INTO p VALUES (2)", "DELETE FROM p WHERE id = 1"], True),
    "unrelated-table": (["INSERT INTO x VALUES (1)"], False),
}


@pytest.mark.parametrize("case", sorted(_CASES))
def test_a_later_migration_that_leaves_dangling_references_is_refused(tmp_path, case):
    steps, refused = _CASES[case]
    steps = [_BASE, "CREATE TABLE x (a)", "CREATE TABLE unrelated (a)", *steps]
    folder = tmp_path / "m"
    folder.mkdir()
    for version, sql in enumerate(steps, 1):
        (folder / f"{version:03d}-step-{version}.py").write_text(
            f"name = 'step {version}'\nversion = {version}\n\n\ndef up(db):\n    db.exec({sql!r})\n")
    with MigrationRunner(str(tmp_path / "app.db"), folder) as runner:
        if refused:
            with pytest.raises(ForeignKeyViolation) as info:
                runner.run_migrations()
            assert info.value.version == len(steps)
            assert runner.get_current_version() == len(steps) - 1
        else:
            runner.run_migrations()
            assert runner.get_current_version() == len(steps)


def test_help_and_status_import_neither_sqlglot_nor_jinja2(tmp_path):
    code = (
        "import sys\n"
        "from qscaffold.cli import main\n"
        "for args in (['--help'], ['migrate', 'status', '--database', sys.argv[1], '--dir', sys.argv[2]]):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlglot', 'jinja2', 'logging'))\n"
        "print('HEAVY', heavy)\n"
    )
    (tmp_path / "m").mkdir()
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "app.db"), str(tmp_path / "m")],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr
