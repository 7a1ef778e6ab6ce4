"""Every text field takes the length of its kind; a longer paste is cut with a notice, typing past it is refused aloud."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input, TextArea

from safedesk.app import SafeDeskApp
from safedesk.router import open_screen
from safedesk.store.text import limits
from safedesk.store.text.limits import LIMITS, Kind, limit
from safedesk.widgets.common import Field
from safedesk.widgets.forms import Form
from safedesk.widgets.limited import LimitedTextArea
from tests.input.cases import CASES
from tests.kit import SIZE, error_of, record_notifications, seed_accounts, settle, unlock

# The kind a few fields must have (case, field id): what they hold, whatever form they are on.
KINDS = {
    ("new incident", "title"): Kind.TITLE,
    ("new incident", "reported_by"): Kind.NAME,
    ("new incident", "reported_at"): Kind.DATE,
    ("new incident", "urls"): Kind.URL,
    ("new incident", "description"): Kind.LONG,
    ("incident: escalation", "reference"): Kind.REFERENCE,
    ("incident: action", "owner"): Kind.NAME,
    ("incident: evidence description", "url"): Kind.URL,
    ("pupil list: add", "mis_id"): Kind.REFERENCE,
    ("staff: add", "name"): Kind.NAME,
    ("login: edit", "notes"): Kind.LONG,
    ("keys: add a deputy's key", "name"): Kind.NAME,
    ("keys: add a deputy's key", "label"): Kind.NAME,
    ("keys: add a deputy's key", "passphrase"): Kind.PASSPHRASE,
    ("keys: change a label", "label"): Kind.NAME,
}


async def _open(app: SafeDeskApp, pilot: object, store_dir: Path, case: str) -> Form:
    where, key = CASES[case]
    name, args = where(store_dir)
    await unlock(app, pilot)  # type: ignore[arg-type]
    open_screen(app, name, *args)
    await settle(app, pilot)  # type: ignore[arg-type]
    await pilot.press(key)  # type: ignore[attr-defined]
    await settle(app, pilot)  # type: ignore[arg-type]
    form = app.screen
    assert isinstance(form, Form)
    return form


def _control(form: Form, field_id: str) -> Input | TextArea:
    control = form.query_one(f"#field-{field_id}", Field).control()
    assert isinstance(control, Input | TextArea)
    return control


@pytest.mark.parametrize("case", list(CASES))
async def test_every_text_field_of_every_form_has_the_limit_of_its_kind(store_dir: Path, case: str) -> None:
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        form = await _open(app, pilot, store_dir, case)
        fields = list(form.query(Input)) + list(form.query(TextArea))
        assert fields, case
        for control in fields:
            if isinstance(control, TextArea):
                assert isinstance(control, LimitedTextArea), f"{case}: {control.id} has no limit"
            assert control.max_length in LIMITS.values(), f"{case}: {control.id} takes {control.max_length}"
        for (where, field_id), kind in KINDS.items():
            if where == case:
                assert _control(form, field_id).max_length == limit(kind), f"{case}: {field_id}"


@pytest.mark.parametrize(
    ("case", "field_id", "kind"),
    [
        ("new incident", "title", Kind.TITLE),
        ("new incident", "description", Kind.LONG),  # a TextArea
        ("incident: escalation", "reference", Kind.REFERENCE),  # a dialog field
        ("staff: add", "name", Kind.NAME),
        ("incident: evidence description", "description", Kind.LONG),  # a dialog's TextArea
    ],
)
async def test_a_paste_over_the_limit_is_cut_to_it_with_a_notice_beside_the_field(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch, case: str, field_id: str, kind: Kind
) -> None:
    # LONG text takes 200,000 characters: a smaller limit keeps the test fast, the rule is the same.
    monkeypatch.setitem(limits.LIMITS, Kind.LONG, 300)
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    seen = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        form = await _open(app, pilot, store_dir, case)
        control = _control(form, field_id)
        control.focus()
        await pilot.pause()
        if isinstance(control, Input):
            control.value = ""
        else:
            control.text = ""
        await pilot.press(*"Start ")
        app.post_message(events.Paste("p" * (limit(kind) + 50)))
        await settle(app, pilot)
        value = control.value if isinstance(control, Input) else control.text
        assert value == "Start " + "p" * (limit(kind) - 6)
        assert "cut to fit" in error_of(app, field_id) and f"{limit(kind):,}" in error_of(app, field_id)
        assert any("cut to fit" in n for n in seen)
        app.post_message(events.Paste("more"))  # a full field: nothing more goes in, and it says so again
        await settle(app, pilot)
        assert (control.value if isinstance(control, Input) else control.text) == value
        assert "cut to fit" in error_of(app, field_id)


@pytest.mark.parametrize(("case", "field_id"), [("staff: add", "name"), ("new incident", "description")])
async def test_typing_into_a_full_field_is_refused_with_a_message_beside_it(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch, case: str, field_id: str
) -> None:
    monkeypatch.setitem(limits.LIMITS, Kind.LONG, 300)
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        form = await _open(app, pilot, store_dir, case)
        control = _control(form, field_id)
        control.focus()
        await pilot.pause()
        full = "f" * (control.max_length - 1)
        if isinstance(control, Input):
            control.value = full
            control.cursor_position = len(full)
        else:
            control.text = full
            control.move_cursor(control.document.end)
        await pilot.press("g")
        assert error_of(app, field_id) == ""  # the last character that fits goes in quietly
        await pilot.press("h", "i")
        await settle(app, pilot)
        value = control.value if isinstance(control, Input) else control.text
        assert value == full + "g"
        assert "full" in error_of(app, field_id) and f"{control.max_length:,}" in error_of(app, field_id)
        await pilot.press("backspace")
        await settle(app, pilot)
        assert error_of(app, field_id) == ""  # the message goes once the value changes


ROOT = Path(__file__).resolve().parents[2]
# Fields whose length is their format, not a kind of text: the recovery key's last group is 4 characters.
FIXED = {("screens/recovery.py", "recovery-confirm")}


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def test_every_input_in_the_code_is_sized_by_a_kind() -> None:
    """Beyond the forms above (opened by a key): every Input any screen or widget builds takes
    `max_length=limit(<kind>)` (or a FormField's), and every TextArea is a LimitedTextArea."""
    unsized, unlimited = [], []
    for folder in ("screens", "tui/widgets"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                    continue
                if node.func.id == "TextArea":
                    unlimited.append(f"{where}:{node.lineno}")
                if node.func.id == "Input":
                    size = _keyword(node, "max_length")
                    widget_id = _keyword(node, "id")
                    name = widget_id.value if isinstance(widget_id, ast.Constant) else None
                    sized = isinstance(size, ast.Call) and ast.unparse(size.func) == "limit"
                    from_spec = size is not None and ast.unparse(size) == "spec.max_length"
                    passed_on = any(k.arg is None for k in node.keywords)  # text_field(**options): sized by its callers
                    if not (sized or from_spec or passed_on or (where, name) in FIXED):
                        unsized.append(f"{where}:{node.lineno}")
                if node.func.id == "text_field" and _keyword(node, "max_length") is not None:
                    size = _keyword(node, "max_length")
                    if not (isinstance(size, ast.Call) and ast.unparse(size.func) == "limit"):
                        unsized.append(f"{where}:{node.lineno}")
    assert unsized == [], f"Inputs not sized by a kind (use max_length=limit(Kind.X)): {unsized}"
    assert unlimited == [], f"TextAreas without a limit (use LimitedTextArea): {unlimited}"
