"""`safedesk forms ...` and `safedesk policy ...`: the guidance's forms and the policy
builder without the app.

    forms types                                       the five forms from the guidance
    forms questions TYPE                              a TOML file of the form's questions to fill in
    forms list [--json]                               every form, its versions and re-assessment dates
    forms new TYPE --title T [--account ID] [--answers FILE]
    forms fill ID --answers FILE                      answers merged into the form's draft
    forms version ID [--assessed DATE] [--review DATE]   the draft saved as a new dated version
    forms export ID [--version N] --out FILE [--html|--pdf|--docx] [--force]

    policy questions                                  a TOML file of the policy's questions (defaults)
    policy answers [--out FILE]                       the stored answers as TOML (to edit next year)
    policy build [--answers FILE] --out FILE [--html|--pdf|--docx] [--force] [--strict]
    policy letters                                    the template letters and disclaimers
    policy letter NAME --out FILE [--html|--pdf|--docx] [--account ID] [--set KEY=VALUE]... [--force]
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from safedesk.cli.formats import chosen_format, format_flags
from safedesk.cli.store import PASSPHRASE_FILE, USER, opened

OUT = click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (Markdown unless --html, --pdf or --docx).",
)
FORCE = click.option("--force", is_flag=True, help="Replace the file if it exists.")


def _read_text(path: Path, what: str) -> str:
    from safedesk.store.errors import InvalidInput

    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not readable UTF-8 text"
        raise InvalidInput(f"Cannot read the {what} {path}: {reason}.") from None


# Fields a command takes as options rather than from the answers file.
_OPTIONS = {"kind": "TYPE", "title": "--title", "account_id": "--account"}


@contextmanager
def naming_the_answer(path: Path | None) -> Iterator[None]:
    """A refused answer from `path` names its key there: the store's sentence says only what is wrong."""
    from safedesk.store.errors import InvalidInput

    try:
        yield
    except InvalidInput as error:
        if not error.field or path is None:
            raise
        where = _OPTIONS.get(error.field) or f"answer {error.field!r} in {path.name}"
        raise InvalidInput(f"{where}: {error}", error.field) from None


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


# --------------------------------------------------------------------- forms


@click.group()
def forms() -> None:
    """The guidance's forms: fill them, keep dated versions, export them as Markdown."""


@forms.command("types")
def types() -> None:
    """List the forms SafeDesk can fill in (no store needed)."""
    from safedesk.store.forms.filled import FORM_TYPES, questions_of

    for spec in FORM_TYPES.values():
        click.echo(f"{spec.id:<28} {spec.title} ({len(questions_of(spec.id))} questions)")
        click.echo(f"{'':<28} {spec.about}")


@forms.command("questions")
@click.argument("kind", metavar="TYPE")
def questions(kind: str) -> None:
    """Print a TOML file of the form's questions, ready to fill in (no store needed)."""
    from safedesk.store.forms.filled import GRID, GROUPS, NOTE, YESNO, address, form_sections, form_type

    spec = form_type(kind)
    lines = [
        f"# {spec.title}: {spec.source}",
        f'# Fill in the answers, then: safedesk forms new {spec.id} --title "..." --answers THIS_FILE.toml',
        '# Yes/no questions take "yes", "no" or "n/a"; dates are written like "21/11/2026".',
    ]
    for section in form_sections(kind):
        lines += [
            "",
            f"# ---- {section.title}" + (" (one entry per item: copy the lines with #2, #3...)" if section.repeat else ""),
        ]
        for question in section.questions:
            lines.append(f"# {question.text}")
            entry = 1 if question.repeat else 0
            if question.kind == YESNO:
                lines += [f'{_toml(address(question.key, entry))} = ""', f'{_toml(address(question.key, entry, NOTE))} = ""']
            elif question.kind == GRID:
                lines += [f'{_toml(address(question.key, entry, group))} = ""' for group in GROUPS]
            else:
                lines.append(f'{_toml(address(question.key, entry))} = ""')
    click.echo("\n".join(lines))


def _answers_file(path: Path) -> dict[str, str]:
    import tomllib
    from datetime import date

    from safedesk.store.errors import InvalidInput

    try:
        data = tomllib.loads(_read_text(path, "answers file"))
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"The answers file is not valid TOML ({error}).") from None
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, date):
            value = value.isoformat()
        if not isinstance(value, str):
            raise InvalidInput(f"The answer {key!r} must be text in quotes.")
        out[key] = value
    return out


