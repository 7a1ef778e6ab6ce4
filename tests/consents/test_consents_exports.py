"""The exports schools have: SIMS-, Arbor- and Bromcom-shaped files, long, wide, single-purpose and .xlsx.

Each fixture is small and built here (no real pupil data). What matters is what
`safedesk consents check` answers after the import, and that every bad row is
named by its line while the good ones still import.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from safedesk.cli.consents import consents
from safedesk.cli.main import cli
from safedesk.store.consents.importer import NotCsv, apply_import, plan_import, purpose_choice, read_table
from safedesk.store.consents.pupils import ConsentStatus, Pupil, Purpose, pupil_index
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput
from tests.kit import PASSPHRASE, current_day

if "consents" not in cli.commands:
    cli.add_command(consents)

D1 = current_day() - timedelta(days=40)
UK = D1.strftime("%d/%m/%Y")
ABBR = f"{D1.day} {'Sept' if D1.month == 9 else D1.strftime('%b')} {D1.year}"  # "1 Sept 2025"
DMY_SHORT = D1.strftime("%d-%b-%y")  # "01-Sep-25"

# SIMS "Parental Consent" (long: one row per pupil per consent type), comma-separated, UTF-8 with BOM.
SIMS_LONG = (
    "\ufeffAdno,UPN,Legal Surname,Legal Forename,Year,Reg Group,Consent Type,Consent Given,Confirmed/Declined By,Date\r\n"
    f"001,A100,Smith,Amelia,Year 5,5B,Photographs - School Website,Yes,Jo Smith,{ABBR}\r\n"
    f"001,A100,Smith,Amelia,Year 5,5B,Photographs (Social Media),No,Jo Smith,{ABBR}\r\n"
    f"001,A100,Smith,Amelia,Year 5,5B,School Trips,Yes,Jo Smith,{ABBR}\r\n"
    f"002,A101,O'Brien,Zoë,Year 6,6A,Photographs - School Website,Yes,Sean O'Brien,{UK}\r\n"
    f"002,A101,O'Brien,Zoë,Year 6,6A,Photographs (Social Media),Yes,Sean O'Brien,{UK}\r\n"
).encode()

# Arbor's per-consent download (single purpose: no consent type column), semicolon-separated.
ARBOR_SINGLE = (
    "Student;UPN;Year;Registration Form;Consent Given;Confirmed/Declined By;Date Confirmed\r\n"
    f"Amelia Smith;A100;Year 5;5B;Confirmed;Jo Smith;{UK}\r\n"
    f"Zoë O'Brien;A101;Year 6;6A;Declined;Sean O'Brien;{UK}\r\n"
    f"Ben Jones;A102;Reception;RB;Pending;;\r\n"
).encode()

# Bromcom's consent report (wide), tab-separated, UTF-16 with a BOM.
BROMCOM_WIDE = (
    "UPN\tAdno\tForename\tSurname\tDOB\tYear\tForm\tPhotographs - School Website\tPhotographs (Social Media)\t"
    "Newsletter\tLocal Press\tVideo\tDisplays\tConsent Date\r\n"
    f"A100\t001\tAmelia\tSmith\t04/03/2016\tY5\t5B\tT\tF\tGranted\tNot Granted\tY\tN\t{DMY_SHORT}\r\n"
    f"A101\t002\tZoë\tO'Brien\t11/07/2015\tY6\t6A\tTRUE\tTRUE\tConsent given\tConsent refused\tY\tY\t{DMY_SHORT}\r\n"
).encode("utf-16")


@pytest.fixture
def pw(tmp_path: Path) -> Path:
    path = tmp_path / "pw.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


@pytest.fixture
def store(store_dir: Path) -> Path:
    Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    return store_dir


def run(store: Path, pw: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--store", str(store), "consents", *args, "--passphrase-file", str(pw)])


def cli_import(store: Path, pw: Path, tmp_path: Path, name: str, data: bytes, *extra: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    result = run(store, pw, "import", str(path), "--yes", *extra)
    assert result.exit_code == 0, result.output
    return result.output


def check(store: Path, pw: Path, purpose: str, *pupils: str) -> tuple[int, str]:
    result = run(store, pw, "check", "--purpose", purpose, *pupils)
    return result.exit_code, result.output


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --------------------------------------------------------------------- the three MIS shapes, checked


def test_sims_long_layout_then_check(store, pw, tmp_path):
    output = cli_import(store, pw, tmp_path, "Parental Consent.csv", SIMS_LONG)
    assert "one row per pupil per consent" in output and "School Trips" in output  # other consents: said, not read
    assert check(store, pw, "website", "A100", "A101")[0] == 0
    code, text = check(store, pw, "social-media", "A100")
    assert code == 1 and "consent refused" in text
    assert check(store, pw, "social-media", "001")[0] == 1  # the Adno finds the same pupil, UPN kept as MIS id


def test_arbor_single_purpose_with_purpose_option_then_check(store, pw, tmp_path):
    path = tmp_path / "consent.csv"
    path.write_bytes(ARBOR_SINGLE)
    refused = run(store, pw, "import", str(path), "--yes")
    assert refused.exit_code == 2 and "does not say which consent" in refused.stderr
    cli_import(store, pw, tmp_path, "consent.csv", ARBOR_SINGLE, "--purpose", "TikTok")
    assert check(store, pw, "social-media", "Amelia Smith")[0] == 0
    code, text = check(store, pw, "social-media", "A101", "A102")
    assert code == 1 and "consent refused" in text and "not asked yet" in text
    assert check(store, pw, "website", "A100")[0] == 1  # nothing recorded for another purpose


def test_bromcom_wide_utf16_tabs_then_check(store, pw, tmp_path):
    cli_import(store, pw, tmp_path, "report.txt", BROMCOM_WIDE)
    assert check(store, pw, "website", "A100", "A101")[0] == 0
    assert check(store, pw, "social-media", "A100")[0] == 1
    assert check(store, pw, "print", "A100", "A101")[0] == 0
    assert check(store, pw, "press", "A101")[0] == 1
    assert check(store, pw, "youtube", "A101")[0] == 0 and check(store, pw, "youtube", "A100")[0] == 1


def test_xlsx_written_by_excel_then_check(store, pw, tmp_path):
    data = xlsx(
        [
            ["Parental consent report"],  # a title above the header row is passed over
            ["UPN", "Forename", "Surname", "Year", "Photographs - School Website", "Photographs (Social Media)", "Date"],
            ["A100", "Amelia", "Smith", 5, "Yes", False, datetime.combine(D1, datetime.min.time())],
            ["A101", "Zoë", "O'Brien", "Year 6", True, "Granted", D1],
        ]
    )
    cli_import(store, pw, tmp_path, "consents.xlsx", data)
    assert check(store, pw, "website", "A100", "A101")[0] == 0
    assert check(store, pw, "social-media", "A100")[0] == 1 and check(store, pw, "social-media", "A101")[0] == 0


def test_xlsx_date_serials_and_month_first_dates_are_row_errors_never_guessed(session):
    data = xlsx(
        [
            ["UPN", "Name", "Website", "Date"],
            ["A1", "Amelia Smith", "Yes", 45901],  # a number where a date belongs: an Excel serial
            ["A2", "Ben Jones", "Yes", "09/13/2025"],  # month first
            ["A3", "Cara Lee", "Yes", D1],
        ]
    )
    plan = plan_import(session, data, "x.xlsx")
    messages = {e.line: e.message for e in plan.errors}
    assert "Excel date serial" in messages[2] and "bad date '09/13/2025'" in messages[3]
    assert [r.pupil.name for r in plan.rows] == ["Cara Lee"]


def test_long_layout_rows_for_one_pupil_make_one_pupil(session):
    plan = plan_import(session, SIMS_LONG, "sims.csv")
    assert not plan.errors and len(plan.new) == 2
    apply_import(session, plan)
    amelia = next(p for p in session.repo(Pupil).all() if p.mis_id == "A100")
    assert amelia.admission_no == "001" and amelia.latest(Purpose.WEBSITE).given_on == D1
    assert amelia.latest(Purpose.SOCIAL_MEDIA).given_by == "Jo Smith"


def test_adno_only_file_then_upn_file_updates_the_same_pupil(session):
    apply_import(session, plan_import(session, b"Adno,Name,Website\r\n001,Amelia Smith,yes\r\n", "a.csv"))
    apply_import(session, plan_import(session, b"UPN,Adno,Name,Website\r\nA100,001,Amelia Smith,no\r\n", "b.csv"))
    (amelia,) = session.repo(Pupil).all()
    assert (amelia.mis_id, amelia.admission_no) == ("A100", "001")
    assert amelia.states()[Purpose.WEBSITE].status is ConsentStatus.REFUSED


def test_values_schools_write(session):
    header = "Name,Website\r\n"
    words = ["Confirmed", "Declined", "Pending", "Granted", "Not Granted", "T", "F", "Y", "N", "TRUE", "FALSE"]
    words += ["Consent given", "Consent refused"]
    rows = "".join(f"Pupil {i},{w}\r\n" for i, w in enumerate(words))
    plan = plan_import(session, (header + rows).encode(), "v.csv")
    assert not plan.errors
    got = [r.consent_changes[0].status.value for r in plan.rows]
    g, r, n = "granted", "refused", "not-asked"
    assert got == [g, r, n, g, r, g, r, g, r, g, r, g, r]


def test_purpose_names_and_platforms():
    assert purpose_choice("social-media") is purpose_choice("Instagram") is purpose_choice("X") is Purpose.SOCIAL_MEDIA
    assert purpose_choice("Photographs - School Website") is Purpose.WEBSITE
    with pytest.raises(InvalidInput) as error:
        purpose_choice("Snapchat stories")
    assert all(name in str(error.value) for name in ("website", "TikTok", "Facebook", "Instagram", "YouTube", "X"))


def test_an_unknown_image_purpose_in_the_long_layout_is_a_row_error(session):
    data = b"UPN,Name,Consent Type,Consent Given\r\nA1,Amelia Smith,Photographs - Yearbook,Yes\r\nA1,Amelia Smith,Web,Yes\r\n"
    plan = plan_import(session, data, "x.csv")
    assert [(e.line, e.column) for e in plan.errors] == [(2, "Consent Type")] and "unknown purpose" in plan.errors[0].message
    assert [c.purpose for c in plan.rows[0].consent_changes] == [Purpose.WEBSITE]  # the pupil's good row still counts


def test_a_multi_line_cell_is_one_value(session):
    data = b'Name,Website,Consent Given By\r\nAmelia Smith,yes,"Jo Smith\r\n(mother)"\r\nBen Jones,no,Al Jones\r\n'
    plan = plan_import(session, data, "x.csv")
    assert not plan.errors and plan.rows[0].consent_changes[0].given_by == "Jo Smith (mother)"
    assert [r.line for r in plan.rows] == [2, 3]


# --------------------------------------------------------------------- every bad row named


def test_five_thousand_rows_with_fifty_planted_bad_ones_of_every_kind(session):
    header = "UPN,Forename,Surname,Year,Form,Website,Social media,Date given\r\n"
    good = "M{i},Pupil,Number {i},Year 5,5B,Yes,No," + D1.strftime("%d/%m/%Y")
    kinds = [
        b"M{i},Pupil,Number {i},Year 15,5B,Yes,No,01/09/2025",  # unknown year group
        b"M{i},Pupil,Number {i},banana,5B,Yes,No,01/09/2025",
        b"M{i},,Number {i},Year 5,5B,Yes,No,01/09/2025",  # blank forename
        b"M{i},Pupil,,Year 5,5B,Yes,No,01/09/2025",  # blank surname
        b"M{i},Pupil,Number {i},Year 5",  # a short row
        b"M{i},Pupil,Number {i},Year 5,5B,Yes,No,09/13/2025",  # month first
        b"M{i},Pupil,Number {i},Year 5,5B,Yes,No,45901",  # an Excel serial
        b"M{i},Pupil,Number {i},Year 5,5B,Perhaps,No,01/09/2025",  # unknown value
        b"M{i},Pupil \x00\x01\x02\xff\xfe,Number {i},Year 5,5B,Yes,No,01/09/2025",  # binary
        b"\x89\xfe\x00\x00\x13\x88binary junk\xff\xff",  # a whole binary line
    ]
    lines, bad = [header.encode()], set()
    for i in range(5000):
        line = i + 2
        if i % 100 == 37:
            lines.append(kinds[(i // 100) % len(kinds)].replace(b"{i}", str(i).encode()) + b"\r\n")
            bad.add(line)
        else:
            lines.append(good.format(i=i).encode() + b"\r\n")
    assert len(bad) == 50
    plan = plan_import(session, b"".join(lines), "big.csv")
    assert {e.line for e in plan.errors} == bad
    assert len(plan.rows) == 4950
    apply_import(session, plan, valid_only=True)
    assert session.repo(Pupil).count() == 4950 == len(pupil_index(session).rows)


def test_no_recognised_consent_column_never_imports_zero_consents(store, pw, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"UPN,Name,Photographs Websit,Comments\r\nA1,Amelia Smith,yes,x\r\n")
    result = run(store, pw, "import", str(path), "--yes")
    assert result.exit_code == 2
    assert "'Photographs Websit', 'Comments'" in result.stderr and "Closest purposes: website" in result.stderr


_cell = st.text(alphabet=st.characters(codec="utf-8", blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_cell, min_size=0, max_size=6), max_size=8), sep=st.sampled_from([",", ";", "\t"]))
def test_any_rows_are_read_or_reported_by_line_never_crash(session, rows, sep):
    lines = [sep.join(["Name", "Website", "Date given"])] + [sep.join(r) for r in rows]
    data = "\r\n".join(lines).encode("utf-8")
    try:
        table = read_table(data)
        plan = plan_import(session, data, "fuzz.csv")
    except NotCsv:
        return  # a file-level problem, said in one sentence
    read = {line for line, _ in table.rows}
    for error in plan.errors:
        assert 2 <= error.line and str(error).startswith(f"line {error.line}: ")
    assert {r.line for r in plan.rows} <= read


def test_a_mapping_and_purpose_chosen_once_are_used_for_the_next_file_with_the_same_headers(store, pw, tmp_path):
    header = b"Learner;Ref;Photo OK;Notes\r\n"
    first = header + b"Amelia Smith;A1;Confirmed;x\r\n"
    cli_import(store, pw, tmp_path, "autumn.csv", first, "--map", "Learner=name", "--map", "Ref=mis_id", "--map", "Notes=ignore",
               "--map", "Photo OK=status", "--purpose", "website")  # fmt: skip
    second = header + b"Amelia Smith;A1;Declined;y\r\nBen Jones;A2;Confirmed;\r\n"
    output = cli_import(store, pw, tmp_path, "spring.csv", second)
    assert "Column mapping remembered from a file with the same headers" in output and "purpose website" in output
    assert check(store, pw, "website", "A2")[0] == 0 and check(store, pw, "website", "A1")[0] == 1


def test_a_date_of_birth_gives_the_12_plus_note_beside_the_verdict(store, pw, tmp_path):
    born = date(current_day().year - 13, 1, 1)
    data = f"UPN,Name,DOB,Website,Date\r\nA1,Amelia Smith,{born:%d/%m/%Y},yes,{UK}\r\nA2,Ben Jones,{current_day().year - 8}-01-01,yes,{UK}\r\n"
    cli_import(store, pw, tmp_path, "dob.csv", data.encode())
    code, text = check(store, pw, "website", "A1", "A2")
    assert code == 0 and "Note: Amelia Smith: 13 years old: can give their own view if competent (ICO)" in text
    assert "Ben Jones:" not in text


def test_a_general_header_beside_a_specific_one_for_the_same_column_is_ignored(session):
    data = f"Arbor ID,UPN,Student,Date,Consent Date,Website\r\n7,A1,Amelia Smith,{current_day():%d/%m/%Y},{UK},yes\r\n".encode()
    plan = plan_import(session, data, "x.csv")
    assert not plan.errors and plan.ignored == ["Arbor ID", "Date"]
    assert plan.new[0].pupil.mis_id == "A1" and plan.new[0].consent_changes[0].given_on == D1
    with pytest.raises(NotCsv, match="both give given_on"):
        plan_import(session, b"Name,Date Signed,Consent Date,Website\r\nA,,,yes\r\n", "y.csv")


def test_with_yes_a_grant_replacing_a_refusal_needs_accept_regrants(store, pw, tmp_path):
    cli_import(store, pw, tmp_path, "autumn.csv", f"UPN,Name,Website,Date\r\nA1,Amelia Smith,no,{UK}\r\n".encode())
    newer = f"UPN,Name,Website,Date\r\nA1,Amelia Smith,yes,{current_day():%d/%m/%Y}\r\n".encode()
    path = tmp_path / "spring.csv"
    path.write_bytes(newer)
    refused = run(store, pw, "import", str(path), "--yes")
    assert refused.exit_code == 1 and "--accept-regrants" in refused.stderr
    assert "line 2: Amelia Smith: school website granted" in refused.stdout and "would replace a refusal" in refused.stdout
    assert check(store, pw, "website", "A1")[0] == 1  # nothing was imported
    cli_import(store, pw, tmp_path, "spring.csv", newer, "--accept-regrants")
    assert check(store, pw, "website", "A1")[0] == 0


# --------------------------------------------------------------------- the "done when", end to end with the CLI


def test_sims_long_as_xlsx_then_bromcom_long_then_arbor_single_purpose_xlsx(store, pw, tmp_path):
    """Three systems' files in turn, each decision placed by the date it was given."""
    sims = xlsx(
        [
            ["Adno", "UPN", "Legal Surname", "Legal Forename", "Year", "Reg", "Consent Type", "Consent Given", "Given By", "Date"],
            ["001", "A100", "Smith", "Amelia", "Year 5", "5B", "Photographs - School Website", "Yes", "Jo Smith", ABBR],
            ["001", "A100", "Smith", "Amelia", "Year 5", "5B", "Photographs (Social Media)", "No", "Jo Smith", ABBR],
            ["002", "A101", "O'Brien", "Zoë", "Year 6", "6A", "Photographs - School Website", "Yes", "S O'Brien", D1 + timedelta(days=1)],
            ["002", "A101", "O'Brien", "Zoë", "Year 6", "6A", "Photographs (Social Media)", "Yes", "S O'Brien", D1 + timedelta(days=1)],
        ]
    )  # fmt: skip
    cli_import(store, pw, tmp_path, "Parental Consent.xlsx", sims)
    assert check(store, pw, "website", "A100", "A101")[0] == 0 and check(store, pw, "social-media", "A100")[0] == 1
    bromcom = (
        "Student Name,UPN,Year Group,Tutor Group,Consent Type,Consent Given,Date\r\n"
        f"Amelia Smith,A100,Year 5,5B,Photographs (Social Media),Granted,{DMY_SHORT}\r\n"
        f"Zoë O'Brien,A101,Year 6,6A,Photographs (Social Media),Not Granted,{DMY_SHORT}\r\n"  # older than SIMS's grant
        f"Zoë O'Brien,A101,Year 6,6A,Local Press,Granted,{DMY_SHORT}\r\n"
    ).encode("utf-8-sig")
    output = cli_import(store, pw, tmp_path, "consent report.csv", bromcom, "--accept-regrants")
    assert "older than what is recorded: kept as history" in output
    assert check(store, pw, "social-media", "A100", "A101")[0] == 0 and check(store, pw, "press", "A101")[0] == 0
    later = (D1 + timedelta(days=2)).strftime("%d/%m/%Y")
    arbor = xlsx(
        [
            ["Student", "UPN", "Year", "Registration Form", "Consent Given", "Confirmed/Declined By", "Date Confirmed"],
            ["Amelia Smith", "A100", "Year 5", "5B", "Confirmed", "Jo Smith", later],
            ["Zoë O'Brien", "A101", "Year 6", "6A", "Declined", "S O'Brien", later],
        ]
    )
    cli_import(store, pw, tmp_path, "Website consent.xlsx", arbor, "--purpose", "website")
    code, text = check(store, pw, "website", "A100", "Zoë O'Brien")
    assert code == 1 and f"Zoë O'Brien, 6A: consent withdrawn on {later}" in text
    assert check(store, pw, "website", "Amelia Smith")[0] == 0


