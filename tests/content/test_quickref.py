"""The quick reference tells the truth: its keys are the app's bindings, its questions the triage tree's."""

from __future__ import annotations

from typing import Any

import pytest

from safedesk.content.quickref import KEYS, SECTIONS, quick_reference_markdown
from safedesk.content.triage import default_tree
from safedesk.store.text.markdown import check_markdown


def _bindings(where: str) -> list[Any]:
    from safedesk.app import SafeDeskApp
    from safedesk.screens.home import HomeScreen
    from safedesk.screens.incidents.detail import IncidentDetailScreen
    from safedesk.screens.keys import KeysScreen
    from safedesk.screens.triage import TriageScreen
    from safedesk.widgets.forms import Form

    owner = {
        "app": SafeDeskApp,
        "form": Form,
        "home": HomeScreen,
        "incident": IncidentDetailScreen,
        "triage": TriageScreen,
        "keys": KeysScreen,
    }
    return list(owner[where].BINDINGS)


@pytest.mark.parametrize("row", KEYS, ids=lambda row: f"{row.where}-{row.key}")
def test_every_key_on_the_sheet_is_a_real_binding_with_that_name(row):
    names = {binding.key: binding.description for binding in _bindings(row.where)}
    assert names.get(row.key) == row.name, f"{row.where}: {row.key} is {names.get(row.key)!r} in the app"


def test_sheet_lists_every_section_and_the_triage_questions_in_order():
    markdown = quick_reference_markdown("Oak Primary", 7)
    check_markdown(markdown, headings=("Keys", "Lock", "Triage: what SafeDesk asks (Ctrl+T)"))
    assert markdown.startswith("# SafeDesk quick reference: Oak Primary")
    assert "after 7 idle minute(s)" in markdown and "Call 999 first" in markdown
    assert all(f"| {heading} |" in markdown for _, heading in SECTIONS)
    tree = default_tree()
    first = tree.nodes[tree.start].question
    questions = [line for line in markdown.splitlines() if line[:3] in {f"{n}. " for n in range(1, 10)}]
    assert questions[0] == f"1. **{first}** (Yes / No, or not sure)"
    assert len(questions) == 4 and "Who is harmed or targeted?" in questions[-1]
    # Every question a DSL meets before the branching asks about an image of a child early on.
    assert any(node.imagery and node.question in markdown for node in tree.nodes.values())


def test_sheet_follows_a_changed_tree():
    from safedesk.content.triage import parse_tree

    tree = parse_tree(
        """
start = "one"
[[node]]
id = "one"
question = "A new first question?"
help = "Help text."
imagery = true
  [[node.answer]]
  label = "Yes"
  playbooks = ["pb-a"]
  [[node.answer]]
  label = "No"
  playbooks = ["pb-b"]
"""
    )
    markdown = quick_reference_markdown(tree=tree)
    assert "1. **A new first question?** (Yes / No)" in markdown and "2. " not in markdown
