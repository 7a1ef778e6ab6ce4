"""No folder holds more than 20 modules directly (docs/DEVELOPING.md): past that, split it by what
its modules hold, so each folder's name still says what is in it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MOST = 20
# Not the project's own code: tools' caches, virtual environments, build output.
SKIPPED = {"__pycache__", "node_modules", "build", "dist"}


def crowded(root: Path) -> dict[str, int]:
    """Folders below `root` holding more than MOST Python modules directly, with their counts."""
    found: dict[str, int] = {}
    for folder in [root, *root.rglob("*")]:
        parts = folder.relative_to(root).parts
        if not folder.is_dir() or any(p.startswith(".") or p in SKIPPED or p.endswith(".egg-info") for p in parts):
            continue
        if (folder / "pyvenv.cfg").exists():
            continue
        count = sum(1 for f in folder.glob("*.py") if f.name != "__init__.py")
        if count > MOST:
            found[folder.relative_to(root).as_posix() or "."] = count
    return found


def test_no_folder_holds_more_than_twenty_modules() -> None:
    assert crowded(ROOT) == {}


def test_a_crowded_folder_is_found(tmp_path: Path) -> None:
    folder = tmp_path / "area"
    folder.mkdir()
    for n in range(MOST + 1):
        (folder / f"m{n}.py").write_text("")
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "one.py").write_text("")
    assert crowded(tmp_path) == {"area": MOST + 1}
