"""Reports: choose one, preview it, write it as Markdown, a printable HTML page or a PDF."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from safedesk.store.consents.pupils import Purpose
from safedesk.store.errors import InvalidInput, SafeDeskError
from safedesk.store.features import build_report, default_registry
from safedesk.store.registry import Report, ReportParams
from safedesk.store.text.dates import DATE_HINT, parse_date
from safedesk.store.text.document import REPORT_FORMATS, Format, render
from safedesk.store.text.limits import Kind
from safedesk.widgets.card_view import CardView
from safedesk.widgets.common import plain
from safedesk.widgets.export import ExportDialog, default_export_path, export_path, format_field
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import FormDialog, FormField, FormResult
from safedesk.widgets.host import session_of

PREVIEW_LINES = 400


class ReportsScreen(Screen[None]):
    SUB_TITLE = "Reports"  # the header names the screen
    CSS_PATH = "reports.tcss"
    AUTO_FOCUS = "#report-list"
    BINDINGS = [
        Binding("escape", "leave", "Back", tooltip="Back to home", id="reports-back"),
        Binding("p", "preview", "Preview", tooltip="Build the chosen report and show it here", id="reports-preview"),
        Binding("e", "export", "Export", tooltip="Write the chosen report to a file", id="reports-export"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._reports = list(default_registry().reports)
        self._params: ReportParams | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="reports-body"):
            with Vertical(id="reports-left"):
                yield OptionList(*[Option(plain(r.title), id=r.name) for r in self._reports], id="report-list")
                yield Static("", id="report-about", markup=False)
            yield CardView(id="report-preview")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#report-list", OptionList).highlighted = 0
        self.query_one(CardView).show("Choose a report and press **p** to preview it or **e** to export it.", "")

    @property
    def chosen(self) -> Report:
        index = self.query_one("#report-list", OptionList).highlighted or 0
        return self._reports[index]

    @on(OptionList.OptionHighlighted, "#report-list")
    def _about(self) -> None:
        report = self.chosen
        note = "Contains personal data." if report.personal_data else "No personal data beyond names of staff users."
        self.query_one("#report-about", Static).update(plain(f"{report.description}\n{note}"))

    @on(OptionList.OptionSelected, "#report-list")
    def action_preview(self) -> None:
        self._ask(export=False)

    def action_export(self) -> None:
        self._ask(export=True)

    def _ask(self, export: bool) -> None:
        report = self.chosen
        fields: list[FormField] = []
        if "incident" in report.needs:
            from safedesk.store.incidents.log import IncidentLog

            rows = sorted(IncidentLog(session_of(self.app)).rows(), key=lambda row: row.ref, reverse=True)
            if not rows:
                self.notify("There are no incidents yet: record one first.", severity="warning")
                return
            # Newest first; the reference and title, so the right one is picked without typing.
            choices = [(f"{row.ref}  {row.title}", row.ref) for row in rows]
            fields.append(FormField("incident", "Incident", "select", rows[0].ref, choices))
        if "pupil" in report.needs:
            from safedesk.store.consents.pupils import pupil_index

            names = sorted(row.name for row in pupil_index(session_of(self.app)).rows)
            fields.append(FormField("pupil", "Pupil (MIS id or full name)", suggestions=names, text_kind=Kind.NAME))
        if "period" in report.needs:
            fields += [
                FormField("start", f"From ({DATE_HINT}; blank: a year ago)", text_kind=Kind.DATE),
                FormField("end", "To (blank: today)", text_kind=Kind.DATE),
            ]
        if "purpose" in report.needs:
            fields.append(FormField("purpose", "Purpose", "select", "", _purposes()))
        if export:
            name = f"{report.name} {fields[0].value}" if "incident" in report.needs else report.name
            fields += [
                FormField("out", "Save as (a file path)", value=str(default_export_path(name)), text_kind=Kind.PATH),
                format_field(REPORT_FORMATS),
            ]
        if not fields:
            self._preview(ReportParams())
            return

        def save(values: dict[str, str]) -> tuple[ReportParams, Path | None]:
            if "pupil" in report.needs:
                from safedesk.store.consents.describe import resolve_pupil

                resolve_pupil(session_of(self.app), values.get("pupil", ""))  # an unknown or shared name: said beside the field
            params = ReportParams(
                incident=values.get("incident", ""),
                pupil=values.get("pupil", ""),
                start=parse_date(values.get("start", ""), "start"),
                end=parse_date(values.get("end", ""), "end"),
                purpose=values.get("purpose", ""),
            )
            if "purpose" in report.needs and not params.purpose:
                raise InvalidInput("Choose the purpose.", "purpose")
            if not export:
                return params, None
            path = export_path(values, "out")
            self._write(report, params, path, Format(values["format"]))
            return params, path

        def done(result: FormResult | None) -> None:
            if result is None:
                return
            params, path = result.outcome
            if path is not None:
                note = " It contains personal data: keep it safe." if report.personal_data else ""
                self.notify(f"Saved to {path}.{note}", title="Exported", timeout=10, markup=False)
            else:
                self._preview(params)

        title = f"{'Export' if export else 'Preview'}: {report.title}"
        if export:
            name_from = ("incident", report.name) if "incident" in report.needs else None
            dialog: FormDialog = ExportDialog(
                title,
                fields,
                save,
                path_field="out",
                name_from=name_from,
                threaded=True,
                intro="The file is not encrypted: keep it where you keep other safeguarding paperwork.",
                save_label="Export",
            )
        else:
            dialog = FormDialog(title, fields, save)
        self.app.push_screen(dialog, done)

    def _write(self, report: Report, params: ReportParams, path: Path, fmt: Format) -> None:
        """Runs in the form's worker thread: build, check, render, write, audit."""
        from safedesk.store.engine.files import write_export

        session = session_of(self.app)
        document = default_registry().build_document(session, report.name, params)
        write_export(path, render(document, fmt))
        session.audit_event("export.report", f"{report.name} report exported ({fmt.kind})")

    @work(thread=True, exclusive=True, group="report-preview")
    def _preview(self, params: ReportParams) -> None:
        try:
            markdown = build_report(session_of(self.app), self.chosen.name, params)
        except SafeDeskError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", markup=False)
            return
        lines = markdown.splitlines()
        note = ""
        if len(lines) > PREVIEW_LINES:
            lines = lines[:PREVIEW_LINES]
            note = f"Preview shows the first {PREVIEW_LINES} lines; the export holds everything."
        self.app.call_from_thread(self.query_one(CardView).show, "\n".join(lines), note)

    def action_leave(self) -> None:
        self.dismiss()


def _purposes() -> list[tuple[str, str]]:
    return [(getattr(p, "label", p.value), p.value) for p in Purpose]
