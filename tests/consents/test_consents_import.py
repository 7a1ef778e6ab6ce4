"""Importing a MIS export: columns, encodings, row errors by line, preview, idempotence."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safedesk.store.consents.importer import (
    COLUMN_KEYS,
    NotCsv,
    apply_import,
    guess_columns,
    parse_map_options,
    plan_import,
    read_headers,
)
from safedesk.store.consents.pupils import ConsentStatus, NeverPublish, Pupil, Purpose, add_pupil, format_date, pupil_index
from safedesk.store.errors import InvalidInput, NotAllowed
from safedesk.store.text.clean import clean_text
from tests.kit import current_day

GIVEN = format_date(current_day() - timedelta(days=60))
REVIEW = format_date(current_day() + timedelta(days=300))
HEADER = [
    "name",
    "preferred_name",
    "year_group",
    "form",
    "mis_id",
    "website",
    "social_media",
    "print",
    "press",
    "video",
    "displays",
    "given_by",
    "relationship",
    "parental_responsibility",
    "given_on",
    "review_on",
    "never_publish",
]


def row(name: str, mis: str = "", **kw: str) -> list[str]:
    values = {
        "name": name,
        "mis_id": mis,
        "year_group": "5",
        "form": "5B",
        "website": "yes",
        "social_media": "yes",
        "given_by": "Jo Parent",
        "relationship": "mother",
        "parental_responsibility": "yes",
        "given_on": GIVEN,
        "review_on": REVIEW,
        **kw,
    }
    return [values.get(h, "") for h in HEADER]


def to_csv(rows: list[list[str]], header: list[str] = HEADER, *, bom: bool = True, newline: str = "\r\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)  # Excel's dialect: quotes only where needed
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def imported(session, data: bytes, **kw):  # type: ignore[no-untyped-def]
    plan = plan_import(session, data, "export.csv", **kw)
    assert not plan.errors, [str(e) for e in plan.errors]
    apply_import(session, plan)
    return plan


def stored(session) -> dict[str, Pupil]:  # type: ignore[no-untyped-def]
    return {p.name: p for p in session.repo(Pupil).all()}


# --------------------------------------------------------------------- reading


def test_documented_columns_bom_crlf_and_excel_quoting(session):
    rows = [
        row('Zoë "Zo" O\'Brien', "A1", preferred_name="Zo", never_publish="Looked after"),
        row("Smith, Amelia", "A2", social_media="No", press="not asked"),
        row("Ben Smith-Jones", "A3", given_by="Parent, with comma", relationship="carer"),
    ]
    plan = imported(session, to_csv(rows))
    assert plan.rows_read == 3 and len(plan.new) == 3
    pupils = stored(session)
    zoe = pupils['Zoë "Zo" O\'Brien']
    assert zoe.preferred_name == "Zo" and zoe.year_group == "Year 5" and zoe.mis_id == "A1"
    assert zoe.never_publish is NeverPublish.LOOKED_AFTER
    amelia = pupils["Smith, Amelia"].states()
    assert amelia[Purpose.SOCIAL_MEDIA].status is ConsentStatus.REFUSED
    assert amelia[Purpose.PRESS].status is ConsentStatus.NOT_ASKED
    assert amelia[Purpose.VIDEO].status is None  # a blank cell records nothing
    latest = pupils["Ben Smith-Jones"].latest(Purpose.WEBSITE)
    assert latest.given_by == "Parent, with comma" and latest.relationship == "carer" and latest.parental_responsibility is True
    assert latest.given_on == current_day() - timedelta(days=60) and latest.review_on == current_day() + timedelta(days=300)
    assert latest.source.startswith("import ") and latest.recorded_by == "Sam Patel (DSL)"


@pytest.mark.parametrize("bom, newline", [(False, "\n"), (True, "\n"), (False, "\r\n"), (True, "\r")])
def test_line_endings_and_bom_make_no_difference(session, bom, newline):
    plan = plan_import(session, to_csv([row("Amelia Smith", "A1"), row("Ben Jones", "A2")], bom=bom, newline=newline), "x.csv")
    assert not plan.errors and [r.pupil.name for r in plan.new] == ["Amelia Smith", "Ben Jones"]


def test_common_mis_headers_are_recognised_and_names_joined(session):
    header = [
        "UPN",
        "Legal Surname",
        "Legal Forename",
        "Preferred Forename",
        "NC Year",
        "Reg Group",
        "School website",
        "Facebook",
        "Date given",
        "Expiry date",
    ]
    data = to_csv([["A1", "O'Brien", "Zoë", "Zo", "Y6", "6A", "Granted", "Declined", "01/09/2025", "31/08/2027"]], header)
    assert guess_columns(header)["Reg Group"] == "form"
    imported(session, data)
    zoe = stored(session)["Zoë O'Brien"]
    assert (zoe.mis_id, zoe.year_group, zoe.form, zoe.preferred_name) == ("A1", "Year 6", "6A", "Zo")
    assert zoe.states()[Purpose.SOCIAL_MEDIA].status is ConsentStatus.REFUSED


def test_map_option_reads_other_headers(session):
    header = ["Child", "Pupil photo consent", "Comments"]
    data = to_csv([["Amelia Smith", "yes", "ignored text"]], header)
    mapping = parse_map_options(["Pupil photo consent=website", "Comments=ignore"])
    plan = imported(session, data, mapping=mapping)
    assert plan.columns == {"name": "Child", "website": "Pupil photo consent"} and plan.ignored == ["Comments"]
    with pytest.raises(InvalidInput, match="unknown column 'photos'"):
        parse_map_options(["X=photos"])
    with pytest.raises(InvalidInput, match="Header in the file=column"):
        parse_map_options(["no equals sign"])
    with pytest.raises(NotCsv, match="no column 'Missing'"):
        plan_import(session, data, "x.csv", mapping={"Missing": "website"})


def test_windows_1252_files_are_read_with_a_notice(session):
    data = "name,website\r\nZoë O’Brien,yes\r\n".encode("cp1252")
    plan = imported(session, data)
    assert "Zoë O’Brien" in stored(session)
    assert any("Windows-1252" in n for n in plan.notices)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "not an Excel workbook SafeDesk can read"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "old-style Excel"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100), "not a text file"),
        (b"\r\n\r\n,,\r\n", "empty"),
        (b"\r\n\r\nAmelia,yes\r\n", "No column holds the pupil's name"),
        (b"name,comments\r\nAmelia,x\r\n", "No column holds a consent decision. The file's columns: 'name', 'comments'"),
        (b"name,Photo Webiste\r\nAmelia,yes\r\n", "Closest purposes: website"),
        (b"name,Consent Given\r\nAmelia,yes\r\n", "does not say which consent it is"),
        (b"pupil_photo,comments\r\nyes,x\r\n", "No column holds the pupil's name"),
        (b"name,Name\r\nA,B\r\n", "both give name"),
    ],
)
def test_files_that_are_not_a_csv_table_get_a_clear_error(session, data, message):
    with pytest.raises(NotCsv, match=message):
        plan_import(session, data, "x.csv")
    assert session.repo(Pupil).count() == 0


# --------------------------------------------------------------------- row errors


def test_row_errors_are_listed_by_line_and_nothing_is_written(session):
    rows = [
        row("Amelia Smith", "A1"),  # line 2: fine
        row("Ben Jones", "A2", given_on="31/02/2025"),  # line 3: bad date
        row("Cara Lee", "A3", website="maybe"),  # line 4: unknown value
        row("", "A4"),  # line 5: missing name
        row("Dev Patel", "A1"),  # line 6: same MIS id as line 2
        row("Eve Adams", "A6", given_on=format_date(current_day() + timedelta(days=3))),  # line 7: future
        row("Fay Green", "A7", given_on="01/09/2025", review_on="31/08/2025"),  # line 8: review before given
        row("Gus Hill", "A8", never_publish="because"),  # line 9: unknown category
        row("Hana Ito", "A9", parental_responsibility="maybe"),  # line 10
    ]
    data = to_csv(rows)
    plan = plan_import(session, data, "x.csv")
    lines = {e.line: str(e) for e in plan.errors}
    assert sorted(lines) == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert "bad date '31/02/2025'" in lines[3] and "given_on" in lines[3]
    assert "unknown value 'maybe'" in lines[4] and "website" in lines[4]
    assert "name is missing" in lines[5]
    assert lines[6].endswith("the same pupil as line 2") and "appears again" in lines[2]
    assert "future" in lines[7]
    assert "before the date given" in lines[8] and "review_on" in lines[8]
    assert "never_publish" in lines[9] and "parental_responsibility" in lines[10]
    assert plan.error_lines == 9 and not plan.rows
    with pytest.raises(NotAllowed, match="Nothing was imported: 9 rows have errors"):
        apply_import(session, plan)
    assert session.repo(Pupil).count() == 0


def test_valid_only_imports_the_rest(session):
    data = to_csv([row("Amelia Smith", "A1"), row("Ben Jones", "A2", website="perhaps"), row("Cara Lee", "A3")])
    plan = plan_import(session, data, "x.csv")
    outcome = apply_import(session, plan, valid_only=True)
    assert (outcome.added, outcome.skipped_lines) == (2, 1)
    assert set(stored(session)) == {"Amelia Smith", "Cara Lee"}
    assert "1 row with errors skipped" in outcome.sentence()


def test_extra_values_and_unclosed_quotes_are_row_errors(session):
    data = b'name,website\r\nAmelia,yes,surplus\r\nBen,yes\r\n"Cara,yes\r\nDev,yes\r\n'
    plan = plan_import(session, data, "x.csv")
    messages = {e.line: e.message for e in plan.errors}
    assert "has 3 values" in messages[2]
    assert "several lines" in messages[4]
    assert [r.pupil.name for r in plan.rows] == ["Ben"]


def test_names_that_match_two_stored_pupils_need_the_mis_id(session):
    add_pupil(session, Pupil(name="Sam Smith", mis_id="X1"))
    add_pupil(session, Pupil(name="Sam Smith", mis_id="X2"))
    plan = plan_import(session, to_csv([row("Sam Smith")]), "x.csv")
    assert "matches 2 pupils" in plan.errors[0].message
    plan = plan_import(session, to_csv([row("Sam Smith", "X2", website="no")]), "x.csv")
    assert not plan.errors and plan.updated[0].stored.mis_id == "X2"


def test_bad_input_names_survive_as_text(session):
    names = [
        "Zoë O'Brien",
        "Ben Smith-Jones",
        "محمد علي",
        "[bold]Bobby[/] Tables",
        "Jack [@click=app.quit]x[/]",
        "Ann\x1b[31m Lee",
    ]
    imported(session, to_csv([row(n, f"M{i}") for i, n in enumerate(names)]))
    assert set(stored(session)) == {*names[:-1], "Ann[31m Lee"}  # escape sequences removed, markup kept as text


# --------------------------------------------------------------------- re-import


def test_reimporting_the_same_file_changes_nothing(session):
    data = to_csv([row("Amelia Smith", "A1", never_publish="adopted"), row("Ben Jones")])
    imported(session, data)
    entries, before = len(session.audit.entries()), stored(session)
    plan = plan_import(session, data, "x.csv")
    assert not plan.changes and plan.already is not None and "already imported" in plan.summary_lines()[1]
    outcome = apply_import(session, plan)
    assert outcome.sentence().startswith("Nothing to change")
    assert stored(session) == before and len(session.audit.entries()) == entries


def test_a_changed_export_adds_history_and_shows_withdrawals(session):
    imported(session, to_csv([row("Amelia Smith", "A1"), row("Ben Jones", "A2")]))
    later = format_date(current_day() - timedelta(days=1))
    data = to_csv([row("Amelia Smith", "A1", social_media="withdrawn", given_on=later), row("Benjamin Jones", "A2", form="6B")])
    plan = plan_import(session, data, "x.csv")
    summary = "\n".join(plan.summary_lines())
    assert "Pupils updated: 2" in summary and "of which withdrawals: 1" in summary and "Name changes" in summary
    apply_import(session, plan)
    pupils = stored(session)
    amelia = pupils["Amelia Smith"]
    # Social media granted then withdrawn; the website grant again with the row's new date.
    assert [(c.purpose, c.status) for c in amelia.consents[2:]] == [
        (Purpose.WEBSITE, ConsentStatus.GRANTED),
        (Purpose.SOCIAL_MEDIA, ConsentStatus.REFUSED),
    ]
    assert amelia.states()[Purpose.SOCIAL_MEDIA].withdrawn_on == current_day() - timedelta(days=1)
    assert pupils["Benjamin Jones"].form == "6B" and pupils["Benjamin Jones"].mis_id == "A2"


def test_a_renewal_keeps_who_gave_it_when_the_file_leaves_it_out(session):
    imported(session, to_csv([row("Amelia Smith", "A1")]))
    header = ["mis_id", "name", "website", "review_on"]
    renewed = format_date(current_day() + timedelta(days=700))
    plan = imported(session, to_csv([["A1", "Amelia Smith", "yes", renewed]], header))
    latest = stored(session)["Amelia Smith"].latest(Purpose.WEBSITE)
    assert len(plan.updated) == 1 and latest.given_by == "Jo Parent" and format_date(latest.review_on) == renewed


def test_blank_cells_never_erase(session):
    imported(session, to_csv([row("Amelia Smith", "A1", preferred_name="Milly", never_publish="court order")]))
    imported(session, to_csv([row("Amelia Smith", "A1", preferred_name="", never_publish="", website="")]))
    amelia = stored(session)["Amelia Smith"]
    assert amelia.preferred_name == "Milly" and amelia.never_publish is NeverPublish.COURT_ORDER


def test_a_plan_made_before_another_change_is_refused(session):
    plan = plan_import(session, to_csv([row("Amelia Smith", "A1")]), "x.csv")
    add_pupil(session, Pupil(name="Someone Else"))
    with pytest.raises(NotAllowed, match="changed since this preview"):
        apply_import(session, plan)


def test_the_import_is_one_audited_transaction(session):
    before = len(session.audit.entries())
    imported(session, to_csv([row(f"Pupil {i}", f"M{i}") for i in range(25)]))
    entries = session.audit.entries()[before:]
    # One commit: the pupils under one entry, and the file's hash recorded (so it never imports twice).
    assert [e.action for e in entries] == ["consents.import", "record.create"]
    assert "sha256" in entries[1].summary and "Pupil" not in entries[1].summary
    assert "25 pupils added" in entries[0].summary and "Pupil" not in entries[0].summary.replace("pupils", "")
    assert session.audit.verify().ok


def test_five_thousand_rows_with_fifty_bad_ones(session):
    rows, bad = [], set()
    for i in range(5000):
        line = i + 2
        kind = i % 100
        if i < 1000 and kind == 7:
            rows.append(row(f"Pupil {i}", f"M{i}", given_on="32/13/2025"))
        elif i < 1000 and kind == 23:
            rows.append(row(f"Pupil {i}", f"M{i}", print="sometimes"))
        elif i < 1000 and kind == 41:
            rows.append(row("", f"M{i}"))
        elif i < 700 and kind == 59:
            rows.append(row(f"Pupil {i}", f"M{i}", given_on=format_date(current_day() + timedelta(days=30))))
        elif i < 700 and kind == 77:
            rows.append(row(f"Pupil {i}", f"M{i}", given_on="01/09/2025", review_on="01/08/2025"))
        elif i in (4500, 4600, 4700):
            rows.append(row(f"Pupil {i}", f"M{i - 400}"))  # the same MIS id as an earlier, valid row
            bad.add(line - 400)
        else:
            rows.append(row(f"Pupil {i}", f"M{i}"))
            continue
        bad.add(line)
    assert len(bad) == 50
    plan = plan_import(session, to_csv(rows), "big.csv")
    assert {e.line for e in plan.errors} == bad
    assert len(plan.rows) == 4950
    apply_import(session, plan, valid_only=True)
    assert session.repo(Pupil).count() == 4950 == len(pupil_index(session).rows)


# --------------------------------------------------------------------- properties


_name_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\u2028\u2029\x85\ufeff"),
    min_size=1,
    max_size=40,
).filter(lambda s: clean_text(s) != "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(_name_text, min_size=1, max_size=8, unique_by=lambda s: clean_text(s).casefold()))
def test_any_names_written_by_a_spreadsheet_come_back(session, names):
    rows = [row(n, f"P{i}-{abs(hash(n))}") for i, n in enumerate(names)]
    plan = plan_import(session, to_csv(rows), "x.csv")
    if plan.errors:  # only names too long for the record may fail, and then with a clear row error
        assert all("under 100 characters" in e.message for e in plan.errors)
        return
    assert [r.pupil.name for r in plan.new + plan.unchanged + plan.updated] == [clean_text(n) for n in names]


def test_headers_are_read_without_a_store():
    assert read_headers(to_csv([row("A")])) == HEADER
    assert set(HEADER) <= set(COLUMN_KEYS)


def test_the_column_reference_for_schools_documents_every_column():
    from pathlib import Path

    from safedesk.store.consents.importer import COLUMNS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "CONSENTS.md").read_text(encoding="utf-8")
    for column in COLUMNS:
        assert f"| `{column.key}` |" in doc, column.key
        for alias in column.aliases:
            assert alias in doc, (column.key, alias)
