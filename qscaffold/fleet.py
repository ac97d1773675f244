"""Fleets: many databases (one per tenant, say) migrated with one command.

Each database is handled on its own, exactly as ``migrate`` handles one file: its own
connection, lock and transactions. Databases run in parallel worker processes (forked, so
the migration files are read and imported once, in the parent); a database that fails --
a migration that raises, a corrupt file, a lock held past the timeout -- is reported and
the others proceed, and running the same command again finishes what is left. Memory stays
flat in the number of databases: only a bounded number are in flight at once, and each
result is a few small fields.

    from qscaffold.fleet import expand_databases, run_fleet
    report = run_fleet("up", expand_databases(["tenants/*.db"]), "migrations")
    report.summary()        # "298 migrated, 2 failed, 0 already current"
"""

from __future__ import annotations

import glob
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import QscaffoldError, UsageError

COMMANDS = ("status", "up", "down", "verify", "stamp")
MAX_AUTO_JOBS = 8
_GLOB_CHARS = frozenset("*?[")
# Databases handed to the pool ahead of the workers: enough to keep them busy, few enough
# that 10,000 databases never wait as 10,000 pending tasks.
_AHEAD_PER_WORKER = 4

# Outcomes, per command: the first is success with work done, then "nothing to do".
DONE = {"status": "current", "up": "migrated", "down": "rolled back", "verify": "passed",
        "stamp": "stamped"}
UNCHANGED = {"up": "current", "down": "current", "status": "pending"}
FAILED = "failed"
NOT_STARTED = "not started"
PROBLEM = "problem"


# -- which databases ---------------------------------------------------------------------


def is_pattern(value: str) -> bool:
    """Whether ``value`` is a glob rather than one path (a file that exists is a path)."""
    return bool(_GLOB_CHARS & set(value)) and not os.path.exists(value)


def expand_databases(values: Iterable[str | os.PathLike] = (), *, databases_from: str | None = None,
                     stdin=None) -> list[str]:
    """The database paths named by ``values`` (paths or globs such as ``tenants/*.db``; ``**``
    descends into folders) and by ``databases_from`` (a file of one path a line; ``-`` reads
    ``stdin``; blank lines and ``#`` comments are skipped), in order, each once.

    Raises :class:`UsageError` for a glob that matches nothing or a list that cannot be read.
    """
    paths: list[str] = []
    for value in values:
        text = os.fspath(value)
        if is_pattern(text):
            matches = sorted(m for m in glob.iglob(os.path.expanduser(text), recursive=True)
                             if not os.path.isdir(m))
            if not matches:
                raise UsageError(f"{text}: matches no database file")
            paths.extend(matches)
        else:
            paths.append(text)
    if databases_from is not None:
        paths.extend(_read_list(databases_from, stdin))
    seen: set[str] = set()
    unique = []
    for path in paths:
        key = os.path.abspath(path) if path != ":memory:" else path
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _read_list(source: str, stdin) -> Iterator[str]:
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin
        lines = stream.read().splitlines()
        where = "standard input"
    else:
        try:
            lines = Path(source).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{source}: cannot read the list of databases: "
                             f"{getattr(exc, 'strerror', None) or exc}") from None
        where = source
    found = False
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            found = True
            yield line
    if not found:
        raise UsageError(f"{where}: the list of databases is empty")


