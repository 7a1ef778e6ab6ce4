"""The register of the school's official accounts, and one account in detail.

The register lists every account with its status and a health badge in words. The
detail screen shows the account, its business case and SLT's decision, its admins,
its logins and every health finding; Enter on a finding opens the guidance card
that states the rule. Credentials open on their own screen (safedesk.screens.accounts.credentials).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, OptionList, Static
from textual.widgets.option_list import Option

from safedesk.router import open_screen
from safedesk.screens.accounts.credentials import CredentialForm
from safedesk.screens.accounts.forms import AccountForm, AdminForm, DecisionForm, ReviewForm, StatusForm, case_checks
from safedesk.store.accounts import kdbx
from safedesk.store.accounts.health import Finding, check_account, check_register, summary
from safedesk.store.accounts.register import (
    BUSINESS_CASE_FORM,
    CHECKLIST_CREATING,
    CHECKLIST_MANAGING,
    COMMENTS_LABELS,
    Account,
    Register,
    StaffMember,
)
from safedesk.store.errors import InvalidInput, RecordNotFound
from safedesk.store.text.clean import typed_path
from safedesk.store.text.dates import show_date, show_datetime
from safedesk.store.text.limits import Kind
from safedesk.widgets.common import plain
from safedesk.widgets.dialogs import MessageDialog
from safedesk.widgets.export import export_folder, replace_field
from safedesk.widgets.footer import Footer
from safedesk.widgets.forms import FormDialog, FormField, FormResult
from safedesk.widgets.host import host, session_of

if TYPE_CHECKING:
    from textual.app import App


def open_account_target(app: App, target: str) -> bool:
    """Open what a home-screen item points at ('accounts/12#rule'); False if it is not ours."""
    if not target.startswith("accounts/"):
        return False
    try:
        account_id = int(target.removeprefix("accounts/").partition("#")[0])
        Register(session_of(app)).account(account_id)
    except (ValueError, RecordNotFound):
        app.push_screen(AccountsScreen())
        return True
    app.push_screen(AccountDetailScreen(account_id))
    return True


def _finding_option(finding: Finding, index: int) -> Option:
    return Option(plain(f"[{finding.level.upper()}] {finding.text}"), id=f"finding-{index}")


class AccountsScreen(Screen[None]):
    """Every official account, with its status and health in words."""

    SUB_TITLE = "Official accounts"  # the header names the screen

    CSS_PATH = "register.tcss"
    AUTO_FOCUS = "#accounts-table"
    BINDINGS = [
        Binding("n", "new", "New", tooltip="Propose a new account (with its business case)", id="accounts-new"),
        Binding("s", "staff", "Staff", tooltip="The staff register: admins, owners, approvers and leavers", id="accounts-staff"),
        Binding("h", "health", "Health", tooltip="Every health finding across the register", id="accounts-health"),
        Binding(
            "k",
            f"guide('{CHECKLIST_CREATING}')",
            "Creating",
            tooltip="Checklist: creating an account",
            id="accounts-creating",
            show=False,
        ),
        Binding(
            "m",
            f"guide('{CHECKLIST_MANAGING}')",
            "Managing",
            tooltip="Checklist: managing an account",
            id="accounts-managing",
            show=False,
        ),
        Binding(
            "x",
            "keepass",
            "KeePass",
            tooltip="Export every login with its password and history to a KeePass file (asks first; audited)",
            id="accounts-keepass",
            show=False,
        ),
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the home screen", id="accounts-back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._findings: dict[int, list[Finding]] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Official accounts", classes="title")
        yield Static("", id="accounts-summary", markup=False, classes="muted")
        yield DataTable(id="accounts-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="accounts-preview", markup=False)
        yield Footer()

    @property
    def register(self) -> Register:
        return Register(session_of(self.app))

    def on_mount(self) -> None:
        self.sub_title = "Official accounts"
        table = self.query_one(DataTable)
        table.add_column("Account", width=22)
        table.add_column("Platform", width=13)
        table.add_column("Status", width=10)
        table.add_column("Health", width=23)
        self.refresh_table()

    def on_screen_resume(self) -> None:
        self.sub_title = "Official accounts"
        self.refresh_table()

    def refresh_table(self) -> None:
        register = self.register
        findings = check_register(session_of(self.app))
        self._findings = {}
        for finding in findings:
            self._findings.setdefault(finding.account_id, []).append(finding)
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        accounts = register.accounts()
        for account in accounts:
            table.add_row(
                plain(account.name),
                plain(account.platform),
                account.status_label,
                summary(self._findings.get(account.id or 0, [])),
                key=str(account.id),
            )
        urgent = sum(1 for f in findings if f.level in ("overdue", "action"))
        self.query_one("#accounts-summary", Static).update(
            f"{len(accounts)} account(s) · {urgent} finding(s) to act on · Enter opens one · F1 all keys"
            if accounts
            else "No accounts yet. Add the staff who run them (s), then propose each account (n), live ones included."
        )
        if table.row_count:
            table.move_cursor(row=min(max(keep, 0), table.row_count - 1))
        self._preview()

    def _current_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)

    @on(DataTable.RowHighlighted)
    def _preview(self) -> None:
        account_id = self._current_id()
        found = self._findings.get(account_id or 0, []) if account_id else []
        lines = [f"[{f.level.upper()}] {f.text}" for f in found[:4]]
        if len(found) > 4:
            lines.append(f"... and {len(found) - 4} more: Enter opens the account")
        self.query_one("#accounts-preview", Static).update(plain("\n".join(lines) or ("Nothing to fix." if account_id else "")))

    @on(DataTable.RowSelected)
    def _open(self) -> None:
        account_id = self._current_id()
        if account_id is not None:
            self.app.push_screen(AccountDetailScreen(account_id))

    def action_keepass(self) -> None:
        session = session_of(self.app)
        plan = kdbx.collect(session)  # read here, on the store's thread; the dialog's save runs in a worker

        def save(values: dict[str, str]) -> Path:
            try:
                path = kdbx.check_kdbx_path(typed_path(values["path"]), overwrite=values["replace"] == "yes")
            except InvalidInput as error:
                raise InvalidInput(str(error), "path") from None
            kdbx.check_kdbx_passphrase(session, values["passphrase"], values["confirm"], plan=plan)  # the header only
            kdbx.write_kdbx(path, kdbx.build_kdbx(plan, values["passphrase"]))
            return path

        def done(result: FormResult | None) -> None:
            if result is None:
                return
            written = kdbx.record_export(session, plan)
            self.app.push_screen(
                MessageDialog(
                    "KeePass file written",
                    f"{result.outcome}\n{written.entries} entries for {written.accounts} accounts, "
                    f"{written.history} previous password(s) as entry history.\n\nIt holds every password: import it into "
                    "the school's password manager, then delete this file. Tell IT the passphrase by another route.",
                )
            )

        fields = [
            FormField(
                "path", "Save to (a file path)", value=str(export_folder() / "official-accounts.kdbx"), text_kind=Kind.PATH
            ),
            replace_field(),
            # Rated live against the same names the export checks it against (plan.guessable).
            FormField(
                "passphrase", "Passphrase for the file (three or more random words)", kind="password", strength=plan.guessable
            ),
            FormField("confirm", "The passphrase again", kind="password"),
        ]
        intro = (
            "The file will hold every password, login and recovery detail, protected by its own passphrase "
            "(not your SafeDesk one). The export is recorded in the audit log."
        )
        self.app.push_screen(FormDialog("Export to KeePass", fields, save, intro=intro, save_label="Export", threaded=True), done)

    def action_new(self) -> None:
        def created(account_id: int | None) -> None:
            if account_id:
                self.app.push_screen(AccountDetailScreen(account_id))

        self.app.push_screen(AccountForm(), created)

    def action_staff(self) -> None:
        open_screen(self.app, "staff")

    def action_health(self) -> None:
        findings = check_register(session_of(self.app))
        body = (
            "\n".join(f"[{f.level.upper()}] {f.line} (guidance: {f.card})" for f in findings) or "Nothing to fix in the register."
        )
        self.app.push_screen(MessageDialog(f"Register health: {summary(findings)}", body))

    def action_guide(self, card_id: str) -> None:
        host(self.app).action_guide(card_id)


class AccountDetailScreen(Screen[None]):
    """One account: details, business case and decision, admins, logins and health."""

    SUB_TITLE = "Account"  # the header names the screen

    CSS_PATH = "register.tcss"
    AUTO_FOCUS = "#detail-findings"
    BINDINGS = [
        Binding("e", "edit", "Edit", tooltip="Edit the details and business case", id="detail-edit"),
        Binding(
            "a", "decide", "Approve", tooltip="Record SLT's decision: approve or reject the business case", id="detail-decide"
        ),
        Binding("t", "status", "Status", tooltip="Make it active, pause it or close it", id="detail-status"),
        Binding(
            "d", "add_admin", "Add admin", tooltip="Add an admin (Enter on an admin edits or removes them)", id="detail-admin"
        ),
        Binding(
            "p", "add_login", "Add login", tooltip="Add a login with its password (Enter on a login opens it)", id="detail-login"
        ),
        Binding(
            "w", "review", "Reviewed", tooltip="Record the access and password review and set the next one", id="detail-review"
        ),
        Binding("g", "platform_guide", "Platform guide", tooltip="The guidance card for this platform", id="detail-guide"),
        Binding(
            "k",
            f"guide('{CHECKLIST_CREATING}')",
            "Creating",
            tooltip="Checklist: creating an account",
            id="detail-creating",
            show=False,
        ),
        Binding(
            "m",
            f"guide('{CHECKLIST_MANAGING}')",
            "Managing",
            tooltip="Checklist: managing an account",
            id="detail-managing",
            show=False,
        ),
        Binding(
            "b",
            f"guide('{BUSINESS_CASE_FORM}')",
            "Business case",
            tooltip="The business case form (001)",
            id="detail-case",
            show=False,
        ),
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the register", id="detail-back"),
    ]

    def __init__(self, account_id: int) -> None:
        super().__init__()
        self.account_id = account_id
        self._findings: list[Finding] = []
        self._logins: list[int] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="detail-title", classes="title", markup=False)
        with VerticalScroll(id="detail-body"):
            yield Static("", id="detail-facts", markup=False)
            yield Static("Health (Enter opens the guidance)", classes="section")
            yield OptionList(id="detail-findings", compact=True)
            yield Static("Business case and SLT decision", classes="section")
            yield Static("", id="detail-approval", markup=False)
            yield Static("Admins (Enter to edit or record removal)", classes="section")
            yield DataTable(id="detail-admins", cursor_type="row", zebra_stripes=True)
            yield Static("Logins (Enter opens the password view)", classes="section")
            yield OptionList(id="detail-logins", compact=True)
        yield Footer()

    @property
    def register(self) -> Register:
        return Register(session_of(self.app))

    def on_mount(self) -> None:
        table = self.query_one("#detail-admins", DataTable)
        for label, width in (("Name", 15), ("Role", 8), ("Added", 10), ("AUP", 3), ("Trained", 7), ("Access", 18)):
            table.add_column(label, width=width)
        self.refresh_view()
        # Focusing the findings must not scroll the account's facts out of sight.
        self.call_after_refresh(self.query_one("#detail-body", VerticalScroll).scroll_home, animate=False)

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        register = self.register
        account = register.account(self.account_id)
        self.account = account
        staff = register.staff_by_id()
        credentials = register.credentials(self.account_id)
        self._findings = check_account(account, staff, credentials)
        self.sub_title = "Account"
        self.query_one("#detail-title", Static).update(
            plain(f"{account.label} · {account.status_label} · health: {summary(self._findings)}")
        )
        self.query_one("#detail-facts", Static).update(plain("\n".join(self._facts(account, staff))))

        findings = self.query_one("#detail-findings", OptionList)
        findings.clear_options()
        if self._findings:
            findings.add_options(_finding_option(f, i) for i, f in enumerate(self._findings))
            findings.highlighted = 0
        else:
            findings.add_option(Option("Nothing to fix.", disabled=True))

        self.query_one("#detail-approval", Static).update(plain("\n".join(self._approval(account, staff))))

        table = self.query_one("#detail-admins", DataTable)
        keep = table.cursor_row
        table.clear()
        for index, admin in enumerate(account.admins):
            member = staff.get(admin.staff_id)
            if admin.removed_on:
                access = f"removed {show_date(admin.removed_on)}"
            elif member and member.has_left():
                access = "LEFT: remove now"
            else:
                access = "active"
            table.add_row(
                plain(member.name if member else "(not on register)"),
                plain(admin.platform_role),
                show_date(admin.added_on),
                "yes" if admin.aup_signed else "no",
                "yes" if admin.training_done else "no",
                access,
                key=str(index),
            )
        if table.row_count:
            table.move_cursor(row=min(max(keep, 0), table.row_count - 1))

        logins = self.query_one("#detail-logins", OptionList)
        logins.clear_options()
        self._logins = [c.id or 0 for c in credentials]
        for c in credentials:
            changed = show_date(c.changed_on) if c.changed_on else "never"
            logins.add_option(
                Option(plain(f"{c.label} · {c.login or 'no login'} · MFA {c.mfa.value} · changed {changed}"), id=f"login-{c.id}")
            )
        if credentials:
            logins.highlighted = 0
        else:
            logins.add_option(Option("No logins yet: p adds one.", disabled=True))

    @staticmethod
    def _facts(account: Account, staff: dict[int, StaffMember]) -> list[str]:
        owner = staff.get(account.owner_id) if account.owner_id is not None else None
        return [
            f"Web address: {account.url or 'not recorded'}",
            f"Aim: {account.purpose or 'not recorded'}",
            f"Audience: {account.audience or 'not recorded'} · promoted by: {account.promotion or 'not recorded'}",
            f"Visibility: {account.visibility.value} · comments: {COMMENTS_LABELS[account.comments]}"
            + (" · posts pupil images" if account.pupil_images else ""),
            f"Responsible owner: {owner.label if owner else 'none named'}",
            f"Devices: {', '.join(account.devices) or 'none recorded'}",
            f"Evaluation: {show_date(account.evaluation_on) if account.evaluation_on else 'no date'}"
            f" · measure: {account.success_measure or 'not set'}",
            f"Access and password review: next {show_date(account.review_on) if account.review_on else 'not set'}"
            + (f", last {show_date(account.reviewed_on)}" if account.reviewed_on else ""),
        ]

    @staticmethod
    def _approval(account: Account, staff: dict[int, StaffMember]) -> list[str]:
        def name(staff_id: int) -> str:
            return staff[staff_id].label if staff_id in staff else "(not on register)"

        lines = [
            f"Proposed by: {account.proposed_by or 'not recorded'}"
            + (f" on {show_date(account.proposed_on)}" if account.proposed_on else "")
        ]
        lines.append(f"Run by: {', '.join(name(i) for i in account.runner_ids) or 'no staff named'}")
        if account.volunteers:
            lines.append(f"Helpers not employed by the school: {account.volunteers}")
        lines += case_checks(account)
        for decision in account.decisions:
            verdict = "APPROVED" if decision.approved else "REJECTED"
            reasons = f": {decision.reasons}" if decision.reasons else ""
            lines.append(f"{verdict} by {name(decision.by_id)} on {show_date(decision.on)}{reasons}")
        if not account.decisions:
            lines.append("No SLT decision yet: press a to record it.")
        if account.override:
            lines.append(
                f"OVERRIDE: made active without approval by {account.override.by} on {show_datetime(account.override.at)}: {account.override.reason}"
            )
        return lines

    # ----------------------------------------------------------------- actions

    @on(OptionList.OptionSelected, "#detail-findings")
    def _open_finding(self, event: OptionList.OptionSelected) -> None:
        index = int((event.option.id or "finding-0").removeprefix("finding-"))
        if index < len(self._findings):
            host(self.app).action_guide(self._findings[index].card)

    @on(OptionList.OptionSelected, "#detail-logins")
    def _open_login(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            open_screen(self.app, "credential", int(event.option.id.removeprefix("login-")))

    @on(DataTable.RowSelected, "#detail-admins")
    def _edit_admin(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(AdminForm(self.account, int(event.row_key.value or 0)))

    def action_edit(self) -> None:
        self.app.push_screen(AccountForm(self.account))

    def action_decide(self) -> None:
        def decided(approved: bool | None) -> None:
            if approved is not None:
                text = "Approval recorded. Make it active with t when it is set up." if approved else "Rejection recorded."
                self.notify(text, markup=False)

        self.app.push_screen(DecisionForm(self.account), decided)

    def action_status(self) -> None:
        self.app.push_screen(StatusForm(self.account))

    def action_add_admin(self) -> None:
        self.app.push_screen(AdminForm(self.account))

    def action_add_login(self) -> None:
        self.app.push_screen(CredentialForm(self.account_id))

    def action_review(self) -> None:
        self.app.push_screen(ReviewForm(self.account))

    def action_platform_guide(self) -> None:
        host(self.app).action_guide(self.account.platform_card)

    def action_guide(self, card_id: str) -> None:
        host(self.app).action_guide(card_id)
