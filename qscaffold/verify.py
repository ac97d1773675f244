"""``migrate verify``: run every migration up, down and up again on a scratch copy and check
that ``down`` gives back exactly the schema ``up`` started from.

The copy is an in-memory database: the configured one copied with SQLite's backup API, or an
empty one (``fresh``). The real file is only read.

Order of work:

1. Migrations already applied in the copy are rolled back one at a time, newest first. A
   migration without ``down`` (or whose ``down`` fails) stops the walk: the older applied
   ones are reported as not checked.
2. From there every migration, in version order, gets a round trip right after its own
   ``up``: ``up``, ``down``, ``up`` again. After each step ``PRAGMA integrity_check`` must say
   ok and ``PRAGMA foreign_key_check`` must be empty; after ``down`` the schema must equal the
   one before ``up``; after the second ``up`` it must equal the one after the first. Once the
   newest applied migration is up again, the schema must be the one the database started
   with (a report-level problem otherwise). When a round trip fails, the copy
   is put back to its state right after the first ``up`` so later migrations are checked on
   the schema they were written for. A failing first ``up`` stops the run: the migrations
   after it are reported as not checked.

Schemas are read with the one schema model (:mod:`qscaffold.schema.model`) and compared
structurally from ``sqlite_master`` and the pragmas (tables, columns
with type, NOT NULL, default, primary-key position and hidden/generated flag, foreign keys,
indexes, UNIQUE constraints, views, triggers), never as CREATE TABLE text; what no pragma
shows (CHECK expressions, COLLATE, generated expressions, AUTOINCREMENT) is read from the
tokens of the CREATE TABLE statement, so formatting, quoting and case never count. qscaffold's own
``metadata`` and ``migration_history`` tables and SQLite's internal tables are left out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import DatabaseError, MigrationFailed
from .schema.create import table_clauses  # noqa: F401  (re-exported: verify's name for it)
from .schema.model import IGNORED_TABLES, Index, Schema, Table  # noqa: F401
from .schema.model import read_model as snapshot
from .schema.normalize import normalize_sql  # noqa: F401
from .schema.quote import always_quoted

if TYPE_CHECKING:
    from .files import MigrationFile
    from .runner import MigrationRunner

PASSED, FAILED, NOT_CHECKED = "passed", "failed", "not checked"


# -- snapshots, step by step ----------------------------------------------------------


class SnapshotReader:
    """Snapshots of one connection's schema, kept up to date step by step.

    ``verify`` takes one after every step; reading the whole schema each time made it
    quadratic (1,000 migrations: 140 s). When the runner says which objects a step wrote
    (:attr:`MigrationResult.tables`, from SQLite's authorizer; :meth:`note` is told after
    every step), only those, and the indexes and triggers of those tables, are read again;
    everything else is the previous snapshot's objects, unchanged (so a diff can skip them).
    """

    def __init__(self) -> None:
        self._last: Schema | None = None
        self._dirty: set[str] | None = None  # names written since the last snapshot; None: all
        self._indexes_of: dict[str, set[str]] = {}  # table -> its indexes, in the last snapshot
        self._triggers_of: dict[str, set[str]] = {}  # table -> its triggers
        self.changed: set[str] | None = None  # names that may differ from the snapshot before

    def note(self, tables: frozenset[str] | None) -> None:
        """A step wrote ``tables`` (None: unknown, read everything next time)."""
        if tables is None or self._dirty is None:
            self._dirty = None
        else:
            self._dirty |= tables

    def take(self, conn: sqlite3.Connection) -> Schema:
        """The schema now; :attr:`changed` then names what may differ from the previous one."""
        last, dirty = self._last, self._dirty
        self._dirty = set()
        if last is not None and dirty is not None and not dirty:
            self.changed = set()
            return last
        if last is None or dirty is None:
            schema = part = snapshot(conn)
            self._indexes_of, self._triggers_of = {}, {}
            self.changed = None
        else:
            part = snapshot(conn, only=dirty)
            tables, indexes = dict(last.tables), dict(last.indexes)
            views, triggers, entries = dict(last.views), dict(last.triggers), dict(last.entries)
            changed = set(dirty)
            for name in dirty:
                changed |= self._indexes_of.pop(name, set()) | self._triggers_of.pop(name, set())
            for name in changed:
                for part_of in (tables, indexes, views, triggers):
                    part_of.pop(name, None)
                for kind in ("view", "trigger", "index"):
                    entries.pop((kind, name), None)
            tables.update(part.tables)
            indexes.update(part.indexes)
            views.update(part.views)
            triggers.update(part.triggers)
            entries.update(part.entries)
            changed.update(part.tables, part.indexes, part.views, part.triggers)
            schema = Schema(tables, indexes, views, triggers, entries)
            self.changed = changed
        read = schema if self.changed is None else part  # what was read just now
        for key, index in read.indexes.items():
            self._indexes_of.setdefault(index.table, set()).add(key)
        for key, (_name, table, _sql) in read.triggers.items():
            self._triggers_of.setdefault(table, set()).add(key)
        self._last = schema
        return schema


# -- differences -------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One way ``actual`` differs from ``expected``: ``extra``, ``missing`` or ``changed``."""

    kind: str
    what: str  # "column sessions.user_id", "index idx_x", …
    detail: str = ""


