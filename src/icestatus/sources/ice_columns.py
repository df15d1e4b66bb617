"""ICE's column schema and how ICE fills its cells: state, support type, dates, MOA links.

``typed_rows`` turns the grid of one of ICE's sheets (XLSX or CSV, from A1) into
``RosterRow``s: it finds the header row, checks the columns a participating or pending
sheet must have, and types every cell. Oddities that can be read without guessing (ICE's
known typos) are read and reported as warnings; anything else is a one-line
``SheetError`` naming the file, row and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote_plus, urlsplit

from icestatus.enums import MODEL_LABELS, Model, SheetKind
from icestatus.errors import SheetError
from icestatus.names import normalize_name
from icestatus.sources import RosterRow
from icestatus.sources.xlsx import Cell, Hyperlink
from icestatus.states import code_for_sheet_name

STATE = "STATE"
AGENCY = "LAW ENFORCEMENT AGENCY"
TYPE = "TYPE"
COUNTY = "COUNTY"
SUPPORT_TYPE = "SUPPORT TYPE"
SIGNED = "SIGNED"
MOA = "MOA"

ADDENDUM = "ADDENDUM"

# The six column layouts ICE used in 2025-2026 (header of the first sheet, left to right;
# empty header cells after the last column are no columns):
LAYOUTS: dict[SheetKind, tuple[tuple[str, ...], ...]] = {
    SheetKind.participating: (
        (STATE, AGENCY, TYPE, SUPPORT_TYPE, SIGNED, MOA),  # until 2025-03-16
        (STATE, AGENCY, TYPE, COUNTY, SUPPORT_TYPE, SIGNED, MOA),  # from 2025-03-17
        (STATE, AGENCY, TYPE, COUNTY, SUPPORT_TYPE, SIGNED, MOA, ADDENDUM),  # from 2025-07-01 pm
    ),
    SheetKind.pending: (
        (STATE, AGENCY, TYPE, SUPPORT_TYPE),  # until 2025-03-16
        (STATE, AGENCY, TYPE, COUNTY, SUPPORT_TYPE),  # from 2025-03-17
        (STATE, AGENCY, TYPE, COUNTY, SUPPORT_TYPE, MOA),  # from 2026-01-08
    ),
}

# The columns a sheet of a kind must have. TYPE may be empty in a row but is always a
# column: if one of these disappears the format has changed, and a reader that shrugs
# would hide that. COUNTY (from 2025-03-17) and MOA are read when present; ADDENDUM's
# links are not the MOA's and are not read.
_REQUIRED: dict[SheetKind, tuple[str, ...]] = {
    SheetKind.participating: (STATE, AGENCY, TYPE, SUPPORT_TYPE, SIGNED),
    SheetKind.pending: (STATE, AGENCY, TYPE, SUPPORT_TYPE),
}

# STATE values ICE has printed that are not state names but can only mean one state.
# Exact entries, reviewed by hand: a state is never guessed from its spelling.
_STATE_MISSPELLINGS: dict[str, str] = {
    "UTAHJ": "UT",  # Weber County Sheriff's Office, participating sheets of 2025-07-03 and 07-07
    "PENNSLYVANIA": "PA",  # 69 rows of 2025 and 2026
    "WEST VIRIGINIA": "WV",  # 51 rows from 2025-05
    "WEST VIRIGINA": "WV",  # 8 rows
    "MCHIGAN": "MI",  # 4 rows
}

# SUPPORT TYPE values ICE has printed that are not a model's name but can only mean one.
# Exact entries, like the states: a model is never guessed from a spelling.
_MODEL_MISSPELLINGS: dict[str, Model] = {
    "WARRANT SERVICES OFFICER": Model.warrant_service,  # 50 rows from 2025-05
    "WARRANT SERVICE OFFICE": Model.warrant_service,  # 6 rows
    "TASK FORCE OFFICER": Model.task_force,  # 12 rows
    "JAIL ENFORCMENT MODEL": Model.jail_enforcement,  # 1 row
}

_MODELS: dict[str, Model] = {label.upper(): model for model, label in MODEL_LABELS.items()}

_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
# "05/082025", "7/72025": ICE's sheets have dropped the second slash. The year is
# always the last four digits, so the reading is unambiguous.
_US_DATE_NO_SLASH = re.compile(r"(\d{1,2})/(\d{1,2})(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_SERIAL = re.compile(r"\d{1,7}(?:\.\d+)?")

# Excel's 1900 date system counts from 1899-12-30 (its fictitious 1900-02-29 makes the
# serials before 61 off by one, so they are refused); the 1904 system from 1904-01-01.
_EPOCH_1900 = date(1899, 12, 30)
_FIRST_SERIAL_1900 = 61
_EPOCH_1904 = date(1904, 1, 1)

_SAFELINKS_HOST = "safelinks.protection.outlook.com"
_VIEWER_PREFIX = re.compile(r"chrome-extension://[a-z]{32}/", re.IGNORECASE)
_ONE_SLASH = re.compile(r"\A(https?:)/(?!/)", re.IGNORECASE)
_URL_TEXT = re.compile(r"https?://\S+\Z", re.IGNORECASE)
# What a registry can hold (models.Text, models.Url): a longer name or a link that is not
# a web address must stop here, with its row and column, not crash ingest's validation.
_MAX_TEXT = 2000
_WEB_ADDRESS = re.compile(r"https?://\S+\Z")


def normalize_moa_url(url: str) -> str:
    """The address an MOA link really points at, in one canonical form.

    ICE's webmaster pasted many links out of Outlook, so they are wrapped in Microsoft
    "safe links" (``https://gcc02.safelinks.protection.outlook.com/?url=<encoded>&data=...``),
    sometimes more than once, and some say ``http:``; others were copied out of Chrome's PDF
    viewer (``chrome-extension://<id>/https:/www.ice.gov/...``, one slash lost). Unwrapped and upgraded to https, the
    same document gets the same address in every sheet, which is what lets ``ingest`` see
    that an MOA link did not change.
    """
    url = url.strip()
    if url[:19].lower() == "chrome-extension://":
        # Copied out of Chrome's PDF viewer: chrome-extension://<extension id>/<the address>.
        url = _VIEWER_PREFIX.sub("", url, count=1)
    url = _ONE_SLASH.sub(r"\1//", url, count=1)  # "https:/www.ice.gov/...", 186 rows of 2026
    while _SAFELINKS_HOST in url.lower():  # cheap test first: most links are not wrapped
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:  # not a URL (say, an unclosed "[" in the host): leave it be
            break
        if not (host == _SAFELINKS_HOST or host.endswith("." + _SAFELINKS_HOST)):
            break
        # Only the url parameter is decoded: the data parameter beside it is long.
        inner = next(
            (p[4:] for p in parts.query.split("&") if p.startswith("url=")),
            None,
        )
        if not inner:
            break
        url = unquote_plus(inner).strip()
    if url[:7].lower() == "http://":
        url = "https://" + url[7:]
    return url


# --- rows ------------------------------------------------------------------------------


def _text(value: Cell) -> str:
    """A cell as text, outer whitespace (NBSP included) stripped."""
    if isinstance(value, str):  # nearly every cell: keep this path short
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, (date, datetime)):
        value = value.isoformat()
    return str(value).strip()


def _shown(text: str, limit: int = 80) -> str:
    """*text* quoted for a message, cut to *limit* characters so a message stays a line."""
    return repr(text) if len(text) <= limit else repr(text[: limit - 1] + "…")


def _collapsed(value: Cell) -> str:
    """A cell as text with every run of whitespace, NBSPs included, made one space."""
    return " ".join(_text(value).split())


def _header_name(value: Cell) -> str:
    return _collapsed(value).upper()


def kind_of_columns(columns: dict[str, int]) -> SheetKind:
    """Which list a header holds: only the participating list has a SIGNED column."""
    return SheetKind.participating if SIGNED in columns else SheetKind.pending


def typed_rows(
    path: Path,
    kind: SheetKind,
    published: date,
    grid: Sequence[Sequence[Cell]],
    hyperlinks: Sequence[Hyperlink],
    date1904: bool,
    *,
    kind_from_name: bool = False,
    optional: Collection[str] = (),
) -> tuple[tuple[RosterRow, ...], tuple[str, ...], SheetKind]:
    """Type every row below the header; *grid* starts at A1, so index + 1 is the row number.

    Returns the rows, the warnings and the kind of list read. When *kind* only comes from
    the file name (*kind_from_name*) and the columns are exactly one of the other list's
    layouts (ICE swapped its two files on 2025-09-22 pm), the file is read as what its
    columns say, with a warning:
    a pending list is never read as the participating one, nor the other way round.
    *optional* names required columns that this kind of file never had (the TYPE column
    of ICE's web page table).
    """
    header_index, columns = _header(path, grid)
    warnings: list[str] = []
    held = kind_of_columns(columns)
    if kind_from_name and held is not kind and set(columns) in [set(x) for x in LAYOUTS[held]]:
        warnings.append(
            f"{path}: the file name says {kind.value}, but its columns are those of the {held.value} "
            f"list ({'a' if held is SheetKind.participating else 'no'} {SIGNED} column): read as the "
            f"{held.value} list"
        )
        kind = held
    missing = [name for name in _REQUIRED[kind] if name not in columns and name not in optional]
    if missing:
        found = ", ".join(name for name in columns) or "none"
        raise SheetError(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"for a {kind.value} sheet; found columns: {found}"
        )
    if kind is SheetKind.pending and SIGNED in columns:
        raise SheetError(
            f"{path}: has a SIGNED column, so it looks like a participating sheet, not a pending "
            "one; pass --kind participating"
        )
    moa_column = columns.get(MOA)
    links = _column_links(hyperlinks, moa_column, len(grid)) if moa_column is not None else {}
    read = _RowReader(path, kind, published, columns, date1904)
    read.warnings.extend(warnings)
    rows = []
    support_type = columns[SUPPORT_TYPE]
    for index in range(header_index + 1, len(grid)):
        cells = grid[index]
        if not any(_text(cell) for cell in cells):
            continue
        if support_type >= len(cells) or not _text(cells[support_type]):
            # A row without a model names no agreement (three rows of October 2025).
            read.warn(index + 1, SUPPORT_TYPE, "empty, so the row names no agreement: skipped")
            continue
        rows.append(read(index + 1, cells, links.get(index)))
    return tuple(rows), tuple(read.warnings), kind


def _header(path: Path, grid: Sequence[Sequence[Cell]]) -> tuple[int, dict[str, int]]:
    """Index of the first row naming STATE and LAW ENFORCEMENT AGENCY, and its columns.

    A name that occurs twice keeps its first column; empty header cells are no columns.
    """
    for index, row in enumerate(grid):
        names = [_header_name(cell) for cell in row]
        if STATE in names and AGENCY in names:
            columns: dict[str, int] = {}
            for column, name in enumerate(names):
                if name:
                    columns.setdefault(name, column)
            return index, columns
    if not any(_text(cell) for row in grid for cell in row):
        raise SheetError(f"{path}: the sheet is empty")
    raise SheetError(
        f"{path}: no header row (a row with {STATE} and {AGENCY} columns) in the first sheet"
    )


def _column_links(hyperlinks: Sequence[Hyperlink], column: int, height: int) -> dict[int, str]:
    """0-based row -> link target in *column*; the first link listed for a cell wins."""
    links: dict[int, str] = {}
    for link in hyperlinks:
        if link.first_col <= column <= link.last_col:
            for row in range(link.first_row, min(link.last_row, height - 1) + 1):
                links.setdefault(row, link.target)
    return links


class _RowReader:
    """Turns the cells of one row into a RosterRow, collecting warnings across rows."""

    def __init__(
        self,
        path: Path,
        kind: SheetKind,
        published: date,
        columns: dict[str, int],
        date1904: bool,
    ) -> None:
        self.path = path
        self.published = published
        self.date1904 = date1904
        # Rows are padded to *width*; a column the sheet lacks reads the padding's last cell.
        self.width = max(columns.values()) + 2
        absent = self.width - 1
        self.state, self.agency, self.type, self.county, self.support_type, self.moa = (
            columns.get(name, absent) for name in (STATE, AGENCY, TYPE, COUNTY, SUPPORT_TYPE, MOA)
        )
        self.signed = columns[SIGNED] if kind is SheetKind.participating else None
        self.warnings: list[str] = []

    def __call__(self, row: int, cells: Sequence[Cell], link: str | None) -> RosterRow:
        if len(cells) < self.width:
            cells = [*cells, *[""] * (self.width - len(cells))]
        state = self._state(row, cells[self.state])
        agency = self._bounded(row, AGENCY, _text(cells[self.agency]))
        if not agency:
            raise self._error(row, AGENCY, "empty agency name")
        if not normalize_name(agency):
            # Identity is the normalized name: a name of punctuation alone would merge
            # with every other such name into one agency.
            raise self._error(row, AGENCY, f"{_shown(agency)} is not an agency name (no letters or digits)")
        county = self._bounded(row, COUNTY, _text(cells[self.county]))
        moa = _collapsed(cells[self.moa]) or None
        if link is not None:
            moa_url: str | None = normalize_moa_url(link)
        elif moa is not None and _URL_TEXT.match(moa):
            moa_url = normalize_moa_url(moa)
        else:
            moa_url = None
        if moa_url is not None and (len(moa_url) > _MAX_TEXT or not _WEB_ADDRESS.match(moa_url)):
            self.warn(
                row, MOA,
                f"link {_shown(moa_url)} is not an http(s) address of at most {_MAX_TEXT:,} "
                "characters without spaces; left out",
            )
            moa_url = None
        return RosterRow(
            row=row,
            state=state,
            agency=agency,
            type=self._bounded(row, TYPE, _text(cells[self.type])) or None,
            county=None if county in ("", "#N/A") else county,
            model=self._model(row, cells[self.support_type]),
            signed=None if self.signed is None else self._signed(row, cells[self.signed]),
            moa=moa,
            moa_url=moa_url,
        )

    def _error(self, row: int, column: str, problem: str) -> SheetError:
        return SheetError(f"{self.path}: row {row}, column {column}: {problem}")

    def _bounded(self, row: int, column: str, text: str) -> str:
        if len(text) > _MAX_TEXT:
            raise self._error(
                row, column, f"{len(text):,} characters, more than the {_MAX_TEXT:,} a registry holds"
            )
        return text

    def warn(self, row: int, column: str, note: str) -> None:
        self.warnings.append(f"{self.path}: row {row}, column {column}: {note}")

    def _state(self, row: int, value: Cell) -> str:
        text = _collapsed(value)
        code = code_for_sheet_name(text)
        if code is not None:
            return code
        code = _STATE_MISSPELLINGS.get(text.upper())
        if code is None:
            raise self._error(row, STATE, f"{_shown(text)} is not a US state")
        self.warn(row, STATE, f"read {text!r} as {code}")
        return code

    def _model(self, row: int, value: Cell) -> Model:
        text = _collapsed(value)
        model = _MODELS.get(text.upper())
        if model is None and (model := _MODEL_MISSPELLINGS.get(text.upper())) is not None:
            self.warn(row, SUPPORT_TYPE, f"read {text!r} as {MODEL_LABELS[model]}")
        if model is None:
            expected = ", ".join(MODEL_LABELS.values())
            raise self._error(
                row, SUPPORT_TYPE, f"unknown support type {_shown(text)} (expected one of {expected})"
            )
        return model

    def _signed(self, row: int, value: Cell) -> date | None:
        try:
            signed, repaired = _date(value, self.date1904)
        except (ValueError, TypeError):
            raise self._error(row, SIGNED, f"cannot read {_shown(_text(value))} as a date") from None
        if repaired:
            self.warn(row, SIGNED, f"read {_text(value)!r} as {signed}")
        if signed is not None and signed > self.published:
            self.warn(
                row, SIGNED, f"signed {signed} is after the publication date {self.published}"
            )
        return signed


def _date(value: Cell, date1904: bool) -> tuple[date | None, bool]:
    """A SIGNED cell as a date, and whether reading it meant repairing a known ICE typo.

    Date cells are what ICE normally writes; text dates (``5/8/2025``, ``2025-05-08``) and
    bare Excel serial numbers turn up when a cell lost its format or in CSV exports.
    Raises ValueError or TypeError for anything else.
    """
    if isinstance(value, datetime):
        return value.date(), False
    if isinstance(value, date):
        return value, False
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, (int, float)):
        return _serial(value, date1904), False
    if not isinstance(value, str):
        raise TypeError(value)
    text = _text(value)
    if not text:
        return None, False
    if match := _US_DATE.fullmatch(text):
        return date(int(match[3]), int(match[1]), int(match[2])), False
    if match := _ISO_DATE.fullmatch(text):
        return date(int(match[1]), int(match[2]), int(match[3])), False
    if match := _US_DATE_NO_SLASH.fullmatch(text):
        return date(int(match[3]), int(match[1]), int(match[2])), True
    if _SERIAL.fullmatch(text):
        return _serial(float(text), date1904), False
    raise ValueError(value)


def _serial(number: float, date1904: bool) -> date:
    """The date of an Excel serial number (a fraction is a time of day, dropped)."""
    if not math.isfinite(number):
        raise ValueError(number)
    days = math.floor(number)
    epoch, first = (_EPOCH_1904, 0) if date1904 else (_EPOCH_1900, _FIRST_SERIAL_1900)
    if days < first:
        raise ValueError(number)
    try:
        return epoch + timedelta(days=days)
    except OverflowError:
        raise ValueError(number) from None
