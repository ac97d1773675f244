"""The migration runner: plan what to run from the files and the database, then apply it.

Each migration runs in its own write transaction (``BEGIN IMMEDIATE``) with foreign-key
enforcement switched off around it and ``PRAGMA foreign_key_check`` before ``COMMIT``; the
history row and ``schema_version`` are written in the same transaction. The applied version
is read again inside the lock, so any number of processes may run the same migrations at
once: each migration is applied exactly once and every process ends successfully.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .config import MEMORY, load_settings
from .database import Database
from .errors import (
    ChecksumMismatch,
    ConsentRequired,
    DatabaseAhead,
    DatabaseError,
    DatabaseLocked,
    ForeignKeyViolation,
    MigrationFailed,
    MissingMigration,
    NotADatabase,
    OutOfOrder,
    QscaffoldError,
    RefusedError,
    UsageError,
)
from .files import MigrationFile, discover, format_filename


class _Logger:
    """``logging.getLogger("qscaffold")``, imported on first use: ``migrate status`` and the
    other read-only commands never log, and importing logging is a good part of their start-up."""

    def __getattr__(self, name: str):
        global logger
        import logging

        logger = logging.getLogger("qscaffold")
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
        return getattr(logger, name)


logger = _Logger()

METADATA_DDL = "CREATE TABLE IF NOT EXISTS metadata (key TEXT PRIMARY KEY, value TEXT)"
HISTORY_DDL = (
    "CREATE TABLE IF NOT EXISTS migration_history ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, "
    "applied_at TEXT NOT NULL, duration_ms INTEGER NOT NULL)"
)
VERSION_KEY = "schema_version"


@dataclass(frozen=True)
class HistoryRow:
    version: int
    name: str
    checksum: str
    applied_at: str
    duration_ms: int


@dataclass
class DatabaseState:
    """What the database says about itself (read without writing anything)."""

    current_version: int = 0
    history: dict[int, HistoryRow] = field(default_factory=dict)
    has_metadata: bool = False
    has_history: bool = False


@dataclass
class MigrationStatus:
    """One line of ``migrate status``."""

    version: int
    name: str
    file: str | None
    state: str  # "applied", "pending" or "missing"
    current: bool = False
    modified: bool = False
    adopted: bool = False
    out_of_order: bool = False
    applied_at: str | None = None
    duration_ms: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Status:
    """The whole report of ``migrate status``; ``problems`` are what ``up`` would refuse."""

    database: str
    migrations_dir: str
    current_version: int
    migrations: list[MigrationStatus]
    refusals: list[RefusedError]

    @property
    def problems(self) -> list[str]:
        return [str(r) for r in self.refusals]

    @property
    def applied(self) -> list[MigrationStatus]:
        return [m for m in self.migrations if m.state == "applied"]

    @property
    def pending(self) -> list[MigrationStatus]:
        return [m for m in self.migrations if m.state == "pending"]

    def to_dict(self) -> dict:
        return {
            "database": self.database,
            "migrations_dir": self.migrations_dir,
            "current_version": self.current_version,
            "latest_version": max((m.version for m in self.migrations if m.file), default=0),
            "applied": len(self.applied),
            "pending": len(self.pending),
            "migrations": [m.to_dict() for m in self.migrations],
            "problems": self.problems,
        }


@dataclass
class MigrationResult:
    """What happened to one migration in a run."""

    version: int
    name: str
    file: str
    direction: str  # "up" or "down"
    duration_ms: float
    skipped: bool = False  # another process had applied it already
    detail: object = None  # what up()/down() returned, e.g. a count of changed rows

    def to_dict(self) -> dict:
        data = asdict(self)
        data["detail"] = None if self.detail is None else str(self.detail)
        return data


Callback = Callable[[MigrationResult], None]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class MigrationRunner:
    """Applies and rolls back the migrations of one folder on one SQLite database.

    ``database`` is a path (``:memory:`` included), an open ``sqlite3.Connection`` or a
    :class:`Database`; ``None`` takes the configured one (flag-less settings: environment,
    ``[tool.qscaffold]``, defaults), as does ``migrations_dir=None``. ``files`` are the
    folder's migration files when the caller has discovered them already.
    """

    def __init__(
        self,
        database: str | os.PathLike | sqlite3.Connection | Database | None = None,
        migrations_dir: str | os.PathLike | None = None,
        *,
        busy_timeout: float | None = None,
        files: list[MigrationFile] | None = None,
    ) -> None:
        if database is None or migrations_dir is None or busy_timeout is None:
            settings = load_settings()
            database = settings.database if database is None else database
            migrations_dir = settings.migrations_dir if migrations_dir is None else migrations_dir
            busy_timeout = settings.busy_timeout if busy_timeout is None else busy_timeout
        self.migrations_dir = Path(migrations_dir)
        self.busy_timeout = float(busy_timeout)
        self._conn: sqlite3.Connection | None = None
        self._owns_connection = True
        if isinstance(database, Database):
            database = database.connection
        if isinstance(database, sqlite3.Connection):
            self._conn = database
            self._owns_connection = False
            self.database = self._connection_label(database)
        else:
            self.database = os.fspath(database)
        self._files: list[MigrationFile] | None = files  # given: already discovered (fleets share them)
        self._tables_ready = False
        self._fk_scope = _ForeignKeyScope(enabled=self._owns_connection)

    # -- connection ------------------------------------------------------------------

    @staticmethod
    def _connection_label(conn: sqlite3.Connection) -> str:
        try:
            row = conn.execute("PRAGMA database_list").fetchone()
        except sqlite3.Error:
            return MEMORY
        return row[2] or MEMORY

    @property
    def in_memory(self) -> bool:
        return self.database == MEMORY or self.database.startswith("file::memory:")

    def _exists(self) -> bool:
        return self._conn is not None or self.in_memory or Path(self.database).exists()

    @property
    def connection(self) -> sqlite3.Connection:
        """The runner's connection, opened on first use (the parent folder is created)."""
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        path = self.database
        if not self.in_memory and not path.startswith("file:"):
            parent = Path(path).parent
            if Path(path).is_dir():
                raise DatabaseError(f"{path}: is a folder, not a database file")
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"{path}: cannot create folder {parent}: {exc.strerror or exc}"
                ) from None
        try:
            conn = sqlite3.connect(
                path, timeout=self.busy_timeout, isolation_level=None, uri=path.startswith("file:")
            )
        except sqlite3.Error as exc:
            raise DatabaseError(f"{path}: cannot open database: {exc}") from None
        return conn

    def close(self) -> None:
        """Close the connection if the runner opened it."""
        if self._conn is not None and self._owns_connection:
            self._conn.close()
        self._conn = None if self._owns_connection else self._conn

    def __enter__(self) -> "MigrationRunner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def _sqlite_errors(self) -> Iterator[None]:
        """Turn the engine's errors outside a migration into one-line qscaffold errors."""
        try:
            yield
        except QscaffoldError:
            raise
        except sqlite3.DatabaseError as exc:
            message = str(exc)
            if "file is not a database" in message or "malformed" in message:
                raise NotADatabase(
                    f"{self.database}: not a SQLite database ({message}); it was left untouched"
                ) from None
            if "locked" in message or "busy" in message:
                raise DatabaseLocked(
                    f"{self.database}: database is locked: another connection held it for more "
                    f"than {self.busy_timeout:g}s; nothing was changed"
                ) from None
            raise DatabaseError(f"{self.database}: {message}") from None

    # -- files -----------------------------------------------------------------------

    def discover(self, *, reload: bool = False) -> list[MigrationFile]:
        """The migration files, sorted by version, not yet imported."""
        if self._files is None or reload:
            self._files = discover(self.migrations_dir)
        return self._files

    def load_migrations(self) -> list[MigrationFile]:
        """Every migration file, imported and checked; broken files raise at once."""
        files = self.discover()
        for migration in files:
            migration.module  # noqa: B018 - imports and validates
        return files

    # -- reading the database --------------------------------------------------------

    def read_state(self) -> DatabaseState:
        """Current version and history, without creating or changing anything."""
        if not self._exists():
            return DatabaseState()
        with self._sqlite_errors():
            return _read_state(self.connection)

    def get_current_version(self) -> int:
        """The schema version recorded in the database (0 when nothing was applied)."""
        return self.read_state().current_version

    def status(self) -> Status:
        """Every migration as applied, pending or missing, and what ``up`` would refuse."""
        files = self.discover()
        state = self.read_state()
        return _build_status(self.database, self.migrations_dir, files, state)

    def check(self) -> Status:
        """The status, or the first refusal when the files and the database disagree."""
        status = self.status()
        _raise_first_problem(status)
        return status

    def pending(self) -> list[MigrationFile]:
        """The files ``up`` would run, in order."""
        status = self.check()
        wanted = {m.version for m in status.pending}
        return [f for f in self.discover() if f.version in wanted]

    # -- applying --------------------------------------------------------------------

    def run_migrations(
        self,
        *,
        to: int | None = None,
        steps: int | None = None,
        dry_run: bool = False,
        single_transaction: bool = False,
        on_result: Callback | None = None,
    ) -> list[MigrationResult]:
        """Apply pending migrations in order (up to version ``to``, or ``steps`` of them),
        one transaction each.

        With ``single_transaction`` they all run in one transaction, history rows included:
        any failure rolls back every one of them and the database is exactly as it was;
        ``on_result`` hears of them only once that transaction has committed.

        With ``dry_run`` they run on an in-memory copy of the database, which is then
        thrown away: failures are reported exactly as a real run would, and the database
        is left as it was.
        """
        if dry_run:
            with self._scratch_copy() as scratch:
                return scratch.run_migrations(to=to, steps=steps, single_transaction=single_transaction,
                                              on_result=on_result)
        todo = self.pending()
        if to is not None:
            known = {f.version for f in self.discover()}
            if to not in known and to != 0:
                raise UsageError(f"--to {to}: no migration file has version {to}")
            todo = [f for f in todo if f.version <= to]
        if steps is not None:
            if steps < 1:
                raise UsageError(f"--steps {steps}: must be 1 or more")
            todo = todo[:steps]
        for migration in todo:  # every file must load before anything runs
            migration.module  # noqa: B018
        if single_transaction:
            results = self._apply_all(todo, "up") if todo else []
            for result in results if on_result else ():
                on_result(result)
            return results
        results = []
        for migration in todo:
            result = self._apply(migration, "up")
            results.append(result)
            if on_result:
                on_result(result)
        return results

    def rollback(
        self,
        *,
        steps: int | None = None,
        to: int | None = None,
        dry_run: bool = False,
        on_result: Callback | None = None,
    ) -> list[MigrationResult]:
        """Run ``down`` of the newest applied migration, or of ``steps`` of them, or of
        every one above version ``to``, newest first, one transaction each."""
        if dry_run:
            with self._scratch_copy() as scratch:
                return scratch.rollback(steps=steps, to=to, on_result=on_result)
        todo = self.plan_rollback(steps=steps, to=to)
        results = []
        for migration in todo:
            result = self._apply(migration, "down")
            results.append(result)
            if on_result:
                on_result(result)
        return results

    def plan_rollback(self, *, steps: int | None = None, to: int | None = None) -> list[MigrationFile]:
        """The files whose ``down`` a rollback would run, newest first (nothing is run)."""
        if steps is not None and to is not None:
            raise UsageError("give either --steps or --to, not both")
        if steps is not None and steps < 1:
            raise UsageError(f"--steps {steps}: must be 1 or more")
        if to is not None and to < 0:
            raise UsageError(f"--to {to}: must be 0 or more")
        status = self.check()
        applied = [m for m in status.applied][::-1]
        if to is not None:
            if to > status.current_version:
                raise UsageError(
                    f"--to {to}: the database is at version {status.current_version}; "
                    "down only goes back (use `migrate up --to`)"
                )
            chosen = [m for m in applied if m.version > to]
        else:
            chosen = applied[: steps or 1]
        by_version = {f.version: f for f in self.discover()}
        files = []
        for entry in chosen:
            migration = by_version[entry.version]
            if migration.down is None:
                raise RefusedError(
                    f"{migration.path}: has no down(db); it cannot be rolled back "
                    "(restore a backup instead)"
                )
            files.append(migration)
        return files

    def _apply(self, migration: MigrationFile, direction: str) -> MigrationResult:
        return self._apply_all([migration], direction)[0]

    def _apply_all(self, migrations: list[MigrationFile], direction: str) -> list[MigrationResult]:
        """Run ``migrations`` in one transaction, foreign-key enforcement off around it."""
        conn = self.connection
        with self._sqlite_errors():
            fk_was_on = conn.execute("PRAGMA foreign_keys").fetchone()[0]
            if fk_was_on:
                conn.execute("PRAGMA foreign_keys = OFF")
            try:
                return self._transaction(conn, migrations, direction)
            finally:
                if fk_was_on:
                    conn.execute("PRAGMA foreign_keys = ON")

    def _transaction(self, conn: sqlite3.Connection, migrations: list[MigrationFile],
                     direction: str) -> list[MigrationResult]:
        if conn.in_transaction:
            raise DatabaseError(
                f"{self.database}: the connection has an open transaction; commit it before migrating"
            )
        waited = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        acquired = time.perf_counter()
        waited = acquired - waited
        results: list[MigrationResult] = []
        try:
            if not self._tables_ready:
                conn.execute(METADATA_DDL)
                conn.execute(HISTORY_DDL)
                self._tables_ready = True
            start_version = _current_version(conn)
            for migration in migrations:
                try:
                    results.append(self._step(conn, migration, direction, start_version))
                except MigrationFailed as exc:
                    done = sum(not r.skipped for r in results)
                    if not done:
                        raise
                    raise type(exc)(
                        f"{exc}; the {done} migration(s) before it in the same transaction were "
                        "rolled back too",
                        version=exc.version, reason=exc.reason,
                    ) from exc
            if all(r.skipped for r in results):
                conn.execute("ROLLBACK")
                return results
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._fk_scope.forget()
            raise
        total = (time.perf_counter() - acquired) * 1000
        if len(results) == 1:
            results[0].duration_ms = total
        logger.info("%s %d migration(s) in one transaction in %.1f ms (waited %.1f ms for the lock)",
                    direction, len(results), total, waited * 1000)
        return results

    def _step(self, conn: sqlite3.Connection, migration: MigrationFile, direction: str,
              stays_at: int) -> MigrationResult:
        """One migration inside the open transaction: run it, check keys, write the history.
        ``stays_at`` is the version a failure leaves the database at (the transaction's start)."""
        current = _current_version(conn)
        if direction == "up":
            if _is_applied(conn, migration.version, current):
                logger.info("%s already applied by another connection", migration.filename)
                return MigrationResult(migration.version, migration.name, migration.filename,
                                       "up", 0.0, skipped=True)
            if current > migration.version:
                raise OutOfOrder(
                    f"{migration.path}: the database moved to version {current} while "
                    f"migrating; version {migration.version} is now below it"
                )
        elif current != migration.version:
            raise RefusedError(
                f"{migration.path}: the database is at version {current}, not "
                f"{migration.version}; another process changed it"
            )
        self._adopt(conn, current)
        started = time.perf_counter()
        function = migration.up if direction == "up" else migration.down
        try:
            self._fk_scope.start(conn)
            try:
                detail = function(Database(conn))
            finally:
                self._fk_scope.stop(conn)
        except Exception as exc:
            cause = str(exc) if isinstance(exc, QscaffoldError) else _one_line(exc)
            raise MigrationFailed(
                f"{migration.path}: {direction}() failed: {cause}; rolled back, "
                f"the database stays at version {stays_at}", version=migration.version,
                reason=f"fails: {cause}",
            ) from exc
        if not conn.in_transaction:
            cause = (f"{direction}() committed or rolled back the runner's transaction itself; "
                     "its changes may be partly saved")
            raise MigrationFailed(f"{migration.path}: {cause}", version=migration.version,
                                  reason=f"fails: {cause}")
        try:
            _check_foreign_keys(conn, migration, direction, stays_at,
                                self._fk_scope.tables_to_check(conn))
        except sqlite3.Error as exc:  # e.g. "foreign key mismatch": a key that is no key
            raise ForeignKeyViolation(
                f"{migration.path}: {direction}() left a broken foreign key: {exc}; rolled "
                f"back, the database stays at version {stays_at}", version=migration.version,
                reason=f"breaks a foreign key: {exc}",
            ) from None
        duration = (time.perf_counter() - started) * 1000
        if direction == "up":
            conn.execute(
                "INSERT OR REPLACE INTO migration_history "
                "(version, name, checksum, applied_at, duration_ms) VALUES (?, ?, ?, ?, ?)",
                (migration.version, migration.name, migration.checksum, _now(), round(duration)),
            )
            _set_version(conn, migration.version)
        else:
            conn.execute("DELETE FROM migration_history WHERE version = ?", (migration.version,))
            _set_version(conn, _previous_version(conn, migration.version))
        logger.info("%s %s in %.1f ms", direction, migration.filename, duration)
        return MigrationResult(migration.version, migration.name, migration.filename,
                               direction, duration, detail=detail)

    def _adopt(self, conn: sqlite3.Connection, current: int) -> None:
        """Write history rows for versions a database made by the Node.js system already has."""
        if current == 0:
            return
        if conn.execute("SELECT 1 FROM migration_history WHERE version = ?", (current,)).fetchone():
            return  # history reaches the current version: nothing below it to adopt
        recorded = {r[0] for r in conn.execute("SELECT version FROM migration_history")}
        horizon = max((v for v in recorded if v <= current), default=0)
        rows = [
            (f.version, f.declared_name, f.checksum, _now(), 0)
            for f in self.discover()
            if horizon < f.version <= current and f.version not in recorded
        ]
        if rows:
            conn.executemany(
                "INSERT INTO migration_history (version, name, checksum, applied_at, duration_ms) "
                "VALUES (?, ?, ?, ?, ?)", rows
            )
            logger.info("adopted %d migrations applied before history was kept", len(rows))

    # -- maintenance -----------------------------------------------------------------

    def repair(self) -> list[MigrationFile]:
        """Record the current checksum (and name) of every applied file that was edited."""
        files = {f.version: f for f in self.discover()}
        state = self.read_state()
        edited = [
            files[v] for v, row in sorted(state.history.items())
            if v in files and v <= state.current_version and files[v].checksum != row.checksum
        ]
        if not edited:
            return []
        with self._write_transaction() as conn:
            conn.executemany(
                "UPDATE migration_history SET checksum = ? WHERE version = ?",
                [(f.checksum, f.version) for f in edited],
            )
        return edited

    @contextlib.contextmanager
    def _write_transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` on the runner's connection; ``ROLLBACK`` on any error."""
        conn = self.connection
        with self._sqlite_errors():
            if conn.in_transaction:
                raise DatabaseError(
                    f"{self.database}: the connection has an open transaction; commit it first"
                )
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def backup(self, destination: str | os.PathLike | None = None) -> Path:
        """Copy the database with SQLite's online backup API; returns the copy's path."""
        if self.in_memory:
            raise UsageError("an in-memory database cannot be backed up to a file")
        if destination is None:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            version = self.get_current_version()
            destination = f"{self.database}.v{version}-{stamp}.bak"
        destination = Path(destination)
        if destination.exists():
            raise UsageError(f"{destination}: already exists; not overwriting it")
        with self._sqlite_errors():
            target = sqlite3.connect(destination)
            try:
                self.connection.backup(target)
            finally:
                target.close()
        return destination

    @contextlib.contextmanager
    def _scratch_copy(self, *, empty: bool = False) -> Iterator["MigrationRunner"]:
        """A runner on an in-memory copy of this database (for dry runs and verify), or on
        an empty in-memory database; this database is only read."""
        scratch = sqlite3.connect(":memory:", isolation_level=None)
        if empty:
            pass
        elif self._conn is not None or self.in_memory:
            with self._sqlite_errors():
                self.connection.backup(scratch)
        elif self._exists():
            # Read-only, so that even a crashed WAL log is not written back into the file.
            with self._sqlite_errors():
                source = sqlite3.connect(f"{Path(self.database).resolve().as_uri()}?mode=ro", uri=True,
                                         timeout=self.busy_timeout)
                try:
                    source.backup(scratch)
                finally:
                    source.close()
        runner = MigrationRunner(scratch, self.migrations_dir, busy_timeout=self.busy_timeout)
        runner._files = self.discover()
        runner._fk_scope = _ForeignKeyScope()  # our own connection: no caller's authorizer to keep
        try:
            yield runner
        finally:
            scratch.close()

    def plan_stamp(self, version: int) -> list[MigrationFile]:
        """The files :meth:`stamp` would record as applied (nothing is written)."""
        files = self.discover()
        if version < 0 or (version != 0 and version not in {f.version for f in files}):
            latest = max((f.version for f in files), default=0)
            raise UsageError(
                f"{self.migrations_dir}: no migration file has version {version}; stamp a "
                f"version that exists (1 to {latest}) or 0 for nothing applied"
            )
        return [f for f in files if f.version <= version]

    def stamp(self, version: int) -> list[MigrationFile]:
        """Record ``version`` as current without running any migration (adopting a database
        that already has the schema, or resetting the version).

        Files up to ``version`` without a history row get one (current checksum, duration 0);
        history rows above ``version`` are removed; one ``BEGIN IMMEDIATE`` transaction.
        Returns the files newly recorded as applied.
        """
        marked = self.plan_stamp(version)
        with self._write_transaction() as conn:
            conn.execute(METADATA_DDL)
            conn.execute(HISTORY_DDL)
            recorded = {r[0] for r in conn.execute("SELECT version FROM migration_history")}
            new = [f for f in marked if f.version not in recorded]
            conn.execute("DELETE FROM migration_history WHERE version > ?", (version,))
            conn.executemany(
                "INSERT INTO migration_history (version, name, checksum, applied_at, duration_ms) "
                "VALUES (?, ?, ?, ?, 0)",
                [(f.version, f.declared_name, f.checksum, _now()) for f in new],
            )
            _set_version(conn, version)
        self._tables_ready = True
        logger.info("stamped %s at version %d (%d history rows written)", self.database, version, len(new))
        return new


class _ForeignKeyScope:
    """Which tables a migration may have left with dangling references.

    ``PRAGMA foreign_key_check`` over the whole database reads every child table's rows,
    so running it after each migration makes a run quadratic in the schema and in the
    data. A new violation can only appear in a table with foreign keys whose rows or
    definition the migration changed, or in a child of a table whose rows, indexes or
    definition it changed. SQLite's authorizer reports each table a statement writes
    (trigger bodies included) when the statement is prepared, and installing it expires
    every prepared statement, so nothing the migration runs goes unseen. Those tables and
    their children are checked; everything is checked for the first migration of a run
    (so a database that already had violations is refused as before), after a failure,
    and when anything is unusual (``writable_schema``, an attached database). The
    child-parent map is read once and kept up to date; a rename, or a schema changed by
    another connection, reads it again. Off for connections the caller owns (their own
    authorizer must not be replaced): those get the whole check every time.
    """

    _ROW_OR_TABLE = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE,
                     sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_DROP_TABLE}  # table in arg1
    _ON_TABLE = {sqlite3.SQLITE_CREATE_INDEX, sqlite3.SQLITE_DROP_INDEX}  # table in arg2
    _DEFINITION = {sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_DROP_TABLE}

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.baseline = False  # the whole database passed the check on this connection
        self.parents: dict[str, set[str]] | None = None  # child table -> its parent tables
        self.children: dict[str, set[str]] = {}
        self.schema_version: int | None = None
        self.touched: set[str] = set()
        self.redefined: set[str] = set()
        self.reload = False
        self.everything = False
        self.watching = False

    def forget(self) -> None:
        """After a rollback: check everything next time, read the map again."""
        self.baseline = False
        self.parents = None

    def start(self, conn: sqlite3.Connection) -> None:
        self.touched, self.redefined = set(), set()
        self.reload = self.everything = self.watching = False
        if not (self.enabled and self.baseline and self.parents is not None):
            return
        if conn.execute("PRAGMA schema_version").fetchone()[0] != self.schema_version:
            self.parents = None  # another connection changed the schema: check everything
            return
        conn.set_authorizer(self._authorize)
        self.watching = True

    def stop(self, conn: sqlite3.Connection) -> None:
        if self.watching:
            conn.set_authorizer(None)
            self.watching = False

    def _authorize(self, action, arg1, arg2, schema, _source):
        if action in self._ROW_OR_TABLE:
            name = arg1
        elif action in self._ON_TABLE:
            name = arg2
        elif action == sqlite3.SQLITE_ALTER_TABLE:
            name, schema = arg2, arg1
            self.reload = True  # a rename rewrites the children's REFERENCES
        elif action == sqlite3.SQLITE_PRAGMA:
            if (arg1 or "").lower() in ("writable_schema", "legacy_alter_table"):
                self.everything = True
            return sqlite3.SQLITE_OK
        else:
            return sqlite3.SQLITE_OK
        if schema == "temp" or not name:
            return sqlite3.SQLITE_OK
        if schema not in (None, "main"):
            self.everything = True
        name = name.lower()
        if not name.startswith("sqlite_"):
            self.touched.add(name)
            if action in self._DEFINITION:
                self.redefined.add(name)
        return sqlite3.SQLITE_OK

    def tables_to_check(self, conn: sqlite3.Connection) -> list[str] | None:
        """The tables to give ``foreign_key_check``, or ``None`` for all of them."""
        if not self.enabled:
            return None
        if not self.baseline or self.parents is None or self.everything:
            self.baseline = True
            self._read_map(conn)
            self.schema_version = conn.execute("PRAGMA schema_version").fetchone()[0]
            return None
        tables: set[str] = set()
        if self.reload:
            known = set(self.parents)
            self._read_map(conn)
            tables.update(set(self.parents) - known)  # renamed into place: not seen by name
        else:
            for name in self.redefined:
                self._refresh(conn, name)
        self.schema_version = conn.execute("PRAGMA schema_version").fetchone()[0]
        for name in self.touched:
            if self.parents.get(name):
                tables.add(name)
            tables.update(self.children.get(name, ()))
        return sorted(tables)

    def _read_map(self, conn: sqlite3.Connection) -> None:
        self.parents, self.children = {}, {}
        for child, parent in conn.execute(
            "SELECT m.name, f.\"table\" FROM sqlite_master AS m, pragma_foreign_key_list(m.name, 'main') AS f "
            "WHERE m.type = 'table'"
        ):
            self._link(child.lower(), parent.lower())

    def _refresh(self, conn: sqlite3.Connection, name: str) -> None:
        for parent in self.parents.pop(name, ()):
            self.children.get(parent, set()).discard(name)
        # Empty for a table that no longer exists.
        for (parent,) in conn.execute("SELECT \"table\" FROM pragma_foreign_key_list(?, 'main')", (name,)):
            self._link(name, parent.lower())

    def _link(self, child: str, parent: str) -> None:
        self.parents.setdefault(child, set()).add(parent)
        self.children.setdefault(parent, set()).add(child)


# -- bookkeeping queries --------------------------------------------------------------


def _read_state(conn: sqlite3.Connection) -> DatabaseState:
    tables = {
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name IN ('metadata', 'migration_history')"
        )
    }
    state = DatabaseState(has_metadata="metadata" in tables, has_history="migration_history" in tables)
    if state.has_history:
        for row in conn.execute(
            "SELECT version, name, checksum, applied_at, duration_ms FROM migration_history"
        ):
            state.history[row[0]] = HistoryRow(*row)
    version = None
    if state.has_metadata:
        version = _read_version(conn)
    state.current_version = version if version is not None else max(state.history, default=0)
    return state


def _read_version(conn: sqlite3.Connection) -> int | None:
    row = conn.execute("SELECT value FROM metadata WHERE key = ?", (VERSION_KEY,)).fetchone()
    if row is None or row[0] is None:
        return None
    try:
        return int(row[0])
    except (TypeError, ValueError):
        raise DatabaseError(f"metadata.schema_version is {row[0]!r}, not a number") from None


def _current_version(conn: sqlite3.Connection) -> int:
    version = _read_version(conn)
    if version is None:
        row = conn.execute("SELECT max(version) FROM migration_history").fetchone()
        version = row[0] or 0
    return version


def _is_applied(conn: sqlite3.Connection, version: int, current: int) -> bool:
    if version > current:
        return False
    row = conn.execute("SELECT 1 FROM migration_history WHERE version = ?", (version,)).fetchone()
    if row is not None:
        return True
    # No history row at or below the version: kept by the Node.js system before history existed.
    newer = conn.execute(
        "SELECT 1 FROM migration_history WHERE version > ? AND version <= ?", (version, current)
    ).fetchone()
    return newer is None


def _set_version(conn: sqlite3.Connection, version: int) -> None:
    cursor = conn.execute("UPDATE metadata SET value = ? WHERE key = ?", (str(version), VERSION_KEY))
    if cursor.rowcount == 0:
        conn.execute("INSERT INTO metadata (key, value) VALUES (?, ?)", (VERSION_KEY, str(version)))


def _previous_version(conn: sqlite3.Connection, version: int) -> int:
    row = conn.execute("SELECT max(version) FROM migration_history WHERE version < ?", (version,)).fetchone()
    return row[0] or 0


def _check_foreign_keys(conn, migration: MigrationFile, direction: str, current: int,
                        tables: list[str] | None = None) -> None:
    if tables is None:
        violations = conn.execute("PRAGMA foreign_key_check").fetchall()
    else:
        violations = [row for table in tables
                      for row in conn.execute("SELECT * FROM pragma_foreign_key_check(?, 'main')", (table,))]
    if not violations:
        return
    shown = []
    for table, rowid, parent, _fkid in violations[:3]:
        where = f"rowid {rowid}" if rowid is not None else "a row"
        shown.append(f"{table} {where} references a missing row in {parent}")
    more = f" and {len(violations) - 3} more" if len(violations) > 3 else ""
    listed = f"{'; '.join(shown)}{more}"
    raise ForeignKeyViolation(
        f"{migration.path}: {direction}() broke foreign keys: {listed}; "
        f"rolled back, the database stays at version {current}",
        version=migration.version, reason=f"breaks foreign keys: {listed}",
    )


# -- status -------------------------------------------------------------------------


def _build_status(database: str, folder: Path, files: list[MigrationFile], state: DatabaseState) -> Status:
    current = state.current_version
    history = {v: row for v, row in state.history.items() if v <= current}
    horizon = max(history, default=0)
    entries: list[MigrationStatus] = []
    problems: list[RefusedError] = []
    file_versions = {f.version for f in files}
    for f in files:
        row = history.get(f.version)
        entry = MigrationStatus(f.version, f.declared_name, f.filename, "pending")
        if row is not None:
            entry.state = "applied"
            entry.applied_at, entry.duration_ms = row.applied_at, row.duration_ms
            if f.checksum != row.checksum:
                entry.modified = True
                problems.append(ChecksumMismatch(
                    f"{f.path}: changed since it was applied (checksum differs); revert the edit, "
                    "or accept it with `qscaffold migrate repair --yes`"
                ))
        elif f.version <= current:
            if f.version > horizon:
                entry.state, entry.adopted = "applied", True
            else:
                entry.out_of_order = True
                newer = format_filename(max(file_versions) + 1, f.slug)
                problems.append(OutOfOrder(
                    f"{f.path}: version {f.version} is pending but the database is already at "
                    f"version {current} (a merge of two branches?); renumber it above the newest: "
                    f"`git mv {f.filename} {newer}`"
                ))
        entries.append(entry)
    for version, row in sorted(history.items()):
        if version not in file_versions:
            entries.append(MigrationStatus(version, row.name, None, "missing",
                                           applied_at=row.applied_at, duration_ms=row.duration_ms))
            problems.append(MissingMigration(
                f"{folder / format_filename(version, '…')}: migration {version} ({row.name}) was "
                "applied but its file is gone; restore it from version control"
            ))
    latest_file = max(file_versions, default=0)
    if current > latest_file and not any(e.state == "missing" for e in entries):
        problems.append(DatabaseAhead(
            f"{database}: the database is at version {current}, newer than every migration file "
            f"(latest: {latest_file}); check --dir, or pull the missing files"
        ))
    entries.sort(key=lambda e: e.version)
    for e in entries:
        e.current = e.version == current and e.state in ("applied", "missing")
    return Status(database, str(folder), current, entries, problems)


def _raise_first_problem(status: Status) -> None:
    if not status.refusals:
        return
    first, rest = status.refusals[0], len(status.refusals) - 1
    if rest:
        raise type(first)(f"{first} (and {rest} more: see `qscaffold migrate status`)")
    raise first


# -- the application entry point ------------------------------------------------------


def initialize_database(
    database: str | os.PathLike | None = None,
    migrations_dir: str | os.PathLike | None = None,
    *,
    busy_timeout: float | None = None,
) -> Database:
    """Apply every pending migration and return the open database, for application start-up.

    Safe to call from many processes at once. Never prints; logs to ``qscaffold``. The
    defaults come from ``QSCAFFOLD_DATABASE`` / ``QSCAFFOLD_MIGRATIONS``, then
    ``[tool.qscaffold]``, then ``data/app.db`` and ``migrations/``.
    """
    runner = MigrationRunner(database, migrations_dir, busy_timeout=busy_timeout)
    try:
        runner.run_migrations()
    except BaseException:
        runner.close()
        raise
    return Database(runner.connection)


def require_consent(confirmed: bool, what: str) -> None:
    """Refuse a destructive action that was not confirmed."""
    if not confirmed:
        raise ConsentRequired(f"{what} needs confirmation: pass --yes (no terminal to ask on)")
