"""The shadow schema: the schema as the migrations so far would leave it, in SQLite itself.

The linter replays each migration's DDL into an in-memory database so that SQLite judges every
statement against the tables, indexes, views and triggers it will really meet. Holding the
whole schema in one database made that quadratic: SQLite re-reads its entire schema after
every ALTER TABLE and after every rolled-back SAVEPOINT that changed it, so each migration
paid for every table of the ones before it.

So the schema lives in a :class:`Catalog` (the ``sqlite_master`` rows, indexed by the names
they use), and each migration file is checked in a small database of its own holding only
the objects its SQL can meet (:meth:`Shadow.focus`): the objects it names, the tables their
foreign keys reference, the objects that reference them, the indexes of those tables, what
the views and triggers among them read, and — for files that rename a table or a column or
drop a column, since SQLite then checks every view and trigger of the schema — all views and
triggers. Whatever the
file's ``up()`` leaves is written back to the catalog (:meth:`Shadow.settle`). An object
outside that set can neither change a verdict about the file's statements nor be changed by
them, so the findings are those a database holding everything gives (the tests compare both
ways on whole chains).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from contextlib import contextmanager

from ..schema.quote import always_quoted
from ..sql import first_keywords
from .model import CONNECTION_PRAGMAS, READ_CONNECTION_PRAGMAS, ShadowConnection, scratch
from .names import bases

__all__ = ["Shadow", "Catalog", "classify"]

_TRANSACTION = {"BEGIN", "COMMIT", "END", "ROLLBACK"}
_SAVEPOINT = {"SAVEPOINT", "RELEASE"}
_FILE_TOUCHING = {"ATTACH", "DETACH", "VACUUM"}
_DDL = {"CREATE", "DROP", "ALTER"}
# the pragmas replayed (and carried from file to file): the only ones run, as harmless
_REPLAYED_PRAGMAS = {n.upper() for n in CONNECTION_PRAGMAS} | {"CASE_SENSITIVE_LIKE"}
# Check each file in a database of the objects it can meet (see the module docstring);
# switched off only to compare against a database holding the whole schema.
_PARTITION = True
_VM_STEP_BUDGET = 2_000  # progress-handler calls (x1000 VM steps) allowed per statement
_WORD_RE = re.compile(r"\w+")
_ONE_WORD_RE = re.compile(r"\w+\Z")
_USES_RE = re.compile(r"statement uses (\d+)")
_NEAR_RE = re.compile(r'(?:near|unrecognized token:) "(.+)"(?:: syntax error)?$', re.S)
_TEMP_CREATE_RE = re.compile(r"CREATE\s+(?=TABLE\b|VIEW\b|TRIGGER\b)", re.I)
_RENAME_OR_DROP_RE = re.compile(r"\b(?:RENAME|DROP)\b", re.I)
# the name a statement creates or renames to (the schema-qualified name's last part)
_CREATED_RE = re.compile(
    r"(?:\bRENAME\s+TO|\bCREATE\s+(?:TEMP\w*\s+|UNIQUE\s+|VIRTUAL\s+)?"
    r"(?:TABLE|VIEW|INDEX|TRIGGER)(?:\s+IF\s+NOT\s+EXISTS)?)"
    r"\s+(?:(?:\w+|\"[^\"]*\")\s*\.\s*)?(\w+|\"[^\"]*\"|`[^`]*`|\[[^\]]*\])", re.I)


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


# -- the catalog ------------------------------------------------------------------------


class _Entry:
    """One ``sqlite_master`` (or ``sqlite_temp_master``) row of the catalog."""

    __slots__ = ("seq", "temp", "type", "name", "tbl_name", "sql", "key", "word", "owner", "words")

    def __init__(self, seq: int, temp: bool, type_: str, name: str, tbl_name: str, sql: str):
        self.seq = seq
        self.temp = temp
        self.type = type_
        self.name = name
        self.tbl_name = tbl_name
        self.sql = sql
        self.key = (temp, _ascii_lower(name))  # SQLite folds ASCII letters only
        self.word = name.lower()
        self.owner = tbl_name.lower()
        self.words = frozenset(w.lower() for w in _WORD_RE.findall(sql))

    @property
    def odd(self) -> bool:
        """Whether a name of it is not one word (``"odd-name"``, ``""``): matched by words."""
        return not (_ONE_WORD_RE.match(self.name) and _ONE_WORD_RE.match(self.tbl_name))

    def create_sql(self) -> str:
        if self.temp and self.type != "index":
            return _TEMP_CREATE_RE.sub("CREATE TEMP ", self.sql, count=1)
        return self.sql


class Catalog:
    """The schema's objects, indexed by the names they use, in ``sqlite_master`` order."""

    def __init__(self) -> None:
        self.entries: dict[tuple[bool, str], _Entry] = {}
        self._seq = 0
        self._by_word: dict[str, set] = {}      # lower-cased name → keys
        self._by_owner: dict[str, set] = {}     # lower-cased tbl_name → keys
        self._mentioned_in: dict[str, set] = {}  # word → keys of objects whose SQL has it
        self._partners: dict[str, set] = {}     # t → keys of tables named like new_t, t_new
        self._odd: set = set()
        self._views_triggers: set = set()

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def add(self, entry: _Entry) -> None:
        key = entry.key
        self.entries[key] = entry
        self._by_word.setdefault(entry.word, set()).add(key)
        self._by_owner.setdefault(entry.owner, set()).add(key)
        for word in entry.words:
            self._mentioned_in.setdefault(word, set()).add(key)
        if entry.type == "table":
            for base in bases(entry.word):
                self._partners.setdefault(base, set()).add(key)
        if entry.odd:
            self._odd.add(key)
        if entry.type in ("view", "trigger"):
            self._views_triggers.add(key)

    def remove(self, key) -> None:
        entry = self.entries.pop(key)
        self._by_word[entry.word].discard(key)
        self._by_owner[entry.owner].discard(key)
        for word in entry.words:
            self._mentioned_in[word].discard(key)
        if entry.type == "table":
            for base in bases(entry.word):
                self._partners[base].discard(key)
        self._odd.discard(key)
        self._views_triggers.discard(key)

    def select(self, words: set[str] | None, *, created: Iterable[str] = (),
               every_view_and_trigger: bool = False) -> list[_Entry]:
        """The objects statements made of ``words`` (lower-cased) can meet, in schema order:
        all of them when ``words`` is ``None``. ``created``: names the statements create or
        rename to (what already references them is met too)."""
        entries = self.entries
        if words is None:
            return sorted(entries.values(), key=lambda e: e.seq)
        chosen = self._named_by(words, owners=True)
        for word in words:
            chosen.update(self._partners.get(word, ()))
            for base in bases(word):
                chosen.update(self._by_word.get(base, ()))
        named = set(chosen)
        for key in list(named):  # an index or trigger named: its table is changed too
            if entries[key].type in ("index", "trigger"):
                named.update(k for k in self._by_word.get(entries[key].owner, ())
                             if entries[k].type == "table")
        chosen |= named
        if every_view_and_trigger:
            chosen.update(self._views_triggers)
        # what references the named (or newly made) objects: child tables, indexes, views,
        # triggers
        for name in [entries[key].word for key in named] + [n.lower() for n in created]:
            chosen.update(self._mentioning(name))
        # what the named tables and indexes reference (parent tables), and what every view
        # and trigger reads, transitively through views and triggers
        pending = list(chosen)
        while pending:
            entry = entries[pending.pop()]
            if entry.type in ("index", "table") and entry.key not in named:
                continue
            # (an index's or trigger's SQL names its table)
            for key in self._named_by(entry.words) - chosen:
                chosen.add(key)
                if entries[key].type in ("view", "trigger"):
                    pending.append(key)
        # a table comes with its indexes (UNIQUE ones are foreign-key parent keys)
        for key in list(chosen):
            entry = entries[key]
            if entry.type == "table":
                chosen.update(k for k in self._by_owner.get(entry.word, ())
                              if entries[k].type == "index")
        return sorted((entries[k] for k in chosen), key=lambda e: e.seq)

    def _named_by(self, words, *, owners: bool = False) -> set:
        """Keys of the objects named (or, with ``owners``, whose table is named) by words
        of ``words``."""
        by_word, by_owner = self._by_word, self._by_owner
        out: set = set()
        for word in words:
            out.update(by_word.get(word, ()))
            if owners:
                out.update(by_owner.get(word, ()))
        for key in self._odd:
            entry = self.entries[key]
            if _made_of(entry.name, words) or (owners and _made_of(entry.tbl_name, words)):
                out.add(key)
        return out

    def _mentioning(self, name: str) -> set:
        """Keys of the objects whose SQL may use the (lower-cased) ``name``."""
        parts = _WORD_RE.findall(name)
        if not parts:
            return set(self.entries)
        found = set(self._mentioned_in.get(parts[0], ()))
        for part in parts[1:]:
            found &= self._mentioned_in.get(part, set())
        return found


