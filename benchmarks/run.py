"""Measure qscaffold against the tools users would pick instead.

    python benchmarks/run.py [--quick] [--json PATH] [--only NAME...] [--rounds N]

Every workload is generated in a temporary folder. Each command runs as a whole process
(``subprocess``), several times; the commands of one comparison are interleaved (A B A B …)
so that the machine's drift hits all of them alike. Wall time is ``time.perf_counter``
around the process, peak RSS comes from ``os.wait4`` (the child's own ``ru_maxrss``).
The table shows medians and ratios; a ratio is qscaffold ÷ reference, taken round by
round (pairwise) and then the median of those. The results are also written as JSON
(default ``benchmarks/results/latest.json``).

Peers (yoyo-migrations, alembic, sqlfluff, sqlite-utils) come from the ``bench`` extra:
``pip install -e '.[bench]'``. A comparison whose peer is missing is reported as skipped.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_JSON = HERE / "results" / "latest.json"
BIN = Path(sys.executable).parent
INSTALL_HINT = "pip install -e '.[bench]'"
TIMEOUT = 900  # seconds, for any one command

PEERS = {  # distribution -> (import name, console script or None)
    "yoyo-migrations": ("yoyo", "yoyo"),
    "alembic": ("alembic", "alembic"),
    "sqlfluff": ("sqlfluff", "sqlfluff"),
    "sqlite-utils": ("sqlite_utils", None),
}


# -- sizes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    migrations: int
    scale_migrations: int
    lint_files: int
    sqlfluff_statements: int
    drop_rows: int
    rounds: int
    slow_rounds: int
    verify_migrations: int = 150  # verify runs this many, and twice as many
    diff_tables: int = 1000  # tables of each schema in `schema-diff`; a tenth of them change
    long_statements: int = 8000  # lint-long-file: one file of this many statements vs a quarter
    tenants: int = 300
    fleet_migrations: int = 5
    memory_tenants: int = 10_000


FULL = Sizes(migrations=1000, scale_migrations=10_000, lint_files=1000, sqlfluff_statements=300,
             drop_rows=1_000_000, rounds=7, slow_rounds=3, verify_migrations=150, diff_tables=1000)
QUICK = Sizes(migrations=20, scale_migrations=200, lint_files=20, sqlfluff_statements=5,
              drop_rows=10_000, rounds=3, slow_rounds=2, verify_migrations=10, diff_tables=50,
              long_statements=400, tenants=20, memory_tenants=200)


# -- running processes ----------------------------------------------------------------


@dataclass
class Command:
    label: str
    argv: list[str]
    cwd: Path | None = None
    before: Callable[[], None] | None = None  # untimed, before every run (fresh database, …)
    ok_codes: tuple[int, ...] = (0,)
    skip: str | None = None  # why it cannot run here
    runs: list[dict] = field(default_factory=list)

    @property
    def walls(self) -> list[float]:
        return [r["wall_s"] for r in self.runs]

    @property
    def median(self) -> float | None:
        return statistics.median(self.walls) if self.runs else None

    @property
    def median_rss_kb(self) -> int | None:
        return int(statistics.median(r["max_rss_kb"] for r in self.runs)) if self.runs else None

    def to_dict(self) -> dict:
        return {"label": self.label, "argv": [str(a) for a in self.argv], "skipped": self.skip,
                "median_s": self.median, "median_max_rss_kb": self.median_rss_kb, "runs": self.runs}


class CommandFailed(Exception):
    pass


def bench_env() -> dict:
    env = dict(os.environ)
    # Migration folders are fresh: nobody gets a bytecode cache the others do not have.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env.pop("QSCAFFOLD_DATABASE", None)
    env.pop("QSCAFFOLD_MIGRATIONS", None)
    return env


def run_once(cmd: Command, out_dir: Path) -> dict:
    """One whole-process run: wall time, peak RSS and exit code."""
    if cmd.before:
        cmd.before()
    out_path = out_dir / "stdout.txt"
    err_path = out_dir / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([str(a) for a in cmd.argv], cwd=cmd.cwd, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, env=bench_env())
        watchdog = threading.Timer(TIMEOUT, proc.kill)  # a hung command fails, never hangs the run
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            watchdog.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in cmd.ok_codes:
        tail = (err_path.read_text(errors="replace").strip() or out_path.read_text(errors="replace").strip())
        tail = "\n".join(tail.splitlines()[-5:])
        raise CommandFailed(f"{cmd.label}: exit {proc.returncode}: {tail}")
    rss_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss // 1024
    return {"wall_s": round(wall, 6), "max_rss_kb": rss_kb, "exit": proc.returncode}


def interleave(commands: list[Command], rounds: int, out_dir: Path, *, warmup: bool = True) -> None:
    """Run the commands A B C A B C …; one untimed warm-up round first."""
    active = [c for c in commands if c.skip is None]
    if warmup:
        for cmd in active:
            run_once(cmd, out_dir)
    for _ in range(rounds):
        for cmd in active:
            cmd.runs.append(run_once(cmd, out_dir))


def pairwise_ratio(a: Command, b: Command) -> float | None:
    if not a.runs or not b.runs:
        return None
    return statistics.median(x / y for x, y in zip(a.walls, b.walls))


# -- results --------------------------------------------------------------------------


@dataclass
class Target:
    label: str  # e.g. "qscaffold ÷ plain sqlite3"
    kind: str  # "ratio_max", "ratio_min_speedup", "seconds_max", "flag"
    limit: float | None
    value: float | None = None
    skipped: str | None = None
    met: bool | None = None
    text: str = ""

    def to_dict(self) -> dict:
        return {"label": self.label, "kind": self.kind, "limit": self.limit, "value": self.value,
                "target": self.text, "met": self.met, "skipped": self.skipped}


def ratio_max(label: str, value: float | None, limit: float, skip: str | None = None) -> Target:
    t = Target(label, "ratio_max", limit, value, skip, text=f"≤ {limit:g}×")
    if value is not None and skip is None:
        t.met = value <= limit
    return t


def speedup_min(label: str, value: float | None, factor: float, skip: str | None = None) -> Target:
    """``value`` is qscaffold ÷ reference; the target asks qscaffold to be ``factor``× faster."""
    t = Target(label, "ratio_max", round(1 / factor, 6), value, skip,
               text=f"≤ {1 / factor:.3g}× ({factor:g}× faster)")
    if value is not None and skip is None:
        t.met = value <= 1 / factor
    return t


@dataclass
class Measurement:
    name: str
    title: str
    commands: list[Command] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    status: str = "ok"  # ok, skipped, error
    note: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "status": self.status, "note": self.note,
                "commands": [c.to_dict() for c in self.commands],
                "targets": [t.to_dict() for t in self.targets], "extra": self.extra}


# -- tools ----------------------------------------------------------------------------


def qscaffold_argv() -> list[str]:
    script = BIN / "qscaffold"
    return [str(script)] if script.exists() else [sys.executable, "-m", "qscaffold"]


def peer_missing(dist: str) -> str | None:
    import importlib.util

    module, script = PEERS[dist]
    if importlib.util.find_spec(module) is None or (script and not (BIN / script).exists()):
        return f"skipped: {dist} not installed ({INSTALL_HINT})"
    return None


_COMMANDS_CACHE: dict[str, bool] = {}


def qscaffold_has(command: str) -> bool:
    """Whether ``qscaffold COMMAND --help`` works (the command exists in this checkout)."""
    if command not in _COMMANDS_CACHE:
        proc = subprocess.run(qscaffold_argv() + [command, "--help"], capture_output=True, env=bench_env(),
                              timeout=60)
        _COMMANDS_CACHE[command] = proc.returncode == 0
    return _COMMANDS_CACHE[command]


def python(*args) -> list[str]:
    return [sys.executable, *map(str, args)]


# -- workloads ------------------------------------------------------------------------


def table_sql(i: int) -> tuple[str, str]:
    """The SQL of migration ``i``: one table (with a foreign key to the previous one) and
    one index, and the statement that undoes it."""
    parent = f"t{i - 1}" if i > 1 else "t1"
    up = (
        f"CREATE TABLE t{i} (\n"
        f"    id INTEGER PRIMARY KEY,\n"
        f"    parent_id INTEGER REFERENCES {parent}(id),\n"
        f"    name TEXT NOT NULL,\n"
        f"    created_at INTEGER NOT NULL\n"
        f");\n"
        f"CREATE INDEX idx_t{i}_name ON t{i}(name);"
    )
    return up, f"DROP TABLE t{i};"


def write_qscaffold_migrations(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        up, down = table_sql(i)
        (folder / f"{i:03d}-create-t{i}.py").write_text(
            f'"""Migration {i}: create t{i}."""\n\nname = "Create t{i}"\nversion = {i}\n\n\n'
            f"def up(db):\n    db.exec(\n        \"\"\"\n{textwrap.indent(up, ' ' * 8)}\n        \"\"\"\n    )\n\n\n"
            f"def down(db):\n    db.exec(\"{down}\")\n"
        )


def write_yoyo_migrations(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        up, down = table_sql(i)
        (folder / f"{i:05d}.create-t{i}.sql").write_text(up + "\n")
        (folder / f"{i:05d}.create-t{i}.rollback.sql").write_text(down + "\n")


def write_alembic_project(folder: Path, n: int, database: Path) -> Path:
    scripts = folder / "alembic"
    versions = scripts / "versions"
    versions.mkdir(parents=True)
    ini = folder / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = {scripts}\nsqlalchemy.url = sqlite:///{database}\n")
    (scripts / "env.py").write_text(textwrap.dedent("""\
        from alembic import context
        from sqlalchemy import create_engine

        engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
        with engine.connect() as connection:
            # One transaction per migration, as qscaffold and yoyo do.
            context.configure(connection=connection, transaction_per_migration=True)
            with context.begin_transaction():
                context.run_migrations()
        """))
    for i in range(1, n + 1):
        up, down = table_sql(i)
        statements = [s.strip() + "" for s in up.split(";") if s.strip()]
        body = "\n".join(f"    op.execute({s!r})" for s in statements)
        previous = repr(f"r{i - 1:05d}") if i > 1 else "None"
        (versions / f"r{i:05d}_create_t{i}.py").write_text(
            f'"""create t{i}"""\nfrom alembic import op\n\nrevision = "r{i:05d}"\n'
            f"down_revision = {previous}\nbranch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n{body}\n\n\ndef downgrade():\n    op.execute({down.rstrip(';')!r})\n"
        )
    return ini


PLAIN_UP = '''\
"""The reference: a plain sqlite3 loop over the migration modules, one transaction each,
or all in one transaction with a third argument `--one-transaction`."""
import importlib.util
import os
import sqlite3
import sys


class DB:
    def __init__(self, connection):
        self.connection = connection

    def exec(self, sql):
        for statement in sql.split(";"):
            if statement.strip():
                self.connection.execute(statement)


database, folder = sys.argv[1], sys.argv[2]
one_transaction = sys.argv[3:] == ["--one-transaction"]
conn = sqlite3.connect(database, isolation_level=None)
if one_transaction:
    conn.execute("BEGIN IMMEDIATE")
conn.execute("CREATE TABLE IF NOT EXISTS applied (version INTEGER PRIMARY KEY, name TEXT)")
done = {row[0] for row in conn.execute("SELECT version FROM applied")}
for filename in sorted(os.listdir(folder)):
    if not filename.endswith(".py"):
        continue
    version = int(filename.split("-")[0])
    if version in done:
        continue
    spec = importlib.util.spec_from_file_location(f"m{version}", os.path.join(folder, filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not one_transaction:
        conn.execute("BEGIN IMMEDIATE")
    module.up(DB(conn))
    conn.execute("INSERT INTO applied VALUES (?, ?)", (version, module.name))
    if not one_transaction:
        conn.execute("COMMIT")
    print(f"applied {filename}")
if one_transaction:
    conn.execute("COMMIT")
'''

PLAIN_FLEET_UP = '''\
"""The reference: one process, a plain sqlite3 loop over the tenant databases and the migration modules."""
import importlib.util
import os
import sqlite3
import sys


class DB:
    def __init__(self, connection):
        self.connection = connection

    def exec(self, sql):
        for statement in sql.split(";"):
            if statement.strip():
                self.connection.execute(statement)


folder, tenants = sys.argv[1], sys.argv[2]
modules = []
for filename in sorted(os.listdir(folder)):
    if filename.endswith(".py"):
        version = int(filename.split("-")[0])
        spec = importlib.util.spec_from_file_location(f"m{version}", os.path.join(folder, filename))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append((version, module))
for name in sorted(os.listdir(tenants)):
    conn = sqlite3.connect(os.path.join(tenants, name), isolation_level=None)
    conn.execute("CREATE TABLE IF NOT EXISTS applied (version INTEGER PRIMARY KEY, name TEXT)")
    done = {row[0] for row in conn.execute("SELECT version FROM applied")}
    for version, module in modules:
        if version in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        module.up(DB(conn))
        conn.execute("INSERT INTO applied VALUES (?, ?)", (version, module.name))
        conn.execute("COMMIT")
    conn.close()
    print(f"migrated {name}")
'''

PLAIN_STATUS = '''\
"""The reference: list the files and read the applied versions."""
import os
import sqlite3
import sys

database, folder = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(database)
applied = {row[0] for row in conn.execute("SELECT version FROM applied")}
files = sorted(f for f in os.listdir(folder) if f.endswith(".py"))
for filename in files:
    version = int(filename.split("-")[0])
    print(("applied " if version in applied else "pending ") + filename)
print(f"{len(applied)} applied, {len(files) - len(applied)} pending")
'''

BARE_LINT = '''\
"""The reference: ast.parse every file, sqlglot.parse every statement it passes to db.*."""
import ast
import os
import sys

import sqlglot

CALLS = {"exec", "execute", "executemany", "query"}
folder = sys.argv[1]
count = 0
for filename in sorted(os.listdir(folder)):
    if not filename.endswith(".py"):
        continue
    with open(os.path.join(folder, filename), "rb") as f:
        tree = ast.parse(f.read(), filename)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in CALLS and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            for statement in node.args[0].value.split(";"):
                if statement.strip():
                    sqlglot.parse(statement, read="sqlite")
                    count += 1
print(count, "statements")
'''

SQLITE_UTILS_DROP = '''\
import sys

import sqlite_utils

sqlite_utils.Database(sys.argv[1])[sys.argv[2]].transform(drop={sys.argv[3]})
'''


def lint_file_text(i: int) -> str:
    """A migration file of 4 or 5 statements (4.5 on average), lint-clean by intent."""
    if i % 2 == 1:
        up = (f"CREATE TABLE IF NOT EXISTS l{i} (\n    id INTEGER PRIMARY KEY,\n"
              f"    label TEXT NOT NULL DEFAULT '',\n    amount INTEGER NOT NULL DEFAULT 0,\n"
              f"    created_at INTEGER NOT NULL DEFAULT 0\n);\n"
              f"CREATE INDEX IF NOT EXISTS idx_l{i}_label ON l{i}(label);\n"
              f"INSERT INTO l{i} (label, amount) VALUES ('seed', 1);")
        down = f"DROP TABLE IF EXISTS l{i};"
    else:
        t = f"l{i - 1}"
        up = (f"ALTER TABLE {t} ADD COLUMN note TEXT;\n"
              f"CREATE INDEX IF NOT EXISTS idx_{t}_note ON {t}(note);\n"
              f"UPDATE {t} SET note = label WHERE note IS NULL;")
        down = f"DROP INDEX IF EXISTS idx_{t}_note;\nALTER TABLE {t} DROP COLUMN note;"
    return (f'"""Migration {i}."""\n\nname = "Lint workload {i}"\nversion = {i}\n\n\n'
            f"def up(db):\n    db.exec(\n        \"\"\"\n{textwrap.indent(up, ' ' * 8)}\n        \"\"\"\n    )\n\n\n"
            f"def down(db):\n    db.exec(\n        \"\"\"\n{textwrap.indent(down, ' ' * 8)}\n        \"\"\"\n    )\n")


def long_file_text(n: int) -> str:
    """One ``.sql`` migration of ``n`` statements, data-heavy: per 8 statements one table, one
    index, four inserts, an update and a delete."""
    lines = []
    for i in range(n):
        t, j = f"t{i // 8}", i % 8
        lines.append([
            f"CREATE TABLE IF NOT EXISTS {t} (id INTEGER PRIMARY KEY, label TEXT NOT NULL DEFAULT '', "
            "amount INTEGER NOT NULL DEFAULT 0);",
            f"CREATE INDEX IF NOT EXISTS idx_{t}_label ON {t} (label);",
            *(f"INSERT INTO {t} (label, amount) VALUES ('{c}{i}', {i});" for c in "abcd"),
            f"UPDATE {t} SET amount = amount + 1 WHERE label = 'a{i - 4}';",
            f"DELETE FROM {t} WHERE label = 'b{i - 4}';"][j])
    return "\n".join(lines) + "\n"


def lint_statements(i: int) -> list[str]:
    tree = ast.parse(lint_file_text(i))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.args[0] if node.args else None, ast.Constant):
            out += [textwrap.dedent(s).strip() for s in node.args[0].value.split(";") if s.strip()]
    return out


# -- measurements ---------------------------------------------------------------------


class Bench:
    def __init__(self, sizes: Sizes, work: Path, rounds: int | None) -> None:
        self.sizes = sizes
        self.work = work
        self.rounds = rounds or sizes.rounds
        self.slow_rounds = rounds or sizes.slow_rounds
        self.qs = qscaffold_argv()
        self._made: dict[str, object] = {}

    # workloads are made once and shared between measurements

    def migrations(self, n: int) -> Path:
        key = f"qs{n}"
        if key not in self._made:
            folder = self.work / f"migrations-{n}"
            write_qscaffold_migrations(folder, n)
            self._made[key] = folder
        return self._made[key]

    def script(self, name: str, text: str) -> Path:
        path = self.work / name
        if not path.exists():
            path.write_text(text)
        return path

    def fresh(self, *paths: Path) -> Callable[[], None]:
        def before() -> None:
            for p in paths:
                for suffix in ("", "-journal", "-wal", "-shm"):
                    Path(f"{p}{suffix}").unlink(missing_ok=True)
        return before

    def applied_db(self, n: int) -> Path:
        """A database with ``n`` migrations applied by qscaffold."""
        key = f"applied{n}"
        if key not in self._made:
            db = self.work / f"applied-{n}.db"
            subprocess.run(self.qs + ["migrate", "up", "--database", db, "--dir", self.migrations(n)],
                           check=True, capture_output=True, env=bench_env(), timeout=TIMEOUT)
            self._made[key] = db
        return self._made[key]

    # 1. migrate up

    def migrate_up(self) -> Measurement:
        n = self.sizes.migrations
        m = Measurement("migrate-up", f"`migrate up`, {n:,} migrations (CREATE TABLE + CREATE INDEX each), on disk")
        folder = self.migrations(n)
        qs_db, plain_db, yoyo_db, alembic_db = (self.work / f"up-{x}.db" for x in ("qs", "plain", "yoyo", "alembic"))
        qs = Command("qscaffold migrate up", self.qs + ["migrate", "up", "--database", qs_db, "--dir", folder],
                     before=self.fresh(qs_db))
        plain = Command("plain sqlite3 loop", python(self.script("plain_up.py", PLAIN_UP), plain_db, folder),
                        before=self.fresh(plain_db))
        yoyo = Command("yoyo apply --batch", [], before=self.fresh(yoyo_db), skip=peer_missing("yoyo-migrations"))
        if yoyo.skip is None:
            yfolder = self.work / f"yoyo-{n}"
            if not yfolder.exists():
                write_yoyo_migrations(yfolder, n)
            yoyo.argv = [BIN / "yoyo", "apply", "--batch", "--no-config-file",
                         "--database", f"sqlite:///{yoyo_db}", yfolder]
        alembic = Command("alembic upgrade head", [], before=self.fresh(alembic_db), skip=peer_missing("alembic"))
        if alembic.skip is None:
            ini = write_alembic_project(self.work / f"alembic-{n}", n, alembic_db)
            alembic.argv = [BIN / "alembic", "-c", ini, "upgrade", "head"]
        m.commands = [qs, plain, yoyo, alembic]
        interleave(m.commands, self.rounds if n <= 100 else self.slow_rounds + 2, self.work)
        m.targets = [
            ratio_max("qscaffold ÷ plain sqlite3 loop", pairwise_ratio(qs, plain), 1.3),
            speedup_min("qscaffold ÷ yoyo", pairwise_ratio(qs, yoyo), 2, yoyo.skip),
            speedup_min("qscaffold ÷ alembic", pairwise_ratio(qs, alembic), 2, alembic.skip),
        ]
        return m

    # 1b. migrate up --single-transaction

    def migrate_up_single(self) -> Measurement:
        n = self.sizes.migrations
        m = Measurement("migrate-up-single-transaction",
                        f"`migrate up --single-transaction`, {n:,} migrations in one transaction, on disk")
        folder = self.migrations(n)
        qs_db, plain_db = self.work / "single-qs.db", self.work / "single-plain.db"
        qs = Command("qscaffold migrate up --single-transaction",
                     self.qs + ["migrate", "up", "--single-transaction", "--database", qs_db, "--dir", folder],
                     before=self.fresh(qs_db))
        plain = Command("plain sqlite3 loop, one transaction",
                        python(self.script("plain_up.py", PLAIN_UP), plain_db, folder, "--one-transaction"),
                        before=self.fresh(plain_db))
        m.commands = [qs, plain]
        interleave(m.commands, self.rounds if n <= 100 else self.slow_rounds + 2, self.work)
        m.targets = [ratio_max("qscaffold ÷ plain sqlite3 loop in one transaction", pairwise_ratio(qs, plain), 1.3)]
        return m

    # 1c. fleets

    def tenants(self, name: str, n: int) -> Callable[[], None]:
        """Before each run: ``n`` empty tenant databases in a fresh folder ``name``."""
        folder = self.work / name

        def before() -> None:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            for i in range(1, n + 1):
                (folder / f"tenant{i:05d}.db").touch()
        return before

    def fleet_up(self) -> Measurement:
        n, k = self.sizes.tenants, self.sizes.fleet_migrations
        m = Measurement("fleet-up", f"`migrate up` over {n:,} tenant databases x {k} migrations, on disk")
        folder = self.work / f"fleet-migrations-{k}"
        if not folder.exists():
            write_qscaffold_migrations(folder, k)
        qs = Command("qscaffold migrate up --database 'tenants/*.db'",
                     self.qs + ["migrate", "up", "--database", self.work / "fleet-qs" / "*.db", "--dir", folder],
                     before=self.tenants("fleet-qs", n))
        qs1 = Command("qscaffold … --jobs 1", self.qs + ["migrate", "up", "--jobs", "1", "--database",
                                                        self.work / "fleet-qs1" / "*.db", "--dir", folder],
                      before=self.tenants("fleet-qs1", n))
        plain = Command("plain one-process sqlite3 loop",
                        python(self.script("plain_fleet_up.py", PLAIN_FLEET_UP), folder, self.work / "fleet-plain"),
                        before=self.tenants("fleet-plain", n))
        m.commands = [qs, qs1, plain]
        interleave(m.commands, self.slow_rounds + 2, self.work)
        ratio = pairwise_ratio(qs, plain)
        m.extra["jobs"] = min(len(os.sched_getaffinity(0)), 8) if hasattr(os, "sched_getaffinity") else None
        m.targets = [
            ratio_max("qscaffold (default jobs) ÷ plain loop", ratio, 1.0),
            Target("goal: qscaffold (default jobs) ÷ plain loop", "info", 0.6, ratio, text="(goal ≤ 0.6×)"),
            Target("qscaffold --jobs 1 ÷ plain loop", "info", None, pairwise_ratio(qs1, plain),
                   text="(one process: what the parallelism has to win back)"),
        ]
        return m

    def fleet_memory(self) -> Measurement:
        big = self.sizes.memory_tenants
        small = max(big // 10, 1)
        k = self.sizes.fleet_migrations
        m = Measurement("fleet-memory", f"`migrate up` over {big:,} vs {small:,} tenant databases: peak RSS")
        folder = self.work / f"fleet-migrations-{k}"
        if not folder.exists():
            write_qscaffold_migrations(folder, k)
        runs = []
        for n in (small, big):
            runs.append(Command(f"qscaffold migrate up, {n:,} tenants",
                                self.qs + ["migrate", "up", "--database", self.work / f"mem-{n}" / "*.db",
                                           "--dir", folder], before=self.tenants(f"mem-{n}", n)))
        interleave(runs, 1, self.work, warmup=False)
        m.commands = runs
        peak = runs[1].median_rss_kb
        m.extra["peak_rss_mb"] = {c.label: (c.median_rss_kb or 0) / 1024 for c in runs}
        t = Target(f"peak RSS (largest process) at {big:,} tenants", "flag", 100.0,
                   None if peak is None else round(peak / 1024, 1), text="≤ 100 MB")
        t.met = peak is not None and peak / 1024 <= 100
        t.text = f"{t.value} MB (≤ 100 MB)"
        growth = (runs[1].median_rss_kb / runs[0].median_rss_kb) if runs[0].runs and runs[1].runs else None
        m.targets = [t, Target(f"peak RSS: {big:,} ÷ {small:,} tenants", "info", None, growth,
                               text="(1 = flat in the number of tenants)")]
        return m

    # 2. migrate status

    def status(self) -> Measurement:
        n = self.sizes.migrations
        m = Measurement("migrate-status", f"`migrate status`, {n:,} applied")
        folder = self.migrations(n)
        qs_db = self.applied_db(n)
        plain_db = self.work / f"status-plain-{n}.db"
        if not plain_db.exists():
            subprocess.run(python(self.script("plain_up.py", PLAIN_UP), plain_db, folder), check=True,
                           capture_output=True, env=bench_env(), timeout=TIMEOUT)
        qs = Command("qscaffold migrate status", self.qs + ["migrate", "status", "--database", qs_db, "--dir", folder])
        plain = Command("plain listing loop", python(self.script("plain_status.py", PLAIN_STATUS), plain_db, folder))
        yoyo = Command("yoyo list", [], skip=peer_missing("yoyo-migrations"))
        if yoyo.skip is None:
            yfolder = self.work / f"yoyo-{n}"
            if not yfolder.exists():
                write_yoyo_migrations(yfolder, n)
            ydb = self.work / f"status-yoyo-{n}.db"
            if not ydb.exists():
                subprocess.run([BIN / "yoyo", "apply", "--batch", "--no-config-file", "--database",
                                f"sqlite:///{ydb}", yfolder], check=True, capture_output=True, env=bench_env(), timeout=TIMEOUT)
            yoyo.argv = [BIN / "yoyo", "list", "--no-config-file", "--database", f"sqlite:///{ydb}", yfolder]
        m.commands = [qs, plain, yoyo]
        interleave(m.commands, self.rounds, self.work)
        seconds = Target("qscaffold median", "seconds_max", 0.150, qs.median, text="≤ 150 ms")
        seconds.met = qs.median is not None and qs.median <= 0.150
        plain_ratio = Target("qscaffold ÷ plain listing loop", "info", None, pairwise_ratio(qs, plain), text="(for reference)")
        m.targets = [seconds, speedup_min("qscaffold ÷ yoyo list", pairwise_ratio(qs, yoyo), 6, yoyo.skip), plain_ratio]
        return m

    # 3. start-up

    def imported(self, argv_tail: list[str]) -> dict:
        """Which of sqlglot / jinja2 a qscaffold command imports (``python -X importtime``)."""
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "qscaffold", *map(str, argv_tail)],
                              capture_output=True, text=True, env=bench_env(), timeout=120)
        names = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
        return {mod: any(n == mod or n.startswith(mod + ".") for n in names) for mod in ("sqlglot", "jinja2")}

    def no_heavy_imports(self, m: Measurement, argv_tail: list[str]) -> None:
        found = self.imported(argv_tail)
        m.extra["imports"] = found
        heavy = [k for k, v in found.items() if v]
        t = Target("sqlglot and jinja2 not imported", "flag", None, None,
                   text="neither imported" if not heavy else f"imports {', '.join(heavy)}")
        t.met = not heavy
        m.targets.append(t)

    def startup_help(self) -> Measurement:
        m = Measurement("startup-help", "`qscaffold --help` start-up")
        qs = Command("qscaffold --help", self.qs + ["--help"])
        ref = Command('python -c "import click"', python("-c", "import click"))
        m.commands = [qs, ref]
        interleave(m.commands, self.rounds * 3, self.work)
        m.targets = [ratio_max("qscaffold ÷ import click", pairwise_ratio(qs, ref), 1.5)]
        self.no_heavy_imports(m, ["--help"])
        return m

    def startup_status(self) -> Measurement:
        m = Measurement("startup-status", "`migrate status` start-up (a project with 6 applied migrations)")
        project = self.work / "project"
        if not project.exists():
            project.mkdir()
            (project / "pyproject.toml").write_text(
                '[project]\nname = "app"\nversion = "1.0"\n\n'
                '[tool.qscaffold]\ndatabase = "data/app.db"\nmigrations_dir = "migrations"\n')
            write_qscaffold_migrations(project / "migrations", 6)
            subprocess.run(self.qs + ["migrate", "up"], cwd=project, check=True, capture_output=True,
                           env=bench_env(), timeout=TIMEOUT)
        qs = Command("qscaffold migrate status", self.qs + ["migrate", "status"], cwd=project)
        ref = Command('python -c "import click"', python("-c", "import click"))
        m.commands = [qs, ref]
        interleave(m.commands, self.rounds * 3, self.work)
        m.targets = [ratio_max("qscaffold ÷ import click", pairwise_ratio(qs, ref), 1.5)]
        self.no_heavy_imports(m, ["migrate", "status", "--database", project / "data" / "app.db",
                                  "--dir", project / "migrations"])
        return m

    # new: the schema comes from the migrations' SQL, not from running them

    def new_schema(self) -> Measurement:
        n = self.sizes.migrations
        middle = max(1, n // 2)
        m = Measurement("new-schema", f"`new add-note-to-t{middle} --dry-run` after {n:,} migrations "
                                      "(the schema read from their SQL, no code run)")
        folder = self.migrations(n)
        qs = Command("qscaffold new --dry-run",
                     self.qs + ["new", f"add-note-to-t{middle}", "--dry-run", "--dir", folder],
                     skip=None if qscaffold_has("new") else "no `qscaffold new`")
        # what `new` did before: import and run every migration on an in-memory database
        plain = Command("plain sqlite3 loop, in memory", python(self.script("plain_up.py", PLAIN_UP),
                                                                 ":memory:", folder))
        m.commands = [qs, plain]
        interleave(m.commands, self.rounds if n <= 100 else self.slow_rounds + 2, self.work)
        # Reading each file with ast instead of running it costs; building the schema one
        # file at a time keeps the cost linear where one growing database is quadratic.
        m.targets = [ratio_max("qscaffold ÷ running the migrations in memory", pairwise_ratio(qs, plain), 2.5,
                               qs.skip)]
        return m

    # 4. lint

    def lint_folder(self, n: int) -> Path:
        key = f"lint{n}"
        if key not in self._made:
            folder = self.work / f"lint-{n}"
            folder.mkdir()
            for i in range(1, n + 1):
                (folder / f"{i:03d}-lint-workload-{i}.py").write_text(lint_file_text(i))
            self._made[key] = folder
        return self._made[key]

    def lint_one(self) -> Measurement:
        m = Measurement("lint-one", "`qscaffold lint` of one migration file (pre-commit), without the cache")
        folder = self.lint_folder(1)
        qs = Command("qscaffold lint --no-cache FILE", self.qs + ["lint", "--no-cache", folder / "001-lint-workload-1.py"],
                     cwd=self.work, ok_codes=(0, 1))
        ref = Command('python -c "import sqlglot"', python("-c", "import sqlglot"))
        m.commands = [qs, ref]
        if not qscaffold_has("lint"):
            qs.skip = "skipped: `qscaffold lint` does not exist yet"
            m.status, m.note = "skipped", qs.skip
            m.targets = [ratio_max("qscaffold ÷ import sqlglot", None, 0.9, qs.skip)]
            return m
        interleave(m.commands, self.rounds * 2, self.work)
        m.targets = [ratio_max("qscaffold ÷ import sqlglot", pairwise_ratio(qs, ref), 0.9)]
        return m

    def lint_precommit(self) -> Measurement:
        n = self.sizes.lint_files
        m = Measurement("lint-precommit", f"pre-commit: `qscaffold lint` of the newest file of {n:,}, "
                                          "cache warm, the file just edited")
        folder = self.lint_folder(n)
        newest = folder / f"{n:03d}-lint-workload-{n}.py"
        text = newest.read_text()
        edits = iter(range(10**6))

        def edit() -> None:  # a new edit before each run: its verdict is never in the cache
            newest.write_text(f"{text}# edit {next(edits)}\n")

        qs = Command("qscaffold lint NEWEST (edited, warm)", self.qs + ["lint", newest], cwd=self.work,
                     ok_codes=(0, 1), before=edit)
        ref = Command('python -c "import sqlglot"', python("-c", "import sqlglot"))
        m.commands = [qs, ref]
        interleave(m.commands, self.rounds * 2, self.work)  # the warm-up round fills the cache
        newest.write_text(text)
        m.targets = [ratio_max("qscaffold ÷ import sqlglot", pairwise_ratio(qs, ref), 1.5)]
        return m

    def lint_many(self) -> Measurement:
        n = self.sizes.lint_files
        statements = [s for i in range(1, n + 1) for s in lint_statements(i)]
        m = Measurement("lint-many", f"`qscaffold lint` of {n:,} files ({len(statements):,} statements)")
        m.extra["statements"] = len(statements)
        folder = self.lint_folder(n)
        # cold: --no-cache. The default uses one process per CPU on Linux; one, for comparison
        qs = Command("qscaffold lint --no-cache DIR", self.qs + ["lint", "--no-cache", folder], cwd=self.work,
                     ok_codes=(0, 1))
        qs1 = Command("qscaffold lint --no-cache DIR --jobs 1", self.qs + ["lint", "--no-cache", folder, "--jobs", "1"],
                      cwd=self.work, ok_codes=(0, 1))
        bare = Command("bare ast + sqlglot loop", python(self.script("bare_lint.py", BARE_LINT), folder))
        k = min(self.sizes.sqlfluff_statements, len(statements))
        sample = self.work / "sqlfluff-sample.sql"
        sample.write_text("".join(s + ";\n\n" for s in statements[:k]))
        m.extra["sqlfluff_statements"] = k
        fluff = Command(f"sqlfluff lint ({k} statements)", [BIN / "sqlfluff", "lint", "--dialect", "sqlite",
                                                           "--processes", "1", "--disable-progress-bar", sample],
                        ok_codes=(0, 1), skip=peer_missing("sqlfluff"))
        m.commands = [qs, qs1, bare, fluff]
        skip = None
        if not qscaffold_has("lint"):
            skip = qs.skip = qs1.skip = "skipped: `qscaffold lint` does not exist yet"
            m.status, m.note = "skipped", skip
            bare.skip = fluff.skip = fluff.skip or "skipped with qscaffold lint"
        else:
            interleave(m.commands, self.slow_rounds + 2, self.work)
        per_qs = qs.median / len(statements) if qs.runs else None
        per_fluff = fluff.median / k if fluff.runs else None
        m.extra["per_statement_s"] = {"qscaffold": per_qs, "sqlfluff": per_fluff,
                                      "qscaffold --jobs 1": qs1.median / len(statements) if qs1.runs else None}
        m.extra["cpus"] = os.cpu_count()
        per_ratio = per_qs / per_fluff if per_qs and per_fluff else None
        m.targets = [
            ratio_max("qscaffold ÷ bare ast + sqlglot loop", pairwise_ratio(qs, bare), 1.5, skip),
            speedup_min("per statement: qscaffold ÷ sqlfluff", per_ratio, 20, skip or fluff.skip),
        ]
        return m

    def lint_long_file(self) -> Measurement:
        big = self.sizes.long_statements
        small = big // 4
        m = Measurement("lint-long-file", f"`qscaffold lint` of one .sql file: {big:,} vs {small:,} statements")
        files = {}
        for n in (small, big):
            folder = self.work / f"long-{n}"
            folder.mkdir(exist_ok=True)
            files[n] = folder / "001-many-statements.sql"
            files[n].write_text(long_file_text(n))
        a = Command(f"qscaffold lint ({small:,} statements)", self.qs + ["lint", "--no-cache", files[small]],
                    cwd=self.work, ok_codes=(0, 1))
        b = Command(f"qscaffold lint ({big:,} statements)", self.qs + ["lint", "--no-cache", files[big]],
                    cwd=self.work, ok_codes=(0, 1))
        m.commands = [b, a]
        interleave(m.commands, self.slow_rounds + 2, self.work)
        m.targets = [ratio_max(f"{big:,} ÷ {small:,} statements", pairwise_ratio(b, a), 5)]
        return m

    # 5. scale

    def scale(self) -> Measurement:
        small, big = self.sizes.migrations, self.sizes.scale_migrations
        m = Measurement("scale", f"`migrate up` and `status` at {big:,} vs {small:,} migrations")
        fa, fb = self.migrations(small), self.migrations(big)
        da, db = self.work / f"scale-{small}.db", self.work / f"scale-{big}.db"
        up_a = Command(f"migrate up ({small:,})", self.qs + ["migrate", "up", "--database", da, "--dir", fa],
                       before=self.fresh(da))
        up_b = Command(f"migrate up ({big:,})", self.qs + ["migrate", "up", "--database", db, "--dir", fb],
                       before=self.fresh(db))
        # The plain loop at both sizes shows how much of the growth is SQLite's own.
        pa, pb = self.work / f"scale-plain-{small}.db", self.work / f"scale-plain-{big}.db"
        plain_up = self.script("plain_up.py", PLAIN_UP)
        plain_a = Command(f"plain sqlite3 loop ({small:,})", python(plain_up, pa, fa), before=self.fresh(pa))
        plain_b = Command(f"plain sqlite3 loop ({big:,})", python(plain_up, pb, fb), before=self.fresh(pb))
        interleave([up_b, plain_b, up_a, plain_a], self.slow_rounds, self.work, warmup=False)
        st_a = Command(f"migrate status ({small:,})", self.qs + ["migrate", "status", "--database", da, "--dir", fa])
        st_b = Command(f"migrate status ({big:,})", self.qs + ["migrate", "status", "--database", db, "--dir", fb])
        interleave([st_b, st_a], self.rounds, self.work)
        m.commands = [up_b, up_a, plain_b, plain_a, st_b, st_a]
        factor = big / small
        up_growth, plain_growth = pairwise_ratio(up_b, up_a), pairwise_ratio(plain_b, plain_a)
        m.targets = [
            ratio_max(f"up: {big:,} ÷ {small:,}", up_growth, factor * 1.1),
            Target(f"plain sqlite3 loop: {big:,} ÷ {small:,}", "info", None, plain_growth,
                   text="(SQLite's own growth, for reference)"),
            Target("up growth ÷ plain loop growth", "info", None,
                   up_growth / plain_growth if up_growth and plain_growth else None,
                   text="(1 = qscaffold adds nothing that grows faster than SQLite)"),
            ratio_max(f"status: {big:,} ÷ {small:,}", pairwise_ratio(st_b, st_a), factor * 1.1),
        ]
        return m

    # 5b. verify grows linearly

    def verify_scale(self) -> Measurement:
        small = self.sizes.verify_migrations
        big = 2 * small
        m = Measurement("verify", f"`migrate verify --fresh` at {big:,} vs {small:,} migrations")
        fa, fb = self.migrations(small), self.migrations(big)
        scratch = self.work / "verify-unused.db"  # --fresh: never opened
        va = Command(f"migrate verify --fresh ({small:,})",
                     self.qs + ["migrate", "verify", "--fresh", "--database", scratch, "--dir", fa])
        vb = Command(f"migrate verify --fresh ({big:,})",
                     self.qs + ["migrate", "verify", "--fresh", "--database", scratch, "--dir", fb])
        interleave([vb, va], self.slow_rounds, self.work)
        m.commands = [vb, va]
        # Up, down, up of every migration, each step checked: linear is 2x; 2.6x leaves room for
        # SQLite's own growth (a CREATE TABLE costs more in a bigger schema).
        m.targets = [ratio_max(f"verify: {big:,} ÷ {small:,}", pairwise_ratio(vb, va), 2.6)]
        return m

    # 6. drop column

    def drop_base(self) -> Path:
        """The database at version 1: users (``rows`` rows, two indexes) and orders (a child)."""
        if "drop-base" not in self._made:
            folder = self.work / "drop-001"
            folder.mkdir()
            (folder / "001-create-users.py").write_text(DROP_SCHEMA)
            base = self.work / "drop-base.db"
            subprocess.run(self.qs + ["migrate", "up", "--database", base, "--dir", folder], check=True,
                           capture_output=True, env=bench_env(), timeout=TIMEOUT)
            fill_drop_table(base, self.sizes.drop_rows)
            self._made["drop-base"] = base
        return self._made["drop-base"]

    def drop_column(self, *, rebuild: bool = False) -> Measurement:
        rows = self.sizes.drop_rows
        name = "drop-column-rebuild" if rebuild else "drop-column"
        how = ("forced table rebuild (`new --target-sqlite 3.34.0`)" if rebuild
               else "what `new` writes for this SQLite")
        m = Measurement(name, f"drop a column of a {rows:,}-row table (2 indexes, a child table): {how}")
        qs = Command("qscaffold migrate up (drop-column)", [])
        ref = Command("sqlite-utils transform(drop=…)", [], skip=peer_missing("sqlite-utils"))
        m.commands = [qs, ref]
        if not qscaffold_has("new"):
            qs.skip = "skipped: `qscaffold new` does not exist yet"
            m.status, m.note = "skipped", qs.skip
            ref.skip = ref.skip or "skipped with qscaffold new"
            m.targets = [ratio_max("qscaffold ÷ sqlite-utils", None, 1.1, qs.skip)]
            return m
        base = self.drop_base()
        folder = self.work / f"{name}-migrations"
        folder.mkdir()
        (folder / "001-create-users.py").write_text(DROP_SCHEMA)
        target = ["--target-sqlite", "3.34.0"] if rebuild else []
        new = subprocess.run(self.qs + ["new", "drop-legacy-from-users", "--pattern", "drop-column",
                                        "--table", "users", "--column", "legacy", "--database", base,
                                        "--dir", folder, *target], capture_output=True, text=True,
                             env=bench_env(), cwd=self.work, timeout=TIMEOUT)
        if new.returncode != 0:
            raise CommandFailed(f"qscaffold new --pattern drop-column: exit {new.returncode}: "
                                f"{(new.stderr or new.stdout).strip()[-400:]}")
        written = sorted(folder.glob("002-*.py"))
        m.extra["migration"] = written[0].read_text() if written else None
        m.extra["strategy"] = "rebuild" if written and "RENAME TO" in written[0].read_text().upper() else "native"
        qs_db, ref_db = self.work / f"{name}-qs.db", self.work / f"{name}-ref.db"
        qs.argv = self.qs + ["migrate", "up", "--database", qs_db, "--dir", folder]
        qs.before = lambda: (self.fresh(qs_db)(), shutil.copyfile(base, qs_db))
        ref.argv = python(self.script("sqlite_utils_drop.py", SQLITE_UTILS_DROP), ref_db, "users", "legacy")
        ref.before = lambda: (self.fresh(ref_db)(), shutil.copyfile(base, ref_db))
        interleave(m.commands, self.slow_rounds + 2, self.work)
        m.targets = [ratio_max("qscaffold ÷ sqlite-utils", pairwise_ratio(qs, ref), 1.1, ref.skip)]
        return m

    def drop_column_rebuild(self) -> Measurement:
        return self.drop_column(rebuild=True)


    # 7. schema diff

    def schema_diff(self) -> Measurement:
        n = self.sizes.diff_tables
        m = Measurement("schema-diff", f"`schema diff` of two {n:,}-table schemas, {n // 10:,} tables changed")
        a, b = self.work / f"diff-{n}-a.sql", self.work / f"diff-{n}-b.sql"
        a.write_text(diff_schema_sql(n, changed=False))
        b.write_text(diff_schema_sql(n, changed=True))
        qs = Command("qscaffold schema diff A B", self.qs + ["schema", "diff", a, b], cwd=self.work, ok_codes=(1,))
        floor = Command("bare floor: executescript both, pragma_table_xinfo of every table",
                        python(self.script("bare_diff_floor.py", BARE_DIFF_FLOOR), a, b))
        m.commands = [qs, floor]
        if not qscaffold_has("schema"):
            qs.skip = "skipped: `qscaffold schema` does not exist yet"
            m.status, m.note = "skipped", qs.skip
            floor.skip = "skipped with qscaffold schema diff"
            m.targets = [ratio_max("qscaffold ÷ bare floor", None, 3.0, qs.skip)]
            return m
        interleave(m.commands, self.rounds, self.work)
        m.targets = [ratio_max("qscaffold ÷ bare floor", pairwise_ratio(qs, floor), 3.0)]
        return m


def diff_schema_sql(n: int, *, changed: bool) -> str:
    """``n`` tables, each with a foreign key to the one before and an index; with ``changed``,
    every tenth table differs: half of those in a column's type, the rest by an added column,
    NOT NULL with a default, a CHECK, or a dropped column."""
    out = []
    for i in range(1, n + 1):
        kind = (i // 10) % 10 if changed and i % 10 == 0 else None
        score = "REAL" if kind is not None and kind < 5 else "INTEGER"
        title = "TEXT NOT NULL DEFAULT ''" if kind == 7 else "TEXT"
        note = "" if kind == 9 else ",\n    note TEXT"
        extra = ",\n    added_at TEXT DEFAULT '2024-01-01'" if kind in (5, 6) else ""
        check = ",\n    CHECK (score >= 0)" if kind == 8 else ""
        parent = f"t{i - 1}" if i > 1 else f"t{i}"
        out.append(f"CREATE TABLE t{i} (\n    id INTEGER PRIMARY KEY,\n    parent_id INTEGER REFERENCES {parent}(id)"
                   f" ON DELETE CASCADE,\n    title {title},\n    score {score} DEFAULT 0{note}{extra}{check}\n);\n"
                   f"CREATE INDEX idx_t{i}_parent ON t{i} (parent_id);\n")
    return "".join(out)


BARE_DIFF_FLOOR = '''\
import sqlite3, sys
for path in sys.argv[1:3]:
    conn = sqlite3.connect(":memory:")
    conn.executescript(open(path).read())
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for name in names:
        conn.execute("SELECT * FROM pragma_table_xinfo(?)", (name,)).fetchall()
'''


DROP_SCHEMA = '''\
"""Migration 001: users and their orders."""

name = "Create users"
version = 1


def up(db):
    db.exec(
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL DEFAULT '',
            legacy TEXT,
            created_at INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX idx_users_created_at ON users(created_at);
        CREATE TABLE orders (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            total INTEGER NOT NULL
        );
        CREATE INDEX idx_orders_user_id ON orders(user_id);
        """
    )


