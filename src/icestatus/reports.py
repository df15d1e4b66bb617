"""Reports over a registry: what changed between two dates, how many agreements and where,
how the program grew, which policies hold, and who says so.

Pure and typed like the rest of the core (no typer, no rich, no printing). Every report
is defined by replay's rules (``replay.fold``), never by a second reading of the events:

* ``diff`` compares the registry replayed to FROM with the registry replayed to TO, in
  one pass (the fold to FROM is snapshotted, then continued over the events of
  (FROM, TO]), and names, for each agreement or application that differs, the event of
  (FROM, TO] behind the difference. It is a *net* comparison: an agreement that started
  and ended inside the window is in neither replay and is not listed, just as it is on
  neither of two ICE sheets published at FROM and TO.
* ``trend`` folds the date-sorted log once, slice by slice between the points asked,
  reading the counts after each slice (not one replay per point).
* ``stats`` and ``states`` count the replay at one date; ``moa_report`` lists the
  agreements in force with (or without) the address of their signed MOA.

The rows and columns each command prints for these are ``icestatus.output.rows``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from itertools import pairwise
from operator import attrgetter
from typing import Any

from icestatus.coverage import GAP_DAYS, Answer, Coverage, Gap, Sheet, Standing, answer_on
from icestatus.enums import EventKind, Every, Model, SheetKind, StatsBy, Status
from icestatus.errors import UsageError
from icestatus.models import Department, Event, Policy, Registry, Source
from icestatus.replay import AgreementKey, AgreementState, Projection, fold

_DATE = attrgetter("date")
_MODEL_ORDER = {m: i for i, m in enumerate(Model)}


def check_source(registry: Registry, source_id: str | None) -> None:
    """UsageError when *source_id* is given and names no source of the registry."""
    if source_id is not None and all(s.id != source_id for s in registry.sources):
        raise UsageError(f"unknown source {source_id!r}; see `icestatus sources` for the ids")


# ---------------------------------------------------------------- diff


class ChangeKind(str, Enum):
    """How one agreement or application differs between two dates (the table's groups, in order)."""

    started = "started"        # in force at TO, not at FROM (signed)
    ended = "ended"            # in force at FROM, not at TO (terminated or delisted)
    paused = "paused"          # active at FROM, paused at TO
    resumed = "resumed"        # paused at FROM, active at TO
    renewed = "renewed"        # in force at both; a new signing changed the signing date
    corrected = "corrected"    # in force at both; the signing date was corrected
    moa_linked = "moa_linked"  # in force at both; the MOA address became known or changed
    applied = "applied"        # pending at TO, not at FROM
    withdrawn = "withdrawn"    # pending at FROM, withdrawn by TO (not signed)
    transient = "transient"    # the same at FROM and TO, but changed in between (diff --all)


CHANGE_TITLES: dict[ChangeKind, str] = {
    ChangeKind.started: "Started (signed)",
    ChangeKind.ended: "Ended (terminated or delisted)",
    ChangeKind.paused: "Paused",
    ChangeKind.resumed: "Resumed",
    ChangeKind.renewed: "Renewed (new signing date)",
    ChangeKind.corrected: "Signing date corrected",
    ChangeKind.moa_linked: "MOA linked",
    ChangeKind.applied: "Applied (now pending)",
    ChangeKind.withdrawn: "Application withdrawn",
    ChangeKind.transient: "Changed and changed back in between",
}
_CHANGE_ORDER = {k: i for i, k in enumerate(ChangeKind)}


@dataclass(frozen=True, slots=True)
class Change:
    """One agreement (or application) that differs between FROM and TO, and the event
    of (FROM, TO] behind the difference. *before*/*after*: the signing dates (started,
    ended, renewed, corrected), statuses (paused, resumed) or MOA addresses (moa_linked);
    for a transient change, *before* lists the events that took effect in between."""

    kind: ChangeKind
    department: Department
    model: Model
    event: Event
    before: str | None = None
    after: str | None = None

    @property
    def approximate(self) -> bool:
        return self.event.not_before is not None and self.event.not_before != self.event.date


@dataclass(frozen=True, slots=True)
class _Snapshot:
    status: Status
    signed: dt.date
    moa_url: str | None


def check_span(start: dt.date, end: dt.date) -> None:
    """UsageError unless *start* is on or before *end* (a command checks it before it
    loads or warns about anything)."""
    if end < start:
        raise UsageError(f"FROM {start} is after TO {end}: give the earlier date first")


def diff(
    registry: Registry,
    start: dt.date,
    end: dt.date,
    *,
    state: str | None = None,
    models: Iterable[Model] = (),
    types: Iterable[str] = (),
    source: str | None = None,
    transient: bool = False,
) -> list[Change]:
    """Agreements and applications that differ between the end of *start* and the end of
    *end*, grouped by ``ChangeKind`` (in its order), then by date, state, agency, model.

    *transient*: also those that are the same at both ends but changed in between (an
    agreement signed and terminated inside the period), as ``ChangeKind.transient``.

    Filters keep changes of one state (USPS code), of these models, of these agency types
    (as ICE prints them, case-insensitive), or whose event cites *source*.
    """
    check_span(start, end)
    check_source(registry, source)
    events = registry.events
    projection = fold(events, start)
    before = {k: _Snapshot(a.status, a.signed, a.moa_url) for k, a in projection.agreements.items()}
    pending_before = set(projection.applications)
    lo = bisect_right(events, start, key=_DATE)
    hi = bisect_right(events, end, key=_DATE)
    window = events[lo:hi]
    ignored: set[int] = set()  # events replay ignores (they took no effect)
    agreements, applications = fold(window, into=projection,
                                    rejected=lambda ev, _why: ignored.add(id(ev)))

    touched: dict[AgreementKey, list[Event]] = defaultdict(list)
    for ev in window:
        touched[(ev.department_id, ev.model)].append(ev)

    def last(evs: list[Event], *kinds: EventKind) -> Event | None:
        return next((e for e in reversed(evs) if e.kind in kinds), None)

    departments = {d.id: d for d in registry.departments}
    changes: list[Change] = []

    def add(kind: ChangeKind, key: AgreementKey, ev: Event | None, b: Any = None, a: Any = None) -> None:
        if ev is None:  # cannot happen with replay's rules; never invent an event
            return
        changes.append(Change(kind, departments[key[0]], key[1], ev,
                              None if b is None else str(b), None if a is None else str(a)))

    for key, evs in touched.items():
        found = len(changes)
        was, now = before.get(key), agreements.get(key)
        if was is None and now is not None:
            add(ChangeKind.started, key, last(evs, EventKind.signed), None, now.signed)
        elif was is not None and now is None:
            add(ChangeKind.ended, key, last(evs, EventKind.terminated, EventKind.delisted), was.signed, None)
        elif was is not None and now is not None:
            if was.status is not now.status:
                kind = ChangeKind.paused if now.status is Status.paused else ChangeKind.resumed
                add(kind, key, now.event, was.status.value, now.status.value)
            if was.signed != now.signed:
                setter = last(evs, EventKind.signed, EventKind.corrected)
                renewed = setter is not None and setter.kind is EventKind.signed
                kind = ChangeKind.renewed if renewed else ChangeKind.corrected
                add(kind, key, setter, was.signed, now.signed)
            if was.moa_url != now.moa_url and now.moa_url is not None:
                setter = next((e for e in reversed(evs) if e.moa_url == now.moa_url
                               and e.kind in (EventKind.moa_linked, EventKind.signed)), None)
                add(ChangeKind.moa_linked, key, setter, was.moa_url, now.moa_url)
        pending_now = key in applications
        if pending_now and key not in pending_before:
            add(ChangeKind.applied, key, applications[key])
        elif key in pending_before and not pending_now:
            closer = last(evs, EventKind.withdrawn, EventKind.signed)
            if closer is not None and closer.kind is EventKind.withdrawn:
                add(ChangeKind.withdrawn, key, closer)
            # closed by a signing: the agreement's own row (started, renewed) says so
        if transient and len(changes) == found:
            took_effect = [e for e in evs if id(e) not in ignored]
            if took_effect:
                kinds = [e.kind.value for e in took_effect]
                shown = " → ".join(kinds if len(kinds) <= 6 else [*kinds[:2], "…", *kinds[-3:]])
                add(ChangeKind.transient, key, took_effect[-1], shown, None)

    model_set = set(models)
    from icestatus.query import agency_type  # "Counties", "county" and ICE's "Muncipality" alike

    type_set = {agency_type(t) for t in types}
    changes = [
        c for c in changes
        if (state is None or c.department.state == state)
        and (not model_set or c.model in model_set)
        and (not type_set or agency_type(c.department.type) in type_set)
        and (source is None or source in c.event.sources)
    ]
    changes.sort(key=lambda c: (_CHANGE_ORDER[c.kind], c.event.date, c.department.state,
                                c.department.name.casefold(), _MODEL_ORDER[c.model]))
    return changes


def diff_limits(coverage: Coverage, start: dt.date, end: dt.date) -> list[str]:
    """Which part of a diff from the end of *start* to the end of *end* ICE's lists do not
    cover, one sentence each (none when both ends are covered)."""
    out: list[str] = []
    p0, p1 = coverage.basis(SheetKind.participating, start), coverage.basis(SheetKind.participating, end)
    if p0.first is not None and p0.before_first:
        out.append(f"{start} is before ICE's first participating list in this registry ({p0.first.date}): "
                   "agreements that ended before it are not known, and those in force then only if still listed on it")
    out += [x for x in (p0.limit(),) if x and p0.gap is not None]
    if p1.last is not None and p1.stale:
        part = "in this period" if start >= p1.last.date else f"from {p1.last.date} to the end of {end}"
        out.append(f"ICE's latest participating list in this registry is of {p1.last.date}: changes {part} are "
                   "known only where a news source reported them")
    out += [x for x in (p1.limit(),) if x and p1.gap is not None and p1.gap != p0.gap]
    q0, q1 = coverage.basis(SheetKind.pending, start), coverage.basis(SheetKind.pending, end)
    if q1.first is not None and q1.last is not None and not (q0.covered and q1.covered):
        out.append(f"ICE's pending lists in this registry run from {q1.first.date} to {q1.last.date}: "
                   "applications filed or withdrawn outside them are not known")
    return out


# ---------------------------------------------------------------- stats


@dataclass(slots=True)
class Tally:
    """Counts for one group (a state, a model or an agency type) on one date."""

    group: str
    agencies: set[str] = field(default_factory=set)       # agencies with an agreement in force
    states: set[str] = field(default_factory=set)
    models: Counter[Model] = field(default_factory=Counter)  # agreements in force, by model
    paused: int = 0
    pending: int = 0

    @property
    def in_force(self) -> int:
        return sum(self.models.values())

    def add(self, a: AgreementState) -> None:
        if a.status is Status.pending:
            self.pending += 1
            return
        self.agencies.add(a.department.id)
        self.states.add(a.department.state)
        self.models[a.model] += 1
        if a.status is Status.paused:
            self.paused += 1

NO_TYPE = "(type not given)"


def stats(states: Iterable[AgreementState], by: StatsBy = StatsBy.state) -> tuple[list[Tally], Tally]:
    """Counts of agreements in force (by model), paused, pending and agencies per group,
    most agreements first, and the total over every group."""
    groups: dict[str, Tally] = {}
    total = Tally("total")
    for a in states:
        if by is StatsBy.state:
            key = a.department.state
        elif by is StatsBy.model:
            key = a.model.value
        else:
            key = a.department.type or NO_TYPE
        tally = groups.get(key)
        if tally is None:
            tally = groups[key] = Tally(key)
        tally.add(a)
        total.add(a)
    order = sorted(groups.values(), key=lambda t: (-t.in_force, -t.pending, t.group))
    return order, total


# ---------------------------------------------------------------- trend


MAX_POINTS = 50_000


def _add_months(start: dt.date, months: int) -> dt.date:
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def auto_every(start: dt.date, end: dt.date) -> Every:
    """A step that gives a readable number of points: days up to four months, weeks up
    to two years, months beyond."""
    span = (end - start).days
    return Every.day if span <= 122 else Every.week if span <= 731 else Every.month


def trend_points(start: dt.date, end: dt.date, every: Every, anchors: Iterable[dt.date] = ()) -> list[dt.date]:
    """*start*, then every day, week (7 days) or calendar month after it (same day of the
    month, clamped to the month's length), and *end* itself if it is not on that grid; plus
    each of *anchors* between them (the first and last of ICE's lists, so that a summary
    and its peak see what they showed)."""
    if end < start:
        raise UsageError(f"--from {start} is after --to {end}")
    if every is Every.day:
        count = (end - start).days + 1
    elif every is Every.week:
        count = (end - start).days // 7 + 1
    else:
        count = (end.year - start.year) * 12 + end.month - start.month + 1
    if count > MAX_POINTS:
        raise UsageError(f"{count:,} points from {start} to {end} is too many; use a wider --every or a shorter period")
    points: list[dt.date] = []
    for k in range(count):
        if every is Every.month:
            p = _add_months(start, k)
        else:
            p = start + dt.timedelta(days=k * (1 if every is Every.day else 7))
        if p > end:
            break
        points.append(p)
    if points[-1] != end:
        points.append(end)
    extra = {a for a in anchors if start < a < end} - set(points)
    return sorted([*points, *extra]) if extra else points


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """Agreements in force (active or paused) by model, and applications pending, at the
    end of one day."""

    date: dt.date
    models: tuple[int, ...]  # in force, in the order of ``Model``
    pending: int

    @property
    def in_force(self) -> int:
        return sum(self.models)

@dataclass(frozen=True, slots=True)
class TrendCover:
    """How ICE's lists cover one trend point: the participating sheets' standing there,
    and whether the applications pending on it are known."""

    standing: Standing
    pending_known: bool


def trend_cover(coverage: Coverage, points: Iterable[dt.date]) -> list[TrendCover]:
    """``TrendCover`` of each point (``coverage.Answer``)."""
    out = []
    for p in points:
        answer = answer_on(coverage, p)
        out.append(TrendCover(answer.participating.standing, answer.pending_unknown is None))
    return out


def trend_span(coverage: Coverage, today: dt.date, events: Sequence[Event]) -> tuple[dt.date, dt.date] | None:
    """The default period of a trend: ICE's participating lists (from the first to the
    last, or *today* if earlier); without such lists, the first event to *today*; None
    when there is neither."""
    first, last = coverage.first(SheetKind.participating), coverage.last(SheetKind.participating)
    if first is not None and last is not None:
        return first.date, min(last.date, today)
    return (events[0].date, today) if events else None


def trend_events(
    registry: Registry, *, state: str | None = None, models: Iterable[Model] = ()
) -> list[Event] | tuple[Event, ...]:
    """The events a trend of this state and these models needs. Replay's rules touch
    one agreement (agency + model) per event, so the fold of these events alone gives
    exactly the agreements of that state and those models."""
    model_set = set(models)
    if state is None and not model_set:
        return registry.events
    in_state = None if state is None else {d.id for d in registry.departments if d.state == state}
    return [
        e for e in registry.events
        if (in_state is None or e.department_id in in_state) and (not model_set or e.model in model_set)
    ]


def trend(events: Sequence[Event], points: Sequence[dt.date]) -> list[TrendPoint]:
    """The counts at the end of each of *points* (ascending), in one pass over the
    date-sorted *events*: the log is split by model, and each part is folded slice by
    slice, each slice continuing the fold of the one before."""
    if any(b <= a for a, b in pairwise(points)):
        raise ValueError("trend points must be strictly ascending")
    parts: dict[Model, list[Event]] = {m: [] for m in Model}
    for e in events:
        parts[e.model].append(e)
    counts: list[list[int]] = [[0] * len(points) for _ in Model]
    pending = [0] * len(points)
    for mi, model in enumerate(Model):
        part = parts[model]
        if not part:
            continue
        state = Projection.empty()
        lo = 0
        for pi, point in enumerate(points):
            hi = bisect_right(part, point, lo=lo, key=_DATE)
            if hi > lo:
                fold(part[lo:hi], into=state)
                lo = hi
            counts[mi][pi] = len(state.agreements)
            pending[pi] += len(state.applications)
    return [
        TrendPoint(p, tuple(counts[mi][pi] for mi in range(len(Model))), pending[pi])
        for pi, p in enumerate(points)
    ]


# ---------------------------------------------------------------- states


@dataclass(frozen=True, slots=True)
class StateRow:
    """One state on one date: agreements in force, agencies taking part, applications
    pending, and the state's latest sourced policy dated on or before that date."""

    state: str
    name: str
    in_force: int
    paused: int
    agencies: int
    pending: int
    policy: Policy | None

def policies_on(policies: Iterable[Policy], on: dt.date) -> dict[str, Policy]:
    """Each state's latest policy dated on or before *on* (like events, a policy known
    only to a window counts from the end of its window); a later one in the file wins a tie."""
    latest: dict[str, Policy] = {}
    for p in policies:
        if p.date <= on and (p.state not in latest or p.date >= latest[p.state].date):
            latest[p.state] = p
    return latest


def states_report(
    registry: Registry, states: Iterable[AgreementState], on: dt.date,
    *, every_state: Iterable[str] = (), names: Mapping[str, str] | None = None,
) -> list[StateRow]:
    """One row per state with an agreement in force, an application pending or a policy
    on *on*, plus every code in *every_state*; sorted by state name."""
    in_force: Counter[str] = Counter()
    paused: Counter[str] = Counter()
    pending: Counter[str] = Counter()
    agencies: dict[str, set[str]] = defaultdict(set)
    for a in states:
        st = a.department.state
        if a.status is Status.pending:
            pending[st] += 1
            continue
        in_force[st] += 1
        agencies[st].add(a.department.id)
        if a.status is Status.paused:
            paused[st] += 1
    policies = policies_on(registry.policies, on)
    codes = set(in_force) | set(pending) | set(policies) | set(every_state)
    names = names or {}
    rows = [
        StateRow(c, names.get(c, c), in_force[c], paused[c], len(agencies[c]), pending[c], policies.get(c))
        for c in codes
    ]
    rows.sort(key=lambda r: (r.name.casefold(), r.state))
    return rows


# ---------------------------------------------------------------- sources


@dataclass(frozen=True, slots=True)
class SourceUse:
    """One source and how much of the registry rests on it."""

    source: Source
    events: int
    policies: int
    first_event: dt.date | None
    last_event: dt.date | None

def source_usage(registry: Registry) -> list[SourceUse]:
    """Every source with the number of events and policies that cite it (each record
    counted once however many times it names the source) and the dates of the first and
    last event citing it; in publication order (undated sources last), then by id."""
    events: Counter[str] = Counter()
    first: dict[str, dt.date] = {}
    last: dict[str, dt.date] = {}
    for e in registry.events:  # date-sorted: the first date seen is the earliest
        for sid in set(e.sources):
            events[sid] += 1
            first.setdefault(sid, e.date)
            last[sid] = e.date
    policies: Counter[str] = Counter()
    for p in registry.policies:
        for sid in set(p.sources):
            policies[sid] += 1
    out = [SourceUse(s, events[s.id], policies[s.id], first.get(s.id), last.get(s.id)) for s in registry.sources]
    out.sort(key=lambda u: (u.source.published is None, u.source.published or dt.date.min, u.source.id))
    return out


# ---------------------------------------------------------------- MOAs


@dataclass(frozen=True, slots=True)
class MoaStatus:
    """One agreement in force and how long it has gone without a published MOA."""

    agreement: AgreementState
    days_without_moa: int | None  # from the signing date to the date asked; None with an address


def moa_report(states: Iterable[AgreementState], on: dt.date | None, *, missing: bool = False) -> list[MoaStatus]:
    """Agreements in force on *on* (pending applications left out), in replay's order;
    with *missing*, only those without an MOA address ("link pending", or no link at
    all), longest wait first.

    ``days_without_moa`` counts from the signing date to *on* for an agreement without an
    address (None when ICE's signing date is after *on*, for one with an address, or for
    every agreement when *on* is None). The command passes as *on* the last ICE sheet on
    or before the date asked (``coverage.bounded_to_sheet``; None before the first): the
    data knows the link was missing on that sheet, not since.
    """
    out = []
    for a in states:
        if a.status is Status.pending or (missing and a.moa_url is not None):
            continue
        days = (on - a.signed).days if (on is not None and a.moa_url is None and a.signed is not None
                                        and a.signed <= on) else None
        out.append(MoaStatus(a, days))
    if missing:
        # Longest wait first; stable, so ties keep replay's state/name order.
        out.sort(key=lambda m: (m.days_without_moa is None, -(m.days_without_moa or 0)))
    return out


# ---------------------------------------------------------------- info


@dataclass(frozen=True, slots=True)
class KindCoverage:
    """ICE's sheets of one kind in a registry: first, last, how many, the gaps between them."""

    kind: SheetKind
    first: Sheet
    last: Sheet
    sheets: int          # publications (several a day, some days)
    dates: int           # distinct publication dates
    gaps: tuple[Gap, ...]


@dataclass(frozen=True, slots=True)
class RegistryInfo:
    """What ``icestatus info`` says of a registry on *today*."""

    title: str
    today: dt.date
    coverage: tuple[KindCoverage, ...]  # the kinds with sheets, in the order of SheetKind
    latest: Sheet | None                # the latest participating sheet (None: none)
    in_force_on_latest: int | None      # agreements in force (active or paused) on it
    agencies: int
    events: int
    sources: int
    ice_sheets: int
    answer: Answer                      # what an answer on *today* rests on

    @property
    def age_days(self) -> int | None:
        """Days from the latest participating sheet to *today*."""
        return None if self.latest is None else (self.today - self.latest.date).days


def registry_info(registry: Registry, today: dt.date) -> RegistryInfo:
    """Coverage per kind (gaps of more than ``GAP_DAYS``), counts, and how old the data is on *today*."""
    cov = Coverage.of(registry)
    kinds = []
    for kind in SheetKind:
        sheets = cov.sheets(kind)
        if sheets:
            kinds.append(KindCoverage(kind, sheets[0], sheets[-1], len(sheets), len({s.date for s in sheets}),
                                      tuple(cov.gaps(kind, GAP_DAYS))))
    latest = cov.last(SheetKind.participating)
    in_force = None
    if latest is not None:
        agreements, _ = fold(registry.events, latest.date)
        in_force = len(agreements)
    return RegistryInfo(
        title=registry.title, today=today, coverage=tuple(kinds), latest=latest, in_force_on_latest=in_force,
        agencies=len(registry.departments), events=len(registry.events), sources=len(registry.sources),
        ice_sheets=sum(len(cov.sheets(k)) for k in SheetKind), answer=answer_on(cov, today),
    )


def events_citing(events: Iterable[Event], source: str | None) -> list[Event]:
    """The events that cite *source* (all of them when it is None)."""
    return [e for e in events if source is None or source in e.sources]


__all__ = [
    "Change",
    "ChangeKind",
    "Every",
    "KindCoverage",
    "MoaStatus",
    "RegistryInfo",
    "SourceUse",
    "StateRow",
    "StatsBy",
    "Tally",
    "TrendCover",
    "TrendPoint",
    "check_span",
    "diff",
    "diff_limits",
    "moa_report",
    "policies_on",
    "registry_info",
    "source_usage",
    "states_report",
    "stats",
    "trend",
    "trend_cover",
    "trend_events",
    "trend_points",
    "trend_span",
]
