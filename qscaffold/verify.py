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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import DatabaseError, MigrationFailed
from .schema.create import table_clauses  # noqa: F401  (re-exported: verify's name for it)
from .schema.model import IGNORED_TABLES, Index, Schema, Table  # noqa: F401
from .schema.model import read_model as snapshot
from .schema.normalize import normalize_sql  # noqa: F401

if TYPE_CHECKING:
    from collections.abc import Callable

    from .files import MigrationFile
    from .runner import MigrationRunner

PASSED, FAILED, NOT_CHECKED = "passed", "failed", "not checked"


# -- differences -------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One way ``actual`` differs from ``expected``: ``extra``, ``missing`` or ``changed``."""

    kind: str
    what: str  # "column sessions.user_id", "index idx_x", …
    detail: str = ""


def diff_schemas(expected: Schema, actual: Schema) -> list[Difference]:
    """Everything in which ``actual`` differs from ``expected``, in a stable order."""
    out: list[Difference] = []
    for key in sorted(expected.tables.keys() | actual.tables.keys()):
        before, after = expected.tables.get(key), actual.tables.get(key)
        if before is None:
            out.append(Difference("extra", f"table {after.name}"))
        elif after is None:
            out.append(Difference("missing", f"table {before.name}"))
        else:
            out.extend(_diff_table(before, after))
    for key in sorted(expected.indexes.keys() | actual.indexes.keys()):
        before, after = expected.indexes.get(key), actual.indexes.get(key)
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
        for key in sorted(before_all.keys() | after_all.keys()):
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


def _health(conn: sqlite3.Connection, step: str) -> list[str]:
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
           on_check: "Callable[[MigrationFile, str], None] | None" = None) -> VerifyReport:
    """Verify every migration of ``runner``'s folder on a scratch copy of its database (or on
    an empty in-memory database when ``fresh``). The runner's database is only read.

    Raises the runner's refusals (an edited or missing applied file, a file that does not
    load, …) before anything runs; failures of the migrations themselves are in the report.
    ``on_check(migration, steps)`` hears of each migration as its check starts (``steps``:
    ``"down"`` for an applied one rolled back, ``"up, down, up"`` for the round trip).
    """
    runner.load_migrations()
    with runner._scratch_copy(empty=fresh) as scratch:
        return _verify_on(scratch, runner, fresh=fresh, on_check=on_check or (lambda m, steps: None))


def _verify_on(scratch: "MigrationRunner", origin: "MigrationRunner", *, fresh: bool,
               on_check) -> VerifyReport:
    conn = scratch.connection
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
    original = snapshot(conn)
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
        problem = _step(scratch, migration, "down")
        if problem:
            verdict.fail(problem)
            bottom = version
            break
        for p in _health(conn, "down"):
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
    for migration in [f for f in files if f.version > bottom]:
        verdict = verdicts[migration.version]
        on_check(migration, "up, down, up")
        after_up = _round_trip(scratch, migration, verdict)
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
    return report


def _round_trip(scratch: "MigrationRunner", migration: "MigrationFile",
                verdict: MigrationVerdict) -> Schema | None:
    """Up, down, up of one migration, leaving it applied as after its first ``up``; returns
    the schema after that first ``up``, or None when it failed."""
    conn = scratch.connection
    before = snapshot(conn)
    problem = _step(scratch, migration, "up")
    if problem:
        verdict.fail(problem)
        return None
    for p in _health(conn, "up"):
        verdict.fail(p)
    after = snapshot(conn)
    if migration.down is None:
        verdict.fail("down is missing")
        return after
    saved = sqlite3.connect(":memory:")
    try:
        conn.backup(saved)
        if _checked_step(scratch, migration, verdict, "down", before, "down"):
            _checked_step(scratch, migration, verdict, "up", after, "redo", label="up after down")
        if not verdict.passed:
            saved.backup(conn)  # back to "just after up" for the migrations that follow
    finally:
        saved.close()
    return after


def _checked_step(scratch: "MigrationRunner", migration: "MigrationFile", verdict: MigrationVerdict,
                  direction: str, expected: Schema, context: str, *, label: str | None = None) -> bool:
    """Run one step of a round trip, then check the copy: healthy, and its schema ``expected``.
    False when the step itself failed."""
    problem = _step(scratch, migration, direction, label=label)
    if problem:
        verdict.fail(problem)
        return False
    for p in _health(scratch.connection, label or direction):
        verdict.fail(p)
    for d in diff_schemas(expected, snapshot(scratch.connection)):
        verdict.fail(describe(d, context))
    return True




def _step(scratch: "MigrationRunner", migration: "MigrationFile", direction: str,
          *, label: str | None = None) -> str | None:
    """Run one direction of one migration through the runner; a failure in plain words."""
    label = label or direction
    try:
        scratch._apply(migration, direction)
    except MigrationFailed as exc:
        return f"{label} {exc.reason}"
    except DatabaseError as exc:  # the engine outside the migration, e.g. a lock
        cause = str(exc)
        prefix = f"{scratch.database}: "
        return f"{label} fails: {cause[len(prefix):] if cause.startswith(prefix) else cause}"
    return None
