"""Every other form and dialog on a real terminal (tmux, 80x24), typed at full speed.

`test_terminal.py` covers the incident, its note, action, escalation, evidence, person and
status dialogs, staff, account, pupil and the report preview and export. These cover the
rest, one area a test (each its own app, so pytest-xdist spreads them over the cores): each
form opens, the typist waits 0.4 s, types every field with no pause (hostile characters
among them: markup, quotes), presses Ctrl+S at once, and the store (opened headless after
the app quits) or the written file holds every value whole.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pykeepass import PyKeePass

from safedesk.store.accounts.register import Account, Credential, Register, StaffMember
from safedesk.store.consents.events import ConsentEvent
from safedesk.store.consents.pupils import Pupil
from safedesk.store.engine.core_records import Setting
from safedesk.store.engine.session import Session
from safedesk.store.errors import WrongPassphrase
from safedesk.store.forms.filled import FormBook
from safedesk.store.handover.calendar import load_calendar
from safedesk.store.handover.leavers import leavers
from safedesk.store.handover.transfer import open_handover, transfers
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Incident
from safedesk.store.policy.builder import PolicyBook
from safedesk.store.text.dates import local_today, show_date
from tests.kit import (
    HANDOVER_PASSPHRASE,
    NEW_SECRET,
    PASSPHRASE,
    SECRET,
    add_incident,
    add_pupil,
    export_handover,
    make_store,
)
from tests.tui.test_terminal import TAB, Terminal, fill

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

# Typed into every form: Rich/Textual markup and quotes are data, kept as typed.
MARKUP = "[bold]x[/bold]"
QUOTES = 'O\'Neil "Ted"'


@pytest.fixture
def terminal(store_dir: Path, tmp_path: Path) -> Iterator[Terminal]:
    """The app on a store with a cheap KDF (so it opens quickly), in a tmux server of its own."""
    make_store(store_dir).close()
    term = Terminal(tmp_path / "tmux.sock", store_dir)
    try:
        yield term
    finally:
        term.close()


def wait_closed(term: Terminal, heading: str) -> None:
    term.wait_for(lambda screen: heading not in screen, f"{heading!r} closed")


def open_header(term: Terminal, key: str, header: str) -> None:
    """Press `key` and wait for the screen whose header (after the app's name) starts with `header`."""
    term.keys(key)
    term.wait_for(f"SafeDesk — {header}")


def test_amend_and_the_incident_dialogs_keep_every_value(terminal: Terminal, store_dir: Path, tmp_path: Path) -> None:
    with Session.open(store_dir, PASSPHRASE) as session:
        incident = add_incident(session, tmp=tmp_path)
    terminal.unlock()
    open_header(terminal, "i", "Incidents ·")
    open_header(terminal, "Enter", "Incident INC-")

    # The amend form: its title is selected on opening, so typing replaces it; the reason is the last field.
    fill(
        terminal,
        "m",
        f"Amend {incident.ref}",
        f"Fake account {MARKUP} amended",
        TAB * 3,  # reported at, happened at: kept
        f"Deputy head {QUOTES}",
        TAB * 16,  # platform ... retention date: kept
        f"Parents asked {MARKUP} twice",
    )
    terminal.wait_for("SafeDesk — Incident INC-")

    terminal.keys("3")  # the actions tab: the open action is the first row
    terminal.wait_for("Report the account")
    fill(terminal, "o", "Owner and due date", f"Mr {QUOTES}", TAB, "01/12/2027", TAB, f"Off sick {MARKUP}")
    fill(terminal, "z", "Close without doing it", f"Instagram removed it {MARKUP} first")

    terminal.keys("6")  # the people tab: Amelia Smith is the first row
    terminal.wait_for("Amelia Smith")
    fill(terminal, "u", "Edit a person involved", f"Amelia {QUOTES} Smith", TAB * 9, f"Spelling {MARKUP}")
    terminal.keys("Down")  # the unknown person
    fill(terminal, "Delete", "Remove a person", f"Added by mistake {MARKUP}")

    terminal.keys("5")  # the evidence tab: the screenshot file is the first row
    terminal.wait_for("Screenshot 0")
    copy = tmp_path / "For police [bold] 'copy'.png"  # a file name: markup without a slash
    fill(terminal, "w", "Export evidence file", ("C-u",), str(copy))
    terminal.wait_for("Exported.")
    terminal.quit()

    assert copy.is_file() and copy.read_bytes().startswith(b"\x89PNG")
    with Session.open(store_dir, PASSPHRASE) as session:
        log = IncidentLog(session)
        (amended,) = session.repo(Incident).all()
        assert (amended.title, amended.reported_by) == (f"Fake account {MARKUP} amended", f"Deputy head {QUOTES}")
        [(person)] = amended.people
        assert person.name == f"Amelia {QUOTES} Smith"
        texts = [e.text for e in log.chronology(incident.id or 0)]
        for reason in (f"Parents asked {MARKUP} twice", f"Spelling {MARKUP}", f"Added by mistake {MARKUP}"):
            assert any(reason in text for text in texts), (reason, texts)
        (action,) = [a for a in log.actions(incident.id or 0) if a.text == "Report the account to Instagram"]
        assert (action.owner, action.due and action.due.isoformat()) == (f"Mr {QUOTES}", "2027-12-01")
        assert action.not_needed_reason == f"Instagram removed it {MARKUP} first"
        assert any(f"Off sick {MARKUP}" in text for text in texts), texts


def test_settings_terms_and_the_printable_sheets_keep_every_value(terminal: Terminal, store_dir: Path, tmp_path: Path) -> None:
    terminal.unlock()
    # Each field is selected as the focus reaches it: typing replaces what it held.
    fill(
        terminal,
        "s",
        "Lock after this many idle minutes",
        f"Oak {MARKUP} Primary",
        TAB,
        "7",
        TAB,
        "Blue laptop, top drawer",  # this key's label at unlock
        TAB * 3,  # past the Keys... button and the theme (kept)
        f"Sam {QUOTES} Patel",  # the referrer's name
    )
    terminal.wait_for("Settings saved.")

    open_header(terminal, "s", "Settings")
    fill(
        terminal,
        "F3",
        "School terms and closures",
        "02/09/2026 - 18/12/2026",
        ("Enter",),  # a new line in the terms
        "05/01/2027 - 26/03/2027",
        TAB,
        "13/11/2026, 08/01/2027",
        TAB,
        "4",
    )
    terminal.wait_for("School terms saved.")
    terminal.keys("Escape")  # the settings, unchanged: closed at once
    terminal.wait_for("Needs attention")

    # The printable sheets: buttons before Save and Cancel, reached backwards from the first field
    # (past the scrolling form itself, which takes the focus too).
    open_header(terminal, "s", "Settings")
    terminal.keys("BTab", "BTab", "BTab", "BTab")
    quickref = tmp_path / 'Quick "ref" [bold].html'  # a file name: markup without a slash
    # The format chosen after typing the name: Markdown (the list's third), and the name follows it.
    fill(terminal, "Enter", "SafeDesk quick reference", str(quickref), ("Tab", "Enter", "Down", "Down", "Enter"))
    recovery = tmp_path / "Recovery [bold] 'sheet'.html"
    terminal.keys("BTab")  # the focus went back to the quick reference button: the one before it
    fill(terminal, "Enter", "Recovery key sheet", str(recovery))
    terminal.keys("Escape")  # nothing changed in the settings: closes at once
    terminal.wait_for("Needs attention")
    terminal.quit()

    assert "Recovery key" in recovery.read_text(encoding="utf-8")
    assert "quick reference" in quickref.with_suffix(".md").read_text(encoding="utf-8").lower()
    with Session.open(store_dir, PASSPHRASE) as session:
        setting = session.setting()
        assert isinstance(setting, Setting)
        assert (setting.name, setting.idle_lock_minutes) == (f"Oak {MARKUP} Primary", 7)
        assert session.vault.slot.label == "Blue laptop, top drawer"
        assert setting.referrer.get("name") == f"Sam {QUOTES} Patel"
        calendar = load_calendar(session)
        assert calendar.transfer_days == 4
        assert [(t.starts.isoformat(), t.ends.isoformat()) for t in calendar.terms] == [
            ("2026-09-02", "2026-12-18"),
            ("2027-01-05", "2027-03-26"),
        ]
        assert sorted(d.isoformat() for d in calendar.closures) == ["2026-11-13", "2027-01-08"]


def test_consent_decisions_pupil_details_and_never_publish_keep_every_value(terminal: Terminal, store_dir: Path) -> None:
    with Session.open(store_dir, PASSPHRASE) as session:
        pupil_id = add_pupil(session).id
    terminal.unlock()
    open_header(terminal, "c", "Image consents")
    open_header(terminal, "Enter", "Pupil consents")  # the only pupil, highlighted

    # A grant: the first purpose ticked, the choices kept, then each text field typed in turn.
    fill(
        terminal,
        "r",
        "Consent for ",
        ("Space",),
        TAB * 4,  # decision, parental responsibility, the pupil's view: kept
        f"Mrs {QUOTES} Smith",
        TAB,
        f"Mother {MARKUP}",
        TAB,
        "01/09/2025",
        TAB,
        "31/08/2030",
        TAB,
        f"Paper form {MARKUP} 2025/14",
    )
    # A withdrawal: nothing is ticked on opening; the second purpose ticked.
    fill(terminal, "w", "Consent for ", ("Down", "Space"), TAB * 4, f"Mr {QUOTES} Smith", TAB * 4, "Phone call")
    # The pupil's details: the name replaced, the date of birth typed after four more fields.
    fill(terminal, "e", "Edit pupil details", f"Amelia {QUOTES} Smith", TAB * 5, "03/04/2016")
    fill(terminal, "n", "Never publish: ", ("Enter", "Down", "Enter"), TAB, "02/09/2025")
    terminal.quit()

    with Session.open(store_dir, PASSPHRASE) as session:
        pupil = session.repo(Pupil).get(pupil_id)
        assert pupil.name == f"Amelia {QUOTES} Smith"
        assert pupil.date_of_birth is not None and pupil.date_of_birth.isoformat() == "2016-04-03"
        granted, withdrawn = pupil.consents[-2:]  # after the two the store began with
        assert (granted.given_by, granted.relationship, granted.recorded_how) == (
            f"Mrs {QUOTES} Smith",
            f"Mother {MARKUP}",
            f"Paper form {MARKUP} 2025/14",
        )
        assert (str(granted.given_on), str(granted.review_on)) == ("2025-09-01", "2030-08-31")
        assert (withdrawn.given_by, withdrawn.recorded_how) == (f"Mr {QUOTES} Smith", "Phone call")
        assert withdrawn.purpose != granted.purpose
        flag = pupil.flags[-1]
        assert str(flag.on) == "2025-09-02"


def test_events_printed_lists_and_the_import_mapping_keep_every_value(
    terminal: Terminal, store_dir: Path, tmp_path: Path
) -> None:
    with Session.open(store_dir, PASSPHRASE) as session:
        pupil_id = add_pupil(session).id
    mis = tmp_path / "MIS [bold] 'export'.csv"
    mis.write_text("Pupil Ref,name,year_group,form,website\r\nB777,Benjamin [bold] O'Neil,Year 3,3A,yes\r\n", encoding="utf-8")
    terminal.unlock()
    open_header(terminal, "c", "Image consents")
    open_header(terminal, "e", "Event consents")
    fill(terminal, "a", "Add an event", f"Year 6 {QUOTES} trip", TAB, f"Coach {MARKUP}", TAB, "01/06/2027", TAB, "03/06/2027")
    terminal.wait_for("SafeDesk — Event consent")  # the new event opens
    # The narrowing box first: Enter goes to the list, Space ticks, then the decision's fields.
    fill(terminal, "r", "Decisions for ", "Amelia", ("Enter", "Space"), TAB * 2, "01/09/2025", TAB, f"Mrs {QUOTES} Smith")
    terminal.keys("Escape", "Escape")  # the events, then the pupil list
    terminal.wait_for("SafeDesk — Image consents")

    printed = tmp_path / "Cleared [bold] 'list'.md"
    fill(terminal, "p", "Print a list", TAB, str(printed))  # closes once written

    terminal.keys("i")
    terminal.wait_for("CSV or Excel file")
    time.sleep(0.4)
    terminal.type(str(mis))
    terminal.keys("C-s")  # reads the file: its columns, each with the column it is read as
    terminal.wait_for("Ignored columns: Pupil Ref.")
    # Past the Read button and the two scrolling areas: the first column's list, searched by typing.
    terminal.keys("Tab", "Tab", "Tab", "Tab", "Enter")
    terminal.type("mis_id")
    terminal.keys("Enter")
    terminal.wait_for("New pupils: 1.")  # planned again with the MIS id: the Import button is on
    terminal.keys(*TAB * 6, "Enter")  # the other four columns, the purpose, then Import
    terminal.wait_for("SafeDesk — Image consents")
    terminal.quit()

    assert printed.read_text(encoding="utf-8").startswith("# Never-publish list")  # the first list offered
    with Session.open(store_dir, PASSPHRASE) as session:
        (event,) = session.repo(ConsentEvent).all()
        assert (event.name, event.note, str(event.starts_on), str(event.ends_on)) == (
            f"Year 6 {QUOTES} trip",
            f"Coach {MARKUP}",
            "2027-06-01",
            "2027-06-03",
        )
        (decision,) = event.decisions
        assert (decision.pupil_id, decision.given_by, str(decision.given_on)) == (pupil_id, f"Mrs {QUOTES} Smith", "2025-09-01")
        (imported,) = [p for p in session.repo(Pupil).all() if p.id != pupil_id]
        assert (imported.name, imported.mis_id) == ("Benjamin [bold] O'Neil", "B777")


def seed_register(store_dir: Path, *, login: bool = False) -> dict[str, int]:
    """Three staff (one SLT) and an account proposed by them, not yet approved; with a login if asked."""
    with Session.open(store_dir, PASSPHRASE) as session:
        register = Register(session)
        staff = {
            name: register.add_staff(StaffMember(name=name, role=role, slt=name == "Ann Head")).id or 0
            for name, role in (("Ann Head", "Headteacher"), ("Bo Office", "Office"), ("Cy Teacher", "Teacher"))
        }
        account = register.propose(
            Account(
                platform="Facebook Page",
                name="@OakPrimary",
                purpose="News for parents",
                audience="Parents",
                promotion="Newsletter",
                owner_id=staff["Ann Head"],
                runner_ids=(staff["Bo Office"], staff["Cy Teacher"]),
                policy_read=True,
                training_done=True,
            )
        )
        if login:
            register.add_credential(Credential(account_id=account.id or 0, login="office@oak.sch.uk", password=SECRET))
        return {**staff, "account": account.id or 0}


def test_account_status_decision_admin_review_and_login_keep_every_value(terminal: Terminal, store_dir: Path) -> None:
    ids = seed_register(store_dir)
    terminal.unlock()
    open_header(terminal, "a", "Official accounts ·")
    open_header(terminal, "Enter", "Account ·")

    # Made active before SLT approved it: the override's reason is the field after the status.
    fill(terminal, "t", "Status: @OakPrimary", TAB, f"Launch day {MARKUP}, {QUOTES} said go")
    fill(
        terminal,
        "a",
        "SLT decision: @OakPrimary",
        TAB,  # approve: kept
        ("Enter", "Down", "Enter"),  # decided by: the only SLT member
        TAB,
        "02/09/2025",
        TAB,
        f"Clear aims {MARKUP} {QUOTES}",
    )
    fill(
        terminal, "d", "Add an admin: @OakPrimary", ("Enter", "Down", "Down", "Enter"), TAB, f"Editor {MARKUP}", TAB, "03/09/2025"
    )
    fill(terminal, "w", "Access and password review: @OakPrimary", "01/10/2025", TAB, "01/10/2027")
    fill(
        terminal,
        "p",
        "Add a login",
        f"Office {QUOTES}",
        TAB,
        "office@oak.sch.uk",
        TAB,
        SECRET,
        TAB,
        "it@oak.sch.uk",
        TAB * 2,  # the school controls the mailbox: not ticked
        "01632 960 001",
        TAB * 3,  # the phone's tick, the kind of second factor: kept
        f"Office iPad {MARKUP}",
        TAB * 2,  # not a personal phone
        f"Safe in the office, {QUOTES}",
        TAB,
        f"Set up {MARKUP}",
    )
    terminal.quit()

    with Session.open(store_dir, PASSPHRASE) as session:
        register = Register(session)
        (account,) = register.accounts()
        assert account.override is not None and account.override.reason == f"Launch day {MARKUP}, {QUOTES} said go"
        (decision,) = account.decisions
        assert (decision.approved, decision.by_id, str(decision.on), decision.reasons) == (
            True,
            ids["Ann Head"],
            "2025-09-02",
            f"Clear aims {MARKUP} {QUOTES}",
        )
        (admin,) = account.admins
        assert (admin.staff_id, admin.platform_role, str(admin.added_on)) == (ids["Bo Office"], f"Editor {MARKUP}", "2025-09-03")
        assert (str(account.reviewed_on), str(account.review_on)) == ("2025-10-01", "2027-10-01")
        (login,) = register.credentials(account.id or 0)
        assert (login.label, login.login, login.password, login.recovery_email, login.recovery_phone) == (
            f"Office {QUOTES}",
            "office@oak.sch.uk",
            SECRET,
            "it@oak.sch.uk",
            "01632 960 001",
        )
        assert (login.factor_holder, login.backup_codes_at, login.notes) == (
            f"Office iPad {MARKUP}",
            f"Safe in the office, {QUOTES}",
            f"Set up {MARKUP}",
        )


def test_password_change_generator_keepass_export_and_staff_keep_every_value(
    terminal: Terminal, store_dir: Path, tmp_path: Path
) -> None:
    ids = seed_register(store_dir, login=True)
    terminal.unlock()
    open_header(terminal, "a", "Official accounts ·")
    open_header(terminal, "Enter", "Account ·")
    open_header(terminal, "Tab", "Account ·")  # from the health findings to the admins, then the logins
    terminal.keys("Tab")
    open_header(terminal, "Enter", "Login ·")

    # The reason chosen from its list (Enter on it opens the list), then the day typed: today, as the login was added today.
    fill(terminal, "o", "Change password: ", NEW_SECRET, ("Tab", "Enter", "Down", "Enter"), TAB, show_date(local_today()))
    # A generated password: five words joined by "+", then the reason, saved at once.
    terminal.keys("n")
    terminal.wait_for("Generate a password")
    time.sleep(0.4)
    terminal.keys("Tab")
    terminal.type("5")
    terminal.keys("Tab")
    terminal.type("+")
    terminal.keys("C-s")
    wait_closed(terminal, "Generate a password")
    terminal.keys("Tab", "Enter", "Down", "Enter", "C-s")  # back in the change form: the reason
    wait_closed(terminal, "Change password: ")
    fill(terminal, "e", "Edit login details", f"Office {QUOTES} login", TAB, f"head+{MARKUP}@oak.sch.uk")
    terminal.keys("Escape", "Escape")  # the account, the register
    terminal.wait_for("SafeDesk — Official accounts ·")

    keepass = tmp_path / "Official [bold] 'accounts'.kdbx"
    passphrase = f"walnut {QUOTES} tractor {MARKUP} lagoon"
    fill(terminal, "x", "Export to KeePass", str(keepass), TAB * 2, passphrase, TAB, passphrase)
    terminal.wait_for("KeePass file written")
    # Closed before the next key: Esc followed at once by a letter reads as Alt+letter on a terminal.
    terminal.keys("Escape")
    wait_closed(terminal, "KeePass file written")

    open_header(terminal, "s", "Staff register")  # Ann Head first (by name)
    fill(terminal, "e", "Edit member of staff", f"Ann {QUOTES} Head", TAB, f"Head {MARKUP}")
    fill(terminal, "l", "Leaver: ", "31/10/2025")
    terminal.wait_for("Leaver recorded")
    terminal.quit()

    with Session.open(store_dir, PASSPHRASE) as session:
        register = Register(session)
        (login,) = register.credentials()
        words = login.password.split("+")
        assert len(words) == 5 and all(words), login.password
        assert (login.label, login.login) == (f"Office {QUOTES} login", f"head+{MARKUP}@oak.sch.uk")
        head = register.staff_member(ids["Ann Head"])
        assert (head.name, head.role, str(head.left_on)) == (f"Ann {QUOTES} Head", f"Head {MARKUP}", "2025-10-31")
    entry = PyKeePass(str(keepass), password=passphrase).find_entries(title="Facebook Page: @OakPrimary", first=True)
    assert entry.password == login.password
    assert [h.password for h in entry.history] == [SECRET, NEW_SECRET]


def test_handover_left_export_receipt_and_import_keep_every_value(terminal: Terminal, store_dir: Path, tmp_path: Path) -> None:
    with Session.open(store_dir, PASSPHRASE) as session:
        incident = add_incident(session, tmp=tmp_path, files=0)
        pupil_id = add_pupil(session).id
    # A handover someone else sent: another school's store, its own incident.
    other = make_store(tmp_path / "other", setting="Oakwood Academy")
    sent = tmp_path / "From Oakwood [bold] 'DSL'.age"
    export_handover(other, sent, incidents=[add_incident(other, "Group chat screenshots", files=0, tmp=tmp_path)])
    other.close()
    left = local_today() - timedelta(days=10)
    terminal.unlock()
    open_header(terminal, "h", "Handover")

    fill(terminal, "l", "Date the pupil left", "A1234", TAB, show_date(left))  # (the footer names the key "Pupil left")

    terminal.keys("e")
    terminal.wait_for("Handover 1/2")
    time.sleep(0.4)
    terminal.type(incident.ref)  # narrows the list to the incident
    terminal.keys("Enter", "Space", "C-n")  # to the list, tick it, next step
    terminal.wait_for("Handover 2/2")
    passphrase = f"lantern {QUOTES} kettle {MARKUP} orbit"
    out = tmp_path / "To Oakwood [bold] 'DSL'.age"
    terminal.type(f"Oakwood {QUOTES} DSL")
    terminal.keys("Tab", "Tab")  # the leaving date: blank
    terminal.type(f"LADO asked {MARKUP}")
    terminal.keys("Tab")
    terminal.type(str(out))
    terminal.keys("Tab")
    terminal.type(passphrase)
    terminal.keys("Tab")
    terminal.type(passphrase)
    terminal.keys("C-s")
    screen = terminal.wait_for("Handover written")
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", screen)
    assert code is not None, screen
    terminal.keys("Enter")  # Close
    terminal.wait_for("SafeDesk — Handover ·")

    fill(terminal, "r", "Confirmed on (blank: today)", code.group(0), TAB, show_date(local_today()))

    terminal.keys("i")
    terminal.wait_for("Import a handover")
    time.sleep(0.4)
    terminal.type(str(sent))
    terminal.keys("Tab")
    terminal.type(HANDOVER_PASSPHRASE)
    terminal.keys("C-s")
    terminal.wait_for("Preview: nothing is stored yet")
    terminal.keys("C-s")  # import
    terminal.wait_for("Handover imported")
    terminal.quit()

    assert out.is_file()
    with Session.open(store_dir, PASSPHRASE) as session:
        assert [(r.pupil_id, r.left_on) for r in leavers(session)] == [(pupil_id, left)]
        received, sent_here = transfers(session)
        assert (sent_here.direction, sent_here.counterpart, sent_here.note, sent_here.incident_refs) == (
            "sent",
            f"Oakwood {QUOTES} DSL",
            f"LADO asked {MARKUP}",
            (incident.ref,),
        )
        assert sent_here.received_at is not None  # the receipt code typed back
        assert (received.direction, received.counterpart) == ("received", "Oakwood Academy")
        assert sorted(i.title for i in session.repo(Incident).all()) == [
            "Fake account using the school logo",
            "Group chat screenshots",
        ]
    opened = open_handover(out, passphrase)  # the passphrase typed twice, whole
    assert opened is not None


def test_forms_answers_versions_and_the_policy_and_letters_keep_every_value(
    terminal: Terminal, store_dir: Path, tmp_path: Path
) -> None:
    terminal.unlock()
    open_header(terminal, "f", "Forms ·")
    # The first kind of form (chosen from its list), then its title.
    fill(terminal, "n", "Start a form", ("Enter", "Down", "Enter"), TAB, f"Padlet {MARKUP} {QUOTES}")
    terminal.wait_for("SafeDesk — Form ·")
    terminal.keys("e")  # the answers: a page of the first section
    terminal.wait_for("SafeDesk — Fill in a form")
    time.sleep(0.4)
    terminal.type(f"Sam {QUOTES} Patel")
    terminal.keys("Tab")
    terminal.type("01/10/2025")
    terminal.keys("Tab")
    terminal.type(f"Padlet {MARKUP} https://padlet.com")
    terminal.keys("C-s")
    terminal.wait_for("SafeDesk — Form ·")
    fill(terminal, "s", "Save as a new version", "02/10/2025", TAB, "02/10/2026")
    version = tmp_path / "Padlet [bold] 'v1'.md"
    fill(terminal, "x", "Export version 1", str(version))
    fill(terminal, "t", "Title and account", f"Padlet for {QUOTES} class")
    terminal.keys("Escape", "Escape")  # the forms, home
    terminal.wait_for("Needs attention")

    terminal.keys("o")  # no policy yet: its questions open over the preview
    terminal.wait_for("SafeDesk — Policy builder")
    time.sleep(0.4)
    terminal.type(f"Oak {MARKUP} Primary")
    terminal.keys("Tab", "Tab")  # the kind of setting: kept
    terminal.type(f"Mrs {QUOTES} Head")
    terminal.keys("Tab")
    terminal.type("office@oak.sch.uk, 01632 960000")
    terminal.keys("C-s")
    terminal.wait_for("SafeDesk — Social media policy")
    policy = tmp_path / "Policy [bold] 'draft'.md"
    fill(terminal, "x", "Export the policy", str(policy))
    open_header(terminal, "l", "Letters and disclaimers")
    # The first letter: its details start from the policy's answers; the setting's name retyped.
    fill(terminal, "Enter", "Filled from your policy answers", f"Oak {QUOTES} School")  # (the letter's header has its title)
    terminal.wait_for("SafeDesk — Letter:")
    letter = tmp_path / "Letter [bold] 'parents'.md"
    fill(terminal, "x", "Export the letter", str(letter))
    terminal.quit()

    assert f"Sam {QUOTES} Patel" in version.read_text(encoding="utf-8")  # (Markdown escapes the brackets)
    assert "Mrs O'Neil" in policy.read_text(encoding="utf-8")
    assert f"Oak {QUOTES} School" in letter.read_text(encoding="utf-8")  # typed for this letter only: not stored
    with Session.open(store_dir, PASSPHRASE) as session:
        book = FormBook(session)
        (form,) = book.forms()
        assert form.title == f"Padlet for {QUOTES} class"
        assert {f"Sam {QUOTES} Patel", f"Padlet {MARKUP} https://padlet.com"} <= set(form.draft.values())
        (saved,) = book.versions(form.id or 0)
        assert (str(saved.assessed_on), str(saved.review_on)) == ("2025-10-02", "2026-10-02")
        answers = PolicyBook(session).answers()
        assert (answers.setting_name, answers.headteacher_name, answers.contact_details) == (
            f"Oak {MARKUP} Primary",
            f"Mrs {QUOTES} Head",
            "office@oak.sch.uk, 01632 960000",
        )


def test_first_run_setup_recovery_key_and_lock_keep_every_value(tmp_path: Path) -> None:
    """A password manager types the passphrase at full speed straight after Tab: it lands in its field."""
    folder = tmp_path / "new store"
    term = Terminal(tmp_path / "tmux.sock", folder)
    passphrase = f"maple {QUOTES} orbit {MARKUP} kettle"
    try:
        term.wait_for("Your name (the DSL)")
        time.sleep(0.4)
        term.type(f"St Mary's {MARKUP} Primary")
        term.keys("Tab")
        term.type("Sam O'Neil-Patel")
        term.keys("Tab")
        term.type(passphrase)
        term.keys("Tab")
        term.type(passphrase)
        term.keys("Tab")
        term.type("Grey laptop, desk 2")
        term.keys("C-s")
        screen = term.wait_for("Your recovery key")
        groups = re.findall(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4})+\b", screen)
        assert groups, screen
        time.sleep(0.4)
        term.type(groups[0][-4:])
        term.keys("C-s")
        term.wait_for("Needs attention")
        term.keys("C-l")
        term.wait_for("SafeDesk is locked")
        time.sleep(0.4)
        term.type(passphrase)
        term.keys("Enter")
        term.wait_for("Needs attention")
        term.quit()
    finally:
        term.close()

    with Session.open(folder, passphrase) as session:
        assert session.setting().name == f"St Mary's {MARKUP} Primary"
        assert [u.name for u in session.active_users() if u.role == "dsl"] == ["Sam O'Neil-Patel"]
        assert session.vault.slot.label == "Grey laptop, desk 2"


