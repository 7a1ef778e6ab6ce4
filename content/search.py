"""Search the cards the way a worried DSL types: partial words, slang, misspellings.

SQLite FTS5 (in memory, stdlib `sqlite3`) ranks with BM25 over the id, title,
aliases, tags, summary and body, with porter stemming. The last word is matched
as a prefix when the query ends mid-word, so results follow typing. The query is
never passed to SQLite as written: word tokens are pulled out of it and quoted,
so quotes, `*`, `NEAR`, `-` or stray unicode cannot break the MATCH syntax.

BM25 alone serves short cards badly: FTS5 gives a word found in more than half
the cards ("pupil", "school", "account") no weight at all, so a card whose title
holds every word typed can lose to one that repeats a single word. So each card is
scored per query word by the best field it matched in (title or alias, then tags,
summary or id, then body) times that word's rarity; then raised when part of the
query is one of its aliases or a phrase of its title (the phrases people actually
type, e.g. "kid followed me on insta"); BM25 adds term frequency on top and breaks ties.

Where the SQLite build lacks FTS5, a small in-Python scorer answers with the
same API and a notice saying so.
"""

from __future__ import annotations

import bisect
import difflib
import math
import re
import sqlite3
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Protocol

from safedesk.content.cards import Card
from safedesk.content.library import Library, default_library

FALLBACK_NOTICE = "full-text search unavailable: using simple matching"

COLUMNS = ("id", "title", "aliases", "tags", "summary", "body")
# What people type is mostly a card's title or one of its aliases; body words only break ties.
WEIGHTS = {"id": 2.0, "title": 10.0, "aliases": 10.0, "tags": 5.0, "summary": 3.0, "body": 1.0}
# A query word's weight by the best place a card has it; a body-only match counts little.
FIELD_WEIGHTS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("title", "aliases"), 1.0),
    (("id", "tags", "summary"), 0.4),
    (COLUMNS, 0.15),
)
PHRASE_BOOST = 1.0  # a query that is wholly one of a card's aliases doubles that card's score
BM25_SHARE = 0.05  # how much BM25 adds to the field score: mostly a tie-break
# In an incident the DSL wants the steps; an overview card is the way into its family
# (platform-x-twitter before platform-x-twitter-report).
KIND_BOOST = {"playbook": 1.15}
FAMILY_BOOST = 1.1
TITLE_PHRASE_WORDS = 6  # longest title phrase looked for in a query

MAX_TERMS = 16  # bounds the work a pasted paragraph can cause
MIN_CORRECTABLE = 4  # shorter words are too ambiguous to correct ("fb", "pe")
SNIPPET_WORDS = 14

