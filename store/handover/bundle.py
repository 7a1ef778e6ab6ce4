"""The inside of a handover file: a zip of records, evidence, a summary and a manifest.

    summary.md              the whole handover in plain words, for a reader without SafeDesk (Notepad)
    summary.html            the same summary as a page to open in a browser and print
    SHA256SUMS              every other file's SHA-256 in GNU format: `sha256sum -c SHA256SUMS` checks them all
    manifest.json           size and SHA-256 of every other member; its own SHA-256 gives the receipt code
    records.json            the records as SafeDesk stores them (incidents with their chronology,
                            actions, escalations and evidence items; pupils with their consent history)
    evidence/0007-name.png  each evidence file's original bytes

Reading trusts nothing: the bytes come from another computer. Member names must
be on a short list of safe relative names; sizes, counts and compression ratios
are capped before anything is decompressed; every member must match the
manifest and every record must decode to its record type, field by field, and
pass the record's own `validate()`. Any fault refuses the whole bundle with one
sentence (no personal text in it).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import io
import json
import re
import secrets
import stat
import types
import typing
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from safedesk.store.consents.events import ConsentEvent
from safedesk.store.consents.pupils import Pupil
from safedesk.store.engine.records import R, Record
from safedesk.store.engine.schema import CURRENT_VERSION
from safedesk.store.errors import InvalidInput
from safedesk.store.incidents.evidence import Evidence
from safedesk.store.incidents.records import Action, ChronologyEntry, Escalation, Incident
from safedesk.store.text.clean import clean_text
from safedesk.store.text.dates import to_local
from safedesk.store.text.document import Document
from safedesk.store.text.html import render_html

FORMAT = "safedesk-handover"
RECORDS_FORMAT = "safedesk-handover-records"
VERSION = 1
# Version 2 adds the pupils' event decisions ("events"). A file is written as version 2 only
# when it carries events, so every other file stays readable by a SafeDesk that knows only 1;
# one that does know only 1 refuses a file with events ("update SafeDesk") instead of dropping them.
EVENTS_VERSION = 2
READABLE = (VERSION, EVENTS_VERSION)
MANIFEST = "manifest.json"
RECORDS = "records.json"
SUMMARY = "summary.md"
SUMMARY_HTML = "summary.html"
# Not in the manifest: it lists the manifest's own hash. Read, it must say exactly what
# the files say (so a receiver's `sha256sum -c` and SafeDesk's check agree).
SHA256SUMS = "SHA256SUMS"
EVIDENCE_DIR = "evidence"

MiB = 1024 * 1024
MAX_MEMBER_BYTES = 64 * MiB  # an evidence file is at most 50 MB
MAX_TOTAL_BYTES = 256 * MiB  # everything, uncompressed: the bundle is held in memory
MAX_FILE_BYTES = MAX_TOTAL_BYTES + 16 * MiB  # the encrypted file (age adds ~0.03% and a header)
MAX_MEMBERS = 5_000
MAX_RECORDS = 200_000
MAX_RATIO = 200  # uncompressed / compressed, for members over 1 MiB: beyond it, a zip bomb
IMAGERY_FLAG = "sexual_imagery_suspected"  # files of these incidents are never copied
_SAFE_NAME = re.compile(
    r"^(manifest\.json|records\.json|summary\.md|summary\.html|SHA256SUMS|evidence/[A-Za-z0-9][A-Za-z0-9._-]{0,100})$"
)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CODE_CHARS = re.compile(r"[\s\-_.]")


class BadBundle(InvalidInput):
    """The handover's contents are not a valid SafeDesk bundle; nothing was imported."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"This handover file was refused: {reason}. Nothing was imported.", "file")


# --------------------------------------------------------------------- receipt codes


def receipt_code(manifest_bytes: bytes) -> str:
    """The first 12 hex digits of the manifest's SHA-256, as three groups to read aloud."""
    digest = hashlib.sha256(manifest_bytes).hexdigest()[:12].upper()
    return "-".join(digest[i : i + 4] for i in range(0, 12, 4))


def normalise_code(text: str) -> str | None:
    """A typed receipt code in its standard form, or None when it cannot be one."""
    value = _CODE_CHARS.sub("", text).upper().replace("O", "0")
    if len(value) != 12 or any(c not in "0123456789ABCDEF" for c in value):
        return None
    return "-".join(value[i : i + 4] for i in range(0, 12, 4))


# --------------------------------------------------------------------- contents


