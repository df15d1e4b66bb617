"""What an answer rests on: which of ICE's lists cover a date, and what is not known.

ICE publishes snapshots (spreadsheets since 2025, before that a table on its web page),
each replacing the last. A registry records each one it ingested as a source with a
sheet kind (``Source.sheet``: participating or pending) and a publication date; this
module reads them, and only them, into a ``Coverage``: per kind, the dated sheets in
order, the periods they cover and the gaps between them. The one home of the rules:

* **the sheet an answer rests on** for a date is the last sheet of that kind on or
  before it (``last_on_or_before``); before the first one, nothing rests on a sheet:
  only agreements still listed on the first one (from the SIGNED dates it prints) or
  reported by a news source are known;
* **stale**: a date more than ``STALE_AFTER_DAYS`` after the last sheet of the kind
  (changes since are known only where a news source reported them);
* **unknown**: pending applications on a date before the first pending sheet or more
  than ``STALE_AFTER_DAYS`` after the last one are not known (ICE stopped linking its
  pending lists around 2026-03-02), nor on any date in a registry that holds no pending
  sheet at all: ``pending_unknown`` says why, and every command shows such a count as
  unknown (JSON ``null`` and a reason), never as 0;
* **a gap** is a stretch of more than ``GAP_DAYS`` between two sheets of a kind.

A registry with no participating sheet (one built from news reports only) claims
nothing for them: its answers rest on the sources they cite, and ``sources_period_warning``
says when a date lies outside the period its sources cover. Without a pending sheet, the
pending applications known are those other sources report; a registry that records none
cannot count them: unknown, not 0.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise
from operator import attrgetter

from icestatus.enums import EventKind, SheetKind, Status
from icestatus.models import Registry, Source
from icestatus.replay import AgreementState

STALE_AFTER_DAYS = 7
GAP_DAYS = 14
# A gap of more than a year between two of ICE's lists (2017-08-01..2021-01-13: no
# capture of ICE's page survives): the number in force in it is not known, only what the
# list before it showed and what later lists date inside it; ``trend`` draws it as a gap.
LONG_GAP_DAYS = 365

_DATE = attrgetter("date")


@dataclass(frozen=True, slots=True)
class Sheet:
    """One of ICE's publications of one kind: its date and its source id."""

    date: dt.date
    source_id: str


@dataclass(frozen=True, slots=True)
class Period:
    """A run of sheets of one kind with no gap longer than the one asked between them."""

    first: Sheet
    last: Sheet
    sheets: int


@dataclass(frozen=True, slots=True)
class Gap:
    """The days between two consecutive sheets of one kind (*after*, *until*)."""

    after: Sheet
    until: Sheet

    @property
    def days(self) -> int:
        return (self.until.date - self.after.date).days

    def __contains__(self, date: object) -> bool:
        return isinstance(date, dt.date) and self.after.date < date < self.until.date

    @property
    def window(self) -> str:
        """``2017-08-01..2021-01-13``: the gap as the window its changes are known to."""
        return f"{self.after.date}..{self.until.date}"


class Standing(str, Enum):
    """How a kind's sheets cover one date."""

    covered = "covered"            # on or after the first sheet, not stale, in no gap
    gap = "gap"                    # between two sheets more than GAP_DAYS apart
    before_first = "before_first"  # before the first sheet
    stale = "stale"                # more than STALE_AFTER_DAYS after the last sheet
    no_sheets = "no_sheets"        # the registry has no sheet of the kind

    @property
    def inside(self) -> bool:
        """Within the sheets' span (covered, or in a gap between two of them)."""
        return self in (Standing.covered, Standing.gap)


@dataclass(frozen=True, slots=True)
class Basis:
    """What an answer about one kind of list on one date rests on."""

    kind: SheetKind
    date: dt.date
    sheet: Sheet | None       # the last sheet of the kind on or before the date
    first: Sheet | None       # the kind's first and last sheets (None: the registry has none)
    last: Sheet | None
    gap: Gap | None           # the gap longer than GAP_DAYS the date falls in, if any

    @property
    def has_sheets(self) -> bool:
        return self.last is not None

    @property
    def before_first(self) -> bool:
        return self.first is not None and self.date < self.first.date

    @property
    def days_since(self) -> int | None:
        """Days from the sheet the answer rests on to the date asked."""
        return None if self.sheet is None else (self.date - self.sheet.date).days

    @property
    def stale(self) -> bool:
        """The date is more than ``STALE_AFTER_DAYS`` after the kind's last sheet."""
        return self.last is not None and (self.date - self.last.date).days > STALE_AFTER_DAYS

    @property
    def covered(self) -> bool:
        """The kind's sheets cover the date: on or after the first, not stale."""
        return self.has_sheets and not self.before_first and not self.stale

    @property
    def standing(self) -> Standing:
        if not self.has_sheets:
            return Standing.no_sheets
        if self.before_first:
            return Standing.before_first
        if self.stale:
            return Standing.stale
        return Standing.gap if self.gap is not None else Standing.covered

    def limit(self) -> str | None:
        """One sentence on what the answer cannot say on this date (None: nothing)."""
        what = _WHAT[self.kind]
        if self.kind is SheetKind.pending and not self.has_sheets:
            return "this registry holds no pending list of ICE's (and no application from another source)"
        if self.first is not None and self.before_first:
            if self.kind is SheetKind.pending:
                return (f"ICE's first pending list in this registry is of {self.first.date}: applications "
                        "pending before it are not known")
            return (f"{self.date} is before ICE's first {what} in this registry ({self.first.date}): only "
                    f"agreements still listed on it, or reported by a news source, are known")
        if self.last is not None and self.stale:
            days = (self.date - self.last.date).days
            if self.kind is SheetKind.pending:
                return (f"ICE's last pending list in this registry is of {self.last.date}, {days:,} days before "
                        f"{self.date}: applications pending since are not known")
            return (f"ICE's latest {what} in this registry is of {self.last.date}, {days:,} days before "
                    f"{self.date}: changes since then are known only where a news source reported them")
        if self.gap is not None:
            return (f"{self.date} falls in a {self.gap.days:,}-day gap between ICE's {what}s of "
                    f"{self.gap.after.date} and {self.gap.until.date}: changes in it are known only to that "
                    "window")
        return None


