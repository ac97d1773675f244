"""A real dqlite cluster on 127.0.0.1 for the tests: ``dqlite-demo`` nodes (Debian's go-dqlite)
on free ports, each in its own folder, started and stopped by the test-suite."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEMO = "dqlite-demo"


def why_not() -> str | None:
    """Why the cluster tests cannot run here, or None."""
    if sys.version_info < (3, 13):
        return ("dqlite tests need Python >= 3.13 (the dqlite-dbapi client); .ci/run runs them "
                "in a 3.13 venv with pip install -e '.[test,dqlite]'")
    try:
        import dqliteclient  # noqa: F401
    except ImportError:
        return "dqlite tests need the dqlite client: pip install -e '.[test,dqlite]'"
    if shutil.which(DEMO) is None:
        return "dqlite tests need dqlite-demo: apt-get install -y go-dqlite"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Node:
    db: str  # the address dqlite replicates on and clients connect to
    api: str
    folder: Path
    process: subprocess.Popen | None = None


class Cluster:
    """``size`` voting nodes; ``url(name)`` is a qscaffold ``dqlite://`` URL."""

    def __init__(self, root: Path, size: int = 3) -> None:
        self.root = root
        self.nodes = [Node(f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}", root / f"node{i}")
                      for i in range(1, size + 1)]
        self.ready_seconds: float | None = None

    def url(self, name: str, *nodes: Node) -> str:
        return f"dqlite://{','.join(n.db for n in (nodes or self.nodes))}/{name}"

    def start(self, timeout: float = 30.0) -> "Cluster":
        started = time.monotonic()
        first = self.nodes[0]
        for node in self.nodes:
            node.folder.mkdir(parents=True, exist_ok=True)
            argv = [DEMO, "--api", node.api, "--db", node.db, "--dir", str(node.folder)]
            if node is not first:
                argv += ["--join", first.db]
            log = open(node.folder / "node.log", "ab")
            node.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
            log.close()
            if node is first:
                self._wait(lambda: self._voters() >= 1, timeout, started)
        self._wait(lambda: self._voters() == len(self.nodes), timeout, started)
        self.ready_seconds = time.monotonic() - started
        return self

    def _wait(self, ready, timeout: float, started: float) -> None:
        while True:
            try:
                if ready():
                    return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            if time.monotonic() - started > timeout:
                logs = "\n".join((n.folder / "node.log").read_text(errors="replace")[-500:]
                                 for n in self.nodes if (n.folder / "node.log").exists())
                raise RuntimeError(f"the dqlite cluster was not ready in {timeout:g}s:\n{logs}")
            time.sleep(0.1)

    def _client(self, nodes=None):
        from dqliteclient import ClusterClient

        return ClusterClient.from_addresses([n.db for n in (nodes or self.alive())], timeout=2)

    def _voters(self) -> int:
        async def count():
            nodes = await self._client().cluster_info()
            return sum(int(n.role) == 0 for n in nodes)
        return asyncio.run(count())

    def alive(self) -> list[Node]:
        return [n for n in self.nodes if n.process is not None and n.process.poll() is None]

    def leader(self) -> Node:
        async def find():
            return await self._client().find_leader()
        address = asyncio.run(find())
        return next(n for n in self.nodes if n.db == address)

    def kill(self, node: Node) -> None:
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(10)

    def query(self, name: str, sql: str) -> list[tuple]:
        """Rows of ``sql`` on database ``name``, through the leader."""
        async def run():
            conn = await self._client().connect(name, max_elapsed_seconds=30, max_attempts=1000)
            try:
                _, rows = await conn.query_raw(sql)
                return [tuple(r) for r in rows]
            finally:
                await conn.close()
        return asyncio.run(run())

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(node.process.pid, signal.SIGKILL)
                    node.process.wait(10)
