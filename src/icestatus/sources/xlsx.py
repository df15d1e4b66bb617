"""Safe reading of spreadsheet files: size limits, zip and XML safety, hyperlinks.

Nothing here knows what ICE publishes. ``read_bytes`` reads a file once, up to a limit;
``xlsx_grid`` returns the values of a workbook's first sheet (python-calamine), its
external hyperlinks and its date system. Values come from python-calamine, which is fast
but cannot see hyperlinks, so the links are read in a second, small pass over the
worksheet's XML with stdlib expat, refusing any DTD; a zip that claims to unpack to far
more than a spreadsheet would is refused before anything is unpacked.

Every failure is a one-line ``SheetError`` naming the file.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple
from xml.parsers import expat

import python_calamine

from icestatus.errors import SheetError
from icestatus.settings import env_number

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

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOCUMENT = f"{_NS_REL}/officeDocument"
_RELATIONSHIP_TAG = f"{_NS_PKG_REL} Relationship"
_SHEET_TAG = f"{_NS_MAIN} sheet"
_WORKBOOK_PR_TAG = f"{_NS_MAIN} workbookPr"
_HYPERLINK_TAG = f"{_NS_MAIN} hyperlink"
_REL_ID = f"{_NS_REL} id"
_MODIFIED_TAG = "http://purl.org/dc/terms/ modified"
# The first start tag of an element (not <?xml ...?> or <!-- -->), and <hyperlinks> with
# or without a namespace prefix.
_ROOT_START_TAG = re.compile(rb"""<[^\s>/!?]+(?:\s+[^\s=>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*>""")
_HYPERLINKS_START_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?hyperlinks[\s/>]")
_CELL_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d{1,7})")

Cell = object
"""A cell value as calamine returns it (str, int, float, bool, date, datetime, time, timedelta)."""



# --- the file --------------------------------------------------------------------------


def max_bytes_from_env() -> int:
    return env_number(MAX_SHEET_BYTES_ENV, DEFAULT_MAX_SHEET_BYTES, "bytes", SheetError)


def read_bytes(path: Path, limit: int) -> bytes:
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



# --- XLSX ------------------------------------------------------------------------------


class Hyperlink(NamedTuple):
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


def xlsx_grid(
    path: Path, data: bytes, limit: int, *, not_zip_hint: str = ""
) -> tuple[Sequence[Sequence[Cell]], list[Hyperlink], bool, datetime | None]:
    """Values of the first sheet (from A1), its external hyperlinks, its date system, and
    when the workbook was last saved (``docProps/core.xml``'s ``dcterms:modified``, UTC;
    None when the workbook does not say or says something that is not a time).

    *limit* is the size limit the file was read with (the unpacked total may be ten times
    that); *not_zip_hint* ends the message for a file that is not a zip archive at all.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SheetError(
            f"{path}: not an XLSX workbook (not a zip archive){not_zip_hint}"
        ) from None
    except _DAMAGED_ZIP as exc:
        raise SheetError(f"{path}: damaged XLSX workbook: {_one_line(exc)}") from None
    with archive:
        _check_bomb(path, archive, limit)
        try:
            sheet_name, sheet_part, date1904 = _first_sheet(archive)
            hyperlinks = _hyperlinks(archive, sheet_part)
            saved = _saved_at(archive)
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
    return grid, hyperlinks, date1904, saved


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


def _saved_at(archive: zipfile.ZipFile) -> datetime | None:
    """``dcterms:modified`` of the workbook's core properties, as an aware UTC datetime."""
    part = next(
        (
            _resolve("", target)
            for rel_type, target in _relationships(archive, "").values()
            if rel_type.endswith("/core-properties")
        ),
        "docProps/core.xml",
    )
    if part not in archive.NameToInfo or archive.NameToInfo[part].file_size > 1024 * 1024:
        return None
    text: list[str] = []
    inside = [False]
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_: object) -> None:
        raise _UnsafeXml

    def start(tag: str, attrs: dict[str, str]) -> None:
        inside[0] = tag == _MODIFIED_TAG

    def end(tag: str) -> None:
        inside[0] = False

    def chars(data: str) -> None:
        if inside[0]:
            text.append(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(archive.read(part), True)
    except expat.ExpatError:
        return None
    try:
        when = datetime.fromisoformat("".join(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


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


def _hyperlinks(archive: zipfile.ZipFile, sheet_part: str) -> list[Hyperlink]:
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
    links: list[Hyperlink] = []
    for ref, rel_id in refs:
        if rel_id not in rels:
            continue
        first, _, last = ref.upper().partition(":")
        top_left = _cell(first)
        bottom_right = _cell(last) if last else top_left
        if top_left is None or bottom_right is None:
            continue
        links.append(Hyperlink(*top_left, *bottom_right, target=rels[rel_id][1]))
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


