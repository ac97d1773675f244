"""Migration 004: Add usage tracking.

Token counts per response, so usage can be reported per session and per model.
"""

name = "Add usage tracking"
version = 4

COLUMNS = ("prompt_tokens", "completion_tokens", "total_tokens")


def up(db):
    db.exec("ALTER TABLE responses ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0")
    db.exec("ALTER TABLE responses ADD COLUMN completion_tokens INTEGER NOT NULL DEFAULT 0")
    db.exec("ALTER TABLE responses ADD COLUMN total_tokens INTEGER NOT NULL DEFAULT 0")


def down(db):
    db.exec("ALTER TABLE responses DROP COLUMN total_tokens")
    db.exec("ALTER TABLE responses DROP COLUMN completion_tokens")
    db.exec("ALTER TABLE responses DROP COLUMN prompt_tokens")