def test_a_withdrawal_then_the_older_files_again_stay_stop_from_the_cli(store, pw, tmp_path):
    head = "UPN,Name,Year,Website,Date given\r\n"
    autumn = (head + f"A200,Tom Old,5,yes,{UK}\r\n").encode()
    spring = (head + f"A200,Tom Old,5,withdrawn,{(D1 + timedelta(days=30)).strftime('%d/%m/%Y')}\r\n").encode()
    last_year = (head + f"A200,Tom Old,4,yes,{(D1 - timedelta(days=365)).strftime('%d/%m/%Y')}\r\n").encode()
    cli_import(store, pw, tmp_path, "autumn.csv", autumn)
    cli_import(store, pw, tmp_path, "spring.csv", spring)
    assert check(store, pw, "website", "A200")[0] == 1
    assert "Nothing to change" in cli_import(store, pw, tmp_path, "autumn.csv", autumn)
    assert "Nothing to change" in cli_import(store, pw, tmp_path, "autumn copy.csv", autumn + b"\r\n")
    assert "kept as history" in cli_import(store, pw, tmp_path, "2024.csv", last_year)
    code, text = check(store, pw, "website", "A200")
    assert code == 1 and "consent withdrawn on" in text
    shown = run(store, pw, "show", "A200").output.split("History")[1]
    assert shown.index("granted on " + (D1 - timedelta(days=365)).strftime("%d/%m/%Y")) < shown.index("granted on " + UK)
    assert "Year 5" in run(store, pw, "show", "A200").output  # last year's file did not set the year back
