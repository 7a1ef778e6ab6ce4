"""An unlocked store: the vault, its tables, the audit log and repositories.

session, recovery_key = Session.create(folder, "Oak Primary", "Sam Patel", passphrase)
session = Session.open(folder, passphrase)
with session.transaction():
    ...
session.close()
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from safedesk.store.engine import events, salvage
from safedesk.store.engine.audit import AuditLog
from safedesk.store.engine.core_records import Meta, Setting, User
from safedesk.store.engine.db import Database, Documents
from safedesk.store.engine.keys import crypto
from safedesk.store.engine.keys.header import Header, Slot, normalise_name
from safedesk.store.engine.keys.labels import RECOVERY_LABEL, check_label, suggest_label
from safedesk.store.engine.keys.passphrase import check_new_passphrase
from safedesk.store.engine.keys.recovery import new_recovery_key, secret_for_slot
from safedesk.store.engine.records import Record, utcnow
from safedesk.store.engine.repository import Repository
from safedesk.store.engine.schema import CURRENT_VERSION, check_readable, migrate
from safedesk.store.engine.vault import EVENTS_FILE, MIN_COMPACT_BYTES, Vault, refuse_store_files, unlock_header
from safedesk.store.errors import InvalidInput, RecordNotFound, StoreReadOnly

R = TypeVar("R", bound=Record)


@dataclass
class OpenOptions:
    """Knobs for tests and benchmarks; the defaults are what users get."""

    kdf: crypto.KdfParams | None = None  # None: calibrate to ~0.5 s on this machine
    compact_bytes: int = MIN_COMPACT_BYTES


class Session:
    def __init__(self, vault: Vault, options: OpenOptions) -> None:
        self.vault = vault
        self.folder = vault.folder
        self.options = options
        self.db = Database(vault)
        self.audit = AuditLog(self.db, vault.header.store_id)
        vault.on_rollback.append(self._after_rollback)
        self._repos: dict[type, Repository[Any]] = {}
        self.user: User | None = None
        self.merged_events = 0
        self.merged_exports = 0  # of merged_events: exports made while the store was open elsewhere
        self.recovery_summary = ""
        # Set by an export command that found the store open elsewhere and opened it read-only:
        # its export audit events go to the events file, signed (see audit_event).
        self.exports_sealed = False

    # ----------------------------------------------------------------- create / open

    @classmethod
    def create(
        cls,
        folder: Path,
        setting_name: str,
        user_name: str,
        passphrase: str,
        options: OpenOptions | None = None,
        label: str | None = None,
    ) -> tuple[Session, str]:
        """A new store with its first DSL and a recovery slot; returns the recovery key (show it once).

        `label`: what the unlock screen calls the DSL's key (keys/labels.py; None: two random words).
        """
        options = options or OpenOptions()
        folder = Path(folder)
        setting = Setting(name=setting_name, created_at=utcnow()).cleaned()
        user = User(slot_id="", name=user_name, role="dsl", added_at=utcnow()).cleaned()
        setting.validate()
        user.validate()
        check_new_passphrase(passphrase, context=(setting.name, user.name))
        names = (setting.name, user.name)
        label = check_label(suggest_label(names=names) if label is None else label, names)
        refuse_store_files(folder)
        kdf = options.kdf or crypto.calibrate()
        store_id = crypto.random_key()[:16].hex()
        data_key = crypto.random_key()
        identity, recipient = events.new_identity()
        recovery = new_recovery_key()
        dsl_slot = Slot.create(store_id, "dsl", user.name, crypto.normalise_passphrase(passphrase), data_key, kdf, label=label)
        recovery_slot = Slot.create(
            store_id, "recovery", "", secret_for_slot("recovery", recovery) or b"", data_key, kdf, label=RECOVERY_LABEL
        )
        header = Header(store_id=store_id, events_recipient=recipient, slots=(dsl_slot, recovery_slot))
        vault = Vault.create(folder, header, dsl_slot, data_key, options.compact_bytes)
        session = cls(vault, options)
        try:
            with session.transaction():
                # The metadata record is the store's own: written before any user exists to audit it.
                session.db.insert(Meta.TABLE, Meta(schema_version=CURRENT_VERSION, events_identity=identity).to_doc())
                user.slot_id = dsl_slot.id
                session.user = user  # the actor of the entries below
                session.user = session.users.add(user, summary="first DSL added at setup")
                recovery_user = User(slot_id=recovery_slot.id, name="Recovery key", role="recovery", added_at=utcnow())
                session.users.add(recovery_user, summary="recovery key created at setup")
                session.settings.add(setting, summary="store created")
                session.audit_event("store.create", "store created with a DSL key slot and a recovery key slot")
        except BaseException:
            session.close()
            raise
        return session, recovery

    @classmethod
    def open(
        cls,
        folder: Path,
        passphrase: str,
        user: str | None = None,
        *,
        use_backup: bool = False,
        read_only: bool = False,
        confirm: Callable[[str], bool] | None = None,
        options: OpenOptions | None = None,
    ) -> Session:
        """Unlock the store in `folder`.

        `read_only` opens without the writer lock, so it works while another SafeDesk holds
        the store for writing, from its last complete commit; it changes no byte (no schema
        migration, no merge of the locked-time events, no save; any write raises
        StoreReadOnly), and a store older than this computer last saw is reported in
        `vault.rollback_warning` instead of refused. `use_backup` runs the recovery
        (`safedesk recover`, see engine.salvage): `confirm` is shown what would be lost and
        decides; the result is in `recovery_summary`.
        """
        options = options or OpenOptions()
        folder = Path(folder)

        def failed(header: Header, who: str | None) -> None:
            events.record(folder, header, "unlock.failed", f"wrong passphrase (slot asked for: {'chosen' if who else 'any'})")

        summary = ""
        if use_backup:
            vault, summary = salvage.recover(
                folder, passphrase, user, confirm=confirm, compact_bytes=options.compact_bytes, on_failed_unlock=failed
            )
        else:
            vault = Vault.open(
                folder, passphrase, user, read_only=read_only, compact_bytes=options.compact_bytes, on_failed_unlock=failed
            )
        session = cls(vault, options)
        session.recovery_summary = summary
        try:
            session.user = session.users.first(lambda u: u.slot_id == vault.slot.id)
            if read_only:
                check_readable(session)
            else:
                migrate(session)
                session._merge_locked_events()
            if use_backup:
                session.audit_event("store.recover", summary)
        except BaseException:
            session.close()
            raise
        return session

    # ----------------------------------------------------------------- transactions and audit

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.vault.transaction():
            yield

    @property
    def actor(self) -> str:
        if self.user is None:
            return "unknown"
        return self.user.name_and_role

    def audit_event(self, action: str, summary: str, target: str = "") -> None:
        if self.vault.read_only:
            if self.exports_sealed and events.EXPORT_ACTION.match(action):
                # An export from a read-only copy while another process writes: signed and
                # sealed into the events file, durably, before this returns; merged into the
                # chain at the next normal unlock (see events.record_export).
                head = self.audit.latest()
                basis = (head.seq, head.hash) if head is not None else (0, "")
                events.record_export(
                    self.folder, self.vault.header, self.meta().events_identity, action, summary, self.actor, basis
                )
                return
            # Opened without the writer lock: the entry cannot join the chain, and nothing but
            # failed unlocks and signed exports is taken from the events file, so what else
            # needs an audit entry is refused rather than left unrecorded.
            raise StoreReadOnly(
                f"'{action}' is recorded in the audit log as it is done, and this store is open for reading only "
                "(another SafeDesk window or command holds it): close that one first, or do it from within the app."
            )
        with self.transaction():
            self.audit.append(self.actor, action, summary, target)

    def _after_rollback(self) -> None:
        self.db.forget()
        self.audit.forget_cache()

    # ----------------------------------------------------------------- reading past the repositories

    @property
    def store_id(self) -> str:
        """This store's random id (hex): binds key slots, the audit chain and blobs to this store."""
        return self.vault.header.store_id

    def scan(self, table: str) -> Documents:
        """A table's stored documents, id (text) -> document, for one fast read-only pass.

        No copies and no decoding: never change what it holds (write through a repository).
        The mapping's identity changes with every write to the table.
        """
        return self.db.scan(table)

    def passphrase_opens_store(self, passphrase: str) -> bool:
        """Does `passphrase` open any key slot of this store?"""
        return unlock_header(self.vault.header, passphrase, None) is not None

    def _merge_locked_events(self) -> None:
        """Move the events sealed while the chain could not be written into the audit log.

        Their times are clamped between the last audited moment and now: a sealed line
        cannot date itself into the past of the chain or the future. The events lock is
        held from reading the file to clearing it, so a line appended meanwhile (an export
        from another process) waits and is merged next time, never cleared unread.
        """
        if not (self.folder / EVENTS_FILE).exists():
            return  # one appended after this look is merged at the next unlock
        with events.exclusive(self.folder):
            latest = self.audit.latest()
            last = latest.at if latest is not None else utcnow()
            by_seq = {e.seq: e for e in self.audit.entries()}

            def basis_time(seq: int, head: str) -> datetime | None:
                entry = by_seq.get(seq)
                return entry.at if entry is not None and entry.hash == head else None

            found = events.read_all(
                self.folder, self.meta().events_identity, earliest=last, latest=utcnow(), basis_time=basis_time
            )
            if not found.events and not found.unreadable:
                return
            # A line already merged (replayed into the file) is not added twice: ids are random.
            seen = {
                e.summary.rsplit("#", 1)[-1]
                for e in by_seq.values()
                if e.actor == events.LOCKED_ACTOR or e.actor.endswith(events.OPEN_ELSEWHERE)
            }
            with self.transaction():
                for event in found.events:
                    if event.id in seen:
                        continue
                    at = datetime.fromisoformat(event.at)
                    self.audit.append(event.actor, event.action, f"{event.detail} #{event.id}", at=at)
                    self.merged_events += 1
                    self.merged_exports += event.action != events.ACCEPTED_ACTION
                kept = events.aside_name()
                if found.unreadable:
                    self.audit.append(
                        self.actor,
                        "events.damaged",
                        f"{found.unreadable} line(s) of the locked-time event file could not be accepted; kept as {kept}",
                    )
            # Only once the audit log holds them: a failed save leaves the file to merge next time.
            if found.unreadable:
                events.set_aside(self.folder, kept)  # a damaged file is kept, never deleted
            else:
                events.clear(self.folder)

    # ----------------------------------------------------------------- repositories

    def repo(self, cls: type[R]) -> Repository[R]:
        if cls not in self._repos:
            self._repos[cls] = Repository(self, cls)
        return self._repos[cls]

    @property
    def users(self) -> Repository[User]:
        return self.repo(User)

    @property
    def settings(self) -> Repository[Setting]:
        return self.repo(Setting)

    def meta_repo(self) -> Repository[Meta]:
        return self.repo(Meta)

    def meta(self) -> Meta:
        meta = self.meta_repo().first()
        if meta is None:
            raise RecordNotFound("The store has no metadata record: it is damaged.")
        return meta

    def setting(self) -> Setting:
        setting = self.settings.first()
        if setting is None:
            raise RecordNotFound("The store has no setting record: it is damaged.")
        return setting

    def active_users(self) -> list[User]:
        return [u for u in self.users.all() if u.active]

    def guessable_names(self) -> tuple[str, ...]:
        """The setting's and the key holders' names: what a guesser tries first, for the passphrase estimator."""
        return (self.setting().name, *(u.name for u in self.active_users() if u.role != "recovery"))

    def find_user(self, who: str) -> User:
        """A user by slot id, or by name (case-insensitive)."""
        wanted = normalise_name(who)
        for candidate in self.active_users():
            if candidate.slot_id == who or normalise_name(candidate.name) == wanted:
                return candidate
        raise InvalidInput(f"No one called '{who}' has a key slot in this store.", "user")

    # ----------------------------------------------------------------- lifecycle

    def close(self) -> None:
        self.vault.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
