"""Commands registered on ``icestatus.cli.app`` (imported at the end of cli.py):
diff, stats, trend, states, sources and validate.

Each command parses its options, calls ``icestatus.reports`` (or ``validate``), and prints
rows (JSON/CSV) or a Rich renderable built here. Everything heavy (pydantic, rich, the
core) is imported inside the commands: ``icestatus --help`` imports only typer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from icestatus.cli import (
    FormatOpt,
    LimitOpt,
    ModelOpt,
    RegistryOpt,
    StateOpt,
    TypeOpt,
    app,
    console,
    emit,
    open_registry,
    parse_date,
    today,
    warn,
)
from icestatus.enums import Every, Model, OutputFormat, SourceKind, StatsBy
from icestatus.errors import IcestatusError

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

    from icestatus.models import Registry, Source
    from icestatus.reports import Change, StateRow, Tally, TrendPoint

# Command docstrings keep each paragraph on one line: Typer prints a docstring's line
# breaks as they are, which would break its paragraphs mid-sentence in --help.

SourceOpt = Annotated[
    Optional[str],
    typer.Option("--source", help="Only events citing this source id (see `icestatus sources`).", show_default=False),
]


def _state_code(state: str | None) -> str | None:
    from icestatus.states import parse_state

    return parse_state(state) if state else None


def _warn_coverage(registry: Registry, *dates: dt.date) -> None:
    """One warning per kind of gap: two dates both before the first sheet warn once."""
    from icestatus.query import coverage_warning

    said: set[str] = set()
    for d in dates:
        message = coverage_warning(registry, d)
        if message and message.removeprefix(str(d)) not in said:
            said.add(message.removeprefix(str(d)))
            warn(message)


def _limited(rows: Sequence[Any], limit: int | None) -> Sequence[Any]:
    return rows if limit is None else rows[:limit]


def _more_line(shown: int, total: int, what: str) -> str | None:
    if shown >= total:
        return None
    return f"showing the first {shown:,} of {total:,} {what} (drop --limit to see all)"


def _source_refs() -> tuple[dict[str, int], Any]:
    """A numbering of cited sources ([1], [2], ...) and a function that cites one."""
    cited: dict[str, int] = {}

    def cite(source_ids: Sequence[str]) -> str:
        return " ".join(f"[{cited.setdefault(s, len(cited) + 1)}]" for s in source_ids)

    return cited, cite


def _references(cited: Mapping[str, int], sources: Mapping[str, Source]) -> Table:
    """The list under a table: ``[1] ICE, 2025-07-18 pm: Participating agencies (id)``."""
    from rich.table import Table

    from icestatus.render import _text

    refs = Table(show_header=False, box=None, pad_edge=False)
    refs.add_column("", no_wrap=True)
    refs.add_column("", overflow="fold")
    for sid, n in cited.items():
        src = sources.get(sid)
        line = sid if src is None else f"{src.publisher}, {src.published or 'undated'}: {src.title} ({sid})"
        refs.add_row(f"[{n}]", _text(line, limit=2000))
    return refs


# ---------------------------------------------------------------- diff


@app.command()
def diff(
    from_: Annotated[str, typer.Argument(metavar="FROM", help="The earlier date, YYYY-MM-DD.", show_default=False)],
    to: Annotated[str, typer.Argument(metavar="TO", help="The later date, YYYY-MM-DD.", show_default=False)],
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
    """
    from icestatus import reports

    start, end = parse_date(from_, "FROM date"), parse_date(to, "TO date")
    code = _state_code(state)
    reg = open_registry(registry)
    _warn_coverage(reg, start, end)
    found = reports.diff(reg, start, end, state=code, models=model or [], types=type_ or [], source=source,
                         transient=True)
    changes = found if all_ else [c for c in found if c.kind is not reports.ChangeKind.transient]
    hidden = len(found) - len(changes)
    rows = reports.change_rows(_limited(changes, limit))
    note = (f"{hidden:,} agreement{'s' if hidden != 1 else ''} or application{'s' if hidden != 1 else ''} "
            f"changed and changed back in between (shown with --all)") if hidden else None
    if format_ is OutputFormat.table and not changes:
        where = f" in {_state_name(code)}" if code else ""
        typer.echo(f"No changes to 287(g) agreements{where} between the end of {start} and the end of {end}."
                   + (f"\n{note}." if note else ""))
        return
    sources = {s.id: s for s in reg.sources}
    emit(format_, rows, reports.DIFF_COLUMNS,
         lambda: _diff_view(changes, len(rows), start, end, code, sources, note))


