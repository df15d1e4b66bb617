"""``icestatus export``: the registry as one SQLite database, for SQL and Datasette.

Built with sqlite-utils (tables from rows, keys, foreign keys, indexes, full-text search)
into a temporary file beside PATH that is renamed into place when complete
(``registry.replacing``). Dates are ISO text (``2025-07-18``), booleans 0/1, lists link
tables (and, where a list is read whole, JSON text). The tables:

* ``agencies`` (``id``) and ``agency_aliases`` (``agency_id`` -> agencies): the agencies,
  with ``county_fips``; ``agencies_fts`` searches names and aliases.
* ``agreements`` (``agreement_id``): one row per agreement term (``icestatus
  agreements --ever``), its status on the date exported; ``agreement_sources``.
* ``events`` (``id``: the position in the log, the order replay applies them), with the
  ``agreement_id`` of the term it belongs to (None when replay ignored it);
  ``event_sources``.
* ``sources`` (``id``), ``policies`` (``id``) and ``policy_sources``.
* ``coverage`` (``sheet``): the first and last ICE sheet of each kind.
* ``export_info``: what was exported, from which registry, as of which date.

``metadata_for`` is the Datasette metadata (titles, descriptions, sources, licence).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from icestatus.agreements import TermOnDate
from icestatus.coverage import Answer
from icestatus.errors import IcestatusError
from icestatus.models import Registry
from icestatus.output.rows import TERM_COLUMNS, term_rows
from icestatus.sources import ICE_PAGE

INFO_TABLE = "export_info"

TABLE_DESCRIPTIONS: dict[str, str] = {
    "agencies": "Law-enforcement agencies named in ICE's 287(g) sheets or in a cited news fact; county as ICE "
                "prints it, county_fips the Census code the build derived from it (null when not known).",
    "agency_aliases": "Other spellings of an agency's name seen in the sources.",
    "agreements": "One row per agreement: agency x model x term, from its application (or signing) to its end "
                  "(withdrawn, terminated, delisted). status is where it stood at the end of the export's date.",
    "agreement_sources": "The sources of every event of an agreement.",
    "events": "The event log, in the order replay applies it: each a dated fact about one agreement. A date "
              "known only to a window has not_before (its start) and date (its end).",
    "event_sources": "The sources each event cites, in its order.",
    "sources": "ICE's sheets, news reports, press releases and records the facts cite.",
    "policies": "State policies on 287(g) agreements (bans, mandates), as sourced facts.",
    "policy_sources": "The sources each policy cites.",
    "coverage": "The first and last ICE sheet of each kind in the registry: dates outside them are known only "
                "from news facts.",
    INFO_TABLE: "What this database was exported from, as of which date, and what that rests on: listed_on "
                "(ICE's participating list on or before as_of), pending_listed_on, stale (as_of more than 7 days "
                "after ICE's latest list: changes since are known only from news), pending_unknown (why "
                "applications pending on as_of are not known; empty: they are).",
}

COLUMN_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "agreements": {
        "agreement_id": "department_id:model:term",
        "term": "1 for the agency's first agreement of this model, 2 for the next, ...",
        "as_of": "The date status is given for (the export's --on date)",
        "listed_on": "The date of ICE's sheet the status rests on: the last of its list (pending for an "
                     "application, else participating) on or before as_of",
        "known_from": "When known only from a later sheet's SIGNED date: that sheet's date (listed_on is null)",
        "pending_unknown": "Why applications pending on as_of are not known (null: they are); renewal_pending is "
                           "then null",
        "status": "active, paused, pending (an application), ended, not_started, or unlisted (between two "
                  "listings of one agreement) on as_of",
        "renewal_pending": "1: in force on as_of with an application of the same model pending (a renewal)",
        "signed": "The signing date as ICE printed it, after its corrections",
        "signed_not_before": "When the signing date is known only to a window: its start (signed is its end)",
        "ice_list": "Which of ICE's lists first_listed and last_listed refer to: participating, or pending "
                    "for an application never signed",
        "first_listed": "The first ICE sheet the log records listing it",
        "last_listed": "The last ICE sheet that listed it (ICE's sheets only, never a news fact)",
        "ended": "When it ended (window end when ended_not_before is set)",
        "ended_how": "withdrawn (an application never signed), terminated or delisted (ICE stopped listing it, "
                     "and did not list it again with the same signing date)",
        "events": "How many events of the log make up this agreement",
    },
    "agencies": {"county_fips": "5-digit Census county FIPS code (state + county)"},
}

LICENSE = ("ICE's sheets are works of the U.S. Government (public domain); each fact cites its sources, whose "
           "own terms apply to their text")
SOURCE = "U.S. Immigration and Customs Enforcement, 287(g) participating and pending agencies, plus cited news"
SOURCE_URL = ICE_PAGE


class ExportError(IcestatusError):
    """The database cannot be written where asked."""


def _json(items: Iterable[str]) -> str:
    return json.dumps(list(items), ensure_ascii=False)


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


TITLE = "icestatus: ICE 287(g) agreements"
SUFFIXES = (".db", ".sqlite", ".sqlite3")


def is_our_metadata(path: Path) -> bool:
    """Whether *path* is Datasette metadata this module wrote (so may be replaced)."""
    try:
        meta = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("title") == TITLE and meta.get("source_url") == SOURCE_URL


def is_export(path: Path) -> bool:
    """Whether *path* is a database this module wrote (so may be replaced)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        return con.execute("select 1 from sqlite_master where type = 'table' and name = ?",
                           (INFO_TABLE,)).fetchone() is not None
    except sqlite3.DatabaseError:
        return False
    finally:
        con.close()


