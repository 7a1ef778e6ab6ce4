"""The demo store's incident reports read as a LADO reads them: no internal card ids, no empty
cells where a word belongs, escalations dated when they were made, one full stop per sentence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safedesk.content.library import default_library
from safedesk.store.demo.data import build_demo, open_demo
from safedesk.store.engine.session import Session
from safedesk.store.features import build_report
from safedesk.store.incidents.log import IncidentLog
from safedesk.store.registry import ReportParams
from tests.kit import table_cells


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Session:  # type: ignore[misc]
    folder: Path = tmp_path_factory.mktemp("demo") / "store"
    build_demo(folder)
    session = open_demo(folder)
    yield session
    session.close()


@pytest.fixture(scope="module")
def reports(demo: Session) -> dict[str, str]:
    return {row.ref: build_report(demo, "incident", ReportParams(incident=row.ref)) for row in IncidentLog(demo).rows()}


def _section(markdown: str, heading: str) -> list[list[str]]:
    """The rows of the first table under `## heading` (header row first; none when it says _None._)."""
    part = markdown.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    tables = table_cells(part)
    return tables[0] if tables else []


def test_guidance_card_ids_are_named_by_their_titles(reports: dict[str, str]) -> None:
    ids = set(default_library().cards)
    for ref, markdown in reports.items():
        actions = _section(markdown, "Actions")[1:]
        chronology = _section(markdown, "Chronology")[1:]
        for text in [row[3] for row in actions] + [row[3] for row in chronology]:
            found = {word for word in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", text) if word in ids}
            assert not found, f"{ref}: raw card id {found} in {text!r}"
    assert any('the guidance "' in markdown for markdown in reports.values())


def test_titled_changes_only_card_ids() -> None:
    library = default_library()
    card = next(iter(library.cards.values()))
    assert library.titled(f"follow {card.id} at once; a well-meant e-safety note") == (
        f'follow the guidance "{card.title}" at once; a well-meant e-safety note'
    )


def test_summary_has_a_word_in_every_cell(reports: dict[str, str]) -> None:
    for ref, markdown in reports.items():
        for field, record in _section(markdown, "Summary")[1:]:
            assert record.strip(), f"{ref}: '{field}' is an empty cell"


def test_escalations_are_dated_when_they_were_made(demo: Session, reports: dict[str, str]) -> None:
    log = IncidentLog(demo)
    for row in log.rows():
        for escalation in log.escalations(row.id):
            [entry] = [e for e in log.chronology(row.id) if e.detail.get("escalation_id") == escalation.id]
            assert entry.when == escalation.at and entry.backdated  # the demo's were made hours before
        made = {r[0] for r in _section(reports[row.ref], "Escalations")[1:]}
        happened = {r[0] for r in _section(reports[row.ref], "Chronology")[1:] if r[3].startswith("Escalated")}
        assert made == happened, row.ref


def test_escalation_and_evidence_cells_say_what_is_missing(reports: dict[str, str]) -> None:
    for ref, markdown in reports.items():
        for heading in ("Escalations", "Evidence manifest"):
            for cells in _section(markdown, heading)[1:]:
                assert all(c.strip() for c in cells), f"{ref}: an empty cell in {heading}: {cells}"
    described = [m for m in reports.values() if "| Description only |" in m]
    assert described and all("No copy kept" in m and "Seen: " in m for m in described)


def test_closing_text_has_one_full_stop_per_sentence(demo: Session, reports: dict[str, str]) -> None:
    closed = [row for row in IncidentLog(demo).rows() if row.status == "closed"]
    assert closed, "the demo has a closed incident with an outcome"
    for row in closed:
        status = [e.text for e in IncidentLog(demo).chronology(row.id) if e.kind == "status"]
        assert status and all(".." not in text for text in status), status
    assert all(". . " not in m and ".. " not in m for m in reports.values())
