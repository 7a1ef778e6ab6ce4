"""Rules every card must keep, checked on the shipped guidance (issue 14, item 3).

- A step that says to capture, screenshot or save must carry, or come after, the check
  for a sexual image of a child: capturing such an image is itself an offence.
- A playbook step naming the LADO must say the adult working with children is involved:
  the LADO is for allegations against adults, never for pupils' own conduct.
- Every phone number, and every national service a playbook names, comes from the one
  contacts table (ref-contacts), so a renamed service is changed in one place.

Each rule is also run on a small bad example, so a broken rule cannot pass silently.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from safedesk.content.cards import Card
from safedesk.content.library import default_library

CONTACTS = "ref-contacts"
# Words that mean "capture it": the step keeps a copy of what was seen.
_CAPTURE = re.compile(r"\b(screenshots?|capture|save it|save a copy|take a copy|keep a copy|record the post)\b", re.I)
# Words that show the step itself forbids or limits capturing.
_NEGATED = re.compile(r"\b(do not|don't|never|nothing)\b", re.I)
# The check that must come first: a sexual image of a child.
_SEXUAL = re.compile(r"\b(sexual|sexually|indecent|indecently|nudes?)\b", re.I)
# A step is an instruction when it opens with one of these (descriptive sentences are left alone).
_IMPERATIVE = re.compile(
    r"^(capture|screenshot|save|keep|take|record|note|help|preserve|log|copy|otherwise|then|first|before|on)\b", re.I
)
# A step that sends the matter to the LADO (not one that only mentions the LADO's advice).
_TO_LADO = re.compile(r"\b(tell|contact|call|refer|inform|report|ring|phone|involve|alert)\b[^.;]*\bLADO\b", re.I)
# Who the LADO is for: an adult working with children.
_ADULT = re.compile(r"\b(staff|adult|volunteer|teacher|colleague|employee|contractor|headteacher)\b", re.I)
# UK phone numbers as the cards write them: 999, 101, 116 123, text 85258, 0800 1111, 0300 123 2040.
_PHONE = re.compile(r"(?<![\w.-])(?:999|101|116 123|\d{5}|0\d{3}(?: \d{3,4}){1,2})(?![\w%-]|\.\d)")
# National services SafeDesk may name; each must be in the contacts table.
SERVICES = (
    "CEOP",
    "IWF",
    "Report Remove",
    "Take It Down",
    "Report Harmful Content",
    "Professionals Online Safety Helpline",
    "POSH",
    "Report Fraud",
    "Action Fraud",
    "True Vision",
    "ACT",
    "Prevent",
    "Childline",
    "Samaritans",
    "Shout",
    "Revenge Porn Helpline",
    "StopNCII",
    "ICO",
)


def card_items(card: Card) -> list[str]:
    """Every list item of a card, in order (playbook sections in their fixed order)."""
    items: list[str] = []
    for section in card.sections().values():
        items.extend(section)
    return items


def capture_problems(items: list[str]) -> list[str]:
    """Steps that capture before (and without) any check for a sexual image of a child."""
    problems = []
    checked = False
    for item in items:
        capture = _IMPERATIVE.match(item) and _CAPTURE.search(item) and not _NEGATED.search(item.split(":")[0])
        if capture and not _SEXUAL.search(item) and not checked:
            problems.append(item)
        checked = checked or bool(_SEXUAL.search(item))
    return problems


def lado_problems(items: list[str]) -> list[str]:
    return [item for item in items if _TO_LADO.search(item) and not _ADULT.search(item)]


def contacts_table(card: Card) -> str:
    return "\n".join(line for line in card.body.splitlines() if line.startswith("|"))


def unknown_numbers(text: str, table: str) -> set[str]:
    return {number for number in _PHONE.findall(text) if number not in table}


def unknown_services(text: str, table: str) -> set[str]:
    return {s for s in SERVICES if re.search(rf"\b{re.escape(s)}\b", text) and not re.search(rf"\b{re.escape(s)}\b", table)}


# --- the rules on bad examples --------------------------------------------------------


def test_capture_rule_catches_a_screenshot_before_the_check() -> None:
    bad = ["Screenshot the post with its link and time.", "Check for sexual images of a child."]
    assert capture_problems(bad) == [bad[0]]
    assert capture_problems(list(reversed(bad))) == []
    assert capture_problems(["Keep screenshots, never of a sexual image of a child."]) == []
    assert capture_problems(["Do not print, screenshot or save the material."]) == []


def test_lado_rule_catches_a_lado_step_with_no_adult() -> None:
    assert lado_problems(["Tell the police and the LADO if a pupil searched for it."]) != []
    assert lado_problems(["Record the LADO's advice."]) == []
    assert lado_problems(["Tell the LADO within one working day if a member of staff is involved."]) == []


def test_contact_rules_catch_numbers_and_services_missing_from_the_table() -> None:
    table = "| Police: 999 | danger | now |\n| CEOP | grooming | now |"
    assert unknown_numbers("Call 999, then ring 0800 555 1234.", table) == {"0800 555 1234"}
    assert unknown_numbers("Call 999 in 2024; 100% sure.", table) == set()
    assert unknown_services("Report to CEOP and the IWF.", table) == {"IWF"}


# --- the rules on the shipped cards ----------------------------------------------------


@pytest.mark.parametrize("card_id", sorted(default_library().cards))
def test_no_card_captures_before_checking_for_a_sexual_image(card_id: str) -> None:
    assert capture_problems(card_items(default_library().get(card_id))) == []


def test_no_playbook_names_the_lado_without_an_adult_involved() -> None:
    problems = {card.id: lado_problems(card_items(card)) for card in default_library().cards.values() if card.kind == "playbook"}
    assert {k: v for k, v in problems.items() if v} == {}


def test_every_number_and_service_comes_from_the_contacts_table() -> None:
    library = default_library()
    table = contacts_table(library.get(CONTACTS))
    numbers = {card.id: unknown_numbers(card.body, table) for card in library.cards.values()}
    assert {k: v for k, v in numbers.items() if v} == {}
    services = {card.id: unknown_services(card.body, table) for card in library.cards.values()}
    assert {k: v for k, v in services.items() if v} == {}
    # the policy text the builder fills in names the same services
    from importlib.resources import files

    policy = files("safedesk.content") / "policy"
    texts = {entry.name: entry.read_text(encoding="utf-8") for entry in policy.iterdir() if entry.name.endswith(".md")}
    assert {name: unknown_numbers(text, table) | unknown_services(text, table) for name, text in texts.items()} == {
        name: set() for name in texts
    }


# --- one route for a suspected sexual image of a child --------------------------------


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;])\s+|\n", text) if s.strip()]


def imagery_route_problems(text: str) -> list[str]:
    """Where a text about a suspected image departs from the playbook's route: it must name
    children's social care beside the police, and the LADO only where staff are involved."""
    problems = [s for s in _sentences(text) if "LADO" in s and not _ADULT.search(s)]
    if "children's social care" not in text:
        problems.append("no referral to children's social care")
    return problems


