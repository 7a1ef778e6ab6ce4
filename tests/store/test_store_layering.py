"""Layering the import contracts cannot see: TinyDB stays in one engine module, and features
reach the engine and each other only through public names (no private imports, no vault, no raw TinyDB)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "store"
# What a feature must never touch: the engine's internals behind Session and Repository.
ENGINE_INTERNALS = {"vault", "db", "data_key", "_read_table", "_tables", "_aad", "clear_cache", "_table"}


def _modules(folder: Path) -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(folder.rglob("*.py"))]


def _imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def test_only_one_engine_module_imports_tinydb() -> None:
    importers = [
        path.relative_to(ROOT).as_posix()
        for path, tree in _modules(ROOT / "store") + _modules(ROOT / "content")
        if any(module.split(".")[0] == "tinydb" for module, _ in _imports(tree))
    ]
    assert importers == ["store/engine/db.py"]


def test_features_use_only_the_engines_public_api() -> None:
    problems = []
    for path, tree in _modules(STORE):
        if path.is_relative_to(STORE / "engine"):
            continue
        where = path.relative_to(ROOT).as_posix()
        own = "safedesk.store." + path.relative_to(STORE).parts[0]
        for module, names in _imports(tree):
            # The engine's private names, and another feature's, are off limits.
            if module.startswith("safedesk.store.") and not module.startswith(own):
                problems += [f"{where} imports {module}.{name}" for name in names if name.startswith("_")]
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ENGINE_INTERNALS:
                problems.append(f"{where}:{node.lineno} uses .{node.attr}")
    assert problems == []
