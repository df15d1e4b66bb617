"""ICE's 287(g) web page before the spreadsheets (issue 14): the readers of the 2021-2025
table captures and of the 2011-2017 transcription, on small files the tests write; then,
on the real captures in ../shared/data/history, the bundled registry reproduces every
capture and answers the questions researchers ask about 2010-2025."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ice_data import shared_history_dir
from icestatus.cli import app
from icestatus.enums import EventKind, Model, SheetKind, SourceKind, Status
from icestatus.errors import SheetError
from icestatus.ingest import ingest_sheets
from icestatus.models import Registry
from icestatus.names import normalize_name
from icestatus.registry import bundled_registry_path, empty_registry, load_registry
from icestatus.replay import replay
from icestatus.sources import Roster, ice_page_table, ice_page_transcript, read_rosters, reader_for
from test_sheets import write_xlsx

D = dt.date.fromisoformat
HEADER = ["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED", "MOA"]
WB = "https://web.archive.org/web/20210113002027/"


# ---------------------------------------------------------------- the 2021-2025 table


def table(tmp_path: Path, stamp: str, rows: list[list[object]]) -> Path:
    return write_xlsx(tmp_path / f"ParticipatingEntities-{stamp}.xlsx", [HEADER, *rows])


def test_table_capture_is_a_dated_source_of_its_own(tmp_path: Path) -> None:
    path = table(tmp_path, "20210113002027", [
        ["ALABAMA", "Etowah County Sheriff's Office", "Jail Enforcement Model", "2016-06-08",
         WB + "https://www.ice.gov/doclib/287gMOA/287gJEM_EtowahCoAl2016-06-18.pdf"],
        ["ALASKA", "Kodiak Police Department", "Warrant Service Officer", "2020-07-20", "link"],
    ])
    assert reader_for(path) is ice_page_table
    (roster,) = read_rosters(path)
    assert roster.kind is SheetKind.participating
    assert roster.published == D("2021-01-13")
    assert roster.source_kind is SourceKind.ice_page
    assert roster.title == "ICE 287(g) page, Wayback capture 2021-01-13 00:20:27 UTC"
    assert roster.url == "https://web.archive.org/web/20210113002027/https://www.ice.gov/identify-and-arrest/287g"
    assert roster.source_id == "wayback-20210113002027"
    assert roster.note is not None and "RelevantResearch/287g-DetentionData" in roster.note
    etowah, kodiak = roster.rows
    assert (etowah.state, etowah.model, etowah.signed, etowah.type) == (
        "AL", Model.jail_enforcement, D("2016-06-08"), None)
    # the Wayback prefix is stripped: the same document has the same address as in ICE's sheets
    assert etowah.moa_url == "https://www.ice.gov/doclib/287gMOA/287gJEM_EtowahCoAl2016-06-18.pdf"
    assert kodiak.moa_url is None


def test_table_capture_uses_the_manifest_beside_it(tmp_path: Path) -> None:
    path = table(tmp_path, "20240201150058", [["TEXAS", "Harris County Sheriff's Office",
                                               "Jail Enforcement Model", "2020-06-05", ""]])
    page = "https://web.archive.org/web/20240201150058/https://www.ice.gov/identify-and-arrest/287g-x"
    with (tmp_path / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["path", "page", "origin"], [path.name, page, "someone@abc:file.xlsx"]])
    roster = read_rosters(path)[0]
    assert roster.url == page
    assert roster.note is not None and "someone@abc:file.xlsx" in roster.note


def test_table_capture_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    bad = table(tmp_path, "20210113002027", [["ATLANTIS", "X Police Department", "Task Force Model", "", ""]])
    with pytest.raises(SheetError, match=r"row 2, column STATE: 'ATLANTIS' is not a US state"):
        read_rosters(bad)
    odd = write_xlsx(tmp_path / "ParticipatingEntities-20219999999999.xlsx", [HEADER])
    with pytest.raises(SheetError, match="not a Wayback capture time"):
        read_rosters(odd)
    with pytest.raises(SheetError, match="participating agencies only"):
        read_rosters(table(tmp_path, "20210116022328", []), kind=SheetKind.pending)


def test_strip_wayback() -> None:
    assert ice_page_table.strip_wayback(WB + "https://www.ice.gov/a.pdf") == "https://www.ice.gov/a.pdf"
    assert ice_page_table.strip_wayback(
        "https://web.archive.org/web/20210113002027id_/http://www.ice.gov/a.pdf") == "http://www.ice.gov/a.pdf"
    assert ice_page_table.strip_wayback("https://www.ice.gov/a.pdf") == "https://www.ice.gov/a.pdf"


# ---------------------------------------------------------------- the 2011-2017 transcription


def transcript(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "captures.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([list(ice_page_transcript.COLUMNS), *rows])
    return path


def capture_rows(stamp: str, caption: str, n: str, asof: str, basis: str,
                 agencies: list[tuple[str, str, str, str]]) -> list[list[str]]:
    day = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"
    return [[stamp, day, caption, n, asof, basis, state, agency, model, signed, "r_287g.pdf"]
            for state, agency, model, signed in agencies]


CAPTION = "Mutually Signed Agreements (2) as of 10/29/2010"
TWO = [("ARIZONA", "Maricopa County Sheriff's Office", "Jail Enforcement", "2007-02-07"),
       ("DELAWARE**", "Delaware Department of Correction", "Task Force", "2009-10-15")]


def test_transcript_is_one_roster_per_capture(tmp_path: Path) -> None:
    path = transcript(tmp_path, [
        *capture_rows("20110220090259", CAPTION, "2", "2010-10-29", "on-page caption", TWO),
        # the same caption date over another table: dated by the capture
        *capture_rows("20110818151202", CAPTION, "2", "2010-10-29", "on-page caption", TWO[:1]),
        *capture_rows("20150106221351", CAPTION, "", "2015-01-06", "capture date (caption stale)", TWO[:1]),
    ])
    assert reader_for(path) is ice_page_transcript
    first, second, third = read_rosters(path)
    assert [r.published for r in (first, second, third)] == [D("2010-10-29"), D("2011-08-18"), D("2015-01-06")]
    assert first.title == "ICE 287(g) page, Wayback capture 2011-02-20 09:02:59 UTC"
    assert first.url == "https://web.archive.org/web/20110220090259/http://www.ice.gov/news/library/factsheets/287g.htm"
    assert third.url == "https://web.archive.org/web/20150106221351/http://www.ice.gov/factsheets/287g"
    assert first.source_kind is SourceKind.ice_page and first.source_id == "wayback-20110220090259"
    assert first.note is not None and CAPTION in first.note and "deportationdata/ice-287g" in first.note
    assert second.note is not None and "Dated by the capture (2011-08-18)" in second.note
    assert second.note is not None and "count (2) differs from the 1 rows" in second.note
    maricopa, delaware = first.rows
    assert (maricopa.state, maricopa.model, maricopa.signed) == ("AZ", Model.jail_enforcement, D("2007-02-07"))
    assert (delaware.state, delaware.model) == ("DE", Model.task_force)
    assert maricopa.moa == "r_287g.pdf" and maricopa.moa_url is None  # a file name, not an address
    assert any("read 'DELAWARE**' as DE" in w for w in first.warnings)


def test_transcript_refuses_bad_rows(tmp_path: Path) -> None:
    bad_model = capture_rows("20110220090259", CAPTION, "1", "2010-10-29", "on-page caption",
                             [("ARIZONA", "Maricopa County Sheriff's Office", "Warrant Service", "2007-02-07")])
    with pytest.raises(SheetError, match=r"row 2, column support_type: unknown model 'Warrant Service'"):
        read_rosters(transcript(tmp_path, bad_model))
    bad_date = capture_rows("20110220090259", CAPTION, "1", "2010-10-29", "on-page caption",
                            [("ARIZONA", "Maricopa County Sheriff's Office", "Task Force", "02/07/2007")])
    with pytest.raises(SheetError, match=r"row 2, column date_signed: '02/07/2007' is not a date"):
        read_rosters(transcript(tmp_path, bad_date))
    other = tmp_path / "other.csv"
    other.write_text("snapshot_ts,capture_date,caption,x\n1,2,3,4\n", encoding="utf-8")
    with pytest.raises(SheetError, match="not the 2011-2017 transcription"):
        read_rosters(other)


def test_captures_go_through_the_rules_of_ices_sheets(tmp_path: Path) -> None:
    """Signed dated by SIGNED; a disappearance is delisted within the window last capture
    listing it .. first capture without it; a gap between captures is that window."""
    path = transcript(tmp_path, [
        *capture_rows("20110220090259", CAPTION, "2", "2010-10-29", "on-page caption", TWO),
        *capture_rows("20170801021304", "", "", "2017-08-01", "capture date (caption stale)", TWO[:1]),
    ])
    later = table(tmp_path, "20210113002027", [
        ["ARIZONA", "Maricopa County Sheriffs Office", "Jail Enforcement Model", "2007-02-07", ""],
        ["TEXAS", "Harris County Sheriff's Office", "Jail Enforcement Model", "2019-07-01", ""],
    ])
    reg = ingest_sheets(empty_registry(), [*read_rosters(path), *read_rosters(later)]).registry
    events = {(e.department_id, e.kind): e for e in reg.events}
    signed = events[("az-maricopa-county-sheriffs-office", EventKind.signed)]
    assert signed.date == D("2007-02-07") and signed.sources == ("wayback-20110220090259",)
    ended = events[("de-delaware-department-of-correction", EventKind.delisted)]
    assert (ended.not_before, ended.date) == (D("2010-10-29"), D("2017-08-01"))
    harris = events[("tx-harris-county-sheriffs-office", EventKind.signed)]
    assert harris.date == D("2019-07-01")  # SIGNED, inside the gap: later than the last capture before
    assert {d.id for d in reg.departments} == {
        "az-maricopa-county-sheriffs-office", "de-delaware-department-of-correction", "tx-harris-county-sheriffs-office"}
    src = {s.id: s for s in reg.sources}["wayback-20210113002027"]
    assert src.kind is SourceKind.ice_page and src.url is not None and src.url.startswith("https://web.archive.org/")


def test_a_later_signing_date_is_a_renewal_an_earlier_one_a_correction(tmp_path: Path) -> None:
    """A SIGNED that changed to a date after the last list showing the old one is a new
    signing on that date (a renewed MOA); one that changed to an earlier date is ICE
    correcting its list, known to the window between the two lists."""
    before = [("TEXAS", "Harris County Sheriff's Office", "Jail Enforcement", "2008-07-20"),
              ("ARIZONA", "Pinal County Sheriff's Office", "Jail Enforcement", "2008-03-10")]
    after = [("TEXAS", "Harris County Sheriff's Office", "Jail Enforcement", "2013-11-04"),
             ("ARIZONA", "Pinal County Sheriff's Office", "Jail Enforcement", "2012-06-01")]
    path = transcript(tmp_path, [
        *capture_rows("20130118070325", CAPTION, "2", "2012-10-16", "on-page caption", before),
        *capture_rows("20140910162129", CAPTION, "2", "2014-08-13", "on-page caption", after),
    ])
    reg = ingest_sheets(empty_registry(), read_rosters(path)).registry
    harris = [(e.kind, e.date, e.not_before, e.signed) for e in reg.events if e.department_id.startswith("tx-")]
    assert harris == [(EventKind.signed, D("2008-07-20"), None, None), (EventKind.signed, D("2013-11-04"), None, None)]
    pinal = [(e.kind, e.date, e.not_before, e.signed) for e in reg.events if e.department_id.startswith("az-")]
    assert pinal == [(EventKind.signed, D("2008-03-10"), None, None),
                     (EventKind.corrected, D("2014-08-13"), D("2012-10-16"), D("2012-06-01"))]
    states = {a.department.state: a for a in replay(reg, D("2014-08-13"))}
    assert (states["TX"].since, states["TX"].signed) == (D("2013-11-04"), D("2013-11-04"))
    assert states["AZ"].signed == D("2012-06-01")


def test_ingest_takes_captures_like_sheets(tmp_path: Path) -> None:
    """`icestatus ingest` reads the transcription (every capture in it) and the table
    captures; a capture that drops most of the agreements before it is not held as a
    suspect sheet would be: ICE's page showed that table."""
    many = [("ARIZONA", f"Town {i} Police Department", "Task Force", "2009-01-01") for i in range(12)]
    path = transcript(tmp_path, [
        *capture_rows("20110220090259", CAPTION, "12", "2010-10-29", "on-page caption", many),
        *capture_rows("20130402163405", CAPTION, "1", "2012-12-31", "on-page caption", many[:1]),
    ])
    later = table(tmp_path, "20210113002027", [
        ["ARIZONA", "Town 0 Police Department", "Task Force Model", "2009-01-01", ""]])
    reg = tmp_path / "r.json"
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(reg)]).exit_code == 0
    result = runner.invoke(app, ["ingest", str(path), str(later), "-r", str(reg)])
    assert result.exit_code == 0, result.stderr
    assert "captures.csv: 11 ended (wayback-20130402163405)" in result.stderr
    assert "suspect" not in result.stderr
    out = json.loads(runner.invoke(app, ["as-of", "2013-01-01", "-r", str(reg), "-f", "json"]).stdout)
    assert [r["department"] for r in out] == ["Town 0 Police Department"]
    sources = {s.id for s in load_registry(reg).sources}
    assert {"wayback-20110220090259", "wayback-20130402163405", "wayback-20210113002027"} <= sources


