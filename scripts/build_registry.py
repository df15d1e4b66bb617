"""Rebuild the bundled registry, data/agreements.json.

    python scripts/build_registry.py [--manifest FILE] [--history DIR] [--out PATH] [--no-history] [--no-sheets]

Starts from an empty registry and ingests every capture of ICE's 287(g) page in
../shared/data/history (the 2011-2017 transcription and the 2021-2025 table captures,
``ingest_history``), then every ICE sheet of the manifest
(default ../shared/data/ice/manifest.csv) whose `use` is `yes`, one at a time in
the manifest's order, each with the manifest's `kind`, `published` and `half`
(the manifest corrects what ICE's file names get wrong); each sheet's source
records the manifest's `origin` (where the file was copied from) and `note`.
Then it merges the reviewed curated facts in data/curated/*.json (the identity
table data/curated/aliases.json is used by the ingest itself), and gives every agency
the FIPS code of its county (scripts/county_fips.py; what it cannot resolve is reported on
stderr). The result is deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from dataclasses import replace
from pathlib import Path

from county_fips import add_county_fips

from icestatus.enums import ICE_LISTINGS, SheetKind, SourceKind
from icestatus.models import Registry
from icestatus.registry import check_records, empty_registry, load_registry, merge_registries, save_registry
from icestatus.sources import Roster

REPO = Path(__file__).resolve().parents[1]
TITLE = "icestatus national registry: ICE's 287(g) page 2010-2025 and sheets 2025-2026, plus curated, sourced facts"
TRANSCRIPTION = Path("ice-page-2007-2017") / "ice-page-captures-2011-2017.csv"
TABLES = Path("ice-page-2021-2025")
ALIASES = "aliases.json"


def manifest_rows(manifest: Path, *, used: bool = True) -> list[dict[str, str]]:
    """The manifest's `use=yes` rows (every row unless *used*), in its order."""
    with manifest.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.DictReader(fh) if not used or row["use"] == "yes"]


def provenance(row: dict[str, str]) -> str:
    note = f"Copied from {row['origin']}" if row["origin"] else "Origin not recorded"
    if row["retrieved_utc"]:
        note += f" (retrieved {row['retrieved_utc']} UTC)"
    return note + (f". {row['note']}" if row["note"] else ".")


def history_rosters(history: Path) -> list[Roster]:
    """Every capture of ICE's 287(g) page in *history* (../shared/data/history): the
    2011-2017 transcription (one roster per capture) and the 2021-2025 table captures of
    its manifest, in publication order."""
    from icestatus.sources import read_rosters

    rosters = read_rosters(history / TRANSCRIPTION)
    tables = history / TABLES
    for row in manifest_rows(tables / "manifest.csv", used=False):
        rosters.extend(read_rosters(tables / row["path"]))
    return rosters


def ingest_history(registry: Registry, history: Path) -> Registry:
    """*registry* with every capture of ICE's page ingested by the same rules as ICE's
    sheets (``history_rosters``), before the sheets.

    A capture is never held as suspect (ingest's rule): the drops between captures are
    real (39 of ICE's 71 agreements of 2010 were gone by 2012-12-31; 15 of the 58 of
    2017-08-01 were not listed on 2021-01-13), not a truncated download. The 2007 and 2008
    lists are not used (README: "Captures, windows and gaps"): they name agencies without
    a model or a date.
    """
    from icestatus.ingest import ingest_sheets

    registry = ingest_sheets(registry, history_rosters(history)).registry
    return with_unkept_captures(registry, history / TABLES)


