"""The triage tree: parsing, validation, every route, and the session the TUI drives."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safedesk.content.library import Library, default_library
from safedesk.content.triage import (
    FLAGS,
    IMAGERY_FLAG,
    NUDE_IMAGE_PLAYBOOK,
    Route,
    TriageError,
    TriageResult,
    TriageSession,
    default_tree,
    parse_tree,
    route_result,
)
from tests.kit import write_card

TREE = """
start = "risk"

[[node]]
id = "risk"
question = "Is a child in danger right now?"
help = "Danger means harm could happen before you finish reading."
imagery = true
  [[node.answer]]
  label = "Yes"
  playbooks = ["pb-risk"]
  flags = ["child_at_immediate_risk"]
  [[node.answer]]
  label = "No, or not sure"
  next = "channel"

[[node]]
id = "channel"
question = "Is it on one of the school's own accounts?"
  [[node.answer]]
  label = "Yes"
  next = "who"
  flags = ["official_channel_affected"]
  [[node.answer]]
  label = "No"
  next = "who"

[[node]]
id = "who"
question = "Do you know who posted it?"
  [[node.answer]]
  label = "A parent"
  playbooks = ["pb-parent", "pb-complaint"]
  [[node.answer]]
  label = "Unknown"
  playbooks = ["pb-anonymous"]
  flags = ["credible_threat_or_hate", "official_channel_affected"]
