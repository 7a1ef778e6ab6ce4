"""The offline kit: the committed locks (offline), and, with a package index, a kit built from a
clone that verifies, installs with no index, and is replaced by the next commit's kit."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _load_build() -> types.ModuleType:
    loader = importlib.machinery.SourceFileLoader("build_offline_bundle", str(ROOT / "scripts" / "build-offline-bundle"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name while being made.
    sys.modules[loader.name] = module
    loader.exec_module(module)
    return module


build = _load_build()


def test_a_lock_for_every_target_and_python_pins_every_dependency() -> None:
    dependencies = [
        Requirement(d) for d in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    ]
    for target in build.TARGETS:
        # A dependency with a marker (tzdata only on Windows) belongs only in the locks it applies to.
        platform = {"windows": "win32", "macos": "darwin", "linux": "linux"}[target.split("-")[0]]
        for python in build.PYTHONS.split(","):
            wanted = {
                build.normalise(d.name)
                for d in dependencies
                if d.marker is None or d.marker.evaluate({"sys_platform": platform, "python_version": python})
            }
            lock = build.lock_path(target, python)
            assert lock.is_file(), f"{lock.name}: run python scripts/build-offline-bundle --lock"
            pins = build.pins(lock)
            names = wanted
            assert names <= set(pins), (lock.name, names - set(pins))
            # Every pin carries hashes, or pip --require-hashes would refuse the whole install.
            text = lock.read_text(encoding="utf-8")
            assert text.count("--hash=sha256:") >= len(pins)


def test_the_kit_supports_current_cpython_on_windows() -> None:
    pythons = build.PYTHONS.split(",")
    assert {"3.11", "3.12", "3.13", "3.14"} <= set(pythons)
    assert build.lock_path("windows-x64", "3.14").is_file()


def test_kit_lock_lists_only_the_wheels_in_the_kit(tmp_path: Path) -> None:
    lock = tmp_path / "linux-x86_64-cp311.txt"
    lock.write_text("click==8.1.0 \\\n    --hash=sha256:aaa \\\n    --hash=sha256:bbb\n    # via safedesk\n")
    click = tmp_path / "click-8.1.0-py3-none-any.whl"
    click.write_bytes(b"click")
    safedesk = tmp_path / "safedesk-0.1.1.dev40+gabc-py3-none-any.whl"
    safedesk.write_bytes(b"safedesk")
    text = build.kit_lock(lock, [click], safedesk)
    assert f"click==8.1.0 --hash=sha256:{build.sha256(click)}\n" in text and "aaa" not in text
    assert f"safedesk==0.1.1.dev40+gabc --hash=sha256:{build.sha256(safedesk)}\n" in text
    with pytest.raises(SystemExit, match="no wheel of click==8.1.0"):
        build.kit_lock(lock, [], safedesk)


def test_sums_cover_every_file_with_forward_slashes(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    (tmp_path / "wheels" / "a.whl").write_bytes(b"a")
    (tmp_path / "README.txt").write_text("r")
    sums = build.write_sums(tmp_path).read_text(encoding="utf-8")
    assert (
        sums
        == f"{build.sha256(tmp_path / 'README.txt')}  README.txt\n{build.sha256(tmp_path / 'wheels' / 'a.whl')}  wheels/a.whl\n"
    )


def _git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.strip()


def _build(clone: Path, out: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(clone / "scripts" / "build-offline-bundle"), "--out", str(out), "--current-only"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _offline() -> list[str]:
    """`unshare -n` where this user may make a network namespace: the install then has no network at all."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n"]
    return []


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.skipif(os.name == "nt", reason="install.sh is the macOS/Linux installer")
def test_kit_verifies_installs_offline_and_updates_to_the_next_commit(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    kit = tmp_path / "kit"
    _build(clone, kit)
    names = {p.name for p in kit.iterdir()}
    assert {"wheels", "locks", "setup", "SHA256SUMS", "README.txt", "install.sh", "install.ps1", "install.bat"} <= names
    assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=kit).returncode == 0
    assert "--require-hashes" in (kit / "setup" / "safedesk_setup.py").read_text()

    home = tmp_path / "home"
    records = home / ".local" / "share" / "SafeDesk" / "store"
    records.mkdir(parents=True)
    (records / "safedesk.store").write_bytes(b"the school's records")
    env = {
        "HOME": str(home),
        "PATH": os.pathsep.join([str(Path(sys.executable).resolve().parent), "/usr/bin", "/bin"]),
        # Were an index asked despite --no-index, this one fails loudly.
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
    }

    def install(kit_dir: Path) -> str:
        result = subprocess.run(
            [*_offline(), "sh", str(kit_dir / "install.sh")], capture_output=True, text=True, env=env, timeout=900
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        launcher = home / ".local" / "bin" / "safedesk"
        return subprocess.run([str(launcher), "--version"], capture_output=True, text=True, env=env, check=True).stdout

    first = install(kit)
    assert first.startswith("safedesk ") and f"(commit {_git(clone, 'rev-parse', 'HEAD')})" in first
    app = home / ".local" / "share" / "safedesk-app"
    search = subprocess.run(
        [str(app / "venv" / "bin" / "python"), "-m", "safedesk", "guide", "search", "consent", "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert search.returncode == 0 and json.loads(search.stdout), search.stderr

    _git(clone, "commit", "--quiet", "--allow-empty", "-m", "a later commit")
    later = tmp_path / "kit2"
    _build(clone, later)
    second = install(later)
    assert f"(commit {_git(clone, 'rev-parse', 'HEAD')})" in second and second != first

    removed = subprocess.run(["sh", str(app / "uninstall.sh")], capture_output=True, text=True, env=env, timeout=300)
    assert removed.returncode == 0, removed.stderr
    assert str(records) in removed.stdout
    assert not app.exists() and not (home / ".local" / "bin" / "safedesk").is_symlink()
    assert (records / "safedesk.store").read_bytes() == b"the school's records"