def _state_name(code: str) -> str:
    from icestatus.states import state_name

    return state_name(code)


def _diff_view(changes: Sequence[Change], shown: int, start: dt.date, end: dt.date, code: str | None,
               sources: Mapping[str, Source], note: str | None) -> RenderableType:
    """One table per kind of change (the first *shown* changes), with the same column
    widths in each so that they read as one; sources cited as [n] and listed below."""
    from collections import Counter
    from itertools import groupby

    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from icestatus.render import MODEL_SHORT, _text, fmt_date
    from icestatus.reports import CHANGE_TITLES

    title = f"Changes to 287(g) agreements from the end of {start} to the end of {end}" + (
        f" · {_state_name(code)}" if code else "")
    counts = Counter(c.kind for c in changes)
    cited, cite = _source_refs()
    visible = changes[:shown]
    cells = [(c, fmt_date(c.event.date, c.event.not_before), cite(c.event.sources)) for c in visible]
    date_w = max((len(d) for _, d, _ in cells), default=4)
    src_w = max([len("Source"), *(len(r) for _, _, r in cells)])
    parts: list[RenderableType] = [_text(title, limit=None)]
    for kind, group in groupby(cells, key=lambda x: x[0].kind):
        table = Table(title=Text(f"{CHANGE_TITLES[kind]}: {counts[kind]:,}", style="bold"), title_justify="left",
                      box=box.SIMPLE_HEAD, expand=True)
        table.add_column("Agency", ratio=1, overflow="fold", min_width=20)
        table.add_column("St", no_wrap=True, width=2)
        table.add_column("Model", no_wrap=True, width=10)
        table.add_column("Date", no_wrap=True, width=date_w)
        table.add_column("Source", no_wrap=True, width=src_w)
        for c, date, refs in group:
            agency = _text(c.department.name)
            if c.kind.value in ("renewed", "corrected"):
                agency.append(f"\n  signed {c.before} → {c.after}", style="dim")
            elif c.kind.value == "transient":
                agency.append(f"\n  {c.before}", style="dim")
            table.add_row(agency, c.department.state, MODEL_SHORT[c.model], date, refs)
        parts.append(table)
    order = list(CHANGE_TITLES)
    summary = ", ".join(f"{n:,} {k.value}" for k, n in sorted(counts.items(), key=lambda kv: order.index(kv[0])))
    lines = [f"{len(changes):,} change{'s' if len(changes) != 1 else ''}: {summary}"]
    more = _more_line(len(visible), len(changes), "changes")
    lines += [x for x in (more, note) if x]
    parts += [_text(*lines, limit=None), _references(cited, sources)]
    return Group(*parts)


# ---------------------------------------------------------------- stats


