"""Broken and hostile sheets through ``icestatus ingest``: each refused with one line naming
the file (and row and column), a non-zero exit, no traceback, and the registry untouched;
plus a bounded fuzz run of the sheet reader followed by ingest.

``tests/test_sheets.py`` checks the reader's messages one by one; this file checks what a
user sees end to end, and that nothing a sheet holds can crash ingest or reach the
registry half-done.
"""

from __future__ import annotations

import csv
import io
import json
import struct
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from typer.testing import CliRunner

from icestatus.cli import app
from icestatus.errors import IcestatusError, SheetError
from icestatus.ingest import ingest_sheets
from icestatus.registry import dump_registry, empty_registry, parse_registry
from icestatus.sources.ice_sheet import read_sheet

HEADER = ["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA"]
KERR = ["TEXAS", "Kerr County Sheriff's Office", "County", "Kerr County", "Jail Enforcement Model", "5/2/2025",
        "link pending"]
NAME = "participatingAgencies05302025am"  # later than the sheet the registry already holds


def xlsx(path: Path, rows: Sequence[Sequence[object]], edit: Callable[[object], None] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(list(row))
    if edit is not None:
        edit(ws)
    wb.save(path)
    return path


def rezip(path: Path, change: Callable[[str, bytes], bytes]) -> Path:
    with zipfile.ZipFile(path) as src:
        parts = [(i.filename, src.read(i)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts:
            dst.writestr(name, change(name, data))
    return path


def in_sheet_xml(old: bytes, new: bytes, prefix: bytes = b"") -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            assert old in data
            return prefix + data.replace(old, new, 1)
        return data
    return change


def csv_bytes(*rows: Sequence[object]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HEADER, *rows])
    return out.getvalue().encode()


@pytest.fixture
def registry(tmp_path: Path, runner: CliRunner) -> Path:
    """A registry that already holds one sheet (so it has content and a .bak)."""
    home = tmp_path / "registry"
    home.mkdir()
    path = home / "registry.json"
    first = tmp_path / "participatingAgencies05162025am.csv"
    first.write_bytes(csv_bytes(["MAINE", "Wells Police Department", "Municipality", "", "Task Force Model",
                                 "4/2/2025", ""]))
    for args in (["init", str(path)], ["ingest", str(first), "-r", str(path)]):
        result = runner.invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    return path


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if not p.name.endswith(".lock")}


def refused(runner: CliRunner, registry: Path, sheet: Path, *extra: str) -> str:
    """``ingest`` must refuse *sheet* in one stderr line naming it, and write nothing."""
    before = snapshot(registry.parent)
    result = runner.invoke(app, ["ingest", str(sheet), "-r", str(registry), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    err = result.stderr
    assert err.startswith(f"icestatus: error: {sheet}: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and result.stdout == "" and len(err) < 600, err
    assert snapshot(registry.parent) == before
    return err.removeprefix(f"icestatus: error: {sheet}: ").rstrip("\n")


def ingested(runner: CliRunner, registry: Path, sheet: Path) -> tuple[dict[str, object], str]:
    """Ingest *sheet*; return Kerr's agreement as `as-of` shows it, and stderr."""
    result = runner.invoke(app, ["ingest", str(sheet), "-r", str(registry)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(runner.invoke(app, ["as-of", "2025-05-30", "-r", str(registry), "-f", "json"],
                                    catch_exceptions=False).stdout)
    (kerr,) = [r for r in rows if r["state"] == "TX"]
    return kerr, result.stderr


# ---------------------------------------------------------------- not a spreadsheet at all


NOT_SHEETS: dict[str, tuple[str, bytes, str]] = {
    "PDF named .xlsx": (".xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "not an XLSX workbook (not a zip archive)"),
    "text named .xlsx": (".xlsx", csv_bytes(KERR), "not an XLSX workbook (not a zip archive)"),
    "zero-byte .xlsx": (".xlsx", b"", "not an XLSX workbook (not a zip archive)"),
    "zero-byte .csv": (".csv", b"", "the sheet is empty"),
    "PNG named .csv": (".csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text (byte 0x89 at offset 0)"),
    "Latin-1 CSV": (".csv", csv_bytes(KERR).replace(b"Kerr", b"K\xe9rr"), "not UTF-8 text (byte 0xe9"),
    "UTF-16 CSV": (".csv", csv_bytes(KERR).decode().encode("utf-16"), "not UTF-8 text (byte 0xff at offset 0)"),
    "200 kB CSV field": (".csv", csv_bytes(["TEXAS", "K" * 200_000]), "not a readable CSV file: field larger than"),
}


@pytest.mark.parametrize("suffix,content,message", NOT_SHEETS.values(), ids=NOT_SHEETS.keys())
def test_not_a_sheet(runner: CliRunner, registry: Path, tmp_path: Path, suffix: str, content: bytes,
                     message: str) -> None:
    sheet = tmp_path / (NAME + suffix)
    sheet.write_bytes(content)
    assert message in refused(runner, registry, sheet)


def test_a_zip_that_is_no_workbook(runner: CliRunner, registry: Path, tmp_path: Path) -> None:
    sheet = tmp_path / f"{NAME}.xlsx"
    with zipfile.ZipFile(sheet, "w") as z:
        z.writestr("README.txt", "hello")
    assert refused(runner, registry, sheet).startswith("not an XLSX workbook (")


def test_truncated_xlsx(runner: CliRunner, registry: Path, tmp_path: Path) -> None:
    sheet = xlsx(tmp_path / f"{NAME}.xlsx", [HEADER, KERR])
    sheet.write_bytes(sheet.read_bytes()[:2000])
    assert "not an XLSX workbook (not a zip archive)" in refused(runner, registry, sheet)


def test_a_directory(runner: CliRunner, registry: Path, tmp_path: Path) -> None:
    sheet = tmp_path / f"{NAME}.xlsx"
    sheet.mkdir()
    assert refused(runner, registry, sheet) == "is a directory, not a spreadsheet file"


# ---------------------------------------------------------------- bombs


def test_zip_bomb(runner: CliRunner, registry: Path, tmp_path: Path) -> None:
    sheet = xlsx(tmp_path / f"{NAME}.xlsx", [HEADER, KERR])
    with zipfile.ZipFile(sheet, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/image1.png", bytes(20 * 1024 * 1024))
    assert "would unpack" in (msg := refused(runner, registry, sheet)) and "this looks like a zip bomb" in msg


def test_zip_that_lies_about_its_sizes(runner: CliRunner, registry: Path, tmp_path: Path) -> None:
    """The declared sizes pass the bomb check; the data behind them is 5 MB: refused, not unpacked."""
    sheet = rezip(xlsx(tmp_path / f"{NAME}.xlsx", [HEADER, KERR]),
                  in_sheet_xml(b"</sheetData>", b"</sheetData><!--" + b" " * 5_000_000 + b"-->"))
    data = sheet.read_bytes()
    real = zipfile.ZipFile(sheet).getinfo("xl/worksheets/sheet1.xml").file_size
    assert data.count(struct.pack("<I", real)) == 2  # local header and central directory
    sheet.write_bytes(data.replace(struct.pack("<I", real), struct.pack("<I", 2000)))
    assert "damaged XLSX workbook: Bad CRC-32" in refused(runner, registry, sheet)


def test_too_many_parts(runner: CliRunner, registry: Path, tmp_path: Path) -> None:
    sheet = xlsx(tmp_path / f"{NAME}.xlsx", [HEADER, KERR])
    with zipfile.ZipFile(sheet, "a") as z:
        for n in range(10_001):
            z.writestr(f"x/{n}", b"")
    assert refused(runner, registry, sheet) == "refused: 10,010 parts is not a spreadsheet"


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("dtd,entity", [(LAUGHS, b"&lol3;"), (XXE, b"&xxe;")], ids=["billion laughs", "XXE"])
@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/worksheets/sheet1.xml", "_rels/.rels"])
def test_xml_entity_bombs_and_external_entities(runner: CliRunner, registry: Path, tmp_path: Path, part: str,
                                                dtd: bytes, entity: bytes) -> None:
    def change(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        data = data.split(b"?>", 1)[-1] if data.startswith(b"<?xml") else data
        return dtd + data.replace(b"Kerr County Sheriff", entity + b" Sheriff", 1)

    sheet = rezip(xlsx(tmp_path / f"{NAME}.xlsx", [HEADER, KERR], lambda ws: setattr(ws["G2"], "hyperlink",
                                                                                    "https://x.example/a.pdf")),
                  change)
    message = refused(runner, registry, sheet)
    assert message in ("refused: the workbook's XML declares a DTD",
                       f"cannot read the workbook: XmlError: at 0..0: unrecognized entity `{entity.decode()}`")


# ---------------------------------------------------------------- cells


def test_formula_with_its_value_reads_the_value(runner: CliRunner, registry: Path, tmp_path: Path) -> None:
    """What Excel shows (the cached value), never the formula text."""
    sheet = rezip(xlsx(tmp_path / f"{NAME}.xlsx", [HEADER, KERR]), in_sheet_xml(
        b'<c r="B2" t="inlineStr"><is><t>Kerr County Sheriff\'s Office</t></is></c>',
        b'<c r="B2" t="str"><f>HYPERLINK("http://evil.example","x")</f><v>Kerr County Sheriff\'s Office</v></c>'))
    kerr, _ = ingested(runner, registry, sheet)
    assert kerr["department"] == "Kerr County Sheriff's Office"


def test_formula_without_a_value_is_an_empty_cell(runner: CliRunner, registry: Path, tmp_path: Path) -> None:
    sheet = xlsx(tmp_path / f"{NAME}.xlsx", [HEADER, ["TEXAS", '=HYPERLINK("http://evil.example","x")',
                                                      *KERR[2:]]])
    assert refused(runner, registry, sheet) == "row 2, column LAW ENFORCEMENT AGENCY: empty agency name"


def test_formula_text_in_a_csv_is_a_name_and_stays_inert(runner: CliRunner, registry: Path, tmp_path: Path) -> None:
    sheet = tmp_path / f"{NAME}.csv"
    sheet.write_bytes(csv_bytes(["TEXAS", "=cmd|' /C calc'!A0", *KERR[2:]]))
    kerr, _ = ingested(runner, registry, sheet)
    assert kerr["department"] == "=cmd|' /C calc'!A0"
    out = runner.invoke(app, ["as-of", "2025-05-30", "-r", str(registry), "-f", "csv"]).stdout
    assert "'=cmd|' /C calc'!A0" in out and ",=cmd" not in out


@pytest.mark.parametrize("signed", ["5/2/2025", "05/02/2025", "2025-05-02", "2025-05-02 00:00:00", 45779, 45779.75,
                                    "45779"], ids=repr)
def test_dates_as_text_and_as_serial_numbers(runner: CliRunner, registry: Path, tmp_path: Path,
                                             signed: object) -> None:
    sheet = xlsx(tmp_path / f"{NAME}.xlsx", [HEADER, [*KERR[:5], signed, ""]])
    kerr, _ = ingested(runner, registry, sheet)
    # Signed before the sheet the registry already holds (05-16) but first listed now: ICE's
    # date is kept, the listing is known to the window between the two sheets.
    assert (kerr["signed"], kerr["since_not_before"], kerr["since"]) == ("2025-05-02", "2025-05-16", "2025-05-30")


BAD_CELLS = {
    "date that does not exist": ({5: "2/30/2025"}, "row 2, column SIGNED: cannot read '2/30/2025' as a date"),
    "date in words": ({5: "early May"}, "row 2, column SIGNED: cannot read 'early May' as a date"),
    "negative serial": ({5: -5}, "row 2, column SIGNED: cannot read '-5' as a date"),
    "serial past year 9999": ({5: 1e12}, "row 2, column SIGNED: cannot read '1000000000000"),
    "serial in Excel's fictitious 1900": ({5: 30}, "row 2, column SIGNED: cannot read '30' as a date"),
    "boolean date": ({5: True}, "row 2, column SIGNED: cannot read 'True' as a date"),
    "not a state": ({0: "ATLANTIS"}, "row 2, column STATE: 'ATLANTIS' is not a US state"),
    "empty state": ({0: ""}, "row 2, column STATE: '' is not a US state"),
    "10,000-character state": ({0: "S" * 10_000}, "row 2, column STATE: 'SSSSS"),
    "unknown model": ({4: "Task Force"}, "row 2, column SUPPORT TYPE: unknown support type 'Task Force'"),
    "10,000-character name": ({1: "K" * 10_000},
                              "row 2, column LAW ENFORCEMENT AGENCY: 10,000 characters, more than the 2,000 a registry holds"),
    "3,000-character county": ({3: "C" * 3000}, "row 2, column COUNTY: 3,000 characters, more than the 2,000"),
    "empty name": ({1: "   "}, "row 2, column LAW ENFORCEMENT AGENCY: empty agency name"),
}


@pytest.mark.parametrize("cells,message", BAD_CELLS.values(), ids=BAD_CELLS.keys())
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_bad_cells(runner: CliRunner, registry: Path, tmp_path: Path, cells: dict[int, object], message: str,
                   suffix: str) -> None:
    row = [cells.get(i, value) for i, value in enumerate(KERR)]
    if suffix == ".csv":  # every cell is text: 1e12 is '1000000000000.0', True is 'True'
        sheet = tmp_path / f"{NAME}.csv"
        sheet.write_bytes(csv_bytes(KERR, row))  # the bad row is row 3 of a CSV with two
        message = message.replace("row 2,", "row 3,")
    else:
        sheet = xlsx(tmp_path / f"{NAME}.xlsx", [HEADER, row])
    assert message in refused(runner, registry, sheet)


COLUMNS = {
    "renamed agency column": (["STATE", "AGENCY NAME", *HEADER[2:]],
                              "no header row (a row with STATE and LAW ENFORCEMENT AGENCY columns) in the first sheet"),
    "no SIGNED column": ([*HEADER[:5], "MOA", "NOTES"], "missing column SIGNED for a participating sheet; found columns: "),
    "renamed SIGNED column": ([*HEADER[:5], "DATE SIGNED", "MOA"], "missing column SIGNED for a participating sheet"),
    "no TYPE": (["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED"],
                "missing column TYPE for a participating sheet"),
    "no header at all": (KERR, "no header row"),
}


@pytest.mark.parametrize("header,message", COLUMNS.values(), ids=COLUMNS.keys())
def test_missing_or_renamed_columns(runner: CliRunner, registry: Path, tmp_path: Path, header: list[str],
                                    message: str) -> None:
    sheet = xlsx(tmp_path / f"{NAME}.xlsx", [header, KERR[: len(header)]])
    assert message in refused(runner, registry, sheet)


def test_size_limit_says_the_limit_and_how_to_raise_it(runner: CliRunner, registry: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    sheet = xlsx(tmp_path / f"{NAME}.xlsx", [HEADER, KERR])
    monkeypatch.setenv("ICESTATUS_MAX_SHEET_BYTES", "1000")
    assert refused(runner, registry, sheet) == (
        "larger than the limit of 1,000 bytes for a sheet; set ICESTATUS_MAX_SHEET_BYTES to a larger number "
        "of bytes to read it")
    monkeypatch.setenv("ICESTATUS_MAX_SHEET_BYTES", str(sheet.stat().st_size))
    assert ingested(runner, registry, sheet)[0]["department"] == "Kerr County Sheriff's Office"


def test_one_bad_file_among_several_writes_nothing(runner: CliRunner, registry: Path, tmp_path: Path) -> None:
    good = xlsx(tmp_path / "participatingAgencies05202025am.xlsx", [HEADER, KERR])
    bad = xlsx(tmp_path / f"{NAME}.xlsx", [HEADER, ["ATLANTIS", *KERR[1:]]])
    before = snapshot(registry.parent)
    result = runner.invoke(app, ["ingest", str(good), str(bad), "-r", str(registry)])
    assert result.exit_code == 1 and result.stderr.startswith(f"icestatus: error: {bad}: row 2, column STATE")
    assert snapshot(registry.parent) == before


@pytest.mark.parametrize("target", ["javascript:alert(1)", "file:///etc/passwd", "moa.pdf",
                                    "https://x.example/a b", "https://x.example/" + "a" * 3000])
def test_a_link_that_is_no_web_address_is_left_out_with_a_warning(runner: CliRunner, registry: Path,
                                                                  tmp_path: Path, target: str) -> None:
    sheet = xlsx(tmp_path / f"{NAME}.xlsx", [HEADER, KERR], lambda ws: setattr(ws["G2"], "hyperlink", target))
    kerr, err = ingested(runner, registry, sheet)
    assert kerr["moa_url"] is None
    assert f"icestatus: warning: {sheet}: row 2, column MOA: link " in err and "; left out" in err


def test_hostile_names_from_a_sheet_stay_inert(runner: CliRunner, registry: Path, tmp_path: Path) -> None:
    name = "[bold]Evil[/] \x1b]8;;http://x\x07PD\x9b2J\u202e"
    sheet = tmp_path / f"{NAME}.csv"
    sheet.write_bytes(csv_bytes(["TEXAS", name, *KERR[2:]]))
    for fmt in ("table", "json", "csv"):
        result = runner.invoke(app, ["ingest", str(sheet), "-r", str(registry), "--dry-run", "-f", fmt],
                               catch_exceptions=False)
        assert result.exit_code == 0
        for text in (result.stdout, result.stderr):
            assert not any(c in text for c in "\x1b\x07\x9b\u202e"), (fmt, text)
        assert "[bold]Evil[/]" in result.stdout
    kerr, _ = ingested(runner, registry, sheet)
    assert kerr["department"] == name  # stored exactly; made inert only when shown


# ---------------------------------------------------------------- fuzz: a Roster or a SheetError, then a sound registry

FUZZ = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

CELLS = st.one_of(
    st.sampled_from(["", "#N/A", "=1+1", "\u00a0", "!!!", "0", "-1", "45779", "ATLANTIS", "Task Force"]),
    st.text(max_size=30),
    st.integers(-10**6, 10**13), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.dates(),
)
# Values each column usually holds (so that most rows get past the checks), else anything.
GOOD_CELLS = {
    "STATE": st.sampled_from(["TEXAS", "Maine", "texas ", "UTAHJ", "FLORIDA"]),
    "LAW ENFORCEMENT AGENCY": st.sampled_from(["Kerr County Sheriff's Office", "Kerr County Sheriff\u2019s Office",
                                               "KERR COUNTY SHERIFF'S OFFICE ", "Wells PD", "Wells Police Dept.",
                                               "St. Cloud Police Department", "Ft. Myers Police Department",
                                               "W" * 2001]),
    "TYPE": st.sampled_from(["County", "Municipality", "State Agency", ""]),
    "COUNTY": st.sampled_from(["Kerr County", "#N/A", "", "York"]),
    "SUPPORT TYPE": st.sampled_from(["Task Force Model", "JAIL ENFORCEMENT MODEL", "Warrant Service Officer"]),
    "SIGNED": st.sampled_from(["5/2/2025", "05/022025", "2025-05-02", "45779", 45779, 45779.5, "", "6/1/2025"])
    | st.dates(),
    "MOA": st.sampled_from(["link pending", "link", "", "https://x.example/a.pdf", "http://x.example/b.pdf",
                            "javascript:alert(1)"]),
}


def headers(pending: bool) -> st.SearchStrategy[list[str]]:
    columns = [c for c in HEADER if not (pending and c in ("SIGNED", "MOA"))]
    return st.integers(0, 9).flatmap(lambda n: (
        st.permutations(columns).map(list) if n < 5
        else st.permutations([*columns, "EXTRA", ""]).map(list) if n < 8
        else st.lists(st.sampled_from([*HEADER, "EXTRA", "", "state", " Law  Enforcement Agency "]), max_size=9)))


@st.composite
def grids(draw: st.DrawFn, pending: bool) -> list[list[object]]:
    header = draw(headers(pending))
    rows = []
    for _ in range(draw(st.integers(0, 6) if draw(st.integers(0, 9)) == 0 else st.integers(1, 6))):
        usual = draw(st.integers(0, 19)) > 0  # most rows are plausible, some are anything
        row = [draw(GOOD_CELLS[name.strip().upper()] if usual and name.strip().upper() in GOOD_CELLS else CELLS)
               for name in header]
        rows.append(row[: draw(st.integers(0, len(row)))] if draw(st.integers(0, 19)) == 0 else row)
    return [header, *rows] if draw(st.integers(0, 19)) else rows


def _outcome(path: Path) -> None:
    """Reading gives a Roster or a one-line SheetError; a Roster ingests into a registry that
    saves and loads back (or a one-line IcestatusError), never anything else."""
    try:
        sheet = read_sheet(path)
    except SheetError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(path)), str(exc)
        return
    try:
        result = ingest_sheets(empty_registry(), [sheet])
    except IcestatusError as exc:
        assert "\n" not in str(exc)
        return
    assert parse_registry(dump_registry(result.registry), path) == result.registry


@FUZZ
@given(data=st.data(), as_text=st.booleans(), pending=st.booleans())
def test_fuzz_synthetic_sheets(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, as_text: bool,
                               pending: bool) -> None:
    grid = data.draw(grids(pending))
    folder = tmp_path_factory.mktemp("fuzz")
    name = "pendingAgencies05162025pm" if pending else NAME
    if as_text:
        path = folder / f"{name}.csv"
        out = io.StringIO()
        csv.writer(out).writerows([["" if c is None else str(c) for c in r] for r in grid])
        path.write_text(out.getvalue(), encoding="utf-8")
    else:
        links = data.draw(st.lists(st.sampled_from(LINKS), max_size=len(grid)))

        def link(ws: object) -> None:
            moa = next((i for i, c in enumerate(grid[0]) if c == "MOA"), None) if grid else None
            for row, target in enumerate(links, start=2):
                if moa is not None:
                    ws.cell(row=row, column=moa + 1).hyperlink = target  # type: ignore[attr-defined]

        path = xlsx(folder / f"{name}.xlsx",
                    [[ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in r] for r in grid], link)
    _outcome(path)


LINKS = ["https://x.example/a.pdf", "http://x.example/a.pdf", "javascript:alert(1)", "moa.pdf", "mailto:a@b.c",
         "https://gcc02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fx.example%2Fb%20c.pdf&data=1",
         "https://x.example/" + "a" * 2000]


@pytest.fixture(scope="module")
def seed_workbook(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    path = xlsx(tmp_path_factory.mktemp("seed") / f"{NAME}.xlsx",
                [HEADER, KERR, ["MAINE", "Wells Police Department", "Municipality", "#N/A", "Task Force Model",
                                "4/2/2025", "link"]],
                lambda ws: setattr(ws["G3"], "hyperlink", "https://x.example/wells.pdf"))
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


@FUZZ
@given(data=st.data())
def test_fuzz_damaged_workbook_parts(tmp_path_factory: pytest.TempPathFactory, seed_workbook: dict[str, bytes],
                                     data: st.DataObject) -> None:
    """Damage inside the XML of one part (not the zip around it): what reaches the XML readers."""
    parts = dict(seed_workbook)
    name = data.draw(st.sampled_from(sorted(parts)))
    xml = bytearray(parts[name])
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(xml)))
        op = data.draw(st.sampled_from(["cut", "insert", "overwrite", "truncate"]))
        if op == "cut":
            del xml[at: at + data.draw(st.integers(1, 30))]
        elif op == "insert":
            xml[at:at] = data.draw(st.sampled_from(
                [b"<", b">", b"</c>", b'<c r="B2" t="s"><v>99</v></c>', b"&", b"&lt;", b"<!DOCTYPE x>", b"\xff",
                 b'<hyperlink ref="G2" r:id="rId9"/>', b'r="ZZZZ9999999"', b"<v>1e308</v>", b'"']) | st.binary(max_size=6))
        elif op == "overwrite" and at < len(xml):
            xml[at] = data.draw(st.integers(0, 255))
        else:
            del xml[at:]
    parts[name] = bytes(xml)
    path = tmp_path_factory.mktemp("fuzz") / f"{NAME}.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for part, content in parts.items():
            z.writestr(part, content)
    _outcome(path)
