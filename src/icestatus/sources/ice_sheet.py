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
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from icestatus.enums import SheetKind, SourceKind
from icestatus.errors import SheetError
from icestatus.sources import ICE_PUBLISHER, Roster
from icestatus.sources.ice_columns import typed_rows
from icestatus.sources.xlsx import Cell, Hyperlink, max_bytes_from_env, read_bytes, xlsx_grid

# ICE's names: participatingAgencies07182025pm.xlsx, then a suffix of its own (am, pm, mid,
# pm2, pmB, amB, pm_b) or none; the digits are meant as MMDDYYYY but ICE has typed 9
# (090022025am) and impossible years (11114025am, 10223025am). Captures of the Wayback
# Machine are named participatingAgencies-20250319133630.xlsx: the capture time.
_PUBLICATION = re.compile(
    r"(?P<kind>participating|pending)agencies"
    r"(?:-(?P<capture>\d{14})|(?P<digits>\d{6,10})(?P<half>(?:am|pm|mid)(?:_?[a-z0-9])?)?)"
    r"(?![a-z0-9])",
    re.IGNORECASE,
)
_HALF = re.compile(r"(am|pm|mid)(_?[a-z0-9])?", re.IGNORECASE)

# ICE works in Washington: a workbook saved at 2025-10-23T00:07Z was saved on the evening
# of 2025-10-22 there. UTC-5 (EST) errs toward the earlier day all year.
_ICE_TIME = timezone(timedelta(hours=-5))
# How far after the day a workbook was saved ICE may publish it under that day's name and
# still be believed (ICE re-posts an unchanged file under new names for a week or more),
# and how far before (a day, for the time zone).
_NAME_AFTER_SAVED = timedelta(days=366)
_NAME_BEFORE_SAVED = timedelta(days=1)
# A workbook saved more than a day after its name's date but within this many days of it
# may carry a wrong name (participatingAgencies08022025pm, saved 2025-09-02): ``ingest``
# decides by its neighbours (``Roster.redate``). Saved later still, it was re-saved by
# someone else (a spreadsheet program, a test): the name stands.
_RESAVE_DAYS = timedelta(days=60)
# A name whose year is a typo (2025 for January 2026): the same month and day read in the
# year the workbook was saved (or the next) must fall this close after it.
_YEAR_TYPO_WINDOW = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class FileName:
    """What one of ICE's file names says: the list, the date as printed (None when the
    digits are not a date), ICE's suffix, and for a Wayback capture its date."""

    kind: SheetKind
    digits: str
    printed: date | None
    half: str | None
    captured: date | None = None


def parse_name(filename: str) -> FileName | None:
    """``participatingAgencies07182025pm.xlsx`` -> (participating, "07182025", 2025-07-18,
    "pm"); None when the name is not one of ICE's. Anything after the suffix is ignored,
    so re-downloaded copies (``... (1).xlsx``) still say what they are."""
    match = _PUBLICATION.match(Path(filename).name)
    if match is None:
        return None
    kind = SheetKind(match["kind"].lower())
    if match["capture"]:
        stamp = match["capture"]
        try:
            captured = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8]))
        except ValueError:
            return None
        return FileName(kind=kind, digits=stamp, printed=None, half=None, captured=captured)
    digits = match["digits"]
    printed = None
    if len(digits) == 8:
        try:
            printed = date(int(digits[4:]), int(digits[:2]), int(digits[2:4]))
        except ValueError:
            printed = None
    return FileName(kind=kind, digits=digits, printed=printed, half=normalize_half(match["half"]))


def normalize_half(half: str | None) -> str | None:
    """ICE's suffix in one form: ``am``/``pm``/``mid`` lower case, what follows as printed
    (``PM`` -> ``pm``, ``pmB`` stays); None for none. ValueError for anything else."""
    if half is None or half == "":
        return None
    match = _HALF.fullmatch(half)
    if match is None:
        raise ValueError(half)
    return match[1].lower() + (match[2] or "")


def parse_publication(filename: str) -> tuple[SheetKind, date, str | None] | None:
    """Kind, publication date and suffix of a sheet as its name prints them.

    ``participatingAgencies07182025pm.xlsx`` -> (participating, 2025-07-18, "pm"). None
    when the name does not say, or its digits are not a date (``read_sheet`` then dates
    the file by when it was saved).
    """
    name = parse_name(filename)
    if name is None or name.printed is None:
        return None
    return name.kind, name.printed, name.half


