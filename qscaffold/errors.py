"""Exceptions raised by qscaffold.

Every error the library raises is a :class:`QscaffoldError`. Its message is one line a
person can act on, usually ``path: cause``, and its ``exit_code`` is what the command line
exits with: 1 when a job failed or was refused, 2 for bad usage or bad input.
"""

from __future__ import annotations


class QscaffoldError(Exception):
    """Base class: a failure with a one-line message and an exit code."""

    exit_code = 1


class UsageError(QscaffoldError):
    """Bad input from the user: an unusable name, option value or setting."""

    exit_code = 2


class ConfigError(UsageError):
    """``[tool.qscaffold]`` or an environment variable holds something unusable."""


class MigrationFileError(QscaffoldError):
    """A migration file is misnamed, cannot be loaded or breaks the file format."""


class DuplicateVersion(MigrationFileError):
    """Two migration files carry the same version number."""

    def __init__(self, message: str, *, version: int | None = None, paths: tuple = (),
                 newest: int = 0) -> None:
        super().__init__(message)
        self.version = version
        self.paths = paths  # the files that share the version
        self.newest = newest  # the highest version in the folder


class DatabaseError(QscaffoldError):
    """The database cannot be opened, read or locked."""


class NotADatabase(DatabaseError):
    """The file at the database path is not a SQLite database."""


class DatabaseLocked(DatabaseError):
    """Another connection held the write lock for longer than the busy timeout."""


class RefusedError(QscaffoldError):
    """The database and the migration files disagree; nothing was run."""


class ChecksumMismatch(RefusedError):
    """An applied migration's file changed after it was applied."""


class MissingMigration(RefusedError):
    """An applied migration's file is gone."""


class DatabaseAhead(RefusedError):
    """The database is at a version newer than every migration file."""


class OutOfOrder(RefusedError):
    """A pending migration's version is below the newest applied version."""


class BookkeepingMismatch(RefusedError):
    """``schema_version``, ``migration_history`` and the files tell different stories: the
    bookkeeping was edited, or a row was lost."""


class DatabaseChanged(RefusedError):
    """Another process rolled back or applied migrations between planning and the lock."""


class ConsentRequired(RefusedError):
    """A destructive command needs ``--yes`` (or a terminal to ask on)."""


class MigrationFailed(QscaffoldError):
    """A migration raised, or broke foreign keys; its transaction was rolled back."""

    def __init__(self, message: str, *, version: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.version = version
        # What went wrong, without the file and the outcome, to follow a subject such as
        # "down": "fails: ValueError: …", "breaks foreign keys: …".
        self.reason = reason or message


class ForeignKeyViolation(MigrationFailed):
    """``PRAGMA foreign_key_check`` found rows that reference missing parents."""


class TransactionEscaped(MigrationFailed):
    """A migration ended the runner's transaction itself: its work may be partly saved."""
