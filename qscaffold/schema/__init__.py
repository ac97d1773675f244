"""The one model of a SQLite schema, and what qscaffold builds on it.

- :mod:`.quote`: the one identifier quoter; :mod:`.features`: SQLite features by version.
- :mod:`.create`: the one reader of CREATE TABLE text; :mod:`.normalize`: SQL made comparable.
- :mod:`.model`: a schema read from a connection (pragmas plus what only the CREATE text holds).
- :mod:`.sources`: a schema from a migrations folder, a database file or a ``.sql`` file.
- :mod:`.dump` (``schema dump``), :mod:`.diff` (``schema diff``, ``new --to``).
- :mod:`.plans`: the rebuild plans of ``qscaffold new``'s drop-column and column patterns.

The names below are what ``qscaffold.schema`` offered as a single module; they stay here.
"""

from __future__ import annotations

import importlib

# Names are loaded on first use (PEP 562), so that importing the quoter or the feature table
# (the runner's start-up path) does not load the CREATE TABLE reader and the plans.
_HOMES = {
    "Item": "create", "TableDefinition": "create", "split_definition": "create",
    "FEATURES": "features", "Version": "features",
    "KEYWORDS": "quote", "if_not_exists": "quote", "quote_identifier": "quote", "quote_string": "quote",
    **{name: "plans" for name in (
        "NATIVE_DROP_COLUMN", "Column", "Dependents", "Plan", "Schema", "SchemaObject", "Table",
        "column_down_plan", "dependents", "drop_column_plan", "index_columns", "mentions", "names_in",
        "read_columns", "read_schema", "rebuild", "restore_plan", "restored_as", "schema_ddl")},
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'qscaffold.schema' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
