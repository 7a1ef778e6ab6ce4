"""`safedesk forms ...` and `safedesk policy ...`: headless, one-line errors, audited exports."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from safedesk.cli.forms import forms, policy
from safedesk.cli.main import cli
from safedesk.store.engine.session import Session
from safedesk.store.forms.filled import questions_of
from safedesk.store.text.markdown import outline
from tests.kit import PASSPHRASE

for group in (forms, policy):  # the lead registers them in tui/cli.py; until then the tests do
    if group.name not in cli.commands:
        cli.add_command(group)


@pytest.fixture
def pwfile(tmp_path: Path) -> Path:
    path = tmp_path / "pw.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


@pytest.fixture
def store(store_dir: Path) -> Path:
    Session.create(store_dir, "Oak Primary", "Sam Patel", PASSPHRASE)[0].close()
    return store_dir


def run(store: Path, pwfile: Path | None, *args: str):  # type: ignore[no-untyped-def]
    extra = ["--passphrase-file", str(pwfile)] if pwfile else []
    return CliRunner().invoke(cli, ["--store", str(store), *args, *extra], catch_exceptions=False)


def test_types_and_questions_need_no_store(tmp_path: Path) -> None:
    result = run(tmp_path / "none", None, "forms", "types")
    assert result.exit_code == 0 and "web-tools-checklist" in result.stdout and "51 questions" in result.stdout
    skeleton = run(tmp_path / "none", None, "forms", "questions", "new-account-business-case").stdout
    keys = tomllib.loads(skeleton)
    assert {k.partition("|")[0] for k in keys} == {q.key for q in questions_of("new-account-business-case")}
    assert all(k.endswith("|note") for k in keys if "|" in k)  # further information of yes/no questions
    bad = run(tmp_path / "none", None, "forms", "questions", "tea-order")
    assert bad.exit_code != 0 and bad.stderr.startswith("safedesk: There is no form type 'tea-order'")


def test_fill_version_list_and_export_a_form(store: Path, pwfile: Path, tmp_path: Path) -> None:
    skeleton = run(store, None, "forms", "questions", "pre-use-checklist").stdout
    aim = next(q.key for q in questions_of("pre-use-checklist") if q.text.startswith("What do we want"))
    pilot = next(q.key for q in questions_of("pre-use-checklist") if q.text.startswith("Will we run a pilot"))
    answers = tmp_path / "answers.toml"
    answers.write_text(
        skeleton.replace(f'"{aim}" = ""', f'"{aim}" = "Share [work] | with *families*"').replace(
            f'"{pilot}" = ""', f'"{pilot}" = "y"'
        ),
        encoding="utf-8",
    )
    created = run(store, pwfile, "forms", "new", "pre-use-checklist", "--title", "Class blog", "--answers", str(answers))
    assert created.exit_code == 0, created.output
    assert run(store, pwfile, "forms", "version", "1", "--assessed", "today").exit_code == 0
    rows = json.loads(run(store, pwfile, "forms", "list", "--json").stdout)
    assert rows[0]["title"] == "Class blog" and rows[0]["versions"] == 1 and rows[0]["draft_answered"] == 2
    out = tmp_path / "blog.md"
    exported = run(store, pwfile, "forms", "export", "1", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    text = out.read_text(encoding="utf-8")
    assert "Share \\[work\\] \\| with \\*families\\*" in text and "| Will we run a pilot first? | Yes |" in text
    assert outline(text).headings[0] == (1, "Pre-use checklist: a social media tool: Class blog")
    again = run(store, pwfile, "forms", "export", "1", "--out", str(out))
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert run(store, pwfile, "forms", "export", "1", "--out", str(out), "--force").exit_code == 0
    missing = run(store, pwfile, "forms", "export", "1", "--version", "3", "--out", str(tmp_path / "x.md"))
    assert missing.exit_code != 0 and "no version 3" in missing.stderr


def test_fill_refuses_a_bad_answer_with_one_line(store: Path, pwfile: Path, tmp_path: Path) -> None:
    assert run(store, pwfile, "forms", "new", "web-tools-checklist", "--title", "Padlet").exit_code == 0
    endorsed = next(q.key for q in questions_of("web-tools-checklist") if q.text.startswith("Is it endorsed"))
    answers = tmp_path / "a.toml"
    answers.write_text(f'"{endorsed}" = "perhaps"\n', encoding="utf-8")
    result = run(store, pwfile, "forms", "fill", "1", "--answers", str(answers))
    # The message names the answer it refuses (the file may hold dozens).
    assert result.exit_code == 2 and result.stderr == f"safedesk: answer '{endorsed}' in a.toml: Answer yes, no or n/a.\n"
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    created = run(store, pwfile, "forms", "new", "web-tools-checklist", "--title", " ", "--answers", str(tmp_path / "none.toml"))
    assert created.exit_code == 2 and created.stderr.startswith("safedesk: --title: ")
    answers.write_text("not toml = = =", encoding="utf-8")
    result = run(store, pwfile, "forms", "fill", "1", "--answers", str(answers))
    assert result.exit_code == 2 and "not valid TOML" in result.stderr and "Traceback" not in result.output
    empty = run(store, pwfile, "forms", "version", "1")
    assert empty.exit_code == 2 and "at least one question" in empty.stderr


def test_policy_build_from_a_file_stores_the_answers(store: Path, pwfile: Path, tmp_path: Path) -> None:
    skeleton = run(store, None, "policy", "questions").stdout
    assert 'comments = "moderated"' in skeleton and "# review_on = 2027-07-01" in skeleton
    answers = tmp_path / "policy.toml"
    answers.write_text(
        skeleton.replace('dsl_name = ""', 'dsl_name = "Sam Patel"').replace("# review_on = 2027-07-01", "review_on = 2027-07-01"),
        encoding="utf-8",
    )
    out = tmp_path / "policy.md"
    result = run(store, pwfile, "policy", "build", "--answers", str(answers), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Social media policy (18 sections)" in result.stdout and "Still to fill in" in result.stderr
    assert "Our Designated Safeguarding Lead (DSL) is Sam Patel." in out.read_text(encoding="utf-8")
    stored = run(store, pwfile, "policy", "answers").stdout
    assert 'dsl_name = "Sam Patel"' in stored and "review_on = 2027-07-01" in stored
    strict = run(store, pwfile, "policy", "build", "--out", str(tmp_path / "p2.md"), "--strict")
    assert strict.exit_code == 1
    bad = tmp_path / "bad.toml"
    bad.write_text('comments = "whenever"\n', encoding="utf-8")
    refused = run(store, pwfile, "policy", "build", "--answers", str(bad), "--out", str(tmp_path / "p3.md"))
    assert refused.exit_code == 2 and refused.stderr.startswith(
        "safedesk: answer 'comments' in bad.toml: Choose one of: off, moderated, open."
    )
    assert not (tmp_path / "p3.md").exists()


def test_policy_letters(store: Path, pwfile: Path, tmp_path: Path) -> None:
    listed = run(store, None, "policy", "letters").stdout
    assert "disclaimer-parent" in listed and "admin_contact" in listed
    out = tmp_path / "rules.md"
    result = run(
        store, pwfile, "policy", "letter", "disclaimer-parent", "--out", str(out), "--set", "admin_contact=pta@oak.example"
    )
    assert result.exit_code == 0, result.output
    assert "pta@oak.example" in out.read_text(encoding="utf-8") and "Oak Primary" in out.read_text(encoding="utf-8")
    again = run(store, pwfile, "policy", "letter", "disclaimer-parent", "--out", str(tmp_path / "again.md"))
    assert "pta@oak.example" in (tmp_path / "again.md").read_text(encoding="utf-8")  # remembered
    assert again.exit_code == 0
    bad = run(store, pwfile, "policy", "letter", "disclaimer-parent", "--out", str(tmp_path / "x.md"), "--set", "colour=blue")
    assert bad.exit_code == 2 and "--set takes KEY=VALUE" in bad.stderr
    unknown = run(store, pwfile, "policy", "letter", "ransom", "--out", str(tmp_path / "y.md"))
    assert unknown.exit_code == 2 and "no letter 'ransom'" in unknown.stderr
