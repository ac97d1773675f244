"""The dqlite backend: ``dqlite://host:port[,host:port...]/name``, a Raft-replicated SQLite.

Needs ``pip install 'qscaffold[dqlite]'`` (the pure-Python ``dqlite-dbapi`` client and its
``dqlite-client``; Python >= 3.13). The connection below is the subset of
``sqlite3.Connection`` the runner speaks (see :mod:`qscaffold.backends`), over the async
client on a private event loop. What it handles, as measured on libdqlite 1.11 (SQLite 3.40):

- Statements are sent as a query when they return rows and as an exec otherwise: the
  server answers a write-form PRAGMA sent as a query (``foreign_keys = OFF``) with the
  error "not an error".
- ``RETURNING`` makes the leader abort (go-dqlite issue 192): such a statement is refused
  before it is sent, and migrations whose SQL holds one are refused before anything runs.
- Named parameters are refused by the server: they are refused here with a plain message.
- The driver's errors are not ``sqlite3.Error``: they are raised as the ``sqlite3`` classes
  with the engine's message.
- A second writer, even through another node, gets "database is locked": statements that
  meet the lock outside a transaction (``BEGIN IMMEDIATE`` above all) are retried until the
  busy timeout.
- A lost leader closes the connection ("Connection closed by server"); a new leader answers
  after 4-10 s and the uncommitted transaction is gone. A lost connection during ``COMMIT``
  raises :class:`~qscaffold.backends.CommitOutcomeUnknown`.
"""

from __future__ import annotations

import ast
import asyncio
import re
import sqlite3
import time

from ..errors import RefusedError, UsageError
from ..schema.quote import always_quoted
from ..sql import depth_map, is_op, is_word, tokenize
from . import Backend, CommitOutcomeUnknown

_URL = re.compile(r"dqlite://(?P<hosts>[^/]+)/(?P<name>[^/?#]+)\Z", re.IGNORECASE)
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}\Z")
_RETURNS_ROWS = {"SELECT", "VALUES", "EXPLAIN"}
_WRITES = {"INSERT", "UPDATE", "DELETE", "REPLACE"}
_LOCKED_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (and their extended codes, low byte)
_CONNECT_SECONDS = 30.0  # how long to look for a leader (a new one takes 4-10 s to win)
RETURNING_REFUSED = ("RETURNING is refused on dqlite: libdqlite 1.11 aborts the leader on it "
                     "(go-dqlite issue 192); read the rows with a SELECT instead")


def parse_url(url: str) -> tuple[list[str], str]:
    """``dqlite://h1:p1,h2:p2/name`` -> ``(["h1:p1", "h2:p2"], "name")``."""
    match = _URL.match(url.strip())
    hosts = match["hosts"].split(",") if match else []
    if not match or not hosts or not all(_HOST.match(h) for h in hosts):
        raise UsageError(f"{url}: not a dqlite URL; write dqlite://HOST:PORT[,HOST:PORT...]/NAME")
    return hosts, match["name"]


def _client():
    try:
        import dqliteclient
    except ImportError:
        raise UsageError("dqlite:// databases need the dqlite client: pip install 'qscaffold[dqlite]' "
                         "(Python 3.13 or newer)") from None
    return dqliteclient


class DqliteBackend(Backend):
    """A database of a dqlite cluster."""

    def __init__(self, url: str, *, busy_timeout: float) -> None:
        self.addresses, self.name = parse_url(url)
        self.label = url
        self.busy_timeout = busy_timeout
        _client()

    def connect(self) -> "Connection":
        return Connection(self.addresses, self.name, busy_timeout=self.busy_timeout, label=self.label)

    def backup_name(self) -> str:
        return f"{self.name}.dqlite"

    def check_migrations(self, files) -> None:
        """Refuse, before anything runs, a migration whose SQL holds ``RETURNING``."""
        for migration in files:
            if _has_returning_literal(migration.source):
                raise RefusedError(f"{migration.path}: uses RETURNING, which dqlite cannot run: "
                                   f"{RETURNING_REFUSED}; nothing was run")


def open_backend(url: str, *, busy_timeout: float) -> DqliteBackend:
    return DqliteBackend(url, busy_timeout=busy_timeout)


