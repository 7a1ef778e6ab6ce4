"""Reports: structure checked by parsing, user text kept literal, CLI export audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from safedesk.cli.main import cli
from safedesk.store.engine.session import Session
from safedesk.store.errors import InvalidInput
from safedesk.store.features import build_report
from safedesk.store.incidents import evidence
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.incidents.records import Action, Escalation, Incident, Person
from safedesk.store.registry import ReportParams
from safedesk.store.text.document import Document
from safedesk.store.text.html import render_html
from safedesk.store.text.markdown import outline, parser
from tests.kit import PASSPHRASE, table_cells

NASTY = "Mr | Smith *bold* [link](http://x) <script>alert(1)</script> # not a heading\n- not a list"


@pytest.fixture
def incident(session, tmp_path):  # type: ignore[no-untyped-def]
    log = IncidentLog(session)
    stored = log.create(
        Incident(
            title=NASTY.splitlines()[0],
            reported_at=datetime.now(UTC) - timedelta(hours=2),
            description=NASTY,
            people=(Person(name="Pupil | A", role="pupil", involvement="victim"),),
            risk_row="contact",
            risk_column="aggressive",
            flags=("credible_threat_or_hate",),
        ),
        actions=[Action(incident_id=0, text="Screenshot | the post", due=date.today() - timedelta(days=1))],
    )
    log.amend(stored.id, {"description": "Second version"}, reason="Corrected | by DSL")
    log.escalate(Escalation(incident_id=stored.id, target="police_101", at=datetime.now(UTC), reference="CAD 123"))
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"png")
    evidence.add_file(session, stored.id, shot)
    return stored


def _tokens(markdown: str) -> set[str]:
    found = set()
    for token in parser().parse(markdown):
        found.add(token.type)
        for child in token.children or []:
            found.add(child.type)
    return found


def test_incident_report_structure_and_literal_user_text(session, incident):
    markdown = build_report(session, "incident", ReportParams(incident=incident.ref.lower()))
    shape = outline(markdown)
    titles = [title for _, title in shape.headings]
    assert titles[0] == f"Incident report: {incident.ref}"
    for heading in (
        "Summary",
        "Description",
        "People involved",
        "Chronology",
        "Amendments",
        "Actions",
        "Escalations",
        "Evidence manifest",
        "Verification",
    ):
        assert heading in titles
    assert "not a heading" not in titles
    kinds = _tokens(markdown)
    assert not {"html_inline", "html_block", "link_open"} & kinds
    assert "Mr | Smith *bold* [link](http://x)" in shape.text  # not emphasis, not a link
    # The original description stays readable next to the amendment, as typed.
    assert "<script>alert(1)</script> # not a heading" in shape.text and "- not a list" in shape.text
    assert "Second version" in shape.text and "Corrected | by DSL" in shape.text
    assert "CAD 123" in shape.text and evidence.evidence_for(session, incident.id)[0].sha256 in markdown


def test_table_cells_with_pipes_keep_their_columns(session, incident):
    markdown = build_report(session, "incident", ReportParams(incident=incident.ref))
    # Read back, each typed value is one whole cell with the cells after it in place: a "|"
    # that split a cell would shift them (the parser drops the extra cells, so counting cannot tell).
    rows = [row for table in table_cells(markdown) for row in table]
    assert ["Title", NASTY.splitlines()[0]] in rows
    assert ["Pupil | A", "Pupil", "Victim", "Not known", ""] in rows
    assert any(row[0] == "Overdue" and row[2:] == ["", "Screenshot | the post", ""] for row in rows)
    assert any(row[2:] == ["Sam Patel", "Amended description. Reason: Corrected | by DSL"] for row in rows)


def test_incident_log_counts_and_open_actions(session, incident):
    IncidentLog(session).create(Incident(title="Another", reported_at=datetime.now(UTC), platform="x"))
    markdown = build_report(session, "incident-log", ReportParams())
    shape = outline(markdown)
    assert {"Incidents", "By risk category", "By flag", "By platform", "By month", "Open actions"} <= {
        t for _, t in shape.headings
    }
    assert "Contact x Aggressive" in shape.text and "Screenshot | the post" in shape.text
    assert "2 incident(s) reported in the period." in shape.text
    with pytest.raises(InvalidInput):
        build_report(session, "incident-log", ReportParams(start=date(2026, 12, 1), end=date(2026, 1, 1)))


def test_audit_report_has_a_verification_statement(session, incident):
    markdown = build_report(session, "audit", ReportParams())
    assert session.audit.head() in markdown and "intact" in markdown
    assert "Pupil | A" not in markdown  # the audit log never holds record contents


def test_unknown_report_and_missing_reference(session):
    with pytest.raises(InvalidInput, match="No report called"):
        build_report(session, "everything", ReportParams())
    with pytest.raises(InvalidInput, match="reference"):
        build_report(session, "incident", ReportParams())
    with pytest.raises(InvalidInput, match="No incident"):
        build_report(session, "incident", ReportParams(incident="INC-1999-0001"))


def test_html_is_self_contained_and_escapes_text(session, incident):
    markdown = build_report(session, "incident", ReportParams(incident=incident.ref))
    page = render_html(Document("Incident <report>", markdown, "</style>"))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http://" not in page.split("<body>")[1].replace("http://x", "") and "<link" not in page and "src=" not in page
    assert "<title>Incident &lt;report&gt;: &lt;/style&gt;</title>" in page
    assert page.count("</style>") == 1  # the reference in the page margin cannot end the style sheet


def test_cli_export_writes_audits_and_refuses_overwrite(store_dir, tmp_path):
    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    ref = IncidentLog(session).create(Incident(title="CLI case", reported_at=datetime.now(UTC))).ref
    session.close()
    pw = tmp_path / "pw"
    pw.write_text(PASSPHRASE)
    out = tmp_path / "report.md"
    args = ["--store", str(store_dir), "export", "incident", "--incident", ref, "--out", str(out), "--passphrase-file", str(pw)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith(f"# Incident report: {ref}") and "personal data" in result.output
    again = CliRunner().invoke(cli, args)
    assert again.exit_code != 0 and "already exists" in again.output
    html = CliRunner().invoke(cli, [*args[:-4], "--out", str(tmp_path / "r.html"), "--html", "--passphrase-file", str(pw)])
    assert html.exit_code == 0 and (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    bad = CliRunner().invoke(
        cli, ["--store", str(store_dir), "export", "nope", "--out", str(tmp_path / "x.md"), "--passphrase-file", str(pw)]
    )
    assert bad.exit_code != 0 and "No report called" in bad.output
    with Session.open(store_dir, PASSPHRASE) as reopened:
        assert sum(e.action == "export.report" for e in reopened.audit.entries()) == 2


async def test_reports_screen_previews_and_exports(store_dir, tmp_path):
    from safedesk.app import SafeDeskApp
    from safedesk.screens.reports import ReportsScreen
    from safedesk.widgets.card_view import CardView
    from tests.kit import SIZE, settle, unlock

    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    ref = IncidentLog(session).create(Incident(title="Screen case [bold]", reported_at=datetime.now(UTC))).ref
    session.close()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(app, pilot)
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        await pilot.press("enter")  # the incident report asks for its reference
        app.screen.query_one("#form-incident").value = ref
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Screen case [bold]" in " ".join(screen.query_one(CardView).plain_text().split())
        await pilot.press("e")
        app.screen.query_one("#form-incident").value = ref
        app.screen.query_one("#form-out").value = str(tmp_path / "out.md")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert (tmp_path / "out.md").read_text().startswith(f"# Incident report: {ref}")


@pytest.mark.parametrize("name", ["consent-register", "never-publish", "cleared"])
def test_consent_reports_parse_and_warn_of_personal_data(session, name):
    from safedesk.store.consents.pupils import (
        ConsentChange,
        ConsentStatus,
        NeverPublish,
        Pupil,
        Purpose,
        add_pupil,
        record_consent,
        set_never_publish,
    )

    first = add_pupil(session, Pupil(name="Zoë O'Brien-Smith | [b]", year_group="Year 5", form="5B"))
    second = add_pupil(session, Pupil(name="Ali Khan", year_group="Year 6", form="6A"))
    record_consent(
        session,
        first.id,
        [
            ConsentChange(
                purpose=Purpose.SOCIAL_MEDIA,
                status=ConsentStatus.GRANTED,
                given_by="Parent",
                parental_responsibility=True,
                given_on=date.today(),
                recorded_at=datetime.now(UTC),
            )
        ],
    )
    set_never_publish(session, second.id, NeverPublish.COURT_ORDER)
    markdown = build_report(session, name, ReportParams(purpose="social-media"))
    shape = outline(markdown)
    assert shape.tables == 1 and "personal data" in markdown.lower()
    if name != "never-publish":
        assert "Zoë O'Brien-Smith | [b]" in shape.text
    if name != "cleared":
        assert "Ali Khan" in shape.text


def test_cleared_report_needs_a_known_purpose(session):
    with pytest.raises(InvalidInput, match="purpose"):
        build_report(session, "cleared", ReportParams(purpose="billboards"))


def test_account_register_has_no_secrets_unless_asked(session, store_dir, tmp_path):
    from safedesk.store.accounts.register import Account, Credential, Register

    register = Register(session)
    account = register.propose(Account(platform="Facebook Page", name="@Oak | Primary"))
    register.add_credential(Credential(account_id=account.id, login="office@oak.sch.uk", password="Pa55|word-zebra-[x]"))
    plain_report = build_report(session, "accounts", ReportParams())
    assert "Pa55" not in plain_report and "office@oak.sch.uk" not in plain_report
    assert "@Oak | Primary" in outline(plain_report).text
    secret_report = build_report(session, "accounts", ReportParams(include_secrets=True))
    assert "Pa55|word-zebra-[x]" in outline(secret_report).text
    # The opening says what the file holds: the secrets copy must not claim passwords are left out.
    assert "left out" in plain_report.split("##")[0] and "CONTAINS SECRETS" not in plain_report
    assert "CONTAINS SECRETS" in secret_report.split("##")[0] and "left out" not in secret_report
    session.close()
    pw = tmp_path / "pw"
    pw.write_text(PASSPHRASE)
    base = ["--store", str(store_dir), "export", "accounts", "--passphrase-file", str(pw)]
    refused = CliRunner().invoke(cli, [*base, "--include-secrets", "--out", str(tmp_path / "s.md")], input="n\n")
    assert refused.exit_code != 0 and not (tmp_path / "s.md").exists()
    allowed = CliRunner().invoke(cli, [*base, "--include-secrets", "--out", str(tmp_path / "s.md")], input="y\n")
    assert allowed.exit_code == 0, allowed.output
    with Session.open(store_dir, PASSPHRASE) as reopened:
        entries = [e for e in reopened.audit.entries() if e.action == "export.report"]
        assert entries and "including secrets" in entries[-1].summary and "Pa55" not in entries[-1].summary


async def test_reports_screen_picks_the_incident_from_a_list_and_says_where_the_pdf_went(store_dir, monkeypatch):
    from pypdf import PdfReader
    from textual.widgets import Input, Select

    from safedesk.app import SafeDeskApp
    from tests.kit import SIZE, record_notifications, settle, unlock

    session, _ = Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)
    first = IncidentLog(session).create(Incident(title="First case", reported_at=datetime.now(UTC))).ref
    second = IncidentLog(session).create(Incident(title="Second case", reported_at=datetime.now(UTC))).ref
    session.close()
    documents = Path.home() / "Documents"
    documents.mkdir()
    app = SafeDeskApp(store_dir)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app, monkeypatch)
        await unlock(app, pilot)
        await pilot.press("r")
        await pilot.press("e")  # the incident report is first in the list
        await settle(app, pilot)
        choice = app.screen.query_one("#form-incident", Select)
        assert choice.value == second  # the newest first, chosen from the list: nothing to type
        assert "INC-2026-0007" not in str(app.screen.query_one("#form-incident").render())
        path = app.screen.query_one("#form-out", Input)
        assert Path(path.value) == documents / f"incident-{second.lower()}.md"
        choice.value = first
        await settle(app, pilot)
        assert Path(path.value) == documents / f"incident-{first.lower()}.md"
        app.screen.query_one("#form-format", Select).value = "pdf"
        await settle(app, pilot)
        assert Path(path.value) == documents / f"incident-{first.lower()}.pdf"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await settle(app, pilot)
    written = documents / f"incident-{first.lower()}.pdf"
    metadata = PdfReader(written).metadata
    assert metadata is not None and metadata.title == f"Incident report: {first}"
    assert any(f"Saved to {written}." in message for message in seen), seen
    assert not any("--incident" in message for message in seen)
