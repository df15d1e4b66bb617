"""`icestatus export PATH.db`: the registry as SQLite, keys that hold, and Datasette serves it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from icestatus import agreements
from icestatus.cli import app
from icestatus.models import Registry
from icestatus.registry import bundled_registry_path, load_registry


@pytest.fixture(scope="module")
def bundled() -> Registry:
    return load_registry(bundled_registry_path())


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "287g.db"
    result = CliRunner().invoke(app, ["export", str(path), "--on", "2025-07-18"])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stderr and "datasette" in result.stderr
    # which agreements it counts: every term (applications too), not the build's agency x model ever signed
    assert f"{len(agreements.terms(load_registry(bundled_registry_path()))):,} agreements (terms, applications " \
           "included)" in result.stderr
    return path


def query(path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as con:
        return con.execute(sql, args).fetchall()


def test_row_counts_equal_the_registrys(exported: Path, bundled: Registry) -> None:
    count = lambda table: query(exported, f"select count(*) from {table}")[0][0]  # noqa: E731
    assert count("agencies") == len(bundled.departments)
    assert count("agency_aliases") == sum(len(d.aliases) for d in bundled.departments) > 0
    assert count("agreements") == len(agreements.terms(bundled))
    assert count("events") == len(bundled.events)
    assert count("event_sources") == sum(len(e.sources) for e in bundled.events)
    assert count("sources") == len(bundled.sources)
    assert count("policies") == len(bundled.policies)
    assert count("coverage") == len(bundled.coverage)
    # every event that took effect belongs to an agreement; the others are the ones replay ignores
    in_terms = sum(len(t.events) for t in agreements.terms(bundled))
    assert count("events where agreement_id is not null") == in_terms


def test_foreign_keys_hold_and_types_are_proper(exported: Path) -> None:
    with sqlite3.connect(exported) as con:
        con.execute("pragma foreign_keys = on")
        assert con.execute("pragma foreign_key_check").fetchall() == []
        fks = {(t, r[2]) for t in ("agreements", "events", "agency_aliases", "event_sources", "coverage")
               for r in con.execute(f"pragma foreign_key_list({t})")}
    assert {("agreements", "agencies"), ("events", "agreements"), ("event_sources", "sources"),
            ("agency_aliases", "agencies"), ("coverage", "sources")} <= fks
    assert query(exported, "select distinct typeof(renewal_pending), typeof(moa_pending) from agreements") == [
        ("integer", "integer")]
    assert set(query(exported, "select distinct renewal_pending from agreements")) == {(0,), (1,)}
    assert query(exported, "select count(*) from agreements where signed is not null and "
                           "signed not glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'") == [(0,)]
    indexes = {r[0] for r in query(exported, "select name from sqlite_master where type = 'index'")}
    assert {"idx_agreements_state_model", "idx_events_date", "idx_agencies_state"} <= indexes


def test_agreements_are_the_agreements_command(exported: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["agreements", "--ever", "--on", "2025-07-18", "--format", "json"])
    rows = json.loads(result.stdout)
    assert Counter((r["status"], r["model"]) for r in rows) == Counter(
        {(s, m): n for s, m, n in query(exported, "select status, model, count(*) from agreements group by 1, 2")})
    wells = query(exported, "select last_listed, ended, ended_how, county_fips from agreements "
                            "where agreement_id = 'me-wells-police-department:task_force:1'")
    assert wells == [("2025-10-23", "2025-10-21", "terminated", "23031")]


def test_full_text_search_on_names_and_aliases(exported: Path, bundled: Registry) -> None:
    with_alias = next(d for d in bundled.departments if d.aliases and d.aliases[0].split()[0] not in d.name)
    word = with_alias.aliases[0].split()[0]
    found = query(exported, "select id from agencies where rowid in "
                            "(select rowid from agencies_fts where agencies_fts match ?)", json.dumps(word))
    assert (with_alias.id,) in found
    assert ("me-wells-police-department",) in query(
        exported, "select id from agencies where rowid in (select rowid from agencies_fts where agencies_fts match 'wells')")


def serve(path: Path, search_for: str = "wells") -> tuple[Any, ...]:
    """Datasette's test client on an export: the agreements page of Maine, a SQL query,
    a full-text search and the metadata."""
    from datasette.app import Datasette

    metadata = json.loads(path.with_name(f"{path.stem}.metadata.json").read_text())
    name = path.stem

    async def visit() -> tuple[Any, ...]:
        ds = Datasette([str(path)], metadata=metadata)
        await ds.invoke_startup()
        page = await ds.client.get(f"/{name}/agreements?state=ME")
        sql = await ds.client.get(f"/{name}.json", params={
            "sql": "select status, count(*) as n from agreements group by status order by status", "_shape": "array"})
        search = await ds.client.get(f"/{name}/agencies.json", params={"_search": search_for, "_shape": "array"})
        meta = await ds.client.get("/-/metadata.json")
        return page, sql, search, meta

    return asyncio.run(visit())


def columns_of(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Every table's (column, type), in order."""
    with sqlite3.connect(path) as con:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type = 'table' "
                                            "and name not like 'agencies_fts%' order by name")]
        return {t: [(r[1], r[2]) for r in con.execute(f"pragma table_info({t})")] for t in tables}


