"""The lint engine: files → statements → rules → findings.

Pipeline (one pass per migrations folder):

1. **Extract** SQL from ``.py`` migrations with :mod:`ast` (never imported, never run) or read
   ``.sql`` files whole; keep each statement's line and column in the file.
2. **Split** with :func:`qscaffold.sql.split_statements` (trigger-, string- and comment-aware).
3. **Classify** by leading keywords (:func:`classify`).
4. **Rules**: each statement rule gets a :class:`~qscaffold.lint.model.Statement` (SQLite's
   grammar read by the rules' own readers, the engine asked); file rules get a
   :class:`~qscaffold.lint.model.FileUnit`.
5. **Shadow schema and engine oracle**: the ``up`` SQL of earlier migrations of the folder
   and the earlier statements of the file are replayed into an in-memory database holding
   the objects the file can meet (:mod:`qscaffold.lint.shadow`). DDL runs
   for real inside a SAVEPOINT, everything else is only compiled (``EXPLAIN``), nothing that
   touches files (ATTACH, DETACH, VACUUM) runs at all. What SQLite says about a statement is
   reported as QS001 (syntax) or QS010 (any other rejection), unless a more specific error
   rule already explains it.
6. ``noqa``, ``--select`` and ``--ignore`` filter the findings.

7. A statement SQLite rejects gets its SQLite form when another dialect's reading gives one
   the engine accepts (:mod:`qscaffold.lint.suggest`).

sqlglot is imported only for such a statement, or for QS002 when it is selected.
"""

from __future__ import annotations

