"""Every full screen by name, imported only when first opened.

Screens open one another through here (`open_screen(self.app, "incident", incident_id)`)
instead of importing each other: no screen module imports another screen module, so there are
no import cycles among them, and `safedesk --help` or the guidance start without importing the
incident, consent or account screens. Dialogs and forms that belong to one screen are imported
by that screen's module directly, at its top.

A destination that depends on stored data (the policy questions before the policy when none
are stored; an account named by a home-screen item that may have been deleted since) is an
opener: a function in the screen's module that takes the app and pushes what fits.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from typing import Any, cast

from textual.app import App
from textual.screen import Screen, ScreenResultCallbackType

# name -> "module:Class"; modules are relative to safedesk.screens.
SCREENS: dict[str, str] = {
    "setup": "setup:SetupScreen",
    "recovery-key": "recovery:RecoveryKeyScreen",
    "unlock": "unlock:UnlockScreen",
    "lock": "lock:LockScreen",
    "home": "home:HomeScreen",
    "help": "help:HelpScreen",
    "guide": "guide:GuideScreen",
    "triage": "triage:TriageScreen",
    "settings": "settings:SettingsScreen",
    "keys": "keys:KeysScreen",
    "reports": "reports:ReportsScreen",
    "incidents": "incidents.listing:IncidentListScreen",
    "incident": "incidents.detail:IncidentDetailScreen",
    "incident-form": "incidents.form:IncidentFormScreen",
    "consents": "consents.pupils:ConsentsScreen",
    "pupil": "consents.pupil:PupilScreen",
    "pupil-chronology": "consents.chronology:PupilChronologyScreen",
    "consent-check": "consents.check:CheckScreen",
    "consent-import": "consents.importer:ImportScreen",
    "consents-expiring": "consents.expiring:ExpiringScreen",
    "consent-events": "consents.events:EventsScreen",
    "consent-event": "consents.events:EventScreen",
    "accounts": "accounts.register:AccountsScreen",
    "account": "accounts.register:AccountDetailScreen",
    "staff": "accounts.staff:StaffScreen",
    "credential": "accounts.credentials:CredentialScreen",
    "forms": "forms.listing:FormsScreen",
    "form": "forms.listing:FormDetailScreen",
    "form-version": "forms.listing:VersionScreen",
    "form-fill": "forms.fill:FormFillScreen",
    "policy": "policy.builder:PolicyPreviewScreen",
    "policy-questions": "policy.builder:PolicyScreen",
    "letters": "policy.letters:LettersScreen",
    "letter": "policy.letters:LetterScreen",
    "handover": "handover.listing:HandoverScreen",
    "handover-export": "handover.export:HandoverExportScreen",
    "handover-import": "handover.importer:HandoverImportScreen",
}

# name -> "module:function(app, *args)"; also relative to safedesk.screens.
OPENERS: dict[str, str] = {
    "policy-or-questions": "policy.builder:open_policy",
    "account-target": "accounts.register:open_account_target",
    "forms-target": "forms.listing:open_forms_target",
    "incident-from-triage": "incidents.detail:started_incident_from_triage",
}


def _load(table: dict[str, str], name: str) -> Any:
    module, _, attr = table[name].partition(":")
    return getattr(import_module(f"safedesk.screens.{module}"), attr)


def screen_class(name: str) -> type[Screen[Any]]:
    """The class registered as `name`; a KeyError names an unknown screen."""
    found = _load(SCREENS, name)
    if not (isinstance(found, type) and issubclass(found, Screen)):
        raise TypeError(f"screen {name!r} is registered as {SCREENS[name]}, which is not a Screen")
    return found


def screen(name: str, *args: Any, **kwargs: Any) -> Screen[Any]:
    """A new instance of the screen registered as `name`."""
    return screen_class(name)(*args, **kwargs)


def is_showing(app: App[Any], name: str) -> bool:
    """Whether the active screen is the one registered as `name` (or a subclass of it).

    A screen whose module was never imported cannot be showing: the answer needs no import
    (the app asks about the lock screen for every key the footer lists, from the first paint).
    """
    module, _, attr = SCREENS[name].partition(":")
    loaded = sys.modules.get(f"safedesk.screens.{module}")
    return loaded is not None and isinstance(app.screen, getattr(loaded, attr))


def open_screen(
    app: App[Any], name: str, *args: Any, callback: ScreenResultCallbackType[Any] | None = None, **kwargs: Any
) -> None:
    """Push the screen registered as `name`, built from the arguments; `callback` gets its result."""
    app.push_screen(screen(name, *args, **kwargs), callback)


def opener(name: str) -> Callable[..., Any]:
    """The opener registered as `name`; call it with the app and its arguments."""
    return cast("Callable[..., Any]", _load(OPENERS, name))
