"""The store's extension points: home attention items, verify checks and reports.

Each feature package has a `feature.register(registry)` that adds what it
contributes; `safedesk.store.features.default_registry()` calls them in one
explicit order. Nothing registers by being imported, so what the home screen,
`safedesk verify` and `safedesk export` offer is what that one list says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from safedesk.store.engine.session import Session
from safedesk.store.engine.verify import Check, CheckFn, VerifyReport, verify_session
from safedesk.store.errors import InvalidInput
from safedesk.store.text.document import Document
from safedesk.store.text.markdown import check_markdown, outline

__all__ = [
    "LEVELS",
    "SAFEGUARDING_AREAS",
    "AttentionItem",
    "Check",
    "CheckFn",
    "Provider",
    "Registry",
    "Report",
    "ReportParams",
    "attention_priority",
]

# Order of urgency; the word is shown with the item, so colour never carries it alone.
LEVELS = ("overdue", "action", "due soon", "advice")

# The home list's order, decided here and nowhere else (`attention_priority`):
#   1. safeguarding: what keeps a child safe or their record reachable: a child protection
#      file to transfer or a handover whose receipt is not confirmed ("handover"), an
#      incident's actions and reviews ("incidents"), a recovery key never confirmed as written
#      down ("recovery key": without it a forgotten passphrase loses every record);
#   2. everything else, the housekeeping: accounts, consents, forms, policy, backups, keys advice.
# Within each group the most urgent level first (LEVELS), then the order the features were
# registered in (safedesk.store.features). So an overdue account item never hides a transfer
# due below the fold at 80x24. A new area is housekeeping unless added here.
SAFEGUARDING_AREAS = frozenset({"handover", "incidents", "recovery key"})


@dataclass(frozen=True)
class AttentionItem:
    """One line on the home screen: something the DSL should look at."""

    level: str  # one of LEVELS
    text: str  # may contain user text: render as plain text
    area: str  # "store", "incidents", ...
    target: str = ""  # what to open, e.g. "incidents/12"


def attention_priority(item: AttentionItem) -> tuple[int, int]:
    """Where `item` goes on the home list: safeguarding before housekeeping, then by level (see SAFEGUARDING_AREAS)."""
    group = 0 if item.area in SAFEGUARDING_AREAS else 1
    return group, LEVELS.index(item.level) if item.level in LEVELS else len(LEVELS)


Provider = Callable[[Session], Iterable[AttentionItem]]


@dataclass(frozen=True)
class ReportParams:
    incident: str = ""  # a reference such as INC-2026-0007
    start: date | None = None
    end: date | None = None
    purpose: str = ""
    include_secrets: bool = False
    pupil: str = ""  # an MIS id or full name (the child's chronology)
    pupil_id: int | None = None  # or the pupil itself, when a screen already knows which child (no name to resolve)


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    build: Callable[[Session, ReportParams], str]
    needs: tuple[str, ...] = ()  # "incident", "period", "purpose", "pupil"
    personal_data: bool = True
    headings: tuple[str, ...] = field(default=())


class Registry:
    """What the features contribute, in the order they were registered."""

    def __init__(self) -> None:
        self._providers: list[Provider] = []
        self._checks: list[CheckFn] = []
        self._reports: dict[str, Report] = {}

    # ----------------------------------------------------------------- registering

    def add_provider(self, provider: Provider) -> None:
        self._providers.append(provider)

    def add_check(self, check: CheckFn) -> None:
        self._checks.append(check)

    def add_report(self, report: Report) -> None:
        # Two features claiming one name would make `safedesk export NAME` depend on their order.
        if report.name in self._reports:
            raise ValueError(f"two reports are called {report.name!r}")
        self._reports[report.name] = report

    # ----------------------------------------------------------------- listing

    @property
    def providers(self) -> tuple[Provider, ...]:
        return tuple(self._providers)

    @property
    def checks(self) -> tuple[CheckFn, ...]:
        return tuple(self._checks)

    @property
    def reports(self) -> tuple[Report, ...]:
        return tuple(self._reports.values())

    # ----------------------------------------------------------------- using

    def attention(self, session: Session) -> list[AttentionItem]:
        """Every provider's items in `attention_priority` order (registration order where it ties)."""
        items = [item for provider in self._providers for item in provider(session)]
        return sorted(items, key=attention_priority)  # a stable sort: ties keep registration order

    def verify(self, session: Session) -> VerifyReport:
        """The engine's own checks, then each feature's."""
        return verify_session(session, self._checks)

    def report(self, name: str) -> Report:
        report = self._reports.get(name)
        if report is None:
            raise InvalidInput(f"No report called '{name}'. Reports: {', '.join(sorted(self._reports))}.", "report")
        return report

    def build_report(self, session: Session, name: str, params: ReportParams) -> str:
        """The report as checked Markdown; raises InvalidInput for an unknown report or missing parameter."""
        report = self.report(name)
        if "incident" in report.needs and not params.incident:
            raise InvalidInput("Name the incident by its reference, e.g. --incident INC-2026-0007.", "incident")
        if "pupil" in report.needs and not params.pupil and params.pupil_id is None:
            raise InvalidInput("Name the pupil by MIS id or full name, e.g. --pupil UPN1234.", "pupil")
        if "purpose" in report.needs and not params.purpose:
            raise InvalidInput("Name the purpose, e.g. --purpose social_media.", "purpose")
        markdown = report.build(session, params)
        if session.setting().demo:
            markdown = with_demo_banner(markdown)
        check_markdown(markdown, headings=report.headings)
        return markdown

    def build_document(self, session: Session, name: str, params: ReportParams) -> Document:
        """The report as a Document for the renderers: its reference is what its top heading
        names after the colon ("Incident report: INC-2026-0007" -> "INC-2026-0007"), so each
        printed page and saved file says which incident or period it is about."""
        report = self.report(name)
        markdown = self.build_report(session, name, params)
        top = outline(markdown).headings[0][1]
        reference = top.partition(": ")[2].strip() if ": " in top else ""
        setting = session.setting().name
        return Document(
            title=report.title, markdown=markdown, reference=reference, subtitle="" if setting == reference else setting
        )


DEMO_BANNER = (
    "> **DEMO STORE: FICTIONAL DATA.** Every name, incident and account in this report was invented for "
    "training; it is not a record of real people or events."
)


def with_demo_banner(markdown: str) -> str:
    """The report with the demo warning right under its title, so no printout can pass for a real record."""
    title, _, rest = markdown.partition("\n")
    if not title.startswith("# "):
        return f"{DEMO_BANNER}\n\n{markdown}"
    body = rest.lstrip("\n")
    return f"{title}\n\n{DEMO_BANNER}\n\n{body}"  # blank lines around it: the banner never swallows a paragraph
