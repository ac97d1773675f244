"""A bounded fault-injection run: `migrate up` / `down` killed (SIGKILL) at random moments,
rollback journal and WAL, and after every kill the database is exactly at one of its versions
(integrity, foreign keys, history and version, schema and rows of that version). The long run
is `python benchmarks/fault_injection.py --kills N`; the checks are the same."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def faults():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import fault_injection
    finally:
        sys.path.remove(str(BENCHMARKS))
    return fault_injection


@pytest.mark.parametrize("mode", ["delete", "wal"])
def test_kills_at_random_moments_leave_a_database_at_one_of_its_versions(faults, tmp_path, mode):
    figures = faults.run(16, mode=mode, seed=13, work=tmp_path)
    assert figures.violations == []
    assert figures.kills >= 12, figures.line(mode)


def test_the_checks_see_a_cascade_into_the_children(faults, tmp_path):
    """The check is not blind: a parent rebuilt with foreign keys enforced (the trap the runner
    avoids) deletes the children, and the check says so."""
    import sqlite3

    folder = faults.write_migrations(tmp_path / "migrations")
    schemas = faults.reference_schemas(folder, tmp_path)
    db = tmp_path / "reference.db"  # at the newest version
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("DELETE FROM parent WHERE id <= 10")
    conn.commit()
    conn.close()
    version, problems = faults.check(db, folder, schemas)
    assert version == faults.LATEST
    assert any("children" in p for p in problems)
