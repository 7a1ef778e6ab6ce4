"""A guidance card's Markdown drawn exactly as Rich's `Markdown(text, hyperlinks=False)` draws
it, without importing `rich.markdown`.

`rich.markdown` imports `rich.syntax` and with it Pygments, for code blocks that no card has:
the guide paid that before its first card was drawn (`python -m bench guide`). This is Rich's
own walk over the markdown-it tokens (the shipped cards' kept in `safedesk.content.tokens`) (rich/markdown.py, Rich 15), kept to what cards use;
a text holding a code block or an image is handed to `rich.markdown` itself.
`tests/content/test_card_markdown.py` checks every card draws the same as Rich draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.containers import Renderables
from rich.segment import Segment
from rich.style import Style, StyleStack
from rich.table import Table
from rich.text import Text

from safedesk.content.tokens import FlatToken, parse_flat

if TYPE_CHECKING:
    from markdown_it.token import Token

# Drawn by rich.markdown itself: a code block (Pygments) or an image, in no card today.
_RICH_ONLY = frozenset({"fence", "code_block", "image"})
_INLINE_TAGS = frozenset({"em", "strong", "code", "s"})


def card_markdown(markup: str, tokens: Sequence[Token | FlatToken] | None = None) -> RenderableType:
    """A renderable that draws `markup` as `rich.markdown.Markdown(markup, hyperlinks=False)`.

    `tokens`: markup already parsed (`safedesk.content.tokens`), so markdown-it is not imported.
    """
    if tokens is None:
        tokens = parse_flat(markup)
    if any(token.type in _RICH_ONLY for token in tokens):
        from rich.markdown import Markdown

        return Markdown(markup, hyperlinks=False)
    return _Card(tokens)


class _Element:
    """Rich's MarkdownElement: a block that collects text or children, then renders."""

    new_line = True

    def on_enter(self, context: _Context) -> None:
        pass

    def on_text(self, context: _Context, text: str | Text) -> None:
        pass

    def on_leave(self, context: _Context) -> None:
        pass

    def on_child_close(self, context: _Context, child: _Element) -> bool:
        return True

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        return ()


class _TextElement(_Element):
    style_name = "none"

    def on_enter(self, context: _Context) -> None:
        self.style = context.enter_style(self.style_name)
        self.text = Text(justify="left")

    def on_text(self, context: _Context, text: str | Text) -> None:
        self.text.append(text, context.current_style if isinstance(text, str) else None)

    def on_leave(self, context: _Context) -> None:
        context.leave_style()


class _Paragraph(_TextElement):
    style_name = "markdown.paragraph"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self.text.justify = "left"
        yield self.text


class _Heading(_TextElement):
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.style_name = f"markdown.{tag}"

    def on_enter(self, context: _Context) -> None:
        self.text = Text()
        context.enter_style(self.style_name)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        text = self.text.copy()
        text.justify = "center" if self.tag == "h1" else "left"
        yield text


class _BlockQuote(_TextElement):
    style_name = "markdown.block_quote"

    def __init__(self) -> None:
        self.elements: Renderables = Renderables()

    def on_child_close(self, context: _Context, child: _Element) -> bool:
        self.elements.append(child)
        return False

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self.elements, options.update(width=options.max_width - 4), style=self.style)
        padding = Segment("▌ ", self.style)
        for line in lines:
            yield padding
            yield from line
            yield Segment("\n")


class _HorizontalRule(_Element):
    new_line = False

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.rule import Rule

        yield Rule(style=console.get_style("markdown.hr", default="none"), characters="-")
        yield Text()


class _Table(_Element):
    def __init__(self) -> None:
        self.header: _TableRow | None = None
        self.rows: list[_TableRow] = []

    def on_child_close(self, context: _Context, child: _Element) -> bool:
        if isinstance(child, _TableHead):
            self.header = child.row
        elif isinstance(child, _TableBody):
            self.rows = child.rows
        else:
            raise RuntimeError("Couldn't process markdown table.")
        return False

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = Table(box=box.SIMPLE, pad_edge=False, style="markdown.table.border", show_edge=True, collapse_padding=True)
        if self.header is not None:
            for cell in self.header.cells:
                heading = cell.content.copy()
                heading.stylize("markdown.table.header")
                table.add_column(heading)
        for row in self.rows:
            table.add_row(*(cell.content for cell in row.cells))
        yield table


class _TableHead(_Element):
    def __init__(self) -> None:
        self.row: _TableRow | None = None

    def on_child_close(self, context: _Context, child: _Element) -> bool:
        assert isinstance(child, _TableRow)
        self.row = child
        return False


class _TableBody(_Element):
    def __init__(self) -> None:
        self.rows: list[_TableRow] = []

    def on_child_close(self, context: _Context, child: _Element) -> bool:
        assert isinstance(child, _TableRow)
        self.rows.append(child)
        return False


class _TableRow(_Element):
    def __init__(self) -> None:
        self.cells: list[_TableCell] = []

    def on_child_close(self, context: _Context, child: _Element) -> bool:
        assert isinstance(child, _TableCell)
        self.cells.append(child)
        return False


class _TableCell(_Element):
    def __init__(self, token: Token) -> None:
        style = str(token.attrs.get("style")) or ""
        justify = "default"
        for side in ("right", "center", "left"):
            if f"text-align:{side}" in style:
                justify = side
                break
        self.content = Text("", justify=justify)  # type: ignore[arg-type]

    def on_text(self, context: _Context, text: str | Text) -> None:
        if isinstance(text, str):
            self.content.append(text, context.current_style)
        else:
            self.content.append_text(text)


