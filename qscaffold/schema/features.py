"""The one table of SQLite features by version: which release first has what.

Everything in qscaffold that asks "can the target SQLite do this?" reads :data:`FEATURES`
(the linter's version gates, the scaffolder's and the diff's choice between a native ALTER
and a table rebuild).
"""

from __future__ import annotations

Version = tuple[int, int, int]

FEATURES: dict[str, Version] = {
    "rename-column": (3, 25, 0),        # ALTER TABLE t RENAME [COLUMN] a TO b
    "generated-columns": (3, 31, 0),    # c AS (expr) [VIRTUAL|STORED]
    "drop-column": (3, 35, 0),          # ALTER TABLE t DROP [COLUMN] c
    "returning": (3, 35, 0),            # INSERT/UPDATE/DELETE … RETURNING
    "strict": (3, 37, 0),               # CREATE TABLE … STRICT
    "table-list-pragma": (3, 37, 0),    # PRAGMA table_list
    "constraint-alters": (3, 53, 0),    # ADD CHECK, DROP CONSTRAINT, SET/DROP NOT NULL
    "drop-foreign-key": (3, 54, 0),     # DROP CONSTRAINT of a foreign key
}


def has(feature: str, target: Version) -> bool:
    """Whether SQLite ``target`` has ``feature`` (a key of :data:`FEATURES`)."""
    return tuple(target) >= FEATURES[feature]


def format_version(version: Version) -> str:
    return ".".join(map(str, version))
