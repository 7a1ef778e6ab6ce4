"""The guidance browser and triage, driven with Pilot as a DSL would."""

from __future__ import annotations

import pytest
from textual import events
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input, OptionList

from safedesk.app import SafeDeskApp
from safedesk.content.library import default_library
from safedesk.content.triage import TriageResult, default_tree
from safedesk.screens import triage as triage_module
from safedesk.screens.guide import FIRST_TOPICS, KIND_TITLES, GuideScreen, TopicList, _ordered_cards
from safedesk.screens.triage import ResultAction, TriageScreen
from safedesk.widgets.card_view import CardView
from safedesk.widgets.footer import Footer
from tests.kit import SIZE, screen_text, settle


def card_text(app) -> str:  # type: ignore[no-untyped-def]
    return app.screen.query_one(CardView).plain_text()


def list_ids(app, selector: str = "#guide-list") -> list[str]:  # type: ignore[no-untyped-def]
    options = app.screen.query_one(selector, OptionList)
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


async def test_guide_opens_without_a_store_and_shows_a_card_with_sources(store_dir):
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, GuideScreen) and app.session is None
        ids = list_ids(app)
        assert ids[0] is None  # the "Incident playbooks" heading
        assert all(card_id in ids for card_id in default_library().cards)
        first = app.screen.current
        assert first is not None and first.kind == "playbook"
        text = card_text(app)
        assert "Do now" in text and "Sources:" in text
    assert not store_dir.exists()  # browsing guidance creates nothing


async def test_a_wrapped_topic_keeps_its_indent_and_a_card_named_in_a_card_reads_as_its_title(store_dir):
    # Issue 13: wrapped lines keep their indent. A mention of another card reads as that card's
    # title, never as a raw "(card:...)" target, and that card is in the Related list.
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pane = [line[:31].rstrip() for line in screen_text(app).splitlines()[2:-1]]
        headings = set(KIND_TITLES.values())
        topics = [line for line in pane if line.strip() and line.strip() not in headings]
        assert topics and all(line.startswith("   ") for line in topics), topics
        card = app.screen.current
        assert card is not None and "pb-nude-image-of-child" in card.body
        nude = default_library().get("pb-nude-image-of-child")
        text = " ".join(card_text(app).split())
        assert "card:" not in text and nude.title in text
        assert nude in default_library().related(card)


@pytest.mark.parametrize("size", [SIZE, (72, 30), (64, 24)])
async def test_a_wrapped_related_card_keeps_its_indent_at_any_width(store_dir, size):  # type: ignore[no-untyped-def]
    # Issue 13: wrapped lines keep their indent. "→ A nude or sexual image of a child is" goes
    # on under its own text ("  suspected"), not under the arrow, at whatever width the pane has.
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        related = app.screen.query_one("#card-related", OptionList)
        left = related.content_region.x  # the list's first column on the screen (inside its border)
        rows = [line[left : related.content_region.right].rstrip() for line in screen_text(app).splitlines()]
        rows = rows[related.content_region.y : related.content_region.bottom]
        entries = [row for row in rows if row.strip()]
        assert any(row.lstrip().startswith("→ ") for row in entries)
        continued = [row for row in entries if not row.lstrip().startswith("→ ")]
        assert continued, f"no title wraps at {size}: {entries}"
        arrow = next(row for row in entries if row.lstrip().startswith("→ ")).index("→")
        assert all(row.startswith(" " * (arrow + 2)) and row[arrow + 2] != " " for row in continued), entries


async def test_the_first_card_wraps_within_the_columns_its_scrollbar_leaves(store_dir):
    # The first card is opened before the first paint; the scrollbar its length brings takes two
    # columns without a Resize, and no word may end up hidden beneath it.
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.screen.query_one(CardView)
        assert view.show_vertical_scrollbar
        widest = max(len(line) for line in card_text(app).splitlines())
        assert widest <= view.scrollable_content_region.width


async def test_the_first_card_is_rendered_once_as_the_screen_is_laid_out(store_dir, monkeypatch):
    # First paint (issue 13): `safedesk guide` shows the guidance as the app's first screen, and
    # its (long) first card is rendered once, at the width the scrollbar leaves, before the first
    # frame: not on the Resize after it, nor again when the scrollbar comes.
    widths: list[int] = []
    lines_at = CardView._lines_at

    def counted(self, width):  # type: ignore[no-untyped-def]
        widths.append(width)
        return lines_at(self, width)

    monkeypatch.setattr(CardView, "_lines_at", counted)
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert len(app.screen_stack) == 1 and isinstance(app.screen, GuideScreen)
        view = app.screen.query_one(CardView)
        assert view.show_vertical_scrollbar
        assert widths == [view.scrollable_content_region.width]
        await pilot.press("escape")  # with nothing under the guidance, Esc stays in it
        assert isinstance(app.screen, GuideScreen) and app.screen.query_one("#guide-list").has_focus


