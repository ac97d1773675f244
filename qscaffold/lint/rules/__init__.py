"""Rule modules, one per family; importing this package registers them all.

A rule's code tells its file:

==========================  =====================================================
``QS0xx``, ``QS9xx``         ``meta.py``: the engine's verdicts and whole-file rules
                             (and the file rules ``QS206``, ``QS207``, ``QS306``,
                             ``QS307``, which read a migration's Python)
``QS101``-``QS105``,         ``alter.py``: ALTER TABLE forms and their version gates
``QS120``, ``QS130``,
``QS140``-``QS143``
``QS109``-``QS119``,         ``columns.py``: adding and dropping columns
``QS131``-``QS134``
``QS121``, ``QS122``,        ``rebuild.py``: renames, table rebuilds and foreign keys
``QS4xx``
``QS2xx``                    ``guards.py``: IF [NOT] EXISTS and fragile statements
``QS3xx``                    ``transactions.py``: what a transaction refuses or ignores
``QS5xx``                    ``versions.py``: syntax and functions newer than the target
``QS6xx``                    ``design.py``: table design and other databases' dialects
``QS7xx``                    ``destructive.py``: data thrown away for good
==========================  =====================================================

What several families share lives in ``helpers.py`` (and ``_syntax.py``, the statement
reader); no rule module imports another.
"""
from . import meta  # noqa: F401  (engine and file rules)

from . import (alter, columns, design, destructive, guards, rebuild,  # noqa: F401
               transactions, versions)

# code → module, as the table above says (checked by the tests)
FAMILIES: dict[str, str] = {
    **{c: "meta" for c in ("QS206", "QS207", "QS306", "QS307")},
    **{f"QS{n}": "alter" for n in (101, 102, 103, 104, 105, 120, 130, 140, 141, 142, 143)},
    **{f"QS{n}": "columns" for n in (*range(109, 120), 131, 132, 133, 134)},
    "QS121": "rebuild", "QS122": "rebuild",
}


def module_of(code: str) -> str:
    """The rule module that holds ``code`` (see the table above)."""
    if code in FAMILIES:
        return FAMILIES[code]
    return {"0": "meta", "9": "meta", "2": "guards", "3": "transactions", "4": "rebuild",
            "5": "versions", "6": "design", "7": "destructive"}[code[2]]
