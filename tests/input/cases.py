"""Every form and dialog that opens from a key: where it opens from and the key (shared by the
keys-while-opening, field-limit and hostile-input tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from safedesk.store.engine.session import Session
from tests.kit import PASSPHRASE, add_incident, add_pupil

TYPED = "Quick words"


def with_incident(store: Path) -> tuple[str, tuple[Any, ...]]:
    with Session.open(store, PASSPHRASE) as session:
        incident = add_incident(session)
    return "incident", (incident.id,)


def with_pupil(store: Path) -> tuple[str, tuple[Any, ...]]:
    with Session.open(store, PASSPHRASE) as session:
        pupil = add_pupil(session)
    return "pupil", (pupil.id,)


def on_screen(name: str, *args: Any) -> Callable[[Path], tuple[str, tuple[Any, ...]]]:
    return lambda store: (name, args)


# (where the form opens from, the key that opens it)
CASES: dict[str, tuple[Callable[[Path], tuple[str, tuple[Any, ...]]], str]] = {
    "new incident": (on_screen("home"), "n"),
    "incident list: new": (on_screen("incidents"), "n"),
    "incident: amend": (with_incident, "m"),
    "incident: note": (with_incident, "t"),
    "incident: action": (with_incident, "a"),
    "incident: escalation": (with_incident, "e"),
    "incident: evidence file": (with_incident, "f"),
    "incident: evidence description": (with_incident, "d"),
    "incident: person": (with_incident, "p"),
    "pupil list: add": (on_screen("consents"), "a"),
    "pupil: edit": (with_pupil, "e"),
    "accounts: new": (on_screen("accounts"), "n"),
    "staff: add": (on_screen("staff"), "n"),
    "account: edit": (on_screen("account", 1), "e"),
    "account: admin": (on_screen("account", 1), "d"),
    "login: edit": (on_screen("credential", 1), "e"),
    "keys: add a deputy's key": (on_screen("keys"), "a"),
    "keys: change a label": (on_screen("keys"), "l"),
}
