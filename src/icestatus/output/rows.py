"""The row contract: what every command prints for scripts, one place for all of them.

Each command's answer becomes a list of flat objects (``*_rows``) with a fixed column
list (``*_COLUMNS``); JSON prints the objects, CSV the columns in that order. A command
whose answer is one document (``history``, ``stats --format json``) has a ``*_document``
here too. The README documents these columns; tests hold them to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from icestatus.enums import Model, StatsBy

if TYPE_CHECKING:
    from icestatus.agreements import TermOnDate
    from icestatus.coverage import Answer
    from icestatus.ingest import IngestResult
    from icestatus.match import Candidate
    from icestatus.models import Department, Event, Source
    from icestatus.query import Standing
    from icestatus.registry import Problem, RegistryInUse
    from icestatus.replay import AgreementState
    from icestatus.reports import Change, RegistryInfo, SourceUse, StateRow, Tally, TrendCover, TrendPoint
    from icestatus.update import UpdateResult

Row = dict[str, Any]


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


# ---------------------------------------------------------------- agencies and agreements (list, as-of)

AGENCY_COLUMNS = ("department_id", "department", "state", "type", "county")
AGREEMENT_COLUMNS = (
    *AGENCY_COLUMNS, "model", "status", "since", "since_not_before", "approximate", "signed",
    "event", "source", "sources", "moa_url", "moa_pending", "as_of", "listed_on", "known_from",
    "gap", "pending_unknown",
)


def agency_fields(dept: Department) -> Row:
    """The agency columns every row about an agreement starts with (AGENCY_COLUMNS)."""
    return {"department_id": dept.id, "department": dept.name, "state": dept.state,
            "type": dept.type, "county": dept.county}


def agreement_rows(states: Iterable[AgreementState], answer: Answer, sources: Mapping[str, Source]) -> list[Row]:
    """The JSON/CSV contract of ``list`` and ``as-of``: one object per agreement, each
    with what it rests on (``coverage.Answer``): the date asked, the ICE sheet its status
    rests on (or the later source it is known from) and why pending is unknown, if so."""
    pending_unknown = answer.pending_unknown
    gap = answer.participating.gap
    out = []
    for a in states:
        listed_on, known_from = answer.listed_on(a, sources)
        out.append({
            **agency_fields(a.department),
            "model": a.model.value,
            "status": a.status.value,
            "since": a.since.isoformat(),
            "since_not_before": _iso(a.since_not_before),
            "approximate": a.approximate,
            "signed": _iso(a.signed),
            "event": a.event.kind.value,
            "source": a.event.sources[0],
            "sources": list(a.event.sources),
            "moa_url": a.moa_url,
            "moa_pending": a.moa_pending,
            "as_of": answer.date.isoformat(),
            "listed_on": _iso(listed_on),
            "known_from": _iso(known_from),
            "gap": gap.window if gap is not None else None,
            "pending_unknown": pending_unknown,
        })
    return out


# ---------------------------------------------------------------- agreements (one row per term)

TERM_COLUMNS = (
    "agreement_id", *AGENCY_COLUMNS, "county_fips", "model", "term", "as_of", "listed_on", "known_from",
    "pending_unknown", "status", "renewal_pending", "applied", "applied_not_before", "signed", "signed_not_before",
    "ice_list", "first_listed", "first_listed_source", "last_listed", "last_listed_source", "ended",
    "ended_not_before", "ended_how",
    "moa_url", "moa_pending", "events", "sources",
)


def term_rows(rows: Iterable[TermOnDate], answer: Answer, sources: Mapping[str, Source]) -> list[Row]:
    """The JSON/CSV contract of ``agreements``: one object per agreement term
    (``icestatus.agreements``), with its status at the end of ``answer.date`` and what that
    rests on, as ``list`` gives it (``agreement_rows``): ``listed_on``, ``known_from`` and
    ``pending_unknown``; ``renewal_pending`` is None (unknown) where pending is. The other
    columns are the term's whole life: a signing or an end after the date is there too
    (its status says it had not happened yet)."""
    on = answer.date
    pending_unknown = answer.pending_unknown
    out = []
    for r in rows:
        t = r.term
        closing = t.closing
        listed_on, known_from = _term_basis(r, answer, sources)
        out.append({
            "agreement_id": t.id,
            **agency_fields(t.department),
            "county_fips": t.department.county_fips,
            "model": t.model.value,
            "term": t.number,
            "as_of": on.isoformat(),
            "listed_on": _iso(listed_on),
            "known_from": _iso(known_from),
            "pending_unknown": pending_unknown,
            "status": r.status.value,
            "renewal_pending": None if pending_unknown else r.renewal_pending,
            "applied": _iso(t.applied.date) if t.applied else None,
            "applied_not_before": _iso(t.applied.not_before) if t.applied else None,
            "signed": _iso(t.signed),
            "signed_not_before": _iso(t.signed_not_before),
            "ice_list": t.ice_list.value if t.ice_list else None,
            "first_listed": _iso(t.first_listed.date) if t.first_listed else None,
            "first_listed_source": t.first_listed.source if t.first_listed else None,
            "last_listed": _iso(t.last_listed.date) if t.last_listed else None,
            "last_listed_source": t.last_listed.source if t.last_listed else None,
            "ended": _iso(closing.date) if closing else None,
            "ended_not_before": _iso(closing.not_before) if closing else None,
            "ended_how": closing.kind.value if closing else None,
            "moa_url": t.moa_url,
            "moa_pending": t.moa_pending,
            "events": len(t.events),
            "sources": list(t.sources),
        })
    return out


def _term_basis(
    r: TermOnDate, answer: Answer, sources: Mapping[str, Source]
) -> tuple[dt.date | None, dt.date | None]:
    """(listed_on, known_from) of a term on ``answer.date``, as ``Answer.listed_on`` gives
    them for an agreement: the date of the ICE sheet its status rests on (the pending list
    for an application, else the participating list), or, when every source of the last
    event in effect by the date was published after it (known only from a later sheet's
    SIGNED date), None and the earliest of those dates."""
    from icestatus.enums import Status

    in_effect = [ev for ev in r.term.events if ev.date <= answer.date]
    if in_effect:
        dates = [src.published for sid in in_effect[-1].sources if (src := sources.get(sid)) is not None]
        if dates and all(d is not None and d > answer.date for d in dates):
            return None, min(d for d in dates if d is not None)
    sheet = answer.basis(Status.pending if r.status.value == Status.pending.value else Status.active).sheet
    return (sheet.date if sheet is not None else None), None


# ---------------------------------------------------------------- history (a document: JSON only)


def department_row(dept: Department) -> Row:
    return {
        "id": dept.id, "name": dept.name, "state": dept.state, "type": dept.type,
        "county": dept.county, "aliases": list(dept.aliases),
    }


def source_row(src: Source) -> Row:
    return src.model_dump(mode="json", exclude_none=True)


def event_row(ev: Event, sources: Mapping[str, Source]) -> Row:
    return {
        "date": ev.date.isoformat(),
        "not_before": _iso(ev.not_before),
        "kind": ev.kind.value,
        "model": ev.model.value,
        "source": ev.sources[0],
        "sources": [source_row(sources[s]) for s in ev.sources if s in sources],
        "note": ev.note,
        "signed": _iso(ev.signed),
        "moa_url": ev.moa_url,
    }


def standing_row(st: Standing, data_date: dt.date | None) -> Row:
    """Where one agency stands on a date: each agreement in force, pending or ended."""
    from icestatus.output.text import standing_text

    return {
        "date": st.date.isoformat(), "data_through": _iso(data_date), "status": st.status,
        "summary": standing_text(st),
        "agreements": [
            {"model": a.model.value, "status": a.status.value, "since": a.since.isoformat(),
             "since_not_before": _iso(a.since_not_before), "approximate": a.approximate,
             "event": a.event.kind.value, "source": a.event.sources[0]}
            for a in st.agreements
        ],
    }


def history_document(
    dept: Department, events: Iterable[Event], sources: Mapping[str, Source], also: Iterable[Department],
    standing: Standing | None = None, data_date: dt.date | None = None, limits: Sequence[str] = (),
) -> Row:
    """``history``'s JSON: the agency, where it stands (and what that cannot say:
    ``coverage.Answer.limits``), its events with their sources, close runners-up of the
    name asked."""
    doc: Row = {"department": department_row(dept)}
    if standing is not None:
        doc["standing"] = {**standing_row(standing, data_date), "limits": list(limits)}
    doc["events"] = [event_row(e, sources) for e in events]
    doc["also_matched"] = [department_row(d) for d in also]
    return doc


HISTORY_COLUMNS = (
    *AGENCY_COLUMNS, "date", "not_before", "event", "model", "source", "sources", "signed", "moa_url", "note",
)


def history_rows(dept: Department, events: Iterable[Event]) -> list[Row]:
    """``history --format csv``: one row per event, the agency's columns first."""
    return [
        {**agency_fields(dept), "date": e.date.isoformat(), "not_before": _iso(e.not_before),
         "event": e.kind.value, "model": e.model.value, "source": e.sources[0], "sources": list(e.sources),
         "signed": _iso(e.signed), "moa_url": e.moa_url, "note": e.note}
        for e in events
    ]


