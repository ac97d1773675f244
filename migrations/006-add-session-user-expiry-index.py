"""Migration 006: Optimize session queries.

The session list asks for one user's sessions that have not expired yet.
"""

name = "Optimize session queries"
version = 6


def up(db):
    db.exec(
        "CREATE INDEX IF NOT EXISTS idx_sessions_user_expires ON sessions(user_id, expires_at)"
    )


def down(db):
    db.exec("DROP INDEX IF EXISTS idx_sessions_user_expires")
