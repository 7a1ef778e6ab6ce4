"""Static checks: ruff (lint and format), mypy and import-linter, as CI runs them.

    python scripts/check.py            every check; exit 1 if any fails
    python scripts/check.py mypy       some of: ruff, format, mypy, imports

The tools come with the `check` extra: python scripts/install_locked.py check.

The project card keeps tui/, store/, screens/ and content/ at the top of the repository and
setuptools maps them into one import package, `safedesk` (package-dir in pyproject.toml). mypy
and import-linter find packages by walking folders, not through the editable install's import
hook, so this script copies the package once into a temporary folder in its installed shape,
points both tools at the copy, and rewrites the copy's paths in their output back to the
repository's, so every message names the file you edit.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ("ruff", "format", "mypy", "imports")
# Outside the package but checked with it: the benchmarks and these scripts import safedesk.
MYPY_EXTRA = (
    "bench",
    "scripts/check.py",
    "scripts/screenshots.py",
    "scripts/build-offline-bundle",
    "scripts/wine_smoke.py",
    "scripts/install_locked.py",
    "scripts/installer/safedesk_setup.py",
)
# The Python module behind each check, to tell "not installed" apart from "failed".
TOOLS = {"ruff": "ruff", "format": "ruff", "mypy": "mypy", "imports": "importlinter"}
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def package_dirs() -> dict[str, Path]:
    """`safedesk` and its mapped subpackages -> their folders in the repository."""
    mapping: dict[str, str] = pyproject()["tool"]["setuptools"]["package-dir"]
    return {name: ROOT / folder for name, folder in mapping.items()}


def lay_out(target: Path) -> dict[Path, Path]:
    """Copy the package into target/safedesk/...; return copy folder -> source folder."""
    origins: dict[Path, Path] = {}
    # Parents first, so a mapped subpackage (safedesk.store) lands inside its parent's copy.
    for name, source in sorted(package_dirs().items(), key=lambda item: item[0].count(".")):
        dest = target.joinpath(*name.split("."))
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)
        origins[dest] = source
    return origins


def run(command: list[str], origins: dict[Path, Path], env: dict[str, str]) -> int:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    # Deepest copies first: target/safedesk/store/... belongs to store/, not tui/store/.
    for copy, source in sorted(origins.items(), key=lambda item: len(str(item[0])), reverse=True):
        output = output.replace(str(copy) + os.sep, os.path.relpath(source, ROOT) + os.sep)
        output = output.replace(str(copy), os.path.relpath(source, ROOT))
    sys.stdout.write(output)
    return result.returncode


def import_contracts() -> int:
    """How many import-linter contracts pyproject.toml declares."""
    linter: dict[str, Any] = pyproject().get("tool", {}).get("importlinter", {})
    return len(linter.get("contracts", []))


def command_for(name: str, tmp: Path) -> list[str]:
    python = [sys.executable, "-m"]
    if name == "ruff":
        return [*python, "ruff", "check", "."]
    if name == "format":
        return [*python, "ruff", "format", "--check", "."]
    if name == "mypy":
        # The copy by path (its modules are named safedesk.* from the folder), and the extras beside it.
        # No cache: mypy replays a cached module's errors under the path it had then, and the copy's
        # folder is new on every run, so those messages would name a folder that no longer exists.
        return [*python, "mypy", "--cache-dir", os.devnull, str(tmp / "safedesk"), *MYPY_EXTRA]
    # lint-imports has no `python -m` entry; this is its console script, run by this interpreter.
    # --no-cache: the cache would be written into the checkout.
    return [sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo"]


def main(argv: list[str]) -> int:
    unknown = [name for name in argv if name not in CHECKS]
    if unknown:
        print(f"unknown check {', '.join(unknown)}: choose from {', '.join(CHECKS)}")
        return 2
    wanted = [name for name in CHECKS if name in argv or not argv]
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="safedesk-check-") as folder:
        tmp = Path(folder)
        origins = lay_out(tmp)
        # Only the copy: with the repository on the path, `store` or `tui` would import as top-level names.
        env = dict(os.environ, PYTHONPATH=folder, MYPYPATH=folder)
        for name in wanted:
            command = command_for(name, tmp)
            shown = "lint-imports " + " ".join(command[3:]) if name == "imports" else " ".join(command[2:])
            print(f"== {name}: {shown.replace(folder + os.sep, '')}", flush=True)
            if importlib.util.find_spec(TOOLS[name]) is None:
                print(f"{TOOLS[name]} is not installed here: python -m pip install -e '.[check]'")
                failed.append(name)
                continue
            if name == "imports" and not import_contracts():
                # lint-imports would only say it "could not read any configuration"; the layering
                # is unchecked until contracts exist, and that must not pass quietly.
                print("no import-linter contracts in pyproject.toml ([[tool.importlinter.contracts]]): layering is unchecked")
                failed.append(name)
                continue
            if run(command, origins, env) != 0:
                failed.append(name)
    if failed:
        print(f"checks failed: {', '.join(failed)}")
        return 1
    print(f"all checks passed: {', '.join(wanted)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
