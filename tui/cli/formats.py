"""The --html / --pdf / --docx flags every document export takes (Markdown without one), and the
--out/--force pair of the printable sheets, whose format follows the file name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from safedesk.store.errors import InvalidInput
from safedesk.store.text.document import EDITABLE_FORMATS, Format

FLAGS = {"as_html": Format.HTML, "as_pdf": Format.PDF, "as_docx": Format.WORD}


def format_flags(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --html, --pdf and --docx (passed as as_html, as_pdf, as_docx)."""
    func = click.option("--docx", "as_docx", is_flag=True, help="Write a Word document (policy, letters and forms).")(func)
    func = click.option("--pdf", "as_pdf", is_flag=True, help="Write a PDF (A4) instead of Markdown.")(func)
    return click.option("--html", "as_html", is_flag=True, help="Write a printable web page instead of Markdown.")(func)


def chosen_format(
    *, as_html: bool, as_pdf: bool, as_docx: bool, allowed: tuple[Format, ...] = EDITABLE_FORMATS, why: str = ""
) -> Format:
    """The one format asked for; InvalidInput (one line) for two at once or one that does not apply."""
    given = {"as_html": as_html, "as_pdf": as_pdf, "as_docx": as_docx}
    chosen = [FLAGS[name] for name, on in given.items() if on]
    if len(chosen) > 1:
        raise InvalidInput(f"Choose one format: {' or '.join('--' + f.value for f in chosen)}, not both.", "format")
    fmt = chosen[0] if chosen else Format.MARKDOWN
    if fmt not in allowed:
        others = ", ".join("--" + f.value for f in allowed if f is not Format.MARKDOWN)
        raise InvalidInput(f"--{fmt.value} does not apply here{why}: use {others}, or none for Markdown.", "format")
    return fmt


def sheet_out(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --out FILE (format from its name) and --force (passed as out, force)."""
    func = click.option("--force", is_flag=True, help="Replace FILE if it exists.")(func)
    return click.option(
        "--out",
        "out",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="File to write: a printable web page if it ends in .html, a PDF if .pdf, else Markdown.",
    )(func)
