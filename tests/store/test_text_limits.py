"""One length limit per kind of field: every record refuses longer text and names the field."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any

import pytest

import safedesk.store.features  # noqa: F401  (imports every feature, so every record class exists)
from safedesk.store.engine.records import Record, field_kind, utcnow
from safedesk.store.errors import InvalidInput
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Incident, Person
from safedesk.store.text.limits import LIMITS, Kind, limit
from tests.kit import make_store


def _records() -> list[type[Record]]:
    found: list[type[Record]] = []
    todo = list(Record.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return sorted(found, key=lambda c: c.__qualname__)


def _blank(cls: type) -> Any:
    """An instance with every field empty, built without __init__ (only the length check must run)."""
    obj = object.__new__(cls)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        text = "str" in str(hints[f.name]) and "tuple" not in str(hints[f.name])
        object.__setattr__(obj, f.name, "" if text and "None" not in str(hints[f.name]) else None)
    return obj


def _text_fields(cls: type[Record]) -> list[tuple[str, str]]:
    """(field, shape) for each field holding text: 'str', 'tuple' of str, or 'dict' of str."""
    hints = typing.get_type_hints(cls)
    fields = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if hint is str:
            fields.append((f.name, "str"))
        elif origin is tuple and args[:1] == (str,):
            fields.append((f.name, "tuple"))
        elif origin is dict and args[-1:] == (str,):
            fields.append((f.name, "dict"))
    return fields


CASES = [(cls, name, shape) for cls in _records() for name, shape in _text_fields(cls)]


def test_every_record_kind_is_checked() -> None:
    classes = {cls.__name__ for cls, _, _ in CASES}
    assert {"Incident", "Evidence", "Pupil", "Account", "Credential", "User", "Setting", "Transfer"} <= classes


@pytest.mark.parametrize(("cls", "name", "shape"), CASES, ids=[f"{c.__name__}.{n}" for c, n, _ in CASES])
def test_every_record_refuses_text_over_its_kind_and_names_the_field(cls: type[Record], name: str, shape: str) -> None:
    most = limit(field_kind(cls, name))
    record = _blank(cls)

    def put(text: str) -> None:
        value: Any = text if shape == "str" else (text,) if shape == "tuple" else {"k": text}
        object.__setattr__(record, name, value)

    put("x" * most)
    record.check_lengths()  # at the limit: kept
    put("x" * (most + 1))
    with pytest.raises(InvalidInput) as refused:
        record.validate()  # the record's own validate checks lengths first, whatever else it checks
    assert refused.value.field == name
    assert f"{most:,} characters" in str(refused.value)


def test_text_nested_in_a_record_keeps_its_own_kind() -> None:
    person = Person(name="x" * (limit(Kind.NAME) + 1))
    incident = _blank(Incident)
    object.__setattr__(incident, "people", (person,))
    with pytest.raises(InvalidInput) as refused:
        incident.check_lengths()
    assert refused.value.field == "people"
    person = Person(name="x" * limit(Kind.NAME), school="s" * limit(Kind.SHORT))
    object.__setattr__(incident, "people", (person,))
    incident.check_lengths()


def test_the_repository_refuses_a_title_over_the_limit(store_dir: Path) -> None:
    session = make_store(store_dir)
    try:
        log = IncidentLog(session)
        with pytest.raises(InvalidInput) as refused:
            log.create(Incident(title="t" * (limit(Kind.TITLE) + 1), platform="other", reported_at=utcnow()))
        assert refused.value.field == "title"
        longest = "t" * limit(Kind.TITLE)
        assert log.create(Incident(title=longest, platform="other", reported_at=utcnow())).title == longest
    finally:
        session.close()


def test_each_kind_has_one_limit_and_words() -> None:
    assert set(LIMITS) == set(Kind)
    assert limit(Kind.NAME) < limit(Kind.SHORT) < limit(Kind.LONG)
