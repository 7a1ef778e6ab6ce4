"""Incidents in the store: court-safe chronology, amendments, actions, escalations, evidence."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput, NotAllowed
from safedesk.store.features import attention, verify_store
from safedesk.store.incidents import evidence
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Action, Escalation, Incident, Person
from safedesk.store.text.dates import parse_date, parse_datetime, show_datetime
from tests.kit import PASSPHRASE


def _incident(**overrides) -> Incident:  # type: ignore[no-untyped-def]
    values = dict(
        title="Parent's post naming a teacher",
        reported_at=datetime.now(UTC) - timedelta(hours=1),
        occurred_at=datetime.now(UTC) - timedelta(hours=3),
        reported_by="Office manager",
        platform="facebook",
        urls=("https://facebook.com/oakprimary/posts/1",),
        description="A comment under the sports day post.",
        people=(Person(name="Parent A", role="parent", involvement="subject"),),
    )
    values.update(overrides)
    return Incident(**values)


def test_create_gives_a_reference_and_a_chronology(session):
    log = IncidentLog(session)
    first = log.create(
        _incident(),
        actions=[Action(incident_id=0, text="Screenshot the post", source="pb: Do now")],
        triage_answers=[("Is a child in danger right now?", "No, or not sure")],
    )
    second = log.create(_incident(title="Second"))
    year = datetime.now().year
    assert first.ref == f"INC-{year}-0001" and second.ref == f"INC-{year}-0002"
    kinds = [e.kind for e in log.chronology(first.id)]
    assert kinds == ["created", "triage", "action"]
    assert [a.text for a in log.actions(first.id)] == ["Screenshot the post"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"reported_at": datetime.now(UTC) + timedelta(days=1)}, "reported_at"),
        ({"occurred_at": datetime.now(UTC) + timedelta(days=1)}, "occurred_at"),
        (
            {"occurred_at": datetime.now(UTC) - timedelta(minutes=5), "reported_at": datetime.now(UTC) - timedelta(hours=2)},
            "occurred_at",
        ),
        ({"platform": "myspace"}, "platform"),
        ({"urls": ("not a web address",)}, "urls"),
        ({"description": "x" * 1_000_001}, "description"),
        ({"review_date": date.today() - timedelta(days=30)}, "review_date"),
        ({"people": (Person(name="", role="pupil"),)}, "people"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(session, overrides, field):
    with pytest.raises(InvalidInput) as error:
        IncidentLog(session).create(_incident(**overrides))
    assert error.value.field == field
    assert session.repo(Incident).count() == 0


def test_amendment_keeps_the_original_readable_and_needs_a_reason(session):
    log = IncidentLog(session)
    stored = log.create(_incident())
    with pytest.raises(InvalidInput) as error:
        log.amend(stored.id, {"description": "Corrected wording."}, reason="")
    assert error.value.field == "reason"
    log.amend(stored.id, {"description": "Corrected wording.", "severity": "high"}, reason="Parent clarified")
    assert log.get(stored.id).description == "Corrected wording."
    amendments = [e for e in log.chronology(stored.id) if e.kind == "amended"]
    by_field = {e.detail["field"]: e.detail for e in amendments}
    assert by_field["description"]["old"] == "A comment under the sports day post."
    assert by_field["description"]["reason"] == "Parent clarified"
    assert by_field["severity"] == {"field": "severity", "old": "medium", "new": "high", "reason": "Parent clarified"}
    with pytest.raises(NotAllowed):
        log.amend(stored.id, {"ref": "INC-1999-0001"}, reason="x")
    with pytest.raises(NotAllowed):
        session.repo(type(amendments[0])).delete(amendments[0], "tidy")


def test_closing_needs_an_outcome_and_is_in_the_chronology(session):
    log = IncidentLog(session)
    stored = log.create(_incident())
    with pytest.raises(InvalidInput) as error:
        log.set_status(stored.id, "closed")
    assert error.value.field == "outcome"
    log.set_status(stored.id, "closed", outcome="Post removed; parent met the head")
    entry = log.chronology(stored.id)[-1]
    assert entry.kind == "status" and "Open -> Closed" in entry.text


def test_actions_ticked_escalations_and_overdue_on_home(session):
    log = IncidentLog(session)
    stored = log.create(_incident())
    late = log.add_action(Action(incident_id=stored.id, text="Report the post", due=date.today() - timedelta(days=2)))
    soon = log.add_action(Action(incident_id=stored.id, text="Call parent", due=date.today() + timedelta(days=1), owner="Head"))
    items = [i for i in attention(session) if i.area == "incidents"]
    assert [i.level for i in items] == ["overdue", "due soon"]
    assert "Report the post" in items[0].text and items[0].target == f"incidents/{stored.id}"
    log.complete_action(late.id, note="reported via page menu")
    with pytest.raises(NotAllowed):
        log.complete_action(late.id)
    log.action_not_needed(soon.id, "Parent came in")
    assert not [i for i in attention(session) if i.area == "incidents"]
    log.escalate(
        Escalation(incident_id=stored.id, target="lado", at=datetime.now(UTC), contact_name="LADO duty", reference="L-42")
    )
    texts = [e.text for e in log.chronology(stored.id)]
    assert any(t.startswith("Done: Report the post") for t in texts)
    assert any("Escalated to LADO, contact LADO duty, reference L-42" in t for t in texts)


def test_evidence_file_is_encrypted_hashed_verified_and_deduplicated(session, tmp_path):
    log = IncidentLog(session)
    stored = log.create(_incident())
    shot = tmp_path / "screenshot.png"
    shot.write_bytes(b"\x89PNG distinctive-evidence-bytes" * 100)
    item = evidence.add_file(session, stored.id, shot, captured_by="Office")
    assert item.size == shot.stat().st_size and len(item.sha256) == 64
    blob = session.folder / "evidence" / f"{item.blob}.bin"
    assert b"distinctive-evidence-bytes" not in blob.read_bytes()
    with pytest.raises(evidence.DuplicateEvidence):
        evidence.add_file(session, stored.id, shot)
    assert verify_store(session).ok
    out = tmp_path / "export.png"
    evidence.export_file(session, item, out)
    assert out.read_bytes() == shot.read_bytes()
    assert any(e.action == "export.evidence" for e in session.audit.entries())
    # Tampering with the stored copy is caught by verify.
    raw = bytearray(blob.read_bytes())
    raw[-1] ^= 1
    blob.write_bytes(bytes(raw))
    report = verify_store(session)
    assert not report.ok and any("integrity" in c.text for c in report.checks)


def test_sexual_imagery_flag_refuses_files_but_takes_descriptions(session, tmp_path):
    log = IncidentLog(session)
    stored = log.create(_incident(flags=("sexual_imagery_suspected",)))
    picture = tmp_path / "image.jpg"
    picture.write_bytes(b"jpeg")
    with pytest.raises(NotAllowed, match="pb-nude-image-of-child"):
        evidence.add_file(session, stored.id, picture)
    assert not (session.folder / "evidence").exists() or not any((session.folder / "evidence").iterdir())
    described = evidence.add_description(
        session,
        evidence.Evidence(
            incident_id=stored.id,
            kind="description",
            title="Image on pupil's phone",
            description="Described by pupil; not viewed",
            holder="Pupil B's phone",
        ),
    )
    assert described.kind == "description"


def test_bad_files(session, tmp_path, monkeypatch):
    log = IncidentLog(session)
    stored = log.create(_incident())
    with pytest.raises(InvalidInput, match="no file"):
        evidence.add_file(session, stored.id, tmp_path / "gone.png")
    with pytest.raises(InvalidInput, match="folder"):
        evidence.add_file(session, stored.id, tmp_path)
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(evidence.MAX_FILE_BYTES + 1)
    with pytest.raises(InvalidInput, match="limit is 50 MB"):
        evidence.add_file(session, stored.id, big)
    odd = tmp_path / os.fsdecode(b"caf\xe9-\xff.png")
    odd.write_bytes(b"odd name")
    item = evidence.add_file(session, stored.id, odd)
    assert item.file_name.startswith("caf")
    assert evidence.evidence_for(session, stored.id) == [item]
    assert not list((session.folder / "evidence").glob("*.tmp-*"))


def test_evidence_survives_reopen(store_dir, tmp_path):
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    stored = IncidentLog(session).create(_incident())
    f = tmp_path / "a.txt"
    f.write_text("saved page")
    evidence.add_file(session, stored.id, f)
    session.close()
    with Session.open(store_dir, PASSPHRASE) as again:
        items = evidence.evidence_for(again, stored.id)
        assert evidence.decrypt(again, items[0]) == b"saved page"
        assert verify_store(again).ok


def test_time_parsing():
    assert parse_date("21/11/2026", "d") == date(2026, 11, 21)
    assert parse_date("2026-11-21", "d") == date(2026, 11, 21)
    assert parse_date("", "d") is None
    with pytest.raises(InvalidInput, match="no such date"):
        parse_date("31/02/2026", "d")
    with pytest.raises(InvalidInput) as error:
        parse_datetime("tomorrow-ish", "reported_at")
    assert error.value.field == "reported_at"
    moment = parse_datetime("21/11/2026 14:30", "t")
    assert moment.tzinfo is UTC and show_datetime(moment) == "21/11/2026 14:30"


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
def test_shown_times_parse_back_to_the_same_minute(moment):
    # Compared as shown: in the hour a clock goes back, a typed local time means its first occurrence.
    aware = moment.replace(second=0, microsecond=0).astimezone(UTC)
    assert show_datetime(parse_datetime(show_datetime(aware), "t")) == show_datetime(aware)


@given(st.text(max_size=40))
def test_time_parser_never_crashes(text):
    try:
        parse_datetime(text, "t")
    except InvalidInput:
        pass


def test_dashboard_figures_count_open_overdue_and_last_twelve_months(session):
    from safedesk.store.dashboard.figures import figures

    log = IncidentLog(session)
    now = datetime.now(UTC)
    recent = log.create(_incident(reported_at=now - timedelta(hours=2), occurred_at=None))
    old = log.create(_incident(reported_at=now - timedelta(days=800), occurred_at=None))
    log.set_status(old.id, "closed", outcome="dealt with")
    log.add_action(Action(incident_id=recent.id, text="late", due=date.today() - timedelta(days=1)))
    # An action left open on a closed incident is not overdue work.
    log.add_action(Action(incident_id=old.id, text="kept open", due=date.today() - timedelta(days=1)))
    shown = figures(session)
    assert shown.open_incidents == 1 and shown.overdue_actions == 1
    assert len(shown.months) == 12 and shown.per_month[-1] == 1 and sum(shown.per_month) == 1


def test_files_stored_before_the_imagery_flag_can_no_longer_be_exported(session, tmp_path):
    log = IncidentLog(session)
    stored = log.create(_incident())
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"\x89PNG stored before anyone suspected imagery")
    item = evidence.add_file(session, stored.id, shot)
    assert evidence.export_blocked_reason(log.get(stored.id)) is None
    log.amend(stored.id, {"flags": ("sexual_imagery_suspected",)}, reason="The pupil said what the image shows")
    assert evidence.export_blocked_reason(log.get(stored.id)) == evidence.EXPORT_BLOCKED
    out = tmp_path / "out.png"
    with pytest.raises(NotAllowed, match="sexual imagery of a child is suspected") as caught:
        evidence.export_file(session, item, out)
    assert "hashes and descriptions" in str(caught.value)
    assert not out.exists() and not any(e.action == "export.evidence" for e in session.audit.entries())
    assert verify_store(session).ok  # the file stays in the store, encrypted and checked
