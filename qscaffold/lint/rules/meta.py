"""Engine and file rules: what SQLite itself says, unreadable or dynamic SQL, ``noqa``
bookkeeping, and the shape of a migration file (name, version, up/down, Python calls).

Rules of kind ``engine`` are emitted by :mod:`qscaffold.lint.engine` itself (they need the
shadow schema, the other rules' verdicts or the ``noqa`` comments); they are registered here
so that ``qscaffold rules``, SARIF and the docs test know them.
"""

from __future__ import annotations

import ast

import re
import sqlite3

from ...files import naming_problem, parse_filename
from ..model import FileUnit, Severity
from ..registry import rule

ENGINE = "engine"


def _engine_rule(*args, **kwargs):
    """Yields nothing: the engine reports these codes itself."""
    return ()


# -- engine rules ------------------------------------------------------------------------


@rule("QS001", "sql-syntax-error", Severity.ERROR,
      "SQLite's parser rejects the statement", kind=ENGINE)
def sql_syntax_error(stmt):
    """## What it does
    Reports a statement that SQLite's own parser rejects (`near "X": syntax error`,
    `incomplete input`, `unrecognized token`), with SQLite's message, at the token SQLite
    names. The verdict comes from compiling the statement with the running SQLite library
    and holds at every `--target-sqlite`: SQLite's grammar only grows, so what this library
    cannot parse no older one can. For a target newer than the library, a rejection that
    newer syntax explains (a 3.53 `ADD CHECK` on 3.40) is left to the version rules. When a
    more specific error rule explains the statement, only that rule is reported.

    ## Why is this bad?
    The migration fails at this statement and its transaction is rolled back.

    ## Example
    ```sql
    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT,);
    ```

    Use instead:
    ```sql
    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
    ```

    ## References
    - https://www.sqlite.org/lang.html (SQLite's SQL syntax)
    """
    return _engine_rule(stmt)


@rule("QS002", "statement-not-analyzed", Severity.INFO,
      "Statement SQLite accepts but sqlglot cannot parse", kind=ENGINE)
def statement_not_analyzed(stmt):
    """## What it does
    Notes a statement that SQLite accepts but sqlglot cannot parse (it falls back to a
    generic command or raises). The linter's own rules read SQLite's grammar themselves and
    ask the engine, so they all checked it; this is for tools that read migrations with
    sqlglot (schema diffs, documentation, query analysis), which will fail on it or misread
    it. Statement kinds sqlglot is known to mis-handle (triggers, `WITHOUT ROWID`,
    `ON CONFLICT` column clauses, `ALTER TABLE t DROP c`, SAVEPOINT/RELEASE, `REPLACE
    INTO` …) are not reported.

    Opt-in: it runs only when named (`--select QS002`, or `select = ["QS002"]`), since it
    is the one check that loads sqlglot for a clean file.

    ## Why is this bad?
    It is not bad for SQLite or for the runner; it matters only to projects whose other
    tools read the migrations with sqlglot.

    ## Example
    ```sql
    CREATE TABLE tags (id INTEGER PRIMARY KEY, names TEXT[]);
    ```

    Use instead:
    ```sql
    CREATE TABLE tags (id INTEGER PRIMARY KEY, names TEXT);
    ```
    """
    return _engine_rule(stmt)


@rule("QS003", "dynamic-sql", Severity.INFO,
      "SQL built at run time (f-string, %, .format, concatenation, a variable) is not checked",
      kind=ENGINE)
def dynamic_sql(stmt):
    """## What it does
    Notes a `db.exec/execute/executemany/query` call whose SQL is not a string literal: an
    f-string with fields, `%` or `.format()` formatting, concatenation with names, or a
    variable. The linter never runs migration code, so it cannot see that SQL.

    ## Why is this bad?
    Nothing checked it. Identifiers built from strings are also an injection risk; values
    belong in parameters (`db.execute(sql, params)`).

    ## Example
    ```python
    def up(db):
        for column in ("a", "b"):
            db.exec(f"ALTER TABLE t ADD COLUMN {column} TEXT")
    ```

    Use instead:
    ```python
    def up(db):
        db.exec("ALTER TABLE t ADD COLUMN a TEXT")
        db.exec("ALTER TABLE t ADD COLUMN b TEXT")
    ```
    """
    return _engine_rule(stmt)