def write_database(
    path: Path, registry: Registry, terms: Sequence[TermOnDate], on: dt.date, info: dict[str, str | None]
) -> dict[str, int]:
    """Write the database to *path* (atomically); the row count of every table."""
    from icestatus.registry import replacing

    try:
        with replacing(path) as tmp:
            counts = _fill(tmp, registry, terms, on, info)
    except (OSError, sqlite3.Error) as exc:
        raise ExportError(f"{path}: cannot write the database ({exc}); nothing was changed") from None
    return counts


def _fill(
    path: Path, registry: Registry, terms: Sequence[TermOnDate], on: dt.date, info: dict[str, str | None]
) -> dict[str, int]:
    import sqlite_utils

    db = sqlite_utils.Database(path)
    try:
        db.conn.execute("pragma journal_mode = off")  # one writer, a file renamed into place when complete
        db.conn.execute("pragma synchronous = off")   # fsynced once, by replacing
        with db.conn:
            _write_tables(db, registry, terms, on, info)
        db.table("agencies").enable_fts(["name", "aliases"], fts_version="FTS5", create_triggers=False)
        db.conn.execute("pragma foreign_keys = on")
        problems = db.conn.execute("pragma foreign_key_check").fetchall()
        if problems:  # cannot happen with a checked registry: refuse rather than write a broken file
            raise ExportError(f"{path}: foreign key check failed: {problems[:3]}")
        db.vacuum()
        return {name: db[name].count for name in db.table_names() if not name.startswith("agencies_fts")}
    finally:
        db.close()