def with_unkept_captures(registry: Registry, tables: Path) -> Registry:
    """*registry* with a source for the captures of *tables*/captures.csv whose file is not
    kept (the folder keeps the first and last capture of each of the 21 tables; the 658
    captures between them showed the same table): each is evidence, like an identical
    sheet (``same_as`` the first capture of its table), that the table had not changed by
    its day, so that the gaps of coverage are the real ones (two of more than 14 days in
    2021-2025, besides 2017-08-01..2021-01-13). Of captures at most ``GAP_DAYS`` apart
    only as many are kept as leave no two consecutive ones further apart (the latest
    within ``GAP_DAYS`` of the one kept before): the gaps are the same, the registry
    smaller."""
    from icestatus.coverage import GAP_DAYS
    from icestatus.models import Source
    from icestatus.sources import ICE_PAGE
    from icestatus.sources.ice_page_table import WAYBACK, capture_source_id, capture_time, capture_title

    known = {s.id: s for s in registry.sources}
    first: dict[str, str] = {}
    for row in manifest_rows(tables / "manifest.csv", used=False):
        if row["first_or_last"] == "first":
            first[row["table_state"]] = capture_source_id(row["capture_utc"])
    captures = manifest_rows(tables / "captures.csv", used=False)
    days = [capture_time(row["capture_utc"]).date() for row in captures]
    added: list[Source] = []
    kept = days[0]
    for i, row in enumerate(captures):
        sid = capture_source_id(row["capture_utc"])
        keep = sid in known or i + 1 == len(captures) or (days[i + 1] - kept).days > GAP_DAYS
        if keep:
            kept = days[i]
        if sid in known or not keep:
            continue
        when = capture_time(row["capture_utc"])
        same_as = first[row["table_state"]]
        added.append(Source(
            id=sid, kind=SourceKind.ice_page, publisher=known[same_as].publisher, title=capture_title(when),
            url=f"{WAYBACK}{row['capture_utc']}/{ICE_PAGE}", published=when.date(), sheet=SheetKind.participating,
            rows=int(row["rows"]), same_as=same_as,
            note=(f"The same table as {same_as} (table {row['table_state']} of 21), as listed in captures.csv "
                  "of the captures RelevantResearch/287g-DetentionData parsed; the file itself is not kept. "
                  "Evidence that the table had not changed by this day; no events of its own."),
        ))
    # in date order among the captures, before ICE's sheets (ingest takes the last source
    # of a kind as the newest list)
    sources = sorted((*registry.sources, *added), key=lambda src: (src.published or dt.date.min, src.id))
    return registry.model_copy(update={"sources": tuple(sources)})


def ingest_manifest(registry: Registry, manifest: Path) -> Registry:
    """*registry* with every `use=yes` sheet of *manifest* ingested, in the manifest's order."""
    from icestatus.ingest import ingest_sheets
    from icestatus.sources import read_roster

    notes: dict[str, str] = {}
    for row in manifest_rows(manifest):
        roster = read_roster(
            manifest.parent / "sheets" / row["path"], kind=SheetKind(row["kind"]),
            published=dt.date.fromisoformat(row["published"]), half=row["half"] or None,
        )
        result = ingest_sheets(registry, [roster])
        registry = result.registry
        for f in result.files:
            if f.source_id is not None:
                notes[f.source_id] = provenance(row)
    sources = tuple(
        src.model_copy(update={"note": " ".join(filter(None, (src.note, notes[src.id])))})
        if src.id in notes else src
        for src in registry.sources
    )
    return registry.model_copy(update={"sources": sources})


_ENDS = ("terminated", "delisted")
_SKIP = ("moa_linked", "corrected")


