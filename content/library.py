"""All the guidance cards, loaded once from the package's `cards/` folder."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from safedesk.content.cards import (
    AUDIENCES,
    KINDS,
    NATIONS,
    PLAYBOOK_SECTIONS,
    Card,
    front_matter_key,
    parse_card,
    split_front_matter,
)
from safedesk.content.errors import ContentError

CARDS_DIR = Path(__file__).parent / "cards"
# The guidance documents every card cites (../shared/seeds/); a typo here would orphan a citation.
SEED_FILES = frozenset(
    {
        "000_b8d7e37787fd7202.txt",
        "001_ef7b0626e3c4f569.txt",
        "002_4b6c6ad734601ca6.txt",
        "003_6b1c41f03c5714fc.txt",
        "004_c13d0037c29a05f6.txt",
    }
)
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# A card id written in running text: two or more hyphenated words, not inside a word or a link.
_MENTION = re.compile(r"(?<![\w\-:/\[])[a-z0-9]+(?:-[a-z0-9]+)+(?![\w\-\]])")


class UnknownCard(ContentError):
    """A card id that no card carries."""

    def __init__(self, card_id: str) -> None:
        # repr() keeps whatever was typed on one line and free of terminal escapes.
        super().__init__(f"no guidance card has the id {card_id!r} (see `safedesk guide list`)")
        self.card_id = card_id


class Library:
    """The cards by id, plus what was wrong with the folder they came from."""

    def __init__(self, cards: Iterable[Card]) -> None:
        by_id: dict[str, Card] = {}
        self._duplicates: list[str] = []
        for card in cards:
            if card.id in by_id:
                self._duplicates.append(f"{card.path.name}: duplicate id {card.id!r} (also {by_id[card.id].path.name})")
            else:
                by_id[card.id] = card
        self.cards: Mapping[str, Card] = MappingProxyType(dict(sorted(by_id.items())))

    @classmethod
    def from_dir(cls, folder: Path = CARDS_DIR) -> Library:
        """Parse every `*.md` card in folder; a malformed card raises CardError."""
        parsed = _read_parsed(folder)
        return cls(parse_card(path, parsed) for path in sorted(folder.glob("*.md")))

    def get(self, card_id: str) -> Card:
        try:
            return self.cards[card_id]
        except KeyError:
            raise UnknownCard(card_id) from None

    def by_kind(self) -> dict[str, list[Card]]:
        """Cards grouped by kind in KINDS order (empty kinds left out), each group by title."""
        groups: dict[str, list[Card]] = {kind: [] for kind in KINDS}
        for card in self.cards.values():
            groups.setdefault(card.kind, []).append(card)
        return {kind: sorted(cards, key=lambda c: c.title.lower()) for kind, cards in groups.items() if cards}

    def related(self, card: Card) -> list[Card]:
        """The related cards that exist, in the order the card lists them, then every other card
        its text mentions: each card the text sends the reader to is one keypress away (r)."""
        mentioned = [m.group(0) for m in _MENTION.finditer(card.body)]
        ids = dict.fromkeys([*card.related, *mentioned])
        return [self.cards[i] for i in ids if i in self.cards and i != card.id]

    def reader_body(self, card: Card) -> str:
        """The card's body as the TUI shows it: every mention of another card's id put as that
        card's title in bold. Not a link: a terminal reader cannot follow one by keyboard, and its
        target would be printed raw beside the title; the card is in the Related list instead."""

        def title(match: re.Match[str]) -> str:
            target = self.cards.get(match.group(0))
            return f"**{target.title}**" if target and target.id != card.id else match.group(0)

        return _MENTION.sub(title, card.body)

    def titled(self, text: str) -> str:
        """`text` with every mention of a card's id put as its title ('follow the guidance "Nude
        or semi-nude image..."'), for printed reports: a LADO cannot open pb-nude-image-of-child."""

        def title(match: re.Match[str]) -> str:
            target = self.cards.get(match.group(0))
            return f'the guidance "{target.title}"' if target else match.group(0)

        return _MENTION.sub(title, text)

    def validate(self) -> list[str]:
        """Every problem with the cards, one sentence each; empty when all is well."""
        problems = list(self._duplicates)
        for card in self.cards.values():
            problems.extend(f"{card.path.name}: {p}" for p in _card_problems(card, self.cards))
        return problems


def _card_problems(card: Card, cards: Mapping[str, Card]) -> Iterable[str]:
    if not _ID.fullmatch(card.id):
        yield f"id {card.id!r} is not lower-case words joined by '-'"
    if card.path.stem != card.id:
        yield f"id {card.id!r} differs from the file name"
    if card.kind not in KINDS:
        yield f"unknown kind {card.kind!r} (one of: {', '.join(KINDS)})"
    if not card.audience:
        yield "audience is empty"
    for audience in card.audience:
        if audience not in AUDIENCES:
            yield f"unknown audience {audience!r} (one of: {', '.join(AUDIENCES)})"
    for related in card.related:
        if related == card.id:
            yield "lists itself as related"
        elif related not in cards:
            yield f"related id {related!r} does not exist"
    for source in card.sources:
        if source.is_seed and source.file not in SEED_FILES:
            yield f"source file {source.file!r} is not one of the guidance documents"
    for nation in card.nations:
        if nation not in NATIONS:
            yield f"unknown nation {nation!r} (one of: {', '.join(NATIONS)})"
    if not card.nations and not all(source.is_seed for source in card.sources):
        yield "cites a document beyond the seeds but does not say which UK nations it applies to (`nations`)"
    if card.kind == "playbook":
        yield from _playbook_problems(card)


def _playbook_problems(card: Card) -> Iterable[str]:
    sections = card.sections()
    for name in PLAYBOOK_SECTIONS:
        if name not in sections:
            yield f"playbook has no '## {name}' section"
        elif not sections[name]:
            yield f"playbook section '## {name}' has no list items"
    extra = [name for name in sections if name not in PLAYBOOK_SECTIONS]
    if extra:
        yield f"playbook has extra section(s): {', '.join(extra)}"
    present = [name for name in sections if name in PLAYBOOK_SECTIONS]
    if present != [name for name in PLAYBOOK_SECTIONS if name in present]:
        yield f"playbook sections out of order (want: {', '.join(PLAYBOOK_SECTIONS)})"


# Parsed front matter of the shipped cards, keyed by the hash of its text: a pure
# speed-up for start-up (a card whose front matter changed is simply parsed again).
PARSED_FILE = "parsed-front-matter.json"


def _read_parsed(folder: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((folder / PARSED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_parsed(folder: Path = CARDS_DIR) -> int:
    """Regenerate the parsed front matter file; returns how many cards it holds."""
    import tomllib  # a maintainer's command: kept off the app's start-up

    parsed: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.md")):
        front, _body = split_front_matter(path.read_text(encoding="utf-8"), path)
        parsed[front_matter_key(front)] = tomllib.loads(front)
    (folder / PARSED_FILE).write_text(json.dumps(parsed, sort_keys=True, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return len(parsed)


@cache
def default_library() -> Library:
    """The cards shipped with SafeDesk, parsed on first use."""
    return Library.from_dir()


if __name__ == "__main__":
    from safedesk.content.tokens import TOKENS_FILE, write_tokens

    print(f"wrote parsed front matter for {write_parsed()} cards to content/cards/{PARSED_FILE}")
    print(f"wrote parsed bodies for {write_tokens(Library.from_dir())} cards to content/cards/{TOKENS_FILE}")
