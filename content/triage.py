"""The "What's happening?" flow: a few questions that end on the right playbook(s).

The tree is data (content/triage.toml): nodes with a question and answers; each
answer either leads to another node (`next`) or ends the flow with 1-3 playbook
ids (the first is the main one). Answers may raise flags that the incidents
feature records (e.g. `sexual_imagery_suspected` means: never store the image).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from safedesk.content.errors import ContentError
from safedesk.content.library import Library

TRIAGE_FILE = Path(__file__).parent / "triage.toml"
FLAGS: tuple[str, ...] = (
    "child_at_immediate_risk",
    "sexual_imagery_suspected",
    "allegation_against_staff",
    "credible_threat_or_hate",
    "official_channel_affected",
    "data_breach",
)
MAX_PLAYBOOKS = 3


class TriageError(ContentError):
    """The triage file cannot be read as a tree."""


@dataclass(frozen=True)
class Answer:
    label: str
    next: str | None = None
    playbooks: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    @property
    def ends(self) -> bool:
        return self.next is None


@dataclass(frozen=True)
class Node:
    id: str
    question: str
    help: str
    answers: tuple[Answer, ...]


# One walk through the tree: (node id, index of the answer chosen) per question.
Route = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class TriageTree:
    start: str
    nodes: Mapping[str, Node]
    duplicate_ids: tuple[str, ...] = ()

    def validate(self, library: Library | None = None) -> list[str]:
        """Every problem with the tree, one sentence each; empty when every route ends on playbooks."""
        problems = [f"node id {i!r} is used more than once" for i in self.duplicate_ids]
        if self.start not in self.nodes:
            problems.append(f"start node {self.start!r} does not exist")
        for node in self.nodes.values():
            problems.extend(f"node {node.id!r}: {p}" for p in _node_problems(node, self.nodes, library))
        problems.extend(f"cycle: {' -> '.join(cycle)}" for cycle in self.cycles())
        problems.extend(f"node {i!r} cannot be reached from the start" for i in self.unreachable())
        return problems

    def unreachable(self) -> list[str]:
        seen: set[str] = set()
        stack = [self.start]
        while stack:
            node_id = stack.pop()
            if node_id in seen or node_id not in self.nodes:
                continue
            seen.add(node_id)
            stack.extend(a.next for a in self.nodes[node_id].answers if a.next)
        return [i for i in self.nodes if i not in seen]

    def cycles(self) -> list[list[str]]:
        """Each loop found in the tree, as the node ids around it (first id repeated at the end)."""
        found: list[list[str]] = []
        done: set[str] = set()

        def visit(node_id: str, trail: list[str]) -> None:
            if node_id in trail:
                found.append(trail[trail.index(node_id) :] + [node_id])
                return
            if node_id in done or node_id not in self.nodes:
                return
            for answer in self.nodes[node_id].answers:
                if answer.next:
                    visit(answer.next, [*trail, node_id])
            done.add(node_id)

        for node_id in self.nodes:
            visit(node_id, [])
        return found

    def all_paths(self) -> list[Route]:
        """Every route from the start to an answer that ends the flow (loops are cut short)."""
        routes: list[Route] = []

        def walk(node_id: str, route: Route) -> None:
            node = self.nodes.get(node_id)
            if node is None or any(step[0] == node_id for step in route):
                return
            for i, answer in enumerate(node.answers):
                step = (*route, (node_id, i))
                if answer.next is None:
                    routes.append(step)
                else:
                    walk(answer.next, step)

        walk(self.start, ())
        return routes

    def answer_at(self, step: tuple[str, int]) -> Answer:
        node_id, index = step
        return self.nodes[node_id].answers[index]


def _node_problems(node: Node, nodes: Mapping[str, Node], library: Library | None) -> Iterable[str]:
    if not node.question.strip():
        yield "has no question"
    if not node.answers:
        yield "has no answers (a dead end)"
    for answer in node.answers:
        where = f"answer {answer.label!r}"
        if answer.next is not None and answer.playbooks:
            yield f"{where} has both `next` and `playbooks`"
        elif answer.next is None and not answer.playbooks:
            yield f"{where} has neither `next` nor `playbooks` (a dead end)"
        elif answer.next is not None and answer.next not in nodes:
            yield f"{where} leads to node {answer.next!r}, which does not exist"
        if len(answer.playbooks) > MAX_PLAYBOOKS:
            yield f"{where} names {len(answer.playbooks)} playbooks (at most {MAX_PLAYBOOKS})"
        for flag in answer.flags:
            if flag not in FLAGS:
                yield f"{where} has unknown flag {flag!r}"
        for card_id in answer.playbooks:
            if library is None:
                continue
            if card_id not in library.cards:
                yield f"{where} names playbook {card_id!r}, which does not exist"
            elif library.cards[card_id].kind != "playbook":
                yield f"{where} names {card_id!r}, which is not a playbook"


def parse_tree(text: str, origin: str = "triage.toml") -> TriageTree:
    """Read a tree from TOML text; raises TriageError when it is not shaped like one."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TriageError(f"{origin} is not valid TOML ({error})") from None
    start = data.get("start")
    raw_nodes = data.get("node")
    if not isinstance(start, str) or not isinstance(raw_nodes, list):
        raise TriageError(f'{origin} needs `start = "..."` and at least one [[node]]')
    nodes: dict[str, Node] = {}
    duplicates: list[str] = []
    for raw in raw_nodes:
        node = _node(raw, origin)
        if node.id in nodes:
            duplicates.append(node.id)
        else:
            nodes[node.id] = node
    return TriageTree(start, MappingProxyType(nodes), tuple(duplicates))


