"""sheets: ICE's XLSX/CSV publications -> typed rows, and every way a file can be refused.

Small workbooks are written with openpyxl in tmp_path so that each test states exactly
what ICE printed; the ``shared`` tests read ICE's real publications.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from icestatus.enums import Model, SheetKind
from icestatus.errors import SheetError
from icestatus.sources import Roster, RosterRow
from icestatus.sources.ice_columns import LAYOUTS, normalize_moa_url
from icestatus.sources.ice_sheet import parse_publication, read_sheet

HEADER = ["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA"]
PENDING_HEADER = HEADER[:5]
PARTICIPATING = "participatingAgencies07182025pm.xlsx"
PENDING = "pendingAgencies07182025am.xlsx"
WELLS_MOA = "https://www.ice.gov/doclib/287gMOA/WellsPDME_TFM_MOA_040225.pdf"
EXPECTED_MODELS = (
    "(expected one of Task Force Model, Jail Enforcement Model, Warrant Service Officer)"
)
SAFE = "https://gcc02.safelinks.protection.outlook.com/?url="


def safe_link(url: str) -> str:
    """*url* wrapped the way Outlook wraps it (percent-encoded, with a long data parameter)."""
    return f"{SAFE}{quote(url, safe='')}&data=05%7C02%7CWebmaster.ICE%40ice.dhs.gov%7C3cdf&sdata=x%3D&reserved=0"


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[object]],
    links: dict[str, str] | None = None,
    *,
    date1904: bool = False,
    more_sheets: int = 0,
) -> Path:
    """A one-sheet workbook of *rows* (from A1), with hyperlinks {cell: target}."""
    wb = openpyxl.Workbook()
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(list(row))
    for ref, target in (links or {}).items():
        ws[ref].hyperlink = target
    for n in range(more_sheets):
        wb.create_sheet(f"Other{n}").append(["STATE", "LAW ENFORCEMENT AGENCY", "junk"])
    wb.save(path)
    return path


def rewrite_parts(path: Path, change: Callable[[str, bytes], tuple[str, bytes] | None]) -> None:
    """Rewrite a zip in place: *change(name, data)* returns the new (name, data), or None to drop."""
    with zipfile.ZipFile(path) as src:
        parts = [(info.filename, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts:
            changed = change(name, data)
            if changed is not None:
                dst.writestr(*changed)


def participating(
    tmp_path: Path, *rows: Sequence[object], links: dict[str, str] | None = None
) -> Path:
    return write_xlsx(tmp_path / PARTICIPATING, [HEADER, *rows], links)


WELLS_ROW = RosterRow(
    row=2,
    state="ME",
    agency="Wells Police Department",
    type="Municipality",
    county=None,
    model=Model.task_force,
    signed=date(2025, 4, 2),
    moa="link",
    moa_url=None,
)


def row(**changes: Any) -> RosterRow:
    """Wells Police Department as the tests' sheets print it (in row 2), with *changes*."""
    return replace(WELLS_ROW, **changes)


WELLS = [
    "MAINE",
    "Wells Police Department",
    "Municipality",
    "",
    "Task Force Model",
    date(2025, 4, 2),
    "link",
]


def error(call: Callable[[], object]) -> str:
    with pytest.raises(SheetError) as info:
        call()
    return str(info.value)


# --- file names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (PARTICIPATING, (SheetKind.participating, date(2025, 7, 18), "pm")),
        ("pendingAgencies05152025am.xlsx", (SheetKind.pending, date(2025, 5, 15), "am")),
        ("pendingAgencies07112025am_b.xlsx", (SheetKind.pending, date(2025, 7, 11), "am_b")),
        ("participatingAgencies07242025pm_b.xlsx", (SheetKind.participating, date(2025, 7, 24), "pm_b")),
        ("pendingAgencies10292025pmB.xlsx", (SheetKind.pending, date(2025, 10, 29), "pmB")),
        ("participatingAgencies12042025pm2.xlsx", (SheetKind.participating, date(2025, 12, 4), "pm2")),
        ("participatingAgencies09292025mid.xlsx", (SheetKind.participating, date(2025, 9, 29), "mid")),
        ("participatingAgencies04232026.xlsx", (SheetKind.participating, date(2026, 4, 23), None)),
        ("participatingAgencies090022025am.xlsx", None),  # nine digits: no date (read_sheet dates it)
        (
            "participatingAgencies07182025pm (1).xlsx",
            (SheetKind.participating, date(2025, 7, 18), "pm"),
        ),
        (
            "PARTICIPATINGAGENCIES07182025PM.XLSX",
            (SheetKind.participating, date(2025, 7, 18), "pm"),
        ),
        ("participatingAgencies07182025.csv", (SheetKind.participating, date(2025, 7, 18), None)),
        (
            "participatingAgencies07182025pmx.xlsx",
            (SheetKind.participating, date(2025, 7, 18), "pmx"),
        ),
        ("participatingAgencies07182025pmxy.xlsx", None),
        ("some/dir/pendingAgencies07182025pm.xlsx", (SheetKind.pending, date(2025, 7, 18), "pm")),
        ("agencies.xlsx", None),
        ("participatingAgencies13182025pm.xlsx", None),  # no 13th month
        ("participatingAgencies0718pm.xlsx", None),
        ("old_participatingAgencies07182025pm.xlsx", None),
    ],
)
def test_parse_publication(name: str, expected: object) -> None:
    """Kind, date and half come from ICE's naming; copies' suffixes are ignored."""
    assert parse_publication(name) == expected