import itertools
import os
import re
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import UsageError
from ..files import migration_path, parse_filename
from ..sql import first_keywords, split_statements
from .extract import (
    DotCommand,
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
from .model import FileUnit, Finding, SectionHistory, Severity, Statement, Version, parse_version
from .registry import Rule, all_rules
from .rules.meta import LOCAL, engine_verdict, is_syntax_error
from .runners import (RUNNERS, SqlRunner, chain_root, half_of, is_flyway_callback,
                      is_other_language_migration, order_key, runner_named, runs_as_written)
from .shadow import Shadow, _pragma_boolean, classify, sql_words
from .suggest import FOREIGN_SYNTAX_CODES, fix_for, wants_rewrite

__all__ = ["lint_paths", "lint_sql", "classify", "is_sqlglot_blind_spot", "LINTABLE_SUFFIXES"]

LINTABLE_SUFFIXES = (".py", ".sql")
ENGINE_CODES = ("QS001", "QS002", "QS003", "QS004", "QS005", "QS009", "QS010")
# Rules that run only when `select` names them: QS002 is the one reason to import sqlglot
# for a clean file, and its verdict ("sqlglot cannot parse this") is about other tools.
OPT_IN_CODES = frozenset({"QS002"})


# -- classification ---------------------------------------------------------------------


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


# -- options ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    target: Version
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    sql_runner: str | None = None  # the tool that runs the .sql files; None: detect per file

    @property
    def runner(self) -> SqlRunner | None:
        return runner_named(self.sql_runner)

    @property
    def oracle_exact(self) -> bool:
        """The target is the running library: SQLite's syntax verdict is the target's."""
        return self.target == tuple(sqlite3.sqlite_version_info)

    def selected(self, code: str) -> bool:
        if code in OPT_IN_CODES and code not in self.select:
            return False  # only when named: `--select QS002`
        if self.select and not any(code.startswith(p) or p == "ALL" for p in self.select):
            return False
        return not any(code.startswith(p) or p == "ALL" for p in self.ignore)


def make_options(target=None, select: Iterable[str] = (), ignore: Iterable[str] = (),
                 sql_runner: str | None = None) -> Options:
    """Validated options: unknown codes, runners and bad versions are :class:`UsageError`."""
    try:
        version = parse_version(target)
    except ValueError as exc:
        raise UsageError(f"--target-sqlite: {exc}") from None
    rules = all_rules()
    select = _normalise_codes(select, "select", rules)
    ignore = _normalise_codes(ignore, "ignore", rules)
    if sql_runner is not None:
        if sql_runner.strip().lower() not in RUNNERS:
            raise UsageError(f"--sql-runner: unknown runner {sql_runner!r} "
                             f"(one of {', '.join(RUNNERS)})")
        sql_runner = sql_runner.strip().lower()
    return Options(version, select, ignore, sql_runner)


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
    # how its runner runs it (see lint/runners.py): inside a transaction it opens, or as
    # written; with foreign keys on or off
    wrapped: bool = True
    foreign_keys: bool = False
    dot_commands: list[DotCommand] = field(default_factory=list)

    def up_pieces(self) -> list[SqlPiece]:
        if not self.is_python:
            return [p for p in self.pieces if p.section != "down"]
        return [p for p in self.pieces if p.section == "up"]

    def dynamic_ddl_in_up(self) -> bool:
        return any(c.literal is None and not c.dml_hint for c in self.calls if c.section == "up")


def extract(path: Path, *, text: str | None = None, runner: SqlRunner | None = None) -> _Extracted:
    """Read one file (or ``text`` standing for it) without running anything; a ``.sql``
    file as ``runner`` lays it out and runs it (detected from the file when ``None``)."""
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
        result.pieces = sql_pieces(text, result.dot_commands)
        result.noqas = sql_noqa(text)
        if half_of(path) == "down":  # the down half of a two-file migration
            for piece in result.pieces:
                piece.section = "down"
        detected_shell = runner is None and bool(result.dot_commands)
        result.wrapped = not (detected_shell or runs_as_written(path, text, runner))
        result.foreign_keys = runner is not None and runner.foreign_keys
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


@dataclass
class _RunState:
    """How the next statement of a section runs: inside a transaction (the runner's, or
    one the file began itself) or not, and with foreign keys enforced or not."""

    wrapped: bool
    in_transaction: bool
    foreign_keys: bool

    @classmethod
    def of(cls, ex: "_Extracted") -> "_RunState":
        return cls(ex.wrapped, ex.wrapped, ex.foreign_keys)

    def after(self, sql: str, kind: str) -> None:
        if self.wrapped:
            return  # BEGIN/COMMIT fail inside the runner's transaction; pragmas are no-ops
        if kind == "transaction":
            self.in_transaction = first_keywords(sql, 1) == ("BEGIN",)
        elif kind == "pragma" and not self.in_transaction:
            if first_keywords(sql, 2)[1:] == ("FOREIGN_KEYS",) and "=" in sql:
                self.foreign_keys = _pragma_boolean(sql)


class _Linter:
    def __init__(self, options: Options) -> None:
        self.options = options
        rules = all_rules()
        self.statement_rules = [r for r in rules.values()
                                if r.kind == "statement" and options.selected(r.code)]
        self.file_rules = [r for r in rules.values() if r.kind == "file" and options.selected(r.code)]
        self.rules = rules
        self._to_parse: list[tuple[list[_Raw], str, SqlPiece]] = []  # see flush_parses

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
        named = sql_words(p.text for p in ex.pieces) if want_snapshots else set()
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
        runner = self.options.runner
        if ex.dot_commands and runner is not None and runner.name != "sqlite3":
            for command in ex.dot_commands:
                raws.append(self._raw(
                    display, command.line, command.column, "QS001", None,
                    f"SQLite rejects this statement: near \".\": syntax error (`{command.text}` "
                    f"is a sqlite3 shell command; {runner.name} sends it to SQLite)",
                    (command.line,)))
        history, state = SectionHistory(), _RunState.of(ex)
        for i, piece in enumerate(up):
            if dynamic_at is not None and piece.call_index > dynamic_at:
                shadow.known = False  # DDL built at run time came first: the schema is a guess
            self._lint_statement(piece, shadow, display, raws, _following(up, i), history, state)
        if want_snapshots:
            snapshots["after_up"] = shadow.snapshot(named)
        # Statements outside up/down, then down(), are checked against the schema after up
        # and rolled back: the next file sees the schema up() leaves.
        for group, key in ((other, None), (down, "after_down")):
            if not group:
                continue
            with shadow.scratch() as fork:
                history, state = SectionHistory(), _RunState.of(ex)
                for i, piece in enumerate(group):
                    self._lint_statement(piece, fork, display, raws, _following(group, i),
                                         history, state)
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

    def _statement(self, piece: SqlPiece, schema, following=None, history=None,
                   state: _RunState | None = None) -> Statement:
        stmt = Statement(piece.text, piece.section, self.options.target, schema, piece.call,
                         following, history=history)
        if state is not None:
            stmt.wrapped, stmt.in_transaction = state.wrapped, state.in_transaction
            stmt.foreign_keys = state.foreign_keys
        return stmt

    def _lint_statement(self, piece: SqlPiece, shadow: Shadow, display: str, raws: list[_Raw],
                        following: tuple[str, ...] | None = None,
                        history: SectionHistory | None = None,
                        state: _RunState | None = None) -> None:
        kind = classify(piece.text)
        stmt = self._statement(piece, shadow.conn if shadow.known else None, following, history,
                               state)
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
        if history is not None:
            history.note(piece.text)
        if state is not None:
            state.after(piece.text, kind)
        was_known = shadow.known
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
        if error is None or not is_syntax_error(error):
            # Parsing is what loads sqlglot: skip it when QS002 is not wanted (--ignore QS002).
            if kind != "file" and not reported_error and self.options.selected("QS002") \
                    and not is_sqlglot_blind_spot(piece.text):
                self._to_parse.append((raws, display, piece))
        if local and (wants_rewrite(error) or any(r.finding.code in FOREIGN_SYNTAX_CODES for r in local)):
            self._offer_sqlite_form(piece, shadow, local)
        raws.extend(local)

    def _offer_sqlite_form(self, piece: SqlPiece, shadow: Shadow, local: list[_Raw]) -> None:
        """Add the engine-checked SQLite form of a rejected statement to its first error."""
        foreign = [r.finding.code for r in local if r.finding.code in FOREIGN_SYNTAX_CODES]
        first = next((i for i, r in enumerate(local) if r.finding.severity is Severity.ERROR),
                     next((i for i, r in enumerate(local) if r.finding.code in foreign), None))
        if first is None:
            return
        schema = shadow.conn if shadow.known else None
        found = fix_for(piece, schema)
        if found is None:
            return
        rewrite, fix = found
        # SQLite accepts `INT AFTER b` too: a rewrite must also satisfy the rules that fired
        again = Statement(rewrite, piece.section, self.options.target, schema, piece.call)
        for code in foreign:
            try:
                if list(self.rules[code].check(again) or ()):
                    return
            except Exception:  # noqa: BLE001 - a rule bug: no suggestion rather than a crash
                return
        raw = local[first]
        finding = replace(raw.finding, message=f"{raw.finding.message}; SQLite form: {rewrite}", fix=fix)
        local[first] = _Raw(finding, raw.anchors)

    def flush_parses(self) -> None:
        """Give sqlglot the statements QS002 waits on, all in one run (about twice as fast as
        parsing each one between the other checks), and report those it cannot parse into
        their files' findings."""
        for raws, display, piece in self._to_parse:
            stmt = Statement(piece.text)
            if stmt.tree is None:
                reason = stmt.parse_error or "no reason given"
                raws.append(self._raw(display, piece.line, piece.column, "QS002", stmt,
                                      f"sqlglot cannot parse this statement ({reason}); SQLite "
                                      "accepts it and every rule checked it", piece.anchor_lines))
        self._to_parse.clear()

    def _oracle(self, error: str | None, shadow: Shadow, was_known: bool, kind: str, sql: str):
        """QS001/QS010 from SQLite's message (the logic lives with those rules)."""
        return engine_verdict(error, sql=sql, kind=kind, target=self.options.target,
                              oracle_exact=self.options.oracle_exact, shadow=shadow,
                              was_known=was_known, newer_syntax=_newer_syntax_than_local)

    def _raw(self, path, line, column, code, stmt, message, anchors) -> _Raw:
        severity = self.rules[code].severity if code in self.rules else Severity.ERROR
        return _Raw(Finding(path, line, column, code, severity, message,
                            stmt.normalized if stmt is not None else ""), frozenset(anchors))


class _Following(Sequence):
    """The SQL after ``pieces[index]`` in the same section of the file, read on demand.

    A view, not a copy: copying the later statements for every statement made a file of n
    statements cost n² (8,000 statements: 32 million copies, 5 s of an 8 s lint)."""

    __slots__ = ("_pieces", "_start", "_section", "_texts")

    def __init__(self, pieces: list[SqlPiece], index: int) -> None:
        self._pieces, self._start, self._section = pieces, index + 1, pieces[index].section
        self._texts: tuple[str, ...] | None = None

    def __iter__(self):
        section = self._section
        for piece in itertools.islice(self._pieces, self._start, None):
            if piece.section == section:
                yield piece.text

    def __bool__(self) -> bool:
        return next(iter(self), None) is not None

    def _all(self) -> tuple[str, ...]:
        if self._texts is None:
            self._texts = tuple(iter(self))  # tuple(self) would ask len(), which asks this
        return self._texts

    def __len__(self) -> int:
        return len(self._all())

    def __getitem__(self, index):
        return self._all()[index]


def _following(pieces: list[SqlPiece], index: int) -> _Following:
    """The SQL after ``pieces[index]`` in the same section of the file."""
    return _Following(pieces, index)


def _newer_syntax_than_local(sql: str) -> bool:
    """Whether ``sql`` uses syntax the running SQLite library is too old for."""
    from .rules.versions import uses_syntax_newer_than

    return uses_syntax_newer_than(Statement(sql), LOCAL)


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
             ignore: Iterable[str] = (), section: str | None = None,
             sql_runner: str | None = None) -> list[Finding]:
    """Lint ``sql`` as a ``.sql`` file would be linted (run by ``sql_runner``: see
    :mod:`qscaffold.lint.runners`).

    ``schema`` is DDL replayed into the shadow database first (a script or a list of
    statements); ``None`` means the schema is unknown, so schema-aware rules stay silent and
    "no such table" verdicts are not reported (pass ``""`` for a known, empty schema).
    ``section`` (``"up"``, ``"down"`` or ``None``) is what the rules see as
    :attr:`Statement.section`.
    """
    options = make_options(target, select, ignore, sql_runner)
    linter = _Linter(options)
    shadow = Shadow(known=schema is not None)
    try:
        scripts = [schema] if isinstance(schema, str) else list(schema or ())
        for script in scripts:
            for stmt in split_statements(script):
                shadow.replay(stmt.text)
        shadow.settle()
        shadow.failed_words.clear()
        ex = extract(Path(path if path.endswith(".sql") else path + ".sql"), text=sql,
                     runner=options.runner)
        ex.path = Path(path)
        for piece in ex.pieces:
            piece.section = section
        shadow.focus_on([p.text for p in ex.pieces])
        result = linter.lint_file(ex, shadow, path)
        linter.flush_parses()
    finally:
        shadow.close()
    return sort_findings(_finish(result, options, linter.rules, path))