def publication_date(
    path: Path, name: FileName | None, saved: datetime | None
) -> tuple[date | None, date | None, str | None]:
    """The date a file stands for, the date it was seen current (a Wayback capture), and a
    warning when the name's date was not believed.

    The name's date is believed when the workbook was saved on or up to a year before it
    (ICE re-posts unchanged files under new names), or long after it (re-saved by someone
    else). A name that is no date, or whose date lies a year or more after the save
    (``11114025``: 4025), is not: a year typo is read as the year that puts the name's
    month and day just after the save (``01062025`` saved on 2026-01-05: 2026-01-06);
    failing that, the day it was saved (in Washington) is the date. A name dated a few
    days to weeks before the save is believed here and judged by ``ingest`` against its
    neighbours (``saved_after_name``). A capture's date is the day the workbook was saved,
    if that is not after the capture. None when neither name nor workbook gives a date.
    """
    saved_on = saved.astimezone(_ICE_TIME).date() if saved is not None else None
    if name is None:
        return None, None, None
    if name.captured is not None:
        if saved_on is not None and saved_on <= name.captured:
            return saved_on, name.captured, None
        return name.captured, name.captured, None
    printed = name.printed
    if saved_on is None:
        return printed, None, None
    if printed is not None and saved_on - _NAME_BEFORE_SAVED <= printed <= saved_on + _NAME_AFTER_SAVED:
        return printed, None, None
    shown = f"{name.digits[:2]}/{name.digits[2:4]}/{name.digits[4:]}" if len(name.digits) == 8 else name.digits
    fixed = _year_typo(name.digits, saved_on)
    if fixed is not None:
        return fixed, None, (
            f"{path}: the name's date reads {shown}, but the workbook was saved on {saved_on} "
            f"(docProps/core.xml): read as {fixed}; pass --published DATE to say otherwise"
        )
    if printed is not None and printed < saved_on:
        return printed, None, None  # saved after its date: see saved_after_name
    return saved_on, None, (
        f"{path}: the name's date reads {shown}, which cannot be the date of a workbook saved on "
        f"{saved_on} (docProps/core.xml): dated {saved_on}, the day it was saved; pass "
        "--published DATE to say otherwise"
    )


def saved_after_name(name: FileName | None, saved: datetime | None) -> date | None:
    """The day the workbook was saved, when that is a few days to weeks after the name's
    date (a name ICE may have got wrong; ``ingest`` decides); else None."""
    if name is None or name.printed is None or saved is None:
        return None
    saved_on = saved.astimezone(_ICE_TIME).date()
    if name.printed + _NAME_BEFORE_SAVED < saved_on <= name.printed + _RESAVE_DAYS:
        return saved_on
    return None


def _year_typo(digits: str, saved_on: date) -> date | None:
    if len(digits) != 8:
        return None
    for year in (saved_on.year, saved_on.year + 1):
        try:
            candidate = date(year, int(digits[:2]), int(digits[2:4]))
        except ValueError:
            return None
        if saved_on - _NAME_BEFORE_SAVED <= candidate <= saved_on + _YEAR_TYPO_WINDOW:
            return candidate
    return None


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
    name = parse_name(path.name)
    _check_named(path, name, kind, published, half)
    saved: datetime | None = None
    if path.suffix.lower() == ".csv":
        grid: Sequence[Sequence[Cell]] = _csv_grid(path, data)
        hyperlinks: list[Hyperlink] = []
        date1904 = False
    else:
        grid, hyperlinks, date1904, saved = xlsx_grid(
            path, data, limit, not_zip_hint="; give ICE's .xlsx file, or a .csv"
        )
    notes: list[str] = []
    seen: date | None = None
    redate: date | None = None
    date_from_file = published is None
    if published is None:
        published, seen, warning = publication_date(path, name, saved)
        redate = saved_after_name(name, saved)
        if warning is not None:
            notes.append(warning)
    if published is None:
        raise SheetError(
            f"{path}: the name's digits {name.digits if name else ''!r} are not a date and the "
            "workbook does not say when it was saved; pass --published DATE"
        )
    named_kind = kind if kind is not None else name.kind if name is not None else None
    if named_kind is None:  # _check_named refused this
        raise SheetError(f"{path}: pass --kind")
    rows, warnings, kind = typed_rows(
        path, named_kind, published, grid, hyperlinks, date1904, kind_from_name=kind is None
    )
    half = normalize_half(half) if half is not None else name.half if name is not None else None
    return Roster(
        path=path,
        kind=kind,
        published=published,
        half=half,
        sha1=hashlib.sha1(data).hexdigest(),
        rows=rows,
        warnings=(*notes, *warnings),
        saved=saved if date_from_file else None,  # a date the caller gave is not judged by it
        seen=seen,
        redate=redate,
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


def _check_named(
    path: Path, name: FileName | None, kind: SheetKind | None, published: date | None, half: str | None
) -> None:
    """Refuse, before reading, a file whose list and date neither the caller nor the name
    says (a name whose digits are no date is dated later by when the workbook was saved)."""
    if name is None and (kind is None or published is None):
        missing = " and ".join(
            option
            for option, value in (("--kind", kind), ("--published", published))
            if value is None
        )
        raise SheetError(
            f"{path}: the file name does not say which sheet this is or when ICE published it "
            f"(like participatingAgencies07182025pm.xlsx); pass {missing}"
        )
    if half is not None:
        try:
            normalize_half(half)
        except ValueError:
            raise SheetError(
                f"{path}: half-day {half!r} is not one of ICE's suffixes (am, pm, mid, or one of "
                "them and a letter or digit, as pm2, pmB, pm_b)"
            ) from None


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