# --- MOA addresses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (WELLS_MOA, WELLS_MOA),
        (f"  {WELLS_MOA}\n", WELLS_MOA),
        ("http://www.ice.gov/doclib/287gMOA/a.pdf", "https://www.ice.gov/doclib/287gMOA/a.pdf"),
        ("HTTP://www.ice.gov/a.pdf", "https://www.ice.gov/a.pdf"),
        (safe_link(WELLS_MOA), WELLS_MOA),
        (safe_link("http://www.ice.gov/a.pdf"), "https://www.ice.gov/a.pdf"),
        (safe_link(safe_link(WELLS_MOA)), WELLS_MOA),
        (
            "https://nam11.safelinks.protection.outlook.com/?data=1&url=https%3A%2F%2Fx.gov%2Fa%20b.pdf",
            "https://x.gov/a b.pdf",
        ),
        (
            "https://gcc02.safelinks.protection.outlook.com/?data=1",
            "https://gcc02.safelinks.protection.outlook.com/?data=1",
        ),
        (
            "https://safelinks.protection.outlook.com.example/?url=https%3A%2F%2Fx",
            "https://safelinks.protection.outlook.com.example/?url=https%3A%2F%2Fx",
        ),
        ("https://example.gov/?url=https%3A%2F%2Fx", "https://example.gov/?url=https%3A%2F%2Fx"),
        (
            "http://[safelinks.protection.outlook.com/?url=x",
            "https://[safelinks.protection.outlook.com/?url=x",
        ),
    ],
)
def test_normalize_moa_url(url: str, expected: str) -> None:
    """Safe links unwrap (nested too, on any tenant host, url= anywhere), http becomes https,
    look-alike hosts and non-URLs are left alone."""
    assert normalize_moa_url(url) == expected


# --- reading XLSX ----------------------------------------------------------------------


def test_reads_a_participating_sheet(tmp_path: Path) -> None:
    """Header below a title, columns in ICE's order plus extras, every kind of SIGNED and MOA cell."""
    path = write_xlsx(
        tmp_path / PARTICIPATING,
        [
            ["287(g) Participating Agencies"],
            [],
            [
                " state ",
                "Law  Enforcement Agency",
                "TYPE",
                "COUNTY",
                "SUPPORT\u00a0TYPE",
                "SIGNED",
                "MOA",
                "ADDENDUM",
                None,
                "NOTES",
            ],
            [
                " MAINE ",
                " Wells Police Department ",
                "Municipality ",
                "#N/A",
                "Task Force Model ",
                date(2025, 4, 2),
                "link ",
                "",
                None,
                "x",
            ],
            [
                "New Hampshire",
                "Grafton County Sheriff's Office",
                None,
                "Grafton County ",
                "jail enforcement model",
                "5/8/2025",
                "link pending",
            ],
            [],
            [None, "  ", None, "", None, None, None, None, None, None],
            [
                " MAINE ",
                " Wells Police Department ",
                "Municipality ",
                "#N/A",
                "Task Force Model ",
                date(2025, 4, 2),
                "link ",
                "",
                None,
                "x",
            ],
            [
                "FLORIDA",
                "University of Florida Police Department",
                "Municipality",
                "",
                "Task Force Model",
                45762,
                "https://www.ice.gov/doclib/287gMOA/UnivFLPDFL_TFM_MOA_041525.pdf",
            ],
            [
                "TEXAS",
                "Terry County Sheriff's Office",
                "County",
                "Terry County",
                "Warrant Service Officer",
                "7/72025",
                "link\u00a0|\u00a0addendum",
            ],
            [
                "UTAHJ",
                "Weber County Sheriff's Office",
                "County",
                "Weber County",
                "Task Force Model",
                "2025-07-02",
                "link  pending",
            ],
            [
                "AlABAMA",
                "Level Plains Police Department",
                "Municipality",
                "",
                "Task Force Model",
                datetime(2025, 6, 18, 9, 30),
                "link",
            ],
        ],
        {
            "G4": safe_link("http://www.ice.gov/doclib/287gMOA/WellsPDME_TFM_MOA_040225.pdf"),
            "H5": "https://www.ice.gov/addendum.pdf",  # ADDENDUM's link is not the MOA's
            "G8": WELLS_MOA,
            "G9": "http://www.ice.gov/other.pdf",  # the link wins over the text
            "G12": safe_link(safe_link(WELLS_MOA)),
        },
    )
    sheet = read_sheet(path)
    assert sheet.saved is not None  # openpyxl's docProps/core.xml: when the test wrote it
    sheet = replace(sheet, saved=None)
    wells = row(row=4, moa_url=WELLS_MOA)
    assert sheet == Roster(
        path=path,
        kind=SheetKind.participating,
        published=date(2025, 7, 18),
        half="pm",
        sha1=hashlib.sha1(path.read_bytes()).hexdigest(),
        rows=(
            wells,
            RosterRow(
                5,
                "NH",
                "Grafton County Sheriff's Office",
                None,
                "Grafton County",
                Model.jail_enforcement,
                date(2025, 5, 8),
                "link pending",
                None,
            ),
            row(row=8, moa_url=WELLS_MOA),
            RosterRow(
                9,
                "FL",
                "University of Florida Police Department",
                "Municipality",
                None,
                Model.task_force,
                date(2025, 4, 15),
                "https://www.ice.gov/doclib/287gMOA/UnivFLPDFL_TFM_MOA_041525.pdf",
                "https://www.ice.gov/other.pdf",
            ),
            RosterRow(
                10,
                "TX",
                "Terry County Sheriff's Office",
                "County",
                "Terry County",
                Model.warrant_service,
                date(2025, 7, 7),
                "link | addendum",
                None,
            ),
            RosterRow(
                11,
                "UT",
                "Weber County Sheriff's Office",
                "County",
                "Weber County",
                Model.task_force,
                date(2025, 7, 2),
                "link pending",
                None,
            ),
            RosterRow(
                12,
                "AL",
                "Level Plains Police Department",
                "Municipality",
                None,
                Model.task_force,
                date(2025, 6, 18),
                "link",
                WELLS_MOA,
            ),
        ),
        warnings=(
            f"{path}: row 10, column SIGNED: read '7/72025' as 2025-07-07",
            f"{path}: row 11, column STATE: read 'UTAHJ' as UT",
        ),
    )


