"""`pip install .` adds one import package, `safedesk`, with every data file, and it runs from there;
every library the package imports is one it declares.

The wheel is built from a copy of the sources (a build writes build/ and *.egg-info beside the
sources, and no test writes into the checkout), offline: no build isolation, no index.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGE_DIRS: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


def _pip(*args: str, cwd: Path) -> None:
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    result = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", PYPROJECT["project"]["readme"]):
        shutil.copy2(ROOT / name, source / name)
    for folder in PACKAGE_DIRS.values():
        shutil.copytree(ROOT / folder, source / folder, ignore=IGNORED)
    dist = tmp_path_factory.mktemp("dist")
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", str(dist), str(source), cwd=source)
    (built,) = dist.glob("safedesk-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    _pip("install", "--no-deps", "--no-index", "--target", str(target), str(wheel), cwd=target)
    return target


def _source_files() -> set[str]:
    """Every file the package folders hold, named as it must appear in the wheel."""
    expected: set[str] = set()
    for package, folder in PACKAGE_DIRS.items():
        base = ROOT / folder
        for path in base.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                expected.add("/".join([*package.split("."), *path.relative_to(base).parts]))
    return expected


def test_the_wheel_holds_one_top_level_package_and_every_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    dist_info = {name for name in names if name.split("/")[0].endswith(".dist-info")}
    assert {name.split("/")[0] for name in names - dist_info} == {"safedesk"}
    top_level = next(name for name in dist_info if name.endswith("/top_level.txt"))
    assert zipfile.ZipFile(wheel).read(top_level).decode().split() == ["safedesk"]
    # Python modules, cards, policy texts, coverage and triage tables, every .tcss: a file left
    # out of package-data (or a subpackage missing from `packages`) fails here, not on a laptop.
    missing = sorted(_source_files() - names)
    assert not missing, missing


def _run(installed: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Outside the checkout, with only the installed copy on the path before site-packages, so
    # neither the repository's folders nor the editable install can stand in for it.
    env = dict(os.environ, PYTHONPATH=str(installed))
    return subprocess.run([sys.executable, *args], cwd=installed.parent, env=env, capture_output=True, text=True, timeout=120)


def test_the_installed_package_runs(installed: Path) -> None:
    where = _run(installed, "-c", "import safedesk; print(safedesk.__file__)")
    assert Path(where.stdout.strip()).is_relative_to(installed), where.stdout + where.stderr

    version = _run(installed, "-m", "safedesk", "--version")
    assert version.returncode == 0 and version.stdout.startswith("safedesk "), version.stdout + version.stderr

    search = _run(installed, "-m", "safedesk", "guide", "search", "threat", "--json")
    assert search.returncode == 0, search.stderr
    hits = json.loads(search.stdout)
    assert hits and {"id", "title"} <= set(hits[0])

    shown = _run(installed, "-m", "safedesk", "guide", "show", hits[0]["id"])
    assert shown.returncode == 0, shown.stderr
    assert hits[0]["title"] in shown.stdout


def test_the_console_script_runs(installed: Path) -> None:
    scripts = installed / ("Scripts" if os.name == "nt" else "bin")
    launcher = scripts / ("safedesk.exe" if os.name == "nt" else "safedesk")
    result = subprocess.run(
        [str(launcher), "--version"],
        cwd=installed.parent,
        env=dict(os.environ, PYTHONPATH=str(installed)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout.startswith("safedesk "), result.stdout + result.stderr


def _distribution(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_library_the_package_imports_is_declared() -> None:
    # A library that arrives only as another's dependency (rich through Textual) can change or
    # vanish with that library's next release: whatever the package imports, it declares.
    declared = {_distribution(re.split(r"[\s<>=!~;\[]", requirement)[0]) for requirement in PYPROJECT["project"]["dependencies"]}
    owners = importlib.metadata.packages_distributions()
    undeclared: dict[str, str] = {}
    for folder in PACKAGE_DIRS.values():
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in ("__future__", "safedesk"):
                        continue
                    if not {_distribution(d) for d in owners.get(top, [top])} & declared:
                        undeclared[top] = str(path.relative_to(ROOT))
    assert not undeclared, undeclared
