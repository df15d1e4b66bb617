"""The ``icestatus`` command line: ``main`` is the console script.

``cli.app`` holds the Typer app and what the commands share; each module below registers
its commands on it when imported, here and only here. A new command is a new module in
this package, added to ``COMMAND_MODULES`` (the order is the order of ``--help``).
"""

from __future__ import annotations

from contextlib import suppress

# isort: off
# In the order of --help (Typer lists commands as they are registered), not alphabetical.
from icestatus.cli import query
from icestatus.cli import ingest
from icestatus.cli import moa
from icestatus.cli import reports
from icestatus.cli import update
from icestatus.cli import info
from icestatus.cli import agreements
from icestatus.cli import export
from icestatus.cli import help
# isort: on
from icestatus.cli.app import app

COMMAND_MODULES = (query, ingest, moa, reports, update, info, agreements, export, help)

__all__ = ["COMMAND_MODULES", "app", "main"]


def main() -> None:
    _resolve_annotations()
    app(prog_name="icestatus")


def _resolve_annotations() -> None:
    """Evaluate the commands' string annotations (``from __future__ import annotations``)
    once. Typer builds every command on every run and evaluates each function's hints
    twice; 400 ``eval`` calls were half of building the command tree (12 -> 7 ms,
    ~5% of `icestatus --help`)."""
    from typing import get_type_hints

    infos = [*app.registered_commands, app.registered_callback]
    for command in infos:
        func = command.callback if command is not None else None
        if func is not None and any(isinstance(a, str) for a in func.__annotations__.values()):
            # Hints that cannot be evaluated are left as they are: Typer evaluates them
            # itself (and says what is wrong).
            with suppress(NameError, TypeError):
                func.__annotations__ = get_type_hints(func, include_extras=True)
