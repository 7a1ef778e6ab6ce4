"""Typed records: dataclasses that become TinyDB documents and back.

A record class names its table, declares its fields with types, and keeps its
own validation in `validate()`: the one place each rule lives, whichever screen
or command saves it. Times are stored as UTC ISO 8601 and shown in local time.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Self, TypeVar

from safedesk.store.errors import InvalidInput
from safedesk.store.text.clean import clean_text
from safedesk.store.text.limits import Kind, limit, too_long

R = TypeVar("R", bound="Record")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclasses.dataclass(kw_only=True)
class Record:
    """Base of every stored record. `id` is the TinyDB document id, None until stored."""

    TABLE: ClassVar[str] = ""
    # Court-safe records are never deleted; a few working records (drafts) may be.
    DELETABLE: ClassVar[bool] = False
    # Fields kept as multi-line text (others are cleaned to a single line).
    MULTILINE: ClassVar[frozenset[str]] = frozenset()
    # The kind of each text field whose length limit is not the default: LONG for a
    # multi-line field, SHORT for any other (store/text/limits.py holds the limits).
    LIMITS: ClassVar[Mapping[str, Kind]] = {}

    id: int | None = None

    def __init_subclass__(cls, **options: Any) -> None:
        # Every validate() checks lengths first, so a record's own rules never see over-long
        # text, whichever of the many callers (forms checking early, the repository) runs it.
        super().__init_subclass__(**options)
        own = cls.__dict__.get("validate")
        if own is not None and not getattr(own, "_checks_lengths", False):

            @functools.wraps(own)
            def validate(self: Record) -> None:
                self.check_lengths()
                own(self)

            validate._checks_lengths = True  # type: ignore[attr-defined]
            cls.validate = validate  # type: ignore[method-assign]

    def validate(self) -> None:
        """Raise InvalidInput(message, field) for the first value that breaks a rule."""
        self.check_lengths()

    def check_lengths(self) -> None:
        """Raise InvalidInput naming the first field whose text is longer than its kind allows."""
        for f in dataclasses.fields(self):
            if f.name != "id":
                _check_length(getattr(self, f.name), field_kind(self, f.name), f.name)

    def cleaned(self) -> Self:
        """A copy with every text value, nested ones included, stripped of control characters."""
        cleaned: Self = _cleaned(self)
        return cleaned

    def to_doc(self) -> dict[str, Any]:
        hints = _hints(type(self))
        return {f.name: _encode(getattr(self, f.name), hints[f.name]) for f in dataclasses.fields(self) if f.name != "id"}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any], doc_id: int | None = None) -> Self:
        hints = _hints(cls)
        values: dict[str, Any] = {"id": doc_id}
        for f in dataclasses.fields(cls):
            if f.name == "id" or f.name not in doc:
                continue  # a field added since: its default applies (schema migrations fill real values)
            values[f.name] = _decode(doc[f.name], hints[f.name])
        return cls(**values)


def require(condition: bool, message: str, field: str) -> None:
    """Validation helper: one line per rule inside `validate()`."""
    if not condition:
        raise InvalidInput(message, field)


def field_kind(owner: object, name: str) -> Kind:
    """The kind of text `owner`'s field `name` holds (a record or a dataclass nested in one)."""
    kinds: Mapping[str, Kind] = getattr(owner, "LIMITS", {})
    if name in kinds:
        return kinds[name]
    return Kind.LONG if name in getattr(owner, "MULTILINE", frozenset()) else Kind.SHORT


def _check_length(value: Any, kind: Kind, field: str) -> None:
    # A nested dataclass's own fields keep their kinds; the error names the record's field holding it.
    if isinstance(value, str):
        if len(value) > limit(kind):
            raise InvalidInput(f"The {field.replace('_', ' ')} is too long. {too_long(kind)}", field)
    elif isinstance(value, tuple | list):
        for item in value:
            _check_length(item, kind, field)
    elif isinstance(value, dict):
        for item in value.values():
            _check_length(item, kind, field)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _check_length(getattr(value, f.name), field_kind(value, f.name), field)


def _cleaned(value: Any, multiline: bool = False) -> Any:
    if isinstance(value, enum.Enum):  # StrEnum members are str too: keep them as they are
        return value
    if isinstance(value, str):
        return clean_text(value, multiline=multiline)
    if isinstance(value, tuple | list):
        return type(value)(_cleaned(v, multiline) for v in value)
    if isinstance(value, dict):
        return {k: _cleaned(v, multiline) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        keep_lines: frozenset[str] = getattr(value, "MULTILINE", frozenset())
        return dataclasses.replace(
            value, **{f.name: _cleaned(getattr(value, f.name), f.name in keep_lines) for f in dataclasses.fields(value) if f.init}
        )
    return value


# --------------------------------------------------------------------- codec


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    # Resolving annotations is slow and every encode and decode needs them: once per class.
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _encode(value: Any, hint: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: store times in UTC")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        inner = _hints(type(value))
        return {f.name: _encode(getattr(value, f.name), inner[f.name]) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        item_hint = _item_hint(hint)
        return [_encode(v, item_hint) for v in value]
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value


def _decode(value: Any, hint: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(value, options[0]) if len(options) == 1 else value
    if hint is datetime:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if hint is date:
        return date.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        inner = _hints(hint)
        return hint(**{k: _decode(v, inner[k]) for k, v in value.items() if k in inner})
    if origin is tuple:
        return tuple(_decode(v, _item_hint(hint)) for v in value)
    if origin is list:
        return [_decode(v, _item_hint(hint)) for v in value]
    if origin is dict:
        return dict(value)
    return value


def _item_hint(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not Ellipsis]
    return args[0] if args else Any
