"""``icestatus help [COMMAND]``: the help of the tool, or of one command."""

from __future__ import annotations

from typing import Annotated

import typer

from icestatus.cli.app import app
from icestatus.errors import UsageError


@app.command("help")
def help_(
    ctx: typer.Context,
    command: Annotated[str | None, typer.Argument(
        metavar="COMMAND", show_default=False, help="The command to explain (default: all of them).")] = None,
) -> None:
    """Show the help of icestatus, or of one COMMAND (as COMMAND --help does).

    Example: icestatus help history
    """
    root = ctx.find_root()
    group = root.command
    if command is None:
        typer.echo(root.get_help())
        return
    names = list(group.list_commands(root))  # type: ignore[attr-defined]
    cmd = group.get_command(root, command) if command in names else None  # type: ignore[attr-defined]
    if cmd is None:
        raise UsageError(f"no command {command!r}: the commands are {', '.join(names)}")
    with cmd.make_context(command, [], parent=root, resilient_parsing=True) as sub:
        typer.echo(cmd.get_help(sub))
