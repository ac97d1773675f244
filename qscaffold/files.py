"""Migration files: the one file-name parser, discovery, checksums and loading.

A migration is ``<version>-<description>.py``: the version has at least three digits,
zero-padded (``001`` … ``999``, then ``1000``), the description is lowercase kebab-case.
``new``, ``lint`` and ``migrate`` all read names through :func:`parse_filename`.

Plain-SQL migrations are numbered with them: ``<version>-<description>.sql`` with
``-- migrate:up`` / ``-- migrate:down`` sections (a file without markers is all up), or a
``<version>-<description>.up.sql`` + ``.down.sql`` pair. :func:`parse_migration_name` reads
every kind; :class:`SqlMigrationFile` gives them the ``up(db)`` / ``down(db)`` of a module.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

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
_SQL_FILENAME_RE = re.compile(
    r"^(?P<version>\d{3,})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)(?P<suffix>\.up\.sql|\.down\.sql|\.sql)$")
_SQL_CANDIDATE_RE = re.compile(r"^\d+[-_.]?.*\.sql$")
SQL_SUFFIXES = (".up.sql", ".down.sql", ".sql")  # longest first: the one a name ends with
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


class MigrationName(NamedTuple):
    """What a migration's file name says: ``suffix`` is ``.py``, ``.sql``, ``.up.sql`` or
    ``.down.sql``."""

    version: int
    slug: str
    suffix: str


def parse_migration_name(filename: str) -> MigrationName | None:
    """Version, slug and suffix of a well-formed ``.py`` or ``.sql`` migration name, else ``None``."""
    if filename.endswith(".py"):
        parsed = parse_filename(filename)
        return MigrationName(parsed[0], parsed[1], ".py") if parsed else None
    match = _SQL_FILENAME_RE.match(filename)
    if not match or (len(match["version"]) > 3 and match["version"].startswith("0")):
        return None
    return MigrationName(int(match["version"]), match["slug"], match["suffix"])


def format_filename(version: int, slug: str, suffix: str = ".py") -> str:
    """The file name for ``version`` and a kebab-case ``slug``: ``003-add-api-keys.py``."""
    return f"{version:03d}-{slug}{suffix}"


def naming_problem(filename: str) -> str | None:
    """Why a file that looks like a migration is misnamed, or ``None`` when it is fine."""
    if parse_migration_name(filename) is not None:
        return None
    suffix = next((s for s in (".py", *SQL_SUFFIXES) if filename.endswith(s)), ".py")
    stem = filename[: -len(suffix)]
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
    def stem(self) -> str:
        """``<version>-<description>``, the name without ``.py`` / ``.sql`` / ``.up.sql``."""
        return format_filename(self.version, self.slug, "")

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


class SqlMigrationFile(MigrationFile):
    """A plain-SQL migration: ``NNN-name.sql`` with ``-- migrate:up`` / ``-- migrate:down``
    sections, or ``NNN-name.up.sql`` with its optional ``NNN-name.down.sql``.

    Its "module" has the ``name``, ``version``, ``up(db)`` and ``down(db)`` of a Python
    migration: each half runs through :meth:`qscaffold.Database.exec`, inside the runner's
    transaction. Loading reads and checks the text (sections, ``BEGIN``/``COMMIT`` refused)
    without running anything.
    """

    def __init__(self, path: Path, version: int, slug: str, down_path: Path | None = None) -> None:
        super().__init__(path, version, slug)
        self.down_path = down_path
        self._down_source: bytes | None = None

    @property
    def paths(self) -> list[Path]:
        return [self.path] + ([self.down_path] if self.down_path else [])

    @property
    def down_source(self) -> bytes | None:
        if self.down_path is None:
            return None
        if self._down_source is None:
            try:
                self._down_source = self.down_path.read_bytes()
            except OSError as exc:
                raise MigrationFileError(f"{self.down_path}: cannot be read: {exc.strerror}") from None
        return self._down_source

    @property
    def checksum(self) -> str:
        """The file's checksum; for a pair, of the up file, a NUL byte and the down file."""
        if self.down_path is None:
            return checksum_bytes(self.source)
        return _sha256(normalize_source(self.source) + b"\0" + normalize_source(self.down_source)).hexdigest()

    @property
    def declared_name(self) -> str:
        return title_from_slug(self.slug)

    @property
    def module(self) -> ModuleType:
        if self._module is None:
            self._module = load_sql(self)
        return self._module


