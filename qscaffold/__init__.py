"""qscaffold: scaffold, lint and run SQLite schema migrations.

The Python API for application start-up and scripts::

    from qscaffold import initialize_database, MigrationRunner, Database
    db = initialize_database("data/app.db", "migrations")

    from qscaffold import run_fleet, expand_databases     # many databases at once
    report = run_fleet("up", expand_databases(["tenants/*.db"]), "migrations")
"""

__version__ = "0.1.0"

__all__ = ["Database", "MigrationRunner", "QscaffoldError", "expand_databases", "initialize_database",
           "run_fleet", "__version__"]

# The API is imported on first use, so that the command line (which imports this package
# first) starts fast: `qscaffold --help` needs none of it.
_API = {"Database": "database", "QscaffoldError": "errors", "MigrationRunner": "runner",
        "initialize_database": "runner", "run_fleet": "fleet", "expand_databases": "fleet"}

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .database import Database
    from .errors import QscaffoldError
    from .fleet import expand_databases, run_fleet
    from .runner import MigrationRunner, initialize_database


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'qscaffold' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"qscaffold.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