def reconcile(registry: Registry) -> Registry:
    """One event where a curated fact and a sheet say the same thing in turn.

    Within one agreement's history (MOA links and corrections aside), an event that
    follows one of the same effect, one citing a sheet and the other not, adds nothing:
    applied after applied, withdrawn after withdrawn, signed after signed with the same signing date, an end after an
    end (a news report of a termination, then ICE's sheet no longer listing it). The later
    event is dropped and its sources (and note, MOA address, when the earlier one has none)
    go to the earlier one, so that both sources back one fact.
    """
    ice = {s.id for s in registry.sources if s.kind in ICE_LISTINGS}
    last: dict[tuple[str, str], int] = {}
    events = list(registry.events)
    keep = [True] * len(events)
    for i, ev in enumerate(events):
        kind = ev.kind.value
        if kind in _SKIP:
            continue
        key = (ev.department_id, ev.model.value)
        j = last.get(key)
        last[key] = i
        if j is None:
            continue
        before = events[j]
        from_sheet = [any(s in ice for s in e.sources) for e in (before, ev)]
        if from_sheet[0] == from_sheet[1]:
            continue
        same = (
            (kind == before.kind.value and kind in ("applied", "withdrawn"))
            or (kind == before.kind.value == "signed" and (ev.signed or ev.date) == (before.signed or before.date))
            or (kind in _ENDS and before.kind.value in _ENDS)
        )
        if not same:
            continue
        events[j] = replace(
            before,
            sources=tuple(dict.fromkeys((*before.sources, *ev.sources))),
            note=before.note or ev.note,
            moa_url=before.moa_url or ev.moa_url,
            moa_pending=before.moa_pending if before.moa_url or before.moa_pending else ev.moa_pending,
        )
        keep[i] = False
        last[key] = j
    return registry.model_copy(update={"events": tuple(e for e, k in zip(events, keep, strict=False) if k)})


def build(manifest: Path | None, curated: list[Path], history: Path | None = None) -> Registry:
    registry = empty_registry(TITLE)
    if history is not None:
        registry = ingest_history(registry, history)
    if manifest is not None:
        registry = ingest_manifest(registry, manifest)
    for path in curated:
        if path.name != ALIASES:
            registry = merge_registries(registry, load_registry(path))
    registry = reconcile(registry)
    problems = check_records(registry)
    if problems:
        raise SystemExit(f"build_registry: {problems[0]}")
    return registry


def with_county_fips(registry: Registry, *, report: bool = True) -> Registry:
    """*registry* with the county FIPS code of every agency that can be resolved
    (scripts/county_fips.py, addfips and data/fips_fixes.json); the report of what could not be
    resolved goes to stderr (*report*)."""
    registry, found = add_county_fips(registry)
    if report:
        print("\n".join(found.lines()), file=sys.stderr)
    return registry


def curated_files() -> list[Path]:
    return sorted((REPO / "data" / "curated").glob("*.json"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=REPO.parent / "shared" / "data" / "ice" / "manifest.csv")
    parser.add_argument("--history", type=Path, default=REPO.parent / "shared" / "data" / "history",
                        help="captures of ICE's 287(g) page, 2011-2025 (ingested before the sheets)")
    parser.add_argument("--no-history", action="store_true", help="leave the captures of ICE's page out")
    parser.add_argument("--no-sheets", action="store_true", help="curated facts only")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "agreements.json")
    args = parser.parse_args(argv)
    manifest = None if args.no_sheets else args.manifest
    if manifest is not None and not manifest.is_file():
        print(f"build_registry: no manifest of ICE's sheets at {manifest} (use --manifest FILE or --no-sheets)",
              file=sys.stderr)
        return 1
    history = None if args.no_sheets or args.no_history else args.history
    if history is not None and not (history / TRANSCRIPTION).is_file():
        print(f"build_registry: no captures of ICE's page at {history} (use --history DIR or --no-history)",
              file=sys.stderr)
        return 1
    registry = with_county_fips(build(manifest, curated_files(), history))
    save_registry(registry, args.out, backup=False)
    out = args.out.resolve()
    shown = out.relative_to(REPO) if out.is_relative_to(REPO) else out
    agreements = {(e.department_id, e.model) for e in registry.events if e.kind.value == "signed"}
    print(f"wrote {shown}: {len(registry.departments)} agencies, {len(agreements)} agreements (agency x model ever signed), "
          f"{len(registry.events)} events, {len(registry.sources)} sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
