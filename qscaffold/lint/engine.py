"""The lint engine: files → statements → rules → findings.

Pipeline (one pass per migrations folder):

1. **Extract** SQL from ``.py`` migrations with :mod:`ast` (never imported, never run) or read
   ``.sql`` files whole; keep each statement's line and column in the file.
2. **Split** with :func:`qscaffold.sql.split_statements` (trigger-, string- and comment-aware).
3. **Classify** by leading keywords (:func:`classify`) before sqlglot is involved.
4. **Rules**: each statement rule gets a :class:`~qscaffold.lint.model.Statement` whose sqlglot
   tree is parsed lazily, once; file rules get a :class:`~qscaffold.lint.model.FileUnit`.
5. **Shadow schema and engine oracle**: the ``up`` SQL of earlier migrations of the folder
   and the earlier statements of the file are replayed into an in-memory database. DDL runs
   for real inside a SAVEPOINT, everything else is only compiled (``EXPLAIN``), nothing that
   touches files (ATTACH, DETACH, VACUUM) runs at all. What SQLite says about a statement is
   reported as QS001 (syntax) or QS010 (any other rejection), unless a more specific error
   rule already explains it.
6. ``noqa``, ``--select`` and ``--ignore`` filter the findings.

sqlglot is imported only when a statement is actually parsed.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..files import parse_filename
from ..sql import first_keywords, split_statements
from .extract import (
    Noqa,
    SqlCall,
    SqlPiece,
    UnreadableFile,
    decode,
    python_noqa,
    read_python,
    sql_noqa,
    sql_pieces,
)
from .model import (FileUnit, Finding, Severity, ShadowConnection, Statement, Version,
                    parse_version, scratch)
from .registry import Rule, all_rules

__all__ = ["lint_paths", "lint_sql", "classify", "is_sqlglot_blind_spot", "LINTABLE_SUFFIXES"]

LINTABLE_SUFFIXES = (".py", ".sql")
ENGINE_CODES = ("QS001", "QS002", "QS003", "QS004", "QS005", "QS009", "QS010")
_TRANSACTION = {"BEGIN", "COMMIT", "END", "ROLLBACK"}
_SAVEPOINT = {"SAVEPOINT", "RELEASE"}
_FILE_TOUCHING = {"ATTACH", "DETACH", "VACUUM"}
_DDL = {"CREATE", "DROP", "ALTER"}
_REPLAYED_PRAGMAS = {"LEGACY_ALTER_TABLE", "DEFER_FOREIGN_KEYS", "RECURSIVE_TRIGGERS",
                     "CASE_SENSITIVE_LIKE"}
# Judge a DROP COLUMN that ends a rolled-back section on a copy of its table (see
# Shadow.replay_last_in_scratch); switched off only to compare against the whole shadow.
_FAST_DROP_COLUMN = True
_VM_STEP_BUDGET = 2_000  # progress-handler calls (x1000 VM steps) allowed per statement
_NO_SUCH_RE = re.compile(r"^no such (?:table|column|index|view|trigger|constraint): (.+)$")
_WORD_RE = re.compile(r"\w+")
_USES_RE = re.compile(r"statement uses (\d+)")
_SNAPSHOT_WORDS_MAX = 400  # bound parameters per IN list of a snapshot query
_CREATE_PLAIN_TABLE = re.compile(r"\s*CREATE\s+TABLE\b", re.I)
_NEAR_RE = re.compile(r'(?:near|unrecognized token:) "(.+)"(?:: syntax error)?$', re.S)


# -- classification ---------------------------------------------------------------------


def classify(sql: str) -> str:
    """The statement's kind from its leading keywords, before any parser sees it.

    One of ``transaction`` (BEGIN/COMMIT/END/ROLLBACK), ``savepoint`` (SAVEPOINT/RELEASE/
    ROLLBACK TO), ``file`` (ATTACH/DETACH/VACUUM), ``pragma``, ``ddl`` (CREATE/DROP/ALTER),
    ``other`` (queries and DML).
    """
    words = first_keywords(sql, 2)
    if not words:
        return "other"
    head = words[0]
    if head == "ROLLBACK" and len(words) > 1 and words[1] == "TO":
        return "savepoint"
    if head in _TRANSACTION:
        return "transaction"
    if head in _SAVEPOINT:
        return "savepoint"
    if head in _FILE_TOUCHING:
        return "file"
    if head == "PRAGMA":
        return "pragma"
    if head in _DDL:
        return "ddl"
    return "other"


_BLIND_RE = [
    re.compile(r"^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TRIGGER\b", re.I),
    re.compile(r"\)\s*(?:STRICT\s*,\s*)?WITHOUT\s+ROWID\b", re.I),
    re.compile(r"^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TABLE\b.*\bON\s+CONFLICT\b", re.I | re.S),
    re.compile(r"^\s*ALTER\s+TABLE\s+\S+\s+DROP\s+(?!COLUMN\b)\w", re.I),
    re.compile(r"^\s*ALTER\s+TABLE\s+\S+\s+ADD\s+(?:CONSTRAINT\s+\S+\s+)?CHECK\b", re.I),
    re.compile(r"^\s*ALTER\s+TABLE\s+\S+\s+DROP\s+CONSTRAINT\b", re.I),
    re.compile(r"^\s*ALTER\s+TABLE\s+\S+\s+ALTER\s+(?:COLUMN\s+)?\S+\s+(?:SET|DROP)\s+NOT\s+NULL\b", re.I),
    re.compile(r"^\s*(?:SAVEPOINT|RELEASE|END|REPLACE|REINDEX|VACUUM|ANALYZE|ROLLBACK\s+TO)\b", re.I),
    re.compile(r"^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?\S+\s*\(", re.I),
]


def is_sqlglot_blind_spot(sql: str) -> bool:
    """Statement kinds sqlglot is known to mis-parse although SQLite accepts them (triggers,
    WITHOUT ROWID, ON CONFLICT clauses, ``ALTER TABLE t DROP c``, the 3.53 constraint ALTERs,
    SAVEPOINT/RELEASE/END, REPLACE INTO …). The classifier understands these, so a sqlglot
    fallback on them is not worth a QS002."""
    return any(pattern.search(sql) for pattern in _BLIND_RE)


# -- shadow schema ----------------------------------------------------------------------


class Shadow:
    """An in-memory database holding the schema as the migrations so far would leave it."""

    def __init__(self, *, known: bool = True) -> None:
        self.conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False,
                                    factory=ShadowConnection)
        self.known = known  # False once dynamic or failed DDL makes the schema a guess
        self.failed_words: set[str] = set()
        self._steps = [0]  # shared with the scratch views of this shadow
        self._scratch = False
        self._dropped: dict[tuple[str, str], frozenset[str]] = {}  # see replay_last_in_scratch
        self.conn.progress = self._progress
        self.conn.set_progress_handler(self._progress, 1000)

    def _progress(self) -> int:
        self._steps[0] += 1
        return 1 if self._steps[0] > _VM_STEP_BUDGET else 0

    def close(self) -> None:
        if not self._scratch:
            self.conn.close()

    @contextmanager
    def scratch(self):
        """A view of this shadow whose statements are undone on exit (a SAVEPOINT rolled
        back): as if they ran on an independent copy, without copying the database."""
        view = Shadow.__new__(Shadow)
        view.conn = self.conn
        view.known = self.known
        view.failed_words = set(self.failed_words)
        view._steps = self._steps
        view._scratch = True
        view._dropped = {}
        self._steps[0] = 0
        with scratch(self.conn):
            yield view

    def probe_with_stub(self, sql: str, table: str) -> str | None:
        """SQLite's verdict on ``sql`` once a stub table ``table`` exists (undone after)."""
        with self.scratch() as view:
            quoted = '"' + table.replace('"', '""') + '"'
            if view._run(f"CREATE TABLE {quoted} (_qs_stub)") is not None:
                return None
            return view.replay(sql)

    def locate_syntax_error(self, sql: str, error: str) -> int | None:
        """Offset in ``sql`` of the token SQLite's syntax error names: the first occurrence
        of it after which the statement, cut there, fails the same way (earlier ones only
        make it incomplete). Compiled with EXPLAIN only; ``None`` when it cannot tell."""
        match = _NEAR_RE.match(error)
        if not match:
            return None
        token = match.group(1)
        start = 0
        for _ in range(64):
            index = sql.find(token, start)
            if index < 0:
                return None
            if error.startswith("unrecognized token"):
                return index
            if self._run("EXPLAIN " + sql[: index + len(token)]) == error:
                return index
            start = index + 1
        return None

    def replay(self, sql: str, kind: str | None = None) -> str | None:
        """Apply (DDL, a few pragmas) or compile (everything else) one statement.

        Returns SQLite's error message, or ``None`` when it accepts the statement. A failed
        statement leaves the schema as it was.
        """
        kind = kind or classify(sql)
        if kind == "file" or (kind == "pragma" and not _replayed_pragma(sql)):
            return None  # some pragmas act while being compiled: only a harmless few run
        if kind == "ddl" or kind == "pragma":
            # autocommit: one statement is atomic, a failed one leaves the schema as it was
            error = self._run(sql)
            if kind == "pragma" and error is None:
                words = first_keywords(sql, 2)
                if len(words) > 1 and words[1] == "CASE_SENSITIVE_LIKE":
                    self.conn.case_sensitive_like = _pragma_boolean(sql)
        else:
            error = self._run("EXPLAIN " + sql)
        return error

    def note_failure(self, sql: str) -> None:
        """Remember the words of a failed DDL statement: later "no such …" errors about
        them follow from this failure and are not reported again."""
        if classify(sql) == "ddl":
            self.failed_words.update(w.lower() for w in _WORD_RE.findall(sql))

    def _run(self, sql: str) -> str | None:
        error = self._execute(sql)
        if self._scratch and not self.conn.in_transaction:
            # an error that rolled back the whole transaction took the savepoint with it
            self.conn.execute("SAVEPOINT _qs_scratch")
        return error

    def _execute(self, sql: str) -> str | None:
        self._steps[0] = 0
        attempts: list = [(), None, _AnyParams()]
        params = attempts[0]
        for attempt in range(3):
            try:
                self.conn.execute(sql, params).fetchall()
                return None
            except sqlite3.ProgrammingError as exc:
                text = str(exc)
                match = _USES_RE.search(text)
                if attempt == 0 and match:
                    params = (None,) * int(match.group(1))
                    continue
                if "binding" in text or "supplied" in text:
                    params = _AnyParams()
                    continue
                return None  # a driver complaint, not SQLite's verdict
            except sqlite3.Warning:
                return None
            except sqlite3.Error as exc:
                message = str(exc)
                if message == "interrupted":
                    return None
                return message
            except (ValueError, OverflowError, MemoryError):
                return None
        return None

    def snapshot(self, tables: set[str] | None = None) -> dict[tuple[str, str], frozenset[str]]:
        """Objects in the schema: ``(type, name)`` → column names, listed for the tables and
        views named in ``tables`` (all of them when ``None``), empty for the others.

        With ``tables``, only objects that statements made of those words can create, drop
        or change are listed: those whose name (or whose table's name) consists of words in
        ``tables``. Comparing two snapshots taken with the same words therefore shows the
        same differences as comparing whole ones."""
        result: dict[tuple[str, str], frozenset[str]] = {}
        try:
            if tables is None:
                rows = self.conn.execute(
                    "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
                ).fetchall()
            else:
                # names made of one ASCII word are matched in SQL (NOCASE folds ASCII
                # like lower(); the words are lower-cased already); any other name is
                # fetched and judged below
                words = sorted(tables)
                if 0 < len(words) <= _SNAPSHOT_WORDS_MAX:
                    marks = ", ".join("?" * len(words))
                    rows = self.conn.execute(
                        "SELECT type, name, tbl_name FROM sqlite_master WHERE "
                        f"(name COLLATE NOCASE IN ({marks}) OR tbl_name COLLATE NOCASE IN ({marks}) "
                        "OR name = '' OR tbl_name = '' "
                        "OR name GLOB '*[^A-Za-z0-9_]*' OR tbl_name GLOB '*[^A-Za-z0-9_]*') "
                        "AND name NOT LIKE 'sqlite_%'", words + words).fetchall()
                else:
                    spaced = " " + " ".join(words) + " "
                    rows = self.conn.execute(
                        "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                        "AND (instr(?1, ' ' || lower(name) || ' ') > 0 "
                        "OR instr(?1, ' ' || lower(tbl_name) || ' ') > 0 "
                        "OR name = '' OR tbl_name = '' "
                        "OR name GLOB '*[^A-Za-z0-9_]*' OR tbl_name GLOB '*[^A-Za-z0-9_]*')",
                        (spaced,)).fetchall()
            for kind, name, owner in rows:
                if tables is not None and not (_made_of(name, tables) or _made_of(owner, tables)):
                    continue
                columns: frozenset[str] = frozenset()
                if kind in ("table", "view") and (tables is None or name.lower() in tables):
                    columns = frozenset(
                        r[0].lower() for r in self.conn.execute(
                            "SELECT name FROM pragma_table_xinfo(?)", (name,))
                    )
                result[(kind, name.lower())] = columns
        except sqlite3.Error:
            pass
        for key, columns in self._dropped.items():
            if key in result and (tables is None or key[1] in tables):
                result[key] = columns
        return result

    def replay_last_in_scratch(self, sql: str) -> tuple[bool, str | None]:
        """``(True, SQLite's verdict)`` for an ``ALTER TABLE t DROP COLUMN c`` that is the
        last statement run on this scratch view, judged on a fresh database holding only
        ``t`` and its indexes; ``(False, None)`` when that cannot stand for the shadow.

        Nothing runs on the shadow: the view is rolled back once its statements are done,
        and only :meth:`snapshot` still looks at it, which sees the table's columns as the
        copy leaves them. SQLite checks every view and trigger of the schema on a DROP
        COLUMN, and nothing else outside the table and its indexes (foreign keys are not
        enforced by the shadow, and a table's own FOREIGN KEY clauses are in its SQL), so
        while the schema has no views, triggers or temporary objects and the table holds
        no rows, the copy's verdict is the shadow's."""
        if not self._scratch:
            return False, None
        from .rules._syntax import parse_alter, quote

        a = parse_alter(sql)
        if a is None or a.action != "drop-column" or a.multiple or a.if_exists \
                or a.schema_name is not None or a.unsupported or not a.column:
            return False, None
        conn = self.conn
        try:
            if conn.execute("SELECT 1 FROM sqlite_temp_master LIMIT 1").fetchone() is not None:
                return False, None
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type IN ('view', 'trigger') "
                            "LIMIT 1").fetchone() is not None:
                return False, None
            rows = conn.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? COLLATE NOCASE "
                "AND sql IS NOT NULL", (a.table,)).fetchall()
            if not rows or rows[0][0] != "table" or not _CREATE_PLAIN_TABLE.match(rows[0][2]) \
                    or rows[0][1].lower() != a.table.lower() \
                    or not all(kind in ("table", "index") for kind, _n, _s in rows) \
                    or sum(kind == "table" for kind, _n, _s in rows) != 1:
                return False, None
            table = rows[0][1]
            if conn.execute(f"SELECT 1 FROM main.{quote(table)} LIMIT 1").fetchone() is not None:
                return False, None
            legacy = conn.execute("PRAGMA legacy_alter_table").fetchone()[0]
        except sqlite3.Error:
            return False, None
        copy = sqlite3.connect(":memory:", isolation_level=None)
        try:
            try:
                for _kind, _name, text in rows:
                    copy.execute(text)
                if legacy:
                    copy.execute("PRAGMA legacy_alter_table = ON")
                if copy.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] != \
                        conn.execute("SELECT count(*) FROM sqlite_master WHERE tbl_name = ? "
                                     "COLLATE NOCASE", (table,)).fetchone()[0]:
                    return False, None
            except sqlite3.Error:
                return False, None  # not rebuilt faithfully
            self._steps[0] = 0
            try:
                copy.execute(sql).fetchall()
            except sqlite3.Error as exc:
                return True, str(exc)
            columns = frozenset(r[0].lower() for r in copy.execute(
                "SELECT name FROM pragma_table_xinfo(?)", (table,)))
            self._dropped[("table", table.lower())] = columns
            return True, None
        finally:
            copy.close()


