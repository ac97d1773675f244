"""``qscaffold new``: normalise the name, infer the pattern, render the template, write the file.

:func:`plan_migration` works out everything (number, file name, pattern, table, columns, the
rendered text) without writing; :func:`write_migration` creates the file, never overwriting
one; :func:`new_migration` does both. Nothing here prints. jinja2 is imported only when a
template is rendered, so the rest of the command line starts without it.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import schema as sch
from .config import parse_version
from .errors import QscaffoldError, UsageError
from .files import format_filename, parse_filename, parse_migration_name

PATTERNS = ("table", "column", "index", "data", "drop-column")
MAX_NAME = 100
DEFAULT_TYPE = "TEXT"

_WORD_RE = re.compile(r"[A-Z]+[0-9]*(?![a-z])|[A-Z]?[a-z][a-z0-9]*|[0-9]+[a-z]*")


class TemplateError(QscaffoldError):
    """A template is missing, does not render, or renders something that is not a migration."""


class FileExists(QscaffoldError):
    """The migration file to write is already there."""


# -- names ------------------------------------------------------------------------------


def name_words(name: str) -> list[str]:
    """The words of a NAME written with spaces, snake_case, kebab-case or CamelCase."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    words: list[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", text):
        words += _WORD_RE.findall(chunk)
    return words


def unspellable(name: str) -> list[str]:
    """The letters and digits of ``name`` that have no ASCII spelling (``ß``, ``字``), which a
    file name would silently lose; an accented letter is spelt by its base letter."""
    lost: list[str] = []
    for ch in name:
        if ch.isascii() or not ch.isalnum():
            continue
        base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
        if not any(c.isalnum() for c in base) and ch not in lost:
            lost.append(ch)
    return lost


def check_name(name: str) -> None:
    """Refuse a NAME that cannot become a file name (:class:`UsageError`, exit 2)."""
    shown = name if len(name) <= 40 else name[:37] + "..."
    if not name.strip():
        raise UsageError("NAME: is empty; give the migration a name, e.g. add-api-keys-table")
    if "/" in name or "\\" in name or ".." in name:
        raise UsageError(f"NAME {shown!r}: must not hold a path ('/', '\\' or '..'); "
                         "use --dir to choose the folder")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise UsageError(f"NAME {shown!r}: must be one line of text")
    if len(name.strip()) > MAX_NAME:
        raise UsageError(f"NAME {shown!r}: is {len(name.strip())} characters long; "
                         f"the limit is {MAX_NAME}")
    lost = unspellable(name)
    if lost:
        raise UsageError(
            f"NAME {shown!r}: {', '.join(repr(ch) for ch in lost[:5])} cannot be spelt in a migration "
            "file name, which holds only a-z, 0-9 and '-'; spell the name in ASCII letters")
    if not name_words(name):
        raise UsageError(f"NAME {shown!r}: has no letters or digits to name the file with")


def slugify(name: str) -> str:
    """``"Add API keys table"``, ``add_api_keys_table``, ``AddAPIKeysTable`` → ``add-api-keys-table``."""
    check_name(name)
    return "-".join(w.lower() for w in name_words(name))


def human_name(name: str) -> str:
    """The migration's ``name``: as typed when it has spaces, else its words as a sentence
    (acronyms kept): ``AddAPIKeysTable`` → ``Add API keys table``."""
    text = " ".join(name.split())
    if " " not in text:
        words = [w if (w.isupper() and len(w) > 1) else w.lower() for w in name_words(text)]
        text = " ".join(words)
    return text[:1].upper() + text[1:]


# -- inference --------------------------------------------------------------------------


@dataclass
class Inference:
    """What the NAME says: a pattern, a table and columns (``None`` when it says nothing)."""

    pattern: str
    table: str | None = None
    columns: list[str] = field(default_factory=list)


def _join(words: list[str]) -> str:
    return "_".join(words)


