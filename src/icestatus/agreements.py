"""Agreement-level rows: one per agreement (agency x model x term), from the replayed log.

A **term** opens with the event that makes an agency's agreement of one model exist in
replay (``applied``: an application, or ``signed``) when nothing of that agency and model
is open, and closes with the event after which nothing is (``withdrawn``, ``terminated``
or ``delisted``). A renewal (``signed`` while in force), an application filed while in
force, a pause, a correction or an MOA link belong to the open term. The same agency and
model may have several terms (delisted, then listed again): each is its own row.

Two closings are not the end of an agreement, and the term runs on through them (its
``gaps``: status ``unlisted`` on a date between the closing and the listing that follows,
when ICE listed it on neither list):

* an application gone from ICE's pending list (``withdrawn``) when the agency's next
  event of that model is a signing dated on or before the end of the withdrawal's window:
  it left the pending list because it was signed (applied -> signed, one agreement);
* an agreement ICE stopped listing (``delisted``) and listed again with the same SIGNED
  date: the same agreement, with a gap in ICE's listing.

Terms are cut by replay itself (``replay.fold``, one event at a time), so a row's status
on a date is by construction what ``as-of`` says on that date: an agreement in force is
``active`` or ``paused``, an application ``pending``; a term that is over is ``ended``
and one that has not begun ``not_started``. When ICE lists an agency as participating
and pending for the same model at once (a renewal), the row is the agreement (in force)
and ``renewal_pending`` is set: ``stats`` counts that application as pending too.

What ICE listed comes from ICE's sheets only (never from a news fact): its participating
sheets for an agreement that was signed, its pending sheets for an application that never
was (``ice_list`` says which).

* ``first_listed``: the first sheet the log records listing it (the sheet cited by its
  signing, a correction or an MOA link; by its application).
* ``last_listed``: when the event that opened it cites an ICE sheet, ingest would have
  ended it on the first trusted (not suspect) sheet that left it out, so every trusted
  sheet from its first listing up to its end listed it: the last trusted sheet before the
  sheet its closing event cites, or, when only a news fact closed it, the last one
  before the fact's date (a lower bound: ICE may have listed it longer); the newest
  trusted sheet while it is open. Otherwise, the last sheet the log records listing it
  (None when none does). The sheets in a term's ``gaps`` did not list it.

The end (``ended``, its window ``ended_not_before`` and ``ended_how``) is the closing
event's: a news fact's date when a reported termination closed it, an ICE sheet's window
when ICE stopped listing it.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

from icestatus.enums import ICE_LISTINGS, EventKind, Model, SheetKind, Status, TermStatus
from icestatus.models import Department, Event, Registry, Source
from icestatus.replay import AgreementKey, Projection, fold

_DATE = attrgetter("date")
_LISTING = frozenset({EventKind.signed, EventKind.corrected, EventKind.moa_linked})
_APPLYING = frozenset({EventKind.applied})


@dataclass(frozen=True, slots=True)
class Listing:
    """One ICE sheet that listed an agreement: its source id and publication date."""

    source: str
    date: dt.date


@dataclass(frozen=True, slots=True)
class Term:
    """One agreement (agency x model x term) over the whole log."""

    department: Department
    model: Model
    number: int                      # 1 for the agency's first term of this model, then 2, ...
    start: int                       # index in ``registry.events`` of the event that opened it
    end: int | None                  # index of the event that closed it; None while open
    events: tuple[Event, ...]        # the events of the term that took effect, in replay order
    applied: Event | None            # the application that opened it (None: opened by a signing)
    signed: dt.date | None           # the signing date after corrections and renewals; None: never signed
    signed_not_before: dt.date | None  # when the signing date is only known to a window
    moa_url: str | None
    moa_pending: bool
    ice_list: SheetKind | None       # which of ICE's lists first_listed/last_listed refer to
    first_listed: Listing | None
    last_listed: Listing | None
    gaps: tuple[tuple[int, int], ...] = ()  # (closing, reopening) event indices it ran on through

    @property
    def id(self) -> str:
        return f"{self.department.id}:{self.model.value}:{self.number}"

    @property
    def closing(self) -> Event | None:
        return self.events[-1] if self.end is not None else None

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for ev in self.events for s in ev.sources))


@dataclass(frozen=True, slots=True)
class TermOnDate:
    """A term and where it stands at the end of one day."""

    term: Term
    status: TermStatus
    renewal_pending: bool  # in force, with an application of the same model pending

    @property
    def department(self) -> Department:
        return self.term.department

    @property
    def model(self) -> Model:
        return self.term.model


class _Open:
    """A term being built."""

    __slots__ = ("applied", "events", "gaps", "number", "start")

    def __init__(self, number: int, start: int, first: Event) -> None:
        self.number, self.start = number, start
        self.events = [first]
        self.applied = first if first.kind is EventKind.applied else None
        self.gaps: list[tuple[int, int]] = []

    def signed(self) -> dt.date | None:
        """Its signing date as ICE printed it, after corrections (None: never signed)."""
        signed: dt.date | None = None
        for ev in self.events:
            if ev.kind is EventKind.signed:
                signed = ev.signed or ev.date
            elif ev.kind is EventKind.corrected and ev.signed is not None:
                signed = ev.signed
        return signed


def _runs_on(closed: list[tuple[_Open, Event, int]], reopening: Event) -> tuple[_Open, int] | None:
    """The earlier term of the same agency and model (*closed*: each with its closing event
    and index, oldest first) that *reopening* continues (see the module's doc), if any:
    an agreement delisted and listed again with the same SIGNED date, else the last term
    when it is an application gone from the pending list by the date it was signed."""
    if reopening.kind is not EventKind.signed or not closed:
        return None
    signed = reopening.signed or reopening.not_before or reopening.date
    for term, closing, at in reversed(closed):
        if closing.kind is EventKind.delisted and reopening.signed is not None and term.signed() == signed:
            return term, at
    term, closing, at = closed[-1]
    if closing.kind is EventKind.withdrawn and signed <= closing.date:
        return term, at
    return None


def trusted_sheets(registry: Registry, kind: SheetKind) -> list[Source]:
    """ICE's trusted (not suspect) sheets of *kind*, in publication order."""
    from icestatus.ingest import half_rank

    order = {s.id: i for i, s in enumerate(registry.sources)}
    sheets = [s for s in registry.sources if _is_sheet(s, kind) and not s.suspect]
    sheets.sort(key=lambda s: (s.published, half_rank(s.half), order[s.id]))
    return sheets


def _is_sheet(src: Source, kind: SheetKind) -> bool:
    return src.kind in ICE_LISTINGS and src.sheet is kind and src.published is not None


@dataclass(frozen=True, slots=True)
class _Sheets:
    """One kind of ICE sheet: every one by id, the trusted ones in order and their ranks."""

    by_id: dict[str, Source]
    trusted: list[Source]
    rank: dict[str, int]

    @classmethod
    def of(cls, registry: Registry, kind: SheetKind) -> _Sheets:
        trusted = trusted_sheets(registry, kind)
        return cls({s.id: s for s in registry.sources if _is_sheet(s, kind)}, trusted,
                   {s.id: i for i, s in enumerate(trusted)})

    def cited(self, ev: Event) -> list[Source]:
        return [self.by_id[s] for s in ev.sources if s in self.by_id]

    def order(self, src: Source) -> tuple[int, dt.date]:
        return (self.rank.get(src.id, -1), src.published or dt.date.min)

    def last_listing(self, closing: Event | None) -> Source | None:
        """The last trusted sheet that listed an agreement ICE listed (see the module's doc):
        ingest ends it on the first trusted sheet that leaves it out."""
        if not self.trusted:
            return None
        if closing is None:
            return self.trusted[-1]
        ending = [self.rank[s] for s in closing.sources if s in self.rank]
        if ending:
            i = min(ending)
        else:  # ended by a fact (or an untrusted sheet): the sheets before its date listed it
            i = bisect_right([s.published or dt.date.min for s in self.trusted], closing.date - dt.timedelta(days=1))
        return self.trusted[i - 1] if i > 0 else None


def terms(registry: Registry) -> list[Term]:
    """Every agreement term of the registry, in the order they opened."""
    events = registry.events
    departments = {d.id: d for d in registry.departments}
    sheets = {kind: _Sheets.of(registry, kind) for kind in SheetKind}
    projection = Projection.empty()
    agreements, applications = projection
    open_: dict[AgreementKey, _Open] = {}
    counts: dict[AgreementKey, int] = {}
    done: list[tuple[AgreementKey, _Open, int | None]] = []
    closed: dict[AgreementKey, list[tuple[_Open, Event, int]]] = {}  # the terms closed, how and where
    rejected: list[Event] = []
    for i, ev in enumerate(events):
        key = (ev.department_id, ev.model)
        fold((ev,), into=projection, rejected=lambda e, _why: rejected.append(e))
        if rejected:
            rejected.clear()
            continue  # replay ignored it: it changed nothing
        now_open = key in agreements or key in applications
        current = open_.get(key)
        if current is None:
            if now_open:
                earlier = _runs_on(closed.get(key, []), ev)
                if earlier is not None:
                    o, at = earlier
                    done.remove((key, o, at))
                    closed[key] = [c for c in closed[key] if c[0] is not o]
                    o.gaps.append((at, i))
                    o.events.append(ev)
                    open_[key] = o
                    continue
                counts[key] = counts.get(key, 0) + 1
                open_[key] = _Open(counts[key], i, ev)
            continue
        current.events.append(ev)
        if not now_open:
            done.append((key, open_.pop(key), i))
            closed.setdefault(key, []).append((current, ev, i))
    done.extend((key, o, None) for key, o in open_.items())
    done.sort(key=lambda t: t[1].start)
    return [_term(departments[key[0]], key[1], o, end, sheets) for key, o, end in done]


def _term(dept: Department, model: Model, o: _Open, end: int | None, sheets: dict[SheetKind, _Sheets]) -> Term:
    signed: dt.date | None = None
    signed_not_before: dt.date | None = None
    moa_url: str | None = None
    moa_pending = False
    signing: Event | None = None
    for ev in o.events:
        kind = ev.kind
        if kind is EventKind.signed:
            signing = ev
            signed = ev.signed or ev.date
            signed_not_before = ev.not_before if ev.signed is None else None
            if ev.moa_url is not None:
                moa_url, moa_pending = ev.moa_url, False
            elif ev.moa_pending:
                moa_pending = True
        elif kind is EventKind.corrected and ev.signed is not None:
            signed, signed_not_before = ev.signed, None
        elif kind is EventKind.moa_linked:
            moa_url, moa_pending = ev.moa_url, False
    # An agreement is listed on the participating sheets; an application never signed, on the pending ones.
    if signing is not None:
        ice_list, listing, opener = SheetKind.participating, _LISTING, signing
    else:
        ice_list, listing, opener = SheetKind.pending, _APPLYING, o.events[0]
    kind_sheets = sheets[ice_list]
    listed = [src for ev in o.events if ev.kind in listing for src in kind_sheets.cited(ev)]
    first = min(listed, key=kind_sheets.order, default=None)
    last = max(listed, key=kind_sheets.order, default=None)
    if kind_sheets.cited(opener):
        last = kind_sheets.last_listing(o.events[-1] if end is not None else None) or last
    return Term(
        department=dept, model=model, number=o.number, start=o.start, end=end, events=tuple(o.events),
        applied=o.applied, signed=signed, signed_not_before=signed_not_before, moa_url=moa_url,
        moa_pending=moa_pending, ice_list=ice_list if first is not None else None,
        first_listed=_listing(first), last_listed=_listing(last), gaps=tuple(o.gaps),
    )


def _listing(src: Source | None) -> Listing | None:
    return None if src is None or src.published is None else Listing(src.id, src.published)


def on_date(registry: Registry, all_terms: Iterable[Term], date: dt.date, *, ever: bool = False) -> list[TermOnDate]:
    """The terms open at the end of *date* (every term with *ever*), each with its status
    on that date, sorted by state, agency name, model and term."""
    agreements, applications = fold(registry.events, date)
    n = bisect_right(registry.events, date, key=_DATE)
    out: list[TermOnDate] = []
    for t in all_terms:
        key = (t.department.id, t.model)
        if t.start >= n:
            status, renewal = TermStatus.not_started, False
        elif t.end is not None and t.end < n:
            status, renewal = TermStatus.ended, False
        elif any(closing < n <= reopening for closing, reopening in t.gaps):
            status, renewal = TermStatus.unlisted, False
        elif key in agreements:
            status = TermStatus(agreements[key].status.value)
            renewal = key in applications
        else:
            status, renewal = TermStatus.pending, False
        if ever or status in OPEN:
            out.append(TermOnDate(t, status, renewal))
    out.sort(key=_order)
    return out


OPEN = frozenset({TermStatus.active, TermStatus.paused, TermStatus.pending})  # a term in force or pending
_MODEL_ORDER = {m: i for i, m in enumerate(Model)}


def _order(r: TermOnDate) -> tuple[str, str, int, int]:
    d = r.term.department
    return (d.state, d.name.casefold(), _MODEL_ORDER[r.term.model], r.term.number)


def status_counts(rows: Iterable[TermOnDate]) -> dict[Status, int]:
    """Agreements by status on the date, counted as ``stats`` does (a renewal application
    pending while the agreement is in force counts as one more pending)."""
    counts = dict.fromkeys(Status, 0)
    for r in rows:
        if r.status in OPEN:
            counts[Status(r.status.value)] += 1
        if r.renewal_pending:
            counts[Status.pending] += 1
    return counts
