"""What tests share, in one module: test files import helpers from here, never from each other.

Sections: passphrases and a test record; the state of the checkout; Pilot helpers (waiting, signing in, reading
what the screen shows); a seeded accounts register; synthetic guidance cards; stores
with incidents and pupils for handover; reading Markdown tables back.

Textual and the app are imported inside the Pilot helpers, not at the top: store-only
tests, and the child process of the SIGKILL test (which imports `Note` from here a
hundred times), then start without loading the UI.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import shutil
import subprocess
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from safedesk.store.accounts.register import Account, Admin, Credential, Mfa, Register, StaffMember, Status, Visibility
from safedesk.store.engine.records import Record, require
from safedesk.store.text.dates import local_today

if TYPE_CHECKING:
    import pytest
    from textual.app import App
    from textual.pilot import Pilot

    from safedesk.screens.accounts.credentials import CredentialScreen
    from safedesk.store.engine.session import Session
    from safedesk.store.incidents.records import Incident

# --------------------------------------------------------------------- passphrases and a record

PASSPHRASE = "correct horse battery staple"
DEPUTY_PASSPHRASE = "lantern kettle orbit meadow"
HANDOVER_PASSPHRASE = "lantern kettle orbit meadow"


@dataclass(kw_only=True)
class Note(Record):
    """A record type only the tests use: exercises every field kind the engine stores."""

    TABLE: ClassVar[str] = "notes"
    MULTILINE: ClassVar[frozenset[str]] = frozenset({"body"})

    title: str
    body: str = ""
    due: date | None = None
    at: datetime | None = None
    tags: tuple[str, ...] = ()

    def validate(self) -> None:
        require(bool(self.title), "Give the note a title.", "title")


# --------------------------------------------------------------------- the checkout


def checkout_state(root: Path) -> str | None:
    """What git sees in the working tree at `root`, ignored files included (bytecode left out:
    Python writes it next to what it imports); None when `root` is not a git checkout."""
    git = shutil.which("git")
    if git is None:
        return None
    result = subprocess.run(
        [git, "status", "--porcelain", "--ignored", "--untracked-files=all", "--", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    return "\n".join(line for line in result.stdout.splitlines() if "__pycache__/" not in line)


# --------------------------------------------------------------------- Pilot

SIZE = (80, 24)


async def settle(app: App[Any], pilot: Pilot[Any]) -> None:
    """Let thread workers finish, every key sent be handed out (SafeDesk's KeysInOrder) and the screen catch up."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    keys = getattr(app, "keys_in_order", None)
    for _ in range(1000):  # a burst of keys is handed out one at a time, each through the widgets' queues
        if keys is None or keys.idle:
            break
        await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


# The characters a terminal sends for the named keys `burst` posts (None: an escape sequence).
KEY_CHARACTERS = {"tab": "\t", "shift+tab": None, "enter": "\r", "ctrl+s": "\x13", "down": None}


def burst(app: App[Any], *keys: str) -> None:
    """Post every key to the app at once, without letting any be handled in between (as a terminal
    driver does after one read): a named key from KEY_CHARACTERS, or text typed one character at a time."""
    from textual import events

    for key in keys:
        for each in [key] if key in KEY_CHARACTERS else list(key):
            app.post_message(events.Key(each, KEY_CHARACTERS.get(each, each)))


async def unlock(app: App[Any], pilot: Pilot[Any], passphrase: str = PASSPHRASE) -> None:
    """Type the passphrase on the unlock screen and wait for the unlock worker."""
    from textual.widgets import Input

    app.screen.query_one("#passphrase", Input).value = passphrase
    await pilot.press("enter")
    await settle(app, pilot)


async def unlock_again(app: App[Any], pilot: Pilot[Any]) -> None:
    """Open the lock screen that covers the app again."""
    from textual.widgets import Input

    from safedesk.screens.lock import LockScreen

    assert isinstance(app.screen, LockScreen)
    app.screen.query_one("#lock-passphrase", Input).value = PASSPHRASE
    await pilot.press("enter")
    await settle(app, pilot)


def shown_errors(app: App[Any]) -> list[str]:
    """Every field error the current screen shows."""
    from safedesk.widgets.common import FieldError

    return [str(e.render()) for e in app.screen.query(FieldError) if e.has_class("shown")]


def error_text(app: App[Any], selector: str) -> str:
    """The error shown by the FieldError at `selector`, '' when it is hidden."""
    from safedesk.widgets.common import FieldError

    widget = app.screen.query_one(selector, FieldError)
    return str(widget.render()) if widget.has_class("shown") else ""


def error_of(app: App[Any], field: str) -> str:
    """The error shown beside the field whose id is `field`."""
    return error_text(app, f"#error-{field}")


def text_of(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def screen_text(app: App[Any]) -> str:
    """The characters the terminal shows now, line by line: what a person reads, after markup."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def record_notifications(app: App[Any], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every notification as it is posted (toasts expire, so reading them later could miss some)."""
    seen: list[str] = []
    original = app.notify

    def notify(message: str, **options: Any) -> None:
        seen.append(f"{options.get('title', '')} {message}")
        original(message, **options)

    monkeypatch.setattr(app, "notify", notify)
    return seen


# --------------------------------------------------------------------- accounts

# Markup, a bracketed action and distinctive text: found nowhere it must not be.
SECRET = "Zq9[@click=app.quit]kettle[/bold]Secret4471"
NEW_SECRET = "Vx7-[bold]lantern-Orbit-9932"


def seed_accounts(store_dir: Path, *, password: str = SECRET, name: str = "@OakPrimary", approved: bool = True) -> None:
    """A store with three staff and one account (approved, with an admin and a login unless told not)."""
    from safedesk.store.accounts.register import Account, Admin, Credential, Mfa, Register, StaffMember, Status
    from safedesk.store.engine.session import Session

    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    reg = Register(session)
    head = reg.add_staff(StaffMember(name="Ann Head", role="Headteacher", slt=True))
    bo = reg.add_staff(StaffMember(name="Bo Office", role="Office"))
    cy = reg.add_staff(StaffMember(name="Cy Teacher", role="Teacher"))
    account = reg.propose(
        Account(
            platform="Facebook Page",
            name=name,
            purpose="News for parents",
            owner_id=head.id,
            runner_ids=(bo.id or 0, cy.id or 0),
            policy_read=True,
            training_done=True,
        )
    )
    if approved:
        reg.decide(account.id or 0, approved=True, by_id=head.id, on=date.today())
        reg.add_admin(account.id or 0, Admin(staff_id=bo.id or 0, added_on=date.today() - timedelta(days=20)))
        reg.set_status(account.id or 0, Status.ACTIVE)
        reg.add_credential(
            Credential(
                account_id=account.id or 0, login="office@oak.sch.uk", password=password, mfa=Mfa.APP, factor_holder="Office iPad"
            ),
            on=date.today() - timedelta(days=20),
        )
    session.close()


async def open_credential(app: App[Any], pilot: Pilot[Any]) -> CredentialScreen:
    """Sign in and open the seeded account's login."""
    from safedesk.screens.accounts.credentials import CredentialScreen

    await unlock(app, pilot)
    app.push_screen(CredentialScreen(1))
    await pilot.pause()
    assert isinstance(app.screen, CredentialScreen)
    return app.screen


# --------------------------------------------------------------------- guidance cards

SEED = "001_ef7b0626e3c4f569.txt"
PLAYBOOK_BODY = """\
## Do now
- Save the evidence.
- Tell the headteacher.

## Do not
- Do not reply in public.

## Record
- Write down the times.

## Escalate
- Call the LADO within one working day.

## Follow-up
- Review the policy.
"""


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def card_text(
    card_id: str,
    *,
    title: str | None = None,
    kind: str = "guide",
    audience: list[str] | None = None,
    tags: list[str] | None = None,
    aliases: list[str] | None = None,
    related: list[str] | None = None,
    summary: str = "A short summary.",
    body: str | None = None,
) -> str:
    """A card file's text with sensible defaults for every field not given."""
    if body is None:
        body = PLAYBOOK_BODY if kind == "playbook" else "Some guidance text.\n"
    return (
        "+++\n"
        f'id = "{card_id}"\n'
        f'title = "{title or card_id.replace("-", " ").capitalize()}"\n'
        f'kind = "{kind}"\n'
        f"audience = {toml_list(audience or ['dsl'])}\n"
        f"tags = {toml_list(tags or [])}\n"
        f"aliases = {toml_list(aliases or [])}\n"
        f"related = {toml_list(related or [])}\n"
        f'summary = "{summary}"\n'
        "\n[[sources]]\n"
        f'file = "{SEED}"\n'
        'section = "Handling abuse"\n'
        "+++\n\n" + body
    )


def write_card(folder: Path, card_id: str, file_name: str | None = None, **fields: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (file_name or f"{card_id}.md")
    path.write_text(card_text(card_id, **fields), encoding="utf-8")
    return path


# --------------------------------------------------------------------- stores for handover

NASTY = "[@click=app.quit]x[/] [/bold] [bold \x1b[31mred <script>alert(1)</script> | *em* # not a heading"


def make_store(folder: Path, setting: str = "Oak Primary", user: str = "Sam Patel") -> Session:
    from safedesk.store.engine.session import Session

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
    from safedesk.store.incidents import evidence
    from safedesk.store.incidents.log import IncidentLog
    from safedesk.store.incidents.records import Action, Escalation, Incident, Person

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
    """A pupil with website consent granted and social media refused (optionally never to be published)."""
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


def fast_crypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the age child process with an in-process stand-in (for screen and flow tests only).

    The real encryption is tested in test_handover_crypt.py; here the passphrase is
    still checked, so wrong-passphrase paths behave as they do for real.
    """
    from safedesk.store.handover import crypt as handover_crypt

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
    from safedesk.store.handover.bundle import MANIFEST, SHA256SUMS, sha256sums

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    items = change(members)
    if fix_manifest:
        names = {name for name, _ in items}
        manifest = json.loads(dict(items).get(MANIFEST, members[MANIFEST]))
        manifest["files"] = {
            name: {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            for name, content in items
            if name not in (MANIFEST, SHA256SUMS) and name in names
        }
        raw = json.dumps(manifest).encode()
        items = [(name, raw if name == MANIFEST else content) for name, content in items]
        if MANIFEST not in names:
            items.append((MANIFEST, raw))
        if SHA256SUMS in names:
            sums = sha256sums({name: content for name, content in items if name != SHA256SUMS})
            items = [(name, sums if name == SHA256SUMS else content) for name, content in items]
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


# --------------------------------------------------------------------- Markdown tables


def table_cells(markdown: str) -> list[list[list[str]]]:
    """Every table in `markdown` as rows of cell texts, read back the way a Markdown reader does.

    A "|" that splits a cell does not change the column count (the parser drops the
    extra cells), so only the text read back shows a broken table.
    """
    from safedesk.store.text.markdown import parser

    tables: list[list[list[str]]] = []
    row: list[str] = []
    in_cell = False
    for token in parser().parse(markdown):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            in_cell = True
        elif token.type in ("th_close", "td_close"):
            in_cell = False
        elif token.type == "inline" and in_cell:
            row.append(_inline_text(token))
        elif token.type == "tr_close":
            tables[-1].append(row)
    return tables


def _inline_text(token: Any) -> str:
    parts: list[str] = []
    for child in token.children or []:
        assert child.type in ("text", "softbreak", "hardbreak"), f"{child.type} in a table cell: {token.content!r}"
        parts.append(child.content)
    return "".join(parts)


# ----------------------------------------------------------------- the account register

DAY = timedelta(days=1)


def add_staff_member(reg: Register, name: str, *, slt: bool = False) -> StaffMember:
    return reg.add_staff(StaffMember(name=name, role="Teacher", slt=slt))


def healthy_account(reg: Register) -> tuple[Account, Credential, dict[str, StaffMember]]:
    """An active account that passes every check: the baseline each finding test breaks once."""
    TODAY = local_today()
    people = {
        "head": add_staff_member(reg, "Ann Head", slt=True),
        "bo": add_staff_member(reg, "Bo Office"),
        "cy": add_staff_member(reg, "Cy Teacher"),
    }
    account = reg.propose(
        Account(
            platform="Facebook Page",
            name="@OakPrimary",
            purpose="School news and event dates for parents",
            audience="Parents",
            promotion="Newsletter",
            visibility=Visibility.PUBLIC,
            owner_id=people["head"].id,
            runner_ids=(people["bo"].id or 0, people["cy"].id or 0),
            devices=("Office iPad",),
            evaluation_on=TODAY + 100 * DAY,
            success_measure="A quarter of parents follow it",
            review_on=TODAY + 100 * DAY,
            policy_read=True,
            training_done=True,
        )
    )
    reg.decide(account.id or 0, approved=True, by_id=people["head"].id, on=TODAY)
    for who in ("bo", "cy"):
        reg.add_admin(
            account.id or 0, Admin(staff_id=people[who].id or 0, added_on=TODAY - 60 * DAY, aup_signed=True, training_done=True)
        )
    reg.set_status(account.id or 0, Status.ACTIVE)
    credential = reg.add_credential(
        Credential(
            account_id=account.id or 0,
            login="office@oak.sch.uk",
            password="first-secret-value",
            recovery_email="office@oak.sch.uk",
            recovery_email_school=True,
            mfa=Mfa.APP,
            factor_holder="Office iPad",
        ),
        on=TODAY - 30 * DAY,
    )
    return reg.account(account.id or 0), credential, people


def register_rules(reg: Register) -> set[str]:
    from safedesk.store.accounts.health import check_register

    return {f.rule for f in check_register(reg.session)}


# --------------------------------------------------------------------- handover flows


def export_handover(session: Session, out: Path, incidents: Any = (), pupils: Any = (), to: str = "Oakwood Academy DSL") -> Any:
    """A handover of these incidents and pupils written to `out` (with fast_crypt: see above)."""
    from safedesk.store.handover import transfer as ho

    selection = ho.Selection(tuple(i.id for i in incidents), tuple(p.id for p in pupils))
    return ho.export_handover(session, selection, to=to, passphrase=HANDOVER_PASSPHRASE, out=out, note="Pupil moved school")


def import_handover(session: Session, path: Path) -> Any:
    from safedesk.store.handover import transfer as ho

    return ho.apply_import(session, ho.preview_import(session, ho.open_handover(path, HANDOVER_PASSPHRASE)))


def fast_plain_zip(path: Path) -> bytes:
    """The bundle inside a file written with fast_crypt's stand-in."""
    return path.read_bytes()[len(b"FAKE-AGE\n") + 32 :]


def current_day() -> date:
    """Today, asked when a test runs: a date taken at import goes stale when a run passes midnight."""
    return date.today()


async def set_fields(app: App[Any], pilot: Pilot[Any], values: dict[str, str]) -> None:
    """Set a form's fields by widget id at once (form dialogs prefix their ids with 'form-'); for
    tests of what a form does with its values, not of typing (see `burst` for that)."""
    from textual.widgets import TextArea

    for key, value in values.items():
        widget = app.screen.query_one(f"#{key}")
        if isinstance(widget, TextArea):
            widget.text = value
        else:
            widget.value = value
    await pilot.pause()