def _write_tables(
    db: Any, registry: Registry, terms: Sequence[TermOnDate], on: dt.date, info: dict[str, str | None]
) -> None:
    _put(db, INFO_TABLE, ({"key": k, "value": v} for k, v in info.items()), pk="key",
         columns={"key": str, "value": str})
    _put(
        db, "sources",
        (
            {
                "id": s.id, "kind": s.kind.value, "title": s.title, "publisher": s.publisher, "url": s.url,
                "published": _date(s.published), "sheet": s.sheet.value if s.sheet else None, "half": s.half,
                "rows": s.rows, "same_as": s.same_as, "suspect": s.suspect, "sha1": s.sha1, "note": s.note,
            }
            for s in registry.sources
        ),
        pk="id", columns=_columns("id kind title publisher url published sheet half rows:int same_as "
                                           "suspect:bool sha1 note"),
        foreign_keys=[("same_as", "sources", "id")],
    )
    _put(
        db, "agencies",
        (
            {"id": d.id, "name": d.name, "state": d.state, "type": d.type, "county": d.county,
             "county_fips": d.county_fips, "aliases": _json(d.aliases)}
            for d in registry.departments
        ),
        pk="id", columns=_columns("id name state type county county_fips aliases"),
    )
    _put(
        db, "agency_aliases", ({"agency_id": d.id, "alias": a} for d in registry.departments for a in d.aliases),
        pk=("agency_id", "alias"), columns=_columns("agency_id alias"),
        foreign_keys=[("agency_id", "agencies", "id")],
    )
    from icestatus.coverage import Coverage, answer_on

    rows = term_rows(terms, answer_on(Coverage.of(registry), on), {s.id: s for s in registry.sources})
    agreement_columns = [c for c in TERM_COLUMNS if c != "sources"]
    _put(
        db, "agreements", ({c: r[c] for c in agreement_columns} for r in rows),
        pk="agreement_id", columns={**dict.fromkeys(agreement_columns, str),
                                    **_columns("term:int events:int renewal_pending:bool moa_pending:bool")},
        foreign_keys=[("department_id", "agencies", "id"), ("first_listed_source", "sources", "id"),
                      ("last_listed_source", "sources", "id")],
    )
    _put(
        db, "agreement_sources",
        ({"agreement_id": r["agreement_id"], "source_id": s} for r in rows for s in r["sources"]),
        pk=("agreement_id", "source_id"), columns=_columns("agreement_id source_id"),
        foreign_keys=[("agreement_id", "agreements", "agreement_id"), ("source_id", "sources", "id")],
    )
    term_of = {id(ev): r.term.id for r in terms for ev in r.term.events}  # the log's own event objects
    _put(
        db, "events",
        (
            {
                "id": i, "department_id": e.department_id, "model": e.model.value, "kind": e.kind.value,
                "date": e.date.isoformat(), "not_before": _date(e.not_before), "signed": _date(e.signed),
                "moa_url": e.moa_url, "moa_pending": e.moa_pending, "note": e.note,
                "agreement_id": term_of.get(id(e)), "sources": _json(e.sources),
            }
            for i, e in enumerate(registry.events)
        ),
        pk="id", columns=_columns("id:int department_id model kind date not_before signed moa_url "
                                  "moa_pending:bool note agreement_id sources"),
        foreign_keys=[("department_id", "agencies", "id"), ("agreement_id", "agreements", "agreement_id")],
    )
    _source_links(db, "event", "events", [e.sources for e in registry.events])
    _put(
        db, "policies",
        (
            {"id": i, "state": p.state, "kind": p.kind.value, "date": p.date.isoformat(),
             "not_before": _date(p.not_before), "summary": p.summary, "sources": _json(p.sources)}
            for i, p in enumerate(registry.policies)
        ),
        pk="id", columns=_columns("id:int state kind date not_before summary sources"),
    )
    _source_links(db, "policy", "policies", [p.sources for p in registry.policies])
    _put(
        db, "coverage",
        (
            {"sheet": kind.value, "first": c.first.isoformat(), "first_source": c.first_source,
             "last": c.last.isoformat(), "last_source": c.last_source}
            for kind, c in registry.coverage.items()
        ),
        pk="sheet", columns=_columns("sheet first first_source last last_source"),
        foreign_keys=[("first_source", "sources", "id"), ("last_source", "sources", "id")],
    )
    for table, columns in (
        ("agencies", ("state",)), ("agencies", ("county_fips",)),
        ("agreements", ("state", "model")), ("agreements", ("status",)), ("agreements", ("signed",)),
        ("agreements", ("ended",)), ("agreements", ("county_fips",)), ("agreements", ("department_id",)),
        ("events", ("date",)), ("events", ("department_id", "model")), ("events", ("agreement_id",)),
        ("events", ("kind",)), ("sources", ("published",)), ("policies", ("state",)),
        ("agency_aliases", ("agency_id",)), ("agreement_sources", ("source_id",)),
        ("event_sources", ("source_id",)), ("policy_sources", ("source_id",)),
    ):
        db[table].create_index(columns, if_not_exists=True)


