"""A progress line for long work, drawn on a terminal's stderr by the command line only.

The library reports what it is doing through callbacks (``on_event`` of the runner,
``on_check`` of verify); :class:`Progress` turns them into one line redrawn in place: the
migration that is running with its elapsed time, or, after a second without the write
lock, that another process holds it. Work that ends quickly draws nothing, and pipes,
files and ``--json`` get no progress at all (:func:`progress_for`). ASCII only, so that no
console encoding can break it.
"""

from __future__ import annotations

import sys
import time

# Nothing is drawn for work shorter than this (seconds): fast runs stay quiet.
SHOW_RUNNING_AFTER = 0.5
SHOW_WAITING_AFTER = 1.0
_TICK = 0.1


class Progress:
    """One line on ``stream``, redrawn by a background thread while a state lasts."""

    def __init__(self, stream, *, lock_timeout: float) -> None:
        import threading

        self.stream = stream
        self.lock_timeout = lock_timeout
        self._state: tuple[str, str, float] | None = None  # (kind, text, since)
        self._count_since: float | None = None  # when a count began (see count())
        self._drawn = False
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qscaffold-progress", daemon=True)
        self._thread.start()

    # -- what the work says -----------------------------------------------------------

    def waiting(self, text: str) -> None:
        """About to wait for the database's write lock, for ``text``."""
        self._set(("waiting", text, time.monotonic()))

    def running(self, text: str) -> None:
        """``text`` started."""
        self._set(("running", text, time.monotonic()))

    def count(self, text: str) -> None:
        """A count that keeps rising (a fleet's ``12/300 databases``), with the time since
        the first one; drawn once it has lasted SHOW_RUNNING_AFTER, lines printed in
        between (after :meth:`clear`) do not restart it."""
        now = time.monotonic()
        if self._count_since is None:
            self._count_since = now
        with self._mutex:
            self._state = ("count", text, self._count_since)

    def on_event(self, event: str, migration, direction: str) -> None:
        """The runner's ``on_event`` callback."""
        label = f"{'up' if direction == 'up' else 'down'} v{migration.version}: {migration.filename}"
        if event == "waiting":
            self.waiting(label)
        else:
            self.running(label)

    def clear(self) -> None:
        """Erase the line (before other output is printed) until the next state."""
        self._set(None)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)
        self.clear()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- drawing ----------------------------------------------------------------------

    def _set(self, state) -> None:
        with self._mutex:
            self._state = state
            self._erase()

    def _run(self) -> None:
        while not self._stop.wait(_TICK):
            with self._mutex:
                line = self._line()
                if line is not None:
                    self._write("\r\x1b[K" + line)
                    self._drawn = True

    def _line(self) -> str | None:
        if self._state is None:
            return None
        kind, text, since = self._state
        elapsed = time.monotonic() - since
        if kind == "waiting":
            if elapsed < SHOW_WAITING_AFTER:
                return None
            return (f"  waiting for the database lock held by another process "
                    f"(timeout {self.lock_timeout:g} s): {elapsed:.0f} s")
        if elapsed < SHOW_RUNNING_AFTER:
            return None
        if kind == "count":
            return f"  {text} ({elapsed:.0f} s)"
        return f"  running {text} ({elapsed:.1f} s)"

    def _erase(self) -> None:
        if self._drawn:
            self._write("\r\x1b[K")
            self._drawn = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text.encode("ascii", "replace").decode("ascii"))
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken terminal: progress is optional
            pass


def progress_for(enabled: bool, *, lock_timeout: float, stream=None) -> Progress | None:
    """A :class:`Progress` when ``enabled`` and ``stream`` (stderr) is a terminal, else None."""
    stream = sys.stderr if stream is None else stream
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return Progress(stream, lock_timeout=lock_timeout) if enabled and tty else None
