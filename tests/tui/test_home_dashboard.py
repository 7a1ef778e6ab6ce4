"""The home dashboard shows every kind of due item, each opening where it belongs."""

from __future__ import annotations

from datetime import date, timedelta

from textual.widgets import OptionList

from safedesk.app import SafeDeskApp
from safedesk.screens.home import HomeScreen
from safedesk.store.demo.data import build_demo, open_demo
from safedesk.store.engine.records import utcnow
from safedesk.store.features import attention as real_attention
from safedesk.store.handover.transfer import Transfer
from safedesk.store.policy.builder import PolicyBook
from tests.kit import screen_text


def _prepare(folder) -> None:  # type: ignore[no-untyped-def]
    """The demo store, plus a policy due for review and a handover waiting for its receipt."""
    build_demo(folder)
    with open_demo(folder) as session:
        PolicyBook(session).save(
            {"review_on": date.today() + timedelta(days=10), "approved_on": date.today() - timedelta(days=300)}
        )
        session.repo(Transfer).add(
            Transfer(
                direction="sent",
                receipt_code="1A2B-3C4D-5E6F",
                bundle_id="demo-bundle",
                at=utcnow() - timedelta(days=14),  # past 5 school days whatever the weekday
                by="Alex Morgan (demo DSL)",
                counterpart="Hillside Academy DSL",
                incident_refs=("INC-2026-0002",),
                incident_ids=(2,),
            )
        )


async def test_every_kind_of_due_item_is_on_the_home_screen(tmp_path):
    folder = tmp_path / "demo"
    _prepare(folder)
    app = SafeDeskApp(folder, start="demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        home = app.screen
        assert isinstance(home, HomeScreen)
        options = home.query_one("#attention", OptionList)
        texts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        joined = "\n".join(texts)
        expected = {
            "overdue action": "action overdue since",
            "incident review": "review due",
            "consents expiring": "expire within 30 days",
            "account health": "fewer than two admins",
            "form re-assessment": "Re-assess",
            "policy review": "policy is due for review",
            "handover receipt": "school days late (5-school-day transfer rule)",
        }
        missing = [kind for kind, words in expected.items() if words not in joined]
        assert not missing, (missing, texts)
        # Levels are words, not only colours.
        assert all(text.startswith("[") for text in texts), [t for t in texts if not t.startswith("[")]
        assert "Open incidents" in str(home.query_one("#figures-text").render())

        # Enter on an item opens its own list or record.
        from safedesk.screens.incidents.detail import IncidentDetailScreen

        first_incident = next(i for i, text in enumerate(texts) if "action overdue since" in text)
        options.focus()
        options.highlighted = first_incident
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, IncidentDetailScreen)


async def test_a_long_tail_is_summarised_and_an_empty_store_says_so(tmp_path, monkeypatch):
    from safedesk.screens import home as home_module
    from safedesk.store.engine.session import Session
    from tests.kit import PASSPHRASE, unlock

    Session.create(tmp_path / "empty", "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    monkeypatch.setattr(home_module, "attention", lambda session: [])
    app = SafeDeskApp(tmp_path / "empty")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(app, pilot)
        options = app.screen.query_one("#attention", OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)] == [
            "Nothing needs your attention."
        ]
    folder = tmp_path / "demo"
    build_demo(folder)
    monkeypatch.setattr(home_module, "MAX_ITEMS", 3)
    monkeypatch.setattr(home_module, "attention", real_attention)
    app = SafeDeskApp(folder, start="demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        options = app.screen.query_one("#attention", OptionList)
        last = str(options.get_option_at_index(options.option_count - 1).prompt)
        assert options.option_count == 4 and last.startswith("... and ") and "more" in last


async def test_the_figures_line_keeps_the_past_year_with_large_counts(tmp_path, monkeypatch):
    """At 80x24 beside the start panel: 'Past year' was cut off once the counts reached two digits."""
    from safedesk.screens import home
    from safedesk.store.dashboard.figures import Figures

    folder = tmp_path / "demo"
    build_demo(folder)
    months = tuple(f"2026-{m:02d}" for m in range(1, 13))
    monkeypatch.setattr(home, "figures", lambda session: Figures(12345, 10234, months, (10000,) * 12))
    app = SafeDeskApp(folder, start="demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        # Wrapped to a second line when it must, never cut.
        assert "Open incidents 12345" in shown and "Overdue 10234" in shown and "Past year" in shown and "120000" in shown


async def test_a_child_protection_file_due_shows_above_account_housekeeping_at_80x24(tmp_path):
    """A trainer on the demo store sees the transfer due without scrolling (it sat below ten account items)."""
    folder = tmp_path / "demo"
    build_demo(folder)
    app = SafeDeskApp(folder, start="demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        options = app.screen.query_one("#attention", OptionList)
        texts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        transfer = next(i for i, text in enumerate(texts) if "Child protection file of" in text)
        first_account = next(i for i, text in enumerate(texts) if "(Facebook Page)" in text or "(X (Twitter))" in text)
        assert transfer < first_account and "transfer due" in texts[transfer]
        assert "action overdue since" in texts[0]
        shown = " ".join(screen_text(app).split())
        assert "Child protection file of" in shown  # on screen at 80x24, not below the fold