# ---------------------------------------------------------------- search

SEARCH_COLUMNS = ("rank", "score", *AGENCY_COLUMNS, "status", "standing", "matched", "aliases",
                  "as_of", "listed_on", "pending_unknown")


def search_rows(
    candidates: Sequence[Candidate], standings: Mapping[str, Standing], answer: Answer | None = None
) -> list[Row]:
    """The JSON/CSV contract of ``search``: one object per matching agency, best first,
    with the date of its status and what that rests on (``basis_fields``)."""
    basis = basis_fields(answer)
    from icestatus.output.text import standing_text

    out = []
    for rank, c in enumerate(candidates, 1):
        st = standings[c.department.id]
        out.append({
            "rank": rank, "score": round(c.score, 3), **agency_fields(c.department),
            "status": st.status, "standing": standing_text(st), "matched": c.spelling,
            "aliases": list(c.department.aliases), **basis,
        })
    return out


# ---------------------------------------------------------------- diff

DIFF_COLUMNS = (
    "change", *AGENCY_COLUMNS, "model", "date", "not_before", "approximate", "event", "source",
    "sources", "before", "after", "note",
)


def change_rows(changes: Iterable[Change]) -> list[Row]:
    """The JSON/CSV contract of ``diff``: one object per change."""
    return [
        {
            "change": c.kind.value,
            **agency_fields(c.department),
            "model": c.model.value,
            "date": c.event.date.isoformat(),
            "not_before": _iso(c.event.not_before),
            "approximate": c.approximate,
            "event": c.event.kind.value,
            "source": c.event.sources[0],
            "sources": list(c.event.sources),
            "before": c.before,
            "after": c.after,
            "note": c.event.note,
        }
        for c in changes
    ]


