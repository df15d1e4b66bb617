"""How long reading ICE's sheets takes: calamine (+ icestatus's hyperlink pass) vs openpyxl.

Usage: python benchmarks/bench_readers.py [SHEETS_DIR] [--repeat N]

SHEETS_DIR defaults to $ICESTATUS_SHARED/data/ice, else ../shared/data/ice
beside the repository. Each reader reads every ``*/*.xlsx`` under it, N times; the table
gives the median time for all of them. This is the evidence behind ``sources/xlsx.py`` reading
values with calamine and hyperlinks from the XML: openpyxl can see hyperlinks only when it
loads the whole workbook (its fast read-only mode cannot), and that is far slower.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import python_calamine

from icestatus.sources import ice_sheet, xlsx

REPO = Path(__file__).resolve().parents[1]


def default_sheets_dir() -> Path:
    base = os.environ.get("ICESTATUS_SHARED")
    return (Path(base) if base else REPO.parent / "shared") / "data" / "ice"


def calamine_values(path: Path) -> int:
    """Values only, as ice_sheet.read_sheet gets them."""
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    return len(workbook.get_sheet_by_index(0).to_python(skip_empty_area=False))


def hyperlink_pass(path: Path) -> int:
    """sources/xlsx.py's own XML pass alone (private helpers, timed apart to show their share)."""
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        _, part, _ = xlsx._first_sheet(archive)
        return len(xlsx._hyperlinks(archive, part))


def read_sheet(path: Path) -> int:
    """Everything icestatus does: bytes, sha1, zip checks, values, hyperlinks, typed rows."""
    return len(ice_sheet.read_sheet(path).rows)


def openpyxl_with_hyperlinks(path: Path) -> int:
    """The openpyxl way to get the same: a full load, then values and each cell's hyperlink."""
    workbook = openpyxl.load_workbook(path)
    rows = 0
    for row in workbook.worksheets[0].iter_rows():
        [(cell.value, cell.hyperlink.target if cell.hyperlink else None) for cell in row]
        rows += 1
    return rows


def openpyxl_read_only(path: Path) -> int:
    """openpyxl's fastest mode, for reference: values only, no hyperlinks at all."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return rows


READERS: list[tuple[str, Callable[[Path], int]]] = [
    ("calamine, values only", calamine_values),
    ("hyperlink pass only (expat)", hyperlink_pass),
    ("ice_sheet.read_sheet (calamine + links + rows)", read_sheet),
    ("openpyxl, values + hyperlinks", openpyxl_with_hyperlinks),
    ("openpyxl read_only, values only", openpyxl_read_only),
]


def median_seconds(reader: Callable[[Path], int], files: Sequence[Path], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for path in files:
            reader(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sheets_dir", nargs="?", type=Path, default=default_sheets_dir())
    parser.add_argument("--repeat", type=int, default=5, help="runs per reader (default 5)")
    args = parser.parse_args(argv)
    files = sorted(args.sheets_dir.glob("sheets/*/*.xlsx"))
    if not files:
        print(f"no */*.xlsx under {args.sheets_dir}", file=sys.stderr)
        return 1
    for _, reader in READERS:  # warm up: imports, caches, the page cache
        reader(files[0])
    print(f"{len(files)} sheets in {args.sheets_dir}, median of {args.repeat} runs\n")
    print(f"{'reader':<46} {'all sheets':>11} {'per sheet':>10}")
    for name, reader in READERS:
        seconds = median_seconds(reader, files, args.repeat)
        print(f"{name:<46} {seconds:>9.3f} s {1000 * seconds / len(files):>7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
