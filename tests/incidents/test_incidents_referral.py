"""What a LADO or police referral needs of an incident, and a record that reads right.

People's details, the harm category and harm test, parents informed, notes written
up later, people added as their own entries, closing with open actions, the referrer
block and sizes in words.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safedesk.store.errors import InvalidInput
from safedesk.store.features import attention, build_report
from safedesk.store.incidents import evidence
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Action, ChronologyEntry, Incident, Person
from safedesk.store.registry import ReportParams
from safedesk.store.text.dates import show_datetime
from safedesk.store.text.sizes import show_size
from tests.kit import table_cells

NOW = datetime.now(UTC)


def _incident(**overrides) -> Incident:  # type: ignore[no-untyped-def]
    values = dict(
        title="Teacher messaging a pupil on Snapchat",
        reported_at=NOW - timedelta(hours=1),
        reported_by="Form tutor",
        platform="snapchat",
        description="A pupil showed messages from a teacher's personal account.",
        flags=("allegation_against_staff",),
    )
    values.update(overrides)
    return Incident(**values)


def _rows(markdown: str) -> list[list[str]]:
    return [row for table in table_cells(markdown) for row in table]


# ----------------------------------------------------------------- records


def test_records_written_before_these_fields_read_with_defaults():
    person = {"name": "Pupil A", "role": "pupil", "involvement": "victim", "pupil_id": None}
    doc = _incident().to_doc()
    for name in ("harm_categories", "harm_tests", "parents_informed_at", "parents_informed_by", "adult_aware"):
        del doc[name]
    doc["people"] = [person]
    old = Incident.from_doc(doc, 1)
    assert old.people[0].dob is None and old.people[0].employer == "" and old.harm_tests == () and old.adult_aware == ""
    entry = ChronologyEntry.from_doc({"incident_id": 1, "at": NOW.isoformat(), "by": "Sam", "kind": "note", "text": "x"}, 1)
    assert entry.happened_at is None and entry.when == entry.at and not entry.backdated


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"harm_categories": ("spiritual",)}, "harm_categories"),
        ({"harm_tests": ("gossip",)}, "harm_tests"),
        ({"harm_tests": ("harmed",), "flags": ()}, "harm_tests"),  # the harm test is for allegations only
        ({"adult_aware": "yes", "flags": ()}, "adult_aware"),
        ({"adult_aware": "maybe"}, "adult_aware"),
        ({"parents_informed_at": NOW + timedelta(days=1)}, "parents_informed_at"),
        ({"people": (Person(name="A", dob=date.today() + timedelta(days=2)),)}, "dob"),
        ({"people": (Person(name="A", employment_basis="freelance"),)}, "employment_basis"),
    ],
)
def test_referral_fields_are_checked(session, overrides, field):
    with pytest.raises(InvalidInput) as caught:
        IncidentLog(session).create(_incident(**overrides))
    assert caught.value.field == field


def test_a_note_written_up_later_keeps_when_it_happened(session):
    log = IncidentLog(session)
    stored = log.create(_incident(reported_at=NOW - timedelta(hours=6)))
    morning = NOW - timedelta(hours=5)
    late = log.add_note(stored.id, "Pupil told the form tutor at registration.", happened_at=morning)
    now_note = log.add_note(stored.id, "Called the LADO.")
    assert late.happened_at == morning and late.backdated and late.when == morning
    assert now_note.happened_at is None and not now_note.backdated
    # Listed where it happened: before the record was made, which was after the event.
    texts = [e.text for e in log.chronology(stored.id)]
    assert texts == [late.text, f"Incident {stored.ref} recorded: {stored.title}", now_note.text]
    with pytest.raises(InvalidInput) as caught:
        log.add_note(stored.id, "tomorrow", happened_at=NOW + timedelta(days=1))
    assert caught.value.field == "happened_at"


def test_adding_a_person_is_its_own_entry_not_an_amendment(session):
    log = IncidentLog(session)
    stored = log.create(_incident())
    teacher = Person(name="Mr Jones", role="staff", involvement="subject", job_title="Class teacher", employer="Oak Trust")
    updated = log.add_person(stored.id, teacher, note="Named by the pupil")
    assert updated.people[-1].employer == "Oak Trust"
    entries = log.chronology(stored.id)
    assert [e.kind for e in entries] == ["created", "person"]
    assert entries[-1].text == "Person added: Mr Jones (Staff, subject). Note: Named by the pupil"
    assert "Reason" not in entries[-1].text


def test_closing_with_open_actions_asks_and_closed_incidents_raise_no_due_actions(session):
    log = IncidentLog(session)
    overdue = date.today() - timedelta(days=2)
    kept = log.create(_incident(), actions=[Action(incident_id=0, text="Call the LADO", due=overdue)])
    dropped = log.create(_incident(), actions=[Action(incident_id=0, text="Check the account", due=overdue)])
    assert sum("action overdue" in item.text for item in attention(session)) == 2

    with pytest.raises(InvalidInput) as caught:
        log.set_status(kept.id, "closed", outcome="LADO advised no further action", open_actions=None)
    assert caught.value.field == "open_actions" and log.get(kept.id).status == "open"

    log.set_status(kept.id, "closed", outcome="LADO advised no further action", open_actions="keep", lessons="Brief staff")
    assert log.actions(kept.id)[0].open and log.get(kept.id).lessons == "Brief staff"
    log.set_status(dropped.id, "closed", outcome="Account closed", open_actions="not_needed")
    assert log.actions(dropped.id)[0].not_needed_reason == "Incident closed"
    assert [e.kind for e in log.chronology(dropped.id)][-2:] == ["status", "action_done"]
    assert not [item for item in attention(session) if "action" in item.text]


# ----------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0 B"), (98, "98 B"), (1023, "1,023 B"), (1024, "1.0 KB"), (1536, "1.5 KB"), (20 * 1024, "20 KB"),
     (1048575, "1.0 MB"), (50 * 1048576, "50 MB"), (3 * 1024**3, "3.0 GB")],
)  # fmt: skip
def test_sizes_read_in_b_kb_mb(size, shown):
    assert show_size(size) == shown


@given(st.integers(min_value=0, max_value=10**13))
def test_every_size_has_a_unit_and_no_zero_kb(size):
    number, unit = show_size(size).split(" ")
    assert unit in ("B", "KB", "MB", "GB")
    assert float(number.replace(",", "")) > 0 or size == 0
    assert unit == "B" or float(number.replace(",", "")) < 1024 or unit == "GB"


# ----------------------------------------------------------------- the report


def test_incident_report_carries_what_a_lado_referral_needs(session, tmp_path):
    setting = session.setting()
    referrer = {"name": "Sam Patel", "role": "DSL", "phone": "01234 567890", "email": "dsl@oak.sch.uk"}
    session.settings.save(dataclasses.replace(setting, referrer=referrer), summary="settings changed")
    log = IncidentLog(session)
    stored = log.create(
        _incident(
            reported_by="",
            harm_categories=("emotional", "sexual"),
            harm_tests=("harmed", "unsuitable"),
            adult_aware="no",
            parents_informed_at=NOW - timedelta(minutes=30),
            parents_informed_by="Head of year",
        )
    )
    log.add_person(
        stored.id,
        Person(name="Pupil B", role="pupil", involvement="victim", dob=date(2012, 3, 4), social_worker="J Smith, CSC"),
    )
    log.add_person(
        stored.id,
        Person(name="Mr Jones", role="staff", job_title="Class teacher", employer="Oak Trust", employment_basis="supply"),
    )
    log.add_note(stored.id, "Pupil told the tutor.", happened_at=NOW - timedelta(hours=3))
    evidence.add_description(
        session,
        evidence.Evidence(
            incident_id=stored.id,
            kind="description",
            title="Snapchat messages",
            description="Messages asking to meet.",
            where_seen="Pupil's phone, Snapchat",
            holder="Pupil's mother",
        ),
    )
    shot = tmp_path / "tiny.txt"
    shot.write_bytes(b"x" * 98)
    evidence.add_file(session, stored.id, shot)
    log.set_status(stored.id, "closed", outcome="Referred to the LADO", lessons="Remind staff of the code of conduct")

    markdown = build_report(session, "incident", ReportParams(incident=stored.ref))
    rows = _rows(markdown)
    assert ["Name", "Sam Patel"] in rows and ["Secure email", "dsl@oak.sch.uk"] in rows
    assert ["Reported by", "Not recorded"] in rows and "by not recorded" not in markdown
    assert ["Category of harm", "Emotional, Sexual"] in rows
    assert ["Parents informed", f"{show_datetime(NOW - timedelta(minutes=30))} by Head of year"] in rows
    assert ["Has harmed a child, or may have", "Yes"] in rows
    assert ["May have committed a criminal offence against or related to a child", "Not indicated"] in rows
    assert "Is the adult aware of the allegation? No" in markdown
    assert ["Pupil B", "Pupil", "Victim", "04/03/2012", ""] in rows
    assert ["Mr Jones", "Class teacher", "Oak Trust", "Supply or agency"] in rows
    assert ["Pupil B", "Not known", "J Smith, CSC"] in rows
    late = next(row for row in rows if row[-1] == "Pupil told the tutor.")
    assert late[1].endswith("(written later)") and late[0] == show_datetime(NOW - timedelta(hours=3))
    assert ["Where seen", "Pupil's phone, Snapchat"] in rows and ["Who holds it", "Pupil's mother"] in rows
    assert any(row[3] == "98 B" for row in rows if len(row) == 6) and "0 KB" not in markdown
    assert "Remind staff of the code of conduct" in markdown
    assert markdown.index("## Signature") > markdown.index("## Verification")  # the last thing, to sign
    assert ["Signature", ""] in rows and ["Date", ""] in rows


def test_report_without_a_referrer_says_where_to_set_it(session):
    stored = IncidentLog(session).create(_incident(flags=()))
    markdown = build_report(session, "incident", ReportParams(incident=stored.ref))
    assert "once in Settings" in markdown and "## Allegation against an adult" not in markdown
