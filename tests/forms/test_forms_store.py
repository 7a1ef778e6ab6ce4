"""Forms from the guidance: questions built from the cards, drafts, dated versions, the
link to an account, Markdown export, home-screen items and the verify check."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from safedesk.content.library import default_library
from safedesk.store.errors import InvalidInput, NotAllowed, RecordNotFound
from safedesk.store.features import attention, verify_store
from safedesk.store.forms.filled import (
    DATE,
    FORM_TYPES,
    FROM_ACCOUNT,
    GRID,
    GROUPS,
    KEPT_KEYS,
    KIND_OVERRIDES,
    NOTE,
    TEXT,
    YESNO,
    FormBook,
    address,
    answered,
    default_review,
    field_kind,
    form_sections,
    question_key,
    questions_of,
    version_markdown,
)
from safedesk.store.text.dates import local_zone
from safedesk.store.text.limits import Kind, limit
from safedesk.store.text.markdown import outline, parser

HOSTILE = "[@click=app.quit]x[/] [/bold] [bold *em* <b>x</b> | # not a heading"

# The guidance cards each form is built from, as the issue names them.
FORM_CARDS = {
    "web-tool-risk-assessment": ["form-web-tool-risk-assessment"],
    "web-tools-checklist": ["checklist-web-tools", "checklist-web-tools-2", "checklist-web-tools-3"],
    "social-media-consideration": [
        "form-social-media-consideration",
        "form-social-media-consideration-hazards",
        "form-social-media-consideration-hazards-2",
    ],
    "pre-use-checklist": ["checklist-pre-use"],
    "new-account-business-case": ["form-new-account-business-case"],
}


def today() -> date:
    from datetime import datetime

    return datetime.now(local_zone()).date()


def key(kind: str, start: str) -> str:
    """The key of the form's first question starting with `start`."""
    return next(q.key for q in questions_of(kind) if q.text.startswith(start))


# --------------------------------------------------------------------- questions from the cards


@pytest.mark.parametrize("kind", list(FORM_CARDS))
def test_every_bullet_of_the_forms_cards_is_a_field_in_order(kind: str) -> None:
    assert list(FORM_TYPES[kind].cards) == FORM_CARDS[kind]
    library = default_library()
    bullets = [
        (card_id, section, bullet)
        for card_id in FORM_CARDS[kind]
        for section, items in library.get(card_id).sections().items()
        for bullet in items
    ]
    fields = [(q.card_id, q.section, q.text) for q in questions_of(kind)]
    assert sorted(fields) == sorted(bullets)  # every bullet, nothing else
    assert len({q.key for q in questions_of(kind)}) == len(fields)  # each with its own key


def test_a_reworded_card_changes_the_form(tmp_path: Path) -> None:
    from safedesk.content.library import Library

    card = default_library().get("checklist-pre-use")
    text = card.path.read_text(encoding="utf-8").replace("Will we run a pilot first?", "Will we run a pilot term first?")
    (tmp_path / card.path.name).write_text(text, encoding="utf-8")
    sections = form_sections("pre-use-checklist", Library.from_dir(tmp_path))
    assert "Will we run a pilot term first?" in [q.text for s in sections for q in s.questions]


def test_question_keys_never_change() -> None:
    # Answers are stored under these keys: a reworded question must keep its key (KEPT_KEYS).
    pinned = Path(__file__).with_name("question_keys.txt").read_text(encoding="utf-8").splitlines()
    keys = [q.key for kind in FORM_TYPES for q in questions_of(kind)]
    assert keys == [line for line in pinned if line and not line.startswith("#")]


def test_every_kept_key_is_a_reworded_question() -> None:
    current = {q.key: q for kind in FORM_TYPES for q in questions_of(kind)}
    for natural, kept in KEPT_KEYS.items():
        question = current[kept]
        assert question_key(question.card_id, question.section, question.text) == kept
        assert natural != kept and natural not in current


def test_every_kind_override_names_a_real_question() -> None:
    texts = {q.text for kind in FORM_TYPES for q in questions_of(kind)}
    assert set(KIND_OVERRIDES) <= texts


