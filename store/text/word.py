"""A Word document (.docx) of a Document, from the same markdown-it token stream as the PDF.

For the policy, letters and forms: a school edits them in Word, so they get real headings,
lists and tables (not Markdown pasted as text). A4 with the title and reference in the page
header and "Page n of m" (Word fields) in the footer; the file's title property is the label.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from safedesk.store.text.document import Document

if TYPE_CHECKING:
    from markdown_it.token import Token


# What XML 1.0 (so Word) cannot hold; clean_text leaves U+FFFE and U+FFFF, so they are replaced here.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _runs(paragraph: Any, token: Token) -> None:
    """Add the inline token's text to `paragraph` as runs, keeping bold, italic and line breaks."""
    bold = italic = code = False
    for child in token.children or []:
        kind = child.type
        if kind in ("text", "code_inline"):
            run = paragraph.add_run(child.content)
            run.bold = bold or None
            run.italic = italic or None
            if kind == "code_inline" or code:
                run.font.name = "Consolas"
        elif kind == "softbreak":
            paragraph.add_run(" ")
        elif kind == "hardbreak":
            paragraph.add_run().add_break()
        elif kind in ("strong_open", "strong_close"):
            bold = kind == "strong_open"
        elif kind in ("em_open", "em_close"):
            italic = kind == "em_open"


def _field(paragraph: Any, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays the pages out."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _repeat_header(row: Any) -> None:
    """Mark a table row as the header Word repeats at the top of each page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)
    cant_split = OxmlElement("w:cantSplit")
    properties.append(cant_split)


def render_docx(document: Document) -> bytes:
    """The document as a .docx (A4; title and reference in the header, page n of m in the footer)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    from safedesk.store.text.markdown import parser

    document = Document(*(_xml_safe(part) for part in (document.title, document.markdown, document.reference, document.subtitle)))
    word = docx.Document()
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)
    header = section.header.paragraphs[0]
    header.text = " | ".join(part for part in (document.title, document.subtitle, document.reference) if part)
    header.runs[0].font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")
    word.core_properties.title = document.label
    word.core_properties.subject = document.subtitle
    word.core_properties.author = "SafeDesk"
    word.core_properties.language = "en-GB"

    tokens = parser().parse(document.markdown)
    lists: list[str] = []  # "List Bullet" or "List Number" per open list
    quote = 0
    table_rows: list[list[Token]] | None = None
    header_row = False
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "heading_open":
            heading = word.add_heading("", level=min(int(token.tag[1]), 9))
            _runs(heading, tokens[index + 1])
        elif kind == "paragraph_open" and table_rows is None:
            if lists:
                depth = min(len(lists), 3)  # Word's default template has three list levels
                style = lists[-1] + (f" {depth}" if depth > 1 else "")
                previous = tokens[index - 1].type
                if previous != "list_item_open":
                    style = "List Continue" + (f" {depth}" if depth > 1 else "")
            else:
                style = "Quote" if quote else "Normal"
            _runs(word.add_paragraph(style=style), tokens[index + 1])
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists.append("List Bullet" if kind == "bullet_list_open" else "List Number")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind in ("fence", "code_block"):
            run = word.add_paragraph().add_run(token.content.rstrip("\n"))
            run.font.name = "Consolas"
        elif kind == "hr":
            word.add_paragraph("—" * 20).alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "table_open":
            table_rows = []
        elif kind == "tr_open" and table_rows is not None:
            table_rows.append([])
        elif kind == "th_open":
            header_row = True
        elif kind == "inline" and table_rows is not None and tokens[index - 1].type in ("th_open", "td_open"):
            table_rows[-1].append(token)
        elif kind == "table_close" and table_rows is not None:
            columns = max((len(r) for r in table_rows), default=0)
            if columns:
                table = word.add_table(rows=len(table_rows), cols=columns)
                table.style = "Table Grid"
                for row, cells in zip(table.rows, table_rows, strict=True):
                    for cell, inline in zip(row.cells, cells, strict=False):
                        _runs(cell.paragraphs[0], inline)
                if header_row:
                    _repeat_header(table.rows[0])
                    for cell in table.rows[0].cells:
                        for run in cell.paragraphs[0].runs:
                            run.bold = True
            table_rows = None
            header_row = False
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()
