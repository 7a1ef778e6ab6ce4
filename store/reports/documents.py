"""Markdown reports: one incident, the incident log, the audit log.

`safedesk export` and the Reports screen list them through safedesk.store.registry,
beside the reports consents and accounts add.

Every piece of user text goes through safedesk.store.text.markdown (md_escape, md_cell,
md_block) so it cannot break a table or inject Markdown or HTML; every report is
parsed back with markdown-it-py (html disabled) before it is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from safedesk.store.engine.core_records import REFERRER_FIELDS
from safedesk.store.engine.records import utcnow
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput
from safedesk.store.incidents.evidence import evidence_for
from safedesk.store.incidents.log import FIELD_LABELS, IncidentLog
from safedesk.store.incidents.records import (
    ADULT_AWARE,
    ADULT_ROLES,
    EMPLOYMENT_BASES,
    ESCALATION_TARGETS,
    FLAGS,
    HARM_CATEGORIES,
    HARM_TESTS,
    INVOLVEMENTS,
    PERSON_ROLES,
    PLATFORMS,
    REF,
    RISK_COLUMNS,
    RISK_ROWS,
    SEVERITIES,
    STATUSES,
    ChronologyEntry,
    Incident,
)
from safedesk.store.registry import Report, ReportParams
from safedesk.store.text.dates import show_date, show_datetime, to_local_date
from safedesk.store.text.markdown import md_block, md_cell, md_escape
from safedesk.store.text.sizes import show_size

PERSONAL_DATA_NOTICE = (
    "> **Confidential: contains personal data about children and staff.** Share only with people "
    "entitled to see it (e.g. the LADO, police, children's social care), by a secure route. "
    "Do not print more copies than needed; store and destroy it as your safeguarding records policy says."
)


def period(params: ReportParams) -> tuple[date, date]:
    end = params.end or to_local_date(utcnow())
    start = params.start or (end - timedelta(days=365))
    if start > end:
        raise InvalidInput("The start date is after the end date.", "start")
    return start, end


def _generated(session: Session) -> str:
    who = session.actor
    return (
        f"Generated {md_escape(show_datetime(utcnow()))} by {md_escape(who)} for {md_escape(session.setting().name)} "
        f"with SafeDesk. Audit chain head at generation: `{session.audit.head()}`."
    )


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    headers = list(headers)
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md_cell(str(c)) or " " for c in row) + " |" for row in rows]
    return lines


def find_incident(session: Session, reference: str) -> Incident:
    wanted = reference.strip().upper()
    if not REF.match(wanted):
        raise InvalidInput(f"'{reference}' is not an incident reference (like INC-2026-0007).", "incident")
    log = IncidentLog(session)
    for row in log.rows():
        if row.ref == wanted:
            return log.get(row.id)
    raise InvalidInput(f"No incident {wanted} in this store.", "incident")


# --------------------------------------------------------------------- one incident


def incident_report(session: Session, params: ReportParams) -> str:
    incident = find_incident(session, params.incident)
    log = IncidentLog(session)
    assert incident.id is not None
    risk = " x ".join(x for x in (RISK_ROWS.get(incident.risk_row, ""), RISK_COLUMNS.get(incident.risk_column, "")) if x)
    out = [
        f"# Incident report: {md_escape(incident.ref)}",
        "",
        PERSONAL_DATA_NOTICE,
        "",
        _generated(session),
        "",
        "## Referrer",
        "",
    ]
    out += _referrer(session)
    out += ["", "## Summary", ""]
    out += _table(
        ["Field", "Record"],
        [
            ("Reference", incident.ref),
            ("Title", incident.title),
            ("Status", STATUSES.get(incident.status, incident.status)),
            ("Reported", show_datetime(incident.reported_at)),
            ("Reported by", incident.reported_by or "Not recorded"),
            ("Happened", show_datetime(incident.occurred_at) or "Not known"),
            ("Platform", PLATFORMS.get(incident.platform, incident.platform)),
            ("Where seen", incident.where_seen or "Not recorded"),
            ("Web addresses", " ".join(incident.urls) or "None recorded"),
            ("Severity", SEVERITIES.get(incident.severity, incident.severity)),
            ("Category of harm", ", ".join(HARM_CATEGORIES.get(c, c) for c in incident.harm_categories) or "Not recorded"),
            ("Risk (guidance matrix)", risk or "Not classified"),
            ("Flags", ", ".join(FLAGS.get(f, f) for f in incident.flags) or "None"),
            ("Parents informed", _parents_informed(incident)),
            ("Review date", show_date(incident.review_date) or "None set"),
            ("Keep until", show_date(incident.retention_date) or "Not set: see your records retention policy"),
            ("Recorded", f"{show_datetime(incident.created_at)} by {incident.created_by}"),
        ],
    )
    if incident.has_flag("allegation_against_staff") or incident.harm_tests:
        out += ["", "## Allegation against an adult", ""]
        out += _table(
            ["Harm test criterion", "Applies"],
            [(label, "Yes" if key in incident.harm_tests else "Not indicated") for key, label in HARM_TESTS.items()],
        )
        aware = ADULT_AWARE.get(incident.adult_aware, "Not recorded")
        out += ["", f"Is the adult aware of the allegation? {md_escape(aware)}"]
    out += ["", "## Description", "", md_block(incident.description) or "_None recorded._", "", "## People involved", ""]
    out += _people(incident)
    entries = log.chronology(incident.id)
    out += ["", "## Chronology", ""]
    if any(e.backdated for e in entries):
        out += [
            "In the order things happened. Entries marked _written later_ were recorded after the event.",
            "",
        ]
    out += _table(["Happened", "Recorded", "Who", "What"], [_chronology_row(e) for e in entries])
    amendments = [e for e in entries if e.kind == "amended" and "field" in e.detail]
    out += ["", "## Amendments", ""]
    if amendments:
        out.append("Every change to what was first recorded, with the original text.")
        for entry in amendments:
            label = FIELD_LABELS.get(entry.detail["field"], entry.detail["field"])
            out += [
                "",
                f"### {md_escape(show_datetime(entry.at))}: {md_escape(label)}",
                "",
                f"Changed by {md_escape(entry.by)}. Reason: {md_escape(str(entry.detail.get('reason', '')))}",
                "",
                "Before:",
                "",
                md_block(_flatten(entry.detail.get("old"))) or "_(empty)_",
                "",
                "After:",
                "",
                md_block(_flatten(entry.detail.get("new"))) or "_(empty)_",
            ]
    else:
        out.append("_No amendments._")
    today = to_local_date(utcnow())
    actions = log.actions(incident.id)
    out += ["", "## Actions", ""]
    out += (
        _table(
            ["State", "Due", "Owner", "Action", "Closed"],
            [
                (
                    "Done" if a.done_at else "Not needed" if a.not_needed_reason else "Overdue" if a.overdue(today) else "Open",
                    show_date(a.due),
                    a.owner,
                    _guidance_words(a.text),
                    f"{show_datetime(a.done_at)} {a.done_by}".strip() if a.done_at else a.not_needed_reason,
                )
                for a in actions
            ],
        )
        if actions
        else ["_None._"]
    )
    escalations = log.escalations(incident.id)
    out += ["", "## Escalations", ""]
    out += (
        _table(
            ["When", "To", "Contact", "Reference", "Result"],
            [
                (
                    show_datetime(e.at),
                    ESCALATION_TARGETS.get(e.target, e.target),
                    e.contact_name or "Not recorded",
                    e.reference or "None given",
                    e.result or "Not yet known",
                )
                for e in escalations
            ],
        )
        if escalations
        else ["_None._"]
    )
    items = evidence_for(session, incident.id)
    out += ["", "## Evidence manifest", ""]
    if items:
        out += _table(
            ["#", "Kind", "Title", "Size", "SHA-256", "Captured / seen"],
            [
                (
                    str(n),
                    "File" if e.kind == "file" else "Description only",
                    e.title,
                    show_size(e.size) if e.kind == "file" else "No copy kept",
                    e.sha256 or "None (no file)",
                    " ".join(x for x in (show_datetime(e.captured_at or e.seen_at), e.captured_by) if x)
                    or (f"Seen: {e.where_seen}" if e.where_seen else "Not recorded"),
                )
                for n, e in enumerate(items, start=1)
            ],
        )
        described = [e for e in items if e.kind == "description"]
        for e in described:
            out += ["", f"### Described: {md_escape(e.title)}", ""]
            out += _table(
                ["Field", "Record"],
                [
                    ("Where seen", e.where_seen or "Not recorded"),
                    ("When seen", show_datetime(e.seen_at) or "Not recorded"),
                    ("Who holds it", e.holder or "Not recorded"),
                    ("Web address", e.url or "None recorded"),
                    ("Recorded", f"{show_datetime(e.added_at)} by {e.added_by}"),
                ],
            )
            out += ["", md_block(e.description)]
    else:
        out.append("_None._")
    out += [
        "",
        "## Outcome",
        "",
        md_block(incident.outcome) or "_Not yet recorded._",
        "",
        "## Lessons learned",
        "",
        md_block(incident.lessons) or "_Not yet recorded._",
    ]
    out += ["", "## Verification", "", _verification(session)]
    out += ["", "## Signature", ""]
    referrer = session.setting().referrer
    out += _table(
        ["Field", "Entry"],
        [("Name", referrer.get("name", "")), ("Role", referrer.get("role", "")), ("Signature", ""), ("Date", "")],
    )
    return "\n".join(out) + "\n"


def _referrer(session: Session) -> list[str]:
    """The referrer block: who is sending this, from Settings."""
    referrer = session.setting().referrer
    if not referrer:
        return ["_Not set: the DSL enters their name, role, phone and secure email once in Settings._"]
    rows = [(label, referrer.get(key, "") or "Not recorded") for key, label in REFERRER_FIELDS.items()]
    return _table(["Field", "Record"], [*rows, ("Setting", session.setting().name)])


def _parents_informed(incident: Incident) -> str:
    if incident.parents_informed_at is None and not incident.parents_informed_by:
        return "Not recorded"
    when = show_datetime(incident.parents_informed_at) if incident.parents_informed_at else "time not recorded"
    return f"{when} by {incident.parents_informed_by or 'not recorded'}"


def _people(incident: Incident) -> list[str]:
    if not incident.people:
        return ["_None recorded._"]
    out = _table(
        ["Name", "Role", "Involvement", "Date of birth", "Pupil record"],
        [
            (
                p.name or "Unknown",
                PERSON_ROLES.get(p.role, p.role),
                INVOLVEMENTS.get(p.involvement, p.involvement),
                show_date(p.dob) or "Not known",
                "Linked" if p.pupil_id else "",
            )
            for p in incident.people
        ],
    )
    adults = [p for p in incident.people if p.role in ADULT_ROLES and (p.job_title or p.employer or p.employment_basis)]
    if adults:
        out += ["", "### Adults: job and employer", ""]
        out += _table(
            ["Name", "Job title", "Employer", "Basis"],
            [
                (p.name or "Unknown", p.job_title, p.employer, EMPLOYMENT_BASES.get(p.employment_basis, "Not recorded"))
                for p in adults
            ],
        )
    children = [p for p in incident.people if p.school or p.social_worker]
    if children:
        out += ["", "### Children: school and social worker", ""]
        out += _table(
            ["Name", "School or setting", "Social worker"],
            [(p.name or "Unknown", p.school or "Not known", p.social_worker or "None known") for p in children],
        )
    return out


def _guidance_words(text: str) -> str:
    """A checklist action's text with guidance card ids as their titles (the reader has no SafeDesk)."""
    from safedesk.content.library import default_library  # the cards load on first use, not at import

    return default_library().titled(text)


