"""Properties of the core on random valid data (hypothesis, bounded and derandomized).

* replay at any date equals a naive reference fold written here, independently of
  ``replay.py``, from the rules in its docstring and the README;
* load -> save -> load is the identity, and saving is deterministic;
* a registry whose events were recorded out of date order loads to the same answers.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icestatus.enums import Model, Status
from icestatus.models import Department, Event, Registry
from icestatus.registry import (
    dump_registry,
    load_registry,
    parse_registry,
    save_registry,
    sort_events,
)
from icestatus.replay import fold, replay
from strategies import FIRST_DAY, LAST_DAY, event_logs, registries

PROPERTY = settings(max_examples=100, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# ---------------------------------------------------------------- the reference fold


def reference(events_in_recorded_order: list[Event], as_of: dt.date | None) -> set[tuple[Any, ...]]:
    """What should be in force or pending at the end of *as_of*, computed the slow way.

    For each agreement (agency + model) on its own: take its events dated on or before
    *as_of*, ordered by date and, within a day, by the order they were recorded, and walk
    them with a small state machine. Agreements and applications are separate states.
    """
    numbered = list(enumerate(events_in_recorded_order))
    keys = {(e.department_id, e.model) for e in events_in_recorded_order}
    out: set[tuple[Any, ...]] = set()
    for key in keys:
        mine = sorted(
            ((e.date, n, e) for n, e in numbered
             if (e.department_id, e.model) == key and (as_of is None or e.date <= as_of)),
            key=lambda t: (t[0], t[1]),
        )
        agreement: dict[str, Any] | None = None
        application: Event | None = None
        for _, _, e in mine:
            k = e.kind.value
            if k == "applied":
                application = e
            elif k == "withdrawn":
                application = None
            elif k == "signed":
                application = None
                if agreement is None:
                    agreement = {"moa_url": None, "moa_pending": False}
                agreement.update(status="active", event=e, since=e.date, nb=e.not_before,
                                 signed=e.signed if e.signed is not None else e.date)
                if e.moa_url is not None:
                    agreement.update(moa_url=e.moa_url, moa_pending=False)
                elif e.moa_pending:
                    agreement["moa_pending"] = True
            elif k == "corrected":
                if agreement is not None:
                    # A status that began with the signing itself moves with the corrected date.
                    began_at_signing = (agreement["status"] == "active" and agreement["event"].kind.value == "signed"
                                        and agreement["since"] == agreement["signed"])
                    if began_at_signing:
                        agreement["since"] = e.signed
                    agreement["signed"] = e.signed
            elif k == "moa_linked":
                if agreement is not None:
                    agreement.update(moa_url=e.moa_url, moa_pending=False)
            elif k == "paused":
                if agreement is not None and agreement["status"] == "active":
                    agreement.update(status="paused", event=e, since=e.date, nb=e.not_before)
            elif k == "resumed":
                if agreement is not None and agreement["status"] == "paused":
                    agreement.update(status="active", event=e, since=e.date, nb=e.not_before)
            elif k in ("terminated", "delisted"):
                agreement = None
            else:  # pragma: no cover - a new kind needs a rule here
                raise AssertionError(f"reference fold has no rule for {k}")
        if agreement is not None:
            out.add((*key, agreement["status"], agreement["since"], agreement["nb"], agreement["signed"],
                     agreement["event"], agreement["moa_url"], agreement["moa_pending"]))
        if application is not None:
            out.add((*key, "pending", application.date, application.not_before, None, application, None, False))
    return out


def as_tuples(states: list[Any]) -> set[tuple[Any, ...]]:
    return {(a.department.id, a.model, a.status.value, a.since, a.since_not_before, a.signed, a.event,
             a.moa_url, a.moa_pending) for a in states}


def registry_from(depts: list[Department], srcs: list[Any], recorded: list[Event]) -> Registry:
    return Registry(schema_version=1, sources=tuple(srcs), departments=tuple(depts), events=sort_events(recorded))


# ---------------------------------------------------------------- replay


# Every day of the strategies' range, one day either side, and "after every event".
EVERY_DATE = [None, *(FIRST_DAY + dt.timedelta(days=n) for n in range(-1, (LAST_DAY - FIRST_DAY).days + 2))]


@PROPERTY
@given(log=event_logs())
def test_replay_equals_the_reference_fold_on_every_date(log: tuple[list[Department], list[Any], list[Event]]) -> None:
    depts, srcs, recorded = log
    registry = registry_from(depts, srcs, recorded)
    for as_of in EVERY_DATE:
        states = replay(registry, as_of)
        assert as_tuples(states) == reference(recorded, as_of), as_of
        # One row per agreement and per application, sorted by state, agency name, model, status.
        keys = [(a.department.id, a.model, a.status is Status.pending) for a in states]
        assert len(keys) == len(set(keys))
        models = list(Model)
        order = [(a.department.state, a.department.name.casefold(), models.index(a.model), list(Status).index(a.status))
                 for a in states]
        assert order == sorted(order)


@settings(PROPERTY, max_examples=50)
@given(log=event_logs(), cut=st.dates(min_value=FIRST_DAY, max_value=LAST_DAY))
def test_fold_continued_from_an_earlier_fold_equals_one_fold(
    log: tuple[list[Department], list[Any], list[Event]], cut: dt.date
) -> None:
    """``fold(..., into=)`` (trend folds the log slice by slice) gives what one fold gives."""
    depts, srcs, recorded = log
    events = registry_from(depts, srcs, recorded).events
    before = tuple(e for e in events if e.date <= cut)
    after = tuple(e for e in events if e.date > cut)
    for as_of in [d for d in EVERY_DATE if d is None or d > cut]:
        agreements, applications = fold(after, as_of, into=fold(before))
        whole_agreements, whole_applications = fold(events, as_of)
        assert applications == whole_applications
        assert {k: (a.status, a.since, a.since_not_before, a.signed, a.event, a.moa_url, a.moa_pending)
                for k, a in agreements.items()} == {
            k: (a.status, a.since, a.since_not_before, a.signed, a.event, a.moa_url, a.moa_pending)
            for k, a in whole_agreements.items()}


@PROPERTY
@given(log=event_logs(max_events=25))
def test_events_recorded_out_of_date_order_load_to_the_same_answers(
    tmp_path: Path, log: tuple[list[Department], list[Any], list[Event]]
) -> None:
    """A hand-edited file may list events out of date order: loading sorts them, keeping
    the recorded order of same-day events, so answers follow the reference."""
    depts, srcs, recorded = log
    doc = json.loads(dump_registry(registry_from(depts, srcs, [])))
    doc["events"] = [json.loads(dump_registry(registry_from(depts, srcs, [e])))["events"][0] for e in recorded]
    loaded = parse_registry(json.dumps(doc).encode(), tmp_path / "hand-edited.json")
    assert list(loaded.events) == sorted(recorded, key=lambda e: e.date)  # stable: same-day order kept
    for as_of in EVERY_DATE:
        assert as_tuples(replay(loaded, as_of)) == reference(recorded, as_of), as_of


# ---------------------------------------------------------------- load / save


@PROPERTY
@given(registry=registries())
def test_load_save_load_is_the_identity(tmp_path: Path, registry: Registry) -> None:
    path = tmp_path / "registry.json"
    save_registry(registry, path, backup=False)
    first = load_registry(path)
    assert first == registry
    data = path.read_bytes()
    save_registry(first, path)
    assert path.read_bytes() == data  # saving is deterministic: no diff noise between runs
    assert load_registry(path) == registry
    assert load_registry(path.with_name(path.name + ".bak")) == registry
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registry.json", "registry.json.bak"]
    path.unlink()
    path.with_name(path.name + ".bak").unlink()
