"""Other tools' ``.sql`` migrations: how each runner lays its files out and runs them.

The ``sql_runner`` setting (``--sql-runner``) names the tool that runs a project's ``.sql``
migrations. It decides two things the verdicts depend on:

- **layout**: which files are one migration, in which order, and which half is the down
  migration: markers in one file (``-- +goose Up``/``Down``, ``-- migrate:up``/``down``),
  ``<version>_<name>.up.sql`` + ``.down.sql`` pairs (sqlx, golang-migrate),
  ``<version>_<name>/up.sql`` + ``down.sql`` folders (diesel), ``V1__x.sql`` + ``U1__x.sql``
  (Flyway);
- **transactions**: whether each file runs inside one transaction the runner opens (then
  ``BEGIN``/``COMMIT`` in the file fail and ``PRAGMA foreign_keys`` is a no-op), or as
  written (the sqlite3 shell, and the per-file opt-outs ``-- +goose NO TRANSACTION``,
  dbmate's ``-- migrate:up transaction:false``, sqlx's ``-- no-transaction``, diesel's
  ``run_in_transaction = false``, Flyway's ``executeInTransaction=false``); and whether
  foreign keys are enforced while it runs (sqlx turns them on; the others leave SQLite's
  default, off).

Without the setting, each file's layout is read from its name and markers where they are
unambiguous, and it is run the way qscaffold runs ``.sql`` files: in one transaction, with
foreign keys off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SqlRunner", "RUNNERS", "runner_named", "half_of", "order_key", "chain_root",
           "runs_as_written", "is_other_language_migration", "is_flyway_callback", "sidecars",
           "DOT_COMMAND_RE"]


@dataclass(frozen=True)
class SqlRunner:
    name: str
    wraps: bool  # each file runs inside one transaction the runner opens
    foreign_keys: bool  # foreign key enforcement is on while migrations run
    summary: str


RUNNERS: dict[str, SqlRunner] = {r.name: r for r in (
    SqlRunner("qscaffold", True, False, "NNN-name.sql (-- migrate:up/down) or .up.sql/.down.sql "
              "pairs, one transaction each, foreign keys off"),
    SqlRunner("goose", True, False, "-- +goose Up/Down in one file, one transaction each unless "
              "-- +goose NO TRANSACTION"),
    SqlRunner("dbmate", True, False, "-- migrate:up/down in one file, one transaction each unless "
              "transaction:false"),
    SqlRunner("sqlx", True, True, "<version>_<name>.sql or .up.sql/.down.sql pairs, one "
              "transaction each unless -- no-transaction, foreign keys on"),
    SqlRunner("golang-migrate", True, False, "<version>_<name>.up.sql/.down.sql pairs, one "
              "transaction each (its sqlite3 driver wraps every file)"),
    SqlRunner("diesel", True, False, "<version>_<name>/up.sql + down.sql folders, one "
              "transaction each unless run_in_transaction = false"),
    SqlRunner("flyway", True, False, "V<version>__<name>.sql + U<version>__<name>.sql undo files, "
              "one transaction each unless executeInTransaction=false"),
    SqlRunner("sqlite3", False, False, "scripts fed to the sqlite3 shell, run as written "
              "(dot-commands allowed)"),
)}

# a sqlite3 shell command: a line of its own, where a statement would start
DOT_COMMAND_RE = re.compile(r"\.[A-Za-z][^\n]*")
_FLYWAY_RE = re.compile(r"^([VU])(\d+(?:[._]\d+)*)__.+\.sql$", re.I)
_REPEATABLE_RE = re.compile(r"^R__.+\.sql$", re.I)
_PAIR_RE = re.compile(r"^(.+)\.(up|down)\.sql$", re.I)
_OTHER_LANGUAGE = (".go", ".rs", ".js", ".ts", ".rb", ".java", ".kt", ".php", ".sh")
_VERSIONED_RE = re.compile(r"^V?\d+[-_.]", re.I)

# per-file ways out of the runner's transaction
_NO_TRANSACTION = {
    "goose": re.compile(r"^[ \t]*--[ \t]*\+goose[ \t]+NO[ \t]+TRANSACTION\b", re.I | re.M),
    "dbmate": re.compile(r"^[ \t]*--[ \t]*migrate:(?:up|down)\b[^\n]*\btransaction:false\b",
                         re.I | re.M),
    "sqlx": re.compile(r"\A\s*--[ \t]*no-transaction\b", re.I),
}


def runner_named(name: str | None) -> SqlRunner | None:
    """The runner called ``name`` (``None`` for none: detect per file); ``KeyError`` for an
    unknown name."""
    if name is None:
        return None
    return RUNNERS[name.strip().lower()]


def half_of(path: Path) -> str | None:
    """``"up"`` or ``"down"`` for one half of a two-file migration, ``None`` for a whole one."""
    name = path.name
    pair = _PAIR_RE.match(name)
    if pair:
        return pair.group(2).lower()
    if name.lower() in ("up.sql", "down.sql") and path.parent.name[:1].isdigit():
        return name[:-4].lower()
    flyway = _FLYWAY_RE.match(name)
    if flyway:
        return "down" if flyway.group(1).upper() == "U" else "up"
    return None


def chain_root(path: Path) -> Path:
    """The migrations folder a file belongs to (a diesel ``up.sql`` is one level down)."""
    if path.name.lower() in ("up.sql", "down.sql") and path.parent.name[:1].isdigit():
        return path.parent.parent
    return path.parent


def order_key(path: Path) -> tuple:
    """Where a file runs in its chain: by version, the up half before its down half; files
    without a version (Flyway's repeatable ``R__`` ones) last."""
    name = path.name
    half = 1 if half_of(path) == "down" else 0
    if name.lower() in ("up.sql", "down.sql") and path.parent.name[:1].isdigit():
        name = path.parent.name
    flyway = _FLYWAY_RE.match(name)
    if flyway:
        version = tuple(int(p) for p in re.split(r"[._]", flyway.group(2)))
        return (0, version, name[len(flyway.group(1)):], half)
    if _REPEATABLE_RE.match(name):
        return (1, (0,), name, half)
    pair = _PAIR_RE.match(name)
    base = pair.group(1) if pair else name
    digits = re.match(r"\d+", base)
    if digits:
        return (0, (int(digits.group(0)),), base, half)
    return (1, (0,), base, half)


_CALLBACK_RE = re.compile(r"^(?:before|after)(?:Each)?(?:Migrate|Clean|Validate|Info|Repair|"
                          r"Baseline|Undo|Statement)\w*(?:__[^/]*)?\.sql$")


def is_flyway_callback(path: Path) -> bool:
    """A Flyway callback script (``afterMigrate.sql``, ``beforeEachMigrate__x.sql``): run
    around migrations, not one of them."""
    return bool(_CALLBACK_RE.match(path.name))


def is_other_language_migration(path: Path) -> bool:
    """A versioned migration the linter cannot read (goose's ``00005_x.go``, Flyway's
    ``V5__x.java``…): the schema after it is unknown."""
    return path.suffix.lower() in _OTHER_LANGUAGE and bool(_VERSIONED_RE.match(path.name))


def sidecars(path: Path) -> list[Path]:
    """The files beside a migration that change how it runs (diesel's ``metadata.toml``,
    Flyway's ``V1__x.sql.conf``): part of what a cached verdict about it depends on."""
    out = []
    if path.name.lower() in ("up.sql", "down.sql") and path.parent.name[:1].isdigit():
        out.append(path.parent / "metadata.toml")
    if _FLYWAY_RE.match(path.name):
        out.append(path.with_name(path.name + ".conf"))
    return [p for p in out if p.is_file()]


def runs_as_written(path: Path, text: str, runner: SqlRunner | None) -> bool:
    """Whether the file runs as written rather than inside one transaction its runner
    opens: the sqlite3 shell, a per-file opt-out, or (detected) a shell script with
    dot-commands."""
    if runner is not None and not runner.wraps:
        return True
    names = (runner.name,) if runner is not None else tuple(_NO_TRANSACTION)
    if any(_NO_TRANSACTION[n].search(text) for n in names if n in _NO_TRANSACTION):
        return True
    if runner is None or runner.name == "diesel":
        meta = path.parent / "metadata.toml"
        if half_of(path) and path.name.lower() in ("up.sql", "down.sql") and meta.is_file():
            try:
                if re.search(r"^\s*run_in_transaction\s*=\s*false\b", meta.read_text("utf-8"),
                             re.M):
                    return True
            except (OSError, UnicodeDecodeError):
                pass
    if runner is None or runner.name == "flyway":
        conf = path.with_name(path.name + ".conf")
        if _FLYWAY_RE.match(path.name) and conf.is_file():
            try:
                if re.search(r"^\s*executeInTransaction\s*=\s*false\b", conf.read_text("utf-8"),
                             re.M | re.I):
                    return True
            except (OSError, UnicodeDecodeError):
                pass
    return False
