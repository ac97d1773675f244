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

from .create import Item, TableDefinition, split_definition
from .features import FEATURES, Version
from .plans import (
    NATIVE_DROP_COLUMN,
    Column,
    Dependents,
    Plan,
    Schema,
    SchemaObject,
    Table,
    column_down_plan,
    dependents,
    drop_column_plan,
    index_columns,
    mentions,
    names_in,
    read_columns,
    read_schema,
    rebuild,
    restore_plan,
    restored_as,
    schema_ddl,
)
from .quote import KEYWORDS, if_not_exists, quote_identifier, quote_string

__all__ = [
    "FEATURES", "KEYWORDS", "NATIVE_DROP_COLUMN", "Column", "Dependents", "Item", "Plan", "Schema",
    "SchemaObject", "Table", "TableDefinition", "Version", "column_down_plan", "dependents",
    "drop_column_plan", "if_not_exists", "index_columns", "mentions", "names_in", "quote_identifier",
    "quote_string", "read_columns", "read_schema", "rebuild", "restore_plan", "restored_as",
    "schema_ddl", "split_definition",
]