_WORD = re.compile(r"[^\W_]+")
# Lines that hold no words (blank, rules, table separators) and the markers that start a block.
_RULE = re.compile(r"^[\s|:*_=-]*$")
_BLOCK_MARKER = re.compile(r"^\s*(?:>\s*)*(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+)?")
_INLINE_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`|\\(?=[^\w\s])")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")

# Words that carry no topic on their own; dropped unless the query is nothing else.
STOP_WORDS = frozenset(
    """a an the and or but of on in at to for from by with about into onto is are was were be been
    being am it its it's this that these those there here i me my we us our you your he she him her his
    they them their what when where which who whom why how do does did done has have had can could
    should would will shall may might must not no so if then than just any some someone somebody
    something all very too also got get gets getting one""".split()
)

# Words people type that the cards need not carry: short forms and slang, mapped to the
# words the cards use. Values are alternatives; a space makes a phrase.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "fb": ("facebook",),
    "insta": ("instagram",),
    "ig": ("instagram",),
    "yt": ("youtube",),
    "tiktok": ("tik tok",),
    "twitter": ("x",),
    "tweet": ("twitter", "post"),
    "journo": ("journalist", "media", "press"),
    "reporter": ("journalist", "media", "press"),
    "newspaper": ("journalist", "media", "press"),
    "nudes": ("nude", "sexual image"),
    "sexting": ("nude", "sexual image"),
    "pic": ("photo", "image"),
    "pics": ("photo", "image"),
    "selfie": ("photo", "image"),
    "hacked": ("compromised",),
    "badge": ("logo", "crest"),
    "crest": ("logo", "badge"),
    "permission": ("consent",),
    "refused": ("not remove",),
    "refuses": ("not remove",),
    "troll": ("abuse", "anonymous"),
    "trolling": ("abuse", "anonymous"),
    "slagging": ("negative", "criticism", "complaint"),
    "moaning": ("negative", "complaint"),
    "complain": ("complaint",),
    "complaining": ("complaint",),
    "whatsapp": ("group chat", "messaging"),
}


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    kind: str
    score: float
    snippet: str


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[Hit, ...]
    corrected_query: str | None = None  # the query as searched, when a word was corrected
    notice: str | None = None  # a line the UI shows as it is (e.g. the fallback notice)


@dataclass(frozen=True)
class _Alternative:
    words: tuple[str, ...]  # one word, or a phrase
    prefix: bool


# One query word with its synonyms: a card matches the group when it matches any alternative.
_Group = tuple[_Alternative, ...]


class _Engine(Protocol):
    notice: str | None

    def matching(self, group: _Group, columns: Sequence[str] = COLUMNS) -> frozenset[str]:
        """The ids of the cards that match group in any of columns."""
        ...

    def bm25(self, groups: Sequence[_Group]) -> dict[str, float]:
        """A BM25-like score (> 0) for every card matching any group."""
        ...

    def snippets(self, groups: Sequence[_Group], ids: Sequence[str]) -> dict[str, str]:
        """A plain excerpt of each card's body around the match, where the body matched."""
        ...


def fts5_available() -> bool:
    """Whether this Python's SQLite can build an FTS5 table."""
    try:
        with sqlite3.connect(":memory:") as conn:
            conn.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
        return True
    except sqlite3.Error:
        return False


@dataclass(frozen=True)
class _Document:
    id: str
    title: str
    kind: str
    summary: str
    aliases: tuple[str, ...]
    fields: dict[str, str]  # column -> searchable text


class SearchIndex:
    """An in-memory index of one Library; build once, search many times (thread-safe)."""

    def __init__(self, docs: Sequence[_Document], engine: _Engine) -> None:
        self._docs = {d.id: d for d in docs}
        self._engine = engine
        self._vocabulary: Counter[str] = Counter()
        self._phrases: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for doc in docs:
            self._vocabulary.update(set(_words(" ".join(doc.fields.values()))))
            for phrase in _phrases(doc):
                self._phrases[phrase].add(doc.id)
        self._longest_phrase = max((len(k) for k in self._phrases), default=0)
        # Ids are [a-z0-9-] and "-" sorts first, so a card's family follows it directly.
        ids = sorted(self._docs)
        self._family_roots = {a for a, b in zip(ids, ids[1:], strict=False) if b.startswith(a + "-")}
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(self._vocabulary):
            self._by_length[len(word)].append(word)
        # Live search repeats the same words on every key press; corrections are worth keeping.
        self._corrections: dict[str, str | None] = {}

    @classmethod
    def build(cls, library: Library, fts5: bool | None = None) -> SearchIndex:
        """Index library with FTS5 when this SQLite has it (or as `fts5` forces)."""
        docs = [_document(card) for card in library.cards.values()]
        use_fts5 = fts5_available() if fts5 is None else fts5
        return cls(docs, _Fts5Engine(docs) if use_fts5 else _SimpleEngine(docs))

    @property
    def notice(self) -> str | None:
        return self._engine.notice

    def search(self, query: str, limit: int = 10) -> SearchResult:
        """The best `limit` cards for query; never raises on what a user types."""
        all_words = _words(query)
        typed = all_words[:MAX_TERMS]
        if not typed or limit < 1:
            return SearchResult((), None, self.notice)
        # The last word is still being typed unless the query ends in a space or punctuation.
        last_is_prefix = len(all_words) <= MAX_TERMS and _WORD.match(query[-1]) is not None
        wanted = [i for i, word in enumerate(typed) if word not in STOP_WORDS] or list(range(len(typed)))

        searched = list(typed)
        groups: list[tuple[_Group, frozenset[str]]] = []
        for i in wanted:
            group = _group(typed[i], last_is_prefix and i == len(typed) - 1)
            found = self._engine.matching(group)
            if not found:
                better = self._correct(typed[i])
                if better is not None:
                    searched[i] = better
                    group = _group(better, False)
                    found = self._engine.matching(group)
            groups.append((group, found))

        scores = self._score(groups, self._phrase_share(searched, wanted))
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        snippets = self._engine.snippets([group for group, _ in groups], [card_id for card_id, _ in best])
        hits = tuple(self._hit(card_id, score, snippets.get(card_id)) for card_id, score in best)
        corrected = " ".join(searched) if searched != typed else None
        return SearchResult(hits, corrected, self.notice)

    def _score(self, groups: Sequence[tuple[_Group, frozenset[str]]], phrase_share: dict[str, float]) -> dict[str, float]:
        """Each matching card's score; groups are the query's words with the cards matching each."""
        field_score: dict[str, float] = defaultdict(float)
        for group, found in groups:
            if not found:
                continue
            rarity = math.log(1 + len(self._docs) / len(found))
            credited: set[str] = set()
            for columns, weight in FIELD_WEIGHTS:
                cards = found if columns == COLUMNS else self._engine.matching(group, columns)
                for card_id in cards - credited:
                    field_score[card_id] += rarity * weight
                credited |= cards
        bm25 = self._engine.bm25([group for group, _ in groups])
        scores = {}
        for card_id, base in field_score.items():
            score = base * (1 + PHRASE_BOOST * phrase_share.get(card_id, 0.0)) + BM25_SHARE * bm25.get(card_id, 0.0)
            scores[card_id] = score * KIND_BOOST.get(self._docs[card_id].kind, 1.0)
            if card_id in self._family_roots:
                scores[card_id] *= FAMILY_BOOST
        return scores

    def _hit(self, card_id: str, score: float, snippet: str | None) -> Hit:
        doc = self._docs[card_id]
        return Hit(doc.id, doc.title, doc.kind, round(score, 3), snippet or doc.summary)

    def _phrase_share(self, words: list[str], wanted: list[int]) -> dict[str, float]:
        """For each card, the share of the query's topic words inside one of its phrases."""
        keys = _key(words)
        covered: dict[str, set[int]] = defaultdict(set)
        for start in range(len(keys)):
            for end in range(start + 1, min(len(keys), start + self._longest_phrase) + 1):
                for card_id in self._phrases.get(keys[start:end], ()):
                    covered[card_id].update(range(start, end))
        return {card_id: len(positions.intersection(wanted)) / len(wanted) for card_id, positions in covered.items()}

    def _correct(self, word: str) -> str | None:
        """The index word closest to a word that matched nothing, if one is close enough."""
        if word not in self._corrections:
            self._corrections[word] = self._closest(word)
        return self._corrections[word]

    def _closest(self, word: str) -> str | None:
        if len(word) < MIN_CORRECTABLE or word.isdigit():
            return None
        candidates = [w for n in range(len(word) - 2, len(word) + 3) for w in self._by_length.get(n, ())]
        close = difflib.get_close_matches(word, candidates, n=5, cutoff=0.75)
        if not close:
            return None
        ratio = {w: difflib.SequenceMatcher(None, word, w).ratio() for w in close}
        return max(close, key=lambda w: (round(ratio[w], 2), self._vocabulary[w], w))


def _phrases(doc: _Document) -> Iterable[tuple[str, ...]]:
    """What a query may quote from a card: any of its aliases whole, or a run of its title
    holding at least two topic words ("ban parents", not "the school")."""
    for alias in doc.aliases:
        yield _key(_words(alias))
    title = _words(doc.title)
    keys = _key(title)
    for start in range(len(title)):
        for end in range(start + 2, min(len(title), start + TITLE_PHRASE_WORDS) + 1):
            if sum(w not in STOP_WORDS for w in title[start:end]) >= 2:
                yield keys[start:end]


def _group(word: str, prefix: bool) -> _Group:
    alternatives = [_Alternative((word,), prefix)]
    alternatives += [_Alternative(tuple(_words(s)), False) for s in SYNONYMS.get(word, ()) if s != word]
    return tuple(alternatives)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


_SUFFIXES = ("ings", "ing", "edly", "ed", "ies", "es", "s")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """A crude suffix strip, so 'kids' meets 'kid' where FTS5's porter stemmer is not at hand."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _key(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(_stem(w) for w in words)


# --- documents ---------------------------------------------------------------------------


def _document(card: Card) -> _Document:
    return _Document(
        id=card.id,
        title=card.title,
        kind=card.kind,
        summary=card.summary,
        aliases=card.aliases,
        fields={
            "id": card.id.replace("-", " "),
            "title": card.title,
            "aliases": " ; ".join(card.aliases),
            "tags": " ; ".join(card.tags),
            "summary": card.summary,
            "body": _flat_body(card.body),
        },
    )


def _flat_body(markdown: str) -> str:
    """The body as plain sentences for matching and snippets.

    A line-based strip of Markdown markers rather than a full render: the index is
    rebuilt at every start, and a Markdown parse of every card costs several times more.
    Each block becomes one line ending in punctuation, so snippets read as sentences.
    """
    blocks: list[str] = []
    joinable = False  # whether the next plain line continues a wrapped paragraph
    quoted = False  # whether the previous line was in a block quote
    for raw in markdown.splitlines():
        if _RULE.match(raw):
            joinable = False
            continue
        marker = _BLOCK_MARKER.match(raw)
        assert marker is not None  # every part of the pattern is optional
        line = raw[marker.end() :]
        is_row = line.lstrip().startswith("|")
        if is_row:
            line = "; ".join(cell.strip() for cell in line.strip().strip("|").split("|") if cell.strip())
        line = _INLINE_MARKUP.sub("", _LINK.sub(r"\1", line)).strip()
        in_quote = raw.lstrip().startswith(">")
        starts_block = marker.group(1) is not None or is_row or in_quote != quoted
        quoted = in_quote
        if joinable and not starts_block and line:
            blocks[-1] += " " + line
        elif line:
            blocks.append(line)
        joinable = bool(line) and not is_row and not raw.lstrip().startswith("#")
    return "\n".join(b if b[-1] in ".!?:;," else b + "." for b in blocks)


# --- FTS5 --------------------------------------------------------------------------------

_HIT_START, _HIT_END = "\x02", "\x03"


class _Fts5Engine:
    notice: str | None = None

    def __init__(self, docs: Sequence[_Document]) -> None:
        # Searches may come from a UI worker thread; one lock guards the one connection.
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.execute(
            f"CREATE VIRTUAL TABLE cards USING fts5(card UNINDEXED, {', '.join(COLUMNS)}, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        weights = ", ".join(str(WEIGHTS[c]) for c in COLUMNS)
        self._conn.execute("INSERT INTO cards(cards, rank) VALUES ('rank', ?)", (f"bm25(0.0, {weights})",))
        self._conn.executemany(
            f"INSERT INTO cards VALUES ({', '.join('?' * (len(COLUMNS) + 1))})",
            [(d.id, *(d.fields[c] for c in COLUMNS)) for d in docs],
        )
        self._body = COLUMNS.index("body") + 1

    def _rows(self, sql: str, params: Sequence[object]) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error:
                # The expression is built from quoted word tokens and should always parse;
                # should some tokenizer corner case still fail, it finds nothing rather than crash.
                return []

    def matching(self, group: _Group, columns: Sequence[str] = COLUMNS) -> frozenset[str]:
        expression = _fts_group(group)
        if tuple(columns) != COLUMNS:
            expression = "{" + " ".join(columns) + "} : " + expression
        rows = self._rows("SELECT card FROM cards WHERE cards MATCH ?", (expression,))
        return frozenset(str(row[0]) for row in rows)

    def bm25(self, groups: Sequence[_Group]) -> dict[str, float]:
        rows = self._rows("SELECT card, rank FROM cards WHERE cards MATCH ?", (_fts_any(groups),))
        return {str(card): -float(rank) for card, rank in rows}  # type: ignore[arg-type]

    def snippets(self, groups: Sequence[_Group], ids: Sequence[str]) -> dict[str, str]:
        if not ids:
            return {}
        sql = (
            f"SELECT card, snippet(cards, {self._body}, ?, ?, '…', {SNIPPET_WORDS}) FROM cards "
            f"WHERE cards MATCH ? AND card IN ({', '.join('?' * len(ids))})"
        )
        out = {}
        for card, text in self._rows(sql, (_HIT_START, _HIT_END, _fts_any(groups), *ids)):
            # A body excerpt only helps when the body is where the words were found.
            if _HIT_START in str(text):
                out[str(card)] = " ".join(str(text).replace(_HIT_START, "").replace(_HIT_END, "").split())
        return out


def _fts_any(groups: Sequence[_Group]) -> str:
    return " OR ".join(_fts_group(g) for g in groups)


def _fts_group(group: _Group) -> str:
    return "(" + " OR ".join(_fts_alternative(a) for a in group) + ")"


def _fts_alternative(alternative: _Alternative) -> str:
    # Tokens hold only letters and digits, so a quoted phrase is always valid FTS5 syntax.
    return '"' + " ".join(alternative.words) + '"' + ("*" if alternative.prefix else "")


# --- fallback ----------------------------------------------------------------------------


class _SimpleEngine:
    """Weighted term counting in Python over an inverted index, for SQLite builds without FTS5."""

    notice: str | None = FALLBACK_NOTICE
    _CACHE_SIZE = 256

    def __init__(self, docs: Sequence[_Document]) -> None:
        self._docs = {d.id: d for d in docs}
        self._stems = {d.id: {c: _key(_words(d.fields[c])) for c in COLUMNS} for d in docs}
        # stem -> card -> column -> occurrences
        self._postings: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
        for card_id, columns in self._stems.items():
            for column, stems in columns.items():
                for stem in stems:
                    self._postings[stem][card_id][column] += 1
        self._sorted_stems = sorted(self._postings)
        # A search asks about each word several times (per column set, then to score it).
        self._cache: dict[_Alternative, dict[str, Counter[str]]] = {}

    def matching(self, group: _Group, columns: Sequence[str] = COLUMNS) -> frozenset[str]:
        return frozenset(
            card_id
            for alternative in group
            for card_id, counts in self._occurrences(alternative).items()
            if any(counts[c] for c in columns)
        )

    def bm25(self, groups: Sequence[_Group]) -> dict[str, float]:
        scores: dict[str, float] = defaultdict(float)
        for group in groups:
            best: dict[str, float] = defaultdict(float)
            for alternative in group:
                found = self._occurrences(alternative)
                idf = math.log(1 + len(self._docs) / (1 + len(found)))
                for card_id, counts in found.items():
                    score = idf * sum(WEIGHTS[c] * (1 + math.log(n)) for c, n in counts.items() if n)
                    best[card_id] = max(best[card_id], score)
            for card_id, score in best.items():
                scores[card_id] += score
        return dict(scores)

    def snippets(self, groups: Sequence[_Group], ids: Sequence[str]) -> dict[str, str]:
        wanted = [_alternative_key(a) for g in groups for a in g]
        out = {}
        for card_id in ids:
            words = self._docs[card_id].fields["body"].split()
            for i, word in enumerate(words):
                if any(_count(_key(_words(word)), w, prefix) for w, prefix in wanted if len(w) == 1):
                    start = max(0, i - SNIPPET_WORDS // 3)
                    end = start + SNIPPET_WORDS
                    excerpt = " ".join(words[start:end])
                    out[card_id] = ("…" if start else "") + excerpt + ("…" if end < len(words) else "")
                    break
        return out

    def _occurrences(self, alternative: _Alternative) -> dict[str, Counter[str]]:
        """card -> column -> how often the alternative occurs there."""
        if alternative not in self._cache:
            if len(self._cache) >= self._CACHE_SIZE:
                self._cache.clear()
            self._cache[alternative] = self._find(alternative)
        return self._cache[alternative]

    def _find(self, alternative: _Alternative) -> dict[str, Counter[str]]:
        wanted, prefix = _alternative_key(alternative)
        last = self._prefixed(wanted[-1]) if prefix else [wanted[-1]]
        if len(wanted) == 1:
            out: dict[str, Counter[str]] = defaultdict(Counter)
            for stem in last:
                for card_id, counts in self._postings.get(stem, {}).items():
                    out[card_id].update(counts)
            return dict(out)
        # Only a card holding every word of a phrase can hold the phrase.
        candidates = set.intersection(*(set(self._postings.get(w, ())) for w in wanted[:-1]))
        candidates &= {card_id for stem in last for card_id in self._postings.get(stem, ())}
        found = {}
        for card_id in candidates:
            counts = Counter({c: _count(self._stems[card_id][c], wanted, prefix) for c in COLUMNS})
            if +counts:
                found[card_id] = +counts
        return found

    def _prefixed(self, prefix: str) -> list[str]:
        start = bisect.bisect_left(self._sorted_stems, prefix)
        end = bisect.bisect_left(self._sorted_stems, prefix + "\U0010ffff")
        return self._sorted_stems[start:end]


def _alternative_key(alternative: _Alternative) -> tuple[tuple[str, ...], bool]:
    # A prefix is matched as typed: stripping a suffix from half a word would over-match.
    if alternative.prefix:
        return (*_key(alternative.words[:-1]), alternative.words[-1]), True
    return _key(alternative.words), False


def _count(words: Sequence[str], wanted: Sequence[str], prefix: bool) -> int:
    """How often the phrase `wanted` occurs in words (its last word as a prefix if asked)."""
    n = len(wanted)
    total = 0
    for i in range(len(words) - n + 1):
        last = words[i + n - 1]
        if tuple(words[i : i + n - 1]) == tuple(wanted[:-1]) and (last.startswith(wanted[-1]) if prefix else last == wanted[-1]):
            total += 1
    return total


@cache
def default_index() -> SearchIndex:
    """The index of the shipped cards, built on first use."""
    return SearchIndex.build(default_library())
