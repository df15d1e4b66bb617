"""Turn query results into rows (for JSON and CSV) and Rich tables.

Every command builds its rows once; JSON and CSV print the same rows, tables show
them to people. Text from data is made inert here: control characters, escape
sequences and bidi overrides are shown as visible escapes, Rich markup is never
interpreted, and CSV cells that a spreadsheet would run as formulas are defused.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from icestatus.enums import Model, Status

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

    from icestatus.models import Department, Event, Source
    from icestatus.replay import AgreementState

# C0/C1 controls, DEL, bidi embeddings/overrides/isolates, line/paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
TABLE_CELL_MAX = 120


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: str, limit: int | None = None) -> str:
    """*text* with every control or direction-changing character shown as an escape."""
    text = _UNSAFE.sub(_escape, text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


MODEL_SHORT = {Model.task_force: "task force", Model.jail_enforcement: "jail", Model.warrant_service: "warrant"}


def fmt_date(date: Any, not_before: Any = None) -> str:
    if date is None:
        return ""
    if not_before is not None and not_before != date:
        return f"{not_before}..{date}"
    return str(date)


# ---------------------------------------------------------------- rows



AGENCY_COLUMNS = ("department_id", "department", "state", "type", "county")
AGREEMENT_COLUMNS = (
    *AGENCY_COLUMNS, "model", "status", "since", "since_not_before", "approximate", "signed",
    "event", "source", "sources", "moa_url", "moa_pending",
)


def agency_fields(dept: Department) -> dict[str, Any]:
    """The agency columns every row about an agreement starts with (AGENCY_COLUMNS)."""
    return {"department_id": dept.id, "department": dept.name, "state": dept.state,
            "type": dept.type, "county": dept.county}


def agreement_rows(states: Iterable[AgreementState]) -> list[dict[str, Any]]:
    """The JSON/CSV contract of ``list`` and ``as-of``: one object per agreement."""
    return [
        {
            **agency_fields(a.department),
            "model": a.model.value,
            "status": a.status.value,
            "since": a.since.isoformat(),
            "since_not_before": a.since_not_before.isoformat() if a.since_not_before else None,
            "approximate": a.approximate,
            "signed": a.signed.isoformat() if a.signed else None,
            "event": a.event.kind.value,
            "source": a.event.sources[0],
            "sources": list(a.event.sources),
            "moa_url": a.moa_url,
            "moa_pending": a.moa_pending,
        }
        for a in states
    ]


def department_row(dept: Department) -> dict[str, Any]:
    return {
        "id": dept.id, "name": dept.name, "state": dept.state, "type": dept.type,
        "county": dept.county, "aliases": list(dept.aliases),
    }


def source_row(src: Source) -> dict[str, Any]:
    return src.model_dump(mode="json", exclude_none=True)


def event_row(ev: Event, sources: Mapping[str, Source]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "date": ev.date.isoformat(),
        "not_before": ev.not_before.isoformat() if ev.not_before else None,
        "kind": ev.kind.value,
        "model": ev.model.value,
        "source": ev.sources[0],
        "sources": [source_row(sources[s]) for s in ev.sources if s in sources],
        "note": ev.note,
        "signed": ev.signed.isoformat() if ev.signed else None,
        "moa_url": ev.moa_url,
    }
    return row


# ---------------------------------------------------------------- JSON / CSV


def to_json(data: Any) -> str:
    """Stable, readable JSON; characters that could act on a terminal are escaped."""
    text = _fast_json(data) if _json_plain(data) else None
    if text is None:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_JSON_SCALARS = frozenset({str, int, bool, type(None)})


def _json_plain(data: Any) -> bool:
    """Whether *data* holds only str/int/bool/None, lists, tuples and str-keyed dicts:
    the types for which pydantic-core writes the very text ``json.dumps(indent=2,
    ensure_ascii=False)`` does (floats are left out: the two spell some differently)."""
    stack = [data]
    pop, push, scalars = stack.pop, stack.extend, _JSON_SCALARS
    while stack:
        item = pop()
        kind = type(item)
        if kind in scalars:
            continue
        if kind is list or kind is tuple:
            push(item)
        elif kind is dict:
            if not all(type(k) is str for k in item):
                return False
            push(item.values())
        else:
            return False
    return True


def _fast_json(data: Any) -> str | None:
    """pydantic-core's JSON writer: the same text as json's, about 5x faster (json's
    indenting encoder is pure Python: 0.3 s for as-of's 26k rows on 1M events)."""
    from pydantic_core import PydanticSerializationError
    from pydantic_core import to_json as core_to_json

    try:
        return core_to_json(data, indent=2).decode()
    except (PydanticSerializationError, UnicodeError, ValueError):
        return None  # e.g. a lone surrogate: json.dumps says what it says


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    text = str(value)
    if text.startswith(_FORMULA_START):
        text = "'" + text  # a spreadsheet shows it as text instead of running it
    return inert(text)


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])
    return buf.getvalue()


# ---------------------------------------------------------------- tables


def _text(*lines: Any, limit: int | None = TABLE_CELL_MAX) -> Any:
    """A Rich Text of *lines* (each made inert, then joined by newlines); never markup."""
    from rich.text import Text

    return Text("\n".join(inert("" if v is None else str(v), limit) for v in lines if v not in (None, "")))


