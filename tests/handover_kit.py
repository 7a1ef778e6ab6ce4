"""Shared helpers for the handover tests: stores with incidents, evidence and pupils; fast crypto."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import warnings
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from safedesk.store.engine.session import Session
from safedesk.store.handover import crypt as handover_crypt
from safedesk.store.handover.bundle import MANIFEST
from safedesk.store.incidents import evidence
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Action, Escalation, Incident, Person
from tests.conftest import PASSPHRASE

HANDOVER_PASSPHRASE = "lantern kettle orbit meadow"
NASTY = "[@click=app.quit]x[/] [/bold] [bold \x1b[31mred <script>alert(1)</script> | *em* # not a heading"


def make_store(folder: Path, setting: str = "Oak Primary", user: str = "Sam Patel") -> Session:
    return Session.create(folder, setting, user, PASSPHRASE)[0]


def add_incident(
    session: Session,
    title: str = "Fake account using the school logo",
    *,
    files: int = 1,
    tmp: Path | None = None,
    **overrides: Any,
) -> Incident:
    """An incident with a chronology, an open and a done action, an escalation, evidence files and a description."""
    log = IncidentLog(session)
    values: dict[str, Any] = dict(
        title=title,
        reported_at=datetime.now(UTC) - timedelta(hours=3),
        occurred_at=datetime.now(UTC) - timedelta(days=1),
        reported_by="Office manager",
        platform="instagram",
        urls=("https://instagram.com/fake_oak",),
        where_seen="Instagram search",
        description="An account called oak_primary_official posted photos.\nParents asked if it was ours.\n\n- It is not.",
        people=(
            Person(name="Amelia Smith", role="pupil", involvement="victim"),
            Person(name="", role="unknown", involvement="subject"),
        ),
        risk_row="contact",
        risk_column="values",
        severity="high",
        flags=("official_channel_affected",),
        review_date=date.today() + timedelta(days=14),
        playbooks=("pb-fake-account",),
    )
    values.update(overrides)
    incident = log.create(
        Incident(**values),
        actions=[Action(incident_id=0, text="Report the account to Instagram", source="pb-fake-account: Do now")],
    )
    assert incident.id is not None
    log.add_note(incident.id, "Called the parent who spotted it.\nThey sent a screenshot.")
    done = log.add_action(
        Action(incident_id=incident.id, text="Tell staff not to follow it", owner="Head", due=date.today() + timedelta(days=2))
    )
    log.complete_action(done.id or 0, "Briefing on Monday")
    log.escalate(
        Escalation(
            incident_id=incident.id,
            target="platform_report",
            at=datetime.now(UTC) - timedelta(hours=1),
            reference="IG-55812",
            result="Report received",
        )
    )
    log.amend(incident.id, {"severity": "critical"}, "Pupil photos were on it")
    folder = tmp or session.folder.parent
    for n in range(files):
        path = folder / f"screenshot {incident.id}-{n} (1).png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + hashlib.sha256(f"{title}{n}".encode()).digest() * (200 + n))
        evidence.add_file(
            session,
            incident.id,
            path,
            title=f"Screenshot {n}",
            captured_by="Office manager",
            captured_at=datetime.now(UTC) - timedelta(hours=2),
        )
    evidence.add_description(
        session,
        evidence.Evidence(
            incident_id=incident.id,
            kind="description",
            title="What the parent saw",
            description="A post naming a pupil.",
            holder="Parent's phone",
        ),
    )
    return log.get(incident.id)


def add_pupil(session: Session, name: str = "Amelia Smith", mis_id: str = "A1234", never_publish: bool = False) -> Any:
    from safedesk.store.consents import pupils as consents

    pupil = consents.add_pupil(
        session, consents.Pupil(name=name, preferred_name="Milly", year_group="Year 5", form="5B", mis_id=mis_id)
    )
    change = consents.ConsentChange(
        purpose=consents.Purpose.WEBSITE,
        status=consents.ConsentStatus.GRANTED,
        given_by="Jo Smith",
        relationship="mother",
        parental_responsibility=True,
        given_on=date.today() - timedelta(days=30),
        review_on=date.today() + timedelta(days=300),
        recorded_how="paper form",
        recorded_at=datetime.now(UTC),
    )
    consents.record_consent(session, pupil.id, [change])
    refused = dataclasses.replace(change, purpose=consents.Purpose.SOCIAL_MEDIA, status=consents.ConsentStatus.REFUSED)
    consents.record_consent(session, pupil.id, [refused])
    if never_publish:
        consents.set_never_publish(session, pupil.id, consents.NeverPublish.LOOKED_AFTER)
    return consents.get_pupil(session, pupil.id)


def fast_crypt(monkeypatch: Any) -> None:
    """Replace the age child process with an in-process stand-in (for screen and flow tests only).

    The real encryption is tested in test_handover_crypt.py; here the passphrase is
    still checked, so wrong-passphrase paths behave as they do for real.
    """
    magic = b"FAKE-AGE\n"

    def encrypt(plaintext: bytes, passphrase: str) -> bytes:
        return magic + hashlib.sha256(passphrase.encode()).digest() + plaintext

    def decrypt(ciphertext: bytes, passphrase: str) -> bytes:
        if not ciphertext.startswith(magic):
            handover_crypt.check_header(ciphertext)
        if ciphertext[len(magic) : len(magic) + 32] != hashlib.sha256(passphrase.encode()).digest():
            raise handover_crypt.HandoverFileError("Wrong passphrase: the handover file was not opened.", "passphrase")
        return ciphertext[len(magic) + 32 :]

    monkeypatch.setattr(handover_crypt, "encrypt", encrypt)
    monkeypatch.setattr(handover_crypt, "decrypt", decrypt)


def rezip(data: bytes, change: Callable[[dict[str, bytes]], list[tuple[str, bytes]]], *, fix_manifest: bool = True) -> bytes:
    """A bundle rebuilt after `change` edits its members (the manifest re-hashed unless told not to)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    items = change(members)
    if fix_manifest:
        names = {name for name, _ in items}
        manifest = json.loads(dict(items).get(MANIFEST, members[MANIFEST]))
        manifest["files"] = {
            name: {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            for name, content in items
            if name != MANIFEST and name in names
        }
        raw = json.dumps(manifest).encode()
        items = [(name, raw if name == MANIFEST else content) for name, content in items]
        if MANIFEST not in names:
            items.append((MANIFEST, raw))
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # duplicate names are what some tests build on purpose
        for name, content in items:
            archive.writestr(name, content)
    return buffer.getvalue()


def edit_records(data: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """A bundle whose records.json was changed by `edit` (manifest re-hashed: only the schema can catch it)."""

    def change(members: dict[str, bytes]) -> list[tuple[str, bytes]]:
        records = json.loads(members["records.json"])
        edit(records)
        members["records.json"] = json.dumps(records).encode()
        return list(members.items())

    return rezip(data, change)
