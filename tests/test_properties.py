"""Properties of the core on random valid data (hypothesis, bounded and derandomized).

* replay at any date equals a naive reference fold written here, independently of
  ``replay.py``, from the rules in its docstring and the README;
* load -> save -> load is the identity, and saving is deterministic;
* a registry whose events were recorded out of date order loads to the same answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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

PROPERTY = settings(max_examples=100, derandomize=True, deadline=None, database=None,
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


# ---------------------------------------------------------------- ingest of synthetic ICE sheets

# Agencies whose names no ingest rule could take for one another (distinct distinctive words).
AGENCIES = [
    ("TX", "Kerr County Sheriff's Office"), ("TX", "Harris County Sheriff's Office"),
    ("FL", "Marion County Sheriff's Office"), ("FL", "Ocala Police Department"),
    ("ME", "Wells Police Department"), ("TX", "Brazos County Constable Precinct 3"),
]
MODELS = [Model.task_force, Model.jail_enforcement]
SIGNED_DAYS = [dt.date(2025, 2, 27), dt.date(2025, 2, 28), dt.date(2025, 4, 2), dt.date(2025, 5, 10)]


@st.composite
def sheet_series(draw: st.DrawFn) -> list[Any]:
    """ICE's publications over a few weeks: each date has a participating sheet, a pending
    sheet or both; agreements come and go, signing dates get corrected, applications get
    signed or vanish. Every SIGNED is on or before its sheet's date."""
    from icestatus.enums import SheetKind
    from icestatus.sources import Roster, RosterRow

    keys = [(a, m) for a in range(len(AGENCIES)) for m in MODELS]
    signed = {k: draw(st.sampled_from(SIGNED_DAYS)) for k in keys}
    sheets = []
    day = dt.date(2025, 5, 16)
    for _ in range(draw(st.integers(1, 5))):
        day += dt.timedelta(days=draw(st.integers(1, 10)))
        for kind in draw(st.sampled_from([[SheetKind.participating], [SheetKind.pending],
                                          [SheetKind.participating, SheetKind.pending]])):
            listed = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
            rows = []
            for i, (a, m) in enumerate(listed):
                if kind is SheetKind.participating and draw(st.integers(0, 4)) == 0:
                    signed[(a, m)] = draw(st.sampled_from(SIGNED_DAYS))  # ICE corrects a date
                state, name = AGENCIES[a]
                rows.append(RosterRow(row=i + 2, state=state, agency=name, type="County", county=None, model=m,
                                     signed=signed[(a, m)] if kind is SheetKind.participating else None,
                                     moa=None, moa_url=None))
            sha1 = hashlib.sha1(repr((kind, day, rows)).encode()).hexdigest()
            sheets.append(Roster(path=Path(f"{kind.value}Agencies{day:%m%d%Y}am.xlsx"), kind=kind, published=day,
                                half="am", sha1=sha1, rows=tuple(rows)))
    return sheets


INGEST = settings(PROPERTY, max_examples=60)


@INGEST
@given(sheets=sheet_series())
def test_as_of_each_publication_reproduces_the_sheet(sheets: list[Any]) -> None:
    from icestatus.enums import SheetKind
    from icestatus.ingest import ingest_sheets
    from icestatus.names import normalize_name
    from icestatus.registry import empty_registry

    registry = ingest_sheets(empty_registry(), sheets).registry
    assert check_records_clean(registry)
    for sheet in sheets:
        states = replay(registry, sheet.published)
        expected = {(r.state, normalize_name(r.agency), r.model) for r in sheet.rows}
        if sheet.kind is SheetKind.participating:
            got = {(a.department.state, normalize_name(a.department.name), a.model): a.signed
                   for a in states if a.status is not Status.pending}
            assert set(got) == expected, sheet.published
            assert got == {(r.state, normalize_name(r.agency), r.model): r.signed for r in sheet.rows}
        else:
            got_pending = {(a.department.state, normalize_name(a.department.name), a.model)
                           for a in states if a.status is Status.pending}
            assert got_pending == expected, sheet.published


@INGEST
@given(sheets=sheet_series())
def test_ingest_is_idempotent(sheets: list[Any]) -> None:
    from icestatus.ingest import ingest_sheets
    from icestatus.registry import empty_registry

    once = ingest_sheets(empty_registry(), sheets).registry
    again = ingest_sheets(once, sheets)
    assert again.registry == once
    assert all(f.skipped and not f.events for f in again.files)


@INGEST
@given(sheets=sheet_series())
def test_sheets_one_by_one_equal_sheets_in_one_call(sheets: list[Any]) -> None:
    from icestatus.ingest import ingest_sheets
    from icestatus.registry import empty_registry

    together = ingest_sheets(empty_registry(), sheets).registry
    one_by_one = empty_registry()
    for sheet in sheets:  # already in publication order
        one_by_one = ingest_sheets(one_by_one, [sheet]).registry
        one_by_one = parse_registry(dump_registry(one_by_one), Path("saved-between-runs.json"))
    assert one_by_one == together


def check_records_clean(registry: Registry) -> bool:
    from icestatus.registry import check_records

    return check_records(registry) == [] and parse_registry(dump_registry(registry), Path("r.json")) == registry


@settings(PROPERTY, max_examples=15)
@given(sheets=sheet_series())
def test_ingest_command_then_as_of_reproduces_each_csv_sheet(tmp_path_factory: Any, sheets: list[Any]) -> None:
    """The same, end to end: sheets written as CSV files, `icestatus ingest`, `icestatus as-of`."""
    import csv

    from typer.testing import CliRunner

    from icestatus.cli import app
    from icestatus.enums import MODEL_LABELS, SheetKind
    from icestatus.states import state_name

    folder = tmp_path_factory.mktemp("ingest-cli")
    runner = CliRunner()
    registry = folder / "registry.json"
    files = []
    for sheet in sheets:
        path = folder / sheet.path.with_suffix(".csv").name
        with path.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE",
                          *(["SIGNED", "MOA"] if sheet.kind is SheetKind.participating else [])])
            for r in sheet.rows:
                out.writerow([state_name(r.state).upper(), r.agency, r.type, "#N/A", MODEL_LABELS[r.model],
                              *([f"{r.signed:%m/%d/%Y}", "link pending"] if r.signed else [])])
        files.append(str(path))
    assert runner.invoke(app, ["init", str(registry)]).exit_code == 0
    result = runner.invoke(app, ["ingest", *reversed(files), "-r", str(registry)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    for sheet in sheets:
        out = runner.invoke(app, ["as-of", sheet.published.isoformat(), "-r", str(registry), "-f", "json"],
                            catch_exceptions=False).stdout
        pending = sheet.kind is SheetKind.pending
        got = {(r["state"], r["department"], r["model"], r["signed"]) for r in json.loads(out)
               if (r["status"] == "pending") == pending}
        assert got == {(r.state, r.agency, r.model.value, r.signed.isoformat() if r.signed else None)
                       for r in sheet.rows}, sheet.path.name