_SQL_CALLS = {"exec", "execute", "executemany", "executescript", "query"}


def _has_returning_literal(source: bytes) -> bool:
    """Whether SQL written in the file (string literals passed to ``db.exec`` and the like)
    holds ``RETURNING``; SQL built at run time is caught when it is sent."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False  # the loader reports it
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr in _SQL_CALLS and call.args):
            continue
        if any(isinstance(node, ast.Constant) and isinstance(node.value, str)
               and "returning" in node.value.lower() and _has_returning(node.value)
               for node in ast.walk(call.args[0])):
            return True
    return False


def _has_returning(sql: str) -> bool:
    return any(is_word(tok, "RETURNING") for tok in tokenize(sql))


def _returns_rows(toks) -> bool:
    if not toks or toks[0].kind != "word":
        return False
    first = toks[0].value
    if first == "PRAGMA":
        return not any(is_op(t, "=") for t in toks)  # PRAGMA x = v is a write: send it as exec
    if first == "WITH":
        depths = depth_map(toks)
        return not any(is_word(t, *_WRITES) and depths[i] == 0 for i, t in enumerate(toks))
    return first in _RETURNS_ROWS


class Cursor:
    """The rows of one statement, fetched whole."""

    arraysize = 1

    def __init__(self, columns=None, rows=(), rowcount: int = -1, lastrowid: int | None = None) -> None:
        self.description = tuple((c, None, None, None, None, None, None) for c in columns) if columns else None
        self._rows = [tuple(r) for r in rows]
        self._next = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def fetchone(self):
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[tuple]:
        rest, self._next = self._rows[self._next:], len(self._rows)
        return rest

    def fetchmany(self, size: int | None = None) -> list[tuple]:
        size = size or self.arraysize
        rows = self._rows[self._next:self._next + size]
        self._next += len(rows)
        return rows

    def __iter__(self):
        while (row := self.fetchone()) is not None:
            yield row

    def close(self) -> None:
        self._rows = []


class Connection:
    """One session on the cluster's leader, with ``sqlite3.Connection``'s manners."""

    def __init__(self, addresses: list[str], name: str, *, busy_timeout: float, label: str) -> None:
        client = _client()
        self.label = label
        self.busy_timeout = busy_timeout
        self.in_transaction = False
        self._loop = asyncio.new_event_loop()
        self._cluster = client.ClusterClient.from_addresses(addresses, timeout=max(busy_timeout, 5.0))
        self._conn = None
        try:
            self._conn = self._run(self._cluster.connect(
                name, max_attempts=1000, max_elapsed_seconds=max(_CONNECT_SECONDS, busy_timeout)))
        except Exception as exc:
            self._loop.close()
            raise sqlite3.OperationalError(f"no leader reachable through {','.join(addresses)}: "
                                           f"{_message(exc)}") from None

    def _run(self, coroutine):
        return self._loop.run_until_complete(coroutine)

    @property
    def alive(self) -> bool:
        return self._conn is not None and getattr(self._conn, "is_connected", True)

    # -- sqlite3.Connection ----------------------------------------------------------

    def execute(self, sql: str, params=()) -> Cursor:
        if isinstance(params, dict):
            raise sqlite3.ProgrammingError("named parameters (:name) are not supported by dqlite; "
                                           "use ? placeholders")
        toks = tokenize(sql)
        if any(is_word(t, "RETURNING") for t in toks):
            raise sqlite3.NotSupportedError(RETURNING_REFUSED)
        keyword = toks[0].value if toks and toks[0].kind == "word" else ""
        ending = keyword in ("COMMIT", "END") or (keyword == "ROLLBACK" and not is_word(
            toks[1] if len(toks) > 1 else None, "TO"))
        if not self.alive:
            # The lost session's transaction and settings are gone with it: undoing them is done.
            if ending and keyword == "ROLLBACK":
                self.in_transaction = False
                return Cursor()
            if keyword in ("ROLLBACK", "RELEASE", "SAVEPOINT") or (keyword == "PRAGMA" and not _returns_rows(toks)):
                return Cursor()
            raise sqlite3.OperationalError("the connection to the cluster was lost; its open transaction "
                                           "is rolled back by the cluster")
        params = list(params) if params else None
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.01
        while True:
            try:
                cursor = self._send(toks, sql, params)
                break
            except Exception as exc:
                if (_is_locked(exc) and (not self.in_transaction or keyword == "BEGIN")
                        and time.monotonic() < deadline):
                    time.sleep(delay)
                    delay = min(delay * 2, 0.2)
                    continue
                raise self._translate(exc, committing=keyword in ("COMMIT", "END")) from None
        if keyword in ("BEGIN", "SAVEPOINT"):
            self.in_transaction = True
        elif ending:
            self.in_transaction = False
        return cursor

    def _send(self, toks, sql: str, params) -> Cursor:
        if _returns_rows(toks):
            columns, rows = self._run(self._conn.query_raw(sql, params))
            return Cursor(columns, rows)
        last_id, affected = self._run(self._conn.execute(sql, params))
        return Cursor(rowcount=affected, lastrowid=last_id)

    def _translate(self, exc: Exception, *, committing: bool) -> Exception:
        client = _client()
        text = _message(exc)
        if isinstance(exc, client.AmbiguousCommitError) or (
                committing and isinstance(exc, (client.DqliteConnectionError, client.ProtocolError, OSError))):
            self._lost()
            self.in_transaction = False
            return CommitOutcomeUnknown(f"{self.label}: the connection was lost during COMMIT ({text}); "
                                        "it may or may not have been saved")
        if isinstance(exc, (client.DqliteConnectionError, client.ProtocolError, client.ClusterError, OSError)):
            self._lost()
            return sqlite3.OperationalError(f"{text} (the connection to the cluster was lost; "
                                            "the open transaction is rolled back)")
        if isinstance(exc, client.OperationalError):
            code = (getattr(exc, "code", 0) or 0) & 0xFF
            if code == 19:
                return sqlite3.IntegrityError(text)
            if code in (11, 26):
                return sqlite3.DatabaseError(text)
            return sqlite3.OperationalError(text)
        if isinstance(exc, (client.InterfaceError, client.DataError)):
            return sqlite3.ProgrammingError(text)
        return sqlite3.OperationalError(f"{type(exc).__name__}: {text}")

    def _lost(self) -> None:
        # in_transaction stays as it was until the caller's ROLLBACK: the caller still thinks
        # in terms of its transaction, which the cluster has dropped.
        if self._conn is not None:
            self._conn.terminate()
        self._conn = None

    def executemany(self, sql: str, rows) -> Cursor:
        total = 0
        for row in rows:
            total += max(self.execute(sql, row).rowcount, 0)
        return Cursor(rowcount=total)

    def backup(self, target: sqlite3.Connection) -> None:
        """Copy the whole database into ``target`` (schema, rows, ``user_version``)."""
        objects = self.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                               "ORDER BY type = 'table' DESC, rowid").fetchall()
        target.execute("BEGIN")
        try:
            for kind, name, sql in objects:
                if name.startswith("sqlite_"):
                    continue
                target.execute(sql)
                if kind == "table" and not sql.lstrip().upper().startswith("CREATE VIRTUAL"):
                    columns = [r[0] for r in self.execute(
                        "SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0", (name,))]
                    quoted = ", ".join(always_quoted(c) for c in columns)
                    table = always_quoted(name)
                    rows = self.execute(f"SELECT {quoted} FROM {table}").fetchall()
                    if rows:
                        marks = ", ".join("?" * len(columns))
                        target.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", rows)
            if any(name == "sqlite_sequence" for _, name, _ in objects):
                target.execute("DELETE FROM sqlite_sequence")
                target.executemany("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                                   self.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
            target.execute(f"PRAGMA user_version = {int(self.execute('PRAGMA user_version').fetchone()[0])}")
            target.execute("COMMIT")
        except BaseException:
            if target.in_transaction:
                target.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._run(self._conn.close())
            except Exception:  # noqa: BLE001 - closing a lost session
                pass
            self._conn = None
        if not self._loop.is_closed():
            self._loop.close()


def _is_locked(exc: Exception) -> bool:
    code = (getattr(exc, "code", 0) or 0) & 0xFF
    return code in _LOCKED_CODES or "database is locked" in str(exc)


def _message(exc: Exception) -> str:
    raw = getattr(exc, "raw_message", None)
    text = raw or str(exc) or type(exc).__name__
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