# -- the shadow -------------------------------------------------------------------------


class Shadow:
    """The schema as the migrations so far would leave it: a :class:`Catalog`, and the
    in-memory database (:attr:`conn`) in which the current file is checked."""

    def __init__(self, *, known: bool = True) -> None:
        self.known = known  # False once dynamic or failed DDL makes the schema a guess
        self.failed_words: set[str] = set()
        # PRAGMA writable_schema = ON was seen: SQL may then edit sqlite_master by hand
        # (never replayed: what such an edit leaves is unknown)
        self.writable_schema = False
        self.catalog = Catalog()
        self._pragmas: dict[str, bool] = {}  # carried connection settings that are on
        self._steps = [0]  # shared with the scratch views of this shadow
        self._scratch = False
        self._loaded: list[_Entry] = []  # what the focus database was built from
        self._rowids: dict[tuple[bool, int], int] = {}  # its (temp, rowid) → catalog seq
        self.conn: ShadowConnection = self._connect()

    def _connect(self) -> ShadowConnection:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False,
                               factory=ShadowConnection)
        conn.progress = self._progress
        conn.set_progress_handler(self._progress, 1000)
        return conn

    def _progress(self) -> int:
        self._steps[0] += 1
        return 1 if self._steps[0] > _VM_STEP_BUDGET else 0

    def close(self) -> None:
        if not self._scratch:
            self.conn.close()

    # -- one file at a time ---------------------------------------------------------

    def focus_on(self, statements: list[str]) -> None:
        """:meth:`focus` on what ``statements`` (SQL texts) can meet."""
        alters = any(first_keywords(sql, 1)[:1] == ("ALTER",) and _RENAME_OR_DROP_RE.search(sql)
                     for sql in statements)
        created = {_unquote(m.group(1)) for sql in statements for m in _CREATED_RE.finditer(sql)}
        self.focus(sql_words(statements), created=created, alters=alters)

    def focus(self, words: Iterable[str] | None, *, created: Iterable[str] = (),
              alters: bool = False) -> None:
        """Check the next statements in a fresh database holding the objects statements
        made of ``words`` can meet (everything when ``words`` is ``None``). ``created``: the
        names they create or rename to; ``alters``: they include an ALTER TABLE that renames
        or drops, on which SQLite checks every view and trigger of the schema. Whatever
        :meth:`settle` does not write back is forgotten."""
        if self._scratch:
            raise RuntimeError("a scratch view cannot focus")
        wanted = None if words is None or not _PARTITION else {w.lower() for w in words}
        self.conn.close()
        self.conn = self._connect()
        entries = self.catalog.select(wanted, created=created, every_view_and_trigger=alters)
        if not self._load(entries) and wanted is not None:
            self.conn.close()
            self.conn = self._connect()
            entries = self.catalog.select(None)
            if not self._load(entries):
                self.known = False  # the schema cannot be rebuilt: what it holds is a guess
        for name in CONNECTION_PRAGMAS:
            if self._pragmas.get(name):
                self.conn.execute(f"PRAGMA {name} = ON")
        if self._pragmas.get("case_sensitive_like"):
            self.conn.execute("PRAGMA case_sensitive_like = ON")
            self.conn.case_sensitive_like = True

    def _load(self, entries: list[_Entry]) -> bool:
        """Create ``entries`` in the focus database; whether all of them are there."""
        conn = self.conn
        self._loaded = entries
        conn.set_progress_handler(None, 0)
        try:
            # a virtual table creates its own shadow tables: first, so theirs are skipped
            ordered = [e for e in entries if e.sql[:14].upper() == "CREATE VIRTUAL"] + \
                [e for e in entries if e.sql[:14].upper() != "CREATE VIRTUAL"]
            retry = []
            for entry in ordered:
                try:
                    conn.execute(entry.create_sql())
                except sqlite3.Error as exc:
                    if "already exists" not in str(exc):
                        retry.append(entry)
            for entry in retry:
                try:
                    conn.execute(entry.create_sql())
                except sqlite3.Error:
                    pass
            rows = self._master_rows()
        finally:
            conn.set_progress_handler(self._progress, 1000)
        present = {(temp, _ascii_lower(name)): (temp, rowid)
                   for temp, rowid, _t, name, _n, _s in rows}
        seq_of = {e.key: e.seq for e in entries}
        self._rowids = {present[key]: seq for key, seq in seq_of.items() if key in present}
        return all(key in present for key in seq_of)

    def _master_rows(self) -> list[tuple]:
        return self.conn.execute(
            "SELECT 0, rowid, type, name, tbl_name, sql FROM sqlite_master "
            "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "UNION ALL SELECT 1, rowid, type, name, tbl_name, sql FROM sqlite_temp_master "
            "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").fetchall()

    def settle(self) -> None:
        """Write what the focus database now holds back to the catalog, in place of what
        it was built from, with the connection settings switched on so far."""
        catalog = self.catalog
        try:
            rows = self._master_rows()
            values = self.conn.execute(READ_CONNECTION_PRAGMAS).fetchone()
            self._pragmas.update((name, bool(v)) for name, v in zip(CONNECTION_PRAGMAS, values))
        except sqlite3.Error:
            self.known = False
            return
        self._pragmas["case_sensitive_like"] = bool(self.conn.case_sensitive_like)
        for entry in self._loaded:
            if entry.key in catalog.entries:
                catalog.remove(entry.key)
        for temp, rowid, type_, name, tbl_name, sql in rows:
            seq = self._rowids.get((bool(temp), rowid)) or catalog.next_seq()
            entry = _Entry(seq, bool(temp), type_, name, tbl_name, sql)
            if entry.key in catalog.entries:  # not loaded, yet there: a name clash
                catalog.remove(entry.key)
            catalog.add(entry)
        self._loaded = []
        self._rowids = {}

    # -- saved states (the lint cache) ---------------------------------------------

    def state(self) -> dict:
        """What the next file meets, as plain data (JSON-ready): the catalog, whether the
        schema is known, the words of failed DDL and the connection settings. Between files
        only (after :meth:`settle`)."""
        catalog = self.catalog
        return {"known": self.known, "failed_words": sorted(self.failed_words),
                "pragmas": dict(self._pragmas), "seq": catalog._seq,
                "entries": [[e.seq, e.temp, e.type, e.name, e.tbl_name, e.sql]
                            for e in sorted(catalog.entries.values(), key=lambda e: e.seq)]}

    @classmethod
    def restored(cls, state: dict) -> "Shadow":
        """A shadow in the state :meth:`state` described (no SQL is run until :meth:`focus`)."""
        shadow = cls(known=bool(state["known"]))
        shadow.failed_words = set(state["failed_words"])
        shadow._pragmas = {str(k): bool(v) for k, v in state["pragmas"].items()}
        for seq, temp, type_, name, tbl_name, sql in state["entries"]:
            shadow.catalog.add(_Entry(int(seq), bool(temp), type_, name, tbl_name, sql))
        shadow.catalog._seq = int(state["seq"])
        return shadow

    # -- statements -----------------------------------------------------------------

    @contextmanager
    def scratch(self, *, fresh: bool = True):
        """A view of this shadow whose statements are undone on exit (a SAVEPOINT rolled
        back): as if they ran on an independent copy, without copying the database; with
        ``fresh``, on a new connection to it (see :func:`~qscaffold.lint.model.scratch`)."""
        view = Shadow.__new__(Shadow)
        view.conn = self.conn
        view.known = self.known
        view.failed_words = set(self.failed_words)
        view.writable_schema = self.writable_schema
        view._steps = self._steps
        view._scratch = True
        self._steps[0] = 0
        with scratch(self.conn, fresh=fresh):
            yield view

    def probe_with_stub(self, sql: str, table: str) -> str | None:
        """SQLite's verdict on ``sql`` once a stub table ``table`` exists (undone after)."""
        with self.scratch(fresh=False) as view:
            quoted = always_quoted(table)
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
        if kind == "pragma" and first_keywords(sql, 2)[1:] == ("WRITABLE_SCHEMA",) and "=" in sql:
            self.writable_schema = _pragma_boolean(sql)
            return None
        if kind == "file" or (kind == "pragma" and not replayed_pragma(sql)):
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
        params = ()
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
        conn = self.conn
        result: dict[tuple[str, str], frozenset[str]] = {}
        try:
            rows = conn.execute("SELECT type, name, tbl_name FROM sqlite_master "
                                "WHERE name NOT LIKE 'sqlite_%'").fetchall()
            table_columns: dict[str, list[str]] = {}
            for table, column in conn.execute(
                    "SELECT m.name, x.name FROM sqlite_master AS m, pragma_table_xinfo(m.name) AS x "
                    "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"):
                table_columns.setdefault(table, []).append(column.lower())
        except sqlite3.Error:
            return result
        for kind, name, owner in rows:
            if tables is not None and not (_made_of(name, tables) or _made_of(owner, tables)):
                continue
            columns: frozenset[str] = frozenset()
            if tables is None or name.lower() in tables:
                if kind == "table":
                    columns = frozenset(table_columns.get(name, ()))
                elif kind == "view":
                    try:  # a view over a dropped table has no columns to list
                        columns = frozenset(r[0].lower() for r in conn.execute(
                            "SELECT name FROM pragma_table_xinfo(?)", (name,)))
                    except sqlite3.Error:
                        pass
            result[(kind, name.lower())] = columns
        return result


# -- helpers ----------------------------------------------------------------------------


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _ascii_lower(name: str) -> str:
    return name.translate(_ASCII_LOWER)


def sql_words(statements: Iterable[str]) -> set[str]:
    """The words (lower-cased) ``statements`` are made of."""
    return {w.lower() for sql in statements for w in _WORD_RE.findall(sql)}


def _unquote(name: str) -> str:
    return name[1:-1] if name[:1] in "\"`[" else name


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


def replayed_pragma(sql: str) -> bool:
    """Whether the shadow runs this PRAGMA (a connection setting it carries)."""
    words = first_keywords(sql, 2)
    return len(words) > 1 and words[1] in _REPLAYED_PRAGMAS and "=" in sql
