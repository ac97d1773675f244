"""Settings: flag > environment > ``[tool.qscaffold]`` in the project's pyproject.toml > defaults.

Resolved once into a frozen :class:`Settings`. The project root is the folder of the nearest
``pyproject.toml`` that holds a ``[tool.qscaffold]`` table, found upward from the current
folder (as ruff and pytest find theirs); without one, the current folder. Paths from
``pyproject.toml`` and the defaults are relative to the project root, so every command finds
the same files from any subfolder; paths from flags and the environment are relative to the
current folder, as the shell typed them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

DEFAULT_DATABASE = "data/app.db"
DEFAULT_MIGRATIONS_DIR = "migrations"
MEMORY = ":memory:"

ENV_DATABASE = "QSCAFFOLD_DATABASE"
ENV_MIGRATIONS = "QSCAFFOLD_MIGRATIONS"

Version = tuple[int, int, int]

_PATH_KEYS = ("database", "migrations_dir", "templates_dir")
_TABLE_KEYS = ("metadata_table", "history_table")  # the bookkeeping tables' names
_KNOWN_KEYS = frozenset(_PATH_KEYS + ("target_sqlite", "select", "ignore", "busy_timeout",
                                      "sql_runner") + _TABLE_KEYS)


@dataclass(frozen=True)
class Settings:
    """Where things are and how to judge them, after every source has been applied."""

    database: str = DEFAULT_DATABASE
    migrations_dir: Path = Path(DEFAULT_MIGRATIONS_DIR)
    templates_dir: Path | None = None
    target_sqlite: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    busy_timeout: float = 30.0
    metadata_table: str = "metadata"
    history_table: str = "migration_history"
    pyproject: Path | None = None
    root: Path | None = None  # the project root: the folder of ``pyproject``, else the cwd
    sql_runner: str | None = None  # the tool that runs the .sql migrations (lint/runners.py)


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` in ``start`` or one of its parents."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def find_project(start: Path) -> tuple[Path | None, dict]:
    """The nearest ``pyproject.toml`` holding ``[tool.qscaffold]`` in ``start`` or one of its
    parents, with that table; ``(None, {})`` when there is none. A pyproject.toml without the
    table (a subpackage's, say) does not stop the search."""
    nearest = True
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:  # a file further up that cannot hold the table is not parsed (it may be broken)
                if not nearest and b"qscaffold" not in candidate.read_bytes():
                    continue
            except OSError:
                pass  # _read_toml says why it cannot be read
            nearest = False
            data = _read_toml(candidate)
            tool = data.get("tool")
            if isinstance(tool, dict) and "qscaffold" in tool:
                return candidate, _check_table(candidate, data)
    return None, {}


def _read_toml(pyproject: Path) -> dict:
    import tomllib

    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{pyproject}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from None


def read_tool_table(pyproject: Path) -> dict:
    """The ``[tool.qscaffold]`` table of a pyproject.toml, checked for unknown keys."""
    return _check_table(pyproject, _read_toml(pyproject))


def _check_table(pyproject: Path, data: dict) -> dict:
    tool = data.get("tool", {})
    table = tool.get("qscaffold", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.qscaffold] must be a table")
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], sorted(_KNOWN_KEYS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            f"{pyproject}: unknown key {unknown[0]!r} in [tool.qscaffold] "
            f"({hint}known: {', '.join(sorted(_KNOWN_KEYS))})"
        )
    for key in _PATH_KEYS + ("target_sqlite", "sql_runner") + _TABLE_KEYS:
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{pyproject}: [tool.qscaffold] {key} must be a string")
    if "target_sqlite" in table:
        try:
            parse_version(table["target_sqlite"])
        except ValueError:
            raise ConfigError(f"{pyproject}: [tool.qscaffold] target_sqlite {table['target_sqlite']!r} "
                              "is not a SQLite version (X.Y or X.Y.Z)") from None
    return table