@rule("QS004", "unused-noqa", Severity.WARNING,
      "A `noqa` comment suppresses nothing on its line", kind=ENGINE)
def unused_noqa(stmt):
    """## What it does
    Reports a `# qscaffold: noqa` comment (or one of its codes) that suppresses no finding:
    the problem was fixed, or the code is wrong. Codes of rules that are not selected are not
    reported.

    ## Why is this bad?
    A stale `noqa` hides the next real problem on that line.

    ## Example
    ```python
    db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")  # qscaffold: noqa: QS201
    ```

    Use instead:
    ```python
    db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")
    ```
    """
    return _engine_rule(stmt)


@rule("QS005", "unknown-noqa-code", Severity.WARNING,
      "A `noqa` comment names a rule code that does not exist", kind=ENGINE)
def unknown_noqa_code(stmt):
    """## What it does
    Reports a code in `# qscaffold: noqa: …` or `noqa-file: …` that is not a rule
    (see `qscaffold rules`).

    ## Why is this bad?
    A mistyped code suppresses nothing, so the finding it was meant for is still reported,
    or the comment is left over from a rule that was renumbered.

    ## Example
    ```python
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)")  # qscaffold: noqa: QS2O1
    ```

    Use instead:
    ```python
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)")  # qscaffold: noqa: QS201
    ```
    """
    return _engine_rule(stmt)


@rule("QS009", "rule-failed", Severity.INFO,
      "A lint rule failed on a statement or file; that rule's verdict is missing", kind=ENGINE)
def rule_failed(stmt):
    """## What it does
    Notes that a rule raised an exception on a statement or file instead of giving a verdict.
    The run continues; the other rules and SQLite's checks still ran.

    ## Why is this bad?
    One check is missing for that statement. Please report it with the statement.

    ## Example
    ```sql
    CREATE TABLE t (a TEXT);
    ```

    Use instead:
    ```sql
    CREATE TABLE t (a TEXT);
    ```
    """
    return _engine_rule(stmt)


@rule("QS010", "engine-rejects", Severity.ERROR,
      "SQLite rejects the statement against the schema the earlier migrations build",
      kind=ENGINE)
def engine_rejects(stmt):
    """## What it does
    Replays the earlier migrations' SQL and the earlier statements of this file into an
    in-memory database, then runs the DDL (inside a savepoint) or compiles the query (with
    `EXPLAIN`, never run). Any error SQLite gives that is not a syntax error is reported
    with SQLite's own message: `no such table`, `duplicate column name`,
    `cannot drop PRIMARY KEY column`, `error in view v after drop column` …

    When the schema cannot be known (an earlier migration builds DDL at run time, or is one
    the linter cannot read, such as goose's `.go` migrations), "no such table/column"
    verdicts are not reported. Edits of `sqlite_master` after `PRAGMA writable_schema = ON`
    are SQLite's to accept (QS305 flags the pragma). Errors that only appear once a table
    has rows are the job of the static rules (the shadow database is empty).

    ## Why is this bad?
    The migration fails at this statement on every database built by the earlier
    migrations, and its transaction is rolled back.

    ## Example
    ```sql
    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
    ALTER TABLE users DROP COLUMN id;
    ```

    Use instead:
    ```sql
    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
    ALTER TABLE users DROP COLUMN email;
    ```

    ## References
    - https://www.sqlite.org/lang.html
    """
    return _engine_rule(stmt)


# -- QS001 and QS010: SQLite's own verdict --------------------------------------------------

LOCAL = tuple(sqlite3.sqlite_version_info)
_SCHEMA_TABLE_RE = re.compile(r"^table sqlite_(?:temp_)?(?:master|schema) may not be modified$")
_NO_SUCH_RE = re.compile(r"^no such (?:table|column|index|view|trigger|constraint): (.+)$")


def is_syntax_error(message: str) -> bool:
    return ("syntax error" in message or message.startswith("incomplete input")
            or message.startswith("unrecognized token"))


