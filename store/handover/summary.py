"""The handover's summary.md: everything in it, readable without SafeDesk.

Written for a LADO, a police officer or the receiving DSL who opens the file in
Notepad or any Markdown viewer. All record text is escaped, so a title such as
`[click](http://x)` or `<script>` stays literal text and cannot add headings,
links, tables or HTML; the structure comes from SafeDesk alone.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from safedesk.store.consents.describe import decision_words
from safedesk.store.consents.pupils import PURPOSE_LABELS, Pupil
from safedesk.store.handover.bundle import Contents, EvidenceItem, IncidentBundle
from safedesk.store.incidents.about import entry_happened_at, kind_label
from safedesk.store.incidents.records import (
    ESCALATION_TARGETS,
    FLAGS,
    INVOLVEMENTS,
    PERSON_ROLES,
    PLATFORMS,
    RISK_COLUMNS,
    RISK_ROWS,
    SEVERITIES,
    STATUSES,
)
from safedesk.store.text.clean import clean_text
from safedesk.store.text.dates import show_datetime_with_offset
from safedesk.store.text.markdown import check_markdown
from safedesk.store.text.sizes import show_size

# Escaped wherever they stand: they start inline syntax (code, emphasis, links, HTML,
# tables, strikethrough) in one Markdown reader or another.
_ALWAYS = re.compile(r"([\\`*\[\]<|~])")
# "&amp;" would show as "&"; a bare "&" is just text.
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# "_" between two letters or digits never starts emphasis ("@stm_banter"): left as typed.
_UNDERSCORE = re.compile(r"_(?![A-Za-z0-9])|(?<![A-Za-z0-9])_")
_LIST_NUMBER = re.compile(r"^(\d{1,9})([.)])")
_LEADING = ("#", ">", "-", "+", "=")


def md(text: str) -> str:
    """One line of record text as literal Markdown that still reads well in Notepad.

    Only what could change the structure is escaped (md_escape escapes every punctuation
    mark that might, so "@stm_banter" and "->" would read "@stm\\_banter" and "-\\>").
    The summary's tests parse it back to check no record text became structure.
    """
    line = " ".join(clean_text(str(text)).split())
    line = _UNDERSCORE.sub(r"\\_", _ENTITY.sub(r"\\&", _ALWAYS.sub(r"\\\1", line)))
    if line.startswith(_LEADING):
        return "\\" + line
    return _LIST_NUMBER.sub(r"\1\\\2", line)


def md_lines(text: str) -> list[str]:
    """Several lines of record text, one list entry per output line: lines end in two spaces
    (a line break that Notepad does not show, unlike a backslash), paragraphs keep a blank line."""
    out: list[str] = []
    for raw in clean_text(str(text), multiline=True).split("\n"):
        line = md(raw)
        if line:
            if out and out[-1]:
                out[-1] += "  "
            out.append(line)
        elif out and out[-1]:
            out.append("")
    return out[:-1] if out and not out[-1] else out


def when(value: datetime | None) -> str:
    """Local time with its UTC offset: unambiguous for a court, readable for a person."""
    if value is None:
        return "not recorded"
    return show_datetime_with_offset(value)


def day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "not set"


def write_summary(contents: Contents, *, setting: str, exported_by: str, to: str, note: str, created_at: datetime) -> str:
    incidents, pupils = contents.incidents, contents.pupils
    files = sum(1 for i in incidents for e in i.evidence if e.member)
    lines = [
        f"# SafeDesk handover from {md(setting)}",
        "",
        "**Confidential: safeguarding records with personal data.** Keep this file and anything unpacked "
        "from it on an encrypted device, share it only with people who need it, and delete copies you no "
        "longer need.",
        "",
        f"- From: {md(setting)}, exported by {md(exported_by)}",
        f"- To: {md(to)}",
        f"- Made: {when(created_at)}",
    ]
    if note:
        lines.append(f"- Purpose: {md(note)}")
    lines += [
        f"- Contents: {len(incidents)} incident(s), {files} evidence file(s), {len(pupils)} pupil(s) with consent records",
        "",
        "## Checking this handover",
        "",
        "- `summary.html` is this summary as a page to open in a browser and print. `records.json` holds the "
        "same records in SafeDesk's format; `evidence/` holds each evidence file exactly as it was taken in.",
        "- `SHA256SUMS` lists the SHA-256 hash of every other file. In the unpacked folder, check them all with "
        "`sha256sum -c SHA256SUMS` (Linux, or `shasum -a 256 -c SHA256SUMS` on a Mac); each line should end in OK.",
        "- On Windows, hash one file with `certutil -hashfile FILE SHA256` (Command Prompt) or "
        "`Get-FileHash FILE` (PowerShell) and compare it with its line in `SHA256SUMS` (case does not matter).",
        "- `manifest.json` also lists each file's size and hash. **Receipt code:** the first 12 characters of "
        "the SHA-256 of `manifest.json` (SafeDesk shows it as three groups, e.g. 1A2B-3C4D-5E6F). Send it back "
        "to the sender so they can record that the file arrived.",
        "",
    ]
    if incidents:
        lines += ["## Incidents", ""]
        for item in incidents:
            lines += _incident(item)
    if pupils:
        lines += ["## Pupils and image consents", ""]
        for pupil in pupils:
            lines += _pupil(pupil)
    if contents.events:
        names = {p.id: p.display_name for p in pupils}
        lines += ["## Event consents (events still on or to come)", ""]
        for event in contents.events:
            lines += [f"### {md(event.name)} ({md(event.dates)})", ""]
            for d in sorted(event.decisions, key=lambda d: (names.get(d.pupil_id, ""), d.given_on, d.recorded_at)):
                who = f" by {md(d.given_by)}" if d.given_by else ""
                lines.append(f"- {md(names.get(d.pupil_id, ''))}: {d.status.value}{who}, given {day(d.given_on)}")
            lines.append("")
    summary = "\n".join(lines).rstrip() + "\n"
    # A fault here is a bug in this module, never in record text: refuse to write it.
    check_markdown(summary, headings=("Checking this handover",))
    return summary


def _labelled(value: str, labels: dict[str, str]) -> str:
    return labels.get(value, value) if value else "not set"


def _incident(item: IncidentBundle) -> list[str]:
    i = item.incident
    lines = [
        f"### {md(i.ref)}: {md(i.title)}",
        "",
        f"- Status: {_labelled(i.status, STATUSES)}; severity: {_labelled(i.severity, SEVERITIES)}",
        f"- Platform: {_labelled(i.platform, PLATFORMS)}",
        f"- Reported: {when(i.reported_at)}" + (f" by {md(i.reported_by)}" if i.reported_by else ""),
        f"- Happened: {when(i.occurred_at)}",
        f"- Recorded by: {md(i.created_by) or 'not recorded'} at {when(i.created_at)}",
    ]
    if i.where_seen:
        lines.append(f"- Where it was seen: {md(i.where_seen)}")
    for url in i.urls:
        lines.append(f"- Web address: {md(url)}")
    if i.risk_row or i.risk_column:
        lines.append(f"- Risk: {_labelled(i.risk_row, RISK_ROWS)} / {_labelled(i.risk_column, RISK_COLUMNS)}")
    if i.flags:
        lines.append("- Flags: " + ", ".join(FLAGS.get(f, md(f)) for f in i.flags))
    lines.append(f"- Review date: {day(i.review_date)}; keep until: {day(i.retention_date)}")
    for label, text in (("Description", i.description), ("Outcome", i.outcome), ("Lessons learned", i.lessons)):
        if text.strip():
            lines += ["", f"**{label}:**", "", *md_lines(text)]
    if i.people:
        lines += ["", "**People involved:**", ""]
        for person in i.people:
            role = PERSON_ROLES.get(person.role, md(person.role))
            involvement = INVOLVEMENTS.get(person.involvement, md(person.involvement)).lower()
            lines.append(f"- {md(person.name) or 'Unknown'} ({role}, {involvement})")
    if item.chronology:
        lines += ["", "**Chronology** (oldest first; amendments keep the old value):", ""]
        for entry in item.chronology:
            entry_lines = md_lines(entry.text)
            lines.append(
                f"- {when(entry_happened_at(entry))}, {md(entry.by)}, {kind_label(entry.kind)}: {entry_lines[0] if entry_lines else ''}"
            )
            lines += [f"  {line}" if line else "" for line in entry_lines[1:]]
            if entry.kind == "amended" and "old" in entry.detail:
                lines.append(f"  (was: {md(_plain(entry.detail.get('old')))})")
    if item.actions:
        lines += ["", "**Actions:**", ""]
        for action in item.actions:
            if action.done_at:
                state = f"done {when(action.done_at)}" + (f" by {md(action.done_by)}" if action.done_by else "")
            elif action.not_needed_reason:
                state = f"not needed: {md(action.not_needed_reason)}"
            else:
                state = "open" + (f", due {day(action.due)}" if action.due else "")
            owner = f" (owner: {md(action.owner)})" if action.owner else ""
            lines.append(f"- {md(action.text)}{owner}: {state}")
            if action.note:
                lines.append(f"  Note: {md(action.note)}")
    if item.escalations:
        lines += ["", "**Escalations:**", ""]
        for esc in item.escalations:
            parts = [f"{when(esc.at)}: {ESCALATION_TARGETS.get(esc.target, md(esc.target))}"]
            if esc.contact_name:
                parts.append(f"contact {md(esc.contact_name)}")
            if esc.reference:
                parts.append(f"reference {md(esc.reference)}")
            if esc.by:
                parts.append(f"by {md(esc.by)}")
            lines.append("- " + ", ".join(parts) + (f". Result: {md(esc.result)}" if esc.result else ""))
    if item.evidence:
        lines += ["", "**Evidence:**", ""]
        for ev in item.evidence:
            lines += _evidence(ev)
    return lines + [""]


def _evidence(item: EvidenceItem) -> list[str]:
    e = item.record
    if e.kind == "file":
        if item.withheld:
            where = "not included: sexual imagery of a child is suspected, so SafeDesk never copies the file; the sender keeps the record of it"
        else:
            where = f"file `{item.member}`"
        head = f"- {md(e.title)}: {where}; {show_size(e.size)}; SHA-256 {e.sha256}"
    else:
        head = f"- {md(e.title)}: described, no copy kept"
    details = []
    if e.kind == "file" and e.file_name:
        details.append(f"original name {md(e.file_name)}")
    if e.captured_at or e.captured_by:
        details.append(
            f"captured {when(e.captured_at) if e.captured_at else ''} {('by ' + md(e.captured_by)) if e.captured_by else ''}".strip()
        )
    if e.where_seen:
        details.append(f"seen at {md(e.where_seen)}")
    if e.seen_at:
        details.append(f"seen {when(e.seen_at)}")
    if e.holder:
        details.append(f"original held by {md(e.holder)}")
    if e.url:
        details.append(f"address {md(e.url)}")
    details.append(f"added {when(e.added_at)} by {md(e.added_by) or 'not recorded'}")
    lines = [head, f"  ({'; '.join(details)})"]
    if e.description:
        lines += [f"  {line}" if line else "" for line in md_lines(e.description)]
    return lines


def _pupil(p: Pupil) -> list[str]:
    head = f"### {md(p.name)}" + (f" ({md(p.preferred_name)})" if getattr(p, "preferred_name", "") else "")
    facts = [f"Year: {md(p.year_group) or 'not recorded'}", f"class: {md(p.form) or 'not recorded'}"]
    if p.mis_id:
        facts.append(f"MIS id: {md(p.mis_id)}")
    if p.left_on:
        facts.append(f"left {day(p.left_on)}")
    lines = [head, "", "- " + "; ".join(facts)]
    flag = p.never_publish
    lines.append(f"- **Never publish images: {md(flag.label)}**" if flag else "- Never-publish flag: not set")
    words = {id(change): word for change, word in decision_words(p)}
    states = p.states()
    for purpose, label in PURPOSE_LABELS.items():
        change = p.latest(purpose)
        if change is None:
            continue
        until = f", until {day(change.review_on)}" if change.review_on else ""
        given = f", given by {md(change.given_by)}" if change.given_by else ""
        state = "withdrawn" if states[purpose].withdrawn_on else change.status.label
        lines.append(f"- {label}: {state}{given}{until}")
    if p.consents:
        lines += ["", "**Consent history** (oldest first, by the date given):", ""]
        for change in p.history():
            who = (
                f" by {md(change.given_by)}" + (f" ({md(change.relationship)})" if change.relationship else "")
                if change.given_by
                else ""
            )
            lines.append(
                f"- {when(change.recorded_at)}: {PURPOSE_LABELS[change.purpose]} {words.get(id(change), change.status.label)}{who}"
                + (f", given {day(change.given_on)}" if change.given_on else "")
                + (f", review {day(change.review_on)}" if change.review_on else "")
                + (f", recorded by {md(change.recorded_by)}" if change.recorded_by else "")
            )
    for flag_change in p.flags:
        reason = flag_change.reason.label if flag_change.reason else "removed"
        lines.append(f"- Never-publish flag {day(flag_change.on)}: {md(reason)}")
    return lines + [""]


def _plain(value: object) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return "" if value is None else str(value)
