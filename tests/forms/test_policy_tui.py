"""The policy builder and letters driven with Pilot at 80x24."""

from __future__ import annotations

import docx
from textual.widgets import Input, OptionList, Select

from safedesk.app import SafeDeskApp
from safedesk.screens.policy.builder import PolicyPreviewScreen, PolicyScreen, open_policy
from safedesk.screens.policy.letters import LetterScreen, LettersScreen
from safedesk.store.engine.session import Session
from safedesk.store.policy.builder import PolicyBook
from safedesk.store.text.markdown import outline
from safedesk.widgets.card_view import CardView
from safedesk.widgets.common import Choice
from safedesk.widgets.forms import FormDialog
from tests.kit import PASSPHRASE, settle, shown_errors
from tests.kit import unlock as signed_in

SIZE = (80, 24)
HOSTILE = "[@click=app.quit]x[/] [/bold] [bold"


def progress(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#paged-progress").render())


async def test_answer_the_questions_see_the_policy_and_export_it(store_dir, tmp_path):
    Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await signed_in(app, pilot)
        open_policy(app)
        await settle(app, pilot)
        questions = app.screen
        assert isinstance(questions, PolicyScreen)  # nothing stored yet: the questions come first
        assert "Page 1 of 8: The setting" in progress(app)
        assert questions._widgets["setting_name"].value == "Oak Primary"  # from the store
        await pilot.press("tab", "tab", *HOSTILE)  # past the name and the type: the headteacher
        assert questions._widgets["headteacher_name"].value == HOSTILE
        for _ in range(8):  # one more than there are: the last page stays
            await pilot.press("pagedown")
            await settle(app, pilot)
        assert "Page 8 of 8: Approval and review" in progress(app)
        questions._widgets["review_on"].value = "someday"
        await pilot.press("pageup")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Page 8 of 8" in progress(app)  # the refused answer's page
        assert any("Type the date" in e for e in shown_errors(app))
        assert app.focused is questions._widgets["review_on"]
        questions._widgets["review_on"].value = "1/7/2027"
        await pilot.press("ctrl+s")
        await settle(app, pilot)

        assert isinstance(app.screen, PolicyPreviewScreen)
        stored = PolicyBook(app.session).stored()
        assert stored is not None and stored.headteacher_name == HOSTILE and stored.dsl_name == "Sam Patel"
        status = str(app.screen.query_one("#policy-status").render())
        assert "still to fill in" in status and "Next review" not in status
        text = app.screen.query_one(CardView).plain_text()
        assert "Social media policy: Oak Primary" in text and "1. About this policy" in text

        await pilot.press("x")
        assert isinstance(app.screen, FormDialog)
        out = tmp_path / "policy.md"
        app.screen.query_one("#form-path", Input).value = str(out)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PolicyPreviewScreen) and app.is_running
        written = out.read_text(encoding="utf-8")
        assert outline(written).headings[0] == (1, "Social media policy: Oak Primary")
        assert HOSTILE.replace("[", "\\[").replace("]", "\\]") in written  # escaped, not markup


async def test_changing_answers_from_the_policy(store_dir):
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    PolicyBook(session).save({"dsl_name": "Sam Patel", "pta_channel": "no"})
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        open_policy(app)
        await settle(app, pilot)
        assert isinstance(app.screen, PolicyPreviewScreen)  # answers stored: the policy first
        assert "The PTA's page or group" not in app.screen.query_one(CardView).plain_text()
        await pilot.press("e")
        await settle(app, pilot)
        questions = app.screen
        for _ in range(5):
            await pilot.press("pagedown")
            await settle(app, pilot)
        assert "Parents and the PTA" in progress(app)
        choice = questions._widgets["pta_channel"]
        assert isinstance(choice, Choice) and app.focused is choice and choice.value == "no"
        await pilot.press("y")
        questions._widgets["parent_groups"].value = "no"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, PolicyPreviewScreen)
        text = app.screen.query_one(CardView).plain_text()
        assert "The PTA's page or group" in text and "Parents' group chats" not in text


async def test_a_choice_question_uses_a_select_and_keeps_its_value(store_dir):
    Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(PolicyScreen())
        await settle(app, pilot)
        for _ in range(2):
            await pilot.press("pagedown")
            await settle(app, pilot)
        select = app.screen._widgets["comments"]
        assert isinstance(select, Select) and select.value == "moderated"
        select.value = "off"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert PolicyBook(app.session).stored().comments == "off"


async def test_fill_and_export_a_letter(store_dir, tmp_path):
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    PolicyBook(session).save({"contact_details": "office@oak.sch.uk"})
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(PolicyPreviewScreen())
        await settle(app, pilot)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LettersScreen)
        letters = app.screen.query_one("#letters", OptionList)
        letters.highlighted = 3  # the parent-run channel's disclaimer
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)
        assert app.screen.query_one("#form-setting_name", Input).value == "Oak Primary"
        assert app.screen.query_one("#form-official_channels", Input).value == ""  # no platform answered yet
        app.screen.query_one("#form-official_channels", Input).value = "our website"
        app.screen.query_one("#form-admin_contact", Input).value = HOSTILE
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, LetterScreen)
        assert "Every detail is filled in." in str(app.screen.query_one("#letter-status").render())
        view = app.screen.query_one(CardView).plain_text()
        assert "This group for Oak Primary parents" in view and "[@click=app.quit]x[/]" in view
        assert PolicyBook(app.session).stored().letter_values == {"admin_contact": HOSTILE, "official_channels": "our website"}
        await pilot.press("x")
        out = tmp_path / "rules.md"
        app.screen.query_one("#form-path", Input).value = str(out)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, LetterScreen) and app.is_running
        assert "\\[@click=app.quit\\]x\\[/\\]" in out.read_text(encoding="utf-8")
        assert [e.action for e in app.session.audit.entries()][-1] == "export.letter"
        # The same letter for Word: choosing the format renames the file, and Word reads it back.
        await pilot.press("x")
        app.screen.query_one("#form-path", Input).value = str(out)
        app.screen.query_one("#form-format", Select).value = "docx"
        await pilot.pause()
        assert app.screen.query_one("#form-path", Input).value == str(tmp_path / "rules.docx")
        await pilot.press("ctrl+s")
        await pilot.pause()
        word = docx.Document(str(tmp_path / "rules.docx"))
        text = "\n".join(p.text for p in word.paragraphs)
        assert "[@click=app.quit]x[/]" in text and "\\[" not in text  # the typed text, as text, not Markdown
        assert "Oak Primary" in word.sections[0].header.paragraphs[0].text
