"""A child protection file: a pupil's handover carries every incident about them, merges on
import without duplicates, and reads right for a receiver without SafeDesk (summary.md in
Notepad, summary.html in a browser, SHA256SUMS for `sha256sum -c`)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safedesk.store.consents import pupils as consents
from safedesk.store.handover import transfer as ho
from safedesk.store.handover.bundle import SHA256SUMS, BadBundle, unpack
from safedesk.store.handover.summary import md
from safedesk.store.incidents import evidence
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Person
from safedesk.store.text.clean import clean_text
from safedesk.store.text.markdown import parser
from tests.kit import (
    HANDOVER_PASSPHRASE,
    add_incident,
    add_pupil,
    export_handover,
    fast_crypt,
    fast_plain_zip,
    import_handover,
    make_store,
    rezip,
)


@pytest.fixture(autouse=True)
def _fast(monkeypatch):  # type: ignore[no-untyped-def]
    fast_crypt(monkeypatch)


def _about(session, pupil, tmp_path, title: str, **overrides):  # type: ignore[no-untyped-def]
    people = (Person(name=pupil.name, role="pupil", involvement="victim", pupil_id=pupil.id),)
    return add_incident(session, title, tmp=tmp_path, people=people, **overrides)


def test_a_pupil_handover_carries_every_incident_about_them(sender, tmp_path):
    pupil = add_pupil(sender)
    mine = _about(sender, pupil, tmp_path, "Messages about @stm_banter -> group chat")
    also = _about(sender, pupil, tmp_path, "Second", files=0)
    add_incident(sender, "Not about this pupil", tmp=tmp_path, files=0)
    transfer = export_handover(sender, tmp_path / "h.age", [also], [pupil])  # also picked by reference: sent once
    bundle = unpack(fast_plain_zip(tmp_path / "h.age"))
    assert [i.incident.ref for i in bundle.contents.incidents] == [mine.ref, also.ref]
    assert sorted(transfer.incident_refs) == sorted([mine.ref, also.ref]) and transfer.pupils == 1
    first = bundle.contents.incidents[0]
    assert first.actions and first.escalations and first.chronology and any(e.member for e in first.evidence)
    # Recorded as sent: the audit line and each incident's chronology.
    assert any("handover exported: 2 incident(s), 1 pupil(s)" in e.summary for e in sender.audit.entries())
    assert IncidentLog(sender).chronology(mine.id)[-1].kind == "handover"


def test_imagery_incidents_about_the_pupil_go_without_their_files(sender, tmp_path):
    pupil = add_pupil(sender)
    flagged = _about(sender, pupil, tmp_path, "Flagged", files=0, flags=("sexual_imagery_suspected",))
    export_handover(sender, tmp_path / "h.age", [], [pupil])
    bundle = unpack(fast_plain_zip(tmp_path / "h.age"))
    assert [i.incident.ref for i in bundle.contents.incidents] == [flagged.ref]
    assert not bundle.files


def test_import_merges_the_child_and_a_later_file_adds_only_what_is_new(sender, receiver, tmp_path):
    pupil = add_pupil(sender)
    incident = _about(sender, pupil, tmp_path, "Unkind messages")
    here = add_pupil(receiver)  # the same child is already on the receiving school's roll (same MIS id)
    export_handover(sender, tmp_path / "one.age", [], [pupil])
    import_handover(receiver, tmp_path / "one.age")
    log = IncidentLog(receiver)
    rows = log.rows()
    assert len(rows) == 1 and len(consents.pupil_index(receiver).rows) == 1
    stored = log.get(rows[0].id)
    assert [p.pupil_id for p in stored.people] == [here.id]  # linked to the child here
    counts = (len(log.chronology(stored.id)), len(log.actions(stored.id)), len(evidence.evidence_for(receiver, stored.id)))

    # Later the sender adds a note and sends the child's file again.
    IncidentLog(sender).add_note(incident.id, "Follow-up call with parent")
    export_handover(sender, tmp_path / "two.age", [], [pupil])
    preview = ho.preview_import(receiver, ho.open_handover(tmp_path / "two.age", HANDOVER_PASSPHRASE))
    assert "Already here from an earlier handover" in "\n".join(preview.lines())
    ho.apply_import(receiver, preview)
    assert len(log.rows()) == 1  # no second copy of the incident
    chronology = log.chronology(stored.id)
    notes = [e.text for e in chronology if e.kind == "note"]
    assert notes.count("Follow-up call with parent") == 1
    assert len(log.actions(stored.id)) == counts[1]
    assert len(evidence.evidence_for(receiver, stored.id)) == counts[2]
    assert len(chronology) > counts[0]


def test_summary_reads_in_notepad(sender, tmp_path):
    pupil = add_pupil(sender)
    _about(sender, pupil, tmp_path, "Messages about @stm_banter -> group chat")
    withdraw = consents.ConsentChange(
        purpose=consents.Purpose.WEBSITE,
        status=consents.ConsentStatus.REFUSED,
        given_by="Jo Smith",
        recorded_at=datetime.now(UTC),
    )
    consents.record_consent(sender, pupil.id, [withdraw])
    export_handover(sender, tmp_path / "h.age", [], [pupil])
    summary = unpack(fast_plain_zip(tmp_path / "h.age")).summary
    assert "@stm_banter -> group chat" in summary  # no "\_" or "\>" for a reader in Notepad
    assert "action_done" not in summary and "action closed" in summary
    assert "\\\n" not in summary  # line breaks without trailing backslashes
    assert "School website: withdrawn" in summary
    assert re.search(r"School website withdrawn by Jo Smith", summary)
    assert "sha256sum -c SHA256SUMS" in summary and "certutil -hashfile" in summary


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_summary_html_is_a_page_with_user_text_as_text(sender, tmp_path):
    pupil = add_pupil(sender, name="Zoë <script>alert(1)</script> O'Brien", mis_id="Z1")
    _about(sender, pupil, tmp_path, "<img src=x onerror=alert(1)> [link](http://evil) **loud**", files=0)
    export_handover(sender, tmp_path / "h.age", [], [pupil])
    with zipfile.ZipFile(io.BytesIO(fast_plain_zip(tmp_path / "h.age"))) as archive:
        page = archive.read("summary.html").decode("utf-8")
    parser = _Tags()
    parser.feed(page)
    assert page.startswith("<!DOCTYPE html>") and parser.tags[:2] == ["html", "head"] and "body" in parser.tags
    assert not {"script", "img", "a", "em"} & set(parser.tags)
    text = "".join(parser.text)
    assert "<img src=x onerror=alert(1)> [link](http://evil) **loud**" in text and "<script>alert(1)</script>" in text


def test_changed_sha256sums_is_refused(sender, tmp_path):
    export_handover(sender, tmp_path / "h.age", [add_incident(sender, tmp=tmp_path, files=0)])
    data = fast_plain_zip(tmp_path / "h.age")

    def change(members: dict[str, bytes]) -> list[tuple[str, bytes]]:
        members[SHA256SUMS] = members[SHA256SUMS].replace(b"summary.md", b"summary.mD")
        return list(members.items())

    with pytest.raises(BadBundle, match="SHA256SUMS"):
        unpack(rezip(data, change, fix_manifest=False))
    # A bundle made before SHA256SUMS existed still opens.
    older = rezip(data, lambda members: [(n, d) for n, d in members.items() if n not in (SHA256SUMS, "summary.html")])
    assert unpack(older).contents.incidents


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_light_escaping_keeps_any_line_literal(text: str) -> None:
    """md() escapes less than md_escape (for Notepad) but never lets typed text become structure."""
    line = md(text)
    tokens = parser().parse(f"- Title: {line}\n\n{line}\n")
    shown = " ".join(clean_text(text).split())
    if not shown:
        return
    assert [t.type for t in tokens] == [
        "bullet_list_open", "list_item_open", "paragraph_open", "inline", "paragraph_close", "list_item_close",
        "bullet_list_close", "paragraph_open", "inline", "paragraph_close",
    ]  # fmt: skip
    for inline in (tokens[3], tokens[8]):
        assert [c.type for c in inline.children or []] == ["text"] * len(inline.children or [])
    assert "".join(c.content for c in tokens[3].children or []) == f"Title: {shown}"
    assert "".join(c.content for c in tokens[8].children or []) == shown


async def test_export_screen_says_a_pupil_brings_their_incidents(store_dir, tmp_path, monkeypatch):
    from textual.widgets import Input

    from safedesk.app import SafeDeskApp
    from safedesk.screens.handover.export import HandoverExportScreen
    from tests.kit import SIZE, settle, text_of, unlock

    with make_store(store_dir) as session:
        pupil = add_pupil(session)
        _about(session, pupil, tmp_path, "About Amelia", files=0)
        add_incident(session, "Not about her", tmp=tmp_path, files=0)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        app.push_screen(HandoverExportScreen())
        await settle(app, pilot)
        screen = app.screen
        box = screen.query_one("#hx-filter", Input)
        box.value = "pupil amelia"
        box.focus()
        await pilot.press("enter", "space")
        assert "1 pupil(s) + 1 incident(s) about the pupils" in text_of(app, "#hx-count")
        await pilot.press("ctrl+n")
        assert screen.step == "hx-details"
        assert "1 incident(s) with their chronology" in text_of(app, "#hx-what")