@app.command()
def stats(
    on: Annotated[Optional[str], typer.Option("--on", help="The date (YYYY-MM-DD); default today.", show_default=False)] = None,
    by: Annotated[StatsBy, typer.Option("--by", case_sensitive=False, help="Group by state, model or (agency) type.")] = StatsBy.state,
    state: StateOpt = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """How many agreements are in force: by state (one column per model), model or agency type.

    Counts agreements in force (active or paused) per model, paused ones, agencies taking part and applications pending on the date, with a total row.

    Example: icestatus stats --on 2025-07-18 --by model
    """
    from icestatus import render, reports
    from icestatus.replay import replay

    group = by
    date = parse_date(on, "--on date") if on else today()
    code = _state_code(state)
    reg = open_registry(registry)
    _warn_coverage(reg, date)
    states = replay(reg, date)
    if code:
        states = [a for a in states if a.department.state == code]
    groups, total = reports.stats(states, group)
    rows = [t.row(group) for t in groups]
    if format_ is OutputFormat.json:
        typer.echo(render.to_json({"on": date.isoformat(), "by": group.value, "rows": rows, "total": total.row(group)}))
        return
    if format_ is OutputFormat.table and not groups:
        where = f" in {_state_name(code)}" if code else ""
        typer.echo(f"No 287(g) agreements in force{where} on {date} (and none pending).")
        return
    emit(format_, rows, reports.stats_columns(group), lambda: _stats_table(groups, total, group, date, code))


def _stats_table(groups: Sequence[Tally], total: Tally, by: StatsBy, date: dt.date, code: str | None) -> Table:
    from rich import box
    from rich.table import Table

    from icestatus.render import MODEL_SHORT, _text

    title = f"287(g) agreements in force on {date}, by {by.value}" + (f" · {_state_name(code)}" if code else "")
    table = Table(title=_text(title, limit=None), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    first = {"state": "State", "model": "Model", "type": "Agency type"}[by.value]
    table.add_column(first, overflow="fold", min_width=12)
    per_model = by is not StatsBy.model
    if per_model:
        for m in Model:
            table.add_column(MODEL_SHORT[m].capitalize().replace(" ", "\n"), justify="right", no_wrap=True)
    table.add_column("Total" if per_model else "In force", justify="right", no_wrap=True)
    table.add_column("Paused", justify="right", no_wrap=True)
    table.add_column("Agen-\ncies", justify="right", no_wrap=True)
    if by is StatsBy.model:  # (by type: in JSON and CSV, no room at 80 columns)
        table.add_column("States", justify="right", no_wrap=True)
    table.add_column("Pending", justify="right", no_wrap=True)

    def cells(t: Tally, label: Any) -> list[Any]:
        out: list[Any] = [label]
        if per_model:
            out += [f"{t.models[m]:,}" for m in Model]
        out += [f"{t.in_force:,}", f"{t.paused:,}", f"{len(t.agencies):,}"]
        if by is StatsBy.model:
            out.append(f"{len(t.states):,}")
        out.append(f"{t.pending:,}")
        return out

    for i, t in enumerate(groups):
        if by is StatsBy.state:
            label = _text(f"{t.group} {_state_name(t.group)}")
        elif by is StatsBy.model:
            label = Model(t.group).label
        else:
            label = _text(t.group)
        table.add_row(*cells(t, label), end_section=i == len(groups) - 1)
    table.add_row(*cells(total, "Total"), style="bold")
    return table


# ---------------------------------------------------------------- trend


@app.command()
def trend(
    state: StateOpt = None,
    model: ModelOpt = None,
    from_: Annotated[Optional[str], typer.Option("--from", help="First date (default: the first event).", show_default=False)] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Last date (default: today).", show_default=False)] = None,
    every: Annotated[Optional[Every], typer.Option(
        "--every", case_sensitive=False, show_default=False,
        help="One point a day, week or month (default: days up to 4 months, weeks up to 2 years, else months).")] = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Agreements in force over time, drawn in the terminal; the numbers with --format csv or json.

    Computed in one pass over the event log; each point is as of the end of its day.

    Example: icestatus trend --from 2025-05-16 --to 2025-07-18 --every week --state TX
    """
    from icestatus import reports

    code = _state_code(state)
    models = model or []
    start = parse_date(from_, "--from date") if from_ else None
    end = parse_date(to, "--to date") if to else today()
    step = every
    reg = open_registry(registry)
    events = reports.trend_events(reg, state=code, models=models)
    if start is None:
        if not events:
            raise IcestatusError("no events to draw a trend from" + (f" in {_state_name(code)}" if code else "")
                                 + "; give --from to draw zeros")
        start = events[0].date
    points = reports.trend_points(start, end, step or reports.auto_every(start, end))
    _warn_coverage(reg, start, end)  # before the first sheet, only agreements it still listed are known
    series = reports.trend(events, points)
    rows = [p.row() for p in series]
    emit(format_, rows, reports.TREND_COLUMNS,
         lambda: _trend_view(series, step or reports.auto_every(start, end), code, models))


CHART_HEIGHT = 12
_BLOCKS = " ▁▂▃▄▅▆▇█"


def _trend_view(series: Sequence[TrendPoint], every: Every, code: str | None, models: Sequence[Model]) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    from icestatus.render import _text

    what = ", ".join(m.label for m in models) if models else "287(g) agreements"
    where = f" in {_state_name(code)}" if code else ""
    first, last = series[0], series[-1]
    title = f"{what} in force{where}, {first.date} to {last.date}, every {every.value}"
    values = [p.in_force for p in series]
    chart = chart_lines(values, [p.date for p in series], width=console().width, height=CHART_HEIGHT)
    peak = max(series, key=lambda p: p.in_force)
    change = last.in_force - first.in_force
    summary = (f"{first.in_force:,} on {first.date} → {last.in_force:,} on {last.date} ({change:+,}); "
               f"peak {peak.in_force:,} on {peak.date}; {last.pending:,} pending on {last.date}. "
               f"{len(series):,} points; numbers: --format csv")
    body = Text()
    for i, (label, bars) in enumerate(chart):
        if i:
            body.append("\n")
        body.append(label, style="dim")
        body.append(bars, style="cyan")
    return Group(_text(title, limit=None), Text(""), body, Text(""), _text(summary, limit=None))


def chart_lines(values: Sequence[int], dates: Sequence[dt.date], width: int, height: int) -> list[tuple[str, str]]:
    """A column chart of *values* as (axis, bars) text pairs, *height* rows tall and at
    most *width* characters wide, y from 0, with eighth blocks for the fraction. When
    there are more points than columns, each column shows its last point (the value at
    the end of that stretch of time); with few points, each gets a wider bar."""
    top = max(values) if values else 0
    # Row r (0 at the bottom) shows values up to top * (r + 1) / height: label the top,
    # the bottom (the baseline, 0) and the middle row when its value is a whole number.
    labels = {height - 1: f"{top:,}", 0: "0"}
    mid = height // 2 - 1
    if top and (top * (mid + 1)) % height == 0:
        labels[mid] = f"{top * (mid + 1) // height:,}"
    label_w = max(len(s) for s in labels.values()) + 1
    plot_w = max(8, width - label_w - 2)
    n = len(values)
    if n > plot_w:
        cols = [values[((c + 1) * n) // plot_w - 1] for c in range(plot_w)]
        col_dates = [dates[((c + 1) * n) // plot_w - 1] for c in range(plot_w)]
        bar_w = 1
    else:
        bar_w = max(1, min(8, plot_w // max(n, 1)))
        cols, col_dates = list(values), list(dates)
    eighths = [round(v / top * height * 8) if top else 0 for v in cols]
    out: list[tuple[str, str]] = []
    for r in range(height - 1, -1, -1):
        row = "".join(_BLOCKS[max(0, min(8, e - r * 8))] * bar_w for e in eighths)
        axis = labels.get(r, "").rjust(label_w - 1) + " ┤"
        out.append((axis, row.rstrip() or " "))
    span = len(cols) * bar_w
    out.append((" " * (label_w - 1) + " └", "─" * span))
    left, right = col_dates[0].isoformat(), col_dates[-1].isoformat()
    if span >= 3 * len(left) + 4:  # room for the middle date too
        middle = col_dates[(len(col_dates) - 1) // 2].isoformat()
        at = ((len(col_dates) - 1) // 2) * bar_w - len(middle) // 2
        at = max(len(left) + 1, min(at, span - len(right) - len(middle) - 1))
        axis = left + " " * (at - len(left)) + middle
        out.append((" " * (label_w + 1), axis + " " * (span - len(axis) - len(right)) + right))
    elif span >= len(left) + len(right) + 1:
        out.append((" " * (label_w + 1), left + " " * (span - len(left) - len(right)) + right))
    else:
        out.append((" " * (label_w + 1), f"{left} to {right}"))
    return out


# ---------------------------------------------------------------- states


@app.command("states")
def states_(
    on: Annotated[Optional[str], typer.Option("--on", help="The date (YYYY-MM-DD); default today.", show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every state and territory, also those with nothing to report.")] = False,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """One row per state: agreements in force, agencies, pending, and the state's sourced policy.

    The policy (a ban, say) is the state's latest one dated on or before the date, with its sources.

    Example: icestatus states --on 2025-07-18
    """
    from icestatus import reports
    from icestatus.replay import replay
    from icestatus.states import state_name

    date = parse_date(on, "--on date") if on else today()
    reg = open_registry(registry)
    _warn_coverage(reg, date)
    every = _all_state_codes() if all_ else ()
    found = replay(reg, date)
    codes = {a.department.state for a in found} | {p.state for p in reg.policies} | set(every)
    rows = reports.states_report(reg, found, date, every_state=every, names={c: state_name(c) for c in codes})
    if format_ is OutputFormat.table and not rows:
        typer.echo(f"No 287(g) agreements, applications or state policies on {date}.")
        return
    sources = {s.id: s for s in reg.sources}
    emit(format_, [r.row() for r in rows], reports.STATE_COLUMNS, lambda: _states_table(rows, date, sources))


def _all_state_codes() -> list[str]:
    import us

    return [str(st.abbr) for st in (*us.states.STATES_AND_TERRITORIES, us.states.DC)]


def _states_table(rows: Sequence[StateRow], date: dt.date, sources: Mapping[str, Source]) -> RenderableType:
    from rich import box
    from rich.console import Group
    from rich.table import Table

    from icestatus.render import _text

    cited, cite = _source_refs()
    table = Table(title=_text(f"287(g) by state on {date}", limit=None), title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("State", overflow="fold", min_width=10)
    table.add_column("In force", justify="right", no_wrap=True)
    table.add_column("Agencies", justify="right", no_wrap=True)
    table.add_column("Pending", justify="right", no_wrap=True)
    table.add_column("Policy", overflow="fold", ratio=1, min_width=20)
    for r in rows:
        policy: Any = ""
        if r.policy is not None:
            p = r.policy
            since = ("~" if p.not_before is not None and p.not_before != p.date else "") + p.date.isoformat()
            policy = _text(f"{p.kind.value.replace('_', ' ')} since {since}: {p.summary} {cite(p.sources)}",
                           limit=2000)
        in_force = f"{r.in_force:,}" + (f" ({r.paused:,} paused)" if r.paused else "")
        table.add_row(_text(f"{r.state} {r.name}"), in_force, f"{r.agencies:,}", f"{r.pending:,}", policy)
    total_in_force = sum(r.in_force for r in rows)
    caption = (f"{total_in_force:,} agreements in force, {sum(r.agencies for r in rows):,} agencies, "
               f"{sum(r.pending for r in rows):,} pending, in {sum(1 for r in rows if r.in_force):,} states")
    if any(r.policy is not None and r.policy.not_before is not None for r in rows):
        caption += "\n~ date known only to a window (see --format json: policy_not_before)"
    return Group(table, _text(*caption.split("\n"), limit=None), _references(cited, sources))


# ---------------------------------------------------------------- sources


@app.command("sources")
def sources_(
    kind: Annotated[Optional[list[SourceKind]], typer.Option("--kind", "-k", case_sensitive=False,
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

    reg = open_registry(registry)
    usage = reports.source_usage(reg)
    if kind:
        usage = [u for u in usage if u.source.kind in set(kind)]
    shown = _limited(usage, limit)
    if format_ is OutputFormat.table and not usage:
        typer.echo("No sources" + (f" of kind {', '.join(k.value for k in kind)}" if kind else "") + " in this registry.")
        return
    emit(format_, [u.row() for u in shown], reports.SOURCE_COLUMNS,
         lambda: _sources_table(shown, len(usage), width=console().width))


def _sources_table(usage: Sequence[Any], total: int, width: int) -> RenderableType:
    """Id, date and counts always; then the publisher and title, as far as the width
    allows (JSON and CSV always carry every field). Ids are never broken across lines
    unless longer than 60 characters: people copy them into --source."""
    from rich import box
    from rich.console import Group
    from rich.table import Table

    from icestatus.render import _text

    longest = max([2, *(len(u.source.id) for u in usage)])
    id_w = min(60, longest)
    room = width - (id_w + 10 + len("Events") + len("Policies")) - 2 * 4  # 4 gaps of 2 between 5 columns
    table = Table(title="Sources", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    if longest <= id_w:
        table.add_column("Id", no_wrap=True)
    else:
        table.add_column("Id", overflow="fold", min_width=id_w)
    table.add_column("Published", no_wrap=True)
    table.add_column("Events", justify="right", no_wrap=True)
    table.add_column("Policies", justify="right", no_wrap=True)
    show = "title" if room >= 36 else "publisher" if room >= 12 else None
    if show:
        table.add_column("Publisher: title" if show == "title" else "Publisher", overflow="fold", ratio=1)
    for u in usage:
        s = u.source
        cells: list[Any] = [_text(s.id), str(s.published or "undated"), f"{u.events:,}", f"{u.policies:,}"]
        if show:
            cells.append(_text(f"{s.publisher}: {s.title}" if show == "title" else s.publisher, limit=300))
        table.add_row(*cells)
    lines = [f"{total:,} source{'s' if total != 1 else ''}" + (
        "" if show == "title" else "; titles with --format json or a wider terminal")]
    more = _more_line(len(usage), total, "sources")
    if more:
        lines.append(more)
    return Group(table, _text(*lines, limit=None))


# ---------------------------------------------------------------- validate


@app.command()
def validate(
    path: Annotated[Optional[Path], typer.Argument(
        metavar="PATH", help="Registry file to check (default: --registry, $ICESTATUS_REGISTRY, or the bundled one).",
        show_default=False)] = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Check a registry file in full; list every problem with its JSON path (exit 1), or exit 0.

    Checks the schema (events without a source among it), unknown references, duplicate ids, events out of date order, impossible transitions (resumed while not paused, terminated with no agreement in force, ...), not_before after date, and dates in the future.

    Example: icestatus validate my-registry.json
    """
    from icestatus import render
    from icestatus.registry import resolve_registry_path
    from icestatus.validate import validate_file

    target = path if path is not None else resolve_registry_path(registry)
    result = validate_file(target, today())
    rows = [{"path": p.path, "message": p.message} for p in result.problems]
    if format_ is OutputFormat.json:
        typer.echo(render.to_json(rows))
    elif format_ is OutputFormat.csv:
        typer.echo(render.to_csv(rows, ("path", "message")), nl=False)
    elif result.problems:
        for p in result.problems:
            typer.echo(render.inert(f"{p.path}: {p.message}"))
    if not result.ok:
        raise IcestatusError(result.summary())
    if format_ is OutputFormat.table:
        typer.echo(render.inert(result.summary()))
    else:
        typer.echo(render.inert(result.summary()), err=True)
