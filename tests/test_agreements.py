"""`icestatus agreements`: one row per agreement term, from the replayed log.

The synthetic registry below has one agreement of each shape (listed and delisted by ICE,
listed again, ended by a news fact, an application withdrawn, a renewal applied for while
in force); the bundled registry is checked against `stats` and `as-of`, and Wells and
Monmouth-Winthrop against ICE's sheets as read by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import shutil
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from builders import SOURCE, ev, registry_of, write
from icestatus import agreements
from icestatus.cli import app
from icestatus.enums import Model, SheetKind, SourceKind, Status, TermStatus
from icestatus.models import Registry, Source
from icestatus.registry import bundled_registry_path, load_registry
from icestatus.replay import replay

D = dt.date.fromisoformat


def sheet(kind: str, day: str, half: str | None = None, *, suspect: bool = False) -> Source:
    sid = f"ice-{kind}-{day}" + (f"-{half}" if half else "")
    return Source(id=sid, kind=SourceKind.ice_sheet, title=f"ICE {kind} sheet", publisher="ICE",
                  published=D(day), sheet=SheetKind(kind), half=half, suspect=suspect)


P1, P2, P3, P3S, P4, P5, P6 = (
    sheet("participating", "2025-03-01"), sheet("participating", "2025-03-10", "am"),
    sheet("participating", "2025-03-10", "pm"), sheet("participating", "2025-03-15", suspect=True),
    sheet("participating", "2025-03-20"), sheet("participating", "2025-04-01"),
    sheet("participating", "2025-05-01"),
)
Q1, Q2, Q3 = sheet("pending", "2025-03-01"), sheet("pending", "2025-03-05"), sheet("pending", "2025-03-09")


@pytest.fixture(scope="module")
def synthetic() -> Registry:
    return registry_of(
        [
            # ICE lists it on P1, keeps it through P3 (the suspect P3S leaves it out: held), ends it on P4.
            ev("tx-a", "signed", "2025-03-01", sources=(P1.id,)),
            ev("tx-a", "moa_linked", "2025-03-10", sources=(P2.id,), moa_url="https://example.org/a.pdf"),
            ev("tx-a", "delisted", "2025-03-20", not_before="2025-03-10", sources=(P4.id,)),
            # ... and lists it again on P5: a second term, open to the end.
            ev("tx-a", "signed", "2025-04-01", not_before="2025-03-20", sources=(P5.id,)),
            # Known from the news only: never on ICE's sheets.
            ev("me-b", "signed", "2025-03-02"),
            ev("me-b", "terminated", "2025-03-25"),
            # An application on ICE's pending list, gone from the third sheet.
            ev("tx-c", "applied", "2025-03-01", sources=(Q1.id,)),
            ev("tx-c", "withdrawn", "2025-03-09", not_before="2025-03-05", sources=(Q3.id,)),
            # In force, with a renewal applied for: one agreement, and one application pending.
            ev("tx-d", "signed", "2025-03-01", sources=(P1.id,), model="jail_enforcement"),
            ev("tx-d", "applied", "2025-03-05", sources=(Q2.id,), model="jail_enforcement"),
            # Makes no sense (nothing in force): replay ignores it, so no term.
            ev("tx-e", "terminated", "2025-03-03"),
        ],
        sources=(SOURCE, P1, P2, P3, P3S, P4, P5, P6, Q1, Q2, Q3),
    )


def by_id(reg: Registry) -> dict[str, agreements.Term]:
    return {t.id: t for t in agreements.terms(reg)}


class TestTerms:
    def test_each_shape(self, synthetic: Registry) -> None:
        terms = by_id(synthetic)
        assert sorted(terms) == ["me-b:task_force:1", "tx-a:task_force:1", "tx-a:task_force:2",
                                 "tx-c:task_force:1", "tx-d:jail_enforcement:1"]
        first, second = terms["tx-a:task_force:1"], terms["tx-a:task_force:2"]
        assert (first.first_listed.source, first.last_listed.source) == (P1.id, P3.id)  # type: ignore[union-attr]
        assert first.closing is not None and first.closing.kind.value == "delisted"
        assert first.moa_url == "https://example.org/a.pdf"
        assert (second.signed, second.signed_not_before) == (D("2025-04-01"), D("2025-03-20"))
        assert second.closing is None and second.last_listed.source == P6.id  # type: ignore[union-attr]
        news = terms["me-b:task_force:1"]
        assert (news.first_listed, news.last_listed, news.ice_list) == (None, None, None)
        app_only = terms["tx-c:task_force:1"]
        assert app_only.ice_list is SheetKind.pending and app_only.signed is None
        assert (app_only.first_listed.source, app_only.last_listed.source) == (Q1.id, Q2.id)  # type: ignore[union-attr]
        assert app_only.sources == (Q1.id, Q3.id)

    def test_status_on_a_date_is_replays(self, synthetic: Registry) -> None:
        terms = agreements.terms(synthetic)
        for day in [D("2025-02-28")] + [e.date for e in synthetic.events] + [D("2025-06-01")]:
            rows = agreements.on_date(synthetic, terms, day)
            want = Counter((a.department.id, a.model, a.status.value) for a in replay(synthetic, day))
            got = Counter((r.department.id, r.model, r.status.value) for r in rows)
            got.update((r.department.id, r.model, "pending") for r in rows if r.renewal_pending)
            assert got == want, day
            ever = agreements.on_date(synthetic, terms, day, ever=True)
            assert {r.term.id for r in ever} == {t.id for t in terms}
        on = {r.term.id: r for r in agreements.on_date(synthetic, terms, D("2025-03-06"), ever=True)}
        assert on["tx-d:jail_enforcement:1"].renewal_pending
        assert on["tx-c:task_force:1"].status is TermStatus.pending
        assert on["tx-a:task_force:2"].status is TermStatus.not_started
        on = {r.term.id: r for r in agreements.on_date(synthetic, terms, D("2025-03-25"), ever=True)}
        assert on["me-b:task_force:1"].status is TermStatus.ended


def test_an_application_signed_and_an_agreement_listed_again_are_one_agreement() -> None:
    """An application gone from the pending list by the date ICE later prints as its
    signing is not withdrawn: one agreement, applied -> signed. An agreement delisted and
    listed again with the same SIGNED date is one agreement with a gap in ICE's listing
    (``unlisted`` on the dates between). A later signing date is a new agreement."""
    reg = registry_of(
        [
            ev("tx-f", "applied", "2025-03-01", sources=(Q1.id,)),
            ev("tx-f", "withdrawn", "2025-03-09", not_before="2025-03-05", sources=(Q3.id,)),
            ev("tx-f", "signed", "2025-03-20", not_before="2025-03-15", signed="2025-03-07", sources=(P4.id,)),
            ev("tx-g", "signed", "2025-03-01", signed="2025-02-14", sources=(P1.id,)),
            ev("tx-g", "delisted", "2025-03-20", not_before="2025-03-10", sources=(P4.id,)),
            ev("tx-g", "signed", "2025-04-01", not_before="2025-03-20", signed="2025-02-14", sources=(P5.id,)),
            ev("tx-h", "applied", "2025-03-01", sources=(Q1.id,)),
            ev("tx-h", "withdrawn", "2025-03-09", not_before="2025-03-05", sources=(Q3.id,)),
            ev("tx-h", "signed", "2025-04-01", not_before="2025-03-20", signed="2025-03-25", sources=(P5.id,)),
        ],
        sources=(SOURCE, P1, P2, P3, P3S, P4, P5, P6, Q1, Q2, Q3),
    )
    terms = by_id(reg)
    assert sorted(terms) == ["tx-f:task_force:1", "tx-g:task_force:1", "tx-h:task_force:1", "tx-h:task_force:2"]
    signed = terms["tx-f:task_force:1"]
    assert signed.applied is not None and signed.signed == D("2025-03-07") and signed.closing is None
    relisted = terms["tx-g:task_force:1"]
    assert relisted.closing is None and relisted.last_listed.source == P6.id  # type: ignore[union-attr]
    assert terms["tx-h:task_force:1"].closing.kind.value == "withdrawn"  # type: ignore[union-attr]
    all_terms = list(terms.values())
    for day in ("2025-03-02", "2025-03-10", "2025-03-25", "2025-04-02"):
        rows = agreements.on_date(reg, all_terms, D(day))
        want = Counter((a.department.id, a.status.value) for a in replay(reg, D(day)))
        assert Counter((r.department.id, r.status.value) for r in rows) == want, day
    on = {r.term.id: r.status for r in agreements.on_date(reg, all_terms, D("2025-03-25"), ever=True)}
    assert on == {"tx-f:task_force:1": TermStatus.active, "tx-g:task_force:1": TermStatus.unlisted,
                  "tx-h:task_force:1": TermStatus.ended, "tx-h:task_force:2": TermStatus.not_started}
    assert agreements.on_date(reg, all_terms, D("2025-03-10"), ever=True)[0].status is TermStatus.unlisted


def test_no_application_withdrawn_that_was_signed_in_the_bundled_registry(bundled: Registry) -> None:
    """The review's check: no term ended ``withdrawn`` followed by the same agency's next
    term of the model signed on or before that end; none delisted and listed again with
    the same SIGNED date."""
    terms = agreements.terms(bundled)
    by_key: dict[tuple[str, Model], list[agreements.Term]] = {}
    for t in terms:
        by_key.setdefault((t.department.id, t.model), []).append(t)
    withdrawn_then_signed, relisted = [], []
    for series in by_key.values():
        for a, b in itertools.pairwise(series):
            if a.closing is not None and a.closing.kind.value == "withdrawn" and b.signed and b.signed <= a.closing.date:
                withdrawn_then_signed.append(a.id)
        for i, a in enumerate(series):
            if a.closing is not None and a.closing.kind.value == "delisted" and any(
                    b.signed == a.signed and b.applied is None for b in series[i + 1:]):
                relisted.append(a.id)
    assert withdrawn_then_signed == [] and relisted == []
    cherokee = {t.id: t for t in terms if t.department.id == "al-cherokee-county-sheriffs-office"}
    one = cherokee["al-cherokee-county-sheriffs-office:task_force:1"]
    assert "al-cherokee-county-sheriffs-office:task_force:2" not in cherokee
    assert one.applied is not None and one.signed == D("2026-02-10") and one.gaps


# ---------------------------------------------------------------- the bundled registry


@pytest.fixture(scope="module")
def bundled() -> Registry:
    return load_registry(bundled_registry_path())


def run_json(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_counts_equal_stats(runner: CliRunner) -> None:
    rows = run_json(runner, "agreements", "--on", "2025-07-18", "--format", "json")
    for by in ("model", "state"):
        stats = run_json(runner, "stats", "--on", "2025-07-18", "--by", by, "--format", "json")
        in_force = Counter(r["model" if by == "model" else "state"] for r in rows if r["status"] in ("active", "paused"))
        assert in_force == {r[by]: r["in_force"] for r in stats["rows"] if r["in_force"]}
    total = stats["total"]
    assert sum(r["status"] in ("active", "paused") for r in rows) == total["in_force"] == 832
    assert sum(r["status"] == "paused" for r in rows) == total["paused"]
    assert sum(r["status"] == "pending" for r in rows) + sum(r["renewal_pending"] for r in rows) == total["pending"]
    assert len({r["department_id"] for r in rows if r["status"] != "pending"}) == total["agencies"]


def test_ever_is_one_row_per_agreement_whatever_the_date(runner: CliRunner, bundled: Registry) -> None:
    terms = agreements.terms(bundled)
    ids = [t.id for t in terms]
    assert len(ids) == len(set(ids))
    for day in ("2024-01-01", "2025-07-18", "2030-01-01"):
        rows = run_json(runner, "agreements", "--ever", "--on", day, "--format", "json")
        assert sorted(r["agreement_id"] for r in rows) == sorted(ids)
    # Every agreement is in force or pending at the end of some day (the day it began),
    # unless it began and ended on one day; and `agreements --on` lists it then.
    seen: set[str] = set()
    for day in sorted({e.date for e in bundled.events}):
        seen.update(r.term.id for r in agreements.on_date(bundled, terms, day))
    same_day = {t.id for t in terms if t.end is not None and bundled.events[t.end].date == bundled.events[t.start].date}
    assert seen == set(ids) - same_day


def test_wells_and_monmouth_winthrop_as_read_on_ices_sheets(runner: CliRunner) -> None:
    """Read by hand on ICE's sheets: Wells is on every participating sheet from 2025-04-03
    to 2025-10-23 am and gone from 2025-10-23 mid; the town terminated it on 2025-10-21
    (news). Monmouth-Winthrop was on the pending sheets of 2025-04-04..04-19 and on those
    of 2025-07-21 (am and pm) only."""
    rows = {r["agreement_id"]: r for r in run_json(runner, "agreements", "--ever", "--state", "ME", "--format", "json")}
    wells = rows.pop("me-wells-police-department:task_force:1")
    assert (wells["signed"], wells["first_listed"], wells["last_listed"]) == ("2025-04-02", "2025-04-03", "2025-10-23")
    assert wells["last_listed_source"] == "ice-participating-2025-10-23-am"
    assert (wells["ended"], wells["ended_not_before"], wells["ended_how"]) == ("2025-10-21", None, "terminated")
    assert (wells["county"], wells["county_fips"]) == ("York County", "23031")
    first, second = rows.pop("me-monmouth-winthrop-police-department:task_force:1"), rows.popitem()[1]
    assert not rows
    assert (first["ice_list"], first["first_listed"], first["last_listed"]) == ("pending", "2025-04-04", "2025-04-19")
    assert (first["ended_how"], first["ended_not_before"], first["ended"]) == ("withdrawn", "2025-04-19", "2025-04-28")
    assert (second["first_listed"], second["last_listed"], second["ended"]) == ("2025-07-21", "2025-07-21", "2025-07-23")


def test_csv_round_trips_through_sqlite_import(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["agreements", "--ever", "--on", "2025-07-18", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = run_json(runner, "agreements", "--ever", "--on", "2025-07-18", "--format", "json")
    path = tmp_path / "agreements.csv"
    path.write_text(result.stdout, encoding="utf-8")
    db = tmp_path / "a.db"
    query = "select status, model, count(*), sum(renewal_pending = 'true') from agreements group by 1, 2"
    if shutil.which("sqlite3"):
        subprocess.run(["sqlite3", str(db), ".mode csv", f".import {path} agreements"], check=True)
    else:  # the same import, by Python: a header row, then every cell as text
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            with sqlite3.connect(db) as con:
                con.execute(f"create table agreements ({', '.join(f'{c!r} text' for c in header)})")
                con.executemany(f"insert into agreements values ({', '.join('?' * len(header))})", reader)
    with sqlite3.connect(db) as con:
        imported = {(s, m): (n, r) for s, m, n, r in con.execute(query)}
        assert con.execute("select count(distinct agreement_id) from agreements").fetchone()[0] == len(rows)
    want: Counter[tuple[str, str]] = Counter((r["status"], r["model"]) for r in rows)
    renewals: Counter[tuple[str, str]] = Counter((r["status"], r["model"]) for r in rows if r["renewal_pending"])
    assert imported == {k: (n, renewals[k]) for k, n in want.items()}


def test_filters_and_table(runner: CliRunner) -> None:
    rows = run_json(runner, "agreements", "--on", "2025-07-18", "--state", "TX", "--model", "jail_enforcement",
                    "--format", "json")
    as_of = run_json(runner, "as-of", "2025-07-18", "--state", "TX", "--model", "jail_enforcement", "--format", "json")
    assert Counter(r["status"] for r in rows) == Counter(r["status"] for r in as_of)
    assert {r["state"] for r in rows} == {"TX"} and {r["model"] for r in rows} == {Model.jail_enforcement.value}
    result = runner.invoke(app, ["agreements", "--ever", "--state", "ME"])
    assert result.exit_code == 0
    assert "Wells Police" in result.stdout and "terminated" in result.stdout and "3 agreements" in result.stdout
    result = runner.invoke(app, ["agreements", "--on", "2024-01-01", "--state", "ME"])
    assert result.exit_code == 0 and "No 287(g) agreements in force in Maine on 2024-01-01 (pending unknown)." in (
        result.stdout)
    assert Status.pending.value in {r["status"] for r in run_json(
        runner, "agreements", "--on", "2025-07-18", "--status", "pending", "--format", "json")}


def test_an_older_registry_without_fips_still_loads(tmp_path: Path, synthetic: Registry) -> None:
    path = write(synthetic, tmp_path / "r.json")
    assert "county_fips" not in path.read_text()
    assert all(d.county_fips is None for d in load_registry(path).departments)


def test_none_found_names_the_filters_and_what_is_not_known(runner: CliRunner) -> None:
    """An empty answer names every filter asked, and says what the data cannot tell, as
    `list` does: pending unknown where ICE's pending lists do not cover the date."""
    result = runner.invoke(app, ["agreements", "--model", "jail", "--state", "ME", "--on", "2025-07-18"])
    assert result.exit_code == 0
    # Wells, Maine's one agreement in force that day, is a task force agreement
    assert result.stdout.startswith(
        "No 287(g) Jail Enforcement Model agreements in force in Maine on 2025-07-18 (and none pending).\n")
    assert "ICE's list of that day." in result.stdout
    assert "Wells" in runner.invoke(app, ["agreements", "--model", "task_force", "--state", "ME",
                                          "--on", "2025-07-18"]).stdout
    result = runner.invoke(app, ["agreements", "--state", "ME", "--on", "2026-11-01"])
    list_ = runner.invoke(app, ["as-of", "2026-11-01", "--state", "ME"])
    assert result.stdout == list_.stdout  # the answer, ICE's list it rests on and the limits, as as-of says them
    assert result.stdout.startswith("No 287(g) agreements in force in Maine on 2026-11-01 (pending unknown).\n")