def _put(
    db: Any, table: str, rows: Iterable[dict[str, Any]], *, pk: str | tuple[str, ...], columns: dict[str, type],
    foreign_keys: Sequence[tuple[str, str, str]] = (),
) -> None:
    """Create *table* with its whole schema (*columns*, in order; so an empty table exists
    too, e.g. the policies of a registry built by ``init`` and ``ingest``), then insert *rows*."""
    db[table].create(columns, pk=pk, foreign_keys=list(foreign_keys), if_not_exists=True)
    db[table].insert_all(rows)


def _source_links(db: Any, owner: str, table: str, cited: Sequence[Sequence[str]]) -> None:
    """``<owner>_sources``: (``<owner>_id``, position) -> source_id, for the records of
    *table* (by position) and the sources each cites (*cited*), in their order."""
    key = f"{owner}_id"
    _put(
        db, f"{owner}_sources",
        ({key: i, "position": n, "source_id": s} for i, sources in enumerate(cited) for n, s in enumerate(sources)),
        pk=(key, "position"), columns=_columns(f"{key}:int position:int source_id"),
        foreign_keys=[(key, table, "id"), ("source_id", "sources", "id")],
    )


_TYPES: dict[str, type] = {"int": int, "bool": bool, "": str}


def _columns(spec: str) -> dict[str, type]:
    """A table's columns in order: ``name`` (TEXT), ``name:int``, ``name:bool`` (0/1)."""
    return {name: _TYPES[kind] for name, _, kind in (word.partition(":") for word in spec.split())}


def export_facts(answer: Answer) -> dict[str, str | None]:
    """What an export as of ``answer.date`` rests on, for ``export_info``: the dates of the
    ICE lists its statuses rest on, whether they are stale, and why pending is unknown."""
    participating, pending = answer.participating.sheet, answer.pending.sheet
    return {
        "as_of": answer.date.isoformat(),
        "listed_on": participating.date.isoformat() if participating else None,
        "pending_listed_on": pending.date.isoformat() if pending else None,
        "stale": answer.participating.limit() if answer.participating.stale else None,
        "pending_unknown": answer.pending_unknown,
    }


def metadata_for(database: str, registry: Registry, answer: Answer) -> dict[str, Any]:
    """Datasette's metadata for the exported database named *database* (its file's stem),
    as of ``answer.date``: its description says what the statuses rest on and cannot say."""
    from icestatus.output.text import limit_lines, sheet_phrase

    tables: dict[str, Any] = {}
    for name, description in TABLE_DESCRIPTIONS.items():
        entry: dict[str, Any] = {"description": description}
        if name in COLUMN_DESCRIPTIONS:
            entry["columns"] = COLUMN_DESCRIPTIONS[name]
        tables[name] = entry
    tables["agencies"]["label_column"] = "name"
    tables["agencies"]["sort"] = "id"
    tables["agreements"]["sort"] = "agreement_id"
    tables["agreements"]["facets"] = ["state", "model", "status", "ended_how"]
    tables["events"]["facets"] = ["kind", "model"]
    tables["sources"]["label_column"] = "title"
    tables["agencies_fts"] = {"hidden": True}
    phrase = sheet_phrase(answer.participating)
    return {
        "title": TITLE,
        "description": (
            f"{registry.title}. Agreements as of {answer.date}" + (f" ({phrase})" if phrase else "")
            + ": which law-enforcement agencies take part in ICE's 287(g) program, on any date, and how each got "
            "there, from a dated and sourced event log. " + " ".join(limit_lines(answer.limits()))
        ).strip(),
        "license": LICENSE,
        "source": SOURCE,
        "source_url": SOURCE_URL,
        "databases": {database: {"tables": tables}},
    }
