"""Screens open one another by name through safedesk.router, never by importing each other.

A function-local `from safedesk.screens... import` was how screens used to dodge import cycles;
the router keeps the one lazy import, so none may come back, and the screen modules' own
imports form no cycle. A screen module imports only its own area's forms and dialogs; what
several areas share belongs in safedesk.widgets.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from textual.screen import ModalScreen, Screen

import safedesk
import safedesk.screens
from safedesk.router import OPENERS, SCREENS, opener, screen_class

PACKAGE_DIRS = [Path(safedesk.__file__).parent, Path(safedesk.screens.__file__).parent]


def _sources() -> list[Path]:
    return sorted({p for folder in PACKAGE_DIRS for p in folder.rglob("*.py")})


def _screens_import(node: ast.AST) -> str | None:
    """The safedesk.screens module an import statement names, if any."""
    if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("safedesk.screens"):
        return node.module
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.startswith("safedesk.screens"):
                return alias.name
    return None


def local_screen_imports(source: str) -> list[int]:
    """Line numbers of imports from safedesk.screens made inside a function or method."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            lines += [inner.lineno for inner in ast.walk(node) if _screens_import(inner)]
    return sorted(set(lines))


@pytest.mark.parametrize("name", list(SCREENS))
def test_every_screen_name_resolves_to_a_screen(name: str) -> None:
    assert issubclass(screen_class(name), Screen)


@pytest.mark.parametrize("name", list(OPENERS))
def test_every_opener_resolves_to_a_function_of_the_app(name: str) -> None:
    found = opener(name)
    assert inspect.isfunction(found)
    assert next(iter(inspect.signature(found).parameters)) == "app"


def test_an_unknown_name_fails_loudly() -> None:
    with pytest.raises(KeyError):
        screen_class("no-such-screen")


def test_every_full_screen_is_registered() -> None:
    """A full (non-modal) screen class in safedesk.screens is reachable by name; a base class such as
    PagedForm counts through its registered subclasses."""
    defined: set[type] = set()
    for module in pkgutil.walk_packages(safedesk.screens.__path__, "safedesk.screens."):
        for _, value in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if issubclass(value, Screen) and not issubclass(value, ModalScreen) and value.__module__ == module.name:
                defined.add(value)
    registered = {screen_class(name) for name in SCREENS}
    bases = {base for cls in defined for base in cls.__mro__[1:]}
    assert {cls.__qualname__ for cls in defined - registered - bases} == set()


def test_the_ast_check_finds_a_function_local_import() -> None:
    source = "from safedesk.screens.home import X\ndef f():\n    from safedesk.screens.lock import LockScreen\n"
    assert local_screen_imports(source) == [3]


def test_no_function_local_screen_imports() -> None:
    found = {}
    for path in _sources():
        lines = local_screen_imports(path.read_text(encoding="utf-8"))
        if lines:
            found[str(path)] = lines
    assert found == {}


def foreign_screen_imports(module: str, source: str) -> list[str]:
    """The safedesk.screens modules `module` imports from outside its own area (its package); a
    screen directly in safedesk.screens has no area of its own, so any such import counts."""
    area = module.rpartition(".")[0]
    return sorted(
        target
        for node in ast.walk(ast.parse(source))
        if (target := _screens_import(node)) is not None
        and (area == "safedesk.screens" or not (target == area or target.startswith(area + ".")))
    )


def test_the_area_check_finds_another_areas_import() -> None:
    source = "from safedesk.screens.policy.forms import A\nfrom safedesk.screens.forms.listing import B\n"
    assert foreign_screen_imports("safedesk.screens.policy.builder", source) == ["safedesk.screens.forms.listing"]
    assert foreign_screen_imports("safedesk.screens.home", "import safedesk.screens.lock\n") == ["safedesk.screens.lock"]


def test_no_screen_module_imports_another_areas_module() -> None:
    root = Path(safedesk.screens.__file__).parent
    found = {}
    for path in root.rglob("*.py"):
        module = ".".join(("safedesk.screens", *path.relative_to(root).with_suffix("").parts))
        if targets := foreign_screen_imports(module, path.read_text(encoding="utf-8")):
            found[module] = targets
    assert found == {}


def test_screen_modules_import_no_cycle() -> None:
    """The imports among safedesk.screens modules (anywhere in a module) form no cycle."""
    root = Path(safedesk.screens.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        name = ".".join(("safedesk.screens", *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
        graph[name] = {
            target
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if (target := _screens_import(node)) is not None
        }
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for target in graph.get(module, ()):
            visit(target, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())
