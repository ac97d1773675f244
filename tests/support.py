"""Helpers for the test-suite: write migration files and look into SQLite files."""

from __future__ import annotations

import hashlib
import sqlite3
import textwrap
from pathlib import Path


def write_migration(folder: Path, version: int, slug: str, up: str, down: str | None = None,
                    *, name: str | None = None, header: str = "", body: str | None = None) -> Path:
    """Write ``<version>-<slug>.py`` whose up/down exec the given SQL (or a raw ``body``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version:03d}-{slug}.py"
    if body is None:
        body = f"def up(db):\n    db.exec({up!r})\n"
        if down is not None:
            body += f"\n\ndef down(db):\n    db.exec({down!r})\n"
    text = f"{header}name = {(name or slug.replace('-', ' ').capitalize())!r}\nversion = {version}\n\n\n"
    path.write_text(text + textwrap.dedent(body), encoding="utf-8")
    return path


def table_migrations(folder: Path, count: int, start: int = 1) -> list[Path]:
    """``count`` migrations that each create one table (and drop it in down)."""
    return [
        write_migration(folder, v, f"create-t{v}", f"CREATE TABLE IF NOT EXISTS t{v} (id INTEGER PRIMARY KEY)",
                        f"DROP TABLE IF EXISTS t{v}")
        for v in range(start, start + count)
    ]


def query(path: Path | str, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def tables(path: Path | str) -> set[str]:
    return {r[0] for r in query(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}


def version(path: Path | str) -> int:
    rows = query(path, "SELECT value FROM metadata WHERE key = 'schema_version'")
    return int(rows[0][0]) if rows else 0


def sha256(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def dump(path: Path | str) -> list[str]:
    """The whole database as SQL text, to compare before and after."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()
