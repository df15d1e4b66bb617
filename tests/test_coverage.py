"""What every answer rests on (issue 12): ICE's sheets per kind, their periods and gaps,
the date of the sheet behind an answer, what is stale, and what is not known."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from itertools import pairwise
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import SOURCE, d, ev, registry_of, write
from icestatus.cli import app
from icestatus.coverage import Coverage, answer_on, bounded_to_sheet, coverage_warnings
from icestatus.enums import SheetKind, SourceKind, Status
from icestatus.models import Registry, Source
from icestatus.registry import RegistryOrigin, bundled_registry_path, load_registry, registry_in_use
from icestatus.replay import replay

BUNDLED = load_registry(bundled_registry_path())


def sheet(kind: str, date: str, suffix: str = "") -> Source:
    return Source(id=f"ice-{kind}-{date}{suffix}", kind="ice_sheet", title=f"ICE {kind} sheet", publisher="ICE",
                  published=d(date), sheet=kind)


def last_sheet(registry: Registry, kind: str) -> dt.date:
    """The newest dated source of that sheet kind, read straight from the sources."""
    return max(s.published for s in registry.sources if s.sheet is not None and s.sheet.value == kind
               and s.published is not None)


def run(runner: CliRunner, *args: str, code: int = 0, **env: str) -> tuple[str, str]:
    result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout, result.stderr


SHEETS = (
    sheet("participating", "2025-03-01"), sheet("participating", "2025-03-08"),
    sheet("participating", "2025-03-08", "-pm"), sheet("participating", "2025-04-01"),
    sheet("participating", "2025-04-10"), sheet("pending", "2025-06-01"), sheet("pending", "2025-06-20"),
)


def small() -> Registry:
    """Participating sheets 03-01, 03-08 (am, pm), 04-01 (a 24-day gap), 04-10; pending 06-01, 06-20.
    Agreement a signed 2020 known only from the 03-01 sheet; b signed 03-05 per the news."""
    return registry_of(
        [ev("tx-a", "signed", "2020-06-08", sources=("ice-participating-2025-03-01",)),
         ev("tx-b", "signed", "2025-03-05"),
         ev("tx-c", "applied", "2025-06-01", sources=("ice-pending-2025-06-01",))],
        sources=(SOURCE, *SHEETS),
    )


class TestCoverage:
    def test_sheets_in_date_order_same_day_in_recorded_order(self) -> None:
        cov = Coverage.of(small())
        assert [s.source_id for s in cov.sheets(SheetKind.participating)] == [
            "ice-participating-2025-03-01", "ice-participating-2025-03-08", "ice-participating-2025-03-08-pm",
            "ice-participating-2025-04-01", "ice-participating-2025-04-10"]
        assert cov.first(SheetKind.pending).date == d("2025-06-01")  # type: ignore[union-attr]
        assert cov.last(SheetKind.pending).date == d("2025-06-20")  # type: ignore[union-attr]
        assert Coverage.of(registry_of([])).last(SheetKind.participating) is None

    def test_last_on_or_before_and_first_after(self) -> None:
        cov = Coverage.of(small())
        p = SheetKind.participating
        assert cov.last_on_or_before(p, d("2025-02-28")) is None
        assert cov.last_on_or_before(p, d("2025-03-08")).source_id == "ice-participating-2025-03-08-pm"  # type: ignore[union-attr]
        assert cov.last_on_or_before(p, d("2025-03-31")).date == d("2025-03-08")  # type: ignore[union-attr]
        assert cov.first_after(p, d("2025-03-08")).date == d("2025-04-01")  # type: ignore[union-attr]
        assert cov.first_after(p, d("2025-04-10")) is None

    def test_periods_and_gaps(self) -> None:
        cov = Coverage.of(small())
        p = SheetKind.participating
        (gap,) = cov.gaps(p)
        assert (gap.after.date, gap.until.date, gap.days) == (d("2025-03-08"), d("2025-04-01"), 24)
        assert [(x.first.date, x.last.date, x.sheets) for x in cov.periods(p)] == [
            (d("2025-03-01"), d("2025-03-08"), 3), (d("2025-04-01"), d("2025-04-10"), 2)]
        assert len(cov.periods(p, max_gap_days=30)) == 1
        assert cov.gap_containing(p, d("2025-03-20")) == gap and d("2025-03-20") in gap
        assert cov.gap_containing(p, d("2025-04-01")) is None  # a sheet's own day
        assert cov.gap_containing(p, d("2025-04-05")) is None  # 9 days between sheets is no gap
        assert cov.gap_containing(p, d("2025-05-01")) is None  # after the last: stale, not a gap

    def test_stale_after_seven_days(self) -> None:
        cov = Coverage.of(small())
        assert not cov.basis(SheetKind.participating, d("2025-04-17")).stale
        late = cov.basis(SheetKind.participating, d("2025-04-18"))
        assert late.stale and late.days_since == 8
        assert late.limit() == ("ICE's latest participating list in this registry is of 2025-04-10, 8 days before "
                                "2025-04-18: changes since then are known only where a news source reported them")

    def test_pending_unknown_before_the_first_and_after_the_last_pending_sheet(self) -> None:
        cov = Coverage.of(small())
        assert "first pending list in this registry is of 2025-06-01" in (answer_on(cov, d("2025-05-01")).pending_unknown or "")
        assert answer_on(cov, d("2025-06-10")).pending_unknown is None
        assert answer_on(cov, d("2025-06-27")).pending_unknown is None  # 7 days after the last
        assert "2025-06-20, 8 days before 2025-06-28" in (answer_on(cov, d("2025-06-28")).pending_unknown or "")
        # a registry of ICE's participating sheets without a pending one, or an empty one, cannot count
        # applications: unknown, never 0 (review F1); applications reported by the news rest on those reports
        no_pending = registry_of([ev("tx-a", "signed", "2020-06-08")], sources=(SOURCE, *SHEETS[:2]))
        for reg in (no_pending, registry_of([], sources=())):
            assert "holds no pending list" in (answer_on(Coverage.of(reg), d("2025-03-02")).pending_unknown or "")
        news = registry_of([ev("tx-c", "applied", "2025-06-01")], sources=(SOURCE, *SHEETS[:2]))
        assert answer_on(Coverage.of(news), d("2025-06-28")).pending_unknown is None

    def test_unknown_pending_applications_are_left_out(self) -> None:
        reg = small()
        cov = Coverage.of(reg)
        states = replay(reg, d("2025-07-31"))
        assert Status.pending in {a.status for a in states}  # replay still has the application open
        assert Status.pending not in {a.status for a in answer_on(cov, d("2025-07-31")).known(states)}
        assert answer_on(cov, d("2025-06-20")).known(states) == states

    def test_listed_on_or_known_from_a_later_sheet(self) -> None:
        reg = small()
        sources = {s.id: s for s in reg.sources}
        answer = answer_on(Coverage.of(reg), d("2025-02-01"))
        (a,) = replay(reg, d("2025-02-01"))
        assert answer.listed_on(a, sources) == (None, d("2025-03-01"))  # known only from the 03-01 sheet
        answer = answer_on(Coverage.of(reg), d("2025-03-20"))
        listed = {x.department.id: answer.listed_on(x, sources) for x in replay(reg, d("2025-03-20"))}
        assert listed == {"tx-a": (d("2025-03-08"), None), "tx-b": (d("2025-03-08"), None)}

    def test_measures_are_bounded_to_the_last_sheet(self) -> None:
        cov = Coverage.of(small())
        assert bounded_to_sheet(cov, d("2025-12-31")) == d("2025-04-10")
        assert bounded_to_sheet(cov, d("2025-03-09")) == d("2025-03-08")
        assert bounded_to_sheet(cov, d("2025-01-01")) is None  # before the first list: nothing supports it
        assert bounded_to_sheet(Coverage.of(registry_of([])), d("2025-01-01")) == d("2025-01-01")  # news only

    def test_one_warning_per_kind_of_limit(self) -> None:
        reg = small()
        assert len(coverage_warnings(reg, d("2024-01-01"), d("2024-06-01"))) == 1
        assert len(coverage_warnings(reg, d("2025-03-20"), d("2025-12-01"))) == 2
        assert coverage_warnings(reg, d("2025-03-01"), d("2025-04-17")) == []


class TestRegistryInUse:
    def test_flag_then_env_then_bundled(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        assert registry_in_use(None).origin is RegistryOrigin.bundled
        assert registry_in_use(None).path == bundled_registry_path()
        monkeypatch.setenv("ICESTATUS_REGISTRY", str(tmp_path / "env.json"))
        chosen = registry_in_use(None)
        assert (chosen.path, chosen.origin) == (tmp_path / "env.json", RegistryOrigin.env)
        assert "ICESTATUS_REGISTRY" in chosen.reason
        flag = registry_in_use(tmp_path / "flag.json")
        assert (flag.path, flag.origin, flag.reason) == (tmp_path / "flag.json", RegistryOrigin.flag,
                                                          "given with --registry")

    def test_commands_read_the_env_registry(self, runner: CliRunner, tmp_path: Path) -> None:
        path = write(small(), tmp_path / "small.json")
        out, _ = run(runner, "as-of", "2025-03-20", "-f", "json", ICESTATUS_REGISTRY=str(path))
        assert {r["department_id"] for r in json.loads(out)} == {"tx-a", "tx-b"}


class TestAnswersCarryTheirDate:
    """On the bundled registry: every answer names the last sheet it rests on (issue 12, Done when)."""

    LAST = last_sheet(BUNDLED, "participating")
    LAST_PENDING = last_sheet(BUNDLED, "pending")

    def test_list_table_title_and_footer(self, runner: CliRunner) -> None:
        today = self.LAST + dt.timedelta(days=198)
        out, _ = run(runner, "list", ICESTATUS_TODAY=today.isoformat(), COLUMNS="200")
        lines = out.splitlines()
        assert f"287(g) agreements on {today} · ICE's latest list: {self.LAST}, 198 days earlier" in lines[0]
        footer = " ".join(out[out.index(" in force ("):].split())
        assert "pending unknown" in footer
        assert (f"ICE's latest participating list in this registry is of {self.LAST}, 198 days before {today}: "
                "changes since then are known only where a news source reported them.") in footer
        assert f"Pending unknown: ICE's last pending list in this registry is of {self.LAST_PENDING}" in footer

    def test_list_csv_rows(self, runner: CliRunner) -> None:
        today = self.LAST + dt.timedelta(days=198)
        out, _ = run(runner, "list", "--state", "TX", "--format", "csv", ICESTATUS_TODAY=today.isoformat())
        rows = list(csv.DictReader(io.StringIO(out)))
        assert len(rows) > 100
        assert {r["as_of"] for r in rows} == {today.isoformat()}
        assert {r["status"] for r in rows} <= {"active", "paused"}  # pending is not known that late
        assert all(r["listed_on"] == self.LAST.isoformat() or (not r["listed_on"] and r["known_from"]) for r in rows)
        assert all(str(self.LAST_PENDING) in r["pending_unknown"] for r in rows)

    def test_as_of_json_rows(self, runner: CliRunner) -> None:
        out, _ = run(runner, "as-of", "2026-12-01", "--format", "json")
        rows = json.loads(out)
        assert rows and {r["as_of"] for r in rows} == {"2026-12-01"}
        assert {r["listed_on"] for r in rows} == {self.LAST.isoformat()}
        assert all(r["known_from"] is None and r["pending_unknown"] for r in rows)

    def test_pending_unknown_before_the_first_pending_sheet(self, runner: CliRunner) -> None:
        first = min(s.published for s in BUNDLED.sources if s.sheet is SheetKind.pending and s.published)
        day = (first - dt.timedelta(days=1)).isoformat()
        rows = json.loads(run(runner, "as-of", day, "--format", "json")[0])
        assert rows and all(r["status"] != "pending" for r in rows)
        assert {r["pending_unknown"] for r in rows} == {
            f"ICE's first pending list in this registry is of {first}: applications pending before it are not known"}
        # agreements signed earlier rest on the last capture of ICE's page before it (2025-02-19),
        # or are known only from a later sheet's SIGNED dates
        capture = max(s.published for s in BUNDLED.sources
                      if s.kind is SourceKind.ice_page and s.published and s.published <= d(day))
        assert capture == d("2025-02-19")
        assert all(r["listed_on"] == capture.isoformat() or (r["listed_on"] is None and r["known_from"])
                   for r in rows)
        assert sum(r["listed_on"] == capture.isoformat() for r in rows) == 145

    def test_pending_known_up_to_seven_days_after_the_last_pending_sheet(self, runner: CliRunner) -> None:
        rows = json.loads(run(runner, "list", "--format", "json", ICESTATUS_TODAY=self.LAST_PENDING.isoformat())[0])
        assert any(r["status"] == "pending" for r in rows) and all(r["pending_unknown"] is None for r in rows)
        within = (self.LAST_PENDING + dt.timedelta(days=7)).isoformat()
        rows = json.loads(run(runner, "list", "--format", "json", ICESTATUS_TODAY=within)[0])
        assert rows and all(r["pending_unknown"] is None for r in rows)
        after = (self.LAST_PENDING + dt.timedelta(days=8)).isoformat()
        out, _ = run(runner, "list", "--status", "pending", ICESTATUS_TODAY=after)
        assert out.startswith(f"Pending 287(g) applications on {after} are not known: ICE's last pending list "
                              f"in this registry is of {self.LAST_PENDING}, 8 days before {after}")
        out, _ = run(runner, "list", "--format", "json", "--status", "pending", ICESTATUS_TODAY=after)
        assert json.loads(out) == []

    def test_as_of_2025_05_01_pending_unknown_when_the_first_pending_sheet_is_later(
        self, runner: CliRunner, tmp_path: Path
    ) -> None:
        path = write(small(), tmp_path / "small.json")
        rows = json.loads(run(runner, "as-of", "2025-05-01", "-r", str(path), "--format", "json")[0])
        assert rows and all("first pending list in this registry is of 2025-06-01" in r["pending_unknown"]
                            for r in rows)
        out, _ = run(runner, "as-of", "2025-05-01", "-r", str(path), COLUMNS="200")
        assert "0 pending" not in out and "pending unknown" in out

    def test_no_pending_list_is_pending_unknown_not_zero(self, runner: CliRunner, tmp_path: Path) -> None:
        """Review F1: a registry of participating sheets only (what `update` makes from a page that links
        no pending sheet), and an empty `init` registry, say pending unknown wherever a count is shown."""
        reg = registry_of([ev("tx-a", "signed", "2020-06-08", sources=("ice-participating-2025-03-01",))],
                          sources=(SOURCE, *SHEETS[:5]))
        path = write(reg, tmp_path / "participating.json")
        env = {"ICESTATUS_TODAY": "2025-04-12", "COLUMNS": "200"}
        out, _ = run(runner, "list", "--state", "TX", "-r", str(path), **env)
        assert "pending unknown" in out and "0 pending" not in out
        assert "Pending unknown: this registry holds no pending list" in out
        doc = json.loads(run(runner, "stats", "-r", str(path), "--format", "json", **env)[0])
        assert doc["total"]["pending"] is None and "holds no pending list" in doc["pending_unknown"]
        rows = json.loads(run(runner, "list", "-r", str(path), "--format", "json", **env)[0])
        assert rows and all("holds no pending list" in r["pending_unknown"] for r in rows)
        rows = list(csv.DictReader(io.StringIO(run(runner, "trend", "-r", str(path), "--format", "csv", **env)[0])))
        assert rows and {r["pending"] for r in rows} == {""}
        empty = tmp_path / "empty.json"
        run(runner, "init", str(empty))
        out, _ = run(runner, "list", "-r", str(empty), **env)
        assert out.startswith("No 287(g) agreements in force on 2025-04-12 (pending unknown).")

    def test_moa_missing_days_never_exceed_the_gap_to_the_last_sheet(self, runner: CliRunner) -> None:
        today = self.LAST + dt.timedelta(days=198)
        out, _ = run(runner, "moa", "--missing", "--format", "json", ICESTATUS_TODAY=today.isoformat())
        rows = [r for r in json.loads(out) if r["days_without_moa"] is not None]
        assert rows
        for r in rows:
            assert r["counted_to"] == self.LAST.isoformat()
            assert r["days_without_moa"] == (self.LAST - d(r["signed"])).days
        out, _ = run(runner, "moa", "--missing", ICESTATUS_TODAY=today.isoformat(), COLUMNS="200")
        assert f"ICE's latest list: {self.LAST}, 198 days earlier" in out.splitlines()[0]
        assert f"Days: from the signing date to {self.LAST}" in out

    def test_moa_days_not_counted_where_no_list_shows_the_moa_missing(self, runner: CliRunner) -> None:
        """Review F2: before ICE's first list nothing is counted; in a gap, an agreement signed after the
        last list before the date has no count, and the footer says why."""
        cov = Coverage.of(BUNDLED)
        first = cov.first(SheetKind.participating).date  # type: ignore[union-attr]
        day = (first - dt.timedelta(days=1)).isoformat()
        rows = json.loads(run(runner, "moa", "--missing", "--on", day, "--format", "json")[0])
        assert rows and {(r["days_without_moa"], r["counted_to"]) for r in rows} == {(None, None)}
        out, _ = run(runner, "moa", "--missing", "--on", day, COLUMNS="200")
        assert f"Days: not counted: ICE's first list in this registry is of {first}, after {day}" in out
        for gap in cov.gaps(SheetKind.participating):
            day = (gap.until.date - dt.timedelta(days=1)).isoformat()
            rows = json.loads(run(runner, "moa", "--missing", "--on", day, "--format", "json")[0])
            late = [r for r in rows if r["signed"] and d(r["signed"]) > gap.after.date]
            if late:
                break
        else:
            pytest.fail("no agreement in the bundled registry was signed in a gap between ICE's lists")
        assert {(r["days_without_moa"], r["counted_to"]) for r in late} == {(None, None)}
        counted = [r for r in rows if r["days_without_moa"] is not None]
        assert counted and {r["counted_to"] for r in counted} == {gap.after.date.isoformat()}
        out, _ = run(runner, "moa", "--missing", "--on", day, COLUMNS="250")
        assert f"Days: from the signing date to {gap.after.date}, ICE's last list on or before {day}" in out
        assert "last list to show the MOA missing" not in out
        assert (f"Days blank ({len(late):,}): signed after {gap.after.date}, so no list on or before {day} shows "
                "the MOA missing yet") in out

    def test_version_names_the_last_sheet(self, runner: CliRunner) -> None:
        out, _ = run(runner, "--version")
        assert out.splitlines()[1] == (f"registry: {bundled_registry_path()} (bundled), "
                                       f"ICE's last sheet {self.LAST}")

    def test_trend_defaults_to_the_lists_and_marks_what_they_do_not_cover(self, runner: CliRunner) -> None:
        first = min(s.published for s in BUNDLED.sources if s.sheet is SheetKind.participating and s.published)
        today = (self.LAST + dt.timedelta(days=198)).isoformat()
        rows = json.loads(run(runner, "trend", "--format", "json", ICESTATUS_TODAY=today)[0])
        assert (rows[0]["date"], rows[-1]["date"]) == (first.isoformat(), self.LAST.isoformat())
        assert {r["coverage"] for r in rows} <= {"covered", "gap"}
        out, _ = run(runner, "trend", ICESTATUS_TODAY=today, COLUMNS="200")
        assert f"ICE's lists: {first} to {self.LAST}" in out.splitlines()[0]
        # asked past the last list: those points are marked, pending there is null, the peak stays within
        rows = json.loads(run(runner, "trend", "--to", today, "--every", "month", "--format", "json",
                              ICESTATUS_TODAY=today)[0])
        late = [r for r in rows if d(r["date"]) > self.LAST + dt.timedelta(days=7)]
        assert late and {r["coverage"] for r in late} == {"stale"} and {r["pending"] for r in late} == {None}
        out, _ = run(runner, "trend", "--to", today, "--every", "month", ICESTATUS_TODAY=today, COLUMNS="200")
        peak = out[out.index("peak "):].split()[3].rstrip(";")
        assert d(peak) <= self.LAST + dt.timedelta(days=7)  # within the lists and their 7 days' allowance
        assert "┄" in next(line for line in out.splitlines() if "└" in line)

    def test_diff_names_both_lists_and_what_is_not_covered(self, runner: CliRunner) -> None:
        out, _ = run(runner, "diff", "2025-07-18", "2026-12-01", COLUMNS="200")
        flat = " ".join(out.split())
        assert (f"Rests on ICE's list of 2025-07-18 and ICE's latest list, of {self.LAST} "
                f"({(d('2026-12-01') - self.LAST).days} days before 2026-12-01)") in flat
        assert (f"ICE's latest participating list in this registry is of {self.LAST}: changes from {self.LAST} to "
                "the end of 2026-12-01 are known only where a news source reported them.") in flat
        assert "applications filed or withdrawn outside them are not known" in flat

    def test_stats_and_states_name_their_sheet_and_pending_unknown(self, runner: CliRunner) -> None:
        today = (self.LAST + dt.timedelta(days=30)).isoformat()
        doc = json.loads(run(runner, "stats", "--format", "json", ICESTATUS_TODAY=today)[0])
        assert doc["listed_on"] == self.LAST.isoformat() and doc["total"]["pending"] is None
        assert str(self.LAST_PENDING) in doc["pending_unknown"]
        out, _ = run(runner, "stats", ICESTATUS_TODAY=today, COLUMNS="200")
        assert f"ICE's latest list: {self.LAST}, 30 days earlier" in " ".join(out.split())
        assert "unknown" in next(line for line in out.splitlines() if line.strip().startswith("Total"))
        rows = json.loads(run(runner, "states", "--format", "json", ICESTATUS_TODAY=today)[0])
        assert {r["pending"] for r in rows} == {None} and {r["listed_on"] for r in rows} == {self.LAST.isoformat()}
        out, _ = run(runner, "states", ICESTATUS_TODAY=today, COLUMNS="200")
        assert f"ICE's latest list: {self.LAST}, 30 days earlier" in out.splitlines()[0]
        assert "pending unknown" in out
        # within the pending lists, counts are numbers
        doc = json.loads(run(runner, "stats", "--on", str(self.LAST_PENDING), "--format", "json")[0])
        assert isinstance(doc["total"]["pending"], int) and doc["pending_unknown"] is None


class TestInfo:
    def test_json_on_the_bundled_registry(self, runner: CliRunner) -> None:
        last = last_sheet(BUNDLED, "participating")
        today = last + dt.timedelta(days=3)
        doc = json.loads(run(runner, "info", "--format", "json", ICESTATUS_TODAY=today.isoformat())[0])
        assert doc["registry"] == {"path": str(bundled_registry_path()), "origin": "bundled",
                                   "reason": "bundled with icestatus (no --registry, no $ICESTATUS_REGISTRY)"}
        assert doc["title"] == BUNDLED.title and doc["today"] == today.isoformat()
        for kind in ("participating", "pending"):
            sheets = sorted((s.published, s.id) for s in BUNDLED.sources
                            if s.sheet is not None and s.sheet.value == kind and s.published is not None)
            cov = doc["coverage"][kind]
            assert (cov["first"], cov["last"], cov["sheets"]) == (
                sheets[0][0].isoformat(), sheets[-1][0].isoformat(), len(sheets))
            dates = sorted({x for x, _ in sheets})
            expected = [(a, b) for a, b in pairwise(dates) if (b - a).days > 14]
            assert [(d(g["after"]), d(g["until"])) for g in cov["gaps"]] == expected
            assert all(g["days"] == (d(g["until"]) - d(g["after"])).days for g in cov["gaps"])
        in_force = sum(1 for a in replay(BUNDLED, last) if a.status is not Status.pending)
        assert doc["counts"] == {"agencies": len(BUNDLED.departments), "in_force_on_latest": in_force,
                                 "events": len(BUNDLED.events), "sources": len(BUNDLED.sources),
                                 "ice_sheets": sum(1 for s in BUNDLED.sources if s.sheet is not None)}
        assert (doc["latest"], doc["age_days"], doc["stale"]) == (last.isoformat(), 3, False)
        late = json.loads(run(runner, "info", "--format", "json",
                              ICESTATUS_TODAY=(last + dt.timedelta(days=8)).isoformat())[0])
        assert late["stale"] is True and late["age_days"] == 8 and len(late["limits"]) == 2

    def test_table_at_80_columns(self, runner: CliRunner) -> None:
        last = last_sheet(BUNDLED, "participating")
        out, _ = run(runner, "info", COLUMNS="80", ICESTATUS_TODAY=(last + dt.timedelta(days=2)).isoformat())
        # the path may wrap at 80 columns: its length depends on where icestatus is installed
        assert out.splitlines()[0].split()[0] == "Registry"
        assert "".join(out.split()).startswith("Registry" + "".join(str(bundled_registry_path()).split()))
        assert f"ICE's latest participating list is of {last}, 2 days before today" in out
        assert any(line.split()[:3] == ["participating", min(
            str(s.published) for s in BUNDLED.sources if s.sheet is SheetKind.participating), str(last)]
            for line in out.splitlines() if line.strip())
        assert "Gaps of more than 14 days between two lists:" in out
        assert max(len(line.rstrip()) for line in out.splitlines()) <= 80

    def test_flag_env_and_a_registry_without_sheets(self, runner: CliRunner, tmp_path: Path) -> None:
        plain = write(registry_of([ev("tx-a", "signed", "2025-01-01")]), tmp_path / "plain.json")
        doc = json.loads(run(runner, "info", "-r", str(plain), "-f", "json")[0])
        assert doc["registry"]["origin"] == "flag" and doc["registry"]["reason"] == "given with --registry"
        assert doc["coverage"] == {} and doc["latest"] is None and doc["counts"]["in_force_on_latest"] is None
        doc = json.loads(run(runner, "info", "-f", "json", ICESTATUS_REGISTRY=str(plain))[0])
        assert doc["registry"] == {"path": str(plain), "origin": "env",
                                   "reason": "named by $ICESTATUS_REGISTRY"}
        out, _ = run(runner, "info", "-r", str(plain))
        assert "No ICE sheet in this registry" in out and "no ICE participating list" in out
        _, err = run(runner, "info", "--format", "csv", code=2)  # one document: --help offers table|json
        assert "'csv' is not one of 'table', 'json'" in err
        _, err = run(runner, "info", "-r", str(tmp_path / "missing.json"), code=1)
        assert "no such registry" in err


def test_a_date_in_a_gap_says_so(runner: CliRunner) -> None:
    """Between two of ICE's lists more than 14 days apart, the footer and stderr say which."""
    gap = Coverage.of(BUNDLED).gaps(SheetKind.participating)[0]
    day = gap.after.date + dt.timedelta(days=gap.days // 2)
    out, err = run(runner, "as-of", day.isoformat(), "--state", "TX", COLUMNS="200")
    expected = (f"{day} falls in a {gap.days}-day gap between ICE's participating lists of {gap.after.date} and "
                f"{gap.until.date}: changes in it are known only to that window")
    assert expected + "." in " ".join(out.split())
    assert err == f"icestatus: warning: {expected}\n"
    assert f"ICE's list: {gap.after.date}, {gap.days // 2} days earlier" in out.splitlines()[0]


def test_counts_carry_thousands_separators_and_singulars(runner: CliRunner, tmp_path: Path) -> None:
    """Review F7: `list` printed "1547 agencies · 1843 in force" where stats and info print "1,843";
    info printed "1 sources (1 ICE sheets)"."""
    rows = json.loads(run(runner, "list", "--format", "json", ICESTATUS_TODAY="2026-05-20")[0])
    in_force = [r for r in rows if r["status"] in ("active", "paused")]
    agencies = len({r["department_id"] for r in rows})
    assert len(in_force) >= 1000
    out, _ = run(runner, "list", ICESTATUS_TODAY="2026-05-20", COLUMNS="200")
    assert f"{agencies:,} agencies · {len(in_force):,} in force (" in out
    one = write(registry_of([], sources=(SHEETS[0],)), tmp_path / "one.json")
    out, _ = run(runner, "info", "-r", str(one), COLUMNS="200", ICESTATUS_TODAY="2025-03-02")
    assert "0 agencies · 0 agreements in force on ICE's latest list · 0 events · 1 source (1 ICE sheet)" in out


def test_diff_checks_its_dates_before_warning_about_them(runner: CliRunner) -> None:
    """Review F10: `diff 2026-01-01 2025-01-01` warned that 2025-01-01 is before ICE's first list, then
    said the arguments were the wrong way round: the usage error comes alone."""
    _, err = run(runner, "diff", "2026-01-01", "2025-01-01", code=2)
    assert err == "icestatus: error: FROM 2026-01-01 is after TO 2025-01-01: give the earlier date first\n"



def test_trend_summary_and_peak_rest_on_covered_points(runner: CliRunner) -> None:
    """A trend past ICE's last list (and from inside a gap) draws those points, but its
    summary tells the change between points the lists cover, and its peak includes the day
    of the last list itself, which the monthly grid would skip."""
    last = last_sheet(BUNDLED, "participating")
    on_last = sum(1 for a in replay(BUNDLED, last) if a.status in (Status.active, Status.paused))
    out, _ = run(runner, "trend", "--from", "2019-01-01", "--to", (last + dt.timedelta(days=197)).isoformat(),
                 COLUMNS="200")
    summary = next(line for line in out.splitlines() if "→" in line)
    assert f"→ {on_last:,} on {last}" in summary and f"peak {on_last:,} on {last};" in summary
    assert "on 2019-01-01 →" not in summary  # 2019 is in the gap of years without a capture
    rows = json.loads(run(runner, "trend", "--from", "2019-01-01", "--to", "2026-12-01", "-f", "json")[0])
    assert last.isoformat() in [r["date"] for r in rows]


def test_an_empty_json_answer_still_says_pending_is_unknown(runner: CliRunner) -> None:
    """`list --status pending --format json` after ICE's last pending list has no row to
    carry `pending_unknown`: stderr says it (review: a script would read [] as 0 pending)."""
    last_pending = last_sheet(BUNDLED, "pending")
    late = (last_pending + dt.timedelta(days=30)).isoformat()
    out, err = run(runner, "list", "--status", "pending", "--format", "json", ICESTATUS_TODAY=late)
    assert json.loads(out) == []
    assert f"pending unknown: ICE's last pending list in this registry is of {last_pending}" in err
    _, err = run(runner, "list", "--status", "pending", "--format", "json",
                 ICESTATUS_TODAY=last_pending.isoformat())
    assert "pending unknown" not in err


def test_stats_json_says_what_its_counts_cannot(runner: CliRunner) -> None:
    """Before ICE's first list the count in force is a lower bound: the JSON says so in
    `limits` (as the table's footer does), not only stderr; within the lists it says nothing."""
    first = BUNDLED.coverage[SheetKind.participating].first
    before = json.loads(run(runner, "stats", "--on", (first - dt.timedelta(days=365)).isoformat(), "-f", "json")[0])
    assert any(f"before ICE's first participating list in this registry ({first})" in x for x in before["limits"])
    last = last_sheet(BUNDLED, "participating")
    within = json.loads(run(runner, "stats", "--on", last.isoformat(), "-f", "json", ICESTATUS_TODAY=last.isoformat())[0])
    assert not [x for x in within["limits"] if "participating" in x]
