"""Expressions compared as parsed trees: the schema diff's judge of "the same".

Two CHECKs, DEFAULTs, generated expressions, partial-index WHEREs, view bodies or triggers
are the same when their normalised text is (:mod:`.normalize`, no parsing), else when sqlglot
parses both as SQLite into equal trees (identifier case and quoting, and parentheses around
the whole, do not count). Where sqlglot cannot parse, the normalised text decides.

sqlglot is imported here only, and only when two texts differ after normalising.
"""

from __future__ import annotations

from functools import lru_cache

from .normalize import normalize_sql, unwrap


def same_expression(a: str | None, b: str | None) -> bool:
    if a == b:
        return True
    if a is None or b is None:
        return False
    na, nb = unwrap(normalize_sql(a)), unwrap(normalize_sql(b))
    return na == nb or _canonical(na, False) == _canonical(nb, False)


def same_statement(a: str | None, b: str | None) -> bool:
    if a == b:
        return True
    if a is None or b is None:
        return False
    na, nb = normalize_sql(a), normalize_sql(b)
    return na == nb or _canonical(na, True) == _canonical(nb, True)


def same_expressions(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two sets of CHECK expressions, equal as sets of trees."""
    if a == b:
        return True
    if len(a) != len(b):
        return False
    canon_a = sorted(_canonical(unwrap(normalize_sql(x)), False) for x in a)
    canon_b = sorted(_canonical(unwrap(normalize_sql(x)), False) for x in b)
    return canon_a == canon_b


@lru_cache(maxsize=4096)
def _canonical(text: str, statement: bool) -> str:
    try:
        import sqlglot
        from sqlglot import exp
    except ImportError:  # pragma: no cover - sqlglot is a dependency
        return text
    try:
        tree = sqlglot.parse_one(text, read="sqlite")
    except Exception:  # sqlglot raises several kinds; any of them means "cannot say"
        return text
    if tree is None:
        return text
    while isinstance(tree, exp.Paren):
        tree = tree.this

    def plain(node):
        if isinstance(node, exp.Identifier):
            return exp.Identifier(this=node.name.lower(), quoted=False)
        if isinstance(node, exp.Paren) and (
            isinstance(node.this, (exp.Literal, exp.Column, exp.Null, exp.Func, exp.Paren))
            or isinstance(node.parent, (exp.Where, exp.Having, exp.Check, exp.If))
        ):
            return node.this
        return node

    try:
        return tree.transform(plain).sql(dialect="sqlite")
    except Exception:
        return text