def test_every_account_prefill_names_a_business_case_question() -> None:
    texts = [q.text for q in questions_of("new-account-business-case")]
    assert all(any(t.startswith(start) for t in texts) for start in FROM_ACCOUNT)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Is it endorsed for education use by a recognised authority?", YESNO),
        ("Internet radio or TV?", YESNO),
        ("What privacy tools does it offer?", TEXT),
        ("How will pupils, parents and staff be told?", TEXT),
        ("Date of the next review (yearly is recommended)", DATE),
        ("Date", DATE),
        ("General risk, by group", GRID),
        ("Filter (block) the site? Yes or no, by group", GRID),
        ("Visibility: who can see what it posts, anyone (public) or only members it accepts (private)?", TEXT),
        ("Reasons for the decision", TEXT),
    ],
)
def test_field_kind_follows_the_wording(question: str, kind: str) -> None:
    assert field_kind(question) == kind


def test_sections_carry_their_explanations_and_repeat_flags() -> None:
    sections = {s.title: s for s in form_sections("social-media-consideration")}
    assert "anti-bullying policy" in sections["Online bullying of or by learners, staff or parents"].note
    assert list(sections)[-1] == "Decision and justification"  # the decision comes after the hazards
    risk = {s.title: s for s in form_sections("web-tool-risk-assessment")}
    assert risk["Key issues and action required"].repeat and not risk["About the service"].repeat
    assert "Notes for use" not in risk  # prose only: no questions


# --------------------------------------------------------------------- drafts and versions


def test_draft_answers_are_normalised_and_refused_next_to_their_question(session) -> None:  # type: ignore[no-untyped-def]
    book = FormBook(session)
    form = book.create("web-tools-checklist", "Padlet")
    endorsed = key("web-tools-checklist", "Is it endorsed")
    reviewed = key("web-tools-checklist", "Date of this review")
    saved = book.save_draft(form.id, {endorsed: "Y", address(endorsed, part=NOTE): "By the LA\nin 2025", reviewed: "3/2/2026"})
    assert saved.draft == {endorsed: "yes", address(endorsed, part=NOTE): "By the LA\nin 2025", reviewed: "2026-02-03"}
    with pytest.raises(InvalidInput) as bad_date:
        book.save_draft(form.id, {reviewed: "31/02/2026"})
    assert bad_date.value.field == reviewed
    with pytest.raises(InvalidInput, match="yes, no or n/a") as bad_choice:
        book.save_draft(form.id, {endorsed: "maybe"})
    assert bad_choice.value.field == endorsed
    with pytest.raises(InvalidInput, match="no question"):
        book.save_draft(form.id, {"made-up/key": "x"})
    with pytest.raises(InvalidInput, match=f"{limit(Kind.LONG):,} characters"):
        book.save_draft(form.id, {key("web-tools-checklist", "Completed by"): "x" * (limit(Kind.LONG) + 1)})
    assert book.form(form.id).draft == saved.draft  # refusals change nothing


def test_grid_and_repeated_entries(session) -> None:  # type: ignore[no-untyped-def]
    book = FormBook(session)
    form = book.create("web-tool-risk-assessment", "Padlet")
    general = key("web-tool-risk-assessment", "General risk")
    risk = key("web-tool-risk-assessment", "Risk identified")
    when = next(q.key for q in questions_of("web-tool-risk-assessment") if q.repeat and q.kind == DATE)
    values = {
        address(general, part="KS1"): "high",
        address(general, part="Staff"): "low",
        risk: "Strangers",
        address(risk, 2): "Adverts",
        address(when, 2): "1/3/2026",
    }
    saved = book.save_draft(form.id, values)
    assert saved.draft[address(risk, 1)] == "Strangers"  # a repeated question without an entry is the first
    assert saved.draft[address(when, 2)] == "2026-03-01"
    with pytest.raises(InvalidInput, match="no part"):
        book.save_draft(form.id, {address(general, part="Year 12"): "x"})
    with pytest.raises(InvalidInput, match="once"):
        book.save_draft(form.id, {address(key("web-tool-risk-assessment", "Subjects"), 2): "x"})


