"""Triage, "What's happening?": a few questions that end on the right playbook(s).

The questions and where each answer leads are data (content/triage.toml). The
result shows the main playbook's first steps; other features can offer their
own next step from it (the incidents feature starts a record) by adding to
RESULT_ACTIONS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from safedesk.content.library import default_library
from safedesk.content.triage import TriageResult, TriageSession, default_tree
from safedesk.router import opener
from safedesk.widgets.common import plain
from safedesk.widgets.footer import Footer
from safedesk.widgets.host import host

STEP_SECTIONS = ("Do now", "Do not", "Escalate")


@dataclass(frozen=True)
class ResultAction:
    """Something a feature offers at the end of triage; `available` hides it when it cannot run."""

    label: str
    run: Callable[[App, TriageResult], None]
    available: Callable[[App], bool] = lambda app: True


def _start_incident(app: App, result: TriageResult) -> None:
    opener("incident-from-triage")(app, result)


RESULT_ACTIONS: list[ResultAction] = [
    ResultAction("Start an incident record from this", _start_incident, lambda app: getattr(app, "session", None) is not None),
]


class TriageScreen(Screen[None]):
    SUB_TITLE = "What's happening?"  # the header names the screen
    CSS_PATH = "triage.tcss"
    AUTO_FOCUS = "#triage-answers"
    BINDINGS = [
        Binding("escape", "leave", "Leave", tooltip="Close triage", id="triage-leave"),
        Binding("backspace,left", "back", "Back a question", tooltip="Change the last answer", id="triage-back"),
        *[Binding(str(n), f"pick({n})", show=False, id=f"triage-{n}") for n in range(1, 10)],
    ]

    def __init__(self) -> None:
        super().__init__()
        self.flow = TriageSession(default_tree())
        self.result: TriageResult | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="triage"):
            yield Static("", id="triage-step", markup=False)
            yield Static("", id="triage-question", markup=False)
            yield Static("", id="triage-help", markup=False)
            with VerticalScroll(id="triage-steps"):
                yield Static("", id="triage-result", markup=False)
            yield OptionList(id="triage-answers")
            yield Static("Number keys answer · Backspace: back a question · Esc: leave", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "What's happening?"
        self._show_question()

    def _show_question(self) -> None:
        node = self.flow.current
        assert node is not None
        self.result = None
        asked = len(self.flow._route) + 1  # noqa: SLF001 - the route length is the question number
        self.query_one("#triage-step", Static).update(plain(f"Question {asked}"))
        self.query_one("#triage-question", Static).update(plain(node.question))
        self.query_one("#triage-help", Static).update(plain(node.help))
        self.query_one("#triage-steps").display = False
        answers = self.query_one("#triage-answers", OptionList)
        answers.clear_options()
        answers.add_options(Option(plain(f"{i}  {a.label}"), id=f"answer-{i - 1}") for i, a in enumerate(node.answers, 1))
        answers.highlighted = 0
        answers.focus()

    def _show_result(self, result: TriageResult) -> None:
        self.result = result
        library = default_library()
        main = library.get(result.main_playbook)
        self.query_one("#triage-step", Static).update(plain("Steps to take"))
        self.query_one("#triage-question", Static).update(plain(main.title))
        self.query_one("#triage-help", Static).update(plain(main.summary))
        sections = main.sections()
        lines: list[str] = []
        for name in STEP_SECTIONS:
            if sections.get(name):
                lines.append(name.upper())
                lines.extend(f"  - {step}" for step in sections[name])
                lines.append("")
        self.query_one("#triage-result", Static).update(plain("\n".join(lines).rstrip()))
        self.query_one("#triage-steps").display = True
        answers = self.query_one("#triage-answers", OptionList)
        answers.clear_options()
        choices = [Option(plain(f"1  Open the full playbook: {main.title}"), id=f"card:{main.id}")]
        for other in result.playbooks[1:]:
            choices.append(Option(plain(f"{len(choices) + 1}  Also read: {library.get(other).title}"), id=f"card:{other}"))
        for index, action in enumerate(RESULT_ACTIONS):
            if action.available(self.app):
                choices.append(Option(plain(f"{len(choices) + 1}  {action.label}"), id=f"action:{index}"))
        answers.add_options(choices)
        answers.highlighted = 0

    @on(OptionList.OptionSelected, "#triage-answers")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id or "")

    def action_pick(self, number: int) -> None:
        answers = self.query_one("#triage-answers", OptionList)
        if 1 <= number <= answers.option_count:
            self._choose(answers.get_option_at_index(number - 1).id or "")

    def _choose(self, option_id: str) -> None:
        if option_id.startswith("answer-"):
            outcome = self.flow.answer(int(option_id.removeprefix("answer-")))
            if isinstance(outcome, TriageResult):
                self._show_result(outcome)
            else:
                self._show_question()
        elif option_id.startswith("card:"):
            host(self.app).action_guide(option_id.removeprefix("card:"))
        elif option_id.startswith("action:") and self.result is not None:
            RESULT_ACTIONS[int(option_id.removeprefix("action:"))].run(self.app, self.result)

    def action_back(self) -> None:
        if self.flow.can_go_back:
            self.flow.back()
            self._show_question()

    def action_leave(self) -> None:
        self.dismiss()