# ---------------------------------------------------------------- stats


def stats_columns(by: StatsBy) -> tuple[str, ...]:
    return (by.value, "agencies", "states", *(m.value for m in Model), "in_force", "paused", "pending",
            "as_of", "listed_on", "pending_unknown")


def stats_row(tally: Tally, by: StatsBy, answer: Answer | None = None) -> Row:
    """One group of ``stats`` (or its total): counts in the order of ``stats_columns``;
    ``pending`` is null when *answer* says the applications pending are not known."""
    unknown = answer.pending_unknown if answer is not None else None
    return {
        by.value: tally.group,
        "agencies": len(tally.agencies),
        "states": len(tally.states),
        **{m.value: tally.models[m] for m in Model},
        "in_force": tally.in_force,
        "paused": tally.paused,
        "pending": None if unknown else tally.pending,
        **basis_fields(answer),
    }


def basis_fields(answer: Answer | None) -> Row:
    """``as_of``, ``listed_on`` (ICE's participating sheet on or before it) and
    ``pending_unknown``: what a row of counts rests on."""
    if answer is None:
        return {"as_of": None, "listed_on": None, "pending_unknown": None}
    sheet = answer.participating.sheet
    return {"as_of": answer.date.isoformat(), "listed_on": _iso(sheet.date if sheet else None),
            "pending_unknown": answer.pending_unknown}