def test_text_url_in_moa_is_the_url(tmp_path: Path) -> None:
    """ICE sometimes typed the address instead of linking it; it is normalized like a link."""
    path = participating(tmp_path, [*WELLS[:6], " http://www.ice.gov/a.pdf "])
    assert read_sheet(path).rows == (
        row(moa="http://www.ice.gov/a.pdf", moa_url="https://www.ice.gov/a.pdf"),
    )


def test_reads_a_pending_sheet(tmp_path: Path) -> None:
    """Pending sheets have no SIGNED or MOA: those fields are None."""
    path = write_xlsx(
        tmp_path / PENDING,
        [
            PENDING_HEADER,
            ["MAINE", "Wells Police Department", "Municipality", "York County", "Task Force Model"],
        ],
    )
    sheet = read_sheet(path)
    assert (sheet.kind, sheet.published, sheet.half, sheet.warnings) == (
        SheetKind.pending,
        date(2025, 7, 18),
        "am",
        (),
    )
    assert sheet.rows == (row(county="York County", signed=None, moa=None),)


def test_participating_sheet_without_moa_column(tmp_path: Path) -> None:
    """MOA may be absent altogether; SIGNED may not."""
    path = write_xlsx(tmp_path / PARTICIPATING, [HEADER[:6], WELLS[:6]])
    assert read_sheet(path).rows == (row(moa=None),)


def test_duplicate_rows_are_kept(tmp_path: Path) -> None:
    """Identical rows are both returned, told apart by their row numbers: deciding is ingest's job."""
    path = participating(tmp_path, WELLS, WELLS)
    assert read_sheet(path).rows == (row(), row(row=3))


def test_hidden_rows_are_read(tmp_path: Path) -> None:
    """ICE has left filters on (371 of 719 rows hidden on 2025-06-20 am) over rows that are
    listed in the sheets before and after: hidden rows are still published rows."""
    path = participating(tmp_path, WELLS, WELLS)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws is not None
    ws.row_dimensions[2].hidden = True
    wb.save(path)
    assert b'hidden="1"' in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert read_sheet(path).rows == (row(), row(row=3))


def test_first_sheet_only(tmp_path: Path) -> None:
    """Only the workbook's first sheet is read."""
    path = write_xlsx(tmp_path / PARTICIPATING, [HEADER, WELLS], more_sheets=2)
    assert read_sheet(path).rows == (row(),)


@pytest.mark.parametrize(
    ("signed", "expected"),
    [
        (date(2025, 4, 2), date(2025, 4, 2)),
        (datetime(2025, 4, 2, 23, 59), date(2025, 4, 2)),
        ("4/2/2025", date(2025, 4, 2)),
        ("04/02/2025", date(2025, 4, 2)),
        (" 2025-04-02 ", date(2025, 4, 2)),
        ("2025-04-02 00:00:00", date(2025, 4, 2)),
        (45749, date(2025, 4, 2)),
        (45749.75, date(2025, 4, 2)),
        ("45749", date(2025, 4, 2)),
        (None, None),
        ("", None),
    ],
)
def test_signed_cells(tmp_path: Path, signed: object, expected: date | None) -> None:
    """Date cells, text dates and Excel serial numbers all read as the same day; empty is None."""
    path = participating(tmp_path, [*WELLS[:5], signed, "link"])
    sheet = read_sheet(path)
    assert sheet.rows == (row(signed=expected),)
    assert sheet.warnings == ()


def test_signed_serial_in_1904_workbook(tmp_path: Path) -> None:
    """A bare serial number counts from 1904 when the workbook says so."""
    path = write_xlsx(
        tmp_path / PARTICIPATING, [HEADER, [*WELLS[:5], 44287, "link"]], date1904=True
    )
    assert read_sheet(path).rows == (row(),)


def test_signed_after_publication_is_read_with_a_warning(tmp_path: Path) -> None:
    """ICE printed 5025-07-07 for Grundy County: readable, so read, but flagged."""
    path = participating(tmp_path, [*WELLS[:5], date(5025, 7, 7), "link"])
    sheet = read_sheet(path)
    assert sheet.rows == (row(signed=date(5025, 7, 7)),)
    assert sheet.warnings == (
        f"{path}: row 2, column SIGNED: signed 5025-07-07 is after the publication date 2025-07-18",
    )


def test_missing_slash_dates_are_repaired_with_a_warning(tmp_path: Path) -> None:
    """'05/082025' and '7/72025' are ICE's typos: the year is the last four digits."""
    path = participating(
        tmp_path, [*WELLS[:5], "05/082025", "link"], [*WELLS[:5], "7/72025", "link"]
    )
    sheet = read_sheet(path)
    assert [r.signed for r in sheet.rows] == [date(2025, 5, 8), date(2025, 7, 7)]
    assert sheet.warnings == (
        f"{path}: row 2, column SIGNED: read '05/082025' as 2025-05-08",
        f"{path}: row 3, column SIGNED: read '7/72025' as 2025-07-07",
    )


