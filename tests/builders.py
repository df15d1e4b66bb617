"""Small builders for registries in tests: name the facts, get a valid Registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from icestatus.models import Department, Event, Registry, Source
from icestatus.registry import save_registry, sort_events

SOURCE = Source(id="test-source", kind="news", title="A test report", publisher="Test Gazette",
                url="https://example.org/report", published=dt.date(2025, 1, 1))


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def ev(dept: str, kind: str, date: str, model: str = "task_force", **fields: Any) -> Event:
    """An event of agency *dept* (an id such as ``me-wells``); dates as ISO strings."""
    for key in ("not_before", "signed"):
        if isinstance(fields.get(key), str):
            fields[key] = d(fields[key])
    fields.setdefault("sources", (SOURCE.id,))
    return Event(department_id=dept, model=model, kind=kind, date=d(date), **fields)


def dept(dept_id: str, name: str | None = None, **fields: Any) -> Department:
    state = dept_id[:2].upper()
    return Department(id=dept_id, name=name or dept_id[3:].replace("-", " ").title(), state=state, **fields)


def registry_of(events: Iterable[Event], departments: Iterable[Department] = (),
                sources: Iterable[Source] = (SOURCE,), **fields: Any) -> Registry:
    """A registry holding *events*, with a department made up for every id not given."""
    events = list(events)
    known = {x.id: x for x in departments}
    for e in events:
        known.setdefault(e.department_id, dept(e.department_id))
    return Registry(schema_version=1, sources=tuple(sources), departments=tuple(known.values()),
                    events=sort_events(events), **fields)


def write(registry: Registry, path: Path) -> Path:
    save_registry(registry, path, backup=False)
    return path