@dataclass
class EvidenceItem:
    record: Evidence  # id = the sender's id
    member: str | None = None  # the zip member with the original bytes
    withheld: bool = False  # a file the sender kept back (sexual imagery of a child suspected)


@dataclass
class IncidentBundle:
    incident: Incident  # every record here carries the sender's id
    chronology: list[ChronologyEntry] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)


@dataclass
class Contents:
    incidents: list[IncidentBundle] = field(default_factory=list)
    pupils: list[Pupil] = field(default_factory=list)
    # Events still on or to come, each holding only the decisions for the pupils above.
    events: list[ConsentEvent] = field(default_factory=list)

    @property
    def version(self) -> int:
        return EVENTS_VERSION if self.events else VERSION


@dataclass(frozen=True)
class Manifest:
    bundle_id: str
    created_at: datetime
    setting: str  # the sending school or setting
    exported_by: str
    to: str  # the recipient as the sender described them
    note: str
    schema_version: int
    files: dict[str, tuple[int, str]]  # member -> (size, sha256)
    raw: bytes  # exactly as stored: its hash is the receipt code

    @property
    def receipt_code(self) -> str:
        return receipt_code(self.raw)


@dataclass
class Bundle:
    manifest: Manifest
    contents: Contents
    files: dict[str, bytes]  # evidence members
    summary: str


def sha256sums(members: dict[str, bytes]) -> bytes:
    """GNU coreutils' format, `<hex>  <relative path>` per line, sorted: what `sha256sum -c` reads.

    Member names are plain ASCII with no spaces or backslashes (see safe_member_name), so no
    line needs coreutils' escaped form.
    """
    lines = [f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(members.items())]
    return "".join(lines).encode("ascii")


# --------------------------------------------------------------------- writing


def safe_member_name(source_id: int, file_name: str) -> str:
    """evidence/0007-screenshot.png: readable, and on the importer's list of safe names."""
    ascii_name = file_name.encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._-")[:60] or "file"
    return f"{EVIDENCE_DIR}/{source_id:04d}-{stem}"


def records_json(contents: Contents) -> bytes:
    def entry(record: Record) -> dict[str, Any]:
        return {"id": record.id, "record": record.to_doc()}

    document: dict[str, Any] = {
        "format": RECORDS_FORMAT,
        "version": contents.version,
        "incidents": [
            {
                **entry(item.incident),
                "chronology": [entry(r) for r in item.chronology],
                "actions": [entry(r) for r in item.actions],
                "escalations": [entry(r) for r in item.escalations],
                "evidence": [{**entry(e.record), "file": e.member, "withheld": e.withheld} for e in item.evidence],
            }
            for item in contents.incidents
        ],
        "pupils": [entry(p) for p in contents.pupils],
    }
    if contents.events:
        document["events"] = [entry(e) for e in contents.events]
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def pack(
    contents: Contents,
    files: dict[str, bytes],
    summary: str,
    *,
    setting: str,
    exported_by: str,
    to: str,
    note: str,
    created: datetime,
) -> tuple[bytes, Manifest]:
    """The zip bytes and the manifest (whose hash is the receipt code)."""
    members: dict[str, bytes] = {
        SUMMARY: summary.encode("utf-8"),
        SUMMARY_HTML: render_html(Document("SafeDesk handover", summary, subtitle=setting)).encode("utf-8"),
        RECORDS: records_json(contents),
        **files,
    }
    total = sum(len(data) for data in members.values())
    if total > MAX_TOTAL_BYTES:
        raise InvalidInput(
            f"That handover would hold {total / MiB:.0f} MB; the limit is {MAX_TOTAL_BYTES // MiB} MB. "
            "Split it: choose fewer incidents per file.",
            "choice",
        )
    manifest_doc = {
        "format": FORMAT,
        "version": contents.version,
        "bundle_id": secrets.token_hex(16),
        "created_at": created.isoformat(),
        "from": {"setting": setting, "exported_by": exported_by},
        "to": to,
        "note": note,
        "schema_version": CURRENT_VERSION,
        "receipt_code": "the first 12 hex digits of this file's SHA-256",
        "files": {name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in members.items()},
    }
    raw = json.dumps(manifest_doc, ensure_ascii=False, indent=1).encode("utf-8")
    buffer = io.BytesIO()
    stamp = to_local(created).timetuple()[:6]
    sums = sha256sums({**members, MANIFEST: raw})
    first = {SUMMARY: members[SUMMARY], SUMMARY_HTML: members[SUMMARY_HTML], SHA256SUMS: sums, MANIFEST: raw}
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in [*first.items(), *((n, d) for n, d in members.items() if n not in first)]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o600 << 16  # a plain file, readable by its owner once unpacked
            # Evidence is mostly images and PDFs that do not compress: store it as is.
            info.compress_type = zipfile.ZIP_STORED if name.startswith(EVIDENCE_DIR + "/") else zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue(), _manifest(raw)


