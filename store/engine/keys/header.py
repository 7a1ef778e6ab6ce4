"""The store's plaintext header: key slots and the parameters to open them.

Each slot wraps the one random data key under a key derived from its own
passphrase (or the recovery key). The header holds no names: a slot carries a
role ("dsl", "deputy", "recovery") and a keyed tag of its owner's name, so
`--user NAME` can pick a slot without the name being readable on disk.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

from safedesk.store.engine.keys import crypto
from safedesk.store.text.clean import clean_text
from safedesk.store.text.limits import Kind, limit

FORMAT = "safedesk-store"
# 2: the authenticated journal (docs/SECURITY.md, "File formats"). Version 1 stores are read
# and rewritten as version 2 at their first save.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
ROLES = ("dsl", "deputy", "recovery")


def canonical(data: Any) -> bytes:
    """The one byte form of a JSON value used for hashing and associated data."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def normalise_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


@dataclass(frozen=True)
class Slot:
    id: str
    role: str
    name_tag: str
    kdf: crypto.KdfParams
    wrapped: str  # base64(nonce || AES-GCM(data key))
    # What the unlock screen calls it (labels.py): readable by anyone with the file, so never a name.
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        data = {"id": self.id, "role": self.role, "name_tag": self.name_tag, "kdf": self.kdf.to_json(), "wrapped": self.wrapped}
        if self.label:  # stores from before labels have none: their header bytes (and digest) stay the same
            data["label"] = self.label
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Slot:
        role = str(data["role"])
        if role not in ROLES:
            raise ValueError("unknown slot role")
        return cls(
            id=str(data["id"]),
            role=role,
            name_tag=str(data.get("name_tag", "")),
            kdf=crypto.KdfParams.from_json(data["kdf"]),
            wrapped=str(data["wrapped"]),
            label=" ".join(clean_text(str(data.get("label", ""))).split())[: limit(Kind.NAME)],
        )

    def _aad(self, store_id: str) -> bytes:
        # Binding the KDF parameters and role means a tampered slot fails to open.
        # The label is left out: it can be changed without rewrapping, and a label changed on disk
        # fails the header digest every record is bound to (the store reads as damaged), not this
        # slot (which would read as a wrong passphrase).
        meta = self.to_json()
        del meta["wrapped"]
        meta.pop("label", None)
        return b"safedesk-slot\0" + canonical({"store_id": store_id, "slot": meta})

    def unwrap(self, store_id: str, secret: bytes) -> bytes | None:
        """The data key, or None when `secret` is not this slot's."""
        kek = self.kdf.derive(secret)
        try:
            return crypto.open_sealed(kek, crypto.unb64(self.wrapped), self._aad(store_id))
        except (crypto.DecryptionFailed, ValueError):
            return None

    @classmethod
    def create(
        cls,
        store_id: str,
        role: str,
        name: str,
        secret: bytes,
        data_key: bytes,
        kdf: crypto.KdfParams,
        slot_id: str | None = None,
        label: str = "",
    ) -> Slot:
        draft = cls(
            id=slot_id or f"s-{secrets.token_hex(4)}",
            role=role,
            name_tag=name_tag(store_id, name) if name else "",
            kdf=kdf.with_new_salt(),
            wrapped="",
            label=label,
        )
        kek = draft.kdf.derive(secret)
        return replace(draft, wrapped=crypto.b64(crypto.seal(kek, data_key, draft._aad(store_id))))


def name_tag(store_id: str, name: str) -> str:
    """A short keyed hash of a user's name: matches `--user NAME`, reveals no name."""
    return hmac.new(bytes.fromhex(store_id), normalise_name(name).encode("utf-8"), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Header:
    store_id: str
    events_recipient: str  # age X25519 public key; failed unlocks are sealed to it
    slots: tuple[Slot, ...] = field(default_factory=tuple)
    version: int = FORMAT_VERSION

    def to_bytes(self) -> bytes:
        return canonical(
            {
                "format": FORMAT,
                "version": self.version,
                "store_id": self.store_id,
                "events_recipient": self.events_recipient,
                "slots": [s.to_json() for s in self.slots],
            }
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Header:
        data = json.loads(raw.decode("utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError("not a SafeDesk store")
        version = data.get("version")
        if version not in READABLE_VERSIONS:
            raise ValueError(f"store format version {version} is not supported by this SafeDesk")
        store_id = str(data["store_id"])
        bytes.fromhex(store_id)
        return cls(
            store_id=store_id,
            events_recipient=str(data["events_recipient"]),
            slots=tuple(Slot.from_json(s) for s in data["slots"]),
            version=int(version),
        )

    def digest(self) -> bytes:
        return hashlib.sha256(self.to_bytes()).digest()

    def slot(self, slot_id: str) -> Slot | None:
        return next((s for s in self.slots if s.id == slot_id), None)

    def with_slots(self, slots: tuple[Slot, ...]) -> Header:
        return replace(self, slots=slots)

    def labels(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.slots if s.label)

    def candidates(self, user: str | None) -> list[Slot]:
        """Slots to try, in order: the one matching `user` (name, slot id or role), else all."""
        if not user:
            return [s for s in self.slots if s.role != "recovery"] + [s for s in self.slots if s.role == "recovery"]
        wanted = normalise_name(user)
        tag = name_tag(self.store_id, user)
        return [s for s in self.slots if s.name_tag == tag or s.id == user or s.role == wanted]
