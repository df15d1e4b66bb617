"""The Rich views of the report commands: diff, stats, trend, states and sources.

Built from the core's reports (``icestatus.reports``) with the helpers of ``views``; the
width of the terminal is passed in. Imported only when a table is printed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from icestatus.coverage import GAP_DAYS, LONG_GAP_DAYS, STALE_AFTER_DAYS, Standing
from icestatus.enums import MODEL_SHORT_NAMES, Every, Model, SheetKind, StatsBy
from icestatus.output.text import fmt_date, limit_lines, sheet_phrase
from icestatus.output.views import cell, more_line, references, source_refs
from icestatus.reports import CHANGE_TITLES
from icestatus.states import state_name

if TYPE_CHECKING:
    from icestatus.coverage import Answer, Coverage
    from icestatus.models import Source
    from icestatus.registry import RegistryInUse
    from icestatus.reports import Change, RegistryInfo, SourceUse, StateRow, Tally, TrendCover, TrendPoint


def diff_view(changes: Sequence[Change], shown: int, start: dt.date, end: dt.date, code: str | None,
               sources: Mapping[str, Source], notes: Sequence[str], rests_on: str | None = None) -> RenderableType:
    """One table per kind of change (the first *shown* changes), with the same column
    widths in each so that they read as one; sources cited as [n] and listed below.
    *rests_on*: ICE's lists the two ends rest on (``output.text.span_phrase``); *notes*: lines under
    the summary (changes hidden, the parts ICE's lists do not cover)."""
    title = f"Changes to 287(g) agreements from the end of {start} to the end of {end}" + (
        f" · {state_name(code)}" if code else "")
    counts = Counter(c.kind for c in changes)
    cited, cite = source_refs()
    visible = changes[:shown]
    cells = [(c, fmt_date(c.event.date, c.event.not_before), cite(c.event.sources)) for c in visible]
    date_w = max((len(d) for _, d, _ in cells), default=4)
    src_w = max([len("Source"), *(len(r) for _, _, r in cells)])
    parts: list[RenderableType] = [cell(title, rests_on, limit=None)]
    for kind, group in groupby(cells, key=lambda x: x[0].kind):
        table = Table(title=Text(f"{CHANGE_TITLES[kind]}: {counts[kind]:,}", style="bold"), title_justify="left",
                      box=box.SIMPLE_HEAD, expand=True)
        table.add_column("Agency", ratio=1, overflow="fold", min_width=20)
        table.add_column("St", no_wrap=True, width=2)
        table.add_column("Model", no_wrap=True, width=10)
        table.add_column("Date", no_wrap=True, width=date_w)
        table.add_column("Source", no_wrap=True, width=src_w)
        for c, date, refs in group:
            agency = cell(c.department.name)
            if c.kind.value in ("renewed", "corrected"):
                agency.append(f"\n  signed {c.before} → {c.after}", style="dim")
            elif c.kind.value == "transient":
                agency.append(f"\n  {c.before}", style="dim")
            table.add_row(agency, c.department.state, MODEL_SHORT_NAMES[c.model], date, refs)
        parts.append(table)
    order = list(CHANGE_TITLES)
    summary = ", ".join(f"{n:,} {k.value}" for k, n in sorted(counts.items(), key=lambda kv: order.index(kv[0])))
    lines = [f"{len(changes):,} change{'s' if len(changes) != 1 else ''}: {summary}"]
    more = more_line(len(visible), len(changes), "changes")
    lines += [x for x in (more, *notes) if x]
    parts += [cell(*lines, limit=None), references(cited, sources)]
    return Group(*parts)


def titled(title: str, answer: Answer | None) -> str:
    """*title* and what the answer rests on (``output.text.sheet_phrase``)."""
    phrase = sheet_phrase(answer.participating) if answer is not None else None
    return title + (f" · {phrase}" if phrase else "")


def stats_table(groups: Sequence[Tally], total: Tally, by: StatsBy, date: dt.date, code: str | None,
                answer: Answer | None = None) -> Table:
    """Counts per group and a total row; pending "unknown" (and the reason under the table)
    when *answer* says the applications pending are not known."""
    title = titled(f"287(g) agreements in force on {date}, by {by.value}" + (f" · {state_name(code)}" if code else ""),
                   answer)
    limits = limit_lines(answer.limits()) if answer is not None else []
    pending_known = answer is None or answer.pending_unknown is None
    table = Table(title=cell(title, limit=None), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  caption=cell(*limits, limit=None) if limits else None, caption_justify="left")
    first = {"state": "State", "model": "Model", "type": "Agency type"}[by.value]
    table.add_column(first, overflow="fold", min_width=12)
    per_model = by is not StatsBy.model
    if per_model:
        for m in Model:
            table.add_column(MODEL_SHORT_NAMES[m].capitalize().replace(" ", "\n"), justify="right", no_wrap=True)
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
        out.append(f"{t.pending:,}" if pending_known else "unknown")
        return out

    for i, t in enumerate(groups):
        label: Text | str
        if by is StatsBy.state:
            label = cell(f"{t.group} {state_name(t.group)}")
        elif by is StatsBy.model:
            label = Model(t.group).label
        else:
            label = cell(t.group)
        table.add_row(*cells(t, label), end_section=i == len(groups) - 1)
    table.add_row(*cells(total, "Total"), style="bold")
    return table


CHART_HEIGHT = 12
_BLOCKS = " ▁▂▃▄▅▆▇█"


def trend_view(
    series: Sequence[TrendPoint], cover: Sequence[TrendCover], coverage: Coverage, every: Every, code: str | None,
    models: Sequence[Model], width: int,
) -> RenderableType:
    """The chart, its title (with the span of ICE's participating lists) and a summary whose
    peak is within those lists; points they do not cover are marked ``┄`` on the axis."""
    what = ", ".join(m.label for m in models) if models else "287(g) agreements"
    where = f" in {state_name(code)}" if code else ""
    first, last = series[0], series[-1]
    title = f"{what} in force{where}, {first.date} to {last.date}, every {every.value}"
    lists = coverage.sheets(SheetKind.participating)
    if lists:
        title += f" · ICE's lists: {lists[0].date} to {lists[-1].date}"
    values = [p.in_force for p in series]
    outside = [not c.standing.inside and c.standing is not Standing.no_sheets for c in cover]
    # A gap of more than a year without a list (2017-08-01..2021-01-13) is drawn as a gap:
    # its number in force is not known, only what the list before showed and what later
    # lists date inside it.
    unknown = [g for g in coverage.gaps(SheetKind.participating, LONG_GAP_DAYS)
               if any(p.date in g for p in series)]
    blank = [any(p.date in g for g in unknown) for p in series]
    chart = chart_lines(values, [p.date for p in series], width=width, height=CHART_HEIGHT, outside=outside,
                        blank=blank)
    inside = [p for p, out, b in zip(series, outside, blank, strict=True) if not out and not b]
    peak = max(inside or series, key=lambda p: p.in_force)
    # the change is told between points ICE's lists cover, where there are any
    since, until = (inside[0], inside[-1]) if inside else (first, last)
    change = until.in_force - since.in_force
    pending = f"{last.pending:,} pending" if cover[-1].pending_known else "pending unknown"
    peak_note = "" if inside else " (outside ICE's lists)"
    lines = [f"{since.in_force:,} on {since.date} → {until.in_force:,} on {until.date} ({change:+,}); "
             f"peak {peak.in_force:,} on {peak.date}{peak_note}; "
             f"{pending} on {last.date}. {len(series):,} points; numbers: --format csv"]
    if any(outside):
        lines.append("┄ on the axis: not covered by ICE's participating lists (before the first, more than "
                     f"{STALE_AFTER_DAYS} days after the last); the peak is of the points they cover")
    lines += [f"Not drawn (╌ on the axis): {g.after.date} to {g.until.date}, {g.days:,} days without a list of "
              "ICE's; its numbers (--format csv) are what the list before showed and what later lists date in it"
              for g in unknown]
    gaps = sum(1 for c in cover if c.standing is Standing.gap)
    if gaps:
        lines.append(f"{gaps:,} point{'s' if gaps != 1 else ''} in a gap of more than {GAP_DAYS} days between "
                     "two of ICE's lists: changes in it are dated to the gap's end")
    body = Text()
    for i, (label, bars) in enumerate(chart):
        if i:
            body.append("\n")
        body.append(label, style="dim")
        body.append(bars, style="cyan")
    return Group(cell(title, limit=None), Text(""), body, Text(""), cell(*lines, limit=None))


def chart_lines(
    values: Sequence[int], dates: Sequence[dt.date], width: int, height: int, outside: Sequence[bool] = (),
    blank: Sequence[bool] = (),
) -> list[tuple[str, str]]:
    """A column chart of *values* as (axis, bars) text pairs, *height* rows tall and at
    most *width* characters wide, y from 0, with eighth blocks for the fraction. When
    there are more points than columns, each column shows its last point (the value at
    the end of that stretch of time); with few points, each gets a wider bar. Columns
    whose point is *outside* (the data's coverage) are drawn ``┄`` on the axis; those whose
    point is *blank* (in a gap of years in the data) are left empty above ``╌``."""
    marks = list(outside) or [False] * len(values)
    blanks = list(blank) or [False] * len(values)
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
        col_marks = [marks[((c + 1) * n) // plot_w - 1] for c in range(plot_w)]
        col_blanks = [blanks[((c + 1) * n) // plot_w - 1] for c in range(plot_w)]
        bar_w = 1
    else:
        bar_w = max(1, min(8, plot_w // max(n, 1)))
        cols, col_dates, col_marks, col_blanks = list(values), list(dates), marks, blanks
    eighths = [0 if b else round(v / top * height * 8) if top else 0 for v, b in zip(cols, col_blanks, strict=True)]
    out: list[tuple[str, str]] = []
    for r in range(height - 1, -1, -1):
        row = "".join(_BLOCKS[max(0, min(8, e - r * 8))] * bar_w for e in eighths)
        axis = labels.get(r, "").rjust(label_w - 1) + " ┤"
        out.append((axis, row.rstrip() or " "))
    span = len(cols) * bar_w
    out.append((" " * (label_w - 1) + " └", "".join(
        ("╌" if b else "┄" if m else "─") * bar_w for m, b in zip(col_marks, col_blanks, strict=True))))
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


def states_table(rows: Sequence[StateRow], date: dt.date, sources: Mapping[str, Source],
                 answer: Answer | None = None) -> RenderableType:
    cited, cite = source_refs()
    pending_known = answer is None or answer.pending_unknown is None
    table = Table(title=cell(titled(f"287(g) by state on {date}", answer), limit=None), title_justify="left",
                  box=box.SIMPLE_HEAD)
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
            policy = cell(f"{p.kind.value.replace('_', ' ')} since {since}: {p.summary} {cite(p.sources)}",
                           limit=2000)
        in_force = f"{r.in_force:,}" + (f" ({r.paused:,} paused)" if r.paused else "")
        table.add_row(cell(f"{r.state} {r.name}"), in_force, f"{r.agencies:,}",
                      f"{r.pending:,}" if pending_known else "unknown", policy)
    total_in_force = sum(r.in_force for r in rows)
    pending = f"{sum(r.pending for r in rows):,} pending" if pending_known else "pending unknown"
    caption = [f"{total_in_force:,} agreements in force, {sum(r.agencies for r in rows):,} agencies, "
               f"{pending}, in {sum(1 for r in rows if r.in_force):,} states"]
    if any(r.policy is not None and r.policy.not_before is not None for r in rows):
        caption.append("~ date known only to a window (see --format json: policy_not_before)")
    if answer is not None:
        caption += limit_lines(answer.limits())
    return Group(table, cell(*caption, limit=None), references(cited, sources))


def sources_table(usage: Sequence[SourceUse], total: int, width: int) -> RenderableType:
    """Id, date and counts always; then the publisher and title, as far as the width
    allows (JSON and CSV always carry every field). Ids are never broken across lines
    unless longer than 60 characters: people copy them into --source."""
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
        cells: list[Any] = [cell(s.id), str(s.published or "undated"), f"{u.events:,}", f"{u.policies:,}"]
        if show:
            cells.append(cell(f"{s.publisher}: {s.title}" if show == "title" else s.publisher, limit=300))
        table.add_row(*cells)
    lines = [f"{total:,} source{'s' if total != 1 else ''}" + (
        "" if show == "title" else "; titles with --format json or a wider terminal")]
    more = more_line(len(usage), total, "sources")
    if more:
        lines.append(more)
    return Group(table, cell(*lines, limit=None))


def info_view(chosen: RegistryInUse, info: RegistryInfo) -> RenderableType:
    """``icestatus info``: the registry in use and why, ICE's lists it holds (first, last,
    how many, the gaps between them), its counts, and how old its data is today."""
    head = Table(show_header=False, box=None, pad_edge=False)
    head.add_column("", no_wrap=True, style="bold")
    head.add_column("", overflow="fold")
    head.add_row("Registry", cell(str(chosen.path), limit=None))
    head.add_row("", cell(chosen.reason, limit=None))
    head.add_row("Title", cell(info.title))
    head.add_row("Today", str(info.today))
    if info.latest is not None and info.age_days is not None:
        age = f"ICE's latest participating list is of {info.latest.date}, " + (
            f"{info.age_days:,} day{'' if info.age_days == 1 else 's'} before today" if info.age_days >= 0
            else "after today")
        head.add_row("Data", cell(age + (" (stale)" if info.answer.participating.stale else ""), limit=None))
    else:
        head.add_row("Data", "no ICE participating list in this registry")
    lists = Table(title="ICE's lists in this registry", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    lists.add_column("List", no_wrap=True)
    lists.add_column("First", no_wrap=True)
    lists.add_column("Last", no_wrap=True)
    lists.add_column("Sheets", justify="right", no_wrap=True)
    lists.add_column("Gaps", justify="right", no_wrap=True)
    gap_lines = []
    for k in info.coverage:
        lists.add_row(k.kind.value, str(k.first.date), str(k.last.date), f"{k.sheets:,}", f"{len(k.gaps):,}")
        if k.gaps:
            gap_lines.append(f"{k.kind.value}: " + ", ".join(
                f"{g.after.date}..{g.until.date} ({g.days:,} days)" for g in k.gaps))
    if gap_lines:
        gap_lines.insert(0, f"Gaps of more than {GAP_DAYS} days between two lists:")
    in_force = (f"{info.in_force_on_latest:,} {_plural(info.in_force_on_latest, 'agreement')} in force on "
                "ICE's latest list"
                if info.in_force_on_latest is not None else None)
    counts = " · ".join(x for x in (f"{info.agencies:,} {'agency' if info.agencies == 1 else 'agencies'}",
                                    in_force, f"{info.events:,} {_plural(info.events, 'event')}",
                                    f"{info.sources:,} {_plural(info.sources, 'source')} "
                                    f"({info.ice_sheets:,} ICE {_plural(info.ice_sheets, 'sheet')})") if x)
    parts: list[RenderableType] = [head, Text("")]
    if info.coverage:
        parts.append(lists)
        if gap_lines:
            parts += [cell(*gap_lines, limit=None), Text("")]
    else:
        parts.append(Text("No ICE sheet in this registry: its answers rest on the sources each event cites."))
    parts.append(cell(counts, *limit_lines(info.answer.limits()), limit=None))
    return Group(*parts)


def _plural(n: int, word: str) -> str:
    return word if n == 1 else f"{word}s"
