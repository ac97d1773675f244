"""qscaffold: scaffold, lint and run SQLite schema migrations.

The Python API for application start-up and scripts::

    from qscaffold import initialize_database, MigrationRunner, Database
    db = initialize_database("data/app.db", "migrations")
"""

from .database import Database
from .errors import QscaffoldError
from .runner import MigrationRunner, initialize_database

__version__ = "0.1.0"

__all__ = ["Database", "MigrationRunner", "QscaffoldError", "initialize_database", "__version__"]
