"""The forms screens driven with Pilot at 80x24: start a form, fill it page by page
(yes/no keys, dates, rating grid, repeated entries), errors by their question, dated
versions, export, hostile text, unsaved changes and the home-screen target."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from textual.widgets import Input, Select, TextArea

from safedesk.app import SafeDeskApp
from safedesk.screens.forms.fill import FormFillScreen
from safedesk.screens.forms.listing import (
    FormDetailScreen,
    FormsScreen,
    VersionScreen,
    open_forms_target,
)
from safedesk.store.engine.session import Session
from safedesk.store.forms.filled import GROUPS, NOTE, FormBook, address, questions_of
from safedesk.store.text.markdown import outline
from safedesk.widgets.card_view import CardView
from safedesk.widgets.common import Choice
from safedesk.widgets.dialogs import ConfirmDialog
from safedesk.widgets.forms import FormDialog
from tests.kit import PASSPHRASE, settle, shown_errors
from tests.kit import unlock as signed_in

SIZE = (80, 24)
HOSTILE = "[@click=app.quit]x[/] [/bold] [bold \x1b[31m"
SHOWN = "[@click=app.quit]x[/] [/bold] [bold [31m"  # the escape character is cleaned away when stored


def key(kind: str, start: str) -> str:
    return next(q.key for q in questions_of(kind) if q.text.startswith(start))


def seed(store_dir: Path, kind: str = "pre-use-checklist", title: str = "Class blog", versions: int = 0) -> None:
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    book = FormBook(session)
    form = book.create(kind, title)
    if versions:
        book.save_draft(form.id, {questions_of(kind)[4].key: "Share work"})
        for n in range(versions):
            book.new_version(form.id, date.today() - timedelta(days=400 - n))
    session.close()


async def test_start_a_form_fill_it_save_a_version_and_export(store_dir, tmp_path):
    Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await signed_in(app, pilot)
        app.push_screen(FormsScreen())
        await pilot.pause()
        assert "No forms yet" in str(app.screen.query_one("#forms-summary").render())
        await pilot.press("n")
        assert isinstance(app.screen, FormDialog)
        await pilot.press("ctrl+s")
        assert any("Choose which form" in e for e in shown_errors(app))
        app.screen.query_one("#form-kind", Select).value = "pre-use-checklist"
        app.screen.query_one("#form-title", Input).value = "Class blog"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormDetailScreen)

        await pilot.press("e")
        await settle(app, pilot)
        fill = app.screen
        assert isinstance(fill, FormFillScreen)
        assert "Page 1 of 9: Legal duties and approval" in str(fill.query_one("#paged-progress").render())
        assert isinstance(app.focused, Choice)
        await pilot.press("y", "tab", *"ask the LA", "tab", "n")  # a yes with a note, then a no
        await pilot.press("pagedown")
        await settle(app, pilot)
        assert "Page 2 of 9: Purpose and audience" in str(fill.query_one("#paged-progress").render())
        assert isinstance(app.focused, TextArea)
        await pilot.press(*"Share work")
        await pilot.press("pageup")
        await settle(app, pilot)
        assert app.focused.value == "yes"  # typed answers survive changing page
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, FormDetailScreen)
        draft = FormBook(app.session).form(1).draft
        legal = key("pre-use-checklist", "Should we take legal advice")
        assert draft[legal] == "yes" and draft[address(legal, part=NOTE)] == "ask the LA"
        assert draft[key("pre-use-checklist", "Are we meeting")] == "no"
        assert draft[key("pre-use-checklist", "What do we want")] == "Share work"

        await pilot.press("s")
        assert isinstance(app.screen, FormDialog)
        app.screen.query_one("#form-review_on", Input).value = "not a date"
        await pilot.press("ctrl+s")
        assert any("date" in e for e in shown_errors(app))
        app.screen.query_one("#form-review_on", Input).value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormDetailScreen)
        assert [v.number for v in FormBook(app.session).versions(1)] == [1]

        await pilot.press("x")
        assert isinstance(app.screen, FormDialog)
        out = tmp_path / "blog.md"
        app.screen.query_one("#form-path", Input).value = str(out)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormDetailScreen)
        assert outline(out.read_text(encoding="utf-8")).headings[0] == (1, "Pre-use checklist: a social media tool: Class blog")
        await pilot.press("x")
        app.screen.query_one("#form-path", Input).value = str(out)
        await pilot.press("ctrl+s")
        assert any("already exists" in e for e in shown_errors(app))  # next to the path, nothing replaced
        await pilot.press("escape", "tab", "enter")  # the path was typed: Discard

        await pilot.press("enter")  # read the version
        await pilot.pause()
        assert isinstance(app.screen, VersionScreen)
        assert "Share work" in app.screen.query_one(CardView).plain_text()


async def test_a_refused_answer_opens_its_page_and_shows_by_its_question(store_dir):
    seed(store_dir, "web-tools-checklist", "Padlet")
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(FormFillScreen(1))
        await settle(app, pilot)
        fill = app.screen
        reviewed = key("web-tools-checklist", "Date of this review")
        fill._widgets[reviewed].value = "31/02/2026"
        await pilot.press("pagedown", "pagedown")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is fill and fill._page == 0
        assert shown_errors(app) == ["! There is no such date as '31/02/2026': DD/MM/YYYY or YYYY-MM-DD, for example 01/09/2025."]
        assert app.focused is fill._widgets[reviewed]
        fill._widgets[reviewed].value = "28/02/2026"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert FormBook(app.session).form(1).draft == {reviewed: "2026-02-28"}


async def test_rating_grid_and_repeated_entries(store_dir):
    seed(store_dir, "web-tool-risk-assessment", "Padlet")
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(FormFillScreen(1))
        await settle(app, pilot)
        fill = app.screen
        await pilot.press("pagedown")
        await settle(app, pilot)
        general = key("web-tool-risk-assessment", "General risk")
        assert [fill._widgets[address(general, part=g)].region.width for g in GROUPS] == [9] * len(GROUPS)  # all 7 fit 80 columns
        assert app.focused is fill._widgets[address(general, part="Staff")]
        await pilot.press(*"low", "tab", *"low", "tab", *"high")
        await pilot.press("pagedown")
        await settle(app, pilot)
        risk = key("web-tool-risk-assessment", "Risk identified")
        await pilot.press(*"Strangers")
        await pilot.click("#add-entry")
        await settle(app, pilot)
        assert app.focused is fill._widgets[address(risk, 2)]
        await pilot.press(*"Adverts")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        draft = FormBook(app.session).form(1).draft
        assert draft[address(general, part="Staff")] == "low" and draft[address(general, part="KS1")] == "high"
        assert draft[address(risk, 1)] == "Strangers" and draft[address(risk, 2)] == "Adverts"


async def test_hostile_text_is_shown_as_typed_and_runs_nothing(store_dir):
    seed(store_dir, title=HOSTILE, versions=2)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(FormsScreen())
        await pilot.pause()
        table = app.screen.query_one("#forms-table")
        assert str(table.get_row_at(0)[0]).startswith("[@click=app.quit]x[/]")
        assert str(table.get_row_at(0)[4]) == "OVERDUE" and str(table.get_row_at(0)[3]) == "2"
        await pilot.press("enter")
        await pilot.pause()
        assert SHOWN in str(app.screen.query_one("#form-title").render())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, VersionScreen)
        assert "[@click=app.quit]x[/] [/bold] [bold" in app.screen.query_one(CardView).plain_text()
        assert app.is_running


async def test_leaving_with_changed_answers_asks_first(store_dir):
    seed(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(FormDetailScreen(1))
        await pilot.pause()
        await pilot.press("e")
        await settle(app, pilot)
        await pilot.press("escape")  # nothing changed: closes at once
        await pilot.pause()
        assert isinstance(app.screen, FormDetailScreen)
        await pilot.press("e")
        await settle(app, pilot)
        await pilot.press("y", "escape")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # keep editing
        assert isinstance(app.screen, FormFillScreen)
        await pilot.press("escape", "tab", "enter")  # leave
        await pilot.pause()
        assert isinstance(app.screen, FormDetailScreen)
        assert FormBook(app.session).form(1).draft == {}


async def test_a_draft_only_form_can_be_deleted_and_home_targets_open_forms(store_dir):
    seed(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        assert open_forms_target(app, "forms/1")
        await pilot.pause()
        assert isinstance(app.screen, FormDetailScreen) and app.screen.form_id == 1
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await pilot.pause()
        assert isinstance(app.screen, FormsScreen) and FormBook(app.session).forms() == []
        assert not open_forms_target(app, "incidents/1")
        assert open_forms_target(app, "forms/42")  # gone since: the list opens
        await pilot.pause()
        assert isinstance(app.screen, FormsScreen)


# The key the business case's visibility question was given by its first wording ("Will the
# account be open, or private/closed?"), under which earlier drafts hold their answer.
FIRST_VISIBILITY_KEY = "form-new-account-business-case/the-proposal/will-the-account-be-open-or-private-clos"


async def test_an_answer_saved_before_a_question_was_reworded_shows_under_the_new_wording(store_dir, tmp_path):
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    book = FormBook(session)
    form = book.create("new-account-business-case", "Class blog")
    form.draft = {FIRST_VISIBILITY_KEY: "private, parents only"}  # as a store from before the rewording holds it
    book.forms_repo.save(form)
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(FormFillScreen(1))
        await settle(app, pilot)
        fill = app.screen
        question = next(q for q in questions_of("new-account-business-case") if q.text.startswith("Visibility: who can see"))
        assert fill._widgets[question.key].text == "private, parents only"
        assert question.text in str(fill._fields[question.key].query_one("Label").render())
        assert "1 of 17 answered" in str(fill.query_one("#paged-progress").render())
        await pilot.press("ctrl+s")  # saving keeps the answer
        await settle(app, pilot)
        assert FormBook(app.session).form(1).draft == {question.key: "private, parents only"}
        version = FormBook(app.session).new_version(1)
        app.push_screen(VersionScreen(version.id))
        await pilot.pause()
        shown = " ".join(app.screen.query_one(CardView).plain_text().split())
        assert f"{question.text} private, parents only" in shown
        out = tmp_path / "case.md"
        FormBook(app.session).export(version.id, out)
        assert f"### {question.text}\n\nprivate, parents only\n" in out.read_text(encoding="utf-8")
