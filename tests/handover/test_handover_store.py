"""Handover in the store: round trips between two stores, conflicts, receipts, the 5-day rule,
the summary's escaping, and every way a hostile bundle is refused with the store untouched.

The age encryption itself is replaced by an in-process stand-in here (tests.kit.fast_crypt);
test_handover_crypt.py runs the real child process, pyrage and the age binary.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import struct
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from safedesk.store.consents import pupils as consents
from safedesk.store.engine.records import utcnow
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput, NotAllowed
from safedesk.store.features import attention, verify_store
from safedesk.store.handover import transfer as ho
from safedesk.store.handover.bundle import (
    MANIFEST,
    RECORDS,
    SUMMARY,
    BadBundle,
    Contents,
    IncidentBundle,
    normalise_code,
    pack,
    receipt_code,
    unpack,
)
from safedesk.store.handover.summary import write_summary
from safedesk.store.incidents import evidence
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Incident, Person
from safedesk.store.text.clean import clean_text
from safedesk.store.text.markdown import outline
from tests.kit import HANDOVER_PASSPHRASE, NASTY, PASSPHRASE, add_incident, add_pupil, edit_records, fast_crypt, rezip


@pytest.fixture(autouse=True)
def _fast(monkeypatch):  # type: ignore[no-untyped-def]
    fast_crypt(monkeypatch)


def export(session: Session, out: Path, incidents=(), pupils=(), to: str = "Oakwood Academy DSL") -> ho.Transfer:  # type: ignore[no-untyped-def]
    selection = ho.Selection(tuple(i.id for i in incidents), tuple(p.id for p in pupils))
    return ho.export_handover(session, selection, to=to, passphrase=HANDOVER_PASSPHRASE, out=out, note="Pupil moved school")


def import_file(session: Session, path: Path) -> ho.Transfer:
    return ho.apply_import(session, ho.preview_import(session, ho.open_handover(path, HANDOVER_PASSPHRASE)))


def plain_zip(path: Path) -> bytes:
    """The bundle inside a file written with the fast stand-in (see tests.kit)."""
    return path.read_bytes()[len(b"FAKE-AGE\n") + 32 :]


def write_bundle(path: Path, data: bytes) -> Path:
    from safedesk.store.handover import crypt as handover_crypt

    path.write_bytes(handover_crypt.encrypt(data, HANDOVER_PASSPHRASE))
    return path


def snapshot(session: Session) -> dict:
    """Everything stored (tables and evidence files), to prove an import left no trace."""
    files = (
        sorted(p.name for p in (session.folder / evidence.EVIDENCE_DIR).glob("*"))
        if (session.folder / evidence.EVIDENCE_DIR).exists()
        else []
    )
    return {"tables": json.loads(json.dumps(session.vault.data)), "files": files}


def without(doc: dict, *keys: str) -> dict:
    return {k: v for k, v in doc.items() if k not in keys}


# --------------------------------------------------------------------- round trip


def test_round_trip_between_two_stores_preserves_every_field_and_byte(sender, receiver, tmp_path):
    pupil = add_pupil(sender, never_publish=True)
    first = add_incident(sender, files=2, tmp=tmp_path)
    second = add_incident(
        sender,
        title=NASTY,
        tmp=tmp_path,
        people=(Person(name="Amelia Smith", role="pupil", involvement="victim", pupil_id=pupil.id),),
    )
    sent = export(sender, tmp_path / "h.age", [first, second], [pupil])
    received = import_file(receiver, tmp_path / "h.age")
    assert received.receipt_code == sent.receipt_code and received.direction == "received"
    assert received.incident_refs == (first.ref, second.ref)  # nothing to clash with: references kept

    src, dst = IncidentLog(sender), IncidentLog(receiver)
    new_pupil = consents.get_pupil(receiver, 1)
    assert without(new_pupil.to_doc()) == pupil.to_doc()  # name, MIS id, every consent change and flag
    for old_id, new_id in zip((first.id, second.id), received.incident_ids, strict=True):
        old, new = src.get(old_id), dst.get(new_id)
        expected = old.to_doc()
        expected["people"] = [dict(p, pupil_id=new_pupil.id if p["pupil_id"] == pupil.id else None) for p in expected["people"]]
        assert new.to_doc() == expected
        # Children: every field but the store-local ids (and ids inside details, remapped).
        assert [without(a.to_doc(), "incident_id") for a in dst.actions(new_id)] == [
            without(a.to_doc(), "incident_id") for a in src.actions(old_id)
        ]
        assert [without(e.to_doc(), "incident_id") for e in dst.escalations(new_id)] == [
            without(e.to_doc(), "incident_id") for e in src.escalations(old_id)
        ]
        old_ev, new_ev = evidence.evidence_for(sender, old_id), evidence.evidence_for(receiver, new_id)
        assert [without(e.to_doc(), "incident_id", "blob") for e in new_ev] == [
            without(e.to_doc(), "incident_id", "blob") for e in old_ev
        ]
        for a, b in zip(old_ev, new_ev, strict=True):
            if a.kind == "file":
                assert evidence.decrypt(receiver, b) == evidence.decrypt(sender, a)
        old_chron = [e for e in src.chronology(old_id) if e.kind != "handover"]  # the export's own note came after
        new_chron = dst.chronology(new_id)
        imported, note = new_chron[:-1], new_chron[-1]
        assert [without(e.to_doc(), "incident_id", "detail") for e in imported] == [
            without(e.to_doc(), "incident_id", "detail") for e in old_chron
        ]
        ids = {
            "evidence_id": {a.id: b.id for a, b in zip(old_ev, new_ev, strict=True)},
            "action_id": {a.id: b.id for a, b in zip(src.actions(old_id), dst.actions(new_id), strict=True)},
            "escalation_id": {a.id: b.id for a, b in zip(src.escalations(old_id), dst.escalations(new_id), strict=True)},
        }
        for a, b in zip(old_chron, imported, strict=True):
            assert b.detail == {key: ids[key][value] if key in ids else value for key, value in a.detail.items()}
        assert note.kind == "handover" and sent.receipt_code in note.text and "Oak Primary" in note.text
    assert verify_store(receiver).ok


def test_export_is_audited_recorded_and_noted_in_the_chronology(sender, tmp_path):
    incident = add_incident(sender, tmp=tmp_path)
    sent = export(sender, tmp_path / "h.age", [incident])
    assert (tmp_path / "h.age").is_file() and sent.file_sha256 and sent.pending
    assert sent.incident_refs == (incident.ref,) and sent.counterpart == "Oakwood Academy DSL" and sent.evidence_files == 1
    last = IncidentLog(sender).chronology(incident.id)[-1]
    assert last.kind == "handover" and sent.receipt_code in last.text and "Oakwood Academy DSL" in last.text
    audit = [e for e in sender.audit.entries() if e.action == "export.handover"]
    assert len(audit) == 1 and sent.receipt_code in audit[0].summary and "Amelia" not in audit[0].summary


def test_bundle_contents_are_readable_and_listed_in_the_manifest(sender, tmp_path):
    incident = add_incident(sender, files=2, tmp=tmp_path)
    export(sender, tmp_path / "h.age", [incident])
    with zipfile.ZipFile(io.BytesIO(plain_zip(tmp_path / "h.age"))) as archive:
        names = archive.namelist()
        manifest_raw = archive.read(MANIFEST)
        manifest = json.loads(manifest_raw)
        assert names[:2] == [SUMMARY, "summary.html"] and set(manifest["files"]) == set(names) - {MANIFEST, "SHA256SUMS"}
        assert sorted(n for n in names if n.startswith("evidence/")) == [
            f"evidence/000{i}-screenshot_1-{i - 1}_1_.png" for i in (1, 2)
        ]
        records = json.loads(archive.read(RECORDS))
    assert records["incidents"][0]["record"]["ref"] == incident.ref
    assert all(e["record"]["blob"] == "" for e in records["incidents"][0]["evidence"])  # store-local ids stay home
    assert ho.transfers(sender)[0].receipt_code == receipt_code(manifest_raw)


def test_incident_reference_clash_is_kept_side_by_side_and_flagged(sender, receiver, tmp_path):
    a1 = add_incident(sender, tmp=tmp_path)
    a2 = add_incident(sender, title="Second", tmp=tmp_path)
    mine = add_incident(receiver, title="Receiver's own", tmp=tmp_path)
    before = IncidentLog(receiver).get(mine.id).to_doc()
    export(sender, tmp_path / "h.age", [a1, a2])
    preview = ho.preview_import(receiver, ho.open_handover(tmp_path / "h.age", HANDOVER_PASSPHRASE))
    year = a1.ref.split("-")[1]
    # a1's reference is taken here; a2 keeps its own and a1 gets the next free number.
    assert [(i.original_ref, i.ref) for i in preview.incidents] == [(a1.ref, f"INC-{year}-0003"), (a2.ref, a2.ref)]
    assert len(preview.conflicts()) == 1 and "kept beside it" in preview.conflicts()[0]
    received = ho.apply_import(receiver, preview)
    log = IncidentLog(receiver)
    assert log.get(mine.id).to_doc() == before  # never overwritten
    renamed = log.get(received.incident_ids[0])
    assert renamed.ref == f"INC-{year}-0003" and renamed.title == a1.title
    note = log.chronology(renamed.id)[-1]
    assert f"original reference, {a1.ref}" in note.text and received.receipt_code in note.text
    flag = log.chronology(mine.id)[-1]
    assert flag.kind == "handover" and f"stored as INC-{year}-0003" in flag.text
    assert received.conflicts == tuple(preview.conflicts())


def test_repeated_or_unusual_references_in_a_bundle_get_new_ones(sender, receiver, tmp_path):
    first = add_incident(sender, tmp=tmp_path)
    others = [add_incident(sender, title=t, tmp=tmp_path) for t in ("Second", "Third")]
    export(sender, tmp_path / "h.age", [first, *others])

    def odd(records: dict) -> None:
        records["incidents"][1]["record"]["ref"] = first.ref
        records["incidents"][2]["record"]["ref"] = "legacy 17"

    path = write_bundle(tmp_path / "odd.age", edit_records(plain_zip(tmp_path / "h.age"), odd))
    preview = ho.preview_import(receiver, ho.open_handover(path, HANDOVER_PASSPHRASE))
    year = first.ref.split("-")[1]
    assert [(i.original_ref, i.ref) for i in preview.incidents] == [
        (first.ref, first.ref),
        (first.ref, f"INC-{year}-0002"),
        ("legacy 17", f"INC-{year}-0003"),
    ]
    assert [i.clashes_with for i in preview.incidents] == [None, None, None]  # nothing here to flag
    received = ho.apply_import(receiver, preview)
    assert sorted(r.ref for r in IncidentLog(receiver).rows()) == sorted(received.incident_refs)


def test_ids_of_the_senders_own_records_do_not_point_at_ours(sender, receiver, tmp_path):
    incident = add_incident(sender, tmp=tmp_path)
    export(sender, tmp_path / "first.age", [incident])  # leaves a chronology line naming transfer 1
    export(sender, tmp_path / "second.age", [incident])
    export(receiver, tmp_path / "theirs.age", [add_incident(receiver, tmp=tmp_path)])  # the receiver has a transfer 1 too
    received = import_file(receiver, tmp_path / "second.age")
    shared = [e for e in IncidentLog(receiver).chronology(received.incident_ids[0]) if e.text.startswith("Shared in")]
    assert len(shared) == 1 and shared[0].detail == {"transfer_id": None}


def test_same_file_twice_and_own_file_are_refused(sender, receiver, tmp_path):
    export(sender, tmp_path / "h.age", [add_incident(sender, tmp=tmp_path)])
    import_file(receiver, tmp_path / "h.age")
    again = ho.preview_import(receiver, ho.open_handover(tmp_path / "h.age", HANDOVER_PASSPHRASE))
    assert "already imported" in again.refused and any("CANNOT IMPORT" in line for line in again.lines())
    with pytest.raises(NotAllowed, match="already imported"):
        ho.apply_import(receiver, again)
    own = ho.preview_import(sender, ho.open_handover(tmp_path / "h.age", HANDOVER_PASSPHRASE))
    assert "made by this store" in own.refused


def test_a_pupil_already_here_by_mis_id_is_merged_not_duplicated(sender, receiver, tmp_path):
    here = add_pupil(receiver, name="Amelia Smith", mis_id="A1234")
    pupil = add_pupil(sender, never_publish=True)
    export(sender, tmp_path / "h.age", pupils=[pupil])
    preview = ho.preview_import(receiver, ho.open_handover(tmp_path / "h.age", HANDOVER_PASSPHRASE))
    assert any("merged into one record" in line and "by MIS id" in line for line in preview.lines())
    ho.apply_import(receiver, preview)
    pupils = receiver.repo(consents.Pupil).all()
    assert [p.id for p in pupils] == [here.id]  # one pupil, both histories
    assert set(pupil.consents) <= set(pupils[0].consents) and pupils[0].never_publish is not None
    assert verify_store(receiver).ok  # MIS ids stay unique


def test_a_second_handover_of_the_same_pupil_never_duplicates_and_the_check_sees_the_withdrawal(sender, receiver, tmp_path):
    """A second handover for the same pupil, with or without the MIS id: one pupil, newest decision current."""
    from safedesk.store.consents.check import check_pupils, resolve_pupil

    pupil = add_pupil(sender, mis_id="A1234")
    export(sender, tmp_path / "one.age", pupils=[pupil])
    import_file(receiver, tmp_path / "one.age")
    later = consents.ConsentChange(
        purpose=consents.Purpose.WEBSITE,
        status=consents.ConsentStatus.REFUSED,
        given_on=date.today(),
        recorded_at=datetime.now(UTC),
    )
    consents.record_consent(sender, pupil.id, [later])
    # The second handover comes from a store where the pupil has no MIS id: matched by name and year group.
    consents.update_details(sender, dataclasses.replace(consents.get_pupil(sender, pupil.id), mis_id=""))
    export(sender, tmp_path / "two.age", pupils=[consents.get_pupil(sender, pupil.id)])
    preview = ho.preview_import(receiver, ho.open_handover(tmp_path / "two.age", HANDOVER_PASSPHRASE))
    assert preview.pupils[0].matched_by == "name and year group"
    ho.apply_import(receiver, preview)
    assert receiver.repo(consents.Pupil).count() == 1
    found = resolve_pupil(receiver, "A1234").pupil
    result = check_pupils([found], [consents.Purpose.WEBSITE])
    assert not result.passed and "withdrawn" in result.verdicts[0].reason


def test_a_name_shared_by_two_pupils_here_is_kept_separate_with_a_flag(sender, receiver, tmp_path):
    add_pupil(receiver, name="Amelia Smith", mis_id="X1")
    add_pupil(receiver, name="Amelia Smith", mis_id="X2")
    pupil = add_pupil(sender, mis_id="")
    export(sender, tmp_path / "h.age", pupils=[pupil])
    preview = ho.preview_import(receiver, ho.open_handover(tmp_path / "h.age", HANDOVER_PASSPHRASE))
    assert any("could not be told apart" in line and "separate record" in line for line in preview.conflicts())
    ho.apply_import(receiver, preview)
    assert receiver.repo(consents.Pupil).count() == 3


def test_name_and_date_of_birth_tell_two_pupils_apart(sender, receiver, tmp_path):
    born = date(2015, 3, 4)
    for mis, dob in (("X1", date(2016, 1, 1)), ("X2", born)):
        here = add_pupil(receiver, name="Amelia Smith", mis_id=mis)
        consents.update_details(receiver, dataclasses.replace(here, date_of_birth=dob))
    pupil = add_pupil(sender, mis_id="")
    consents.update_details(sender, dataclasses.replace(pupil, date_of_birth=born))
    export(sender, tmp_path / "h.age", pupils=[consents.get_pupil(sender, pupil.id)])
    preview = ho.preview_import(receiver, ho.open_handover(tmp_path / "h.age", HANDOVER_PASSPHRASE))
    assert preview.pupils[0].matched_by == "name and date of birth"
    ho.apply_import(receiver, preview)
    assert receiver.repo(consents.Pupil).count() == 2


def test_files_of_an_imagery_incident_never_leave_and_are_never_taken_in(sender, receiver, tmp_path):
    incident = add_incident(sender, tmp=tmp_path)
    IncidentLog(sender).amend(incident.id, {"flags": ("sexual_imagery_suspected",)}, "Disclosure on Tuesday")
    export(sender, tmp_path / "h.age", [incident])
    bundle = unpack(plain_zip(tmp_path / "h.age"))
    assert not bundle.files and [e.withheld for e in bundle.contents.incidents[0].evidence] == [True, False]
    assert "never copies the file" in bundle.summary
    received = import_file(receiver, tmp_path / "h.age")
    items = evidence.evidence_for(receiver, received.incident_ids[0])
    assert [i.kind for i in items] == ["description", "description"]
    original = evidence.evidence_for(sender, incident.id)[0]
    assert "File not transferred" in items[0].description and original.sha256 in items[0].description
    assert items[0].sha256 == original.sha256 and items[0].blob == ""
    # A bundle that carries such a file anyway is refused.
    clean = add_incident(sender, title="Other", tmp=tmp_path)
    export(sender, tmp_path / "h2.age", [clean])

    def flag(records: dict) -> None:
        records["incidents"][0]["record"]["flags"] = ["sexual_imagery_suspected"]

    with pytest.raises(BadBundle, match="sexual imagery"):
        unpack(edit_records(plain_zip(tmp_path / "h2.age"), flag))


def test_failed_import_leaves_no_records_and_no_files(sender, receiver, tmp_path, monkeypatch):
    export(sender, tmp_path / "h.age", [add_incident(sender, files=2, tmp=tmp_path)])
    preview = ho.preview_import(receiver, ho.open_handover(tmp_path / "h.age", HANDOVER_PASSPHRASE))
    before = snapshot(receiver)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ho.Transfer, "validate", broken)  # fails at the very end, inside the transaction
    with pytest.raises(OSError):
        ho.apply_import(receiver, preview)
    assert snapshot(receiver) == before


def test_store_changed_since_preview_is_refused(sender, receiver, tmp_path):
    incident = add_incident(sender, tmp=tmp_path)
    export(sender, tmp_path / "h.age", [incident])
    preview = ho.preview_import(receiver, ho.open_handover(tmp_path / "h.age", HANDOVER_PASSPHRASE))
    add_incident(receiver, title="Meanwhile", tmp=tmp_path)  # now takes the same reference
    with pytest.raises(NotAllowed, match="changed since the preview"):
        ho.apply_import(receiver, preview)


# --------------------------------------------------------------------- export rules


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"to": "  "}, "counterpart"),
        ({"to": "x" * 121}, "counterpart"),
        ({"passphrase": "short"}, "passphrase"),
        ({"passphrase": "password password"}, "passphrase"),
        ({"passphrase": PASSPHRASE}, "passphrase"),  # opens the store: the receiver would know it
        ({"confirmation": HANDOVER_PASSPHRASE + "x"}, "confirm"),
        ({"selection": ho.Selection()}, "choice"),
    ],
)
def test_export_refuses_bad_input_and_writes_nothing(sender, tmp_path, change, field):
    incident = add_incident(sender, tmp=tmp_path)
    values = dict(
        selection=ho.Selection((incident.id,)),
        to="LADO",
        passphrase=HANDOVER_PASSPHRASE,
        out=tmp_path / "h.age",
        confirmation=None,
    )
    values.update(change)
    with pytest.raises(InvalidInput) as caught:
        ho.export_handover(sender, values.pop("selection"), **values)
    assert caught.value.field == field
    assert not (tmp_path / "h.age").exists() and not ho.transfers(sender)


def test_export_refuses_an_existing_file_or_a_missing_folder(sender, tmp_path):
    incident = add_incident(sender, tmp=tmp_path)
    (tmp_path / "there.age").write_bytes(b"keep me")
    for out, words in ((tmp_path / "there.age", "already exists"), (tmp_path / "nowhere" / "h.age", "no folder")):
        with pytest.raises(InvalidInput, match=words):
            ho.export_handover(sender, ho.Selection((incident.id,)), to="LADO", passphrase=HANDOVER_PASSPHRASE, out=out)
    assert (tmp_path / "there.age").read_bytes() == b"keep me"


def test_choices_filter_and_resolve(sender, tmp_path):
    incident = add_incident(sender, tmp=tmp_path)
    add_pupil(sender)
    options = ho.choices(sender)
    assert [c.key for c in options] == [f"incident:{incident.id}", "pupil:1"]
    assert [c.key for c in ho.filter_choices(options, "amelia")] == ["pupil:1"]
    assert [c.key for c in ho.filter_choices(options, "fake LOGO")] == [f"incident:{incident.id}"]
    assert ho.resolve_refs(sender, [incident.ref.lower()]) == (incident.id,)
    assert ho.resolve_pupils(sender, ["a1234"]) == (1,) == ho.resolve_pupils(sender, ["Amelia Smith"])
    with pytest.raises(InvalidInput, match="No incident"):
        ho.resolve_refs(sender, ["INC-1999-0001"])
    with pytest.raises(InvalidInput, match="No pupil"):
        ho.resolve_pupils(sender, ["Nobody"])


# --------------------------------------------------------------------- receipts and the 5-day rule


def test_receipt_codes_read_aloud_in_any_form(sender, tmp_path):
    sent = export(sender, tmp_path / "h.age", [add_incident(sender, tmp=tmp_path)])
    code = sent.receipt_code
    typed = code.lower().replace("-", " ").replace("0", "o")
    transfer, newly = ho.mark_received(sender, typed)
    assert newly and transfer.received_at is not None and transfer.receipt_by == "Sam Patel"
    assert not transfer.pending and transfer.state_text().startswith("received")
    again, newly = ho.mark_received(sender, code)
    assert not newly and again.received_at == transfer.received_at
    assert IncidentLog(sender).chronology(sent.incident_ids[0])[-1].text.startswith(f"Receipt confirmed for handover {code}")
    assert any(e.action == "handover.receipt" for e in sender.audit.entries())


@pytest.mark.parametrize(
    ("typed", "words"), [("12345", "12 characters"), ("ZZZZ-ZZZZ-ZZZZ", "12 characters"), ("0000-0000-0001", "No handover sent")]
)
def test_bad_receipt_codes_are_refused(sender, typed, words):
    with pytest.raises(InvalidInput, match=words):
        ho.mark_received(sender, typed)


def test_a_received_code_is_not_a_receipt_for_the_receiver(sender, receiver, tmp_path):
    export(sender, tmp_path / "h.age", [add_incident(sender, tmp=tmp_path)])
    received = import_file(receiver, tmp_path / "h.age")
    with pytest.raises(InvalidInput, match="give it to the sender"):
        ho.mark_received(receiver, received.receipt_code)


def test_five_school_day_transfer_rule_on_the_home_screen(sender, tmp_path):
    sent = export(sender, tmp_path / "h.age", [add_incident(sender, tmp=tmp_path)])
    items = [i for i in attention(sender) if i.area == "handover"]
    assert [i.level for i in items] == ["due soon"] and "receipt not confirmed" in items[0].text
    assert items[0].target == f"handover/{sent.id}"
    sender.repo(ho.Transfer).save(dataclasses.replace(sent, at=utcnow() - timedelta(days=15)))
    items = [i for i in attention(sender) if i.area == "handover"]
    # Three weeks of weekdays (no terms set): 5 school days to the due date, then 5 or 6 late.
    assert [i.level for i in items] == ["overdue"] and "5-school-day transfer rule" in items[0].text
    assert re.search(r"[56] school days late", items[0].text)
    assert re.fullmatch(r"OVERDUE [56] sch\.d", ho.transfers(sender)[0].state_text())
    ho.mark_received(sender, sent.receipt_code)
    assert not [i for i in attention(sender) if i.area == "handover"]


def test_codes_normalise():
    assert normalise_code(" 1a2b 3c4d-5e6f ") == "1A2B-3C4D-5E6F" == normalise_code("1A2B.3C4D.5E6F")
    assert normalise_code("1A2B-3C4D-5E6") is None and normalise_code("1A2B-3C4D-5E6G") is None


# --------------------------------------------------------------------- the summary


def test_summary_is_markdown_with_record_text_kept_literal(sender, tmp_path):
    incident = add_incident(
        sender,
        title=NASTY,
        tmp=tmp_path,
        description="# Not a heading\n[link](http://evil)\n<b>bold</b>\n1. not a list\n    not code",
    )
    pupil = add_pupil(sender, name="Zoë [x](y) O'Brien", mis_id="B1")
    export(sender, tmp_path / "h.age", [incident], [pupil])
    summary = unpack(plain_zip(tmp_path / "h.age")).summary
    tokens = MarkdownIt("commonmark", {"html": False}).parse(summary)
    headings = [
        "".join(c.content for c in tokens[n + 1].children or []) for n, t in enumerate(tokens) if t.type == "heading_open"
    ]
    assert headings == [
        "SafeDesk handover from Oak Primary",
        "Checking this handover",
        "Incidents",
        f"{incident.ref}: {incident.title}",
        "Pupils and image consents",
        "Zoë [x](y) O'Brien (Milly)",
    ]
    inline = [child for t in tokens if t.type == "inline" for child in t.children or []]
    assert not [c for c in inline if c.type in ("link_open", "html_inline", "image")]
    assert not [t for t in tokens if t.type in ("html_block", "code_block", "fence", "ordered_list_open")]
    text = "".join(c.content for c in inline)
    for literal in (
        "# Not a heading",
        "[link](http://evil)",
        "<b>bold</b>",
        "1. not a list",
        "[@click=app.quit]x[/]",
        "<script>",
    ):
        assert literal in text
    assert "Never publish images" not in summary  # no flag on this pupil
    assert "Official social media: refused" in summary and "School website: granted, given by Jo Smith" in summary


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(min_size=1, max_size=60), description=st.text(max_size=200), name=st.text(max_size=30))
def test_any_record_text_stays_text_in_the_summary(title, description, name):
    """Whatever a record holds, the summary shows those characters and SafeDesk's structure only."""

    def summary_of(title: str, description: str, name: str) -> str:
        incident = Incident(
            id=1,
            ref="INC-2026-0001",
            title=title,
            reported_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
            description=description,
            people=(Person(name=name or "x", role="pupil"),),
        ).cleaned()
        return write_summary(
            Contents([IncidentBundle(incident)]), setting="Oak", exported_by="Sam", to="LADO", note="", created_at=utcnow()
        )

    if not clean_text(title).strip() or not clean_text(name).strip():
        return
    found = outline(summary_of(title, description, name))
    plain = " ".join(clean_text(title).split())
    assert [h for _, h in found.headings] == [
        "SafeDesk handover from Oak",
        "Checking this handover",
        "Incidents",
        f"INC-2026-0001: {plain}",
    ]
    baseline = outline(summary_of("t", "d" if clean_text(description, multiline=True).strip() else "", "n"))
    assert (found.lists, found.tables) == (baseline.lists, baseline.tables)
    text = " ".join(found.text.split())
    assert " ".join(clean_text(description, multiline=True).split()) in text and " ".join(clean_text(name).split()) in text


