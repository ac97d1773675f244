"""Table-name conventions the rules recognise, shared with the shadow schema.

A table rebuild builds ``new_t`` (``t_new``, ``_alembic_tmp_t``, ``t_new_3f2a``…) to replace
``t``; a table moved out of the way is renamed ``t_old`` (``old_t``, ``t_backup``, ``t_2``…).
Rules compare such a table with ``t``, so the shadow (:mod:`qscaffold.lint.shadow`) must hold
``t`` whenever a file names one of them, and the other way round: :func:`bases` gives every
``t`` a name may stand for.
"""

from __future__ import annotations

import re

_BUILD = r"(?:new|tmp|temp|rebuild|copy)"
_AWAY = r"(?:old|bak|backup|orig|original|prev|previous|legacy|archive|archived|v?\d+)"
_BUILD_PREFIX_RE = re.compile(rf"_*(?:[a-z0-9]+_+)?{_BUILD}_*")
_BUILD_SUFFIX_RE = re.compile(rf"_+{_BUILD}(?:_+[0-9a-z]+)?_*")
_AWAY_PREFIX_RE = re.compile(rf"_*(?:{_AWAY}_+)?")
_AWAY_SUFFIX_RE = re.compile(rf"(?:_+{_AWAY})?_*")
_BUILD_RE = re.compile(_BUILD)
_BUILD_AFTER_RE = re.compile(rf"_+{_BUILD}")
_AWAY_LEAD_RE = re.compile(rf"{_AWAY}_+")
_AWAY_TAIL_RE = re.compile(rf"_+{_AWAY}\Z")
_AFFIXED_RE = re.compile(rf"_|{_BUILD}")


def is_rebuild_name(candidate: str, table: str) -> bool:
    """Whether ``candidate`` names a table being built to replace ``table``: ``new_t``,
    ``new__t``, ``_alembic_tmp_t``, ``t_new``, ``t_new_3f2a``…"""
    candidate, table = candidate.lower(), table.lower()
    if not table:
        return False
    if candidate.endswith(table) and \
            _BUILD_PREFIX_RE.fullmatch(candidate, 0, len(candidate) - len(table)):
        return True
    return candidate.startswith(table) and \
        _BUILD_SUFFIX_RE.fullmatch(candidate, len(table)) is not None


def is_renamed_away(name: str, table: str) -> bool:
    """Whether ``name`` (lower-cased) reads as ``table`` (lower-cased) renamed out of the
    way: ``t_old``, ``old_t``, ``_t_backup``, ``t_2``… (or ``t`` itself, give or take
    underscores)."""
    start = name.find(table) if table else -1
    while start >= 0:
        end = start + len(table)
        if _AWAY_PREFIX_RE.fullmatch(name, 0, start) and _AWAY_SUFFIX_RE.fullmatch(name, end):
            return True
        start = name.find(table, start + 1)
    return False


def bases(word: str) -> set[str]:
    """The table names ``word`` (lower-cased) may be a rebuild or renamed-away variant of:
    ``t`` for ``new_t``, ``t_new_3f2a``, ``_t_tmp``, ``t_old``, ``backup_t``, ``t_2``…
    A superset of what :func:`is_rebuild_name` and :func:`is_renamed_away` accept; empty
    for a plain name."""
    if not _AFFIXED_RE.search(word):
        return set()
    out: set[str] = set()
    for match in _BUILD_RE.finditer(word):
        out.add(word[match.end():].lstrip("_"))
    for match in _BUILD_AFTER_RE.finditer(word):
        out.add(word[:match.start()])
    core = word.strip("_")
    cores = {core}
    lead = _AWAY_LEAD_RE.match(core)
    if lead:
        cores.add(core[lead.end():])
    for candidate in list(cores):
        tail = _AWAY_TAIL_RE.search(candidate)
        if tail:
            cores.add(candidate[:tail.start()])
    out |= cores
    out.discard(word)
    out.discard("")
    return out