def test_datasette_serves_it(exported: Path) -> None:
    page, sql, search, meta = serve(exported)
    assert page.status_code == 200 and "Wells Police Department" in page.text
    assert "One row per agreement" in page.text  # the table's description from the metadata
    assert sql.status_code == 200
    assert {r["status"] for r in sql.json()} == {"active", "paused", "pending", "ended", "not_started", "unlisted"}
    assert sum(r["n"] for r in sql.json()) == query(exported, "select count(*) from agreements")[0][0]
    assert search.status_code == 200 and "me-wells-police-department" in {r["id"] for r in search.json()}
    assert meta.json()["title"].startswith("icestatus")


def test_written_atomically_and_never_over_other_files(tmp_path: Path, runner: CliRunner,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "out.db"
    other = tmp_path / "notes.db"
    other.write_bytes(b"my own data")
    result = runner.invoke(app, ["export", str(other)])
    assert result.exit_code == 2 and "not a database icestatus exported" in result.stderr
    assert other.read_bytes() == b"my own data"
    assert runner.invoke(app, ["export", str(tmp_path)]).exit_code == 2
    assert runner.invoke(app, ["export", str(path), "--on", "2025-05-01"]).exit_code == 0
    before = path.read_bytes()

    import icestatus.output.sqlite as out

    def broken(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(out, "_write_tables", broken)
    result = runner.invoke(app, ["export", str(path), "--on", "2025-07-18"])
    assert result.exit_code == 1 and "cannot write the database (disk full); nothing was changed" in result.stderr
    assert path.read_bytes() == before  # the old export, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db", "out.db", "out.metadata.json"]
    monkeypatch.undo()
    assert runner.invoke(app, ["export", str(path), "--on", "2025-07-18"]).exit_code == 0  # an export is replaced
    assert query(path, "select value from export_info where key = 'as_of'") == [("2025-07-18",)]


def test_the_readmes_queries_give_what_it_shows(exported: Path) -> None:
    """The README's SQL examples ran on `icestatus export 287g.db --on 2025-07-18`; run
    them again on such an export and compare with the tables shown under them."""
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("## SQL and Datasette")
    section = readme[start:readme.index("\n## ", start + 1)]
    examples = re.findall(r"```sql\n(.*?)```\n\n((?:\|[^\n]*\|\n)+)", section, flags=re.DOTALL)
    assert len(examples) == 3
    for sql, table in examples:
        lines = table.strip().splitlines()
        shown = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
        with sqlite3.connect(exported) as con:
            cur = con.execute(sql)
            header = [d[0] for d in cur.description]
            got = [["" if v is None else str(v) for v in row] for row in cur.fetchall()]
        assert [c.strip() for c in lines[0].strip("|").split("|")] == header
        assert got == shown, sql


def test_a_registry_without_policies_or_records_exports_every_table(
    tmp_path: Path, runner: CliRunner, exported: Path
) -> None:
    """`init` + `ingest` (no policies, no aliases) and `init` alone (nothing at all) export
    every table, empty where the registry has nothing, with the bundled export's schema."""
    import openpyxl

    reg = tmp_path / "own.json"
    assert runner.invoke(app, ["init", str(reg)]).exit_code == 0
    empty_db = tmp_path / "empty.db"
    result = runner.invoke(app, ["export", str(empty_db), "-r", str(reg)])
    assert result.exit_code == 0, result.output
    assert columns_of(empty_db) == columns_of(exported)
    assert query(empty_db, "select count(*) from agencies") == [(0,)]

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA"])
    ws.append(["MAINE", "Wells Police Department", "Municipality", "York County", "Task Force Model",
               "3/6/2025", "link pending"])
    sheet = tmp_path / "participatingAgencies05182026am.xlsx"
    wb.save(sheet)
    result = runner.invoke(app, ["ingest", str(sheet), "-r", str(reg)])
    assert result.exit_code == 0, result.output
    db = tmp_path / "own.db"
    result = runner.invoke(app, ["export", str(db), "-r", str(reg), "--on", "2026-05-18"])
    assert result.exit_code == 0, result.output
    assert columns_of(db) == columns_of(exported)
    assert query(db, "select count(*) from policies") == [(0,)]
    assert query(db, "select agreement_id, status from agreements") == [
        ("me-wells-police-department:task_force:1", "active")]
    with sqlite3.connect(db) as con:
        assert con.execute("pragma foreign_key_check").fetchall() == []
    for path in (db, empty_db):
        page, sql, search, meta = serve(path)
        assert page.status_code == sql.status_code == search.status_code == meta.status_code == 200
    assert serve(db)[2].json()[0]["id"] == "me-wells-police-department"


def test_export_info_and_metadata_say_what_the_statuses_rest_on(tmp_path: Path, runner: CliRunner,
                                                                  exported: Path) -> None:
    """An export as of a date long after ICE's last sheet says so (export_info and the
    Datasette description): the sheet it rests on, stale, pending unknown; one as of a
    sheet's own day says it is not stale and pending is known."""
    info = lambda path: dict(query(path, "select key, value from export_info"))  # noqa: E731
    fresh = info(exported)
    assert (fresh["as_of"], fresh["listed_on"], fresh["stale"], fresh["pending_unknown"]) == (
        "2025-07-18", "2025-07-18", None, None)
    path = tmp_path / "late.db"
    assert runner.invoke(app, ["export", str(path), "--on", "2026-12-02"]).exit_code == 0
    late = info(path)
    assert (late["as_of"], late["listed_on"], late["pending_listed_on"]) == ("2026-12-02", "2026-05-18", "2026-02-27")
    assert late["stale"].startswith("ICE's latest participating list in this registry is of 2026-05-18, 198 days")
    assert late["pending_unknown"].startswith("ICE's last pending list in this registry is of 2026-02-27")
    described = json.loads((tmp_path / "late.metadata.json").read_text())["description"]
    assert "Agreements as of 2026-12-02 (ICE's latest list: 2026-05-18, 198 days earlier)" in described
    assert "Pending unknown: ICE's last pending list" in described
    assert query(path, "select count(*) from agreements where pending_unknown is null") == [(0,)]


def test_never_over_hand_written_metadata_nor_into_a_name_that_is_not_a_database(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A `mine.metadata.json` icestatus did not write is kept (refused without --force),
    as the .db is; `export out.csv` is refused (it would be SQLite in a .csv)."""
    mine = tmp_path / "mine.metadata.json"
    mine.write_text('{"title": "my own notes"}\n')
    result = runner.invoke(app, ["export", str(tmp_path / "mine.db"), "--on", "2025-07-18"])
    assert result.exit_code == 2 and "is not Datasette metadata icestatus wrote; pass --force" in result.stderr
    assert mine.read_text() == '{"title": "my own notes"}\n' and not (tmp_path / "mine.db").exists()
    assert runner.invoke(app, ["export", str(tmp_path / "mine.db"), "--on", "2025-07-18", "--force"]).exit_code == 0
    assert json.loads(mine.read_text())["title"].startswith("icestatus")
    # icestatus's own metadata is replaced, as its database is
    assert runner.invoke(app, ["export", str(tmp_path / "mine.db"), "--on", "2025-07-18"]).exit_code == 0

    result = runner.invoke(app, ["export", str(tmp_path / "out.csv")])
    assert result.exit_code == 2 and "does not end in .db, .sqlite, .sqlite3" in result.stderr
    assert "icestatus agreements --ever --format csv" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.db", "mine.metadata.json"]
    assert runner.invoke(app, ["export", str(tmp_path / "out.sqlite3"), "--on", "2025-07-18"]).exit_code == 0