def _node(raw: Any, origin: str) -> Node:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise TriageError(f"{origin}: every [[node]] needs an `id` string")
    answers = raw.get("answer", [])
    if not isinstance(answers, list):
        raise TriageError(f"{origin}: node {raw['id']!r} has a malformed `answer` list")
    return Node(
        id=raw["id"],
        question=_text(raw, "question", origin),
        help=_text(raw, "help", origin, required=False),
        answers=tuple(_answer(a, raw["id"], origin) for a in answers),
    )


def _answer(raw: Any, node_id: str, origin: str) -> Answer:
    where = f"{origin}: node {node_id!r}"
    if not isinstance(raw, dict):
        raise TriageError(f"{where} has a malformed answer")
    next_id = raw.get("next")
    if next_id is not None and not isinstance(next_id, str):
        raise TriageError(f"{where}: `next` must be a node id")
    return Answer(
        label=_text(raw, "label", where),
        next=next_id,
        playbooks=_ids(raw, "playbooks", where),
        flags=_ids(raw, "flags", where),
    )


def _text(raw: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    value = raw.get(key, None if required else "")
    if not isinstance(value, str):
        raise TriageError(f"{where}: `{key}` must be a string")
    return value.strip()


def _ids(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TriageError(f"{where}: `{key}` must be a list of ids")
    return tuple(value)


def load_tree(path: Path = TRIAGE_FILE) -> TriageTree:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TriageError(f"cannot read the triage file {path.name} ({error.__class__.__name__})") from None
    return parse_tree(text, path.name)


@cache
def default_tree() -> TriageTree:
    """The triage tree shipped with SafeDesk, read on first use."""
    return load_tree()


# --- walking the tree --------------------------------------------------------------------


@dataclass(frozen=True)
class TriageResult:
    """Where a walk through the tree ended: what the incidents feature starts a record from."""

    playbooks: tuple[str, ...]  # the first is the main one
    flags: tuple[str, ...]  # every flag raised on the way, in order, once each
    answers: tuple[tuple[str, str], ...]  # (question, answer label) as asked and answered

    @property
    def main_playbook(self) -> str:
        return self.playbooks[0]


@dataclass
class TriageSession:
    """One DSL answering the questions; `back()` undoes the last answer."""

    tree: TriageTree
    _route: list[tuple[str, int]] = field(default_factory=list, init=False)

    @property
    def current(self) -> Node | None:
        """The question to ask now, or None once an answer has ended the flow."""
        if self._route and self.tree.answer_at(self._route[-1]).ends:
            return None
        if not self._route:
            return self.tree.nodes[self.tree.start]
        next_id = self.tree.answer_at(self._route[-1]).next
        assert next_id is not None  # an answer that doesn't end names its next node
        return self.tree.nodes[next_id]

    @property
    def done(self) -> bool:
        return self.current is None

    @property
    def can_go_back(self) -> bool:
        return bool(self._route)

    def answer(self, index: int) -> Node | TriageResult:
        """Choose an answer to the current question; returns the next question or the result."""
        node = self.current
        if node is None:
            raise ValueError("the triage has ended; go back to change an answer")
        if not 0 <= index < len(node.answers):
            raise IndexError(f"question {node.id!r} has no answer {index}")
        self._route.append((node.id, index))
        return self.current or self.result()

    def back(self) -> Node:
        """Undo the last answer and return the question it answered (the first one stays put)."""
        if self._route:
            self._route.pop()
        current = self.current
        assert current is not None  # the route no longer ends on a final answer
        return current

    def result(self) -> TriageResult:
        if not self.done:
            raise ValueError("the triage has not reached a playbook yet")
        return route_result(self.tree, tuple(self._route))


def route_result(tree: TriageTree, route: Route) -> TriageResult:
    """The result a route ends on (the session's result; also for replaying a saved triage)."""
    flags: dict[str, None] = {}
    answers = []
    for step in route:
        answer = tree.answer_at(step)
        flags.update(dict.fromkeys(answer.flags))
        answers.append((tree.nodes[step[0]].question, answer.label))
    return TriageResult(tree.answer_at(route[-1]).playbooks, tuple(flags), tuple(answers))
