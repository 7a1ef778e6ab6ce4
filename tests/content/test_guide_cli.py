"""`safedesk guide search|show|list` through click, on the shipped cards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import safedesk.content.search as search_module
from safedesk.cli.main import cli
from safedesk.content.library import default_library

MAIN = Path(__file__).resolve().parents[2]
NUDE_IMAGE = "pb-nude-image-of-child"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["guide", *args])


def test_search_json_is_a_list_of_hits() -> None:
    result = run("search", "nudes", "--json", "--limit", "3")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert 1 <= len(rows) <= 3
    for row in rows:
        assert set(row) == {"id", "title", "kind", "score", "snippet"}
        assert isinstance(row["score"], float) and isinstance(row["snippet"], str)
    assert rows[0]["id"] == NUDE_IMAGE


def test_search_joins_several_words_and_prints_ranked_lines() -> None:
    result = run("search", "nude", "image", "--limit", "2")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(" 1. " + NUDE_IMAGE + "  ")
    assert lines[1].startswith("    ")
    assert len(lines) == 4


def test_search_reports_a_correction_on_stderr() -> None:
    result = run("search", "sextng", "--json")
    assert result.exit_code == 0
    assert "showing results for 'sexting'" in result.stderr
    assert json.loads(result.stdout)[0]["id"] == NUDE_IMAGE


def test_search_reports_the_fallback_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "fts5_available", lambda: False)
    search_module.default_index.cache_clear()
    try:
        result = run("search", "nudes", "--json")
    finally:
        search_module.default_index.cache_clear()
    assert result.exit_code == 0
    assert f"safedesk: {search_module.FALLBACK_NOTICE}" in result.stderr
    assert json.loads(result.stdout)[0]["id"] == NUDE_IMAGE


def test_search_with_no_match_says_so() -> None:
    result = run("search", "qqqqzzzz")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no card matches" in result.stderr


def test_search_needs_a_query_and_a_positive_limit() -> None:
    assert run("search").exit_code == 2
    assert run("search", "x", "--limit", "0").exit_code == 2


def test_show_markdown_has_title_body_and_sources() -> None:
    card = default_library().get(NUDE_IMAGE)
    result = run("show", NUDE_IMAGE)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"# {card.title}\n")
    assert "## Do now" in result.stdout
    assert "**Sources**" in result.stdout
    assert card.sources[0].file in result.stdout


def test_show_text_is_plain() -> None:
    card = default_library().get(NUDE_IMAGE)
    result = run("show", NUDE_IMAGE, "--format", "text")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:2] == [card.title, "=" * len(card.title)]
    assert "Do now\n------" in result.stdout
    assert "**" not in result.stdout and "##" not in result.stdout
    assert card.sources[0].file in result.stdout


def test_show_unknown_id_is_one_line_and_exit_1() -> None:
    result = run("show", "no-such-card")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("safedesk: no guidance card has the id 'no-such-card'")


def test_list_groups_by_kind_and_filters() -> None:
    library = default_library()
    result = run("list")
    assert result.exit_code == 0
    assert "playbook:" in result.stdout
    assert sum(1 for line in result.stdout.splitlines() if line.startswith("  ")) == len(library.cards)

    result = run("list", "--kind", "playbook", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert rows and {row["kind"] for row in rows} == {"playbook"}
    assert set(rows[0]) == {"id", "title", "kind", "summary"}
    assert len(rows) == len(library.by_kind()["playbook"])


def test_list_refuses_an_unknown_kind() -> None:
    result = run("list", "--kind", "essay")
    assert result.exit_code == 2
    assert "playbook" in result.stderr


def test_guide_commands_never_import_textual() -> None:
    code = (
        "import sys\n"
        "from safedesk.cli.main import cli\n"
        "for args in (['guide', 'search', 'hacked'], ['guide', 'list'], ['guide', 'show', sys.argv[1]]):\n"
        "    cli(args, standalone_mode=False)\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(MAIN)}
    run_ = subprocess.run(
        [sys.executable, "-c", code, NUDE_IMAGE], cwd=MAIN, env=env, capture_output=True, text=True, timeout=300
    )
    assert run_.returncode == 0, run_.stderr[-2000:]