def infer(slug: str, tables: set[str] | None = None) -> Inference:
    """Read a pattern from a kebab-case slug, the Rails way.

    ``add-<col>-to-<table>`` → column, ``create-<t>-table`` / ``add-<t>-table`` → table,
    ``add-index-…`` → index, ``drop-<col>-from-<table>`` / ``remove-<col>-from-<table>`` →
    drop-column, anything else → data. ``tables`` (lower-cased names), when known, settles
    where a table name ends.
    """
    words = slug.split("-")
    tables = tables or set()
    if words[:2] == ["add", "index"] and len(words) > 2:
        return _infer_index(words[2:], tables)
    if words[0] in ("drop", "remove") and "from" in words[1:-1]:
        col, table = _split_at(words[1:], "from", tables)
        if col and table:
            return Inference("drop-column", table, [col])
    if words[0] in ("create", "add") and words[-1] == "table" and len(words) > 2:
        return Inference("table", _join(words[1:-1]))
    if words[0] == "add" and "to" in words[1:-1]:
        col, table = _split_at(words[1:], "to", tables)
        if col and table:
            return Inference("column", table, [col])
    return Inference("data")


def _split_at(words: list[str], sep: str, tables: set[str]) -> tuple[str | None, str | None]:
    """``[email, to, user, sessions]`` → (``email``, ``user_sessions``); prefers the split
    whose right side is a known table."""
    splits = [k for k, w in enumerate(words) if w == sep and 0 < k < len(words) - 1]
    if not splits:
        return None, None
    for k in splits:
        if _join(words[k + 1:]) in tables:
            return _join(words[:k]), _join(words[k + 1:])
    k = splits[-1]
    return _join(words[:k]), _join(words[k + 1:])


def _infer_index(words: list[str], tables: set[str]) -> Inference:
    """``on-sessions-user-id``, ``to-sessions-on-user-id``, ``sessions-user-id-and-expires-at``."""
    if words and words[0] in ("on", "to", "for"):
        words = words[1:]
    if "on" in words[1:-1]:
        k = words.index("on", 1)
        table_words, col_words = words[:k], words[k + 1:]
    else:
        for k in range(len(words) - 1, 0, -1):
            if _join(words[:k]) in tables:
                table_words, col_words = words[:k], words[k:]
                break
        else:
            table_words, col_words = words[:1], words[1:]
    columns = _columns_from(col_words)
    return Inference("index", _join(table_words) or None, columns)


def _columns_from(words: list[str]) -> list[str]:
    columns, current = [], []
    for w in words:
        if w == "and":
            if current:
                columns.append(_join(current))
            current = []
        else:
            current.append(w)
    if current:
        columns.append(_join(current))
    return columns


# -- columns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """A column: ``--column NAME[:TYPE [constraints]]`` or ``"NAME TYPE [constraints]"``, or
    one read from NAME (type ``TEXT`` when none is given). ``origin`` is how the user gave it,
    for messages: ``--column 'email TEXT'`` or ``column from NAME``."""

    name: str
    type: str = DEFAULT_TYPE
    constraints: str = ""
    origin: str = "column from NAME"
    text: str = ""  # as given: an existing column is looked up by it first ("my col")

    @property
    def sql_name(self) -> str:
        return sch.quote_identifier(self.name)

    @property
    def definition(self) -> str:
        return " ".join(p for p in (self.sql_name, self.type, self.constraints) if p)


def check_identifier(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise UsageError(f"{what}: is empty")
    if any(ch in value for ch in '"\\`[]') or any(unicodedata.category(ch) == "Cc" for ch in value):
        raise UsageError(f"{what} {value!r}: quotes, brackets, backslashes and control "
                         "characters are not allowed in a name")
    if value.lower().startswith("sqlite_"):
        raise UsageError(f"{what} {value!r}: names starting with sqlite_ are reserved by SQLite")
    return value


_COLUMN_NAME_RE = re.compile(r"\s*([^\s:]+)\s*(?::|\s|$)")
# The canary columns around a probed definition: a definition that closes the list, comments
# out the rest or adds a second column cannot leave exactly these three columns behind.
_PROBE_HEAD, _PROBE_TAIL = "_qs_probe_head", "_qs_probe_tail"


def _probe_column(definition: str) -> tuple[str | None, str, bool]:
    """SQLite's verdict on one column definition: ``(error, declared type, NOT NULL
    without a DEFAULT)``; ``error`` is ``None`` when SQLite takes it as exactly one column."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE TABLE _qs_probe ({_PROBE_HEAD}, {definition}, {_PROBE_TAIL})")
        info = conn.execute("PRAGMA table_info(_qs_probe)").fetchall()
    except (sqlite3.Error, sqlite3.Warning, ValueError) as exc:
        return str(exc), "", False
    finally:
        conn.close()
    if len(info) != 3 or info[0][1] != _PROBE_HEAD or info[2][1] != _PROBE_TAIL:
        return "it must define exactly one column", "", False
    return None, info[1][2], bool(info[1][3]) and info[1][4] is None


