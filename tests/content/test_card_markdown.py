"""Cards drawn by `card_markdown` look exactly as Rich's Markdown draws them (issue 13, first paint).

The guide draws cards without importing rich.markdown (and with it Pygments); every shipped
card, and the Markdown shapes cards may use, must come out segment for segment the same.
"""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.markdown import Markdown

from safedesk.content.library import default_library
from safedesk.content.tokens import shipped_tokens
from safedesk.widgets.card_markdown import card_markdown

SHAPES = """# Title

Text with **bold**, *italic*, `code`, ~~struck~~, <kbd>Ctrl</kbd>+<kbd>G</kbd> and a
[link](card:guide-x) then a hard\\
break.

## Lists

- one
  - nested **two**
- three

  with a second paragraph

3. third
4. fourth
10. tenth

> A quote with a list:
> - inside
>
> > and a quote inside

---

| Left | Centre | Right | None |
|:-----|:------:|------:|------|
| a | **b** | c | [d](https://e.example) |

<div>html block</div>

Last line.
"""


def _lines(renderable: object, width: int) -> list[list[tuple[str, object]]]:
    console = Console(width=width, force_terminal=True, color_system="truecolor", legacy_windows=False)
    lines = console.render_lines(renderable, console.options.update_width(width), pad=True)  # type: ignore[arg-type]
    return [[(segment.text, segment.style) for segment in line] for line in lines]


@pytest.mark.parametrize("width", [24, 43, 77])
def test_every_card_draws_as_rich_markdown_draws_it(width: int) -> None:
    library = default_library()
    for card in library.cards.values():
        body = library.reader_body(card)
        kept = shipped_tokens(card.id, body)  # what the guide draws from: the tokens shipped with the cards
        assert kept is not None, f"{card.id}: no parsed body kept; run python -m safedesk.content.library"
        rich = _lines(Markdown(body, hyperlinks=False), width)
        assert _lines(card_markdown(body, kept), width) == rich, card.id
        assert _lines(card_markdown(body), width) == rich, card.id


@pytest.mark.parametrize("width", [20, 50, 80])
def test_every_shape_a_card_may_use_draws_the_same(width: int) -> None:
    assert _lines(card_markdown(SHAPES), width) == _lines(Markdown(SHAPES, hyperlinks=False), width)


def test_a_code_block_or_image_is_left_to_rich_markdown() -> None:
    for text in ("```python\nprint(1)\n```\n", "    indented code\n", "![a picture](x.png)\n"):
        assert isinstance(card_markdown(text), Markdown)
    assert not isinstance(card_markdown(SHAPES), Markdown)
