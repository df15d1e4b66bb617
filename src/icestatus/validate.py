"""A full integrity check of a registry file: every problem, each with its JSON path.

Loading (``registry.load_registry``) stops at the first problem, because a command that
answers a question cannot answer it from a broken file. ``validate`` is for the people who
edit and publish registries: it reports *every* problem, so that one run tells them all
there is to fix:

* schema: every error Pydantic finds (wrong types, missing or unknown fields, events
  without a source, ...), each at its JSON path;
* records (``registry.check_records``): duplicate ids, unknown departments and sources,
  ``not_before`` after ``date``, fields some kinds need;
* order: events whose date is before the one recorded just above them;
* transitions: events that make no sense where they stand (terminated with no agreement
  in force, resumed while not paused, withdrawn with nothing pending, ...), found by
  replaying the log with ``replay.fold`` itself, so replay and validation never disagree;
* dates after today (events, signing dates, policies, sources, coverage).

The integrity checks need records that passed the schema; a file with schema errors gets
those listed, and the rest checked once they are fixed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from icestatus.models import Event, Registry
from icestatus.registry import (
    Problem,
    building_registry,
    check_records,
    error_message,
    json_path,
    not_json_message,
    parse_json_or_none,
    read_registry_bytes,
    record_label,
    registry_from_json,
    sort_events,
)
from icestatus.replay import fold


@dataclass(frozen=True, slots=True)
class Validation:
    """The outcome of checking one file."""

    path: Path
    problems: list[Problem]
    registry: Registry | None  # None when the file did not pass the schema

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok and self.registry is not None:
            r = self.registry
            return (f"{self.path}: valid: {len(r.sources):,} sources, {len(r.departments):,} agencies, "
                    f"{len(r.events):,} events, {len(r.policies):,} policies")
        n = len(self.problems)
        text = f"{self.path}: {n:,} problem{'s' if n != 1 else ''}"
        if self.registry is None:
            text += " (the integrity checks run once the file passes the schema)"
        return text


def validate_file(path: Path, today: dt.date) -> Validation:
    """Check the file at *path*; unreadable paths raise RegistryError as load does."""
    return validate_bytes(read_registry_bytes(path), path, today)


def validate_bytes(data: bytes, path: Path, today: dt.date) -> Validation:
    if not data.strip():
        return Validation(path, [Problem("(top level)", "empty file, not a registry")], None)
    try:
        with building_registry():
            registry = registry_from_json(data)
    except ValidationError as exc:
        return Validation(path, schema_problems(exc, data), None)
    problems = duplicate_key_problems(data)
    problems += check_records(registry)
    problems += order_problems(registry.events)
    problems += transition_problems(registry.events)
    problems += future_problems(registry, today)
    problems.sort(key=_file_order)  # stable: a record's problems keep the order of the checks
    return Validation(path, problems, registry)


_SECTIONS = {name: i for i, name in enumerate(
    ("(top level)", "schema_version", "title", "coverage", "sources", "departments", "policies", "events"))}
_PATH_HEAD = re.compile(r"([a-z_()\s]+)(?:\[(\d+)\])?")


def duplicate_key_problems(data: bytes) -> list[Problem]:
    """Keys given twice in one JSON object. A JSON parser keeps the last one, so a second
    ``"events"`` key would silently drop every event of the first: say so."""
    out: list[Problem] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, _Pairs):  # before list: _Pairs is a list of pairs
            seen: set[str] = set()
            for key, item in value:
                here = f"{where}.{key}" if where else key
                if key in seen:
                    out.append(Problem(here, "key given twice in one object; a reader keeps only the last"))
                seen.add(key)
                if isinstance(item, list):
                    walk(item, here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, list):
                    walk(item, f"{where}[{i}]")

    try:
        doc = json.loads(data, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError):
        return []  # the schema check reports what is wrong with the text
    walk(doc, "")
    return out


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as the list of its (key, value) pairs, duplicates kept."""


def _file_order(problem: Problem) -> tuple[int, int]:
    """Problems in the order of the records they are about, as a reader meets them."""
    match = _PATH_HEAD.match(problem.path)
    if match is None:
        return (len(_SECTIONS), 0)
    return (_SECTIONS.get(match[1], len(_SECTIONS)), int(match[2]) if match[2] else -1)


def schema_problems(exc: ValidationError, data: bytes) -> list[Problem]:
    """One Problem per Pydantic error, at its JSON path, naming the record when it can."""
    errors = exc.errors(include_url=False)
    if errors and errors[0]["type"] == "json_invalid":  # a BOM, UTF-16, bytes that are not UTF-8: say so
        return [Problem("(top level)", not_json_message(errors[0], data))]
    doc = parse_json_or_none(data)
    return [
        Problem(json_path(tuple(err["loc"])),
                error_message(err, show_records=False) + record_label(doc, tuple(err["loc"])))
        for err in errors
    ]


def _what(ev: Event) -> str:
    return f"{ev.department_id}, {ev.model.value}, {ev.date}"


def order_problems(events: tuple[Event, ...]) -> list[Problem]:
    """Events dated before the event recorded just above them (loading sorts them, stably,
    so the file still replays; but a hand edit out of order is usually a mistake)."""
    return [
        Problem(f"events[{i}].date", f"{b.date} is before the date of events[{i - 1}] ({a.date}): "
                "keep events in date order")
        for i, (a, b) in enumerate(pairwise(events), start=1)
        if b.date < a.date
    ]


def transition_problems(events: tuple[Event, ...]) -> list[Problem]:
    """Events replay ignores because they make no sense where they stand, in replay order
    (date, then file order) and named by their position in the file."""
    index = {id(ev): i for i, ev in enumerate(events)}
    problems: list[Problem] = []

    def rejected(ev: Event, why: str) -> None:
        problems.append(Problem(f"events[{index[id(ev)]}].kind", f"{why} ({_what(ev)})"))

    fold(sort_events(events), rejected=rejected)
    return problems


def future_problems(registry: Registry, today: dt.date) -> list[Problem]:
    """Dates after *today*: a registry records what happened, not what is planned."""
    def after(value: dt.date | None) -> bool:
        return value is not None and value > today

    out: list[Problem] = []
    for i, ev in enumerate(registry.events):
        for name in ("date", "not_before", "signed"):
            value = getattr(ev, name)
            if after(value):
                out.append(Problem(f"events[{i}].{name}",
                                   f"{value} is in the future (today is {today}) ({ev.department_id})"))
                break  # one line per event: not_before and signed follow from date
    for i, pol in enumerate(registry.policies):
        if after(pol.date):
            out.append(Problem(f"policies[{i}].date", f"{pol.date} is in the future (today is {today}) ({pol.state})"))
    for i, src in enumerate(registry.sources):
        if after(src.published):
            out.append(Problem(f"sources[{i}].published",
                               f"{src.published} is in the future (today is {today}) ({src.id})"))
    for kind, cov in registry.coverage.items():
        for name in ("first", "last"):
            value = getattr(cov, name)
            if after(value):
                out.append(Problem(f"coverage.{kind.value}.{name}", f"{value} is in the future (today is {today})"))
    return out
