"""A document to write out: what every export (reports, the policy, letters, forms) hands the renderers.

The Markdown is the document; HTML, PDF and Word are drawn from its markdown-it token stream,
so the three say the same thing. `title` and `reference` name the document on every printed
page and in the file's own title, so two saved PDFs of two incidents never share a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


@dataclass(frozen=True)
class Document:
    title: str  # what kind of document, e.g. "Incident report"
    markdown: str  # checked Markdown (user text escaped): the content
    reference: str = ""  # which one, e.g. "INC-2026-0007" or "01/09/2025 to 31/08/2026"
    subtitle: str = ""  # who it is for, e.g. the setting's name (shown beside the title on each page)
    style: str = ""  # extra CSS for the printable page only, e.g. taller boxes to write a key into by hand

    @property
    def label(self) -> str:
        """Title and reference: the page header, the HTML <title> and the PDF/Word metadata title."""
        return f"{self.title}: {self.reference}" if self.reference and self.reference != self.title else self.title


class Format(StrEnum):
    """The file formats an export can take; the value is the file suffix without its dot."""

    MARKDOWN = "md"
    HTML = "html"
    PDF = "pdf"
    WORD = "docx"

    @property
    def label(self) -> str:
        return FORMAT_LABELS[self]

    @property
    def kind(self) -> str:
        """The format's name in a sentence or an audit summary, e.g. "PDF"."""
        return FORMAT_KINDS[self]

    @property
    def suffix(self) -> str:
        return f".{self.value}"


FORMAT_LABELS = {
    Format.MARKDOWN: "Markdown (.md)",
    Format.HTML: "Printable web page (.html)",
    Format.PDF: "PDF (.pdf)",
    Format.WORD: "Word document (.docx)",
}

FORMAT_KINDS = {Format.MARKDOWN: "Markdown", Format.HTML: "HTML", Format.PDF: "PDF", Format.WORD: "Word"}

# Reports are records: Word would invite editing them. Policy, letters and forms are meant to be edited.
REPORT_FORMATS = (Format.MARKDOWN, Format.HTML, Format.PDF)
EDITABLE_FORMATS = (Format.MARKDOWN, Format.HTML, Format.PDF, Format.WORD)


def render(document: Document, fmt: Format) -> bytes:
    """The document as the bytes of a file in `fmt`."""
    if fmt is Format.MARKDOWN:
        return document.markdown.encode("utf-8")
    if fmt is Format.HTML:
        from safedesk.store.text.html import render_html

        return render_html(document).encode("utf-8")
    if fmt is Format.PDF:
        from safedesk.store.text.pdf import render_pdf

        return render_pdf(document)
    from safedesk.store.text.word import render_docx

    return render_docx(document)


def format_of(path: Path) -> Format:
    """The format a file name asks for: .html/.htm, .pdf and .docx by their suffix, else Markdown."""
    suffix = path.suffix.lower()
    if suffix == ".htm":
        return Format.HTML
    return next((fmt for fmt in Format if fmt.suffix == suffix), Format.MARKDOWN)


def with_suffix(path_text: str, fmt: Format) -> str:
    """A typed path with its export suffix changed to `fmt`'s (other suffixes are left alone)."""
    known = tuple(f.suffix for f in Format)
    for suffix in known:
        if path_text.lower().endswith(suffix):
            return path_text[: -len(suffix)] + fmt.suffix
    return path_text
