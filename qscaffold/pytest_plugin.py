"""pytest plugin: fixtures and ready-made tests for a project's migrations.

Installed with qscaffold (entry point ``pytest11``), so the fixtures are always there:

- ``qscaffold_migrations_dir``: the project's migrations folder (override it in a conftest);
- ``qscaffold_runner``: a :class:`~qscaffold.MigrationRunner` on a fresh temporary database
  file for that folder, nothing applied yet;
- ``migrated_db``: a :class:`~qscaffold.Database` on such a file, at the newest version.

The ready-made tests run when asked for, with ``pytest --qscaffold`` or ``qscaffold_tests =
true`` in the pytest ini settings. They are reported as ``qscaffold::test_migration_files``,
``qscaffold::test_upgrade``, ``qscaffold::test_up_down_consistency[<file>]`` (one per
migration) and ``qscaffold::test_lint``. They find the migrations folder from
``--qscaffold-migrations DIR``, else the ini setting ``qscaffold_migrations``, else qscaffold's
own settings (``QSCAFFOLD_MIGRATIONS``, ``[tool.qscaffold]``, ``migrations/``) read from the
rootdir.

This module is imported by every pytest run where qscaffold is installed: it imports nothing
but pytest at import time.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pytest

_ITEMS_ENABLED = "qscaffold_tests"
_verify_key = pytest.StashKey[object]()
_named_key = pytest.StashKey[list]()  # qscaffold::… node ids given on the command line
_PREFIX = "qscaffold::"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("qscaffold", "qscaffold migration tests")
    group.addoption("--qscaffold", action="store_true", default=False, dest="qscaffold_tests",
                    help="run qscaffold's ready-made migration tests (qscaffold::test_*)")
    group.addoption("--qscaffold-migrations", metavar="DIR", default=None, dest="qscaffold_migrations",
                    help="migrations folder for the qscaffold fixtures and tests")
    parser.addini(_ITEMS_ENABLED, type="bool", default=False,
                  help="run qscaffold's ready-made migration tests in every run")
    parser.addini("qscaffold_migrations", type="string", default="",
                  help="migrations folder for the qscaffold fixtures and tests (relative to the ini file)")


def migrations_dir_for(config: pytest.Config) -> Path:
    """The migrations folder: --qscaffold-migrations, ini ``qscaffold_migrations``, then
    qscaffold's settings as seen from the rootdir."""
    option = config.getoption("qscaffold_migrations", default=None)
    if option:
        return (Path(config.invocation_params.dir) / option).resolve()
    ini = config.getini("qscaffold_migrations")
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return (base / ini).resolve()
    from qscaffold.config import load_settings

    return load_settings(cwd=config.rootpath).migrations_dir


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def qscaffold_migrations_dir(pytestconfig: pytest.Config) -> Path:
    """The migrations folder the qscaffold fixtures use (override it in a conftest)."""
    from qscaffold.errors import QscaffoldError

    try:
        return migrations_dir_for(pytestconfig)
    except QscaffoldError as exc:
        pytest.fail(f"qscaffold_migrations_dir: {exc}", pytrace=False)


@pytest.fixture
def qscaffold_runner(qscaffold_migrations_dir, tmp_path):
    """A MigrationRunner on an empty temporary database file; nothing is applied yet."""
    from qscaffold import MigrationRunner

    runner = MigrationRunner(tmp_path / "qscaffold.db", qscaffold_migrations_dir)
    try:
        yield runner
    finally:
        runner.close()


@pytest.fixture
def migrated_db(qscaffold_runner):
    """A qscaffold.Database on a temporary file with every migration applied."""
    from qscaffold import Database
    from qscaffold.errors import QscaffoldError

    try:
        qscaffold_runner.run_migrations()
    except QscaffoldError as exc:
        pytest.fail(f"migrated_db: the migrations do not apply: {exc}", pytrace=False)
    return Database(qscaffold_runner.connection)


# -- ready-made tests ---------------------------------------------------------------------


class MigrationTestFailure(Exception):
    """A ready-made test failed; the message is the whole report."""


