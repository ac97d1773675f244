"""The ``qscaffold`` command line: a thin layer that parses, calls the library and echoes.

Library errors (:class:`qscaffold.errors.QscaffoldError`) become one ``Error: …`` line on
stderr and their exit code (1 failed or refused, 2 bad usage or input); never a traceback.
sqlglot and jinja2 are imported only inside the commands that need them.
"""

from __future__ import annotations

import contextlib
import functools
import sys

import click

from . import __version__
from .errors import QscaffoldError


class QscaffoldGroup(click.Group):
    """A group that turns library errors into ``Error: …`` and the error's exit code."""

    def main(self, *args, **kwargs):
        from . import console

        console.prepare()  # a console that cannot encode a mark gets an ASCII one
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QscaffoldError as err:
            pending = ctx.meta.pop(JSON_PENDING, None)
            if pending is not None:  # --json always prints JSON: what is known, and the error
                _echo_json({**pending, "error": str(err), "exit_code": err.exit_code})
            exc = click.ClickException(str(err))
            exc.exit_code = err.exit_code
            raise exc from None


class SettingOption(click.Option):
    """An option whose help ends with the value the project's settings resolve to (the
    environment, ``[tool.qscaffold]``, the defaults), worked out only when help is shown."""

    def __init__(self, *args, setting: str, **kwargs) -> None:
        self.setting = setting
        super().__init__(*args, **kwargs)

    def get_help_record(self, ctx: click.Context):
        record = super().get_help_record(ctx)
        if record is None:
            return None
        return record[0], f"{record[1]} [now: {_resolved_setting(self.setting)}]"


def _resolved_setting(name: str) -> str:
    from .config import load_settings

    try:
        value = getattr(load_settings(), name)
    except QscaffoldError as err:
        return f"unknown: {err}"
    if name == "target_sqlite" and value is None:
        import sqlite3

        return f"this SQLite, {sqlite3.sqlite_version}"
    if name == "busy_timeout":
        return f"{value:g} s"
    return _display_path(str(value)) if value is not None else "none"


@click.group(cls=QscaffoldGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="qscaffold", message="%(prog)s %(version)s")
def main() -> None:
    """Scaffold, lint and run SQLite schema migrations.

    \b
    qscaffold init                         create the migrations folder
    qscaffold new add-api-keys-table       write the next numbered migration
    qscaffold lint                         check migrations without running them
    qscaffold migrate up                   apply pending migrations
    qscaffold migrate status               what is applied and what is pending

    Settings come from flags, then QSCAFFOLD_DATABASE / QSCAFFOLD_MIGRATIONS, then
    [tool.qscaffold] in the project's pyproject.toml (database, migrations_dir,
    templates_dir, target_sqlite, select, ignore, busy_timeout); its paths, and the
    defaults, are relative to that file's folder, found upward from here.
    Shell completion: eval "$(_QSCAFFOLD_COMPLETE=bash_source qscaffold)" (or zsh_source,
    fish_source).
    """


def _settings(**flags):
    from .config import load_settings

    return load_settings(**flags)


# A --json command keeps here what it knows so far (ctx.meta is shared by nested contexts), so
# that a failure still prints one JSON object with it and the error.
JSON_PENDING = "qscaffold.json"


def _json_pending(**fields) -> dict:
    report = click.get_current_context().meta.setdefault(JSON_PENDING, {})
    report.update(fields)
    return report


def _echo_json(data) -> None:
    import json

    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta.pop(JSON_PENDING, None)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


# -- init -------------------------------------------------------------------------------


@main.command()
@click.option("--dir", "migrations_dir", metavar="DIR", default=None,
              help="Migrations folder to create [default: the configured one, else migrations/].")
@click.option("--pyproject/--no-pyproject", "add_table", default=None,
              help="Add a [tool.qscaffold] table to the nearest pyproject.toml that lacks one "
                   "[default: ask on a terminal].")
def init(migrations_dir, add_table) -> None:
    """Start using qscaffold here: create the migrations folder and print the next steps.

    Where a pyproject.toml exists without [tool.qscaffold], offers to add that table, so that
    every command finds the project's files from any subfolder. Safe to run again: nothing
    that exists is changed.

    \b
    Examples:
      qscaffold init
      qscaffold init --pyproject --dir db/migrations
    """
    from .config import find_project, find_pyproject
    from .project import init_project, tool_table_text

    configured, _ = find_project(_cwd())
    nearest = find_pyproject(_cwd())
    offer = configured is None and nearest is not None
    if offer and add_table is None and sys.stdin.isatty() and sys.stdout.isatty():
        add_table = click.confirm(f"Add [tool.qscaffold] to {_display_path(str(nearest))}?", default=True)
    result = init_project(migrations_dir=migrations_dir, add_table=bool(add_table))
    folder = _display_path(str(result.migrations_dir))
    if result.added_table:
        click.echo(f"Added [tool.qscaffold] to {_display_path(str(result.pyproject))}")
    if result.created_folder:
        click.echo(f"Created {folder}/")
    else:
        count = sum(1 for p in result.migrations_dir.iterdir() if p.suffix in (".py", ".sql"))
        click.echo(f"{folder}/ already exists ({count} file(s)); nothing changed")
    if offer and not result.added_table:
        click.echo(f"\n{_display_path(str(nearest))} has no [tool.qscaffold] table; add it (or run "
                   "`qscaffold init --pyproject`) so that commands find these paths from any subfolder:\n")
        click.echo(tool_table_text(), nl=False)
    click.echo("\nNext steps:")
    for command, what in (("qscaffold new create-users-table --column email:TEXT", "write the first migration"),
                          ("qscaffold lint", "check it without running it"),
                          ("qscaffold migrate up", f"apply it to {_display_path(result.database)}")):
        click.echo(f"  {command:<54}{what}")


