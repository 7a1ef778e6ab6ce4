"""A PDF of a Document, written directly by fpdf2 from the markdown-it token stream.

fpdf2 is pure Python (wheels for every platform, no system libraries), so a locked-down
Windows laptop writes the same PDF as CI. The text is set in the bundled DejaVu Sans (see
fonts/LICENSE.txt), so names like José, Zoë and Łukasz print as typed. A4, the title and
reference at the top of every page, "Page n of m" at the bottom, the PDF's own title set to the
same label. Tables repeat their header row on each page and wrap cells only at spaces (only a
run longer than LONG_TOKEN, such as a hash, may break), with column widths measured the way a
browser lays out an automatic table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

from safedesk.store.text.document import Document

if TYPE_CHECKING:
    from fpdf import FPDF
    from markdown_it.token import Token

FAMILY = "DejaVuSans"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
LONG_TOKEN = 28  # as in html.py: longer runs (hashes, web addresses) may break anywhere
BODY_SIZE = 10.5
TABLE_SIZE = 9
LINE = 5.0  # mm per body line
TABLE_LINE = 4.2
HEADING_SIZES = {1: 16.0, 2: 13.0, 3: 11.5}
MARGIN_LEFT = MARGIN_RIGHT = 16.0
MARGIN_TOP = 20.0
MARGIN_BOTTOM = 18.0
CELL_PAD = 1.5  # mm left and right inside a table cell
KEEP_WITH_HEADING = 18.0  # mm: a heading needs this much room below it, else it starts the next page
_WORD = re.compile(r"\S+")


@dataclass
class _Cell:
    text: str
    header: bool


@dataclass
class _Table:
    rows: list[list[_Cell]] = field(default_factory=list)


def _font_path(name: str) -> str:
    return str(resources.files("safedesk.store.text") / "fonts" / name)


def _inline_runs(token: Token) -> list[tuple[str, str]]:
    """(text, style) runs of an inline token; style is "", "B", "I" or "BI". A hard break is "\n"."""
    runs: list[tuple[str, str]] = []
    bold = italic = 0
    for child in token.children or []:
        style = ("B" if bold else "") + ("I" if italic else "")
        if child.type in ("text", "code_inline"):
            runs.append((child.content, style))
        elif child.type == "softbreak":
            runs.append((" ", style))
        elif child.type == "hardbreak":
            runs.append(("\n", style))
        elif child.type == "strong_open":
            bold += 1
        elif child.type == "strong_close":
            bold -= 1
        elif child.type == "em_open":
            italic += 1
        elif child.type == "em_close":
            italic -= 1
    return runs


def _plain(token: Token) -> str:
    return "".join(text for text, _ in _inline_runs(token))


class _Writer:
    def __init__(self, document: Document) -> None:
        from fpdf import FPDF
        from fpdf.fonts import TTFFont

        writer = self

        class _Page(FPDF):
            def header(self) -> None:
                writer.page_header(self)

            def footer(self) -> None:
                self.set_y(-12)
                self.set_font(FAMILY, "", 8)
                self.set_text_color(68)
                self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

        pdf = _Page(orientation="P", unit="mm", format="A4")
        for style, name in FONT_FILES.items():
            pdf.add_font(FAMILY, style, _font_path(name))
        pdf.set_margins(MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT)
        pdf.set_auto_page_break(True, margin=MARGIN_BOTTOM)
        # The file's own properties take any text; the pages only what the font can draw.
        pdf.set_title(document.label)
        pdf.set_subject(document.subtitle or document.title)
        pdf.set_creator("SafeDesk")
        pdf.set_lang("en-GB")
        pdf.alias_nb_pages()
        self.pdf = pdf
        # What DejaVu Sans cannot draw (Chinese, emoji, ...) prints as U+FFFD, so the reader sees
        # that something stood there, instead of nothing (and fpdf2 logging the missing text).
        font = pdf.fonts[FAMILY.lower()]
        self.glyphs = frozenset(font.cmap if isinstance(font, TTFFont) else ())
        self.document = Document(
            self.drawable(document.title),
            self.drawable(document.markdown),
            self.drawable(document.reference),
            self.drawable(document.subtitle),
        )
        self.header_left = " | ".join(part for part in (self.document.title, self.document.subtitle) if part)
        self.indent = 0.0
        self.lists: list[list[int]] = []  # per open list: [next number] (ordered) or [] (bullets)
        self.quote_starts: list[tuple[int, float]] = []  # (page, y) where each open quote began
        self.at_item_start = False  # a list item's first paragraph goes beside its marker

    def drawable(self, text: str) -> str:
        return "".join(c if ord(c) in self.glyphs or c in "\n\t " else "\ufffd" for c in text)

    # ----------------------------------------------------------------- page furniture

    def page_header(self, pdf: FPDF) -> None:
        left = self.header_left
        pdf.set_y(9)
        reference = self.document.reference
        pdf.set_font(FAMILY, "B", 8)
        ref_width = pdf.get_string_width(reference) + 2 if reference else 0.0
        pdf.set_font(FAMILY, "", 8)
        pdf.set_text_color(68)
        room = pdf.epw - ref_width - 4
        while left and pdf.get_string_width(left) > room:
            left = left[:-2] + "…"
        pdf.cell(room, 5, left, align="L")
        if reference:
            pdf.set_font(FAMILY, "B", 8)
            pdf.set_text_color(34)
            pdf.set_x(pdf.w - MARGIN_RIGHT - ref_width)
            pdf.cell(ref_width, 5, reference, align="R")
        pdf.set_draw_color(170)
        pdf.line(MARGIN_LEFT, 15, pdf.w - MARGIN_RIGHT, 15)
        pdf.set_y(MARGIN_TOP)
        pdf.set_text_color(17)

    # ----------------------------------------------------------------- blocks

    def room_left(self) -> float:
        return self.pdf.h - MARGIN_BOTTOM - self.pdf.get_y()

    def set_indent(self, indent: float) -> None:
        self.indent = indent
        self.pdf.set_left_margin(MARGIN_LEFT + indent)

    def write_runs(self, runs: list[tuple[str, str]], size: float = BODY_SIZE, line: float = LINE) -> None:
        pdf = self.pdf
        for text, style in runs:
            # Bold italic is rare in our documents: bold stands in rather than shipping a fourth font.
            pdf.set_font(FAMILY, "B" if style == "BI" else style, size)
            parts = text.split("\n")
            for index, part in enumerate(parts):
                if index:
                    pdf.ln(line)
                if part:
                    pdf.write(line, part)

    def heading(self, level: int, token: Token) -> None:
        pdf = self.pdf
        size = HEADING_SIZES.get(level, BODY_SIZE + 0.5)
        if pdf.get_y() > MARGIN_TOP + 1:
            pdf.ln(3 if level > 2 else 5)
        if self.room_left() < KEEP_WITH_HEADING + size * 0.5:
            pdf.add_page()
        pdf.set_x(pdf.l_margin)
        pdf.set_font(FAMILY, "B", size)
        pdf.multi_cell(0, size * 0.5, _plain(token), new_x="LMARGIN", new_y="NEXT")
        if level <= 2:
            y = pdf.get_y() + 0.6
            pdf.set_draw_color(51 if level == 1 else 153)
            pdf.set_line_width(0.5 if level == 1 else 0.2)
            pdf.line(pdf.l_margin, y, pdf.w - MARGIN_RIGHT, y)
            pdf.set_line_width(0.2)
            pdf.ln(2)
        pdf.ln(1.5)

    def paragraph(self, token: Token) -> None:
        pdf = self.pdf
        if pdf.get_x() > pdf.l_margin + 0.1 and not self.at_item_start:
            pdf.ln(LINE)
        self.at_item_start = False
        self.write_runs(_inline_runs(token))
        pdf.ln(LINE)
        pdf.ln(1.5 if not self.lists else 0.5)

    def list_item(self) -> None:
        pdf = self.pdf
        depth = len(self.lists)
        marker_x = MARGIN_LEFT + self.quote_indent() + 5.0 * (depth - 1)
        numbers = self.lists[-1]
        marker = "•"
        if numbers:
            marker = f"{numbers[0]}."
            numbers[0] += 1
        if self.room_left() < LINE:
            pdf.add_page()
        pdf.set_font(FAMILY, "", BODY_SIZE)
        pdf.set_x(marker_x)
        pdf.cell(5.0, LINE, marker)
        self.set_indent(self.quote_indent() + 5.0 * depth)
        pdf.set_x(pdf.l_margin)
        self.at_item_start = True

    def quote_indent(self) -> float:
        return 5.0 * len(self.quote_starts)

    def code(self, text: str) -> None:
        pdf = self.pdf
        pdf.set_font(FAMILY, "", TABLE_SIZE)
        pdf.set_fill_color(244)
        pdf.multi_cell(0, TABLE_LINE, text.rstrip("\n"), fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def rule(self) -> None:
        pdf = self.pdf
        pdf.ln(2)
        pdf.set_draw_color(153)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - MARGIN_RIGHT, pdf.get_y())
        pdf.ln(3)

    # ----------------------------------------------------------------- tables

    def table(self, table: _Table) -> None:
        from fpdf.fonts import FontFace

        pdf = self.pdf
        if not table.rows:
            return
        columns = max(len(row) for row in table.rows)
        rows = [[*row, *[_Cell("", row[0].header if row else False)] * (columns - len(row))] for row in table.rows]
        pdf.set_font(FAMILY, "", TABLE_SIZE)
        available = pdf.epw - self.indent
        widths = self.column_widths(rows, available)
        if not self.rows_fit(rows, widths):
            self.table_as_records(rows)
            return
        header = FontFace(emphasis="BOLD", fill_color=(238, 238, 238))
        cell_margin, pdf.c_margin = pdf.c_margin, 0  # the padding is the only space inside a cell
        with pdf.table(
            col_widths=tuple(widths),
            width=available,
            align="LEFT",
            line_height=TABLE_LINE,
            text_align="LEFT",
            v_align="TOP",
            headings_style=header,
            first_row_as_headings=rows[0][0].header,
            padding=(1, CELL_PAD),
            borders_layout="ALL",
        ) as drawn:
            for row in rows:
                cells = drawn.row()
                for cell in row:
                    cells.cell(cell.text)
        pdf.c_margin = cell_margin
        pdf.ln(3)

    def column_widths(self, rows: list[list[_Cell]], available: float) -> list[float]:
        """Widths like a browser's automatic table layout: every column at least as wide as its
        longest word, the rest of the width shared out by how much more each column would use."""
        pdf = self.pdf
        slack = 2 * CELL_PAD + 0.8  # the padding either side, and rounding
        low: list[float] = []
        high: list[float] = []
        for column in range(len(rows[0])):
            least = most = 0.0
            for row in rows:
                cell = row[column]
                pdf.set_font(FAMILY, "B" if cell.header else "", TABLE_SIZE)
                words = [w for w in _WORD.findall(cell.text) if len(w) <= LONG_TOKEN]
                if words:
                    least = max(least, max(pdf.get_string_width(w) for w in words))
                most = max(most, pdf.get_string_width(cell.text))
            low.append(least + slack)
            high.append(min(max(most, least) + slack, available))
        if sum(high) <= available:
            total = sum(high)
            return [w * available / total for w in high]
        if sum(low) <= available:
            spare = available - sum(low)
            wants = [h - lw for h, lw in zip(high, low, strict=True)]
            total_want = sum(wants) or 1.0
            return [lw + spare * want / total_want for lw, want in zip(low, wants, strict=True)]
        return [w * available / sum(low) for w in low]

    def rows_fit(self, rows: list[list[_Cell]], widths: list[float]) -> bool:
        """Whether every row fits on one page (fpdf2 never splits a row)."""
        pdf = self.pdf
        page_room = pdf.h - MARGIN_TOP - MARGIN_BOTTOM - 20
        for row in rows:
            for cell, width in zip(row, widths, strict=True):
                pdf.set_font(FAMILY, "B" if cell.header else "", TABLE_SIZE)
                # Wrapping at spaces at worst doubles the lines a cell's length needs: measure
                # exactly (slow) only a cell that might come near a page.
                if 2 * pdf.get_string_width(cell.text) / max(width - 2 * CELL_PAD - 2, 1) * TABLE_LINE < page_room / 2:
                    continue
                # multi_cell takes its own cell margin off the width; a table cell has the padding instead.
                usable = width - 2 * CELL_PAD + 2 * pdf.c_margin
                lines = pdf.multi_cell(usable, TABLE_LINE, cell.text, dry_run=True, output="LINES")
                if isinstance(lines, list) and len(lines) * TABLE_LINE + 2 > page_room:
                    return False
        return True

    def table_as_records(self, rows: list[list[_Cell]]) -> None:
        """A table with a row taller than a page, as one block per row: "Heading: value" lines."""
        pdf = self.pdf
        names = [cell.text for cell in rows[0]] if rows[0][0].header else [""] * len(rows[0])
        for row in rows[1:] if rows[0][0].header else rows:
            for name, cell in zip(names, row, strict=True):
                runs = [(f"{name}: ", "B"), (cell.text, "")] if name else [(cell.text, "")]
                self.write_runs(runs, TABLE_SIZE, TABLE_LINE)
                pdf.ln(TABLE_LINE)
            pdf.ln(2)

    # ----------------------------------------------------------------- the token stream

    def run(self) -> bytes:
        from safedesk.store.text.markdown import parser

        pdf = self.pdf
        pdf.add_page()
        tokens = parser().parse(self.document.markdown)
        table: _Table | None = None
        header_cell = False
        for index, token in enumerate(tokens):
            kind = token.type
            if kind == "heading_open":
                self.heading(int(token.tag[1]), tokens[index + 1])
            elif kind == "paragraph_open" and table is None:
                self.paragraph(tokens[index + 1])
            elif kind in ("bullet_list_open", "ordered_list_open"):
                start = int(str(token.attrs.get("start", 1))) if kind == "ordered_list_open" else 0
                self.lists.append([start] if kind == "ordered_list_open" else [])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
                self.set_indent(self.quote_indent() + 5.0 * len(self.lists))
                if not self.lists:
                    pdf.ln(1.5)
            elif kind == "list_item_open":
                self.list_item()
            elif kind == "blockquote_open":
                self.quote_starts.append((pdf.page_no(), pdf.get_y()))
                self.set_indent(self.quote_indent() + 5.0 * len(self.lists))
            elif kind == "blockquote_close":
                page, top = self.quote_starts.pop()
                if page == pdf.page_no():
                    pdf.set_draw_color(187, 0, 0)
                    pdf.set_line_width(1)
                    x = MARGIN_LEFT + self.quote_indent() + 1.5
                    pdf.line(x, top, x, pdf.get_y() - 1.5)
                    pdf.set_line_width(0.2)
                self.set_indent(self.quote_indent() + 5.0 * len(self.lists))
                pdf.ln(1.5)
            elif kind in ("fence", "code_block"):
                self.code(token.content)
            elif kind == "hr":
                self.rule()
            elif kind == "table_open":
                table = _Table()
            elif kind == "tr_open" and table is not None:
                table.rows.append([])
            elif kind in ("th_open", "td_open"):
                header_cell = kind == "th_open"
            elif kind == "inline" and table is not None and tokens[index - 1].type in ("th_open", "td_open"):
                table.rows[-1].append(_Cell(_plain(token), header_cell))
            elif kind == "table_close" and table is not None:
                self.table(table)
                table = None
        return bytes(pdf.output())


def render_pdf(document: Document) -> bytes:
    """The document as an A4 PDF: title and reference at the top of each page, "Page n of m" below."""
    return _Writer(document).run()