# ---------------------------------------------------------------- the real captures


def _history_rosters(root: Path) -> list[Roster]:
    rosters = read_rosters(root / "ice-page-2007-2017" / "ice-page-captures-2011-2017.csv")
    tables = root / "ice-page-2021-2025"
    with (tables / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rosters.extend(read_rosters(tables / row["path"]))
    return rosters


def _stamps() -> list[str]:
    root = shared_history_dir()
    if not (root / "ice-page-2021-2025" / "manifest.csv").is_file():
        return ["absent"]
    with (root / "ice-page-2007-2017" / "ice-page-captures-2011-2017.csv").open(encoding="utf-8") as fh:
        stamps = list(dict.fromkeys(row["snapshot_ts"] for row in csv.DictReader(fh)))
    with (root / "ice-page-2021-2025" / "manifest.csv").open(encoding="utf-8") as fh:
        stamps += [row["capture_utc"] for row in csv.DictReader(fh)]
    return stamps


@pytest.fixture(scope="module")
def history(history_dir: Path) -> dict[str, Roster]:
    return {r.source_id or "": r for r in _history_rosters(history_dir)}


@pytest.fixture(scope="module")
def bundled() -> Registry:
    return load_registry(bundled_registry_path())


def _find(registry: Registry) -> dict[tuple[str, str], str]:
    index: dict[tuple[str, str], str] = {}
    for dept in registry.departments:
        for name in (dept.name, *dept.aliases):
            assert index.setdefault((dept.state, normalize_name(name)), dept.id) == dept.id
    return index


def in_force(registry: Registry, day: dt.date) -> set[tuple[str, Model]]:
    return {(a.department.id, a.model) for a in replay(registry, day) if a.status is not Status.pending}


# The differences the captures force (README, "Captures, windows and gaps"): two captures of
# one UTC day with different tables; the later wins the day, the earlier is the day before's.
SAME_DAY = {"wayback-20210520001512": "wayback-20210520205155"}
# Captures not dated by their caption's "as of" date: the caption repeats the date of the
# capture before, whose table differs (ICE changed the table, not its date).
DATED_BY_CAPTURE = {"wayback-20110818151202"}


@pytest.mark.shared
@pytest.mark.parametrize("stamp", _stamps())
def test_as_of_each_capture_lists_exactly_its_agreements(
    stamp: str, history: dict[str, Roster], bundled: Registry
) -> None:
    """0 rows off: `as-of <the capture's date>` is the capture's table (same agencies under
    any of their names, same models), on the bundled registry."""
    roster = history[f"wayback-{stamp}"]
    index = _find(bundled)
    listed = {(index[(r.state, normalize_name(r.agency))], r.model) for r in roster.rows}
    day = roster.published
    if roster.source_id in SAME_DAY:
        later = history[SAME_DAY[roster.source_id]]
        assert later.published == day and {(r.agency, r.model) for r in later.rows} != {
            (r.agency, r.model) for r in roster.rows}
        day -= dt.timedelta(days=1)  # the capture before it on its own day showed the same table
    assert in_force(bundled, day) == listed
    if roster.source_id in DATED_BY_CAPTURE:
        assert roster.note is not None and "Dated by the capture" in roster.note
    elif roster.path.suffix == ".csv":
        with roster.path.open(encoding="utf-8") as fh:
            asof = next(row["content_asof"] for row in csv.DictReader(fh) if row["snapshot_ts"] == stamp)
        assert roster.published == D(asof)
    else:
        assert roster.published == dt.datetime.strptime(stamp[:8], "%Y%m%d").date()


@pytest.mark.shared
def test_every_capture_is_a_cited_source(history: dict[str, Roster], bundled: Registry) -> None:
    sources = {s.id: s for s in bundled.sources}
    for sid, roster in history.items():
        src = sources[sid]
        assert src.kind is SourceKind.ice_page and src.url == roster.url and src.title == roster.title
        assert src.url is not None and src.url.startswith(f"https://web.archive.org/web/{sid[8:]}/")
    assert len(history) == 66
    # every event of 2010-10-29..2025-02-19 that a capture shows cites a capture
    cited = [e for e in bundled.events if any(s.startswith("wayback-") for s in e.sources)]
    assert Counter(e.kind for e in cited)[EventKind.signed] > 200


@pytest.mark.shared
def test_history_of_harris_county_texas(history_dir: Path) -> None:
    result = CliRunner().invoke(app, ["history", "Harris County", "--state", "TX", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["department"]["id"] == "tx-harris-county-sheriffs-office"
    events = doc["events"]
    first = events[0]
    assert first["kind"] == "signed" and first["model"] == "jail_enforcement"
    assert first["source"] == "wayback-20110220090259"
    (src,) = first["sources"]
    assert src["url"].startswith("https://web.archive.org/web/20110220090259/")
    assert "2011-02-20 09:02:59 UTC" in src["title"]
    assert all(e["sources"] for e in events)


@pytest.mark.shared
def test_history_of_maricopa(history_dir: Path) -> None:
    result = CliRunner().invoke(app, ["history", "maricopa", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["department"]["state"] == "AZ"
    signed, ended = doc["events"]
    # the jail agreement of 2007-02-07, on the first capture; gone from the table "as of
    # 09/02/2011", within the window since the capture of 2011-08-18 that still listed it
    assert (signed["kind"], signed["model"], signed["date"]) == ("signed", "jail_enforcement", "2007-02-07")
    assert signed["source"] == "wayback-20110220090259"
    assert (ended["kind"], ended["not_before"], ended["date"]) == ("delisted", "2011-08-18", "2011-09-02")
    assert ended["source"] == "wayback-20120120154424"
    assert ended["sources"][0]["url"].startswith("https://web.archive.org/web/20120120154424/")


@pytest.mark.shared
def test_trend_from_2011(history_dir: Path, bundled: Registry, history: dict[str, Roster]) -> None:
    result = CliRunner().invoke(app, ["trend", "--from", "2011-01-01", "--to", "2026-05-18", "--every", "month",
                                      "-f", "json"])
    assert result.exit_code == 0, result.stderr
    rows = {r["date"]: r for r in json.loads(result.stdout)}
    # the first point is the capture of 2010-10-29 less what ended by 2011-01-01 (nothing did)
    assert rows["2011-01-01"]["in_force"] == len(history["wayback-20110220090259"].rows)
    for day, row in rows.items():
        assert row["in_force"] == len(in_force(bundled, D(day))), day
    assert rows["2024-12-01"]["in_force"] == len(history["wayback-20240630044634"].rows) == 135


# ---------------------------------------------------------------- the gap of 2017-08-01..2021-01-13


@pytest.mark.shared
def test_as_of_in_the_gap_says_so_and_ends_nothing(
    history_dir: Path, bundled: Registry, history: dict[str, Roster]
) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["as-of", "2019-06-01", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    gap = "falls in a 1,261-day gap between ICE's participating lists of 2017-08-01 and 2021-01-13"
    assert gap in result.stderr
    rows = json.loads(result.stdout)
    assert {r["gap"] for r in rows} == {"2017-08-01..2021-01-13"}
    # what the last capture before the gap listed, resting on it ...
    index = _find(bundled)
    before = {(index[(r.state, normalize_name(r.agency))], r.model.value)
              for r in history["wayback-20170801021304"].rows}
    on_capture = {(r["department_id"], r["model"]) for r in rows if r["listed_on"] == "2017-08-01"}
    assert on_capture == before  # nothing is claimed to have ended in the gap
    # ... and what a later list dates inside the gap (by its SIGNED), known from that list
    later = [r for r in rows if r["listed_on"] is None]
    assert later and all(r["known_from"] == "2021-01-13" and r["signed"] <= "2019-06-01" for r in later)
    assert len(rows) == len(before) + len(later)
    # the table says it too, under the table
    table = runner.invoke(app, ["as-of", "2019-06-01", "--state", "TX"], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    assert "2019-06-01 " + gap in " ".join(table.stdout.split())
    # a date on a capture is in no gap
    rows = json.loads(runner.invoke(app, ["as-of", "2017-08-01", "-f", "json"]).stdout)
    assert {r["gap"] for r in rows} == {None} and {r["listed_on"] for r in rows} == {"2017-08-01"}


@pytest.mark.shared
def test_trend_draws_the_gap_as_a_gap(history_dir: Path) -> None:
    runner = CliRunner()
    rows = json.loads(runner.invoke(app, ["trend", "--from", "2016-01-01", "--to", "2022-01-01", "--every", "month",
                                          "-f", "json"]).stdout)
    in_gap = [r["date"] for r in rows if "2017-08-01" < r["date"] < "2021-01-13"]
    assert in_gap[0] == "2017-09-01" and in_gap[-1] == "2021-01-01"
    assert {r["coverage"] for r in rows if r["date"] in in_gap} == {"gap"}
    table = runner.invoke(app, ["trend", "--from", "2016-01-01", "--to", "2022-01-01", "--every", "month"],
                          env={"COLUMNS": "80"}).stdout
    assert "Not drawn (╌ on the axis): 2017-08-01 to 2021-01-13, 1,261 days without a list of ICE's" in " ".join(
        table.split())
    axis = next(line for line in table.splitlines() if "└" in line)
    assert "╌" * 10 in axis  # the gap's columns, empty above a dashed axis


def test_chart_leaves_blank_columns_empty() -> None:
    from icestatus.output.views_reports import chart_lines

    days = [D("2017-01-01") + dt.timedelta(days=i) for i in range(4)]
    lines = chart_lines([8, 8, 8, 8], days, width=40, height=2, blank=[False, True, True, False])
    top, bottom, axis = lines[0][1], lines[1][1], lines[2][1]
    bar = len(axis) // 4
    assert bottom == "█" * bar + " " * 2 * bar + "█" * bar
    assert top.strip() == "" or top[bar:3 * bar].strip() == ""
    assert axis == "─" * bar + "╌" * 2 * bar + "─" * bar


@pytest.mark.shared
def test_coverage_gaps_are_those_of_the_captures(history_dir: Path, bundled: Registry) -> None:
    """Between 2021-01-13 and 2025-02-19 the registry's gaps (more than 14 days without a
    list) are exactly those of captures.csv's 658 captures; before, the 2017-2021 gap."""
    from icestatus.coverage import GAP_DAYS, Coverage

    with (history_dir / "ice-page-2021-2025" / "captures.csv").open(encoding="utf-8") as fh:
        days = [ice_page_table.capture_time(r["capture_utc"]).date() for r in csv.DictReader(fh)]
    want = [(a, b) for a, b in pairwise(days) if (b - a).days > GAP_DAYS]
    gaps = Coverage.of(bundled).gaps(SheetKind.participating)
    got = [(g.after.date, g.until.date) for g in gaps if days[0] <= g.after.date and g.until.date <= days[-1]]
    assert got == want == [(D("2023-06-22"), D("2023-07-14")), (D("2024-10-04"), D("2024-11-01"))]
    assert (D("2017-08-01"), D("2021-01-13")) in [(g.after.date, g.until.date) for g in gaps]
    # each capture kept without its file is evidence of the table it showed, nothing more
    unkept = [s for s in bundled.sources if s.kind is SourceKind.ice_page and s.sha1 is None]
    assert unkept and all(s.same_as and s.same_as.startswith("wayback-20") for s in unkept)
    assert not {s.id for s in unkept} & {sid for e in bundled.events for sid in e.sources}


@pytest.mark.shared
def test_wide_tables_cite_the_capture(history_dir: Path) -> None:
    out = CliRunner().invoke(app, ["as-of", "2013-01-01", "--state", "AZ"], env={"COLUMNS": "160"}).stdout
    assert "ICE page wayback-20110220090259" in out  # Arizona DOC's signing, on the first capture