def default_jobs() -> int:
    """The CPUs this process may run on, at most :data:`MAX_AUTO_JOBS`."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_AUTO_JOBS))


# -- results -----------------------------------------------------------------------------


@dataclass(slots=True)  # one per database: 10,000 of them stay a few MB
class DatabaseResult:
    """What happened to one database of the fleet."""

    database: str
    command: str
    outcome: str  # see DONE / UNCHANGED, or "failed", "problem", "not started"
    version_before: int | None = None
    version: int | None = None
    applied: list[int] = field(default_factory=list)  # versions run (up or down)
    pending: int | None = None  # status: how many migrations are pending
    problems: list[str] = field(default_factory=list)  # status: what `up` would refuse
    error: str | None = None  # one line: why it failed
    backup: str | None = None  # down: the copy written first
    duration_ms: float = 0.0

    @property
    def failed(self) -> bool:
        return self.outcome == FAILED

    def to_dict(self) -> dict:
        return asdict(self)

    def line(self, *, dry_run: bool = False) -> str:
        """One line for a person: a mark, the database, what happened."""
        db = self.database
        took = f"{self.duration_ms:.0f} ms"
        if self.outcome == FAILED:
            error = self.error or "failed"
            return f"  ✗ {error if error.startswith(db) else f'{db}: {error}'}"
        if self.outcome == NOT_STARTED:
            return f"  - {db}: not started (--fail-fast)"
        if self.command == "status":
            mark = {"current": "✓", "pending": "○"}.get(self.outcome, "✗")
            text = f"  {mark} {db}: version {self.version}"
            if self.pending:
                text += f", {self.pending} pending"
            return text + "".join(f"\n      Problem: {p}" for p in self.problems)
        if self.command in ("up", "down") and self.outcome == "current":
            what = "already current" if self.command == "up" else "nothing to roll back"
            return f"  = {db}: {what} (version {self.version})"
        would = "would be " if dry_run else ""
        verb = {"up": "migrated", "down": "rolled back", "stamp": "stamped", "verify": "passed"}[self.command]
        text = f"  ✓ {db}: {would}{verb}"
        if self.command in ("up", "down", "stamp"):
            text += f" {self.version_before} → {self.version}"
        if self.applied and self.command in ("up", "down"):
            text += f" ({len(self.applied)} migration(s), {took})"
        return text


@dataclass
class FleetReport:
    """Every database's result, in the order the databases were given."""

    command: str
    results: list[DatabaseResult]
    dry_run: bool = False

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.results)

    @property
    def failed(self) -> list[DatabaseResult]:
        return [r for r in self.results if r.outcome == FAILED]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.count(NOT_STARTED)

    def versions(self) -> dict[int, int]:
        """How many databases are at each version (the ones that could be read)."""
        counts: dict[int, int] = {}
        for r in self.results:
            if r.version is not None and r.outcome != FAILED:
                counts[r.version] = counts.get(r.version, 0) + 1
        return dict(sorted(counts.items(), reverse=True))

    def summary(self) -> str:
        """``9,998 migrated, 2 failed, 0 already current`` (the words depend on the command)."""
        c = self.count
        if self.command == "status":
            at = ", ".join(f"{n:,} at version {v}" for v, n in self.versions().items()) or "none readable"
            parts = [f"{len(self.results):,} database(s): {at}", f"{c('pending'):,} with pending migrations",
                     f"{c(PROBLEM):,} with problems", f"{c(FAILED):,} failed"]
        elif self.command == "up":
            would = "would migrate" if self.dry_run else "migrated"
            parts = [f"{c('migrated'):,} {would}", f"{c(FAILED):,} failed", f"{c('current'):,} already current"]
        elif self.command == "down":
            would = "would roll back" if self.dry_run else "rolled back"
            parts = [f"{c('rolled back'):,} {would}", f"{c(FAILED):,} failed",
                     f"{c('current'):,} with nothing to roll back"]
        else:
            parts = [f"{c(DONE[self.command]):,} {DONE[self.command]}", f"{c(FAILED):,} failed"]
        if c(NOT_STARTED):
            parts.append(f"{c(NOT_STARTED):,} not started")
        return ", ".join(parts)

    def to_dict(self) -> dict:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        data = {"command": self.command, "dry_run": self.dry_run, "databases": len(self.results),
                "counts": counts, "summary": self.summary(), "ok": self.ok,
                "results": [r.to_dict() for r in self.results]}
        if self.command == "status":
            data["versions"] = {str(v): n for v, n in self.versions().items()}
        return data


# -- running -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    command: str
    migrations_dir: Path
    busy_timeout: float
    options: dict
    files: list  # the loaded migration files, shared by every database of the process
    tables: tuple[str, str]  # the bookkeeping tables' names: metadata, history


_JOB: _Job | None = None  # the job of this process (inherited by forked workers)


