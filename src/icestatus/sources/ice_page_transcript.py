"""ICE's "Mutually Signed Agreements" table of 2011-2017, as transcribed from Wayback captures.

From 2010 to 2017 ICE's 287(g) page carried a table of the agencies with signed
agreements under a caption such as "Mutually Signed Agreements (71) as of 10/29/2010".
deportationdata/ice-287g transcribed the Wayback Machine's captures of it into one long
CSV (``pre2018-roster-long.csv``), one row per agreement per capture: ``snapshot_ts`` (the
capture), ``capture_date``, ``caption``, ``caption_n``, ``content_asof`` (the caption's "as
of" date, else the capture's), ``asof_basis``, ``state``, ``agency``, ``support_type``
(``Task Force`` or ``Jail Enforcement``), ``date_signed``, ``moa_file``.

``read_all`` turns the file into one participating ``Roster`` per capture, in file order,
each dated by its ``content_asof`` and each its own source (kind ``ice_page``, the
capture's title and address, the caption and the transcribing project in its note); its
``seen`` is the capture's day, so that a capture showing the same table as the one before
is evidence up to the day it was captured (``ingest``: identical publications). One
exception, said in the note: when a capture repeats the caption date of the capture
before it but its table differs, ICE changed the table without changing the caption's
date (2011-08-18 lists 69 agreements "as of 10/29/2010", 2011-02-20 listed 71 as of the
same day), so the caption's date is not this table's: it is dated by its capture.

The MOA column names a file (``r_287getowah100509.pdf``), not an address: it is kept as
the row's MOA text, and no address is made up for it.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from pathlib import Path
from typing import Unpack

from icestatus.enums import Model, SheetKind, SourceKind
from icestatus.errors import SheetError
from icestatus.names import normalize_name
from icestatus.sources import ICE_PUBLISHER, ReadOptions, Roster, RosterRow
from icestatus.sources.ice_page_table import WAYBACK, capture_source_id, capture_time, capture_title
from icestatus.sources.xlsx import max_bytes_from_env, read_bytes
from icestatus.states import code_for_sheet_name

COLUMNS = (
    "snapshot_ts", "capture_date", "caption", "caption_n", "content_asof", "asof_basis",
    "state", "agency", "support_type", "date_signed", "moa_file",
)
TRANSCRIBER = "deportationdata/ice-287g"
# The fact sheet the table was on: it moved at the start of 2015.
PAGE_2011_2014 = "http://www.ice.gov/news/library/factsheets/287g.htm"
PAGE_2015_2017 = "http://www.ice.gov/factsheets/287g"


def capture_url(stamp: str) -> str:
    """The Wayback address of the capture *stamp* of ICE's fact sheet."""
    page = PAGE_2011_2014 if stamp[:4] < "2015" else PAGE_2015_2017
    return f"{WAYBACK}{stamp}/{page}"

# The table's model labels: it had two models (the Warrant Service Officer came in 2019).
_MODELS: dict[str, Model] = {
    "JAIL ENFORCEMENT": Model.jail_enforcement,
    "JAIL ENFORCEMENT MODEL": Model.jail_enforcement,
    "TASK FORCE": Model.task_force,
    "TASK FORCE MODEL": Model.task_force,
}


def accepts(path: Path) -> bool:
    """A CSV whose header is the transcription's (``snapshot_ts,capture_date,caption,...``)."""
    if path.suffix.lower() != ".csv":
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(200)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"snapshot_ts,capture_date,caption,")


def read(path: Path, **options: Unpack[ReadOptions]) -> Roster:
    """The one capture *path* holds; SheetError when it holds several (use ``read_all``)."""
    rosters = read_all(path, **options)
    if len(rosters) != 1:
        raise SheetError(f"{path}: holds {len(rosters)} captures, not one: read it with read_all")
    return rosters[0]


