"""The generated policy covers every area the guidance's policies cover (one test per
area, under several sets of answers), and the area map cites the sources exactly."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from safedesk.content.coverage import FRAGMENTS_DIR, load_coverage
from safedesk.store.policy.builder import (
    COMMENTS,
    IMAGES,
    PERSONAL_USE,
    POLICY_DIR,
    WHO_MAY_POST,
    Channel,
    PolicyAnswers,
    build_policy,
    policy_areas,
    policy_sections,
    section_text,
)
from safedesk.store.text.markdown import outline, parser

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not here")

FULL = PolicyAnswers(
    setting_name="Oak Primary",
    headteacher_name="Dr Ann Head",
    contact_details="the school office: office@oak.sch.uk, 01632 960000",
    dsl_name="Sam Patel",
    deputies=("Ann Jones", "Bo Smith"),
    platforms=("Facebook Page", "YouTube"),
    monitor_by="the office manager",
    response_hours="8am to 5pm on school days",
    local_authority="Kent County Council",
    approved_by="the governing body",
    approved_on=date(2026, 7, 1),
    review_on=date(2027, 7, 1),
)
# Answers chosen so every {% if %} branch of every template is taken by at least one profile.
PROFILES: dict[str, PolicyAnswers] = {
    "full": FULL,
    "strict": dataclasses.replace(
        FULL,
        setting_type="secondary",
        who_may_post="admins",
        comments="off",
        images="none",
        staff_parent_contact="declared",
        former_pupils="never",
        personal_use="none",
        monitor_mentions=False,
        notify_governors=False,
        pta_channel=True,
        parent_groups=False,
        school_devices_personal=True,
    ),
    "open": dataclasses.replace(
        FULL, who_may_post="approved-staff", comments="open", images="consent-first-names", personal_use="reasonable"
    ),
    "empty": PolicyAnswers(),
}
AREAS = policy_areas()
SECTIONS = {s.id: s for s in policy_sections()}


@cache
def _sections(profile: str) -> dict[str, str]:
    """The generated policy for a profile: each template's section text, lower-cased."""
    markdown = build_policy(PROFILES[profile], [Channel("@OakPrimary", "Facebook Page", "https://facebook.com/oak")]).markdown
    headings = [title for level, title in outline(markdown).headings if level == 2]
    out = {}
    for section_id, section in SECTIONS.items():
        heading = next(h for h in headings if h == section.title or h.endswith(f". {section.title}"))
        out[section_id] = section_text(markdown, heading).lower()
    return out


@pytest.mark.parametrize("area", AREAS, ids=[a.id for a in AREAS])
def test_the_policy_covers_the_area(area) -> None:  # type: ignore[no-untyped-def]
    for profile in PROFILES:
        text = _sections(profile)[area.section]
        missing = [phrase for phrase in area.must_say if phrase.lower() not in text]
        assert not missing, f"{area.id} ({area.title}), {profile} answers: section {area.section} lacks {missing}"


def test_every_area_names_a_section_and_every_section_covers_an_area() -> None:
    assert {a.section for a in AREAS} == set(SECTIONS)
    assert len({a.id for a in AREAS}) == len(AREAS)


@needs_seeds
def test_every_cited_heading_occurs_in_its_source() -> None:
    def normal(text: str) -> str:
        return " ".join(text.replace("’", "'").lower().split())

    seeds = {p.name: normal(p.read_text(encoding="utf-8", errors="replace")) for p in SEEDS.glob("*.txt")}
    wrong = [f"{a.id}: {file} / {section}" for a in AREAS for file, section in a.sources if normal(section) not in seeds[file]]
    assert wrong == []


def test_every_section_of_the_source_policies_maps_to_an_area() -> None:
    """All of 001 (a whole policy) and 003 (model guidance), and every section of 002
    (its guidance is the policy's source), as the coverage map lists them, are cited by some area."""
    entries = [e for path in sorted(FRAGMENTS_DIR.glob("*.toml")) for e in load_coverage(path)]
    wanted = {(e.file, e.section) for e in entries if e.file[:3] in ("001", "002", "003")}
    cited = {source for area in AREAS for source in area.sources}
    assert sorted(wanted - cited) == []


