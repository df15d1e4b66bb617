"""Text from data, made inert, and the few words and dates every view shares.

Control characters, escape sequences and bidi overrides are shown as visible escapes, so
that a name in a registry can never act on a terminal; nothing here imports Rich.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from icestatus.enums import MODEL_SHORT_NAMES

if TYPE_CHECKING:
    from icestatus.coverage import Basis
    from icestatus.query import Standing

# C0/C1 controls, DEL, bidi embeddings/overrides/isolates, line/paragraph separators.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
TABLE_CELL_MAX = 120



def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: str, limit: int | None = None) -> str:
    """*text* with every control or direction-changing character shown as an escape."""
    text = UNSAFE.sub(_escape, text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def fmt_date(date: Any, not_before: Any = None) -> str:
    """``2025-05-20``, or ``2025-05-16..2025-05-20`` for a date known only to a window."""
    if date is None:
        return ""
    if not_before is not None and not_before != date:
        return f"{not_before}..{date}"
    return str(date)


def empty_message(what: str, place: str, date: object) -> str:
    """``No 287(g) agreements in force in Maine on 2026-11-23.`` (*place*: `` in Maine`` or empty)."""
    return f"No 287(g) agreements {what}{place} on {date}."


def standing_text(st: Standing, *, short: bool = False) -> str:
    """Where an agency stands: ``active: task force since 2025-04-02, jail since
    ~2025-03-06``; ``ended: task force terminated 2025-10-21``; ``no 287(g) agreement or
    application yet``. *short*: ``active (task force, jail)``, ``ended 2025-10-21``."""
    groups: dict[str, list[str]] = {}
    for a in st.agreements:
        status = a.status.value
        if short:
            part = str(a.since) if status == "ended" else MODEL_SHORT_NAMES[a.model]
        elif status == "ended":
            part = f"{MODEL_SHORT_NAMES[a.model]} {a.event.kind.value} {fmt_date(a.since, a.since_not_before)}"
        else:
            part = f"{MODEL_SHORT_NAMES[a.model]} since {'~' if a.approximate else ''}{a.since}"
        groups.setdefault(status, []).append(part)
    if short:
        if set(groups) == {"ended"}:
            return f"ended {max(groups['ended'])}"
        groups.pop("ended", None)
        return "; ".join(f"{k} ({', '.join(v)})" for k, v in groups.items()) or "none"
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in groups.items()) or "no 287(g) agreement or application yet"


def standing_line(st: Standing, data_date: object) -> str:
    """``history``'s first line: ``Wells Police Department (ME) on 2026-05-20: ended: task
    force terminated 2025-10-21 (registry data through 2026-05-18)``."""
    through = f" (registry data through {data_date})" if data_date else ""
    return f"{st.department.name} ({st.department.state}) on {st.date}: {standing_text(st)}{through}"


def _days(n: int) -> str:
    return f"{n:,} day{'' if n == 1 else 's'}"


def sheet_phrase(basis: Basis) -> str | None:
    """What an answer on ``basis.date`` rests on, for a title: ``ICE's latest list:
    2026-05-18, 198 days earlier``; None for a registry without ICE sheets of that kind."""
    sheet, last = basis.sheet, basis.last
    if last is None:
        return None
    if sheet is None:
        first = basis.first or last
        return f"ICE's first list: {first.date}, {_days((first.date - basis.date).days)} later"
    if sheet.date == basis.date:
        return "ICE's latest list, of that day" if sheet == last else "ICE's list of that day"
    which = "latest list" if sheet == last else "list"
    return f"ICE's {which}: {sheet.date}, {_days((basis.date - sheet.date).days)} earlier"


def limit_lines(limits: Sequence[str]) -> list[str]:
    """What an answer cannot say (``coverage.Answer.limits``), as footer lines: each a sentence."""
    return [f"{x[0].upper()}{x[1:]}." for x in limits]


def _rests_on(basis: Basis) -> str | None:
    sheet, last = basis.sheet, basis.last
    if last is None:
        return None
    if sheet is None:
        first = basis.first or last
        return f"nothing before ICE's first list ({first.date})"
    if sheet == last and basis.date > sheet.date:
        return f"ICE's latest list, of {sheet.date} ({_days((basis.date - sheet.date).days)} before {basis.date})"
    return f"ICE's list of {sheet.date}"


def span_phrase(start: Basis, end: Basis) -> str | None:
    """What a comparison of two dates rests on: ``Rests on ICE's list of 2025-07-18 and
    ICE's latest list, of 2026-05-18 (197 days before 2026-12-01)``."""
    if start.sheet is not None and start.sheet == end.sheet:
        latest = "latest list, " if start.sheet == start.last and end.date > start.sheet.date else "list "
        return f"Both dates rest on ICE's {latest}of {start.sheet.date}"
    parts = [x for x in dict.fromkeys((_rests_on(start), _rests_on(end))) if x]
    return "Rests on " + " and ".join(parts) if parts else None