def _made_of(name: str | None, words: set[str]) -> bool:
    """Whether every word of ``name`` (lower-cased) is in ``words``."""
    return all(w.lower() in words for w in _WORD_RE.findall(name or ""))


class _AnyParams(dict):
    """Binds NULL to any named parameter, so a statement can be compiled without values."""

    def __missing__(self, key):
        return None


def _pragma_boolean(sql: str) -> bool:
    """The boolean value of ``PRAGMA x = value`` as SQLite reads it (off when unclear)."""
    value = sql.split("=", 1)[-1].strip().rstrip(";").strip().strip("'\"[]`").strip().lower()
    digits = re.match(r"[+-]?\d+", value)
    if digits:
        return int(digits.group(0)) != 0
    return value in ("on", "yes", "true")


def _replayed_pragma(sql: str) -> bool:
    words = first_keywords(sql, 2)
    return len(words) > 1 and words[1] in _REPLAYED_PRAGMAS and "=" in sql


# -- options ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    target: Version
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @property
    def oracle_exact(self) -> bool:
        """The target is the running library: SQLite's syntax verdict is the target's."""
        return self.target == tuple(sqlite3.sqlite_version_info)

    def selected(self, code: str) -> bool:
        if self.select and not any(code.startswith(p) or p == "ALL" for p in self.select):
            return False
        return not any(code.startswith(p) or p == "ALL" for p in self.ignore)


