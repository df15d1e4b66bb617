"""The ``icestatus`` command line: parse options, call the core, render, print.

Each query command runs load -> replay -> filter -> render. The core is imported
inside the commands so that ``icestatus --help`` does not pay for pydantic.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from icestatus.enums import Model, OutputFormat, Status
from icestatus.errors import ExitCode, IcestatusError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from rich.console import RenderableType

    from icestatus.models import Registry

ENV_DEBUG = "ICESTATUS_DEBUG"
ENV_TODAY = "ICESTATUS_TODAY"


def _error_line(message: str) -> None:
    from icestatus.render import inert

    typer.echo(f"icestatus: error: {inert(message)}", err=True)


def warn(message: str) -> None:
    from icestatus.render import inert

    typer.echo(f"icestatus: warning: {inert(message)}", err=True)


class IcestatusGroup(TyperGroup):
    """The error boundary: expected errors become one line and an exit code;
    anything else is a bug, reported as such (traceback with ICESTATUS_DEBUG=1)."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except IcestatusError as exc:
            _error_line(str(exc))
            raise typer.Exit(int(exc.exit_code)) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            typer.echo("icestatus: interrupted", err=True)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except Exception as exc:
            if os.environ.get(ENV_DEBUG):
                raise
            _error_line(
                f"unexpected {type(exc).__name__}: {exc}. This is a bug in icestatus; "
                f"run again with {ENV_DEBUG}=1 to see the traceback and report it"
            )
            raise typer.Exit(int(ExitCode.BUG)) from None


app = typer.Typer(
    name="icestatus",
    cls=IcestatusGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain (Click) help and usage errors: Rich-formatted help imports rich's console,
    # markdown and tables first, 2.6x `python -c "import typer"` for `icestatus --help`
    # against 1.3x plain (issue 5; benchmarks/run.py).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=(
        "Which law-enforcement agencies take part in ICE's 287(g) program: today, on any "
        "past date, and how each one got there. Answers come from a dated, sourced event "
        "log (the bundled registry, or --registry FILE) replayed to the date asked."
    ),
    epilog="Examples: icestatus list --state ME · icestatus as-of 2025-05-01 --format json · icestatus history wells",
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"icestatus {version('icestatus')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Which agencies take part in ICE's 287(g) program, on any date, and how they got there."""


# ---------------------------------------------------------------- shared options

RegistryOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--registry", "-r", envvar="ICESTATUS_REGISTRY", show_default=False,
        help="Registry file to read (default: the bundled national registry).",
    ),
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", case_sensitive=False, help="table for people; json or csv for scripts."),
]
StateOpt = Annotated[
    Optional[str], typer.Option("--state", "-s", help="State: USPS code or name (ME, me, Maine).", show_default=False)
]
ModelOpt = Annotated[
    Optional[list[Model]],
    typer.Option("--model", "-m", case_sensitive=False, help="Only this model (repeatable).", show_default=False),
]
StatusOpt = Annotated[
    Optional[list[Status]],
    typer.Option("--status", case_sensitive=False, help="Only this status (repeatable).", show_default=False),
]
TypeOpt = Annotated[
    Optional[list[str]],
    typer.Option("--type", "-t", help="Only this agency type as ICE prints it: County, Municipality, 'State Agency' (repeatable).", show_default=False),
]
LimitOpt = Annotated[
    Optional[int],
    typer.Option("--limit", "-n", min=1, help="Show only the first N rows (in every format).", show_default=False),
]


def parse_date(text: str, what: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"bad {what} {text!r}: use YYYY-MM-DD, e.g. 2025-05-01") from None


def today() -> dt.date:
    """Today, or ``$ICESTATUS_TODAY`` (YYYY-MM-DD) for reproducible scripts and docs."""
    fixed = os.environ.get(ENV_TODAY)
    return parse_date(fixed, ENV_TODAY) if fixed else dt.date.today()