async def test_the_guide_as_first_screen_is_drawn_with_its_own_style_sheet(store_dir):
    # Textual reads a pushed screen's CSS_PATH, not the default screen's: `safedesk guide` drew
    # its topics full width, with a frame, until the app loaded guide.tcss for it.
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert len(app.screen_stack) == 1
        assert app.screen.query_one("#guide-left").outer_size.width == 32
        assert app.screen.query_one("#guide-list").styles.scrollbar_gutter == "stable"
        await app.push_screen(GuideScreen())  # pushed as usual: its style sheet is not read twice
        await pilot.pause()
        assert [path for path, _ in app.stylesheet.source if path.endswith("guide.tcss")] == [str(GuideScreen().css_path[0])]
        assert app.screen.query_one("#guide-left").outer_size.width == 32


async def test_the_topics_are_measured_once_and_again_only_at_a_new_width(store_dir, monkeypatch):
    # First paint: OptionList forgot every topic's wrapped height on each Resize, and the first one
    # arrives after the first frame at the width already measured: 168 topics measured twice.
    measured: list[int] = []
    update_lines = OptionList._update_lines

    def counted(self):  # type: ignore[no-untyped-def]
        if self.id == "guide-list" and not self._line_cache.lines and self.scrollable_content_region:
            measured.append(self.scrollable_content_region.width)
        update_lines(self)

    monkeypatch.setattr(OptionList, "_update_lines", counted)
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        topics = app.screen.query_one("#guide-list", OptionList)
        assert topics.show_vertical_scrollbar
        assert measured == [topics.scrollable_content_region.width]
        topics.styles.width = 24  # narrower: the topics wrap again, within the new width
        await settle(app, pilot)
        assert topics.scrollable_content_region.width < measured[0]
        assert topics.virtual_size.width == topics.scrollable_content_region.width  # measured anew


def hold_the_rest_of_the_topics(monkeypatch) -> list:  # type: ignore[no-untyped-def]
    """The topics past the first frame's, held back until the test runs what would add them."""
    held: list = []
    call_after_refresh = TopicList.call_after_refresh

    def holding(self, callback, *args, **kwargs):  # type: ignore[no-untyped-def]
        if getattr(callback, "__name__", "") == "complete":
            held.append(callback)
            return True
        return call_after_refresh(self, callback, *args, **kwargs)

    monkeypatch.setattr(TopicList, "call_after_refresh", holding)
    return held


async def test_the_first_frame_has_the_first_topics_and_the_rest_follow_it(store_dir, monkeypatch):
    # First paint: the list measured and laid out all 168 topics before the first frame, which
    # shows about 20 of them; the rest are added right after it, and nothing else moves.
    counts: list[int] = []
    update_lines = OptionList._update_lines

    def counted(self):  # type: ignore[no-untyped-def]
        if self.id == "guide-list" and not counts:
            counts.append(self.option_count)  # the list as the first layout measures it
        update_lines(self)

    monkeypatch.setattr(OptionList, "_update_lines", counted)
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert counts == [FIRST_TOPICS]
        topics = app.screen.query_one("#guide-list", OptionList)
        assert [i for i in list_ids(app) if i] == _ordered_cards()  # every topic, in order, once
        assert topics.highlighted is None and topics.scroll_y == 0 and app.screen.focused is topics


async def test_keys_pressed_before_the_rest_of_the_topics_came_move_over_all_of_them(store_dir, monkeypatch):
    held = hold_the_rest_of_the_topics(monkeypatch)
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        topics = app.screen.query_one("#guide-list", OptionList)
        assert held and topics.option_count == FIRST_TOPICS  # the rest not come yet
        await pilot.press("end")
        await settle(app, pilot)
        assert topics.highlighted == topics.option_count - 1
        assert topics.get_option_at_index(topics.highlighted).id == _ordered_cards()[-1]
        held[0]()  # the rest arriving late adds nothing twice
        await settle(app, pilot)
        assert [i for i in list_ids(app) if i] == _ordered_cards()


