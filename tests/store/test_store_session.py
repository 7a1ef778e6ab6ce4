"""The unlocked store: slots, records, audit chain, migrations, failed unlocks."""

from __future__ import annotations

from datetime import date

import pytest

from safedesk.store.engine import schema
from safedesk.store.engine.keys import slots as keys
from safedesk.store.engine.records import utcnow
from safedesk.store.engine.session import Session
from safedesk.store.engine.verify import verify_session
from safedesk.store.errors import InvalidInput, NotAllowed, StoreExists, StoreNotFound, WrongPassphrase
from tests.kit import DEPUTY_PASSPHRASE, PASSPHRASE, Note


def test_create_then_open_with_each_kind_of_secret(store_dir):
    session, recovery = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    keys.add_user(session, "Ann Deputy", "deputy", DEPUTY_PASSPHRASE)
    session.close()

    with Session.open(store_dir, PASSPHRASE) as dsl:
        assert dsl.user.name == "Sam Patel" and dsl.setting().name == "Oak Primary"
    with Session.open(store_dir, DEPUTY_PASSPHRASE, user="ann deputy") as deputy:
        assert deputy.user.role == "deputy"
    # The recovery key is forgiving about case, spaces and dashes.
    with Session.open(store_dir, recovery.lower().replace("-", " ")) as rescued:
        assert rescued.user.role == "recovery"


def test_wrong_passphrase_is_refused_and_audited_at_next_unlock(store_dir):
    Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    with pytest.raises(WrongPassphrase, match="Wrong passphrase"):
        Session.open(store_dir, "not the passphrase at all")
    with pytest.raises(WrongPassphrase):
        Session.open(store_dir, DEPUTY_PASSPHRASE, user="Sam Patel")
    with Session.open(store_dir, PASSPHRASE) as session:
        failed = [e for e in session.audit.entries() if e.action == "unlock.failed"]
        assert len(failed) == 2 and session.merged_events == 2
        assert session.audit.verify().ok
    with Session.open(store_dir, PASSPHRASE) as again:  # merged once, not twice
        assert len([e for e in again.audit.entries() if e.action == "unlock.failed"]) == 2


def test_unknown_user_and_missing_store(store_dir, tmp_path):
    with pytest.raises(StoreNotFound):
        Session.open(tmp_path / "nothing-here", PASSPHRASE)
    Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    with pytest.raises(WrongPassphrase, match="No key slot"):
        Session.open(store_dir, PASSPHRASE, user="Nobody Known")
    with pytest.raises(StoreExists):
        Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)


def test_setup_refuses_weak_passphrase_and_blank_names(store_dir):
    with pytest.raises(InvalidInput) as weak:
        Session.create(store_dir, "Oak Primary", "Sam Patel", "password1")
    assert weak.value.field == "passphrase"
    with pytest.raises(InvalidInput) as blank:
        Session.create(store_dir, "   ", "Sam Patel", PASSPHRASE)
    assert blank.value.field == "name"
    assert not store_dir.exists() or not any(store_dir.iterdir())


def test_records_round_trip_and_every_change_is_audited(session):
    notes = session.repo(Note)
    stored = notes.add(
        Note(title="First\x1b[31m note", body="line one\r\nline two", due=date(2026, 12, 1), at=utcnow(), tags=("a", "b"))
    )
    assert stored.id is not None
    loaded = notes.get(stored.id)
    assert loaded.title == "First[31m note"  # the escape character is gone
    assert loaded.body == "line one\nline two" and loaded.tags == ("a", "b") and loaded.due == date(2026, 12, 1)
    loaded.title = "Renamed"
    notes.save(loaded)
    entries = session.audit.entries()
    assert [e.action for e in entries[-2:]] == ["record.create", "record.update"]
    assert "title" in entries[-1].summary and "Renamed" not in entries[-1].summary
    with pytest.raises(InvalidInput) as error:
        notes.add(Note(title=""))
    assert error.value.field == "title"
    with pytest.raises(NotAllowed):
        notes.delete(loaded, "tidying up")
    assert session.audit.verify().ok