# Set by main(): this process ends with its command (not so under CliRunner in tests).
_ONE_COMMAND_PROCESS = False


def open_registry(path: Path | None) -> Registry:
    from icestatus.registry import gc_paused, load_registry, resolve_registry_path

    if not _ONE_COMMAND_PROCESS:
        return load_registry(resolve_registry_path(path))
    # The registry lives until the process exits and holds no reference cycles. Made with
    # the cyclic GC off and frozen before it is back on, its objects are never walked by
    # the collections later allocations trigger (1M events: three walks, ~0.6 s, saved).
    import gc

    with gc_paused():
        registry = load_registry(resolve_registry_path(path))
        gc.freeze()
    return registry


def emit(
    fmt: OutputFormat,
    rows: Sequence[dict[str, Any]] | dict[str, Any],
    columns: Sequence[str],
    table: Callable[[], RenderableType],
) -> None:
    """Print *rows* as JSON or CSV, or the Rich renderable *table* builds."""
    from icestatus import render

    if fmt is OutputFormat.json:
        typer.echo(render.to_json(rows))
    elif fmt is OutputFormat.csv:
        if isinstance(rows, dict):
            raise UsageError("this command has no CSV form; use --format json or table")
        typer.echo(render.to_csv(rows, columns), nl=False)
    else:
        print_table(table())


def console() -> Any:
    from rich.console import Console

    # Rich itself drops colour when stdout is not a terminal or NO_COLOR is set.
    return Console(highlight=False, emoji=False)


ENV_PAGER = "ICESTATUS_PAGER"


def print_table(renderable: RenderableType) -> None:
    """Print *renderable*; in an interactive terminal, through a pager when it is taller
    than the screen ($ICESTATUS_PAGER, else $MANPAGER/$PAGER, else less; set
    ICESTATUS_PAGER= (empty) to never page). Pipes and files get plain text, never paged."""
    con = console()
    pager = os.environ.get(ENV_PAGER)
    if pager == "" or not (con.is_terminal and sys.stdin.isatty()):
        con.print(renderable)
        return
    with con.capture() as captured:
        con.print(renderable)
    text = captured.get()
    if text.count("\n") < con.height:
        con.file.write(text)
        return
    import pydoc

    os.environ.setdefault("LESS", "FRX")  # as git does: quit if one screen, keep colours
    if pager:
        pydoc.pipepager(text, pager)
    else:
        pydoc.pager(text)


def _describe_filters(state: str | None, models: Sequence[Model], statuses: Sequence[Status], types: Sequence[str]) -> str:
    from icestatus.states import state_name

    parts = []
    if state:
        parts.append(state_name(state))
    if models:
        parts.append(" or ".join(m.label for m in models))
    if statuses:
        parts.append("status " + ", ".join(s.value for s in statuses))
    if types:
        parts.append("type " + ", ".join(types))
    return " · ".join(parts)


def _agreements(
    date: dt.date, registry_path: Path | None, fmt: OutputFormat, state: str | None,
    models: Sequence[Model], statuses: Sequence[Status], types: Sequence[str], limit: int | None = None,
) -> None:
    from icestatus import render
    from icestatus.query import coverage_warning, filter_states
    from icestatus.replay import replay
    from icestatus.states import parse_state, state_name

    code = parse_state(state) if state else None
    registry = open_registry(registry_path)
    warning = coverage_warning(registry, date)
    if warning:
        warn(warning)
    states = filter_states(replay(registry, date), state=code, models=models, statuses=statuses, types=types)
    rows = render.agreement_rows(states[:limit])
    if fmt is OutputFormat.table and not states:
        place = f" in {state_name(code)}" if code else ""
        if statuses and set(statuses) == {Status.pending}:
            typer.echo(f"No pending 287(g) applications{place} on {date}.")
        elif statuses:
            typer.echo(render.empty_message(" or ".join(s.value for s in statuses), place, date))
        else:
            typer.echo(render.empty_message("in force", place, date).rstrip(".") + " (and none pending).")
        return
    filters = _describe_filters(code, models, statuses, types)
    title = f"287(g) agreements on {date}" + (f" · {filters}" if filters else "")
    sources = {s.id: s for s in registry.sources}
    emit(fmt, rows, render.AGREEMENT_COLUMNS,
         lambda: render.agreements_table(states, title, sources, width=console().width, limit=limit))


