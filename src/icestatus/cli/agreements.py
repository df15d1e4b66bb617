"""``agreements``: one row per agreement (agency x model x term), and ``export``: the
registry as a SQLite database for SQL and Datasette.

``agreements`` runs load -> terms (``icestatus.agreements``) -> their status on a date ->
filter (``cli.options.Filters``, ``query.AgreementFilter``) -> render (``output.rows.term_rows``); ``export`` writes
the same rows, and every record of the registry, with ``output.sqlite``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from icestatus.cli.app import app, echo_basis, open_registry, output_for, say, warn_coverage
from icestatus.cli.options import Filters, FormatOpt, LimitOpt, OnOpt, RegistryOpt, today, with_filters
from icestatus.enums import OutputFormat, TermStatus

if TYPE_CHECKING:
    from rich.console import RenderableType

    from icestatus.agreements import TermOnDate




def _footer(rows: list[TermOnDate], closed: bool, pending_unknown: bool, ever: bool) -> str:
    """The counts under the table: in force, paused, pending (unknown when ICE's pending
    lists do not cover the date), and with *closed* (``--ever``, or ``--status ended`` or
    ``not_started``) those ended and not begun."""
    from icestatus.agreements import status_counts
    from icestatus.enums import Status

    counts = status_counts(rows)
    renewals = sum(1 for r in rows if r.renewal_pending)
    in_force = counts[Status.active] + counts[Status.paused]
    parts = [f"{len(rows):,} agreement{'s' if len(rows) != 1 else ''}", f"{in_force:,} in force"]
    if counts[Status.paused]:
        parts.append(f"{counts[Status.paused]:,} paused")
    pending = f"{counts[Status.pending]:,} pending" + (f" ({renewals:,} a renewal)" if renewals else "")
    if pending_unknown:  # --ever keeps the applications last known; without it, none is shown
        pending = f"{pending} when last known" if ever and counts[Status.pending] else "pending unknown"
    parts.append(pending)
    if closed:
        ended = sum(1 for r in rows if r.status is TermStatus.ended)
        later = sum(1 for r in rows if r.status is TermStatus.not_started)
        parts.append(f"{ended:,} ended")
        if later:
            parts.append(f"{later:,} not started yet")
        unlisted = sum(1 for r in rows if r.status is TermStatus.unlisted)
        if unlisted:
            parts.append(f"{unlisted:,} unlisted that day (listed before and after)")
    text = " · ".join(parts)
    if any(r.term.signed_not_before or (r.term.closing and r.term.closing.not_before) for r in rows):
        text += "\n~ date known only to a window (see `icestatus history`)"
    return text


def _none_found(filters: Filters, date: dt.date, ever: bool, pending_unknown: str | None) -> str:
    """The one-line answer when no agreement matches, naming every filter asked:
    ``No 287(g) Jail Enforcement Model agreements in force in Maine on 2025-07-18 (and
    none pending).``"""
    from icestatus.states import state_name

    models = " or ".join(m.label for m in filters.models)
    subject = f"287(g) {models} agreements" if models else "287(g) agreements"
    place = " in " + " or ".join(state_name(s) for s in filters.states) if filters.states else ""
    narrowed = filters.describe_types_and_counties()
    asked = sorted(filters.status_values)
    if asked == ["pending"] and pending_unknown:
        return f"Pending 287(g) applications{place}{narrowed} on {date} are not known: {pending_unknown}."
    if asked:
        return f"No {subject}{place}{narrowed} with status {' or '.join(asked)} on {date}."
    if ever:
        return f"No {subject}{place}{narrowed} in the registry."
    pending = " (pending unknown)." if pending_unknown else " (and none pending)."
    return f"No {subject} in force{place}{narrowed} on {date}{pending}"


@app.command()
@with_filters(("limit", LimitOpt, None), ("format_", FormatOpt, OutputFormat.table), ("registry", RegistryOpt, None))
def agreements(
    on: OnOpt = None,
    ever: Annotated[bool, typer.Option(
        "--ever", help="Every agreement the registry knows, also those ended or not yet begun on the date.")] = False,
    *,
    filters: Filters,
    limit: int | None = None,
    format_: OutputFormat = OutputFormat.table,
    registry: Path | None = None,
) -> None:
    """One row per agreement (agency, model, term): signed, first and last listed by ICE, ended and how, status on the date.

    An agreement runs from its application (or signing) to its end: withdrawn, terminated or delisted (no longer on ICE's sheets); an agency listed again later with a new signing date has a second term (with the same SIGNED date, it is the same agreement; an application gone from the pending list by its signing date was signed, not withdrawn). Without --ever, the agreements in force or pending at the end of the date (the same ones `as-of` and `stats` count); with --ever, every one, its status on the date `ended`, `not_started` or `unlisted` (between two listings of one agreement) when it was not open; --status ended (or not_started, unlisted) alone gives those. Where ICE's pending lists do not cover the date, pending applications are not known and none is listed. JSON and CSV carry every column (county FIPS, windows, sources).

    Example: icestatus agreements --ever --state ME --format csv
    """  # noqa: E501 (Typer prints a docstring's lines as they are)
    from icestatus import agreements as terms_of
    from icestatus.coverage import Coverage, answer_on
    from icestatus.output.rows import TERM_COLUMNS, term_rows
    from icestatus.output.text import limit_lines, sheet_phrase

    out = output_for(format_)
    date = on or today()
    reg = open_registry(registry)
    flt = filters.resolve(reg, statuses=False)  # statuses by value, below: TermStatus has not_started
    warn_coverage(reg, date)
    answer = answer_on(Coverage.of(reg), date)
    unknown = answer.pending_unknown
    asked = filters.status_values
    closed = ever or bool(asked - {s.value for s in terms_of.OPEN})
    found = flt.keep(terms_of.on_date(reg, terms_of.terms(reg), date, ever=closed))
    if asked:
        found = [r for r in found if r.status.value in asked]
    if unknown and not ever:  # as `list` and `as-of`: applications the data cannot show on the date
        found = [r for r in found if r.status is not TermStatus.pending]
    only_pending = asked == {TermStatus.pending.value}
    basis = answer.pending if only_pending else answer.participating
    if not found:
        if out.table:
            typer.echo(_none_found(filters, date, ever, unknown))
            echo_basis(answer, pending=not only_pending, basis=basis)
            return
        if only_pending and unknown:
            say(f"pending unknown: {unknown}")
    rows = term_rows(found[:limit], answer, {s.id: s for s in reg.sources})
    caption = "\n".join([_footer(found, closed, unknown is not None, ever), *limit_lines(answer.limits())])
    if limit is not None and limit < len(found):
        caption += f"\nshowing the first {limit:,} of {len(found):,} (drop --limit to see all)"
    described = filters.describe()
    where = f" · {described}" if described else ""
    phrase = sheet_phrase(basis)
    title = ((f"287(g) agreements ever recorded, status on {date}" if ever else f"287(g) agreements on {date}")
             + where + (f" · {phrase}" if phrase else ""))

    def view() -> RenderableType:
        from icestatus.output.views import agreement_terms_table

        return agreement_terms_table(rows, title, caption)

    out.emit(rows, TERM_COLUMNS, view)
