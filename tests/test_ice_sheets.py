"""ICE's real sheets (../shared/data/ice: 478 files of 2025-02-20..2026-05-18 and their
manifest): ingested through the CLI, by their names alone and in one run, into an empty
registry, the registry reproduces every publication day; the bundled registry is what
the manifest builds; and each trap of the real data (issue 11) is met as documented.

The CLI run happens once per session (``cli_ingest``); the other tests read its registry.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ice_data import by_name, manifest, paths
from icestatus.cli import app
from icestatus.enums import EventKind, Model, SheetKind, Status
from icestatus.ingest import (
    SUSPECT_MIN,
    IngestResult,
    half_rank,
    ingest_sheets,
    known_aliases,
    publication_key,
)
from icestatus.models import Registry
from icestatus.names import normalize_name
from icestatus.registry import bundled_registry_path, dump_registry, empty_registry, load_registry
from icestatus.replay import replay
from icestatus.sources import Roster, RosterRow

pytestmark = pytest.mark.shared

REPO = Path(__file__).resolve().parents[1]
D = dt.date.fromisoformat


@dataclass(frozen=True)
class CliRun:
    registry: Registry
    stderr: str


@pytest.fixture(scope="session")
def cli_ingest(ice_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """`icestatus init` then one `icestatus ingest` of every use=yes file (478 less the one
    re-posted old list), named as ICE named them: no manifest, no --published."""
    runner = CliRunner()
    path = tmp_path_factory.mktemp("cli") / "registry.json"
    assert runner.invoke(app, ["init", str(path)]).exit_code == 0
    result = runner.invoke(app, ["ingest", *map(str, paths(ice_dir)), "-r", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr[-2000:]
    return CliRun(load_registry(path), result.stderr)


@pytest.fixture(scope="session")
def used_rosters(ice_dir: Path, real_rosters: dict[str, Roster]) -> list[Roster]:
    return [real_rosters[r["path"]] for r in manifest(ice_dir)]


def identity(registry: Registry) -> Any:
    """A function: sheet row -> the registry's agency id, as ingest finds it (the identity
    table first, then state plus normalized name or alias)."""
    index: dict[tuple[str, str], str] = {}
    for dept in registry.departments:
        for name in (dept.name, *dept.aliases):
            assert index.setdefault((dept.state, normalize_name(name)), dept.id) == dept.id
    aliases = known_aliases()

    def find(row: RosterRow) -> str:
        alias = aliases.resolve(row.state, row.agency, row.model)
        if alias is not None:
            return index[(alias.agency_state, normalize_name(alias.agency_name))]
        return index[(row.state, normalize_name(row.agency))]

    return find


def last_of_each_day(rosters: list[Roster]) -> Iterator[tuple[SheetKind, dt.date, Roster]]:
    """(kind, day, the last sheet of that kind published that day), in day order. Days are
    as ingest dates them (a Wayback capture of a known file: the capture's day)."""
    last: dict[tuple[SheetKind, dt.date], Roster] = {}
    for roster in sorted(rosters, key=publication_key):
        last[(roster.kind, roster.seen or roster.published)] = roster
    for (kind, day), roster in sorted(last.items(), key=lambda kv: (kv[0][1], kv[0][0].value)):
        yield kind, day, roster


def as_of_keys(registry: Registry, day: dt.date, kind: SheetKind) -> set[tuple[str, Model]]:
    states = replay(registry, day)
    if kind is SheetKind.participating:
        return {(a.department.id, a.model) for a in states if a.status is not Status.pending}
    return {(a.department.id, a.model) for a in states if a.status is Status.pending}


def redated(rosters: list[Roster], registry: Registry) -> list[Roster]:
    """The rosters with the dates the CLI run gave them (08022025pm: dated by its save)."""
    from dataclasses import replace

    by_sha1 = {s.sha1: s for s in registry.sources if s.sha1}
    out = []
    for r in rosters:
        src = by_sha1.get(r.sha1)
        moved = r.redate is not None and src is not None and src.published == r.redate
        out.append(replace(r, published=r.redate, redate=None) if moved and r.redate else r)
    return out


# ---------------------------------------------------------------- the round trip


def test_as_of_every_day_is_that_days_last_participating_sheet(cli_ingest: CliRun, used_rosters: list[Roster]) -> None:
    """0 rows off on every publication day; no sheet of the real data is suspect."""
    reg = cli_ingest.registry
    find = identity(reg)
    assert [s.id for s in reg.sources if s.suspect] == []
    days = rows = 0
    for kind, day, sheet in last_of_each_day(redated(used_rosters, reg)):
        if kind is not SheetKind.participating:
            continue
        listed = {(find(r), r.model) for r in sheet.rows}
        got = as_of_keys(reg, day, kind)
        assert got == listed, (sheet.path.name, sorted(listed - got)[:5], sorted(got - listed)[:5])
        days += 1
        rows += len(listed)
    assert days > 150 and rows > 150_000


def test_pending_every_day_within_one_percent_each_difference_explained(
    cli_ingest: CliRun, used_rosters: list[Roster]
) -> None:
    """An application the day's last pending sheet lists and as-of does not is one a
    participating sheet published later that day lists as signed (the end of a day shows
    the later list); nothing else differs."""
    reg = cli_ingest.registry
    find = identity(reg)
    sources = {s.id: s for s in reg.sources}
    off = total = 0
    explained: Counter[str] = Counter()
    for kind, day, sheet in last_of_each_day(redated(used_rosters, reg)):
        if kind is not SheetKind.pending:
            continue
        listed = {(find(r), r.model) for r in sheet.rows}
        got = as_of_keys(reg, day, kind)
        total += len(listed)
        assert got <= listed, (sheet.path.name, sorted(got - listed)[:5])
        for key in listed - got:
            signing = next(e for e in reversed(reg.events) if (e.department_id, e.model) == key
                           and e.kind is EventKind.signed and e.date <= day)
            src = sources[signing.sources[0]]
            assert signing.date == day and src.sheet is SheetKind.participating, (sheet.path.name, key)
            assert half_rank(src.half) > half_rank(sheet.half), (sheet.path.name, key, src.id)
            explained[f"{sheet.path.name} < {src.id}"] += 1
            off += 1
    assert off <= total / 100, (off, total)
    # the three days of the real data: signed on the afternoon's participating sheet
    assert explained == {
        "pendingAgencies07252025am.xlsx < ice-participating-2025-07-25-pm": 1,
        "pendingAgencies08042025am.xlsx < ice-participating-2025-08-04-pm": 10,
        "pendingAgencies11042025am.xlsx < ice-participating-2025-11-04-pm": 40,
    }


def test_ingesting_everything_again_adds_nothing(cli_ingest: CliRun, used_rosters: list[Roster]) -> None:
    again = ingest_sheets(cli_ingest.registry, used_rosters)
    assert again.events == () and again.registry is cli_ingest.registry
    assert all(f.skipped for f in again.files)


def test_the_bundled_registry_equals_the_cli_run_on_every_day(cli_ingest: CliRun) -> None:
    """The manifest build and the CLI run by file names agree on every participating day
    (per state and model; the curated news facts of Maine aside)."""
    bundled = load_registry(bundled_registry_path())
    days = sorted({s.published for s in cli_ingest.registry.sources
                   if s.sheet is SheetKind.participating and s.published is not None})

    def counts(reg: Registry, day: dt.date) -> Counter[tuple[str, str]]:
        return Counter((a.department.state, a.model.value) for a in replay(reg, day)
                       if a.status is not Status.pending and a.department.state != "ME")

    for day in days[::5]:
        assert counts(cli_ingest.registry, day) == counts(bundled, day), day


# ---------------------------------------------------------------- stats and trend


def test_stats_on_2026_05_18_is_that_sheet(ice_dir: Path) -> None:
    """`stats --on 2026-05-18` per state and model = participatingAgencies05182026am.xlsx
    (1,843 rows: 1,162 task force, 499 warrant service, 182 jail, less repeated rows)."""
    from icestatus.sources import read_roster

    sheet = read_roster(by_name(ice_dir, "participatingAgencies05182026am.xlsx"))
    assert len(sheet.rows) == 1843
    assert Counter(r.model for r in sheet.rows) == {
        Model.task_force: 1162, Model.warrant_service: 499, Model.jail_enforcement: 182}
    find = identity(load_registry(bundled_registry_path()))
    keys = {(find(r), r.model): r.state for r in sheet.rows}
    want: dict[str, Counter[str]] = {}
    for (_, model), state in keys.items():
        want.setdefault(state, Counter())[model.value] += 1
    result = CliRunner().invoke(app, ["stats", "--on", "2026-05-18", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    got = {r["state"]: Counter({m.value: r[m.value] for m in Model if r[m.value]}) for r in doc["rows"]}
    assert got == want
    assert doc["total"]["in_force"] == len(keys)


def test_trend_equals_every_participating_sheet(ice_dir: Path, used_rosters: list[Roster]) -> None:
    reg = load_registry(bundled_registry_path())
    result = CliRunner().invoke(app, ["trend", "--from", "2025-02-21", "--to", "2026-05-18", "--every", "day",
                                      "-f", "json"])
    assert result.exit_code == 0, result.stderr
    by_date = {r["date"]: r["in_force"] for r in json.loads(result.stdout)}
    find = identity(reg)
    checked = 0
    news_days: set[dt.date] = set()
    for kind, day, sheet in last_of_each_day(redated(used_rosters, reg)):
        if kind is SheetKind.participating:
            listed = {(find(r), r.model) for r in sheet.rows}
            got = as_of_keys(reg, day, kind)
            assert by_date[day.isoformat()] == len(got), day
            # a day differs from its sheet only by what a news source says and no sheet shows
            for key in got ^ listed:
                last = [e for e in reg.events if (e.department_id, e.model) == key and e.date <= day
                        and e.kind is not EventKind.moa_linked][-1]
                assert not any(s.startswith("ice-") for s in last.sources[:1]), (day, key, last)
                news_days.add(day)
            checked += 1
    assert checked > 150
    assert news_days == {D("2025-04-02"), D("2025-10-21"), D("2025-10-22")}  # Wells (ME): news


# ---------------------------------------------------------------- the bundled registry


def test_bundled_registry_is_what_the_manifest_builds(ice_dir: Path, history_dir: Path) -> None:
    """data/agreements.json is up to date: `python scripts/build_registry.py` would not change it."""
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import build_registry
    finally:
        sys.path.pop(0)
    built = build_registry.with_county_fips(
        build_registry.build(ice_dir / "manifest.csv", build_registry.curated_files(), history_dir), report=False)
    assert dump_registry(built) == bundled_registry_path().read_bytes(), (
        "data/agreements.json is stale: run `python scripts/build_registry.py` and commit it")
    # the manifest's provenance is each sheet's note
    src = next(s for s in built.sources if s.id == "ice-participating-2026-01-05-pm")
    assert src.note is not None and "RelevantResearch/287g-DetentionData@" in src.note
    assert "the name says 2025" in src.note


def test_identity_decisions_of_the_bundled_registry() -> None:
    """One agency, one agreement for each state ICE corrected; ICE's 2025-03-17 expansions
    continue their agreements (no delisting, no second signing)."""
    reg = load_registry(bundled_registry_path())
    kinds = {}
    for e in reg.events:
        if e.kind is not EventKind.moa_linked:
            kinds.setdefault((e.department_id, e.model.value), []).append(e.kind.value)
    ids = {d.id for d in reg.departments}
    for gone in ("ok-wichita-county-sheriffs-office", "mt-cass-county-sheriffs-office",
                 "ma-crow-wing-county-sheriffs-office", "mn-freedom-county-sheriffs-office",
                 "mt-mount-department-of-justice", "fl-gulf-county-bocc", "fl-indian-river-shores-dps"):
        assert gone not in ids, gone
    names = {d.id: (d.name, d.aliases) for d in reg.departments}
    assert "Virginia Department of Corrections" in names["va-department-of-corrections"][1]
    assert "Texas Office of the Attorney General" in names["tx-office-of-the-attorney-general"][1]
    assert kinds[("ks-ellis-county-sheriffs-office", "warrant_service")][-1] == "signed"
    assert "delisted" not in kinds[("ks-ellis-county-sheriffs-office", "warrant_service")]
    assert ("tx-ellis-county-sheriffs-office", "warrant_service") not in kinds
    assert kinds[("tx-ellis-county-sheriffs-office", "jail_enforcement")] == ["applied", "signed"]
    for key in (("mn-cass-county-sheriffs-office", "task_force"), ("mn-crow-wing-county-sheriffs-office", "warrant_service"),
                ("tx-wichita-county-sheriffs-office", "warrant_service"), ("va-department-of-corrections", "jail_enforcement"),
                ("tx-office-of-the-attorney-general", "task_force"), ("mt-montana-department-of-justice", "task_force"),
                ("fl-gulf-county-board-of-county-commissioners", "warrant_service"),
                ("fl-pasco-county-board-of-county-commissioners", "warrant_service"),
                ("fl-indian-river-shores-department-of-public-safety", "task_force"),
                ("fl-gulf-county-sheriffs-office", "task_force"), ("fl-pasco-county-sheriffs-office", "task_force"),
                ("mn-freeborn-county-sheriffs-office", "warrant_service")):
        assert kinds[key].count("signed") == 1, (key, kinds[key])
        assert kinds[key][-1] != "delisted" or key[0] == "va-department-of-corrections", (key, kinds[key])


# ---------------------------------------------------------------- the traps, on the real files


def test_wrong_dates_in_names_are_dated_by_the_workbook(cli_ingest: CliRun) -> None:
    """01052025pm is 2026-01-05, 11114025am 2025-11-14, 10223025am 2025-10-22,
    090022025am and 08022025pm 2025-09-02: nothing of 2026 filed under 2025."""
    by_title = {s.title.rsplit(" ", 1)[-1]: s for s in cli_ingest.registry.sources if s.sheet is not None}
    expected = {
        "participatingAgencies01052025pm.xlsx": "2026-01-05", "pendingAgencies01062025pm.xlsx": "2026-01-06",
        "participatingAgencies01092025pm.xlsx": "2026-01-09", "participatingAgencies11114025am.xlsx": "2025-11-14",
        "pendingAgencies10223025am.xlsx": "2025-10-22", "participatingAgencies090022025am.xlsx": "2025-09-02",
        "participatingAgencies08022025pm.xlsx": "2025-09-02",
    }
    assert {name: str(by_title[name].published) for name in expected} == expected
    assert not [s for s in cli_ingest.registry.sources if s.published and s.published < D("2025-02-20")]
    for name in expected:
        assert f"{name}: the name's date" in cli_ingest.stderr, name


def test_swapped_files_of_2025_09_22_pm_are_read_by_their_columns(cli_ingest: CliRun) -> None:
    by_id = {s.id: s for s in cli_ingest.registry.sources}
    assert by_id["ice-pending-2025-09-22-pm"].title.endswith("participatingAgencies09222025pm.xlsx")
    assert by_id["ice-participating-2025-09-22-pm"].title.endswith("pendingAgencies09222025pm.xlsx")
    assert "participatingAgencies09222025pm.xlsx: the file name says participating" in cli_ingest.stderr


def _through(rosters: list[Roster], last: str) -> IngestResult:
    return ingest_sheets(empty_registry(), [r for r in rosters if (r.seen or r.published) <= D(last)])


def test_the_old_list_reposted_as_04212025am_is_skipped(ice_dir: Path, used_rosters: list[Roster],
                                                        real_rosters: dict[str, Roster]) -> None:
    """participatingAgencies04212025am.xlsx (use=no) is the sheet of 2025-03-06 under a new
    name: skipped with a warning; taken anyway (--accept-suspect), it is held as suspect and
    ends nothing."""
    base = _through(used_rosters, "2025-04-20").registry
    old = next(r for p, r in real_rosters.items() if p.endswith("participatingAgencies04212025am.xlsx"))
    assert old.sha1 == next(r for p, r in real_rosters.items() if p.endswith("participatingAgencies03062025am.xlsx")).sha1
    result = ingest_sheets(base, [old])
    (f,) = result.files
    assert f.skipped is not None and f.skipped.startswith("skipped: an old list re-posted under a new name")
    assert "saved on 2025-03-06" in f.skipped and result.registry is base
    day = D("2025-04-21")
    assert as_of_keys(result.registry, day, SheetKind.participating) == as_of_keys(
        base, D("2025-04-20"), SheetKind.participating)
    # taken on purpose (--accept-suspect), ICE's word is the user's to take: it ends what it leaves out
    forced = ingest_sheets(base, [old], accept_suspect=True)
    (g,) = forced.files
    assert len([e for e in g.events if e.kind is EventKind.delisted]) > 100 and g.held == ()


def test_an_identical_publication_is_evidence(cli_ingest: CliRun) -> None:
    """The capture of 2025-02-24 holds the bytes of 2025-02-21: a source of its own, the
    coverage of that day, and the window start of what the next sheet (02-26) shows new."""
    by_id = {s.id: s for s in cli_ingest.registry.sources}
    same = by_id["ice-participating-2025-02-24"]
    assert same.same_as == "ice-participating-2025-02-21" and same.sha1 == by_id[same.same_as].sha1
    assert not [e for e in cli_ingest.registry.events if "ice-participating-2025-02-24" in e.sources]
    new = [e for e in cli_ingest.registry.events if e.sources == ("ice-participating-2025-02-26",)
           and e.kind is EventKind.signed]
    assert new and all(e.not_before in (None, D("2025-02-24")) for e in new)
    assert all(e.date > D("2025-02-24") for e in new)
    # the same bytes re-posted under five more names, 2025-08-20 .. 2025-08-26: each is
    # evidence that the rows of 2025-08-15 still stood
    repeats = [s for s in cli_ingest.registry.sources if s.sha1 and s.sha1.startswith("de65ea81")]
    assert [str(s.published) for s in repeats] == ["2025-08-19", "2025-08-20", "2025-08-21", "2025-08-22", "2025-08-26"]
    assert {s.same_as for s in repeats} == {"ice-participating-2025-08-15-am"}


def test_a_real_truncated_list_is_held_as_suspect(used_rosters: list[Roster], real_rosters: dict[str, Roster]) -> None:
    """The re-posted list of 2025-04-21, dated as if ICE had saved it that day, is a
    truncated list: held as suspect, the next sheet (04-28) restores everything it left
    out, and nothing ends."""
    from dataclasses import replace

    base = _through(used_rosters, "2025-04-20")
    old = next(r for p, r in real_rosters.items() if p.endswith("participatingAgencies04212025am.xlsx"))
    truncated = replace(old, saved=None)  # a list that is short, not old
    held = ingest_sheets(base.registry, [truncated])
    (f,) = held.files
    assert f.skipped is None and f.events == () and len([e for e in f.held if e.kind is EventKind.delisted]) > 100
    assert len(f.held) >= SUSPECT_MIN and f.held and any("suspect" in w for w in f.warnings)
    day = D("2025-04-21")
    assert as_of_keys(held.registry, day, SheetKind.participating) == as_of_keys(
        base.registry, day, SheetKind.participating)
    src = next(s for s in held.registry.sources if s.id == f.source_id)
    assert src.suspect and src.note is not None and "Held as suspect" in src.note
    after = [r for r in used_rosters if D("2025-04-21") < (r.seen or r.published) <= D("2025-04-28")]
    later = ingest_sheets(held.registry, after)
    ended = [e for x in later.files for e in x.events if e.kind is EventKind.delisted]
    straight = ingest_sheets(base.registry, after)
    assert len(ended) == len([e for x in straight.files for e in x.events if e.kind is EventKind.delisted])