@pytest.mark.parametrize(
    ("signed", "shown"),
    [
        ("xyz", "xyz"),
        ("2/30/2025", "2/30/2025"),
        ("13/1/2025", "13/1/2025"),
        ("5/8/25", "5/8/25"),
        ("2025-13-01", "2025-13-01"),
        ("pending", "pending"),
        (True, "True"),
        (time(12, 0), "12:00:00"),
        (-5, "-5"),
        (12, "12"),
        (1e12, "1000000000000"),
    ],
)
def test_unreadable_signed_is_refused(tmp_path: Path, signed: object, shown: str) -> None:
    """Anything that is not a date is refused with the file, row, column and value."""
    path = participating(tmp_path, WELLS, [*WELLS[:5], signed, "link"])
    assert (
        error(lambda: read_sheet(path))
        == f"{path}: row 3, column SIGNED: cannot read '{shown}' as a date"
    )


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["ATLANTIS", *WELLS[1:]], "row 2, column STATE: 'ATLANTIS' is not a US state"),
        (["Main", *WELLS[1:]], "row 2, column STATE: 'Main' is not a US state"),
        ([None, *WELLS[1:]], "row 2, column STATE: '' is not a US state"),
        (["MAINE", "  ", *WELLS[2:]], "row 2, column LAW ENFORCEMENT AGENCY: empty agency name"),
        (["MAINE", "!!!", *WELLS[2:]], "row 2, column LAW ENFORCEMENT AGENCY: '!!!' is not an agency name (no letters or digits)"),
        (
            [*WELLS[:4], "Task Force", *WELLS[5:]],
            f"row 2, column SUPPORT TYPE: unknown support type 'Task Force' {EXPECTED_MODELS}",
        ),
        (
            [*WELLS[:4], "Warrant Officer", *WELLS[5:]],
            f"row 2, column SUPPORT TYPE: unknown support type 'Warrant Officer' {EXPECTED_MODELS}",
        ),
        (["WEST VIRGINA STATE", *WELLS[1:]], "row 2, column STATE: 'WEST VIRGINA STATE' is not a US state"),
    ],
)
def test_bad_cells_are_refused(tmp_path: Path, cells: list[object], message: str) -> None:
    """A state that is not one, an agency without a name, an unknown model: refused, precisely."""
    path = participating(tmp_path, cells)
    assert error(lambda: read_sheet(path)) == f"{path}: {message}"


# --- columns and headers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "column", "read_as"),
    [
        ("PENNSLYVANIA", "STATE", "PA"),
        ("WEST VIRIGINIA", "STATE", "WV"),
        ("West Virigina", "STATE", "WV"),
        ("MCHIGAN", "STATE", "MI"),
        ("UTAHJ", "STATE", "UT"),
        ("Warrant Services Officer", "SUPPORT TYPE", "Warrant Service Officer"),
        ("Warrant Service Office", "SUPPORT TYPE", "Warrant Service Officer"),
        ("Task Force Officer", "SUPPORT TYPE", "Task Force Model"),
        ("Jail Enforcment Model", "SUPPORT TYPE", "Jail Enforcement Model"),
    ],
)
def test_ice_typos_in_state_and_support_type_are_read_with_a_warning(
    tmp_path: Path, cell: str, column: str, read_as: str
) -> None:
    """Each of ICE's typos of 2025-2026 means one state or model: read, and said so with
    the file, row, column and what it was read as."""
    cells = [cell, *WELLS[1:]] if column == "STATE" else [*WELLS[:4], cell, *WELLS[5:]]
    path = participating(tmp_path, WELLS, cells)
    sheet = read_sheet(path)
    assert len(sheet.rows) == 2
    got = sheet.rows[1].state if column == "STATE" else sheet.rows[1].model.label
    assert got == read_as
    assert sheet.warnings == (f"{path}: row 3, column {column}: read {cell!r} as {read_as}",)


def test_a_row_without_support_type_is_skipped_with_a_warning(tmp_path: Path) -> None:
    """Three of ICE's pending rows of October 2025 have no model: no agreement to record."""
    path = write_xlsx(tmp_path / PENDING, [PENDING_HEADER, WELLS[:5], [*WELLS[:4], None], WELLS[:5]])
    sheet = read_sheet(path)
    assert [r.row for r in sheet.rows] == [2, 4]
    assert sheet.warnings == (
        f"{path}: row 3, column SUPPORT TYPE: empty, so the row names no agreement: skipped",)


@pytest.mark.parametrize("layout", [*LAYOUTS[SheetKind.participating], *LAYOUTS[SheetKind.pending]])
def test_every_column_layout_of_2025_and_2026(tmp_path: Path, layout: tuple[str, ...]) -> None:
    """ICE's six layouts (COUNTY from 2025-03-17, ADDENDUM from 2025-07-01, MOA on pending
    sheets from 2026-01-08), with trailing empty header cells, read alike."""
    kind = SheetKind.participating if "SIGNED" in layout else SheetKind.pending
    values = {"STATE": "MAINE", "LAW ENFORCEMENT AGENCY": "Wells Police Department", "TYPE": "Municipality",
              "COUNTY": "York", "SUPPORT TYPE": "Task Force Model", "SIGNED": datetime(2025, 4, 2),
              "MOA": "link pending", "ADDENDUM": None}
    name = PARTICIPATING if kind is SheetKind.participating else PENDING
    path = write_xlsx(tmp_path / name, [[*layout, None, None], [values[c] for c in layout]])
    sheet = read_sheet(path)
    assert sheet.kind is kind and sheet.warnings == ()
    (got,) = sheet.rows
    assert (got.state, got.agency, got.model) == ("ME", "Wells Police Department", Model.task_force)
    assert got.county == ("York" if "COUNTY" in layout else None)
    assert got.signed == (date(2025, 4, 2) if kind is SheetKind.participating else None)


