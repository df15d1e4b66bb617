"""The query commands: ``list``, ``as-of``, ``history`` and ``schema``.

Each one runs load -> replay to a date -> filter -> render: ``cli.app.open_registry``,
``replay.replay``, ``query.filter_states``, then ``output.rows`` for scripts or
``output.views`` for people.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer

from icestatus.cli.app import app, echo_basis, open_registry, output_for, terminal_width, warn_coverage
from icestatus.cli.options import (
    FormatOpt,
    LimitOpt,
    ModelOpt,
    RegistryOpt,
    SourceOpt,
    StateOpt,
    StatusOpt,
    TypeOpt,
    date_param,
    today,
)
from icestatus.enums import Model, OutputFormat, Status

if TYPE_CHECKING:
    from rich.console import RenderableType


def _describe_filters(
    state: str | None, models: Sequence[Model], statuses: Sequence[Status], types: Sequence[str]
) -> str:
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
    date: dt.date, *, state: str | None, model: list[Model] | None, status: list[Status] | None,
    type_: list[str] | None, limit: int | None, format_: OutputFormat, registry: Path | None,
) -> None:
    """``list`` and ``as-of``: the agreements on *date*, filtered, in the format asked."""
    from icestatus.coverage import Coverage, answer_on
    from icestatus.output import rows
    from icestatus.output.text import empty_message, sheet_phrase
    from icestatus.query import filter_states
    from icestatus.replay import replay
    from icestatus.states import state_name

    out = output_for(format_)
    models, statuses, types = model or [], status or [], type_ or []
    reg = open_registry(registry)
    warn_coverage(reg, date)
    answer = answer_on(Coverage.of(reg), date)
    states = answer.known(filter_states(replay(reg, date), state=state, models=models, statuses=statuses,
                                        types=types))
    only_pending = bool(statuses) and set(statuses) == {Status.pending}
    basis = answer.pending if only_pending else answer.participating
    phrase = sheet_phrase(basis)
    if out.table and not states:
        place = f" in {state_name(state)}" if state else ""
        unknown = answer.pending_unknown
        if only_pending:
            typer.echo(f"Pending 287(g) applications{place} on {date} are not known: {unknown}." if unknown
                       else f"No pending 287(g) applications{place} on {date}.")
        elif statuses:
            typer.echo(empty_message(" or ".join(s.value for s in statuses), place, date))
        else:
            none_pending = " (pending unknown)." if unknown else " (and none pending)."
            typer.echo(empty_message("in force", place, date).rstrip(".") + none_pending)
        echo_basis(answer, pending=not only_pending, basis=basis)
        return
    filters = _describe_filters(state, models, statuses, types)
    title = f"287(g) agreements on {date}" + (f" · {filters}" if filters else "") + (f" · {phrase}" if phrase else "")
    sources = {s.id: s for s in reg.sources}

    def view() -> RenderableType:
        from icestatus.output.views import agreements_table

        return agreements_table(states, title, sources, width=terminal_width(), limit=limit, answer=answer)

    out.emit(rows.agreement_rows(states[:limit], answer, sources), rows.AGREEMENT_COLUMNS, view)


# The options list and as-of share, in the order of their --help: (name, annotation, default).
_AGREEMENT_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("state", StateOpt, None), ("model", ModelOpt, None), ("status", StatusOpt, None), ("type_", TypeOpt, None),
    ("limit", LimitOpt, None), ("format_", FormatOpt, OutputFormat.table), ("registry", RegistryOpt, None),
)


def _with_agreement_options(func: Callable[..., None]) -> Callable[..., None]:
    """*func* with its own parameters, then ``_AGREEMENT_OPTIONS``, as Typer reads them (its
    signature and annotations); *func* receives the options as keyword arguments."""
    hints = get_type_hints(func, include_extras=True)
    own = [p.replace(annotation=hints[p.name]) for p in inspect.signature(func).parameters.values()
           if p.kind is not inspect.Parameter.VAR_KEYWORD]
    options = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint)
               for name, hint, default in _AGREEMENT_OPTIONS]
    func.__signature__ = inspect.Signature([*own, *options], return_annotation=None)  # type: ignore[attr-defined]
    func.__annotations__ = {**{p.name: p.annotation for p in [*own, *options]}, "return": None}
    return func


@app.command("list")
@_with_agreement_options
def list_(**options: Any) -> None:
    """Agreements in force (active or paused) and pending today.

    Example: icestatus list --state ME --format json
    """
    _agreements(today(), **options)


@app.command("as-of")
@_with_agreement_options
def as_of(
    date: Annotated[dt.date, typer.Argument(
        parser=date_param("date", required=True), show_default=False,
        help="The date, YYYY-MM-DD: the answer is as of the end of that day.")],
    **options: Any,
) -> None:
    """Agreements in force and pending at the end of DATE.

    Example: icestatus as-of 2025-05-01 --state Maine
    """
    _agreements(date, **options)


@app.command()
def history(
    agency: Annotated[str, typer.Argument(
        metavar="NAME_OR_ID", help="Agency name (typos forgiven), alias or id.", show_default=False)],
    state: StateOpt = None,
    source: SourceOpt = None,
    limit: LimitOpt = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Every event of one agency in date order, each with its sources.

    Example: icestatus history wells   (or: icestatus history "jim wells" --state TX)
    """
    from icestatus.output.rows import history_document
    from icestatus.query import find_department
    from icestatus.replay import history as events_of
    from icestatus.reports import check_source, events_citing

    out = output_for(format_, tabular=False)
    reg = open_registry(registry)
    match = find_department(reg, agency, state)
    check_source(reg, source)
    events = events_citing(events_of(reg, match.department.id), source)[:limit]
    sources = {s.id: s for s in reg.sources}

    def view() -> RenderableType:
        from icestatus.output.views import history_view

        return history_view(match.department, events, sources, match.also)

    out.emit((), (), view, document=history_document(match.department, events, sources, match.also))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the registry format (generated from the models)."""
    import json

    from icestatus.models import Registry

    typer.echo(json.dumps(Registry.model_json_schema(), indent=2))
