"""ICE's participating and pending sheets (XLSX, or a CSV with the same columns).

ICE publishes two spreadsheets, participating and pending agencies, under names such as
``participatingAgencies07182025pm.xlsx``. ``read_sheet`` turns one file into a
``Roster`` of ``RosterRow``s and nothing more: the file name says which sheet it is and
when ICE published it (``parse_publication``), ``sources.xlsx`` reads the workbook
safely, ``sources.ice_columns`` types the cells. What a row means for the registry is
``ingest``'s job.

Everything a file can get wrong becomes a one-line ``SheetError`` naming the file (and the
row and column when there is one): a user feeding us a wrong or hostile file gets a
sentence, never a traceback. Oddities that can be read without guessing (ICE's known
typos) are read, and reported in ``Roster.warnings`` so that the caller can show them.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from icestatus.enums import SheetKind, SourceKind
from icestatus.errors import SheetError
from icestatus.sources import ICE_PUBLISHER, Roster
from icestatus.sources.ice_columns import typed_rows
from icestatus.sources.xlsx import Cell, Hyperlink, max_bytes_from_env, read_bytes, xlsx_grid

_PUBLICATION = re.compile(
    r"(?P<kind>participating|pending)agencies"
    r"(?P<month>\d{2})(?P<day>\d{2})(?P<year>\d{4})"
    r"(?:(?P<half>am|pm)(?![a-z]))?",
    re.IGNORECASE,
)


def parse_publication(filename: str) -> tuple[SheetKind, date, str | None] | None:
    """Kind, publication date and half-day of a sheet from ICE's file naming.

    ``participatingAgencies07182025pm.xlsx`` -> (participating, 2025-07-18, "pm"). Anything
    after the date and half is ignored, so re-published or re-downloaded copies
    (``pendingAgencies07112025am_b.xlsx``, ``... (1).xlsx``) still say what they are.
    None when the name does not say, or names a date that does not exist.
    """
    match = _PUBLICATION.match(Path(filename).name)
    if match is None:
        return None
    try:
        published = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    half = match["half"].lower() if match["half"] else None
    return SheetKind(match["kind"].lower()), published, half


def read_sheet(
    path: Path,
    *,
    kind: SheetKind | None = None,
    published: date | None = None,
    half: str | None = None,
    max_bytes: int | None = None,
) -> Roster:
    """Read one ICE publication (XLSX, or CSV with the same columns) from *path*.

    *kind*, *published* and *half* default to what the file name says (see
    ``parse_publication``); *max_bytes* to ``$ICESTATUS_MAX_SHEET_BYTES``, else 50 MB.
    Raises SheetError, with a one-line message naming the file, for anything that is not
    a readable ICE sheet.
    """
    limit = max_bytes if max_bytes is not None else max_bytes_from_env()
    data = read_bytes(path, limit)
    kind, published, half = _publication(path, kind, published, half)
    if path.suffix.lower() == ".csv":
        grid: Sequence[Sequence[Cell]] = _csv_grid(path, data)
        hyperlinks: list[Hyperlink] = []
        date1904 = False
    else:
        grid, hyperlinks, date1904 = xlsx_grid(
            path, data, limit, not_zip_hint="; give ICE's .xlsx file, or a .csv"
        )
    rows, warnings = typed_rows(path, kind, published, grid, hyperlinks, date1904)
    return Roster(
        path=path,
        kind=kind,
        published=published,
        half=half,
        sha1=hashlib.sha1(data).hexdigest(),
        rows=rows,
        warnings=warnings,
        source_kind=SourceKind.ice_sheet,
        publisher=ICE_PUBLISHER,
        title=f"ICE 287(g) {kind.value} agencies sheet {path.name}",
        id_prefix="ice",
    )


def accepts(path: Path) -> bool:
    """This reader takes any file: ICE's sheets are the roster icestatus has always read,
    and a file that is not one gets this reader's message saying what it expected."""
    return True


read = read_sheet  # the ``sources.RosterReader`` entry point


def _publication(
    path: Path, kind: SheetKind | None, published: date | None, half: str | None
) -> tuple[SheetKind, date, str | None]:
    """Fill in what the caller did not say from the file name; refuse when neither says."""
    from_name = parse_publication(path.name)
    if from_name is not None:
        kind = kind if kind is not None else from_name[0]
        published = published if published is not None else from_name[1]
        half = half if half is not None else from_name[2]
    if kind is None or published is None:
        missing = " and ".join(
            option
            for option, value in (("--kind", kind), ("--published", published))
            if value is None
        )
        raise SheetError(
            f"{path}: the file name does not say which sheet this is or when ICE published it "
            f"(like participatingAgencies07182025pm.xlsx); pass {missing}"
        )
    if half is not None and half.lower() not in ("am", "pm"):
        raise SheetError(f"{path}: half-day {half!r} is neither 'am' nor 'pm'")
    return kind, published, half.lower() if half is not None else None


def _csv_grid(path: Path, data: bytes) -> list[list[str]]:
    """Rows of a UTF-8 CSV (a BOM, as Excel writes one, is dropped); every cell is text."""
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        raise SheetError(
            f"{path}: not UTF-8 text (byte 0x{data[offset]:02x} at offset {offset}); "
            "save the CSV as UTF-8"
        ) from None
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise SheetError(f"{path}: not a readable CSV file: {exc}") from None


