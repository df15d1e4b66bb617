"""Hypothesis strategies shared by the reliability tests: valid registries and event logs.

Everything here builds data the models accept; hostile data is built in the tests that
need it. Dates come from a short range on purpose, so that same-day events (whose order
matters) are common.
"""

from __future__ import annotations

import datetime as dt
import string

from hypothesis import strategies as st

from icestatus.enums import EventKind, Model, PolicyKind, SheetKind, SourceKind
from icestatus.models import Department, Event, Policy, Registry, SheetCoverage, Source

FIRST_DAY = dt.date(2025, 1, 1)
LAST_DAY = dt.date(2025, 1, 20)
days = st.dates(min_value=FIRST_DAY, max_value=LAST_DAY)

# Any text a JSON string can hold: every code point but surrogates, controls included.
any_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)
source_ids = st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,12}\Z")
urls = st.builds(
    lambda host, path: f"https://{host}.example/{path}",
    st.text(string.ascii_lowercase, min_size=1, max_size=8),
    st.text(string.ascii_letters + string.digits + "/%?=&-_.~", max_size=20),
)
STATES = ("ME", "TX", "FL")


@st.composite
def sources(draw: st.DrawFn, source_id: str | None = None) -> Source:
    return Source(
        id=source_id if source_id is not None else draw(source_ids),
        kind=draw(st.sampled_from(SourceKind)),
        title=draw(any_text),
        publisher=draw(any_text),
        url=draw(st.none() | urls),
        published=draw(st.none() | st.dates()),
        note=draw(st.none() | any_text),
        sheet=draw(st.none() | st.sampled_from(SheetKind)),
        half=draw(st.none() | st.sampled_from(["am", "pm"])),
        sha1=draw(st.none() | st.from_regex(r"\A[0-9a-f]{40}\Z")),
        rows=draw(st.none() | st.integers(min_value=0, max_value=10**9)),
    )


@st.composite
def departments(draw: st.DrawFn, dept_id: str) -> Department:
    return Department(
        id=dept_id,
        name=draw(any_text),
        state=dept_id[:2].upper(),
        type=draw(st.none() | any_text),
        county=draw(st.none() | any_text),
        aliases=tuple(draw(st.lists(any_text, max_size=2))),
    )


@st.composite
def events(draw: st.DrawFn, dept_ids: list[str], source_pool: list[str], models: list[Model] | None = None) -> Event:
    """One event that ``check_records`` accepts (references known, windows that close)."""
    kind = draw(st.sampled_from(EventKind))
    date = draw(days)
    not_before = draw(st.none() | st.dates(min_value=FIRST_DAY - dt.timedelta(days=10), max_value=date))
    signed = None
    if kind is EventKind.corrected or (kind is EventKind.signed and draw(st.booleans())):
        signed = draw(st.dates(min_value=FIRST_DAY - dt.timedelta(days=30), max_value=LAST_DAY))
    moa_url = None
    if kind is EventKind.moa_linked or (kind is EventKind.signed and draw(st.booleans())):
        moa_url = draw(urls)
    return Event(
        department_id=draw(st.sampled_from(dept_ids)),
        model=draw(st.sampled_from(models or list(Model))),
        kind=kind,
        date=date,
        sources=tuple(draw(st.lists(st.sampled_from(source_pool), min_size=1, max_size=2, unique=True))),
        not_before=not_before,
        note=draw(st.none() | any_text),
        signed=signed,
        moa_url=moa_url,
        moa_pending=kind is EventKind.signed and moa_url is None and draw(st.booleans()),
    )


@st.composite
def event_logs(draw: st.DrawFn, max_events: int = 40) -> tuple[list[Department], list[Source], list[Event]]:
    """Departments, sources and events *in the order they were recorded* (not date-sorted).

    Few agencies and models, and a log length drawn uniformly (hypothesis's lists favour
    short ones), so that each agreement sees long, interleaved runs of events.
    """
    n_depts = draw(st.integers(1, 3))
    dept_ids = [f"{STATES[i % len(STATES)].lower()}-agency-{i}" for i in range(n_depts)]
    depts = [draw(departments(i)) for i in dept_ids]
    source_pool = draw(st.lists(source_ids, min_size=1, max_size=3, unique=True))
    srcs = [draw(sources(sid)) for sid in source_pool]
    models = draw(st.lists(st.sampled_from(Model), min_size=1, max_size=2, unique=True))
    n_events = draw(st.integers(0, max_events))
    evs = draw(st.lists(events(dept_ids, source_pool, models), min_size=n_events, max_size=n_events))
    return depts, srcs, evs


@st.composite
def registries(draw: st.DrawFn) -> Registry:
    """A whole valid registry: every collection and optional field exercised."""
    from icestatus.registry import sort_events

    depts, srcs, evs = draw(event_logs(max_events=15))
    ids = [s.id for s in srcs]
    coverage = {}
    for kind in draw(st.lists(st.sampled_from(SheetKind), unique=True)):
        first, last = sorted(draw(st.lists(days, min_size=2, max_size=2)))
        coverage[kind] = SheetCoverage(first=first, first_source=draw(st.sampled_from(ids)),
                                       last=last, last_source=draw(st.sampled_from(ids)))
    policies = tuple(
        Policy(state=draw(st.sampled_from(STATES)), kind=draw(st.sampled_from(PolicyKind)), date=date,
               not_before=draw(st.none() | st.dates(max_value=date)), summary=draw(any_text),
               sources=(draw(st.sampled_from(ids)),))
        for date in draw(st.lists(days, max_size=2))
    )
    title = draw(st.sampled_from(["icestatus registry"]) | any_text)
    return Registry(schema_version=1, title=title, coverage=coverage, sources=tuple(srcs),
                    departments=tuple(depts), events=sort_events(evs), policies=policies)