def _keys(a: dict, b: dict, only: set[str] | None):
    if only is None:
        return sorted(a.keys() | b.keys())
    return sorted(k for k in only if k in a or k in b)


def diff_schemas(expected: Schema, actual: Schema, *, only: set[str] | None = None) -> list[Difference]:
    """Everything in which ``actual`` differs from ``expected``, in a stable order; with
    ``only``, just the tables, indexes, views and triggers of those names (what changed in
    between, see :attr:`SnapshotReader.changed`)."""
    out: list[Difference] = []
    for key in _keys(expected.tables, actual.tables, only):
        before, after = expected.tables.get(key), actual.tables.get(key)
        if before is after:  # the same snapshot object: not read again, so unchanged
            continue
        if before is None:
            out.append(Difference("extra", f"table {after.name}"))
        elif after is None:
            out.append(Difference("missing", f"table {before.name}"))
        else:
            out.extend(_diff_table(before, after))
    for key in _keys(expected.indexes, actual.indexes, only):
        before, after = expected.indexes.get(key), actual.indexes.get(key)
        if before is after:
            continue
        if before is None:
            out.append(Difference("extra", f"index {after.name}"))
        elif after is None:
            if before.table in actual.tables or before.table not in expected.tables:
                out.append(Difference("missing", f"index {before.name}"))
        elif before != after:
            out.append(Difference("changed", f"index {before.name}", _index_change(before, after)))
    for label, kinds in (("view", (expected.views, actual.views)),
                         ("trigger", (expected.triggers, actual.triggers))):
        before_all, after_all = kinds
        for key in _keys(before_all, after_all, only):
            before, after = before_all.get(key), after_all.get(key)
            if before is None:
                out.append(Difference("extra", f"{label} {after[0]}"))
            elif after is None:
                out.append(Difference("missing", f"{label} {before[0]}"))
            elif before[1:] != after[1:]:
                out.append(Difference("changed", f"{label} {before[0]}", "its SQL differs"))
    return out