# --------------------------------------------------------------------- records through the bundle


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(min_size=1, max_size=60), description=st.text(max_size=300), name=st.text(max_size=40))
def test_any_valid_incident_survives_pack_and_unpack(title, description, name):
    incident = Incident(
        id=7,
        ref="INC-2026-0007",
        title=title,
        reported_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        description=description,
        people=(Person(name=clean_text(name) or "x", role="pupil"),),
    ).cleaned()
    try:
        incident.validate()
    except InvalidInput:
        return
    contents = Contents([IncidentBundle(incident)])
    data, _ = pack(contents, {}, "summary", setting="Oak", exported_by="Sam", to="LADO", note="", created=utcnow())
    back = unpack(data).contents.incidents[0].incident
    assert back.to_doc() == incident.to_doc() and back.id == 7


# --------------------------------------------------------------------- hostile bundles


@pytest.fixture
def bundle(sender, tmp_path):  # type: ignore[no-untyped-def]
    """A real bundle (zip bytes) with two evidence files."""
    export(sender, tmp_path / "h.age", [add_incident(sender, files=2, tmp=tmp_path)])
    return plain_zip(tmp_path / "h.age")


def add_member(name: str, content: bytes = b"x"):  # type: ignore[no-untyped-def]
    return lambda members: [*members.items(), (name, content)]