def _cwd():
    from pathlib import Path

    return Path.cwd()


# -- new --------------------------------------------------------------------------------


@main.command()
@click.argument("name")
@click.option("--pattern", type=click.Choice(["table", "column", "index", "data", "drop-column"]),
              default=None, help="Template to use [default: inferred from NAME, else data].")
@click.option("--table", default=None, metavar="T", help="Table the migration works on.")
@click.option("--column", "columns", multiple=True, metavar="NAME[:TYPE [constraints]]",
              help='A column: email, email:TEXT, "uses INTEGER NOT NULL DEFAULT 0" (type TEXT when '
                   "none is given; SQLite checks it); repeat for several.")
@click.option("--dir", "migrations_dir", metavar="DIR", default=None, cls=SettingOption,
              setting="migrations_dir",
              help="Migrations folder (env QSCAFFOLD_MIGRATIONS, [tool.qscaffold] migrations_dir).")
@click.option("--database", metavar="PATH", default=None,
              help="Read the current schema from this database (read-only) instead of "
                   "replaying the migrations' SQL in memory.")
@click.option("--dry-run", is_flag=True, help="Print the file instead of writing it.")
@click.option("--target-sqlite", "target", metavar="X.Y.Z", default=None, cls=SettingOption,
              setting="target_sqlite",
              help="Oldest SQLite the migration must run on ([tool.qscaffold] target_sqlite).")
@click.option("--to", "to", metavar="SCHEMA", default=None,
              help="Write the migration that brings the current schema to SCHEMA (a .sql file).")
@click.option("--rename", "renames", multiple=True, metavar="OLD=NEW",
              help="With --to: a renamed table (users=accounts) or column (accounts.nick=handle).")
def new(name, pattern, table, columns, migrations_dir, database, dry_run: bool, target, to, renames) -> None:
    """Write the next numbered migration NAME from a template.

    NAME is made kebab-case ("Add API keys table" -> add-api-keys-table). Without --pattern it
    is read like Rails does: add-<col>-to-<table>, create-<t>-table, add-index-on-<t>-<col>,
    drop-<col>-from-<table>; anything else is a data migration. With --to SCHEMA, up() is the
    schema diff from the current schema to SCHEMA and down() the diff back.

    \b
    Examples:
      qscaffold new create-api-keys-table --column key_hash --column "uses INTEGER NOT NULL DEFAULT 0"
      qscaffold new add-email-to-users
      qscaffold new drop-nickname-from-users --dry-run
      qscaffold new tighten-users --to schema.sql --rename users.nick=handle
    """
    from .scaffold import plan_migration

    settings = _settings(migrations_dir=migrations_dir, target_sqlite=target)
    if to is not None or renames:
        _new_declarative(settings, name, to, renames, pattern, table, columns, database, dry_run)
        return
    scaffold = plan_migration(settings, name, pattern=pattern, table=table, columns=columns,
                              database=database)
    if scaffold.inferred:
        click.echo(f"Inferred from NAME: {'; '.join(scaffold.inferred)}", err=True)
    if scaffold.strategy == "rebuild" and scaffold.pattern == "drop-column":
        click.echo(f"Rebuilding {scaffold.table}: {'; '.join(scaffold.notes) or 'native DROP COLUMN is not possible'}",
                   err=True)
    for hint in scaffold.hints:
        click.echo(f"Hint: {hint}", err=True)
    _write_or_show(scaffold, dry_run)


def _write_or_show(scaffold, dry_run: bool) -> None:
    """Print the planned migration (``--dry-run``) or write it, never over an existing file."""
    from .scaffold import write_migration

    if dry_run:
        click.echo(scaffold.text, nl=False)
        return
    path = write_migration(scaffold)
    click.echo(f"Created {_display_path(str(path))}")