# --------------------------------------------------------------------- reading


def unpack(data: bytes) -> Bundle:
    """Every check on a decrypted bundle; BadBundle (one sentence) on the first fault."""
    members = _read_zip(data)
    if MANIFEST not in members:
        raise BadBundle("it has no manifest")
    raw_manifest = members.pop(MANIFEST)
    manifest = _manifest(raw_manifest)
    sums = members.pop(SHA256SUMS, None)  # bundles from before it was added have none
    if set(manifest.files) != set(members):
        missing = sorted(set(manifest.files) - set(members))
        extra = sorted(set(members) - set(manifest.files))
        raise BadBundle(f"its files do not match its manifest (missing {len(missing)}, unlisted {len(extra)})")
    for name, content in members.items():
        size, digest = manifest.files[name]
        if len(content) != size or hashlib.sha256(content).hexdigest() != digest:
            raise BadBundle(f"{_member(name)} does not match the SHA-256 in its manifest (changed after export)")
    if sums is not None and sums != sha256sums({**members, MANIFEST: raw_manifest}):
        raise BadBundle("its SHA256SUMS file does not match its files (changed after export)")
    if RECORDS not in members or SUMMARY not in members:
        raise BadBundle("it has no records or no summary")
    members.pop(SUMMARY_HTML, None)  # for people: SafeDesk shows its own preview
    try:
        summary = members.pop(SUMMARY).decode("utf-8")
    except UnicodeDecodeError:
        raise BadBundle("its summary is not UTF-8 text") from None
    contents = _contents(members.pop(RECORDS), set(members))
    for incident in contents.incidents:
        for item in incident.evidence:
            if item.member is not None and manifest.files[item.member] != (item.record.size, item.record.sha256):
                raise BadBundle("an evidence file does not match the size and SHA-256 its evidence record gives")
    return Bundle(manifest, contents, members, summary)


def _read_zip(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise BadBundle("what is inside is not a SafeDesk bundle (not a zip file)") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise BadBundle(f"it holds more than {MAX_MEMBERS:,} files")
        seen: set[str] = set()
        total = 0
        for info in infos:
            name = info.filename
            if not _SAFE_NAME.match(name):
                raise BadBundle("it contains a file name that is not allowed (absolute, outside the bundle or unusual)")
            if name.casefold() in seen:
                raise BadBundle("it contains the same file name twice")
            seen.add(name.casefold())
            kind = stat.S_IFMT(info.external_attr >> 16)
            if info.is_dir() or kind not in (0, stat.S_IFREG) or info.flag_bits & 0x1:
                raise BadBundle("it contains a link, a folder entry or an encrypted member")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise BadBundle("it uses a compression method SafeDesk does not read")
            if info.file_size > MAX_MEMBER_BYTES:
                raise BadBundle(f"a file in it is larger than {MAX_MEMBER_BYTES // MiB} MB")
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise BadBundle(f"its contents are larger than {MAX_TOTAL_BYTES // MiB} MB")
            if info.file_size > MiB and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise BadBundle("a file in it is compressed beyond any real document (a zip bomb)")
        members: dict[str, bytes] = {}
        for info in infos:
            try:
                with archive.open(info) as handle:
                    content = handle.read(info.file_size + 1)  # decompression stops one byte past the declared size
            except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError, NotImplementedError):
                raise BadBundle(f"{_member(info.filename)} is damaged inside the bundle") from None
            if len(content) != info.file_size:
                raise BadBundle(f"{_member(info.filename)} is not the size the bundle declares")
            members[info.filename] = content
    return members


def _member(name: str) -> str:
    """A member named for the message without its file name (an evidence name can hold a person's name)."""
    named = {MANIFEST: "its manifest", RECORDS: "its records", SUMMARY: "its summary", SUMMARY_HTML: "its printable summary"}
    return named.get(name, "an evidence file")


