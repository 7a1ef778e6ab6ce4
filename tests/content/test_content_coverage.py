"""The coverage map: every source section maps to cards that exist; fragments merge cleanly."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from safedesk.content.coverage import (
    COVERAGE_FILE,
    CoverageEntry,
    CoverageError,
    check_coverage,
    dump_coverage,
    load_coverage,
    merge_fragments,
)
from safedesk.content.library import Library, default_library
from tests.kit import write_card

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def fragment(entries: list[tuple[str, str, list[str]]]) -> str:
    return "".join(
        f'[[section]]\nfile = "{f}"\nsection = "{s}"\ncards = [{", ".join(json.dumps(c) for c in cs)}]\n\n'
        for f, s, cs in entries
    )


def test_merge_joins_fragments_and_unions_duplicate_sections(tmp_path: Path) -> None:
    (tmp_path / "b.toml").write_text(fragment([("001.txt", "Roles", ["ref-roles"]), ("000.txt", "FAQ", ["faq-b"])]))
    (tmp_path / "a.toml").write_text(fragment([("000.txt", "FAQ", ["faq-a", "faq-b"])]))
    (tmp_path / "notes.txt").write_text("not a fragment")
    out = tmp_path / "coverage.toml"
    merged = merge_fragments(tmp_path, out)
    assert merged == [
        CoverageEntry("000.txt", "FAQ", ("faq-a", "faq-b")),
        CoverageEntry("001.txt", "Roles", ("ref-roles",)),
    ]
    assert load_coverage(out) == merged


def test_dump_escapes_awkward_headings(tmp_path: Path) -> None:
    entry = CoverageEntry("000.txt", 'Can\'t we "just" ban it?\\ \t\x7f é', ("x",))
    path = tmp_path / "c.toml"
    path.write_text(dump_coverage([entry]), encoding="utf-8")
    assert tomllib.loads(path.read_text(encoding="utf-8"))["section"][0]["section"] == entry.section
    assert load_coverage(path) == [entry]


def test_check_reports_empty_sections_unknown_cards_and_repeats(tmp_path: Path) -> None:
    write_card(tmp_path / "cards", "faq-a")
    library = Library.from_dir(tmp_path / "cards")
    entries = [
        CoverageEntry("000.txt", "FAQ", ("faq-a",)),
        CoverageEntry("000.txt", "Annex A", ()),
        CoverageEntry("000.txt", "Annex B", ("faq-a", "ghost")),
        CoverageEntry("000.txt", "FAQ", ("faq-a",)),
    ]
    assert check_coverage(entries, library) == [
        "000.txt / 'Annex A' has no card",
        "000.txt / 'Annex B' names card 'ghost', which does not exist",
        "000.txt / 'FAQ' is listed more than once",
    ]


@pytest.mark.parametrize("text", ["section = 3", '[[section]]\nfile = "x"\n', "not toml ["])
def test_malformed_coverage_raises(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(CoverageError):
        load_coverage(path)


def test_shipped_coverage_map_is_complete() -> None:
    assert COVERAGE_FILE.is_file(), "content/coverage.toml is missing: run python -m safedesk.content.coverage --merge"
    entries = load_coverage()
    assert entries
    assert check_coverage(entries, default_library()) == []


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not here")
def test_shipped_coverage_names_real_sources() -> None:
    names = {p.name for p in SEEDS.glob("*.txt")}
    covered = {e.file for e in load_coverage()}
    assert covered <= names
    assert covered == names, "every source document needs at least one covered section"
