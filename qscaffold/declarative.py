"""``qscaffold new NAME --to schema.sql``: the next migration, written from a desired schema.

``up()`` is the schema diff (:mod:`qscaffold.schema.diff`) from the current schema (the
``--database``, opened read-only, else the migrations replayed in memory) to the desired one;
``down()`` is the diff back. The file comes from ``templates/declarative.py.j2`` (a project's
``templates_dir`` may override it) and is checked like every scaffolded file. Nothing here
prints; :func:`plan_declarative` returns ``None`` when there is no difference.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from .files import format_filename
from .schema.diff import SchemaDiff, plan_diff
from .schema.model import read_model
from .schema.quote import always_quoted
from .schema.sources import open_source

TEMPLATE = "declarative.py.j2"


def reverse_renames(renames) -> list[str]:
    """The hints for the way back: ``users=accounts`` → ``accounts=users``;
    ``accounts.nick=handle`` → ``accounts.handle=nick`` (named by the table's new name)."""
    from .schema.diff import parse_renames

    tables, columns = parse_renames(renames)
    out = [f"{new}={old}" for old, new in tables.items()]
    for (table, old), new in columns.items():
        out.append(f"{tables.get(table, table)}.{new}={old}")
    return out


def plan_declarative(settings, name: str, to, *, renames=(), database=None, target=None):
    """The migration that brings the current schema to ``to`` (a ``.sql`` file, a database or
    a migrations folder), as a :class:`qscaffold.scaffold.Scaffold`; ``None`` when the current
    schema already is ``to``."""
    from .scaffold import Scaffold, check_rendered, human_name, next_version, open_schema, parse_target, render, slugify

    slug = slugify(name)
    display = human_name(name)
    folder = Path(settings.migrations_dir)
    target_version = parse_target(target if target is not None else settings.target_sqlite)
    desired = open_source(to, check_views=False)
    try:
        schema_notes: list[str] = []
        conn = open_schema(folder, database, schema_notes)
        try:
            current = read_model(conn, check_views=True)

            def rows(table: str):
                if database is None:
                    return None  # replayed migrations say nothing of the rows a real database holds
                try:
                    return conn.execute(f"SELECT 1 FROM main.{always_quoted(table)} LIMIT 1").fetchone() is not None
                except Exception:
                    return None

            up = plan_diff(current, desired.schema, renames=renames, target=target_version, rows=rows)
        finally:
            conn.close()
        if up.same:
            return None
        down = plan_diff(desired.schema, current, renames=reverse_renames(renames), target=target_version)
    finally:
        desired.close()
    version = next_version(folder)
    path = folder / format_filename(version, slug)
    context = {
        "name": display,
        "version": version,
        "slug": slug,
        "pattern": "declarative",
        "to": os.fspath(to),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "target_sqlite": ".".join(map(str, target_version)),
        "up_steps": up.steps,
        "down_steps": down.steps,
        "warnings": up.warnings,
        "rebuilt": up.rebuilt,
        "native": up.native,
        "destroys_data": any(s.destroys_data for s in up.steps),
    }
    text = render(TEMPLATE, context, settings.templates_dir)
    check_rendered(text, TEMPLATE, version)
    scaffold = Scaffold(path, text, version, slug, display, "declarative", None, [], [],
                        "rebuild" if up.rebuilt else "native", schema_notes + list(up.warnings))
    scaffold.plan = up  # type: ignore[attr-defined]
    return scaffold


__all__ = ["SchemaDiff", "plan_declarative", "reverse_renames"]
