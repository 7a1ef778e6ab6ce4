"""The child's chronology: everything recorded about one pupil, in the order it happened.

Records are kept per incident; a child protection chronology is kept per child. This
gathers, for one pupil of the consent register, every incident with a person linked
to that pupil (the person form's pupil link), each of those incidents' chronology
entries (notes, actions, escalations, status changes, amendments, evidence,
handovers), and the pupil's consent and never-publish decisions, each with the
incident reference it belongs to.

Order is by when each thing happened, not when it was typed in: an escalation logged
the next morning sits at the time of the call, with its recording time shown beside
it ("back-dated"). Entries at the same moment keep the order they were recorded in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from safedesk.store.consents.describe import decision_words, resolve_pupil
from safedesk.store.consents.pupils import PURPOSE_LABELS, Pupil, get_pupil
from safedesk.store.engine.records import utcnow
from safedesk.store.engine.session import Session
from safedesk.store.incidents.about import entry_happened_at, incidents_about_pupil, kind_label
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import CLOCK_SLACK, INVOLVEMENTS, STATUSES
from safedesk.store.registry import Report, ReportParams
from safedesk.store.reports.documents import PERSONAL_DATA_NOTICE
from safedesk.store.text.dates import local_midnight, show_date, show_datetime, to_local, to_local_date
from safedesk.store.text.markdown import md_cell, md_escape


@dataclass(frozen=True)
class ChronologyItem:
    """One line of a child's chronology."""

    happened: datetime  # when it happened (a date-only event: the start of that local day)
    dated_only: bool  # only the day is known (a consent given on a date)
    recorded_at: datetime  # when it was entered in SafeDesk
    kind: str  # in words: "incident", "note", "action closed", "consent", ...
    ref: str  # the incident reference; "" for consent decisions
    text: str
    by: str
    order: int  # recording order among items at the same moment

    @property
    def back_dated(self) -> bool:
        """Entered later than it happened (beyond the clock slack a typed "now" needs)."""
        if self.dated_only:
            return to_local_date(self.recorded_at) > to_local_date(self.happened)
        return self.recorded_at - self.happened > CLOCK_SLACK

    @property
    def day_text(self) -> str:
        return show_date(to_local_date(self.happened))

    @property
    def time_text(self) -> str:
        return "" if self.dated_only else f"{to_local(self.happened):%H:%M}"


def _sort_key(item: ChronologyItem) -> tuple[datetime, datetime, int]:
    return (item.happened, item.recorded_at, item.order)


def pupil_chronology(session: Session, pupil_id: int) -> list[ChronologyItem]:
    """Every incident, chronology entry and consent decision about the pupil, oldest first."""
    pupil = get_pupil(session, pupil_id)
    log = IncidentLog(session)
    items: list[ChronologyItem] = []

    def add(happened: datetime, recorded: datetime, kind: str, ref: str, text: str, by: str, dated_only: bool = False) -> None:
        items.append(ChronologyItem(happened, dated_only, recorded, kind, ref, text, by, len(items)))

    for incident_id in incidents_about_pupil(session, pupil_id):
        incident = log.get(incident_id)
        roles = sorted(
            {INVOLVEMENTS.get(p.involvement, p.involvement).lower() for p in incident.people if p.pupil_id == pupil_id}
        )
        text = f"{incident.title} (this pupil: {', '.join(roles)}; status now {STATUSES.get(incident.status, incident.status).lower()})"
        if incident.occurred_at is not None:
            text += f". Reported {show_datetime(incident.reported_at)}"
        if incident.reported_by:
            text += f" by {incident.reported_by}"
        add(
            incident.occurred_at or incident.reported_at, incident.created_at, "incident", incident.ref, text, incident.created_by
        )
        escalations = {e.id: e for e in log.escalations(incident_id)}
        for entry in log.chronology(incident_id):
            if entry.kind == "created":
                continue  # the incident line above says it, at the time it happened
            happened = entry_happened_at(entry)
            escalation = escalations.get(entry.detail.get("escalation_id")) if entry.kind == "escalation" else None
            if escalation is not None:
                happened = escalation.at  # the call or referral, which may be logged later
            add(happened, entry.at, kind_label(entry.kind), incident.ref, entry.text, entry.by)
    for change, word in decision_words(pupil):
        who = (
            f", given by {change.given_by}" + (f" ({change.relationship})" if change.relationship else "")
            if change.given_by
            else ""
        )
        text = f"Image consent for {PURPOSE_LABELS[change.purpose].lower()}: {word}{who}"
        if change.given_on is not None:
            add(local_midnight(change.given_on), change.recorded_at, "consent", "", text, change.recorded_by, dated_only=True)
        else:
            add(change.recorded_at, change.recorded_at, "consent", "", text, change.recorded_by)
    for flag in pupil.flags:
        text = f"Never-publish flag set: {flag.reason.label}" if flag.reason else "Never-publish flag removed"
        add(local_midnight(flag.on), flag.recorded_at, "consent", "", text, flag.recorded_by, dated_only=True)
    return sorted(items, key=_sort_key)


# --------------------------------------------------------------------- the report


def _facts(pupil: Pupil) -> str:
    parts = [f"Year: {pupil.year_group or 'not recorded'}", f"class: {pupil.form or 'not recorded'}"]
    if pupil.mis_id:
        parts.append(f"MIS id: {pupil.mis_id}")
    if pupil.date_of_birth:
        parts.append(f"born {show_date(pupil.date_of_birth)}")
    if pupil.left_on:
        parts.append(f"left {show_date(pupil.left_on)}")
    return md_escape("; ".join(parts))


def _generated(session: Session) -> str:
    who = session.actor
    return (
        f"Generated {md_escape(show_datetime(utcnow()))} by {md_escape(who)} for "
        f"{md_escape(session.setting().name)} with SafeDesk."
    )


def chronology_markdown(session: Session, pupil_id: int) -> str:
    """The chronology as Markdown: a table a receiver can read in Notepad or print."""
    pupil = get_pupil(session, pupil_id)
    items = pupil_chronology(session, pupil_id)
    refs = sorted({item.ref for item in items if item.ref})
    out = [
        f"# Chronology: {md_escape(pupil.display_name)}",
        "",
        PERSONAL_DATA_NOTICE,
        "",
        _generated(session),
        "",
        "## Pupil",
        "",
        _facts(pupil),
        "",
        f"{len(items)} entries from {len(refs)} incident(s) and the consent record"
        + (f": {md_escape(', '.join(refs))}." if refs else "."),
        "Times are when each thing happened; an entry typed in later also shows when it was recorded.",
        "",
        "## Chronology",
        "",
    ]
    if not items:
        out.append("Nothing is recorded about this pupil yet.")
    else:
        out += ["| Date | Time | Incident | Entry | What happened | By |", "|---|---|---|---|---|---|"]
        for item in items:
            what = item.text
            if item.back_dated:
                what += f" [back-dated: recorded {show_datetime(item.recorded_at)}]"
            cells = (item.day_text, item.time_text, item.ref, item.kind, what, item.by)
            out.append("| " + " | ".join(md_cell(c) or " " for c in cells) + " |")
    return "\n".join(out) + "\n"


def chronology_report(session: Session, params: ReportParams) -> str:
    pupil_id = params.pupil_id if params.pupil_id is not None else resolve_pupil(session, params.pupil)
    return chronology_markdown(session, pupil_id)


REPORT = Report(
    "chronology",
    "Child's chronology",
    "Everything recorded about one pupil in date order, with incident references.",
    chronology_report,
    ("pupil",),
    headings=("Pupil", "Chronology"),
)
