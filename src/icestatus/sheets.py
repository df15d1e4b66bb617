"""Read one of ICE's 287(g) publications (XLSX, or a CSV with the same columns) into typed rows.

ICE publishes two spreadsheets, participating and pending agencies, under names such as
``participatingAgencies07182025pm.xlsx``. This module turns one file into a ``Sheet`` of
``SheetRow``s and nothing more: it knows the columns and how ICE fills them, not what a
row means for the registry (that is ``ingest``'s job).

Values come from python-calamine, which is fast but cannot see hyperlinks, and the MOA
column's links are the whole point of that column; so the links are read in a second,
small pass over the worksheet's XML with stdlib expat, refusing any DTD.

Everything a file can get wrong becomes a one-line ``SheetError`` naming the file (and the
row and column when there is one): a user feeding us a wrong or hostile file gets a
sentence, never a traceback. Oddities that can be read without guessing (ICE's known
typos) are read, and reported in ``Sheet.warnings`` so that the caller can show them.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
import os
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote_plus, urlsplit
from xml.parsers import expat

import python_calamine

from icestatus.enums import MODEL_LABELS, Model, SheetKind
from icestatus.errors import SheetError
from icestatus.names import normalize_name
from icestatus.states import code_for_sheet_name

MAX_SHEET_BYTES_ENV = "ICESTATUS_MAX_SHEET_BYTES"
DEFAULT_MAX_SHEET_BYTES = 50 * 1024 * 1024

# ICE's workbooks unpack to about six times their size; a zip member that claims a
# hundredfold is a bomb, not a spreadsheet. Small members are exempt because a few
# kilobytes of repeated XML legitimately compress that well and cannot hurt.
_MAX_RATIO = 100
_RATIO_EXEMPT_BYTES = 1024 * 1024
# The total a workbook may unpack to, as a multiple of the size limit of the file itself.
_MAX_UNPACKED_FACTOR = 10
_MAX_MEMBERS = 10_000

STATE = "STATE"
AGENCY = "LAW ENFORCEMENT AGENCY"
TYPE = "TYPE"
COUNTY = "COUNTY"
SUPPORT_TYPE = "SUPPORT TYPE"
SIGNED = "SIGNED"
MOA = "MOA"

# TYPE and COUNTY may be empty in a row but are always columns of ICE's sheets: if one
# disappears the format has changed, and a reader that shrugs would hide that.
_REQUIRED: dict[SheetKind, tuple[str, ...]] = {
    SheetKind.participating: (STATE, AGENCY, TYPE, COUNTY, SUPPORT_TYPE, SIGNED),
    SheetKind.pending: (STATE, AGENCY, TYPE, COUNTY, SUPPORT_TYPE),
}

# STATE values ICE has printed that are not state names but can only mean one state.
# Exact entries, reviewed by hand: a state is never guessed from its spelling.
_STATE_MISSPELLINGS: dict[str, str] = {
    "UTAHJ": "UT",  # Weber County Sheriff's Office, participating sheets of 2025-07-03 and 07-07
}

_MODELS: dict[str, Model] = {label.upper(): model for model, label in MODEL_LABELS.items()}

_PUBLICATION = re.compile(
    r"(?P<kind>participating|pending)agencies"
    r"(?P<month>\d{2})(?P<day>\d{2})(?P<year>\d{4})"
    r"(?:(?P<half>am|pm)(?![a-z]))?",
    re.IGNORECASE,
)

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
_URL_TEXT = re.compile(r"https?://\S+\Z", re.IGNORECASE)
# What a registry can hold (models.Text, models.Url): a longer name or a link that is not
# a web address must stop here, with its row and column, not crash ingest's validation.
_MAX_TEXT = 2000
_WEB_ADDRESS = re.compile(r"https?://\S+\Z")

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOCUMENT = f"{_NS_REL}/officeDocument"
_RELATIONSHIP_TAG = f"{_NS_PKG_REL} Relationship"
_SHEET_TAG = f"{_NS_MAIN} sheet"
_WORKBOOK_PR_TAG = f"{_NS_MAIN} workbookPr"
_HYPERLINK_TAG = f"{_NS_MAIN} hyperlink"
_REL_ID = f"{_NS_REL} id"
# The first start tag of an element (not <?xml ...?> or <!-- -->), and <hyperlinks> with
# or without a namespace prefix.
_ROOT_START_TAG = re.compile(rb"""<[^\s>/!?]+(?:\s+[^\s=>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*>""")
_HYPERLINKS_START_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?hyperlinks[\s/>]")
_CELL_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d{1,7})")

Cell = object
"""A cell value as calamine returns it (str, int, float, bool, date, datetime, time, timedelta)."""


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One row of an ICE sheet, typed; text as ICE printed it, outer whitespace stripped."""

    row: int  # 1-based row number as Excel shows it
    state: str  # USPS code
    agency: str
    type: str | None
    county: str | None
    model: Model
    signed: date | None
    moa: str | None
    moa_url: str | None


@dataclass(frozen=True, slots=True)
class Sheet:
    """One publication: what it is, when ICE published it, and its rows in sheet order.

    ``warnings`` holds one line per value that was read only by correcting a known ICE
    typo or that looks wrong though readable (a signing date after the publication date);
    the reader never prints, so showing them is the caller's choice.
    """

    path: Path
    kind: SheetKind
    published: date
    half: str | None
    sha1: str
    rows: tuple[SheetRow, ...]
    warnings: tuple[str, ...] = ()


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


def normalize_moa_url(url: str) -> str:
    """The address an MOA link really points at, in one canonical form.

    ICE's webmaster pasted many links out of Outlook, so they are wrapped in Microsoft
    "safe links" (``https://gcc02.safelinks.protection.outlook.com/?url=<encoded>&data=...``),
    sometimes more than once, and some say ``http:``. Unwrapped and upgraded to https, the
    same document gets the same address in every sheet, which is what lets ``ingest`` see
    that an MOA link did not change.
    """
    url = url.strip()
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


def read_sheet(
    path: Path,
    *,
    kind: SheetKind | None = None,
    published: date | None = None,
    half: str | None = None,
    max_bytes: int | None = None,
) -> Sheet:
    """Read one ICE publication (XLSX, or CSV with the same columns) from *path*.

    *kind*, *published* and *half* default to what the file name says (see
    ``parse_publication``); *max_bytes* to ``$ICESTATUS_MAX_SHEET_BYTES``, else 50 MB.
    Raises SheetError, with a one-line message naming the file, for anything that is not
    a readable ICE sheet.
    """
    limit = max_bytes if max_bytes is not None else _max_bytes_from_env()
    data = _read_bytes(path, limit)
    kind, published, half = _publication(path, kind, published, half)
    if path.suffix.lower() == ".csv":
        grid: Sequence[Sequence[Cell]] = _csv_grid(path, data)
        hyperlinks: list[_Hyperlink] = []
        date1904 = False
    else:
        grid, hyperlinks, date1904 = _xlsx_grid(path, data, limit)
    rows, warnings = _rows(path, kind, published, grid, hyperlinks, date1904)
    return Sheet(
        path=path,
        kind=kind,
        published=published,
        half=half,
        sha1=hashlib.sha1(data).hexdigest(),
        rows=rows,
        warnings=warnings,
    )


# --- the file --------------------------------------------------------------------------


def _max_bytes_from_env() -> int:
    raw = os.environ.get(MAX_SHEET_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_SHEET_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise SheetError(f"{MAX_SHEET_BYTES_ENV}={raw!r} is not a positive number of bytes")
    return value


def _read_bytes(path: Path, limit: int) -> bytes:
    """The file's bytes, read once: the sha1, the checks and the parse all see the same ones.

    Reads one byte past *limit* rather than trusting ``stat``, so a file that is growing
    or is a pipe cannot slip past the limit.
    """
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise SheetError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SheetError(f"{path}: is a directory, not a spreadsheet file") from None
    except OSError as exc:
        raise SheetError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise SheetError(
            f"{path}: larger than the limit of {limit:,} bytes for a sheet; "
            f"set {MAX_SHEET_BYTES_ENV} to a larger number of bytes to read it"
        )
    return data


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


# --- XLSX ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Hyperlink:
    """An external hyperlink on a cell range of the first sheet (0-based, inclusive)."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int
    target: str


# What zipfile and expat raise for damaged or unsupported archives and XML (found by
# fuzzing: zlib's and zipfile's errors are not all BadZipFile).
_DAMAGED_ZIP = (
    expat.ExpatError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,  # compression methods and zip versions zipfile cannot read
    RuntimeError,  # encrypted members
    ValueError,
)


class _UnsafeXml(Exception):
    """A DTD in a workbook part: never needed by a spreadsheet, the vehicle of entity bombs."""


def _xlsx_grid(
    path: Path, data: bytes, limit: int
) -> tuple[Sequence[Sequence[Cell]], list[_Hyperlink], bool]:
    """Values of the first sheet (from A1), its external hyperlinks, and its date system."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SheetError(
            f"{path}: not an XLSX workbook (not a zip archive); give ICE's .xlsx file, or a .csv"
        ) from None
    except _DAMAGED_ZIP as exc:
        raise SheetError(f"{path}: damaged XLSX workbook: {_one_line(exc)}") from None
    with archive:
        _check_bomb(path, archive, limit)
        try:
            sheet_name, sheet_part, date1904 = _first_sheet(archive)
            hyperlinks = _hyperlinks(archive, sheet_part)
        except KeyError as exc:
            raise SheetError(f"{path}: not an XLSX workbook ({exc.args[0]})") from None
        except _UnsafeXml:
            raise SheetError(f"{path}: refused: the workbook's XML declares a DTD") from None
        except _DAMAGED_ZIP as exc:
            raise SheetError(f"{path}: damaged XLSX workbook: {_one_line(exc)}") from None
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        grid = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except python_calamine.CalamineError as exc:
        raise SheetError(
            f"{path}: cannot read the workbook: {type(exc).__name__}: {_one_line(exc)}"
        ) from None
    return grid, hyperlinks, date1904


def _check_bomb(path: Path, archive: zipfile.ZipFile, limit: int) -> None:
    """Refuse a zip that claims to unpack to far more than a spreadsheet would.

    Declared sizes are enough: every reader of the archive stops at them (zipfile, and
    calamine's zip crate fails with "larger than its declared uncompressed size").
    """
    members = archive.infolist()
    if len(members) > _MAX_MEMBERS:
        raise SheetError(f"{path}: refused: {len(members):,} parts is not a spreadsheet")
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > _RATIO_EXEMPT_BYTES and member.file_size > _MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise SheetError(
                f"{path}: refused: {member.filename} would unpack {member.compress_size:,} bytes "
                f"to {member.file_size:,} (more than {_MAX_RATIO} times); this looks like a zip bomb"
            )
    most = _MAX_UNPACKED_FACTOR * limit
    if total > most:
        raise SheetError(
            f"{path}: refused: unpacks to {total:,} bytes, over the limit of {most:,} "
            f"({_MAX_UNPACKED_FACTOR} times {MAX_SHEET_BYTES_ENV}); this looks like a zip bomb"
        )


def _parse_xml(xml: bytes, on_start: Callable[[str, dict[str, str]], None]) -> None:
    """Run *on_start(name, attributes)* over every element; names are ``"namespace local"``."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_: object) -> None:
        raise _UnsafeXml

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = on_start
    parser.Parse(xml, True)


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target) of the relationships of *part* (none if it has no rels part)."""
    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", name + ".rels")
    rels: dict[str, tuple[str, str]] = {}
    if rels_part not in archive.NameToInfo:
        return rels

    def on_start(tag: str, attrs: dict[str, str]) -> None:
        if tag == _RELATIONSHIP_TAG and "Id" in attrs:
            rels[attrs["Id"]] = (attrs.get("Type", ""), attrs.get("Target", ""))

    _parse_xml(archive.read(rels_part), on_start)
    return rels


def _resolve(source_part: str, target: str) -> str:
    """The zip path of a relationship target, relative to its source part unless absolute."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, str, bool]:
    """Name and zip path of the workbook's first sheet, and whether it counts from 1904.

    Found the way Excel finds it (package rels -> workbook -> workbook rels) rather than
    assumed to be ``xl/worksheets/sheet1.xml``, which is only a habit of some writers.
    """
    package_rels = _relationships(archive, "")
    workbook_part = next(
        (
            _resolve("", target)
            for rel_type, target in package_rels.values()
            if rel_type == _OFFICE_DOCUMENT
        ),
        "xl/workbook.xml",
    )
    sheets: list[tuple[str, str]] = []
    date1904 = [False]

    def on_start(tag: str, attrs: dict[str, str]) -> None:
        if tag == _SHEET_TAG:
            sheets.append((attrs.get("name", ""), attrs.get(_REL_ID, "")))
        elif tag == _WORKBOOK_PR_TAG:
            date1904[0] = attrs.get("date1904", "").lower() in ("1", "true")

    _parse_xml(archive.read(workbook_part), on_start)
    if not sheets:
        raise ValueError("the workbook lists no sheets")
    name, rel_id = sheets[0]
    rels = _relationships(archive, workbook_part)
    if rel_id not in rels:
        raise ValueError(f"the first sheet's relationship {rel_id!r} is missing")
    return name, _resolve(workbook_part, rels[rel_id][1]), date1904[0]


def _hyperlinks(archive: zipfile.ZipFile, sheet_part: str) -> list[_Hyperlink]:
    """External hyperlinks of the sheet: ``<hyperlink ref=... r:id=...>`` + the sheet's rels.

    Links inside the workbook (``location=`` without ``r:id``) point at no document and are
    left out.
    """
    xml = archive.read(sheet_part)
    if b"hyperlink" not in xml:
        return []
    refs: list[tuple[str, str]] = []

    def on_start(tag: str, attrs: dict[str, str]) -> None:
        if tag == _HYPERLINK_TAG:
            rel_id = attrs.get(_REL_ID)
            if rel_id and "ref" in attrs:
                refs.append((attrs["ref"], rel_id))

    excerpt = _hyperlinks_excerpt(xml)
    try:
        _parse_xml(excerpt if excerpt is not None else xml, on_start)
    except expat.ExpatError:
        if excerpt is None:
            raise
        refs.clear()
        _parse_xml(xml, on_start)
    if not refs:
        return []
    rels = _relationships(archive, sheet_part)
    links: list[_Hyperlink] = []
    for ref, rel_id in refs:
        if rel_id not in rels:
            continue
        first, _, last = ref.upper().partition(":")
        top_left = _cell(first)
        bottom_right = _cell(last) if last else top_left
        if top_left is None or bottom_right is None:
            continue
        links.append(_Hyperlink(*top_left, *bottom_right, target=rels[rel_id][1]))
    return links


def _hyperlinks_excerpt(xml: bytes) -> bytes | None:
    """The sheet's XML without its cells: root start tag, then ``<hyperlinks>`` to the end.

    Parsing every cell only to skip it costs twice what calamine needs to read the values,
    and ``<hyperlinks>`` always follows ``<sheetData>`` as a child of the root. None when
    the two tags are not found; an excerpt that is not well-formed (only a contrived file,
    say one with ``<hyperlinks`` inside a comment, gives one) makes the caller parse the
    whole sheet.
    """
    root = _ROOT_START_TAG.search(xml)
    if root is None:
        return None
    hyperlinks = _HYPERLINKS_START_TAG.search(xml, root.end())
    if hyperlinks is None:
        return None
    return xml[: root.end()] + xml[hyperlinks.start() :]


def _cell(ref: str) -> tuple[int, int] | None:
    """0-based (row, column) of an A1 reference such as ``G651``; None if it is not one."""
    match = _CELL_REF.fullmatch(ref.strip())
    if match is None:
        return None
    column = 0
    for letter in match[1]:
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(match[2]) - 1, column - 1


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


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


def _rows(
    path: Path,
    kind: SheetKind,
    published: date,
    grid: Sequence[Sequence[Cell]],
    hyperlinks: Sequence[_Hyperlink],
    date1904: bool,
) -> tuple[tuple[SheetRow, ...], tuple[str, ...]]:
    """Type every row below the header; *grid* starts at A1, so index + 1 is the row number."""
    header_index, columns = _header(path, grid)
    missing = [name for name in _REQUIRED[kind] if name not in columns]
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
    rows = []
    for index in range(header_index + 1, len(grid)):
        cells = grid[index]
        if not any(_text(cell) for cell in cells):
            continue
        rows.append(read(index + 1, cells, links.get(index)))
    return tuple(rows), tuple(read.warnings)


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


def _column_links(hyperlinks: Sequence[_Hyperlink], column: int, height: int) -> dict[int, str]:
    """0-based row -> link target in *column*; the first link listed for a cell wins."""
    links: dict[int, str] = {}
    for link in hyperlinks:
        if link.first_col <= column <= link.last_col:
            for row in range(link.first_row, min(link.last_row, height - 1) + 1):
                links.setdefault(row, link.target)
    return links


class _RowReader:
    """Turns the cells of one row into a SheetRow, collecting warnings across rows."""

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

    def __call__(self, row: int, cells: Sequence[Cell], link: str | None) -> SheetRow:
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
            self._warn(
                row, MOA,
                f"link {_shown(moa_url)} is not an http(s) address of at most {_MAX_TEXT:,} "
                "characters without spaces; left out",
            )
            moa_url = None
        return SheetRow(
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

    def _warn(self, row: int, column: str, note: str) -> None:
        self.warnings.append(f"{self.path}: row {row}, column {column}: {note}")

    def _state(self, row: int, value: Cell) -> str:
        text = _collapsed(value)
        code = code_for_sheet_name(text)
        if code is not None:
            return code
        code = _STATE_MISSPELLINGS.get(text.upper())
        if code is None:
            raise self._error(row, STATE, f"{_shown(text)} is not a US state")
        self._warn(row, STATE, f"read {text!r} as {code}")
        return code

    def _model(self, row: int, value: Cell) -> Model:
        text = _collapsed(value)
        model = _MODELS.get(text.upper())
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
            self._warn(row, SIGNED, f"read {_text(value)!r} as {signed}")
        if signed is not None and signed > self.published:
            self._warn(
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