def test_imagery_route_rule_catches_police_and_lado_for_every_image() -> None:
    assert imagery_route_problems("Tell the police and the LADO straight away.") != []
    assert imagery_route_problems("Refer to the police and children's social care; the LADO if staff are involved.") == []


def test_playbook_policy_and_evidence_refusal_give_the_same_route() -> None:
    from datetime import UTC, datetime
    from importlib.resources import files

    from safedesk.store.errors import NotAllowed
    from safedesk.store.incidents.evidence import refuse_files_if_imagery
    from safedesk.store.incidents.records import Incident

    playbook = default_library().get("pb-nude-image-of-child")
    escalate = "\n".join(playbook.sections()["Escalate"])
    policy = (files("safedesk.content") / "policy" / "10-illegal.md").read_text(encoding="utf-8")
    incident = Incident(title="x", reported_at=datetime.now(UTC), flags=("sexual_imagery_suspected",))
    with pytest.raises(NotAllowed) as refused:
        refuse_files_if_imagery(incident)
    for text in (escalate, policy, str(refused.value)):
        assert imagery_route_problems(text) == []
        assert "under 13" in text or "child under 13" in text


# --- routes you can record on an incident ---------------------------------------------


def test_every_route_the_guidance_names_can_be_recorded_on_an_incident() -> None:
    from safedesk.store.incidents.records import ESCALATION_TARGETS

    labels = " ".join(ESCALATION_TARGETS.values())
    for service in ("CEOP", "IWF", "Report Remove", "Report Harmful Content", "Report Fraud", "True Vision", "ACT", "LADO"):
        assert re.search(rf"\b{re.escape(service)}\b", labels), service
    # and each recordable service is one the contacts table explains
    table = contacts_table(default_library().get(CONTACTS))
    assert unknown_services(labels, table) == set()


# --- nations ---------------------------------------------------------------------------

ALL_NATIONS = ("England", "Wales", "Scotland", "Northern Ireland")


def nations_problems(card: Card) -> list[str]:
    """Nations a card's front matter claims that its text does not tell the reader."""
    if set(card.nations) == set(ALL_NATIONS) and re.search(r"across the UK|All UK|UK-wide", card.body):
        return []
    return [nation for nation in card.nations if nation not in card.body]


def test_every_card_beyond_the_seeds_tells_the_reader_where_it_applies() -> None:
    problems = {card.id: nations_problems(card) for card in default_library().cards.values() if card.nations}
    assert {k: v for k, v in problems.items() if v} == {}
    assert nations_problems(dataclasses.replace(default_library().get("ref-upskirting"), body="No nations here.")) != []
