"""A pupil's handover carries their decisions for events still on or to come; import merges them
by event name and dates, in the order given (an older decision never becomes current)."""

from __future__ import annotations

import json
import zipfile
from datetime import date, timedelta
from io import BytesIO

import pytest

from safedesk.store.consents.events import ConsentEvent, EventStatus, add_event, find_event, list_events, record_event_decisions
from safedesk.store.consents.pupils import pupil_index
from safedesk.store.handover import transfer as ho
from safedesk.store.handover.bundle import BadBundle, unpack
from tests.kit import (
    HANDOVER_PASSPHRASE,
    add_pupil,
    current_day,
    edit_records,
    export_handover,
    fast_crypt,
    fast_plain_zip,
    import_handover,
)


@pytest.fixture(autouse=True)
def _fast(monkeypatch):  # type: ignore[no-untyped-def]
    fast_crypt(monkeypatch)


def event(session, name: str, start: int, end: int) -> ConsentEvent:  # type: ignore[no-untyped-def]
    return add_event(
        session,
        ConsentEvent(name=name, starts_on=current_day() + timedelta(days=start), ends_on=current_day() + timedelta(days=end)),
    )


def ago(days: int) -> date:
    return current_day() - timedelta(days=days)


def members(path) -> dict:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(BytesIO(fast_plain_zip(path))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_current_and_future_events_travel_and_merge_in_the_order_given(sender, receiver, tmp_path):
    amelia = add_pupil(sender, "Amelia Smith", "A1")
    ben = add_pupil(sender, "Ben Jones", "A2")
    trip = event(sender, "Year 6 Residential", 10, 12)
    panto = event(sender, "Panto", -1, 0)
    farm = event(sender, "Farm visit", -30, -29)  # finished: stays behind
    record_event_decisions(sender, trip.id, [amelia.id, ben.id], EventStatus.GRANTED, ago(5), "Mrs Smith")
    record_event_decisions(sender, panto.id, [amelia.id], EventStatus.REFUSED, ago(3))
    record_event_decisions(sender, farm.id, [amelia.id], EventStatus.GRANTED, ago(40))

    # Here: the same trip (same name, same dates) where a withdrawal given later is already recorded.
    here = add_pupil(receiver, "Amelia Smith", "A1")
    here_trip = event(receiver, "year 6  residential", 10, 12)
    record_event_decisions(receiver, here_trip.id, [here.id], EventStatus.WITHDRAWN, ago(1), "Mr Smith")
    event(receiver, "Panto", 30, 31)  # the same name on other dates: another event

    export_handover(sender, tmp_path / "h.age", pupils=[amelia])
    files = members(tmp_path / "h.age")
    records = json.loads(files["records.json"])
    assert records["version"] == json.loads(files["manifest.json"])["version"] == 2
    assert sorted(e["record"]["name"] for e in records["events"]) == ["Panto", "Year 6 Residential"]
    assert {d["pupil_id"] for e in records["events"] for d in e["record"]["decisions"]} == {amelia.id}  # Ben stays here
    assert "Event consents" in files["summary.md"].decode() and "Farm visit" not in files["summary.md"].decode()

    preview = ho.preview_import(receiver, ho.open_handover(tmp_path / "h.age", HANDOVER_PASSPHRASE))
    assert any("decisions for 2 event(s)" in line for line in preview.lines())
    ho.apply_import(receiver, preview)

    assert len(pupil_index(receiver).rows) == 1  # merged into Amelia here
    merged = find_event(receiver, "Year 6 Residential")
    assert merged.id == here_trip.id
    assert merged.current()[here.id].status is EventStatus.WITHDRAWN  # the older grant is history
    assert [d.status for d in merged.history(here.id)] == [EventStatus.GRANTED, EventStatus.WITHDRAWN]
    assert merged.history(here.id)[0].source.startswith("handover ")
    names = sorted(e.name for e in list_events(receiver))
    assert names == sorted(["year 6  residential", "Panto", f"Panto ({ago(1):%d/%m/%Y})"])
    theirs = find_event(receiver, f"Panto ({ago(1):%d/%m/%Y})")
    assert (theirs.starts_on, theirs.ends_on) == (panto.starts_on, panto.ends_on)
    assert theirs.current()[here.id].status is EventStatus.REFUSED

    # A second handover of the same pupil adds nothing twice.
    export_handover(sender, tmp_path / "h2.age", pupils=[amelia])
    import_handover(receiver, tmp_path / "h2.age")
    assert len(find_event(receiver, "Year 6 Residential").decisions) == 2
    assert len(find_event(receiver, f"Panto ({ago(1):%d/%m/%Y})").decisions) == 1
    assert len(list_events(receiver)) == 3


def test_a_handover_without_events_keeps_the_old_format(sender, receiver, tmp_path):
    amelia = add_pupil(sender, "Amelia Smith", "A1")
    old = event(sender, "Farm visit", -30, -29)
    record_event_decisions(sender, old.id, [amelia.id], EventStatus.GRANTED, ago(40))
    export_handover(sender, tmp_path / "h.age", pupils=[amelia])
    files = members(tmp_path / "h.age")
    assert json.loads(files["manifest.json"])["version"] == 1
    assert "events" not in json.loads(files["records.json"])
    import_handover(receiver, tmp_path / "h.age")
    assert list_events(receiver) == [] and len(pupil_index(receiver).rows) == 1


def test_an_event_decision_for_a_pupil_not_in_the_file_is_refused(sender, tmp_path):
    amelia = add_pupil(sender, "Amelia Smith", "A1")
    trip = event(sender, "Trip", 1, 2)
    record_event_decisions(sender, trip.id, [amelia.id], EventStatus.GRANTED, ago(2))
    export_handover(sender, tmp_path / "h.age", pupils=[amelia])

    def elsewhere(records: dict) -> None:  # type: ignore[type-arg]
        records["events"][0]["record"]["decisions"][0]["pupil_id"] = 999

    with pytest.raises(BadBundle, match="event 1 has a decision for a pupil the file does not carry"):
        unpack(edit_records(fast_plain_zip(tmp_path / "h.age"), elsewhere))
