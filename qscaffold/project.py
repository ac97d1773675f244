"""``qscaffold init``: make a folder a qscaffold project, safely, as often as it is run.

:func:`init_project` creates the migrations folder and, when asked, adds a
``[tool.qscaffold]`` table to the nearest ``pyproject.toml`` (so that every command finds
the project's files from any subfolder, see :mod:`qscaffold.config`). It never rewrites what
is there: a folder or a table that exists is left as it is. Nothing here prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .config import DEFAULT_DATABASE, DEFAULT_MIGRATIONS_DIR, find_project, find_pyproject, load_settings
from .errors import ConfigError, QscaffoldError


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_project` found and did."""

    migrations_dir: Path
    created_folder: bool
    database: str
    pyproject: Path | None  # the pyproject.toml the settings come from, or could come from
    has_table: bool  # that pyproject.toml holds [tool.qscaffold] (now)
    added_table: bool  # ... because this call added it


def tool_table_text(migrations_dir: str = DEFAULT_MIGRATIONS_DIR, database: str = DEFAULT_DATABASE) -> str:
    """The ``[tool.qscaffold]`` table ``init`` offers, paths relative to the pyproject.toml."""
    return (
        "[tool.qscaffold]\n"
        f'database = "{database}"\n'
        f'migrations_dir = "{migrations_dir}"\n'
        '# target_sqlite = "3.35"   # the oldest SQLite the migrations must run on\n'
        "# busy_timeout = 30        # seconds to wait for another process's lock\n"
    )


def init_project(
    *,
    cwd: str | os.PathLike | None = None,
    migrations_dir: str | os.PathLike | None = None,
    add_table: bool = False,
) -> InitResult:
    """Create the migrations folder; with ``add_table``, first add ``[tool.qscaffold]`` to
    the nearest ``pyproject.toml`` that has none (when the project has no such table yet).

    ``migrations_dir`` is relative to the current folder (as ``--dir`` is everywhere).
    Raises :class:`ConfigError` when the pyproject.toml cannot be read or written.
    """
    cwd = Path.cwd() if cwd is None else Path(cwd)
    configured, _ = find_project(cwd)
    nearest = configured or find_pyproject(cwd)
    added = False
    if add_table and configured is None and nearest is not None:
        folder = DEFAULT_MIGRATIONS_DIR
        if migrations_dir is not None:
            folder = _relative_to(cwd / Path(migrations_dir), nearest.parent)
        _append_table(nearest, tool_table_text(folder))
        configured, added = nearest, True
    settings = load_settings(cwd=cwd, migrations_dir=None if added else migrations_dir)
    target = settings.migrations_dir
    if target.exists() and not target.is_dir():
        raise QscaffoldError(f"{target}: exists and is not a folder")
    created = not target.exists()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QscaffoldError(f"{target}: cannot create the migrations folder: {exc.strerror or exc}") from None
    return InitResult(target, created, settings.database, nearest, configured is not None, added)


def _relative_to(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path.resolve(), base.resolve()).replace(os.sep, "/")
    except ValueError:  # another drive
        return str(path.resolve()).replace(os.sep, "/")


def _append_table(pyproject: Path, table: str) -> None:
    """Append ``table`` to ``pyproject`` atomically; the file must still be valid TOML."""
    import tomllib

    try:
        original = pyproject.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{pyproject}: cannot be read: {exc.strerror or exc}") from None
    text = original.decode("utf-8", "replace")
    glue = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    new = text + glue + table
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: adding [tool.qscaffold] would make it invalid TOML ({exc}); "
                          "add the table by hand") from None
    temporary = pyproject.with_name(pyproject.name + ".qscaffold-tmp")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            handle.write(new)
        os.replace(temporary, pyproject)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ConfigError(f"{pyproject}: cannot be written: {exc.strerror or exc}") from None