@forms.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of forms.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def list_forms(ctx: click.Context, as_json: bool, passphrase_file: str | None, user: str | None) -> None:
    """List every form with its latest version and when it must be re-assessed."""
    from safedesk.store.forms.filled import FormBook, account_label, answered, questions_of

    with opened(ctx, passphrase_file, user) as session:
        book = FormBook(session)
        versions = book.all_versions()
        rows: list[dict[str, Any]] = []  # printed as JSON or as a table: values of several types
        for form in book.forms():
            mine = versions.get(form.id or 0, [])
            latest = mine[-1] if mine else None
            done, total = answered(questions_of(form.kind), form.draft)
            rows.append(
                {
                    "id": form.id,
                    "type": form.kind,
                    "title": form.title,
                    "account": account_label(session, form.account_id) or None,
                    "versions": len(mine),
                    "assessed_on": latest.assessed_on.isoformat() if latest else None,
                    "review_on": latest.review_on.isoformat() if latest else None,
                    "draft_answered": done,
                    "questions": total,
                }
            )
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No forms yet: safedesk forms types lists the forms you can start.")
        return
    click.echo(f"{'ID':>3}  {'TYPE':<27} {'TITLE':<24} {'VER':>3}  {'RE-ASSESS BY':<12} DRAFT")
    for row in rows:
        click.echo(
            f"{row['id']:>3}  {row['type']:<27} {_fit(row['title'], 24)} {row['versions']:>3}  "
            f"{row['review_on'] or '-':<12} {row['draft_answered']}/{row['questions']} answered"
        )


@forms.command("new")
@click.argument("kind", metavar="TYPE")
@click.option("--title", required=True, help="What the form is about, e.g. the tool or account's name.")
@click.option("--account", "account_id", type=int, help="The id of the official account it is about (safedesk accounts list).")
@click.option(
    "--answers",
    "answers_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A TOML file of answers (forms questions TYPE).",
)
@PASSPHRASE_FILE
@USER
@click.pass_context
def new(
    ctx: click.Context,
    kind: str,
    title: str,
    account_id: int | None,
    answers_path: Path | None,
    passphrase_file: str | None,
    user: str | None,
) -> None:
    """Start a form (its draft can be filled in now or later)."""
    from safedesk.store.forms.filled import FormBook, form_type

    form_type(kind)
    answers = _answers_file(answers_path) if answers_path else None
    with opened(ctx, passphrase_file, user) as session, naming_the_answer(answers_path):
        form = FormBook(session).create(kind, title, account_id, answers)
    click.echo(
        f"Form {form.id} started ({len(form.draft)} answers in its draft). Save a version with: safedesk forms version {form.id}"
    )


@forms.command("fill")
@click.argument("form_id", metavar="ID", type=int)
@click.option(
    "--answers", "answers_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="A TOML file of answers."
)
@PASSPHRASE_FILE
@USER
@click.pass_context
def fill(ctx: click.Context, form_id: int, answers_path: Path, passphrase_file: str | None, user: str | None) -> None:
    """Merge answers into a form's draft (a blank answer clears that question)."""
    from safedesk.store.forms.filled import FormBook, answered, questions_of

    answers = _answers_file(answers_path)
    with opened(ctx, passphrase_file, user) as session, naming_the_answer(answers_path):
        form = FormBook(session).save_draft(form_id, answers, merge=True)
    done, total = answered(questions_of(form.kind), form.draft)
    click.echo(f"Draft of form {form_id} saved: {done} of {total} questions answered.")


@forms.command("version")
@click.argument("form_id", metavar="ID", type=int)
@click.option("--assessed", metavar="DATE", help="The date of the assessment (default: the form's own, else today).")
@click.option("--review", metavar="DATE", help="When to re-assess (default: a year after the assessment).")
@PASSPHRASE_FILE
@USER
@click.pass_context
def version(
    ctx: click.Context, form_id: int, assessed: str | None, review: str | None, passphrase_file: str | None, user: str | None
) -> None:
    """Save the form's draft as a new dated version; earlier versions stay as they were."""
    from safedesk.store.forms.filled import FormBook
    from safedesk.store.text.dates import parse_date, show_date

    assessed_on = parse_date(assessed or "", "assessed")
    review_on = parse_date(review or "", "review")
    with opened(ctx, passphrase_file, user) as session:
        saved = FormBook(session).new_version(form_id, assessed_on, review_on)
    click.echo(
        f"Version {saved.number} of form {form_id} saved, assessed {show_date(saved.assessed_on)}; re-assess by {show_date(saved.review_on)}."
    )


@forms.command("export")
@click.argument("form_id", metavar="ID", type=int)
@click.option("--version", "number", type=int, help="Which version (default: the latest).")
@OUT
@format_flags
@FORCE
@PASSPHRASE_FILE
@USER
@click.pass_context
def export(
    ctx: click.Context,
    form_id: int,
    number: int | None,
    out: Path,
    as_html: bool,
    as_pdf: bool,
    as_docx: bool,
    force: bool,
    passphrase_file: str | None,
    user: str | None,
) -> None:
    """Write one version of a form as Markdown (or --html, --pdf, --docx)."""
    from safedesk.store.forms.filled import FormBook

    fmt = chosen_format(as_html=as_html, as_pdf=as_pdf, as_docx=as_docx)
    with opened(ctx, passphrase_file, user) as session:
        book = FormBook(session)
        found = book.find_version(form_id, number)
        book.export(found.id or 0, out, overwrite=force, fmt=fmt)
    click.echo(f"Version {found.number} of form {form_id} written to {out}.")


