"""The report commands: diff, stats, trend, states, sources and validate.

Each command parses its options, calls ``icestatus.reports`` (or ``validate``), and
prints ``output.rows`` (JSON/CSV) or a view of ``output.views_reports``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from icestatus.cli.app import app, echo_basis, open_registry, output_for, terminal_width, warn_coverage
from icestatus.cli.options import (
    FormatOpt,
    LimitOpt,
    ModelOpt,
    OnOpt,
    RegistryOpt,
    SourceOpt,
    StateOpt,
    TypeOpt,
    date_param,
    today,
)
from icestatus.enums import Every, OutputFormat, SheetKind, SourceKind, StatsBy
from icestatus.errors import IcestatusError

if TYPE_CHECKING:
    from rich.console import RenderableType

# Command docstrings keep each paragraph on one line: Typer prints a docstring's line
# breaks as they are, which would break its paragraphs mid-sentence in --help.


# ---------------------------------------------------------------- diff


@app.command()
def diff(
    from_: Annotated[dt.date, typer.Argument(
        metavar="FROM", parser=date_param("FROM date", required=True), help="The earlier date, YYYY-MM-DD.",
        show_default=False)],
    to: Annotated[dt.date, typer.Argument(
        metavar="TO", parser=date_param("TO date", required=True), help="The later date, YYYY-MM-DD.",
        show_default=False)],
    state: StateOpt = None,
    model: ModelOpt = None,
    type_: TypeOpt = None,
    source: SourceOpt = None,
    all_: Annotated[bool, typer.Option(
        "--all", help="Also agreements and applications that changed and changed back in between.")] = False,
    limit: LimitOpt = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """What changed between two dates: agreements started, ended, paused, resumed; applications; with sources.

    Compares the end of FROM with the end of TO (like two of ICE's sheets): agreements that started, ended, paused, resumed, were renewed or had their signing date corrected, MOAs linked, applications filed or withdrawn; each with the date (or window) and source of the event behind it. --all adds those that changed and changed back in between.

    Example: icestatus diff 2025-05-16 2025-07-18 --state TX
    """  # noqa: E501 (Typer prints a docstring's lines as they are)
    from icestatus import reports
    from icestatus.coverage import Coverage
    from icestatus.output.rows import DIFF_COLUMNS, change_rows
    from icestatus.output.text import limit_lines, span_phrase
    from icestatus.states import state_name

    out = output_for(format_)
    start, end = from_, to
    reports.check_span(start, end)  # the arguments before any warning about them
    reg = open_registry(registry)
    warn_coverage(reg, start, end)
    found = reports.diff(reg, start, end, state=state, models=model or [], types=type_ or [], source=source,
                         transient=True)
    changes = found if all_ else [c for c in found if c.kind is not reports.ChangeKind.transient]
    hidden = len(found) - len(changes)
    rows = change_rows(changes[:limit])
    note = (f"{hidden:,} agreement{'s' if hidden != 1 else ''} or application{'s' if hidden != 1 else ''} "
            f"changed and changed back in between (shown with --all)") if hidden else None
    coverage = Coverage.of(reg)
    limits = limit_lines(reports.diff_limits(coverage, start, end))
    rests_on = span_phrase(*(coverage.basis(SheetKind.participating, d) for d in (start, end)))
    if out.table and not changes:
        where = f" in {state_name(state)}" if state else ""
        typer.echo(f"No changes to 287(g) agreements{where} between the end of {start} and the end of {end}."
                   + (f"\n{note}." if note else ""))
        for line in [*([f"{rests_on}."] if rests_on else []), *limits]:
            typer.echo(line)
        return
    sources = {s.id: s for s in reg.sources}

    def view() -> RenderableType:
        from icestatus.output.views_reports import diff_view

        return diff_view(changes, len(rows), start, end, state, sources, [x for x in (note,) if x] + limits,
                         rests_on)

    out.emit(rows, DIFF_COLUMNS, view)


# ---------------------------------------------------------------- stats


@app.command()
def stats(
    on: OnOpt = None,
    by: Annotated[StatsBy, typer.Option(
        "--by", case_sensitive=False, help="Group by state, model or (agency) type.")] = StatsBy.state,
    state: StateOpt = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """How many agreements are in force: by state (one column per model), model or agency type.

    Counts agreements in force (active or paused) per model, paused ones, agencies taking part and applications pending on the date, with a total row.

    Example: icestatus stats --on 2025-07-18 --by model
    """  # noqa: E501 (Typer prints a docstring's lines as they are)
    from icestatus import reports
    from icestatus.coverage import Coverage, answer_on
    from icestatus.output.rows import stats_columns, stats_document, stats_row
    from icestatus.query import filter_states
    from icestatus.replay import replay
    from icestatus.states import state_name

    out = output_for(format_)
    date = on or today()
    reg = open_registry(registry)
    warn_coverage(reg, date)
    answer = answer_on(Coverage.of(reg), date)
    groups, total = reports.stats(answer.known(filter_states(replay(reg, date), state=state)), by)
    rows = [stats_row(t, by, answer) for t in groups]
    if out.table and not groups:
        where = f" in {state_name(state)}" if state else ""
        typer.echo(f"No 287(g) agreements in force{where} on {date}"
                   + (" (pending unknown)." if answer.pending_unknown else " (and none pending)."))
        echo_basis(answer)
        return

    def view() -> RenderableType:
        from icestatus.output.views_reports import stats_table

        return stats_table(groups, total, by, date, state, answer)

    out.emit(rows, stats_columns(by), view, document=stats_document(date, by, rows, total, answer))


# ---------------------------------------------------------------- trend


@app.command()
def trend(
    state: StateOpt = None,
    model: ModelOpt = None,
    from_: Annotated[dt.date | None, typer.Option(
        "--from", parser=date_param("--from date"),
        help="First date (default: ICE's first participating list; without one, the first event).",
        show_default=False)] = None,
    to: Annotated[dt.date | None, typer.Option(
        "--to", parser=date_param("--to date"), show_default=False,
        help="Last date (default: ICE's latest participating list, or today if earlier).")] = None,
    every: Annotated[Every | None, typer.Option(
        "--every", case_sensitive=False, show_default=False,
        help="One point a day, week or month (default: days up to 4 months, weeks up to 2 years, else months).",
    )] = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Agreements in force over time, drawn in the terminal; the numbers with --format csv or json.

    Computed in one pass over the event log; each point is as of the end of its day.

    Example: icestatus trend --from 2025-05-16 --to 2025-07-18 --every week --state TX
    """
    from icestatus import reports
    from icestatus.coverage import Coverage
    from icestatus.output.rows import TREND_COLUMNS, trend_rows
    from icestatus.states import state_name

    out = output_for(format_)
    models = model or []
    reg = open_registry(registry)
    coverage = Coverage.of(reg)
    events = reports.trend_events(reg, state=state, models=models)
    span = reports.trend_span(coverage, today(), events)
    if span is None and from_ is None:
        raise IcestatusError("no events to draw a trend from" + (f" in {state_name(state)}" if state else "")
                             + "; give --from to draw zeros")
    start = from_ or (span[0] if span else today())
    end = to or (span[1] if span and span[1] >= start else today())
    step = every or reports.auto_every(start, end)
    ends = (coverage.first(SheetKind.participating), coverage.last(SheetKind.participating))
    points = reports.trend_points(start, end, step, anchors=[s.date for s in ends if s is not None])
    warn_coverage(reg, start, end)  # before the first sheet, only agreements it still listed are known
    series = reports.trend(events, points)
    cover = reports.trend_cover(coverage, points)

    def view() -> RenderableType:
        from icestatus.output.views_reports import trend_view

        return trend_view(series, cover, coverage, step, state, models, width=terminal_width())

    out.emit(trend_rows(series, cover), TREND_COLUMNS, view)


# ---------------------------------------------------------------- states


@app.command("states")
def states_(
    on: OnOpt = None,
    all_: Annotated[bool, typer.Option(
        "--all", help="Every state and territory, also those with nothing to report.")] = False,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """One row per state: agreements in force, agencies, pending, and the state's sourced policy.

    The policy (a ban, say) is the state's latest one dated on or before the date, with its sources.

    Example: icestatus states --on 2025-07-18
    """
    from icestatus import reports
    from icestatus.coverage import Coverage, answer_on
    from icestatus.output.rows import STATE_COLUMNS, state_rows
    from icestatus.replay import replay
    from icestatus.states import all_state_codes, state_name

    out = output_for(format_)
    date = on or today()
    reg = open_registry(registry)
    warn_coverage(reg, date)
    every = all_state_codes() if all_ else ()
    answer = answer_on(Coverage.of(reg), date)
    found = answer.known(replay(reg, date))
    codes = {a.department.state for a in found} | {p.state for p in reg.policies} | set(every)
    rows = reports.states_report(reg, found, date, every_state=every, names={c: state_name(c) for c in codes})
    if out.table and not rows:
        typer.echo(f"No 287(g) agreements or state policies on {date} (pending unknown)." if answer.pending_unknown
                   else f"No 287(g) agreements, applications or state policies on {date}.")
        echo_basis(answer)
        return
    sources = {s.id: s for s in reg.sources}

    def view() -> RenderableType:
        from icestatus.output.views_reports import states_table

        return states_table(rows, date, sources, answer)

    out.emit(state_rows(rows, answer), STATE_COLUMNS, view)


# ---------------------------------------------------------------- sources


@app.command("sources")
def sources_(
    kind: Annotated[list[SourceKind] | None, typer.Option("--kind", "-k", case_sensitive=False,
                                                          help="Only sources of this kind (repeatable).",
                                                          show_default=False)] = None,
    limit: LimitOpt = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Every source of the registry, with how many events and policies cite it.

    Example: icestatus sources --kind news
    """
    from icestatus import reports
    from icestatus.output.rows import SOURCE_COLUMNS, source_use_rows

    out = output_for(format_)
    reg = open_registry(registry)
    usage = reports.source_usage(reg)
    if kind:
        usage = [u for u in usage if u.source.kind in set(kind)]
    shown = usage[:limit]
    if out.table and not usage:
        of_kind = f" of kind {', '.join(k.value for k in kind)}" if kind else ""
        typer.echo(f"No sources{of_kind} in this registry.")
        return

    def view() -> RenderableType:
        from icestatus.output.views_reports import sources_table

        return sources_table(shown, len(usage), width=terminal_width())

    out.emit(source_use_rows(shown), SOURCE_COLUMNS, view)


# ---------------------------------------------------------------- validate


@app.command()
def validate(
    path: Annotated[Path | None, typer.Argument(
        metavar="PATH", help="Registry file to check (default: --registry, $ICESTATUS_REGISTRY, or the bundled one).",
        show_default=False)] = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Check a registry file in full; list every problem with its JSON path (exit 1), or exit 0.

    Checks the schema (events without a source among it), unknown references, duplicate ids, events out of date order, impossible transitions (resumed while not paused, terminated with no agreement in force, ...), not_before after date, and dates in the future.

    Example: icestatus validate my-registry.json
    """  # noqa: E501 (Typer prints a docstring's lines as they are)
    from icestatus.output.rows import PROBLEM_COLUMNS, problem_rows
    from icestatus.output.text import inert
    from icestatus.registry import resolve_registry_path
    from icestatus.validate import validate_file

    out = output_for(format_)
    target = path if path is not None else resolve_registry_path(registry)
    result = validate_file(target, today())
    if not out.table:
        out.data(problem_rows(result.problems), PROBLEM_COLUMNS)
    else:
        for p in result.problems:
            typer.echo(inert(f"{p.path}: {p.message}"))
    if not result.ok:
        raise IcestatusError(result.summary())
    typer.echo(inert(result.summary()), err=not out.table)
