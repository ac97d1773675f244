"""Rule modules, one per family; importing this package registers them all."""
from . import meta  # noqa: F401  (engine and file rules)

from . import alter, columns, design, guards, rebuild, transactions, versions  # noqa: F401