def test_versions_are_dated_numbered_and_keep_their_answers(session) -> None:  # type: ignore[no-untyped-def]
    book = FormBook(session)
    form = book.create("pre-use-checklist", "Class blog")
    aim = key("pre-use-checklist", "What do we want this project to achieve?")
    with pytest.raises(InvalidInput, match="at least one"):
        book.new_version(form.id)
    book.save_draft(form.id, {aim: "Share work"})
    first = book.new_version(form.id, today() - timedelta(days=400))
    assert first.number == 1 and first.review_on == default_review(first.assessed_on)
    book.save_draft(form.id, {aim: "Share work with parents"})
    second = book.new_version(form.id)
    assert second.number == 2 and second.assessed_on == today()
    assert [v.answers[aim] for v in book.versions(form.id)] == ["Share work", "Share work with parents"]
    assert "What do we want this project to achieve?" in {q.text for q in first.questions}  # wording frozen
    with pytest.raises(InvalidInput, match="after the assessment") as caught:
        book.new_version(form.id, today(), today() - timedelta(days=1))
    assert caught.value.field == "review_on"
    with pytest.raises(InvalidInput, match="future"):
        book.new_version(form.id, today() + timedelta(days=1))
    assert book.find_version(form.id).number == 2 and book.find_version(form.id, 1).number == 1
    with pytest.raises(RecordNotFound, match="no version 7"):
        book.find_version(form.id, 7)


def test_suggested_dates_come_from_the_forms_own_answers(session) -> None:  # type: ignore[no-untyped-def]
    book = FormBook(session)
    form = book.create("web-tools-checklist", "Padlet")
    book.save_draft(
        form.id,
        {
            key("web-tools-checklist", "Date of this review"): "2/1/2026",
            key("web-tools-checklist", "Date of the next review"): "2/7/2026",
        },
    )
    assert book.suggested_dates(book.form(form.id)) == (date(2026, 1, 2), date(2026, 7, 2))


def test_default_review_is_a_year_on_even_from_29_february() -> None:
    assert default_review(date(2024, 2, 29)) == date(2025, 2, 28)
    assert default_review(date(2025, 6, 30)) == date(2026, 6, 30)


def test_only_a_form_without_versions_can_be_deleted(session) -> None:  # type: ignore[no-untyped-def]
    book = FormBook(session)
    throwaway = book.create("pre-use-checklist", "Mistake")
    book.delete(throwaway.id)
    kept = book.create("pre-use-checklist", "Kept")
    book.save_draft(kept.id, {key("pre-use-checklist", "What do we want"): "x"})
    book.new_version(kept.id)
    with pytest.raises(NotAllowed, match="kept as a record"):
        book.delete(kept.id)
    assert [f.title for f in book.forms()] == ["Kept"]


def test_a_form_links_to_an_account_and_a_business_case_starts_from_the_register(session) -> None:  # type: ignore[no-untyped-def]
    from safedesk.store.accounts.register import Account, Register, Visibility

    account = Register(session).propose(
        Account(
            platform="Facebook Page",
            name="@OakPrimary",
            purpose="News for families",
            audience="Parents",
            visibility=Visibility.PRIVATE,
        )
    )
    book = FormBook(session)
    case = book.create("new-account-business-case", "Facebook Page", account.id)
    assert case.draft[key("new-account-business-case", "Aim")] == "News for families"
    assert case.draft[key("new-account-business-case", "Platform and proposed")] == "@OakPrimary (Facebook Page)"
    assert case.draft[key("new-account-business-case", "Visibility")] == "private"
    version = book.new_version(case.id)
    assert version.account_label == "@OakPrimary (Facebook Page)"
    assert "Account: @OakPrimary (Facebook Page)" in version_markdown(session, version)
    with pytest.raises(InvalidInput, match="from the register") as caught:
        book.create("pre-use-checklist", "x", account_id=999)
    assert caught.value.field == "account_id"


# --------------------------------------------------------------------- Markdown export


def test_export_parses_into_the_forms_structure_with_hostile_text_literal(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    book = FormBook(session)
    form = book.create("web-tool-risk-assessment", HOSTILE)
    general = key("web-tool-risk-assessment", "General risk")
    risk = key("web-tool-risk-assessment", "Risk identified")
    staff = key("web-tool-risk-assessment", "Name(s) of the staff")
    book.save_draft(
        form.id,
        {
            staff: HOSTILE + "\n- second line",
            address(general, part="KS2"): "high | very",
            address(risk, 1): HOSTILE,
            address(risk, 2): "Adverts\nand pop-ups",
        },
    )
    version = book.new_version(form.id)
    out = tmp_path / "risk.md"
    text = book.export(version.id, out)
    assert out.read_text(encoding="utf-8") == text
    found = outline(text)
    assert found.headings[0] == (1, f"Risk assessment: a web tool or platform: {HOSTILE}")
    assert [h for level, h in found.headings if level == 2] == [
        "About the service",
        "Summary of the decision",
        "Key issues and action required",
    ]
    assert found.tables == 2  # the rating grid and the key issues
    tokens = parser().parse(text)
    assert not any(t.type in ("html_block", "html_inline", "link_open", "image", "code_inline", "em_open") for t in tokens)
    assert not any(
        c.type in ("link_open", "em_open", "strong_open", "code_inline", "html_inline")
        for t in tokens
        if t.type == "inline"
        for c in t.children or []
        if c.content == "x"
    )
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) == 9  # the grid's header and 5 ratings; the issues' header and 2 entries
    assert "high \\| very" in text and "Adverts / and pop-ups" in text
    assert "3 of 19 questions answered" in text
    entry = session.audit.entries()[-1]
    assert entry.action == "export.form" and entry.target == f"form_versions/{version.id}"
    assert "click" not in entry.summary and "Adverts" not in entry.summary


