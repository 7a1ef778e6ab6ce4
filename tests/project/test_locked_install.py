"""CI runs against the kit's lock: scripts/install_locked.py installs it, and this environment matches it."""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import importlib.util
import re
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> types.ModuleType:
    loader = importlib.machinery.SourceFileLoader("install_locked", str(ROOT / "scripts" / "install_locked.py"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


locked = _load()


def test_the_installed_libraries_are_the_versions_in_this_pythons_lock() -> None:
    try:
        lock = locked.lock_for_this_python()
    except SystemExit as refusal:
        # A developer's machine the kit is not built for (Linux on ARM, a newer Python): CI and
        # the kit's own platforms always have a lock, and there install_locked.py fails first.
        pytest.skip(str(refusal))
    assert locked.drift(lock) == [], f"run  python scripts/install_locked.py test  in a fresh virtual environment ({lock.name})"


def test_drift_names_every_pin_that_is_not_installed_as_locked(tmp_path: Path) -> None:
    lock = tmp_path / "linux-x86_64-cp311.txt"
    lock.write_text(
        "click==0.0.1 \\\n    --hash=sha256:aaa\n    # via safedesk\n"
        "no-such-library-here==1.0 \\\n    --hash=sha256:bbb\n"
        f"tinydb=={importlib.metadata.version('tinydb')} \\\n    --hash=sha256:ccc\n",
        encoding="utf-8",
    )
    assert locked.drift(lock) == [
        f"click: locked 0.0.1, installed {importlib.metadata.version('click')}",
        "no-such-library-here: locked 1.0, installed nothing",
    ]


def test_a_dependency_the_lock_does_not_pin_is_named(tmp_path: Path) -> None:
    lock = tmp_path / "linux-x86_64-cp311.txt"
    lock.write_text("tinydb==4.9.0 \\\n    --hash=sha256:aaa\n", encoding="utf-8")
    missing = locked.unlocked_dependencies(lock)
    assert "textual" in missing and "tinydb" not in missing and "tzdata" not in missing
    assert locked.unlocked_dependencies(locked.lock_for_this_python()) == []


def test_the_lock_is_installed_hash_checked_then_safedesk_alone_then_the_extras_held_to_it(tmp_path: Path) -> None:
    lock, constraints = tmp_path / "lock.txt", tmp_path / "constraints.txt"
    first, second, third = locked.commands(lock, constraints, ["test"])
    assert first[:4] == [sys.executable, "-m", "pip", "install"]
    assert "--require-hashes" in first and first[-2:] == ["--requirement", str(lock)]
    assert "--no-deps" in second and second[-2:] == ["--editable", str(ROOT)]
    assert third[third.index("--constraint") + 1] == str(constraints)
    assert "pytest>=8" in third and "--require-hashes" not in third
    with pytest.raises(SystemExit, match="no extra named 'nope'"):
        locked.commands(lock, constraints, ["nope"])


def test_readme_and_ci_install_through_the_lock() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"<!-- test-command -->\n```bash\n(.*)\n", readme)
    assert command and command[1] == "python scripts/install_locked.py test && python -m pytest -n auto"
    assert "python scripts/install_locked.py check" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
