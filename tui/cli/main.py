"""The `safedesk` command: a click group whose headless commands never import Textual.

The app itself (`safedesk`, `safedesk guide`) is imported lazily inside the
commands that open it, so `--help`, `--version`, `verify`, `guide search` and the
rest start quickly and work where no terminal UI can run.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

import click

from safedesk import __commit__, __version__
from safedesk.cli.output import inert_output
from safedesk.content.errors import ContentError
from safedesk.store.errors import SafeDeskError


def version_line() -> str:
    """`safedesk --version`: the version and the commit it was built from, so a kit can be traced."""
    # setuptools-scm writes git's node as "g" + the commit id; None when built from a copy with no .git.
    commit = __commit__.removeprefix("g") if __commit__ else "unknown"
    return f"safedesk {__version__} (commit {commit})"


class CliContext(NamedTuple):
    """What every command needs from the global options (a NamedTuple: a dataclass took 0.6 ms
    to define, before the guide's first paint)."""

    store: Path | None  # --store (or $SAFEDESK_STORE) as given
    debug: bool

    @property
    def store_dir(self) -> Path:
        """The store's folder: --store, else the per-user data folder, worked out when a command
        asks for it (`guide search` and the other headless guide commands never do)."""
        return (self.store or default_store_dir()).expanduser()


def default_store_dir() -> Path:
    """The per-user data folder (e.g. %LOCALAPPDATA%\\SafeDesk\\store on Windows)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("SafeDesk", appauthor=False, roaming=False)) / "store"


class SafeDeskGroup(click.Group):
    """Turns SafeDesk errors into one line on stderr and a non-zero exit.

    Unexpected exceptions are reduced to their type: their text can hold a path
    or a value typed by the user. `--debug` shows the whole traceback instead.
    Everything printed while it runs, click's own usage errors included, goes
    through `inert_output`: no argument, file name or stored value reaches the
    terminal with its control characters raw.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with inert_output():
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            # `safedesk guide list | head -1`: the reader has all it wanted, as with `cat`.
            _discard_stdout()
            ctx.exit(0)
        except (SafeDeskError, ContentError) as error:  # both carry one sentence fit to show
            if _debug(ctx):
                raise
            click.echo(f"safedesk: {error}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("safedesk: interrupted", err=True)
            ctx.exit(130)
        except Exception as error:  # noqa: BLE001 - the last line of defence
            if _debug(ctx):
                raise
            click.echo(
                f"safedesk: unexpected error ({type(error).__name__}); run again with --debug for details",
                err=True,
            )
            ctx.exit(70)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(LAZY_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, name = target.partition(":")
        return getattr(importlib.import_module(module), name)


def _discard_stdout() -> None:
    """Point standard output at the null device, so flushing at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests, pythonw)
        pass


def _debug(ctx: click.Context) -> bool:
    obj = ctx.find_object(CliContext)
    return bool(obj and obj.debug) or "--debug" in sys.argv


@click.group(cls=SafeDeskGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    "store",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SAFEDESK_STORE",
    help="Folder of the encrypted store (default: $SAFEDESK_STORE, else your user data folder).",
)
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(__version__, "--version", message=version_line())
@click.pass_context
def cli(ctx: click.Context, store: Path | None, debug: bool) -> None:
    """SafeDesk: the offline safeguarding desk for a school's DSL.

    With no command, opens the app: first-run setup when the store folder has no
    store yet, otherwise the unlock screen.
    """
    ctx.obj = CliContext(store=store, debug=debug)
    if ctx.invoked_subcommand is None:
        from safedesk.launch import run_app

        ctx.exit(run_app(ctx.obj.store_dir, start="home", debug=debug))


# Each command's module is imported only when that command runs (or help lists it):
# `safedesk guide` and the app start without loading every feature's CLI.
LAZY_COMMANDS: dict[str, str] = {
    "accounts": "safedesk.cli.accounts:accounts",
    "backup": "safedesk.cli.store:backup",
    "consents": "safedesk.cli.consents:consents",
    "demo": "safedesk.cli.store:demo",
    "evidence": "safedesk.cli.evidence:evidence",
    "export": "safedesk.cli.reports:export",
    "forms": "safedesk.cli.forms:forms",
    "guide": "safedesk.cli.guide:guide",
    "handover": "safedesk.cli.handover:handover",
    "init": "safedesk.cli.store:init",
    "keys": "safedesk.cli.store:keys",
    "passwd": "safedesk.cli.store:passwd",
    "policy": "safedesk.cli.forms:policy",
    "recover": "safedesk.cli.store:recover",
    "restore": "safedesk.cli.store:restore",
    "verify": "safedesk.cli.store:verify",
}


def main() -> None:
    """Console-script entry point."""
    # Windows consoles may default to a legacy code page; cards and names are UTF-8.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower() not in ("utf-8", "utf8"):
            try:
                stream.reconfigure(encoding="utf-8", errors="replace")
            except (OSError, ValueError):
                pass
    cli(prog_name="safedesk")