@pytest.mark.parametrize("profile", list(PROFILES))
def test_the_policy_is_valid_markdown_with_numbered_sections(profile: str) -> None:
    document = build_policy(PROFILES[profile])
    tokens = parser().parse(document.markdown)
    assert not any(t.type.startswith("html") for t in tokens)
    found = outline(document.markdown)
    assert found.headings[0] == (
        1,
        f"Social media policy: {PROFILES[profile].setting_name or '[to fill in: name of the school]'}",
    )
    numbered = [h for level, h in found.headings if level == 2 and h[0].isdigit()]
    assert numbered == [f"{n}. {s.title}" for n, s in enumerate((s for s in SECTIONS.values() if s.numbered), start=1)]
    assert "{" not in document.markdown.replace("\\{", "")


def test_missing_details_are_visible_not_blank() -> None:
    document = build_policy(PolicyAnswers())
    assert "**[to fill in: name of the DSL]**" in document.markdown
    assert "**[to fill in: date of the next review]**" in document.markdown
    assert {"Designated Safeguarding Lead (name)", "Next review", "Deputy DSLs", "Approved by"} <= set(document.missing)
    assert build_policy(FULL).missing == []


def test_answers_change_the_words() -> None:
    strict = build_policy(PROFILES["strict"]).markdown
    full = build_policy(FULL).markdown
    assert "We do not post photos or videos of pupils" in strict and "We do not post photos or videos of pupils" not in full
    assert "Comments are switched off" in strict and "Comments are allowed" in full
    assert "within 24 hours" in full
    assert "within 48 hours" in build_policy(dataclasses.replace(FULL, takedown_hours=48)).markdown
    assert "Kent County Council when its advice" in full
    assert "The PTA's page or group" in strict and "The PTA's page or group" not in full
    assert "Most social media services require users to be at least 13" in full  # a primary school
    assert (
        "- @OakPrimary (Facebook Page): https://facebook.com/oak"
        in build_policy(FULL, [Channel("@OakPrimary", "Facebook Page", "https://facebook.com/oak")]).markdown
    )
    assert "does not run an official social media account" in build_policy(dataclasses.replace(FULL, platforms=())).markdown


def test_choices_cover_every_branch() -> None:
    """The profiles above take every choice, so the area tests see every branch."""
    for choices, name in (
        (COMMENTS, "comments"),
        (IMAGES, "images"),
        (WHO_MAY_POST, "who_may_post"),
        (PERSONAL_USE, "personal_use"),
    ):
        assert {getattr(p, name) for p in PROFILES.values()} == set(choices)


def test_typed_text_cannot_change_the_policys_structure() -> None:
    hostile = dataclasses.replace(
        FULL,
        setting_name="Oak\n# Fake heading [@click=app.quit]x[/]",
        dsl_name="*Sam* <b>Patel</b> {setting_name}",
        deputies=("- Ann", "1. Bo | Cy"),
        policies=("[link](https://evil.example)",),
    )
    document = build_policy(hostile)
    found = outline(document.markdown)
    assert sum(1 for level, _ in found.headings if level == 1) == 1
    assert "Fake heading" not in [title for _, title in found.headings[1:]]
    tokens = parser().parse(document.markdown)
    inline = [c for t in tokens if t.type == "inline" for c in t.children or []]
    assert not any(c.type in ("link_open", "html_inline", "em_open") and "Sam" in (c.content or "") for c in inline)
    assert not any(c.type == "link_open" for c in inline)
    assert "*Sam* <b>Patel</b> {setting_name}" in found.text


def test_templates_are_read_from_content_policy() -> None:
    assert POLICY_DIR.name == "policy" and POLICY_DIR.parent.name == "content"
    data = tomllib.loads((POLICY_DIR / "areas.toml").read_text(encoding="utf-8"))
    assert len(data["area"]) == len(AREAS) >= 40