def _version_independent_syntax(message: str) -> bool:
    return message.startswith("incomplete input") or message.startswith("unrecognized token")


def engine_verdict(error: str | None, *, sql: str, kind: str, target, oracle_exact: bool,
                   shadow, was_known: bool, newer_syntax) -> tuple[str, str] | None:
    """``(code, message)`` for what SQLite said about ``sql`` in the shadow (``error``):
    QS001 for a syntax error, QS010 for any other rejection, ``None`` when the message is
    no verdict about the statement (the schema is a guess there, a newer target explains
    it, the edit of sqlite_master is one writable_schema allows …). ``newer_syntax(sql)``
    says whether the statement uses syntax newer than the running library."""
    if error is None:
        return None
    if is_syntax_error(error):
        # SQLite's grammar only grows: what the local library cannot parse, no older
        # one can. Against a newer target, leave out what newer syntax explains.
        if target <= LOCAL or _version_independent_syntax(error) or not newer_syntax(sql):
            return "QS001", f"SQLite rejects this statement: {error}"
        return None
    if not oracle_exact and error.startswith("no such function"):
        return None
    if error.startswith("unknown database"):
        return None  # ATTACH is never replayed
    if shadow.writable_schema and _SCHEMA_TABLE_RE.match(error):
        # SQLite lets SQL edit the schema table once writable_schema is on (QS305 warns
        # about that); what the edit leaves is unknown from here on
        shadow.known = False
        return None
    match = _NO_SUCH_RE.match(error)
    if match:
        name = match.group(1).strip().strip('"').split(".")[-1].strip('"').lower()
        if not was_known or name in shadow.failed_words:
            # The schema is a guess here (or an earlier failure explains it). ALTER
            # resolves its table before parsing the rest: retry on a stub table so a
            # syntax error still shows.
            if error.startswith("no such table") and kind == "ddl":
                probe = shadow.probe_with_stub(sql, name)
                if probe is not None and is_syntax_error(probe):
                    return engine_verdict(probe, sql=sql, kind=kind, target=target,
                                          oracle_exact=oracle_exact, shadow=shadow,
                                          was_known=True, newer_syntax=newer_syntax)
            return None
    return "QS010", f"SQLite rejects this statement: {error}"


@rule("QS902", "unreadable-migration", Severity.ERROR,
      "The migration file cannot be read: Python syntax error, NUL bytes, not UTF-8", kind=ENGINE)
def unreadable_migration(unit):
    """## What it does
    Reports a migration file that cannot be parsed without running it: a Python syntax
    error (from `ast.parse`), NUL bytes or binary content, or bytes that are not UTF-8.
    Nothing else is checked in that file, and later migrations are checked without knowing
    its schema changes.

    ## Why is this bad?
    The runner refuses to load the file, so no migration after it can run either.

    ## Example
    ```python
    def up(db)
        db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")
    ```

    Use instead:
    ```python
    def up(db):
        db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")
    ```
    """
    return _engine_rule(unit)


@rule("QS906", "duplicate-version", Severity.ERROR,
      "Two migration files in the folder share a version number", kind=ENGINE)
def duplicate_version(unit):
    """## What it does
    Reports a migration whose version number is also used by another file of the same
    folder (typically two branches that each added the next migration).

    ## Why is this bad?
    The runner refuses the whole folder: it cannot know which of the two runs first, and
    a database that applied one of them would never apply the other.

    ## Example
    ```python
    # migrations/007-add-email.py and migrations/007-add-phone.py
    name = "Add phone"
    version = 7
    ```

    Use instead:
    ```python
    # migrations/007-add-email.py and migrations/008-add-phone.py
    name = "Add phone"
    version = 8
    ```
    """
    return _engine_rule(unit)


# -- file rules --------------------------------------------------------------------------


def _top_level(unit: FileUnit, name: str):
    """The module-level ``def name`` or ``name = …`` node, or ``None``."""
    if unit.module is None:
        return None
    for node in unit.module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return node
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
            (alias.asname or alias.name) == name for alias in node.names
        ):
            return node
    return None


def _is_python(unit: FileUnit) -> bool:
    return unit.is_python and unit.module is not None


