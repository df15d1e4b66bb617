"""ICE's real sheets in ../shared/data/ice (478 files and manifest.csv), for the tests that
read them: where they are, the manifest's rows, and the last sheet of a day."""

from __future__ import annotations

import csv
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

HALF_ORDER = {"am": 0, "amB": 1, "": 2, "mid": 2, "pm": 3}  # other suffixes (pm2, pmB, pm_b): 4


def shared_ice_dir() -> Path:
    """$ICESTATUS_SHARED/data/ice, else ../shared/data/ice beside the repo."""
    base = os.environ.get("ICESTATUS_SHARED")
    return (Path(base) if base else REPO.parent / "shared") / "data" / "ice"


def shared_history_dir() -> Path:
    """$ICESTATUS_SHARED/data/history, else ../shared/data/history: captures of ICE's page."""
    return shared_ice_dir().parent / "history"


def manifest(root: Path, *, used: bool = True) -> list[dict[str, str]]:
    """The manifest's rows in its order (only `use=yes` ones unless *used* is False)."""
    with (root / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["use"] == "yes" or not used]


def sheet_path(root: Path, row: dict[str, str]) -> Path:
    return root / "sheets" / row["path"]


def paths(root: Path) -> list[Path]:
    """Every `use=yes` file, in the manifest's order."""
    return [sheet_path(root, r) for r in manifest(root)]


def by_name(root: Path, name: str) -> Path:
    """The one file of the manifest with that file name."""
    (row,) = [r for r in manifest(root, used=False) if r["path"].split("/")[-1] == name]
    return sheet_path(root, row)


def last_of_day(root: Path, kind: str, day: str) -> Path:
    """The sheet of *kind* ICE published last on *day*: what `as-of day` must show."""
    rows = [r for r in manifest(root) if r["kind"] == kind and r["published"] == day]
    assert rows, f"no {kind} sheet of {day} in the manifest"
    return sheet_path(root, max(rows, key=lambda r: (HALF_ORDER.get(r["half"], 4), r["retrieved_utc"])))
