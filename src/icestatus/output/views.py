"""The Rich views of the query, ingest and moa commands: what people read in a terminal.

Every cell is built by ``cell`` (text made inert, never Rich markup); the width of the
terminal is passed in, never looked up. The report commands' views are in
``views_reports``. Imported only when a table is printed: JSON and CSV never load Rich.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from icestatus.enums import MODEL_SHORT_NAMES, Model, Status
from icestatus.output.text import TABLE_CELL_MAX, fmt_date, inert, limit_lines

if TYPE_CHECKING:
    from icestatus.coverage import Answer
    from icestatus.models import Department, Event, Source
    from icestatus.replay import AgreementState


def cell(*lines: Any, limit: int | None = TABLE_CELL_MAX) -> Text:
    """A Rich Text of *lines* (each made inert, then joined by newlines); never markup."""
    return Text("\n".join(inert("" if v is None else str(v), limit) for v in lines if v not in (None, "")))


def source_refs() -> tuple[dict[str, int], Callable[[Sequence[str]], str]]:
    """A numbering of cited sources ([1], [2], ...) and a function that cites some."""
    cited: dict[str, int] = {}

    def cite(source_ids: Sequence[str]) -> str:
        return " ".join(f"[{cited.setdefault(s, len(cited) + 1)}]" for s in source_ids)

    return cited, cite


def references(cited: Mapping[str, int], sources: Mapping[str, Source]) -> Table:
    """The list under a table: ``[1] ICE, 2025-07-18 pm: Participating agencies (id)``."""
    refs = Table(show_header=False, box=None, pad_edge=False)
    refs.add_column("", no_wrap=True)
    refs.add_column("", overflow="fold")
    for sid, n in cited.items():
        src = sources.get(sid)
        line = sid if src is None else f"{src.publisher}, {src.published or 'undated'}: {src.title} ({sid})"
        refs.add_row(f"[{n}]", cell(line, limit=2000))
    return refs


def more_line(shown: int, total: int, what: str) -> str | None:
    """``showing the first 10 of 50 changes (drop --limit to see all)``, when some are not shown."""
    if shown >= total:
        return None
    return f"showing the first {shown:,} of {total:,} {what} (drop --limit to see all)"


# ---------------------------------------------------------------- list, as-of


def model_counts(states: Iterable[AgreementState]) -> str:
    """``"2 task force, 1 jail"`` for a set of agreements."""
    counts = Counter(a.model for a in states)
    return ", ".join(f"{counts[m]:,} {MODEL_SHORT_NAMES[m]}" for m in Model if counts[m])


def agreements_footer(states: Sequence[AgreementState], answer: Answer | None = None) -> str:
    """The counts under ``list``/``as-of``, then what the answer cannot say (*answer*'s
    limits: a date after ICE's latest list, before its first; pending not known)."""
    in_force = [a for a in states if a.status in (Status.active, Status.paused)]
    pending = [a for a in states if a.status is Status.pending]
    ended = [a for a in states if a.status is Status.ended]
    agencies = len({a.department.id for a in states})
    parts = [f"{agencies:,} {'agency' if agencies == 1 else 'agencies'}"]
    if in_force or not ended:
        parts.append(f"{len(in_force):,} in force" + (f" ({model_counts(in_force)})" if in_force else ""))
    paused = sum(1 for a in in_force if a.status is Status.paused)
    if paused:
        parts.append(f"{paused:,} paused")
    if pending or not ended:
        if answer is not None and answer.pending_unknown:
            parts.append("pending unknown")
        else:
            parts.append(f"{len(pending):,} pending" + (f" ({model_counts(pending)})" if pending else ""))
    if ended:
        parts.append(f"{len(ended):,} ended ({model_counts(ended)})")
    lines = [" · ".join(parts)]
    if any(a.approximate for a in states):
        lines.append("~ date known only to a window (see `icestatus history`)")
    if answer is not None:
        lines += limit_lines(answer.limits(pending=not ended or bool(pending or in_force)))
    return "\n".join(lines)


def source_label(sources: Mapping[str, Source], source_id: str) -> str:
    src = sources.get(source_id)
    if src is None:
        return source_id
    if src.kind.value == "ice_sheet":
        return f"ICE sheet {src.published}" + (f" {src.half}" if src.half else "")
    if src.kind.value == "ice_page":
        return f"ICE page {src.id}"  # the capture: wayback-<its time>
    return f"{src.publisher}" + (f" {src.published}" if src.published else "")


def agreements_table(
    states: Sequence[AgreementState], title: str, sources: Mapping[str, Source], width: int = 80,
    limit: int | None = None, answer: Answer | None = None,
) -> Table:
    # Type and Source only when there is room for them: the agency name comes first
    # in an 80-column terminal, and JSON/CSV always carry every column.
    wide = width >= 110
    footer = agreements_footer(states, answer).split("\n")  # counts every agreement, shown or not
    if limit is not None and limit < len(states):
        footer.append(f"showing the first {limit:,} of {len(states):,} (drop --limit to see all)")
    table = Table(title=cell(title, limit=None), caption=cell(*footer, limit=None),
                  caption_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Agency", ratio=1, overflow="fold", min_width=20)
    table.add_column("St", no_wrap=True)
    if wide:
        table.add_column("Type", no_wrap=True)
    table.add_column("Model", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Since", no_wrap=True)
    if wide:
        table.add_column("Source", no_wrap=True)
    for a in states[:limit]:
        since = ("~" if a.approximate else "") + a.since.isoformat()
        cells: list[Any] = [cell(a.department.name), a.department.state]
        if wide:
            cells.append(cell(a.department.type or "", limit=20))
        # An ended agreement says how it ended: terminated, delisted, withdrawn.
        status = a.event.kind.value if a.status is Status.ended else a.status.value
        cells += [MODEL_SHORT_NAMES[a.model], status, since]
        if wide:
            cells.append(cell(source_label(sources, a.event.sources[0]), limit=40))
        table.add_row(*cells)
    return table


# ---------------------------------------------------------------- history


def history_view(
    dept: Department, events: Sequence[Event], sources: Mapping[str, Source],
    also: Sequence[Department] = (),
) -> RenderableType:
    from icestatus.query import agency_type, county_key

    title = f"{dept.name} ({dept.state}) · {dept.id}"
    # ICE's placeholders (#NA, N/A) are no type or county
    details = [x for x in (agency_type(dept.type), dept.county if county_key(dept.county) else None) if x]
    if details:
        title += " · " + ", ".join(details)
    aliases = "also spelled: " + "; ".join(dept.aliases) if dept.aliases else None
    cited, cite = source_refs()
    table = Table(title=cell(title, aliases, limit=None), caption_justify="left")
    table.add_column("Date", no_wrap=True)
    table.add_column("Event", no_wrap=True)
    table.add_column("Model", no_wrap=True)
    table.add_column("Sources", no_wrap=True)
    table.add_column("Note", overflow="fold", ratio=1)
    for ev in events:
        facts = []
        if ev.kind.value == "corrected" and ev.signed:
            facts.append(f"signing date corrected to {ev.signed}")
        elif ev.signed and ev.signed != ev.date:
            facts.append(f"signed {ev.signed} per ICE")
        if ev.moa_url:
            facts.append(f"MOA: {ev.moa_url}")
        elif ev.moa_pending:
            facts.append("MOA: link pending")
        table.add_row(fmt_date(ev.date, ev.not_before), ev.kind.value, MODEL_SHORT_NAMES[ev.model],
                      cell(cite(ev.sources)), cell(ev.note, *facts, limit=2000))
    if not events:
        table.caption = "No events recorded."
    refs_table = Table(show_header=False, box=None, pad_edge=False)
    refs_table.add_column("", no_wrap=True)
    refs_table.add_column("", overflow="fold")
    for sid, n in cited.items():
        src = sources.get(sid)
        if src is None:
            refs_table.add_row(f"[{n}]", cell(sid))
            continue
        line = f"{src.publisher}, {src.published or 'undated'}: {src.title}"
        refs_table.add_row(f"[{n}]", cell(line, src.url, limit=2000))
    parts: list[RenderableType] = [table, refs_table]
    if also:
        parts.append(cell("Also matched: " + "; ".join(f"{d.name} ({d.state}) {d.id}" for d in also), limit=None))
    return Group(*parts)


# ---------------------------------------------------------------- search


SEARCH_MIN_COLUMN = 12  # search_table: the least width worth giving County or Status


def search_table(
    rows: Sequence[Mapping[str, Any]], statuses: Sequence[str], title: str, caption: Sequence[str], width: int
) -> Table:
    """``search``'s matches (``output.rows.search_rows``), best first, with where each
    stands in a few words (*statuses*); *caption*: its lines.

    Nothing is cropped and ids stay whole (to copy into ``history``): the Agency column is
    as wide as the longest id, the other columns wrap by words, and when *width* leaves
    too little for both County and Status, County moves into the Agency cell (when the
    name does not already say it), and so does Status in a very narrow terminal."""
    wide = width >= 110
    id_width = max((len(str(r["department_id"])) for r in rows), default=12)
    ncols = 5 if wide else 4
    left = width - (3 * ncols + 1) - id_width - 2 - (20 if wide else 0)  # after padding, the id and St
    county_column = left >= 2 * SEARCH_MIN_COLUMN
    if not county_column:
        ncols -= 1
        left += 3
    status_column = left >= SEARCH_MIN_COLUMN  # else under the name too (a very narrow terminal)
    longest = max((max(len(r["department"]), 0 if r["matched"] == r["department"] else len(r["matched"]) + 5)
                   for r in rows), default=0)  # the name, and "(as ...)" the spelling that matched
    # A fixed width, which Rich never narrows: the id whole, the name wrapped in it if need be.
    agency_width = max(id_width, min(longest, id_width + left - SEARCH_MIN_COLUMN * (county_column + status_column)))
    table = Table(title=cell(title, limit=None), caption=cell(*caption, limit=None), caption_justify="left",
                  box=box.SIMPLE_HEAD)
    table.add_column("Agency · id", overflow="fold", width=agency_width)
    table.add_column("St", no_wrap=True)
    if wide:
        table.add_column("Type", no_wrap=True)
    if county_column:
        table.add_column("County", overflow="fold")
    if status_column:
        table.add_column("Status", overflow="fold")
    for r, status in zip(rows, statuses, strict=True):
        spelled = None if r["matched"] == r["department"] else f"(as {r['matched']})"
        county = r["county"]
        in_name = county_column or not county or str(county).casefold() in str(r["department"]).casefold()
        name = cell(r["department"], spelled, None if in_name else county, None if status_column else status,
                    r["department_id"], limit=None)
        cells: list[Any] = [name, r["state"]]
        if wide:
            cells.append(cell(r["type"], limit=20))
        if county_column:
            cells.append(cell(county))
        if status_column:
            cells.append(cell(status))
        table.add_row(*cells, end_section=True)
    return table


# ---------------------------------------------------------------- ingest --dry-run


def events_table(rows: Sequence[Mapping[str, Any]], title: str) -> Table:
    """The events an ingest would add (``output.rows.ingest_rows``)."""
    table = Table(title=cell(title, limit=None), box=box.SIMPLE_HEAD)
    table.add_column("Date", no_wrap=True)
    table.add_column("Event", no_wrap=True)
    table.add_column("Agency", ratio=1, overflow="fold", min_width=20)
    table.add_column("St", no_wrap=True)
    table.add_column("Model", no_wrap=True)
    table.add_column("Details", ratio=1, overflow="fold")
    for row in rows:
        details = []
        if row["signed"]:
            details.append(f"ICE SIGNED {row['signed']}")
        if row["moa_url"]:
            details.append(f"MOA {row['moa_url']}")
        elif row["moa_pending"]:
            details.append("MOA link pending")
        table.add_row(
            fmt_date(row["date"], row["not_before"]),
            row["kind"] if row["action"] == "add" else f"{row['kind']} (removed)",
            Text(inert(row["department"])), row["state"],
            MODEL_SHORT_NAMES[Model(row["model"])], Text(inert("; ".join(details))),
        )
    return table


# ---------------------------------------------------------------- moa


def agency_model_table(title: str, caption: str, agency_width: int = 20) -> Table:
    """A table of agreements with its title and caption (lines), and its first columns:
    Agency, St (state), Model."""
    table = Table(title=cell(title, limit=None), caption=cell(*caption.split("\n"), limit=None),
                  caption_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Agency", ratio=1, overflow="fold", min_width=agency_width)
    table.add_column("St", no_wrap=True)
    table.add_column("Model", no_wrap=True)
    return table


def moa_table(rows: Sequence[Mapping[str, Any]], title: str, caption: str, missing: bool) -> Table:
    """Agreements with their MOA address (``output.rows.moa_rows``), or how long each has
    waited for one (*missing*)."""
    table = agency_model_table(title, caption)
    table.add_column("Signed", no_wrap=True)
    if missing:
        table.add_column("MOA", no_wrap=True)
        table.add_column("Days", justify="right", no_wrap=True)
    else:
        table.add_column("MOA", ratio=1, overflow="fold")
    for r in rows:
        model = MODEL_SHORT_NAMES[Model(r["model"])]
        cells: list[Any] = [Text(inert(r["department"])), r["state"], model, r["signed"] or ""]
        if missing:
            cells += ["link pending" if r["moa_pending"] else "no link",
                      "" if r["days_without_moa"] is None else str(r["days_without_moa"])]
        else:
            cells.append(Text(inert(r["moa_url"] or ("link pending" if r["moa_pending"] else "no link"))))
        table.add_row(*cells)
    return table


# ---------------------------------------------------------------- agreements


def _approx(date: str | None, not_before: str | None) -> str:
    """``2025-05-20``, or ``~2025-05-20`` for a date known only to a window."""
    if date is None:
        return ""
    return ("~" if not_before is not None and not_before != date else "") + date


def agreement_terms_table(rows: Sequence[Mapping[str, Any]], title: str, caption: str) -> Table:
    """One line per agreement term (``output.rows.term_rows``): signed, listed, ended."""
    table = agency_model_table(title, caption, agency_width=18)
    table.add_column("Status", no_wrap=True)
    table.add_column("Signed", no_wrap=True)
    table.add_column("Ended", no_wrap=True)
    for r in rows:
        status = r["status"].replace("_", " ") + (" +renewal" if r["renewal_pending"] else "")
        # On the date asked, what had not happened yet is labelled "later:" (the status says where it stood).
        not_yet = r["status"] in ("pending", "not_started")
        if r["signed"] and not (not_yet and r["applied"]):
            later = "later: " if r["status"] == "not_started" else ""
            signed = [later + _approx(r["signed"], r["signed_not_before"])]
        elif r["signed"]:  # an application on the date, signed later
            signed = ["applied", _approx(r["applied"], r["applied_not_before"]),
                      f"later: {_approx(r['signed'], r['signed_not_before'])}"]
        else:  # an application: when it was filed
            signed = ["applied", _approx(r["applied"], r["applied_not_before"])]
        ended = []
        if r["ended"]:
            later = "" if r["status"] == "ended" else "later: "
            ended = [f"{later}{r['ended_how']}", _approx(r["ended"], r["ended_not_before"])]
        table.add_row(cell(r["department"]), r["state"], MODEL_SHORT_NAMES[Model(r["model"])], status,
                      cell(*signed), cell(*ended))
    return table
