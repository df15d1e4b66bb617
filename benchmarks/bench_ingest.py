"""How long ingesting ICE's sheets takes: all of them into an empty registry, and one new
sheet into the registry of all the others (issue 3 and 5 targets: < 5 s and < 0.5 s).

    python benchmarks/bench_ingest.py [--runs 7] [--sheets DIR]

Each case runs N times (after one warm-up) and reports the median and the fastest wall
time, twice: end to end through the installed ``icestatus`` (a child process, as a user
runs it: start-up, reading, diffing, writing with a backup), and in this process split
into its phases (read the sheets, diff, load/save the registry) to show where the time
goes. Needs ICE's sheets (../shared/data/ice, or --sheets, or $ICESTATUS_SHARED).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def default_sheets() -> Path:
    base = os.environ.get("ICESTATUS_SHARED")
    return (Path(base) if base else REPO.parent / "shared") / "data" / "ice"


def sheet_paths(root: Path) -> list[Path]:
    with (root / "manifest.csv").open(newline="") as fh:
        return [root / "sheets" / r["path"] for r in csv.DictReader(fh) if r.get("use", "yes") == "yes"]


def timed(runs: int, work: Callable[[], object], setup: Callable[[], object] = lambda: None) -> list[float]:
    setup()
    work()  # warm-up: file cache, imports
    times = []
    for _ in range(runs):
        setup()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def line(name: str, times: list[float], target: float | None = None) -> str:
    median = statistics.median(times)
    verdict = "" if target is None else ("  PASS" if median < target else "  FAIL") + f" (target < {target:g} s)"
    return f"{name:<58} median {median * 1000:8.1f} ms   best {min(times) * 1000:8.1f} ms{verdict}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sheets", type=Path, default=default_sheets())
    args = parser.parse_args(argv)
    if not (args.sheets / "manifest.csv").is_file():
        print(f"bench_ingest: no ICE sheets at {args.sheets} (use --sheets DIR)", file=sys.stderr)
        return 1

    from icestatus.ingest import ingest_sheets, publication_key, read_sheets
    from icestatus.registry import empty_registry, load_registry, save_registry

    paths = sheet_paths(args.sheets)
    sheets = read_sheets(paths)
    newest = max((s for s in sheets if s.kind.value == "participating"), key=publication_key)
    others = [s for s in sheets if publication_key(s) < publication_key(newest)]
    exe = str(Path(sys.executable).with_name("icestatus"))
    print(f"{len(paths)} sheets ({sum(len(s.rows) for s in sheets):,} rows); new sheet: {newest.path.name} "
          f"({len(newest.rows)} rows) into the registry of the {len(others)} before it; {args.runs} runs\n")

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        empty, target, base = work / "empty.json", work / "registry.json", work / "base.json"
        save_registry(empty_registry(), empty, backup=False)
        full = ingest_sheets(empty_registry(), others).registry
        save_registry(full, base, backup=False)
        registry_bytes = base.stat().st_size

        def reset(src: Path) -> Callable[[], None]:
            def go() -> None:
                shutil.copyfile(src, target)
                target.with_name(target.name + ".bak").unlink(missing_ok=True)
            return go

        def cli(*files: Path) -> Callable[[], None]:
            argv = [exe, "ingest", *map(str, files), "--registry", str(target)]
            return lambda: subprocess.run(argv, check=True, capture_output=True)

        print("end to end (icestatus ingest, a child process):")
        print(line(f"  all {len(paths)} sheets into an empty registry", timed(args.runs, cli(*paths), reset(empty)), 5.0))
        print(line("  one new sheet into the full registry", timed(args.runs, cli(newest.path), reset(base)), 0.5))

        print("\nin process, by phase:")
        print(line(f"  read and check all {len(paths)} sheets", timed(args.runs, lambda: read_sheets(paths))))
        print(line(f"  diff all {len(paths)} sheets into an empty registry",
                   timed(args.runs, lambda: ingest_sheets(empty_registry(), sheets))))
        print(line("  read the new sheet", timed(args.runs, lambda: read_sheets([newest.path]))))
        print(line(f"  load the full registry ({registry_bytes / 1e6:.2f} MB)", timed(args.runs, lambda: load_registry(base))))
        print(line("  diff the new sheet into it", timed(args.runs, lambda: ingest_sheets(full, [newest]))))
        print(line("  save it (atomic, with backup)",
                   timed(args.runs, lambda: save_registry(full, target), reset(base))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