@pytest.mark.parametrize(
    ("name", "role", "shown"),
    [
        ("Sam Patel", "dsl", "Sam Patel (DSL)"),
        ("Alex Morgan (demo DSL)", "dsl", "Alex Morgan (demo DSL)"),  # the role is in the name: not said twice
        ("Jo Lee (deputy dsl)", "deputy", "Jo Lee (deputy dsl)"),
        ("Jo Lee (DSL)", "deputy", "Jo Lee (DSL) (Deputy DSL)"),  # a different role is still said
        ("Dee Salvador", "dsl", "Dee Salvador (DSL)"),  # letters inside a word do not count
    ],
)
def test_a_person_is_named_with_their_role_once(name: str, role: str, shown: str) -> None:
    from safedesk.store.engine.core_records import User

    assert User(slot_id="s1", name=name, role=role, added_at=utcnow()).name_and_role == shown


def test_failed_transaction_leaves_nothing_behind(session):
    notes = session.repo(Note)
    before = len(session.audit.entries())
    with pytest.raises(RuntimeError):
        with session.transaction():
            notes.add(Note(title="will vanish"))
            raise RuntimeError("boom")
    assert notes.count() == 0 and len(session.audit.entries()) == before
    notes.add(Note(title="kept"))
    assert [n.title for n in notes.all()] == ["kept"] and session.audit.verify().ok


def test_tampered_audit_entry_breaks_the_chain(session):
    session.repo(Note).add(Note(title="one"))
    session.repo(Note).add(Note(title="two"))
    table = session.db.table("audit")
    victim = table.all()[2]
    table.update({"summary": "nothing happened"}, doc_ids=[victim.doc_id])
    report = session.audit.verify()
    assert not report.ok and "altered" in report.problem
    assert not verify_session(session).ok


def test_removed_audit_entry_breaks_the_chain(session):
    session.repo(Note).add(Note(title="one"))
    table = session.db.table("audit")
    table.remove(doc_ids=[table.all()[1].doc_id])
    assert not session.audit.verify().ok


def test_key_slot_changes(store_dir):
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    keys.add_user(session, "Ann Deputy", "deputy", DEPUTY_PASSPHRASE)
    with pytest.raises(InvalidInput):
        keys.add_user(session, "ann deputy", "deputy", DEPUTY_PASSPHRASE)
    keys.change_passphrase(session, "violet anchor pebble harbour")
    new_recovery = keys.replace_recovery_key(session)
    session.close()

    with pytest.raises(WrongPassphrase):
        Session.open(store_dir, PASSPHRASE)
    with Session.open(store_dir, new_recovery) as rescued:
        assert rescued.user.role == "recovery"
    with Session.open(store_dir, "violet anchor pebble harbour") as dsl:
        keys.remove_user(dsl, "Ann Deputy")
        actions = [e.action for e in dsl.audit.entries()]
        assert {"keys.add", "keys.passwd", "keys.recovery", "keys.remove"} <= set(actions)
        assert verify_session(dsl).ok
        with pytest.raises(NotAllowed):
            keys.remove_user(dsl, "Sam Patel")  # the last passphrase
    with pytest.raises(WrongPassphrase):
        Session.open(store_dir, DEPUTY_PASSPHRASE)