def _codes(value, origin: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{origin}: {key} must be a list of rule codes")
    return tuple(v.strip().upper() for v in value if v.strip())


def _resolve(value: str | os.PathLike, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def resolve_database(value: str | os.PathLike, base: Path) -> str:
    """A database path made absolute against ``base``; ``:memory:`` stays as it is."""
    text = os.fspath(value)
    if text == MEMORY or text.startswith("file:") or "://" in text:  # a server's URL (dqlite://…)
        return text
    return os.fspath(_resolve(text, base))


def load_settings(
    *,
    database: str | os.PathLike | None = None,
    migrations_dir: str | os.PathLike | None = None,
    templates_dir: str | os.PathLike | None = None,
    target_sqlite: str | None = None,
    select: tuple[str, ...] | list[str] | str | None = None,
    ignore: tuple[str, ...] | list[str] | str | None = None,
    cwd: Path | None = None,
    environ: dict | None = None,
    sql_runner: str | None = None,
) -> Settings:
    """Resolve every setting from its flag, the environment, pyproject.toml and the defaults."""
    cwd = Path.cwd() if cwd is None else Path(cwd)
    environ = os.environ if environ is None else environ
    pyproject, table = find_project(cwd)
    project_dir = pyproject.parent if pyproject else cwd

    def pick(key: str, flag, env_name: str | None, default):
        if flag is not None:
            return flag, cwd
        if env_name and environ.get(env_name):
            return environ[env_name], cwd
        if key in table:
            return table[key], project_dir
        return default, project_dir

    db_value, db_base = pick("database", database, ENV_DATABASE, DEFAULT_DATABASE)
    mig_value, mig_base = pick("migrations_dir", migrations_dir, ENV_MIGRATIONS, DEFAULT_MIGRATIONS_DIR)
    tpl_value, tpl_base = pick("templates_dir", templates_dir, None, None)
    target, _ = pick("target_sqlite", target_sqlite, None, None)
    origin = str(pyproject) if pyproject else "settings"
    select_value, _ = pick("select", select, None, None)
    ignore_value, _ = pick("ignore", ignore, None, None)
    runner, _ = pick("sql_runner", sql_runner, None, None)
    if runner is not None:
        from .lint.runners import RUNNERS

        if runner.strip().lower() not in RUNNERS:
            where = f"{origin}: [tool.qscaffold] sql_runner" if sql_runner is None else "--sql-runner"
            raise ConfigError(f"{where}: unknown runner {runner!r} (one of {', '.join(RUNNERS)})")
        runner = runner.strip().lower()
    timeout = table.get("busy_timeout", 30.0)
    if not isinstance(timeout, (int, float)) or timeout < 0:
        raise ConfigError(f"{origin}: [tool.qscaffold] busy_timeout must be a number of seconds")

    return Settings(
        database=resolve_database(db_value, db_base),
        migrations_dir=_resolve(mig_value, mig_base),
        templates_dir=_resolve(tpl_value, tpl_base) if tpl_value else None,
        target_sqlite=target,
        select=_codes(select_value, origin, "select"),
        ignore=_codes(ignore_value, origin, "ignore"),
        busy_timeout=float(timeout),
        metadata_table=table.get("metadata_table", "metadata"),
        history_table=table.get("history_table", "migration_history"),
        pyproject=pyproject,
        root=project_dir,
        sql_runner=runner,
    )


def parse_version(text: str | Version | None) -> Version:
    """``"3.35"`` → ``(3, 35, 0)``; ``None`` → the running sqlite3 library's version.

    The one parser of ``target_sqlite`` / ``--target-sqlite`` for the linter and the scaffolder.
    """
    import re
    import sqlite3

    if text is None:
        return tuple(sqlite3.sqlite_version_info)  # type: ignore[return-value]
    if isinstance(text, tuple):
        return (tuple(text) + (0, 0, 0))[:3]  # type: ignore[return-value]
    match = re.fullmatch(r"\s*(\d+)\.(\d+)(?:\.(\d+))?\s*", str(text))
    if not match:
        raise ValueError(f"{text!r} is not a SQLite version (X.Y or X.Y.Z)")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)