def run_fleet(
    command: str,
    databases: Iterable[str | os.PathLike],
    migrations_dir: str | os.PathLike,
    *,
    jobs: int = 0,
    fail_fast: bool = False,
    busy_timeout: float = 30.0,
    metadata_table: str | None = None,
    history_table: str | None = None,
    on_result: Callable[[DatabaseResult], None] | None = None,
    **options,
) -> FleetReport:
    """Run ``command`` (status, up, down, verify or stamp) on every database, each on its own.

    ``jobs`` processes work at once (0: :func:`default_jobs`; 1: in this process). The
    bookkeeping tables' names default to the project's settings.
    ``options`` are the command's: ``up``: ``to``, ``steps``, ``dry_run``,
    ``single_transaction``; ``down``: ``steps``, ``to``, ``dry_run``, ``backup`` (default
    True); ``verify``: ``fresh``; ``stamp``: ``version`` (required). ``down`` and ``stamp``
    change every database: the caller asks for consent first.

    A database that fails is reported in its result and the others proceed; with
    ``fail_fast`` no database is started after the first failure (those are reported as
    "not started"). ``on_result`` hears of each database as it finishes. The migration
    files are loaded once, before anything runs: a broken file raises at once.
    """
    if command not in COMMANDS:
        raise UsageError(f"{command}: not a fleet command (use one of {', '.join(COMMANDS)})")
    if command == "stamp" and options.get("version") is None:
        raise UsageError("stamp needs a version")
    databases = [os.fspath(d) for d in databases]
    if not databases:
        raise UsageError("no databases given")
    from .files import discover

    if metadata_table is None or history_table is None:
        from .config import load_settings

        settings = load_settings()
        metadata_table = metadata_table or settings.metadata_table
        history_table = history_table or settings.history_table
    files = discover(migrations_dir)
    if command != "status":
        for migration in files:  # every file must load before any database is touched
            migration.module  # noqa: B018
    global _JOB
    _JOB = _Job(command, Path(migrations_dir), busy_timeout, dict(options), files,
                (metadata_table, history_table))
    results: list[DatabaseResult | None] = [None] * len(databases)

    def finish(index: int, result: DatabaseResult) -> None:
        results[index] = result
        if on_result:
            on_result(result)

    workers = min(default_jobs() if jobs == 0 else jobs, len(databases))
    try:
        if workers <= 1 or not hasattr(os, "fork"):
            _run_here(databases, fail_fast, finish)
        else:
            _run_in_pool(databases, workers, fail_fast, finish)
    finally:
        _JOB = None
    for i, result in enumerate(results):
        if result is None:
            results[i] = DatabaseResult(databases[i], command, NOT_STARTED)
    return FleetReport(command, results, dry_run=bool(options.get("dry_run")))  # type: ignore[arg-type]


def _run_here(databases: list[str], fail_fast: bool, finish) -> None:
    for i, database in enumerate(databases):
        result = _run_one(database)
        finish(i, result)
        if fail_fast and result.failed:
            return


def _run_in_pool(databases: list[str], workers: int, fail_fast: bool, finish) -> None:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    todo = iter(enumerate(databases))
    while True:
        suspects: list[tuple[int, str]] = []
        state = _pool_pass(todo, workers, context, fail_fast, finish, suspects)
        # A worker died (killed, out of memory, os._exit in a migration): every database in
        # flight lost its worker. Each runs again alone, so that a death names its database;
        # a database is transactional, so running one again only finishes what is left.
        for index, database in suspects:
            result = _run_alone(database, context)
            finish(index, result)
            if fail_fast and result.failed:
                return
        if state != "broken":
            return


