"""One incident: summary, chronology, checklist, escalations, evidence and people.

Everything is added, never overwritten: ticking an action, escalating, adding
evidence or amending a field each becomes a dated line in the chronology.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from safedesk.content.library import default_library
from safedesk.router import open_screen
from safedesk.store.engine.records import utcnow
from safedesk.store.errors import InvalidInput, NotAllowed
from safedesk.store.incidents import evidence
from safedesk.store.incidents.about import kind_label
from safedesk.store.incidents.log import OPEN_ACTION_CHOICES, IncidentLog, flag_labels
from safedesk.store.incidents.records import (
    ADULT_AWARE,
    EMPLOYMENT_BASES,
    ESCALATION_TARGETS,
    HARM_CATEGORIES,
    INVOLVEMENTS,
    PERSON_ROLES,
    PLATFORMS,
    RISK_COLUMNS,
    RISK_ROWS,
    SEVERITIES,
    STATUSES,
    Action,
    ChronologyEntry,
    Escalation,
    Incident,
    Person,
)
from safedesk.store.text.clean import typed_path
from safedesk.store.text.dates import (
    DATE_HINT,
    DATETIME_HINT,
    parse_date,
    parse_datetime,
    show_date,
    show_datetime,
    to_local_date,
)
from safedesk.store.text.limits import Kind
from safedesk.store.text.sizes import show_size
from safedesk.widgets.common import FittedTable, cell, plain
from safedesk.widgets.dialogs import ConfirmDialog, MessageDialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import FormDialog, FormField, FormResult
from safedesk.widgets.host import host, session_of

TABS = ("summary", "chronology", "actions", "escalations", "evidence", "people")


def _choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return [(label, key) for key, label in mapping.items()]


class IncidentDetailScreen(Screen[None]):
    SUB_TITLE = "Incident"  # the header names the screen
    CSS_PATH = "detail.tcss"
    BINDINGS = [
        Binding("escape", "leave", "Back", tooltip="Back to the list", id="incd-back"),
        Binding("m", "amend", "Amend", tooltip="Correct or add to what was recorded (reason kept)", id="incd-amend"),
        Binding("c", "status", "Status", tooltip="Open, monitoring or closed (with the outcome)", id="incd-status"),
        Binding("t", "note", "Note", tooltip="Add a dated note to the chronology", id="incd-note"),
        Binding("a", "add_action", "Action", tooltip="Add an action with an owner and due date", id="incd-action"),
        Binding("x", "tick", "Done", tooltip="Mark the selected action done, or open again (timestamped)", id="incd-tick"),
        Binding("z", "not_needed", "Not needed", tooltip="Close the selected action with a reason", id="incd-skip", show=False),
        Binding(
            "o",
            "reschedule",
            "Owner/due",
            tooltip="Change the selected action's owner or due date",
            id="incd-resched",
            show=False,
        ),
        Binding("e", "escalate", "Escalate", tooltip="Record a call or referral (police, LADO, POSH...)", id="incd-escalate"),
        Binding("f", "add_file", "File", tooltip="Add an evidence file (kept encrypted, hashed)", id="incd-file"),
        Binding("d", "describe", "Describe", tooltip="Add evidence as a description only", id="incd-describe"),
        Binding(
            "w",
            "export",
            "Export file",
            tooltip="Write the selected evidence file out (asks first; audited)",
            id="incd-export",
            show=False,
        ),
        Binding("p", "add_person", "Person", tooltip="Add a person involved", id="incd-person"),
        Binding(
            "u",
            "edit_person",
            "Edit person",
            tooltip="Correct or add to the selected person's details (reason kept)",
            id="incd-editperson",
            show=False,
        ),
        Binding(
            "delete",
            "remove_person",
            "Remove person",
            tooltip="Remove the selected person (reason kept)",
            id="incd-unperson",
            show=False,
        ),
        Binding("g", "playbook", "Playbook", tooltip="Open the playbook this incident started from", id="incd-playbook"),
        *[Binding(str(i + 1), f"tab('{tab}')", show=False, id=f"incd-tab-{tab}") for i, tab in enumerate(TABS)],
    ]

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id

    @property
    def incidents_log(self) -> IncidentLog:
        return IncidentLog(session_of(self.app))

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="incd-tabs", initial="summary"):
            with TabPane("1 Summary", id="summary"):
                with VerticalScroll():
                    yield Static("", id="incd-summary", markup=False)
            with TabPane("2 Chronology", id="chronology"):
                yield FittedTable([("When", 16), ("Who", 12), ("What (Enter: all of it)", None)], id="incd-chronology")
            with TabPane("3 Actions", id="actions"):
                yield FittedTable([("State", 7), ("Due", 10), ("Owner", 12), ("Action", None)], id="incd-actions")
            with TabPane("4 Escalations", id="escalations"):
                yield FittedTable(
                    [("When", 16), ("To", 14), ("Contact", 12), ("Ref", 10), ("Result", None)], id="incd-escalations"
                )
            with TabPane("5 Evidence", id="evidence"):
                yield FittedTable([("Kind", 9), ("Title", 20), ("Size", 10), ("SHA-256 / where", None)], id="incd-evidence")
                # Beside the export action: why stored files of this incident cannot be written out.
                yield Static("", id="incd-evidence-blocked", classes="hint", markup=False)
            with TabPane("6 People", id="people"):
                yield FittedTable(
                    [("Name (Enter: details)", None), ("Role", 17), ("Involvement", 11), ("Pupil", 6)], id="incd-people"
                )
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_all()

    # ----------------------------------------------------------------- showing

    def refresh_all(self) -> None:
        log = self.incidents_log
        self.incident = log.get(self.incident_id)
        self.sub_title = f"Incident {self.incident.ref}"
        self._summary()
        self._chronology(log)
        self._actions(log)
        self._escalations(log)
        self._evidence()
        self._people()

    def _summary(self) -> None:
        i = self.incident
        risk = (
            " x ".join(x for x in (RISK_ROWS.get(i.risk_row, ""), RISK_COLUMNS.get(i.risk_column, "")) if x) or "not classified"
        )
        playbooks = ", ".join(default_library().cards[p].title for p in i.playbooks if p in default_library().cards)
        lines = [
            f"{i.ref} · {STATUSES[i.status]} · Severity {SEVERITIES.get(i.severity, i.severity)}",
            i.title,
            "",
            f"Reported {show_datetime(i.reported_at)}" + (f" by {i.reported_by}" if i.reported_by else ""),
            f"Happened {show_datetime(i.occurred_at)}" if i.occurred_at else "Happened: not known",
            f"Platform: {PLATFORMS.get(i.platform, i.platform)}" + (f" · Seen: {i.where_seen}" if i.where_seen else ""),
        ]
        lines += [f"Web: {url}" for url in i.urls]
        lines += [
            f"Risk: {risk}",
            f"Harm: {', '.join(HARM_CATEGORIES.get(c, c) for c in i.harm_categories) or 'not recorded'}",
            f"Flags: {flag_labels(i.flags) or 'none'}",
            f"Review: {show_date(i.review_date) or '-'} · Keep until: {show_date(i.retention_date) or '-'}",
        ]
        if i.parents_informed_at or i.parents_informed_by:
            when = show_datetime(i.parents_informed_at) or "time not recorded"
            lines.append(f"Parents informed: {when} by {i.parents_informed_by or 'not recorded'}")
        if i.adult_aware:
            lines.append(f"Adult aware of the allegation: {ADULT_AWARE.get(i.adult_aware, i.adult_aware)}")
        if playbooks:
            lines.append(f"Playbook: {playbooks} (g opens it)")
        lines += ["", "Description:", i.description or "(none)"]
        if i.outcome:
            lines += ["", "Outcome:", i.outcome]
        if i.lessons:
            lines += ["", "Lessons learned:", i.lessons]
        if i.has_flag("sexual_imagery_suspected"):
            lines += [
                "",
                "Sexual imagery suspected: never view, copy or forward it. Describe it only; see the playbook for when to refer.",
            ]
        self.query_one("#incd-summary", Static).update(plain("\n".join(lines)))

    def _chronology(self, log: IncidentLog) -> None:
        table = self.query_one("#incd-chronology", DataTable)
        table.clear()
        self._entries = log.chronology(self.incident_id)
        table.add_rows((show_datetime(e.when), cell(e.by), cell(_entry_text(e))) for e in self._entries)

    def _actions(self, log: IncidentLog) -> None:
        table = self.query_one("#incd-actions", DataTable)
        table.clear()
        self._action_rows = log.actions(self.incident_id)
        today = to_local_date(utcnow())
        table.add_rows((_action_state(a, today), show_date(a.due), cell(a.owner), cell(a.text)) for a in self._action_rows)

    def _escalations(self, log: IncidentLog) -> None:
        table = self.query_one("#incd-escalations", DataTable)
        table.clear()
        self._escalation_rows = log.escalations(self.incident_id)
        table.add_rows(
            (show_datetime(e.at), ESCALATION_TARGETS[e.target], cell(e.contact_name), cell(e.reference), cell(e.result))
            for e in self._escalation_rows
        )

    def _evidence(self) -> None:
        table = self.query_one("#incd-evidence", DataTable)
        table.clear()
        self._evidence_rows = evidence.evidence_for(session_of(self.app), self.incident_id)
        table.add_rows(
            (
                "File" if e.kind == "file" else "Described",
                cell(e.title),
                show_size(e.size) if e.kind == "file" else "",
                cell(e.sha256 if e.kind == "file" else (e.where_seen or e.holder)),
            )
            for e in self._evidence_rows
        )
        blocked = evidence.export_blocked_reason(self.incident)
        note = self.query_one("#incd-evidence-blocked", Static)
        note.update(f"w Export file: not available. {blocked}" if blocked else "")
        note.display = blocked is not None

    def _people(self) -> None:
        table = self.query_one("#incd-people", DataTable)
        table.clear()
        table.add_rows(
            (cell(p.name or "Unknown"), PERSON_ROLES[p.role], INVOLVEMENTS[p.involvement], "yes" if p.pupil_id else "")
            for p in self.incident.people
        )

    def _selected(self, table_id: str, rows: list[Any]) -> Any | None:
        table = self.query_one(table_id, DataTable)
        if not rows or table.cursor_row is None or table.cursor_row >= len(rows):
            self.notify("Choose a row first.", severity="warning")
            return None
        return rows[table.cursor_row]

    # ----------------------------------------------------------------- helpers

    def _form(
        self,
        title: str,
        fields: list[FormField],
        save: Callable[[dict[str, str]], Any],
        *,
        intro: str = "",
        threaded: bool = False,
        then: Callable[[FormResult], None] | None = None,
    ) -> None:
        def done(result: FormResult | None) -> None:
            if result is not None:
                self.refresh_all()
                if then:
                    then(result)

        self.app.push_screen(FormDialog(title, fields, save, intro=intro, threaded=threaded), done)

    # ----------------------------------------------------------------- actions

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        tables = self.query_one(f"#{tab}").query(DataTable)
        if tables:
            tables.first().focus()

    def action_leave(self) -> None:
        self.dismiss()

    def action_amend(self) -> None:
        open_screen(self.app, "incident-form", self.incident_id, callback=lambda _: self.refresh_all())

    def action_status(self) -> None:
        open_count = sum(1 for a in self._action_rows if a.open)
        fields = [
            FormField("status", "Status", "select", self.incident.status, _choices(STATUSES)),
            FormField("outcome", "Outcome (needed to close)", "multiline", self.incident.outcome),
            FormField("lessons", "Lessons learned (optional)", "multiline", self.incident.lessons),
            FormField("note", "Note (optional)"),
        ]
        if open_count:
            # Asked here, not guessed: closing must not silently drop or keep the checklist.
            fields.insert(
                1,
                FormField(
                    "open_actions",
                    f"If closing: its {open_count} open action(s)",
                    "select",
                    "",
                    [(label, key) for key, label in OPEN_ACTION_CHOICES.items()],
                ),
            )

        def save(v: dict[str, str]) -> Incident:
            return self.incidents_log.set_status(
                self.incident_id,
                v["status"],
                v["outcome"],
                v["note"],
                lessons=v["lessons"],
                open_actions=v.get("open_actions") or None,
            )

        self._form("Change status", fields, save)

    def action_note(self) -> None:
        opened = show_datetime(utcnow())

        def save(v: dict[str, str]) -> ChronologyEntry:
            # Left as it opened, the time means "now": a slow typist's note is not "written later".
            typed = v["happened_at"].strip()
            happened = None if typed == opened else parse_datetime(typed, "happened_at")
            return self.incidents_log.add_note(self.incident_id, v["note"], happened)

        self._form(
            "Add a note",
            [
                FormField("note", "What happened, what was decided, who said what", "multiline"),
                FormField(
                    "happened_at",
                    f"When it happened ({DATETIME_HINT}; blank: now)",
                    value=opened,
                    hint="Writing up earlier events? Give their time: the note is marked as written later.",
                    text_kind=Kind.DATE,
                ),
            ],
            save,
        )

    def action_add_action(self) -> None:
        def save(v: dict[str, str]) -> Action:
            due = parse_date(v["due"], "due")
            return self.incidents_log.add_action(Action(incident_id=self.incident_id, text=v["text"], owner=v["owner"], due=due))

        fields = [
            FormField("text", "What needs doing"),
            FormField("owner", "Who will do it", text_kind=Kind.NAME),
            FormField("due", f"Due ({DATE_HINT})", text_kind=Kind.DATE),
        ]
        self._form("Add an action", fields, save)

    def action_tick(self) -> None:
        action = self._selected("#incd-actions", self._action_rows) if self.query_one(TabbedContent).active == "actions" else None
        if action is None:
            self.action_tab("actions")
            return
        try:
            if action.open:
                self.incidents_log.complete_action(action.id)
            else:  # ticked by mistake, or not done after all: untick (the chronology keeps both)
                self.incidents_log.reopen_action(action.id)
        except NotAllowed as error:
            self.notify(str(error), severity="warning", markup=False)
            return
        self.refresh_all()
        moment = show_datetime(datetime.now(UTC))
        self.notify(f"Done at {moment}." if action.open else f"Open again at {moment}.", markup=False)

    def action_not_needed(self) -> None:
        action = self._selected("#incd-actions", self._action_rows)
        if action is not None:
            self._form(
                "Close without doing it",
                [FormField("reason", "Why is it not needed?")],
                lambda v: self.incidents_log.action_not_needed(action.id, v["reason"]),
                intro=action.text,
            )

    def action_reschedule(self) -> None:
        action = self._selected("#incd-actions", self._action_rows)
        if action is None:
            return
        fields = [
            FormField("owner", "Who will do it", value=action.owner, text_kind=Kind.NAME),
            FormField("due", f"Due ({DATE_HINT})", value=show_date(action.due), text_kind=Kind.DATE),
            FormField("reason", "Reason (optional)"),
        ]
        self._form(
            "Owner and due date",
            fields,
            lambda v: self.incidents_log.reschedule_action(action.id, v["owner"], parse_date(v["due"], "due"), v["reason"]),
            intro=action.text,
        )

    def action_escalate(self) -> None:
        def save(v: dict[str, str]) -> Escalation:
            at = parse_datetime(v["at"], "at") or datetime.now(UTC)
            return self.incidents_log.escalate(
                Escalation(
                    incident_id=self.incident_id,
                    target=v["target"],
                    at=at,
                    contact_name=v["contact"],
                    reference=v["reference"],
                    result=v["result"],
                )
            )

        fields = [
            FormField("target", "Escalated to", "select", "", _choices(ESCALATION_TARGETS)),
            FormField("at", f"When ({DATETIME_HINT})", value="now", text_kind=Kind.DATE),
            FormField("contact", "Contact name", text_kind=Kind.NAME),
            FormField("reference", "Reference number", text_kind=Kind.REFERENCE),
            FormField("result", "Result / advice given", "multiline"),
        ]
        self._form("Record an escalation", fields, save)

    def action_add_file(self) -> None:
        try:
            evidence.refuse_files_if_imagery(self.incident)
        except NotAllowed as error:
            self.app.push_screen(MessageDialog("Do not add files to this incident", str(error)))
            return

        def save(v: dict[str, str]) -> evidence.Evidence:
            path = typed_path(v["path"])
            if not v["path"].strip():
                raise InvalidInput("Type or paste the file's full path.", "path")
            captured = parse_datetime(v["captured_at"], "captured_at")
            return evidence.add_file(session_of(self.app), self.incident_id, path, v["title"], captured, v["captured_by"])

        fields = [
            FormField(
                "path",
                "File path (a screenshot, saved page or export)",
                placeholder=r"e.g. C:\Users\you\Desktop\screenshot.png",
                text_kind=Kind.PATH,
            ),
            FormField("title", "Title (blank: the file name)", text_kind=Kind.TITLE),
            FormField("captured_at", f"Captured at ({DATETIME_HINT})", text_kind=Kind.DATE),
            FormField("captured_by", "Captured by", text_kind=Kind.NAME),
        ]
        intro = "The file is copied into the store encrypted, with its SHA-256 and size. Limit 50 MB."
        self._form("Add an evidence file", fields, save, intro=intro, threaded=True, then=self._offer_removal)

    def _offer_removal(self, result: FormResult) -> None:
        original = typed_path(result.values["path"])

        def answered(remove: bool | None) -> None:
            if remove:
                self.notify(evidence.remove_original(original), markup=False, timeout=10)

        body = (
            "A copy is now safe in the encrypted store. Delete the unencrypted original from this computer? "
            "On SSDs and USB sticks, deleted files can sometimes still be recovered, so this is not a guarantee."
        )
        self.app.push_screen(ConfirmDialog("Delete the original file?", body, yes="Delete original", no="Keep it"), answered)

    def action_describe(self) -> None:
        def save(v: dict[str, str]) -> evidence.Evidence:
            item = evidence.Evidence(
                incident_id=self.incident_id,
                kind="description",
                title=v["title"],
                description=v["description"],
                where_seen=v["where_seen"],
                seen_at=parse_datetime(v["seen_at"], "seen_at"),
                holder=v["holder"],
                url=v["url"],
            )
            return evidence.add_description(session_of(self.app), item)

        fields = [
            FormField("title", "Title", text_kind=Kind.TITLE),
            FormField("description", "What was seen (describe; never copy an image of a child)", "multiline"),
            FormField("where_seen", "Where it was seen"),
            FormField("seen_at", f"When ({DATETIME_HINT})", text_kind=Kind.DATE),
            FormField("holder", "Who holds it now (person, device, platform)", text_kind=Kind.NAME),
            FormField("url", "Web address", text_kind=Kind.URL),
        ]
        self._form("Describe evidence", fields, save)

    def action_export(self) -> None:
        item = self._selected("#incd-evidence", self._evidence_rows)
        if item is None or item.kind != "file":
            if item is not None:
                self.notify("Only file evidence can be exported.", severity="warning")
            return
        blocked = evidence.export_blocked_reason(self.incident)
        if blocked:
            self.app.push_screen(MessageDialog("Export evidence file", blocked))
            return

        def save(v: dict[str, str]) -> None:
            target = str(typed_path(v["target"])) if v["target"].strip() else ""
            if not target:
                raise InvalidInput("Type where to write the file.", "target")
            evidence.export_file(session_of(self.app), item, Path(target))

        intro = (
            "This writes an unencrypted copy outside the store, for police or the LADO. "
            "The export is recorded in the audit log. Keep the copy safe and delete it when done."
        )
        self._form(
            "Export evidence file",
            [FormField("target", "Save as (full path)", value=item.file_name, text_kind=Kind.PATH)],
            save,
            intro=intro,
            threaded=True,
            then=lambda _r: self.notify("Exported.", timeout=5),
        )

    def action_add_person(self) -> None:
        pupils = _pupil_lookup(session_of(self.app))
        by_folded = {label.casefold(): pupil_id for label, pupil_id in pupils.items()}

        def save(v: dict[str, str]) -> Incident:
            pupil_id = by_folded.get(v["name"].strip().casefold()) if v["role"] == "pupil" else None
            person = Person(name=v["name"].split(" (")[0] if pupil_id else v["name"], pupil_id=pupil_id, **_person_details(v))
            return self.incidents_log.add_person(self.incident_id, person, note=v["reason"])

        fields = [
            FormField(
                "name",
                "Name (pupils: start typing to link the consent register)",
                suggestions=sorted(pupils),
                text_kind=Kind.NAME,
            ),
            *_person_detail_fields(Person(name="", role="pupil", involvement="victim")),
            FormField("reason", "Note (optional)"),
        ]
        self._form("Add a person involved", fields, save)

    def action_edit_person(self) -> None:
        people = list(self.incident.people)
        person = self._selected("#incd-people", people)
        if person is None:
            return

        def save(v: dict[str, str]) -> Incident:
            changed = dataclasses.replace(person, name=v["name"], **_person_details(v))
            changed.check()
            updated = tuple(changed if p is person else p for p in people)
            return self.incidents_log.amend(self.incident_id, {"people": updated}, v["reason"])

        fields = [
            FormField("name", "Name", value=person.name, text_kind=Kind.NAME),
            *_person_detail_fields(person),
            FormField("reason", "Reason for the change (kept in the chronology)"),
        ]
        self._form("Edit a person involved", fields, save, intro="The earlier details stay readable in the chronology.")

    def action_remove_person(self) -> None:
        people = list(self.incident.people)
        person = self._selected("#incd-people", people)
        if person is None:
            return
        remaining = tuple(p for p in people if p is not person)
        self._form(
            "Remove a person",
            [FormField("reason", "Why? (kept in the chronology)")],
            lambda v: self.incidents_log.amend(self.incident_id, {"people": remaining}, v["reason"]),
            intro=person.label,
        )

    def action_playbook(self) -> None:
        if self.incident.playbooks:
            host(self.app).action_guide(self.incident.playbooks[0])
        else:
            self.notify("This incident was not started from a playbook. Ctrl+G opens the guidance.")

    @on(DataTable.RowSelected, "#incd-chronology")
    def _show_entry(self, event: DataTable.RowSelected) -> None:
        entry = self._entries[event.cursor_row]
        body = [f"{show_datetime(entry.when)} · {entry.by} · {kind_label(entry.kind)}"]
        if entry.happened_at is not None:
            body.append(f"Happened {show_datetime(entry.happened_at)} · recorded {show_datetime(entry.at)}")
        body += ["", entry.text]
        if entry.kind == "amended" and "old" in entry.detail:
            body += ["", "Before:", _readable(entry.detail["old"]), "", "After:", _readable(entry.detail["new"])]
        self.app.push_screen(MessageDialog("Chronology entry", "\n".join(body)))

    @on(DataTable.RowSelected, "#incd-people")
    def _show_person(self, event: DataTable.RowSelected) -> None:
        person = self.incident.people[event.cursor_row]
        lines = [
            person.label,
            "",
            f"Date of birth: {show_date(person.dob) or 'not known'}",
            f"Job title: {person.job_title or '-'}",
            f"Employer: {person.employer or '-'}",
            f"Employed as: {EMPLOYMENT_BASES.get(person.employment_basis, '-')}",
            f"School or setting: {person.school or '-'}",
            f"Social worker: {person.social_worker or '-'}",
            f"Pupil record: {'linked' if person.pupil_id else 'not linked'}",
        ]
        self.app.push_screen(MessageDialog("Person involved", "\n".join(lines)))

    @on(DataTable.RowSelected, "#incd-actions")
    def _show_action(self, event: DataTable.RowSelected) -> None:
        action = self._action_rows[event.cursor_row]
        state = _action_state(action, to_local_date(utcnow()))
        lines = [action.text, "", f"State: {state}", f"Owner: {action.owner or '-'}", f"Due: {show_date(action.due) or '-'}"]
        if action.done_at:
            lines.append(f"Done {show_datetime(action.done_at)} by {action.done_by}")
        if action.not_needed_reason:
            lines.append(f"Not needed: {action.not_needed_reason}")
        if action.source:
            lines.append(f"From: {action.source}")
        self.app.push_screen(MessageDialog("Action", "\n".join(lines)))

    # A cell cut to fit the table (a long reference, an evidence title) opens in full with Enter.
    @on(DataTable.RowSelected, "#incd-escalations")
    def _show_escalation(self, event: DataTable.RowSelected) -> None:
        e = self._escalation_rows[event.cursor_row]
        lines = [
            f"To: {ESCALATION_TARGETS[e.target]}",
            f"When: {show_datetime(e.at)}",
            f"Contact: {e.contact_name or '-'}",
            f"Reference: {e.reference or '-'}",
            f"Recorded by: {e.by or '-'}",
            "",
            "Result:",
            e.result or "-",
        ]
        self.app.push_screen(MessageDialog("Escalation", "\n".join(lines)))

    @on(DataTable.RowSelected, "#incd-evidence")
    def _show_evidence(self, event: DataTable.RowSelected) -> None:
        e = self._evidence_rows[event.cursor_row]
        lines = [e.title, ""]
        if e.kind == "file":
            lines += [f"File: {e.file_name}", f"Size: {e.size:,} bytes", f"SHA-256: {e.sha256}"]
        lines += [
            f"Where seen: {e.where_seen or '-'}",
            f"Seen: {show_datetime(e.seen_at) or '-'}",
            f"Original held by: {e.holder or '-'}",
            f"Address: {e.url or '-'}",
            f"Added {show_datetime(e.added_at)} by {e.added_by or '-'}",
        ]
        if e.description:
            lines += ["", "Description:", e.description]
        self.app.push_screen(MessageDialog("Evidence", "\n".join(lines)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = self.query_one(TabbedContent).active if self.is_mounted else ""
        needs = {
            "not_needed": "actions",
            "reschedule": "actions",
            "export": "evidence",
            "edit_person": "people",
            "remove_person": "people",
        }
        if action in needs:
            return tab == needs[action]
        return True

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()


def _person_detail_fields(person: Person) -> list[FormField]:
    """The person form's fields after the name, filled from `person` (the add and edit forms)."""
    return [
        FormField("role", "Role", "select", person.role, _choices(PERSON_ROLES)),
        FormField("involvement", "Involvement", "select", person.involvement, _choices(INVOLVEMENTS)),
        FormField("dob", f"Date of birth, if known ({DATE_HINT})", value=show_date(person.dob), text_kind=Kind.DATE),
        FormField("job_title", "Job title (adults)", value=person.job_title),
        FormField("employer", "Employer (adults)", value=person.employer),
        FormField("employment_basis", "Employed as (adults)", "select", person.employment_basis, _choices(EMPLOYMENT_BASES)),
        FormField("school", "School or setting (children)", value=person.school),
        FormField("social_worker", "Social worker, if known (name, contact)", value=person.social_worker),
    ]


