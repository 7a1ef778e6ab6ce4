"""Reading passphrases for headless commands: a hidden prompt or a file, never argv.

`--passphrase-file PATH` reads the file's first line; `-` reads standard input.
When a command needs two passphrases from stdin (current and new), each `-`
takes the next line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from safedesk.store.errors import InvalidInput


class PassphraseReader:
    def __init__(self) -> None:
        self._stdin_lines: list[str] | None = None
        self._stdin_pos = 0

    def _next_stdin_line(self) -> str:
        if self._stdin_lines is None:
            self._stdin_lines = _stdin_text().splitlines()
        if self._stdin_pos >= len(self._stdin_lines):
            raise InvalidInput("Standard input ran out before every passphrase was read.")
        line = self._stdin_lines[self._stdin_pos]
        self._stdin_pos += 1
        return line

    def read(self, source: str | None, prompt: str, *, confirm: bool = False) -> str:
        """The passphrase from `source` (a path, '-' or None for a hidden prompt)."""
        if source == "-":
            value = self._next_stdin_line()
        elif source:
            try:
                with Path(source).open(encoding="utf-8-sig") as handle:
                    value = handle.readline().rstrip("\r\n")
            except (OSError, ValueError) as error:  # ValueError: a NUL in the name, or not UTF-8 (UnicodeDecodeError)
                if isinstance(error, OSError):
                    reason = error.strerror or "cannot be opened"
                elif isinstance(error, UnicodeDecodeError):
                    reason = "not readable UTF-8 text"
                else:
                    reason = "no file name holds a NUL character"
                raise InvalidInput(f"Cannot read the passphrase file {source}: {reason}.") from None
        else:
            if not sys.stdin.isatty():
                raise InvalidInput(
                    "No terminal to ask for the passphrase: give --passphrase-file PATH (or - to read standard input)."
                )
            value = click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, prompt_suffix=": ")
        if not value:
            raise InvalidInput("The passphrase is empty.")
        return value


def _stdin_text() -> str:
    """Standard input as UTF-8, as a passphrase file is read.

    Python reads a pipe on Windows in the ANSI code page: "crème" piped from a UTF-8 file
    (`type pass.txt | safedesk verify --passphrase-file -`) arrived as "crÃ¨me" and the store
    did not open, while the same file given by its path did (found under Wine).
    """
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # replaced by a text-only stream (an embedding program): already decoded
        return sys.stdin.read()
    try:
        return stream.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("Standard input is not UTF-8 text: give the passphrase in a UTF-8 file instead.") from None


def ask_text(value: str | None, prompt: str, option: str) -> str:
    """A required text option, prompted for on a terminal, else an error naming the option."""
    if value:
        return value
    if not sys.stdin.isatty():
        raise InvalidInput(f"Give {option} (there is no terminal to ask on).")
    return click.prompt(prompt)
