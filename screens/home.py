"""Home: what needs attention, and one key to each part of SafeDesk."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Sparkline, Static
from textual.widgets.option_list import Option

from safedesk.store.dashboard.figures import figures
from safedesk.store.features import attention
from safedesk.widgets.common import plain

# The most urgent items are shown; a long tail is summarised (the lists hold them all).
MAX_ITEMS = 60
# (key, label) lines of the start panel; features add their own keys here.
START_ACTIONS: list[tuple[str, str]] = [
    ("t", "What's happening?"),
    ("i", "Incidents"),
    ("n", "New incident"),
    ("c", "Image consents"),
    ("p", "Can I post this?"),
    ("a", "Official accounts"),
    ("h", "Handover"),
    ("f", "Forms"),
    ("o", "Policy and letters"),
    ("g", "Guidance"),
    ("r", "Reports"),
    ("v", "Check the store"),
    ("s", "Settings and contacts"),
    ("F1", "All keys"),
    ("^L", "Lock now"),
]


class HomeScreen(Screen[None]):
    CSS_PATH = "home.tcss"
    AUTO_FOCUS = "#attention"
    BINDINGS = [
        Binding("t", "app.triage", "Triage", tooltip="What's happening? Answer a few questions, get the steps", id="home-triage"),
        Binding("i", "incidents", "Incidents", tooltip="The incident list", id="home-incidents"),
        Binding("n", "new_incident", "New incident", tooltip="Record a new incident", id="home-new-incident"),
        Binding(
            "c",
            "consents",
            "Consents",
            tooltip="Pupils' image consents, never-publish list, MIS import",
            id="home-consents",
            show=False,
        ),
        Binding(
            "p",
            "post_check",
            "Can I post?",
            tooltip="Before posting: channel and pupils, PASS or STOP",
            id="home-post-check",
            show=False,
        ),
        Binding(
            "a",
            "accounts",
            "Accounts",
            tooltip="Official accounts: register, admins, passwords, health",
            id="home-accounts",
            show=False,
        ),
        Binding(
            "h",
            "handover",
            "Handover",
            tooltip="Encrypted handover files: export, import, receipt codes",
            id="home-handover",
            show=False,
        ),
        Binding(
            "f",
            "forms",
            "Forms",
            tooltip="Risk assessments, checklists, business cases: dated versions",
            id="home-forms",
            show=False,
        ),
        Binding(
            "o",
            "policy",
            "Policy",
            tooltip="Your social media policy, template letters and disclaimers",
            id="home-policy",
            show=False,
        ),
        Binding("g", "app.guide", "Guidance", tooltip="Browse and search the guidance", id="home-guide", show=False),
        Binding("v", "verify", "Verify", tooltip="Check the store, the audit chain and evidence", id="home-verify", show=False),
        Binding(
            "s", "settings", "Settings", tooltip="Setting name, auto-lock, theme, local contacts", id="home-settings", show=False
        ),
        Binding("r", "reports", "Reports", tooltip="Reports for the LADO, police, governors", id="home-reports", show=False),
        Binding("f5", "refresh", "Refresh", tooltip="Reload what needs attention", id="home-refresh", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="home-body"):
            with Vertical(id="attention-panel"):
                yield Static("", id="figures-text", markup=False)
                with Horizontal(id="figures"):
                    yield Static("Incidents per month:", id="per-month-label")
                    yield Sparkline([], id="per-month", summary_function=max)
                yield Static("Needs attention (Enter opens)", classes="title")
                yield OptionList(id="attention")
            with Vertical(id="start-panel"):
                yield Static("Start", classes="title")
                yield Static(plain("\n".join(f"{key:>3}  {label}" for key, label in START_ACTIONS)), id="start-lines")
        yield Static("", id="home-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._targets: list[str] = []

    def on_screen_resume(self) -> None:
        # Also runs when the screen is first shown.
        self.action_refresh()

    def action_refresh(self) -> None:
        session = self.app.session
        if session is None:
            return
        shown = figures(session)
        self.query_one("#figures-text", Static).update(
            plain(
                f"Open incidents {shown.open_incidents} · Overdue actions {shown.overdue_actions} · Past year {sum(shown.per_month)}"
            )
        )
        spark = self.query_one("#per-month", Sparkline)
        spark.data = list(shown.per_month)
        spark.tooltip = "Incidents per month: " + ", ".join(
            f"{m} {n}" for m, n in zip(shown.months, shown.per_month, strict=True)
        )
        items = attention(session)
        hidden = max(0, len(items) - MAX_ITEMS)
        items = items[:MAX_ITEMS]
        options = self.query_one("#attention", OptionList)
        options.clear_options()
        self._targets = [item.target for item in items]
        if not items:
            options.add_option(Option(plain("Nothing needs your attention."), disabled=True))
        options.add_options(Option(plain(f"[{item.level.upper()}] {item.text}"), id=str(n)) for n, item in enumerate(items))
        if hidden:
            options.add_option(
                Option(plain(f"... and {hidden} more: open the incident, consent and account lists."), disabled=True)
            )
        user = session.user
        who = f"{user.name} ({user.role_label})" if user else "unknown user"
        self.query_one("#home-status", Static).update(
            plain(f"{session.setting().name} · signed in as {who} · locks after {self.app.idle_minutes:g} min idle")
        )

    @on(OptionList.OptionSelected, "#attention")
    def _open_item(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id) if event.option.id and event.option.id.isdigit() else -1
        area, _, key = (self._targets[index] if 0 <= index < len(self._targets) else "").partition("/")
        if area == "incidents" and key.isdigit():
            from safedesk.screens.incidents.detail import IncidentDetailScreen

            self.app.push_screen(IncidentDetailScreen(int(key)))
        elif area == "consents":
            from safedesk.screens.consents.expiring import ExpiringScreen

            self.app.push_screen(ExpiringScreen())
        elif area == "accounts":
            from safedesk.screens.accounts.register import open_account_target

            open_account_target(self.app, self._targets[index])
        elif area == "handover" and key.isdigit():
            from safedesk.screens.handover.listing import HandoverScreen

            self.app.push_screen(HandoverScreen(focus_id=int(key)))
        elif area == "forms":
            from safedesk.screens.forms.listing import open_forms_target

            open_forms_target(self.app, self._targets[index])
        elif area == "policy":
            self.action_policy()
        elif area == "guide":
            self.app.action_guide(key)

    def action_consents(self) -> None:
        from safedesk.screens.consents.pupils import ConsentsScreen

        self.app.push_screen(ConsentsScreen())

    def action_post_check(self) -> None:
        from safedesk.screens.consents.check import CheckScreen

        self.app.push_screen(CheckScreen())

    def action_accounts(self) -> None:
        from safedesk.screens.accounts.register import AccountsScreen

        self.app.push_screen(AccountsScreen())

    def action_handover(self) -> None:
        from safedesk.screens.handover.listing import HandoverScreen

        self.app.push_screen(HandoverScreen())

    def action_forms(self) -> None:
        from safedesk.screens.forms.listing import FormsScreen

        self.app.push_screen(FormsScreen())

    def action_policy(self) -> None:
        from safedesk.screens.policy.builder import open_policy

        open_policy(self.app)

    def action_reports(self) -> None:
        from safedesk.screens.reports import ReportsScreen

        self.app.push_screen(ReportsScreen())

    def action_settings(self) -> None:
        from safedesk.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen())

    def action_incidents(self) -> None:
        from safedesk.screens.incidents.listing import IncidentListScreen

        self.app.push_screen(IncidentListScreen())

    def action_new_incident(self) -> None:
        from safedesk.screens.incidents.detail import IncidentDetailScreen
        from safedesk.screens.incidents.form import IncidentFormScreen

        def saved(incident_id: int | None) -> None:
            if incident_id is not None:
                self.app.push_screen(IncidentDetailScreen(incident_id))

        self.app.push_screen(IncidentFormScreen(), saved)

    def action_verify(self) -> None:
        self.notify("Checking the store...", timeout=2)
        self._verify()

    @work(thread=True, exclusive=True, group="verify")
    def _verify(self) -> None:
        from safedesk.store.features import verify_store

        report = verify_store(self.app.session)
        self.app.call_from_thread(self._verified, report.ok, report.lines())

    def _verified(self, ok: bool, lines: list[str]) -> None:
        from safedesk.widgets.dialogs import MessageDialog

        self.app.push_screen(MessageDialog("Store check" if ok else "Store check: FAULTS FOUND", "\n".join(lines)))
