"""The policy answers in the store, their TOML form, and the filled letters and disclaimers."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput
from safedesk.store.policy.builder import (
    LETTER_FIELDS,
    LETTERS,
    QUESTIONS,
    Channel,
    PolicyAnswers,
    PolicyBook,
    TemplateError,
    answers_from_toml,
    answers_to_toml,
    answers_with,
    fill_letter,
    letter_placeholders,
    letter_values,
    render_template,
)
from safedesk.store.text.markdown import outline, parser
from tests.kit import DEPUTY_PASSPHRASE

HOSTILE = "[@click=app.quit]x[/] *Sam* <b>x</b> {setting_name}"


# --------------------------------------------------------------------- answers in the store


def test_first_answers_come_from_what_the_store_knows(session) -> None:  # type: ignore[no-untyped-def]
    from safedesk.store.accounts.register import Account, Register, Status
    from safedesk.store.engine.keys.slots import add_user

    add_user(session, "Ann Jones", "deputy", DEPUTY_PASSPHRASE)
    register = Register(session)
    register.propose(Account(platform="Instagram", name="@oak_pe"))
    live = register.propose(Account(platform="YouTube", name="Oak TV"))
    register.set_status(live.id, Status.ACTIVE, override_reason="Running since before the register existed")
    book = PolicyBook(session)
    answers = book.answers()
    assert answers.id is None and book.stored() is None
    assert answers.setting_name == "Oak Primary" and answers.dsl_name == "Sam Patel" and answers.deputies == ("Ann Jones",)
    assert answers.platforms == ("YouTube",)  # the live account; a proposal is not live yet
    assert "- Oak TV (YouTube)" in book.build().markdown


def test_answers_are_saved_changed_and_audited_without_their_text(session) -> None:  # type: ignore[no-untyped-def]
    book = PolicyBook(session)
    saved = book.save(
        {
            "dsl_name": "Sam Patel",
            "deputies": "Ann Jones\n\nBo Smith\nAnn Jones",
            "review_on": "1/7/2027",
            "monitor_mentions": "no",
        }
    )
    assert saved.id is not None and saved.deputies == ("Ann Jones", "Bo Smith") and saved.review_on == date(2027, 7, 1)
    assert saved.monitor_mentions is False
    changed = book.save({"comments": "off", "takedown_hours": "48"})
    assert changed.comments == "off" and changed.takedown_hours == 48 and changed.dsl_name == "Sam Patel"
    entries = [e for e in session.audit.entries() if e.target.startswith("policy_answers")]
    assert [e.summary for e in entries] == ["policy answers saved", "policy answers changed: comments, takedown_hours"]
    assert book.save({"comments": "off"}) == changed  # nothing changed: nothing written
    assert len([e for e in session.audit.entries() if e.target.startswith("policy_answers")]) == 2


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"comments": "sometimes"}, "comments", "Choose one of"),
        ({"takedown_hours": "soon"}, "takedown_hours", "whole number"),
        ({"takedown_hours": "500"}, "takedown_hours", "1 to 168"),
        ({"review_on": "next year"}, "review_on", "Type the date"),
        ({"approved_on": (date.today() + timedelta(days=30)).strftime("%d/%m/%Y")}, "approved_on", "future"),
        ({"monitor_mentions": "perhaps"}, "monitor_mentions", "yes or no"),
        ({"dsl_name": "x" * 121}, "dsl_name", "120 characters"),
        ({"deputies": "\n".join(f"Person {n}" for n in range(31))}, "deputies", "at most 30"),
        ({"favourite_colour": "blue"}, "favourite_colour", "no policy question"),
    ],
)
def test_bad_answers_are_refused_naming_the_question(session, values, field, message) -> None:  # type: ignore[no-untyped-def]
    book = PolicyBook(session)
    with pytest.raises(InvalidInput, match=message) as caught:
        book.save(values)
    assert caught.value.field == field
    assert book.stored() is None


def test_review_must_follow_approval() -> None:
    with pytest.raises(InvalidInput, match="after the approval") as caught:
        answers_with(
            PolicyAnswers(), {"approved_on": date.today() - timedelta(days=3), "review_on": date.today() - timedelta(days=5)}
        )
    assert caught.value.field == "review_on"


def test_choices_accept_their_labels_as_well_as_their_keys() -> None:
    assert answers_with(PolicyAnswers(), {"comments": "Off: the accounts share news one way"}).comments == "off"


# --------------------------------------------------------------------- TOML


def test_toml_round_trip_of_every_answer() -> None:
    answers = PolicyAnswers(
        setting_name='Oak "Primary" \\ [x]',
        dsl_name="Zoë O'Brien",
        deputies=("Ann", "Bo"),
        platforms=("Facebook Page",),
        review_on=date(2027, 7, 1),
        school_devices_personal=True,
        takedown_hours=12,
        letter_values={"admin_contact": "pta@oak.example"},
    )
    text = answers_to_toml(answers)
    assert "# review_on" not in text and "review_on = 2027-07-01" in text
    back = answers_with(PolicyAnswers(), {k: v for k, v in answers_from_toml(text).items() if not k.startswith("_")})
    for question in QUESTIONS:
        assert getattr(back, question.name) == getattr(answers, question.name), question.name
    assert answers_from_toml(text)["_letters"] == {"admin_contact": "pta@oak.example"}


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60))
def test_toml_round_trip_of_any_text(text: str) -> None:
    answers = answers_with(PolicyAnswers(), {"monitor_by": text})
    back = answers_with(
        PolicyAnswers(), {k: v for k, v in answers_from_toml(answers_to_toml(answers)).items() if not k.startswith("_")}
    )
    assert back.monitor_by == answers.monitor_by


def test_bad_toml_is_one_clear_error() -> None:
    with pytest.raises(InvalidInput, match="not valid TOML"):
        answers_from_toml("dsl_name = ")
    with pytest.raises(InvalidInput, match="Give this answer as text"):
        answers_with(PolicyAnswers(), {"dsl_name": 12})
    with pytest.raises(InvalidInput, match="text values only"):
        answers_from_toml("[letter_values]\nadmin_contact = 3\n")


# --------------------------------------------------------------------- templates


def test_template_language_chooses_blocks_and_fills_lists() -> None:
    body = 'A {name}.\n{% if flag %}\nshown\n{% elif kind == "x" %}\nx\n{% else %}\nother\n{% endif %}\n{items}\n{% if not flag %}\nnever\n{% endif %}'
    text = render_template(body, {"name": "Oak", "items": ["one", "two"]}, {"flag": True, "kind": "x"})
    assert text == "A Oak.\nshown\n- one\n- two"
    assert "x" in render_template(body, {"name": "", "items": []}, {"flag": False, "kind": "x"}).split("\n")[1]
    with pytest.raises(TemplateError, match="unknown placeholder"):
        render_template("{nope}", {}, {})
    with pytest.raises(TemplateError, match="unknown answer"):
        render_template("{% if nope %}\n{% endif %}", {}, {})


# --------------------------------------------------------------------- letters and disclaimers


ANSWERS = PolicyAnswers(
    setting_name="Oak Primary",
    headteacher_name="Dr Ann Head",
    contact_details="office@oak.sch.uk",
    dsl_name="Sam Patel",
    platforms=("Facebook Page",),
)
PAGE = Channel("@OakPrimary", "Facebook Page", "https://facebook.com/oak", "parents and carers", "public", "moderated")


def test_every_placeholder_in_the_template_cards_has_a_label() -> None:
    used = {p for letter_id in LETTERS for p in letter_placeholders(letter_id)}
    assert used <= set(LETTER_FIELDS)
    assert set(LETTER_FIELDS) - used == set()  # no label for a placeholder no card uses


@pytest.mark.parametrize("letter_id", list(LETTERS))
def test_letters_fill_from_the_answers_and_the_account(letter_id: str) -> None:
    document = fill_letter(letter_id, letter_values(ANSWERS, "Oak Primary", PAGE, [PAGE]), {})
    assert "{" not in document.markdown.replace("\\{", "")
    assert not any(t.type.startswith("html") for t in parser().parse(document.markdown))
    assert "Oak Primary" in document.markdown
    for gap in document.missing:
        assert f"**[to fill in: {gap}]**" in document.markdown


def test_launch_letter_reads_naturally() -> None:
    document = fill_letter(
        "launch", letter_values(ANSWERS, "Oak Primary", PAGE, [PAGE]), {"existing_channels": "letters, email and the website"}
    )
    text = document.markdown
    assert document.missing == []
    assert "will soon launch our Facebook Page (https://facebook.com/oak)" in text
    assert "\nOur Facebook Page is public" in text  # capitalised at the start of a sentence
    assert "(for example" not in text  # the card's hint goes once the detail is filled
    assert "if you comment on our Facebook Page" in text  # the Page paragraph
    assert "we invite you to like and follow it" in text


def test_platform_paragraph_follows_the_account() -> None:
    def launch(channel: Channel) -> str:
        return fill_letter("launch", letter_values(ANSWERS, "Oak", channel, [channel]), {}).markdown

    assert "if you comment on our Facebook Page" not in launch(dataclasses.replace(PAGE, comments="off"))
    group = Channel("Oak parents", "Facebook group", visibility="closed")
    assert "joining our official Facebook group" in launch(group)
    assert "joining our official Facebook group" not in launch(dataclasses.replace(group, visibility="secret"))
    assert "following our account on X" in launch(Channel("@oak", "X (Twitter)"))
    assert "Please be aware" not in launch(Channel("Oak", "YouTube"))


def test_missing_details_stay_visible_and_example_hints_stay_for_them() -> None:
    document = fill_letter("launch", letter_values(PolicyAnswers(), "Oak", None, []), {})
    assert "the ways you already keep in touch" in document.missing
    assert "**[to fill in: the channel, e.g. our Facebook Page]**" in document.markdown


def test_typed_letter_details_are_escaped_and_win() -> None:
    document = fill_letter("disclaimer-parent", letter_values(ANSWERS, "Oak Primary", None, []), {"admin_contact": HOSTILE})
    assert "\\[@click=app.quit\\]x\\[/\\] \\*Sam\\* \\<b\\>x\\</b\\> \\{setting\\_name}" in document.markdown
    assert "This group for Oak Primary parents" in document.markdown  # a parent-run channel is a group
    assert HOSTILE in outline("# t\n\n" + document.markdown).text


def test_policy_and_letter_exports_are_audited_without_personal_text(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    book = PolicyBook(session)
    book.save({"dsl_name": HOSTILE, "headteacher_name": "Dr Ann Head"})
    document = book.export(tmp_path / "policy.md")
    assert (tmp_path / "policy.md").read_text(encoding="utf-8") == document.markdown
    with pytest.raises(InvalidInput, match="already exists"):
        book.export(tmp_path / "policy.md")
    book.remember_letter_values({"admin_contact": "pta@oak.example", "dsl_name": "not kept"})
    assert book.stored().letter_values == {"admin_contact": "pta@oak.example"}
    letter = book.export_letter("disclaimer-parent", tmp_path / "rules.md")
    assert "pta@oak.example" in letter.markdown
    with pytest.raises(InvalidInput, match="no letter"):
        book.letter("ransom-note")
    with pytest.raises(InvalidInput, match="no detail"):
        book.remember_letter_values({"favourite_colour": "blue"})
    exports = [e for e in session.audit.entries() if e.action.startswith("export.")]
    assert [e.action for e in exports] == ["export.policy", "export.letter"]
    assert re.fullmatch(
        r"social media policy exported as Markdown \(18 sections, \d+ detail\(s\) to fill in\)", exports[0].summary
    )
    assert all("click" not in e.summary and "Sam" not in e.summary and "pta@" not in e.summary for e in exports)


def test_the_answers_survive_reopening_the_store(store_dir) -> None:  # type: ignore[no-untyped-def]
    from tests.kit import PASSPHRASE

    created, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    PolicyBook(created).save({"review_on": "1/7/2027", "local_authority": "Kent County Council"})
    created.close()
    with Session.open(store_dir, PASSPHRASE) as reopened:
        answers = PolicyBook(reopened).answers()
        assert answers.review_on == date(2027, 7, 1) and answers.local_authority == "Kent County Council"
        assert "Kent County Council when its advice" in PolicyBook(reopened).build().markdown
