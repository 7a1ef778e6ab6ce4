"""Home: what needs attention, and one key to each part of SafeDesk."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, OptionList, Sparkline, Static
from textual.widgets.option_list import Option

from safedesk.router import open_screen, opener
from safedesk.store.dashboard.figures import figures
from safedesk.store.features import attention
from safedesk.widgets.common import plain
from safedesk.widgets.dialogs import MessageDialog
from safedesk.widgets.footer import Footer
from safedesk.widgets.host import host, session_of

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
    SUB_TITLE = "Home"  # the header names the screen
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
        session = host(self.app).session
        if session is None:
            return
        shown = figures(session)
        self.query_one("#figures-text", Static).update(
            plain(
                # Short enough for five-digit counts beside the start panel at 80 columns (and it wraps, never cut).
                f"Open incidents {shown.open_incidents} · Overdue {shown.overdue_actions} · Past year {sum(shown.per_month)}"
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
        who = user.name_and_role if user else "unknown user"
        self.query_one("#home-status", Static).update(
            plain(f"{session.setting().name} · signed in as {who} · locks after {host(self.app).idle_minutes:g} min idle")
        )

    @on(OptionList.OptionSelected, "#attention")
    def _open_item(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id) if event.option.id and event.option.id.isdigit() else -1
        area, _, key = (self._targets[index] if 0 <= index < len(self._targets) else "").partition("/")
        if area == "incidents" and key.isdigit():
            open_screen(self.app, "incident", int(key))
        elif area == "consents":
            open_screen(self.app, "consents-expiring")
        elif area == "accounts":
            opener("account-target")(self.app, self._targets[index])
        elif area == "handover":
            # A sent transfer is focused by its id; a pupil's file not yet sent ("due") is listed first.
            open_screen(self.app, "handover", focus_id=int(key) if key.isdigit() else None)
        elif area == "forms":
            opener("forms-target")(self.app, self._targets[index])
        elif area == "policy":
            self.action_policy()
        elif area == "guide":
            host(self.app).action_guide(key)
        elif area == "keys":
            open_screen(self.app, "keys")

    def action_consents(self) -> None:
        open_screen(self.app, "consents")

    def action_post_check(self) -> None:
        open_screen(self.app, "consent-check")

    def action_accounts(self) -> None:
        open_screen(self.app, "accounts")

    def action_handover(self) -> None:
        open_screen(self.app, "handover")

    def action_forms(self) -> None:
        open_screen(self.app, "forms")

    def action_policy(self) -> None:
        opener("policy-or-questions")(self.app)

    def action_reports(self) -> None:
        open_screen(self.app, "reports")

    def action_settings(self) -> None:
        open_screen(self.app, "settings")

    def action_incidents(self) -> None:
        open_screen(self.app, "incidents")

    def action_new_incident(self) -> None:
        def saved(incident_id: int | None) -> None:
            if incident_id is not None:
                open_screen(self.app, "incident", incident_id)

        open_screen(self.app, "incident-form", callback=saved)

    def action_verify(self) -> None:
        self.notify("Checking the store...", timeout=2)
        self._verify()

    @work(thread=True, exclusive=True, group="verify")
    def _verify(self) -> None:
        from safedesk.store.features import verify_store

        report = verify_store(session_of(self.app))
        self.app.call_from_thread(self._verified, report.ok, report.lines())

    def _verified(self, ok: bool, lines: list[str]) -> None:
        self.app.push_screen(MessageDialog("Store check" if ok else "Store check: FAULTS FOUND", "\n".join(lines)))
