"""Questions asked of a replayed registry: filters, and finding one agency by name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol, TypeVar

from icestatus.enums import Model, Status
from icestatus.errors import IcestatusError, UsageError
from icestatus.models import Department, Registry
from icestatus.names import normalize_name


class Filterable(Protocol):
    """What the filters read: an agreement's agency, model and status (``AgreementState``,
    ``agreements.TermOnDate``)."""

    @property
    def department(self) -> Department: ...
    @property
    def model(self) -> Model: ...
    @property
    def status(self) -> Enum: ...


F = TypeVar("F", bound=Filterable)


def filter_states(
    states: Iterable[F],
    *,
    state: str | None = None,
    models: Iterable[Model] = (),
    statuses: Iterable[Status] = (),
    types: Iterable[str] = (),
) -> list[F]:
    """Keep agreements matching every filter given; an empty filter keeps everything.
    *types* compare case-insensitively with the agency type as ICE prints it; *statuses*
    compare by value (a ``TermStatus`` of the same name matches)."""
    model_set, status_set = set(models), {s.value for s in statuses}
    type_set = {t.casefold().strip() for t in types}
    return [
        a
        for a in states
        if (state is None or a.department.state == state)
        and (not model_set or a.model in model_set)
        and (not status_set or a.status.value in status_set)
        and (not type_set or (a.department.type or "").casefold() in type_set)
    ]


class NoMatchError(IcestatusError):
    """No agency matches the name asked for."""


class AmbiguousMatchError(UsageError):
    """Several agencies match equally well; the user must pick one (exit 2)."""

    def __init__(self, message: str, candidates: list[Department]) -> None:
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True)
class Match:
    department: Department
    also: list[Department] = field(default_factory=list)  # weaker matches worth mentioning


# Scores are rapidfuzz WRatio (0-100) plus bonuses for the query being a whole word
# (+3) or the start (+5) of the name, so "wells" prefers "Wells Police Department"
# over "Jim Wells County Sheriff's Office" while still finding both.
MIN_SCORE = 70.0
CLEAR_MARGIN = 3.0
ALSO_WINDOW = 20.0


def _score(query: str, name: str) -> float:
    from rapidfuzz import fuzz

    if query == name:
        return 200.0
    score = fuzz.WRatio(query, name, processor=None)
    padded = f" {name} "
    if f" {query} " in padded:
        score += 3
    if name.startswith(query + " "):
        score += 5
    return score


def find_department(registry: Registry, query: str, state: str | None = None) -> Match:
    """The agency *query* names: an id, a name or alias (case- and typo-forgiving).

    Raises NoMatchError when nothing is close, AmbiguousMatchError on a tie.
    """
    pool = [d for d in registry.departments if state is None or d.state == state]
    wanted = query.strip().casefold()
    for dept in pool:
        if dept.id == wanted:
            return Match(dept)
    q = normalize_name(query)
    if not q:
        raise UsageError("give an agency name or id, e.g. `icestatus history wells`")
    scored: list[tuple[float, Department]] = []
    for dept in pool:
        best = max(_score(q, normalize_name(n)) for n in (dept.name, *dept.aliases))
        if best >= MIN_SCORE:
            scored.append((best, dept))
    where = f" in {state}" if state else ""
    if not scored:
        raise NoMatchError(
            f"no agency{where} matches {query!r}; see `icestatus list{' --state ' + state if state else ''}` for names"
        )
    scored.sort(key=lambda sd: (-sd[0], sd[1].state, sd[1].name))
    top_score, top = scored[0]
    tied = [d for s, d in scored if top_score - s < CLEAR_MARGIN]
    if len(tied) > 1:
        listing = "; ".join(f"{d.name} ({d.state}) {d.id}" for d in tied[:10])
        extra = f"; and {len(tied) - 10} more" if len(tied) > 10 else ""
        raise AmbiguousMatchError(
            f"{query!r} matches {len(tied)} agencies equally well: {listing}{extra}. "
            "Give the id, or narrow with --state",
            tied,
        )
    also = [d for s, d in scored[1:] if top_score - s <= ALSO_WINDOW][:5]
    return Match(top, also)
