"""The recovery key: a random key shown once at setup, for the school safe.

It opens its own key slot, so the store can be reopened when every passphrase
is forgotten or the DSL leaves. Written in groups of base32 letters that are
hard to misread; when typed back, case, spaces, dashes and 0/1/8 for O/I/B are forgiven.
"""

from __future__ import annotations

import base64
import re
import secrets

_BYTES = 20  # 160 bits
_GROUP = 4


def new_recovery_key() -> str:
    text = base64.b32encode(secrets.token_bytes(_BYTES)).decode("ascii")
    return "-".join(text[i : i + _GROUP] for i in range(0, len(text), _GROUP))


def parse_recovery_key(typed: str) -> bytes | None:
    """The canonical secret bytes of a typed recovery key, or None if it cannot be one."""
    compact = re.sub(r"[\s\-]", "", typed.upper()).translate(str.maketrans("018", "OIB"))
    if len(compact) != 32 or not re.fullmatch(r"[A-Z2-7]+", compact):
        return None
    return compact.encode("ascii")


def secret_for_slot(role: str, typed: str) -> bytes | None:
    """What a slot's key is derived from: the recovery key's canonical form, or the passphrase.

    None means `typed` cannot open a slot of this role (saves a 0.5 s derivation).
    """
    from safedesk.store.engine.keys.crypto import normalise_passphrase

    if role == "recovery":
        return parse_recovery_key(typed)
    return normalise_passphrase(typed)


GROUPS = _BYTES * 8 // 5 // _GROUP  # 8 groups of 4 characters

# Taller cells in the key table, so each group can be written by hand.
SHEET_STYLE = "table:first-of-type td { height: 2.6rem; font-size: 14pt; } table:first-of-type td:first-child { width: 8rem; }"


def recovery_sheet_markdown(setting: str, store_id: str = "") -> str:
    """A sheet to print and copy the recovery key onto BY HAND: the key itself is never on it.

    SafeDesk shows the key once and keeps no copy; a file holding it would be one more copy to
    lose (Downloads, a synced folder, the printer's queue). So the sheet carries boxes, what the
    key opens, where to keep it and how to use or replace it (docs/SECURITY.md says why).
    """
    from safedesk.store.text.markdown import md_escape

    name = md_escape(" ".join(setting.split())) or "this SafeDesk store"
    which = f" (store {store_id[:8]})" if store_id else ""
    lines = [
        f"# Recovery key sheet: {name}",
        "",
        "> **Once filled in, this sheet opens every record in SafeDesk**, with no passphrase. Keep it sealed in the "
        "school safe, away from the laptop. Never photograph, scan or email it.",
        "",
        f"It belongs to the SafeDesk store of {name}{which}. The key is **not printed here**: SafeDesk never writes "
        "it to a file. Copy it by hand from the screen where it is shown, one group of four characters per box "
        "(the letters A to Z and the digits 2 to 7), then read it back to a second person.",
        "",
        "| Group | Four characters |",
        "|---|---|",
        *(f"| {n} |   |" for n in range(1, GROUPS + 1)),
        "",
        "| Copied by | Date | Checked by |",
        "|---|---|---|",
        "|   |   |   |",
        "",
        "## Using it",
        "",
        "- On SafeDesk's unlock screen, type the key where the passphrase goes (spaces, dashes and small letters "
        "are fine; 0, 1 and 8 are read as O, I and B).",
        "- Then give the DSL a new key slot and passphrase (`safedesk keys add --role dsl --name NAME`, typing the "
        "recovery key when asked for the current passphrase) and replace the recovery key (`safedesk keys add "
        "--recovery`): a key taken out of the safe is treated as seen. Copy the new key onto a new sheet and shred this one.",
        "",
        "## If this sheet is lost or seen",
        "",
        "Replace the recovery key at once (`safedesk keys add --recovery`, or the reminder in the app). The old key "
        "stops opening the store; copies and backups made before then still open with it, so collect old backups too.",
        "",
    ]
    return "\n".join(lines)