def test_yes_no_sections_export_as_a_table(session) -> None:  # type: ignore[no-untyped-def]
    book = FormBook(session)
    form = book.create("web-tools-checklist", "Padlet")
    endorsed = key("web-tools-checklist", "Is it endorsed")
    book.save_draft(form.id, {endorsed: "n/a", address(endorsed, part=NOTE): "Not needed | ask"})
    text = version_markdown(session, book.new_version(form.id))
    assert "| Is it endorsed for education use by a recognised authority? | Not applicable | Not needed \\| ask |" in text
    assert outline(text).tables == 6  # one per run of yes/no questions (two sections end with a text question)


def test_answered_counts_questions_not_parts(session) -> None:  # type: ignore[no-untyped-def]
    questions = questions_of("web-tool-risk-assessment")
    general = key("web-tool-risk-assessment", "General risk")
    assert answered(questions, {address(general, part=g): "low" for g in GROUPS}) == (1, len(questions))


# --------------------------------------------------------------------- home screen and verify


def test_attention_flags_re_assessment_due_and_overdue_and_unassessed_accounts(session) -> None:  # type: ignore[no-untyped-def]
    from safedesk.store.accounts.register import Account, Register, StaffMember, Status

    book = FormBook(session)
    aim = key("pre-use-checklist", "What do we want")
    old = book.create("pre-use-checklist", "Old blog")
    book.save_draft(old.id, {aim: "x"})
    book.new_version(old.id, today() - timedelta(days=400))
    soon = book.create("pre-use-checklist", "Soon blog")
    book.save_draft(soon.id, {aim: "x"})
    book.new_version(soon.id, today() - timedelta(days=340))
    fresh = book.create("pre-use-checklist", "Fresh blog")
    book.save_draft(fresh.id, {aim: "x"})
    book.new_version(fresh.id)
    register = Register(session)
    head = register.add_staff(StaffMember(name="Ann Head", slt=True))
    live = register.propose(Account(platform="Instagram", name="@oak_pe", runner_ids=(head.id,)))
    register.set_status(live.id, Status.ACTIVE, override_reason="Running since before the register existed")
    items = [i for i in attention(session) if i.area == "forms"]
    by_target = {i.target: i for i in items}
    assert by_target[f"forms/{old.id}"].level == "overdue" and "Old blog" in by_target[f"forms/{old.id}"].text
    assert by_target[f"forms/{soon.id}"].level == "due soon"
    assert f"forms/{fresh.id}" not in by_target
    assert "@oak_pe (Instagram)" in by_target["forms"].text and by_target["forms"].level == "advice"
    assessment = book.create("social-media-consideration", "Instagram", live.id)
    book.save_draft(assessment.id, {key("social-media-consideration", "Site being"): "Instagram"})
    book.new_version(assessment.id)
    assert "forms" not in {i.target for i in attention(session)}


def test_verify_checks_every_version_belongs_to_its_form(session) -> None:  # type: ignore[no-untyped-def]
    book = FormBook(session)
    form = book.create("pre-use-checklist", "Blog")
    book.save_draft(form.id, {key("pre-use-checklist", "What do we want"): "x"})
    version = book.new_version(form.id)
    report = verify_store(session)
    assert report.ok and any("forms: 1 forms, 1 versions" in c.text for c in report.checks)
    with session.transaction():
        session.db.table("form_versions").update({"form_id": 99}, doc_ids=[version.id])
    report = verify_store(session)
    assert not report.ok and any("version(s) of a missing form" in c.text for c in report.checks if not c.ok)
