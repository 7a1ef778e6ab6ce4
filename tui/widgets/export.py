"""Exporting a document to a file: the suggested path, the format choice and the dialog that asks.

Shared by the reports, child's chronology, forms, policy and letters screens (no screen imports
another), and by the printable sheets (the recovery-key sheet, the quick reference). The file
name's extension follows the format chosen in the dialog.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from textual import on
from textual.widgets import Input, Select

from safedesk.store.engine.files import write_export
from safedesk.store.errors import InvalidInput
from safedesk.store.text.clean import typed_path
from safedesk.store.text.document import EDITABLE_FORMATS, Document, Format, format_of, render, with_suffix
from safedesk.store.text.limits import Kind
from safedesk.widgets.forms import FormDialog, FormField


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:50] or "export"


def export_folder() -> Path:
    """The user's Documents folder (else their home folder): where exports are suggested."""
    home = Path.home()
    return home / "Documents" if (home / "Documents").is_dir() else home


def default_export_path(name: str, fmt: Format = Format.MARKDOWN) -> Path:
    """A suggested file in the user's Documents folder (else their home folder)."""
    return export_folder() / f"{_slug(name)}{fmt.suffix}"


def replace_field() -> FormField:
    """Whether an export may replace a file of the same name: never unless chosen."""
    return FormField(
        "replace",
        "If the file already exists",
        kind="select",
        value="no",
        options=[("Keep it (I will choose another name)", "no"), ("Replace it", "yes")],
    )


def format_field(formats: Sequence[Format]) -> FormField:
    return FormField("format", "Format", "select", formats[0].value, [(f.label, f.value) for f in formats])


def export_path(values: dict[str, str], field: str = "path") -> Path:
    """The typed path (quotes and escapes removed); a message beside the field when blank, or when
    its name asks for another format than the one chosen (a .md file holding a web page would lie)."""
    text = values[field].strip()
    if not text:
        raise InvalidInput("Type where to save the file.", field)
    path = typed_path(text)
    if "format" in values:
        chosen, named = Format(values["format"]), format_of(path)
        if named is not chosen and path.suffix.lower() in {f.suffix for f in Format} | {".htm"}:
            raise InvalidInput(
                f"The name ends in {path.suffix} but the format chosen is {chosen.kind}: change the name or the format.", field
            )
    return path


class ExportDialog(FormDialog):
    """A FormDialog with a file path and a format: choosing a format changes the path's extension,
    and (optionally) choosing from `name_from` renames the suggested file after the choice."""

    def __init__(
        self,
        title: str,
        fields: Sequence[FormField],
        save: Callable[[dict[str, str]], Any],
        *,
        path_field: str = "path",
        name_from: tuple[str, str] | None = None,  # (select field id, file name prefix)
        **options: Any,
    ) -> None:
        super().__init__(title, fields, save, **options)
        self.path_field = path_field
        self.name_from = name_from

    def _path_input(self) -> Input:
        return self.query_one(f"#form-{self.path_field}", Input)

    @on(Select.Changed, "#form-format")
    def _follow_format(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            field = self._path_input()
            field.value = with_suffix(field.value, Format(event.value))

    @on(Select.Changed)
    def _follow_name(self, event: Select.Changed) -> None:
        if self.name_from is None or event.select.id != f"form-{self.name_from[0]}" or not isinstance(event.value, str):
            return
        field = self._path_input()
        current = Path(field.value.strip() or ".")
        suffix = next((f.suffix for f in Format if field.value.lower().endswith(f.suffix)), Format.MARKDOWN.suffix)
        folder = current.parent if str(current.parent) not in ("", ".") else export_folder()
        field.value = str(folder / f"{_slug(f'{self.name_from[1]} {event.value}')}{suffix}")


def export_dialog(
    title: str,
    suggested: Path,
    write: Callable[[Path, bool, Format], Any],
    formats: Sequence[Format] = EDITABLE_FORMATS,
) -> ExportDialog:
    """Ask where to save an export and in which format; `write(path, overwrite, fmt)` does it
    (errors show by the path). The dialog's outcome is the path written."""

    def save(values: dict[str, str]) -> Path:
        path = export_path(values)
        try:
            write(path, values["replace"] == "yes", Format(values["format"]))
        except InvalidInput as error:
            raise InvalidInput(str(error), "path") from None
        return path

    return ExportDialog(
        title,
        [
            FormField("path", "Save to (a file path)", value=str(with_suffix(str(suggested), formats[0])), text_kind=Kind.PATH),
            format_field(formats),
            replace_field(),
        ],
        save,
        intro="The file is not encrypted: keep it where you keep other safeguarding paperwork.",
        save_label="Export",
    )


# Sheets are for printing: a web page first; never Word (nothing in them is meant to be edited).
SHEET_FORMATS = (Format.HTML, Format.PDF, Format.MARKDOWN)


def sheet_dialog(title: str, name: str, markdown: str, *, style: str = "") -> ExportDialog:
    """Ask where to save a printable sheet (a web page in Documents unless another format is chosen) and write it."""

    def write(path: Path, overwrite: bool, fmt: Format) -> None:
        write_export(path, render(Document(title, markdown, style=style), fmt), overwrite=overwrite)

    return export_dialog(title, default_export_path(name, Format.HTML), write, formats=SHEET_FORMATS)
