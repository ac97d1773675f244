"""The lint cache, ``.qscaffold_cache/``: findings and schema states of files already checked.

A file's verdicts depend on its own text and on the schema every file before it builds, so
each position of a folder's chain gets a key that covers all of them::

    key[i] = sha256(key[i-1], folder and name of file i, sha256(content[i]))    key[-1] = the salt

The salt holds qscaffold's version, a fingerprint of the linter's own modules (an edited
rule in a development checkout is a new linter), the rules registered and the settings
(target, select, ignore). Editing an earlier file changes the key of every later one, so
their verdicts are judged again.

Two kinds of entries, JSON files under ``.qscaffold_cache/<version>/``:

- ``r-<key[i]>.json``: the findings of file ``i`` (before noqa; noqa comments alongside);
- ``s-<key[i-1]>.json``: the schema state file ``i`` meets (:meth:`Shadow.state`), saved
  before the newest file, before each file checked and every :data:`CHECKPOINT_EVERY`
  files, so that checking the newest file of a long chain again replays nothing.

After each run only the :data:`KEEP_STATES` states and :data:`KEEP_RESULTS` results used
last are kept. The folder holds a ``.gitignore`` of ``*`` (like ruff's), so it is never committed. Any
problem reading or writing it turns the cache off for the run: it is never a reason to fail.
``--no-cache`` skips it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..files import _sha256
from .extract import Noqa
from .model import Finding, Severity

CACHE_DIR = ".qscaffold_cache"
CHECKPOINT_EVERY = 100
# Kept after each run, the most recently used first: a schema state is as large as the schema
# and a new one is saved whenever a migration is added, so old ones are dropped.
KEEP_STATES = 32
KEEP_RESULTS = 20_000
_GITIGNORE = "# Automatically created by qscaffold.\n*\n"
_CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                 "# This file is a cache directory tag created by qscaffold.\n")


def _digest(*parts: str | bytes) -> str:
    h = _sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def _code_fingerprint() -> str:
    """Names, sizes and modification times of the linter's modules."""
    package = Path(__file__).resolve().parent.parent
    parts = []
    for folder in (package, package / "lint", package / "lint" / "rules"):
        try:
            with os.scandir(folder) as listing:
                for entry in sorted(listing, key=lambda e: e.name):
                    if entry.name.endswith(".py"):
                        st = entry.stat()
                        parts.append(f"{folder.name}/{entry.name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{folder}:?")
    return _digest(*parts)