def _diff_table(before: Table, after: Table) -> list[Difference]:
    out = []
    name = before.name
    old_cols = {c.name.lower(): c for c in before.columns}
    new_cols = {c.name.lower(): c for c in after.columns}
    for col in after.columns:
        if col.name.lower() not in old_cols:
            out.append(Difference("extra", f"column {name}.{col.name}"))
    for col in before.columns:
        other = new_cols.get(col.name.lower())
        if other is None:
            out.append(Difference("missing", f"column {name}.{col.name}"))
        elif col.shape() != other.shape():
            out.append(Difference("changed", f"column {name}.{col.name}",
                                  f"{col.describe()} → {other.describe()}"))
    common_before = [c.name.lower() for c in before.columns if c.name.lower() in new_cols]
    common_after = [c.name.lower() for c in after.columns if c.name.lower() in old_cols]
    if common_before != common_after:
        out.append(Difference("changed", f"table {name}",
                              f"column order ({', '.join(common_before)}) → ({', '.join(common_after)})"))
    for fk in sorted(after.foreign_keys - before.foreign_keys, key=repr):
        out.append(Difference("extra", fk.describe(name)))
    for fk in sorted(before.foreign_keys - after.foreign_keys, key=repr):
        out.append(Difference("missing", fk.describe(name)))
    for origin, unique, cols in sorted(after.constraints - before.constraints):
        out.append(Difference("extra", _constraint(name, origin, cols)))
    for origin, unique, cols in sorted(before.constraints - after.constraints):
        out.append(Difference("missing", _constraint(name, origin, cols)))
    for check in sorted(after.checks - before.checks):
        out.append(Difference("extra", f"CHECK ({check}) on {name}"))
    for check in sorted(before.checks - after.checks):
        out.append(Difference("missing", f"CHECK ({check}) on {name}"))
    if before.without_rowid != after.without_rowid:
        out.append(Difference("changed", f"table {name}", _flag("WITHOUT ROWID", before.without_rowid,
                                                                 after.without_rowid)))
    if before.strict != after.strict:
        out.append(Difference("changed", f"table {name}", _flag("STRICT", before.strict, after.strict)))
    return out


def _constraint(table: str, origin: str, cols) -> str:
    kind = "PRIMARY KEY" if origin == "pk" else "UNIQUE constraint"
    return f"{kind} on {table}({', '.join(c[0] for c in cols)})"


def _flag(word: str, before: bool, after: bool) -> str:
    return f"{'' if before else 'not '}{word} → {'' if after else 'not '}{word}"


def _index_change(before: Index, after: Index) -> str:
    parts = []
    if before.table != after.table:
        parts.append(f"table {before.table} → {after.table}")
    if before.columns != after.columns:
        parts.append(f"columns ({before.column_list()}) → ({after.column_list()})")
    if before.unique != after.unique:
        parts.append("unique → not unique" if before.unique else "not unique → unique")
    if before.partial != after.partial or before.where != after.where:
        parts.append(f"WHERE {before.where or '(none)'} → {after.where or '(none)'}")
    return "; ".join(parts) or "its definition differs"


_PHRASES = {
    # after down, compared with the schema before up
    "down": {"extra": "down leaves {what}",
             "missing": "down drops {what} that existed before",
             "changed": "down changes {what}: {detail}"},
    # after the second up, compared with the schema after the first up
    "redo": {"extra": "up after down adds {what} that the first up did not",
             "missing": "up after down does not recreate {what}",
             "changed": "up after down gives a different {what}: {detail}"},
    # after down then up of an applied migration, compared with the database's own schema
    "restore": {"extra": "down then up adds {what} that the database did not have",
                "missing": "down then up loses {what}",
                "changed": "down then up changes {what}: {detail}"},
}


def describe(difference: Difference, context: str) -> str:
    """A difference in plain words, for the step it was found after."""
    return _PHRASES[context][difference.kind].format(what=difference.what, detail=difference.detail)


# -- health checks ---------------------------------------------------------------------


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """What ``PRAGMA integrity_check`` reports (empty when it says ok)."""
    rows = [r[0] for r in conn.execute("PRAGMA main.integrity_check")]
    return [] if rows == ["ok"] else rows


def foreign_key_problems(conn: sqlite3.Connection) -> list[str]:
    """``PRAGMA foreign_key_check`` as sentences (empty when every reference resolves)."""
    out = []
    for table, rowid, parent, _fkid in conn.execute("PRAGMA main.foreign_key_check"):
        where = f"rowid {rowid}" if rowid is not None else "a row"
        out.append(f"{table} {where} references a missing row in {parent}")
    return out


