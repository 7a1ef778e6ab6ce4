"""Install SafeDesk for development or CI with exactly the library versions the offline kit ships.

    python scripts/install_locked.py test          the locked libraries, SafeDesk (editable), the test tools
    python scripts/install_locked.py check         the same with the static-check tools
    python scripts/install_locked.py --verify      only compare what is installed with the lock

The kit installs its libraries from scripts/locks/<platform>-cp<XY>.txt with pip
--require-hashes; this does the same for the running Python, so the tests run against the very
versions (and files) the kit carries. pip cannot check hashes and install an editable checkout
in one command, so it runs three: the lock with --require-hashes; SafeDesk itself with --no-deps
(its dependencies are all in the lock); the extra's tools with the lock's pins as constraints, so
resolving them cannot move a locked library. Then it checks every pin is what is installed.

The lock is read, never written: `python scripts/build-offline-bundle --lock` makes it.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.metadata
import importlib.util
import platform
import re
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path) -> ModuleType:
    """A script beside this one, loaded by path (neither is an importable module)."""
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec
    module = importlib.util.module_from_spec(spec)
    # Their dataclasses look their module up by name while being made.
    sys.modules[name] = module
    loader.exec_module(module)
    return module


# The lock's file name and format belong to the kit builder, and the machine's name to the
# kit's installer: reading both from there keeps CI on the file the kit would install.
BUILD = _load("build_offline_bundle", ROOT / "scripts" / "build-offline-bundle")
SETUP = _load("safedesk_setup", ROOT / "scripts" / "installer" / "safedesk_setup.py")


def lock_for_this_python() -> Path:
    """scripts/locks/<platform>-cp<XY>.txt for the running interpreter; SystemExit naming it if it has none."""
    try:
        target = SETUP.target_name(sys.platform, platform.machine(), sysconfig.get_platform())
    except SETUP.Refusal as refusal:
        raise SystemExit(f"install_locked: {refusal}") from None
    lock: Path = BUILD.lock_path(target, f"{sys.version_info[0]}.{sys.version_info[1]}")
    if not lock.is_file():
        raise SystemExit(
            f"install_locked: no lock for this Python ({lock.relative_to(ROOT).as_posix()}); "
            "run  python scripts/build-offline-bundle --lock  or use a Python the kit supports."
        )
    return lock


def drift(lock: Path) -> list[str]:
    """Each pin of the lock that is not what this Python has installed, as "name: locked X, installed Y"."""
    importlib.invalidate_caches()  # pip may have just installed into this environment
    found = []
    pins: dict[str, str] = BUILD.pins(lock)
    for name, version in sorted(pins.items()):
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "nothing"
        if installed != version:
            found.append(f"{name}: locked {version}, installed {installed}")
    return found


def unlocked_dependencies(lock: Path) -> list[str]:
    """pyproject.toml's unconditional dependencies the lock does not pin: the lock is older than them.

    (Those with a marker, tzdata on Windows, are checked per platform by tests/project/test_offline_bundle.py.)
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins: dict[str, str] = BUILD.pins(lock)
    missing = []
    for requirement in project["dependencies"]:
        name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        if name and ";" not in requirement and BUILD.normalise(name[0]) not in pins:
            missing.append(name[0])
    return missing


def extra_requirements(extra: str) -> list[str]:
    """The requirements of one of pyproject.toml's extras ("test", "check")."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras: dict[str, list[str]] = project.get("optional-dependencies", {})
    if extra not in extras:
        raise SystemExit(f"install_locked: pyproject.toml has no extra named {extra!r} (it has: {', '.join(sorted(extras))})")
    return extras[extra]


def commands(lock: Path, constraints: Path, extras: list[str]) -> list[list[str]]:
    """The pip runs, in order: the lock (hash-checked), SafeDesk itself, then each extra held to the lock's pins."""
    pip = [sys.executable, "-m", "pip", "install", "--no-input", "--disable-pip-version-check"]
    runs = [
        [*pip, "--only-binary", ":all:", "--require-hashes", "--requirement", str(lock)],
        [*pip, "--no-deps", "--editable", str(ROOT)],
    ]
    for extra in extras:
        runs.append([*pip, "--constraint", str(constraints), *extra_requirements(extra)])
    return runs


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("extras", nargs="*", help="extras of pyproject.toml to add: test, check")
    parser.add_argument(
        "--verify", action="store_true", help="install nothing; only compare the installed versions with the lock"
    )
    args = parser.parse_args(argv)
    lock = lock_for_this_python()
    missing = unlocked_dependencies(lock)
    if missing:
        print(
            f"install_locked: {lock.name} does not pin {', '.join(missing)} (added to pyproject.toml since it was made); "
            "run  python scripts/build-offline-bundle --lock  and commit the locks.",
            file=sys.stderr,
        )
        return 1
    if not args.verify:
        with tempfile.TemporaryDirectory(prefix="safedesk-locked-") as folder:
            # Constraints carry no hashes (pip would take them for requirements to hash-check):
            # the versions alone, which the first run already installed from hash-checked files.
            constraints = Path(folder) / "constraints.txt"
            pins: dict[str, str] = BUILD.pins(lock)
            constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())), encoding="utf-8")
            for command in commands(lock, constraints, args.extras):
                print("+", " ".join(command), flush=True)
                if subprocess.run(command, stdin=subprocess.DEVNULL).returncode != 0:
                    return 1
    found = drift(lock)
    if found:
        print(f"install_locked: this environment differs from {lock.name}:", file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        print("Run  python scripts/install_locked.py test  in a fresh virtual environment.", file=sys.stderr)
        return 1
    print(f"install_locked: every library is the version in {lock.relative_to(ROOT).as_posix()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
