"""What several rule families share: the version gates of ALTER TABLE, the rebuild advice,
and how a table rebuild is recognised from the statements after a DROP TABLE. Rule modules
import from here (and from :mod:`._syntax`, the statement reader), never from each other."""

from __future__ import annotations

from ...schema.features import FEATURES
from ._syntax import created_name, parse_alter, parse_drop, rebuild_partner, tokenize

REBUILD = ("rebuild the table instead: CREATE TABLE new_t with the new definition, "
           "INSERT INTO new_t (cols) SELECT cols FROM t, DROP TABLE t, "
           "ALTER TABLE new_t RENAME TO t, then recreate its indexes, triggers and views "
           "(`qscaffold new … --pattern drop-column` writes one)")

V_RENAME_COLUMN = FEATURES["rename-column"]
V_RENAME_REWRITES_FKS = FEATURES["rename-rewrites-fks"]  # a rename rewrites other tables' keys
V_DROP_COLUMN = FEATURES["drop-column"]
V_CONSTRAINTS = FEATURES["constraint-alters"]
V_DROP_FK = FEATURES["drop-foreign-key"]


def recreated_later(stmt, name: str) -> bool:
    """Whether a later statement of the same migration creates ``name`` again (CREATE TABLE
    or RENAME TO)."""
    for sql in stmt.following or ():
        words = tokenize(sql)[:2]
        if not words:
            continue
        if words[0].value == "CREATE":
            kind, created, _ = created_name(tokenize(sql))
            if kind == "TABLE" and created and created.lower() == name.lower():
                return True
        elif words[0].value == "ALTER":
            a = parse_alter(sql)
            if a and a.action == "rename-table" and a.new_name and a.new_name.lower() == name.lower():
                return True
    return False


def dropped_later(stmt, kind: str, name: str) -> bool:
    """Whether a later statement of the same migration drops the ``kind`` ``name``."""
    for sql in stmt.following or ():
        drop = parse_drop(sql) if sql.lstrip()[:4].upper() == "DROP" else None
        if drop and drop.kind == kind and drop.name.lower() == name.lower():
            return True
    return False


def created_later(stmt, kind: str, name: str) -> bool:
    """Whether a later statement of the same migration creates the ``kind`` ``name``."""
    for sql in stmt.following or ():
        k, created, _ = created_name(tokenize(sql))
        if k == kind and created and created.lower() == name.lower():
            return True
    return False


def is_rebuild_drop(stmt, table: str) -> bool:
    """Whether ``DROP TABLE table`` is step 6 of a recognised rebuild (``new_table`` exists,
    or a later statement creates ``table`` again)."""
    return rebuild_partner(stmt.schema, table) is not None or recreated_later(stmt, table)
