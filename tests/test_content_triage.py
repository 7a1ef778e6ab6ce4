"""The triage tree: parsing, validation, every route, and the session the TUI drives."""

from __future__ import annotations

from pathlib import Path

import pytest

from safedesk.content.library import Library, default_library
from safedesk.content.triage import (
    FLAGS,
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
    # A child in danger now must end the flow at once, on the immediate-risk playbook.
    assert "child_at_immediate_risk" in yes.flags and yes.playbooks
    assert max(len(route) for route in tree.all_paths()) <= 8
