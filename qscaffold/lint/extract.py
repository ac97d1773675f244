"""Reading migration files without running them: SQL, positions and ``noqa`` comments.

Python files are read with :mod:`ast` and :mod:`tokenize` only; nothing is imported or
executed. SQL is taken from string literals passed to ``exec``, ``execute``,
``executemany``, ``query`` or ``executescript`` on any receiver (``db``, ``conn`` …).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from ..sql import first_keywords, split_statements

SQL_METHODS = frozenset({"exec", "execute", "executemany", "query", "executescript"})
SINGLE_STATEMENT_METHODS = frozenset({"execute", "executemany", "query"})
_DML_WORDS = frozenset({"INSERT", "UPDATE", "DELETE", "SELECT", "WITH", "REPLACE", "VALUES"})
_PREFIX_RE = re.compile(r"([rRbBuUfF]{0,2})('''|\"\"\"|'|\")")
_MARKER_RE = re.compile("qscaffold", re.I)  # no noqa comment without it
NOQA_RE = re.compile(
    r"(?:#|--)\s*qscaffold:\s*noqa(?P<file>-file)?(?::\s*(?P<codes>[A-Za-z0-9_]+(?:\s*,\s*[A-Za-z0-9_]+)*))?",
    re.I,
)


class UnreadableFile(Exception):
    """The file cannot be decoded or parsed; the message says why (one line)."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class SqlPiece:
    """One statement found in a file, with its position in that file."""

    text: str
    line: int
    column: int
    end_line: int
    section: str | None
    call: str | None
    anchor_lines: tuple[int, ...]  # lines where a noqa comment applies to it
    call_index: int = -1  # which SQL call it came from (-1 in .sql files)
    exact: bool = True  # offsets inside the text map exactly onto the file

    def position(self, offset: int) -> tuple[int, int]:
        """File line and column of ``offset`` in :attr:`text` (the statement's own start
        when the mapping is not exact)."""
        if not self.exact or not 0 < offset <= len(self.text):
            return self.line, self.column
        newlines = self.text.count("\n", 0, offset)
        if not newlines:
            return self.line, self.column + offset
        return self.line + newlines, offset - self.text.rfind("\n", 0, offset)


@dataclass
class SqlCall:
    """One ``receiver.method(...)`` call carrying SQL."""

    method: str
    line: int
    column: int
    end_line: int
    section: str | None
    literal: str | None  # None: dynamic SQL
    dml_hint: bool = False  # dynamic SQL that visibly starts with a DML keyword
    pieces: list[SqlPiece] = field(default_factory=list)
    noqas: list["Noqa"] = field(default_factory=list)  # ``-- qscaffold: noqa`` inside the SQL


@dataclass
class Noqa:
    line: int
    column: int
    codes: tuple[str, ...] | None  # None: bare noqa (every code)
    file_level: bool = False


@dataclass
class PythonSource:
    source: str
    module: ast.Module
    calls: list[SqlCall]
    functions: dict[str, ast.FunctionDef]


# -- decoding ---------------------------------------------------------------------------