def _new_declarative(settings, name, to, renames, pattern, table, columns, database, dry_run) -> None:
    from .declarative import plan_declarative

    if to is None:
        raise click.UsageError("--rename needs --to SCHEMA")
    if pattern or table or columns:
        raise click.UsageError("--to writes the whole difference; leave out --pattern, --table and --column")
    scaffold = plan_declarative(settings, name, to, renames=renames, database=database)
    if scaffold is None:
        click.echo(f"No difference between the current schema and {to}: nothing written.")
        return
    for warning in scaffold.notes:
        click.echo(f"Warning: {warning}", err=True)
    _write_or_show(scaffold, dry_run)


# -- lint, rules ----------------------------------------------------------------------


# the tools whose .sql migrations lint understands (qscaffold/lint/runners.py; kept here so
# that `--help` does not import the linter)
SQL_RUNNERS = ("qscaffold", "goose", "dbmate", "sqlx", "golang-migrate", "diesel", "flyway",
               "sqlite3")


def _check_target(ctx, param, value):
    if value is None:
        return None
    from .lint.model import parse_version

    try:
        parse_version(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--format", "output_format", type=click.Choice(["text", "json", "github", "sarif"]),
              default="text", show_default=True, help="Report format.")
@click.option("--select", default=None, metavar="CODES",
              help="Only these rules: comma-separated codes or prefixes (QS1,QS201).")
@click.option("--ignore", default=None, metavar="CODES",
              help="Never these rules: comma-separated codes or prefixes.")
@click.option("--target-sqlite", "target", metavar="X.Y.Z", default=None, callback=_check_target,
              cls=SettingOption, setting="target_sqlite",
              help="Oldest SQLite the migrations must run on ([tool.qscaffold] target_sqlite).")
@click.option("--dir", "migrations_dir", metavar="DIR", default=None, cls=SettingOption,
              setting="migrations_dir",
              help="Migrations folder checked when no PATH is given (env QSCAFFOLD_MIGRATIONS, "
                   "[tool.qscaffold] migrations_dir).")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, metavar="N",
              help="Processes for folders of 100 files or more (Linux) [default: one per CPU, up to 8].")
@click.option("--no-cache", is_flag=True, help="Neither read nor write .qscaffold_cache/.")
@click.option("--sql-runner", "sql_runner", type=click.Choice(SQL_RUNNERS, case_sensitive=False),
              default=None, help="The tool that runs the .sql migrations: their layout and "
              "transactions [default: sql_runner, else detected per file].")
def lint(paths, output_format: str, select, ignore, target, migrations_dir, jobs: int,
         no_cache: bool, sql_runner) -> None:
    """Check migration files (.py, .sql) or folders without running them.

    With no PATH, the migrations folder is checked. Exit status: 0 when nothing (or only
    info) is found, 1 for any error or warning, 2 for bad usage. select and ignore may also
    be set in [tool.qscaffold].

    \b
    Examples:
      qscaffold lint
      qscaffold lint migrations/007-add-email.py --format json
      qscaffold lint --select QS1,QS201 --target-sqlite 3.35
    """
    from .lint.engine import lint_paths
    from .lint.model import Severity
    from .lint.report import render

    settings = _settings(target_sqlite=target, select=select, ignore=ignore,
                         migrations_dir=migrations_dir, sql_runner=sql_runner)
    findings = lint_paths(paths, settings=settings, jobs=jobs, cache=not no_cache)
    out, err = render(findings, output_format)
    if out:
        click.echo(out, nl=False)
    if err:
        click.echo(err, nl=False, err=True)
    if any(f.severity is not Severity.INFO for f in findings):
        sys.exit(1)


@main.command("rules")
@click.argument("code", required=False)
def rules_command(code) -> None:
    """List every lint rule, the rules of a prefix, or explain one rule.

    \b
    Examples:
      qscaffold rules
      qscaffold rules QS2        the rules whose code starts with QS2
      qscaffold rules QS201      one rule explained, with an example and the fix
    """
    from .lint.registry import all_rules

    rules = all_rules()
    wanted = code.strip().upper() if code is not None else ""
    found = rules.get(wanted)
    if found is not None:
        click.echo(f"{found.code} {found.name} ({found.severity.value})\n\n{found.summary}\n")
        click.echo(found.explanation)
        return
    listed = [r for r in rules.values() if r.code.startswith(wanted)]
    if not listed:
        raise click.BadParameter(f"unknown rule code {code!r}: no rule code is or starts with it "
                                 "(see `qscaffold rules`)",
                                 param_hint="CODE")
    width = max((len(r.name) for r in listed), default=10)
    for r in listed:
        click.echo(f"{r.code}  {r.name:<{width}}  {r.severity.value:<7}  {r.summary}")


# -- schema ---------------------------------------------------------------------------


@main.group(cls=QscaffoldGroup)
def schema() -> None:
    """Dump a schema, or diff two. A SOURCE is a migrations folder (replayed in memory), a
    SQLite database (read-only) or a .sql file of CREATE statements.

    \b
    Examples:
      qscaffold schema dump data/app.db
      qscaffold schema diff migrations data/app.db
    """


