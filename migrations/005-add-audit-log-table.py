"""Migration 005: Add audit log table.

Records who did what; a trigger logs every API key that is revoked (deleted).
"""

name = "Add audit log table"
version = 5


def up(db):
    db.exec(
        """
        CREATE TABLE IF NOT EXISTS audit_logs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id TEXT NOT NULL,
            action TEXT NOT NULL,
            resource TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            details TEXT
        );
        CREATE INDEX IF NOT EXISTS idx_audit_logs_user_id ON audit_logs(user_id);
        CREATE INDEX IF NOT EXISTS idx_audit_logs_timestamp ON audit_logs(timestamp);

        -- A revoked key leaves a trace even when the application forgets to log it.
        CREATE TRIGGER IF NOT EXISTS trg_api_keys_revoked
        AFTER DELETE ON api_keys
        BEGIN
            INSERT INTO audit_logs (user_id, action, resource, timestamp, details)
            VALUES (old.user_id, 'revoke', 'api_key', CAST(strftime('%s', 'now') AS INTEGER), old.name);
        END;
        """
    )


def down(db):
    db.exec(
        """
        DROP TRIGGER IF EXISTS trg_api_keys_revoked;
        DROP TABLE IF EXISTS audit_logs;
        """
    )
