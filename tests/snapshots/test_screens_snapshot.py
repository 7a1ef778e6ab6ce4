"""Every screen at 80x24 with the demo data, compared with the SVG kept beside this file.

A layout change shows as a failing test with a visual diff (pytest's snapshot report); when the
change is wanted, regenerate with `python -m pytest tests/snapshots --snapshot-update` and review
the SVGs in the commit. Behaviour is asserted with Pilot in the other tests; these only catch
what a screen looks like.

The demo data is dated relative to today, so the clock is fixed (time-machine) while the demo
store is built and while each screen is drawn, and the time zone is UTC: the same SVG on any day,
on any machine.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import TextArea

from safedesk.app import SafeDeskApp
from safedesk.router import SCREENS, screen
from safedesk.store.accounts.register import Register
from safedesk.store.consents.pupils import pupil_index
from safedesk.store.demo.data import build_demo, open_demo
from safedesk.store.engine.session import Session
from safedesk.store.forms.filled import FormBook
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.policy.builder import LETTERS

# A Monday morning in term time; every demo date is counted back or on from here.
FROZEN_NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)

SIZE = (80, 24)


@contextmanager
def _utc_at(moment: datetime, *, tick: bool) -> Iterator[None]:
    """UTC and a fixed date; with `tick` the clock still runs, so timers and workers behave as usual."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        with time_machine.travel(moment, tick=tick):
            yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.fixture(autouse=True)