class _List(_Element):
    def __init__(self, token: Token) -> None:
        self.items: list[_ListItem] = []
        self.bullets = token.type == "bullet_list_open"
        self.start = int(token.attrs.get("start", 1))

    def on_child_close(self, context: _Context, child: _Element) -> bool:
        assert isinstance(child, _ListItem)
        self.items.append(child)
        return False

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.bullets:
            for item in self.items:
                yield from item.render(console, options, None, 0)
        else:
            last = self.start + len(self.items)
            for index, item in enumerate(self.items):
                yield from item.render(console, options, self.start + index, last)


class _ListItem(_TextElement):
    style_name = "markdown.item"

    def __init__(self) -> None:
        self.elements: Renderables = Renderables()

    def on_child_close(self, context: _Context, child: _Element) -> bool:
        self.elements.append(child)
        return False

    def render(self, console: Console, options: ConsoleOptions, number: int | None, last: int) -> RenderResult:
        """Rich's render_bullet (number None) and render_number."""
        if number is None:
            width = 3
            style = console.get_style("markdown.item.bullet", default="none")
            first = Segment(" • ", style)
        else:
            width = len(str(last)) + 2
            style = console.get_style("markdown.item.number", default="none")
            first = Segment(f"{number}".rjust(width - 1) + " ", style)
        lines = console.render_lines(self.elements, options.update(width=options.max_width - width), style=self.style)
        padding = Segment(" " * width, style)
        for index, line in enumerate(lines):
            yield padding if index else first
            yield from line
            yield Segment("\n")


class _Link(_TextElement):
    def __init__(self, token: Token) -> None:
        self.text = Text(token.content)
        self.href = str(token.attrs.get("href", "#"))


class _Unknown(_Element):
    pass


def _element(token: Token) -> _Element:
    """Rich's Markdown.elements lookup, for the blocks cards use."""
    kind = token.type
    if kind == "paragraph_open":
        return _Paragraph()
    if kind == "heading_open":
        return _Heading(token.tag)
    if kind == "blockquote_open":
        return _BlockQuote()
    if kind == "hr":
        return _HorizontalRule()
    if kind in ("bullet_list_open", "ordered_list_open"):
        return _List(token)
    if kind == "list_item_open":
        return _ListItem()
    if kind == "table_open":
        return _Table()
    if kind == "thead_open":
        return _TableHead()
    if kind == "tbody_open":
        return _TableBody()
    if kind == "tr_open":
        return _TableRow()
    if kind in ("td_open", "th_open"):
        return _TableCell(token)
    return _Unknown()


class _Context:
    def __init__(self, console: Console, options: ConsoleOptions, style: Style) -> None:
        self.console = console
        self.options = options
        self.style_stack = StyleStack(style)
        self.stack: list[_Element] = []

    @property
    def current_style(self) -> Style:
        return self.style_stack.current

    def on_text(self, text: str) -> None:
        self.stack[-1].on_text(self, text)

    def enter_style(self, style_name: str | Style) -> Style:
        self.style_stack.push(self.console.get_style(style_name, default="none"))
        return self.current_style

    def leave_style(self) -> Style:
        return self.style_stack.pop()


class _Card:
    """Rich's Markdown.__rich_console__, hyperlinks off, over tokens already flattened."""

    def __init__(self, tokens: Sequence[Any]) -> None:
        self.tokens = tokens

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        options = options.update(height=None)
        context = _Context(console, options, console.get_style("none", default="none"))
        new_line = False
        for token in self.tokens:
            node_type = token.type
            tag = token.tag
            entering = token.nesting == 1
            exiting = token.nesting == -1
            self_closing = token.nesting == 0
            if node_type == "text":
                context.on_text(token.content)
            elif node_type == "hardbreak":
                context.on_text("\n")
            elif node_type == "softbreak":
                context.on_text(" ")
            elif node_type == "link_open":
                context.stack.append(_Link(token))
            elif node_type == "html_inline":
                if token.content == "<kbd>":
                    context.enter_style(console.get_style("markdown.kbd", default="bold"))
                elif token.content == "</kbd>":
                    context.leave_style()
            elif node_type == "link_close":
                link = context.stack.pop()
                assert isinstance(link, _Link)
                context.enter_style(console.get_style("markdown.link", default="none"))
                context.on_text(link.text.plain)
                context.leave_style()
                context.on_text(" (")
                context.enter_style(console.get_style("markdown.link_url", default="none"))
                context.on_text(link.href)
                context.leave_style()
                context.on_text(")")
            elif tag in _INLINE_TAGS:
                if entering:
                    context.enter_style(f"markdown.{tag}")
                elif exiting:
                    context.leave_style()
                else:  # code_inline
                    context.enter_style(f"markdown.{tag}")
                    if token.content:
                        context.on_text(token.content)
                    context.leave_style()
            else:
                element = _element(token)
                if entering or self_closing:
                    context.stack.append(element)
                    element.on_enter(context)
                if exiting:
                    element = context.stack.pop()
                    if not context.stack or context.stack[-1].on_child_close(context, element):
                        if new_line:
                            yield Segment.line()
                        yield from console.render(element, context.options)
                elif self_closing:
                    context.stack.pop()
                    if token.content is not None:
                        element.on_text(context, token.content)
                    if not context.stack or context.stack[-1].on_child_close(context, element):
                        if new_line and node_type != "inline":
                            yield Segment.line()
                        yield from console.render(element, context.options)
                if exiting or self_closing:
                    element.on_leave(context)
                    new_line = element.new_line