async def test_up_pressed_before_the_rest_of_the_topics_came_lands_on_the_last_of_all(store_dir, monkeypatch):
    held = hold_the_rest_of_the_topics(monkeypatch)
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        topics = app.screen.query_one("#guide-list", OptionList)
        assert held and topics.option_count == FIRST_TOPICS
        await pilot.press("up")  # from no highlight: the last of all
        await settle(app, pilot)
        assert topics.get_option_at_index(topics.highlighted).id == _ordered_cards()[-1]


async def test_a_search_typed_before_the_rest_of_the_topics_came_finds_cards(store_dir, monkeypatch):
    held = hold_the_rest_of_the_topics(monkeypatch)
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"nudes")
        await settle(app, pilot)
        results = list_ids(app)
        assert results and len(results) < FIRST_TOPICS and "pb-nude-image-of-child" in results
        held[0]()
        await pilot.press("escape")  # the search cleared: every topic again, each once
        await settle(app, pilot)
        assert [i for i in list_ids(app) if i] == _ordered_cards()


async def test_a_search_begun_by_mouse_before_the_rest_of_the_topics_came_keeps_its_results(store_dir, monkeypatch):
    held = hold_the_rest_of_the_topics(monkeypatch)
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.click("#guide-query")  # no key through the topic list: the rest still held
        await pilot.press(*"nudes")
        await settle(app, pilot)
        results = list_ids(app)
        assert results and len(results) < FIRST_TOPICS and "pb-nude-image-of-child" in results
        held[0]()  # the rest of the topics would have come now: not into the results
        await settle(app, pilot)
        assert list_ids(app) == results
        await pilot.press("escape")  # the search cleared: every topic again
        await settle(app, pilot)
        assert [i for i in list_ids(app) if i] == _ordered_cards()


async def test_the_theme_is_set_without_restyling_the_whole_app(store_dir, monkeypatch):
    # Setting App.theme in __init__ queued a full restyle (every style sheet parsed again and
    # applied to the whole app) that ran before the guide's first frame.
    restyles: list[bool] = []
    refresh_css = App.refresh_css
    monkeypatch.setattr(App, "refresh_css", lambda self, animate=True: restyles.append(animate) or refresh_css(self, animate))
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert restyles == []
        assert app.theme == "safedesk" and app.current_theme.name == "safedesk"
        assert {"-theme-safedesk", "-dark-mode"} <= set(app.classes) and "-light-mode" not in app.classes
        assert app.stylesheet._variables == app.get_css_variables()


async def test_a_resize_to_the_size_the_guide_is_laid_out_at_lays_nothing_out_again(store_dir, monkeypatch):
    resized: list[tuple[int, int]] = []
    screen_resized = Screen._screen_resized

    def counted(self, size):  # type: ignore[no-untyped-def]
        resized.append(tuple(size))
        screen_resized(self, size)

    monkeypatch.setattr(Screen, "_screen_resized", counted)
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        resized.clear()
        app.screen.post_message(events.Resize(app.screen.size, app.screen.size))  # as Textual sends at start
        await settle(app, pilot)
        assert resized == []
        await pilot.resize_terminal(100, 30)  # a real new size is laid out and the card wrapped anew
        await settle(app, pilot)
        assert resized == [(100, 30)]
        card = app.screen.query_one(CardView)
        assert card.virtual_size.width == card.scrollable_content_region.width


async def test_the_footer_follows_the_keys_the_guide_offers(store_dir):
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        footer = app.screen.query_one(Footer)

        def back_key_shown() -> bool:
            return any(key.action == "back" for key in footer.keys)

        assert back_key_shown() and "Previous card" in screen_text(app).splitlines()[-1]
        await pilot.press("slash")  # letters are text in the search box: its shortcuts turn off
        await settle(app, pilot)
        assert not back_key_shown() and "Previous card" not in screen_text(app).splitlines()[-1]
        await pilot.press("escape")  # back to the topics: the same keys as at first
        await settle(app, pilot)
        assert back_key_shown() and "Previous card" in screen_text(app).splitlines()[-1]


def computed_styles(app: App[object]) -> dict[int, tuple[str, str, str, tuple[str, ...]]]:
    """Every widget's styles on the screen as Textual computed them, its components' included."""
    return {
        id(node): (
            repr(node),
            node.styles.css,
            str(node.rich_style),
            tuple(str(node.get_component_rich_style(name)) for name in sorted(node.COMPONENT_CLASSES)),
        )
        for node in app.screen.walk_children(with_self=True)
    }