def _fixed_clock() -> Iterator[None]:
    with _utc_at(FROZEN_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _no_text_area_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest stops Input's cursor blinking; a focused TextArea blinks too, so a busy machine caught it off."""
    original = TextArea.__init__

    def init(self: TextArea, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.cursor_blink = False

    monkeypatch.setattr(TextArea, "__init__", init)


@pytest.fixture(scope="module")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store, built once for the module under the fixed clock; each test works on a copy."""
    folder = tmp_path_factory.mktemp("demo") / "store"
    with _utc_at(FROZEN_NOW, tick=False):
        build_demo(folder)
    return folder


@pytest.fixture
def demo_dir(demo_master: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(demo_master, copy)
    return copy


def _incident(session: Session) -> int:
    return IncidentLog(session).rows()[0].id


def _pupil(session: Session) -> int:
    return min(pupil_index(session).rows, key=lambda row: row.name).id


def _account(session: Session) -> int:
    return Register(session).accounts()[0].id or 0


def _credential(session: Session) -> int:
    return Register(session).credentials()[0].id or 0


def _event(session: Session) -> int:
    """A trip with decisions for the first pupils (the demo has no events): the events screens have rows."""
    from datetime import timedelta

    from safedesk.store.consents.events import ConsentEvent, EventStatus, add_event, record_event_decisions

    day = FROZEN_NOW.date()
    event = add_event(
        session, ConsentEvent(name="Year 6 Residential", starts_on=day + timedelta(days=10), ends_on=day + timedelta(days=12))
    )
    ids = sorted(pupil_index(session).by_id)[:3]
    record_event_decisions(session, event.id or 0, ids[:2], EventStatus.GRANTED, day - timedelta(days=5), "Parent")
    record_event_decisions(session, event.id or 0, ids[2:], EventStatus.REFUSED, day - timedelta(days=3))
    return event.id or 0


def _form(session: Session) -> int:
    return FormBook(session).forms()[0].id or 0


def _version(session: Session) -> int:
    return FormBook(session).find_version(_form(session)).id or 0


# Each signed-in screen by its route name (and a few variants), with its arguments from the demo store.
SIGNED_IN: dict[str, Callable[[Session], Screen]] = {
    "home": lambda s: screen("home"),
    "guide": lambda s: screen("guide"),
    "guide-card": lambda s: screen("guide", card_id="faq-negative-post-about-school"),
    "triage": lambda s: screen("triage"),
    "incidents": lambda s: screen("incidents"),
    "incident": lambda s: screen("incident", _incident(s)),
    "incident-form": lambda s: screen("incident-form"),
    "incident-edit": lambda s: screen("incident-form", _incident(s)),
    "consents": lambda s: screen("consents"),
    "pupil": lambda s: screen("pupil", _pupil(s)),
    "pupil-chronology": lambda s: screen("pupil-chronology", _pupil(s)),
    "consent-check": lambda s: screen("consent-check"),
    "consent-import": lambda s: screen("consent-import"),
    "consents-expiring": lambda s: screen("consents-expiring"),
    "consent-events": lambda s: (_event(s), screen("consent-events"))[1],
    "consent-event": lambda s: screen("consent-event", _event(s)),
    "accounts": lambda s: screen("accounts"),
    "account": lambda s: screen("account", _account(s)),
    "staff": lambda s: screen("staff"),
    "credential": lambda s: screen("credential", _credential(s)),
    "forms": lambda s: screen("forms"),
    "form": lambda s: screen("form", _form(s)),
    "form-version": lambda s: screen("form-version", _version(s)),
    "form-fill": lambda s: screen("form-fill", _form(s)),
    "policy": lambda s: screen("policy"),
    "policy-questions": lambda s: screen("policy-questions"),
    "letters": lambda s: screen("letters"),
    "letter": lambda s: screen("letter", next(iter(LETTERS)), _account(s), {}),
    "reports": lambda s: screen("reports"),
    "handover": lambda s: screen("handover"),
    "handover-export": lambda s: screen("handover-export"),
    "handover-import": lambda s: screen("handover-import"),
    "settings": lambda s: screen("settings"),
    "keys": lambda s: screen("keys"),
    "lock": lambda s: screen("lock"),
}


# Drawn by the tests below SIGNED_IN's, from the app's own start or a key press.
OTHERS = {"setup", "unlock", "recovery-key", "help"}


def test_every_registered_screen_has_a_snapshot() -> None:
    """SIGNED_IN is keyed by route name (plus a few variants), so a newly registered screen needs a snapshot."""
    assert set(SCREENS) - set(SIGNED_IN) - OTHERS == set()


async def _settle(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _signed_in(demo_dir: Path, build: Callable[[Session], Screen]) -> tuple[SafeDeskApp, Callable[[Pilot], object]]:
    app = SafeDeskApp(demo_dir)

    async def run_before(pilot: Pilot) -> None:
        await _settle(pilot)
        session = open_demo(demo_dir)
        app.signed_in(session)
        await _settle(pilot)
        target = build(session)
        if target.__class__.__name__ != "HomeScreen":
            await app.push_screen(target)
        await _settle(pilot)

    return app, run_before


@pytest.mark.parametrize("name", list(SIGNED_IN))
def test_signed_in_screen(name: str, demo_dir: Path, snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, run_before = _signed_in(demo_dir, SIGNED_IN[name])
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help(demo_dir: Path, snap_compare) -> None:  # type: ignore[no-untyped-def]
    """F1 on home: the key list is built from the screen's bindings."""
    app, run_before = _signed_in(demo_dir, lambda s: screen("home"))
    assert snap_compare(app, press=["f1"], terminal_size=SIZE, run_before=run_before)


def test_keys_add_form(demo_dir: Path, monkeypatch: pytest.MonkeyPatch, snap_compare) -> None:  # type: ignore[no-untyped-def]
    """a on the keys screen: the deputy's name first, the label it suggests (random otherwise), the passphrase twice."""
    monkeypatch.setattr("safedesk.screens.keys.suggested_label", lambda session: "violet lantern")
    app, run_before = _signed_in(demo_dir, lambda s: screen("keys"))
    assert snap_compare(app, press=["a"], terminal_size=SIZE, run_before=run_before)


def test_keys_passwd_form(demo_dir: Path, snap_compare) -> None:  # type: ignore[no-untyped-def]
    """p on the keys screen: your current passphrase first, the new one rated, then typed again."""
    app, run_before = _signed_in(demo_dir, lambda s: screen("keys"))
    assert snap_compare(app, press=["p"], terminal_size=SIZE, run_before=run_before)


def test_unlock(demo_dir: Path, monkeypatch: pytest.MonkeyPatch, snap_compare) -> None:  # type: ignore[no-untyped-def]
    # The screen shows the store folder: a relative one, so the SVG does not hold pytest's temporary path.
    monkeypatch.chdir(demo_dir.parent)
    assert snap_compare(SafeDeskApp(Path(demo_dir.name)), terminal_size=SIZE)


def test_unlock_key_list(demo_dir: Path, monkeypatch: pytest.MonkeyPatch, snap_compare) -> None:  # type: ignore[no-untyped-def]
    """The key list open: each key by the label it was given, the recovery key, never a name."""
    monkeypatch.chdir(demo_dir.parent)
    assert snap_compare(SafeDeskApp(Path(demo_dir.name)), press=["shift+tab", "enter"], terminal_size=SIZE)


def test_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snap_compare) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("safedesk.screens.setup.suggest_label", lambda: "blue kettle")  # random otherwise
    assert snap_compare(SafeDeskApp(Path("new-store")), terminal_size=SIZE)


def test_recovery_key(tmp_path: Path, snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = SafeDeskApp(tmp_path / "new-store")

    async def run_before(pilot: Pilot) -> None:
        await app.push_screen(screen("recovery-key", "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-2345-6789"))
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