_WHAT = {SheetKind.participating: "participating list", SheetKind.pending: "pending list"}


class Coverage:
    """The sheets of each kind a registry holds, in date order (same-day sheets in the
    order they were recorded), and the questions asked of them."""

    __slots__ = ("_sheets", "applications_cited")

    def __init__(self, sheets: Mapping[SheetKind, Iterable[Sheet]], *, applications_cited: bool = False) -> None:
        self._sheets: dict[SheetKind, tuple[Sheet, ...]] = {
            kind: tuple(sorted(found, key=_DATE)) for kind, found in sheets.items()
        }
        # No pending sheet, but applications recorded from other (news) sources: what is
        # known of pending applications rests on the sources those cite.
        self.applications_cited = applications_cited and not self._sheets.get(SheetKind.pending)

    @classmethod
    def of(cls, registry: Registry) -> Coverage:
        """The coverage of *registry*'s sources: every dated source with a sheet kind."""
        found: dict[SheetKind, list[Sheet]] = {kind: [] for kind in SheetKind}
        for src in registry.sources:
            if src.sheet is not None and src.published is not None:
                found[src.sheet].append(Sheet(src.published, src.id))
        cited = not found[SheetKind.pending] and any(e.kind is EventKind.applied for e in registry.events)
        return cls(found, applications_cited=cited)

    def sheets(self, kind: SheetKind) -> tuple[Sheet, ...]:
        return self._sheets.get(kind, ())

    def first(self, kind: SheetKind) -> Sheet | None:
        sheets = self.sheets(kind)
        return sheets[0] if sheets else None

    def last(self, kind: SheetKind) -> Sheet | None:
        sheets = self.sheets(kind)
        return sheets[-1] if sheets else None

    def last_on_or_before(self, kind: SheetKind, date: dt.date) -> Sheet | None:
        sheets = self.sheets(kind)
        i = bisect_right(sheets, date, key=_DATE)
        return sheets[i - 1] if i else None

    def first_after(self, kind: SheetKind, date: dt.date) -> Sheet | None:
        sheets = self.sheets(kind)
        i = bisect_right(sheets, date, key=_DATE)
        return sheets[i] if i < len(sheets) else None

    def gaps(self, kind: SheetKind, longer_than: int = GAP_DAYS) -> list[Gap]:
        """The stretches of more than *longer_than* days between two consecutive sheets."""
        sheets = self.sheets(kind)
        return [Gap(a, b) for a, b in pairwise(sheets) if (b.date - a.date).days > longer_than]

    def periods(self, kind: SheetKind, max_gap_days: int = GAP_DAYS) -> list[Period]:
        """The runs of sheets separated by the gaps longer than *max_gap_days*."""
        sheets = self.sheets(kind)
        out: list[Period] = []
        start = 0
        for i in range(1, len(sheets) + 1):
            if i == len(sheets) or (sheets[i].date - sheets[i - 1].date).days > max_gap_days:
                out.append(Period(sheets[start], sheets[i - 1], i - start))
                start = i
        return out

    def gap_containing(self, kind: SheetKind, date: dt.date, longer_than: int = GAP_DAYS) -> Gap | None:
        """The gap of more than *longer_than* days strictly between two sheets that *date* falls in."""
        before, after = self.last_on_or_before(kind, date), self.first_after(kind, date)
        if before is None or after is None or before.date == date:
            return None
        gap = Gap(before, after)
        return gap if gap.days > longer_than else None

    def basis(self, kind: SheetKind, date: dt.date) -> Basis:
        return Basis(kind, date, self.last_on_or_before(kind, date), self.first(kind), self.last(kind),
                     self.gap_containing(kind, date))

    def span(self) -> tuple[dt.date, dt.date] | None:
        """The first and last date of any sheet (None: the registry has none)."""
        dates = [s.date for kind in SheetKind for s in self.sheets(kind)]
        return (min(dates), max(dates)) if dates else None


