"""Rebuild the bundled registry, data/agreements.json.

    python scripts/build_registry.py [--sheets DIR] [--out PATH]

Starts from an empty registry, ingests every ICE sheet in DIR (default
../shared/data/ice-sheets) in publication order, then merges the reviewed
curated facts in data/curated/*.json. The result is deterministic: the same
inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from icestatus.models import Registry
from icestatus.registry import check_records, empty_registry, load_registry, merge_registries, save_registry

REPO = Path(__file__).resolve().parents[1]
TITLE = "icestatus national registry: ICE's 287(g) sheets plus curated, sourced facts"


def build(sheets: Path | None, curated: list[Path]) -> Registry:
    registry = empty_registry(TITLE)
    if sheets is not None:
        from icestatus.ingest import ingest_paths  # the sheet pipeline (issue 3)

        registry = ingest_paths(registry, sorted(sheets.glob("*/*.xlsx")) + sorted(sheets.glob("*.xlsx"))).registry
    for path in curated:
        registry = merge_registries(registry, load_registry(path))
    problems = check_records(registry)
    if problems:
        raise SystemExit(f"build_registry: {problems[0]}")
    return registry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sheets", type=Path, default=REPO.parent / "shared" / "data" / "ice-sheets")
    parser.add_argument("--no-sheets", action="store_true", help="curated facts only")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "agreements.json")
    args = parser.parse_args(argv)
    sheets = None if args.no_sheets else args.sheets
    if sheets is not None and not sheets.is_dir():
        print(f"build_registry: no ICE sheets at {sheets} (use --sheets DIR or --no-sheets)", file=sys.stderr)
        return 1
    registry = build(sheets, sorted((REPO / "data" / "curated").glob("*.json")))
    save_registry(registry, args.out, backup=False)
    out = args.out.resolve()
    shown = out.relative_to(REPO) if out.is_relative_to(REPO) else out
    print(f"wrote {shown}: {len(registry.departments)} agencies, {len(registry.events)} events, "
          f"{len(registry.sources)} sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