"""


@pytest.fixture
def library(tmp_path: Path) -> Library:
    for card_id in ("pb-risk", "pb-parent", "pb-complaint", "pb-anonymous"):
        write_card(tmp_path, card_id, kind="playbook")
    write_card(tmp_path, "guide-not-a-playbook")
    return Library.from_dir(tmp_path)


def test_a_sound_tree_validates(library: Library) -> None:
    tree = parse_tree(TREE)
    assert tree.validate(library) == []
    assert tree.nodes["risk"].help.startswith("Danger means")
    assert tree.nodes["channel"].help == ""


def test_all_paths_lists_every_route_to_a_playbook() -> None:
    tree = parse_tree(TREE)
    routes = tree.all_paths()
    assert len(routes) == 5  # yes; then 2 channel answers x 2 poster answers
    assert routes[0] == (("risk", 0),)
    assert all(tree.answer_at(route[-1]).playbooks for route in routes)


def test_route_result_accumulates_flags_once_in_order() -> None:
    tree = parse_tree(TREE)
    result = route_result(tree, (("risk", 1), ("channel", 0), ("who", 1)))
    assert result.playbooks == ("pb-anonymous",)
    assert result.flags == ("official_channel_affected", "credible_threat_or_hate")
    assert result.answers == (
        ("Is a child in danger right now?", "No, or not sure"),
        ("Is it on one of the school's own accounts?", "Yes"),
        ("Do you know who posted it?", "Unknown"),
    )


def test_session_answers_goes_back_and_ends_on_a_result() -> None:
    session = TriageSession(parse_tree(TREE))
    assert session.current is not None and session.current.id == "risk"
    assert not session.can_go_back
    assert session.back().id == "risk"  # nothing to undo: stays on the first question
    nxt = session.answer(1)
    assert not isinstance(nxt, TriageResult) and nxt.id == "channel"
    session.answer(1)
    result = session.answer(0)
    assert isinstance(result, TriageResult)
    assert session.done and session.current is None
    assert result.main_playbook == "pb-parent"
    assert result.playbooks == ("pb-parent", "pb-complaint")
    assert result.flags == ()
    assert session.result() == result
    assert session.back().id == "who"
    assert not session.done
    with pytest.raises(ValueError):
        session.result()
    assert isinstance(session.answer(1), TriageResult)
    with pytest.raises(ValueError):
        session.answer(0)


def test_session_refuses_an_answer_that_does_not_exist() -> None:
    session = TriageSession(parse_tree(TREE))
    with pytest.raises(IndexError):
        session.answer(2)
    with pytest.raises(IndexError):
        session.answer(-1)


def test_a_cycle_is_reported() -> None:
    tree = parse_tree(TREE.replace('label = "No"\n  next = "who"', 'label = "No"\n  next = "risk"'))
    problems = tree.validate()
    assert "cycle: risk -> channel -> risk" in problems
    assert all(tree.answer_at(route[-1]).playbooks for route in tree.all_paths())


def test_a_dangling_next_is_reported() -> None:
    problems = parse_tree(TREE.replace('next = "channel"', 'next = "nowhere"')).validate()
    assert "node 'risk': answer 'No, or not sure' leads to node 'nowhere', which does not exist" in problems
    assert "node 'channel' cannot be reached from the start" in problems


def test_unknown_and_wrong_kind_playbooks_are_reported(library: Library) -> None:
    text = TREE.replace('"pb-anonymous"]', '"pb-ghost"]').replace('["pb-risk"]', '["guide-not-a-playbook"]')
    problems = parse_tree(text).validate(library)
    assert "node 'who': answer 'Unknown' names playbook 'pb-ghost', which does not exist" in problems
    assert "node 'risk': answer 'Yes' names 'guide-not-a-playbook', which is not a playbook" in problems


def test_dead_ends_bad_flags_and_duplicates_are_reported() -> None:
    text = TREE.replace('flags = ["child_at_immediate_risk"]', 'flags = ["panic"]')
    text = text.replace('  label = "No"\n  next = "who"\n', '  label = "No"\n')
    text += '\n[[node]]\nid = "who"\nquestion = "Again?"\n'
    text += '\n[[node]]\nid = "empty"\nquestion = "Nothing to answer"\n'
    text = text.replace('  label = "A parent"\n', '  label = "A parent"\n  next = "risk"\n')
    problems = parse_tree(text).validate()
    assert "node id 'who' is used more than once" in problems
    assert "node 'risk': answer 'Yes' has unknown flag 'panic'" in problems
    assert "node 'channel': answer 'No' has neither `next` nor `playbooks` (a dead end)" in problems
    assert "node 'who': answer 'A parent' has both `next` and `playbooks`" in problems
    assert "node 'empty': has no answers (a dead end)" in problems
    assert "node 'empty' cannot be reached from the start" in problems


def test_missing_start_and_too_many_playbooks_are_reported() -> None:
    text = TREE.replace('start = "risk"', 'start = "begin"').replace('["pb-risk"]', '["a", "b", "c", "d"]')
    problems = parse_tree(text).validate()
    assert "start node 'begin' does not exist" in problems
    assert "node 'risk': answer 'Yes' names 4 playbooks (at most 3)" in problems


@pytest.mark.parametrize(
    "text",
    ["start = ", 'node = "x"', 'start = "a"\n[[node]]\nquestion = "q"\n', 'start = "a"\n[[node]]\nid = "a"\n'],
)
def test_malformed_files_raise_triage_error(text: str) -> None:
    with pytest.raises(TriageError):
        parse_tree(text)


# --- the shipped tree --------------------------------------------------------------------


def test_shipped_tree_validates_against_the_shipped_cards() -> None:
    assert default_tree().validate(default_library()) == []


def test_every_shipped_route_reaches_a_playbook() -> None:
    tree = default_tree()
    library = default_library()
    routes = tree.all_paths()
    assert routes
    for route in routes:
        result = route_result(tree, route)
        assert 1 <= len(result.playbooks) <= 3
        assert all(library.get(card_id).kind == "playbook" for card_id in result.playbooks)
        assert set(result.flags) <= set(FLAGS)


def test_shipped_tree_asks_the_key_questions_first() -> None:
    tree = default_tree()
    first = tree.nodes[tree.start]
    yes = first.answers[0]
    # Danger now: one more question (is an image involved?), then the immediate-risk playbook.
    assert yes.next is not None and tree.nodes[yes.next].imagery
    image_yes, image_no = tree.nodes[yes.next].answers
    assert "child_at_immediate_risk" in image_yes.flags and image_yes.playbooks[0] == "pb-child-immediate-risk"
    assert image_no.next is not None
    assert all(len(route) <= 3 for route in tree.all_paths() if route[0] == (tree.start, 0))
    assert max(len(route) for route in tree.all_paths()) <= 8


# --- safety rules ------------------------------------------------------------------------


def test_a_route_that_never_asks_about_images_is_reported() -> None:
    tree = parse_tree(TREE.replace("imagery = true\n", ""))
    assert any("never asks about a sexual image of a child" in p for p in tree.validate())


def test_a_nude_image_route_without_the_imagery_flag_is_reported() -> None:
    text = TREE.replace('playbooks = ["pb-anonymous"]', f'playbooks = ["{NUDE_IMAGE_PLAYBOOK}"]')
    problems = parse_tree(text).validate()
    assert f"route risk[2] -> channel[1] -> who[2] reaches {NUDE_IMAGE_PLAYBOOK} without the {IMAGERY_FLAG} flag" in problems
    flagged = text.replace('flags = ["credible_threat_or_hate", "official_channel_affected"]', f'flags = ["{IMAGERY_FLAG}"]')
    assert not any(NUDE_IMAGE_PLAYBOOK in p for p in parse_tree(flagged).validate())


def test_imagery_must_be_true_or_false() -> None:
    with pytest.raises(TriageError):
        parse_tree(TREE.replace("imagery = true", 'imagery = "yes"'))


# --- the shipped tree: every path, and the scenarios the issue names ----------------------

SHIPPED_ROUTES = default_tree().all_paths()
# What each flag promises the incident record: the playbook that handles it is returned too.
FLAG_PLAYBOOKS = {
    "child_at_immediate_risk": {"pb-child-immediate-risk"},
    "sexual_imagery_suspected": {NUDE_IMAGE_PLAYBOOK},
    "allegation_against_staff": {"pb-allegation-against-staff"},
    "credible_threat_or_hate": {"pb-threat-or-hate", "pb-threat-to-school"},
    "official_channel_affected": {"pb-complaint-on-official-channel", "pb-account-hacked", "pb-photo-without-consent"},
    "data_breach": {"pb-staff-data-breach", "pb-photo-without-consent"},
}


def walk(*labels: str) -> TriageResult:
    """Answer the shipped tree by answer labels, as a DSL would read them."""
    session = TriageSession(default_tree())
    outcome: object = None
    for label in labels:
        node = session.current
        assert node is not None, f"the flow ended before {label!r}"
        outcome = session.answer([a.label for a in node.answers].index(label))
    assert isinstance(outcome, TriageResult), f"{labels} did not end the flow"
    return outcome


def _path_id(route: Route) -> str:
    return " > ".join(default_tree().answer_at(step).label for step in route)


@pytest.mark.parametrize("route", SHIPPED_ROUTES, ids=[_path_id(r) for r in SHIPPED_ROUTES])
def test_every_shipped_path_keeps_its_promises(route: Route) -> None:
    tree = default_tree()
    result = route_result(tree, route)
    assert any(tree.nodes[node_id].imagery for node_id, _ in route), "never asks about a sexual image"
    for flag in result.flags:
        assert FLAG_PLAYBOOKS[flag] & set(result.playbooks), f"{flag} raised without its playbook"
    if NUDE_IMAGE_PLAYBOOK in result.playbooks:
        assert IMAGERY_FLAG in result.flags
    # A flag the answers raise is never one the route contradicted by answering "No" to its question.
    answered_no_image = any(
        tree.nodes[node_id].imagery and tree.answer_at((node_id, index)).label == "No" for node_id, index in route
    )
    assert not (answered_no_image and IMAGERY_FLAG in result.flags)


@given(st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=12))
def test_no_walk_reaches_the_nude_image_playbook_without_the_imagery_flag(choices: list[int]) -> None:
    # Any sequence of answers (taken modulo each question's answer count) is a walk a user could make.
    session = TriageSession(default_tree())
    result = None
    for choice in choices:
        node = session.current
        if node is None:
            break
        outcome = session.answer(choice % len(node.answers))
        result = outcome if isinstance(outcome, TriageResult) else None
    if result is not None and NUDE_IMAGE_PLAYBOOK in result.playbooks:
        assert IMAGERY_FLAG in result.flags


def test_sextortion_raises_both_flags_and_returns_both_playbooks_on_either_branch() -> None:
    for result in (
        walk("Yes", "Yes, or it might be"),
        walk("No, or not sure", "Yes, or it might be", "Someone is blackmailing a child with it"),
    ):
        assert {"child_at_immediate_risk", IMAGERY_FLAG} <= set(result.flags)
        assert {"pb-child-immediate-risk", NUDE_IMAGE_PLAYBOOK} <= set(result.playbooks)


def test_a_danger_now_answer_still_asks_about_images() -> None:
    session = TriageSession(default_tree())
    nxt = session.answer(0)  # "Yes": someone is in danger now
    assert not isinstance(nxt, TriageResult) and nxt.imagery


def test_staff_who_received_an_image_are_not_the_subject_of_an_allegation() -> None:
    received = walk("No, or not sure", "Yes, or it might be", "A member of staff received it from a pupil")
    assert IMAGERY_FLAG in received.flags and "allegation_against_staff" not in received.flags
    made = walk("No, or not sure", "Yes, or it might be", "A member of staff made, asked for, kept or shared it")
    assert {IMAGERY_FLAG, "allegation_against_staff"} <= set(made.flags)
    assert "pb-allegation-against-staff" in made.playbooks


NO_DANGER_NO_IMAGE_NO_STAFF = ("No, or not sure", "No", "No")


@pytest.mark.parametrize(
    ("labels", "playbook"),
    [
        (("A pupil, or pupils", "Hate or threats because of who they are"), "pb-pupil-cyberbullying"),
        (("A pupil, or pupils", "An anonymous page or account about pupils"), "pb-pupil-cyberbullying"),
        (("A pupil, or pupils", "An adult is contacting them (grooming)"), "pb-online-grooming"),
        (("A pupil, or pupils", "Self-harm or suicide posts or content"), "pb-self-harm-suicide"),
        (("A pupil, or pupils", "Drawn to extremist or terrorist content"), "pb-radicalisation-terrorist-content"),
        (("A pupil, or pupils", "Their own account was hacked"), "pb-pupil-account-hacked"),
        (("The school: its name, accounts or site", "A threat to the school or people on site"), "pb-threat-to-school"),
        (("The school: its name, accounts or site", "Pupil or staff data was leaked"), "pb-staff-data-breach"),
        (("A member of staff", "Threats of violence or hate"), "pb-threat-or-hate"),
        (("Nobody in particular, or not sure", "Extremist or terrorist content"), "pb-radicalisation-terrorist-content"),
    ],
)
def test_the_target_routes_reach_their_playbooks(labels: tuple[str, ...], playbook: str) -> None:
    result = walk(*NO_DANGER_NO_IMAGE_NO_STAFF, *labels)
    assert result.main_playbook == playbook


def test_a_staff_data_breach_is_a_conduct_route_with_its_flag() -> None:
    result = walk("No, or not sure", "No", "Yes: pupil or family data was leaked")
    assert result.playbooks == ("pb-staff-data-breach",) and result.flags == ("data_breach",)


def test_danger_now_routes_for_self_harm_meetings_and_threats() -> None:
    assert walk("Yes", "No", "A child may harm themselves").main_playbook == "pb-self-harm-suicide"
    assert walk("Yes", "No", "A child may meet or go off with someone").main_playbook == "pb-child-immediate-risk"
    assert walk("Yes", "No", "A threat to attack the school or people on site").main_playbook == "pb-threat-to-school"