class QscaffoldItem(pytest.Item):
    """One ready-made migration test; it reports a failure as plain sentences."""

    def __init__(self, *, check, migration=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._check = check
        self.migration = migration

    def runtest(self) -> None:
        self._check(self)

    def repr_failure(self, excinfo, style=None):
        from qscaffold.errors import QscaffoldError

        if isinstance(excinfo.value, (MigrationTestFailure, QscaffoldError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"qscaffold::{self.name}"


class QscaffoldCollector(pytest.Collector):
    """The ``qscaffold`` node that holds the ready-made tests."""

    def __init__(self, *, migrations_dir: Path | None, error: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.migrations_dir = migrations_dir
        self.error = error  # the settings could not be read: every check would fail alike

    def collect(self):
        from qscaffold.errors import QscaffoldError
        from qscaffold.files import discover

        def item(name, check, path=None, migration=None):
            # The node id given as a string, so that pytest parses it as it parses the ids
            # in its cache and on its command line ("…[001-x]" holds parameters): --lf,
            # --sw and -k then find these items (pytest 9 compares structured ids).
            return QscaffoldItem.from_parent(self, name=name, nodeid=f"{self.nodeid}::{name}",
                                             check=check, migration=migration,
                                             path=path or self.migrations_dir or self.path)

        if self.error is not None:
            return [item("test_migration_files", _test_migration_files)]
        items = [item("test_migration_files", _test_migration_files), item("test_upgrade", _test_upgrade)]
        try:
            files = discover(self.migrations_dir)
        except QscaffoldError:
            files = []  # test_migration_files reports why
        for migration in files:
            items.append(item(f"test_up_down_consistency[{migration.stem}]", _test_up_down,
                              path=migration.path, migration=migration))
        items.append(item("test_lint", _test_lint))
        return items


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("qscaffold_tests", default=False) or config.getini(_ITEMS_ENABLED))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Take ``qscaffold::…`` node ids off the command line (no file holds them, so pytest
    would stop at "file or directory not found"); the items they name are added later."""
    named = [arg for arg in config.args if arg.startswith(_PREFIX)]
    if named:
        config.stash[_named_key] = named
        config.args[:] = [arg for arg in config.args if not arg.startswith(_PREFIX)]


def _wanted(item, named: list[str]) -> bool:
    """Whether ``item`` is one of the ``qscaffold::…`` ids given (a name without
    ``[…]`` takes every parameter, as pytest does for a function)."""
    return any(item.nodeid == arg or item.nodeid.startswith(arg + "[") for arg in named)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    """Add the ready-made tests (before -k / -m select among all tests)."""
    named = config.stash.get(_named_key, [])
    if not named and not _enabled(config):
        return
    args = config.args
    if not named and args and all("::" in arg for arg in args):
        return  # the run names single tests; these were not among them
    from qscaffold.errors import QscaffoldError

    try:
        folder, error = migrations_dir_for(config), None
    except QscaffoldError as exc:
        folder, error = None, str(exc)
    collector = QscaffoldCollector.from_parent(session, name="qscaffold", nodeid="qscaffold",
                                               migrations_dir=folder, error=error)
    collected = collector.collect()
    if named:
        collected = [item for item in collected if _wanted(item, named)]
        unknown = [arg for arg in named if not any(_wanted(item, [arg]) for item in collected)]
        if unknown:
            raise pytest.UsageError(f"qscaffold: no such test: {unknown[0]} (run pytest --qscaffold "
                                    "--collect-only to list them)")
    # Reported like any collected file, so "collected N items" counts them.
    session.ihook.pytest_collectreport(report=pytest.CollectReport(collector.nodeid, "passed", None, collected))
    items.extend(collected)


def _runner(item: QscaffoldItem, database):
    from qscaffold import MigrationRunner

    return MigrationRunner(database, item.parent.migrations_dir)


def _test_migration_files(item: QscaffoldItem) -> None:
    """File names, versions and modules are consistent: no duplicate, version == number,
    every file loads; a gap in the numbering is a warning."""
    from qscaffold.errors import QscaffoldError
    from qscaffold.files import discover

    folder = item.parent.migrations_dir
    if item.parent.error is not None:
        raise MigrationTestFailure(item.parent.error)
    try:
        files = discover(folder)
    except QscaffoldError as exc:
        raise MigrationTestFailure(str(exc)) from None
    problems = []
    for migration in files:
        try:
            migration.module  # noqa: B018 - imports and checks the file
        except QscaffoldError as exc:
            problems.append(str(exc))
    if problems:
        raise MigrationTestFailure("\n".join(problems))
    versions = [f.version for f in files]
    missing = sorted(set(range(1, max(versions, default=0) + 1)) - set(versions))
    if missing:
        warnings.warn(f"{folder}: no migration with version {', '.join(map(str, missing))} "
                      "(a gap in the numbering)", UserWarning, stacklevel=1)


def _test_upgrade(item: QscaffoldItem) -> None:
    """Every migration applies, in order, on an empty database file."""
    from qscaffold.errors import QscaffoldError

    with tempfile.TemporaryDirectory(prefix="qscaffold-") as folder:
        runner = _runner(item, Path(folder) / "upgrade.db")
        try:
            runner.run_migrations()
        except QscaffoldError as exc:
            raise MigrationTestFailure(f"migrations do not apply on an empty database:\n{exc}") from None
        finally:
            runner.close()


def _verify_report(item: QscaffoldItem):
    """One fresh verification per run, shared by every test_up_down_consistency item."""
    stash = item.config.stash
    if _verify_key not in stash:
        from qscaffold.errors import QscaffoldError
        from qscaffold.verify import verify

        runner = _runner(item, ":memory:")
        try:
            stash[_verify_key] = verify(runner, fresh=True)
        except QscaffoldError as exc:
            stash[_verify_key] = exc
        finally:
            runner.close()
    return stash[_verify_key]


def _test_up_down(item: QscaffoldItem) -> None:
    """up, down, up on a fresh database: down gives back the schema exactly, integrity and
    foreign keys stay intact after each step."""
    report = _verify_report(item)
    migration = item.migration
    if isinstance(report, Exception):
        raise MigrationTestFailure(f"{migration.path.name}: not verified: {report}")
    verdict = report.verdict(migration.version)
    if verdict.passed:
        return
    if verdict.status == "not checked":
        pytest.skip(f"{migration.path.name}: {'; '.join(verdict.problems)}")
    reasons = "\n".join(f"  {p}" for p in verdict.problems)
    raise MigrationTestFailure(
        f"{migration.path}: migration {verdict.version} ({verdict.name}) fails "
        f"the up/down/up round trip:\n{reasons}"
    )


def _test_lint(item: QscaffoldItem) -> None:
    """The shipped lint rules find no error or warning in the migrations folder."""
    try:
        from qscaffold.lint.engine import lint_paths
    except ImportError as exc:
        pytest.skip(f"the qscaffold linter is not available (qscaffold.lint.engine: {exc})")
    from qscaffold.config import load_settings

    folder = item.parent.migrations_dir
    settings = load_settings(cwd=item.config.rootpath, migrations_dir=folder)
    findings = lint_paths([folder], settings=settings)
    failing = [f for f in findings if f.severity.value in ("error", "warning")]  # info never fails
    if failing:
        lines = "\n".join(f"  {f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in failing)
        raise MigrationTestFailure(f"{folder}: qscaffold lint found {len(failing)} problem(s):\n{lines}")
