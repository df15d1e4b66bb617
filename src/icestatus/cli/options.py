"""The options and parameter types the commands share, parsed before a command runs.

A command receives a USPS code for ``--state`` (``ME`` from ``me`` or ``Maine``), a
``date`` for every date, and an ``OutputFormat``: the parsing, and the one-line error for
a value that is not one, are here once. Typer evaluates these annotations, so everything
they name is imported at module level (and nothing heavy: the parsers import the core
when they run).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from icestatus.enums import Model, OutputFormat, Status
from icestatus.errors import UsageError

ENV_TODAY = "ICESTATUS_TODAY"


def parse_date(text: str, what: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"bad {what} {text!r}: use YYYY-MM-DD, e.g. 2025-05-01") from None


def today() -> dt.date:
    """Today, or ``$ICESTATUS_TODAY`` (YYYY-MM-DD) for reproducible scripts and docs."""
    fixed = os.environ.get(ENV_TODAY)
    return parse_date(fixed, ENV_TODAY) if fixed else dt.date.today()


def date_param(what: str, *, required: bool = False) -> Callable[[str], dt.date | None]:
    """The parser of a date parameter; *what* names it in the error (``--on date``).
    An empty value is no date (the command's default applies) unless *required*."""

    def parse(text: str) -> dt.date | None:
        return parse_date(text, what) if text or required else None

    return parse


def state_param(text: str) -> str | None:
    """``--state``: a USPS code or a state's name, as its code; empty: no state."""
    from icestatus.states import parse_state

    return parse_state(text) if text else None


RegistryOpt = Annotated[
    Path | None,
    typer.Option(
        "--registry", "-r", show_default=False,
        help="Registry file to read (default: $ICESTATUS_REGISTRY, else your own from `icestatus update` or "
             "the bundled national registry, whichever covers the later date; see `icestatus info`).",
    ),
]
WriteRegistryOpt = Annotated[
    Path | None,
    typer.Option(
        "--registry", "-r", show_default=False,
        help="Registry file to write (default: $ICESTATUS_REGISTRY; create one with `icestatus init PATH`).",
    ),
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", case_sensitive=False, help="table for people; json or csv for scripts."),
]
StateOpt = Annotated[
    str | None,
    typer.Option("--state", "-s", parser=state_param, help="State: USPS code or name (ME, me, Maine).",
                 show_default=False),
]
ModelOpt = Annotated[
    list[Model] | None,
    typer.Option("--model", "-m", case_sensitive=False, help="Only this model (repeatable).", show_default=False),
]
StatusOpt = Annotated[
    list[Status] | None,
    typer.Option("--status", case_sensitive=False, help="Only this status (repeatable).", show_default=False),
]
TypeOpt = Annotated[
    list[str] | None,
    typer.Option("--type", "-t", show_default=False,
                 help="Only this agency type as ICE prints it: County, Municipality, 'State Agency' (repeatable)."),
]
LimitOpt = Annotated[
    int | None,
    typer.Option("--limit", "-n", min=1, help="Show only the first N rows (in every format).", show_default=False),
]
SourceOpt = Annotated[
    str | None,
    typer.Option("--source", help="Only events citing this source id (see `icestatus sources`).", show_default=False),
]
OnOpt = Annotated[
    dt.date | None,
    typer.Option("--on", parser=date_param("--on date"), help="The date (YYYY-MM-DD); default today.",
                 show_default=False),
]
