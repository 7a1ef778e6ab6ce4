"""The pre-publish check: the right answer and the right reason on every path."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from safedesk.content.library import default_library
from safedesk.store.consents.check import CHANNELS, IMAGE_RULES, RULES_CARD, check_pupils, check_rows, purposes_for, resolve_pupil
from safedesk.store.consents.pupils import (
    ChildView,
    ConsentChange,
    ConsentStatus,
    NeverPublish,
    Pupil,
    Purpose,
    add_pupil,
    format_date,
    get_pupil,
    mark_left,
    pupil_index,
    record_consent,
    set_never_publish,
)
from safedesk.store.engine.records import utcnow
from safedesk.store.errors import InvalidInput
from tests.kit import current_day

SOCIAL = (Purpose.SOCIAL_MEDIA,)


def given(purpose: Purpose = Purpose.SOCIAL_MEDIA, status: ConsentStatus = ConsentStatus.GRANTED, **kw) -> ConsentChange:  # type: ignore[no-untyped-def]
    kw.setdefault("given_on", current_day() - timedelta(days=30))
    return ConsentChange(purpose=purpose, status=status, recorded_at=utcnow(), **kw)


def make(session, name: str, *changes: ConsentChange, **kw) -> Pupil:  # type: ignore[no-untyped-def]
    p = add_pupil(session, Pupil(name=name, form="5B", **kw))
    return record_consent(session, p.id, changes) if changes else p


def one(session, pupil: Pupil, purposes=SOCIAL):  # type: ignore[no-untyped-def]
    result = check_pupils([get_pupil(session, pupil.id)], purposes)
    # The TUI's path (list rows, nothing decoded) must agree with the records' path.
    assert check_rows([pupil_index(session).by_id[pupil.id]], purposes) == result
    return result


def test_cleared_pupils_pass(session):
    a = make(session, "Amelia Smith", given(review_on=current_day()))
    b = make(session, "Ben Jones", given(review_on=None))
    result = check_pupils([a, b], SOCIAL)
    assert result.passed and not result.stops
    assert result.headline() == "PASS: all 2 pupils are cleared for official social media."
    assert one(session, a).headline() == "PASS: the pupil is cleared for official social media."


@pytest.mark.parametrize(
    "setup, code, reason",
    [
        (lambda s: make(s, "No Record"), "not-recorded", "no consent recorded"),
        (lambda s: make(s, "Not Asked", given(status=ConsentStatus.NOT_ASKED)), "not-asked", "no consent: not asked yet"),
        (lambda s: make(s, "Refused", given(status=ConsentStatus.REFUSED)), "refused", "consent refused"),
        (
            lambda s: make(
                s, "Withdrawn", given(), given(status=ConsentStatus.REFUSED, given_on=current_day() - timedelta(days=3))
            ),
            "withdrawn",
            f"consent withdrawn on {format_date(current_day() - timedelta(days=3))}",
        ),
        (
            lambda s: make(
                s, "Expired", given(given_on=current_day() - timedelta(days=400), review_on=current_day() - timedelta(days=1))
            ),
            "expired",
            f"consent expired (review date {format_date(current_day() - timedelta(days=1))})",
        ),
        (
            lambda s: make(s, "Objects", given(child_view=ChildView.OBJECTS)),
            "child-objects",
            "the pupil objects to their image being used",
        ),
        (
            lambda s: set_never_publish(s, make(s, "Flagged", given()).id, NeverPublish.LOOKED_AFTER),
            "never-publish",
            "on the never-publish list: no image, for any purpose",
        ),
        (lambda s: make(s, "Other Purpose", given(Purpose.WEBSITE)), "not-recorded", "no consent recorded"),
    ],
)
def test_every_stop_reason(session, setup, code, reason):
    pupil = setup(session)
    result = one(session, pupil)
    assert not result.passed
    assert [(v.code, v.reason) for v in result.verdicts] == [(code, reason)]
    assert result.headline() == "STOP: 1 of 1 pupil is not cleared for official social media."


def test_never_publish_outranks_everything_and_one_reason_per_pupil(session):
    p = make(session, "Flagged Refused", given(status=ConsentStatus.REFUSED))
    set_never_publish(session, p.id, NeverPublish.COURT_ORDER)
    verdicts = one(session, p, (Purpose.SOCIAL_MEDIA, Purpose.VIDEO)).verdicts
    assert len(verdicts) == 1 and verdicts[0].code == "never-publish"
    assert "court" not in verdicts[0].reason  # the person posting does not need the category


def test_several_purposes_name_the_one_at_fault(session):
    p = make(session, "Video Missing", given(Purpose.SOCIAL_MEDIA))
    result = one(session, p, purposes_for(["youtube"]))
    assert result.verdicts[0].reason == "video and livestream: no consent recorded"
    assert result.headline() == "STOP: 1 of 1 pupil is not cleared for official social media + video and livestream."


def test_a_mixed_group_stops_and_lists_only_those_who_cannot_appear(session):
    ok = make(session, "Fine Pupil", given())
    stop = make(session, "Stopped Pupil", given(status=ConsentStatus.REFUSED))
    result = check_pupils([ok, stop], SOCIAL)
    assert not result.passed and [v.name for v in result.stops] == ["Stopped Pupil"]
    assert result.headline() == "STOP: 1 of 2 pupils is not cleared for official social media."


def test_no_pupils_is_not_a_pass(session):
    result = check_pupils([], SOCIAL)
    assert not result.passed and result.headline() == "Pick the pupils in the image."


def test_purposes_and_channels():
    assert purposes_for(["social-media"]) == SOCIAL
    assert purposes_for(["Facebook"]) == SOCIAL and purposes_for(["social_media"]) == SOCIAL
    assert purposes_for(["youtube"]) == (Purpose.SOCIAL_MEDIA, Purpose.VIDEO)
    assert purposes_for(["website", "print", "website"]) == (Purpose.WEBSITE, Purpose.PRINT)
    assert {c.purposes[0] for c in CHANNELS if len(c.purposes) == 1} == set(Purpose)
    with pytest.raises(InvalidInput, match="Unknown purpose"):
        purposes_for(["tiktok dance"])
    with pytest.raises(InvalidInput):
        purposes_for([])


def test_resolving_pupils_by_mis_id_or_full_name_never_guesses(session):
    a = make(session, "Zoë O'Brien", mis_id="UPN1", preferred_name="Zo")
    make(session, "Sam Smith", mis_id="UPN2")
    make(session, "Sam Smith", mis_id="UPN3")
    assert resolve_pupil(session, "upn1").pupil.id == a.id
    assert resolve_pupil(session, "  zoe o'brien ").pupil.id == a.id
    assert resolve_pupil(session, "Zo O'Brien").pupil.id == a.id  # preferred name + surname
    assert resolve_pupil(session, "Zoë").pupil is None and resolve_pupil(session, "Zoë").candidates == ()
    ambiguous = resolve_pupil(session, "sam smith")
    assert ambiguous.pupil is None and {r.mis_id for r in ambiguous.candidates} == {"UPN2", "UPN3"}
    assert resolve_pupil(session, "UPN3").pupil.mis_id == "UPN3"


def test_a_leaver_with_the_same_name_does_not_make_a_current_pupil_ambiguous(session):
    old = make(session, "Kim Lowe", mis_id="OLD")
    mark_left(session, old.id, current_day() - timedelta(days=100))
    current = make(session, "Kim Lowe", mis_id="NEW")
    assert resolve_pupil(session, "Kim Lowe").pupil.id == current.id


def test_image_rules_come_from_guidance_cards_that_say_them():
    library = default_library()
    assert RULES_CARD in library.cards
    for rule in IMAGE_RULES:
        card = library.cards[rule.card]
        assert rule.keyword in card.body.casefold(), (rule.card, rule.keyword)


def test_the_index_for_a_few_names_finds_what_the_whole_index_finds(session) -> None:
    """The CLI check builds rows only for the pupils its names reach (and their namesakes)."""
    from safedesk.store.consents.check import possible_duplicates, resolve_row
    from safedesk.store.consents.pupils import Pupil, add_pupil, pupil_index, pupil_index_for

    for pupil in (
        Pupil(name="Amelia Smith", preferred_name="Milly", year_group="Year 5", mis_id="A1"),
        Pupil(name="Amelia  smith", year_group="Year 5"),  # a copy without its MIS id: a possible duplicate
        Pupil(name="Ben Jones", admission_no="123", year_group="Year 2"),
        Pupil(name="Ben Jones", year_group="Year 2", left_on=date(2020, 7, 20)),
        Pupil(name="Ben Jones", year_group="Year 2", mis_id="B7"),
        Pupil(name="Carys Evans", mis_id="C9"),
        Pupil(name="Dewi Evans"),
    ):
        add_pupil(session, pupil)
    whole = pupil_index(session)
    for text in ("Amelia Smith", "milly smith", "a1", "123", "Ben Jones", "b7", "Carys Evans", "Evans", "nobody", ""):
        narrow = pupil_index_for(session, [text, "Dewi Evans"])
        assert len(narrow.rows) < len(whole.rows)
        row, candidates = resolve_row(session, text)
        narrow_row, narrow_candidates = resolve_row(session, text, index=narrow)
        assert (row and row.id, [c.id for c in candidates]) == (narrow_row and narrow_row.id, [c.id for c in narrow_candidates])
        if row is not None:
            assert [d.id for d in possible_duplicates(whole, row)] == [d.id for d in possible_duplicates(narrow, narrow_row)]
