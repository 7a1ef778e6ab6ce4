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
