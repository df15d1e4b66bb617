"""``icestatus moa``: each agreement in force with the address of its signed Memorandum
of Agreement (MOA), or (``--missing``) those whose MOA ICE has not published yet.

The addresses come from the MOA links of ICE's participating sheets (``ingest``); a
registry keeps every address it has seen, so an agreement keeps its MOA after ICE drops
the link or the agreement from its list (``history`` shows each change).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from icestatus.cli import (
    FormatOpt,
    RegistryOpt,
    StateOpt,
    app,
    emit,
    open_registry,
    parse_date,
    today,
    warn,
)
from icestatus.enums import OutputFormat, Status

if TYPE_CHECKING:
    from rich.table import Table

    from icestatus.replay import AgreementState

MOA_COLUMNS = (
    "department_id", "department", "state", "type", "county", "model", "status", "signed", "moa_url",
    "moa_pending", "days_without_moa",
)


def moa_rows(states: Iterable[AgreementState], on: dt.date, *, missing: bool = False) -> list[dict[str, Any]]:
    """Agreements in force on *on* with their MOA address; with *missing*, only those
    without one ("link pending", or no link at all), longest wait first.

    ``days_without_moa`` counts from the signing date to *on* for an agreement without an
    address (None when ICE's signing date is after *on*, or for one with an address).
    """
    from icestatus.render import agency_fields

    rows = []
    for a in states:
        if a.status is Status.pending or (missing and a.moa_url is not None):
            continue
        days = (on - a.signed).days if a.moa_url is None and a.signed is not None and a.signed <= on else None
        rows.append({
            **agency_fields(a.department), "model": a.model.value, "status": a.status.value,
            "signed": a.signed.isoformat() if a.signed else None, "moa_url": a.moa_url,
            "moa_pending": a.moa_pending, "days_without_moa": days,
        })
    if missing:
        # Longest wait first; stable, so ties keep replay's state/name order.
        rows.sort(key=lambda r: (r["days_without_moa"] is None, -(r["days_without_moa"] or 0)))
    return rows


def _table(rows: Sequence[dict[str, Any]], title: str, caption: str, missing: bool) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from icestatus.enums import Model
    from icestatus.render import MODEL_SHORT, inert

    table = Table(title=Text(inert(title)), caption=Text(caption), caption_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Agency", ratio=1, overflow="fold", min_width=20)
    table.add_column("St", no_wrap=True)
    table.add_column("Model", no_wrap=True)
    table.add_column("Signed", no_wrap=True)
    if missing:
        table.add_column("MOA", no_wrap=True)
        table.add_column("Days", justify="right", no_wrap=True)
    else:
        table.add_column("MOA", ratio=1, overflow="fold")
    for r in rows:
        cells: list[Any] = [Text(inert(r["department"])), r["state"], MODEL_SHORT[Model(r["model"])], r["signed"] or ""]
        if missing:
            cells += ["link pending" if r["moa_pending"] else "no link",
                      "" if r["days_without_moa"] is None else str(r["days_without_moa"])]
        else:
            cells.append(Text(inert(r["moa_url"] or ("link pending" if r["moa_pending"] else "no link"))))
        table.add_row(*cells)
    return table


@app.command()
def moa(
    state: StateOpt = None,
    missing: Annotated[bool, typer.Option("--missing", help="Only agreements without a published MOA, longest wait first.")] = False,
    on: Annotated[str | None, typer.Option("--on", metavar="DATE", help="As of this date (default: today).", show_default=False)] = None,
    format_: FormatOpt = OutputFormat.table,
    registry: RegistryOpt = None,
) -> None:
    """Agreements in force with the address of their signed MOA (Memorandum of Agreement).

    Example: icestatus moa --state FL --missing
    """
    from icestatus.query import coverage_warning, filter_states
    from icestatus.replay import replay
    from icestatus.states import parse_state, state_name

    code = parse_state(state) if state else None
    date = parse_date(on, "--on date") if on else today()
    reg = open_registry(registry)
    warning = coverage_warning(reg, date)
    if warning:
        warn(warning)
    in_force = [a for a in filter_states(replay(reg, date), state=code) if a.status is not Status.pending]
    rows = moa_rows(in_force, date, missing=missing)
    place = f" in {state_name(code)}" if code else ""
    if format_ is OutputFormat.table and not rows:
        what = "without a published MOA" if missing and in_force else "in force"
        typer.echo(f"No 287(g) agreements {what}{place} on {date}.")
        return
    linked = sum(1 for a in in_force if a.moa_url is not None)
    pending = sum(1 for a in in_force if a.moa_url is None and a.moa_pending)
    caption = (f"{linked:,} of {len(in_force):,} agreements in force have an MOA address · "
               f"{pending:,} link pending · {len(in_force) - linked - pending:,} no link")
    title = (f"287(g) agreements without a published MOA on {date}" if missing
             else f"287(g) agreements and their MOAs on {date}") + (f" · {state_name(code)}" if code else "")
    emit(format_, rows, MOA_COLUMNS, lambda: _table(rows, title, caption, missing))