@rule("QS901", "missing-up", Severity.ERROR, "The migration file has no `up(db)` function",
      kind="file")
def missing_up(unit: FileUnit):
    """## What it does
    Reports a migration file without a module-level `up(db)` function.

    ## Why is this bad?
    The runner refuses to load it (`no up(db) function`), and no later migration runs.

    ## Example
    ```python
    name = "Add API keys table"
    version = 3


    def upgrade(db):
        db.exec("CREATE TABLE IF NOT EXISTS api_keys (id INTEGER PRIMARY KEY)")
    ```

    Use instead:
    ```python
    name = "Add API keys table"
    version = 3


    def up(db):
        db.exec("CREATE TABLE IF NOT EXISTS api_keys (id INTEGER PRIMARY KEY)")
    ```
    """
    if _is_python(unit) and _top_level(unit, "up") is None:
        yield 1, 1, "no `up(db)` function: the runner cannot load this migration"


@rule("QS206", "missing-down", Severity.WARNING, "The migration file has no `down(db)` function",
      kind="file")
def missing_down(unit: FileUnit):
    """## What it does
    Reports a migration file without a `down(db)` function.

    ## Why is this bad?
    `qscaffold migrate down` cannot roll it back, and `migrate verify` cannot check that the
    migration is reversible. When a migration truly cannot be undone, say so with
    `# qscaffold: noqa-file: QS206`.

    ## Example
    ```python
    def up(db):
        db.exec("CREATE INDEX IF NOT EXISTS ix_users_email ON users(email)")
    ```

    Use instead:
    ```python
    def up(db):
        db.exec("CREATE INDEX IF NOT EXISTS ix_users_email ON users(email)")


    def down(db):
        db.exec("DROP INDEX IF EXISTS ix_users_email")
    ```
    """
    if not _is_python(unit) or _top_level(unit, "down") is not None:
        return
    up = _top_level(unit, "up")
    line = up.lineno if up is not None else 1
    yield line, 1, "no `down(db)` function: this migration cannot be rolled back"


def _trivial_body(func) -> bool:
    """Only ``pass``, a docstring, ``...``, or SQL calls whose literal holds no statement
    (an empty or comment-only script)."""
    from ...sql import split_statements
    from ..extract import SQL_METHODS

    for node in func.body:
        if isinstance(node, ast.Pass):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # docstring or ...
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            if isinstance(call.func, ast.Attribute) and call.func.attr in SQL_METHODS \
                    and len(call.args) == 1 and isinstance(call.args[0], ast.Constant) \
                    and isinstance(call.args[0].value, str) \
                    and not split_statements(call.args[0].value):
                continue
        return False
    return True


_KINDS = {"table": "table", "view": "view", "index": "index", "trigger": "trigger"}


@rule("QS207", "down-not-inverse", Severity.WARNING,
      "`down()` does not undo what `up()` creates, adds or drops (heuristic)", kind="file")
