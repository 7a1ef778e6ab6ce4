"""Card parsing, Markdown rendering, the Library and the shipped cards."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from safedesk.content.cards import KINDS, CardError, Source, markdown_to_text, parse_card
from safedesk.content.errors import ContentError
from safedesk.content.library import Library, UnknownCard, default_library
from tests.kit import PLAYBOOK_BODY, SEED, card_text, write_card

SHARED = Path(__file__).resolve().parents[3] / "shared"
SEEDS = SHARED / "seeds"
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not here")


# --- parsing -----------------------------------------------------------------------------


def test_parse_card_reads_every_field(tmp_path: Path) -> None:
    path = write_card(
        tmp_path,
        "pb-fake-account",
        kind="playbook",
        audience=["dsl", "admins"],
        tags=["impersonation"],
        aliases=["fake page", "hacked"],
        related=["pb-account-hacked"],
        summary="Report it and warn parents.",
    )
    card = parse_card(path)
    assert card.id == "pb-fake-account"
    assert card.kind == "playbook"
    assert card.audience == ("dsl", "admins")
    assert card.aliases == ("fake page", "hacked")
    assert card.related == ("pb-account-hacked",)
    assert card.sources == (Source(SEED, "Handling abuse"),)
    assert card.body.startswith("## Do now")
    assert card.path == path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no front matter\n", "must start with"),
        ("+++\nid = 'x'\n", "no closing"),
        ("+++\nid = \n+++\nbody\n", "not valid TOML"),
        (card_text("x").replace('kind = "guide"\n', ""), "`kind` must be a non-empty string"),
        (card_text("x").replace("aliases = []", 'aliases = "fb"'), "`aliases` must be a list of strings"),
        (card_text("x").replace("related = []\n", ""), "`related` must be a list of strings"),
        (card_text("x").replace("[[sources]]", "[[other]]"), "unknown front matter field(s): other"),
        (card_text("x").replace('file = "', 'page = 3\nfile = "'), "exactly `file` and `section`"),
        (card_text("x").split("\n[[sources]]")[0] + "\n+++\nbody\n", "at least one [[sources]]"),
    ],
)
def test_bad_front_matter_raises_card_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CardError) as caught:
        parse_card(path)
    assert message in caught.value.message
    assert caught.value.path == path
    assert str(caught.value).startswith(str(path))
    assert isinstance(caught.value, ContentError)


def test_undecodable_card_is_a_card_error(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_bytes(b"+++\n\xff\xfe\n+++\n")
    with pytest.raises(CardError, match="cannot be read"):
        parse_card(path)


def test_front_matter_may_follow_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("\ufeff" + card_text("x"), encoding="utf-8")
    assert parse_card(path).id == "x"


# --- sections and plain text ---------------------------------------------------------------


def test_sections_maps_each_h2_to_its_bullets_as_plain_text(tmp_path: Path) -> None:
    body = "Intro.\n\n## Do now\n1. **Stop** and breathe.\n2. Call `999`.\n   - nested step\n\n"
    body += "## Empty\n\nJust prose.\n"
    card = parse_card(write_card(tmp_path, "x", body=body))
    assert card.sections() == {"Do now": ["Stop and breathe.", "Call 999.", "nested step"], "Empty": []}


def test_playbook_sections_in_order(tmp_path: Path) -> None:
    card = parse_card(write_card(tmp_path, "pb-x", kind="playbook"))
    assert list(card.sections()) == ["Do now", "Do not", "Record", "Escalate", "Follow-up"]
    assert card.sections()["Do now"] == ["Save the evidence.", "Tell the headteacher."]


def test_plain_text_has_no_markdown_markers() -> None:
    text = markdown_to_text(
        "# Title\n\n## Part\n\n### Small\n\nSome **bold** and *em* and `code`.\n\n"
        "- one\n- two\n  - deeper\n\n> Note: Twitter is now X.\n\n"
        "| Type | Who sees posts |\n|---|---|\n| Public | Anyone |\n| Secret | Members only |\n"
    )
    assert text.splitlines()[:2] == ["Title", "====="]
    assert "Part\n----" in text
    assert "SMALL" in text
    assert "Some bold and em and code." in text
    assert "- one\n- two\n  - deeper" in text
    assert "> Note: Twitter is now X." in text
    assert "**" not in text and "`" not in text and "|" not in text
    table = text[text.index("Type") :].splitlines()
    assert table[0] == "Type    Who sees posts"
    assert table[1] == "------  --------------"
    assert table[2] == "Public  Anyone"
    assert table[3] == "Secret  Members only"


def test_markdown_document_has_title_and_sources_footer(tmp_path: Path) -> None:
    card = parse_card(write_card(tmp_path, "x", title="A title"))
    document = card.markdown()
    assert document.startswith("# A title\n\nSome guidance text.")
    assert document.rstrip().endswith(f"- {SEED}: Handling abuse")
    assert "**Sources**" in document


# --- the library --------------------------------------------------------------------------


def test_a_card_mentioned_in_a_card_reads_as_its_title_and_is_related(tmp_path: Path) -> None:
    write_card(tmp_path, "a-guide", title="Alpha")
    write_card(tmp_path, "b-guide", title="Beta")
    write_card(tmp_path, "c-guide", title="Gamma", related=["b-guide"], body="Then follow a-guide, not c-guide.")
    library = Library.from_dir(tmp_path)
    gamma = library.get("c-guide")
    assert [c.id for c in library.related(gamma)] == ["b-guide", "a-guide"]  # listed, then mentioned
    assert "Then follow **Alpha**, not c-guide." in library.reader_body(gamma)


def test_library_get_by_kind_and_related(tmp_path: Path) -> None:
    write_card(tmp_path, "b-guide", title="Beta", related=["a-guide", "missing"])
    write_card(tmp_path, "a-guide", title="Alpha")
    write_card(tmp_path, "pb-x", kind="playbook")
    library = Library.from_dir(tmp_path)
    assert list(library.cards) == ["a-guide", "b-guide", "pb-x"]
    assert library.get("a-guide").title == "Alpha"
    assert [c.id for c in library.related(library.get("b-guide"))] == ["a-guide"]
    groups = library.by_kind()
    assert list(groups) == ["playbook", "guide"]  # KINDS order, empty kinds left out
    assert [c.title for c in groups["guide"]] == ["Alpha", "Beta"]


def test_unknown_card_is_one_clear_sentence(tmp_path: Path) -> None:
    library = Library.from_dir(tmp_path)
    with pytest.raises(UnknownCard) as caught:
        library.get("nope\x1b[31m")
    message = str(caught.value)
    assert "\x1b" not in message and "\n" not in message
    assert "'nope\\x1b[31m'" in message
    assert caught.value.exit_code == 1


def test_validate_reports_each_kind_of_problem(tmp_path: Path) -> None:
    write_card(tmp_path, "good", related=["bad-kind"])
    write_card(tmp_path, "bad-kind", kind="essay", audience=["pupils"], related=["ghost", "bad-kind"])
    write_card(tmp_path, "renamed", file_name="other-name.md")
    write_card(tmp_path, "good", file_name="good-copy.md")
    write_card(tmp_path, "Bad_Id", file_name="Bad_Id.md")
    write_card(tmp_path, "pb-short", kind="playbook", body="## Do not\n- x\n\n## Do now\n- y\n\n## Notes\n- z\n")
    write_card(tmp_path, "pb-empty", kind="playbook", body=PLAYBOOK_BODY.replace("- Write down the times.\n", ""))
    problems = "\n".join(Library.from_dir(tmp_path).validate())
    for expected in [
        "bad-kind.md: unknown kind 'essay'",
        "bad-kind.md: unknown audience 'pupils'",
        "bad-kind.md: related id 'ghost' does not exist",
        "bad-kind.md: lists itself as related",
        "other-name.md: id 'renamed' differs from the file name",
        "duplicate id 'good'",
        "Bad_Id.md: id 'Bad_Id' is not lower-case words",
        "pb-short.md: playbook has no '## Record' section",
        "pb-short.md: playbook has extra section(s): Notes",
        "pb-short.md: playbook sections out of order",
        "pb-empty.md: playbook section '## Record' has no list items",
    ]:
        assert expected in problems


def test_validate_flags_an_unknown_source_file(tmp_path: Path) -> None:
    path = write_card(tmp_path, "x")
    path.write_text(path.read_text().replace(SEED, "005_typo.txt"))
    problems = Library.from_dir(tmp_path).validate()
    assert problems == ["x.md: source file '005_typo.txt' is not one of the guidance documents"]


# --- the shipped cards -------------------------------------------------------------------


def test_shipped_library_validates_with_no_problems() -> None:
    library = default_library()
    assert library.cards, "no cards in content/cards/"
    assert library.validate() == []


def test_shipped_cards_have_known_kinds_and_stay_short() -> None:
    library = default_library()
    assert set(library.by_kind()) <= set(KINDS)
    too_long = [c.id for c in library.cards.values() if len(c.body.encode()) > 4096]
    assert too_long == [], "cards should stay under about 3 KB; split these"


def _normalise(text: str) -> str:
    for curly, plain in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"')):
        text = text.replace(curly, plain)
    return " ".join(text.lower().split())


@needs_seeds
def test_every_cited_section_heading_occurs_in_its_source() -> None:
    seeds = {p.name: _normalise(p.read_text(encoding="utf-8", errors="replace")) for p in SEEDS.glob("*.txt")}
    missing = sorted(
        {
            f"{card.id}: {s.file} / {s.section!r}"
            for card in default_library().cards.values()
            for s in card.sources
            if s.file in seeds and _normalise(s.section) not in seeds[s.file]
        }
    )
    assert missing == [], "section = must copy a heading from the source exactly"


@needs_seeds
def test_verbatim_check_finds_no_copied_runs() -> None:
    tool = SHARED / "tools" / "verbatim_check.py"
    if not tool.is_file():
        pytest.skip("../shared/tools/verbatim_check.py is not here")
    main = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, str(tool), "content"], cwd=main, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-1000:]


def test_parsed_front_matter_cache_matches_the_cards():
    """The start-up cache must hold exactly the shipped cards: run `python -m safedesk.content.library`."""
    from safedesk.content.cards import front_matter_key, split_front_matter
    from safedesk.content.library import CARDS_DIR, PARSED_FILE, _read_parsed

    parsed = _read_parsed(CARDS_DIR)
    keys = {front_matter_key(split_front_matter(path.read_text(encoding="utf-8"), path)[0]) for path in CARDS_DIR.glob("*.md")}
    assert keys == set(parsed), f"content/cards/{PARSED_FILE} is stale: run python -m safedesk.content.library"


def test_parsed_bodies_kept_match_the_cards(tmp_path):
    """The first card is drawn from tokens kept with the cards: they must be what markdown-it makes
    of each card's text now, and a card whose text changed must be parsed again, not drawn stale."""
    from safedesk.content.library import CARDS_DIR, default_library
    from safedesk.content.tokens import TOKENS_FILE, parse_flat, shipped_tokens, write_tokens

    library = default_library()
    for card in library.cards.values():
        text = library.reader_body(card)
        kept = shipped_tokens(card.id, text)
        assert kept is not None, f"content/cards/{TOKENS_FILE} is stale for {card.id}: run python -m safedesk.content.library"
        fresh = parse_flat(text)
        assert [(t.type, t.tag, t.nesting, t.content, dict(t.attrs)) for t in kept] == [
            (t.type, t.tag, t.nesting, t.content, dict(t.attrs)) for t in fresh
        ], card.id
    card = next(iter(library.cards.values()))
    assert shipped_tokens(card.id, library.reader_body(card) + "\nchanged") is None
    assert shipped_tokens("no-such-card", "text") is None
    # Written anew, the file gives back the same tokens, even with its line ends made CRLF by a checkout.
    assert write_tokens(library, tmp_path) == len(library.cards)
    written = tmp_path / TOKENS_FILE
    written.write_bytes(written.read_bytes().replace(b"\n", b"\r\n"))
    last = list(library.cards.values())[-1]
    assert [t.content for t in shipped_tokens(last.id, library.reader_body(last), tmp_path) or []] == [
        t.content for t in shipped_tokens(last.id, library.reader_body(last)) or []
    ]
    assert (CARDS_DIR / TOKENS_FILE).is_file()