def _write_output(text: str, output) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    from .schema.dump import write_dump

    write_dump(output, text)


@schema.command("dump")
@click.argument("source", required=False)
@click.option("--format", "fmt", type=click.Choice(["sql", "json", "mermaid"]), default="sql",
              show_default=True, help="sql: CREATE statements; json: the model; mermaid: an erDiagram.")
@click.option("-o", "--output", metavar="FILE", default=None, help="Write to FILE instead of stdout.")
def schema_dump(source, fmt: str, output) -> None:
    """Print the schema of SOURCE [default: the migrations folder, replayed in memory].

    \b
    Examples:
      qscaffold schema dump
      qscaffold schema dump data/app.db --format mermaid -o schema.md
    """
    from .schema.dump import dump_source

    settings = _settings()
    if source is None:
        source = str(settings.migrations_dir)
    _write_output(dump_source(source, fmt, settings=settings), output)


@schema.command("diff")
@click.argument("from_source", metavar="FROM")
@click.argument("to_source", metavar="TO")
@click.option("--rename", "renames", multiple=True, metavar="OLD=NEW",
              help="A renamed table (users=accounts) or column (accounts.nick=handle); repeatable.")
@click.option("--target-sqlite", "target", metavar="X.Y.Z", default=None, callback=_check_target,
              cls=SettingOption, setting="target_sqlite",
              help="Oldest SQLite the SQL must run on ([tool.qscaffold] target_sqlite).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON object.")
def schema_diff(from_source, to_source, renames, target, as_json: bool) -> None:
    """Print the SQL that turns FROM into TO, keeping every row.

    Exit status: 0 the same, 1 they differ (the drift check: qscaffold schema diff
    migrations data/app.db), 2 bad input.

    \b
    Examples:
      qscaffold schema diff migrations data/app.db
      qscaffold schema diff data/app.db schema.sql --rename users=accounts
    """
    from .config import parse_version
    from .schema.diff import diff_paths

    settings = _settings(target_sqlite=target)
    try:
        plan = diff_paths(from_source, to_source, renames=renames,
                          target=parse_version(settings.target_sqlite), settings=settings)
    except QscaffoldError as err:
        if not as_json:
            raise
        _echo_json({"error": str(err)})
        sys.exit(err.exit_code)
    if as_json:
        _echo_json(plan.to_dict())
    else:
        for warning in plan.warnings:
            click.echo(f"Warning: {warning}", err=True)
        click.echo(plan.to_sql(), nl=False)
    if not plan.same:
        sys.exit(1)


# -- migrate --------------------------------------------------------------------------


@main.group(cls=QscaffoldGroup)
def migrate() -> None:
    """Apply, roll back and inspect migrations on a database.

    \b
    Examples:
      qscaffold migrate status
      qscaffold migrate up
      qscaffold migrate down --yes
    """


def database_options(func):
    """--database, --dir and --timeout, shared by every migrate subcommand.

    Several databases (``--database`` repeated, a quoted glob, ``--databases-from``) run the
    command on each of them, for the commands marked by :func:`fleet_options`.
    """

    @click.option("--database", "databases", metavar="PATH", multiple=True, cls=SettingOption,
                  setting="database",
                  help="SQLite database file, :memory: or dqlite://HOST:PORT/NAME; repeat it, or give a "
                       "quoted glob ('tenants/*.db'), for several (env QSCAFFOLD_DATABASE, "
                       "[tool.qscaffold] database).")
    @click.option("--dir", "migrations_dir", metavar="DIR", default=None, cls=SettingOption,
                  setting="migrations_dir",
                  help="Migrations folder (env QSCAFFOLD_MIGRATIONS, [tool.qscaffold] migrations_dir).")
    @click.option("--timeout", "busy_timeout", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
                  cls=SettingOption, setting="busy_timeout",
                  help="How long to wait for another process's lock ([tool.qscaffold] busy_timeout).")
    @functools.wraps(func)
    def wrapper(databases, migrations_dir, busy_timeout, databases_from=None, jobs=0, fail_fast=False,
                **kwargs):
        if kwargs.get("as_json"):
            _json_pending()
        several = databases_from is not None or len(databases) > 1
        settings = _settings(database=None if several or not databases else databases[0],
                             migrations_dir=migrations_dir)
        if not several and set("*?[") & set(settings.database):
            from .fleet import is_pattern

            several = is_pattern(settings.database)
            databases = databases or (settings.database,)
        timeout = settings.busy_timeout if busy_timeout is None else busy_timeout
        if several:
            command = getattr(func, "fleet_command", None)
            if command is None:
                raise click.UsageError(f"migrate {func.__name__} works on one database at a time")
            return _run_fleet(command, databases, databases_from, settings, timeout, jobs, fail_fast, kwargs)
        from .runner import MigrationRunner

        with MigrationRunner(settings.database, settings.migrations_dir, busy_timeout=timeout,
                             metadata_table=settings.metadata_table,
                             history_table=settings.history_table) as runner:
            try:
                return func(runner, **kwargs)
            except KeyboardInterrupt:
                _interrupted(runner)


    return wrapper


