"""ICE's 287(g) web page table of 2021-2025, as Wayback Machine captures of it show it.

Before February 2025 ICE published no spreadsheets: its 287(g) page carried an HTML table
of the agencies with signed agreements (STATE, LAW ENFORCEMENT AGENCY, SUPPORT TYPE,
SIGNED, MOA; no TYPE, no pending list). RelevantResearch/287g-DetentionData parsed the
Wayback Machine's captures of that page into one workbook per capture, named by the
capture's time: ``ParticipatingEntities-20210113002027.xlsx``. ``read`` turns one into a
participating ``Roster`` dated by the capture (its UTC day), whose source is the capture
itself: kind ``ice_page``, title "ICE 287(g) page, Wayback capture 2021-01-13 00:20:27
UTC", the capture's address as its URL, and a note naming the project that parsed it.

The MOA cells hold the document's address behind the capture's Wayback prefix
(``https://web.archive.org/web/20210113002027/https://www.ice.gov/doclib/...``): the
prefix is stripped, so that the same document has the same address as in ICE's sheets.

A ``manifest.csv`` beside the file (as in ``../shared/data/history/ice-page-2021-2025``)
that lists it gives the capture's page address and where the file was copied from;
without one the address is that of the page ICE used in 2021-2025.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Unpack

from icestatus.enums import SheetKind, SourceKind
from icestatus.errors import SheetError
from icestatus.sources import ICE_PAGE, ICE_PUBLISHER, ReadOptions, Roster
from icestatus.sources.ice_columns import TYPE, normalize_moa_url, typed_rows
from icestatus.sources.xlsx import max_bytes_from_env, read_bytes, xlsx_grid

_NAME = re.compile(r"ParticipatingEntities-(?P<capture>\d{14})\.xlsx", re.IGNORECASE)
# The page ICE's table was on from 2021 to 2025.
WAYBACK = "https://web.archive.org/web/"
# A Wayback prefix: the capture's time, optionally a flag (id_, im_), then the address.
_WAYBACK_PREFIX = re.compile(r"\Ahttps?://web\.archive\.org/web/\d{1,14}(?:[a-z]{2}_)?/", re.IGNORECASE)
PARSER = "RelevantResearch/287g-DetentionData"


def strip_wayback(url: str) -> str:
    """*url* without a Wayback Machine prefix (``https://web.archive.org/web/<time>/``)."""
    return _WAYBACK_PREFIX.sub("", url.strip(), count=1)


def capture_time(stamp: str) -> datetime:
    """A Wayback timestamp (``20210113002027``) as a UTC time; ValueError if it is none."""
    return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def capture_title(when: datetime) -> str:
    return f"ICE 287(g) page, Wayback capture {when:%Y-%m-%d %H:%M:%S} UTC"


def capture_source_id(stamp: str) -> str:
    """``wayback-20210113002027``: one source per capture."""
    return f"wayback-{stamp}"


def accepts(path: Path) -> bool:
    """Files named as RelevantResearch names its captures of ICE's page table."""
    return _NAME.fullmatch(path.name) is not None


def _manifest_row(path: Path) -> dict[str, str] | None:
    manifest = path.parent / "manifest.csv"
    if not manifest.is_file():
        return None
    try:
        with manifest.open(newline="", encoding="utf-8") as fh:
            return next((row for row in csv.DictReader(fh) if row.get("path") == path.name), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def read(path: Path, **options: Unpack[ReadOptions]) -> Roster:
    """The capture in *path* as a participating roster dated by its capture (UTC day).

    ``published`` overrides the date; ``kind`` must be participating (the page listed no
    pending agencies). SheetError for a file that is not such a capture."""
    match = _NAME.fullmatch(path.name)
    if match is None:
        raise SheetError(f"{path}: not a capture of ICE's page table (ParticipatingEntities-<time>.xlsx)")
    if options.get("kind") not in (None, SheetKind.participating):
        raise SheetError(f"{path}: ICE's page table lists participating agencies only")
    stamp = match["capture"]
    try:
        when = capture_time(stamp)
    except ValueError:
        raise SheetError(f"{path}: {stamp} is not a Wayback capture time") from None
    published: date = options.get("published") or when.date()
    limit = options.get("max_bytes") or max_bytes_from_env()
    data = read_bytes(path, limit)
    grid, hyperlinks, date1904, _saved = xlsx_grid(path, data, limit)
    rows, warnings, _kind = typed_rows(
        path, SheetKind.participating, published, grid, hyperlinks, date1904, optional=(TYPE,)
    )
    rows = tuple(
        replace(row, moa_url=normalize_moa_url(strip_wayback(row.moa_url))) if row.moa_url else row
        for row in rows
    )
    listed = _manifest_row(path)
    page = (listed or {}).get("page") or f"{WAYBACK}{stamp}/{ICE_PAGE}"
    origin = (listed or {}).get("origin") or f"{PARSER}, participatingAgencies/{path.name}"
    note = (
        f"ICE's 287(g) page table as the Wayback Machine captured it at {when:%Y-%m-%d %H:%M:%S} UTC, "
        f"parsed by {PARSER} (copied from {origin}); the page listed participating agencies only, "
        "without their type."
    )
    return Roster(
        path=path, kind=SheetKind.participating, published=published, half=None,
        sha1=hashlib.sha1(data).hexdigest(), rows=rows, warnings=warnings,
        source_kind=SourceKind.ice_page, publisher=ICE_PUBLISHER, title=capture_title(when),
        id_prefix="ice-page", url=page, note=note, source_id=capture_source_id(stamp),
    )
