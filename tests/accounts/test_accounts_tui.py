"""The account screens driven with Pilot at 80x24: the register and an account's detail,
proposals and their errors, SLT approval and the override, admins and the leaver workflow,
adding a login, hostile text and very long values. Secrets: test_accounts_secrets_tui.py."""

from __future__ import annotations

from datetime import date

from textual.widgets import DataTable, Input, OptionList, Select, Static

from safedesk.app import SafeDeskApp
from safedesk.screens.accounts.credentials import CredentialForm
from safedesk.screens.accounts.forms import AccountForm, AdminForm, DecisionForm, StatusForm
from safedesk.screens.accounts.register import AccountDetailScreen, AccountsScreen, open_account_target
from safedesk.screens.accounts.secrets import SecretView
from safedesk.screens.accounts.staff import LeaverForm, StaffScreen
from safedesk.store.accounts.register import (
    Register,
    StaffMember,
    Status,
)
from safedesk.store.engine.session import Session
from safedesk.widgets.dialogs import ConfirmDialog, MessageDialog
from tests.kit import PASSPHRASE, SIZE, error_of, open_credential, seed_accounts, text_of
from tests.kit import unlock as signed_in

HOSTILE = "[@click=app.quit]x[/] [/bold] [bold"


# --------------------------------------------------------------------- register and detail


async def test_register_lists_accounts_with_health_in_words_and_opens_them(store_dir):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(AccountsScreen())
        await pilot.pause()
        table = app.screen.query_one("#accounts-table", DataTable)
        row = [str(c) for c in table.get_row_at(0)]
        assert row[:3] == ["@OakPrimary", "Facebook Page", "active"]
        assert "to act on" in row[3]  # words, not colour
        assert "fewer than two admins in post" in text_of(app, "#accounts-preview")
        await pilot.press("enter")
        assert isinstance(app.screen, AccountDetailScreen)
        title = text_of(app, "#detail-title")
        assert "@OakPrimary (Facebook Page) · active · health:" in title
        findings = app.screen.query_one("#detail-findings", OptionList)
        assert findings.has_focus and findings.highlighted == 0
        await pilot.press("enter")  # the finding's guidance card
        from safedesk.screens.guide import GuideScreen

        assert isinstance(app.screen, GuideScreen) and app.screen.current.id == "guide-official-channel-admins"
        await pilot.press("escape")
        assert isinstance(app.screen, AccountDetailScreen)
        await pilot.press("g")
        assert isinstance(app.screen, GuideScreen) and app.screen.current.id == "platform-facebook-page"
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, AccountsScreen)
        await pilot.press("h")
        assert isinstance(app.screen, MessageDialog)


async def test_home_item_targets_open_the_account(store_dir):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        assert open_account_target(app, "accounts/1#mfa.off")
        await pilot.pause()
        assert isinstance(app.screen, AccountDetailScreen) and app.screen.account_id == 1
        assert open_account_target(app, "accounts/99#x")  # gone since: the register opens instead
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)
        assert not open_account_target(app, "incidents/3")


async def test_propose_an_account_with_errors_shown_by_their_fields(store_dir):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(AccountsScreen())
        await pilot.pause()
        await pilot.press("n")
        assert isinstance(app.screen, AccountForm)
        await pilot.press("ctrl+s")
        assert "name or handle" in error_of(app, "name")
        form = app.screen
        form.query_one("#in-name", Input).value = HOSTILE + "\x1b[2J\x1b]52;c;eA==\x07"
        form.query_one("#in-evaluation_on", Input).value = "31/02/2027"
        await pilot.press("ctrl+s")
        assert error_of(app, "name") == "" and "YYYY-MM-DD" in error_of(app, "evaluation_on")
        form.query_one("#in-evaluation_on", Input).value = "1/9/2027"
        form.query_one("#in-url", Input).value = "not a web address"
        await pilot.press("ctrl+s")
        assert "web address" in error_of(app, "url")
        form.query_one("#in-url", Input).value = "https://instagram.com/oak"
        form.query_one("#in-platform", Select).value = "Instagram"
        form.query_one("#in-devices", Input).value = "Office iPad, , Comms laptop"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AccountDetailScreen)
        assert app.is_running
        assert HOSTILE in text_of(app, "#detail-title")
        stored = Register(app.session).account(app.screen.account_id)
        assert "\x1b" not in stored.name and "\x07" not in stored.name and stored.name.startswith(HOSTILE)
        assert stored.status is Status.PROPOSED and stored.devices == ("Office iPad", "Comms laptop")
        assert stored.evaluation_on == date(2027, 9, 1)