_LINES = st.lists(
    st.tuples(
        st.sampled_from(["+++", " +++", "+++\t", "x+++", 'id = "a"', "", "body"]),
        st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\x0c", ""]),
    ).map("".join),
    max_size=8,
)


@given(st.sampled_from(["", "\ufeff", "+++\n", "\ufeff+++\n"]), _LINES)
@example("+++\n", [" +++\n", "+++\n", "body\n"])  # an earlier line that is a fence once stripped
@example("+++\n", ['id = "a"\u2028+++\n', "+++\n"])  # ... after a line separator other than LF
@example("+++\n", ['id = "a"\r\n', "+++\n"])
@settings(max_examples=300)
def test_the_quick_split_of_a_card_agrees_with_the_line_by_line_one(start: str, lines: list[str]) -> None:
    # split_front_matter takes a short cut for the shipped cards' shape; every text, whatever
    # its line endings and fences, must come out as the line-by-line reading gives it.
    from safedesk.content.cards import _split_lines, split_front_matter

    text = start + "".join(lines)
    path = Path("card.md")

    def outcome(split: Callable[[], tuple[str, str]]) -> tuple[str, str] | str:
        try:
            return split()
        except CardError as error:
            return error.message

    assert outcome(lambda: split_front_matter(text, path)) == outcome(lambda: _split_lines(text.lstrip("\ufeff"), path))


def test_every_shipped_card_takes_the_quick_split(monkeypatch: pytest.MonkeyPatch) -> None:
    from safedesk.content import cards

    calls: list[str] = []
    original = cards._split_lines
    monkeypatch.setattr(cards, "_split_lines", lambda text, path: calls.append(path.name) or original(text, path))
    Library.from_dir()
    assert calls == []
