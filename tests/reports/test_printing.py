"""Printed documents: the HTML page (A4, reference and page n of m, no mid-word breaks), the PDF
fpdf2 writes, the Word file, the CLI's format flags, and the demo incident report printed by
headless Chromium (skipped only where Chromium is not installed)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from safedesk.cli.main import cli
from safedesk.store.demo.data import DEMO_PASSPHRASE, build_demo, open_demo
from safedesk.store.engine.session import Session
from safedesk.store.features import default_registry
from safedesk.store.registry import ReportParams
from safedesk.store.text.clean import clean_text
from safedesk.store.text.document import Document, Format, render, with_suffix
from safedesk.store.text.html import css_string, render_html
from safedesk.store.text.markdown import md_block, md_cell, md_escape
from safedesk.store.text.pdf import render_pdf
from safedesk.store.text.word import render_docx
from tests.kit import table_cells

A4 = (595.0, 842.0)  # points
DATE = re.compile(r"\b\d\d/\d\d/\d{4}\b")
REF = re.compile(r"\bINC-\d{4}-\d{4}\b")
HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "store"
    build_demo(folder)
    return folder


@pytest.fixture(scope="module")
def incident_document(demo: Path) -> Document:
    session = open_demo(demo)
    try:
        # The incident with the most actions: its tables run over more than one page.
        return default_registry().build_document(session, "incident", ReportParams(incident="INC-2026-0001"))
    finally:
        session.close()


def long_table() -> Document:
    """A table of 150 rows of dates, references, states and names: it runs over several pages."""
    rows = [
        f"| 27/11/2026 {h % 24:02d}:{h % 60:02d} | INC-2026-{h:04d} | {('Open', 'Overdue', 'Done')[h % 3]} "
        f"| Jo Bloggs, José Núñez, Zoë Łukasz-Kowalski | A note written at length about what was seen, row {h} |"
        for h in range(150)
    ]
    markdown = "\n".join(
        ["# Chronology: INC-2026-0006", "", "| When | Reference | State | Who | What |", "|---|---|---|---|---|", *rows, ""]
    )
    return Document("Incident report", markdown, "INC-2026-0006", "Oak Primary")


def pdf_pages(data: bytes) -> list[str]:
    # NFKC: a browser sets "ffi" as one ligature glyph, which reads back as U+FB03.
    return [unicodedata.normalize("NFKC", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


def assert_no_word_split(markdown: str, pages: list[str]) -> None:
    """Every word of every table cell (up to 28 characters, hyphenated ones too) is whole on one line."""
    lines = [line for page in pages for line in page.splitlines()]
    printed = {token for line in lines for token in line.split()}
    for table in table_cells(markdown):
        for row in table:
            for cell in row:
                for word in cell.split():
                    assert len(word) > 28 or word in printed, f"{word!r} is split across lines"


# --------------------------------------------------------------------- HTML


def test_html_is_a4_titled_by_reference_and_never_breaks_words_anywhere() -> None:
    document = long_table()
    page = render_html(Document(document.title, document.markdown + f"\nChain head `{HASH}`.\n", document.reference))
    assert "anywhere" not in page and "break-all" not in page.split("<body>")[0].split(".long")[0]
    assert re.search(r"@page \{\s*size: A4;", page)
    assert 'counter(page) " of " counter(pages)' in page
    assert "<title>Incident report: INC-2026-0006</title>" in page
    assert css_string("Oak | Primary") == r'"Oak\000020\00007c\000020Primary"'  # CSS would eat a space after "\7c"
    assert css_string("INC-2026-0006") in page  # the reference in the page's margin box
    assert f'<span class="long">{HASH}</span>' in page  # only the long hash may break
    assert '<span class="long">' not in page.replace(f'<span class="long">{HASH}</span>', "")
    assert '<span class="token">INC-2026-0001</span>' in page  # a reference is never broken at its hyphens
    assert "thead { display: table-header-group; }" in page and "break-after: avoid" in page


def test_report_documents_are_named_by_their_reference(incident_document: Document, demo: Path) -> None:
    assert incident_document.reference == "INC-2026-0001" and incident_document.title == "Incident report"
    assert incident_document.label == "Incident report: INC-2026-0001"
    session = open_demo(demo)
    try:
        log = default_registry().build_document(session, "incident-log", ReportParams())
    finally:
        session.close()
    assert re.fullmatch(r"\d\d/\d\d/\d{4} to \d\d/\d\d/\d{4}", log.reference)
    assert render_html(log) != render_html(incident_document)


def test_changing_the_format_changes_the_extension() -> None:
    assert with_suffix("C:/Users/dsl/Documents/incident.md", Format.PDF) == "C:/Users/dsl/Documents/incident.pdf"
    assert with_suffix("/home/dsl/policy.PDF", Format.WORD) == "/home/dsl/policy.docx"
    assert with_suffix("/home/dsl/notes.txt", Format.HTML) == "/home/dsl/notes.txt"  # not ours to rename


# --------------------------------------------------------------------- PDF


def test_pdf_is_a4_with_reference_page_n_of_m_and_title() -> None:
    data = render_pdf(long_table())
    reader = PdfReader(io.BytesIO(data))
    pages = pdf_pages(data)
    assert len(pages) >= 3
    for number, page in enumerate(reader.pages, 1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == A4
        assert f"Page {number} of {len(pages)}" in pages[number - 1]
        assert "INC-2026-0006" in pages[number - 1].splitlines()[0]  # the page header
        assert "When Reference State Who What" in pages[number - 1]  # the header row, repeated
    assert reader.metadata is not None and reader.metadata.title == "Incident report: INC-2026-0006"


def test_pdf_long_table_keeps_every_date_reference_and_name_whole() -> None:
    document = long_table()
    pages = pdf_pages(render_pdf(document))
    text = "\n".join(pages)
    assert len(DATE.findall(text)) == 150
    assert sorted(set(REF.findall(text))) == sorted({f"INC-2026-{h:04d}" for h in range(150)} | {"INC-2026-0006"})
    assert_no_word_split(document.markdown, pages)
    assert "José" in text and "Zoë" in text and "Łukasz-Kowalski" in text


def test_pdf_of_the_demo_incident_report(incident_document: Document) -> None:
    pages = pdf_pages(render_pdf(incident_document))
    assert_no_word_split(incident_document.markdown, pages)
    assert f"Page 1 of {len(pages)}" in pages[0] and "Riverside Primary" in pages[0].splitlines()[0]


def test_pdf_sets_any_language_and_survives_a_cell_taller_than_a_page() -> None:
    polish = "Zażółć gęślą jaźń"
    huge = " ".join(["Ściśle tajne słowa"] * 1500)
    markdown = f"# Notes: X-1\n\n> **Bold** and *italic* with José\n\n1. {polish}\n2. مرحبا بالعالم\n\n| A | B |\n|---|---|\n| {huge} | x |\n"
    pages = pdf_pages(render_pdf(Document("Notes", markdown + "\n名前 end\n", "X-1")))
    text = "\n".join(pages)
    assert polish in text and "José" in text and text.count("Ściśle") == 1500
    assert "\ufffd\ufffd end" in text  # what the font cannot draw is marked, not dropped


# --------------------------------------------------------------------- Word


def test_docx_has_real_headings_lists_tables_and_an_a4_page() -> None:
    import docx
    from docx.shared import Mm

    markdown = "# Social media policy\n\n## 1. Purpose\n\nWe **protect** pupils.\n\n- one\n- two\n\n| Who | Does |\n|---|---|\n| Zoë | Checks |\n"
    word = docx.Document(io.BytesIO(render_docx(Document("Social media policy", markdown, "2026", "Oak Primary"))))
    headings = [(p.style.name, p.text) for p in word.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert headings == [("Heading 1", "Social media policy"), ("Heading 2", "1. Purpose")]
    bullets = [p.text for p in word.paragraphs if p.style is not None and p.style.name == "List Bullet"]
    assert bullets == ["one", "two"]
    assert [[c.text for c in row.cells] for row in word.tables[0].rows] == [["Who", "Does"], ["Zoë", "Checks"]]
    assert any(run.bold and run.text == "protect" for p in word.paragraphs for run in p.runs)
    section = word.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    assert "2026" in section.header.paragraphs[0].text and word.core_properties.title == "Social media policy: 2026"
    assert "NUMPAGES" in section.footer._element.xml


# --------------------------------------------------------------------- the command line


def test_cli_export_pdf_and_the_format_errors(demo: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(demo, store)
    pw = tmp_path / "pw"
    pw.write_text(DEMO_PASSPHRASE)
    base = ["--store", str(store), "export", "incident", "--incident", "INC-2026-0003", "--passphrase-file", str(pw)]
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(cli, [*base, "--out", str(out), "--pdf"])
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    assert reader.metadata is not None and reader.metadata.title == "Incident report: INC-2026-0003"
    both = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "x.pdf"), "--pdf", "--html"])
    assert both.exit_code != 0 and "Choose one format" in both.output and "Traceback" not in both.output
    word = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "x.docx"), "--docx"])
    assert word.exit_code != 0 and "--docx does not apply" in word.output and not (tmp_path / "x.docx").exists()
    with Session.open(store, DEMO_PASSPHRASE) as session:
        assert any(e.summary == "incident report exported (PDF)" for e in session.audit.entries())


def test_policy_letter_and_form_export_as_word_and_pdf(demo: Path, tmp_path: Path) -> None:
    import docx

    store = tmp_path / "store"
    shutil.copytree(demo, store)
    pw = tmp_path / "pw"
    pw.write_text(DEMO_PASSPHRASE)
    auth = ["--passphrase-file", str(pw)]
    from safedesk.store.policy.builder import LETTERS

    letter_title = LETTERS["engagement"].title
    policy = CliRunner().invoke(
        cli, ["--store", str(store), "policy", "build", "--out", str(tmp_path / "p.docx"), "--docx", *auth]
    )
    assert policy.exit_code == 0, policy.output
    headings = [p.text for p in docx.Document(str(tmp_path / "p.docx")).paragraphs if p.style and p.style.name == "Heading 2"]
    assert len(headings) >= 10
    letter = CliRunner().invoke(
        cli, ["--store", str(store), "policy", "letter", "engagement", "--out", str(tmp_path / "l.pdf"), "--pdf", *auth]
    )
    assert letter.exit_code == 0, letter.output
    metadata = PdfReader(tmp_path / "l.pdf").metadata
    assert metadata is not None and metadata.title == letter_title
    form = CliRunner().invoke(
        cli, ["--store", str(store), "forms", "export", "1", "--out", str(tmp_path / "f.html"), "--html", *auth]
    )
    assert form.exit_code == 0, form.output
    assert "<title>" in (tmp_path / "f.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------- printed by a browser


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
def test_chromium_prints_the_demo_incident_report_on_a4_without_splitting_words(
    incident_document: Document, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_bytes(render(incident_document, Format.HTML))
    printed = tmp_path / "report.pdf"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--print-to-pdf={printed}",
            "--no-pdf-header-footer",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    reader = PdfReader(printed)
    pages = pdf_pages(printed.read_bytes())
    assert len(pages) >= 2
    for number, sheet in enumerate(reader.pages, 1):
        assert (round(float(sheet.mediabox.width)), round(float(sheet.mediabox.height))) == A4
        assert "INC-2026-0001" in pages[number - 1] and f"Page {number} of {len(pages)}" in pages[number - 1]
        assert "Incident report | Riverside Primary" in pages[number - 1]  # the page header, spaces kept
    assert reader.metadata is not None and reader.metadata.title == "Incident report: INC-2026-0001"
    assert_no_word_split(incident_document.markdown, pages)


# --------------------------------------------------------------------- any text a person types


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60), st.text(max_size=200))
@example("Zoë \ufffe", "a\uffff <b>b</b>\n\n# not a heading")  # not XML characters; markup
def test_any_typed_text_renders_as_text_in_every_format(name: str, note: str) -> None:
    import docx

    markdown = f"# Notes: {md_escape(name)}\n\n{md_block(note) or 'None.'}\n\n| Who | What |\n|---|---|\n| {md_cell(name)} | {md_cell(note)} |\n"
    document = Document("Notes", markdown, clean_text(name), "Oak Primary")
    page = render_html(document)
    body = page.split("<body>", 1)[1]
    assert set(re.findall(r"</?([a-z0-9]+)", body)) <= {
        "h1",
        "p",
        "br",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "span",
        "body",
        "html",
    }
    assert page.count("</style>") == 1
    assert PdfReader(io.BytesIO(render_pdf(document))).pages
    assert docx.Document(io.BytesIO(render_docx(document))).tables