async def test_esc_on_a_changed_form_asks_before_discarding(store_dir):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(AccountDetailScreen(1))
        await pilot.pause()
        await pilot.press("e")
        runners = app.screen.query_one("#in-runner_ids")
        ticks = {line.text[4:].strip(): line.text[:3] for line in (runners.render_line(y) for y in range(3))}
        assert ticks == {"Ann Head (Headteacher)": "▐ ▌", "Bo Office (Office)": "▐X▌", "Cy Teacher (Teacher)": "▐X▌"}
        app.screen.query_one("#in-name", Input).value = "@Changed"
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # keep editing
        assert isinstance(app.screen, AccountForm)
        await pilot.press("escape", "tab", "enter")  # Discard
        await pilot.pause()
        assert isinstance(app.screen, AccountDetailScreen)
        assert Register(app.session).account(1).name == "@OakPrimary"


async def test_unapproved_account_cannot_be_activated_then_approval_flow(store_dir):
    seed_accounts(store_dir, approved=False)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(AccountDetailScreen(1))
        await pilot.pause()
        await pilot.press("t")
        assert isinstance(app.screen, StatusForm)
        assert app.screen.query_one("#in-status", Select).value is Status.ACTIVE
        assert app.screen.query_one("#field-override").display  # the override is offered, explained
        assert "has not approved" in text_of(app, "#override-note")
        await pilot.press("ctrl+s")
        assert "cannot become active" in error_of(app, "override")
        assert Register(app.session).account(1).status is Status.PROPOSED
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("a")
        assert isinstance(app.screen, DecisionForm)
        assert "yes  At least two staff named to run it (2)" in text_of(app, ".case-checks")
        await pilot.press("ctrl+s")
        assert "SLT member" in error_of(app, "by_id")
        select = app.screen.query_one("#in-by_id", Select)
        labels = [str(prompt) for prompt, _ in select._options]
        assert "Ann Head (Headteacher)" in labels and "Bo Office (Office)" not in labels  # SLT only
        select.value = 1
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AccountDetailScreen)
        assert "APPROVED by Ann Head (Headteacher)" in text_of(app, "#detail-approval")
        await pilot.press("t")
        assert not app.screen.query_one("#field-override").display
        await pilot.press("ctrl+s")
        await pilot.pause()
        account = Register(app.session).account(1)
        assert account.status is Status.ACTIVE and account.override is None


async def test_override_with_a_reason_is_recorded_and_shown(store_dir):
    seed_accounts(store_dir, approved=False)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(AccountDetailScreen(1))
        await pilot.pause()
        await pilot.press("t")
        app.screen.query_one("#in-override", Input).value = "Emergency closure notices; SLT approves on Monday"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AccountDetailScreen)
        assert "OVERRIDE: made active without approval by Sam Patel (DSL)" in text_of(app, "#detail-approval")
        assert "active (override)" in text_of(app, "#detail-title")


async def test_admins_and_the_leaver_workflow(store_dir):
    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(AccountDetailScreen(1))
        await pilot.pause()
        await pilot.press("d")
        assert isinstance(app.screen, AdminForm)
        await pilot.press("ctrl+s")
        assert "member of staff" in error_of(app, "staff_id")
        app.screen.query_one("#in-staff_id", Select).value = 3
        app.screen.query_one("#in-platform_role", Input).value = "Editor"
        await pilot.press("ctrl+s")
        await pilot.pause()
        table = app.screen.query_one("#detail-admins", DataTable)
        assert [str(c) for c in table.get_row_at(1)][:2] == ["Cy Teacher", "Editor"]
        assert "fewer than two admins" not in "".join(
            str(o.prompt) for o in app.screen.query_one("#detail-findings", OptionList).options
        )

        app.push_screen(StaffScreen())
        await pilot.pause()
        staff_table = app.screen.query_one("#staff-table", DataTable)
        staff_table.move_cursor(row=1)  # Bo Office (sorted by name)
        assert str(staff_table.get_row_at(1)[0]) == "Bo Office"
        await pilot.press("l")
        assert isinstance(app.screen, LeaverForm)
        assert "@OakPrimary (Facebook Page): Admin" in text_of(app, ".case-checks")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MessageDialog)
        body = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "remove their Admin access on the platform, then change the password of Main login" in body
        await pilot.press("escape")
        rows = [[str(c) for c in staff_table.get_row_at(i)] for i in range(staff_table.row_count)]
        assert rows[-1][0] == "Bo Office" and rows[-1][3].startswith("left ")  # leavers sink to the bottom
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AccountDetailScreen)
        assert str(app.screen.query_one("#detail-admins", DataTable).get_row_at(0)[5]) == "LEFT: remove now"
        options = " ".join(str(o.prompt) for o in app.screen.query_one("#detail-findings", OptionList).options)
        assert "1 admin has left the school" in options and "password not changed since an admin left" in options

        # Record the removal: Enter on the admin row, then the date.
        table = app.screen.query_one("#detail-admins", DataTable)
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        assert isinstance(app.screen, AdminForm)
        app.screen.query_one("#in-removed_on", Input).value = date.today().isoformat()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert str(app.screen.query_one("#detail-admins", DataTable).get_row_at(0)[5]).startswith("removed ")