def migration_file(path: Path) -> MigrationFile:
    """The migration a well-named file holds (``.py`` or ``.sql``; for ``.up.sql``, its
    ``.down.sql`` beside it is the down half)."""
    version, slug, suffix = parse_migration_name(path.name)
    if suffix == ".py":
        return MigrationFile(path, version, slug)
    down = path.with_name(format_filename(version, slug, ".down.sql")) if suffix == ".up.sql" else None
    return SqlMigrationFile(path, version, slug, down if down is not None and down.is_file() else None)


def renumbering(migration: MigrationFile, newest: int) -> str:
    """How to move a migration that never ran above every other version: the ``git mv`` of
    its file(s), and for a Python one the ``version`` to change inside it."""
    target = newest + 1
    moves = []
    for path in getattr(migration, "paths", [migration.path]):
        suffix = next(s for s in (".py", *SQL_SUFFIXES) if path.name.endswith(s))
        moves.append(f"`git mv {path.name} {format_filename(target, migration.slug, suffix)}`")
    advice = " and ".join(moves)
    if migration.path.name.endswith(".py"):
        advice += f" and change `version = {migration.version}` inside it to `version = {target}`"
    return advice


def discover(directory: str | Path, *, strict: bool = True) -> list[MigrationFile]:
    """Migration files in ``directory``, ``.py`` and ``.sql`` alike, sorted by version.

    Misnamed files that start with a number, duplicate versions and a ``.down.sql`` without
    its ``.up.sql`` raise :class:`MigrationFileError` / :class:`DuplicateVersion` when ``strict``.
    """
    directory = Path(directory)
    if not directory.is_dir():
        if directory.exists():
            raise MigrationFileError(f"{directory}: is not a folder")
        raise MigrationFileError(f"{directory}: migrations folder not found "
                                 "(create it with `qscaffold init`, or give --dir)")
    found: dict[int, MigrationFile] = {}
    downs: dict[int, tuple[Path, str]] = {}
    duplicate: tuple[Path, Path, int] | None = None
    with os.scandir(directory) as listing:  # names and types in one pass, no stat per file
        entries = sorted((e.name, e.is_file()) for e in listing)
    for name, is_file in entries:
        is_sql = name.endswith(".sql")
        if not (is_sql or name.endswith(".py")) or not is_file:
            continue
        entry = directory / name
        parsed = parse_migration_name(name)
        if parsed is None:
            if strict and (_SQL_CANDIDATE_RE if is_sql else _CANDIDATE_RE).match(name):
                raise MigrationFileError(f"{entry}: misnamed migration: {naming_problem(name)}")
            continue
        version, slug, suffix = parsed
        if suffix == ".down.sql":
            downs[version] = (entry, slug)
            continue
        if version in found:
            if duplicate is None:
                duplicate = (found[version].path, entry, version)
            continue
        if suffix == ".py":
            found[version] = MigrationFile(entry, version, slug)
        else:
            found[version] = SqlMigrationFile(entry, version, slug)
    if duplicate is not None and strict:
        first, second, version = duplicate
        newest = _max_version(found)
        _v, second_slug, suffix = parse_migration_name(second.name)
        renamed = format_filename(newest + 1, second_slug, suffix)
        inside = (f", and change `version = {version}` inside it to `version = {newest + 1}`"
                  if suffix == ".py" else "")
        raise DuplicateVersion(
            f"{second}: version {version} is also used by {first.name}; renumber the one that "
            f"was not applied yet (e.g. `git mv {second.name} {renamed}`{inside})",
            version=version, paths=(first, second), newest=newest,
        )
    for version, (entry, slug) in sorted(downs.items()):
        up = found.get(version)
        expected = format_filename(version, slug, ".up.sql")
        if isinstance(up, SqlMigrationFile) and up.path.name == expected:
            up.down_path = entry
        elif strict and up is None:
            raise MigrationFileError(f"{entry}: a down file without its up file {expected}")
        elif strict:
            raise DuplicateVersion(
                f"{entry}: version {version} is also used by {up.path.name}; a .down.sql file "
                f"belongs to the .up.sql file of the same name ({expected})",
                version=version, paths=(up.path, entry), newest=_max_version(found),
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


# -- plain-SQL migrations ------------------------------------------------------------------

# dbmate's markers, the ones the runner reads; other tools' markers are refused, not run as up.
_SQL_SECTION_RE = re.compile(r"^[ \t]*--[ \t]*migrate:(?P<half>up|down)\b(?P<options>[^\n]*)$", re.I | re.M)
_FOREIGN_MARKER_RE = re.compile(r"^[ \t]*--[ \t]*\+(?:goose|migrate)[ \t]+(?:up|down)\b", re.I | re.M)
_TRANSACTION_WORDS = {"BEGIN", "COMMIT", "END", "ROLLBACK"}


def load_sql(migration: SqlMigrationFile) -> ModuleType:
    """Read and check a plain-SQL migration; its ``up``/``down`` run the statements through
    ``db.exec``. Nothing is run here."""
    up_text = _decode(migration.path, migration.source)
    if not migration.path.name.endswith(".up.sql"):
        up_sql, down_sql = _sections(migration.path, up_text)
    else:
        _refuse_markers(migration.path, up_text, "an .up.sql file holds only the up half")
        up_sql, down_sql = (up_text, 1), None
        if migration.down_path is not None:
            down_text = _decode(migration.down_path, migration.down_source)
            _refuse_markers(migration.down_path, down_text, "a .down.sql file holds only the down half")
            down_sql = (down_text, 1)
    up_sql = _checked(migration.path, *up_sql)
    down_path = migration.down_path or migration.path
    down_sql = _checked(down_path, *down_sql) if down_sql is not None else None
    module = ModuleType(f"qscaffold_migration_{migration.version}")
    module.name = migration.declared_name
    module.version = migration.version
    module.__file__ = str(migration.path)

    def up(db):
        db.exec(up_sql)

    module.up = up
    if down_sql:  # an empty down section cannot undo anything: no down at all
        def down(db):
            db.exec(down_sql)

        module.down = down
    return module


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MigrationFileError(f"{path}:{line}: not UTF-8 text ({exc.reason})") from None


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _refuse_markers(path: Path, text: str, why: str) -> None:
    marker = _SQL_SECTION_RE.search(text) or _FOREIGN_MARKER_RE.search(text)
    if marker:
        raise MigrationFileError(f"{path}:{_line(text, marker.start())}: {marker.group(0).strip()}: {why}")


def _sections(path: Path, text: str) -> tuple[tuple[str, int], tuple[str, int] | None]:
    """``(up, down)`` of a ``.sql`` file as ``(text, line it starts on)``; down is ``None`` when the file
    has no ``-- migrate:down`` section."""
    foreign = _FOREIGN_MARKER_RE.search(text)
    if foreign:
        raise MigrationFileError(
            f"{path}:{_line(text, foreign.start())}: {foreign.group(0).strip()}: another tool's "
            "marker; qscaffold runs `-- migrate:up` / `-- migrate:down` sections"
        )
    markers = list(_SQL_SECTION_RE.finditer(text))
    if not markers:
        return (text, 1), None
    from .sql import split_statements

    before = text[: markers[0].start()]
    if split_statements(before):
        raise MigrationFileError(
            f"{path}:{_line(text, split_statements(before)[0].start)}: a statement before "
            f"`{markers[0].group(0).strip()}`; every statement belongs to the up or the down section"
        )
    halves: dict[str, tuple[str, int]] = {}
    for index, marker in enumerate(markers):
        half = marker["half"].lower()
        where = f"{path}:{_line(text, marker.start())}"
        if half in halves:
            raise MigrationFileError(f"{where}: a second `-- migrate:{half}` section")
        options = marker["options"].split()
        if any(o.lower().replace(" ", "") == "transaction:false" for o in options):
            raise MigrationFileError(
                f"{where}: transaction:false is not supported: qscaffold runs each migration in "
                "one transaction (all or nothing)"
            )
        end = markers[index + 1].start() if index + 1 < len(markers) else len(text)
        halves[half] = (text[marker.end():end], _line(text, marker.end()))
    if "up" not in halves:
        raise MigrationFileError(f"{path}: a `-- migrate:down` section but no `-- migrate:up` section")
    return halves["up"], halves.get("down")


def _checked(path: Path, sql: str, first_line: int) -> str:
    """``sql`` after refusing transaction control: the runner owns the transaction."""
    from .sql import first_keywords, split_statements

    for statement in split_statements(sql):
        words = first_keywords(statement.text, 3)
        if words and words[0] in _TRANSACTION_WORDS and not (words[0] == "ROLLBACK" and "TO" in words[1:3]):
            line = first_line + sql.count("\n", 0, statement.start)
            raise MigrationFileError(
                f"{path}:{line}: {words[0]} is not allowed in a migration: "
                "the runner wraps each migration in one transaction (all or nothing)"
            )
    return sql