def parse_column(text: str) -> ColumnSpec:
    """``email`` → ``email TEXT``; ``count:INTEGER`` and ``"count INTEGER"`` → ``count
    INTEGER``; ``"uses:INTEGER NOT NULL DEFAULT 0"`` keeps its constraints. SQLite judges
    the definition; what it rejects (or reads as more than one column) is refused."""
    shown = f"--column {text!r}"
    head, colon, tail = text.partition(":")
    if colon and not any(q in head for q in "'\"`[("):  # NAME:TYPE …, a NAME may hold spaces
        name, rest = check_identifier(head, "--column"), tail
    else:  # NAME TYPE …
        match = _COLUMN_NAME_RE.match(text)
        if not match:
            raise UsageError(f"{shown}: give NAME, NAME:TYPE or \"NAME TYPE [constraints]\"")
        name, rest = check_identifier(match.group(1), "--column"), text[match.end():]
    rest = " ".join(rest.split())
    if not rest:
        return ColumnSpec(name, DEFAULT_TYPE, "", shown, text.strip())
    if rest.startswith("-") or "--" in rest or "/*" in rest or ";" in rest:
        raise UsageError(f"{shown}: comments and ';' are not allowed in a column definition")
    quoted = sch.quote_identifier(name)
    error, declared, _ = _probe_column(f"{quoted} {rest}")
    if error is None and not declared:  # constraints only: the type defaults to TEXT
        rest = f"{DEFAULT_TYPE} {rest}"
        error, declared, _ = _probe_column(f"{quoted} {rest}")
    if error is not None:
        raise UsageError(f"{shown}: SQLite rejects the column definition {quoted} {rest}: {error}")
    type_words = declared.split()
    constraints = rest
    # the declared type as written, then the constraints
    words = rest.split(" ")
    if [w.upper() for w in words[:len(type_words)]] == [w.upper() for w in type_words]:
        type_ = " ".join(words[:len(type_words)])
        constraints = " ".join(words[len(type_words):])
    else:  # a type with parentheses or odd spacing: keep the text whole
        type_, constraints = rest, ""
    return ColumnSpec(name, type_, constraints, shown, text.strip())


def schema_copy(conn: sqlite3.Connection, ddl: list[str], *, in_memory: bool) -> sqlite3.Connection:
    """An in-memory database holding the schema of ``conn`` and no rows: the backup of an
    in-memory one (a page copy), else ``ddl`` replayed (a real database is never copied)."""
    copy = sqlite3.connect(":memory:", isolation_level=None)
    if in_memory:
        conn.backup(copy)
        return copy
    for sql in ddl:
        try:
            copy.execute(sql)
        except sqlite3.Error:
            pass  # what cannot be rebuilt here is left out; the checks judge what is there
    return copy