def make_options(target=None, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> Options:
    """Validated options: unknown codes and bad versions are :class:`UsageError`."""
    try:
        version = parse_version(target)
    except ValueError as exc:
        raise UsageError(f"--target-sqlite: {exc}") from None
    rules = all_rules()
    select = _normalise_codes(select, "select", rules)
    ignore = _normalise_codes(ignore, "ignore", rules)
    return Options(version, select, ignore)


def _normalise_codes(codes, option: str, rules: dict[str, Rule]) -> tuple[str, ...]:
    if isinstance(codes, str):
        codes = codes.split(",")
    out = []
    for raw in codes or ():
        code = raw.strip().upper()
        if not code:
            continue
        if code != "ALL" and not any(c.startswith(code) for c in rules):
            raise UsageError(f"--{option}: unknown rule code or prefix {raw.strip()!r} "
                             "(see `qscaffold rules`)")
        out.append(code)
    return tuple(out)


# -- per-file state ---------------------------------------------------------------------


@dataclass
class _Raw:
    """A finding before noqa: its anchor lines and the statement it is about."""

    finding: Finding
    anchors: frozenset[int]


@dataclass
class _FileResult:
    raws: list[_Raw] = field(default_factory=list)
    noqas: list[Noqa] = field(default_factory=list)


@dataclass
class _Extracted:
    """What a file holds, read once per run."""

    path: Path
    source: str | None = None
    unreadable: UnreadableFile | None = None
    module: object = None
    calls: list[SqlCall] = field(default_factory=list)
    pieces: list[SqlPiece] = field(default_factory=list)
    noqas: list[Noqa] = field(default_factory=list)
    is_python: bool = True

    def up_pieces(self) -> list[SqlPiece]:
        if not self.is_python:
            return [p for p in self.pieces if p.section != "down"]
        return [p for p in self.pieces if p.section == "up"]

    def dynamic_ddl_in_up(self) -> bool:
        return any(c.literal is None and not c.dml_hint for c in self.calls if c.section == "up")


def extract(path: Path, *, text: str | None = None) -> _Extracted:
    """Read one file (or ``text`` standing for it) without running anything."""
    is_python = path.suffix.lower() != ".sql"
    result = _Extracted(path, is_python=is_python)
    if text is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            result.unreadable = UnreadableFile(f"cannot be read: {exc.strerror or exc}")
            return result
        try:
            text = decode(data, path)
        except UnreadableFile as exc:
            result.unreadable = exc
            return result
    result.source = text
    if not is_python:
        result.pieces = sql_pieces(text)
        result.noqas = sql_noqa(text)
        return result
    result.noqas = python_noqa(text)
    try:
        python = read_python(text)
    except UnreadableFile as exc:
        result.unreadable = exc
        return result
    result.module = python.module
    result.calls = python.calls
    order = {"up": 0, None: 1, "down": 2}
    pieces = [p for call in python.calls for p in call.pieces]
    result.pieces = sorted(pieces, key=lambda p: order[p.section])  # stable: source order kept
    for call in python.calls:
        result.noqas.extend(call.noqas)
    return result


# -- linting one file -------------------------------------------------------------------


class _Linter:
    def __init__(self, options: Options) -> None:
        self.options = options
        rules = all_rules()
        self.statement_rules = [r for r in rules.values()
                                if r.kind == "statement" and options.selected(r.code)]
        self.file_rules = [r for r in rules.values() if r.kind == "file" and options.selected(r.code)]
        self.rules = rules

    # The replay of a file that is not reported: up() SQL only, no rules, no parsing.
    def replay_only(self, ex: _Extracted, shadow: Shadow) -> None:
        if ex.unreadable is not None:
            shadow.known = False
            return
        for piece in ex.up_pieces():
            if shadow.replay(piece.text) is not None:
                shadow.note_failure(piece.text)
        if ex.is_python and ex.dynamic_ddl_in_up():
            shadow.known = False

    def lint_file(self, ex: _Extracted, shadow: Shadow, display: str) -> _FileResult:
        result = _FileResult(noqas=list(ex.noqas))
        raws = result.raws
        if ex.unreadable is not None:
            exc = ex.unreadable
            raws.append(self._raw(display, exc.line, exc.column, "QS902", None,
                                  f"unreadable migration: {exc}", (exc.line,)))
            shadow.known = False
            return result
        schema_known_at_start = shadow.known
        want_snapshots = ex.is_python and self.options.selected("QS207") and any(
            p.section == "down" for p in ex.pieces)
        # columns can only change in tables the file's SQL names
        named = {w.lower() for p in ex.pieces for w in _WORD_RE.findall(p.text)} \
            if want_snapshots else set()
        snapshots: dict[str, dict] = {"before": shadow.snapshot(named)} if want_snapshots else {}
        dynamic_down = False
        for call in ex.calls:
            if call.literal is None:
                raws.append(self._raw(display, call.line, call.column, "QS003", None,
                                      f"dynamic SQL passed to {call.method}() is not checked",
                                      (call.line, call.end_line)))
                if call.section == "down":
                    dynamic_down = True
        # .sql files: unmarked statements are the migration itself (replayed like up)
        up = [p for p in ex.pieces if p.section == "up" or (not ex.is_python and p.section is None)]
        other = [p for p in ex.pieces if ex.is_python and p.section is None]
        down = [p for p in ex.pieces if p.section == "down"]
        dynamic_at = min((i for i, c in enumerate(ex.calls)
                          if c.section == "up" and c.literal is None and not c.dml_hint),
                         default=None)
        for i, piece in enumerate(up):
            if dynamic_at is not None and piece.call_index > dynamic_at:
                shadow.known = False  # DDL built at run time came first: the schema is a guess
            self._lint_statement(piece, shadow, display, raws, _following(up, i))
        if want_snapshots:
            snapshots["after_up"] = shadow.snapshot(named)
        # Statements outside up/down, then down(), are checked against the schema after up
        # and rolled back: the next file sees the schema up() leaves.
        for group, key in ((other, None), (down, "after_down")):
            if not group:
                continue
            with shadow.scratch() as fork:
                for i, piece in enumerate(group):
                    self._lint_statement(piece, fork, display, raws, _following(group, i),
                                         last=_FAST_DROP_COLUMN and i == len(group) - 1)
                if key and want_snapshots:
                    snapshots[key] = fork.snapshot(named)
        if want_snapshots:
            snapshots.setdefault("after_down", snapshots["after_up"])
        if ex.is_python:
            if ex.dynamic_ddl_in_up():
                shadow.known = False
        unit = FileUnit(Path(display), ex.source or "", ex.module, ex.is_python,
                        [self._statement(p, None) for p in ex.pieces])
        unit.calls = ex.calls
        unit.snapshots = snapshots
        unit.schema_known = schema_known_at_start and shadow.known and not dynamic_down
        unit.target = self.options.target
        for rule in self.file_rules:
            try:
                items = list(rule.check(unit) or ())
            except Exception as exc:  # noqa: BLE001 - a rule bug must not stop the run
                raws.append(self._raw(display, 1, 1, "QS009", None,
                                      f"rule {rule.code} failed on this file: {type(exc).__name__}: {exc}",
                                      (1,)))
                continue
            for item in items:
                line, column, message = item[0], item[1], item[2]
                severity = Severity(item[3]) if len(item) > 3 and item[3] else rule.severity
                raws.append(_Raw(Finding(display, int(line), int(column), rule.code, severity,
                                         message), frozenset({int(line)})))
        return result

    def _statement(self, piece: SqlPiece, schema, following=None) -> Statement:
        stmt = Statement(piece.text, piece.section, self.options.target, schema, piece.call)
        if following is not None and hasattr(stmt, "following"):
            stmt.following = following
        return stmt

    def _lint_statement(self, piece: SqlPiece, shadow: Shadow, display: str, raws: list[_Raw],
                        following: tuple[str, ...] | None = None, last: bool = False) -> None:
        kind = classify(piece.text)
        stmt = self._statement(piece, shadow.conn if shadow.known else None, following)
        anchors = piece.anchor_lines
        local: list[_Raw] = []
        specific_error = False
        for rule in self.statement_rules:
            if piece.section not in rule.sections:
                continue
            try:
                items = list(rule.check(stmt) or ())
            except Exception as exc:  # noqa: BLE001
                local.append(self._raw(display, piece.line, piece.column, "QS009", stmt,
                                       f"rule {rule.code} failed on this statement: "
                                       f"{type(exc).__name__}: {exc}", anchors))
                continue
            for item in items:
                if isinstance(item, tuple):
                    severity, message = Severity(item[0]), str(item[1])
                else:
                    severity, message = rule.severity, str(item)
                if severity is Severity.ERROR:
                    specific_error = True
                local.append(_Raw(Finding(display, piece.line, piece.column, rule.code, severity,
                                          message, stmt.normalized), frozenset(anchors)))
        was_known = shadow.known
        handled = False
        if last and kind == "ddl":
            handled, error = shadow.replay_last_in_scratch(piece.text)
        if not handled:
            error = shadow.replay(piece.text, kind)
        verdict = self._oracle(error, shadow, was_known, kind, piece.text)
        if error is not None:
            shadow.note_failure(piece.text)
        if verdict is not None and not specific_error:
            code, message = verdict
            line, column = piece.line, piece.column
            if code == "QS001":
                offset = shadow.locate_syntax_error(piece.text, message.split(": ", 1)[-1])
                if offset is not None:
                    line, column = piece.position(offset)
            local.append(self._raw(display, line, column, code, stmt, message,
                                   tuple(anchors) + (line,)))
        reported_error = specific_error or verdict is not None
        if error is None or not _is_syntax_error(error):
            # Parsing is what loads sqlglot: skip it when QS002 is not wanted (--ignore QS002).
            if kind != "file" and not reported_error and self.options.selected("QS002") \
                    and not is_sqlglot_blind_spot(piece.text) and stmt.tree is None:
                reason = stmt.parse_error or "sqlglot could not parse it"
                local.append(self._raw(display, piece.line, piece.column, "QS002", stmt,
                                       f"statement not analyzed ({reason}); only SQLite's own "
                                       "checks ran", anchors))
        raws.extend(local)

    def _oracle(self, error: str | None, shadow: Shadow, was_known: bool, kind: str, sql: str):
        if error is None:
            return None
        if _is_syntax_error(error):
            if self.options.oracle_exact or _version_independent_syntax(error):
                return "QS001", f"SQLite rejects this statement: {error}"
            return None
        if not self.options.oracle_exact and error.startswith("no such function"):
            return None
        if error.startswith("unknown database"):
            return None  # ATTACH is never replayed
        match = _NO_SUCH_RE.match(error)
        if match:
            name = match.group(1).strip().strip('"').split(".")[-1].strip('"').lower()
            if not was_known or name in shadow.failed_words:
                # The schema is a guess here (or an earlier failure explains it). ALTER
                # resolves its table before parsing the rest: retry on a stub table so a
                # syntax error still shows.
                if error.startswith("no such table") and kind == "ddl":
                    probe = shadow.probe_with_stub(sql, name)
                    if probe is not None and _is_syntax_error(probe):
                        return self._oracle(probe, shadow, True, kind, sql)
                return None
        return "QS010", f"SQLite rejects this statement: {error}"

    def _raw(self, path, line, column, code, stmt, message, anchors) -> _Raw:
        severity = self.rules[code].severity if code in self.rules else Severity.ERROR
        return _Raw(Finding(path, line, column, code, severity, message,
                            stmt.normalized if stmt is not None else ""), frozenset(anchors))


def _following(pieces: list[SqlPiece], index: int) -> tuple[str, ...]:
    """The SQL after ``pieces[index]`` in the same section of the file."""
    section = pieces[index].section
    return tuple(p.text for p in pieces[index + 1:] if p.section == section)


def _is_syntax_error(message: str) -> bool:
    return ("syntax error" in message or message.startswith("incomplete input")
            or message.startswith("unrecognized token"))


def _version_independent_syntax(message: str) -> bool:
    return message.startswith("incomplete input") or message.startswith("unrecognized token")


# -- suppression and selection ----------------------------------------------------------


def _finish(result: _FileResult, options: Options, rules: dict[str, Rule], display: str) -> list[Finding]:
    selected = [r for r in result.raws if options.selected(r.finding.code)]
    file_noqa = [n for n in result.noqas if n.file_level]
    line_noqa = [n for n in result.noqas if not n.file_level]
    by_line: dict[int, list[Noqa]] = {}
    for noqa in line_noqa:
        by_line.setdefault(noqa.line, []).append(noqa)
    used: dict[int, set[str]] = {}  # id(noqa) → codes it suppressed
    kept: list[Finding] = []
    for raw in selected:
        code = raw.finding.code
        suppressed = False
        for noqa in file_noqa:
            if noqa.codes is None or code in noqa.codes:
                used.setdefault(id(noqa), set()).add(code)
                suppressed = True
        for line in raw.anchors:
            for noqa in by_line.get(line, ()):
                if noqa.codes is None or code in noqa.codes:
                    used.setdefault(id(noqa), set()).add(code)
                    suppressed = True
        if not suppressed:
            kept.append(raw.finding)
    extra: list[Finding] = []
    for noqa in result.noqas:
        hit = used.get(id(noqa), set())
        if noqa.codes is None:
            if not hit and not noqa.file_level:
                extra.append(Finding(display, noqa.line, noqa.column, "QS004",
                                     rules["QS004"].severity,
                                     "unused `noqa`: nothing is reported on this line"))
            continue
        for code in noqa.codes:
            if code not in rules:
                extra.append(Finding(display, noqa.line, noqa.column, "QS005",
                                     rules["QS005"].severity,
                                     f"`noqa` names unknown rule code {code}"))
            elif code not in hit and options.selected(code):
                extra.append(Finding(display, noqa.line, noqa.column, "QS004",
                                     rules["QS004"].severity,
                                     f"unused `noqa` code {code}: it is not reported here"))
    for finding in extra:
        if not options.selected(finding.code):
            continue
        if any(n.codes is None or finding.code in n.codes for n in file_noqa):
            continue
        kept.append(finding)
    unique = {(f.line, f.column, f.code, f.message): f for f in kept}
    return list(unique.values())


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path, f.line, f.column, f.code, f.message))