def lint_paths(paths: Iterable[str | os.PathLike], *, settings, jobs: int = 1,
               cache: bool = False) -> list[Finding]:
    """Lint migration files and folders (the configured migrations folder when ``paths`` is
    empty). Each file is checked against the schema its earlier siblings build; only the
    files named (or found in the folders named) are reported on.

    ``jobs`` > 1 lets a folder with many files to report be checked by that many processes
    at once (on Linux, from :data:`PARALLEL_MIN_FILES` files): each replays the schema the
    files before its share build, then checks its share. ``0`` means one per usable CPU, up
    to 8. The findings are the same either way.

    ``cache``: reuse and keep findings and schema states in ``.qscaffold_cache/`` beside the
    ``pyproject.toml`` that gave the settings (else in the current folder); see
    :mod:`qscaffold.lint.cache`. The findings are the same either way.

    Raises :class:`UsageError` for a missing path or a bad setting.
    """
    options = make_options(settings.target_sqlite, settings.select, settings.ignore,
                           getattr(settings, "sql_runner", None))
    targets = collect_files(list(paths) or [settings.migrations_dir])
    store = None
    if cache:
        from .cache import LintCache

        pyproject = getattr(settings, "pyproject", None)
        root = pyproject.parent if pyproject is not None else Path.cwd()
        store = LintCache.open(root, options, all_rules())
    by_folder: dict[Path, set[Path]] = {}
    for file in targets:
        by_folder.setdefault(chain_root(file), set()).add(file)
    findings: list[Finding] = []
    for folder, wanted in sorted(by_folder.items()):
        chain = _chain(folder, wanted)
        keys = store.chain_keys(chain) if store is not None else None
        if keys is not None:  # files whose verdicts are cached need no checking
            twins = _shared_versions(chain)
            for index, file in enumerate(chain):
                hit = store.load_result(keys[index]) if file in wanted else None
                if hit is not None:
                    findings.extend(_cached_findings(hit, file, twins.get(file, ()), options))
                    wanted = wanted - {file}
            if not wanted:
                continue
        shares = _shares(chain, wanted, _workers(jobs, len(wanted)))
        if len(shares) == 1:
            findings.extend(_lint_share(chain, wanted, *shares[0], options, store, keys))
            continue
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(len(shares), mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_lint_share, chain, wanted, start, stop, options, store, keys)
                       for start, stop in shares]
            for future in futures:
                findings.extend(future.result())
    if store is not None:
        store.prune()
    return sort_findings(findings)