def _health(conn: sqlite3.Connection, step: str, tables: frozenset[str] | None = None) -> list[str]:
    """integrity_check and foreign_key_check after ``step``. When the step's tables are known,
    only they are checked (one table's integrity_check, SQLite 3.33+; foreign keys were checked
    by the runner before its COMMIT): the whole database after every step made verify
    quadratic."""
    if tables is not None and not any(t.startswith("sqlite_") for t in tables):
        problems = []
        names = sorted(tables)
        existing = [r[0] for r in conn.execute(  # not indexes, views, triggers or dropped tables
            f"SELECT name FROM main.sqlite_master WHERE type = 'table' AND lower(name) IN "
            f"({', '.join('?' * len(names))}) ORDER BY name", names)] if names else []
        for table in existing:
            rows = [r[0] for r in conn.execute(f'PRAGMA main.integrity_check({always_quoted(table)})')]
            if rows != ["ok"]:
                problems.append(f"{step} fails integrity_check: {'; '.join(rows[:3])}")
        return problems
    problems = []
    integrity = integrity_problems(conn)
    if integrity:
        problems.append(f"{step} fails integrity_check: {'; '.join(integrity[:3])}")
    try:
        keys = foreign_key_problems(conn)
    except sqlite3.DatabaseError as exc:  # "foreign key mismatch": a reference to no key
        return problems + [f"{step} breaks foreign keys: {exc}"]
    if keys:
        more = f" and {len(keys) - 3} more" if len(keys) > 3 else ""
        problems.append(f"{step} breaks foreign keys: {'; '.join(keys[:3])}{more}")
    return problems


# -- the report -----------------------------------------------------------------------


@dataclass
class MigrationVerdict:
    """What verification found for one migration."""

    version: int
    name: str
    file: str
    status: str = PASSED  # "passed", "failed" or "not checked"
    problems: list[str] = field(default_factory=list)  # why it failed, or why it was not checked
    was_applied: bool = False  # applied in the copy before verification started

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def fail(self, problem: str) -> None:
        self.status = FAILED
        if problem not in self.problems:
            self.problems.append(problem)

    def to_dict(self) -> dict:
        return {"version": self.version, "name": self.name, "file": self.file,
                "status": self.status, "problems": list(self.problems),
                "was_applied": self.was_applied}


@dataclass
class VerifyReport:
    """The result of :func:`verify`."""

    database: str
    migrations_dir: str
    fresh: bool
    start_version: int  # the copy's version before anything ran
    verdicts: list[MigrationVerdict]
    problems: list[str] = field(default_factory=list)  # about the copy itself, before any step

    @property
    def passed(self) -> bool:
        return not self.problems and all(v.status != FAILED for v in self.verdicts) and not any(
            v.status == NOT_CHECKED for v in self.verdicts
        )

    @property
    def failed(self) -> list[MigrationVerdict]:
        return [v for v in self.verdicts if v.status == FAILED]

    def verdict(self, version: int) -> MigrationVerdict:
        return next(v for v in self.verdicts if v.version == version)

    def to_dict(self) -> dict:
        return {
            "database": self.database,
            "migrations_dir": self.migrations_dir,
            "fresh": self.fresh,
            "start_version": self.start_version,
            "passed": self.passed,
            "problems": list(self.problems),
            "migrations": [v.to_dict() for v in self.verdicts],
        }


# -- verification ------------------------------------------------------------------------


