"""Output that never stops a deploy: a console that cannot encode a mark gets an ASCII one,
and a closed pipe stops the progress lines, not the migrations.

A Windows console or ``PYTHONIOENCODING=cp1252`` cannot encode ``✓``; before this, ``up``
committed v1, then crashed on the line that said so and left v2 and later unapplied.
"""

from __future__ import annotations

import codecs
import errno
import sys

ERRORS = "qscaffold-ascii"
ASCII = {"✓": "+", "✗": "x", "○": "o", "→": "->", "←": "<-", "…": "...", "—": "--", "–": "-",
         "“": '"', "”": '"', "‘": "'", "’": "'", "•": "*"}


def _ascii_marks(exc: UnicodeError):
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    text = exc.object[exc.start:exc.end]
    return "".join(ASCII.get(ch, "?") for ch in text), exc.end


codecs.register_error(ERRORS, _ascii_marks)


def prepare() -> None:
    """Make stdout and stderr replace what their encoding cannot hold instead of raising."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            reconfigure(errors=ERRORS)
        except (ValueError, OSError):  # a closed or detached stream: nothing to protect
            pass


class Lines:
    """Prints progress lines until the reader goes away (a closed pipe): the work goes on."""

    def __init__(self, echo) -> None:
        self.echo = echo
        self.closed = False

    def __call__(self, text: str) -> None:
        if self.closed:
            return
        try:
            self.echo(text)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            self.closed = True


Progress = Lines  # its first name
