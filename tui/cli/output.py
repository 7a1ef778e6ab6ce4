"""Everything the CLI prints is inert: control characters are shown, never sent raw.

Messages echo arguments, file names and stored values; one of them holding `ESC[2J`,
an OSC 8 link or BEL must not clear, link or ring the terminal. Rather than trusting
every `click.echo` call, the `safedesk` group swaps standard output and error for
`InertStream`s while it runs, so click's own usage errors are covered too.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from safedesk.store.text.clean import shown


class InertStream:
    """A text stream that writes `shown(text)` to the stream it wraps.

    It has no `buffer`, so click writes text through it instead of reaching past it
    to the binary stream.
    """

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw
        # click reuses a text stream whose encoding and errors are set (else it rewraps the buffer).
        self.encoding = getattr(raw, "encoding", None) or "utf-8"
        self.errors = getattr(raw, "errors", None) or "strict"

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click probes with b"" to tell binary streams apart
            raise TypeError("InertStream writes text only")
        self.raw.write(shown(text))
        return len(text)

    def writelines(self, lines: Iterator[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False


@contextmanager
def inert_output() -> Iterator[None]:
    """Standard output and error escape control characters until the block ends."""
    saved = sys.stdout, sys.stderr
    if sys.stdout is not None and not isinstance(sys.stdout, InertStream):
        sys.stdout = InertStream(sys.stdout)
    if sys.stderr is not None and not isinstance(sys.stderr, InertStream):
        sys.stderr = InertStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
