"""ICE's real sheets (../shared/data/ice-sheets): ingested in order into an empty registry,
the registry reproduces every one of them, and the bundled registry is what they build."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from icestatus.enums import EventKind, SheetKind, Status
from icestatus.ingest import IngestResult, ingest_paths, publication_key, read_sheets
from icestatus.models import Registry
from icestatus.names import normalize_name
from icestatus.registry import bundled_registry_path, dump_registry, empty_registry
from icestatus.replay import replay
from icestatus.sources import Roster

pytestmark = pytest.mark.shared

REPO = Path(__file__).resolve().parents[1]


def sheet_paths(root: Path) -> list[Path]:
    """Every sheet of the manifest, in the order ICE's site was archived."""
    with (root / "manifest.csv").open(newline="") as fh:
        return [root / r["path"] for r in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def sheets(ice_sheets_dir: Path) -> list[Roster]:
    return read_sheets(sheet_paths(ice_sheets_dir))


@pytest.fixture(scope="module")
def ingested(sheets: list[Roster]) -> IngestResult:
    from icestatus.ingest import ingest_sheets

    return ingest_sheets(empty_registry(), sheets)


def identity(registry: Registry) -> dict[tuple[str, str], str]:
    """(state, normalized name or alias) -> agency id: how a sheet's row names an agency."""
    index: dict[tuple[str, str], str] = {}
    for dept in registry.departments:
        for name in (dept.name, *dept.aliases):
            assert index.setdefault((dept.state, normalize_name(name)), dept.id) == dept.id
    return index


def last_of_each_day(sheets: list[Roster]) -> Iterator[Roster]:
    last: dict[tuple[SheetKind, dt.date], Roster] = {}
    for sheet in sorted(sheets, key=publication_key):
        last[(sheet.kind, sheet.published)] = sheet
    return iter(sorted(last.values(), key=publication_key))


def test_every_sheet_is_reproduced(sheets: list[Roster], ingested: IngestResult) -> None:
    """as-of each sheet's date, the agreements in force (or pending) are exactly its rows."""
    reg = ingested.registry
    index = identity(reg)
    checked = rows = 0
    for sheet in last_of_each_day(sheets):
        listed = {(index[(r.state, normalize_name(r.agency))], r.model) for r in sheet.rows}
        states = replay(reg, sheet.published)
        if sheet.kind is SheetKind.participating:
            got = {(a.department.id, a.model) for a in states if a.status is not Status.pending}
        else:
            got = {(a.department.id, a.model) for a in states if a.status is Status.pending}
        assert got == listed, (sheet.path.name, sorted(listed - got)[:5], sorted(got - listed)[:5])
        checked += 1
        rows += len(sheet.rows)
    assert checked == 43 and rows == 14_399  # 53 files; 10 are not the last of their day


def test_ingesting_everything_again_adds_nothing(sheets: list[Roster], ingested: IngestResult) -> None:
    from icestatus.ingest import ingest_sheets

    again = ingest_sheets(ingested.registry, sheets)
    assert again.events == () and again.registry is ingested.registry
    assert all(f.skipped for f in again.files)


def test_known_corrections_and_duplicates(ingested: IngestResult) -> None:
    reg = ingested.registry
    jim = [(e.kind, e.date, e.signed) for e in reg.events
           if e.department_id == "tx-jim-wells-county-sheriffs-office" and e.model.value == "jail_enforcement"
           and e.kind is not EventKind.moa_linked]
    assert jim == [(EventKind.signed, dt.date(2025, 2, 27), None),
                   (EventKind.corrected, dt.date(2025, 6, 27), dt.date(2025, 2, 28))]
    repeated = {f.path.name: f.repeated_rows for f in ingested.files if f.repeated_rows}
    assert repeated == {"participatingAgencies07032025pm.xlsx": 1, "participatingAgencies07072025pm.xlsx": 1,
                        "participatingAgencies07092025am.xlsx": 1}


def test_moa_addresses_on_the_last_sheet(sheets: list[Roster], ingested: IngestResult) -> None:
    """Every hyperlink of 2025-07-18 pm is the address of its agreement; the one agreement
    with an address and no hyperlink is Damascus Township Constable (PA), whose link that
    sheet dropped after listing it on every earlier sheet: the registry keeps it."""
    last = next(s for s in sheets if s.path.name == "participatingAgencies07182025pm.xlsx")
    reg = ingested.registry
    index = identity(reg)
    by_key = {(a.department.id, a.model): a for a in replay(reg, last.published) if a.status is not Status.pending}
    linked_rows = [r for r in last.rows if r.moa_url]
    for r in linked_rows:
        assert by_key[(index[(r.state, normalize_name(r.agency))], r.model)].moa_url == r.moa_url
    with_address = {k for k, a in by_key.items() if a.moa_url}
    assert (len(with_address), len(linked_rows)) == (604, 603)
    unlinked = {(index[(r.state, normalize_name(r.agency))], r.model) for r in last.rows if not r.moa_url}
    assert {k[0] for k in with_address & unlinked} == {"pa-damascus-township-constable"}


def test_no_safe_links_or_http_addresses(ingested: IngestResult) -> None:
    urls = [e.moa_url for e in ingested.registry.events if e.moa_url]
    assert len(urls) > 600
    assert all(u.startswith("https://www.ice.gov/doclib/287gMOA/") for u in urls)


def test_bundled_registry_is_what_the_sheets_build(ice_sheets_dir: Path) -> None:
    """data/agreements.json is up to date: `python scripts/build_registry.py` would not change it."""
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import build_registry
    finally:
        sys.path.pop(0)
    built = build_registry.build(ice_sheets_dir, sorted((REPO / "data" / "curated").glob("*.json")))
    assert dump_registry(built) == bundled_registry_path().read_bytes(), (
        "data/agreements.json is stale: run `python scripts/build_registry.py` and commit it")


def test_ingest_paths_reads_and_ingests(ice_sheets_dir: Path) -> None:
    first = sheet_paths(ice_sheets_dir)[:2]
    result = ingest_paths(empty_registry(), first)
    assert [f.source_id for f in result.files] == ["ice-pending-2025-05-15-am", "ice-participating-2025-05-16-am"]
