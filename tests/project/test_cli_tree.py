"""Every CLI command that opens the store takes --passphrase-file and --user, found by walking the click tree.

A command added later without them could only be used with a prompt (no script, no
password manager) and only with the first key slot that fits.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import click
import pytest

from safedesk.cli.main import cli
from safedesk.cli.store import opened

# What a command's body does when it opens the store with a passphrase.
OPENS_THE_STORE = ("opened(", "Session.open(", "Session.create(", "PassphraseReader(")


def commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    """Every leaf command under `group` by its full name ("accounts leaver"), lazy groups included."""
    ctx = click.Context(group, info_name=" ".join(path) or "safedesk")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def opens_the_store(command: click.Command) -> bool:
    assert command.callback is not None
    source = inspect.getsource(inspect.unwrap(command.callback))
    return any(call in source for call in OPENS_THE_STORE)


STORE_COMMANDS = sorted(name for name, command in commands() if opens_the_store(command))


def test_the_walk_finds_the_store_commands() -> None:
    # Store commands of every group; the headless guidance and the restore of a file do not open a store.
    assert {"verify", "passwd", "keys add", "accounts leaver", "forms new", "handover export", "consents import"} <= set(
        STORE_COMMANDS
    )
    assert not {"guide show", "restore", "forms types"} & set(STORE_COMMANDS)


def test_the_check_catches_a_command_without_the_options() -> None:
    @click.command()
    @click.pass_context
    def bare(ctx: click.Context) -> None:  # never run: only its source is read
        with opened(ctx, None, None):
            pass

    assert opens_the_store(bare) and not {"passphrase_file", "user"} <= {p.name for p in bare.params}


@pytest.mark.parametrize("name", STORE_COMMANDS)
def test_every_store_command_takes_a_passphrase_file_and_a_user(name: str) -> None:
    command = dict(commands())[name]
    options = {option for param in command.params for option in param.opts}
    assert {"--passphrase-file", "--user"} <= options, f"safedesk {name} lacks { ({'--passphrase-file', '--user'} - options) }"
