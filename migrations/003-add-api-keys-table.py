"""Migration 003: Add API keys table.

Stores hashed API keys for authentication; the key itself is never kept.
"""

name = "Add API keys table"
version = 3


def up(db):
    db.exec(
        """
        CREATE TABLE IF NOT EXISTS api_keys (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key_hash TEXT NOT NULL UNIQUE,
            user_id TEXT NOT NULL,
            name TEXT,
            created_at INTEGER NOT NULL,
            expires_at INTEGER,
            last_used INTEGER
        )
        """
    )
    db.exec("CREATE INDEX IF NOT EXISTS idx_api_keys_user_id ON api_keys(user_id)")
    db.exec("CREATE INDEX IF NOT EXISTS idx_api_keys_expires_at ON api_keys(expires_at)")


def down(db):
    db.exec("DROP INDEX IF EXISTS idx_api_keys_expires_at")
    db.exec("DROP INDEX IF EXISTS idx_api_keys_user_id")
    db.exec("DROP TABLE IF EXISTS api_keys")