# -- public API -------------------------------------------------------------------------


def lint_sql(sql: str, *, path: str = "<sql>", schema: str | Sequence[str] | None = None,
             target: str | Version | None = None, select: Iterable[str] = (),
             ignore: Iterable[str] = (), section: str | None = None) -> list[Finding]:
    """Lint ``sql`` as a ``.sql`` file would be linted.

    ``schema`` is DDL replayed into the shadow database first (a script or a list of
    statements); ``None`` means the schema is unknown, so schema-aware rules stay silent and
    "no such table" verdicts are not reported (pass ``""`` for a known, empty schema).
    ``section`` (``"up"``, ``"down"`` or ``None``) is what the rules see as
    :attr:`Statement.section`.
    """
    options = make_options(target, select, ignore)
    linter = _Linter(options)
    shadow = Shadow(known=schema is not None)
    try:
        scripts = [schema] if isinstance(schema, str) else list(schema or ())
        for script in scripts:
            for stmt in split_statements(script):
                shadow.replay(stmt.text)
        shadow.failed_words.clear()
        ex = _Extracted(Path(path), source=sql, is_python=False,
                        pieces=sql_pieces(sql), noqas=sql_noqa(sql))
        for piece in ex.pieces:
            piece.section = section
        result = linter.lint_file(ex, shadow, path)
    finally:
        shadow.close()
    return sort_findings(_finish(result, options, linter.rules, path))