def check_with_sqlite(schema_db: sqlite3.Connection | None, statements: list[str], what: str, *,
                      table: str | None = None) -> None:
    """Run ``statements`` on a copy of ``schema_db`` (with one row in ``table``, as a real
    database has); refuse with SQLite's message what it rejects."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        if schema_db is not None:
            schema_db.backup(conn)
        if table is not None:
            try:
                conn.execute(f"INSERT INTO {sch.quote_identifier(table)} DEFAULT VALUES")
            except sqlite3.Error:
                pass
        for sql in statements:
            try:
                conn.execute(sql)
            except sqlite3.Error as exc:
                raise UsageError(f"{what}: SQLite rejects {sql}: {exc}") from None
    finally:
        conn.close()


# -- schema and target -----------------------------------------------------------------


def parse_target(text: str | None) -> sch.Version:
    """``"3.34"`` → ``(3, 34, 0)``; ``None`` → the running sqlite3 library's version."""
    try:
        return parse_version(text)
    except ValueError:
        raise UsageError(f"--target-sqlite {text!r}: not a SQLite version (X.Y or X.Y.Z)") from None


def open_schema(migrations_dir: Path, database: str | os.PathLike | None,
                notes: list[str] | None = None, focus=None) -> sqlite3.Connection:
    """A connection to read the current schema from: ``database`` opened read-only, or the
    DDL of the existing migrations replayed into a fresh in-memory database without running
    their code. Only when a migration's DDL is built at run time (or cannot be replayed) are
    the migrations run, on an in-memory database; a line saying so is added to ``notes``.

    ``focus(table_names)``, given every table's name, may return the names the migration
    will work on: the replayed database then holds only what they can meet (see
    :meth:`~qscaffold.lint.replay.Replay.connect`), which keeps a long history cheap."""
    if database is not None:
        text = os.fspath(database)
        if text == ":memory:":
            return sqlite3.connect(":memory:")
        path = Path(text).expanduser().resolve()
        if path.is_dir():
            raise UsageError(f"{database}: --database is a folder, not a database file")
        if not path.is_file():
            raise UsageError(f"{database}: --database does not exist")
        try:
            conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            raise UsageError(f"{database}: cannot be read as a SQLite database: {exc}") from None
        return conn
    if not Path(migrations_dir).is_dir():
        return sqlite3.connect(":memory:", isolation_level=None)
    from .files import discover
    from .lint.replay import replay_schema

    files = discover(migrations_dir)
    replay = replay_schema(f.path for f in files)
    try:
        if not replay.dynamic:
            return replay.connect(focus(replay.table_names()) if focus is not None else None)
    finally:
        replay.close()
    first, why = replay.dynamic[0]
    if notes is not None:
        notes.append(f"{first.name} {why}, so the migrations were run on an in-memory database "
                     "to learn the schema (give --database to read it from a database instead)")
    return _run_for_schema(migrations_dir, {f.version: f.path for f in files})


def _run_for_schema(migrations_dir: Path, paths: dict[int, Path]) -> sqlite3.Connection:
    """The schema the migrations build, by running them on an in-memory database."""
    from .errors import MigrationFailed
    from .runner import MigrationRunner

    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        MigrationRunner(conn, migrations_dir).run_migrations()
    except MigrationFailed as exc:
        conn.close()
        path = paths.get(exc.version, migrations_dir)
        raise QscaffoldError(
            f"{path}: cannot learn the current schema: its up() {exc.reason} when run on an "
            "in-memory database; nothing was written (give --database to read the schema from "
            "a database)") from None
    except BaseException:
        conn.close()
        raise
    return conn


# -- templates --------------------------------------------------------------------------


def shipped_templates() -> Path:
    """The templates inside the installed wheel, else the repository's ``templates/``."""
    import qscaffold

    package = Path(qscaffold.__file__).parent
    inside = package / "templates"
    return inside if inside.is_dir() else package.parent / "templates"


def _py_string(text: str) -> str:
    """A one-line Python string literal."""
    return json.dumps(text, ensure_ascii=False)


def _py_sql(statements, indent: int = 8) -> str:
    """SQL statements as one triple-quoted Python literal, indented for a call's argument."""
    if isinstance(statements, str):
        statements = [statements]
    pad = " " * indent
    body = "\n".join(
        "\n".join((pad + line) if line.strip() else "" for line in (s.rstrip().rstrip(";") + ";").splitlines())
        for s in statements
    )
    body = body.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'"""\n{body}\n{pad}"""'


