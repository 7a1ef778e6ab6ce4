"""Consent records: history, derived state, type-ahead, never-publish, exports, home items."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safedesk.store.consents.pupils import (
    ChildView,
    ConsentChange,
    ConsentStatus,
    NeverPublish,
    Pupil,
    Purpose,
    add_pupil,
    cleared_export,
    derive_states,
    expiring,
    find_pupils,
    format_date,
    get_pupil,
    mark_left,
    md_cell,
    never_publish_export,
    normalise_year,
    parse_date,
    pupil_index,
    record_consent,
    search_rows,
    set_never_publish,
    update_details,
    write_export,
)
from safedesk.store.engine.records import utcnow
from safedesk.store.errors import InvalidInput, NotAllowed
from safedesk.store.features import attention, verify_store
from tests.kit import current_day

HOSTILE = "[@click=app.quit]x[/] [/bold] [bold \x1b[31m"


def change(purpose: Purpose = Purpose.SOCIAL_MEDIA, status: ConsentStatus = ConsentStatus.GRANTED, **kw) -> ConsentChange:  # type: ignore[no-untyped-def]
    return ConsentChange(purpose=purpose, status=status, recorded_at=utcnow(), **kw)


def pupil(session, name: str, **kw) -> Pupil:  # type: ignore[no-untyped-def]
    return add_pupil(session, Pupil(name=name, **kw))


# --------------------------------------------------------------------- dates and years


@pytest.mark.parametrize(
    "text, expected",
    [
        ("01/09/2025", date(2025, 9, 1)),
        ("1/9/2025", date(2025, 9, 1)),
        ("01-09-2025", date(2025, 9, 1)),
        ("01.09.2025", date(2025, 9, 1)),
        ("2025-09-01", date(2025, 9, 1)),
        ("2025-09-01T00:00:00", date(2025, 9, 1)),
        ("01/09/2025 00:00", date(2025, 9, 1)),
        ("01/09/25", date(2025, 9, 1)),
        ("1 Sep 2025", date(2025, 9, 1)),
        ("1 September 2025", date(2025, 9, 1)),
        ("01-Sep-2025", date(2025, 9, 1)),
    ],
)
def test_dates_as_uk_mis_exports_write_them(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2025", "09/13/2025", "2025-13-01", "yesterday", "", "01/09"])
def test_bad_dates_are_refused_with_the_expected_format(text):
    with pytest.raises(InvalidInput, match="DD/MM/YYYY") as error:
        parse_date(text, "given_on")
    assert error.value.field == "given_on"


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_format_and_parse_round_trip(day):
    assert parse_date(format_date(day)) == day
    assert parse_date(day.isoformat()) == day


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5", "Year 5"),
        ("Y5", "Year 5"),
        ("Yr 5", "Year 5"),
        ("year 05", "Year 5"),
        ("NC Year 11", "Year 11"),
        ("R", "Reception"),
        ("Rec", "Reception"),
        ("N2", "Nursery"),
        ("Year 15", "Year 15"),
        ("Sixth form", "Sixth form"),
        ("", ""),
    ],
)
def test_year_groups_are_normalised(text, expected):
    assert normalise_year(text) == expected


# --------------------------------------------------------------------- history and derived state


def test_state_is_derived_from_history_and_withdrawal_keeps_the_date(session):
    p = pupil(session, "Amelia Smith", form="5B")
    record_consent(
        session,
        p.id,
        [
            change(
                given_on=current_day() - timedelta(days=300),
                given_by="Jo Smith",
                relationship="mother",
                parental_responsibility=True,
            )
        ],
    )
    withdrawn_on = current_day() - timedelta(days=10)
    stored = record_consent(session, p.id, [change(status=ConsentStatus.REFUSED, given_on=withdrawn_on)])
    state = stored.states()[Purpose.SOCIAL_MEDIA]
    assert state.status is ConsentStatus.REFUSED and state.withdrawn_on == withdrawn_on
    assert state.word(current_day()) == "withdrawn"
    # Both entries are kept; the grant is not overwritten.
    assert [c.status for c in stored.consents] == [ConsentStatus.GRANTED, ConsentStatus.REFUSED]
    assert stored.consents[0].given_by == "Jo Smith"
    assert stored.consents[0].recorded_by == "Sam Patel (DSL)" and stored.consents[0].source == "screen"
    again = record_consent(session, p.id, [change(given_on=current_day())])
    assert again.states()[Purpose.SOCIAL_MEDIA].word(current_day()) == "granted"
    assert again.states()[Purpose.WEBSITE].word(current_day()) == "not recorded"


def test_refusal_without_an_earlier_grant_is_refused_not_withdrawn(session):
    p = pupil(session, "Ben Jones")
    stored = record_consent(session, p.id, [change(status=ConsentStatus.REFUSED)])
    assert stored.states()[Purpose.SOCIAL_MEDIA].word(current_day()) == "refused"


def test_expiry_uses_the_review_date_as_the_last_valid_day(session):
    p = pupil(session, "Cara Lee")
    stored = record_consent(
        session,
        p.id,
        [
            change(Purpose.WEBSITE, given_on=current_day() - timedelta(days=400), review_on=current_day()),
            change(Purpose.PRINT, given_on=current_day() - timedelta(days=400), review_on=current_day() - timedelta(days=1)),
            change(Purpose.PRESS, given_on=current_day() - timedelta(days=400), review_on=current_day() + timedelta(days=31)),
        ],
    )
    states = stored.states()
    assert states[Purpose.WEBSITE].word(current_day()) == "expiring" and states[Purpose.WEBSITE].cleared(current_day())
    assert states[Purpose.PRINT].word(current_day()) == "expired" and not states[Purpose.PRINT].cleared(current_day())
    assert states[Purpose.PRESS].word(current_day()) == "granted"


def test_history_is_never_rewritten(session):
    p = pupil(session, "Dev Patel")
    stored = record_consent(session, p.id, [change()])
    edited = dataclasses.replace(stored, consents=(dataclasses.replace(stored.consents[0], status=ConsentStatus.REFUSED),))
    with pytest.raises(NotAllowed, match="never rewritten"):
        update_details(session, edited)
    with pytest.raises(NotAllowed):
        update_details(session, dataclasses.replace(stored, consents=()))
    assert get_pupil(session, p.id).consents == stored.consents


@pytest.mark.parametrize(
    "kw, field, message",
    [
        ({"given_on": current_day() + timedelta(days=1)}, "given_on", "in the future"),
        (
            {"given_on": current_day() - timedelta(days=5), "review_on": current_day() - timedelta(days=6)},
            "review_on",
            "before the date given",
        ),
        ({"parental_responsibility": False, "relationship": "aunt"}, "parental_responsibility", "parental responsibility"),
    ],
)
def test_consent_rules(session, kw, field, message):
    p = pupil(session, "Eve Adams")
    with pytest.raises(InvalidInput, match=message) as error:
        record_consent(session, p.id, [change(**kw)])
    assert error.value.field == field
    assert get_pupil(session, p.id).consents == ()


def test_a_competent_pupil_may_consent_for_themselves_and_their_objection_stops_use(session):
    p = pupil(session, "Fay Green", year_group="Year 9")
    stored = record_consent(
        session, p.id, [change(parental_responsibility=False, relationship="Pupil", child_view=ChildView.AGREES)]
    )
    assert stored.states()[Purpose.SOCIAL_MEDIA].cleared(current_day())
    objecting = record_consent(session, p.id, [change(parental_responsibility=True, child_view=ChildView.OBJECTS)])
    assert not objecting.states()[Purpose.SOCIAL_MEDIA].cleared(current_day())


def test_no_purpose_chosen_is_refused(session):
    p = pupil(session, "Gus Hill")
    with pytest.raises(InvalidInput) as error:
        record_consent(session, p.id, [])
    assert error.value.field == "purposes"


def test_mis_ids_are_unique(session):
    pupil(session, "Hana Ito", mis_id="A123")
    with pytest.raises(InvalidInput) as error:
        pupil(session, "Ian Jay", mis_id="a123")
    assert error.value.field == "mis_id"


def test_pupil_rules_name_required(session):
    with pytest.raises(InvalidInput) as error:
        pupil(session, "   ")
    assert error.value.field == "name"


_statuses = st.sampled_from(list(ConsentStatus))
_purposes = st.sampled_from(list(Purpose))
_days = st.integers(min_value=-800, max_value=0).map(lambda d: current_day() + timedelta(days=d))


@st.composite
def histories(draw):  # type: ignore[no-untyped-def]
    out = []
    for _ in range(draw(st.integers(0, 12))):
        given_on = draw(st.none() | _days)
        review = draw(st.none() | st.integers(0, 800)) if given_on else None
        out.append(
            change(
                draw(_purposes),
                draw(_statuses),
                given_on=given_on,
                review_on=given_on + timedelta(days=review) if given_on and review is not None else None,
                child_view=draw(st.sampled_from(list(ChildView))),
            )
        )
    return tuple(out)


@settings(max_examples=150, deadline=None)
@given(histories())
def test_list_index_and_record_agree_on_every_history(history):
    """The index reads stored documents directly: it must derive exactly what the record does."""
    record = Pupil(name="x", consents=history)
    from safedesk.store.consents.pupils import _row  # the index's reader of one stored document

    assert _row(1, record.to_doc()).states == record.states()
    assert derive_states(c.facts() for c in history) == record.states()


# --------------------------------------------------------------------- type-ahead


NAMES = ["Zoë O'Brien", "Ben Smith-Jones", "محمد علي", "Siobhán Ní Bhriain", HOSTILE, "Amelia Smith"]


def test_find_pupils_by_name_preferred_name_or_class(session):
    for i, name in enumerate(NAMES):
        pupil(session, name, form=f"{i + 3}B", preferred_name="Milly" if name == "Amelia Smith" else "")
    assert [p.name for p in find_pupils(session, "zoe obr")] == ["Zoë O'Brien"]  # accents, apostrophe ignored
    assert [p.name for p in find_pupils(session, "jones")] == ["Ben Smith-Jones"]  # each part of a hyphenated name
    assert [p.name for p in find_pupils(session, "محمد")] == ["محمد علي"]
    assert [p.name for p in find_pupils(session, "siobhan")] == ["Siobhán Ní Bhriain"]
    assert [p.name for p in find_pupils(session, "milly")] == ["Amelia Smith"]
    assert [p.name for p in find_pupils(session, "[@click")] == [HOSTILE.replace("\x1b", "")]
    assert [p.form for p in find_pupils(session, "4b")] == ["4B"]
    assert len(find_pupils(session, "b", limit=2)) == 2
    assert find_pupils(session, "   ") == [] and find_pupils(session, "nobody here") == []
    assert all(isinstance(p, Pupil) for p in find_pupils(session, "smith"))


def test_find_pupils_ranks_current_pupils_and_name_starts_first(session):
    gone = pupil(session, "Sam Adams")
    mark_left(session, gone.id, current_day() - timedelta(days=1))
    pupil(session, "Adam Sams")
    pupil(session, "Sam Brown")
    assert [p.name for p in find_pupils(session, "sam")] == ["Sam Brown", "Adam Sams", "Sam Adams"]


def test_index_follows_every_change(session):
    p = pupil(session, "Jo King")
    assert pupil_index(session).by_id[p.id].states[Purpose.WEBSITE].status is None
    record_consent(session, p.id, [change(Purpose.WEBSITE)])
    assert pupil_index(session).by_id[p.id].states[Purpose.WEBSITE].status is ConsentStatus.GRANTED
    update_details(session, dataclasses.replace(get_pupil(session, p.id), name="Joanna King"))
    assert [r.name for r in search_rows(session, "joanna")] == ["Joanna King"]


# --------------------------------------------------------------------- never publish, leavers


def test_never_publish_flag_history_and_audit_without_category(session):
    p = pupil(session, "Kit Lowe")
    set_never_publish(session, p.id, NeverPublish.ADOPTED, current_day())
    stored = set_never_publish(session, p.id, None)
    assert stored.never_publish is None
    flagged = set_never_publish(session, p.id, NeverPublish.COURT_ORDER)
    assert flagged.never_publish is NeverPublish.COURT_ORDER and len(flagged.flags) == 3
    summaries = " ".join(e.summary for e in session.audit.entries())
    assert "never-publish flag set" in summaries and "adopted" not in summaries and "court" not in summaries
    with pytest.raises(InvalidInput):
        set_never_publish(session, p.id, NeverPublish.OTHER, current_day() + timedelta(days=2))


def test_mark_left_and_back(session):
    p = pupil(session, "Lee Moss")
    assert not mark_left(session, p.id, current_day()).active(current_day())
    assert mark_left(session, p.id, None).active(current_day())


# --------------------------------------------------------------------- exports, home, verify


def test_exports_say_they_hold_personal_data_escape_markup_and_are_audited(session, tmp_path):
    flagged = pupil(session, "Mo | *Star* [x](http://evil)", year_group="5", form="5B")
    set_never_publish(session, flagged.id, NeverPublish.LOOKED_AFTER)
    cleared = pupil(session, "Nia Owen", form="5B")
    record_consent(session, cleared.id, [change(review_on=current_day() + timedelta(days=10), given_on=current_day())])
    refused = pupil(session, "Ola Penn", form="5B")
    record_consent(session, refused.id, [change(status=ConsentStatus.REFUSED)])

    made = never_publish_export(session)
    assert "Contains personal data about children" in made.text and made.count == 1
    assert "Mo \\| \\*Star\\* \\[x\\](http://evil)" in made.text
    assert "looked after" not in made.text  # the category only on request
    assert "looked after" in never_publish_export(session, with_reasons=True).text

    listed = cleared_export(session, Purpose.SOCIAL_MEDIA)
    assert "Nia Owen" in listed.text and "Ola Penn" not in listed.text and "Mo" not in listed.text
    assert format_date(current_day() + timedelta(days=10)) in listed.text and "personal data" in listed.text

    path = tmp_path / "never.md"
    write_export(session, made, path)
    assert path.read_text(encoding="utf-8") == made.text
    entry = session.audit.entries()[-1]
    assert entry.action == "export.consents-never-publish" and "1 pupil" in entry.summary and "Mo" not in entry.summary
    with pytest.raises(InvalidInput, match="already exists"):
        write_export(session, made, path)
    with pytest.raises(InvalidInput, match="folder does not exist"):
        write_export(session, made, tmp_path / "missing" / "x.md")


def test_md_cell_keeps_text_as_text():
    assert md_cell("a|b") == "a\\|b"
    assert md_cell("<script>") == "\\<script\\>"
    assert md_cell("O'Brien-Smith") == "O'Brien-Smith"


def test_attention_counts_expiring_and_expired_without_names(session):
    a = pupil(session, "Pat Quinn")
    record_consent(
        session,
        a.id,
        [
            change(Purpose.WEBSITE, review_on=current_day() + timedelta(days=3)),
            change(Purpose.PRINT, review_on=current_day() + timedelta(days=40)),
        ],
    )
    b = pupil(session, "Rae Sim")
    record_consent(
        session,
        b.id,
        [change(Purpose.WEBSITE, given_on=current_day() - timedelta(days=400), review_on=current_day() - timedelta(days=2))],
    )
    gone = pupil(session, "Sol Tay")
    record_consent(session, gone.id, [change(Purpose.WEBSITE, review_on=current_day() + timedelta(days=1))])
    mark_left(session, gone.id, current_day())
    items = [i for i in attention(session) if i.area == "consents"]
    assert [(i.level, i.text) for i in items] == [
        ("overdue", "1 image consent (1 pupil) expired: renew them or treat them as not given."),
        ("due soon", "1 image consent (1 pupil) expires within 30 days."),
    ]
    assert all(i.target == "consents/expiring" for i in items)
    assert [e.pupil.name for e in expiring(session)] == ["Rae Sim", "Pat Quinn"]


def test_verify_reports_pupils(session):
    pupil(session, "Uma Vale", mis_id="Z1")
    report = verify_store(session)
    assert report.ok and any("consents: 1 pupil, MIS ids unique" in c.text for c in report.checks)