@pytest.mark.parametrize("first", [True, False], ids=["first-screen", "pushed"])
async def test_the_guide_shown_without_a_second_restyle_looks_as_restyled(store_dir, first):  # type: ignore[no-untyped-def]
    # GuideScreen.on_screen_resume spares the restyle Textual makes as a screen is first shown:
    # the styles each widget got as it was mounted must be what that restyle would give.
    app = SafeDeskApp(store_dir, start="guide" if first else "home")
    async with app.run_test(size=SIZE) as pilot:
        if not first:
            await pilot.pause()
            app.action_guide()
        await settle(app, pilot)
        assert isinstance(app.screen, GuideScreen)
        shown = computed_styles(app)
        app.screen.update_node_styles(animate=False)
        await settle(app, pilot)
        assert computed_styles(app) == shown


async def test_live_search_corrects_spelling_and_opens_the_top_hit(store_dir):
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"sextng")
        assert app.screen.query_one("#guide-query", Input).has_focus
        assert list_ids(app)[0] == "pb-nude-image-of-child"
        assert "sexting" in str(app.screen.query_one("#guide-notice").render())
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.current.id == "pb-nude-image-of-child"
        assert "never" in card_text(app).lower()
        await pilot.press("escape")  # clears the search and shows the topics again
        assert app.screen.query_one("#guide-query", Input).value == ""
        assert len(list_ids(app)) > len(default_library().cards)


async def test_markup_typed_into_search_is_just_text(store_dir):
    typed = "[@click=app.quit]x[/] [bold"
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *typed)
        await pilot.pause()
        assert typed in screen_text(app)  # shown with its brackets, as typed: not styled, not a link
        assert list_ids(app)  # and searched for like any other words
        await pilot.click("#guide-query")  # a click on it runs no action hidden in the text
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, GuideScreen)
        assert app.screen.current is not None and typed in screen_text(app)


async def test_history_and_related_cards(store_dir):
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.open_card("pb-fake-account")
        screen.open_card("pb-account-hacked")
        await pilot.pause()
        await pilot.press("b")
        assert screen.current.id == "pb-fake-account"
        await pilot.press("f")
        assert screen.current.id == "pb-account-hacked"
        await pilot.press("r")
        related = screen.query_one("#card-related", OptionList)
        assert related.has_focus and related.option_count == len(default_library().related(screen.current))
        target = related.get_option_at_index(0).id
        await pilot.press("enter")
        await pilot.pause()
        assert screen.current.id == target


async def test_guide_from_the_palette_opens_a_card(store_dir):
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *"journo rang")
        await settle(app, pilot)  # the palette searches in a worker
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GuideScreen) and app.screen.current.id == "pb-media-contact"


async def test_every_triage_route_reaches_its_playbook_through_the_keys(store_dir):
    tree = default_tree()
    routes = tree.all_paths()
    assert routes
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for route in routes:
            await pilot.press("ctrl+t")
            screen = app.screen
            assert isinstance(screen, TriageScreen)
            for _node, index in route:
                await pilot.press(str(index + 1))
            expected = tree.answer_at(route[-1]).playbooks
            assert screen.result is not None and screen.result.playbooks == expected
            title = default_library().get(expected[0]).title
            assert title in str(screen.query_one("#triage-question").render())
            assert "DO NOW" in str(screen.query_one("#triage-result").render())
            await pilot.press("escape")


async def test_triage_back_and_open_playbook(store_dir):
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+t", "2")
        screen = app.screen
        second = str(screen.query_one("#triage-question").render())
        await pilot.press("backspace")
        assert str(screen.query_one("#triage-question").render()) != second
        await pilot.press("1", "1")  # someone in danger now; a sexual image may be involved
        assert screen.result.main_playbook == "pb-child-immediate-risk"
        assert {"child_at_immediate_risk", "sexual_imagery_suspected"} <= set(screen.result.flags)
        await pilot.press("1")  # open the full playbook
        await pilot.pause()
        assert isinstance(app.screen, GuideScreen) and app.screen.current.id == "pb-child-immediate-risk"


async def test_result_actions_hook_offers_and_runs_a_next_step(store_dir, monkeypatch):
    started: list[TriageResult] = []
    action = ResultAction("Start an incident record", lambda app, result: started.append(result))
    monkeypatch.setattr(triage_module, "RESULT_ACTIONS", [action])
    app = SafeDeskApp(store_dir, start="guide")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+t", "1", "1")
        answers = app.screen.query_one("#triage-answers", OptionList)
        labels = [str(answers.get_option_at_index(i).prompt) for i in range(answers.option_count)]
        assert any("Start an incident record" in label for label in labels)
        await pilot.press(str(len(labels)))
        assert started and started[0].main_playbook == "pb-child-immediate-risk"