def lint_paths(paths: Iterable[str | os.PathLike], *, settings) -> list[Finding]:
    """Lint migration files and folders (the configured migrations folder when ``paths`` is
    empty). Each file is checked against the schema its earlier siblings build; only the
    files named (or found in the folders named) are reported on.

    Raises :class:`UsageError` for a missing path or a bad setting.
    """
    options = make_options(settings.target_sqlite, settings.select, settings.ignore)
    targets = collect_files(list(paths) or [settings.migrations_dir])
    linter = _Linter(options)
    findings: list[Finding] = []
    by_folder: dict[Path, set[Path]] = {}
    for file in targets:
        by_folder.setdefault(file.parent, set()).add(file)
    for folder, wanted in sorted(by_folder.items()):
        chain = _chain(folder, wanted)
        last = max(i for i, p in enumerate(chain) if p in wanted)
        shadow = Shadow(known=not _starts_after_a_baseline(chain))
        try:
            twins = _shared_versions(chain)
            for file in chain[: last + 1]:
                ex = extract(file)
                if file in wanted:
                    display = str(file)
                    result = linter.lint_file(ex, shadow, display)
                    for other in twins.get(file, ()):
                        result.raws.append(linter._raw(
                            display, 1, 1, "QS906", None,
                            f"version {parse_filename(file.name)[0]} is also used by "
                            f"{other.name}: renumber one of them", (1,)))
                    findings.extend(_finish(result, options, linter.rules, display))
                else:
                    linter.replay_only(ex, shadow)
        finally:
            shadow.close()
    return sort_findings(findings)