def down(db):
    db.exec("DROP TABLE orders; DROP TABLE users;")
'''


def fill_drop_table(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO users (id, email, name, legacy, created_at) VALUES (?, ?, ?, ?, ?)",
            ((i, f"user{i}@example.com", f"User {i}", f"legacy-{i % 97}", 1_700_000_000 + i)
             for i in range(1, rows + 1)),
        )
        conn.executemany(
            "INSERT INTO orders (user_id, total) VALUES (?, ?)",
            (((i * 7) % rows + 1, i % 1000) for i in range(rows // 5)),
        )
    conn.close()


MEASUREMENTS = {
    "migrate-up": Bench.migrate_up,
    "migrate-up-single-transaction": Bench.migrate_up_single,
    "fleet-up": Bench.fleet_up,
    "fleet-memory": Bench.fleet_memory,
    "migrate-status": Bench.status,
    "startup-help": Bench.startup_help,
    "startup-status": Bench.startup_status,
    "lint-one": Bench.lint_one,
    "lint-many": Bench.lint_many,
    "lint-precommit": Bench.lint_precommit,
    "lint-long-file": Bench.lint_long_file,
    "scale": Bench.scale,
    "verify": Bench.verify_scale,
    "new-schema": Bench.new_schema,
    "drop-column": Bench.drop_column,
    "drop-column-rebuild": Bench.drop_column_rebuild,
    "schema-diff": Bench.schema_diff,
}


# -- report ---------------------------------------------------------------------------


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "—"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def fmt_target(t: Target) -> str:
    if t.skipped:
        return f"{t.label}: {t.skipped}"
    if t.kind == "flag":
        return f"{t.label}: {t.text} [{'met' if t.met else 'MISSED'}]"
    if t.kind == "seconds_max":
        return f"{t.label}: {fmt_seconds(t.value)} (target {t.text}) [{'met' if t.met else 'MISSED'}]"
    value = "—" if t.value is None else f"{t.value:.2f}×"
    verdict = "" if t.met is None else (" [met]" if t.met else " [MISSED]")
    return f"{t.label}: {value} (target {t.text}){verdict}"


def render(results: list[Measurement]) -> str:
    lines = []
    width = 44
    header = f"{'command':<{width}} {'median':>10} {'peak RSS':>9} {'runs':>4}"
    for m in results:
        lines.append("")
        lines.append(f"== {m.name}: {m.title}")
        if m.status == "error":
            lines.append(f"   ERROR: {m.note}")
            continue
        if m.status == "skipped":
            lines.append(f"   {m.note}")
        lines.append("   " + header)
        for c in m.commands:
            if c.skip:
                lines.append(f"   {c.label:<{width}} {c.skip}")
                continue
            rss = f"{c.median_rss_kb / 1024:.0f} MB" if c.median_rss_kb else "—"
            lines.append(f"   {c.label:<{width}} {fmt_seconds(c.median):>10} {rss:>9} {len(c.runs):>4}")
        for t in m.targets:
            lines.append(f"   -> {fmt_target(t)}")
        if "per_statement_s" in m.extra and m.extra["per_statement_s"]["qscaffold"]:
            per = m.extra["per_statement_s"]
            fluff = f", sqlfluff {per['sqlfluff'] * 1000:.2f} ms" if per["sqlfluff"] else ""
            lines.append(f"   per statement: qscaffold {per['qscaffold'] * 1000:.3f} ms{fluff}")
    return "\n".join(lines)


def machine() -> dict:
    return {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(), "cpus": os.cpu_count(), "executable": sys.executable}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; finishes in well under a minute")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, metavar="PATH",
                        help=f"where to write the results (default {DEFAULT_JSON.relative_to(ROOT)})")
    parser.add_argument("--only", nargs="+", metavar="NAME", default=None,
                        help=f"run only these measurements (glob patterns): {', '.join(MEASUREMENTS)}")
    parser.add_argument("--rounds", type=int, default=None, help="timed runs per command (default 3-7)")
    args = parser.parse_args(argv)

    names = list(MEASUREMENTS)
    if args.only:
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in args.only)]
        if not names:
            parser.error(f"--only matches nothing; known: {', '.join(MEASUREMENTS)}")
    sizes = QUICK if args.quick else FULL
    # Bytecode of qscaffold itself is compiled once, so every run reads the same cache.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "qscaffold")], capture_output=True,
                   timeout=TIMEOUT)
    started = time.time()
    results: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="qscaffold-bench-") as tmp:
        bench = Bench(sizes, Path(tmp), args.rounds)
        for name in MEASUREMENTS:
            if name not in names:
                continue
            print(f"running {name} …", file=sys.stderr, flush=True)
            try:
                result = MEASUREMENTS[name](bench)
            except (CommandFailed, subprocess.SubprocessError, OSError) as exc:
                detail = exc
                if isinstance(exc, subprocess.CalledProcessError):
                    detail = f"{exc.cmd[0]}… exit {exc.returncode}: {(exc.stderr or b'').decode(errors='replace')[-400:]}"
                result = Measurement(name, name, status="error", note=str(detail))
            results.append(result)
    report = {
        "quick": args.quick,
        "sizes": sizes.__dict__,
        "machine": machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 1),
        "measurements": [r.to_dict() for r in results],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"qscaffold benchmarks ({'quick' if args.quick else 'full'}; Python {machine()['python']}, "
          f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs); ratios are qscaffold ÷ reference, "
          "median of pairwise ratios")
    print(render(results))
    print(f"\nresults: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