def stats_document(on: dt.date, by: StatsBy, rows: Sequence[Row], total: Tally, answer: Answer | None = None) -> Row:
    """``stats --format json``: the date, what it rests on and what it cannot say
    (``limits``: sentences, as the table's footer), the grouping, the rows and the total row."""
    return {"on": on.isoformat(), **basis_fields(answer), "limits": answer.limits() if answer else [],
            "by": by.value, "rows": list(rows), "total": stats_row(total, by, answer)}


# ---------------------------------------------------------------- trend

TREND_COLUMNS = ("date", "in_force", *(m.value for m in Model), "pending", "coverage")


def trend_rows(series: Iterable[TrendPoint], cover: Sequence[TrendCover]) -> list[Row]:
    """One row per point; ``pending`` is null where no pending list covers the point, and
    ``coverage`` says how ICE's participating lists cover it (``coverage.Standing``)."""
    return [
        {"date": p.date.isoformat(), "in_force": p.in_force,
         **{m.value: n for m, n in zip(Model, p.models, strict=True)},
         "pending": p.pending if c.pending_known else None, "coverage": c.standing.value}
        for p, c in zip(series, cover, strict=True)
    ]


# ---------------------------------------------------------------- states

STATE_COLUMNS = (
    "state", "name", "in_force", "paused", "agencies", "pending", "policy", "policy_summary",
    "policy_date", "policy_not_before", "policy_source", "policy_sources", "as_of", "listed_on", "pending_unknown",
)


def state_rows(rows: Iterable[StateRow], answer: Answer | None = None) -> list[Row]:
    """``states``' rows; ``pending`` is null when *answer* says pending is not known."""
    basis = basis_fields(answer)
    out = []
    for r in rows:
        p = r.policy
        out.append({
            "state": r.state, "name": r.name, "in_force": r.in_force, "paused": r.paused,
            "agencies": r.agencies, "pending": None if basis["pending_unknown"] else r.pending,
            "policy": p.kind.value if p else None,
            "policy_summary": p.summary if p else None,
            "policy_date": _iso(p.date) if p else None,
            "policy_not_before": _iso(p.not_before) if p else None,
            "policy_source": p.sources[0] if p else None,
            "policy_sources": list(p.sources) if p else [],
            **basis,
        })
    return out


# ---------------------------------------------------------------- sources

SOURCE_COLUMNS = (
    "id", "kind", "publisher", "title", "published", "url", "events", "policies",
    "first_event", "last_event",
)


def source_use_rows(usage: Iterable[SourceUse]) -> list[Row]:
    return [
        {
            "id": u.source.id, "kind": u.source.kind.value, "publisher": u.source.publisher,
            "title": u.source.title, "published": _iso(u.source.published), "url": u.source.url,
            "events": u.events, "policies": u.policies, "first_event": _iso(u.first_event),
            "last_event": _iso(u.last_event),
        }
        for u in usage
    ]


# ---------------------------------------------------------------- moa

MOA_COLUMNS = (
    *AGENCY_COLUMNS, "model", "status", "signed", "moa_url", "moa_pending", "days_without_moa", "counted_to",
)


def moa_rows(states: Iterable[AgreementState], to: dt.date | None, *, missing: bool = False) -> list[Row]:
    """``moa``'s rows: ``reports.moa_report`` (agreements in force with their MOA address;
    with *missing*, those without one, longest wait first). ``days_without_moa`` runs to
    ``counted_to``, *to*: the last ICE sheet on or before the date asked
    (``coverage.bounded_to_sheet``); None (no sheet on or before it) leaves every day count null."""
    from icestatus.reports import moa_report

    return [
        {
            **agency_fields(m.agreement.department), "model": m.agreement.model.value,
            "status": m.agreement.status.value, "signed": _iso(m.agreement.signed),
            "moa_url": m.agreement.moa_url, "moa_pending": m.agreement.moa_pending,
            "days_without_moa": m.days_without_moa,
            "counted_to": _iso(to) if m.days_without_moa is not None and to is not None else None,
        }
        for m in moa_report(states, to, missing=missing)
    ]


# ---------------------------------------------------------------- info (a document: JSON only)


