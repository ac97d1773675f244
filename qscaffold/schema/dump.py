"""``qscaffold schema dump``: a schema written as SQL, JSON (the model) or a Mermaid diagram.

SQL: the CREATE statements in an order that executes on an empty database (tables, then
indexes, views and triggers, each in creation order), without the runner's bookkeeping
tables and SQLite's internal ones, and a virtual table written once (not its shadow tables).
"""

from __future__ import annotations

import dataclasses
import json

from .model import Schema
from .quote import quote_identifier

FORMATS = ("sql", "json", "mermaid")


def dump(schema: Schema, fmt: str = "sql") -> str:
    if fmt == "sql":
        return dump_sql(schema)
    if fmt == "json":
        return json.dumps(to_dict(schema), indent=2, ensure_ascii=False) + "\n"
    if fmt == "mermaid":
        return dump_mermaid(schema)
    raise ValueError(f"unknown format {fmt!r}")


def statements(schema: Schema) -> list[str]:
    out = [t.sql for t in schema.user_tables]
    for kind in ("index", "view", "trigger"):
        out += [e.sql for e in schema.objects(kind)]
    return [s.rstrip().rstrip(";") for s in out]


def dump_sql(schema: Schema) -> str:
    return "".join(s + ";\n\n" for s in statements(schema)).rstrip("\n") + "\n" if schema.tables else ""


def to_dict(schema: Schema) -> dict:
    def table(t):
        return {
            "name": t.name, "kind": t.kind, "sql": t.sql, "strict": t.strict,
            "without_rowid": t.without_rowid, "checks": sorted(t.checks),
            "columns": [dataclasses.asdict(c) for c in t.columns],
            "foreign_keys": sorted((dataclasses.asdict(f) for f in t.foreign_keys), key=json.dumps),
            "constraints": sorted([{"origin": o, "unique": u, "columns": [c[0] for c in cols]}
                                   for o, u, cols in t.constraints], key=json.dumps),
        }

    return {
        "tables": [table(t) for t in schema.user_tables],
        "indexes": [{"name": e.name, "table": e.table, "sql": e.sql} for e in schema.objects("index")],
        "views": [{"name": e.name, "sql": e.sql} for e in schema.objects("view")],
        "triggers": [{"name": e.name, "table": e.table, "sql": e.sql} for e in schema.objects("trigger")],
    }


def _mermaid_name(name: str) -> str:
    return name if quote_identifier(name) == name or name.replace("_", "").isalnum() else \
        '"' + name.replace('"', "'") + '"'


def _mermaid_type(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in (text or "ANY"))
    return cleaned.strip("_") or "ANY"


def dump_mermaid(schema: Schema) -> str:
    """An ``erDiagram``: tables with their columns (type, PK, FK) and one relationship per
    foreign key (child ``}o--||`` parent)."""
    lines = ["erDiagram"]
    tables = [t for t in schema.user_tables if t.kind == "table"]
    for t in tables:
        fk_columns = {c for fk in t.foreign_keys for c in fk.columns}
        lines.append(f"    {_mermaid_name(t.name)} {{")
        for c in t.columns:
            keys = [k for k, on in (("PK", c.pk), ("FK", c.name.lower() in fk_columns)) if on]
            col = c.name if c.name.replace("_", "").isalnum() else c.name.replace(" ", "_")
            lines.append(f"        {_mermaid_type(c.type)} {col}{' ' + ','.join(keys) if keys else ''}")
        lines.append("    }")
    for t in tables:
        for fk in sorted(t.foreign_keys, key=lambda f: (f.table, f.columns)):
            parent = schema.table(fk.table)
            label = ", ".join(fk.columns)
            lines.append(f"    {_mermaid_name(parent.name if parent else fk.table)} ||--o{{ "
                         f"{_mermaid_name(t.name)} : \"{label}\"")
    return "\n".join(lines) + "\n"


def dump_source(source, fmt: str = "sql") -> str:
    """``schema dump``: the schema of a migrations folder, database file or ``.sql`` file."""
    from .sources import open_source

    opened = open_source(source, check_views=False)
    try:
        return dump(opened.schema, fmt)
    finally:
        opened.close()


def write_dump(path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary file renamed into place)."""
    import os
    import tempfile
    from pathlib import Path

    from ..errors import UsageError

    target = Path(path)
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".",
                                    prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"{path}: cannot be written: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot be written: {exc.strerror or exc}") from None
