"""Exporting a document to a Markdown file: the suggested path and the dialog that asks where.

Shared by the forms, the policy and the letters screens (no screen imports another), and by the
printable sheets (the recovery-key sheet, the quick reference), which are written as a printable
HTML page when the chosen name ends in .html.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from safedesk.store.engine.files import write_document
from safedesk.store.errors import InvalidInput
from safedesk.store.text.clean import typed_path
from safedesk.widgets.forms import FormDialog, FormField


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:50] or "export"


def default_export_path(name: str, suffix: str = ".md") -> Path:
    """A suggested file in the user's Documents folder (else their home folder)."""
    home = Path.home()
    folder = home / "Documents" if (home / "Documents").is_dir() else home
    return folder / f"{_slug(name)}{suffix}"


def sheet_dialog(title: str, name: str, markdown: str, *, style: str = "") -> FormDialog:
    """Ask where to save a printable sheet (suggested as HTML in Documents) and write it."""

    def write(path: Path, overwrite: bool) -> None:
        write_document(path, markdown, title, overwrite=overwrite, style=style)

    return export_dialog(title, default_export_path(name, ".html"), write)


def export_dialog(title: str, suggested: Path, write: Callable[[Path, bool], Any]) -> FormDialog:
    """Ask where to save an export; `write(path, overwrite)` does it (errors show by the path)."""

    def save(values: dict[str, str]) -> Path:
        text = values["path"].strip()
        if not text:
            raise InvalidInput("Type where to save the file, e.g. a path ending in .md.", "path")
        path = typed_path(text)
        try:
            write(path, values["replace"] == "yes")
        except InvalidInput as error:
            raise InvalidInput(str(error), "path") from None
        return path

    return FormDialog(
        title,
        [
            FormField("path", "Save to (a file path)", value=str(suggested)),
            FormField(
                "replace",
                "If the file already exists",
                kind="select",
                value="no",
                options=[("Keep it (I will choose another name)", "no"), ("Replace it", "yes")],
            ),
        ],
        save,
        intro="The file is not encrypted: keep it where you keep other safeguarding paperwork.",
        save_label="Export",
    )