def down_not_inverse(unit: FileUnit):
    """## What it does
    Compares the schema before `up()`, after `up()` and after `down()` (both replayed from
    the SQL in the shadow database) and reports tables, views, indexes, triggers and columns
    that `up()` creates and `down()` leaves behind, or that `up()` drops and `down()` does
    not recreate. Also reports a `down()` that does nothing (only `pass` or a docstring).
    Silent when dynamic SQL makes the schema unknown.

    ## Why is this bad?
    After `migrate down`, the schema is not the one the previous version expects: the next
    `up` then fails (`table t already exists`, `duplicate column name`) or runs on a schema
    nobody tested.

    ## Example
    ```python
    def up(db):
        db.exec("ALTER TABLE users ADD COLUMN nickname TEXT")


    def down(db):
        pass
    ```

    Use instead:
    ```python
    def up(db):
        db.exec("ALTER TABLE users ADD COLUMN nickname TEXT")


    def down(db):
        db.exec("ALTER TABLE users DROP COLUMN nickname")
    ```

    ## Known problems
    It compares the objects and columns `up()` and `down()` leave, not the data: a down
    that recreates a table without its rows, or undoes a data change differently,
    passes.
    """
    if not _is_python(unit):
        return
    down = _top_level(unit, "down")
    up = _top_level(unit, "up")
    if not isinstance(down, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return
    if not isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return
    if _trivial_body(down):
        if not _trivial_body(up):
            yield down.lineno, 1, "`down()` does nothing: `migrate down` will not undo `up()`"
        return
    snapshots = unit.snapshots
    if not unit.schema_known or not {"before", "after_up", "after_down"} <= set(snapshots):
        return
    before, after_up, after_down = snapshots["before"], snapshots["after_up"], snapshots["after_down"]
    problems = []
    for key in sorted(after_up.keys() - before.keys()):
        if key in after_down:
            problems.append(f"leaves {key[0]} {key[1]}, which `up()` creates")
    for key in sorted(before.keys() - after_up.keys()):
        if key not in after_down:
            problems.append(f"does not recreate {key[0]} {key[1]}, which `up()` drops")
    for key in sorted(before.keys() & after_up.keys()):
        if key[0] != "table":
            continue
        added = after_up[key] - before[key]
        if key in after_down:
            for column in sorted(added & after_down[key]):
                problems.append(f"leaves column {key[1]}.{column}, which `up()` adds")
        removed = before[key] - after_up[key]
        if key in after_down:
            for column in sorted(removed - after_down[key]):
                problems.append(f"does not restore column {key[1]}.{column}, which `up()` drops")
    for problem in problems:
        yield down.lineno, 1, f"`down()` {problem}"


@rule("QS306", "python-implicit-commit", Severity.ERROR,
      "Migration code calls executescript(), commit() or rollback(), or sets isolation_level",
      kind="file")
def python_implicit_commit(unit: FileUnit):
    """## What it does
    Reports calls to `executescript()`, `.commit()` and `.rollback()`, and assignments to
    `isolation_level`, anywhere in a migration file.

    ## Why is this bad?
    The runner wraps each migration in one transaction and commits it together with the
    version bookkeeping. `sqlite3`'s `executescript()` issues a `COMMIT` before it runs,
    `.commit()`/`.rollback()` end the runner's transaction early, and changing
    `isolation_level` changes how the connection opens transactions: the migration is no
    longer all-or-nothing, and a failure leaves a half-applied schema.

    ## Example
    ```python
    def up(db):
        db.connection.executescript("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY);")
        db.connection.commit()
    ```

    Use instead:
    ```python
    def up(db):
        db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY);")
    ```
    """
    if not _is_python(unit):
        return
    for node in ast.walk(unit.module):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            if attr == "executescript":
                yield node.lineno, node.col_offset + 1, (
                    "executescript() commits the runner's transaction first; use db.exec()")
            elif attr in ("commit", "rollback") and not node.args:
                yield node.lineno, node.col_offset + 1, (
                    f".{attr}() ends the runner's transaction; a migration never "
                    "commits or rolls back itself")
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "isolation_level":
                yield target.lineno, target.col_offset + 1, (
                    "setting isolation_level changes the runner's transaction handling")


@rule("QS307", "execute-multiple-statements", Severity.ERROR,
      "db.execute/executemany/query given more than one statement", kind="file")
def execute_multiple_statements(unit: FileUnit):
    """## What it does
    Reports `db.execute()`, `db.executemany()` or `db.query()` (or the same methods of a
    `sqlite3` connection) called with a string that holds more than one statement.

    ## Why is this bad?
    They run exactly one statement: `sqlite3` raises
    `You can only execute one statement at a time.` `db.exec()` runs a whole script,
    trigger bodies included, inside the migration's transaction.

    ## Example
    ```python
    def up(db):
        db.execute("CREATE TABLE IF NOT EXISTS a (id INTEGER); CREATE TABLE IF NOT EXISTS b (id INTEGER);")
    ```

    Use instead:
    ```python
    def up(db):
        db.exec("CREATE TABLE IF NOT EXISTS a (id INTEGER); CREATE TABLE IF NOT EXISTS b (id INTEGER);")
    ```
    """
    from ..extract import SINGLE_STATEMENT_METHODS

    for call in unit.calls:
        if call.method in SINGLE_STATEMENT_METHODS and len(call.pieces) > 1:
            yield call.line, call.column, (
                f"{call.method}() runs one statement but this SQL holds {len(call.pieces)}; "
                "use db.exec()")


@rule("QS903", "misnamed-migration-file", Severity.ERROR,
      "The file name is not `<version>-<kebab-case-description>.py`", kind="file")
def misnamed_migration_file(unit: FileUnit):
    """## What it does
    Reports a Python migration whose file name is not `<version>-<description>.py`: a
    version of at least three digits (`001` … `999`, then `1000`), a `-`, and a lowercase
    kebab-case description.

    ## Why is this bad?
    The runner refuses a folder holding a misnamed migration rather than silently skipping
    it, and versions sort wrongly when they are not zero-padded.

    ## Example
    ```python
    # migrations/7_Add_Users.py
    def up(db):
        db.exec("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY)")
    ```

    Use instead:
    ```python
    # migrations/007-add-users.py
    def up(db):
        db.exec("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY)")
    ```
    """
    if not unit.is_python:
        return
    name = unit.path.name
    if parse_filename(name) is None and name.endswith(".py"):
        yield 1, 1, f"misnamed migration file {name}: {naming_problem(name)}"
    elif not name.endswith(".py"):
        yield 1, 1, f"misnamed migration file {name}: migrations end in .py"


def _assigned(unit: FileUnit, name: str):
    """``(node, value)`` of the module-level assignment to ``name``; value is the constant or
    ``...`` when it is not a literal."""
    node = _top_level(unit, name)
    if node is None:
        return None, None
    value = getattr(node, "value", None)
    if isinstance(value, ast.Constant):
        return node, value.value
    return node, ...


@rule("QS904", "version-mismatch", Severity.ERROR,
      "`version` is missing, not an int, or differs from the file's number", kind="file")
def version_mismatch(unit: FileUnit):
    """## What it does
    Reports a migration whose module-level `version` is missing, is not an integer literal,
    or differs from the number in its file name.

    ## Why is this bad?
    The runner refuses to load it: the version recorded in the database must be the one the
    file name promises, or ordering and rollback go wrong after a renumbering.

    ## Example
    ```python
    # migrations/004-add-usage-tracking.py
    name = "Add usage tracking"
    version = 3
    ```

    Use instead:
    ```python
    # migrations/004-add-usage-tracking.py
    name = "Add usage tracking"
    version = 4
    ```
    """
    if not _is_python(unit):
        return
    parsed = parse_filename(unit.path.name)
    if parsed is None:
        return
    number = parsed[0]
    node, value = _assigned(unit, "version")
    if node is None:
        yield 1, 1, f"no `version = {number}`: the runner cannot load this migration"
    elif value is ...:
        return
    elif not isinstance(value, int) or isinstance(value, bool):
        yield node.lineno, 1, f"`version` must be the integer {number}, not {value!r}"
    elif value != number:
        yield node.lineno, 1, f"`version = {value}` does not match the file's number {number}"


@rule("QS905", "missing-name", Severity.ERROR,
      "The migration has no non-empty `name` string", kind="file")
def missing_name(unit: FileUnit):
    """## What it does
    Reports a migration without a module-level `name` string, or with an empty one.

    ## Why is this bad?
    The runner refuses to load it; the name is what `migrate status` and the history table
    show for the migration.

    ## Example
    ```python
    version = 3


    def up(db):
        db.exec("CREATE TABLE IF NOT EXISTS api_keys (id INTEGER PRIMARY KEY)")
    ```

    Use instead:
    ```python
    name = "Add API keys table"
    version = 3


    def up(db):
        db.exec("CREATE TABLE IF NOT EXISTS api_keys (id INTEGER PRIMARY KEY)")
    ```
    """
    if not _is_python(unit):
        return
    node, value = _assigned(unit, "name")
    if node is None:
        yield 1, 1, "no `name = \"…\"`: the runner cannot load this migration"
    elif value is ...:
        return
    elif not isinstance(value, str) or not value.strip():
        yield node.lineno, 1, "`name` must be a non-empty string"