def _json(data: bytes, what: str) -> Any:
    def no_constants(name: str) -> None:
        raise ValueError(name)

    try:
        return json.loads(data.decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadBundle(f"its {what} is not valid JSON") from None


def _manifest(raw: bytes) -> Manifest:
    doc = _json(raw, "manifest")
    try:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise BadBundle("it is not a SafeDesk handover (its manifest is of another kind)")
        if doc.get("version") not in READABLE:
            raise BadBundle(f"it was made by a newer SafeDesk (bundle version {doc.get('version')!s:.10}): update SafeDesk")
        sender = doc["from"]
        files: dict[str, tuple[int, str]] = {}
        for name, entry in doc["files"].items():
            size, digest = entry["size"], entry["sha256"]
            if not _SAFE_NAME.match(name) or name == MANIFEST or type(size) is not int or not _HEX64.match(str(digest)):
                raise BadBundle("its manifest lists a file name, size or hash that is not allowed")
            if size < 0 or size > MAX_MEMBER_BYTES:
                raise BadBundle(f"its manifest declares a file larger than {MAX_MEMBER_BYTES // MiB} MB")
            files[name] = (size, digest)
        texts = [doc["bundle_id"], sender["setting"], sender["exported_by"], doc["to"], doc["note"]]
        if not all(isinstance(t, str) for t in texts) or not re.fullmatch(r"[0-9a-f]{32}", doc["bundle_id"]):
            raise BadBundle("its manifest is not in SafeDesk's format")
        schema = doc["schema_version"]
        if type(schema) is not int or schema > CURRENT_VERSION:
            raise BadBundle("it was made by a newer SafeDesk (a later record schema): update SafeDesk, then import it")
        created = datetime.fromisoformat(doc["created_at"])
    except (KeyError, TypeError, AttributeError, ValueError):
        raise BadBundle("its manifest is not in SafeDesk's format") from None
    return Manifest(
        bundle_id=doc["bundle_id"],
        created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
        setting=clean_text(sender["setting"]),
        exported_by=clean_text(sender["exported_by"]),
        to=clean_text(doc["to"]),
        note=clean_text(doc["note"], multiline=True),
        schema_version=schema,
        files=files,
        raw=raw,
    )


def _contents(raw: bytes, evidence_members: set[str]) -> Contents:
    doc = _json(raw, "records")
    if not isinstance(doc, dict) or doc.get("format") != RECORDS_FORMAT or doc.get("version") not in READABLE:
        raise BadBundle("its records are not in SafeDesk's format")
    incidents, pupils, events = doc.get("incidents"), doc.get("pupils", []), doc.get("events", [])
    if not isinstance(incidents, list) or not isinstance(pupils, list) or not isinstance(events, list):
        raise BadBundle("its records are not in SafeDesk's format")
    contents = Contents()
    ids: dict[str, set[int]] = {}
    used_members: set[str] = set()
    count = 0

    def take(entry: Any, cls: type[Record], what: str, n: int) -> Record:
        nonlocal count
        count += 1
        if count > MAX_RECORDS:
            raise BadBundle(f"it holds more than {MAX_RECORDS:,} records")
        if not isinstance(entry, dict) or type(entry.get("id")) is not int:
            raise BadBundle(f"{what} {n} has no record id")
        seen = ids.setdefault(cls.TABLE, set())
        if entry["id"] in seen:
            raise BadBundle(f"two {cls.TABLE} records have the same id")
        seen.add(entry["id"])
        return decode_record(cls, entry.get("record"), entry["id"], f"{what} {n}")

    for n, item in enumerate(incidents, 1):
        incident = take(item, Incident, "incident", n)
        assert isinstance(incident, Incident)
        bundle = IncidentBundle(incident)
        children = {
            "chronology": (ChronologyEntry, "chronology entry"),
            "actions": (Action, "action"),
            "escalations": (Escalation, "escalation"),
        }
        for key, (cls, what) in children.items():
            entries = item.get(key, [])
            if not isinstance(entries, list):
                raise BadBundle(f"incident {n}'s {key} are not a list")
            for m, entry in enumerate(entries, 1):
                child = take(entry, cls, f"incident {n}'s {what}", m)
                if child.incident_id != incident.id:  # type: ignore[attr-defined]
                    raise BadBundle(f"incident {n}'s {what} {m} belongs to another incident")
                getattr(bundle, key).append(child)
        bundle.chronology.sort(key=lambda e: (e.at, e.id or 0))
        entries = item.get("evidence", [])
        if not isinstance(entries, list):
            raise BadBundle(f"incident {n}'s evidence is not a list")
        for m, entry in enumerate(entries, 1):
            record = take(entry, Evidence, f"incident {n}'s evidence item", m)
            assert isinstance(record, Evidence)
            bundle.evidence.append(
                _evidence_item(entry, record, incident, evidence_members, used_members, f"incident {n}'s evidence item {m}")
            )
        contents.incidents.append(bundle)
    if pupils:
        contents.pupils = [_as(Pupil, take(entry, Pupil, "pupil", n)) for n, entry in enumerate(pupils, 1)]
    pupil_ids = {p.id for p in contents.pupils}
    for n, entry in enumerate(events, 1):
        event = _as(ConsentEvent, take(entry, ConsentEvent, "event", n))
        if any(d.pupil_id not in pupil_ids for d in event.decisions):
            raise BadBundle(f"event {n} has a decision for a pupil the file does not carry")
        contents.events.append(event)
    if used_members != evidence_members:
        raise BadBundle("it holds evidence files that no record refers to")
    return contents


def _evidence_item(
    entry: dict[str, Any], record: Evidence, incident: Incident, members: set[str], used: set[str], where: str
) -> EvidenceItem:
    if record.incident_id != incident.id:
        raise BadBundle(f"{where} belongs to another incident")
    member, withheld = entry.get("file"), entry.get("withheld", False)
    if not isinstance(withheld, bool) or not (member is None or isinstance(member, str)):
        raise BadBundle(f"{where} is not in SafeDesk's format")
    if record.kind != "file":
        if member is not None or withheld:
            raise BadBundle(f"{where} is a description but comes with a file")
        return EvidenceItem(record)
    if withheld:
        if member is not None:
            raise BadBundle(f"{where} is marked withheld but comes with a file")
        return EvidenceItem(record, None, True)
    if incident.has_flag(IMAGERY_FLAG):
        # The law and the guidance: never copy such images. SafeDesk never stores files for these incidents.
        raise BadBundle("it carries a file for an incident where sexual imagery of a child is suspected")
    if member is None or member not in members:
        raise BadBundle(f"the file for {where} is missing")
    if member in used:
        raise BadBundle("two evidence items share one file")
    if not _HEX64.match(record.sha256):
        raise BadBundle(f"{where} has no valid SHA-256")
    used.add(member)
    return EvidenceItem(record, member)


# --------------------------------------------------------------------- record decoding


def _as(cls: type[R], record: Record) -> R:
    """`record` as the class it was decoded to (take() decodes to the class it is given)."""
    assert isinstance(record, cls)
    return record


def decode_record(cls: type[Record], doc: Any, source_id: int, where: str) -> Record:
    """`doc` as a `cls` record after checking every field's JSON type; validated and cleaned."""
    problem = _doc_problem(doc, cls)
    if problem:
        raise BadBundle(f"{where} {problem}")
    try:
        record = cls.from_doc(doc, source_id)
    except (TypeError, ValueError, KeyError, AttributeError):
        raise BadBundle(f"{where} has a value SafeDesk cannot read") from None
    record = record.cleaned()  # control characters out of every text, nested ones included
    try:
        record.validate()
    except InvalidInput as error:
        # The record's own message may quote its text; name the field only.
        raise BadBundle(f"{where} fails SafeDesk's checks (field '{error.field}')") from None
    except (TypeError, ValueError, AttributeError):
        raise BadBundle(f"{where} has a value SafeDesk cannot read") from None
    return record


def _doc_problem(doc: Any, cls: type) -> str:
    if not isinstance(doc, dict):
        return "is not a record"
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "id"}
    unknown = sorted(set(doc) - set(fields))
    if unknown:
        return f"has a field this SafeDesk does not know ('{str(unknown[0])[:40]}'): update SafeDesk, then import it"
    for name, spec in fields.items():
        if name not in doc:
            if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
                return f"lacks the field '{name}'"
            continue
        if not _conforms(doc[name], hints[name]):
            return f"has a wrong kind of value in '{name}'"
    return ""


def _conforms(value: Any, hint: Any) -> bool:
    """Whether a JSON value has the shape a record field of type `hint` is stored as."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, option) for option in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is Any:
        return True
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return type(value) is int
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint in (str, datetime, date):
        return isinstance(value, str)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return isinstance(value, str) and value in {member.value for member in hint}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return not _doc_problem(value, hint)
    if origin in (tuple, list):
        items = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return isinstance(value, list) and all(_conforms(v, items[0] if items else Any) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    return False