def read_all(path: Path, **options: Unpack[ReadOptions]) -> list[Roster]:
    """One participating roster per capture (``snapshot_ts``), in the file's order."""
    if options.get("kind") not in (None, SheetKind.participating):
        raise SheetError(f"{path}: ICE's page table lists participating agencies only")
    if options.get("published") is not None:
        raise SheetError(f"{path}: each capture is dated by its own caption; --published does not apply")
    limit = options.get("max_bytes") or max_bytes_from_env()
    try:
        text = read_bytes(path, limit).decode("utf-8-sig")
        records = list(csv.reader(io.StringIO(text, newline="")))
    except UnicodeDecodeError:
        raise SheetError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise SheetError(f"{path}: not a readable CSV file: {exc}") from None
    if not records or tuple(records[0]) != COLUMNS:
        raise SheetError(f"{path}: not the 2011-2017 transcription (columns {', '.join(COLUMNS)})")
    captures: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, values in enumerate(records[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(COLUMNS):
            raise SheetError(f"{path}: row {number}: {len(values)} fields, not {len(COLUMNS)}")
        record = dict(zip(COLUMNS, (v.strip() for v in values), strict=True))
        captures.setdefault(record["snapshot_ts"], []).append((number, record))
    rosters: list[Roster] = []
    previous: tuple[date, frozenset[tuple[str, str, Model, date | None]]] | None = None
    for stamp, rows in captures.items():
        roster = _capture(path, stamp, rows, previous)
        rosters.append(roster)
        previous = (_field_date(path, rows[0], "content_asof"), _content(roster))
    return rosters


def _content(roster: Roster) -> frozenset[tuple[str, str, Model, date | None]]:
    return frozenset((r.state, normalize_name(r.agency), r.model, r.signed) for r in roster.rows)


def _error(path: Path, number: int, column: str, problem: str) -> SheetError:
    return SheetError(f"{path}: row {number}, column {column}: {problem}")


def _field_date(path: Path, row: tuple[int, dict[str, str]], column: str) -> date:
    number, record = row
    try:
        return date.fromisoformat(record[column])
    except ValueError:
        raise _error(path, number, column, f"{record[column]!r} is not a date (YYYY-MM-DD)") from None


def _capture(
    path: Path, stamp: str, rows: list[tuple[int, dict[str, str]]],
    previous: tuple[date, frozenset[tuple[str, str, Model, date | None]]] | None,
) -> Roster:
    first_number, first = rows[0]
    try:
        when = capture_time(stamp)
    except ValueError:
        raise _error(path, first_number, "snapshot_ts", f"{stamp!r} is not a Wayback capture time") from None
    asof = _field_date(path, rows[0], "content_asof")
    warnings: list[str] = []
    typed = tuple(_row(path, number, record, warnings) for number, record in rows)
    caption = first["caption"]
    note = (
        f"ICE's \"Mutually Signed Agreements\" table as the Wayback Machine captured it at "
        f"{when:%Y-%m-%d %H:%M:%S} UTC, transcribed by {TRANSCRIBER} (data/pre2018-roster-long.csv). "
        + (f"Caption: \"{caption}\". " if caption else "No caption. ")
    )
    if first["caption_n"] and first["caption_n"] != str(len(typed)):
        note += f"The caption's count ({first['caption_n']}) differs from the {len(typed)} rows of the table. "
    published = asof
    content = frozenset((r.state, normalize_name(r.agency), r.model, r.signed) for r in typed)
    if previous is not None and previous[0] == asof and previous[1] != content:
        published = when.date()
        note += (
            f"Dated by the capture ({published}), not by the caption's date {asof}: the capture before "
            "gave the same date for another table."
        )
    elif first["asof_basis"] != "on-page caption":
        note += f"Dated by the capture ({first['asof_basis']})."
    else:
        note += f"Dated by the caption's date, {asof}."
    digest = hashlib.sha1(
        "\n".join(",".join(record.values()) for _, record in rows).encode("utf-8")
    ).hexdigest()
    return Roster(
        path=path, kind=SheetKind.participating, published=published, half=None, sha1=digest,
        rows=typed, warnings=tuple(warnings), source_kind=SourceKind.ice_page,
        publisher=ICE_PUBLISHER, title=capture_title(when), id_prefix="ice-page",
        url=capture_url(stamp), note=note.strip(),
        source_id=capture_source_id(stamp), seen=when.date() if when.date() > published else None,
    )


def _row(path: Path, number: int, record: dict[str, str], warnings: list[str]) -> RosterRow:
    state_text = record["state"]
    code = code_for_sheet_name(state_text)
    if code is None and state_text.rstrip("*") != state_text:
        # DELAWARE**: the table footnoted Delaware's agreement.
        code = code_for_sheet_name(state_text.rstrip("*"))
        if code is not None:
            warnings.append(f"{path}: row {number}, column state: read {state_text!r} as {code}")
    if code is None:
        raise _error(path, number, "state", f"{state_text!r} is not a US state")
    agency = record["agency"]
    if not normalize_name(agency):
        raise _error(path, number, "agency", f"{agency!r} is not an agency name")
    model = _MODELS.get(" ".join(record["support_type"].split()).upper())
    if model is None:
        raise _error(path, number, "support_type", f"unknown model {record['support_type']!r} "
                     "(expected Task Force or Jail Enforcement)")
    signed = _field_date(path, (number, record), "date_signed") if record["date_signed"] else None
    return RosterRow(
        row=number, state=code, agency=agency, type=None, county=None, model=model, signed=signed,
        moa=record["moa_file"] or None, moa_url=None,
    )
