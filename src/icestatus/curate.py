"""Recorded facts: one dated, sourced event that a person adds (``icestatus record``).

ICE's sheets say who is listed, not what happened in between; a news report of a pause,
a press release of a termination, a records request with the signed MOA fill that in.
``record_event`` adds one such event with its source to a registry (``source_for`` finds
the source by URL or makes a new one), merging with the same fact already recorded, and
says whether replay would ignore it where it stands. Pure: no printing, no terminal.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import ValidationError

from icestatus.enums import EventKind, Model, SourceKind
from icestatus.errors import UsageError
from icestatus.models import Event, Registry, Source
from icestatus.replay import fold


@dataclass(frozen=True, slots=True)
class SourceFacts:
    """A source as the user describes it to ``record``."""

    url: str
    title: str
    publisher: str | None = None      # default: the URL's site ("mainepublic.org")
    published: dt.date | None = None
    kind: SourceKind = SourceKind.news


@dataclass(frozen=True, slots=True)
class Recorded:
    registry: Registry
    event: Event
    source_id: str
    new_source: bool
    merged: bool            # the same agency, model, kind and date was recorded: it gained the source
    unchanged: bool         # ... and already cited this source: nothing to write
    no_effect: str | None   # why replay ignores the event where it stands, if it does


def _slug(text: str, words: int = 8) -> str:
    return "-".join(re.sub(r"[^a-z0-9]+", " ", text.casefold()).split()[:words])


def source_for(registry: Registry, facts: SourceFacts) -> tuple[Source, bool]:
    """The registry's source with this URL, or a new one (id: publisher-date-title slug)."""
    for src in registry.sources:
        if src.url == facts.url:
            return src, False
    host = (urlsplit(facts.url).hostname or "").removeprefix("www.")
    publisher = facts.publisher or host or "unknown publisher"
    parts = [_slug(publisher, 3), facts.published.isoformat() if facts.published else "", _slug(facts.title)]
    base = "-".join(p for p in parts if p)[:120].strip("-") or "source"
    taken = {s.id for s in registry.sources}
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}-{n}", n + 1
    try:
        src = Source(id=sid, kind=facts.kind, title=facts.title.strip(), publisher=publisher.strip(),
                     url=facts.url.strip(), published=facts.published)
    except ValidationError as exc:
        raise UsageError(f"bad source: {_first_problem(exc)}") from None
    return src, True


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    field = ".".join(str(p) for p in err["loc"]) or "value"
    return f"{field}: {err['msg']}"


# What each rule of ``registry.event_rule_problems`` means for ``icestatus record``'s options.
_OPTION_MESSAGES = {
    "signed": "--kind corrected needs --signed DATE (the corrected signing date)",
    "moa_url": "--kind moa_linked needs --moa-url URL",
    "not_before": "--not-before {not_before} is after --date {date}",
}


def record_event(
    registry: Registry,
    department_id: str,
    *,
    kind: EventKind,
    model: Model,
    date: dt.date,
    source: SourceFacts,
    not_before: dt.date | None = None,
    note: str | None = None,
    signed: dt.date | None = None,
    moa_url: str | None = None,
) -> Recorded:
    """*registry* with one curated event (and its source) added, after the events
    already recorded for that day; an identical fact (agency, model, kind, date) already
    recorded gains the source instead (``registry.merge_registries``)."""
    from icestatus.registry import event_rule_problems, merge_registries
    from icestatus.sources.ice_columns import normalize_moa_url

    broken = event_rule_problems(kind, date, not_before, signed, moa_url)
    for field, message in _OPTION_MESSAGES.items():  # in the order of record's options
        if field in broken:
            raise UsageError(message.format(not_before=not_before, date=date))
    dept = next(d for d in registry.departments if d.id == department_id)
    src, new_source = source_for(registry, source)
    try:
        event = Event(
            department_id=department_id, model=model, kind=kind, date=date, not_before=not_before,
            sources=(src.id,), note=note.strip() if note and note.strip() else None, signed=signed,
            moa_url=normalize_moa_url(moa_url) if moa_url else None,
        )
    except ValidationError as exc:
        raise UsageError(f"bad event: {_first_problem(exc)}") from None
    same = [e for e in registry.events
            if (e.department_id, e.model, e.kind, e.date) == (department_id, model, kind, date)]
    if any(src.id in e.sources for e in same):
        return Recorded(registry=registry, event=same[0], source_id=src.id, new_source=False,
                        merged=True, unchanged=True, no_effect=None)
    extra = Registry(schema_version=registry.schema_version, sources=(src,), departments=(dept,), events=(event,))
    updated = merge_registries(registry, extra)
    problems: list[str] = []
    fold(
        [e for e in updated.events if e.department_id == department_id and e.model is model],
        rejected=lambda ev, why: problems.append(why)
        if (ev.kind, ev.date) == (kind, date) and src.id in ev.sources else None,
    )
    return Recorded(registry=updated, event=event, source_id=src.id, new_source=new_source,
                    merged=bool(same), unchanged=False, no_effect=problems[0] if problems else None)
