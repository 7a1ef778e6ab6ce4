"""The CLI prints nothing raw: hostile arguments, file names and values come out inert.

Every command that echoes what it was given runs with strings that would clear the
screen (CSI 2J), make a live link (OSC 8), write the clipboard (OSC 52), ring the bell,
reverse the text (RLO) or hold NUL; no escape or control character reaches stdout or
stderr, and each message still names what was given (as visible escapes).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from safedesk.cli.main import cli
from safedesk.store.text.clean import shown
from tests.kit import PASSPHRASE, make_store

HOSTILE = "x\x1b[2J\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\\x1b]52;c;aGk=\x07\u202eeman\x00\x9b31m"
# Without NUL: file names cannot hold it.
HOSTILE_NAME = HOSTILE.replace("\x00", "").replace("/", "")
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_shown_makes_every_control_visible_and_keeps_the_rest() -> None:
    assert shown("a\x1b[2Jb\x07\u202ec\td\ne\r") == "a\\x1b[2Jb\\x07\\u202ec\td\ne\\r"
    assert shown("Zoë Ôkafor عربي") == "Zoë Ôkafor عربي"
    assert not RAW.search(shown(HOSTILE))


@pytest.fixture
def pw(tmp_path: Path) -> Path:
    path = tmp_path / "pw.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


def _cases(store: Path, pw: Path, tmp: Path) -> list[list[str]]:
    hostile_file = tmp / f"{HOSTILE_NAME}.csv"
    hostile_file.write_text(f"name,year\n{HOSTILE_NAME},5\n", encoding="utf-8")
    auth = ["--passphrase-file", str(pw)]
    at = ["--store", str(store)]
    return [
        [f"--{HOSTILE}"],
        [HOSTILE],
        ["guide", "show", HOSTILE],
        ["guide", "search", HOSTILE],
        ["guide", "list", "--kind", HOSTILE],
        ["--store", str(tmp / HOSTILE_NAME), "verify", *auth],
        [*at, "verify", "--passphrase-file", str(tmp / HOSTILE_NAME)],
        [*at, "verify", "--user", HOSTILE, *auth],
        [*at, "accounts", "leaver", HOSTILE, *auth],
        [*at, "accounts", "export", "--out", str(tmp / f"{HOSTILE_NAME}.md"), *auth],
        [*at, "consents", "show", HOSTILE, *auth],
        [*at, "consents", "check", HOSTILE, *auth],
        [*at, "consents", "list", "--year", HOSTILE, *auth],
        [*at, "consents", "import", str(hostile_file), "--dry-run", *auth],
        [*at, "consents", "import", str(tmp / f"missing{HOSTILE_NAME}.csv"), *auth],
        [*at, "handover", "import", str(hostile_file), *auth],
        [*at, "handover", "receipt", HOSTILE, *auth],
        [*at, "export", HOSTILE, "--out", str(tmp / f"{HOSTILE_NAME}.md"), *auth],
        [*at, "export", "incident-log", "--from", HOSTILE, "--out", str(tmp / "r.md"), *auth],
        [*at, "forms", "questions", HOSTILE],
        [*at, "forms", "new", HOSTILE, *auth],
        [*at, "policy", "letter", HOSTILE, "--out", str(tmp / f"{HOSTILE_NAME}.md")],
        [*at, "backup", "--out", str(tmp / f"{HOSTILE_NAME}.zip"), *auth],
        [*at, "keys", "remove", HOSTILE, *auth],
        ["--store", str(tmp / f"new{HOSTILE_NAME}"), "init", "--setting-name", HOSTILE, "--user", HOSTILE, *auth],
    ]


def test_no_cli_message_sends_a_control_character_raw(store_dir: Path, pw: Path, tmp_path: Path) -> None:
    make_store(store_dir).close()
    echoed = 0
    for args in _cases(store_dir, pw, tmp_path):
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        for stream in (result.stdout, result.stderr):
            raw = RAW.search(stream)
            assert raw is None, f"{args!r} printed {raw.group()!r} raw: {stream!r}"
        assert "Traceback" not in result.output, args
        echoed += "\\x1b" in result.output
    # The messages still name what was given, visibly: most commands echo it.
    assert echoed >= 15, echoed


def test_a_broken_pipe_ends_quietly(tmp_path: Path) -> None:
    env = {**os.environ, "SAFEDESK_STORE": str(tmp_path / "store")}
    # A real pipe whose reader has gone, as `safedesk guide list | head -1` once head has its
    # line; closing the read end first makes the very first write fail, every run.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "safedesk", "guide", "list"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.returncode in (0, 141), done
    assert done.stderr == "", done.stderr


def _hostile_args(command: click.Command, pw: Path, tmp: Path, *, user: bool) -> list[str]:
    """Every parameter of `command` filled: text and names hostile, paths hostile file names, flags off.

    Without `user`, --user is left out, so a store command opens the store and reaches the rest.
    """
    args: list[str] = []
    for param in command.params:
        if isinstance(param, click.Option) and (param.is_flag or param.name == "help" or (param.name == "user" and not user)):
            continue
        if param.name == "passphrase_file":
            value = str(pw)
        elif isinstance(param.type, click.Path):
            value = str(tmp / f"{HOSTILE_NAME}.md")
        elif isinstance(param.type, click.Choice):
            value = str(param.type.choices[0])
        elif isinstance(param.type, click.types.IntParamType | click.types.FloatParamType):
            value = "1"
        else:
            value = HOSTILE
        if isinstance(param, click.Option):
            args += [param.opts[0], value]
        else:
            args.append(value)
    return args


def test_every_command_given_hostile_values_in_every_parameter_prints_nothing_raw(
    store_dir: Path, pw: Path, tmp_path: Path
) -> None:
    """Walks the click tree: a command added later is covered without being listed here."""
    from tests.project.test_cli_tree import commands

    make_store(store_dir).close()
    ran = 0
    for name, command in commands():
        if name in {"demo"}:
            continue  # opens the app
        for user in (True, False):
            args = ["--store", str(store_dir), *name.split(), *_hostile_args(command, pw, tmp_path, user=user)]
            result = CliRunner().invoke(cli, args, catch_exceptions=False, input="")
            for stream in (result.stdout, result.stderr):
                raw = RAW.search(stream)
                assert raw is None, f"safedesk {name} printed {raw.group()!r} raw: {stream[:300]!r}"
            assert "Traceback" not in result.output, name
            # A hostile value is bad input: one clear line, never "unexpected error".
            assert "unexpected error" not in result.output, f"safedesk {name}: {result.output!r}"
            ran += 1
    assert ran >= 70, ran
