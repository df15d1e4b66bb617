"""The query commands: ``list``, ``as-of``, ``history`` and ``schema``.

Each one runs load -> replay to a date -> filter -> render: ``cli.app.open_registry``,
``replay.replay``, ``query.filter_states``, then ``output.rows`` for scripts or
``output.views`` for people.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from icestatus.cli.app import app, echo_basis, open_registry, output_for, terminal_width, warn, warn_coverage
from icestatus.cli.options import (
    Filters,
    FormatOpt,
    LimitOpt,
    OnOpt,
    RegistryOpt,
    SourceOpt,
    StateOpt,
    date_param,
    today,
    with_filters,
)
from icestatus.enums import OutputFormat, Status

if TYPE_CHECKING:
    from rich.console import RenderableType


def _agreements(
    date: dt.date, *, filters: Filters, limit: int | None, format_: OutputFormat, registry: Path | None,
) -> None:
    """``list`` and ``as-of``: the agreements on *date*, filtered, in the format asked."""
    from icestatus.coverage import Coverage, answer_on
    from icestatus.output import rows
    from icestatus.output.text import empty_message, sheet_phrase
    from icestatus.replay import replay
    from icestatus.states import state_name

    out = output_for(format_)
    reg = open_registry(registry)
    flt = filters.resolve(reg)
    warn_coverage(reg, date)
    answer = answer_on(Coverage.of(reg), date)
    states = answer.known(flt.keep(replay(reg, date, with_ended=flt.with_ended)))
    statuses = filters.statuses
    only_pending = bool(statuses) and set(statuses) == {Status.pending}
    basis = answer.pending if only_pending else answer.participating
    phrase = sheet_phrase(basis)
    if out.table and not states:
        place = " in " + " or ".join(state_name(s) for s in filters.states) if filters.states else ""
        narrowed = " of these models, types and counties" if filters.models or filters.types or filters.counties else ""
        unknown = answer.pending_unknown
        if only_pending:
            typer.echo(f"Pending 287(g) applications{place} on {date} are not known: {unknown}." if unknown
                       else f"No pending 287(g) applications{place}{narrowed} on {date}.")
        elif statuses:
            typer.echo(empty_message(" or ".join(s.value for s in statuses), place + narrowed, date))
        else:
            none_pending = " (pending unknown)." if unknown else " (and none pending)."
            typer.echo(empty_message("in force", place + narrowed, date).rstrip(".") + none_pending)
        echo_basis(answer, pending=not only_pending, basis=basis)
        return
    if not out.table and answer.pending_unknown and (only_pending or not statuses):
        # JSON and CSV rows carry the reason, but an answer with no row has nowhere to hold it
        warn(f"pending unknown: {answer.pending_unknown}")
    described = filters.describe()
    title = (f"287(g) agreements on {date}" + (f" · {described}" if described else "")
             + (f" · {phrase}" if phrase else ""))
    sources = {s.id: s for s in reg.sources}

    def view() -> RenderableType:
        from icestatus.output.views import agreements_table

        return agreements_table(states, title, sources, width=terminal_width(), limit=limit, answer=answer)

    out.emit(rows.agreement_rows(states[:limit], answer, sources), rows.AGREEMENT_COLUMNS, view)


# The options list and as-of take after the filters, in the order of their --help.
_AGREEMENT_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("limit", LimitOpt, None), ("format_", FormatOpt, OutputFormat.table), ("registry", RegistryOpt, None),
)


@app.command("list")
@with_filters(*_AGREEMENT_OPTIONS)
def list_(filters: Filters, **options: Any) -> None:
    """Agreements in force (active or paused) and pending today.

    --status ended lists those that had ended instead (how: terminated, delisted or
    withdrawn, and when). Filters repeat (any of their values) and combine (all of them).

    Example: icestatus list --state ME --format json
    """
    _agreements(today(), filters=filters, **options)


@app.command("as-of")
@with_filters(*_AGREEMENT_OPTIONS)
def as_of(
    date: Annotated[dt.date, typer.Argument(
        parser=date_param("date", required=True), show_default=False,
        help="The date, YYYY-MM-DD: the answer is as of the end of that day.")],
    filters: Filters,
    **options: Any,
) -> None:
    """Agreements in force and pending at the end of DATE.

    Example: icestatus as-of 2025-05-01 --state Maine
    """
    _agreements(date, filters=filters, **options)


@app.command()
def history(
    agency: Annotated[str, typer.Argument(
        metavar="NAME_OR_ID", show_default=False,
        help="Agency as you would say it (\"Harris County GA\", \"nasau sheriff\", typos forgiven), "
             "an alias, or its id.")],
    state: StateOpt = None,
    on: OnOpt = None,
    source: SourceOpt = None,
    limit: LimitOpt = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Where one agency stands, and every event of it with its sources.

    The first line says where the agency stands today (or --on DATE) and how far the
    registry's data goes; then every event in date order. CSV gives one row per event.

    Example: icestatus history wells   (or: icestatus history "jim wells" --state TX)
    """
    from icestatus.match import find_department
    from icestatus.output.rows import HISTORY_COLUMNS, history_document, history_rows
    from icestatus.output.text import standing_line
    from icestatus.query import data_through, standings
    from icestatus.replay import history as events_of

    out = output_for(format_)
    reg = open_registry(registry)
    match = find_department(reg, agency, state)
    dept = match.department
    events = events_of(reg, dept.id)
    if source is not None:  # reports is a large module: not imported for the usual question
        from icestatus.reports import check_source, events_citing

        check_source(reg, source)
        events = events_citing(events, source)
    events = events[:limit]
    date = on or today()
    standing = standings(reg, date, [dept])[dept.id]
    data_date = data_through(reg)
    sources = {s.id: s for s in reg.sources}

    def view() -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        from icestatus.output.views import cell, history_view

        return Group(cell(standing_line(standing, data_date), limit=None), Text(""),
                     history_view(dept, events, sources, match.also))

    out.emit(history_rows(dept, events), HISTORY_COLUMNS, view,
             document=history_document(dept, events, sources, match.also, standing, data_date))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the registry format (generated from the models)."""
    import json

    from icestatus.models import Registry

    typer.echo(json.dumps(Registry.model_json_schema(), indent=2))


@app.command()
def search(
    query: Annotated[str, typer.Argument(
        metavar="QUERY", help="Agency name as you would say it: \"Harris County TX\", \"nasau sheriff\", wells.",
        show_default=False)],
    state: StateOpt = None,
    limit: LimitOpt = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Agencies whose name matches QUERY, best first, with status and id.

    Each with its state, type, county, where it stands today and its id (for `history`),
    in every format. Matching is as `history` does it: words that name no agency
    (county, sheriff's office, police department, city of, SO, PD) count little, a state
    at the end is a filter ("Harris County TX"), typos and ICE's own spellings are found.

    Example: icestatus search "nassau county"   (then: icestatus history ny-nassau-county-sheriffs-office)
    """
    from icestatus.match import search as find_all
    from icestatus.output.rows import SEARCH_COLUMNS, search_rows
    from icestatus.output.text import standing_text
    from icestatus.query import standings

    out = output_for(format_)
    reg = open_registry(registry)
    date = today()
    found = find_all(reg, query, state)
    shown = found[:limit]
    where = standings(reg, date, [c.department for c in shown])
    rows = search_rows(shown, where)

    def view() -> RenderableType:
        from icestatus.output.views import search_table

        caption = f"{len(found):,} {'agency matches' if len(found) == 1 else 'agencies match'} · status on {date}"
        if limit is not None and limit < len(found):
            caption += f" · showing the first {limit:,} (drop --limit to see all)"
        statuses = [standing_text(where[c.department.id], short=True) for c in shown]
        return search_table(rows, statuses, f"Agencies matching {query!r}", caption, terminal_width())

    out.emit(rows, SEARCH_COLUMNS, view)