def test_filters_reports_chronology_and_quick_reference_keep_every_value(
    terminal: Terminal, store_dir: Path, tmp_path: Path
) -> None:
    name = f"Amelia {MARKUP} O'Neil"
    with Session.open(store_dir, PASSPHRASE) as session:
        add_incident(session, tmp=tmp_path, files=0)
        add_pupil(session, name=name)
    terminal.unlock()

    open_header(terminal, "i", "Incidents ·")
    fill(terminal, "f", "Filter incidents", TAB * 3, "01/01/2030")  # reported since: none yet
    terminal.wait_for("0 of 1")
    terminal.keys("Escape")
    terminal.wait_for("Needs attention")

    open_header(terminal, "r", "Reports ·")
    terminal.keys("Down")  # the incident log: a period
    log = tmp_path / "Incident log [bold] 'autumn'.md"
    fill(terminal, "e", "Export: Incident log", "01/09/2025", TAB, "31/10/2025", TAB, str(log))
    terminal.keys("Down", "Down")  # the child's chronology: a pupil, typed
    fill(terminal, "p", "Preview: Child's chronology", name)
    terminal.wait_for(lambda screen: "O'Neil" in screen and "Child's chronology" in screen, "the chronology")
    terminal.keys("Escape")
    terminal.wait_for("Needs attention")

    open_header(terminal, "c", "Image consents")
    open_header(terminal, "Enter", "Pupil consents")
    open_header(terminal, "c", "Chronology")
    chronology = tmp_path / "Chronology [bold] 'Amelia'.md"
    fill(terminal, "e", "Export the chronology", str(chronology))
    terminal.keys("Escape")
    terminal.wait_for("SafeDesk — Pupil consents")

    terminal.keys("F1")
    terminal.wait_for("Keys on this screen")
    quickref = tmp_path / "Keys [bold] 'card'.html"
    fill(terminal, "p", "SafeDesk quick reference", str(quickref))
    terminal.quit()

    assert "01/09/2025" in log.read_text(encoding="utf-8") and "31/10/2025" in log.read_text(encoding="utf-8")
    assert "O'Neil" in chronology.read_text(encoding="utf-8")
    assert "quick reference" in quickref.read_text(encoding="utf-8").lower()


