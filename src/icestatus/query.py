"""Questions asked of a replayed registry: filters, and whether a date is covered.

Finding one agency by name is ``match``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from icestatus.enums import EventKind, Model, Status
from icestatus.models import Department, Event, Registry
from icestatus.replay import AgreementState, replay


def filter_states(
    states: Iterable[AgreementState],
    *,
    state: str | None = None,
    models: Iterable[Model] = (),
    statuses: Iterable[Status] = (),
    types: Iterable[str] = (),
) -> list[AgreementState]:
    """Keep agreements matching every filter given; an empty filter keeps everything.
    *types* compare case-insensitively with the agency type as ICE prints it."""
    model_set, status_set = set(models), set(statuses)
    type_set = {t.casefold().strip() for t in types}
    return [
        a
        for a in states
        if (state is None or a.department.state == state)
        and (not model_set or a.model in model_set)
        and (not status_set or a.status in status_set)
        and (not type_set or (a.department.type or "").casefold() in type_set)
    ]


@dataclass(frozen=True)
class Standing:
    """Where one agency stands on a date: its agreements in force or pending, and, for
    each model it once had and has no more, the event that ended it (when and how)."""

    department: Department
    date: dt.date
    agreements: list[AgreementState] = field(default_factory=list)
    ended: list[Event] = field(default_factory=list)

    @property
    def status(self) -> str:
        """One word: active, paused, pending, ended (nothing left), or none (no event yet)."""
        for st in (Status.active, Status.paused, Status.pending):
            if any(a.status is st for a in self.agreements):
                return str(st.value)
        return "ended" if self.ended else "none"


_ENDINGS = (EventKind.terminated, EventKind.delisted, EventKind.withdrawn)


def standings(registry: Registry, date: dt.date, departments: Iterable[Department]) -> dict[str, Standing]:
    """Where each of *departments* stands at the end of *date*, by id."""
    wanted = {d.id: d for d in departments}
    out = {i: Standing(d, date) for i, d in wanted.items()}
    for a in replay(registry, date):
        if a.department.id in out:
            out[a.department.id].agreements.append(a)
    last: dict[tuple[str, Model], Event] = {}
    for ev in registry.events:
        if ev.date > date:
            break
        if ev.department_id in wanted:
            last[(ev.department_id, ev.model)] = ev
    for (dept_id, model), ev in last.items():
        st = out[dept_id]
        if ev.kind in _ENDINGS and not any(a.model is model for a in st.agreements):
            st.ended.append(ev)
    return out


def coverage_warning(registry: Registry, date: dt.date) -> str | None:
    """One line when *date* lies outside the period the registry's sources cover."""
    from icestatus.enums import SheetKind

    cov = registry.coverage.get(SheetKind.participating)
    if cov is not None:
        if date < cov.first:
            return (
                f"{date} is before ICE's first sheet in this registry ({cov.first}): only agreements "
                "still listed on that sheet, or reported by a news source, are known"
            )
        if date > cov.last:
            return (
                f"{date} is after ICE's last sheet in this registry ({cov.last}): changes since then "
                "are known only where a news source reported them (ingest a newer sheet to update)"
            )
        return None
    dated = [s.published for s in registry.sources if s.published is not None]
    if not dated:
        return None
    first, last = min(dated), max(dated)
    if date < first or date > last:
        return f"{date} is outside the period this registry's sources cover ({first} to {last})"
    return None