def verify(runner: "MigrationRunner", *, fresh: bool = False,
           on_check: "Callable[[MigrationFile, str], None] | None" = None,
           on_verdict: Callable[[MigrationVerdict], None] | None = None) -> VerifyReport:
    """Verify every migration of ``runner``'s folder on a scratch copy of its database (or on
    an empty in-memory database when ``fresh``). The runner's database is only read.

    Raises the runner's refusals (an edited or missing applied file, a file that does not
    load, …) before anything runs; failures of the migrations themselves are in the report.
    ``on_check(migration, steps)`` hears of each migration as its check starts (``steps``:
    ``"down"`` for an applied one rolled back, ``"up, down, up"`` for the round trip), and
    ``on_verdict`` gets each verdict as soon as it is final (in version order; the ones that
    could not be checked come last). Linear in the number of migrations: schemas are read
    again only where a step changed them.
    """
    runner.load_migrations()
    emitted: set[int] = set()

    def emit(verdict: MigrationVerdict) -> None:
        emitted.add(verdict.version)
        on_verdict(verdict)

    with runner.scratch_copy(empty=fresh) as scratch:
        try:
            report = _verify_on(scratch, runner, fresh=fresh, on_check=on_check or (lambda m, steps: None),
                                on_verdict=emit if on_verdict else None)
            for verdict in report.verdicts:  # those that were never checked, last
                if on_verdict is not None and verdict.version not in emitted:
                    on_verdict(verdict)
            return report
        except sqlite3.DatabaseError as exc:  # the copy itself is unreadable: a corrupt database
            raise DatabaseError(
                f"{runner.database}: the database is corrupt ({exc}); nothing was verified: check "
                "it with `PRAGMA integrity_check` and restore a backup"
            ) from None


def _verify_on(scratch: "MigrationRunner", origin: "MigrationRunner", *, fresh: bool,
               on_check, on_verdict=None) -> VerifyReport:
    conn = scratch.connection
    reader = SnapshotReader()
    status = scratch.check()
    files = scratch.discover()
    applied = {m.version for m in status.applied}
    verdicts = {f.version: MigrationVerdict(f.version, f.name, f.filename, was_applied=f.version in applied)
                for f in files}
    report = VerifyReport(":memory:" if fresh else origin.database, str(origin.migrations_dir),
                          fresh, status.current_version, [verdicts[f.version] for f in files])
    before = _health(conn, "the database before any migration")
    if before:
        report.problems.extend(before)
        for verdict in report.verdicts:
            verdict.status = NOT_CHECKED
            verdict.problems.append("not checked: the database is already broken before any migration")
        return report

    # 1. Walk the applied migrations down, newest first.
    original = reader.take(conn)
    by_version = {f.version: f for f in files}
    bottom = 0
    for version in sorted(applied, reverse=True):
        migration = by_version[version]
        verdict = verdicts[version]
        if migration.down is None:
            verdict.fail("down is missing")
            bottom = version
            break
        on_check(migration, "down")
        problem, result = _step(scratch, migration, "down", reader=reader)
        if problem:
            verdict.fail(problem)
            bottom = version
            break
        for p in _health(conn, "down", result.tables):
            verdict.fail(p)
    for version in sorted(applied):
        if version < bottom:
            verdicts[version].status = NOT_CHECKED
            verdicts[version].problems.append(
                f"not checked: the copy cannot be rolled back past version {bottom}, so this "
                "applied migration was left as it is"
            )

    # 2. Every migration above the bottom: up, down, up again, each checked. Once the newest
    #    applied one is up again, the schema must be the one the database had.
    top = max(applied, default=0)
    replay = _Replay(scratch, reader)
    try:
        _round_trips(scratch, files, bottom, top, verdicts, report, original, reader, replay,
                     on_check, on_verdict)
    finally:
        replay.close()
    return report


def _round_trips(scratch, files, bottom, top, verdicts, report, original, reader, replay,
                 on_check, on_verdict) -> None:
    for migration in [f for f in files if f.version > bottom]:
        verdict = verdicts[migration.version]
        on_check(migration, "up, down, up")
        after_up = _round_trip(scratch, migration, verdict, reader, replay)
        if on_verdict is not None:
            on_verdict(verdict)
        if after_up is not None and migration.version == top:
            for d in diff_schemas(original, after_up):
                report.problems.append(
                    "the applied migrations, rolled back and applied again, do not give back "
                    f"the database's schema: {describe(d, 'restore')}"
                )
        if after_up is None:
            for later in files:
                if later.version > migration.version:
                    verdicts[later.version].status = NOT_CHECKED
                    verdicts[later.version].problems.append(
                        f"not checked: {migration.filename} failed before it"
                    )
            break