def test_missing_column(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / PARTICIPATING, [[*PENDING_HEADER, "NOTES"], [*WELLS[:5], ""]])
    assert error(lambda: read_sheet(path)) == (
        f"{path}: missing column SIGNED for a participating sheet; "
        "found columns: STATE, LAW ENFORCEMENT AGENCY, TYPE, COUNTY, SUPPORT TYPE, NOTES"
    )
    given = write_xlsx(tmp_path / "export.xlsx", [PENDING_HEADER, WELLS[:5]])
    assert error(lambda: read_sheet(given, kind=SheetKind.participating, published=date(2025, 7, 1))) == (
        f"{given}: missing column SIGNED for a participating sheet; "
        "found columns: STATE, LAW ENFORCEMENT AGENCY, TYPE, COUNTY, SUPPORT TYPE"
    )


@pytest.mark.parametrize(("name", "header", "cells", "holds"), [
    (PARTICIPATING, PENDING_HEADER, WELLS[:5], SheetKind.pending),
    (PENDING, HEADER, WELLS, SheetKind.participating),
])
def test_the_other_list_under_a_name_is_read_by_its_columns(
    tmp_path: Path, name: str, header: list[str], cells: list[object], holds: SheetKind
) -> None:
    """ICE swapped its two files on 2025-09-22 pm: the columns say which list a file holds
    (only the participating list has SIGNED); it is read as that, with a warning."""
    path = write_xlsx(tmp_path / name, [header, cells])
    sheet = read_sheet(path)
    assert sheet.kind is holds and len(sheet.rows) == 1
    said = "pending" if holds is SheetKind.participating else "participating"
    assert sheet.warnings[0].startswith(f"{path}: the file name says {said}, but its columns are those of "
                                        f"the {holds.value} list")


def test_missing_columns(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / PENDING, [["STATE", "LAW ENFORCEMENT AGENCY", "MODEL", "ADDENDUM"]]
    )
    assert error(lambda: read_sheet(path)) == (
        f"{path}: missing columns TYPE, SUPPORT TYPE for a pending sheet; "
        "found columns: STATE, LAW ENFORCEMENT AGENCY, MODEL, ADDENDUM"
    )


def test_participating_sheet_given_as_pending(tmp_path: Path) -> None:
    """A SIGNED column betrays a participating sheet passed (or named) as pending."""
    path = write_xlsx(tmp_path / "export.xlsx", [HEADER, WELLS])
    assert error(lambda: read_sheet(path, kind=SheetKind.pending, published=date(2025, 7, 18))) == (
        f"{path}: has a SIGNED column, so it looks like a participating sheet, not a pending one; "
        "pass --kind participating"
    )
    assert read_sheet(path, kind=SheetKind.participating, published=date(2025, 7, 18)).rows == (row(),)


def test_no_header(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / PARTICIPATING, [["STATE", "AGENCY"], WELLS])
    assert error(lambda: read_sheet(path)) == (
        f"{path}: no header row (a row with STATE and LAW ENFORCEMENT AGENCY columns) in the first sheet"
    )


def test_empty_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / PARTICIPATING, [[None, "  "]])
    assert error(lambda: read_sheet(path)) == f"{path}: the sheet is empty"


def test_header_only_sheet_has_no_rows(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / PARTICIPATING, [HEADER])
    assert read_sheet(path).rows == ()


# --- kind, date and half ---------------------------------------------------------------


def test_kind_and_date_from_arguments(tmp_path: Path) -> None:
    """Arguments win over the file name; a name that says nothing needs both."""
    path = write_xlsx(tmp_path / "export.xlsx", [HEADER, WELLS])
    sheet = read_sheet(path, kind=SheetKind.participating, published=date(2025, 7, 1), half="AM")
    assert (sheet.kind, sheet.published, sheet.half, sheet.rows) == (
        SheetKind.participating,
        date(2025, 7, 1),
        "am",
        (row(),),
    )
    renamed = write_xlsx(tmp_path / PARTICIPATING, [HEADER, WELLS])
    sheet = read_sheet(renamed, published=date(2025, 7, 19), half="am")
    assert (sheet.kind, sheet.published, sheet.half) == (
        SheetKind.participating,
        date(2025, 7, 19),
        "am",
    )


@pytest.mark.parametrize(
    ("kwargs", "missing"),
    [
        ({}, "--kind and --published"),
        ({"kind": SheetKind.pending}, "--published"),
        ({"published": date(2025, 7, 1)}, "--kind"),
    ],
)
def test_kind_and_date_required_when_the_name_does_not_say(
    tmp_path: Path, kwargs: dict[str, Any], missing: str
) -> None:
    path = write_xlsx(tmp_path / "export.xlsx", [HEADER, WELLS])
    assert error(lambda: read_sheet(path, **kwargs)) == (
        f"{path}: the file name does not say which sheet this is or when ICE published it "
        f"(like participatingAgencies07182025pm.xlsx); pass {missing}"
    )