def model_counts(states: Iterable[AgreementState]) -> str:
    """``"2 task force, 1 jail"`` for a set of agreements."""
    counts = Counter(a.model for a in states)
    return ", ".join(f"{counts[m]} {MODEL_SHORT[m]}" for m in Model if counts[m])


def agreements_footer(states: Sequence[AgreementState]) -> str:
    in_force = [a for a in states if a.status is not Status.pending]
    pending = [a for a in states if a.status is Status.pending]
    agencies = len({a.department.id for a in states})
    parts = [f"{agencies} {'agency' if agencies == 1 else 'agencies'}"]
    parts.append(f"{len(in_force)} in force" + (f" ({model_counts(in_force)})" if in_force else ""))
    paused = sum(1 for a in in_force if a.status is Status.paused)
    if paused:
        parts.append(f"{paused} paused")
    parts.append(f"{len(pending)} pending" + (f" ({model_counts(pending)})" if pending else ""))
    text = " · ".join(parts)
    if any(a.approximate for a in states):
        text += "\n~ date known only to a window (see `icestatus history`)"
    return text


def agreements_table(
    states: Sequence[AgreementState], title: str, sources: Mapping[str, Source], width: int = 80,
    limit: int | None = None,
) -> Table:
    from rich.table import Table

    from rich import box

    # Type and Source only when there is room for them: the agency name comes first
    # in an 80-column terminal, and JSON/CSV always carry every column.
    wide = width >= 110
    footer = agreements_footer(states).split("\n")  # counts every agreement, shown or not
    if limit is not None and limit < len(states):
        footer.append(f"showing the first {limit:,} of {len(states):,} (drop --limit to see all)")
    table = Table(title=_text(title, limit=None), caption=_text(*footer, limit=None),
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
        cells: list[Any] = [_text(a.department.name), a.department.state]
        if wide:
            cells.append(_text(a.department.type or "", limit=20))
        cells += [MODEL_SHORT[a.model], a.status.value, since]
        if wide:
            cells.append(_text(source_label(sources, a.event.sources[0]), limit=40))
        table.add_row(*cells)
    return table


def source_label(sources: Mapping[str, Source], source_id: str) -> str:
    src = sources.get(source_id)
    if src is None:
        return source_id
    if src.kind.value == "ice_sheet":
        return f"ICE sheet {src.published}" + (f" {src.half}" if src.half else "")
    return f"{src.publisher}" + (f" {src.published}" if src.published else "")


def history_view(
    dept: Department, events: Sequence[Event], sources: Mapping[str, Source],
    also: Sequence[Department] = (),
) -> RenderableType:
    from rich.console import Group
    from rich.table import Table

    title = f"{dept.name} ({dept.state}) · {dept.id}"
    details = [x for x in (dept.type, dept.county) if x]
    if details:
        title += " · " + ", ".join(details)
    aliases = "also spelled: " + "; ".join(dept.aliases) if dept.aliases else None
    cited: dict[str, int] = {}
    table = Table(title=_text(title, aliases, limit=None), caption_justify="left")
    table.add_column("Date", no_wrap=True)
    table.add_column("Event", no_wrap=True)
    table.add_column("Model", no_wrap=True)
    table.add_column("Sources", no_wrap=True)
    table.add_column("Note", overflow="fold", ratio=1)
    for ev in events:
        refs = " ".join(f"[{cited.setdefault(s, len(cited) + 1)}]" for s in ev.sources)
        facts = []
        if ev.kind.value == "corrected" and ev.signed:
            facts.append(f"signing date corrected to {ev.signed}")
        elif ev.signed and ev.signed != ev.date:
            facts.append(f"signed {ev.signed} per ICE")
        if ev.moa_url:
            facts.append(f"MOA: {ev.moa_url}")
        elif ev.moa_pending:
            facts.append("MOA: link pending")
        table.add_row(fmt_date(ev.date, ev.not_before), ev.kind.value, MODEL_SHORT[ev.model],
                      _text(refs), _text(ev.note, *facts, limit=2000))
    if not events:
        table.caption = "No events recorded."
    refs_table = Table(show_header=False, box=None, pad_edge=False)
    refs_table.add_column("", no_wrap=True)
    refs_table.add_column("", overflow="fold")
    for sid, n in cited.items():
        src = sources.get(sid)
        if src is None:
            refs_table.add_row(f"[{n}]", _text(sid))
            continue
        line = f"{src.publisher}, {src.published or 'undated'}: {src.title}"
        refs_table.add_row(f"[{n}]", _text(line, src.url, limit=2000))
    parts: list[RenderableType] = [table, refs_table]
    if also:
        parts.append(_text("Also matched: " + "; ".join(f"{d.name} ({d.state}) {d.id}" for d in also), limit=None))
    return Group(*parts)


def empty_message(what: str, place: str, date: object) -> str:
    """``No 287(g) agreements in force in Maine on 2026-11-23.`` (*place*: `` in Maine`` or empty)."""
    return f"No 287(g) agreements {what}{place} on {date}."
