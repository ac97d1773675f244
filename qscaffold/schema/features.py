"""The one table of SQLite features by version: which release first has what.

Everything in qscaffold that asks "can the target SQLite do this?" reads :data:`FEATURES`
(the linter's version gates, the scaffolder's and the diff's choice between a native ALTER
and a table rebuild).
"""

from __future__ import annotations

Version = tuple[int, int, int]

FEATURES: dict[str, Version] = {
    # ALTER TABLE
    "rename-column": (3, 25, 0),        # ALTER TABLE t RENAME [COLUMN] a TO b
    "rename-rewrites-fks": (3, 26, 0),  # RENAME TO rewrites children's REFERENCES (legacy off)
    "drop-column": (3, 35, 0),          # ALTER TABLE t DROP [COLUMN] c
    "constraint-alters": (3, 53, 0),    # ADD CHECK, DROP CONSTRAINT, SET/DROP NOT NULL
    "drop-foreign-key": (3, 54, 0),     # DROP CONSTRAINT of a foreign key
    "rowid-alters-refused": (3, 54, 0),  # no ALTER may add, drop or rename a rowid/oid/_rowid_ column
    # tables and columns
    "generated-columns": (3, 31, 0),    # c AS (expr) [VIRTUAL|STORED]
    "strict": (3, 37, 0),               # CREATE TABLE … STRICT
    "add-column-validates": (3, 37, 0),  # ADD COLUMN checks CHECK / NOT NULL against existing rows
    "strict-default-checked": (3, 44, 0),  # a STRICT column's DEFAULT must fit its type
    "table-list-pragma": (3, 37, 0),    # PRAGMA table_list
    # statements and expressions
    "upsert": (3, 24, 0),               # INSERT … ON CONFLICT … DO
    "window-functions": (3, 25, 0),     # … OVER (…)
    "aggregate-filter": (3, 30, 0),     # agg(…) FILTER (WHERE …)
    "nulls-first-last": (3, 30, 0),     # ORDER BY … NULLS FIRST|LAST
    "update-from": (3, 33, 0),          # UPDATE … FROM
    "sqlite-schema-name": (3, 33, 0),   # sqlite_schema, sqlite_temp_schema
    "returning": (3, 35, 0),            # INSERT/UPDATE/DELETE … RETURNING
    "materialized-cte": (3, 35, 0),     # WITH x AS [NOT] MATERIALIZED (…)
    "json-operators": (3, 38, 0),       # -> and ->>
    "right-full-join": (3, 39, 0),      # RIGHT / FULL [OUTER] JOIN
    "is-distinct-from": (3, 39, 0),     # IS [NOT] DISTINCT FROM
    "aggregate-order-by": (3, 44, 0),   # agg(x ORDER BY y)
    "reindex-expressions": (3, 53, 0),  # REINDEX EXPRESSIONS
}

# SQL functions, by the release that first has them.
FUNCTIONS: dict[str, Version] = {
    "iif": (3, 32, 0), "unixepoch": (3, 38, 0), "format": (3, 38, 0), "unhex": (3, 41, 0),
    "octet_length": (3, 43, 0), "timediff": (3, 43, 0), "concat": (3, 44, 0),
    "concat_ws": (3, 44, 0), "string_agg": (3, 44, 0), "jsonb": (3, 45, 0),
    "jsonb_array": (3, 45, 0), "jsonb_object": (3, 45, 0), "jsonb_extract": (3, 45, 0),
    "jsonb_insert": (3, 45, 0), "jsonb_replace": (3, 45, 0), "jsonb_set": (3, 45, 0),
    "jsonb_patch": (3, 45, 0), "jsonb_remove": (3, 45, 0), "jsonb_group_array": (3, 45, 0),
    "jsonb_group_object": (3, 45, 0), "if": (3, 48, 0), "unistr": (3, 50, 0),
    "json_array_insert": (3, 53, 0),
}


def has(feature: str, target: Version) -> bool:
    """Whether SQLite ``target`` has ``feature`` (a key of :data:`FEATURES`)."""
    return tuple(target) >= FEATURES[feature]


def format_version(version: Version) -> str:
    return ".".join(map(str, version))
