"""Static checks: ruff (lint and format), mypy and import-linter, as CI runs them.

    python scripts/check.py            every check; exit 1 if any fails
    python scripts/check.py mypy       one of: ruff, format, mypy, imports

The project card keeps tui/, store/, screens/ and content/ at the top of the repository and
setuptools maps them into one import package, `safedesk` (package-dir in pyproject.toml). mypy
and import-linter find packages by walking folders, not through the editable install's import
hook, so this script copies the package once into a temporary folder in its installed shape,
points both tools at the copy, and rewrites the copy's paths in their output back to the
repository's, so every message names the file you edit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def package_dirs() -> dict[str, Path]:
    """`safedesk` and its mapped subpackages -> their folders in the repository."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mapping: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
    return {name: ROOT / folder for name, folder in mapping.items()}


def lay_out(target: Path) -> dict[Path, Path]:
    """Copy the Python files into target/safedesk/...; return copy folder -> source folder."""
    origins: dict[Path, Path] = {}
    # Parents first, so a mapped subpackage (safedesk.store) lands inside its parent's copy.
    for name, source in sorted(package_dirs().items(), key=lambda item: item[0].count(".")):
        dest = target.joinpath(*name.split("."))
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)
        origins[dest] = source
    return origins


def run(command: list[str], origins: dict[Path, Path], env: dict[str, str] | None = None) -> int:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    output = result.stdout + result.stderr
    # Deepest copies first: target/safedesk/store/... belongs to store/, not tui/store/.
    for copy, source in sorted(origins.items(), key=lambda item: len(str(item[0])), reverse=True):
        output = output.replace(str(copy) + os.sep, os.path.relpath(source, ROOT) + os.sep)
    sys.stdout.write(output)
    return result.returncode


def main(argv: list[str]) -> int:
    wanted = set(argv) or {"ruff", "format", "mypy", "imports"}
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="safedesk-check-") as tmp:
        origins = lay_out(Path(tmp))
        env = dict(os.environ, PYTHONPATH=tmp, MYPYPATH=tmp)
        checks = {
            "ruff": [sys.executable, "-m", "ruff", "check", "."],
            "format": [sys.executable, "-m", "ruff", "format", "--check", "."],
            "mypy": [sys.executable, "-m", "mypy", "-p", "safedesk"],
            "imports": ["lint-imports"],
        }
        for name, command in checks.items():
            if name not in wanted:
                continue
            print(f"== {name}: {' '.join(command[2:] if command[0] == sys.executable else command)}", flush=True)
            if run(command, origins, env) != 0:
                failed.append(name)
    if failed:
        print(f"checks failed: {', '.join(failed)}")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