def decode(data: bytes, path: Path) -> str:
    """File bytes as text with ``\\n`` line endings, or :class:`UnreadableFile`."""
    if b"\x00" in data:
        offset = data.index(b"\x00")
        line = data[:offset].count(b"\n") + 1
        raise UnreadableFile("NUL bytes: binary content, not a text file", line, 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UnreadableFile(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", line, 1) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def char_column(lines: list[str], lineno: int, byte_col: int) -> int:
    """0-based character column of an ``ast`` UTF-8 byte offset."""
    if not 1 <= lineno <= len(lines):
        return byte_col
    return len(lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8", "replace"))


# -- noqa -------------------------------------------------------------------------------


def parse_noqa(comment: str, line: int, column: int) -> Noqa | None:
    match = NOQA_RE.search(comment)
    if not match:
        return None
    codes = match["codes"]
    parsed = tuple(c.strip().upper() for c in codes.split(",")) if codes else None
    return Noqa(line, column + match.start() + 1, parsed, bool(match["file"]))


def python_noqa(source: str) -> list[Noqa]:
    """``# qscaffold: noqa…`` comments, found with :mod:`tokenize`."""
    found: list[Noqa] = []
    if not _MARKER_RE.search(source):
        return found
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                noqa = parse_noqa(tok.string, tok.start[0], tok.start[1])
                if noqa:
                    found.append(noqa)
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return found


def sql_noqa(text: str, first_line: int = 1, first_column: int = 0) -> list[Noqa]:
    """``-- qscaffold: noqa…`` comments in SQL text (outside string literals)."""
    found: list[Noqa] = []
    if not _MARKER_RE.search(text):
        return found
    for index, line_text in enumerate(text.split("\n")):
        pos = _sql_comment_start(line_text)
        if pos < 0:
            continue
        column = (first_column if index == 0 else 0) + pos
        noqa = parse_noqa(line_text[pos:], first_line + index, column)
        if noqa:
            found.append(noqa)
    return found


def _sql_comment_start(line: str) -> int:
    quote = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif line.startswith("--", i):
            return i
        i += 1
    return -1


# -- .sql files -------------------------------------------------------------------------


# Up/down markers of the common plain-SQL migration tools: dbmate, goose, sql-migrate.
_SECTION_MARKER_RE = re.compile(
    r"^[ \t]*--[ \t]*(?:migrate:(up|down)|\+goose[ \t]+(up|down)|\+migrate[ \t]+(up|down))\b",
    re.I | re.M)


def sql_pieces(text: str) -> list[SqlPiece]:
    """The statements of a ``.sql`` file with exact positions. Files that mark their halves
    (``-- migrate:up``/``-- migrate:down``, ``-- +goose Up``/``Down``, ``-- +migrate Up``)
    get ``up``/``down`` sections; otherwise the section is ``None``."""
    markers = [(m.start(), next(g for g in m.groups() if g).lower())
               for m in _SECTION_MARKER_RE.finditer(text)] if "--" in text else []
    pieces = []
    line, counted = 1, 0  # newlines counted up to offset `counted`: linear in the file
    for stmt in split_statements(text):
        line += text.count("\n", counted, stmt.start)
        counted = stmt.start
        column = stmt.start - text.rfind("\n", 0, stmt.start)
        end_line = line + stmt.text.count("\n")
        section = None
        for offset, name in markers:
            if offset < stmt.start:
                section = name
        pieces.append(SqlPiece(stmt.text, line, column, end_line, section, None,
                               tuple(sorted({line, end_line}))))
    return pieces


# -- Python files -----------------------------------------------------------------------


def read_python(source: str) -> PythonSource:
    """Parse a migration's source (never run it) and collect its SQL calls in order."""
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = max(exc.offset or 1, 1)
        raise UnreadableFile(f"Python syntax error: {exc.msg}", line, column) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise UnreadableFile(f"cannot be parsed as Python: {exc}") from None
    lines = source.split("\n")
    functions = {node.name: node for node in module.body
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    collector = _CallCollector(source, lines, functions, _module_constants(module))
    try:
        collector.collect_module(module)
    except RecursionError:
        raise UnreadableFile("cannot be parsed as Python: nesting too deep") from None
    return PythonSource(source, module, collector.calls, functions)


def _module_constants(module: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = "literal"`` assigned once and never rebound anywhere: calls
    passing ``NAME`` are read as if the literal were written there."""
    stores: dict[str, int] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                stores[name] = stores.get(name, 0) + 2
    constants: dict[str, ast.expr] = {}
    for node in module.body:
        target = value = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and stores.get(target.id) == 1 and (
            (isinstance(value, ast.Constant) and isinstance(value.value, str))
            or (isinstance(value, ast.JoinedStr)
                and all(isinstance(v, ast.Constant) for v in value.values))
        ):
            constants[target.id] = value
    return constants


class _CallCollector:
    """Walks ``up``/``down`` in source order, following calls to module-level helpers."""

    def __init__(self, source: str, lines: list[str], functions: dict,
                 constants: dict | None = None) -> None:
        self.source = source
        self.lines = lines
        self.functions = functions
        self.constants = constants or {}
        self.calls: list[SqlCall] = []
        self._seen_in: set[tuple[int, str | None]] = set()

    def collect_module(self, module: ast.Module) -> None:
        visited_helpers: set[str] = set()
        for section in ("up", "down"):
            func = self.functions.get(section)
            if func is not None:
                self._walk(func.body, section, (section,), visited_helpers)
        # Everything not reached from up/down: module level and unused helpers.
        for node in module.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name in ("up", "down") or node.name in visited_helpers:
                    continue
                self._walk(node.body, None, (node.name,), visited_helpers, follow=False)
            else:
                self._walk([node], None, (), visited_helpers, follow=False)

    def _walk(self, body, section, stack, visited, follow=True) -> None:
        for node in body:
            self._visit(node, section, stack, visited, follow)

    def _visit(self, node, section, stack, visited, follow) -> None:
        if isinstance(node, ast.Call):
            self._call(node, section)
            for child in ast.iter_child_nodes(node):
                self._visit(child, section, stack, visited, follow)
            func = node.func
            if follow and isinstance(func, ast.Name) and func.id in self.functions \
                    and func.id not in stack and func.id not in ("up", "down"):
                visited.add(func.id)
                helper = self.functions[func.id]
                self._walk(helper.body, section, stack + (func.id,), visited, follow)
            return
        for child in ast.iter_child_nodes(node):
            self._visit(child, section, stack, visited, follow)

    def _call(self, node: ast.Call, section) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in SQL_METHODS:
            return
        arg = node.args[0] if node.args else None
        if arg is None:
            for kw in node.keywords:
                if kw.arg in ("sql", "sql_script"):
                    arg = kw.value
        if arg is None:
            return
        key = (id(node), section)
        if key in self._seen_in:
            return
        self._seen_in.add(key)
        line = node.lineno
        column = char_column(self.lines, node.lineno, node.col_offset) + 1
        end_line = node.end_lineno or line
        if isinstance(arg, ast.Name) and arg.id in self.constants:
            arg = self.constants[arg.id]  # SQL = """…""" at module level: read it there
        literal, exact = self._literal(arg)
        call = SqlCall(func.attr, line, column, end_line, section, literal)
        if literal is None:
            call.dml_hint = self._dml_hint(arg)
            self.calls.append(call)
            return
        index = len(self.calls)
        start_line = arg.lineno
        start_col = char_column(self.lines, arg.lineno, arg.col_offset)
        body_col = start_col + (exact or 0)
        if exact is not None and "qscaffold" in literal:
            call.noqas = sql_noqa(literal, start_line, body_col)
        for stmt in split_statements(literal):
            off = stmt.start
            if exact is not None:
                s_line = start_line + literal.count("\n", 0, off)
                if s_line == start_line:
                    s_col = body_col + off + 1
                else:
                    s_col = off - literal.rfind("\n", 0, off)
                s_end = s_line + stmt.text.count("\n")
            else:
                s_line, s_col, s_end = start_line, start_col + 1, start_line
            anchors = tuple(sorted({line, end_line, s_line, s_end}))
            call.pieces.append(SqlPiece(stmt.text, s_line, s_col, s_end, section, func.attr,
                                        anchors, index, exact is not None))
        self.calls.append(call)

    def _literal(self, arg) -> tuple[str | None, int | None]:
        """The SQL of a literal argument and, when offsets map exactly into the file, the
        width of the string's prefix and opening quote; ``(None, None)`` for dynamic SQL."""
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value, self._exact_prefix(arg, arg.value)
        if isinstance(arg, ast.JoinedStr) and all(
            isinstance(v, ast.Constant) and isinstance(v.value, str) for v in arg.values
        ):
            value = "".join(v.value for v in arg.values)
            return value, self._exact_prefix(arg, value)
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add):
            left, _ = self._literal(arg.left)
            right, _ = self._literal(arg.right)
            if left is not None and right is not None:
                return left + right, None
        return None, None

    def _segment(self, node) -> str | None:
        """The node's source text (``ast.get_source_segment`` without re-splitting the
        source for every node)."""
        try:
            first, last = node.lineno - 1, node.end_lineno - 1
            if first == last:
                line = self.lines[first].encode("utf-8")
                return line[node.col_offset:node.end_col_offset].decode("utf-8")
            head = self.lines[first].encode("utf-8")[node.col_offset:].decode("utf-8")
            tail = self.lines[last].encode("utf-8")[:node.end_col_offset].decode("utf-8")
            return "\n".join([head, *self.lines[first + 1:last], tail])
        except (AttributeError, TypeError, IndexError, UnicodeDecodeError):
            return None

    def _exact_prefix(self, node, value: str) -> int | None:
        segment = self._segment(node)
        if not segment:
            return None
        match = _PREFIX_RE.match(segment)
        if not match or not segment.endswith(match.group(2)):
            return None
        quote = match.group(2)
        body = segment[match.end(): len(segment) - len(quote)]
        if len(segment) < match.end() + len(quote) or body != value:
            return None  # escapes or implicit concatenation: fall back to the string's start
        return match.end()

    def _dml_hint(self, arg) -> bool:
        head = ""
        if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
            head = str(arg.values[0].value)
        elif isinstance(arg, ast.BinOp):
            left = arg.left
            while isinstance(left, ast.BinOp):
                left = left.left
            if isinstance(left, ast.Constant) and isinstance(left.value, str):
                head = left.value
        elif isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) \
                and isinstance(arg.func.value, ast.Constant) and isinstance(arg.func.value.value, str):
            head = arg.func.value.value  # "...".format(...)
        words = first_keywords(head, 1)
        return bool(words) and words[0] in _DML_WORDS