def info_document(chosen: RegistryInUse, info: RegistryInfo) -> Row:
    """``info --format json``: the registry in use and why, its coverage per kind (gaps of
    more than 14 days), its counts, today and how old the data is."""
    answer = info.answer
    return {
        "registry": {"path": str(chosen.path), "origin": chosen.origin.value, "reason": chosen.reason},
        "title": info.title,
        "today": info.today.isoformat(),
        "coverage": {
            k.kind.value: {
                "first": k.first.date.isoformat(), "first_source": k.first.source_id,
                "last": k.last.date.isoformat(), "last_source": k.last.source_id,
                "sheets": k.sheets, "dates": k.dates,
                "gaps": [{"after": g.after.date.isoformat(), "until": g.until.date.isoformat(), "days": g.days}
                         for g in k.gaps],
            }
            for k in info.coverage
        },
        "counts": {
            "agencies": info.agencies, "in_force_on_latest": info.in_force_on_latest, "events": info.events,
            "sources": info.sources, "ice_sheets": info.ice_sheets,
        },
        "latest": _iso(info.latest.date) if info.latest else None,
        "age_days": info.age_days,
        "stale": answer.participating.stale,
        "limits": answer.limits(),
        "pending_unknown": answer.pending_unknown,
    }


# ---------------------------------------------------------------- ingest --dry-run

INGEST_COLUMNS = (
    "action", "file", "source", "date", "not_before", "kind", "department_id", "department", "state",
    "model", "signed", "moa_url", "moa_pending", "note",
)


def ingest_rows(result: IngestResult) -> list[Row]:
    """One row per event a run adds (action "add") or drops ("remove": a withdrawal that a
    later sheet shows was a signing), in the order the sheets were applied."""
    depts = {d.id: d for d in result.registry.departments}
    rows = []
    for f in result.files:
        changes = [("remove", ev) for ev in f.removed] + [("add", ev) for ev in f.events]
        for action, ev in changes:
            dept = depts[ev.department_id]
            rows.append({
                "action": action, "file": f.path.name, "source": f.source_id, "date": ev.date.isoformat(),
                "not_before": _iso(ev.not_before),
                "kind": ev.kind.value, "department_id": dept.id, "department": dept.name,
                "state": dept.state, "model": ev.model.value,
                "signed": _iso(ev.signed),
                "moa_url": ev.moa_url, "moa_pending": ev.moa_pending, "note": ev.note,
            })
    return rows


def update_document(result: UpdateResult) -> Row:
    """``update --format json``: where it looked, each sheet and what became of it, the
    changes by kind (started and ended by state), and the events added (``ingest_rows``)."""
    changes = result.changes()
    by_path = {f.path.name: f for f in result.ingest.files}
    sheets = []
    for got in result.fetched:
        done = by_path[got.roster.path.name]
        sheets.append({
            "kind": got.roster.kind.value, "file": got.name, "url": got.link.url, "final_url": got.download.final_url,
            "published": done.published.isoformat(), "half": done.half, "rows": done.rows, "sha1": got.roster.sha1,
            "source": done.source_id, "new": done.source_id is not None, "skipped": done.skipped,
            "warnings": list(done.warnings), "archived": result.kept.get(got.roster.sha1),
            "archived_now": any(e.sha1 == got.roster.sha1 for e in result.archived),
        })
    return {
        "page": result.page, "registry": str(result.target), "started_from": str(result.start),
        "dry_run": result.dry_run, "new": result.new, "replaced": result.replaced,
        "previous": {k.value: c.last.isoformat() for k, c in result.previous.items()},
        "latest": {k.value: c.last.isoformat() for k, c in result.latest.items()},
        "sheets": sheets, "not_linked": [kind.value for kind in result.not_linked],
        "changes": {
            "started": {"total": sum(changes.started.values()), "by_state": dict(sorted(changes.started.items()))},
            "ended": {"total": sum(changes.ended.values()), "by_state": dict(sorted(changes.ended.items()))},
            "applied": changes.applied, "withdrawn": changes.withdrawn, "corrected": changes.corrected,
            "moa_linked": changes.moa_linked, "new_agencies": changes.new_agencies,
        },
        "events": ingest_rows(result.ingest),
    }


# ---------------------------------------------------------------- validate

PROBLEM_COLUMNS = ("path", "message")


def problem_rows(problems: Iterable[Problem]) -> list[Row]:
    return [{"path": p.path, "message": p.message} for p in problems]