def _chronology_row(entry: ChronologyEntry) -> tuple[str, str, str, str]:
    recorded = show_datetime(entry.at)
    if entry.backdated:
        recorded += " (written later)"
    # Entries about checklist actions quote the playbook's wording, which names other cards by id.
    text = _guidance_words(entry.text) if entry.kind.startswith("action") or entry.kind == "amended" else entry.text
    return show_datetime(entry.when), recorded, entry.by, text


def _flatten(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(_flatten(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, ""))
    return "" if value is None else str(value)


def _verification(session: Session) -> str:
    report = session.audit.verify()
    state = "intact" if report.ok else f"BROKEN ({report.problem})"
    return (
        f"SafeDesk verified the store's audit chain when generating this document: {report.entries} entries, {state}. "
        f"Chain head (SHA-256): `{report.head}`. Evidence files in the store are checked against the hashes above by "
        "`safedesk verify`."
    )


# --------------------------------------------------------------------- the incident log


def incident_log_report(session: Session, params: ReportParams) -> str:
    start, end = period(params)
    log = IncidentLog(session)
    rows = [r for r in log.rows() if start <= to_local_date(datetime.fromisoformat(r.reported)) <= end]
    rows.sort(key=lambda r: r.reported)
    incidents = {r.id: log.get(r.id) for r in rows}
    out = [f"# Incident log: {show_date(start)} to {show_date(end)}", "", PERSONAL_DATA_NOTICE, "", _generated(session), ""]
    out += [f"{len(rows)} incident(s) reported in the period.", "", "## Incidents", ""]
    out += (
        _table(
            ["Ref", "Reported", "Title", "Platform", "Status", "Severity", "Flags"],
            [
                (
                    r.ref,
                    show_date(to_local_date(datetime.fromisoformat(r.reported))),
                    r.title,
                    PLATFORMS.get(r.platform, r.platform),
                    STATUSES.get(r.status, r.status),
                    SEVERITIES.get(r.severity, r.severity),
                    ", ".join(FLAGS.get(f, f) for f in r.flags),
                )
                for r in rows
            ],
        )
        if rows
        else ["_None in this period._"]
    )
    categories = Counter(
        " x ".join(x for x in (RISK_ROWS.get(i.risk_row, ""), RISK_COLUMNS.get(i.risk_column, "")) if x) or "Not classified"
        for i in incidents.values()
    )
    out += ["", "## By risk category", ""] + _counts(categories)
    flags = Counter(FLAGS.get(f, f) for i in incidents.values() for f in i.flags)
    out += ["", "## By flag", ""] + (_counts(flags) if flags else ["_No flags raised._"])
    out += ["", "## By platform", ""] + _counts(Counter(PLATFORMS.get(r.platform, r.platform) for r in rows))
    months = Counter(to_local_date(datetime.fromisoformat(r.reported)).strftime("%Y-%m") for r in rows)
    out += ["", "## By month", ""] + _counts(Counter({m: months[m] for m in sorted(months)}), sort=False)
    today = to_local_date(utcnow())
    refs = {r.id: r.ref for r in rows}
    open_actions = [a for a in log.open_actions() if a.incident_id in refs]
    out += ["", "## Open actions", ""]
    out += (
        _table(
            ["Ref", "Due", "Owner", "Action", "State"],
            [
                (refs[a.incident_id], show_date(a.due), a.owner, a.text, "Overdue" if a.overdue(today) else "Open")
                for a in sorted(open_actions, key=lambda a: (a.due or date.max, a.incident_id))
            ],
        )
        if open_actions
        else ["_No open actions._"]
    )
    return "\n".join(out) + "\n"


def _counts(counter: Counter[str], sort: bool = True) -> list[str]:
    items = counter.most_common() if sort else list(counter.items())
    if not items:
        return ["_None._"]
    return _table(["", "Count"], [(k, str(v)) for k, v in items])


# --------------------------------------------------------------------- the audit log


def audit_report(session: Session, params: ReportParams) -> str:
    start, end = period(params)
    entries = [e for e in session.audit.entries() if start <= to_local_date(e.at) <= end]
    out = [f"# Audit log extract: {show_date(start)} to {show_date(end)}", "", _generated(session), ""]
    out += [
        "Who did what in SafeDesk: every change, export, key change and failed unlock. Entries name records by "
        "their table and number, never by their contents.",
        "",
        "## Entries",
        "",
    ]
    out += (
        _table(
            ["#", "When", "Who", "Action", "Record", "Summary"],
            [(str(e.seq), show_datetime(e.at), e.actor, e.action, e.target, e.summary) for e in entries],
        )
        if entries
        else ["_No entries in this period._"]
    )
    out += ["", "## Verification statement", "", _verification(session)]
    return "\n".join(out) + "\n"


# The reports this feature offers; other features register their own (see feature.py).
REPORTS: tuple[Report, ...] = (
    Report(
        "incident",
        "Incident report",
        "One incident in full: for the LADO, police or a file.",
        incident_report,
        ("incident",),
        headings=(
            "Referrer",
            "Summary",
            "People involved",
            "Chronology",
            "Amendments",
            "Actions",
            "Escalations",
            "Evidence manifest",
            "Verification",
            "Signature",
        ),
    ),
    Report(
        "incident-log",
        "Incident log",
        "Incidents in a period with counts and open actions.",
        incident_log_report,
        ("period",),
        headings=("Incidents", "By risk category", "By platform", "By month", "Open actions"),
    ),
    Report(
        "audit",
        "Audit log extract",
        "The audit log for a period, with a verification statement.",
        audit_report,
        ("period",),
        personal_data=False,
        headings=("Entries", "Verification statement"),
    ),
)
