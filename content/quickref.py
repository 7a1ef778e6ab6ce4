"""The one-page quick reference: keys, locking and the triage questions, as Markdown to print.

The keys are the app's own: each row names the screen and the key of a real binding, and
`tests/content/test_quickref.py` fails when a binding's key or name changes without this table
(content cannot import Textual, so the table is kept here and checked there). The triage steps are
read from the triage tree itself, so the sheet asks the questions in the order the app does.
"""

from __future__ import annotations

from dataclasses import dataclass

from safedesk.content.triage import Node, TriageTree, default_tree


@dataclass(frozen=True)
class KeyRow:
    where: str  # the screen whose binding this is: "app", "form", "home", "incident", "triage", "keys"
    key: str  # the binding's key, as Textual names it
    shown: str  # how the sheet writes it
    name: str  # the binding's description, as the footer shows it
    what: str  # a few words more for paper, where the footer's word is not enough


KEYS: tuple[KeyRow, ...] = (
    KeyRow("app", "ctrl+l", "Ctrl+L", "Lock", "blank the screen at once (someone walks up); your passphrase brings it back"),
    KeyRow("app", "ctrl+t", "Ctrl+T", "What's happening?", "triage: a few questions, then the steps to take"),
    KeyRow("app", "ctrl+g", "Ctrl+G", "Guidance", "browse and search the guidance cards"),
    KeyRow("app", "f1", "F1", "Help", "every key on the screen you are on"),
    KeyRow("app", "ctrl+q", "Ctrl+Q", "Quit", "close SafeDesk; everything saved is kept"),
    KeyRow("form", "ctrl+s", "Ctrl+S", "Save", "save the form (Enter in the last field too)"),
    KeyRow("form", "escape", "Esc", "Cancel", "close without saving (asks first if you changed something)"),
    KeyRow("home", "n", "n", "New incident", "record a new incident"),
    KeyRow("home", "i", "i", "Incidents", "the incident list"),
    KeyRow("home", "p", "p", "Can I post?", "check a pupil's image consent before posting"),
    KeyRow("home", "a", "a", "Accounts", "the official accounts register"),
    KeyRow("home", "r", "r", "Reports", "reports for the LADO, the police, governors"),
    KeyRow("home", "h", "h", "Handover", "send or receive records, encrypted"),
    KeyRow("home", "s", "s", "Settings", "the setting's name, auto-lock, local contacts; F4 there: keys"),
    KeyRow("incident", "t", "t", "Note", "a dated note in the chronology"),
    KeyRow("incident", "a", "a", "Action", "an action with an owner and a due date"),
    KeyRow("incident", "x", "x", "Done", "tick the selected action (timestamped)"),
    KeyRow("incident", "e", "e", "Escalate", "record a call or referral (police, LADO, social care)"),
    KeyRow("incident", "d", "d", "Describe", "evidence as a description only (always for a sexual image of a child)"),
    KeyRow("incident", "f", "f", "File", "an evidence file, kept encrypted and hashed"),
    KeyRow("incident", "m", "m", "Amend", "correct the record; the reason is kept"),
    KeyRow("incident", "c", "c", "Status", "open, monitoring or closed (with the outcome)"),
    KeyRow("triage", "backspace,left", "Backspace", "Back a question", "change the last answer"),
    KeyRow("keys", "a", "a", "Add key", "a deputy's or a second DSL's own key: they type their passphrase twice"),
    KeyRow("keys", "p", "p", "My passphrase", "change yours: the current one, then the new one twice"),
    KeyRow("keys", "l", "l", "Label", "what the unlock screen calls a key (never a name)"),
    KeyRow("keys", "delete,d", "Del", "Remove", "a key that should no longer open the store (asks first)"),
    KeyRow("keys", "r", "r", "New recovery key", "replace the key in the school safe (shown once)"),
)

SECTIONS = (
    ("app", "Anywhere"),
    ("form", "In a form"),
    ("home", "On the home screen"),
    ("incident", "On an incident"),
    ("triage", "In triage"),
    ("keys", "On the keys screen (Settings, F4)"),
)


def _triage_path(tree: TriageTree) -> list[Node]:
    """The questions in the order the app asks them when nothing is urgent: from the first question,
    follow the last answer that leads on ("No"), until a question that branches several ways (who is harmed)."""
    path: list[Node] = []
    node: Node | None = tree.nodes.get(tree.start)
    while node is not None and node not in path:
        path.append(node)
        onward = [a for a in node.answers if a.next]
        if not onward or (len(onward) == len(node.answers) > 2):
            break
        node = tree.nodes.get(onward[-1].next or "")
    return path


def quick_reference_markdown(setting: str = "", idle_minutes: int | None = None, tree: TriageTree | None = None) -> str:
    """The quick reference as Markdown; `setting` and `idle_minutes` come from the store when it is open."""
    tree = tree or default_tree()
    title = "SafeDesk quick reference" + (f": {setting}" if setting else "")
    lock = (
        f"SafeDesk also locks itself after {idle_minutes} idle minute(s)"
        if idle_minutes
        else "SafeDesk also locks itself after the idle minutes set in Settings (5 unless changed)"
    )
    lines = [
        f"# {title}",
        "",
        "> **Anyone in danger right now? Call 999 first**, then record it. Never look at, copy or forward a nude "
        "or sexual image of a child, not even to check: describe it instead.",
        "",
        "## Keys",
        "",
        "| Where | Key | Does |",
        "|---|---|---|",
    ]
    for where, heading in SECTIONS:
        lines += [f"| {heading} | {k.shown} | {k.name}: {k.what} |" for k in KEYS if k.where == where]
    lines += [
        "",
        "## Lock",
        "",
        f"- **Ctrl+L** blanks the screen at once. {lock}.",
        "- To come back, type your passphrase. If every passphrase is lost, the recovery key from the school "
        "safe opens the store (type it where the passphrase goes).",
        "- Never write the passphrase on the laptop or in an email. Lock before you walk away.",
        "",
        "## Triage: what SafeDesk asks (Ctrl+T)",
        "",
    ]
    for number, node in enumerate(_triage_path(tree), start=1):
        answers = " / ".join(a.label for a in node.answers)
        lines.append(f"{number}. **{node.question}** ({answers})")
        if node.help:
            lines.append(f"   {node.help}")
    lines += [
        "",
        "Each route ends on a playbook: its steps become the incident's checklist (n records it). "
        "Record what you were told in the words used, when, and by whom.",
        "",
    ]
    return "\n".join(lines)
