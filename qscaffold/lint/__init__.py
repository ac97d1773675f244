"""The migration linter: reads files with ``ast`` and SQL with sqlglot and SQLite, never runs them."""