async def test_add_a_login_with_generated_password_and_hostile_text(store_dir):
    seed_accounts(store_dir, approved=False)
    with Session.open(store_dir, PASSPHRASE) as session:
        Register(session).add_staff(StaffMember(name=HOSTILE, role=HOSTILE, slt=True))
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        app.push_screen(AccountDetailScreen(1))
        await pilot.pause()
        await pilot.press("p")
        form = app.screen
        assert isinstance(form, CredentialForm)
        form.query_one("#in-label", Input).value = HOSTILE
        form.query_one("#in-password", Input).value = "bad\x1bsecret"
        await pilot.press("ctrl+s")
        assert "control character" in error_of(app, "password") and "bad" not in error_of(app, "password")
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        generated = form.query_one("#in-password", Input).value
        form.query_one("#in-recovery_email", Input).value = "office@oak.sch.uk"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AccountDetailScreen) and app.is_running
        logins = app.screen.query_one("#detail-logins", OptionList)
        assert HOSTILE in str(logins.options[0].prompt)
        await pilot.press("a")
        labels = [str(prompt) for prompt, _ in app.screen.query_one("#in-by_id", Select)._options]
        assert f"{HOSTILE} ({HOSTILE})" in labels
        await pilot.press("escape")
        stored = Register(app.session).credentials(1)[0]
        assert stored.password == generated and stored.changed_on == date.today()


async def test_very_long_values_stay_usable_at_80x24(store_dir):
    long_secret = "L0ng-" * 204 + "end"  # 1,023 characters
    seed_accounts(store_dir, password=long_secret, name="@" + "n" * 119)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_credential(app, pilot)
        await pilot.press("r")
        view = app.screen.query_one("#cred-password", SecretView)
        assert view.revealed and view.region.width <= 80 and view.virtual_size.height >= 1023 // 80
        assert str(view.render()) == long_secret  # all of it, wrapped in the scrolling body
        await pilot.press("escape")
        app.push_screen(AccountsScreen())
        await pilot.pause()
        assert app.screen.query_one("#accounts-table", DataTable).row_count == 1
        await pilot.press("enter")
        assert isinstance(app.screen, AccountDetailScreen) and app.is_running


# --------------------------------------------------------------------- dates


async def test_account_screens_show_and_ask_for_dates_as_every_other_screen_does(store_dir):
    """DD/MM/YYYY on the account, its login and the staff register, as on incidents and consents: never ISO."""
    import re

    from safedesk.store.text.dates import DATE_HINT
    from tests.kit import screen_text

    seed_accounts(store_dir)
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        credential = await open_credential(app, pilot)
        shown = [screen_text(app)]
        await pilot.press("e")
        await pilot.pause()
        assert app.screen is not credential
        shown.append(screen_text(app))
        app.pop_screen()
        app.pop_screen()
        for screen in (AccountDetailScreen(1), StaffScreen()):
            app.push_screen(screen)
            await pilot.pause()
            shown.append(screen_text(app))
        text = "\n".join(shown)
        assert not re.search(r"\d{4}-\d\d-\d\d", text), text
        assert f"{date.today():%d/%m/%Y}" in text  # the account was approved today
        await pilot.press("l")  # the leaver form: its date field asks for DD/MM/YYYY
        await pilot.pause()
        field = app.screen.query_one("#in-left_on", Input)
        assert field.value == f"{date.today():%d/%m/%Y}" and field.placeholder == DATE_HINT
