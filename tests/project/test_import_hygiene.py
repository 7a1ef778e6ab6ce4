"""Headless code never imports Textual: `--help`, `--version`, the store and the content."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT, timeout=120)


CHECK = """
leaked = sorted(m for m in sys.modules if m.split(".")[0] == "textual")
print("LEAKED", leaked) if leaked else print("CLEAN")
"""


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["verify", "--help"], ["guide", "search", "consent", "--json"]])
def test_cli_runs_without_textual(argv, tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        sys.argv = ["safedesk", "--store", {str(tmp_path)!r}, *{argv!r}]
        from safedesk.cli.main import main
        try:
            main()
        except SystemExit as exit:
            assert not exit.code, exit.code
        """
    )
    result = _run(script + CHECK)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("CLEAN"), result.stdout[-500:]


def test_store_and_content_packages_never_import_textual():
    # Every module, subpackages included, by its installed name.
    modules = [
        info.name
        for package, folder in (("safedesk.store", "store"), ("safedesk.content", "content"))
        for info in pkgutil.walk_packages([str(ROOT / folder)], prefix=f"{package}.")
    ]
    assert "safedesk.store.engine.session" in modules and "safedesk.store.features" in modules
    result = _run("import sys, importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules) + CHECK)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "CLEAN", result.stdout