def sources_period_warning(registry: Registry, date: dt.date) -> str | None:
    """For a registry without ICE sheets: one line when *date* lies outside the period
    its dated sources cover (None when inside, or when nothing is dated)."""
    dated = [s.published for s in registry.sources if s.published is not None]
    if not dated:
        return None
    first, last = min(dated), max(dated)
    if date < first or date > last:
        return f"{date} is outside the period this registry's sources cover ({first} to {last})"
    return None


def coverage_warning(registry: Registry, date: dt.date, coverage: Coverage | None = None) -> str | None:
    """One line when *date* lies outside (or in a gap of) ICE's participating lists in
    the registry; for a registry without them, outside the period its sources cover."""
    cov = coverage or Coverage.of(registry)
    basis = cov.basis(SheetKind.participating, date)
    if not basis.has_sheets:
        return sources_period_warning(registry, date)
    return basis.limit()


def coverage_warnings(registry: Registry, *dates: dt.date) -> list[str]:
    """``coverage_warning`` of each date, one per kind of limit (two dates both before
    the first sheet, or both after the last, give one line: the first date's)."""
    cov = Coverage.of(registry)
    said: dict[tuple[bool, bool, Gap | None], str] = {}
    for d in dates:
        basis = cov.basis(SheetKind.participating, d)
        message = coverage_warning(registry, d, cov)
        if message:
            said.setdefault((basis.before_first, basis.stale, basis.gap), message)
    return list(said.values())


# ---------------------------------------------------------------- what one answer rests on


@dataclass(frozen=True, slots=True)
class Answer:
    """What an answer about the agreements on one date rests on: the participating and
    pending sheets of that date, and why pending applications are not known (if so)."""

    date: dt.date
    participating: Basis
    pending: Basis
    applications_cited: bool = False  # no pending sheet: applications rest on the sources cited

    @property
    def pending_unknown(self) -> str | None:
        """Why the applications pending on the date are not known (None: they are): no
        pending sheet covers the date, or the registry holds none and records no
        application from another source either (then none can be counted, not even 0)."""
        p = self.pending
        return None if p.covered or (self.applications_cited and not p.has_sheets) else p.limit()

    def basis(self, status: Status) -> Basis:
        return self.pending if status is Status.pending else self.participating

    def limits(self, *, pending: bool = True) -> list[str]:
        """What the answer cannot say, one sentence each: the participating lists' limit,
        then (with *pending*) why pending applications are not known."""
        out = [x for x in (self.participating.limit(),) if x]
        unknown = self.pending_unknown
        if pending and unknown:
            out.append(f"pending unknown: {unknown}")
        return out

    def known(self, states: Iterable[AgreementState]) -> list[AgreementState]:
        """*states* without the pending applications when those are not known."""
        if self.pending_unknown is None:
            return list(states)
        return [a for a in states if a.status is not Status.pending]

    def listed_on(
        self, agreement: AgreementState, sources: Mapping[str, Source]
    ) -> tuple[dt.date | None, dt.date | None]:
        """(listed_on, known_from) of one agreement: the date of the sheet its status rests
        on (the last of its kind on or before the date), or, when every source of the
        event behind its status was published after the date (an agreement known only
        from a later sheet's SIGNED date), None and the earliest of those dates."""
        dates = [src.published for sid in agreement.event.sources if (src := sources.get(sid)) is not None]
        if dates and all(d is not None for d in dates):
            earliest = min(d for d in dates if d is not None)
            if earliest > self.date:
                return None, earliest
        sheet = self.basis(agreement.status).sheet
        return (sheet.date if sheet is not None else None), None


def answer_on(coverage: Coverage, date: dt.date) -> Answer:
    return Answer(date, coverage.basis(SheetKind.participating, date), coverage.basis(SheetKind.pending, date),
                  coverage.applications_cited)


def bounded_to_sheet(coverage: Coverage, date: dt.date) -> dt.date | None:
    """The date a measure on *date* (days waiting for an MOA, say) is counted to: the
    last participating sheet on or before it, the last that can support it; None before
    the first (no sheet supports it: the measure is unknown), *date* itself for a
    registry without participating sheets (its measures rest on the sources cited)."""
    if coverage.first(SheetKind.participating) is None:
        return date
    sheet = coverage.last_on_or_before(SheetKind.participating, date)
    return sheet.date if sheet is not None else None


__all__ = [
    "GAP_DAYS", "LONG_GAP_DAYS", "STALE_AFTER_DAYS", "Answer", "Basis", "Coverage", "Gap", "Period", "Sheet",
    "Standing", "answer_on",
    "bounded_to_sheet", "coverage_warning", "coverage_warnings", "sources_period_warning",
]
