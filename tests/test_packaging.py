"""The built wheel carries the templates and runs `qscaffold new` without the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = ("table", "column", "index", "data", "drop-column")


@pytest.mark.slow
def test_the_wheel_ships_the_templates_and_new_uses_them(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    if built.returncode != 0 and "hatchling" in built.stderr and "No matching distribution" in built.stderr:
        pytest.skip("the build backend cannot be downloaded here")
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("qscaffold-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for pattern in PATTERNS:
            assert f"qscaffold/templates/{pattern}.py.j2" in names
        assert any(n.endswith("entry_points.txt") for n in names)
        archive.extractall(tmp_path / "site")

    project = tmp_path / "project"
    (project / "migrations").mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    env.pop("QSCAFFOLD_MIGRATIONS", None)
    probe = (
        "import sys, qscaffold\n"
        "assert qscaffold.__file__.startswith(sys.argv[1]), qscaffold.__file__\n"
        "from qscaffold.cli import main\n"
        "main(['new', 'create-widgets-table', '--column', 'label'], prog_name='qscaffold')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "site")], cwd=project, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    written = (project / "migrations" / "001-create-widgets-table.py").read_text()
    assert "CREATE TABLE IF NOT EXISTS widgets" in written and "label TEXT" in written
