"""Backends: where a database lives and how the runner reaches it.

A database is a SQLite file (or ``:memory:``), reached through the standard library's
``sqlite3`` -- the embedded default, no backend object at all -- or a URL whose scheme names
a backend: ``dqlite://host:port[,host:port...]/name`` reaches a dqlite cluster
(``pip install 'qscaffold[dqlite]'``).

The interface a backend implements
----------------------------------
The runner, the :class:`~qscaffold.Database` that migrations get, ``verify`` and
``--dry-run`` speak the subset of ``sqlite3.Connection`` below, so an adapter for another
SQLite server (rqlite, libSQL/sqld, …) is a :class:`Backend` plus a connection class:

``Backend``
    ``connect()`` -> connection (below), on the database the URL names;
    ``check_migrations(files)`` refuses, before anything runs, migrations the server cannot
    run (raise :class:`~qscaffold.errors.RefusedError`); ``label`` is the text messages
    show; ``authorizer`` says whether the connection has ``set_authorizer`` (without it, the
    runner checks every table's foreign keys after each migration).

connection
    ``execute(sql, params=())`` -> a cursor with ``fetchone()``, ``fetchall()``, iteration,
    ``rowcount``, ``lastrowid`` and ``description``: one statement, positional ``?``
    parameters, rows as tuples. ``executemany(sql, rows)``. ``in_transaction`` (a bool, as
    SQLite's autocommit flag says). ``close()``. ``backup(target)`` copies the whole
    database into an open ``sqlite3.Connection`` (``--dry-run``, ``verify`` and the backup
    ``migrate down`` writes run on such a copy). The runner sends ``BEGIN IMMEDIATE``,
    ``COMMIT``, ``ROLLBACK``, ``SAVEPOINT``, ``PRAGMA foreign_keys`` (read and set) and
    ``PRAGMA foreign_key_check``; the server must run them with SQLite's semantics.

errors
    The engine's errors are raised as the ``sqlite3`` exception classes
    (``OperationalError`` for "database is locked", ``IntegrityError``, …) with SQLite's
    message, so that migrations and the runner handle every backend alike. A statement
    that meets a lock is retried until the busy timeout. A ``COMMIT`` whose outcome is
    unknown (the connection was lost while it ran) raises :class:`CommitOutcomeUnknown`:
    the runner then reconnects and lets the migration history decide what was saved.

An rqlite adapter would map ``execute`` onto ``/db/execute`` and ``/db/query`` and needs a
transaction: rqlite has none across requests, so a migration would be sent as one
``transaction=true`` request (no Python between statements). A libSQL adapter would map
the connection onto the ``libsql`` client's interactive transactions over Hrana.
"""

from __future__ import annotations

import sqlite3

SCHEMES = {"dqlite": "qscaffold.backends.dqlite"}


class CommitOutcomeUnknown(sqlite3.OperationalError):
    """The connection was lost while ``COMMIT`` ran: it may or may not have been saved."""


class Backend:
    """What a backend provides (see the module's documentation); adapters subclass it."""

    label: str  # the database as messages name it: the URL
    authorizer = False  # whether its connections have set_authorizer

    def connect(self):
        """A new connection to the database (the ``sqlite3.Connection`` subset above)."""
        raise NotImplementedError

    def check_migrations(self, files) -> None:
        """Refuse, before anything runs, migrations this server cannot run."""

    def backup_name(self) -> str:
        """The file name (in the current folder) that a backup before ``down`` starts with."""
        raise NotImplementedError


def is_url(database: str) -> bool:
    """Whether ``database`` names a server (``scheme://…``) rather than a SQLite file."""
    return "://" in database and not database.startswith("file:")


def open_backend(url: str, *, busy_timeout: float) -> Backend:
    """The backend for ``url``; :class:`~qscaffold.errors.UsageError` for an unknown scheme."""
    from importlib import import_module

    from ..errors import UsageError

    scheme = url.split("://", 1)[0].lower()
    module = SCHEMES.get(scheme)
    if module is None:
        raise UsageError(f"{url}: unknown database URL scheme {scheme!r} "
                         f"(known: {', '.join(sorted(SCHEMES))}; or give a SQLite file path)")
    return import_module(module).open_backend(url, busy_timeout=busy_timeout)