def collect_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The files to lint: files as given, folders' migration files (``NNN…py``, ``*.sql``)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(p.resolve() for p in sorted(path.iterdir()) if _is_migration_candidate(p))
        elif path.is_file():
            if path.suffix.lower() not in LINTABLE_SUFFIXES:
                raise UsageError(f"{raw}: not a .py or .sql migration file")
            files.append(path.resolve())
        elif path.exists():
            raise UsageError(f"{raw}: not a file or folder")
        else:
            raise UsageError(f"{raw}: no such file or folder")
    unique: dict[Path, None] = dict.fromkeys(files)
    return list(unique)


def _is_migration_candidate(path: Path) -> bool:
    if not path.is_file():
        return False
    name = path.name
    suffix = path.suffix.lower()
    if suffix == ".sql":
        return True
    return suffix == ".py" and name[:1].isdigit()


def _order_key(path: Path) -> tuple:
    parsed = parse_filename(path.name)
    if parsed is not None:
        return (0, parsed[0], path.name)
    digits = re.match(r"\d+", path.name)
    if digits:
        return (0, int(digits.group(0)), path.name)
    return (1, 0, path.name)


def _shared_versions(chain: list[Path]) -> dict[Path, list[Path]]:
    """Python migrations that share their version with another file of the folder."""
    by_version: dict[int, list[Path]] = {}
    for path in chain:
        parsed = parse_filename(path.name)
        if parsed is not None:
            by_version.setdefault(parsed[0], []).append(path)
    return {path: [p for p in group if p != path]
            for group in by_version.values() if len(group) > 1 for path in group}


def _starts_after_a_baseline(chain: list[Path]) -> bool:
    """Whether the folder's first migration is numbered above 1 (``0215__…``, ``010-…``):
    earlier migrations were squashed or deleted, so the schema they built is unknown.
    Timestamp versions (8 digits or more) say nothing about that."""
    key = _order_key(chain[0]) if chain else (1, 0, "")
    digits = re.match(r"\d+", chain[0].name) if chain else None
    return key[0] == 0 and key[1] > 1 and digits is not None and len(digits.group(0)) < 8


def _chain(folder: Path, wanted: set[Path]) -> list[Path]:
    """The folder's migration files in version order (the given ones included)."""
    members = set(wanted)
    try:
        members.update(p.resolve() for p in folder.iterdir() if _is_migration_candidate(p))
    except OSError:
        pass
    return sorted(members, key=_order_key)
