"""Migration files: the one file-name parser, discovery, checksums and loading.

A migration is ``<version>-<description>.py``: the version has at least three digits,
zero-padded (``001`` … ``999``, then ``1000``), the description is lowercase kebab-case.
``new``, ``lint`` and ``migrate`` all read names through :func:`parse_filename`.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from .errors import DuplicateVersion, MigrationFileError

try:  # the built-in sha256: hashlib's OpenSSL one costs milliseconds to load, for tiny files
    from _sha256 import sha256 as _sha256  # Python 3.11
except ImportError:  # pragma: no cover
    try:
        from _sha2 import sha256 as _sha256  # Python 3.12+
    except ImportError:
        from hashlib import sha256 as _sha256

FILENAME_RE = re.compile(r"^(?P<version>\d{3,})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.py$")
# Looks like an attempt at a migration (starts with a number): misnamed ones are reported,
# not skipped, so a typo never silently drops a migration.
_CANDIDATE_RE = re.compile(r"^\d+[-_.]?.*\.py$")
_NAME_ASSIGN_RE = re.compile(r"""^name\s*(?::\s*str\s*)?=\s*(?P<q>['"])(?P<name>.*?)(?P=q)\s*(?:#.*)?$""", re.M)


def parse_filename(filename: str) -> tuple[int, str] | None:
    """``(version, slug)`` of a well-formed migration file name, else ``None``."""
    match = FILENAME_RE.match(filename)
    if not match:
        return None
    digits = match["version"]
    if len(digits) > 3 and digits.startswith("0"):
        return None  # 0001 is neither 001 nor 1000
    return int(digits), match["slug"]


def migration_path(path: str | os.PathLike) -> Path:
    """The path a migration file is known by, for ``migrate`` and ``lint`` alike: absolute,
    ``..`` removed, symlinks kept, so a symlinked migration goes by its link's name (the
    name that carries its version), never by its target's."""
    return Path(os.path.abspath(path))


def format_filename(version: int, slug: str) -> str:
    """The file name for ``version`` and a kebab-case ``slug``: ``003-add-api-keys.py``."""
    return f"{version:03d}-{slug}.py"


def naming_problem(filename: str) -> str | None:
    """Why a file that looks like a migration is misnamed, or ``None`` when it is fine."""
    if parse_filename(filename) is not None:
        return None
    stem = filename[:-3]
    digits = re.match(r"\d+", stem)
    number = digits.group(0) if digits else ""
    if len(number) < 3:
        return f"version {number!r} must have at least 3 digits (e.g. {int(number or 0):03d})"
    if len(number) > 3 and number.startswith("0"):
        return f"version {number!r} has a leading zero beyond 3 digits"
    rest = stem[len(number):]
    if not rest.startswith("-"):
        return "version and description must be separated by '-'"
    return f"description {rest[1:]!r} must be lowercase kebab-case ([a-z0-9]+(-[a-z0-9]+)*)"


def normalize_source(data: bytes) -> bytes:
    """File bytes with CRLF and CR line endings turned into LF."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def checksum_bytes(data: bytes) -> str:
    """sha256 hex digest of ``data`` with its line endings normalised."""
    return _sha256(normalize_source(data)).hexdigest()


def title_from_slug(slug: str) -> str:
    """``add-api-keys-table`` → ``Add api keys table``."""
    words = slug.split("-")
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


@dataclass
class MigrationFile:
    """One migration file found on disk; its module is imported only when asked for."""

    path: Path
    version: int
    slug: str
    _source: bytes | None = field(default=None, repr=False)
    _module: ModuleType | None = field(default=None, repr=False)

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def source(self) -> bytes:
        if self._source is None:
            try:
                self._source = self.path.read_bytes()
            except OSError as exc:
                raise MigrationFileError(f"{self.path}: cannot be read: {exc.strerror}") from None
        return self._source

    @property
    def checksum(self) -> str:
        return checksum_bytes(self.source)

    @property
    def declared_name(self) -> str:
        """The module's ``name`` without importing it (falls back to the description)."""
        if self._module is not None:
            return self._module.name
        match = _NAME_ASSIGN_RE.search(self.source.decode("utf-8", "replace"))
        return match["name"] if match else title_from_slug(self.slug)

    @property
    def module(self) -> ModuleType:
        if self._module is None:
            self._module = load_module(self)
        return self._module

    @property
    def name(self) -> str:
        return self.module.name

    @property
    def up(self):
        return self.module.up

    @property
    def down(self):
        return getattr(self.module, "down", None)


def discover(directory: str | Path, *, strict: bool = True) -> list[MigrationFile]:
    """Migration files in ``directory``, sorted by version.

    Misnamed files that start with a number and duplicate versions raise
    :class:`MigrationFileError` / :class:`DuplicateVersion` when ``strict``.
    """
    directory = Path(directory)
    if not directory.is_dir():
        if directory.exists():
            raise MigrationFileError(f"{directory}: is not a folder")
        raise MigrationFileError(f"{directory}: migrations folder not found "
                                 "(create it with `qscaffold init`, or give --dir)")
    found: dict[int, MigrationFile] = {}
    duplicate: tuple[Path, Path, int] | None = None
    with os.scandir(directory) as listing:  # names and types in one pass, no stat per file
        entries = sorted((e.name, e.is_file()) for e in listing)
    for name, is_file in entries:
        if not name.endswith(".py") or not is_file:
            continue
        entry = directory / name
        parsed = parse_filename(name)
        if parsed is None:
            if strict and _CANDIDATE_RE.match(name):
                raise MigrationFileError(f"{entry}: misnamed migration: {naming_problem(name)}")
            continue
        version, slug = parsed
        if version in found:
            if duplicate is None:
                duplicate = (found[version].path, entry, version)
            continue
        found[version] = MigrationFile(entry, version, slug)
    if duplicate is not None and strict:
        first, second, version = duplicate
        newest = _max_version(found)
        renamed = format_filename(newest + 1, parse_filename(second.name)[1])
        raise DuplicateVersion(
            f"{second}: version {version} is also used by {first.name}; renumber the one that "
            f"was not applied yet (e.g. `git mv {second.name} {renamed}`, and change "
            f"`version = {version}` inside it to `version = {newest + 1}`)",
            version=version, paths=(first, second), newest=newest,
        )
    return [found[v] for v in sorted(found)]


def _max_version(found: dict[int, MigrationFile]) -> int:
    return max(found) if found else 0


def load_module(migration: MigrationFile) -> ModuleType:
    """Import one migration file in isolation and check the file format.

    The module is not left in ``sys.modules``; two files never share a module.
    """
    path = migration.path
    source = migration.source
    try:
        code = compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        line = f":{exc.lineno}" if exc.lineno else ""
        raise MigrationFileError(f"{path}{line}: syntax error: {exc.msg}") from None
    except ValueError as exc:  # null bytes
        raise MigrationFileError(f"{path}: cannot be compiled: {exc}") from None
    module_name = f"qscaffold_migration_{migration.version}_{abs(hash(str(path)))}"
    import importlib.util

    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # for dataclasses, pickling and friends during import
    try:
        exec(code, module.__dict__)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a migration may raise anything, even SystemExit
        raise MigrationFileError(
            f"{path}: raises {type(exc).__name__} on import: {_one_line(exc)}"
        ) from None
    finally:
        sys.modules.pop(module_name, None)
    _check_module(migration, module)
    return module


def _check_module(migration: MigrationFile, module: ModuleType) -> None:
    path = migration.path
    name = getattr(module, "name", None)
    if not isinstance(name, str) or not name.strip():
        raise MigrationFileError(f"{path}: `name` must be a non-empty string")
    version = getattr(module, "version", None)
    if not isinstance(version, int) or isinstance(version, bool):
        raise MigrationFileError(
            f"{path}: `version` must be an int equal to the file's number ({migration.version})"
        )
    if version != migration.version:
        raise MigrationFileError(
            f"{path}: `version = {version}` does not match the file's number {migration.version}"
        )
    if not callable(getattr(module, "up", None)):
        raise MigrationFileError(f"{path}: no `up(db)` function")
    down = getattr(module, "down", None)
    if down is not None and not callable(down):
        raise MigrationFileError(f"{path}: `down` must be a function")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
