"""The staff register behind the accounts: who may run, own and approve them, and leavers.

Marking someone as left is the leaver workflow: every account they administered is
flagged for access removal and a password change, every account they owned for a
new owner, and the screen says exactly what to do for each.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from safedesk.screens.accounts.forms import RegisterForm, check, date_field, text_field
from safedesk.store.accounts.register import LeaverReport, Register, StaffMember, today
from safedesk.store.text.dates import show_date
from safedesk.store.text.limits import Kind, limit
from safedesk.widgets.common import plain
from safedesk.widgets.dialogs import MessageDialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.host import session_of


class StaffForm(RegisterForm[int]):
    def __init__(self, member: StaffMember | None = None) -> None:
        super().__init__()
        self.member = member
        self.heading = "Edit member of staff" if member else "Add a member of staff"

    def form(self) -> ComposeResult:
        m = self.member or StaffMember(name="")
        yield text_field("Name", "name", m.name, max_length=limit(Kind.NAME))
        yield text_field("Role", "role", m.role, max_length=limit(Kind.SHORT), placeholder="e.g. Deputy head, Office manager")
        yield check("On the senior leadership team (may own and approve accounts)", "slt", m.slt)
        if self.member and self.member.left_on:
            yield date_field("Left on (correct it, or clear it if they were marked by mistake)", "left_on", self.member.left_on)

    def save(self, values: dict[str, Any]) -> int:
        if self.member is None:
            return (
                self.register.add_staff(StaffMember(name=self.value("name"), role=self.value("role"), slt=self.value("slt"))).id
                or 0
            )
        self.member.name, self.member.role, self.member.slt = self.value("name"), self.value("role"), self.value("slt")
        if self.member.left_on:
            self.member.left_on = self.day("left_on")
        return self.register.save_staff(self.member).id or 0


class LeaverForm(RegisterForm[LeaverReport]):
    """Mark a member of staff as left; the result lists what to do on each account."""

    save_label = "Mark as left (Ctrl+S)"

    def __init__(self, member: StaffMember) -> None:
        super().__init__()
        self.member = member
        self.heading = f"Leaver: {member.label}"

    def form(self) -> ComposeResult:
        register = self.register
        roles = [
            f"- {a.label}: {admin.platform_role}"
            for a in register.accounts()
            for admin in a.active_admins
            if admin.staff_id == self.member.id
        ]
        owned = [f"- {a.label}: responsible owner" for a in register.accounts() if a.owner_id == self.member.id]
        listing = "\n".join(roles + owned) or "They are not an admin or owner of any account in the register."
        yield Static(plain(f"Their access to official accounts:\n{listing}"), classes="case-checks")
        yield Static(
            "Each account they ran will be flagged until their access is removed on the platform and each "
            "password they knew is changed (reason: leaver).",
            classes="muted form-intro",
        )
        yield date_field("Last day (or the day access must end)", "left_on", today())

    def save(self, values: dict[str, Any]) -> LeaverReport:
        return self.register.mark_left(self.member.id or 0, self.day("left_on", required=True) or today())


class StaffScreen(Screen[None]):
    """Everyone who may run, own or approve an account; leavers stay listed, marked."""

    SUB_TITLE = "Staff register"  # the header names the screen

    CSS_PATH = "register.tcss"
    AUTO_FOCUS = "#staff-table"
    BINDINGS = [
        Binding("n", "add", "Add", tooltip="Add a member of staff", id="staff-add"),
        Binding("e", "edit", "Edit", tooltip="Edit the highlighted person (Enter does the same)", id="staff-edit"),
        Binding(
            "l",
            "leaver",
            "Leaver",
            tooltip="Mark the highlighted person as left: flags every account they ran",
            id="staff-leaver",
        ),
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the account register", id="staff-back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Staff register", classes="title")
        yield Static(
            "Admins, owners and approvers of the school's accounts. A leaver is marked, never deleted.",
            classes="muted",
        )
        yield DataTable(id="staff-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Staff register"
        table = self.query_one(DataTable)
        table.add_column("Name", width=22)
        table.add_column("Role", width=16)
        table.add_column("SLT", width=3)
        table.add_column("Status", width=16)
        table.add_column("Admin of", width=8)
        self.refresh_table()

    def on_screen_resume(self) -> None:
        self.refresh_table()

    def refresh_table(self) -> None:
        register = Register(session_of(self.app))
        accounts = register.accounts()
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for member in register.staff():
            runs = sum(1 for a in accounts for admin in a.active_admins if admin.staff_id == member.id)
            status = f"left {show_date(member.left_on)}" if member.left_on else "in post"
            if member.left_on and not member.has_left():
                status = f"leaves {show_date(member.left_on)}"
            table.add_row(
                plain(member.name), plain(member.role), "yes" if member.slt else "", plain(status), str(runs), key=str(member.id)
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

    def _current(self) -> StaffMember | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return Register(session_of(self.app)).staff_member(int(key or 0))

    def action_add(self) -> None:
        self.app.push_screen(StaffForm())

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        member = self._current()
        if member:
            self.app.push_screen(StaffForm(member))

    def action_leaver(self) -> None:
        member = self._current()
        if member is None:
            return
        if member.left_on:
            self.notify("Already marked as left. Edit (e) to correct the date.", markup=False)
            return

        def done(report: LeaverReport | None) -> None:
            if report is not None:
                self.app.push_screen(MessageDialog("Leaver recorded: what to do now", "\n".join(report.lines())))

        self.app.push_screen(LeaverForm(member), done)