def zip_entries(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, content in entries:
            archive.writestr(info, content)
    return buffer.getvalue()


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with `name`'s uncompressed size rewritten in both headers (a lying bundle)."""
    raw = bytearray(data)
    encoded = name.encode()
    pos = 0
    while (pos := raw.find(b"PK\x03\x04", pos)) >= 0:
        if raw[pos + 30 : pos + 30 + len(encoded)] == encoded:
            struct.pack_into("<I", raw, pos + 22, size)
        pos += 4
    pos = 0
    while (pos := raw.find(b"PK\x01\x02", pos)) >= 0:
        if raw[pos + 46 : pos + 46 + len(encoded)] == encoded:
            struct.pack_into("<I", raw, pos + 24, size)
        pos += 4
    return bytes(raw)


def set_field(path: list, value):  # type: ignore[no-untyped-def]
    def edit(records: dict) -> None:
        target = records
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


HOSTILE = {
    "path traversal": (lambda b: rezip(b, add_member("evidence/../../evil.sh")), "not allowed"),
    "parent folder": (lambda b: rezip(b, add_member("../evil")), "not allowed"),
    "absolute name": (lambda b: rezip(b, add_member("/etc/cron.d/evil")), "not allowed"),
    "windows drive": (lambda b: rezip(b, add_member("C:\\Windows\\evil.dll")), "not allowed"),
    "backslashes": (lambda b: rezip(b, add_member("evidence\\..\\evil")), "not allowed"),
    "unexpected name": (lambda b: rezip(b, add_member("autorun.inf")), "not allowed"),
    "duplicate name": (
        lambda b: rezip(b, lambda m: [*m.items(), ("summary.md", b"second")], fix_manifest=False),
        "same file name twice",
    ),
    "names differing in case": (
        lambda b: rezip(
            b, lambda m: [*m.items(), ("evidence/" + next(k for k in m if k.startswith("evidence/"))[9:].upper(), b"x")]
        ),
        "same file name twice",
    ),
    "folder entry": (lambda b: rezip(b, lambda m: [*m.items(), ("evidence/dir/", b"")], fix_manifest=False), "not allowed"),
    "symlink": (
        lambda b: zip_entries([(_link("evidence/0001-link"), b"/etc/passwd"), ("summary.md", b"s")]),
        "link",
    ),
    "huge declared size": (lambda b: declare_size(b, "summary.md", 3_000_000_000), "larger than"),
    "size smaller than content": (lambda b: declare_size(b, "summary.md", 10), "damaged|size"),
    "zip bomb": (lambda b: rezip(b, add_member("evidence/9999-zeros.bin", bytes(8 * 1024 * 1024))), "zip bomb"),
    "not a zip": (lambda b: b"just some text, not a zip", "not a zip"),
    "empty": (lambda b: b"", "not a zip"),
    "no manifest": (
        lambda b: rezip(b, lambda m: [(k, v) for k, v in m.items() if k != MANIFEST], fix_manifest=False),
        "no manifest",
    ),
    "member changed after export": (
        lambda b: rezip(b, lambda m: [(k, v + b" " if k == SUMMARY else v) for k, v in m.items()], fix_manifest=False),
        "its summary does not match the SHA-256",
    ),
    "member missing": (
        lambda b: rezip(b, lambda m: [(k, v) for k, v in m.items() if not k.startswith("evidence/0001")], fix_manifest=False),
        "do not match its manifest",
    ),
    "unlisted member": (lambda b: rezip(b, add_member("evidence/extra.txt"), fix_manifest=False), "do not match its manifest"),
    "orphan evidence file": (lambda b: rezip(b, add_member("evidence/extra.txt")), "no record refers"),
    "manifest not JSON": (
        lambda b: rezip(b, lambda m: [(k, b"{not json" if k == MANIFEST else v) for k, v in m.items()], fix_manifest=False),
        "not valid JSON",
    ),
    "records not JSON": (
        lambda b: rezip(b, lambda m: [(k, b"[1, 2" if k == RECORDS else v) for k, v in m.items()]),
        "not valid JSON",
    ),
    "records NaN": (
        lambda b: rezip(b, lambda m: [(k, b'{"x": NaN}' if k == RECORDS else v) for k, v in m.items()]),
        "not valid JSON",
    ),
    "deeply nested JSON": (
        lambda b: rezip(b, lambda m: [(k, b"[" * 100_000 if k == RECORDS else v) for k, v in m.items()]),
        "not valid JSON",
    ),
    "newer bundle version": (
        lambda b: rezip(
            b,
            lambda m: [(k, m[k].replace(b'"version": 1', b'"version": 9') if k == MANIFEST else v) for k, v in m.items()],
            fix_manifest=False,
        ),
        "newer SafeDesk",
    ),
    "empty title": (
        lambda b: edit_records(b, set_field(["incidents", 0, "record", "title"], " ")),
        "fails SafeDesk's checks .field 'title'",
    ),
    "future report": (
        lambda b: edit_records(b, set_field(["incidents", 0, "record", "reported_at"], "2999-01-01T00:00:00+00:00")),
        "field 'reported_at'",
    ),
    "bad date": (lambda b: edit_records(b, set_field(["incidents", 0, "record", "reported_at"], "yesterday")), "cannot read"),
    "number for text": (
        lambda b: edit_records(b, set_field(["incidents", 0, "record", "reported_by"], 12)),
        "wrong kind of value in 'reported_by'",
    ),
    "text for a list": (
        lambda b: edit_records(b, set_field(["incidents", 0, "record", "playbooks"], "abc")),
        "wrong kind of value in 'playbooks'",
    ),
    "bad person": (
        lambda b: edit_records(b, set_field(["incidents", 0, "record", "people"], [{"name": 5}])),
        "wrong kind of value in 'people'",
    ),
    "unknown field": (lambda b: edit_records(b, set_field(["incidents", 0, "record", "mood"], "x")), "does not know .'mood'"),
    "missing field": (lambda b: edit_records(b, lambda r: r["incidents"][0]["record"].pop("title")), "lacks the field 'title'"),
    "unknown status": (lambda b: edit_records(b, set_field(["incidents", 0, "record", "status"], "deleted")), "field 'status'"),
    "duplicate ids": (
        lambda b: edit_records(b, lambda r: r["incidents"][0]["actions"].append(r["incidents"][0]["actions"][0])),
        "same id",
    ),
    "child of another incident": (
        lambda b: edit_records(b, set_field(["incidents", 0, "actions", 0, "record", "incident_id"], 99)),
        "belongs to another incident",
    ),
    "evidence hash not the file's": (
        lambda b: edit_records(b, set_field(["incidents", 0, "evidence", 0, "record", "sha256"], "0" * 64)),
        "does not match the size and SHA-256",
    ),
    "two items one file": (
        lambda b: edit_records(
            b, lambda r: r["incidents"][0]["evidence"][1].__setitem__("file", r["incidents"][0]["evidence"][0]["file"])
        ),
        "share one file",
    ),
    "records not a list": (lambda b: edit_records(b, set_field(["incidents"], {"a": 1})), "not in SafeDesk's format"),
    "no record id": (lambda b: edit_records(b, set_field(["incidents", 0, "id"], "1")), "no record id"),
}


def _link(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o120777 << 16
    return info


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_bundle_is_refused_with_one_clear_sentence(bundle, case):
    make, words = HOSTILE[case]
    with pytest.raises(BadBundle, match=words) as caught:
        unpack(make(bundle))
    message = str(caught.value)
    assert message.startswith("This handover file was refused: ") and message.endswith("Nothing was imported.")
    assert "\n" not in message and "Amelia" not in message and "Fake account" not in message


def test_hostile_file_leaves_the_store_untouched(bundle, receiver, tmp_path):
    before = snapshot(receiver)
    for n, case in enumerate(("path traversal", "zip bomb", "empty title", "member changed after export")):
        path = write_bundle(tmp_path / f"bad{n}.age", HOSTILE[case][0](bundle))
        with pytest.raises(BadBundle):
            ho.open_handover(path, HANDOVER_PASSPHRASE)
    assert snapshot(receiver) == before


def test_oversized_bundles_are_refused_on_both_sides(sender, tmp_path, monkeypatch):
    from safedesk.store.handover import bundle as handover_bundle

    monkeypatch.setattr(handover_bundle, "MAX_TOTAL_BYTES", 4096)
    incident = add_incident(sender, files=3, tmp=tmp_path)
    with pytest.raises(InvalidInput, match="limit is 0 MB"):
        export(sender, tmp_path / "h.age", [incident])
    assert not (tmp_path / "h.age").exists()
    monkeypatch.setattr(ho, "MAX_FILE_BYTES", 10)
    (tmp_path / "big.age").write_bytes(b"x" * 11)
    with pytest.raises(InvalidInput, match="larger than any SafeDesk handover"):
        ho.open_handover(tmp_path / "big.age", HANDOVER_PASSPHRASE)


def test_too_many_members_and_records_are_refused(bundle, monkeypatch):
    from safedesk.store.handover import bundle as handover_bundle

    monkeypatch.setattr(handover_bundle, "MAX_MEMBERS", 3)
    with pytest.raises(BadBundle, match="more than 3 files"):
        unpack(bundle)
    monkeypatch.setattr(handover_bundle, "MAX_MEMBERS", 5000)
    monkeypatch.setattr(handover_bundle, "MAX_RECORDS", 5)
    with pytest.raises(BadBundle, match="more than 5 records"):
        unpack(bundle)


def test_control_characters_in_imported_text_are_removed(bundle, receiver, tmp_path):
    def poison(records: dict) -> None:
        incident = records["incidents"][0]
        incident["record"]["title"] = "Fake\x1b[2J account\x07"
        incident["record"]["people"][0]["name"] = "Amelia\x1b]0;pwned\x07 Smith"
        incident["chronology"][0]["record"]["detail"] = {"reason": "why\x1b[31m", "nested": ["a\x9bb"]}

    path = write_bundle(tmp_path / "p.age", edit_records(bundle, poison))
    received = import_file(receiver, path)
    log = IncidentLog(receiver)
    incident = log.get(received.incident_ids[0])
    assert incident.title == "Fake[2J account" and incident.people[0].name == "Amelia]0;pwned Smith"
    assert log.chronology(incident.id)[0].detail == {"reason": "why[31m", "nested": ["ab"]}


def test_missing_unreadable_and_folder_paths(tmp_path):
    with pytest.raises(InvalidInput, match="no file at that path"):
        ho.open_handover(tmp_path / "nothing.age", HANDOVER_PASSPHRASE)
    with pytest.raises(InvalidInput, match="folder"):
        ho.open_handover(tmp_path, HANDOVER_PASSPHRASE)


def test_handover_passphrase_is_rated_with_the_setting_and_key_holders_names(sender, tmp_path):
    # Strong to an estimator that does not know the names; weak to one that does (a guesser knows them).
    guessable = "Oak Primary Sam Patel"
    assert sender.guessable_names() == ("Oak Primary", "Sam Patel")
    with pytest.raises(InvalidInput, match="school's name, a person's name") as caught:
        ho.check_passphrase(sender, guessable)
    assert caught.value.field == "passphrase"