# Below this many files to report, starting processes costs more than it saves.
PARALLEL_MIN_FILES = 100
_AUTO_MAX_WORKERS = 8
# Replaying a file that is not reported (up() DDL only) costs about this much of checking it.
_REPLAY_COST = 0.15


def _workers(jobs: int, files: int) -> int:
    """How many processes check ``files`` files: ``jobs``, or with 0 the CPUs this process
    may run on, up to :data:`_AUTO_MAX_WORKERS` (each replays the files before its share, so
    more costs memory and CPU for little); at least 50 files each."""
    if jobs == 1 or files < PARALLEL_MIN_FILES or not sys.platform.startswith("linux"):
        return 1
    count = jobs if jobs > 1 else min(len(os.sched_getaffinity(0)), _AUTO_MAX_WORKERS)
    return max(1, min(count, files // (PARALLEL_MIN_FILES // 2)))


def _shares(chain: list[Path], wanted: set[Path], workers: int) -> list[tuple[int, int]]:
    """``(start, stop)`` slices of ``chain`` for ``workers`` processes, so that each one's
    replay of the files before its slice plus its check of the slice costs about the same."""
    last = max(i for i, p in enumerate(chain) if p in wanted)
    if workers <= 1:
        return [(0, last + 1)]
    # the slice lengths L_j with start_j = L_0 + … + L_(j-1) and
    # _REPLAY_COST * start_j + L_j equal for every j, scaled to cover the chain
    lengths, start = [], 0.0
    for _ in range(workers):
        length = 1.0 - _REPLAY_COST * start
        lengths.append(length)
        start += length
    scale = (last + 1) / start
    bounds, at = [0], 0.0
    for length in lengths:
        at += length * scale
        bounds.append(min(last + 1, round(at)))
    bounds[-1] = last + 1
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def _lint_share(chain: list[Path], wanted: set[Path], start: int, stop: int,
                options: Options, store=None, keys: list[str | None] | None = None) -> list[Finding]:
    """Findings for the wanted files of ``chain[start:stop]``, after replaying the files
    before ``start`` (from the nearest schema state the cache holds, when ``store``)."""
    linter = _Linter(options)
    results: list[tuple[_FileResult, str, int]] = []
    begin, shadow = 0, None
    if store is not None:
        begin, shadow = _nearest_state(store, keys, chain, wanted, start)
    if shadow is None:
        shadow = Shadow(known=not _starts_after_a_baseline(chain))
    first = next((i for i in range(start, stop) if chain[i] in wanted), stop)
    try:
        twins = _shared_versions(chain)
        for index in range(begin, stop):
            file = chain[index]
            report = file in wanted and index >= start
            # the state before the first file checked (it is the one edited next, likely),
            # before the newest file, and every _CHECKPOINT_EVERY files: not before each one,
            # which would write the schema once per file
            if store is not None and index and (index == first or index == len(chain) - 1
                                                or index % _CHECKPOINT_EVERY == 0):
                store.store_state(keys[index - 1], shadow.state())
            if is_other_language_migration(file):
                shadow.known = False  # a migration the linter cannot read: schema unknown
                continue
            ex = extract(file, runner=options.runner)
            shadow.focus_on([p.text for p in (ex.pieces if report else ex.up_pieces())])
            if report:
                display = str(file)
                results.append((linter.lint_file(ex, shadow, display), display, index))
            else:
                linter.replay_only(ex, shadow)
            shadow.settle()
    finally:
        shadow.close()
    linter.flush_parses()
    findings = []
    for result, display, index in results:
        if store is not None:
            store.store_result(keys[index], result.raws, result.noqas)
        result.raws.extend(_twin_raws(chain[index], twins.get(chain[index], ()), display, linter.rules))
        findings.extend(_finish(result, options, linter.rules, display))
    return findings


# A schema state is kept in the cache at least this often along a chain (see lint.cache).
_CHECKPOINT_EVERY = 100


def _nearest_state(store, keys, chain: list[Path], wanted: set[Path], start: int):
    """``(index, shadow)``: the latest schema state the cache holds for a file at or before
    the first one to check, or ``(0, None)``."""
    first = next((i for i in range(start, len(chain)) if chain[i] in wanted), start)
    for index in range(first, 0, -1):
        if store.has_state(keys[index - 1]):
            state = store.load_state(keys[index - 1])
            if state is not None:
                try:
                    return index, Shadow.restored(state)
                except (KeyError, TypeError, ValueError):
                    return 0, None
    return 0, None


def _twin_raws(file: Path, others, display: str, rules) -> list[_Raw]:
    """QS906 for a Python migration that shares its version with other files."""
    out = []
    for other in others:
        finding = Finding(display, 1, 1, "QS906", rules["QS906"].severity,
                          f"version {parse_filename(file.name)[0]} is also used by "
                          f"{other.name}: renumber one of them")
        out.append(_Raw(finding, frozenset({1})))
    return out


def _cached_findings(hit, file: Path, others, options: Options) -> list[Finding]:
    rules = all_rules()
    display = str(file)
    result = _FileResult(raws=[_Raw(f, anchors) for f, anchors in hit.findings(display)],
                         noqas=list(hit.noqas))
    result.raws.extend(_twin_raws(file, others, display, rules))
    return _finish(result, options, rules, display)


def collect_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The files to lint: files as given, folders' migration files (``NNN…py``, ``*.sql``)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(migration_path(p) for p in _folder_members(path)
                         if _is_migration_candidate(p))
        elif path.is_file():
            if path.suffix.lower() not in LINTABLE_SUFFIXES:
                raise UsageError(f"{raw}: not a .py or .sql migration file")
            files.append(migration_path(path))
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
        return not is_flyway_callback(path)
    return suffix == ".py" and name[:1].isdigit()


def _folder_members(folder: Path) -> list[Path]:
    """The files of a migrations folder, and the ``up.sql``/``down.sql`` of its
    ``<version>_<name>/`` subfolders (diesel's layout)."""
    out = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and entry.name[:1].isdigit():
            out.extend(p for p in (entry / "up.sql", entry / "down.sql") if p.is_file())
        else:
            out.append(entry)
    return out


def _order_key(path: Path) -> tuple:
    parsed = parse_filename(path.name)
    if parsed is not None:
        return (0, (parsed[0],), path.name, 0)
    return order_key(path)


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
    key = _order_key(chain[0]) if chain else (1, (0,), "", 0)
    digits = re.match(r"\d+", chain[0].name) if chain else None
    return key[0] == 0 and key[1][0] > 1 and digits is not None and len(digits.group(0)) < 8


def _chain(folder: Path, wanted: set[Path]) -> list[Path]:
    """The folder's migration files in version order (the given ones included)."""
    members = set(wanted)
    try:
        members.update(migration_path(p) for p in _folder_members(folder)
                       if _is_migration_candidate(p) or is_other_language_migration(p))
    except OSError:
        pass
    return sorted(members, key=_order_key)
