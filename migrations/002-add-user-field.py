"""Migration 002: Add user field to sessions.

Sessions remember which user opened them, so they can be listed and expired per user.
"""

name = "Add user field to sessions"
version = 2


def up(db):
    db.exec("ALTER TABLE sessions ADD COLUMN user_id TEXT")
    db.exec("CREATE INDEX IF NOT EXISTS idx_sessions_user_id ON sessions(user_id)")


def down(db):
    db.exec("DROP INDEX IF EXISTS idx_sessions_user_id")
    db.exec("ALTER TABLE sessions DROP COLUMN user_id")