def _doc_line(text: str) -> str:
    """Text safe inside a docstring."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _comment(text: str, indent: int = 0) -> str:
    """Text as ``#`` comment lines, its first letter capitalised."""
    pad = " " * indent
    text = text[:1].upper() + text[1:]
    return "\n".join(f"{pad}# {line}".rstrip() for line in text.splitlines())


def render(template_name: str, context: dict, templates_dir: Path | None = None) -> str:
    """Render ``templates/<template_name>`` (a project's override first) with StrictUndefined."""
    import jinja2

    loaders = []
    if templates_dir is not None:
        loaders.append(jinja2.FileSystemLoader(os.fspath(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(os.fspath(shipped_templates())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update(pystr=_py_string, pysql=_py_sql, docline=_doc_line, comment=_comment,
                       ident=sch.quote_identifier, sqlstr=sch.quote_string)
    try:
        template = env.get_template(template_name)
        where = template.filename or template_name
        return template.render(**context)
    except jinja2.TemplateNotFound:
        raise TemplateError(f"{template_name}: template not found in "
                            f"{templates_dir or shipped_templates()}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or template_name}:{exc.lineno}: template syntax error: "
                            f"{exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{where}: {exc.message} (available: {', '.join(sorted(context))})") from None
    except Exception as exc:  # a template may raise anything from its expressions
        raise TemplateError(f"{template_name}: cannot be rendered: {type(exc).__name__}: {exc}") from None


def check_rendered(text: str, template: str, version: int) -> None:
    """The rendered text must be a migration: Python that compiles, with ``name``, a
    ``version`` equal to the file's number and ``up``."""
    try:
        tree = ast.parse(text)
        compile(tree, template, "exec")
    except SyntaxError as exc:
        raise TemplateError(f"{template}: renders invalid Python (line {exc.lineno}: {exc.msg})") from None
    assigned: dict[str, object] = {}
    functions = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if isinstance(node.value, ast.Constant):
                assigned[node.targets[0].id] = node.value.value
        elif isinstance(node, ast.FunctionDef):
            functions.add(node.name)
    if not isinstance(assigned.get("name"), str) or not assigned["name"].strip():
        raise TemplateError(f"{template}: renders no `name = \"…\"`")
    if assigned.get("version") != version or isinstance(assigned.get("version"), bool):
        raise TemplateError(f"{template}: renders `version = {assigned.get('version')!r}`, "
                            f"not the file's number {version}")
    if "up" not in functions:
        raise TemplateError(f"{template}: renders no `def up(db)`")


# -- the plan ---------------------------------------------------------------------------


@dataclass
class Scaffold:
    """A migration ready to be written: where, what, and how it was decided."""

    path: Path
    text: str
    version: int
    slug: str
    name: str
    pattern: str
    table: str | None
    columns: list[ColumnSpec]
    inferred: list[str]  # what was read from NAME, for the command line to tell
    strategy: str | None = None  # drop-column / column down: "native" or "rebuild"
    notes: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)  # advice for the command line to pass on


def next_version(folder: Path) -> int:
    """One more than the highest version in ``folder``, ``.py`` and ``.sql`` migrations alike
    (1 for an empty or missing one)."""
    if not folder.is_dir():
        return 1
    versions = [parsed[0] for entry in folder.iterdir() if (parsed := parse_migration_name(entry.name))]
    return max(versions, default=0) + 1


def plan_migration(
    settings,
    name: str,
    *,
    pattern: str | None = None,
    table: str | None = None,
    columns=(),
    database: str | os.PathLike | None = None,
    target: str | None = None,
) -> Scaffold:
    """Work out the next migration file and its text; nothing is written."""
    slug = slugify(name)
    display = human_name(name)
    folder = Path(settings.migrations_dir)
    _check_templates_dir(settings)
    if pattern is not None and pattern not in PATTERNS:
        raise UsageError(f"--pattern {pattern!r}: must be one of {', '.join(PATTERNS)}")
    specs = [c if isinstance(c, ColumnSpec) else parse_column(c) for c in columns]
    if table is not None:
        table = check_identifier(table, "--table")
    target_version = parse_target(target if target is not None else settings.target_sqlite)
    version = next_version(folder)
    path = folder / format_filename(version, slug)
    if parse_filename(path.name) is None:
        raise UsageError(f"NAME {name!r}: does not make a valid migration file name ({path.name})")

    inferred: list[str] = []
    schema_notes: list[str] = []
    guess = infer(slug)
    chosen = pattern or guess.pattern
    conn = schema_db = None
    every_table: list[str] = []  # when the schema read holds only what the migration meets

    def focus(table_names: list[str]) -> set[str]:
        """The names this migration works on, once every table's name is known."""
        every_table[:] = table_names
        names = {t.lower() for t in table_names}
        found = infer(slug, names)
        words = {w.lower() for w in (table, found.table) if w}
        words |= {"idx_" + "_".join([w, *found.columns]) for w in words}  # the index pattern's
        return words

    if chosen != "data" or table is not None:
        conn = open_schema(folder, database, schema_notes, focus)
    try:
        schema = sch.read_schema(conn) if conn is not None else sch.Schema({}, {}, {}, {})
        ddl = sch.schema_ddl(conn) if conn is not None else []
        if conn is not None:
            schema_db = schema_copy(conn, ddl, in_memory=database is None)
    finally:
        if conn is not None:
            conn.close()
    if schema.tables:
        guess = infer(slug, set(schema.tables))
    if pattern is None:
        pattern = guess.pattern
        inferred.append(f"pattern {pattern}")
    if table is None and guess.pattern == pattern and guess.table and pattern != "data":
        table = check_identifier(guess.table, "table from NAME")
        inferred.append(f"table {table}")
    if not specs and guess.pattern == pattern and guess.columns:
        specs = [ColumnSpec(check_identifier(c, "column from NAME")) for c in guess.columns]
        shown = [s.definition if pattern == "column" else s.name for s in specs]
        inferred.append(("column " if len(specs) == 1 else "columns ") + ", ".join(shown))

    context = {
        "name": display,
        "version": version,
        "slug": slug,
        "pattern": pattern,
        "table": table,
        "table_sql": sch.quote_identifier(table) if table else None,
        "columns": specs,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "target_sqlite": ".".join(map(str, target_version)),
        "strategy": None,
        "up_sql": [],
        "down_sql": [],
        "notes": [],
        "sequence_up": None,
        "sequence_down": None,
        "index_name": None,
        "column": None,
        "schema": None,
        "restored_as": None,
        "known_tables": sorted(every_table) if every_table else sorted(t.name for t in schema.tables.values()),
    }
    builder = {"table": _table, "column": _column, "index": _index, "data": _data,
               "drop-column": _drop_column}[pattern]
    try:
        builder(context, schema, ddl, target_version, schema_db)
    finally:
        if schema_db is not None:
            schema_db.close()
    template = f"{pattern}.py.j2"
    text = render(template, context, settings.templates_dir)
    check_rendered(text, template, version)
    hints = list(schema_notes)
    if pattern == "table" and not context["columns"]:
        hints.append("the table has only `id`; add columns with --column NAME[:TYPE [constraints]], "
                     "e.g. --column email:TEXT --column \"uses INTEGER NOT NULL DEFAULT 0\" "
                     "(or edit the file)")
    return Scaffold(path, text, version, slug, display, pattern, context["table"], context["columns"],
                    inferred, context["strategy"], context["notes"], hints)


def _check_templates_dir(settings) -> None:
    """A ``templates_dir`` that is not a folder is a mistake (a typo), never ignored."""
    folder = getattr(settings, "templates_dir", None)
    if folder is None or Path(folder).is_dir():
        return
    from .errors import ConfigError

    origin = f"{settings.pyproject}: [tool.qscaffold] " if getattr(settings, "pyproject", None) else ""
    raise ConfigError(f"{origin}templates_dir {os.fspath(folder)!r}: no such folder")


def _need_table(context: dict, schema: sch.Schema) -> sch.Table:
    name = context["table"]
    if not name:
        raise UsageError(f"--table: the {context['pattern']} pattern needs a table "
                         "(give --table, or a NAME such as add-email-to-users)")
    found = schema.table(name)
    if found is None:
        known = ", ".join(context["known_tables"][:20]) or "none"
        more = len(context["known_tables"]) - 20
        known += f", … ({more} more)" if more > 0 else ""
        raise UsageError(f"{name}: no such table (tables: {known})")
    context["table"] = found.name
    context["table_sql"] = sch.quote_identifier(found.name)
    return found


def _no_duplicates(specs: list[ColumnSpec]) -> None:
    seen = set()
    for spec in specs:
        if spec.name.lower() in seen:
            raise UsageError(f"{spec.origin}: column {spec.name} is given twice")
        seen.add(spec.name.lower())


def _table(context, schema, ddl, target, schema_db=None) -> None:
    name = context["table"]
    if not name:
        raise UsageError("--table: the table pattern needs a table name "
                         "(give --table, or a NAME such as create-api-keys-table)")
    if schema.exists(name):
        raise UsageError(f"--table {name}: already exists in the current schema")
    specs = context["columns"]
    _no_duplicates(specs)
    for spec in specs:
        if spec.name.lower() == "id":
            raise UsageError(f"{spec.origin}: the table pattern already gives every table "
                             "`id INTEGER PRIMARY KEY`")
    columns = "".join(f", {s.definition}" for s in specs)
    check_with_sqlite(schema_db, [f"CREATE TABLE {context['table_sql']} (id INTEGER PRIMARY KEY{columns})"],
                      ", ".join(s.origin for s in specs) or f"--table {name}")


def _column(context, schema, ddl, target, schema_db=None) -> None:
    table = _need_table(context, schema)
    specs = context["columns"]
    if not specs:
        raise UsageError("--column: the column pattern needs at least one column "
                         "(give --column NAME[:TYPE], or a NAME such as add-email-to-users)")
    _no_duplicates(specs)
    for spec in specs:
        if table.column(spec.name):
            raise UsageError(f"{spec.origin}: {table.name}.{spec.name} already exists")
        if _probe_column(spec.definition)[2]:
            raise UsageError(f"{spec.origin}: SQLite cannot add a NOT NULL column without a DEFAULT "
                             f"to a table with rows; give one, e.g. \"{spec.name} {spec.type} "
                             f"{spec.constraints} DEFAULT 0\"")
    adds = [f"ALTER TABLE {context['table_sql']} ADD COLUMN {s.definition}" for s in specs]
    check_with_sqlite(schema_db, adds, ", ".join(s.origin for s in specs), table=table.name)
    plan = sch.column_down_plan(schema, table.name, [s.name for s in specs], target)
    if plan.strategy == "native":
        try:
            check_with_sqlite(schema_db, adds + plan.down, "down", table=table.name)
        except UsageError:  # SQLite will not drop such a column (say, one its CHECK names)
            plan = sch.column_down_plan(schema, table.name, [s.name for s in specs], (3, 34, 0))
            plan.notes[:] = ["SQLite cannot DROP COLUMN this column, so down rebuilds the table as it was"]
    context.update(strategy=plan.strategy, down_sql=plan.down, notes=plan.notes,
                   sequence_down=plan.sequence_table)


def _existing_columns(table: sch.Table, specs: list[ColumnSpec]) -> list[ColumnSpec]:
    out = []
    for spec in specs:
        column = table.column(spec.text) if spec.text else None
        column = column or table.column(spec.name)
        if column is None:
            known = ", ".join(c.name for c in table.columns)
            raise UsageError(f"{spec.origin}: {table.name} has no such column {spec.name} (columns: {known})")
        out.append(ColumnSpec(column.name, column.declared_type))
    return out


def _index(context, schema, ddl, target, schema_db=None) -> None:
    table = _need_table(context, schema)
    if not context["columns"]:
        raise UsageError("--column: the index pattern needs the column(s) to index")
    _no_duplicates(context["columns"])
    specs = _existing_columns(table, context["columns"])
    context["columns"] = specs
    index_name = "idx_" + "_".join([table.name] + [s.name for s in specs])
    if schema.exists(index_name):
        raise UsageError(f"{index_name}: an index (or table) with this name already exists")
    context["index_name"] = index_name


def _data(context, schema, ddl, target, schema_db=None) -> None:
    if not context["table"]:
        context["columns"] = []
        return
    table = _need_table(context, schema)
    if context["columns"]:
        specs = _existing_columns(table, context["columns"][:1])
    else:
        storable = [c for c in table.storable_columns if not c.pk] or table.storable_columns
        specs = [ColumnSpec(storable[0].name, storable[0].declared_type)]
    context["columns"] = specs


def _drop_column(context, schema, ddl, target, schema_db=None) -> None:
    table = _need_table(context, schema)
    specs = context["columns"]
    if len(specs) != 1:
        raise UsageError("--column: the drop-column pattern drops exactly one column "
                         "(give --column NAME, or a NAME such as drop-email-from-users)")
    column = (table.column(specs[0].text) if specs[0].text else None) or table.column(specs[0].name)
    if column is None:
        raise UsageError(f"{specs[0].origin}: {table.name} has no such column {specs[0].name}")
    plan = sch.drop_column_plan(schema, table.name, column.name, target, ddl)
    deps = sch.dependents(schema, table.name)
    context["columns"] = [ColumnSpec(column.name, column.declared_type)]
    context.update(
        strategy=plan.strategy, up_sql=plan.up, down_sql=plan.down, notes=plan.notes,
        sequence_up=plan.sequence_table if plan.strategy == "rebuild" else None,
        sequence_down=plan.sequence_table,
        column=ColumnSpec(column.name, column.declared_type),
        restored_as=sch.restored_as(column),
        schema={
            "create": table.sql,
            "indexes": [ix.sql for ix in table.indexes],
            "triggers": [t.sql for t in deps.triggers],
            "views": [v.sql for v in deps.views],
        },
    )


# -- writing ----------------------------------------------------------------------------


def write_migration(scaffold: Scaffold) -> Path:
    """Create the file (and its folder); an existing file is never overwritten."""
    folder = scaffold.path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QscaffoldError(f"{folder}: cannot create the migrations folder: {exc.strerror or exc}") from None
    target = folder.resolve() / scaffold.path.name
    if target.parent != folder.resolve():
        raise UsageError(f"{scaffold.path}: would be written outside {folder}")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise FileExists(f"{scaffold.path}: already exists; not overwriting it "
                         "(did another `qscaffold new` run at the same time?)") from None
    except OSError as exc:
        raise QscaffoldError(f"{scaffold.path}: cannot be created: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(scaffold.text)
    rivals = [entry.name for entry in folder.iterdir()
              if entry.name != scaffold.path.name
              and (parsed := parse_migration_name(entry.name)) and parsed[0] == scaffold.version]
    if rivals:  # another `new` picked the same number at the same moment
        target.unlink()
        raise FileExists(f"{scaffold.path}: version {scaffold.version} was just taken by {rivals[0]}; "
                         "nothing was written, run the command again")
    return scaffold.path


def new_migration(
    settings,
    name: str,
    *,
    pattern: str | None = None,
    table: str | None = None,
    columns=(),
    dry_run: bool = False,
    database: str | os.PathLike | None = None,
    target: str | None = None,
) -> Path | str:
    """Write the next numbered migration from a template and return its path; with
    ``dry_run``, return the text that would be written instead (nothing is written)."""
    scaffold = plan_migration(settings, name, pattern=pattern, table=table, columns=columns,
                              database=database, target=target)
    if dry_run:
        return scaffold.text
    return write_migration(scaffold)
