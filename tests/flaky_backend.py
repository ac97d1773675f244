"""A backend for the tests: a SQLite file behind a ``flaky:///path?commit=saved|lost`` URL
whose first ``COMMIT`` loses the connection, after saving the transaction (``saved``) or
without saving it (``lost``) -- what a server's client sees when the leader dies during
COMMIT. The database is a real SQLite file; only the network's failure is played."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlparse, parse_qs

from qscaffold.backends import Backend, CommitOutcomeUnknown

FAILED_COMMITS = []  # one entry per COMMIT that lost its connection


class FlakyBackend(Backend):
    def __init__(self, url: str, *, busy_timeout: float) -> None:
        parsed = urlparse(url)
        self.path = parsed.path
        self.mode = parse_qs(parsed.query)["commit"][0]
        self.label = url
        self.busy_timeout = busy_timeout

    def connect(self):
        return Connection(sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None),
                          self.mode)

    def backup_name(self) -> str:
        return "flaky"


class Connection:
    def __init__(self, conn: sqlite3.Connection, mode: str) -> None:
        self.conn, self.mode = conn, mode

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def execute(self, sql, params=()):
        if sql.strip().upper() == "COMMIT" and not FAILED_COMMITS:
            FAILED_COMMITS.append(self.mode)
            self.conn.execute("COMMIT" if self.mode == "saved" else "ROLLBACK")
            raise CommitOutcomeUnknown("flaky: the connection was lost during COMMIT")
        return self.conn.execute(sql, params)

    def executemany(self, sql, rows):
        return self.conn.executemany(sql, rows)

    def backup(self, target):
        self.conn.backup(target)

    def close(self):
        self.conn.close()


def open_backend(url: str, *, busy_timeout: float) -> FlakyBackend:
    return FlakyBackend(url, busy_timeout=busy_timeout)