def _person_details(v: dict[str, str]) -> dict[str, Any]:
    """What those fields hold, as Person's keyword arguments (the date read as DD/MM/YYYY)."""
    return {
        "role": v["role"],
        "involvement": v["involvement"],
        "dob": parse_date(v["dob"], "dob"),
        "job_title": v["job_title"],
        "employer": v["employer"],
        "employment_basis": v["employment_basis"],
        "school": v["school"],
        "social_worker": v["social_worker"],
    }


def _entry_text(entry: ChronologyEntry) -> str:
    """The entry's text, marked when it was written up later than it happened."""
    if entry.backdated:
        return f"(written later) {entry.text}"  # Enter shows when it was recorded
    return entry.text


def _action_state(action: Action, today: Any) -> str:
    if action.done_at:
        return "DONE"
    if action.not_needed_reason:
        return "N/A"
    return "OVERDUE" if action.overdue(today) else "OPEN"


def _readable(value: Any) -> str:
    if value in (None, "", [], ()):
        return "(empty)"
    if isinstance(value, list):
        # A person is shown with every detail kept, so a corrected date of birth reads as a change.
        return "\n".join(
            f"- {', '.join(f'{k}: {x}' for k, x in v.items() if x not in (None, '')) if isinstance(v, dict) else v}"
            for v in value
        )
    return str(value)


def _pupil_lookup(session: Any) -> dict[str, int]:
    """'name (class)' labels of the consent register's pupils -> their ids, for linking people."""
    from safedesk.store.consents.pupils import find_pupils

    return {
        f"{p.name} ({getattr(p, 'form', '') or getattr(p, 'year_group', '')})": p.id
        for p in find_pupils(session, "", limit=100_000)
        if p.id is not None  # stored pupils always have one; the check is for the type
    }


def started_incident_from_triage(app: Any, result: Any) -> None:
    def saved(incident_id: int | None) -> None:
        if incident_id is not None:
            app.push_screen(IncidentDetailScreen(incident_id))

    open_screen(app, "incident-form", triage=result, callback=saved)
