"""The migration linter: reads files with ``ast`` and SQL with SQLite itself, never runs them."""
