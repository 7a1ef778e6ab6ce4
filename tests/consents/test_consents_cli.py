"""`safedesk consents ...` as an office lead or a script would run it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from safedesk.cli.consents import consents
from safedesk.cli.main import cli
from safedesk.store.consents.pupils import NeverPublish, Pupil, format_date, set_never_publish
from safedesk.store.engine.session import Session
from tests.kit import PASSPHRASE, current_day

# The lead registers the group in tui/cli.py; until then (and harmlessly after) add it here.
if "consents" not in cli.commands:
    cli.add_command(consents)

CSV = (
    "\ufeffUPN,Name,Preferred name,Year,Class,Website,Social media,Video,Date given,Review date,Never publish\r\n"
    f"A1,Amelia Smith,Milly,5,5B,yes,yes,yes,{format_date(current_day() - timedelta(days=30))},{format_date(current_day() + timedelta(days=10))},\r\n"
    f'A2,"O\'Brien, Zoë",,6,6A,yes,no,yes,{format_date(current_day() - timedelta(days=30))},,\r\n'
    f"A3,Ben Jones,,R,RB,yes,yes,yes,{format_date(current_day() - timedelta(days=30))},,adopted\r\n"
    f"A4,Sam Smith,,5,5B,yes,yes,yes,{format_date(current_day() - timedelta(days=30))},,\r\n"
    f"A5,Sam Smith,,6,6A,yes,yes,yes,{format_date(current_day() - timedelta(days=30))},,\r\n"
)


@pytest.fixture
def pw(tmp_path: Path) -> Path:
    path = tmp_path / "pw.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


@pytest.fixture
def store(store_dir: Path) -> Path:
    Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    return store_dir


def run(store: Path, pw: Path, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        cli, ["--store", str(store), "consents", *args, "--passphrase-file", str(pw)], input=stdin, catch_exceptions=False
    )


@pytest.fixture
def loaded(store: Path, pw: Path, tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes(CSV.encode("utf-8"))
    result = run(store, pw, "import", str(path), "--yes")
    assert result.exit_code == 0, result.output
    return store


def test_import_previews_then_imports_and_reimport_changes_nothing(store, pw, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(CSV.encode("utf-8"))
    dry = run(store, pw, "import", str(path), "--dry-run")
    assert dry.exit_code == 0 and "New pupils: 5." in dry.output and "Dry run: nothing was written." in dry.output
    unasked = run(store, pw, "import", str(path))  # no terminal and no --yes: refuse rather than guess
    assert unasked.exit_code == 2 and "--yes" in unasked.stderr
    done = run(store, pw, "import", str(path), "--yes")
    assert done.exit_code == 0 and "Imported: 5 pupils added" in done.output
    again = run(store, pw, "import", str(path), "--yes")
    assert again.exit_code == 0 and "Nothing to change" in again.output


def test_import_with_bad_rows_writes_nothing_unless_asked(store, pw, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "name,website,given_on\r\nAmelia Smith,yes,01/09/2025\r\nBen Jones,maybe,31/02/2025\r\n,yes,\r\n", encoding="utf-8"
    )
    result = run(store, pw, "import", str(path), "--yes")
    assert result.exit_code == 1
    assert (
        "line 3: website: unknown value 'maybe'" in result.output and "line 3: given_on: bad date '31/02/2025'" in result.output
    )
    assert "line 4: name: the pupil's name is missing" in result.output
    assert "--valid-only to import the 1 valid rows" in result.stderr
    assert "0 pupils" in run(store, pw, "list").output
    result = run(store, pw, "import", str(path), "--yes", "--valid-only")
    assert result.exit_code == 0 and "1 pupil added" in result.output and "2 rows with errors skipped" in result.output


def test_import_map_option(store, pw, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Child,Photo OK\r\nAmelia Smith,yes\r\n", encoding="utf-8")
    result = run(store, pw, "import", str(path), "--map", "Photo OK=website", "--yes")
    assert result.exit_code == 0, result.output
    assert "yes" in run(store, pw, "list").output


@pytest.mark.parametrize(
    "content, message",
    [
        (b"PK\x03\x04" + bytes(300), "Excel workbook"),
        (bytes(range(256)) * 4, "not a text file"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "This is a PDF"),
    ],
)
def test_import_refuses_non_csv_before_asking_for_the_passphrase(store, tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    result = CliRunner().invoke(cli, ["--store", str(store), "consents", "import", str(path)], catch_exceptions=False)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("safedesk: ") and message in lines[0]


def test_check_pass_and_stop_exit_codes_and_reasons(loaded, pw):
    ok = run(loaded, pw, "check", "--purpose", "website", "Amelia Smith", "a2")
    assert ok.exit_code == 0 and ok.output.startswith("PASS: all 2 pupils are cleared for school website.")
    assert "Before posting:" in ok.output and "tagging" in ok.output

    stop = run(loaded, pw, "check", "-p", "social-media", "amelia smith", "o'brien, zoe", "Ben Jones")
    assert stop.exit_code == 1
    lines = stop.output.strip().splitlines()
    assert lines == [
        "STOP: 2 of 3 pupils are not cleared for official social media.",
        "O'Brien, Zoë, 6A: consent refused",
        "Ben Jones, RB: on the never-publish list: no image, for any purpose",
    ]
    both = run(loaded, pw, "check", "-p", "youtube", "A1")
    assert both.exit_code == 0 and "official social media + video and livestream" in both.output


def test_check_ambiguous_and_unknown_pupils_are_clear_errors(loaded, pw):
    result = run(loaded, pw, "check", "-p", "website", "Sam Smith", "Amelia")
    assert result.exit_code == 2 and result.stdout == ""
    errors = result.stderr.strip().splitlines()
    assert (
        errors[0].startswith("safedesk: 'Sam Smith' is ambiguous: 2 pupils have that name")
        and "A4" in errors[0]
        and "A5" in errors[0]
    )
    assert errors[1].startswith("safedesk: No pupil is called 'Amelia'") and "Did you mean: Amelia Smith?" in errors[1]
    bad = run(loaded, pw, "check", "-p", "tiktok", "A1")
    assert bad.exit_code == 2 and "Unknown purpose, channel or event 'tiktok'" in bad.stderr


def test_list_filters_and_json(loaded, pw):
    result = run(loaded, pw, "list", "--class", "5B")
    assert result.exit_code == 0 and "Amelia Smith (Milly)" in result.output and "Zoë" not in result.output
    data = json.loads(run(loaded, pw, "list", "--json", "--never-publish").output)
    assert [d["name"] for d in data] == ["Ben Jones"] and data[0]["never_publish"] is True
    refused = json.loads(run(loaded, pw, "list", "--json", "--purpose", "social-media", "--status", "refused").output)
    assert [d["name"] for d in refused] == ["O'Brien, Zoë"]
    expiring = json.loads(run(loaded, pw, "list", "--json", "--purpose", "website", "--status", "expiring").output)
    assert [d["mis_id"] for d in expiring] == ["A1"]
    assert run(loaded, pw, "list", "--status", "refused").exit_code == 2


def test_show_expiring_and_columns(loaded, pw):
    shown = run(loaded, pw, "show", "A3")
    assert (
        shown.exit_code == 0
        and "NEVER PUBLISH (adopted)" in shown.output
        and "History (oldest first, by the date each decision was given):" in shown.output
    )
    due = run(loaded, pw, "expiring")
    assert due.exit_code == 0 and "in 10 days" in due.output and "Amelia Smith" in due.output
    columns = CliRunner().invoke(cli, ["consents", "columns"])
    assert columns.exit_code == 0 and "social_media" in columns.output and "also read from" in columns.output
    assert "event:NAME" in columns.output and "ignore" in columns.output


def test_exports_write_markdown_and_are_audited(loaded, pw, tmp_path):
    out = tmp_path / "never.md"
    result = run(loaded, pw, "export", "never-publish", "--out", str(out))
    assert result.exit_code == 0 and "personal data" in result.output
    text = out.read_text(encoding="utf-8")
    assert "Contains personal data about children" in text and "Ben Jones" in text and "adopted" not in text
    assert run(loaded, pw, "export", "never-publish", "--out", str(out)).exit_code == 2  # no silent overwrite
    cleared = tmp_path / "social.md"
    assert run(loaded, pw, "export", "cleared", "--purpose", "social-media", "--out", str(cleared)).exit_code == 0
    listed = cleared.read_text(encoding="utf-8")
    assert "Amelia Smith" in listed and "Zoë" not in listed and "Ben Jones" not in listed
    assert run(loaded, pw, "export", "cleared", "--out", str(tmp_path / "x.md")).exit_code == 2
    with Session.open(loaded, PASSPHRASE) as session:
        actions = [e.action for e in session.audit.entries()]
        assert "export.consents-never-publish" in actions and "export.consents-cleared" in actions


def test_a_flag_set_in_the_app_is_seen_by_the_cli(loaded, pw):
    with Session.open(loaded, PASSPHRASE) as session:
        amelia = next(p for p in session.repo(Pupil).all() if p.mis_id == "A1")
        set_never_publish(session, amelia.id, NeverPublish.SAFEGUARDING)
    result = run(loaded, pw, "check", "-p", "website", "A1")
    assert result.exit_code == 1 and "never-publish" in result.output