def test_bad_half(tmp_path: Path) -> None:
    path = participating(tmp_path, WELLS)
    assert (
        error(lambda: read_sheet(path, half="noon"))
        == f"{path}: half-day 'noon' is not one of ICE's suffixes (am, pm, mid, or one of them "
        "and a letter or digit, as pm2, pmB, pm_b)"
    )


# --- hyperlinks: how the XML is found and read -----------------------------------------


def test_sheet_part_is_found_through_the_workbook_rels(tmp_path: Path) -> None:
    """The first sheet need not be xl/worksheets/sheet1.xml: it is wherever the rels say."""
    path = participating(tmp_path, WELLS, links={"G2": WELLS_MOA})

    def move(name: str, data: bytes) -> tuple[str, bytes]:
        name = name.replace("sheet1.xml", "agencies.xml")
        return name, data.replace(b"worksheets/sheet1.xml", b"worksheets/agencies.xml")

    rewrite_parts(path, move)
    assert read_sheet(path).rows == (row(moa_url=WELLS_MOA),)


def test_ranged_and_internal_hyperlinks(tmp_path: Path) -> None:
    """A link on a range covers each of its MOA cells; links within the workbook are no URL."""
    path = participating(tmp_path, WELLS, WELLS, WELLS, links={"G2": WELLS_MOA, "A4": WELLS_MOA})

    def widen(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "xl/worksheets/sheet1.xml":
            data = data.replace(b'ref="G2"', b'ref="F2:G3"')
            data = data.replace(
                b"<hyperlinks>", b'<hyperlinks><hyperlink ref="G4" location="Sheet1!A1" />'
            )
        return name, data

    rewrite_parts(path, widen)
    assert [r.moa_url for r in read_sheet(path).rows] == [WELLS_MOA, WELLS_MOA, None]


def test_hyperlinks_with_a_namespace_prefix(tmp_path: Path) -> None:
    """Writers that prefix the spreadsheet namespace (x:hyperlinks) are read all the same."""
    path = participating(tmp_path, WELLS, links={"G2": WELLS_MOA})

    def prefix(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "xl/worksheets/sheet1.xml":
            data = data.replace(
                b"<hyperlinks>",
                b'<x:hyperlinks xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
            )
            data = data.replace(b"</hyperlinks>", b"</x:hyperlinks>").replace(
                b"<hyperlink ", b"<x:hyperlink "
            )
        return name, data

    rewrite_parts(path, prefix)
    assert read_sheet(path).rows == (row(moa_url=WELLS_MOA),)


def test_hyperlinks_tag_inside_a_comment_falls_back_to_the_whole_sheet(tmp_path: Path) -> None:
    """The quick excerpt is only a shortcut: when it is not well-formed the whole sheet is parsed."""
    path = participating(tmp_path, WELLS, links={"G2": WELLS_MOA})

    def comment(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "xl/worksheets/sheet1.xml":
            data = data.replace(b"<sheetData>", b"<sheetData><!-- <hyperlinks> -->")
        return name, data

    rewrite_parts(path, comment)
    assert read_sheet(path).rows == (row(moa_url=WELLS_MOA),)


# --- refusing what is not a sheet ------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / PARTICIPATING
    assert error(lambda: read_sheet(path)) == f"{path}: no such file"


def test_directory(tmp_path: Path) -> None:
    path = tmp_path / PARTICIPATING
    path.mkdir()
    assert error(lambda: read_sheet(path)) == f"{path}: is a directory, not a spreadsheet file"


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / PARTICIPATING
    path.write_text("STATE,LAW ENFORCEMENT AGENCY\n")
    assert error(lambda: read_sheet(path)) == (
        f"{path}: not an XLSX workbook (not a zip archive); give ICE's .xlsx file, or a .csv"
    )


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / PARTICIPATING
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    assert error(lambda: read_sheet(path)) == (
        f"{path}: not an XLSX workbook (There is no item named 'xl/workbook.xml' in the archive)"
    )


def test_damaged_sheet_xml(tmp_path: Path) -> None:
    """calamine's own errors become SheetErrors naming the file."""
    path = participating(tmp_path, WELLS)
    rewrite_parts(
        path,
        lambda n, d: (n, b"<worksheet><sheetData><row>" if n == "xl/worksheets/sheet1.xml" else d),
    )
    assert error(lambda: read_sheet(path)).startswith(
        f"{path}: cannot read the workbook: XmlError: "
    )


def test_damaged_hyperlink_xml(tmp_path: Path) -> None:
    path = participating(tmp_path, WELLS, links={"G2": WELLS_MOA})
    rewrite_parts(
        path,
        lambda n, d: (
            n,
            d.replace(b"</hyperlinks>", b"</hyperlink>") if n == "xl/worksheets/sheet1.xml" else d,
        ),
    )
    assert error(lambda: read_sheet(path)).startswith(
        f"{path}: damaged XLSX workbook: mismatched tag: line 1, column "
    )


def test_damaged_compressed_data(tmp_path: Path) -> None:
    """A corrupt deflate stream is a damaged workbook, not a zlib traceback."""
    path = participating(tmp_path, WELLS, links={"G2": WELLS_MOA})
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("xl/workbook.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    assert error(lambda: read_sheet(path)).startswith(
        f"{path}: damaged XLSX workbook: Error -3 while decompressing data: "
    )


@pytest.fixture(scope="module")
def small_workbook(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("fuzz")
    rows = (WELLS, [*WELLS[:5], "5/8/2025", "link"])
    return participating(folder, *rows, links={"G2": safe_link(WELLS_MOA)}).read_bytes()


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(changes=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8))
def test_damaged_bytes_never_escape_as_a_traceback(
    small_workbook: bytes, tmp_path_factory: pytest.TempPathFactory, changes: list[tuple[int, int]]
) -> None:
    """Whatever bytes are changed, the result is a Roster or a one-line SheetError (fuzzing
    found zlib.error, EOFError, NotImplementedError and RuntimeError escaping before)."""
    data = bytearray(small_workbook)
    for position, byte in changes:
        data[position % len(data)] = byte
    path = tmp_path_factory.mktemp("fuzzed") / PARTICIPATING
    path.write_bytes(bytes(data))
    try:
        read_sheet(path)
    except SheetError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize(
    "part", ["xl/workbook.xml", "xl/worksheets/_rels/sheet1.xml.rels", "_rels/.rels"]
)
def test_dtd_is_refused(tmp_path: Path, part: str) -> None:
    """No DTD, so no entity expansion ("billion laughs") and no external entities."""
    path = participating(tmp_path, WELLS, links={"G2": WELLS_MOA})
    bomb = b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'

    def add_dtd(name: str, data: bytes) -> tuple[str, bytes]:
        if name == part:
            data = bomb + data.split(b"?>", 1)[-1] if data.startswith(b"<?xml") else bomb + data
        return name, data

    rewrite_parts(path, add_dtd)
    assert error(lambda: read_sheet(path)) == f"{path}: refused: the workbook's XML declares a DTD"


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    path = participating(tmp_path, WELLS)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/zeros.bin", bytes(2 * 1024 * 1024))
    info = zipfile.ZipFile(path).getinfo("xl/media/zeros.bin")
    assert error(lambda: read_sheet(path)) == (
        f"{path}: refused: xl/media/zeros.bin would unpack {info.compress_size:,} bytes to 2,097,152 "
        "(more than 100 times); this looks like a zip bomb"
    )


def test_zip_bomb_by_total(tmp_path: Path) -> None:
    """Small members are exempt from the ratio, not from the total (ten times the size limit)."""
    path = participating(tmp_path, WELLS)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/zeros.bin", bytes(1024 * 1024))
    limit = path.stat().st_size
    total = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    assert error(lambda: read_sheet(path, max_bytes=limit)) == (
        f"{path}: refused: unpacks to {total:,} bytes, over the limit of {10 * limit:,} "
        "(10 times ICESTATUS_MAX_SHEET_BYTES); this looks like a zip bomb"
    )


def test_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit comes from max_bytes, else the environment; the message says how to raise it."""
    path = participating(tmp_path, WELLS)
    expected = (
        f"{path}: larger than the limit of 1,000 bytes for a sheet; "
        "set ICESTATUS_MAX_SHEET_BYTES to a larger number of bytes to read it"
    )
    assert error(lambda: read_sheet(path, max_bytes=1000)) == expected
    monkeypatch.setenv("ICESTATUS_MAX_SHEET_BYTES", "1000")
    assert error(lambda: read_sheet(path)) == expected
    assert read_sheet(path, max_bytes=path.stat().st_size).rows == (row(),)


@pytest.mark.parametrize("value", ["lots", "-1", "0"])
def test_bad_size_limit_in_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    path = participating(tmp_path, WELLS)
    monkeypatch.setenv("ICESTATUS_MAX_SHEET_BYTES", value)
    assert (
        error(lambda: read_sheet(path))
        == f"ICESTATUS_MAX_SHEET_BYTES={value!r} is not a positive number of bytes"
    )


# --- CSV -------------------------------------------------------------------------------


def write_csv(path: Path, rows: Sequence[Sequence[object]], *, bom: bool = False) -> Path:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode())
    return path


@pytest.mark.parametrize("bom", [False, True])
def test_reads_csv(tmp_path: Path, bom: bool) -> None:
    """Same columns, text cells, "#N/A" as ICE's formula errors print, UTF-8 with or without BOM."""
    path = write_csv(
        tmp_path / "participatingAgencies07182025pm.csv",
        [
            [*HEADER, "ADDENDUM"],
            [
                "MAINE",
                "Wells Police Department",
                "Municipality",
                "#N/A",
                "Task Force Model",
                "4/2/2025",
                "http://www.ice.gov/doclib/287gMOA/WellsPDME_TFM_MOA_040225.pdf",
                "",
            ],
            [],
            [
                "TEXAS",
                "Montgomery County Sheriff\u2019s Office",
                "County",
                "Montgomery County",
                "Jail Enforcement Model",
                "2020-06-09",
                "link",
                "",
            ],
        ],
        bom=bom,
    )
    sheet = read_sheet(path)
    assert sheet.rows == (
        row(
            moa="http://www.ice.gov/doclib/287gMOA/WellsPDME_TFM_MOA_040225.pdf", moa_url=WELLS_MOA
        ),
        RosterRow(
            4,
            "TX",
            "Montgomery County Sheriff\u2019s Office",
            "County",
            "Montgomery County",
            Model.jail_enforcement,
            date(2020, 6, 9),
            "link",
            None,
        ),
    )
    assert sheet.sha1 == hashlib.sha1(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("bom", "offset"), [(b"", 36), (b"\xef\xbb\xbf", 39)])
def test_csv_not_utf8(tmp_path: Path, bom: bytes, offset: int) -> None:
    """The offset counts from the start of the file, BOM included."""
    path = tmp_path / "participatingAgencies07182025pm.csv"
    path.write_bytes(bom + "STATE,LAW ENFORCEMENT AGENCY\nMAINE,Département\n".encode("latin-1"))
    assert error(lambda: read_sheet(path)) == (
        f"{path}: not UTF-8 text (byte 0xe9 at offset {offset}); save the CSV as UTF-8"
    )


def test_csv_bad_signed(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "participatingAgencies07182025pm.csv", [HEADER, [*WELLS[:5], "soon", "link"]]
    )
    assert (
        error(lambda: read_sheet(path))
        == f"{path}: row 2, column SIGNED: cannot read 'soon' as a date"
    )


# --- ICE's real publications -----------------------------------------------------------


@pytest.fixture(scope="module")
def manifest(ice_dir: Path) -> list[dict[str, str]]:
    from ice_data import manifest as rows

    return rows(ice_dir, used=False)


@pytest.fixture(scope="module")
def real_sheets(real_rosters: dict[str, Roster]) -> dict[str, Roster]:
    """Every file of the manifest read by its name alone, as a user's download would be
    (read once per session: conftest.real_rosters)."""
    return real_rosters


# The three rows without SUPPORT TYPE the reader skips (the manifest counts every row).
SKIPPED_ROWS = {"pendingAgencies10062025pm.xlsx": 1, "pendingAgencies10082025pm.xlsx": 1,
                "pendingAgencies10242025mid.xlsx": 1}


@pytest.mark.shared
def test_every_real_sheet_reads_as_the_manifest_says(
    manifest: list[dict[str, str]], real_sheets: dict[str, Roster]
) -> None:
    """By its name and its own docProps alone, every one of the 478 files reads as the list,
    date and suffix the manifest gives it: the wrong names (090022025am, 10223025am,
    11114025am, 01052025pm..01092025pm) dated by the workbook; a Wayback capture dated by
    when ICE saved it (``seen``: the capture); 08022025pm left to ingest, which dates it by
    its neighbours (``redate``); the swapped files of 2025-09-22 pm read by their columns."""
    assert len(real_sheets) == len(manifest) == 478
    for entry in manifest:
        sheet = real_sheets[entry["path"]]
        name = entry["path"].split("/")[-1]
        dates = {sheet.published.isoformat(), str(sheet.seen), str(sheet.redate)}
        assert entry["published"] in dates, entry["path"]
        assert sheet.published.year == int(entry["published"][:4]), entry["path"]  # never 2025 for 2026
        # "am_b" is the scraper's mark of a second file under one name; the manifest says am.
        assert (sheet.half or "").startswith(entry["half"]) and (sheet.kind.value, sheet.sha1) == (
            entry["kind"], entry["sha1"]), entry["path"]
        assert len(sheet.rows) + SKIPPED_ROWS.get(name, 0) == int(entry["rows"]), entry["path"]


@pytest.mark.shared
def test_every_real_row_is_typed(real_sheets: dict[str, Roster]) -> None:
    for name, sheet in real_sheets.items():
        for r in sheet.rows:
            assert len(r.state) == 2 and r.state.isupper(), (name, r)
            assert isinstance(r.model, Model), (name, r)
            assert r.agency and r.agency == r.agency.strip(), (name, r)
            if sheet.kind is SheetKind.pending:
                assert r.signed is None, (name, r)


@pytest.mark.shared
def test_real_moa_urls_are_unwrapped(real_sheets: dict[str, Roster]) -> None:
    urls = [r.moa_url for s in real_sheets.values() for r in s.rows if r.moa_url]
    assert len(urls) > 200_000
    assert [u for u in urls if "safelinks" in u or u.startswith("http:")] == []
    assert all(u.startswith("https://www.ice.gov/") for u in urls)


@pytest.mark.shared
def test_wells_police_department(real_sheets: dict[str, Roster]) -> None:
    sheet = real_sheets["20250719_151637/participatingAgencies07182025pm.xlsx"]
    wells = [r for r in sheet.rows if r.agency == "Wells Police Department"]
    assert wells == [
        RosterRow(
            446,
            "ME",
            "Wells Police Department",
            "Municipality",
            None,
            Model.task_force,
            date(2025, 4, 2),
            "link",
            WELLS_MOA,
        )
    ]


@pytest.mark.shared
def test_hyperlinks_in_the_2025_07_18_pm_sheet(real_sheets: dict[str, Roster]) -> None:
    """603 of its 832 rows link their MOA; every "link" has one and no "link pending" does."""
    sheet = real_sheets["20250719_151637/participatingAgencies07182025pm.xlsx"]
    linked = [r for r in sheet.rows if r.moa_url]
    assert len(linked) == 603
    assert {r.moa for r in linked} == {"link"}
    assert {r.moa for r in sheet.rows if not r.moa_url} == {"link pending"}


@pytest.mark.shared
def test_ice_typos_are_read_and_reported(real_sheets: dict[str, Roster]) -> None:
    """The 2025-07-18 pm sheet's three oddities: two repaired dates and a date in 5025."""
    sheet = real_sheets["20250719_151637/participatingAgencies07182025pm.xlsx"]
    prefix = f"{sheet.path}: "
    assert [w.removeprefix(prefix) for w in sheet.warnings] == [
        "row 639, column SIGNED: signed 5025-07-07 is after the publication date 2025-07-18",
        "row 775, column SIGNED: read '7/72025' as 2025-07-07",
        "row 785, column SIGNED: read '05/082025' as 2025-05-08",
    ]
    utahj = real_sheets["20250704_151659/participatingAgencies07032025pm.xlsx"]
    assert f"{utahj.path}: row 723, column STATE: read 'UTAHJ' as UT" in utahj.warnings
