"""Review 15's findings on the matcher, `search` and `history` (R2..R6), through the CLI on
the bundled registry. Each test failed on the behaviour the finding quotes and passes now
(R1's lookups are in tests/test_lookups.py, its `record` case in tests/test_ingest.py).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from icestatus.cli import app
from icestatus.output.text import limit_lines

TODAY = "2026-05-20"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICESTATUS_TODAY", TODAY)


def run(runner: CliRunner, *args: str, code: int = 0, columns: int = 80, today: str = TODAY) -> tuple[str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False,
                           env={"COLUMNS": str(columns), "ICESTATUS_TODAY": today})
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout, result.stderr


# ---------------------------------------------------------------- R1 / R2 through the CLI


def test_history_of_a_city_without_an_agency_is_no_answer(runner: CliRunner) -> None:
    # `history Portland` → "Courtland Police Department (AL) on 2026-12-02: active…", exit 0
    out, err = run(runner, "history", "Portland", code=1)
    assert out == ""
    assert err.startswith("icestatus: error: no agency named 'Portland'; nearest: Courtland Police Department (AL)")


def test_a_state_as_icestatus_prints_it_is_a_state(runner: CliRunner) -> None:
    # `history "Harris County (TX)"` → GA, exit 0
    for query in ("Harris County (TX)", "Harris County Tex", "Harris County Sheriff's Office (TX)"):
        doc = json.loads(run(runner, "history", query, "--format", "json")[0])
        assert doc["department"]["state"] == "TX", query


# ---------------------------------------------------------------- R4: search at 80 columns


@pytest.mark.parametrize(("args", "columns"), [
    (("galveston",), 80), (("county", "--limit", "3"), 80), (("pensacola",), 80), (("nassau county",), 80),
    (("galveston",), 60),
])
def test_search_table_loses_no_text_and_keeps_ids_whole(runner: CliRunner, args: tuple[str, ...], columns: int) -> None:
    # `search galveston` at 80 columns: Status "active (task forc" / "warrant)", ids split
    # mid-word, the footer cut at "(drop --limit to"
    out, _ = run(runner, "search", *args, columns=columns)
    lines = out.splitlines()
    assert max(map(len, lines)) <= columns
    found = json.loads(run(runner, "search", *args, "--format", "json")[0])
    words = out.split()
    for row in found:
        assert row["department_id"] in words  # whole, on one line, copyable
    assert "jail," in words or "galveston" not in args  # the Status words all there
    if "--limit" in args:
        assert "showing the first 3 (drop --limit to see all)" in " ".join(words)


# ---------------------------------------------------------------- R5: dates and limits


LATE = "2026-12-02"  # long after the bundled registry's last list


def _limits(date: str) -> list[str]:
    import datetime as dt

    from icestatus.coverage import Coverage, answer_on
    from icestatus.registry import bundled_registry_path, load_registry

    return answer_on(Coverage.of(load_registry(bundled_registry_path())), dt.date.fromisoformat(date)).limits()


def test_search_says_what_its_status_rests_on(runner: CliRunner) -> None:
    # `search` printed "status on 2026-12-02" with no data date and no stderr warning in
    # any format; JSON/CSV rows had no as_of/listed_on
    limits = _limits(LATE)
    assert any("latest participating list" in x for x in limits)
    out, err = run(runner, "search", "wells", today=LATE)
    words = " ".join(out.split())
    assert f"status on {LATE} (ICE's latest list: " in words
    for line in limit_lines(limits):
        assert " ".join(line.split()) in words
    for fmt in ("json", "csv"):
        _, err = run(runner, "search", "wells", "--format", fmt, today=LATE)
        assert err.startswith(f"icestatus: warning: {limits[0]}")
    rows = json.loads(run(runner, "search", "wells", "--format", "json", today=LATE)[0])
    last = max(r["listed_on"] for r in rows)
    assert {r["as_of"] for r in rows} == {LATE} and last < LATE and {r["listed_on"] for r in rows} == {last}


def test_history_says_what_its_first_line_cannot(runner: CliRunner) -> None:
    # `history wells --on 2024-01-01` → "no 287(g) agreement or application yet (registry
    # data through 2026-05-18)", with nothing on what ICE's lists cover
    early = "2005-01-01"  # before ICE's first list in the registry
    limits = _limits(early)
    assert any("before ICE's first participating list" in x for x in limits)
    out, err = run(runner, "history", "wells", "--on", early)
    first = " ".join(out.split("\n\n")[0].split())
    assert first.startswith(f"Wells Police Department (ME) on {early}: ")
    for line in limit_lines(limits):
        assert " ".join(line.split()) in first
    assert "icestatus: warning: " in err
    doc = json.loads(run(runner, "history", "wells", "--on", early, "--format", "json")[0])
    assert doc["standing"]["limits"] == limits


# ---------------------------------------------------------------- R3: counties, parishes, acronyms


def test_county_filter_takes_the_county_ice_misspells(runner: CliRunner) -> None:
    # `list --county Lampasas` → "did you mean Lampass County (TX)?" while `history Lampasas` works
    rows = json.loads(run(runner, "list", "--county", "Lampasas", "--format", "json")[0])
    assert rows and {(r["state"], r["county"]) for r in rows} == {("TX", "Lampass County")}
    _, err = run(runner, "list", "--county", "Zzyzx", code=2)
    assert "`icestatus search NAME` and `icestatus list --format csv` show the county" in err
    assert "see `icestatus list` for the counties" not in err  # list shows no County column at 80 columns


def test_a_parish_is_in_louisiana(runner: CliRunner) -> None:
    # `history "Jefferson Parish"` → a 6-way tie of non-Louisiana Jefferson agencies
    _, err = run(runner, "history", "Jefferson Parish", code=1)
    assert err.startswith("icestatus: error: nothing in Louisiana matches 'Jefferson Parish'")


@pytest.mark.parametrize(("query", "meant"), [
    ("Florida DOC", "fl-florida-department-of-corrections"),   # "nothing in Florida matches 'DOC'"
    ("Virginia DOC Law Enforcement Services", "va-virginia-doc-law-enforcement-services"),  # ICE's own acronym
])
def test_state_agency_acronyms(runner: CliRunner, query: str, meant: str) -> None:
    doc = json.loads(run(runner, "history", query, "--format", "json")[0])
    assert doc["department"]["id"] == meant


# ---------------------------------------------------------------- R6: polish


def test_history_header_shows_no_placeholder_as_a_county(runner: CliRunner) -> None:
    # the header showed ICE's placeholders as if they were counties: "State, #NA"
    out, _ = run(runner, "history", "ar-arkansas-national-guard", columns=120)
    header = next(line for line in out.splitlines() if "· ar-arkansas-national-guard" in line)
    assert header.strip().endswith("· ar-arkansas-national-guard · State Agency")
    assert "#NA" not in out.split("\n\n")[1]


def test_help_help(runner: CliRunner) -> None:
    # `icestatus help help` → "no command 'help'"
    out, _ = run(runner, "help", "help")
    assert out.startswith("Usage: icestatus help [OPTIONS] [COMMAND]")


def test_search_help_keeps_its_example_id_whole(runner: CliRunner) -> None:
    # the example in `search --help` wrapped the id ("ny-⏎nassau-county-sheriffs-office")
    out, _ = run(runner, "search", "--help")
    assert "ny-nassau-county-sheriffs-office" in out.split()


def test_an_empty_answer_is_wrapped_in_a_terminal(tmp_path: object) -> None:
    # an empty `list --state ME` answer's lines were not wrapped at 80 columns (tmux broke
    # them mid-word); through a pipe they stay one line each
    import os
    import pty
    import subprocess
    import sys

    env = {**os.environ, "ICESTATUS_TODAY": "2026-12-02", "COLUMNS": "80", "LINES": "50"}
    main, sub = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "icestatus", "list", "--state", "ME"], stdin=sub, stdout=sub,
                            stderr=subprocess.DEVNULL, env=env)
    os.close(sub)
    chunks = []
    while True:
        try:
            data = os.read(main, 4096)
        except OSError:  # the pty closes when the command ends
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert proc.wait(timeout=60) == 0
    lines = b"".join(chunks).decode().replace("\r\n", "\n").splitlines()
    assert lines[0].startswith("No 287(g) agreements in force in Maine on 2026-12-02")
    assert len(lines) > 3 and max(map(len, lines)) <= 80
    piped = subprocess.run([sys.executable, "-m", "icestatus", "list", "--state", "ME"], capture_output=True,
                           text=True, env=env, check=True, timeout=60).stdout.splitlines()
    assert max(map(len, piped)) > 80 and len(piped) < len(lines)
