"""Decisions ordered by when they were given: no withdrawn consent ever comes back.

The three withdrawal scenarios of issue 15 (withdrawal in the app, then the termly file
again; withdrawal from a newer file, then the older one again; last year's file), the
preview that flags old entries and grants that would replace a refusal, and a property:
any set of files imported in any order leaves each purpose at the decision with the
latest date given.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safedesk.store.consents.check import check_pupils, resolve_pupil
from safedesk.store.consents.importer import apply_import, plan_import
from safedesk.store.consents.pupils import ConsentChange, ConsentStatus, Pupil, Purpose, format_date, record_consent
from tests.kit import current_day

THIS_TERM = current_day() - timedelta(days=60)
LAST_YEAR = current_day() - timedelta(days=420)
HEADER = "UPN,Forename,Surname,Year,Form,School website,Official social media,Date given\r\n"


def termly(given_on: date, social: str = "yes", website: str = "yes", *, crlf: bool = True) -> bytes:
    end = "\r\n" if crlf else "\n"
    text = HEADER + f"A1,Amelia,Smith,5,5B,{website},{social},{format_date(given_on)}\r\n"
    return ("\ufeff" + text.replace("\r\n", end)).encode("utf-8")


def do_import(session, data: bytes, name: str = "termly.csv"):  # type: ignore[no-untyped-def]
    plan = plan_import(session, data, name)
    assert not plan.errors, [str(e) for e in plan.errors]
    apply_import(session, plan)
    return plan


def social_check(session) -> tuple[bool, str]:  # type: ignore[no-untyped-def]
    pupil = resolve_pupil(session, "A1").pupil
    assert pupil is not None
    result = check_pupils([pupil], [Purpose.SOCIAL_MEDIA])
    return result.passed, result.verdicts[0].reason


def withdraw_in_app(session, on: date) -> None:  # type: ignore[no-untyped-def]
    pupil = resolve_pupil(session, "A1").pupil
    assert pupil is not None and pupil.id is not None
    change = ConsentChange(
        purpose=Purpose.SOCIAL_MEDIA,
        status=ConsentStatus.REFUSED,
        given_by="Jo Smith",
        given_on=on,
        recorded_at=datetime.now(UTC),
    )
    record_consent(session, pupil.id, [change])


def test_withdrawal_in_the_app_then_the_termly_file_again_stays_stop(session):
    data = termly(THIS_TERM)
    do_import(session, data)
    assert social_check(session)[0]
    withdraw_in_app(session, current_day() - timedelta(days=5))
    # The same file again (same bytes), and the same export saved again (other bytes, same rows).
    again = plan_import(session, data, "termly.csv")
    apply_import(session, again)
    resaved = plan_import(session, termly(THIS_TERM, crlf=False), "termly (1).csv")
    apply_import(session, resaved)
    passed, reason = social_check(session)
    assert not passed and reason.startswith("consent withdrawn on")
    assert not again.changes and again.already is not None and not resaved.regrants


def test_withdrawal_from_a_newer_file_then_the_older_file_stays_stop(session):
    do_import(session, termly(THIS_TERM), "autumn.csv")
    do_import(session, termly(current_day() - timedelta(days=3), social="Declined"), "spring.csv")
    assert not social_check(session)[0]
    older_again = plan_import(session, termly(THIS_TERM, website="Confirmed"), "autumn-reexport.csv")
    apply_import(session, older_again)
    passed, reason = social_check(session)
    assert not passed and "withdrawn" in reason
    assert "kept as history" in "\n".join(older_again.summary_lines()) and not older_again.regrants
    assert older_again.history_lines() == [
        "line 2: school website, official social media: older than what is recorded: kept as history"
    ]


def test_last_years_file_never_brings_back_an_old_grant(session):
    do_import(session, termly(THIS_TERM, social="No"), "this-year.csv")
    last_year = termly(LAST_YEAR, social="Yes").replace(b",5,5B,", b",4,4B,")
    plan = plan_import(session, last_year, "last-year.csv")
    apply_import(session, plan)
    passed, reason = social_check(session)
    assert not passed and reason == f"consent withdrawn on {format_date(THIS_TERM)}"  # granted last year, refused since
    assert plan.rows[0].history_only == (Purpose.WEBSITE, Purpose.SOCIAL_MEDIA)
    assert "Current decisions that would change: none." in plan.summary_lines()
    amelia = session.repo(Pupil).all()[0]
    assert len(amelia.consents) == 4  # last year's entries are kept, as history
    assert (amelia.year_group, amelia.form) == ("Year 5", "5B")  # and last year's class does not come back


def test_a_newer_grant_after_a_refusal_is_listed_for_confirmation(session):
    do_import(session, termly(THIS_TERM, social="No"))
    plan = plan_import(session, termly(current_day() - timedelta(days=1), social="Granted"), "new.csv")
    assert [str(g) for g in plan.regrants] == [
        f"line 2: Amelia Smith: official social media granted (given {format_date(current_day() - timedelta(days=1))}) "
        "would replace a refusal"
    ]
    assert "Current decisions that would change: official social media 1." in plan.summary_lines()
    apply_import(session, plan)
    assert social_check(session)[0]  # confirmed: the newer grant is current


def test_an_undated_file_is_ordered_by_when_it_was_imported_and_its_regrants_are_listed(session):
    header = "UPN,Name,Social media\r\n"
    do_import(session, (header + "A1,Amelia Smith,yes\r\n").encode(), "a.csv")
    withdraw_in_app(session, current_day())
    plan = plan_import(session, (header + "A1,Amelia Smith,Y\r\n").encode(), "old-copy.csv")
    assert len(plan.regrants) == 1 and "no date given" in str(plan.regrants[0])


# --------------------------------------------------------------------- property

_example = itertools.count()
_STATUS_WORDS = {ConsentStatus.GRANTED: "Granted", ConsentStatus.REFUSED: "Not Granted", ConsentStatus.NOT_ASKED: "Pending"}
_decision = st.tuples(
    st.integers(0, 2),  # pupil
    st.sampled_from(list(Purpose)),
    st.sampled_from(list(_STATUS_WORDS)),
    st.integers(1, 2000),  # days before today: unique, so "the latest date given" is one decision
    st.integers(0, 3),  # which file it is in
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    decisions=st.lists(_decision, min_size=1, max_size=20, unique_by=lambda d: d[3]),
    order=st.permutations(range(4)),
)
def test_any_files_in_any_order_leave_the_latest_decision_given_current(session, decisions, order):
    n = next(_example)  # pupils of each example are their own (the store is shared between examples)
    files: dict[int, list[str]] = {}
    for pupil, purpose, status, days, file in decisions:
        given_on = format_date(current_day() - timedelta(days=days))
        files.setdefault(file, []).append(f"E{n}-{pupil},Pupil {n} {pupil},{purpose.label},{_STATUS_WORDS[status]},{given_on}")
    for file in order:
        if file in files:
            text = "UPN,Student,Consent Type,Consent Given,Date\r\n" + "\r\n".join(files[file]) + "\r\n"
            do_import(session, text.encode("utf-8"), f"{n}-{file}.csv")
    latest: dict[tuple[int, Purpose], tuple[int, ConsentStatus]] = {}
    for pupil, purpose, status, days, _ in decisions:
        if (pupil, purpose) not in latest or days < latest[pupil, purpose][0]:
            latest[pupil, purpose] = (days, status)
    for (pupil, purpose), (_, status) in latest.items():
        found = resolve_pupil(session, f"E{n}-{pupil}").pupil
        assert found is not None
        assert found.states()[purpose].status is status, (pupil, purpose)


# --------------------------------------------------------------------- two records of one child


def test_a_stale_record_never_answers_pass_for_a_child_another_record_says_is_withdrawn(session):
    from safedesk.store.consents.check import check_rows, resolve_row
    from safedesk.store.consents.pupils import add_pupil, pupil_index

    do_import(session, termly(THIS_TERM))  # A1, granted
    copy = add_pupil(session, Pupil(name="Amelia Smith", year_group="Year 5"))  # kept without a MIS id
    withdrawn = ConsentChange(
        purpose=Purpose.SOCIAL_MEDIA, status=ConsentStatus.REFUSED, given_on=current_day(), recorded_at=datetime.now(UTC)
    )
    record_consent(session, copy.id, [withdrawn])
    row, _ = resolve_row(session, "A1")
    assert row is not None
    result = check_rows([row], [Purpose.SOCIAL_MEDIA], index=pupil_index(session))
    assert not result.passed and "another record with this name" in result.verdicts[0].reason
    # Two children with their own MIS ids are two children: one's refusal says nothing about the other.
    add_pupil(session, Pupil(name="Amelia Smith", year_group="Year 5", mis_id="B9"))
    record_consent(session, copy.id, [dataclasses.replace(withdrawn, status=ConsentStatus.GRANTED)])
    assert check_rows([row], [Purpose.SOCIAL_MEDIA], index=pupil_index(session)).passed