def fleet_options(command: str):
    """--databases-from, --jobs and --fail-fast: the command also runs on many databases."""

    def decorate(func):
        func.fleet_command = command
        func = click.option("--fail-fast", is_flag=True,
                            help="With several databases: start no more after the first failure.")(func)
        func = click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, metavar="N",
                            help="With several databases: how many at once, in separate processes "
                                 "[default: one per CPU, up to 8].")(func)
        func = click.option("--databases-from", metavar="FILE",
                            help="Run on every database listed in FILE (one path a line; - for stdin).")(func)
        return func

    return decorate


def _run_fleet(command, databases, databases_from, settings, timeout, jobs, fail_fast, kwargs) -> None:
    """One command on many databases: a line each as they finish, then the summary."""
    from .fleet import expand_databases, run_fleet

    as_json = kwargs.pop("as_json", False)
    if as_json:
        _json_pending(command=command)
    paths = expand_databases(databases, databases_from=databases_from)
    dry_run = bool(kwargs.get("dry_run"))
    options = dict(kwargs)
    if command in ("down", "stamp"):
        yes = options.pop("yes")
        what = ("Roll back " + (f"every migration above version {options['to']}" if options.get("to") is not None
                                else f"the newest {options.get('steps') or 1} migration(s)")
                if command == "down" else f"Record version {options['version']} as current")
        if not dry_run:
            _confirm(yes, f"{what} on {len(paths):,} databases?", f"{what} on {len(paths):,} databases")
    if command == "down":
        options["backup"] = not options.pop("no_backup")
    from .console import Lines
    from .progress import progress_for

    progress = progress_for(not as_json, lock_timeout=timeout)
    shown = {"status": lambda r: r.outcome != "current"}.get(command, lambda r: True)
    lines = Lines(click.echo)  # a closed pipe stops the lines, not the databases still running
    done = 0

    def on_result(result) -> None:
        nonlocal done
        done += 1
        if not as_json and shown(result):
            if progress:
                progress.clear()
            lines(result.line(dry_run=dry_run))
        if progress:
            progress.count(f"{done:,}/{len(paths):,} databases done")

    try:
        report = run_fleet(command, paths, settings.migrations_dir, jobs=jobs, fail_fast=fail_fast,
                           busy_timeout=timeout, metadata_table=settings.metadata_table,
                           history_table=settings.history_table, on_result=on_result, **options)
    finally:
        if progress:
            progress.close()
    if as_json:
        _echo_json(report.to_dict())
    else:
        for result in report.results:
            if result.outcome == "not started":
                click.echo(result.line())
        click.echo(report.summary())
    if not report.ok:
        failed = len(report.failed)
        raise QscaffoldError(f"{failed:,} of {len(paths):,} database(s) failed" if failed
                             else "stopped after a failure (--fail-fast)")


def _interrupted(runner) -> None:
    """Ctrl-C: the migration in progress was rolled back by its transaction; say where the
    database stands (read from it, so it is true whatever moment the signal hit) and exit 130."""
    try:
        where = f"the database is at version {runner.get_current_version()}"
    except (QscaffoldError, KeyboardInterrupt):
        where = "the database could not be read afterwards"
    ctx = click.get_current_context()
    pending = ctx.meta.pop(JSON_PENDING, None)
    if pending is not None:
        _echo_json({**pending, "error": "interrupted", "exit_code": 130})
    click.echo(f"Interrupted: {where}; a migration is applied whole or not at all "
               "(the one in progress was rolled back).", err=True)
    sys.exit(130)


def _display_path(path: str) -> str:
    import os

    if "://" in path:  # a server's URL
        return path
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def _result_line(result, *, dry_run: bool) -> str:
    if result.skipped:
        return f"  - Skipped v{result.version}: {result.name} (applied by another process)"
    verb = {"up": "Applied", "down": "Rolled back"}[result.direction]
    if dry_run:
        verb = {"up": "Would apply", "down": "Would roll back"}[result.direction]
    detail = f" -> {result.detail}" if result.detail is not None else ""
    ms = result.duration_ms
    took = f"{ms:.1f} ms" if ms < 10 else f"{ms:.0f} ms"
    return f"  ✓ {verb} v{result.version}: {result.name} ({took}){detail}"


def _json_results(runner, dry_run: bool):
    """For --json: each result joins the report a failure still prints."""
    report = _json_pending(database=runner.database, dry_run=dry_run, results=[])
    return lambda result: report["results"].append(result.to_dict())


class _json_version_on_error:
    """For --json: a failed run's report says which version the database stays at."""

    def __init__(self, runner, as_json: bool) -> None:
        self.runner, self.as_json = runner, as_json

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if self.as_json and isinstance(exc, QscaffoldError):
            try:
                _json_pending(current_version=self.runner.get_current_version())
            except QscaffoldError:
                pass
        return False