# --------------------------------------------------------------------- policy


@click.group()
def policy() -> None:
    """Your social media policy from your answers; the template letters and disclaimers."""


@policy.command("questions")
def policy_questions() -> None:
    """Print the policy's questions as a TOML file with the default answers (no store needed)."""
    from safedesk.store.policy.builder import PolicyAnswers, answers_to_toml

    click.echo(answers_to_toml(PolicyAnswers()), nl=False)


@policy.command("answers")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of the screen.")
@FORCE
@PASSPHRASE_FILE
@USER
@click.pass_context
def policy_answers(ctx: click.Context, out: Path | None, force: bool, passphrase_file: str | None, user: str | None) -> None:
    """Print the stored answers (or the first suggestions) as TOML, to edit and build again."""
    from safedesk.store.engine.files import write_markdown
    from safedesk.store.policy.builder import PolicyBook, answers_to_toml

    with opened(ctx, passphrase_file, user) as session:
        text = answers_to_toml(PolicyBook(session).answers())
        if out:
            write_markdown(out, text, overwrite=force)
            session.audit_event("export.policy_answers", "policy answers written to a TOML file")
    if out:
        click.echo(f"Policy answers written to {out}.")
    else:
        click.echo(text, nl=False)


@policy.command("build")
@click.option(
    "--answers",
    "answers_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A TOML file of answers; they are stored for next time.",
)
@OUT
@format_flags
@FORCE
@click.option("--strict", is_flag=True, help="Exit 1 when some detail is still to be filled in.")
@PASSPHRASE_FILE
@USER
@click.pass_context
def build(
    ctx: click.Context,
    answers_path: Path | None,
    out: Path,
    as_html: bool,
    as_pdf: bool,
    as_docx: bool,
    force: bool,
    strict: bool,
    passphrase_file: str | None,
    user: str | None,
) -> None:
    """Write the social media policy as Markdown (or --html, --pdf, --docx), from the stored answers (or a file of them)."""
    from safedesk.store.policy.builder import PolicyBook, answers_from_toml

    fmt = chosen_format(as_html=as_html, as_pdf=as_pdf, as_docx=as_docx)
    values: dict[str, Any] | None = answers_from_toml(_read_text(answers_path, "answers file")) if answers_path else None
    with opened(ctx, passphrase_file, user) as session:
        book = PolicyBook(session)
        if values is not None:
            with naming_the_answer(answers_path):
                book.save(values)
        document = book.export(out, overwrite=force, fmt=fmt)
    click.echo(f"Social media policy ({len(document.sections)} sections) written to {out}.")
    if document.missing:
        click.echo(f"Still to fill in ({len(document.missing)}): {', '.join(document.missing)}.", err=True)
        if strict:
            ctx.exit(1)


@policy.command("letters")
def letters() -> None:
    """List the template letters and disclaimers, with the details each one needs."""
    from safedesk.store.policy.builder import LETTERS, letter_placeholders

    for spec in LETTERS.values():
        click.echo(f"{spec.id:<20} {spec.title}")
        click.echo(f"{'':<20} details: {', '.join(letter_placeholders(spec.id))}")


@policy.command("letter")
@click.argument("name")
@OUT
@format_flags
@click.option("--account", "account_id", type=int, help="The official account it is about (safedesk accounts list).")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help='A detail for the letter, e.g. existing_channels="our newsletter".',
)
@FORCE
@PASSPHRASE_FILE
@USER
@click.pass_context
def letter(
    ctx: click.Context,
    name: str,
    out: Path,
    as_html: bool,
    as_pdf: bool,
    as_docx: bool,
    account_id: int | None,
    settings: tuple[str, ...],
    force: bool,
    passphrase_file: str | None,
    user: str | None,
) -> None:
    """Write a template letter or disclaimer filled with your setting's details."""
    from safedesk.store.errors import InvalidInput
    from safedesk.store.policy.builder import LETTERS, TYPED_FIELDS, PolicyBook

    fmt = chosen_format(as_html=as_html, as_pdf=as_pdf, as_docx=as_docx)
    if name not in LETTERS:
        raise InvalidInput(f"There is no letter {name!r}: choose one of {', '.join(LETTERS)}.")
    typed: dict[str, str] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in TYPED_FIELDS:
            raise InvalidInput(f"--set takes KEY=VALUE with KEY one of: {', '.join(TYPED_FIELDS)}.")
        typed[key.strip()] = value
    with opened(ctx, passphrase_file, user) as session:
        book = PolicyBook(session)
        if typed:
            book.remember_letter_values(typed)
        document = book.export_letter(name, out, account_id=account_id, typed=typed, overwrite=force, fmt=fmt)
    click.echo(f"{LETTERS[name].title} written to {out}.")
    if document.missing:
        click.echo(f"Still to fill in ({len(document.missing)}): {', '.join(document.missing)}.", err=True)


def _fit(text: str, width: int) -> str:
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)