def test_a_deputys_key_and_its_label_keep_every_value(terminal: Terminal, store_dir: Path) -> None:
    deputy_passphrase = "quarry maple orbit lantern 7 violet"
    terminal.unlock()
    open_header(terminal, "s", "Settings")
    open_header(terminal, "F4", "Keys")
    # The label starts as two suggested words: selected as the focus reaches it, typing replaces them.
    fill(
        terminal,
        "a",
        "Hand over the keyboard",  # the form's first line (the screen's button names the form too)
        f"Pat {QUOTES} Lee",
        TAB * 2,  # past the role: a deputy unless chosen
        f"green {MARKUP} teapot",
        TAB,
        deputy_passphrase,
        TAB,
        deputy_passphrase,
    )
    terminal.wait_for("now unlock with their own")  # the toast wraps
    # The new key is the highlighted row: its label changed at once.
    fill(terminal, "l", "Change the label of", "red kettle 'two'")
    terminal.wait_for("is now labelled")
    terminal.quit()

    with Session.open(store_dir, deputy_passphrase) as session:
        assert session.vault.slot.label == "red kettle 'two'"
        assert session.user.name == f"Pat {QUOTES} Lee"


def test_changing_your_own_passphrase_typed_at_full_speed_then_only_the_new_one_opens(
    terminal: Terminal, store_dir: Path
) -> None:
    new_passphrase = f"copper {MARKUP} willow 9 meadow"
    terminal.unlock()
    open_header(terminal, "s", "Settings")
    open_header(terminal, "F4", "Keys")
    fill(
        terminal,
        "p",
        "Afterwards only the new passphrase",  # the form's first line
        PASSPHRASE,
        TAB,
        new_passphrase,
        TAB,
        new_passphrase,
    )
    terminal.wait_for("Passphrase changed")  # the toast wraps
    terminal.quit()

    with pytest.raises(WrongPassphrase):
        Session.open(store_dir, PASSPHRASE)
    with Session.open(store_dir, new_passphrase) as session:
        assert session.user.name == "Sam Patel"
        assert "keys.passwd" in [entry.action for entry in session.audit.entries()]