def test_pending_is_unknown_where_ices_pending_lists_stop(runner: CliRunner) -> None:
    """ICE's last pending list is of 2026-02-27: on 2026-05-18 `as-of` and `stats` give
    pending as unknown, and so does `agreements` (no application listed as pending)."""
    result = runner.invoke(app, ["agreements", "--status", "pending", "--on", "2026-05-18"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Pending 287(g) applications on 2026-05-18 are not known: ICE's last pending "
                                    "list in this registry is of 2026-02-27")
    result = runner.invoke(app, ["agreements", "--status", "pending", "--on", "2026-05-18", "--format", "json"])
    assert json.loads(result.stdout) == [] and "pending unknown: ICE's last pending list" in result.stderr
    rows = run_json(runner, "agreements", "--on", "2026-05-18", "--format", "json")
    stats = run_json(runner, "stats", "--on", "2026-05-18", "--format", "json")["total"]
    assert stats["pending"] is None
    assert "pending" not in {r["status"] for r in rows}
    assert sum(r["status"] in ("active", "paused") for r in rows) == stats["in_force"]
    table = runner.invoke(app, ["agreements", "--on", "2026-05-18", "--state", "TX"]).stdout
    assert "pending unknown" in table and " pending (" not in table
    ever = runner.invoke(app, ["agreements", "--ever", "--on", "2026-05-18", "--state", "TX"]).stdout
    assert "pending unknown" in ever


def test_closed_statuses_without_ever(runner: CliRunner) -> None:
    """--status ended: the agreements ended by the date (not "none in force"); --status
    not_started, those begun after it; `list` refuses not_started (nothing it shows has not begun)."""
    ended = run_json(runner, "agreements", "--status", "ended", "--state", "TX", "--on", "2025-07-18", "--format", "json")
    ever = run_json(runner, "agreements", "--ever", "--state", "TX", "--on", "2025-07-18", "--format", "json")
    assert ended and [r["agreement_id"] for r in ended] == [r["agreement_id"] for r in ever if r["status"] == "ended"]
    assert all(r["ended"] <= "2025-07-18" for r in ended)
    later = run_json(runner, "agreements", "--status", "not started", "--state", "ME", "--on", "2025-07-18",
                     "--format", "json")
    me = run_json(runner, "agreements", "--ever", "--state", "ME", "--on", "2025-07-18", "--format", "json")
    assert [r["agreement_id"] for r in later] == [r["agreement_id"] for r in me if r["status"] == "not_started"] != []
    table = runner.invoke(app, ["agreements", "--status", "ended", "--state", "TX", "--on", "2025-07-18"]).stdout
    assert f"{len(ended)} ended" in table and "No 287(g)" not in table
    result = runner.invoke(app, ["list", "--status", "not_started"])
    assert result.exit_code == 2 and "--status not_started is for `icestatus agreements`" in result.stderr


def test_rows_carry_what_they_rest_on_as_list_does(runner: CliRunner) -> None:
    """`agreements --on D` rows carry as_of, listed_on, known_from and pending_unknown with
    the values `as-of D` gives the same agreements (before ICE's first list, from its
    sheets, after its pending lists stop); the title names ICE's list; an end after the
    date is labelled `later:` in the table."""
    fields = ("status", "as_of", "listed_on", "known_from", "pending_unknown")
    for day in ("2009-01-01", "2025-07-18", "2026-05-18"):
        rows = run_json(runner, "agreements", "--on", day, "--format", "json")
        as_of = run_json(runner, "as-of", day, "--format", "json")
        key = lambda r: (r["department_id"], r["model"])  # noqa: E731
        renewals = {key(r) for r in rows if r["renewal_pending"]}  # as-of: a row of its own, pending
        assert sorted((key(r), *(r[f] for f in fields)) for r in rows) == sorted(
            (key(r), *(r[f] for f in fields)) for r in as_of
            if not (key(r) in renewals and r["status"] == "pending")), day
    assert {r["known_from"] for r in run_json(runner, "agreements", "--on", "2009-01-01", "--format", "json")} != {None}
    unknown = run_json(runner, "agreements", "--on", "2026-05-18", "--format", "json")
    assert all(r["pending_unknown"] and r["renewal_pending"] is None for r in unknown if r["status"] == "active")
    table = runner.invoke(app, ["agreements", "--on", "2025-07-18", "--state", "ME"]).stdout
    assert "287(g) agreements on 2025-07-18 · Maine · ICE's list of that day" in table
    assert "later: terminated" in table  # Wells, paused that day, terminated on 2025-10-21
    ever = runner.invoke(app, ["agreements", "--ever", "--on", "2025-11-01", "--state", "ME"]).stdout
    assert "later:" not in ever and "terminated" in ever


def test_the_two_ended_answers_relate_as_the_readme_says(runner: CliRunner) -> None:
    """README, "Which agreements ended": `as-of D --status ended` gives the agencies and
    models of the terms ended (or unlisted) by D, less those with an agreement open on D."""
    for day in ("2025-07-18", "2026-05-18"):
        ended = {(r["department_id"], r["model"]) for r in run_json(
            runner, "as-of", day, "--status", "ended", "--format", "json")}
        rows = run_json(runner, "agreements", "--ever", "--on", day, "--format", "json")
        over = {(r["department_id"], r["model"]) for r in rows if r["status"] in ("ended", "unlisted")}
        open_ = {(r["department_id"], r["model"]) for r in rows if r["status"] in ("active", "paused", "pending")}
        assert ended == over - open_, day
        terms = run_json(runner, "agreements", "--status", "ended", "--on", day, "--format", "json")
        assert len(terms) > len(ended)  # earlier terms of agreements open again, and agencies that ended twice


def test_terms_known_from_captures_of_ices_page_are_listed_there(bundled: Registry) -> None:
    """ICE's page (2010-2025 captures) is one of ICE's lists, as in ingest and coverage: a
    term known only from it has first/last listed on its captures, not nulls."""
    terms = agreements.terms(bundled)
    assert terms and not [t.id for t in terms if t.first_listed is None]
    fdle = next(t for t in terms if t.id == "fl-florida-department-of-law-enforcement:task_force:1")
    assert fdle.first_listed is not None and fdle.last_listed is not None
    assert (fdle.ice_list, fdle.first_listed.date, fdle.last_listed.date) == (
        SheetKind.participating, dt.date(2010, 10, 29), dt.date(2012, 10, 16))
    assert fdle.first_listed.source.startswith("wayback-")
