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
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from .backends import CommitOutcomeUnknown
from .config import MEMORY, load_settings
from .database import Database
from .errors import (
    BookkeepingMismatch,
    ChecksumMismatch,
    DatabaseChanged,
    DuplicateVersion,
    ConsentRequired,
    DatabaseAhead,
    DatabaseError,
    DatabaseLocked,
    ForeignKeyViolation,
    MigrationFailed,
    MigrationFileError,
    MissingMigration,
    NotADatabase,
    OutOfOrder,
    QscaffoldError,
    RefusedError,
    TransactionEscaped,
    UsageError,
)
from .files import MigrationFile, discover, format_filename, migration_file, renumbering
from .guard import TransactionGuard
from .history import BookkeepingNames, DatabaseState, History


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
    error: str | None = None  # a pending file that does not load: why
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
    # Tables, indexes, views and triggers it wrote or redefined (lower case), as SQLite's
    # authorizer saw them; None when unknown (a caller's connection, or an ALTER TABLE).
    tables: frozenset[str] | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["detail"] = None if self.detail is None else str(self.detail)
        data.pop("tables")
        return data


Callback = Callable[[MigrationResult], None]
# on_event(event, migration, direction): "waiting" just before asking for the write lock,
# "running" once it is held and up()/down() starts. For progress displays; the runner
# itself never prints.
EventCallback = Callable[[str, MigrationFile, str], None]


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
        metadata_table: str | None = None,
        history_table: str | None = None,
    ) -> None:
        if (database is None or migrations_dir is None or busy_timeout is None
                or metadata_table is None or history_table is None):
            settings = load_settings()
            database = settings.database if database is None else database
            migrations_dir = settings.migrations_dir if migrations_dir is None else migrations_dir
            busy_timeout = settings.busy_timeout if busy_timeout is None else busy_timeout
            metadata_table = settings.metadata_table if metadata_table is None else metadata_table
            history_table = settings.history_table if history_table is None else history_table
        # The bookkeeping tables (qscaffold.history): `metadata` and `migration_history` unless
        # the project chose other names.
        self.bookkeeping = BookkeepingNames(metadata_table, history_table)
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
        self._previous_of: tuple = (None, {})  # (files, version -> the file version below it)
        self._tables_ready = False
        self._backend = None  # a server's database (qscaffold.backends), opened on first use
        self._on_event: EventCallback | None = None
        # Both watch through SQLite's authorizer: on connections the runner owns and that have one.
        self._fk_scope = _ForeignKeyScope(enabled=self._owns_connection and not self.remote)
        # The transaction guard's authorizer (qscaffold.guard) runs on connections the runner
        # owns; a caller's connection keeps its own authorizer and gets the check afterwards.
        self._guarded = self._owns_connection and not self.remote

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

    @property
    def remote(self) -> bool:
        """Whether the database lives on a server (``dqlite://…``), not in a SQLite file."""
        return "://" in self.database and not self.database.startswith("file:")

    @property
    def backend(self):
        """The server's backend (:mod:`qscaffold.backends`); ``None`` for a SQLite file."""
        if self._backend is None and self.remote:
            from .backends import open_backend

            self._backend = open_backend(self.database, busy_timeout=self.busy_timeout)
        return self._backend

    def _exists(self) -> bool:
        if self._conn is not None or self.in_memory or self.remote:
            return True
        path = Path(self.database)
        if path.is_dir():
            raise DatabaseError(f"{self.database}: is a folder, not a database file")
        return path.exists()

    @property
    def database_exists(self) -> bool:
        """Whether the database is there already (``migrate up`` creates a missing file)."""
        return self._exists()

    @property
    def connection(self) -> sqlite3.Connection:
        """The runner's connection, opened on first use (the parent folder is created)."""
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        path = self.database
        if self.remote:
            backend = self.backend
            try:
                return backend.connect()
            except sqlite3.Error as exc:
                raise DatabaseError(f"{path}: cannot open database: {exc}") from None
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
            try:
                self._files = discover(self.migrations_dir)
            except DuplicateVersion as exc:
                raise self._duplicate(exc) from None
        return self._files

    def _previous_file_version(self, version: int) -> int:
        """The highest file version below ``version`` (0 when none); looked up, not searched,
        so that a run stays linear in the number of files."""
        files = self.discover()
        if self._previous_of[0] is not files:
            self._previous_of = (files, {f.version: p.version for p, f in zip(files, files[1:])})
        return self._previous_of[1].get(version, 0)

    def _duplicate(self, exc: DuplicateVersion) -> DuplicateVersion:
        """Two files share a version: when one of them is applied here, the advice names the
        other, the one that never ran (renaming the applied one would run it again)."""
        if not exc.paths or not self._exists():
            return exc
        row = self.read_state().history.get(exc.version)
        if row is None:
            return exc
        candidates = [migration_file(p) for p in exc.paths]
        applied = [f for f in candidates if f.checksum == row.checksum]
        applied = applied or [f for f in candidates if f.declared_name == row.name]
        if len(applied) != 1:
            return exc
        pending = next(f for f in candidates if f is not applied[0])
        return DuplicateVersion(
            f"{pending.path}: version {exc.version} is also used by {applied[0].filename}, which is "
            f"applied in {self.database}; this file never ran: renumber it above the newest: "
            f"{_renumbering(pending, exc.newest)}",
            version=exc.version, paths=exc.paths, newest=exc.newest,
        )

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
        with self._reading() as conn:
            return History(conn, label=self.database, names=self.bookkeeping).read()

    def _writing(self) -> None:
        """A command that writes plans on the connection it writes with: no private copy of
        the database is read first (that is for the read-only commands)."""
        if self._exists():
            self.connection  # noqa: B018 - opens it

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection to read from: the runner's own once it is open (a migration run),
        otherwise one that changes no file (see qscaffold.readonly)."""
        with self._sqlite_errors():
            if self._conn is not None or self.in_memory or self.remote or self.database.startswith("file:"):
                yield self.connection
                return
            from .readonly import open_readonly

            with open_readonly(self.database, timeout=self.busy_timeout) as conn:
                yield conn

    def get_current_version(self) -> int:
        """The schema version recorded in the database (0 when nothing was applied)."""
        return self.read_state().current_version

    def status(self, *, load: bool = True) -> Status:
        """Every migration as applied, pending or missing, and what ``up`` would refuse,
        including (with ``load``) a pending file that does not load."""
        files = self.discover()
        state = self.read_state()
        status = _build_status(self.database, self.migrations_dir, files, state)
        if load:
            by_version = {f.version: f for f in files}
            for entry in status.pending:
                try:
                    by_version[entry.version].module  # noqa: B018 - imports and validates
                except MigrationFileError as exc:
                    entry.error = str(exc)
                    status.refusals.append(exc)
        return status

    def check(self) -> Status:
        """The status, or the first refusal when the files and the database disagree (files
        that ``up`` runs are loaded by ``up`` itself)."""
        status = self.status(load=False)
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
        on_event: EventCallback | None = None,
    ) -> list[MigrationResult]:
        """Apply pending migrations in order (up to version ``to``, or ``steps`` of them),
        one transaction each. ``on_result`` hears of each result, ``on_event`` of each
        migration waiting for the write lock and starting (see :data:`EventCallback`).

        With ``single_transaction`` they all run in one transaction, history rows included:
        any failure rolls back every one of them and the database is exactly as it was;
        ``on_result`` hears of them only once that transaction has committed.

        With ``dry_run`` they run on an in-memory copy of the database, which is then
        thrown away: failures are reported exactly as a real run would, and the database
        is left as it was.
        """
        if dry_run:
            if self.remote:  # the copy is plain SQLite: refuse what the server would
                self.backend.check_migrations(self.pending())
            with self._scratch_copy() as scratch:
                return scratch.run_migrations(to=to, steps=steps, single_transaction=single_transaction,
                                              on_result=on_result, on_event=on_event)
        _check_limits(steps, to, self.discover())
        self._writing()
        todo = self.pending()
        if to is not None:
            current = self.get_current_version()
            if to < current:
                raise UsageError(
                    f"--to {to}: the database is at version {current}; up only goes forward "
                    f"(use `migrate down --to {to}`)"
                )
            todo = [f for f in todo if f.version <= to]
        if steps is not None:
            todo = todo[:steps]
        for migration in todo:  # every file must load before anything runs
            migration.module  # noqa: B018
        if self.remote:
            self.backend.check_migrations(todo)
        if single_transaction:
            self._on_event = on_event
            try:
                results = self._apply_batch(todo, "up") if todo else []
            finally:
                self._on_event = None
            for result in results if on_result else ():
                on_result(result)
            return results
        return self._apply_all(todo, "up", on_result, on_event)

    def _apply_all(self, todo: list[MigrationFile], direction: str, on_result: Callback | None,
                   on_event: EventCallback | None) -> list[MigrationResult]:
        results = []
        self._on_event = on_event
        try:
            for migration in todo:
                result = self._apply(migration, direction)
                results.append(result)
                if on_result:
                    on_result(result)
        finally:
            self._on_event = None
        return results

    def rollback(
        self,
        *,
        steps: int | None = None,
        to: int | None = None,
        dry_run: bool = False,
        on_result: Callback | None = None,
        on_event: EventCallback | None = None,
    ) -> list[MigrationResult]:
        """Run ``down`` of the newest applied migration, or of ``steps`` of them, or of
        every one above version ``to``, newest first, one transaction each."""
        if dry_run:
            if self.remote:  # the copy is plain SQLite: refuse what the server would
                self.backend.check_migrations(self.plan_rollback(steps=steps, to=to))
            with self._scratch_copy() as scratch:
                return scratch.rollback(steps=steps, to=to, on_result=on_result, on_event=on_event)
        self._writing()
        todo = self.plan_rollback(steps=steps, to=to)
        if self.remote:
            self.backend.check_migrations(todo)
        return self._apply_all(todo, "down", on_result, on_event)

    def plan_rollback(self, *, steps: int | None = None, to: int | None = None) -> list[MigrationFile]:
        """The files whose ``down`` a rollback would run, newest first (nothing is run)."""
        _check_limits(steps, to, self.discover())
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
        return self._apply_batch([migration], direction)[0]

    def _apply_batch(self, migrations: list[MigrationFile], direction: str) -> list[MigrationResult]:
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
                if conn is not self._conn:  # lost during COMMIT and replaced (_settle_commit)
                    conn.close()

    def _transaction(self, conn: sqlite3.Connection, migrations: list[MigrationFile],
                     direction: str) -> list[MigrationResult]:
        if conn.in_transaction:
            raise DatabaseError(
                f"{self.database}: the connection has an open transaction; commit it before migrating"
            )
        if self._on_event:
            self._on_event("waiting", migrations[0], direction)
        waited = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        acquired = time.perf_counter()
        waited = acquired - waited
        if waited >= 1:
            logger.info("%s: waited %.1f s for the database lock held by another process",
                        migrations[0].filename, waited)
        results: list[MigrationResult] = []
        try:
            history = History(conn, label=self.database, names=self.bookkeeping)
            if not self._tables_ready:
                history.create_tables()
                self._tables_ready = True
            start_version = history.current_version()
            # Several migrations up in one transaction: after the first one this transaction
            # applied, the lock has been held throughout, so the version is known without
            # reading it, and it is written once, before COMMIT.
            batch = len(migrations) > 1 and direction == "up"
            known: int | None = None
            for migration in migrations:
                if self._on_event:
                    self._on_event("running", migration, direction)
                try:
                    result = self._step(conn, history, migration, direction, start_version,
                                        current=known, move_version=not batch)
                    results.append(result)
                    if batch and not result.skipped:
                        known = migration.version
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
            if known is not None:
                history.set_version(known)
            try:
                conn.execute("COMMIT")
            except CommitOutcomeUnknown as exc:
                self._settle_commit(results, direction, exc)
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

    def _settle_commit(self, results: list[MigrationResult], direction: str, lost: Exception) -> None:
        """The connection to a server was lost while ``COMMIT`` ran: reconnect (to the new
        leader) and let the history say whether the transaction was saved."""
        logger.warning("%s: %s; reading the history again", self.database, lost)
        self._conn = None  # the lost one is closed by _apply_batch, which still holds it
        self._fk_scope.forget()
        state = self.read_state()
        ran = [r.version for r in results if not r.skipped]
        saved = all((v in state.history) == (direction == "up") for v in ran)
        if not saved:
            raise DatabaseError(
                f"{self.database}: the connection was lost during COMMIT and the history shows "
                f"it was not saved: the database stays at version {state.current_version}; run "
                "the command again")
        logger.info("%s: the history shows the COMMIT was saved", self.database)

    def _check_unchanged(self, history: History, migration: MigrationFile, direction: str,
                         current: int) -> None:
        """Planned outside the lock: the database must still be where the plan left it (a
        ``down`` or an ``up`` in another process may have run in between); adopts a database
        the Node.js system made."""
        if direction == "up":
            # Every lower version must still be applied.
            previous = self._previous_file_version(migration.version)
            if current > migration.version or current < previous:
                raise DatabaseChanged(
                    f"{migration.path}: the database changed while migrating: it is at "
                    f"version {current} now, not {previous} (another process rolled back or "
                    "applied migrations); this migration did not run: run "
                    "`qscaffold migrate up` again"
                )
        elif current != migration.version or not history.is_applied(current, current):
            raise DatabaseChanged(
                f"{migration.path}: the database changed while migrating: it is at version "
                f"{current} now, not {migration.version} (another process rolled back or "
                "applied migrations); nothing was rolled back: check `qscaffold migrate status`"
            )
        adopted = history.adopt(current, self.discover())
        if adopted:
            logger.info("adopted %d migrations applied before history was kept", adopted)

    def _step(self, conn: sqlite3.Connection, history: History, migration: MigrationFile, direction: str,
              stays_at: int, *, current: int | None = None, move_version: bool = True) -> MigrationResult:
        """One migration inside the open transaction: run it, check keys, write the history.
        ``stays_at`` is the version a failure leaves the database at (the transaction's start).
        ``current``: the version, known because this transaction applied the one before (no
        check or adoption is needed then); ``move_version=False`` leaves the recorded version
        to the caller."""
        if current is None:
            current = history.current_version()
            if direction == "up" and history.is_applied(migration.version, current):
                logger.info("%s already applied by another connection", migration.filename)
                return MigrationResult(migration.version, migration.name, migration.filename,
                                       "up", 0.0, skipped=True)
            self._check_unchanged(history, migration, direction, current)
        started = time.perf_counter()
        function = migration.up if direction == "up" else migration.down
        self._fk_scope.start(conn)
        guard = TransactionGuard(conn, enforce=self._guarded,
                                 observe=self._fk_scope.observe if self._fk_scope.watching else None)
        failure: BaseException | None = None
        guard.start()
        try:
            detail = function(Database(conn))
        except (Exception, SystemExit) as exc:
            failure = exc
        finally:
            self._fk_scope.stop(conn)
            escape = guard.finish()
        if escape.untrusted:
            raise self._escaped(migration, direction, stays_at, escape, guard, failure)
        if escape or failure is not None:
            if escape:
                cause = f"{direction}() broke the rules of the runner's transaction: {escape.describe()}"
            elif isinstance(failure, SystemExit):
                cause = f"{direction}() called sys.exit({failure.code!r})"
            elif isinstance(failure, QscaffoldError):
                cause = str(failure)
            else:
                cause = _one_line(failure)
            conn.execute("ROLLBACK")
            guard.restore()
            if not escape and isinstance(failure, sqlite3.DatabaseError):
                engine = self._engine_fault(failure, migration, direction, stays_at)
                if engine is not None:
                    raise engine from None
            trust = " (the settings it changed are put back)" if escape.changed else ""
            raise MigrationFailed(
                f"{migration.path}{_line_in(failure, migration.path)}: {direction}() failed: "
                f"{cause}; rolled back{trust}, "
                f"the database stays at version {stays_at}", version=migration.version,
                reason=f"fails: {cause}",
            ) from failure
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
            history.record_up(migration, duration, move_version=move_version)
        else:
            history.record_down(migration.version)
        logger.info("%s %s in %.1f ms", direction, migration.filename, duration)
        return MigrationResult(migration.version, migration.name, migration.filename,
                               direction, duration, detail=detail,
                               tables=None if guard.touched is None else frozenset(guard.touched))

    def _engine_fault(self, exc: sqlite3.DatabaseError, migration: MigrationFile, direction: str,
                      current: int) -> DatabaseError | None:
        """An engine error that is the database's fault, not the migration's: a read-only
        file, a corrupt one, a full disk. None for anything the migration caused."""
        message = str(exc)
        lowered = message.lower()
        hint = ""
        if "readonly" in lowered or "read-only" in lowered:
            what = "is read-only"
        elif "malformed" in lowered or "not a database" in lowered:
            what = "is corrupt"
            hint = "; check it with `PRAGMA integrity_check` and restore a backup"
        elif "disk is full" in lowered or "disk i/o" in lowered:
            what = "cannot be written"
        else:
            return None
        return DatabaseError(
            f"{self.database}: the database {what} ({message}), found while {migration.filename} "
            f"ran {direction}(); rolled back, the database stays at version {current}{hint}"
        )

    def _escaped(self, migration: MigrationFile, direction: str, current: int, escape, guard,
                 failure: BaseException | None) -> MigrationFailed:
        """The error for a migration that ended the runner's transaction: what it ran before
        that may be saved, so no rollback is claimed. Whatever transaction is open now (one the
        migration began) is rolled back, and the settings it changed are put back."""
        conn = self.connection
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        guard.restore()
        self._fk_scope.forget()
        history = History(conn, label=self.database, names=self.bookkeeping)
        recorded = history.current_version() if history.exists() else 0
        also = f"; then it failed: {_one_line(failure)}" if failure is not None else ""
        cause = f"{direction}() escaped the runner's transaction: {escape.describe()}{also}"
        return TransactionEscaped(
            f"{migration.path}: {cause}; NOT rolled back: what it ran may be saved (the recorded version is {recorded}, was {current}); compare "
            "the database with a backup", version=migration.version, reason=f"fails: {cause}",
        )

    # -- maintenance -----------------------------------------------------------------

    def repair(self) -> list[MigrationFile]:
        """Record the current checksum (and name) of every applied file that was edited."""
        self._writing()
        # Only files whose history row is theirs (same name) and that count as applied: a
        # different migration under the same number never ran, and is never recorded here.
        files = {f.version: f for f in self.discover()}
        edited = [files[m.version] for m in self.status().migrations if m.modified]
        if not edited:
            return []
        with self._write_transaction() as conn:
            History(conn, label=self.database, names=self.bookkeeping).update_checksums(edited)
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
        """Copy the database with SQLite's online backup API; returns the copy's path
        (``<database>.v<version>-<UTC time>[-N].bak`` unless ``destination`` is given).
        Nothing is left behind when the copy cannot be written."""
        if self.in_memory:
            raise UsageError("an in-memory database cannot be backed up to a file")
        from .backup import write_backup

        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        name = self.backend.backup_name() if self.remote else self.database  # a server's: here
        base = f"{name}.v{self.get_current_version()}-{stamp}"
        with self._sqlite_errors():
            return write_backup(self.connection, destination, base=base)

    def scratch_copy(self, *, empty: bool = False) -> contextlib.AbstractContextManager["MigrationRunner"]:
        """A runner on an in-memory copy of this database (or on an empty in-memory database),
        thrown away at the end of the ``with`` block; this database is only read (no file of
        it changes, a crashed writer's WAL included). Dry runs and ``verify`` work on one."""
        return self._scratch_copy(empty=empty)

    def apply(self, migration: MigrationFile, direction: str = "up") -> MigrationResult:
        """Run one migration's ``up`` or ``down`` in its own transaction, checked inside the
        lock against what the database says (``up``: every lower version applied and this one
        not; ``down``: this one is the current version)."""
        if direction not in ("up", "down"):
            raise UsageError(f"direction {direction!r}: must be 'up' or 'down'")
        return self._apply(migration, direction)

    @contextlib.contextmanager
    def _scratch_copy(self, *, empty: bool = False) -> Iterator["MigrationRunner"]:
        """A runner on an in-memory copy of this database (for dry runs and verify), or on
        an empty in-memory database; this database is only read."""
        scratch = sqlite3.connect(":memory:", isolation_level=None)
        if empty:
            pass
        elif self._conn is not None or self.in_memory or self.remote:
            with self._sqlite_errors():
                self.connection.backup(scratch)
        elif self._exists():
            with self._reading() as source:  # changes no file, a crashed writer's WAL included
                source.backup(scratch)
        runner = MigrationRunner(scratch, self.migrations_dir, busy_timeout=self.busy_timeout,
                                 metadata_table=self.bookkeeping.metadata,
                                 history_table=self.bookkeeping.history)
        runner._files = self.discover()
        runner._fk_scope = _ForeignKeyScope()  # our own connection: no caller's authorizer to keep
        runner._guarded = True
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
        self._writing()
        marked = self.plan_stamp(version)
        with self._write_transaction() as conn:
            new = History(conn, label=self.database, names=self.bookkeeping).stamp(version, marked)
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
        self.watching = True  # the transaction guard's authorizer calls observe()

    def stop(self, conn: sqlite3.Connection) -> None:
        self.watching = False

    def observe(self, action, arg1, arg2, schema, _source):
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


# -- foreign keys ---------------------------------------------------------------------


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


def _renumbering(f: MigrationFile, newest: int) -> str:
    """How to move a file that never ran here above every other version."""
    return renumbering(f, newest)


def _build_status(database: str, folder: Path, files: list[MigrationFile], state: DatabaseState) -> Status:
    current = state.current_version
    history = state.history
    entries: list[MigrationStatus] = []
    problems: list[RefusedError] = []
    file_versions = {f.version for f in files}
    newest = max(file_versions | {current}, default=0)
    # The bookkeeping must agree with itself before the files are judged against it.
    above = sorted(v for v in history if v > current)
    if above:
        problems.append(BookkeepingMismatch(
            f"{database}: metadata.schema_version is {current} but migration_history records "
            f"{_versions(above)} as applied; the bookkeeping was edited by hand: put "
            f"schema_version back to {max(history)}, or roll back with `qscaffold migrate down`"
        ))
    elif history and current > max(history):
        problems.append(BookkeepingMismatch(
            f"{database}: metadata.schema_version is {current} but migration_history ends at "
            f"version {max(history)}; versions above it were never recorded as applied: put "
            f"schema_version back to {max(history)}, or record them with `qscaffold migrate "
            f"stamp {current} --yes` if the schema really has them"
        ))
    lost = state.recorded_rows is not None and state.recorded_rows > len(history)
    if state.recorded_rows is not None and state.recorded_rows < len(history) and not above:
        problems.append(BookkeepingMismatch(
            f"{database}: migration_history has {len(history)} rows but {state.recorded_rows} "
            "were recorded; rows were added by hand: remove them, or `qscaffold migrate stamp`"
        ))
    for f in files:
        row = history.get(f.version)
        entry = MigrationStatus(f.version, f.declared_name, f.filename, "pending")
        if row is not None and f.checksum != row.checksum and row.name != f.declared_name:
            # Another migration holds this version here (two branches each added it): this file
            # never ran, whatever its number says.
            entry.out_of_order = True
            problems.append(OutOfOrder(
                f"{f.path}: version {f.version} in this database is {row.name!r} (applied "
                f"{row.applied_at}), a different migration; this file never ran here: renumber "
                f"it above the newest: {_renumbering(f, newest)}"
            ))
        elif row is not None:
            entry.state = "applied"
            entry.applied_at, entry.duration_ms = row.applied_at, row.duration_ms
            if f.checksum != row.checksum:
                entry.modified = True
                problems.append(ChecksumMismatch(
                    f"{f.path}: changed since it was applied (checksum differs); revert the edit, "
                    "or accept it with `qscaffold migrate repair --yes`"
                ))
        elif f.version <= current:
            if not history:  # a database of the Node.js system: schema_version only
                entry.state, entry.adopted = "applied", True
            elif lost:
                entry.out_of_order = True
                problems.append(BookkeepingMismatch(
                    f"{f.path}: version {f.version} has no history row, but migration_history "
                    f"had {state.recorded_rows} rows and now has {len(history)}: its row was "
                    f"deleted, so it was applied; do not renumber it: restore the row with "
                    f"`qscaffold migrate stamp {current} --yes` (records it without running it)"
                ))
            elif state.recorded_rows is None:
                entry.out_of_order = True
                problems.append(OutOfOrder(
                    f"{f.path}: version {f.version} is pending but the database is already at "
                    f"version {current}; if it comes from another branch it never ran here: "
                    f"renumber it above the newest: {_renumbering(f, newest)}; if its history "
                    f"row was deleted it did run: `qscaffold migrate stamp {current} --yes` "
                    "records it again"
                ))
            else:
                entry.out_of_order = True
                problems.append(OutOfOrder(
                    f"{f.path}: version {f.version} is pending but the database is already at "
                    f"version {current} (a merge of two branches?); renumber it above the "
                    f"newest: {_renumbering(f, newest)}"
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


def _line_in(exc: BaseException | None, path: Path) -> str:
    """``:LINE`` of the last line of ``path`` that the traceback of ``exc`` passes through
    (the statement of the migration that failed), or ``""``."""
    if exc is None:
        return ""
    wanted = os.path.abspath(path)
    line, tb = None, exc.__traceback__
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == wanted:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f":{line}" if line else ""


def _check_limits(steps: int | None, to: int | None, files: list[MigrationFile]) -> None:
    """``--steps`` and ``--to``, the same rules for up and down: one of them, ``steps`` 1 or
    more, ``to`` 0 or a version some file has."""
    if steps is not None and to is not None:
        raise UsageError("give either --steps or --to, not both")
    if steps is not None and steps < 1:
        raise UsageError(f"--steps {steps}: must be 1 or more")
    if to is not None:
        if to < 0:
            raise UsageError(f"--to {to}: must be 0 or more")
        if to != 0 and to not in {f.version for f in files}:
            raise UsageError(f"--to {to}: no migration file has version {to}")


def _versions(versions: list[int]) -> str:
    return ("version " if len(versions) == 1 else "versions ") + ", ".join(map(str, versions))


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
    metadata_table: str | None = None,
    history_table: str | None = None,
) -> Database:
    """Apply every pending migration and return the open database, for application start-up.

    Safe to call from many processes at once. Never prints; logs to ``qscaffold``. The
    defaults come from ``QSCAFFOLD_DATABASE`` / ``QSCAFFOLD_MIGRATIONS``, then
    ``[tool.qscaffold]``, then ``data/app.db`` and ``migrations/``.
    """
    runner = MigrationRunner(database, migrations_dir, busy_timeout=busy_timeout,
                             metadata_table=metadata_table, history_table=history_table)
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
