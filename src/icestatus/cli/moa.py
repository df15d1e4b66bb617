"""``icestatus moa``: each agreement in force with the address of its signed Memorandum
of Agreement (MOA), or (``--missing``) those whose MOA ICE has not published yet.

The addresses come from the MOA links of ICE's participating sheets (``ingest``); a
registry keeps every address it has seen, so an agreement keeps its MOA after ICE drops
the link or the agreement from its list (``history`` shows each change). The rows are
``reports.moa_report`` (``output.rows.moa_rows``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import typer

from icestatus.cli.app import app, echo_basis, open_registry, output_for, warn_coverage
from icestatus.cli.options import FormatOpt, RegistryOpt, StateOpt, date_param, today
from icestatus.enums import OutputFormat, Status

if TYPE_CHECKING:
    from rich.table import Table

    from icestatus.coverage import Coverage


@app.command()
def moa(
    state: StateOpt = None,
    missing: Annotated[bool, typer.Option(
        "--missing", help="Only agreements without a published MOA, longest wait first.")] = False,
    on: Annotated[dt.date | None, typer.Option(
        "--on", metavar="DATE", parser=date_param("--on date"), help="As of this date (default: today).",
        show_default=False)] = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Agreements in force with the address of their signed MOA (Memorandum of Agreement).

    Example: icestatus moa --state FL --missing
    """
    from icestatus.coverage import Coverage, answer_on, bounded_to_sheet
    from icestatus.output.rows import MOA_COLUMNS, moa_rows
    from icestatus.output.text import limit_lines, sheet_phrase
    from icestatus.query import filter_states
    from icestatus.replay import replay
    from icestatus.states import state_name

    out = output_for(format_)
    date = on or today()
    reg = open_registry(registry)
    warn_coverage(reg, date)
    coverage = Coverage.of(reg)
    answer = answer_on(coverage, date)
    counted_to = bounded_to_sheet(coverage, date)
    in_force = [a for a in filter_states(replay(reg, date), state=state) if a.status is not Status.pending]
    rows = moa_rows(in_force, counted_to, missing=missing)
    place = f" in {state_name(state)}" if state else ""
    phrase = sheet_phrase(answer.participating)
    limits = limit_lines(answer.limits(pending=False))
    if out.table and not rows:
        what = "without a published MOA" if missing and in_force else "in force"
        typer.echo(f"No 287(g) agreements {what}{place} on {date}.")
        echo_basis(answer, pending=False)
        return
    linked = sum(1 for a in in_force if a.moa_url is not None)
    pending = sum(1 for a in in_force if a.moa_url is None and a.moa_pending)
    caption = [f"{linked:,} of {len(in_force):,} agreements in force have an MOA address · "
               f"{pending:,} link pending · {len(in_force) - linked - pending:,} no link"]
    if missing:
        caption += _days_caption(rows, date, counted_to, coverage)
    caption += limits
    title = (f"287(g) agreements without a published MOA on {date}" if missing
             else f"287(g) agreements and their MOAs on {date}") + (f" · {state_name(state)}" if state else "") + (
                 f" · {phrase}" if phrase else "")

    def view() -> Table:
        from icestatus.output.views import moa_table

        return moa_table(rows, title, "\n".join(caption), missing)

    out.emit(rows, MOA_COLUMNS, view)


def _days_caption(rows: list[dict[str, Any]], date: dt.date, counted_to: dt.date | None,
                  coverage: Coverage) -> list[str]:
    """What the Days column counts to, and why a row has none (review F2)."""
    from icestatus.enums import SheetKind

    if counted_to is None:
        first = coverage.first(SheetKind.participating)
        return [f"Days: not counted: ICE's first list in this registry is of {first.date if first else '?'}, "
                f"after {date}, so no list on or before {date} shows an MOA missing"]
    out = [f"Days: from the signing date to {counted_to}"
           + (f", ICE's last list on or before {date}" if counted_to != date else "")]
    late = sum(1 for r in rows if r["days_without_moa"] is None and r["moa_url"] is None
               and r["signed"] is not None and r["signed"] > counted_to.isoformat())
    if late:
        out.append(f"Days blank ({late:,}): signed after {counted_to}, so no list on or before {date} "
                   "shows the MOA missing yet")
    return out