def _pool_pass(todo, workers: int, context, fail_fast: bool, finish, suspects: list) -> str:
    """Run databases from ``todo`` until it is empty ("done"), a failure with ``fail_fast``
    ("stopped"), or a worker died ("broken"; the databases in flight go to ``suspects``)."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    state = "done"
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        running: dict = {}
        while True:
            while state == "done" and len(running) < workers * _AHEAD_PER_WORKER:
                item = next(todo, None)
                if item is None:
                    break
                running[pool.submit(_run_one, item[1])] = item
            if not running:
                return state
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                item = running.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    state = "broken"
                    suspects.append(item)
                    continue
                finish(item[0], result)
                if fail_fast and result.failed and state == "done":
                    state = "stopped"


def _run_alone(database: str, context) -> DatabaseResult:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(1, mp_context=context) as pool:
        try:
            return pool.submit(_run_one, database).result()
        except BrokenProcessPool:
            return DatabaseResult(database, _JOB.command, FAILED,
                                  error=f"{database}: the worker process died while migrating it; "
                                        "its last transaction was rolled back")


def _run_one(database: str) -> DatabaseResult:
    """One database, start to end; never raises (a failure is the result)."""
    from .runner import MigrationRunner

    job = _JOB
    result = DatabaseResult(database, job.command, FAILED)
    started = time.perf_counter()
    try:
        with MigrationRunner(database, job.migrations_dir, busy_timeout=job.busy_timeout,
                             files=job.files, metadata_table=job.tables[0],
                             history_table=job.tables[1]) as runner:
            _COMMAND_STEPS[job.command](runner, result, job.options)
    except QscaffoldError as exc:
        result.outcome, result.error = FAILED, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - one tenant's surprise must not stop the fleet
        text = str(exc).strip().splitlines()
        result.outcome = FAILED
        result.error = f"{database}: {type(exc).__name__}: {text[0]}" if text else f"{database}: {type(exc).__name__}"
    result.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return result


def _status(runner, result: DatabaseResult, options: dict) -> None:
    status = runner.status()
    result.version = status.current_version
    result.pending = len(status.pending)
    result.problems = status.problems
    result.outcome = PROBLEM if status.problems else ("pending" if status.pending else "current")


def _up(runner, result: DatabaseResult, options: dict) -> None:
    done = runner.run_migrations(to=options.get("to"), steps=options.get("steps"),
                                 dry_run=bool(options.get("dry_run")),
                                 single_transaction=bool(options.get("single_transaction")))
    result.applied = [r.version for r in done if not r.skipped]
    if not done:
        result.version_before = result.version = runner.get_current_version()
        result.outcome = "current"
        return
    # up runs in order, every lower version applied: the database was at the one below the first.
    first = done[0].version
    result.version_before = max((f.version for f in _JOB.files if f.version < first), default=0)
    if options.get("dry_run") or len(result.applied) == len(done):  # nobody else ran any of them
        result.version = done[-1].version
    else:
        result.version = runner.get_current_version()
    result.outcome = "migrated" if result.applied else "current"


def _down(runner, result: DatabaseResult, options: dict) -> None:
    result.version_before = result.version = runner.get_current_version()
    steps, to, dry_run = options.get("steps"), options.get("to"), bool(options.get("dry_run"))
    plan = runner.plan_rollback(steps=steps, to=to)
    if not plan:
        result.outcome = "current"
        return
    if not dry_run and options.get("backup", True) and not runner.in_memory:
        result.backup = os.fspath(runner.backup())
    done = runner.rollback(steps=steps, to=to, dry_run=dry_run)
    result.applied = [r.version for r in done]
    if dry_run:  # the version below the oldest one rolled back
        applied = (m.version for m in runner.status().applied)
        result.version = max((v for v in applied if v < min(result.applied)), default=0)
    else:
        result.version = runner.get_current_version()
    result.outcome = "rolled back"


def _verify(runner, result: DatabaseResult, options: dict) -> None:
    from .verify import verify

    report = verify(runner, fresh=bool(options.get("fresh")))
    result.version = result.version_before = report.start_version
    if report.passed:
        result.outcome = "passed"
        return
    failed = report.failed
    first = report.problems[0] if report.problems else (
        f"v{failed[0].version} {failed[0].problems[0]}" if failed and failed[0].problems else "not checked")
    result.outcome = FAILED
    result.error = f"{runner.database}: verification failed: {first}"
    if len(failed) > 1:
        result.error += f" (and {len(failed) - 1} more migration(s))"


def _stamp(runner, result: DatabaseResult, options: dict) -> None:
    result.version_before = runner.get_current_version()
    result.applied = [f.version for f in runner.stamp(options["version"])]
    result.version = options["version"]
    result.outcome = "stamped"


_COMMAND_STEPS = {"status": _status, "up": _up, "down": _down, "verify": _verify, "stamp": _stamp}
