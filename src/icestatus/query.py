"""Questions asked of a replayed registry: filters, and where one agency stands.

Finding one agency by name is ``match``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol, TypeVar

from icestatus.enums import Model, Status
from icestatus.errors import UsageError
from icestatus.models import Department, Registry
from icestatus.names import normalize_name
from icestatus.replay import AgreementState, replay_events

# ---------------------------------------------------------------- filters


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

# ICE's agency types as people ask for them (any case, singular or plural) and as ICE
# misspells them, mapped to the three types it means.
_TYPE_WORDS: dict[str, str] = {
    **dict.fromkeys(("county", "counties"), "County"),
    **dict.fromkeys(("municipality", "municipalities", "muncipality", "municipal", "city", "cities",
                     "town", "towns"), "Municipality"),
    **dict.fromkeys(("state agency", "state agencies", "state", "states"), "State Agency"),
}
_NOT_GIVEN = frozenset({"", "#na", "n/a", "na", "none"})  # what ICE prints for no value


def agency_type(text: str | None) -> str | None:
    """The type *text* names (County, Municipality, State Agency), as ICE prints it or a
    user types it; other types as given; None for no type (ICE's ``#NA``)."""
    if text is None:
        return None
    key = " ".join(text.casefold().split())
    if key in _NOT_GIVEN:
        return None
    return _TYPE_WORDS.get(key, text.strip())


_COUNTY_SUFFIXES = frozenset({"county", "couny", "conty", "cty", "parish", "borough"})


def county_key(text: str | None) -> str:
    """``harris`` for "Harris County", "harris county", "Harris Co." and "Harris"; empty for none."""
    if text is None or text.casefold().strip() in _NOT_GIVEN:
        return ""
    words = normalize_name(text).split()
    while len(words) > 1 and words[-1] in _COUNTY_SUFFIXES:
        words.pop()
    return " ".join(words)


@dataclass(frozen=True)
class AgreementFilter:
    """Which agreements to keep: every option given must hold (AND); within one option,
    any value (OR). An empty option keeps everything. Build one with ``build``, which
    checks the values against the registry."""

    states: frozenset[str] = frozenset()
    models: frozenset[Model] = frozenset()
    statuses: frozenset[Status] = frozenset()
    types: frozenset[str] = frozenset()                # as ``agency_type`` names them
    counties: frozenset[tuple[str, str]] = frozenset()  # (state, county as the registry spells it)

    @classmethod
    def build(
        cls, registry: Registry, *, states: Iterable[str] = (), models: Iterable[Model] = (),
        statuses: Iterable[Status] = (), types: Iterable[str] = (), counties: Iterable[str] = (),
    ) -> AgreementFilter:
        """A filter of these values; UsageError for a type or county that no agency of
        *registry* has, listing the valid ones (or the nearest)."""
        state_set = frozenset(states)
        return cls(state_set, frozenset(models), frozenset(statuses),
                   _known_types(registry, types), _known_counties(registry, counties, state_set))

    @property
    def with_ended(self) -> bool:
        return Status.ended in self.statuses

    def admits(self, dept: Department, model: Model) -> bool:
        """Whether an agreement of *dept* and *model* passes the state, model, type and county tests."""
        return (
            (not self.states or dept.state in self.states)
            and (not self.models or model in self.models)
            and (not self.types or agency_type(dept.type) in self.types)
            and (not self.counties or (dept.state, dept.county or "") in self.counties)
        )

    def keep(self, states: Iterable[F]) -> list[F]:
        """The agreements of *states* this filter admits. Statuses compare by value, so a
        ``TermStatus`` of the same name matches (``agreements``)."""
        wanted = {s.value for s in self.statuses}
        return [a for a in states if (not wanted or a.status.value in wanted) and self.admits(a.department, a.model)]


def _known_types(registry: Registry, types: Iterable[str]) -> frozenset[str]:
    asked = list(types)
    if not asked:
        return frozenset()
    valid = sorted({t for d in registry.departments if (t := agency_type(d.type))})
    out = set()
    for text in asked:
        t = agency_type(text)
        if t not in valid:
            raise UsageError(f"unknown agency type {text!r}: use one of {', '.join(valid)} (any case, or plural)")
        out.add(t)
    return frozenset(out)


def _known_counties(registry: Registry, counties: Iterable[str], states: frozenset[str]) -> frozenset[tuple[str, str]]:
    """The (state, county) pairs the counties asked name: the same county whatever the case or
    suffix ("Harris", "harris county", "Harris Co."), and ICE's misspellings of it in the
    same state (one letter off: "Pulaksi County" for Pulaski County, Arkansas); a county
    ICE spells otherwise is found through the agencies' aliases ("Lampasas" finds ICE's
    "Lampass County", Texas, whose sheriff's office has the alias "Lampasas County
    Sheriff's Office")."""
    asked = list(counties)
    if not asked:
        return frozenset()
    by_key: dict[str, set[tuple[str, str]]] = {}
    for d in registry.departments:
        key = county_key(d.county)
        if key and d.county:
            by_key.setdefault(key, set()).add((d.state, d.county))
    out: set[tuple[str, str]] = set()
    for text in asked:
        key = county_key(text)
        exact = by_key.get(key, set())
        if not exact:  # ICE misspelt it ("Lampass" for Lampasas): the agencies an alias spells it for
            exact = _county_in_aliases(registry, key)
        if not exact:
            raise UsageError(_no_county(text, key, by_key, states))
        if states and not any(st in states for st, _ in exact):
            from icestatus.states import state_name

            where = " or ".join(state_name(st) for st in sorted(states))
            elsewhere = ", ".join(sorted({f"{c} ({st})" for st, c in exact}))
            raise UsageError(f"no agency of {where} has county {text!r} in the registry; it is in {elsewhere}")
        out |= exact
        in_states = {st for st, _ in exact}
        if len(key) >= 6:
            from rapidfuzz.distance import DamerauLevenshtein

            for other, pairs in by_key.items():
                if other != key and DamerauLevenshtein.distance(key, other, score_cutoff=1) <= 1:
                    out |= {p for p in pairs if p[0] in in_states}
    return frozenset(out)


def _county_in_aliases(registry: Registry, key: str) -> set[tuple[str, str]]:
    """The (state, county) of agencies with a county whose alias names *key* as a county."""
    wanted = tuple(f" {key} {suffix} " for suffix in _COUNTY_SUFFIXES)
    return {
        (d.state, d.county) for d in registry.departments
        if d.county and any(w in f" {normalize_name(alias)} " for alias in d.aliases for w in wanted)
    }


def _no_county(text: str, key: str, by_key: dict[str, set[tuple[str, str]]], states: frozenset[str]) -> str:
    from rapidfuzz import fuzz, process

    keys = sorted(k for k, pairs in by_key.items() if not states or any(st in states for st, _ in pairs))
    near = [
        " / ".join(sorted({f"{c} ({st})" for st, c in by_key[k] if not states or st in states}))
        for k, _, _ in process.extract(key, keys, scorer=fuzz.ratio, limit=5, score_cutoff=70)
    ]
    hint = (f"; did you mean {', '.join(near)}?" if near
            else "; `icestatus search NAME` and `icestatus list --format csv` show the county ICE gives each agency")
    return f"no agency in the registry has county {text!r}{hint}"


def filter_states(
    states: Iterable[F],
    *,
    state: str | None = None,
    models: Iterable[Model] = (),
    statuses: Iterable[Status] = (),
    types: Iterable[str] = (),
) -> list[F]:
    """Keep agreements matching every filter given; an empty filter keeps everything
    (``AgreementFilter`` without the registry's checks). *types* as ``agency_type`` reads
    them; *statuses* compare by value."""
    flt = AgreementFilter(
        frozenset([state] if state else []), frozenset(models), frozenset(statuses),
        frozenset(t for t in map(agency_type, types) if t),
    )
    return flt.keep(states)


# ---------------------------------------------------------------- where one agency stands


@dataclass(frozen=True)
class Standing:
    """Where one agency stands on a date: each of its agreements in force or pending, and
    each that had ended by then (status ``ended``; when and how in ``since`` and ``event``)."""

    department: Department
    date: dt.date
    agreements: list[AgreementState] = field(default_factory=list)

    @property
    def status(self) -> str:
        """One word: active, paused, pending, ended (nothing left), or none (no agreement yet)."""
        for st in Status:
            if any(a.status is st for a in self.agreements):
                return str(st.value)
        return "none"


def standings(registry: Registry, date: dt.date, departments: Iterable[Department]) -> dict[str, Standing]:
    """Where each of *departments* stands at the end of *date*, by id."""
    out = {d.id: Standing(d, date) for d in departments}
    events = [e for e in registry.events if e.department_id in out]  # one pass, then a small fold
    for a in replay_events(events, [st.department for st in out.values()], date, with_ended=True):
        out[a.department.id].agreements.append(a)
    return out


def data_through(registry: Registry) -> dt.date | None:
    """The date of the registry's newest data: ICE's last participating sheet, else its
    newest dated source."""
    from icestatus.enums import SheetKind

    cov = registry.coverage.get(SheetKind.participating)  # kept by ingest: no need to read every source
    if cov is not None:
        return cov.last
    return max((s.published for s in registry.sources if s.published is not None), default=None)
