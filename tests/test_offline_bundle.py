"""The air-gapped installer: build a bundle for this machine, install it with pip offline, run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.skipif(os.name == "nt", reason="install.sh is the macOS/Linux installer")
def test_bundle_installs_and_runs_without_an_index(tmp_path):
    bundle = tmp_path / "bundle"
    # pip builds SafeDesk's wheel inside the source folder (build/, *.egg-info): build from a
    # copy so the checkout stays as it was.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".git", "__pycache__", "build", "*.egg-info", ".*cache", ".hypothesis", "*venv"),
    )
    # Building downloads wheels (the one step that needs the internet, on the build machine).
    build = subprocess.run(
        [sys.executable, str(source / "scripts" / "build-offline-bundle"), "--out", str(bundle), "--current-only"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    assert {p.name for p in bundle.iterdir()} >= {"wheels", "install.sh", "install.ps1", "install.bat", "README.txt"}
    for script in ("install.ps1", "install.bat", "install.sh"):
        assert "--no-index" in (bundle / script).read_text()

    home = tmp_path / "home"
    home.mkdir()
    python_dir = str(Path(shutil.which("python3.11") or sys.executable).resolve().parent)
    env = {
        "HOME": str(home),
        "PATH": os.pathsep.join([str(Path(sys.executable).resolve().parent), python_dir, "/usr/bin", "/bin"]),
        # Any attempt to reach an index would fail loudly: the install must use the bundle alone.
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_NO_CACHE_DIR": "1",
    }
    install = subprocess.run(["sh", str(bundle / "install.sh")], capture_output=True, text=True, env=env, timeout=900)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    launcher = home / ".local" / "bin" / "safedesk"
    version = subprocess.run([str(launcher), "--version"], capture_output=True, text=True, env=env, timeout=120)
    assert version.stdout.startswith("safedesk ")
    search = subprocess.run(
        [str(launcher), "guide", "search", "consent", "--json"], capture_output=True, text=True, env=env, timeout=120
    )
    assert search.returncode == 0, search.stderr
    hits = json.loads(search.stdout)
    assert hits and {"id", "title", "kind", "score", "snippet"} <= set(hits[0])
