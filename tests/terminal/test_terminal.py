"""The real app on a real terminal (tmux, 80x24): typing at full speed and pasting.

Pilot hands keys to the app one at a time; a terminal sends a burst in one read, and a
bracketed paste goes through Textual's escape-sequence parser. These tests drive
`python -m safedesk` in tmux as a person (or a password manager) would: type 0.4 s after
a form opens, press Ctrl+S the instant typing ends, paste text holding Ctrl+Q and BEL;
then quit and read the store headless to find every value whole.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from safedesk.store.accounts.register import PLATFORMS, Register
from safedesk.store.consents.pupils import Pupil
from safedesk.store.engine.session import Session
from safedesk.store.incidents import evidence
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Incident
from tests.kit import PASSPHRASE
from tests.terminal.tmux import TAB, Terminal, fill, typing_pause

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def test_typed_at_full_speed_and_saved_at_once_every_value_is_whole(terminal: Terminal, store_dir: Path) -> None:
    terminal.unlock()

    terminal.keys("n")  # a new incident
    typing_pause(terminal, "Reported at")
    terminal.type("Title race 4 full text")
    terminal.keys("Tab", "Tab", "Tab")  # reported at, happened at, reported by
    terminal.type("Office manager Jane Smith")
    terminal.keys("C-s")
    terminal.wait_for("INC-")

    terminal.keys("t")  # a note on it
    typing_pause(terminal, "Add a note")
    terminal.type("Parent rang at 09:10 and asked for the post to come down")
    terminal.keys("C-s")
    terminal.wait_for(lambda screen: "Add a note" not in screen)
    terminal.keys("2")  # the chronology tab: the note is there
    terminal.wait_for("Parent rang")

    terminal.keys("Escape")  # back home (the incident opened from there)
    terminal.wait_for("Needs attention")
    terminal.keys("c")
    terminal.wait_for("Pupil")
    terminal.keys("a")  # the pupil form
    typing_pause(terminal, "Add a pupil")
    terminal.type("Amelia Zoë Smith-Okafor")
    terminal.keys("Tab", "Tab")  # preferred name, year group
    terminal.type("Year 5")
    terminal.keys("C-s")
    terminal.wait_for("Smith-Okafor")
    terminal.quit()

    with Session.open(store_dir, PASSPHRASE) as session:
        (incident,) = session.repo(Incident).all()
        assert (incident.title, incident.reported_by) == ("Title race 4 full text", "Office manager Jane Smith")
        notes = [e.text for e in IncidentLog(session).chronology(incident.id or 0) if e.kind == "note"]
        assert notes == ["Parent rang at 09:10 and asked for the post to come down"]
        (pupil,) = session.repo(Pupil).all()
        assert (pupil.name, pupil.year_group) == ("Amelia Zoë Smith-Okafor", "Year 5")


def test_a_paste_holding_ctrl_q_and_bel_is_inert_text(terminal: Terminal, store_dir: Path) -> None:
    terminal.unlock()
    terminal.keys("n")
    terminal.wait_for("Reported at")
    # BEL is Ctrl+G (the guidance), DC1 is Ctrl+Q (quit); the CSI clears the screen.
    terminal.paste("Pasted\x07 title\x11 \x1b[2J\x11 end\x07")
    screen = terminal.wait_for("Pasted title [2J end")
    assert "Reported at" in screen and "EXITED" not in screen  # still running, still on the form
    terminal.keys("C-s")
    terminal.wait_for("INC-")
    terminal.quit()

    with Session.open(store_dir, PASSPHRASE) as session:
        (incident,) = session.repo(Incident).all()
        assert incident.title == "Pasted title [2J end"


def test_keys_typed_with_no_pause_after_the_key_that_opens_a_form_land_in_it(terminal: Terminal, store_dir: Path) -> None:
    terminal.unlock()
    terminal.type("nNo pause at all")  # "n" opens the new incident form; the title follows in the same write
    terminal.wait_for("No pause at all")
    terminal.keys("C-s")
    terminal.wait_for("INC-")
    terminal.quit()

    with Session.open(store_dir, PASSPHRASE) as session:
        (incident,) = session.repo(Incident).all()
        assert incident.title == "No pause at all"


def test_every_form_and_dialog_keeps_every_value_typed_at_full_speed(terminal: Terminal, store_dir: Path, tmp_path: Path) -> None:
    terminal.unlock()
    fill(terminal, "n", "Reported at", "Fake account race")
    terminal.wait_for("INC-")

    fill(terminal, "a", "Add an action", "Report the account to the platform", TAB, "Jane Smith-Okafor")
    # A Select chosen by its list (Enter, Down, Enter), then Tab and typing straight after it.
    fill(
        terminal,
        "e",
        "Record an escalation",
        ("Enter", "Down", "Down", "Down", "Enter"),  # LADO
        TAB * 2,  # when: now
        "Ms Rachel O'Neil",
        TAB,
        "LADO-2026-0457",
    )
    screenshot = tmp_path / "Screenshot 2026-11-28 at 21.04.png"
    screenshot.write_bytes(b"\x89PNG fake screenshot")
    fill(
        terminal,
        "f",
        "Add an evidence file",
        str(screenshot),
        TAB,
        "Fake profile page",
        TAB * 2,  # captured at: blank
        "Sam Patel (DSL)",
    )
    terminal.wait_for("Delete the original file?")
    terminal.keys("Escape")  # keep it
    terminal.wait_for(lambda screen: "Delete the original file?" not in screen, "the question closed")
    fill(
        terminal,
        "d",
        "Describe evidence",
        "Post using the school crest",
        TAB,
        "A profile picture with the crest and a pupil's first name",
        TAB,
        "Instagram profile @oak_prim_fake",
        TAB * 2,  # when: blank
        "Deputy head's phone screenshot",
    )
    fill(
        terminal,
        "p",
        "Add a person involved",
        "Mr Daniel Hughes",
        ("Tab", "Enter", "Down", "Down", "Enter"),  # role: staff
        ("Tab", "Enter", "Down", "Enter"),  # involvement: subject
    )
    fill(
        terminal,
        "c",
        "Change status",
        ("Enter", "Down", "Down", "Enter"),  # closed
        ("Tab", "Enter", "Down", "Enter"),  # its open action: not needed
        TAB,
        "Account removed by Instagram on 28/11",
        TAB,
        "Check the crest's use monthly",
    )

    terminal.keys("Escape")  # home
    terminal.wait_for("Needs attention")
    terminal.keys("a")
    terminal.wait_for("SafeDesk — Official accounts ·")  # the header (home lists it too)
    terminal.keys("s")
    terminal.wait_for("SafeDesk — Staff register ·")
    fill(terminal, "n", "Add a member of staff", "Priya Natarajan", TAB, "Office manager", ("Tab", "Space"))  # SLT
    terminal.wait_for("Natarajan")
    terminal.keys("Escape")  # the account register
    terminal.wait_for(lambda screen: "Staff register" not in screen)
    fill(
        terminal,
        "n",
        "Propose a new official account",
        ("Enter", "Down", "Enter"),  # the platform after Facebook Page
        TAB,
        "@OakPrimaryPE",
        TAB * 2,  # web address
        "Celebrate PE and sport with parents",
    )
    terminal.wait_for("SafeDesk — Account ·")  # the new account's page opens
    terminal.keys("Escape", "Escape")  # the register, then home
    terminal.wait_for("Needs attention")
    terminal.keys("r")
    terminal.wait_for("SafeDesk — Reports ·")
    fill(terminal, "p", "Preview: Incident report")  # the newest incident is chosen: Ctrl+S at once
    terminal.wait_for("Incident report: INC-")  # the preview shows
    report = tmp_path / "For the LADO 29-11.md"
    fill(terminal, "e", "Export: Incident report", TAB, str(report))  # the newest incident, then where
    terminal.wait_for("Exported")
    terminal.quit()

    assert report.is_file() and "Fake account race" in report.read_text(encoding="utf-8")
    with Session.open(store_dir, PASSPHRASE) as session:
        (incident,) = session.repo(Incident).all()
        log = IncidentLog(session)
        actions = log.actions(incident.id or 0)
        # Closing marked it not needed, as chosen in the status form.
        assert [(a.text, a.owner, a.open, bool(a.not_needed_reason)) for a in actions] == [
            ("Report the account to the platform", "Jane Smith-Okafor", False, True)
        ]
        (escalation,) = log.escalations(incident.id or 0)
        assert (escalation.target, escalation.contact_name, escalation.reference) == (
            "lado",
            "Ms Rachel O'Neil",
            "LADO-2026-0457",
        )
        items = evidence.evidence_for(session, incident.id or 0)
        (copy,) = [e for e in items if e.kind == "file"]
        assert (copy.file_name, copy.title, copy.captured_by) == (screenshot.name, "Fake profile page", "Sam Patel (DSL)")
        assert evidence.decrypt(session, copy) == screenshot.read_bytes()
        (item,) = [e for e in items if e.kind == "description"]
        assert (item.title, item.description, item.where_seen, item.holder) == (
            "Post using the school crest",
            "A profile picture with the crest and a pupil's first name",
            "Instagram profile @oak_prim_fake",
            "Deputy head's phone screenshot",
        )
        (person,) = incident.people
        assert (person.name, person.role, person.involvement) == ("Mr Daniel Hughes", "staff", "subject")
        assert (incident.status, incident.outcome, incident.lessons) == (
            "closed",
            "Account removed by Instagram on 28/11",
            "Check the crest's use monthly",
        )
        register = Register(session)
        assert [(s.name, s.role, s.slt) for s in register.staff()] == [("Priya Natarajan", "Office manager", True)]
        (account,) = register.accounts()
        assert (account.platform, account.name, account.purpose) == (
            list(PLATFORMS)[1],
            "@OakPrimaryPE",
            "Celebrate PE and sport with parents",
        )
