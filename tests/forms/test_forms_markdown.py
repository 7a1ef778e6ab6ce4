"""safedesk.store.text.markdown: user text stays literal in generated Markdown, whatever it holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safedesk.store.engine.files import write_markdown
from safedesk.store.errors import InvalidInput
from safedesk.store.text.clean import clean_text
from safedesk.store.text.markdown import (
    MarkdownProblem,
    check_markdown,
    md_block,
    md_cell,
    md_escape,
    outline,
    parser,
)
from tests.kit import table_cells

HOSTILE = [
    "[@click=app.quit]x[/]",
    "[/bold]",
    "[bold",
    "\x1b[31mred\x1b[0m",
    "*Sam* _Patel_ `code` **bold**",
    "[link](https://example.com) ![img](x.png) <https://auto.link>",
    "<script>alert(1)</script> <b>bold</b> &amp; &copy;",
    "# heading",
    "## also heading",
    "- list item",
    "+ plus item",
    "1. numbered",
    "2) numbered",
    "> quote",
    "    indented code",
    "```fence```",
    "~~~",
    "---",
    "===",
    "a | b | c",
    "back\\slash\\",
    "{setting_name} {% if x %}",
    "[ref]: https://example.com",
]


def _inline_tokens(markdown: str) -> list:
    return [t for t in parser().parse(markdown) if t.type == "inline"]


def _literal(markdown: str) -> str:
    """The text a reader sees: only text, code-free, with hard breaks as newlines."""
    parts = []
    for token in _inline_tokens(markdown):
        for child in token.children or []:
            assert child.type in ("text", "softbreak", "hardbreak"), f"{child.type} made from user text: {markdown!r}"
            parts.append("\n" if child.type == "hardbreak" else " " if child.type == "softbreak" else child.content)
    return "".join(parts)


@pytest.mark.parametrize("text", HOSTILE)
def test_md_escape_keeps_hostile_text_literal_in_one_paragraph(text: str) -> None:
    escaped = md_escape(text)
    tokens = parser().parse(escaped)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    assert _literal(escaped) == " ".join(clean_text(text).split())


@pytest.mark.parametrize("text", HOSTILE)
def test_md_cell_never_breaks_a_table(text: str) -> None:
    line = " ".join(clean_text(text).split())
    table = f"| a | b |\n|---|---|\n| {md_cell(text + chr(10) + text)} | z |\n"
    # Read back, the cell holds exactly what was typed (line break shown as " / ") and the
    # next cell is still "z": a "|" that split the cell would push "z" out of the row.
    assert table_cells(table) == [[["a", "b"], [f"{line} / {line}", "z"]]]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30), min_size=1, max_size=4))
def test_md_cell_reads_back_as_typed_in_any_column(values: list[str]) -> None:
    expected = [
        " / ".join(" ".join(line.split()) for line in clean_text(v, multiline=True).split("\n") if line.strip()) for v in values
    ]
    header = "| " + " | ".join(f"h{n}" for n in range(len(values))) + " |\n" + "|---" * len(values) + "|\n"
    row = "| " + " | ".join(md_cell(v) or " " for v in values) + " |\n"
    assert table_cells(header + row) == [[[f"h{n}" for n in range(len(values))], expected]]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_md_escape_round_trips_any_text(text: str) -> None:
    escaped = md_escape(text)
    expected = " ".join(clean_text(text).split())
    if not expected:
        assert escaped == ""
        return
    tokens = parser().parse(escaped)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    assert _literal(escaped) == expected


def _paragraphs(markdown: str) -> list[str]:
    return ["".join("\n" if c.type == "hardbreak" else c.content for c in t.children or []) for t in _inline_tokens(markdown)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab #*-_+>1.)|[]<>`\\{}&~= \t")), max_size=12), max_size=6))
def test_md_block_keeps_lines_and_paragraphs(lines: list[str]) -> None:
    expected: list[list[str]] = [[]]
    for raw in clean_text("\n".join(lines), multiline=True).split("\n"):
        line = " ".join(raw.split())
        if line:
            expected[-1].append(line)
        elif expected[-1]:
            expected.append([])
    block = md_block("\n".join(lines))
    tokens = parser().parse(block)
    assert all(t.type in ("paragraph_open", "inline", "paragraph_close") for t in tokens), block
    _literal(block)  # only text and breaks
    assert _paragraphs(block) == ["\n".join(p) for p in expected if p]


def test_md_block_keeps_a_paragraph_break_and_hard_breaks() -> None:
    block = md_block("first line\n- not a list\n\n\n# not a heading")
    tokens = parser().parse(block)
    assert [t.type for t in tokens].count("paragraph_open") == 2
    assert _paragraphs(block) == ["first line\n- not a list", "# not a heading"]
    assert md_block("  \n\n ") == ""


def test_check_markdown_refuses_leftover_placeholders_and_missing_headings() -> None:
    assert check_markdown("# Title\n\nSome text.\n").headings == ((1, "Title"),)
    with pytest.raises(MarkdownProblem, match="setting_name"):
        check_markdown("# Title\n\nDear {setting_name},\n")
    with pytest.raises(MarkdownProblem, match="lacks"):
        check_markdown("# Title\n", headings=("Contents",))
    with pytest.raises(MarkdownProblem, match="top-level"):
        check_markdown("Just text\n")
    # Typed text that looks like a placeholder is escaped, so it passes.
    check_markdown("# T\n\n" + md_escape("{setting_name} {% if %}") + "\n")


def test_outline_counts_tables_lists_and_headings() -> None:
    found = outline("# A\n\n## B\n\n- x\n- y\n\n| h |\n|---|\n| c |\n")
    assert found.headings == ((1, "A"), (2, "B")) and found.tables == 1 and found.lists == 1


def test_write_markdown_is_atomic_private_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    write_markdown(target, "# One\n")
    assert target.read_text(encoding="utf-8") == "# One\n"
    with pytest.raises(InvalidInput, match="already exists") as caught:
        write_markdown(target, "# Two\n")
    assert caught.value.field == "out"
    write_markdown(target, "# Two\n", overwrite=True)
    assert target.read_text(encoding="utf-8") == "# Two\n"
    with pytest.raises(InvalidInput, match="is a folder"):
        write_markdown(tmp_path, "# x\n")
    with pytest.raises(InvalidInput, match="does not exist"):
        write_markdown(tmp_path / "missing" / "x.md", "# x\n")
    import os

    if os.name != "nt":
        assert target.stat().st_mode & 0o077 == 0