@migrate.command()
@database_options
@fleet_options("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
def status(runner, as_json: bool) -> None:
    """Show the current version and every migration as applied or pending.

    \b
    Examples:
      qscaffold migrate status
      qscaffold migrate status --json --database data/prod.db
    """
    report = runner.status()
    exists = runner.database_exists
    if as_json:
        _echo_json({**report.to_dict(), "database_exists": exists})
        if report.problems:
            sys.exit(1)  # what `up` would refuse: a deploy pipeline must see it
        return
    rule = "=" * 33
    missing_note = "" if exists else " (does not exist yet; `qscaffold migrate up` creates it)"
    lines = [rule, "Database Migration Status", rule, "",
             f"Database: {_display_path(report.database)}{missing_note}",
             f"Current schema version: {report.current_version}", "", "Available migrations:", ""]
    if not report.migrations:
        lines.append(f"  (none in {_display_path(report.migrations_dir)})")
    for m in report.migrations:
        marks = []
        if m.current:
            marks.append("current")
        if m.adopted:
            marks.append("adopted")
        if m.modified:
            marks.append("MODIFIED since applied")
        if m.out_of_order:
            marks.append("OUT OF ORDER")
        suffix = f" ({', '.join(marks)})" if marks else ""
        if m.state == "missing":
            lines.append(f"  ✗ Missing v{m.version}: {m.name} (file not found){suffix}")
        elif m.state == "applied":
            sign = "✗" if m.modified else "✓"
            lines.append(f"  {sign} Applied v{m.version}: {m.name}{suffix}")
        else:
            if m.error:
                marks.append("DOES NOT LOAD")
                suffix = f" ({', '.join(marks)})"
            sign = "✗" if m.out_of_order or m.error else "○"
            lines.append(f"  {sign} Pending v{m.version}: {m.name}{suffix}")
    lines += ["", "-" * 33, f"Applied: {len(report.applied)}", f"Pending: {len(report.pending)}"]
    missing = sum(m.state == "missing" for m in report.migrations)
    if missing:
        lines.append(f"Missing: {missing}")
    lines.append(rule)
    click.echo("\n".join(lines))
    for problem in report.problems:
        click.echo(f"Problem: {problem}", err=True)
    if report.problems:
        sys.exit(1)


@migrate.command()
@database_options
@fleet_options("up")
@click.option("--to", "to", type=click.IntRange(min=0), default=None, metavar="V",
              help="Stop after version V.")
@click.option("--steps", type=click.IntRange(min=1), default=None, metavar="N",
              help="Apply at most N migrations.")
@click.option("--dry-run", is_flag=True,
              help="Run the migrations on a copy and report; the database is not changed.")
@click.option("--single-transaction", is_flag=True,
              help="Apply every pending migration in one transaction: all or nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def up(runner, to, steps, dry_run: bool, single_transaction: bool, as_json: bool) -> None:
    """Apply pending migrations, one transaction each (or all in one: --single-transaction).

    \b
    Examples:
      qscaffold migrate up
      qscaffold migrate up --to 4          (or --steps 2)
      qscaffold migrate up --dry-run       run on a copy, change nothing
      qscaffold migrate up --single-transaction     all or nothing
      qscaffold migrate up --database 'tenants/*.db'  every tenant, in parallel
    """
    if dry_run and not as_json:
        click.echo(f"Dry run on a copy of {_display_path(runner.database)}: nothing will be saved.")
    with _progress(runner, as_json) as (on_result, on_event), _json_version_on_error(runner, as_json):
        results = runner.run_migrations(to=to, steps=steps, dry_run=dry_run,
                                        single_transaction=single_transaction,
                                        on_result=on_result(dry_run), on_event=on_event)
    version = runner.get_current_version()
    if as_json:
        _echo_json({"database": runner.database, "dry_run": dry_run, "current_version": version,
                    "single_transaction": single_transaction,
                    "results": [r.to_dict() for r in results]})
        return
    applied = [r for r in results if not r.skipped]
    if not results:
        click.echo(f"Database is up to date (version {version}).")
    elif dry_run:
        click.echo(f"{len(applied)} migration(s) would apply; the database stays at version {version}.")
    else:
        click.echo(f"Applied {len(applied)} migration(s); schema version is now {version}.")


@contextlib.contextmanager
def _progress(runner, as_json: bool):
    """``(on_result, on_event)`` for the runner: result lines on stdout (with --json, the
    results join the report a failure still prints) and, on a terminal, a progress line on
    stderr (see :mod:`qscaffold.progress`)."""
    from .console import Lines
    from .progress import progress_for

    progress = progress_for(not as_json, lock_timeout=runner.busy_timeout)

    def on_result(dry_run: bool):
        if as_json:
            return _json_results(runner, dry_run)
        say = Lines(click.echo)  # a closed pipe stops the lines, not the run

        def echo(result) -> None:
            if progress is not None:
                progress.clear()
            say(_result_line(result, dry_run=dry_run))
        return echo

    try:
        yield on_result, (progress.on_event if progress is not None else None)
    finally:
        if progress is not None:
            progress.close()


def _confirm(yes: bool, question: str, what: str) -> None:
    from .runner import require_consent

    if yes:
        return
    if sys.stdin.isatty():
        if click.confirm(question, default=False):
            return
        raise click.Abort()
    require_consent(False, what)


@migrate.command()
@database_options
@fleet_options("down")
@click.option("--steps", type=click.IntRange(min=1), default=None, metavar="N",
              help="Roll back the newest N migrations [default 1].")
@click.option("--to", "to", type=click.IntRange(min=0), default=None, metavar="V",
              help="Roll back every migration above version V.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--no-backup", is_flag=True, help="Do not copy the database first.")
@click.option("--dry-run", is_flag=True,
              help="Run the rollback on a copy and report; the database is not changed.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def down(runner, steps, to, yes: bool, no_backup: bool, dry_run: bool, as_json: bool) -> None:
    """Roll back the newest migration (or --steps N, or --to V).

    Asks for confirmation unless --yes, and copies the database next to itself first
    unless --no-backup.

    \b
    Examples:
      qscaffold migrate down
      qscaffold migrate down --to 3 --yes
      qscaffold migrate down --steps 2 --dry-run
    """
    plan = runner.plan_rollback(steps=steps, to=to)
    if not plan:
        if as_json:
            _echo_json({"database": runner.database, "dry_run": dry_run,
                        "current_version": runner.get_current_version(), "backup": None, "results": []})
        else:
            click.echo("Nothing to roll back (version 0).")
        return
    names = ", ".join(f"v{m.version}" for m in plan)
    backup = None
    if not dry_run:
        _confirm(yes, f"Roll back {names} on {_display_path(runner.database)}?",
                 f"Rolling back {names} on {_display_path(runner.database)}")
        if not no_backup and not runner.in_memory:
            backup = runner.backup()
            if as_json:
                _json_pending(backup=str(backup))
            else:
                click.echo(f"Backup written to {_display_path(str(backup))}")
    with _progress(runner, as_json) as (on_result, on_event), _json_version_on_error(runner, as_json):
        results = runner.rollback(steps=steps, to=to, dry_run=dry_run,
                                  on_result=on_result(dry_run), on_event=on_event)
    version = runner.get_current_version()
    if as_json:
        _echo_json({"database": runner.database, "dry_run": dry_run, "current_version": version,
                    "backup": str(backup) if backup else None,
                    "results": [r.to_dict() for r in results]})
    elif dry_run:
        click.echo(f"{len(results)} migration(s) would roll back; the database stays at version {version}.")
    else:
        click.echo(f"Rolled back {len(results)} migration(s); schema version is now {version}.")


@migrate.command()
@database_options
@click.option("--json", "as_json", is_flag=True, help="Print the history as one JSON object.")
def history(runner, as_json: bool) -> None:
    """List the applied migrations, with when each was applied and how long it took.

    Read from the database's migration_history table; the migration files are not needed.

    \b
    Examples:
      qscaffold migrate history
      qscaffold migrate history --json --database data/prod.db
    """
    exists = runner.database_exists
    state = runner.read_state()
    rows = [state.history[v] for v in sorted(state.history)]
    adopted = state.adopted_up_to
    if as_json:
        _echo_json({"database": runner.database, "database_exists": exists,
                    "current_version": state.current_version, "adopted_up_to": adopted,
                    "migrations": [{"version": r.version, "name": r.name, "applied_at": r.applied_at,
                                    "duration_ms": r.duration_ms, "checksum": r.checksum} for r in rows]})
        return
    where = _display_path(runner.database)
    if not exists:
        click.echo(f"Database: {where} (does not exist yet): nothing applied.")
        return
    click.echo(f"Database: {where} (version {state.current_version})")
    if adopted:
        click.echo(f"  v1-v{adopted}: applied before migration_history was kept (adopted)")
    if not rows and not adopted:
        click.echo("  (nothing applied)")
    width = max((len(str(r.version)) for r in rows), default=1)
    for r in rows:
        mark = "  (current)" if r.version == state.current_version else ""
        click.echo(f"  v{r.version:<{width}}  {r.applied_at}  {r.duration_ms:>7} ms  {r.name}{mark}")
    if rows:
        total = sum(r.duration_ms for r in rows)
        click.echo(f"{len(rows)} migration(s) in the history; {total} ms in all.")


@migrate.command()
@database_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the repaired versions as JSON.")
def repair(runner, yes: bool, as_json: bool) -> None:
    """Accept edits to applied migration files by recording their new checksums.

    \b
    Examples:
      qscaffold migrate repair             lists the edited files and asks
      qscaffold migrate repair --yes
    """
    edited = [m for m in runner.status().migrations if m.modified]
    if not edited:
        if as_json:
            _echo_json({"repaired": []})
        else:
            click.echo("Nothing to repair: every applied file matches its checksum.")
        return
    names = ", ".join(m.file for m in edited)
    _confirm(yes, f"Record new checksums for {names}?", f"Repairing checksums of {names}")
    repaired = runner.repair()
    if as_json:
        _echo_json({"repaired": [{"version": f.version, "file": f.filename, "checksum": f.checksum}
                                 for f in repaired]})
        return
    for f in repaired:
        click.echo(f"  ✓ Recorded new checksum for v{f.version}: {f.filename}")
    click.echo(f"Repaired {len(repaired)} migration(s).")


@migrate.command()
@database_options
@fleet_options("verify")
@click.option("--fresh", is_flag=True,
              help="Verify on an empty in-memory database instead of a copy of the database.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as one JSON object.")
def verify(runner, fresh: bool, as_json: bool) -> None:
    """Run every migration up, down and up again on a scratch copy and check the schema.

    After each step the copy must pass integrity_check and foreign_key_check, and down must
    give back exactly the schema from before up. Migrations already applied in the copy are
    rolled back newest first, then every migration gets its round trip right after its up.
    The database itself is only read.

    \b
    Examples:
      qscaffold migrate verify
      qscaffold migrate verify --fresh --json
    """
    from .progress import progress_for
    from .verify import FAILED, NOT_CHECKED, verify as verify_migrations

    progress = progress_for(not as_json, lock_timeout=runner.busy_timeout)
    on_check = None
    if progress is not None:
        def on_check(migration, steps):
            progress.running(f"checking v{migration.version}: {migration.filename} ({steps})")
    try:
        if as_json:
            report = verify_migrations(runner, fresh=fresh, on_check=on_check)
            _echo_json(report.to_dict())
        else:
            applied = 0 if fresh else len(runner.check().applied)
            where = ("an empty in-memory database" if fresh
                     else f"a copy of {_display_path(runner.database)} (version {runner.get_current_version()})")
            click.echo(f"Verifying {_display_path(str(runner.migrations_dir))} on {where}: nothing will be saved.")
            if applied:
                click.echo(f"The {applied} applied migration(s) are rolled back newest first, then "
                           "every migration runs up, down, up.")

            def show(v) -> None:  # each verdict as soon as it is known
                if progress is not None:
                    progress.clear()
                sign = {FAILED: "✗", NOT_CHECKED: "-"}.get(v.status, "✓")
                click.echo(f"  {sign} v{v.version}: {v.name} ({v.file}) {v.status}")
                for problem in v.problems:
                    click.echo(f"      {problem}")

            report = verify_migrations(runner, fresh=fresh, on_check=on_check, on_verdict=show)
            for problem in report.problems:
                click.echo(f"  ✗ {problem}")
            counts = {s: sum(v.status == s for v in report.verdicts) for s in ("passed", FAILED, NOT_CHECKED)}
            click.echo(f"Passed: {counts['passed']}  Failed: {counts[FAILED]}  "
                       f"Not checked: {counts[NOT_CHECKED]}")
    finally:
        if progress is not None:
            progress.close()
    if not report.passed:
        failed = len(report.failed)
        folder = _display_path(report.migrations_dir)
        raise QscaffoldError(f"{folder}: {failed} of {len(report.verdicts)} migration(s) failed verification"
                      if failed else f"{folder}: verification failed: {report.problems[0]}")


@migrate.command()
@click.argument("version", type=click.IntRange(min=0), metavar="VERSION")
@database_options
@fleet_options("stamp")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def stamp(runner, version: int, yes: bool, as_json: bool) -> None:
    """Record VERSION as the current version without running any migration.

    For adopting a database that already has the schema (0 means nothing applied). Files up
    to VERSION are recorded as applied; history above it is removed. Asks unless --yes.

    \b
    Examples:
      qscaffold migrate stamp 3 --yes
      qscaffold migrate stamp 0 --yes      nothing applied
    """
    runner.plan_stamp(version)
    before = runner.read_state()
    removed = sorted(v for v in before.history if v > version)
    where = _display_path(runner.database)
    _confirm(yes, f"Record version {version} as current on {where} without running anything?",
             f"Stamping {where} at version {version}")
    marked = runner.stamp(version)
    if as_json:
        _echo_json({"database": runner.database, "previous_version": before.current_version,
                    "current_version": version, "marked": [f.version for f in marked],
                    "removed": removed})
        return
    for f in marked:
        click.echo(f"  ✓ Marked v{f.version} as applied: {f.filename}")
    for v in removed:
        click.echo(f"  - Removed history of v{v}")
    click.echo(f"Stamped version {version} (was {before.current_version}); nothing was run.")