@app.command("list")
def list_(
    state: StateOpt = None,
    model: ModelOpt = None,
    status: StatusOpt = None,
    type_: TypeOpt = None,
    limit: LimitOpt = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Agreements in force (active or paused) and pending today.

    Example: icestatus list --state ME --format json
    """
    _agreements(today(), registry, format_, state, model or [], status or [], type_ or [], limit)


@app.command("as-of")
def as_of(
    date: Annotated[str, typer.Argument(help="The date, YYYY-MM-DD: the answer is as of the end of that day.", show_default=False)],
    state: StateOpt = None,
    model: ModelOpt = None,
    status: StatusOpt = None,
    type_: TypeOpt = None,
    limit: LimitOpt = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Agreements in force and pending at the end of DATE.

    Example: icestatus as-of 2025-05-01 --state Maine
    """
    _agreements(parse_date(date), registry, format_, state, model or [], status or [], type_ or [], limit)


@app.command()
def history(
    agency: Annotated[str, typer.Argument(metavar="NAME_OR_ID", help="Agency name (typos forgiven), alias or id.", show_default=False)],
    state: StateOpt = None,
    source: Annotated[Optional[str], typer.Option("--source", help="Only events citing this source id (see `icestatus sources`).", show_default=False)] = None,
    limit: LimitOpt = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Every event of one agency in date order, each with its sources.

    Example: icestatus history wells   (or: icestatus history "jim wells" --state TX)
    """
    from icestatus import render
    from icestatus.query import find_department
    from icestatus.replay import history as events_of
    from icestatus.reports import check_source, events_citing
    from icestatus.states import parse_state

    code = parse_state(state) if state else None
    reg = open_registry(registry)
    match = find_department(reg, agency, code)
    check_source(reg, source)
    events = events_citing(events_of(reg, match.department.id), source)[:limit]
    sources = {s.id: s for s in reg.sources}
    doc = {
        "department": render.department_row(match.department),
        "events": [render.event_row(e, sources) for e in events],
        "also_matched": [render.department_row(d) for d in match.also],
    }
    emit(format_, doc, (), lambda: render.history_view(match.department, events, sources, match.also))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the registry format (generated from the models)."""
    import json

    from icestatus.models import Registry

    typer.echo(json.dumps(Registry.model_json_schema(), indent=2))


def main() -> None:
    global _ONE_COMMAND_PROCESS
    _ONE_COMMAND_PROCESS = True
    _resolve_annotations()
    app(prog_name="icestatus")


def _resolve_annotations() -> None:
    """Evaluate the commands' string annotations (``from __future__ import annotations``)
    once. Typer builds every command on every run and evaluates each function's hints
    twice; 400 ``eval`` calls were half of building the command tree (12 -> 7 ms,
    ~5% of `icestatus --help`)."""
    from typing import get_type_hints

    infos = [*app.registered_commands, app.registered_callback]
    for info in infos:
        func = info.callback if info is not None else None
        if func is not None and any(isinstance(a, str) for a in func.__annotations__.values()):
            try:
                func.__annotations__ = get_type_hints(func, include_extras=True)
            except (NameError, TypeError):
                pass  # left as they are: Typer evaluates them itself (and says what is wrong)


# Commands that live in their own modules register themselves on `app` when imported.
from icestatus import cli_ingest, cli_moa, cli_reports  # noqa: E402,F401


if __name__ == "__main__":
    main()
