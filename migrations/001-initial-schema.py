"""Migration 001: Initial schema.

Sessions, the requests made in them and the responses they got, as the proxy keeps them.
"""

name = "Initial schema"
version = 1


def up(db):
    db.exec(
        """
        CREATE TABLE IF NOT EXISTS sessions (
            id TEXT PRIMARY KEY NOT NULL,
            chat_id TEXT NOT NULL,
            parent_id TEXT,
            first_user_message TEXT NOT NULL,
            message_count INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            last_accessed INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_sessions_expires_at ON sessions(expires_at);

        CREATE TABLE IF NOT EXISTS requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id TEXT NOT NULL UNIQUE,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            timestamp INTEGER NOT NULL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            openai_request TEXT NOT NULL,
            qwen_request TEXT NOT NULL,
            model TEXT,
            stream INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_requests_session_id ON requests(session_id);
        CREATE INDEX IF NOT EXISTS idx_requests_timestamp ON requests(timestamp);

        CREATE TABLE IF NOT EXISTS responses (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            response_id TEXT NOT NULL UNIQUE,
            request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            timestamp INTEGER NOT NULL,
            qwen_response TEXT,
            openai_response TEXT,
            parent_id TEXT,
            finish_reason TEXT,
            error TEXT,
            duration_ms INTEGER,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_responses_request_id ON responses(request_id);
        CREATE INDEX IF NOT EXISTS idx_responses_session_id ON responses(session_id);
        """
    )


def down(db):
    db.exec(
        """
        DROP TABLE IF EXISTS responses;
        DROP TABLE IF EXISTS requests;
        DROP TABLE IF EXISTS sessions;
        """
    )
