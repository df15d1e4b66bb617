"""diff, stats, trend, states and sources: the core (icestatus.reports) and the commands.

The fixture registry (tests/fixtures/reports_registry.json) holds one example of every
kind of change between 2025-05-16 and 2025-07-18; the comments in TestDiff say which.
Facts checked against ICE's own sheets are in TestAgainstIceSheets at the end, which
runs on the bundled registry and skips without ../shared.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from builders import SOURCE, dept, ev, registry_of, write
from icestatus import reports
from icestatus.cli import app
from icestatus.enums import EventKind, Every, Model, SheetKind, StatsBy, Status
from icestatus.errors import UsageError
from icestatus.models import Event, Registry
from icestatus.output import rows as output_rows
from icestatus.registry import bundled_registry_path, load_registry
from icestatus.replay import replay

FIXTURE = Path(__file__).parent / "fixtures" / "reports_registry.json"
D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def reg() -> Registry:
    return load_registry(FIXTURE)


def run(runner: CliRunner, *args: str, code: int = 0, registry: Path = FIXTURE) -> tuple[str, str]:
    result = runner.invoke(app, [*args, "--registry", str(registry)], catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout, result.stderr


def as_json(runner: CliRunner, *args: str, registry: Path = FIXTURE) -> Any:
    out, _ = run(runner, *args, "--format", "json", registry=registry)
    return json.loads(out)


def as_csv(runner: CliRunner, *args: str, registry: Path = FIXTURE) -> tuple[list[str], list[dict[str, str]]]:
    out, _ = run(runner, *args, "--format", "csv", registry=registry)
    reader = csv.DictReader(io.StringIO(out))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def in_force(registry: Registry, date: dt.date) -> dict[tuple[str, Model], Status]:
    return {(a.department.id, a.model): a.status for a in replay(registry, date) if a.status is not Status.pending}


def pending(registry: Registry, date: dt.date) -> set[tuple[str, Model]]:
    return {(a.department.id, a.model) for a in replay(registry, date) if a.status is Status.pending}


# Random valid event logs: a few agencies in two states, every kind of event (sensible
# or not: replay ignores what makes no sense), dates from a short span so that same-day
# events are common, windows on some.
AGENCIES = ["tx-a", "tx-b", "me-c", "me-d"]
_KINDS = ["applied", "withdrawn", "signed", "corrected", "moa_linked", "paused", "resumed", "terminated", "delisted"]
_BASE = dt.date(2025, 1, 1)


@st.composite
def event_logs(draw: st.DrawFn) -> Registry:
    n = draw(st.integers(min_value=0, max_value=40))
    events: list[Event] = []
    for _ in range(n):
        kind = draw(st.sampled_from(_KINDS))
        day = draw(st.integers(min_value=0, max_value=60))
        fields: dict[str, Any] = {}
        if draw(st.booleans()) and day:
            fields["not_before"] = (_BASE + dt.timedelta(days=draw(st.integers(0, day)))).isoformat()
        if kind == "corrected" or (kind == "signed" and draw(st.booleans())):
            fields["signed"] = (_BASE + dt.timedelta(days=draw(st.integers(0, 60)))).isoformat()
        if kind == "moa_linked" or (kind == "signed" and draw(st.booleans())):
            fields["moa_url"] = f"https://example.org/moa/{draw(st.integers(0, 3))}.pdf"
        events.append(ev(draw(st.sampled_from(AGENCIES)), kind, (_BASE + dt.timedelta(days=day)).isoformat(),
                         draw(st.sampled_from(list(Model))).value, **fields))
    return registry_of(events, [dept(a) for a in AGENCIES])


PROPERTY = settings(max_examples=150, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- diff


class TestDiff:
    def test_every_kind_of_change_with_its_event(self, reg: Registry) -> None:
        changes = reports.diff(reg, D("2025-05-16"), D("2025-07-18"), transient=True)
        got = [(c.kind.value, c.department.id, c.model.value, c.event.kind.value, str(c.event.date), c.before, c.after)
               for c in changes]
        assert got == [
            # signed inside the window: in force at TO, not at FROM (the long name sorts by state: FL first)
            ("started", "fl-consolidated-municipal-police-department", "task_force", "signed", "2025-07-18", None, "2025-07-18"),
            ("started", "tx-austin-police-department", "task_force", "signed", "2025-07-18", None, "2025-07-02"),
            # delisted with a window (last listed 2025-05-16)
            ("ended", "tx-harris-county-sheriffs-office", "jail_enforcement", "delisted", "2025-07-18", "2025-02-01", None),
            ("paused", "me-wells-police-department", "task_force", "paused", "2025-05-20", "active", "paused"),
            ("corrected", "fl-miami-dade-police-department", "warrant_service", "corrected", "2025-06-10", "2025-03-01", "2025-03-02"),
            ("moa_linked", "tx-harris-county-sheriffs-office", "task_force", "moa_linked", "2025-06-15", None,
             "https://www.ice.gov/doclib/287gMOA/harrisTFM.pdf"),
            ("applied", "fl-consolidated-municipal-police-department", "jail_enforcement", "applied", "2025-06-20", None, None),
            # pending at FROM (applied 2025-05-02), withdrawn 2025-07-10
            ("withdrawn", "tx-dallas-police-department", "task_force", "withdrawn", "2025-07-10", None, None),
            # applied 05-17 and withdrawn 07-01; signed 06-01 and terminated 07-01: the same at both ends
            ("transient", "fl-miami-dade-police-department", "task_force", "withdrawn", "2025-07-01", "applied → withdrawn", None),
            ("transient", "tx-short-lived-police-department", "warrant_service", "terminated", "2025-07-01", "signed → terminated", None),
        ]
        # Austin's application (pending at FROM) was closed by its signing: one row, "started".
        assert sum(1 for c in changes if c.department.id == "tx-austin-police-department") == 1

    def test_default_is_the_net_difference_of_the_two_replays(self, reg: Registry) -> None:
        start, end = D("2025-05-16"), D("2025-07-18")
        changes = reports.diff(reg, start, end)
        assert all(c.kind is not reports.ChangeKind.transient for c in changes)
        before, after = in_force(reg, start), in_force(reg, end)
        def keys(kind: reports.ChangeKind) -> set[tuple[str, Model]]:
            return {(c.department.id, c.model) for c in changes if c.kind is kind}

        assert keys(reports.ChangeKind.started) == set(after) - set(before)
        assert keys(reports.ChangeKind.ended) == set(before) - set(after)
        assert keys(reports.ChangeKind.applied) == pending(reg, end) - pending(reg, start)

    def test_window_is_kept_and_marked_approximate(self, reg: Registry) -> None:
        ended = [c for c in reports.diff(reg, D("2025-05-16"), D("2025-07-18")) if c.kind is reports.ChangeKind.ended]
        row = output_rows.change_rows(ended)[0]
        assert (row["not_before"], row["date"], row["approximate"]) == ("2025-05-16", "2025-07-18", True)

    def test_from_is_exclusive_to_is_inclusive(self, reg: Registry) -> None:
        # Wells paused on 2025-05-20: a diff ending that day has it, one starting that day does not.
        assert any(c.kind is reports.ChangeKind.paused for c in reports.diff(reg, D("2025-05-19"), D("2025-05-20")))
        assert not any(c.kind is reports.ChangeKind.paused for c in reports.diff(reg, D("2025-05-20"), D("2025-07-18")))
        assert reports.diff(reg, D("2025-07-18"), D("2025-07-18")) == []

    def test_filters(self, reg: Registry) -> None:
        start, end = D("2025-05-16"), D("2025-07-18")
        assert {c.department.state for c in reports.diff(reg, start, end, state="TX")} == {"TX"}
        assert {c.model for c in reports.diff(reg, start, end, models=[Model.jail_enforcement])} == {Model.jail_enforcement}
        assert {c.department.type for c in reports.diff(reg, start, end, types=["county"])} == {"County"}
        by_news = reports.diff(reg, start, end, source="gazette-2025-06-01")
        assert [c.kind.value for c in by_news] == ["paused", "withdrawn"]

    def test_renewal_and_resumption(self) -> None:
        registry = registry_of([
            ev("tx-a", "signed", "2025-01-01"),
            ev("tx-a", "paused", "2025-02-01"),
            ev("tx-a", "resumed", "2025-03-01"),
            ev("tx-a", "signed", "2025-03-05"),  # a renewal: a new signing date
        ])
        kinds = [(c.kind.value, c.before, c.after) for c in reports.diff(registry, D("2025-02-15"), D("2025-04-01"))]
        assert kinds == [("resumed", "paused", "active"), ("renewed", "2025-01-01", "2025-03-05")]

    def test_delisted_and_listed_again_with_the_same_signing_is_no_change(self) -> None:
        registry = registry_of([
            ev("tx-a", "signed", "2025-01-01"),
            ev("tx-a", "delisted", "2025-02-01"),
            ev("tx-a", "signed", "2025-03-01", signed="2025-01-01"),
        ])
        assert reports.diff(registry, D("2025-01-15"), D("2025-04-01")) == []
        [c] = reports.diff(registry, D("2025-01-15"), D("2025-04-01"), transient=True)
        assert (c.kind.value, c.before) == ("transient", "delisted → signed")

    def test_events_replay_ignores_are_not_changes(self) -> None:
        registry = registry_of([ev("tx-a", "signed", "2025-01-01"), ev("tx-a", "resumed", "2025-02-01")])
        assert reports.diff(registry, D("2025-01-15"), D("2025-03-01"), transient=True) == []

    def test_bad_requests(self, reg: Registry) -> None:
        with pytest.raises(UsageError, match="FROM 2025-07-18 is after TO 2025-05-16"):
            reports.diff(reg, D("2025-07-18"), D("2025-05-16"))
        with pytest.raises(UsageError, match="unknown source 'nope'; see `icestatus sources`"):
            reports.diff(reg, D("2025-05-16"), D("2025-07-18"), source="nope")


class TestDiffProperty:
    @PROPERTY
    @given(registry=event_logs(), start=st.integers(-2, 62), span=st.integers(0, 64))
    def test_changes_are_exactly_the_difference_of_two_replays(self, registry: Registry, start: int, span: int) -> None:
        first = _BASE + dt.timedelta(days=start)
        last = first + dt.timedelta(days=span)
        changes = reports.diff(registry, first, last, transient=True)
        K = reports.ChangeKind

        def keys(*kinds: reports.ChangeKind) -> set[tuple[str, Model]]:
            return {(c.department.id, c.model) for c in changes if c.kind in kinds}

        was = {(a.department.id, a.model): a for a in replay(registry, first) if a.status is not Status.pending}
        now = {(a.department.id, a.model): a for a in replay(registry, last) if a.status is not Status.pending}
        both = set(was) & set(now)
        assert keys(K.started) == set(now) - set(was)
        assert keys(K.ended) == set(was) - set(now)
        assert keys(K.paused) == {k for k in both if (was[k].status, now[k].status) == (Status.active, Status.paused)}
        assert keys(K.resumed) == {k for k in both if (was[k].status, now[k].status) == (Status.paused, Status.active)}
        assert keys(K.renewed, K.corrected) == {k for k in both if was[k].signed != now[k].signed}
        assert keys(K.moa_linked) == {k for k in both if was[k].moa_url != now[k].moa_url and now[k].moa_url}
        assert keys(K.applied) == pending(registry, last) - pending(registry, first)
        closed = pending(registry, first) - pending(registry, last)
        assert keys(K.withdrawn) <= closed
        assert all(any(e.kind.value == "signed" and first < e.date <= last and (e.department_id, e.model) == k
                       for e in registry.events) for k in closed - keys(K.withdrawn))
        net = keys(*(k for k in K if k is not K.transient))
        assert not keys(K.transient) & net
        assert all(first < c.event.date <= last for c in changes)
        # the default leaves out exactly the transient ones
        assert reports.diff(registry, first, last) == [c for c in changes if c.kind is not K.transient]


class TestDiffCommand:
    def test_json_rows(self, runner: CliRunner) -> None:
        rows = as_json(runner, "diff", "2025-05-16", "2025-07-18")
        assert [r["change"] for r in rows] == ["started", "started", "ended", "paused", "corrected", "moa_linked",
                                               "applied", "withdrawn"]
        assert set(rows[0]) == set(output_rows.DIFF_COLUMNS)
        paused = rows[3]
        assert paused["department"] == "Wells Police Department"
        assert paused["source"] == "gazette-2025-06-01" and paused["note"].startswith("Paused while")

    def test_all_adds_what_changed_back(self, runner: CliRunner) -> None:
        rows = as_json(runner, "diff", "2025-05-16", "2025-07-18", "--all")
        assert [r["change"] for r in rows][-2:] == ["transient", "transient"]

    def test_csv_has_the_json_columns(self, runner: CliRunner) -> None:
        columns, rows = as_csv(runner, "diff", "2025-05-16", "2025-07-18", "--state", "tx")
        assert columns == list(output_rows.DIFF_COLUMNS)
        assert [(r["change"], r["department"]) for r in rows] == [
            ("started", "Austin Police Department"), ("ended", "Harris County Sheriff's Office"),
            ("moa_linked", "Harris County Sheriff's Office"), ("withdrawn", "Dallas Police Department")]

    def test_table_groups_changes_and_lists_sources(self, runner: CliRunner) -> None:
        out, _ = run(runner, "diff", "2025-05-16", "2025-07-18")
        assert out.startswith("Changes to 287(g) agreements from the end of 2025-05-16 to the end of 2025-07-18")
        for heading in ("Started (signed): 2", "Ended (terminated or delisted): 1", "Paused: 1",
                        "Signing date corrected: 1", "MOA linked: 1", "Applied (now pending): 1",
                        "Application withdrawn: 1"):
            assert heading in out
        assert out.index("Started (signed)") < out.index("Ended") < out.index("Application withdrawn")
        assert "2025-05-16..2025-07-18" in out  # the delisting's window
        assert "signed 2025-03-01 → 2025-03-02" in out
        assert "[1]  ICE, 2025-07-18: Participating agencies, 2025-07-18 pm (ice-2025-07-18)" in out
        assert "8 changes: 2 started, 1 ended" in out
        assert "2 agreements or applications changed and changed back in between (shown with --all)" in out

    def test_limit_and_source_filter(self, runner: CliRunner) -> None:
        assert len(as_json(runner, "diff", "2025-05-16", "2025-07-18", "--limit", "3")) == 3
        out, _ = run(runner, "diff", "2025-05-16", "2025-07-18", "--limit", "3")
        assert "showing the first 3 of 8 changes (drop --limit to see all)" in out
        rows = as_json(runner, "diff", "2025-05-16", "2025-07-18", "--source", "gazette-2025-06-01")
        assert {r["source"] for r in rows} == {"gazette-2025-06-01"}

    def test_nothing_changed_in_words(self, runner: CliRunner) -> None:
        out, _ = run(runner, "diff", "2025-07-19", "2025-08-01", "--state", "TX")
        assert out.splitlines() == [
            "No changes to 287(g) agreements in Texas between the end of 2025-07-19 and the end of 2025-08-01.",
            "Both dates rest on ICE's latest list, of 2025-07-18.",
            "ICE's latest participating list in this registry is of 2025-07-18: changes in this period are known "
            "only where a news source reported them."]
        assert as_json(runner, "diff", "2025-07-19", "2025-08-01") == []

    @pytest.mark.parametrize(("args", "code", "message"), [
        (["diff", "2025-07-18", "2025-05-16"], 2, "FROM 2025-07-18 is after TO 2025-05-16: give the earlier date first"),
        (["diff", "2025-13-01", "2025-07-18"], 2, "bad FROM date '2025-13-01': there is no month 13"),
        (["diff", "2025-05-16", "soon"], 2, "bad TO date 'soon': use YYYY-MM-DD"),
        (["diff", "2025-05-16", "2025-07-18", "--state", "Atlantis"], 2, "unknown state 'Atlantis'"),
        (["diff", "2025-05-16", "2025-07-18", "--source", "nope"], 2, "unknown source 'nope'"),
    ])
    def test_errors(self, runner: CliRunner, args: list[str], code: int, message: str) -> None:
        _, err = run(runner, *args, code=code)
        assert err.startswith("icestatus: error: " + message) and err.count("\n") == 1

    def test_missing_registry(self, runner: CliRunner, tmp_path: Path) -> None:
        _, err = run(runner, "diff", "2025-05-16", "2025-07-18", code=1, registry=tmp_path / "none.json")
        assert err.startswith(f"icestatus: error: {tmp_path / 'none.json'}: no such registry")


# ---------------------------------------------------------------- stats


class TestStats:
    def test_by_state_counts_models_paused_pending_agencies(self, reg: Registry) -> None:
        groups, total = reports.stats(replay(reg, D("2025-07-18")), StatsBy.state)
        rows = {t.group: output_rows.stats_row(t, StatsBy.state) for t in groups}
        assert [t.group for t in groups] == ["FL", "TX", "ME"]  # most in force first, then by name
        assert rows["TX"] == {"state": "TX", "agencies": 2, "states": 1, "task_force": 2, "jail_enforcement": 0,
                              "warrant_service": 0, "in_force": 2, "paused": 0, "pending": 0,
                              "as_of": None, "listed_on": None, "pending_unknown": None}
        assert rows["ME"]["paused"] == 1 and rows["FL"]["pending"] == 1
        assert output_rows.stats_row(total, StatsBy.state) | {"state": None} == {
            "state": None, "agencies": 5, "states": 3, "task_force": 4, "jail_enforcement": 0,
            "warrant_service": 1, "in_force": 5, "paused": 1, "pending": 1,
            "as_of": None, "listed_on": None, "pending_unknown": None}

    def test_by_model_and_type(self, reg: Registry) -> None:
        states = replay(reg, D("2025-06-01"))
        by_model = {t.group: t for t in reports.stats(states, StatsBy.model)[0]}
        assert by_model["task_force"].in_force == 2 and len(by_model["task_force"].agencies) == 2
        assert by_model["jail_enforcement"].in_force == 1
        by_type = {t.group: t.in_force for t in reports.stats(states, StatsBy.type)[0]}
        assert by_type == {"County": 3, "Municipality": 2}

    def test_agency_with_two_models_counts_once(self, reg: Registry) -> None:
        _, total = reports.stats(replay(reg, D("2025-06-01")))
        assert total.in_force == 5 and len(total.agencies) == 4  # Harris holds two agreements


class TestStatsCommand:
    def test_json_has_rows_and_total(self, runner: CliRunner) -> None:
        doc = as_json(runner, "stats", "--on", "2025-07-18")
        assert doc["on"] == "2025-07-18" and doc["by"] == "state"
        assert [(r["state"], r["in_force"]) for r in doc["rows"]] == [("FL", 2), ("TX", 2), ("ME", 1)]
        assert doc["total"]["in_force"] == 5

    def test_csv_rows_without_total(self, runner: CliRunner) -> None:
        columns, rows = as_csv(runner, "stats", "--on", "2025-07-18", "--by", "model")
        assert columns == list(output_rows.stats_columns(StatsBy.model))
        # jail enforcement: nothing in force, one application pending
        assert {r["model"]: (r["in_force"], r["pending"]) for r in rows} == {
            "task_force": ("4", "0"), "warrant_service": ("1", "0"), "jail_enforcement": ("0", "1")}

    def test_table_has_a_column_per_model_and_a_total_row(self, runner: CliRunner) -> None:
        out, _ = run(runner, "stats", "--on", "2025-07-18")
        assert "287(g) agreements in force on 2025-07-18, by state" in out
        lines = out.splitlines()
        assert any(line.split() == ["TX", "Texas", "2", "0", "0", "2", "0", "2", "0"] for line in lines)
        assert any(line.split() == ["Total", "4", "0", "1", "5", "1", "5", "1"] for line in lines)

    def test_state_filter_type_table_and_empty(self, runner: CliRunner) -> None:
        doc = as_json(runner, "stats", "--on", "2025-07-18", "--state", "Texas", "--by", "type")
        assert [(r["type"], r["in_force"]) for r in doc["rows"]] == [("County", 1), ("Municipality", 1)]
        out, _ = run(runner, "stats", "--on", "2025-07-18", "--by", "TYPE")
        assert "by type" in out
        assert any(line.split() == ["Municipality", "3", "0", "0", "3", "1", "3", "1"] for line in out.splitlines())
        out, _ = run(runner, "stats", "--on", "2024-01-01")
        assert out.splitlines()[:2] == ["No 287(g) agreements in force on 2024-01-01 (and none pending).",
                                        "ICE's first list: 2025-05-16, 501 days later."]

    def test_today_is_the_default(self, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ICESTATUS_TODAY", "2025-07-18")
        assert as_json(runner, "stats")["on"] == "2025-07-18"

    @pytest.mark.parametrize(("args", "message"), [
        (["stats", "--on", "the day before"], "icestatus: error: bad --on date 'the day before'"),
        (["stats", "--by", "county"], "Invalid value for '--by'"),
    ])
    def test_errors(self, runner: CliRunner, args: list[str], message: str) -> None:
        _, err = run(runner, *args, code=2)
        assert message in err


# ---------------------------------------------------------------- trend


class TestTrendPoints:
    def test_steps(self) -> None:
        assert reports.trend_points(D("2025-01-30"), D("2025-02-02"), Every.day) == [
            D("2025-01-30"), D("2025-01-31"), D("2025-02-01"), D("2025-02-02")]
        assert reports.trend_points(D("2025-01-01"), D("2025-01-20"), Every.week) == [
            D("2025-01-01"), D("2025-01-08"), D("2025-01-15"), D("2025-01-20")]  # the end is always a point
        # months keep the day of the month, clamped to short months, without drifting
        assert reports.trend_points(D("2024-01-31"), D("2024-05-01"), Every.month) == [
            D("2024-01-31"), D("2024-02-29"), D("2024-03-31"), D("2024-04-30"), D("2024-05-01")]
        assert reports.trend_points(D("2025-01-01"), D("2025-01-01"), Every.month) == [D("2025-01-01")]

    def test_auto_step_and_limits(self) -> None:
        assert reports.auto_every(D("2025-01-01"), D("2025-03-01")) is Every.day
        assert reports.auto_every(D("2025-01-01"), D("2026-06-01")) is Every.week
        assert reports.auto_every(D("2020-01-01"), D("2025-01-01")) is Every.month
        with pytest.raises(UsageError, match="--from 2025-02-01 is after --to 2025-01-01"):
            reports.trend_points(D("2025-02-01"), D("2025-01-01"), Every.day)
        with pytest.raises(UsageError, match="too many"):
            reports.trend_points(D("1900-01-01"), D("2100-01-01"), Every.day)


def counts_by_replay(registry: Registry, date: dt.date, state: str | None = None,
                     models: set[Model] | None = None) -> tuple[dict[Model, int], int]:
    """The reference: what `as-of DATE` reports, counted."""
    found = [a for a in replay(registry, date)
             if (state is None or a.department.state == state) and (not models or a.model in models)]
    by_model = Counter(a.model for a in found if a.status is not Status.pending)
    return {m: by_model[m] for m in Model}, sum(1 for a in found if a.status is Status.pending)


def assert_trend_agrees_with_replay(registry: Registry, points: list[dt.date], state: str | None = None,
                                    models: set[Model] | None = None) -> None:
    series = reports.trend(reports.trend_events(registry, state=state, models=models or ()), points)
    assert [p.date for p in series] == points
    for p in series:
        by_model, pend = counts_by_replay(registry, p.date, state, models)
        assert dict(zip(Model, p.models, strict=True)) == by_model, p.date
        assert p.pending == pend, p.date


class TestTrend:
    @PROPERTY
    @given(registry=event_logs(), start=st.integers(-3, 60), span=st.integers(0, 70),
           every=st.sampled_from(list(Every)), state=st.sampled_from([None, "TX", "ME"]),
           models=st.sets(st.sampled_from(list(Model)), max_size=2))
    def test_agrees_with_replay_at_every_point(self, registry: Registry, start: int, span: int, every: Every,
                                               state: str | None, models: set[Model]) -> None:
        first = _BASE + dt.timedelta(days=start)
        points = reports.trend_points(first, first + dt.timedelta(days=span), every)
        assert_trend_agrees_with_replay(registry, points, state, models)

    def test_agrees_with_replay_on_the_fixture(self, reg: Registry) -> None:
        points = reports.trend_points(D("2025-04-25"), D("2025-11-01"), Every.day)
        assert_trend_agrees_with_replay(reg, points)
        assert_trend_agrees_with_replay(reg, points, state="TX", models={Model.task_force})

    def test_agrees_with_replay_on_the_bundled_registry(self) -> None:
        registry = load_registry(bundled_registry_path())
        first = registry.events[0].date - dt.timedelta(days=1)
        last = registry.events[-1].date + dt.timedelta(days=1)
        points = reports.trend_points(first, last, reports.auto_every(first, last))
        # and every day of the span of ICE's sheets, where most events are
        points = sorted(set(points) | set(reports.trend_points(D("2025-05-15"), D("2025-07-20"), Every.day)))
        assert_trend_agrees_with_replay(registry, points)
        for state in ("ME", "TX"):
            assert_trend_agrees_with_replay(registry, points, state=state)

    def test_points_must_ascend(self) -> None:
        with pytest.raises(ValueError, match="ascending"):
            reports.trend((), [D("2025-01-02"), D("2025-01-01")])


class TestTrendCommand:
    def test_json_and_csv_numbers(self, runner: CliRunner) -> None:
        rows = as_json(runner, "trend", "--from", "2025-05-15", "--to", "2025-07-18", "--every", "week")
        assert rows[0] == {"date": "2025-05-15", "in_force": 0, "task_force": 0, "jail_enforcement": 0,
                           "warrant_service": 0, "pending": 2, "coverage": "before_first"}
        assert rows[-1] == {"date": "2025-07-18", "in_force": 5, "task_force": 4, "jail_enforcement": 0,
                            "warrant_service": 1, "pending": 1, "coverage": "covered"}
        assert rows[2]["coverage"] == "gap"  # 2025-05-22: between the sheets of 05-16 and 07-18
        # the weekly grid, plus the day of ICE's first list (its last, 07-18, is --to)
        assert [r["date"] for r in rows][:4] == ["2025-05-15", "2025-05-16", "2025-05-22", "2025-05-29"]
        assert rows[1]["coverage"] == "covered"
        columns, csv_rows = as_csv(runner, "trend", "--from", "2025-05-15", "--to", "2025-07-18", "--every", "week")
        assert columns == list(output_rows.TREND_COLUMNS)
        assert [int(r["in_force"]) for r in csv_rows] == [r["in_force"] for r in rows]

    def test_filters_and_defaults(self, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ICESTATUS_TODAY", "2025-07-20")
        rows = as_json(runner, "trend", "--state", "ME")
        # from ICE's first participating list to its latest (today is two days later), by day (under four months)
        assert (rows[0]["date"], rows[-1]["date"], len(rows)) == ("2025-05-16", "2025-07-18", 64)
        monkeypatch.setenv("ICESTATUS_TODAY", "2025-06-30")  # today, when earlier than the latest list
        assert as_json(runner, "trend", "--state", "ME")[-1]["date"] == "2025-06-30"
        assert {r["in_force"] for r in rows} == {1}
        rows = as_json(runner, "trend", "--model", "warrant_service", "--from", "2025-05-31", "--to", "2025-07-02")
        assert [r["in_force"] for r in rows if r["date"] in ("2025-05-31", "2025-06-01", "2025-07-01")] == [1, 2, 1]

    def test_chart(self, runner: CliRunner) -> None:
        out, _ = run(runner, "trend", "--from", "2025-05-01", "--to", "2025-11-01", "--every", "week")
        lines = out.splitlines()
        assert lines[0].rstrip() == "287(g) agreements in force, 2025-05-01 to 2025-11-01, every week · ICE's lists: 2025-05-16 to"
        chart = [line for line in lines if "┤" in line]
        assert len(chart) == 12 and chart[0].startswith("5 ┤") and chart[-1].startswith("0 ┤")
        assert "█" in chart[-1]
        assert "2025-05-01" in out and "2025-11-01" in out
        # the change is told between covered points: ICE's first list (05-16, a point of its own)
        # and the last point within 7 days of its last (07-18)
        assert "4 on 2025-05-16 → 5 on 2025-07-24 (+1); peak 5 on 2025-06-05" in out
        # 05-01 and 05-08 are before the first sheet, 07-31 on more than 7 days after the last: ┄ on the axis
        axis = next(line for line in lines if "└" in line).split("└")[1]
        assert axis.startswith("┄┄") and axis.rstrip().endswith("┄") and "─" in axis
        assert "┄ on the axis: not covered by ICE's participating lists" in out

    def test_one_warning_per_gap_in_coverage(self, runner: CliRunner) -> None:
        # the fixture's participating sheets are of 2025-05-16 and 2025-07-18: both ends before them warn once
        _, err = run(runner, "trend", "--from", "2016-01-01", "--to", "2016-03-01", "--format", "csv")
        assert err == ("icestatus: warning: 2016-01-01 is before ICE's first participating list in this registry "
                       "(2025-05-16): only agreements still listed on it, or reported by a news source, are known\n")
        # one line for the gap between the two sheets, one for the date 14 days after the last
        _, err = run(runner, "trend", "--from", "2025-06-01", "--to", "2025-08-01", "--format", "csv")
        assert err.splitlines() == [
            "icestatus: warning: 2025-06-01 falls in a 63-day gap between ICE's participating lists of 2025-05-16 "
            "and 2025-07-18: changes in it are known only to that window",
            "icestatus: warning: ICE's latest participating list in this registry is of 2025-07-18, 14 days before "
            "2025-08-01: changes since then are known only where a news source reported them",
        ]
        _, err = run(runner, "trend", "--from", "2025-07-18", "--to", "2025-07-25", "--format", "csv")
        assert err == ""  # 7 days after the last sheet: not stale yet

    def test_errors(self, runner: CliRunner, tmp_path: Path) -> None:
        _, err = run(runner, "trend", "--from", "2025-07-01", "--to", "2025-06-01", code=2)
        assert err == "icestatus: error: --from 2025-07-01 is after --to 2025-06-01\n"
        _, err = run(runner, "trend", "--every", "year", code=2)
        assert "Invalid value for '--every'" in err
        empty = write(registry_of([]), tmp_path / "empty.json")
        _, err = run(runner, "trend", code=1, registry=empty)
        assert err == "icestatus: error: no events to draw a trend from; give --from to draw zeros\n"
        rows = as_json(runner, "trend", "--from", "2025-01-01", "--to", "2025-01-03", registry=empty)
        assert [r["in_force"] for r in rows] == [0, 0, 0]


class TestChart:
    def test_scales_from_zero_with_eighth_blocks(self) -> None:
        from icestatus.output.views_reports import chart_lines

        lines = chart_lines([0, 8, 16], [D("2025-01-01"), D("2025-01-02"), D("2025-01-03")], width=40, height=2)
        bars = [b for _, b in lines[:2]]
        # 16 fills two rows; 8 one row; 0 nothing
        assert [len(set(b)) for b in bars] and bars[1].strip().startswith("█")
        top = bars[0]
        assert top.rstrip().endswith("█") and " " in top

    def test_more_points_than_columns_keeps_the_last_of_each(self) -> None:
        from icestatus.output.views_reports import chart_lines

        values = list(range(200))
        dates = [D("2025-01-01") + dt.timedelta(days=i) for i in range(200)]
        lines = chart_lines(values, dates, width=60, height=4)
        assert all(len(axis + bars) <= 60 for axis, bars in lines)
        assert lines[-1][1].rstrip().endswith(dates[-1].isoformat())


# ---------------------------------------------------------------- states


class TestStates:
    def test_policies_on(self, reg: Registry) -> None:
        assert set(reports.policies_on(reg.policies, D("2025-07-18"))) == {"CA"}
        assert set(reports.policies_on(reg.policies, D("2025-10-21"))) == {"CA", "ME"}
        assert reports.policies_on(reg.policies, D("2017-06-01")) == {}  # a window counts from its end

    def test_latest_policy_wins(self) -> None:
        from icestatus.models import Policy

        old = Policy(state="ME", kind="other", date=D("2020-01-01"), summary="old", sources=(SOURCE.id,))
        new = Policy(state="ME", kind="ban", date=D("2024-01-01"), summary="new", sources=(SOURCE.id,))
        assert reports.policies_on([new, old], D("2025-01-01"))["ME"].summary == "new"

    def test_rows(self, reg: Registry) -> None:
        rows = reports.states_report(reg, replay(reg, D("2025-11-01")), D("2025-11-01"),
                                     names={"CA": "California", "FL": "Florida", "ME": "Maine", "TX": "Texas"})
        got = {r.state: (r.in_force, r.agencies, r.pending, r.policy.kind.value if r.policy else None) for r in rows}
        assert got == {"CA": (0, 0, 0, "ban"), "FL": (2, 2, 1, None), "ME": (0, 0, 0, "none_in_force"),
                       "TX": (2, 2, 0, None)}
        assert [r.name for r in rows] == ["California", "Florida", "Maine", "Texas"]


class TestStatesCommand:
    def test_json_and_csv(self, runner: CliRunner) -> None:
        rows = as_json(runner, "states", "--on", "2025-11-01")
        me = next(r for r in rows if r["state"] == "ME")
        assert me == {"state": "ME", "name": "Maine", "in_force": 0, "paused": 0, "agencies": 0, "pending": 0,
                      "policy": "none_in_force", "policy_summary": "No Maine agency takes part in 287(g)",
                      "policy_date": "2025-10-21", "policy_not_before": None,
                      "policy_source": "gazette-2025-06-01", "policy_sources": ["gazette-2025-06-01"],
                      "as_of": "2025-11-01", "listed_on": "2025-07-18", "pending_unknown": None}
        columns, csv_rows = as_csv(runner, "states", "--on", "2025-07-18")
        assert columns == list(output_rows.STATE_COLUMNS)
        assert [(r["state"], r["in_force"], r["paused"], r["policy"]) for r in csv_rows] == [
            ("CA", "0", "0", "ban"), ("FL", "2", "0", ""), ("ME", "1", "1", ""), ("TX", "2", "0", "")]

    def test_all_lists_every_state_and_territory(self, runner: CliRunner) -> None:
        rows = as_json(runner, "states", "--on", "2025-07-18", "--all")
        assert len(rows) == 56 and {"DC", "PR", "WY"} <= {r["state"] for r in rows}

    def test_table_shows_policy_with_source(self, runner: CliRunner) -> None:
        out, _ = run(runner, "states", "--on", "2025-11-01")
        assert "287(g) by state on 2025-11-01" in out
        assert "ban since ~2017-12-31: State statute (2017) bans 287(g)" in out.replace("\n", " ").replace("  ", " ") \
            or "ban since ~2017-12-31" in out
        assert "(statute-2017)" in out and "none in force since" in out
        assert "4 agreements in force, 4 agencies, 1 pending, in 2 states" in out

    def test_empty_and_errors(self, runner: CliRunner, tmp_path: Path) -> None:
        empty = write(registry_of([]), tmp_path / "empty.json")
        out, _ = run(runner, "states", "--on", "2025-01-01", registry=empty)
        # no pending list and no application reported: none can be counted (review F1)
        assert out.startswith("No 287(g) agreements or state policies on 2025-01-01 (pending unknown).\n"
                              "Pending unknown: this registry holds no pending list")
        news = write(registry_of([ev("tx-a", "applied", "2024-06-01")]), tmp_path / "news.json")
        out, _ = run(runner, "states", "--on", "2024-01-01", registry=news)
        assert out == "No 287(g) agreements, applications or state policies on 2024-01-01.\n"
        _, err = run(runner, "states", "--on", "01/02/2025", code=2)
        assert err.startswith("icestatus: error: bad --on date '01/02/2025'")


# ---------------------------------------------------------------- sources


class TestSources:
    def test_counts(self, reg: Registry) -> None:
        usage = {u.source.id: u for u in reports.source_usage(reg)}
        assert (usage["ice-2025-05-16"].events, usage["ice-2025-07-18"].events) == (4, 6)
        assert (usage["gazette-2025-06-01"].events, usage["gazette-2025-06-01"].policies) == (9, 1)
        assert (usage["statute-2017"].events, usage["statute-2017"].policies) == (0, 1)
        assert usage["unused-2025"].events == usage["unused-2025"].policies == 0
        assert (usage["gazette-2025-06-01"].first_event, usage["gazette-2025-06-01"].last_event) == (
            D("2025-05-01"), D("2025-10-21"))
        # every event cites at least one source
        assert sum(u.events for u in usage.values()) >= len(reg.events)

    def test_an_event_citing_a_source_twice_counts_once(self) -> None:
        registry = registry_of([ev("tx-a", "signed", "2025-01-01", sources=(SOURCE.id, SOURCE.id))])
        assert reports.source_usage(registry)[0].events == 1

    def test_order_published_then_undated(self, reg: Registry) -> None:
        assert [u.source.id for u in reports.source_usage(reg)] == [
            "statute-2017", "ice-2025-05-16", "gazette-2025-06-01", "ice-2025-07-18", "unused-2025"]


class TestSourcesCommand:
    def test_json_csv_table(self, runner: CliRunner) -> None:
        rows = as_json(runner, "sources")
        assert rows[0] == {"id": "statute-2017", "kind": "statute", "publisher": "State of California",
                           "title": "State statute banning 287(g) agreements", "published": "2017-10-05",
                           "url": None, "events": 0, "policies": 1, "first_event": None, "last_event": None}
        columns, csv_rows = as_csv(runner, "sources", "--kind", "ice_sheet")
        assert columns == list(output_rows.SOURCE_COLUMNS)
        assert [r["id"] for r in csv_rows] == ["ice-2025-05-16", "ice-2025-07-18"]
        out, _ = run(runner, "sources")
        assert "gazette-2025-06-01" in out and "undated" in out and "5 sources" in out

    def test_limit(self, runner: CliRunner) -> None:
        assert len(as_json(runner, "sources", "--limit", "2")) == 2
        out, _ = run(runner, "sources", "--limit", "2")
        assert "showing the first 2 of 5 sources (drop --limit to see all)" in out

    def test_empty_and_errors(self, runner: CliRunner) -> None:
        out, _ = run(runner, "sources", "--kind", "records")
        assert out == "No sources of kind records in this registry.\n"
        _, err = run(runner, "sources", "--kind", "blog", code=2)
        assert "Invalid value for '--kind'" in err
        _, err = run(runner, "sources", "--limit", "0", code=2)
        assert "bad --limit '0'" in err


class TestHistorySource:
    def test_history_filters_by_source(self, runner: CliRunner) -> None:
        doc = as_json(runner, "history", "wells", "--source", "gazette-2025-06-01")
        assert [(e["kind"], e["source"]) for e in doc["events"]] == [
            ("paused", "gazette-2025-06-01"), ("terminated", "gazette-2025-06-01")]
        doc = as_json(runner, "history", "wells", "--limit", "1")
        assert [e["kind"] for e in doc["events"]] == ["signed"]
        _, err = run(runner, "history", "wells", "--source", "nope", code=2)
        assert err.startswith("icestatus: error: unknown source 'nope'")


# ---------------------------------------------------------------- facts from ICE's sheets


def _manifest(ice_dir: Path) -> list[dict[str, str]]:
    from ice_data import manifest

    return manifest(ice_dir)


def _last_sheet_of_day(ice_dir: Path, kind: str, day: str) -> Path:
    """The sheet ICE published last on *day*: what `as-of day` must show."""
    from ice_data import last_of_day

    return last_of_day(ice_dir, kind, day)


@pytest.fixture(scope="module")
def national() -> Registry:
    registry = load_registry(bundled_registry_path())
    cov = registry.coverage.get("participating")  # type: ignore[call-overload]
    if cov is None or cov.first > D("2025-05-16") or cov.last < D("2025-07-18"):
        pytest.skip("the bundled registry is not built from ICE's sheets of 2025-05-16..2025-07-18 yet "
                    "(scripts/build_registry.py)")
    return registry


class SheetView:
    """One ICE sheet read with icestatus.sources, its rows keyed like the registry's
    agreements: (department id, model), the agency found by state and normalized name
    or alias. A row repeated in a sheet counts once."""

    def __init__(self, registry: Registry, path: Path) -> None:
        from icestatus.names import normalize_name
        from icestatus.sources.ice_sheet import read_sheet

        ids: dict[tuple[str, str], str] = {}
        for d in registry.departments:
            for name in (d.name, *d.aliases):
                ids.setdefault((d.state, normalize_name(name)), d.id)
        self.sheet = read_sheet(path)
        self.rows: dict[tuple[str, Model], Any] = {}
        from icestatus.ingest import known_aliases

        aliases = known_aliases()
        for row in self.sheet.rows:
            alias = aliases.resolve(row.state, row.agency, row.model)
            state, name = (alias.agency_state, alias.agency_name) if alias else (row.state, row.agency)
            key = (ids[(state, normalize_name(name))], row.model)
            self.rows.setdefault(key, row)

    def keys(self) -> set[tuple[str, Model]]:
        return set(self.rows)


@pytest.mark.shared
class TestAgainstIceSheets:
    """Issue 4's acceptance facts, on the bundled registry, checked against ICE's own sheets."""

    def test_diff_lists_exactly_the_rows_that_differ_between_two_sheets(
        self, runner: CliRunner, national: Registry, ice_dir: Path
    ) -> None:
        old = SheetView(national, _last_sheet_of_day(ice_dir, "participating", "2025-05-16"))
        new = SheetView(national, _last_sheet_of_day(ice_dir, "participating", "2025-07-18"))
        rows = as_json(runner, "diff", "2025-05-16", "2025-07-18", registry=bundled_registry_path())
        by_change: dict[str, set[tuple[str, Model]]] = {}
        for r in rows:
            by_change.setdefault(r["change"], set()).add((r["department_id"], Model(r["model"])))
        started, ended = new.keys() - old.keys(), old.keys() - new.keys()
        resigned = {k for k in old.keys() & new.keys() if old.rows[k].signed != new.rows[k].signed}
        assert by_change.get("started", set()) == started
        assert by_change.get("ended", set()) == ended
        assert by_change.get("renewed", set()) | by_change.get("corrected", set()) == resigned
        # An MOA link that appeared or changed between the sheets (a link the old sheet left
        # out that an earlier source gave, the capture of ICE's page of 2021 say, is no change)
        known = {(a.department.id, a.model): a.moa_url for a in replay(national, D("2025-05-16"))}
        relinked = {k for k in old.keys() & new.keys()
                    if new.rows[k].moa_url and new.rows[k].moa_url != (old.rows[k].moa_url or known.get(k))}
        assert by_change.get("moa_linked", set()) == relinked
        # What the sheets cannot show (a pause) comes from other sources, never from a sheet
        sheet_ids = {s.id for s in national.sources if s.kind.value == "ice_sheet"}
        assert all(r["source"] not in sheet_ids for r in rows if r["change"] in ("paused", "resumed"))
        # the comparison compared something (2025-07: 265 started, 4 ended, 7 corrected, 106 MOA links)
        assert len(started) > 100 and ended and resigned and relinked

    def test_diff_applications_match_the_pending_sheets(
        self, runner: CliRunner, national: Registry, ice_dir: Path
    ) -> None:
        old = SheetView(national, _last_sheet_of_day(ice_dir, "pending", "2025-05-15"))
        new = SheetView(national, _last_sheet_of_day(ice_dir, "pending", "2025-07-18"))
        rows = as_json(runner, "diff", "2025-05-16", "2025-07-18", "--all", registry=bundled_registry_path())
        applied = {(r["department_id"], Model(r["model"])) for r in rows if r["change"] == "applied"}
        withdrawn = {(r["department_id"], Model(r["model"])) for r in rows if r["change"] == "withdrawn"}
        assert applied == new.keys() - old.keys()
        assert withdrawn <= old.keys() - new.keys()

    def test_stats_counts_the_sheet_per_state_and_model(
        self, runner: CliRunner, national: Registry, ice_dir: Path
    ) -> None:
        sheet = SheetView(national, _last_sheet_of_day(ice_dir, "participating", "2025-07-18"))
        expected = Counter((dept_id[:2].upper(), model.value) for dept_id, model in sheet.keys())  # noqa: SIM118
        doc = as_json(runner, "stats", "--on", "2025-07-18", registry=bundled_registry_path())
        got = Counter({(r["state"], m.value): r[m.value] for r in doc["rows"] for m in Model if r[m.value]})
        assert got == expected
        assert doc["total"]["in_force"] == len(sheet.keys())
        assert doc["total"]["agencies"] == len({d for d, _ in sheet.keys()})  # noqa: SIM118

    def test_states_count_both_sheets_per_state(
        self, runner: CliRunner, national: Registry, ice_dir: Path
    ) -> None:
        part = SheetView(national, _last_sheet_of_day(ice_dir, "participating", "2025-07-18"))
        pend = SheetView(national, _last_sheet_of_day(ice_dir, "pending", "2025-07-18"))
        rows = {r["state"]: r for r in as_json(runner, "states", "--on", "2025-07-18", registry=bundled_registry_path())}
        assert {s: r["in_force"] for s, r in rows.items() if r["in_force"]} == Counter(
            d[:2].upper() for d, _ in part.keys())  # noqa: SIM118
        assert {s: r["pending"] for s, r in rows.items() if r["pending"]} == Counter(
            d[:2].upper() for d, _ in pend.keys())  # noqa: SIM118
        assert {s: r["policy"] for s, r in rows.items() if r["policy"]} == {"CA": "ban", "IL": "ban", "NJ": "ban"}

    def test_trend_meets_every_participating_sheet(
        self, runner: CliRunner, national: Registry, ice_dir: Path
    ) -> None:
        rows = as_json(runner, "trend", "--from", "2025-05-16", "--to", "2025-07-18", "--every", "day",
                       registry=bundled_registry_path())
        by_date = {r["date"]: r["in_force"] for r in rows}
        days = sorted({r["published"] for r in _manifest(ice_dir)
                       if r["kind"] == "participating" and "2025-05-16" <= r["published"] <= "2025-07-18"})
        for day in days:
            sheet = SheetView(national, _last_sheet_of_day(ice_dir, "participating", day))
            assert by_date[day] == len(sheet.keys()), day

    def test_sources_are_the_sheets_with_their_identity(self, runner: CliRunner, national: Registry,
                                                        ice_dir: Path) -> None:
        rows = as_json(runner, "sources", "--kind", "ice_sheet", registry=bundled_registry_path())
        manifest = _manifest(ice_dir)
        # every sheet ingested is a source, by its SHA-1 and publication date
        by_id = {s.id: s for s in national.sources}
        # (a file ICE posted twice on one day, the same bytes, is one source)
        assert {(by_id[r["id"]].sha1, r["published"]) for r in rows} == {
            (m["sha1"], m["published"]) for m in manifest}
        # the first participating sheet backs one event per row that no capture of ICE's
        # page listed before it (their listings), and one per agreement the last capture
        # listed and it does not (their ends)
        first = min((r for r in rows if by_id[r["id"]].sheet is SheetKind.participating), key=lambda r: r["published"])
        day = D(first["published"])
        before = {(a.department.id, a.model) for a in replay(national, day - dt.timedelta(days=1))
                  if a.status is not Status.pending}
        listed = SheetView(national, _last_sheet_of_day(ice_dir, "participating", first["published"])).keys()
        backed = [e for e in national.events if first["id"] in e.sources]
        kinds = Counter(e.kind for e in backed)
        assert (kinds[EventKind.signed], kinds[EventKind.delisted]) == (len(listed - before), len(before - listed))
        assert len(before) == 145  # ICE's page, captured 2025-02-19