@dataclass
class LintCache:
    """One run's view of the cache folder (picklable: shares of a folder may run in other
    processes)."""

    folder: Path
    salt: str
    enabled: bool = True

    @classmethod
    def open(cls, root: Path, options, rules) -> "LintCache":
        from .. import __version__

        registered = ",".join(f"{code}:{r.check.__module__}.{r.check.__qualname__}"
                              for code, r in sorted(rules.items()))
        salt = _digest(__version__, _code_fingerprint(), registered, repr(options))
        return cls(Path(root) / CACHE_DIR / __version__, salt)

    # -- keys -------------------------------------------------------------------------

    def chain_keys(self, chain: list[Path]) -> list[str | None]:
        """``key[i]`` for each file of the chain; ``None`` from the first file that cannot be
        read (nothing after it is cached)."""
        keys: list[str | None] = []
        previous: str | None = self.salt
        for path in chain:
            if previous is not None:
                try:
                    content = _sha256(path.read_bytes()).hexdigest()
                except OSError:
                    previous = None
                else:
                    # the folder's name too: diesel's `<version>_<name>/up.sql` files
                    previous = _digest(previous, path.parent.name, path.name, content)
            keys.append(previous)
        return keys

    # -- entries ----------------------------------------------------------------------

    def load_result(self, key: str | None) -> "CachedResult | None":
        data = self._read(f"r-{key}") if key else None
        if data is None:
            return None
        try:
            return CachedResult.from_data(data)
        except (KeyError, TypeError, ValueError):
            return None

    def store_result(self, key: str | None, raws: list, noqas: list[Noqa]) -> None:
        if key:
            self._write(f"r-{key}", CachedResult.data_of(raws, noqas))

    def has_state(self, key: str | None) -> bool:
        return bool(key) and self.enabled and (self.folder / f"s-{key}.json").is_file()

    def load_state(self, key: str | None) -> dict | None:
        data = self._read(f"s-{key}") if key else None
        if not isinstance(data, dict) or not {"known", "failed_words", "pragmas", "seq", "entries"} <= set(data):
            return None
        try:
            os.utime(self.folder / f"s-{key}.json")  # used: kept by prune()
        except OSError:
            pass
        return data

    def store_state(self, key: str | None, state: dict) -> None:
        if key and not self.has_state(key):
            self._write(f"s-{key}", state)

    def prune(self) -> None:
        """Drop all but the :data:`KEEP_STATES` schema states and :data:`KEEP_RESULTS`
        results used last (once per run: one listing of the folder)."""
        if not self.enabled:
            return
        try:
            with os.scandir(self.folder) as listing:
                entries = [(e.stat().st_mtime_ns, e.name) for e in listing if e.name.endswith(".json")]
            for prefix, keep in (("s-", KEEP_STATES), ("r-", KEEP_RESULTS)):
                chosen = sorted((e for e in entries if e[1].startswith(prefix)), reverse=True)
                for _mtime, name in chosen[keep:]:
                    (self.folder / name).unlink(missing_ok=True)
        except OSError:
            pass

    # -- files ------------------------------------------------------------------------

    def _read(self, name: str):
        if not self.enabled:
            return None
        try:
            with open(self.folder / f"{name}.json", encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def _write(self, name: str, data) -> None:
        if not self.enabled:
            return
        try:
            if not self.folder.is_dir():
                self._make_folder()
            target = self.folder / f"{name}.json"
            temporary = target.with_name(f".{name}.{os.getpid()}.tmp")
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
            os.replace(temporary, target)
        except (OSError, TypeError, ValueError) as exc:
            self.enabled = False  # read-only checkout, full disk…: lint on without it
            import logging

            logging.getLogger("qscaffold").debug("lint cache off: %s", exc)

    def _make_folder(self) -> None:
        top = self.folder.parent
        top.mkdir(parents=True, exist_ok=True)
        for name, text in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _CACHEDIR_TAG)):
            if not (top / name).exists():
                (top / name).write_text(text, encoding="utf-8")
        self.folder.mkdir(exist_ok=True)


@dataclass
class CachedResult:
    """A file's findings as the cache keeps them: ``(finding without path, anchor lines)``
    pairs and its noqa comments."""

    raws: list[tuple[tuple, frozenset[int]]]
    noqas: list[Noqa]

    @staticmethod
    def data_of(raws: list, noqas: list[Noqa]) -> dict:
        out = []
        for raw in raws:
            f = raw.finding
            fix = None
            if f.fix is not None:
                fix = [f.fix.replacement, f.fix.line, f.fix.column, f.fix.end_line, f.fix.end_column]
            out.append([f.line, f.column, f.code, f.severity.value, f.message, f.statement, fix,
                        sorted(raw.anchors)])
        return {"raws": out,
                "noqas": [[n.line, n.column, list(n.codes) if n.codes is not None else None, n.file_level]
                          for n in noqas]}

    @classmethod
    def from_data(cls, data: dict) -> "CachedResult":
        raws = []
        for line, column, code, severity, message, statement, fix, anchors in data["raws"]:
            raws.append(((int(line), int(column), str(code), Severity(severity), str(message),
                          str(statement), tuple(fix) if fix else None), frozenset(int(a) for a in anchors)))
        noqas = [Noqa(int(line), int(column), tuple(codes) if codes is not None else None, bool(file_level))
                 for line, column, codes, file_level in data["noqas"]]
        return cls(raws, noqas)

    def findings(self, display: str) -> list[tuple[Finding, frozenset[int]]]:
        from .suggest import Fix

        out = []
        for (line, column, code, severity, message, statement, fix), anchors in self.raws:
            out.append((Finding(display, line, column, code, severity, message, statement,
                                Fix(*fix) if fix else None), anchors))
        return out
