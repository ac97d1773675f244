"""Fault injection: SIGKILL `qscaffold migrate up` / `down` at random moments and check, after
every kill, that the database is exactly at one of its versions.

    python benchmarks/fault_injection.py [--kills N] [--seed S] [--modes delete,wal]

After each kill the database is opened as the next process would open it (a hot journal or
WAL is recovered) and checked:

- ``PRAGMA integrity_check`` says ok, ``PRAGMA foreign_key_check`` is empty;
- the bookkeeping agrees with itself: ``schema_version`` = the newest history row, the
  history holds exactly the versions 1..V, its row count is the one recorded;
- the schema is exactly the one a clean run has at version V, and the rows are those of
  version V (the parent rebuild never cascaded into the children, the data migration is
  applied whole or not at all).

The migrations: a parent table with 2,000 rows and a child table with 10,000 rows that
reference it ON DELETE CASCADE; an UPDATE of every child row; a rebuild of the parent (new
table, copy, DROP, RENAME -- the cascade trap); an index; a new column filled by an UPDATE.
The suite runs a bounded version (tests/test_fault_injection.py); this script is the long one.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PARENTS, CHILDREN = 2000, 10_000

MIGRATIONS = {
    "001-create-parent-and-child.py": '''
name = "Create parent and child"
version = 1


def up(db):
    db.exec("""
        CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE child (id INTEGER PRIMARY KEY,
                            parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE,
                            v INTEGER NOT NULL);
    """)
    db.executemany("INSERT INTO parent (id, name) VALUES (?, ?)", [(i, f"p{i}") for i in range(1, %(parents)d + 1)])
    db.executemany("INSERT INTO child (parent_id, v) VALUES (?, ?)",
                   [(i %% %(parents)d + 1, i) for i in range(%(children)d)])


def down(db):
    db.exec("DROP TABLE child; DROP TABLE parent")
''',
    "002-bump-child-values.py": '''
name = "Bump child values"
version = 2


def up(db):
    db.execute("UPDATE child SET v = v + 1")


def down(db):
    db.execute("UPDATE child SET v = v - 1")
''',
    "003-rebuild-parent.py": '''
name = "Rebuild parent"
version = 3


def up(db):
    db.exec("""
        CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, label TEXT NOT NULL DEFAULT '');
        INSERT INTO parent_new (id, name, label) SELECT id, name, upper(name) FROM parent;
        DROP TABLE parent;
        ALTER TABLE parent_new RENAME TO parent;
    """)


def down(db):
    db.exec("""
        CREATE TABLE parent_old (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        INSERT INTO parent_old (id, name) SELECT id, name FROM parent;
        DROP TABLE parent;
        ALTER TABLE parent_old RENAME TO parent;
    """)
''',
    "004-index-child-values.py": '''
name = "Index child values"
version = 4


def up(db):
    db.exec("CREATE INDEX child_v ON child (v)")


def down(db):
    db.exec("DROP INDEX child_v")
''',
    "005-add-child-note.py": '''
name = "Add child note"
version = 5


def up(db):
    db.exec("ALTER TABLE child ADD COLUMN note TEXT")
    db.execute("UPDATE child SET note = 'n' || v")


def down(db):
    db.exec("ALTER TABLE child DROP COLUMN note")
''',
}
LATEST = len(MIGRATIONS)


def write_migrations(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in MIGRATIONS.items():
        (folder / name).write_text(text.lstrip() % {"parents": PARENTS, "children": CHILDREN})
    return folder


def qscaffold(*args) -> list[str]:
    return [sys.executable, "-m", "qscaffold", "migrate", *map(str, args)]


def _env() -> dict:
    env = dict(os.environ)
    env.pop("QSCAFFOLD_DATABASE", None)
    env.pop("QSCAFFOLD_MIGRATIONS", None)
    return env


def schema_of(conn: sqlite3.Connection) -> list[tuple]:
    """The structure, from the pragmas (a down may write the same table with other quoting)."""
    out = []
    objects = conn.execute(
        "SELECT type, name, tbl_name FROM sqlite_master "
        "WHERE name NOT IN ('metadata', 'migration_history') AND name NOT LIKE 'sqlite_%' "
        "ORDER BY type, name"
    ).fetchall()
    for kind, name, table in objects:
        out.append((kind, name.lower(), table.lower()))
        if kind == "table":
            out.append(tuple(conn.execute(f"SELECT * FROM pragma_table_xinfo('{name}')")))
            out.append(tuple(conn.execute(
                f"SELECT lower(\"table\"), \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{name}')")))
            out.append(tuple(conn.execute(
                f"SELECT i.name, x.name FROM pragma_index_list('{name}') i, pragma_index_info(i.name) x "
                "ORDER BY i.name, x.seqno")))
    return out


def reference_schemas(folder: Path, work: Path) -> dict[int, list[tuple]]:
    """The schema a clean run has at each version."""
    db = work / "reference.db"
    out = {0: []}
    for v in range(1, LATEST + 1):
        subprocess.run(qscaffold("up", "--to", v, "--database", db, "--dir", folder), check=True,
                       capture_output=True, env=_env())
        conn = sqlite3.connect(db)
        out[v] = schema_of(conn)
        conn.close()
    return out


@dataclass
class Figures:
    kills: int = 0
    runs_finished: int = 0  # the process ended before the kill
    violations: list[str] = field(default_factory=list)
    versions_seen: dict[int, int] = field(default_factory=dict)

    def line(self, label: str) -> str:
        seen = ", ".join(f"v{v}: {n}" for v, n in sorted(self.versions_seen.items()))
        return (f"{label}: {self.kills} kills, {self.runs_finished} runs ended before their kill, "
                f"{len(self.violations)} violations; versions after a kill: {seen}")


def check(db: Path, folder: Path, schemas: dict[int, list[tuple]]) -> tuple[int, list[str]]:
    """The version the database is at, and everything wrong with it."""
    problems = []
    conn = sqlite3.connect(db, timeout=30)
    try:
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            problems.append(f"integrity_check: {integrity[:3]}")
        keys = conn.execute("PRAGMA foreign_key_check").fetchall()
        if keys:
            problems.append(f"foreign_key_check: {len(keys)} rows, e.g. {keys[:2]}")
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version, history, rows = 0, [], None
        if "metadata" in names:
            meta = dict(conn.execute("SELECT key, value FROM metadata"))
            version = int(meta.get("schema_version", 0))
            rows = meta.get("migration_history_rows")
        if "migration_history" in names:
            history = [r[0] for r in conn.execute("SELECT version FROM migration_history ORDER BY version")]
        if history != list(range(1, version + 1)):
            problems.append(f"history {history} does not match schema_version {version}")
        if rows is not None and int(rows) != len(history):
            problems.append(f"history has {len(history)} rows, {rows} recorded")
        if schema_of(conn) != schemas.get(version):
            problems.append(f"schema differs from a clean run at version {version}")
        if version >= 1:
            parents = conn.execute("SELECT count(*) FROM parent").fetchone()[0]
            children, total = conn.execute("SELECT count(*), sum(v) FROM child").fetchone()
            expected_total = sum(range(CHILDREN)) + (CHILDREN if version >= 2 else 0)
            if (parents, children) != (PARENTS, CHILDREN):
                problems.append(f"rows: {parents} parents, {children} children")
            if total != expected_total:
                problems.append(f"sum(child.v) is {total}, not {expected_total} (version {version})")
            if version >= 5:
                unfilled = conn.execute("SELECT count(*) FROM child WHERE note IS NULL").fetchone()[0]
                if unfilled:
                    problems.append(f"{unfilled} child notes not filled at version 5")
        return version, problems
    finally:
        conn.close()


def run(kills: int, *, mode: str, seed: int, work: Path, max_delay: float = 1.0,
        log=lambda line: None) -> Figures:
    """``kills`` SIGKILLs of up / down runs on one database in journal ``mode``.

    A run that ends before its kill does not count: runs go on until ``kills`` of them were
    killed, at most three times as many runs (a loaded machine makes run times vary)."""
    rng = random.Random(seed)
    folder = write_migrations(work / "migrations")
    schemas = reference_schemas(folder, work)
    db = work / f"fault-{mode}.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA journal_mode = {mode}")
    conn.close()
    figures = Figures()
    typical = 0.3  # how long a run that was not killed took, to aim the kills inside runs
    n = -1
    while figures.kills < kills and n + 1 < 3 * kills:
        n += 1
        version, _ = check(db, folder, schemas)
        if version == 0 or (version < LATEST and rng.random() < 0.6):
            argv = qscaffold("up", "--database", db, "--dir", folder)
        else:
            argv = qscaffold("down", "--steps", rng.randint(1, version), "--yes", "--no-backup",
                             "--database", db, "--dir", folder)
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env())
        deadline = started + rng.uniform(0.02, 0.95 * min(max_delay, typical))
        while time.perf_counter() < deadline and proc.poll() is None:
            time.sleep(0.003)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            figures.kills += 1
        else:
            figures.runs_finished += 1
            # Aim the next kills inside a run: the runs that ended show how long one takes.
            typical = max(0.05, 0.5 * typical + 0.5 * (time.perf_counter() - started))
            err = proc.stderr.read().decode(errors="replace")
            if proc.returncode != 0:
                figures.violations.append(f"run {n}: {' '.join(argv[3:4])} exited {proc.returncode}: {err[-300:]}")
        proc.wait()
        proc.stderr.close()
        version, problems = check(db, folder, schemas)
        figures.versions_seen[version] = figures.versions_seen.get(version, 0) + 1
        for p in problems:
            figures.violations.append(f"run {n} ({mode}, at v{version}): {p}")
            log(f"VIOLATION run {n} ({mode}, at v{version}): {p}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=300, help="SIGKILLs per journal mode")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--modes", default="delete,wal")
    args = parser.parse_args()
    total = 0
    started = time.perf_counter()
    for mode in args.modes.split(","):
        with tempfile.TemporaryDirectory(prefix="qscaffold-faults-") as tmp:
            figures = run(args.kills, mode=mode, seed=args.seed, work=Path(tmp), log=print)
        print(figures.line(f"journal_mode={mode}"), flush=True)
        for v in figures.violations[:20]:
            print("  ", v)
        total += len(figures.violations)
    print(f"total violations: {total} ({time.perf_counter() - started:.0f} s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