def test_key_slot_rules_in_one_place_for_cli_and_app(store_dir):
    """new_key_problems names every field at once; removal_refused says why a key must stay."""
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    problems = keys.new_key_problems(session, "sam patel", "deputy", "short", "other", label="Oak key")
    assert set(problems) == {"name", "passphrase", "label"}  # the confirmation is checked once the passphrase is fine
    problems = keys.new_key_problems(
        session, "Ann Deputy", "deputy", DEPUTY_PASSPHRASE, DEPUTY_PASSPHRASE + "x", label="paper boat"
    )
    assert set(problems) == {"confirm"}
    with pytest.raises(InvalidInput) as refused:
        keys.add_user(session, "Ann Deputy", "deputy", DEPUTY_PASSPHRASE, DEPUTY_PASSPHRASE + "x")
    assert refused.value.field == "confirm"
    keys.add_user(session, "Ann Deputy", "deputy", DEPUTY_PASSPHRASE, label="paper boat")
    rows = {row.name: row for row in keys.list_slots(session)}
    assert rows["Ann Deputy"].kind == "passphrase" and rows["Recovery key"].kind == "recovery key"
    assert rows["Ann Deputy"].label == "paper boat" and rows["Recovery key"].label == ""
    assert len(rows["Ann Deputy"].added_at.split("/")) == 3  # DD/MM/YYYY, as everywhere a person reads a date
    session.close()
    with Session.open(store_dir, DEPUTY_PASSPHRASE) as deputy:
        with pytest.raises(NotAllowed, match="the key you unlocked with"):
            keys.remove_user(deputy, "Ann Deputy")
        with pytest.raises(NotAllowed, match="replaced, not removed"):
            keys.remove_user(deputy, "Recovery key")
        keys.remove_user(deputy, "Sam Patel")
        assert [e.action for e in deputy.audit.entries()].count("keys.remove") == 1


def test_migration_hook_runs_on_open_and_newer_store_is_refused(store_dir, monkeypatch):
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    session.repo(Note).add(Note(title="old shape"))
    session.close()
    calls: list[int] = []

    def add_priority(s: Session) -> None:
        calls.append(1)
        s.db.table("notes").update({"priority": "normal"})

    monkeypatch.setitem(schema.MIGRATIONS, 1, add_priority)
    monkeypatch.setattr(schema, "CURRENT_VERSION", 2)
    with Session.open(store_dir, PASSPHRASE) as upgraded:
        assert upgraded.meta().schema_version == 2
        assert upgraded.db.table("notes").all()[0]["priority"] == "normal"
        assert any(e.action == "store.migrate" for e in upgraded.audit.entries())
    with Session.open(store_dir, PASSPHRASE):
        assert calls == [1]  # once only
    monkeypatch.setattr(schema, "CURRENT_VERSION", 1)
    with pytest.raises(schema.NewerStore, match="newer SafeDesk"):
        Session.open(store_dir, PASSPHRASE)


def test_unlock_parses_without_the_cycle_collector_and_turns_it_back_on(store_dir, monkeypatch):
    """At 100,000 records the collector's passes over the new dicts were 40% of the parse, and
    its first pass after it a 0.2 s pause."""
    import gc
    import json

    from safedesk.store.engine import snapshot

    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    session.repo(Note).add(Note(title="kept"))
    session.vault.compact()
    session.close()
    collecting: list[bool] = []

    def loads(text: str) -> object:
        collecting.append(gc.isenabled())
        return json.loads(text)

    monkeypatch.setattr(snapshot, "json", type("J", (), {"loads": staticmethod(loads), "dumps": json.dumps}))
    with Session.open(store_dir, PASSPHRASE) as opened:
        assert [n.title for n in opened.repo(Note).all()] == ["kept"]
        # What the parse made is out of the collector's reach (its first pass walked it all)...
        assert gc.get_freeze_count() > 0
    # ...until the store is closed.
    assert collecting == [False] and gc.isenabled() and gc.get_freeze_count() == 0

    def broken(text: str) -> object:
        raise ValueError("damaged")

    monkeypatch.setattr(snapshot, "json", type("J", (), {"loads": staticmethod(broken), "dumps": json.dumps}))
    with pytest.raises(Exception):  # noqa: B017,PT011 - whichever error the damage makes; only gc matters here
        Session.open(store_dir, PASSPHRASE)
    assert gc.isenabled()