def _round_trip(scratch: "MigrationRunner", migration: "MigrationFile",
                verdict: MigrationVerdict, reader: SnapshotReader, replay: "_Replay") -> Schema | None:
    """Up, down, up of one migration, leaving it applied as after its first ``up``; returns
    the schema after that first ``up``, or None when it failed."""
    conn = scratch.connection
    before = reader.take(conn)
    problem, result = _step(scratch, migration, "up", reader=reader)
    if problem:
        verdict.fail(problem)
        return None
    replay.done.append(migration)
    for p in _health(conn, "up", result.tables):
        verdict.fail(p)
    after = reader.take(conn)
    changed_by_up = reader.changed
    if migration.down is None:
        verdict.fail("down is missing")
        return after
    changed_by_down = _checked_step(scratch, migration, verdict, reader, "down", before, "down",
                                    since=changed_by_up)
    if changed_by_down is not False:
        _checked_step(scratch, migration, verdict, reader, "up", after, "redo", label="up after down",
                      since=changed_by_down)
    if not verdict.passed:
        replay.restore()  # back to "just after up" for the migrations that follow
    return after


class _Replay:
    """Puts the copy back to "just after the last first up" when a round trip failed: the
    state from before the round trips, then every first ``up`` again. Only failures pay for
    it (a copy of the database before each round trip made verify quadratic)."""

    def __init__(self, scratch: "MigrationRunner", reader: SnapshotReader) -> None:
        self.scratch = scratch
        self.reader = reader
        state = scratch.read_state()
        if state.current_version == 0 and not state.has_history:
            scratch.stamp(0)  # the bookkeeping tables, so that the saved state has them too
        self.base = sqlite3.connect(":memory:")
        scratch.connection.backup(self.base)
        self.done: list["MigrationFile"] = []

    def restore(self) -> None:
        self.reader.note(None)
        self.base.backup(self.scratch.connection)
        for migration in self.done:
            self.scratch.apply(migration, "up")

    def close(self) -> None:
        self.base.close()


def _checked_step(scratch: "MigrationRunner", migration: "MigrationFile", verdict: MigrationVerdict,
                  reader: SnapshotReader, direction: str, expected: Schema, context: str, *,
                  label: str | None = None, since: set[str] | None):
    """Run one step of a round trip, then check the copy: healthy, and its schema ``expected``
    (which differs from the snapshot before this step in ``since`` at most). Returns what the
    step changed (None: unknown), or False when the step itself failed."""
    problem, result = _step(scratch, migration, direction, label=label, reader=reader)
    if problem:
        verdict.fail(problem)
        return False
    for p in _health(scratch.connection, label or direction, result.tables):
        verdict.fail(p)
    actual = reader.take(scratch.connection)
    changed = reader.changed
    only = None if since is None or changed is None else since | changed
    for d in diff_schemas(expected, actual, only=only):
        verdict.fail(describe(d, context))
    return changed


def _step(scratch: "MigrationRunner", migration: "MigrationFile", direction: str,
          *, label: str | None = None, reader: SnapshotReader):
    """Run one direction of one migration through the runner: (a failure in plain words, or
    None; the result). ``reader`` learns what the step wrote."""
    label = label or direction
    try:
        result = scratch.apply(migration, direction)
    except MigrationFailed as exc:
        reader.note(None)  # rolled back; read everything again all the same
        return f"{label} {exc.reason}", None
    except DatabaseError as exc:  # the engine outside the migration, e.g. a lock
        reader.note(None)
        cause = str(exc)
        prefix = f"{scratch.database}: "
        return f"{label} fails: {cause[len(prefix):] if cause.startswith(prefix) else cause}", None
    reader.note(result.tables)
    return None, result
