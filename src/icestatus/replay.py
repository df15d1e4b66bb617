"""Replay a registry's events up to a date: which agreements are in force or pending.

Replay is a fold over the date-sorted events (``registry.events`` is kept sorted),
stopping at the first event after the date asked. It never fails: an event that makes
no sense where it stands (``resumed`` while not paused) changes nothing, and
``icestatus validate`` reports it.

Rules (documented in the README):

* An agreement is one agency + one model. ``signed`` puts it in force (a second
  ``signed`` while in force is a renewal); ``paused``/``resumed`` toggle it;
  ``terminated`` and ``delisted`` end it. ``corrected`` changes its signing date,
  ``moa_linked`` its MOA address.
* An application (status ``pending``) is tracked apart from the agreement, because
  ICE lists some agencies as pending and participating for the same model at once
  (a renewal). ``applied`` opens it; ``withdrawn`` ends it; ``signed`` closes it.
* Events of the same day apply in the order they were recorded.
* A fact known only to a window (``not_before`` .. ``date``) counts from ``date``;
  the result carries ``since_not_before`` so it is shown as approximate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from icestatus.enums import EventKind, Model, Status
from icestatus.models import Department, Event, Registry

AgreementKey = tuple[str, Model]
# Called with an event that changes nothing because it makes no sense where it stands,
# and why; ``validate`` reports these, so replay and validation share one state machine.
Rejected = Callable[[Event, str], None]


@dataclass(frozen=True, slots=True)
class AgreementState:
    """One agreement (or application) as it stands at the end of a day."""

    department: Department
    model: Model
    status: Status
    since: dt.date               # when the current status began (window end if approximate)
    since_not_before: dt.date | None  # window start when ``since`` is only known to a window
    signed: dt.date | None       # the signing date (after corrections); None for pending
    event: Event                 # the event behind the current status
    moa_url: str | None = None
    moa_pending: bool = False

    @property
    def approximate(self) -> bool:
        return self.since_not_before is not None

    @property
    def source(self) -> str:
        return self.event.sources[0]


# Enum members bound once: looking one up on its class (EventKind.signed) costs about
# 0.1 µs, and fold compares each event's kind with up to nine of them.
_APPLIED, _WITHDRAWN, _SIGNED = EventKind.applied, EventKind.withdrawn, EventKind.signed
_CORRECTED, _MOA_LINKED = EventKind.corrected, EventKind.moa_linked
_PAUSED_EVENT, _RESUMED = EventKind.paused, EventKind.resumed
_TERMINATED, _DELISTED = EventKind.terminated, EventKind.delisted
_ACTIVE, _PAUSED = Status.active, Status.paused
# paused and resumed: the status each needs, the status it sets, and why it is ignored otherwise.
_TOGGLES = {_PAUSED_EVENT: (_ACTIVE, _PAUSED, "already paused"), _RESUMED: (_PAUSED, _ACTIVE, "not paused")}


class Agreement:
    """One agreement as the fold leaves it: mutable while events are folded in, to be read
    (not changed) by everyone else. ``replay`` turns it into an ``AgreementState``."""

    __slots__ = ("event", "moa_pending", "moa_url", "signed", "since", "since_not_before", "status")

    def __init__(self, ev: Event) -> None:
        self.moa_url: str | None = None
        self.moa_pending = False
        self.sign(ev)

    def sign(self, ev: Event) -> None:
        self.status = _ACTIVE
        self.set_status_event(ev)
        self.signed: dt.date = ev.signed or ev.date
        if ev.moa_url is not None:
            self.moa_url, self.moa_pending = ev.moa_url, False
        elif ev.moa_pending:
            self.moa_pending = True

    def set_status_event(self, ev: Event) -> None:
        self.event = ev
        self.since = ev.date
        self.since_not_before = ev.not_before


class Projection(NamedTuple):
    """What a fold has reached: the agreements in force (active or paused) and the open
    applications (the event that opened each), by agreement key. ``fold(..., into=)``
    continues it in place."""

    agreements: dict[AgreementKey, Agreement]
    applications: dict[AgreementKey, Event]

    @classmethod
    def empty(cls) -> Projection:
        return cls({}, {})


# An agreement (or application) that ended and has not come back: the event that ended
# it, and the agreement as it stood (None for a withdrawn application).
Ended = dict[AgreementKey, tuple[Event, "Agreement | None"]]


def fold(
    events: tuple[Event, ...] | list[Event],
    as_of: dt.date | None = None,
    *,
    into: Projection | None = None,
    rejected: Rejected | None = None,
    ended: Ended | None = None,
) -> Projection:
    """Agreements in force and open applications after the events dated <= *as_of*.

    *into*: the projection of an earlier fold to continue from, updated in place
    (``reports.trend`` folds the log slice by slice, in one pass). *rejected*: see
    ``Rejected``. *ended*: filled with the agreements that ended (``Ended``).
    """
    projection = into if into is not None else Projection.empty()
    agreements, applications = projection
    for ev in events:
        if as_of is not None and ev.date > as_of:
            break  # events are date-sorted
        key = (ev.department_id, ev.model)
        kind = ev.kind
        if kind is _APPLIED:
            applications[key] = ev
            if ended is not None:
                ended.pop(key, None)
        elif kind is _WITHDRAWN:
            if applications.pop(key, None) is None:
                if rejected is not None:
                    rejected(ev, "withdrawn, but no application is pending")
            elif ended is not None and key not in agreements:
                ended[key] = (ev, None)
        elif kind is _SIGNED:
            applications.pop(key, None)
            if ended is not None:
                ended.pop(key, None)
            ag = agreements.get(key)
            if ag is None:
                agreements[key] = Agreement(ev)
            else:
                ag.sign(ev)
        elif kind is _CORRECTED:
            ag = agreements.get(key)
            if ag is not None and ev.signed is not None:
                if ag.status is _ACTIVE and ag.event.kind is _SIGNED and ag.since == ag.signed:
                    ag.since = ev.signed
                ag.signed = ev.signed
            elif ag is None and rejected is not None:
                rejected(ev, "corrected, but no agreement is in force")
        elif kind is _MOA_LINKED:
            ag = agreements.get(key)
            if ag is not None:
                ag.moa_url, ag.moa_pending = ev.moa_url, False
            elif rejected is not None:
                rejected(ev, "moa_linked, but no agreement is in force")
        elif kind is _PAUSED_EVENT or kind is _RESUMED:
            ag = agreements.get(key)
            was, now, otherwise = _TOGGLES[kind]
            if ag is not None and ag.status is was:
                ag.status = now
                ag.set_status_event(ev)
            elif rejected is not None:
                rejected(ev, f"{kind.value}, but {'no agreement is in force' if ag is None else otherwise}")
        elif kind is _TERMINATED or kind is _DELISTED:
            gone = agreements.pop(key, None)
            if gone is None:
                if rejected is not None:
                    rejected(ev, f"{kind.value}, but no agreement is in force")
            elif ended is not None and key not in applications:
                ended[key] = (ev, gone)
    return projection


def replay(registry: Registry, as_of: dt.date | None = None, *, with_ended: bool = False) -> list[AgreementState]:
    """The agreements in force (active or paused) and pending at the end of *as_of*
    (``None``: after every event), sorted by state, agency name and model; *with_ended*:
    and those that had ended by then (status ``ended``: when and how in ``since`` and
    ``event``)."""
    return replay_events(registry.events, registry.departments, as_of, with_ended=with_ended)


def replay_events(
    events: tuple[Event, ...] | list[Event], departments: Iterable[Department], as_of: dt.date | None = None,
    *, with_ended: bool = False,
) -> list[AgreementState]:
    """``replay`` of some events only (one agency's, say), their agencies among *departments*."""
    ended: Ended | None = {} if with_ended else None
    agreements, applications = fold(events, as_of, ended=ended)
    if not agreements and not applications and not ended:
        return []
    by_id = {d.id: d for d in departments}
    out: list[AgreementState] = []
    for (dept_id, model), ag in agreements.items():
        out.append(
            AgreementState(
                department=by_id[dept_id], model=model, status=ag.status,
                since=ag.since, since_not_before=ag.since_not_before, signed=ag.signed,
                event=ag.event, moa_url=ag.moa_url, moa_pending=ag.moa_pending,
            )
        )
    for (dept_id, model), ev in applications.items():
        out.append(
            AgreementState(
                department=by_id[dept_id], model=model, status=Status.pending,
                since=ev.date, since_not_before=ev.not_before, signed=None, event=ev,
            )
        )
    for (dept_id, model), (ev, gone) in (ended or {}).items():
        out.append(
            AgreementState(
                department=by_id[dept_id], model=model, status=Status.ended,
                since=ev.date, since_not_before=ev.not_before, signed=gone.signed if gone else None,
                event=ev, moa_url=gone.moa_url if gone else None, moa_pending=gone.moa_pending if gone else False,
            )
        )
    out.sort(key=_order)
    return out


_MODEL_ORDER = {m: i for i, m in enumerate(Model)}
_STATUS_ORDER = {s: i for i, s in enumerate(Status)}


def _order(a: AgreementState) -> tuple[str, str, int, int]:
    return (a.department.state, a.department.name.casefold(), _MODEL_ORDER[a.model], _STATUS_ORDER[a.status])


def history(registry: Registry, department_id: str) -> list[Event]:
    """Every event of one agency, in the order replay applies them."""
    return [e for e in registry.events if e.department_id == department_id]
