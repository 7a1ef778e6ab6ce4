"""The five source documents, by the short names a card's footer shows."""

from __future__ import annotations

from safedesk.content.cards import Source

SOURCE_TITLES = {
    "000_b8d7e37787fd7202.txt": "Kent, Using Social Media in Educational Settings (2018)",
    "001_ef7b0626e3c4f569.txt": "A primary school's social media policy (2021)",
    "002_4b6c6ad734601ca6.txt": "Welsh Government, social media guidance for schools",
    "003_6b1c41f03c5714fc.txt": "Oxfordshire model guidance, adopted by a federation (2012/2018)",
    "004_c13d0037c29a05f6.txt": "Kent policy-builder page (2010)",
}


def describe(source: Source) -> str:
    """'Document title: section' for a card's sources footer."""
    if not source.is_seed:
        return source.citation()
    return f"{SOURCE_TITLES.get(source.file, source.file)}: {source.section}"
