"""Issue 15's findings, each as a new user met it, on the bundled registry through the CLI.

Every test here failed on the behaviour the issue describes (the finding is quoted) and
passes now.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from icestatus.cli import app
from icestatus.errors import ExitCode

TODAY = "2026-05-20"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICESTATUS_TODAY", TODAY)


def run(runner: CliRunner, *args: str, code: int = 0) -> tuple[str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout, result.stderr


def rows(runner: CliRunner, *args: str) -> list[dict[str, object]]:
    out, _ = run(runner, *args, "--format", "json")
    data = json.loads(out)
    assert isinstance(data, list)
    return data


# ---------------------------------------------------------------- lookups


def test_harris_county_says_which_state_it_found(runner: CliRunner) -> None:
    # Georgia's (ICE's sheets) and Texas's (ICE's page, 2010-2017): both offered, with ids
    _, err = run(runner, "history", "Harris County", code=2)
    assert "ga-harris-county-sheriffs-office" in err and "tx-harris-county-sheriffs-office" in err
    out, _ = run(runner, "history", "Harris County", "--state", "GA")
    assert out.startswith("Harris County Sheriff's Office (GA) on 2026-05-20: ")


def test_harris_county_in_texas_is_the_agency_of_ices_page(runner: CliRunner) -> None:
    # with --state TX it once answered "matches 90 agencies equally well: Anderson County ..."
    out, _ = run(runner, "history", "Harris County", "--state", "TX")
    assert out.startswith("Harris County Sheriff's Office (TX) on 2026-05-20: ended: jail delisted "
                          "2017-01-29..2017-03-05")
    assert "Anderson" not in out


def test_a_state_without_the_agency_names_the_nearest_elsewhere(runner: CliRunner) -> None:
    _, err = run(runner, "history", "Rensselaer County", "--state", "TX", code=1)
    assert err.startswith("icestatus: error: nothing in Texas matches 'Rensselaer County'; nearest elsewhere: "
                          "Rensselaer County Sheriff's Office (NY) ny-rensselaer-county-sheriffs-office")
    assert "Anderson" not in err


@pytest.mark.parametrize(("args", "meant"), [
    (["Harris County GA"], "ga-harris-county-sheriffs-office"),                # was a 435-way tie
    (["Lampasas County", "--state", "TX"], "tx-lampass-county-sheriffs-office"),  # 90-way tie; ICE: "Lampass"
    (["wels"], "me-wells-police-department"),                                  # 4-way tie with West Miami...
    (["Rensalear"], "ny-rensselaer-county-sheriffs-office"),                   # "no agency matches"
])
def test_natural_queries_find_the_agency(runner: CliRunner, args: list[str], meant: str) -> None:
    out, _ = run(runner, "history", *args, "--format", "json")
    assert json.loads(out)["department"]["id"] == meant


@pytest.mark.parametrize(("query", "candidates"), [
    ("Nasau county sheriff", {"fl-nassau-county-sheriffs-office", "ny-nassau-county-sheriffs-office"}),  # was 102
    ("Hillsboro county", {"fl-hillsborough-county-sheriffs-office", "nh-hillsborough-county-sheriffs-office"}),
])
def test_real_ambiguities_list_a_short_list_with_ids(runner: CliRunner, query: str, candidates: set[str]) -> None:
    _, err = run(runner, "history", query, code=2)
    assert f"matches {len(candidates)} agencies equally well" in err
    for dept_id in candidates:
        assert dept_id in err


def test_a_clear_answer_appends_no_unrelated_agencies(runner: CliRunner) -> None:
    # "Rensselaer County" listed five Alabama sheriffs under "Also matched"
    out, _ = run(runner, "history", "Rensselaer County")
    assert "Also matched" not in out
    assert json.loads(run(runner, "history", "Rensselaer County", "-f", "json")[0])["also_matched"] == []


def test_search_lists_every_match_with_state_county_status_and_id(runner: CliRunner) -> None:
    found = rows(runner, "search", "nassau county")
    assert [r["department_id"] for r in found] == [
        "fl-nassau-county-sheriffs-office", "ny-nassau-county-police-department", "ny-nassau-county-sheriffs-office"]
    assert {r["county"] for r in found} == {"Nassau County"}
    assert all(r["status"] == "active" for r in found)
    out, _ = run(runner, "search", "nassau county", "--format", "csv", "--limit", "1")
    assert len(list(csv.DictReader(io.StringIO(out)))) == 1
    table, _ = run(runner, "search", "lampasas")
    assert "tx-lampass-county-sheriffs-office" in table and "(as Lampasas County Sheriff's Office)" in table


# ---------------------------------------------------------------- filters


def test_type_takes_plurals_and_any_case(runner: CliRunner) -> None:
    # `list --type Counties --state FL` -> "No 287(g) agreements in force in Florida"
    counties = rows(runner, "list", "--type", "Counties", "--state", "FL")
    assert counties and {r["type"] for r in counties} == {"County"}
    assert counties == rows(runner, "list", "--type", "county", "--state", "FL")
    # ICE's misspelt types count as the type they mean
    towns = rows(runner, "list", "--type", "municipalities")
    assert {"Municipality", "Muncipality"} <= {r["type"] for r in towns}


def test_diff_reads_types_the_same_way(runner: CliRunner) -> None:
    changes = rows(runner, "diff", "2025-07-01", "2025-08-01", "--type", "Counties", "--state", "FL")
    assert changes and {r["type"] for r in changes} == {"County"}


def test_agreements_takes_the_same_filters(runner: CliRunner) -> None:
    found = rows(runner, "agreements", "--ever", "--state", "ME", "--state", "NH", "--model", "tfm")
    assert {r["state"] for r in found} == {"ME", "NH"} and {r["model"] for r in found} == {"task_force"}
    assert {r["department_id"] for r in rows(runner, "agreements", "--county", "harris co.")} == {
        "ga-harris-county-sheriffs-office"}
    _, err = run(runner, "agreements", "--type", "sheriffs", code=2)
    assert err.startswith("icestatus: error: unknown agency type 'sheriffs'")


def test_state_is_repeatable(runner: CliRunner) -> None:
    # `--state ME --state TX` silently uses only TX
    both = rows(runner, "as-of", "2025-07-01", "--state", "ME", "--state", "TX")
    assert {r["state"] for r in both} == {"ME", "TX"}


@pytest.mark.parametrize(("alias", "model"), [
    ("jail", "jail_enforcement"), ("task force", "task_force"), ("tfm", "task_force"),
    ("wso", "warrant_service"), ("warrant", "warrant_service"), ("Task_Force", "task_force"),
])
def test_model_aliases(runner: CliRunner, alias: str, model: str) -> None:
    # `--model jail` and `--model "task force"` are refused although every table prints them
    found = rows(runner, "list", "--model", alias, "--state", "TX")
    assert found and {r["model"] for r in found} == {model}


def test_filters_are_or_within_and_across(runner: CliRunner) -> None:
    found = rows(runner, "list", "--model", "jail", "--model", "wso", "--state", "TX", "--type", "county")
    assert {r["model"] for r in found} == {"jail_enforcement", "warrant_service"}
    assert {(r["state"], r["type"]) for r in found} == {("TX", "County")}


@pytest.mark.parametrize(("args", "message"), [
    (["--type", "sheriffs"], "unknown agency type 'sheriffs': use one of County, Municipality, State Agency"),
    (["--model", "jails"], "unknown model 'jails': use one of task_force (task force, tfm)"),
    (["--status", "over"], "unknown status 'over': use one of active, paused, pending, ended"),
    (["--county", "Hariss"], "no agency in the registry has county 'Hariss'; did you mean Harris County (GA)"),
    (["--county", "Harris", "--state", "TX"],
     "no agency of Texas has county 'Harris' in the registry; it is in Harris County (GA)"),
])
def test_an_unknown_value_is_an_error_listing_the_valid_ones(runner: CliRunner, args: list[str], message: str) -> None:
    _, err = run(runner, "list", *args, code=2)
    assert err.startswith(f"icestatus: error: {message}")


@pytest.mark.parametrize("county", ["Harris", "harris county", "Harris Co.", "HARRIS"])
def test_county_is_forgiving(runner: CliRunner, county: str) -> None:
    # there was no county filter
    found = rows(runner, "list", "--county", county)
    assert {r["department_id"] for r in found} == {"ga-harris-county-sheriffs-office"}


def test_county_takes_ices_misspelling_in_the_same_state(runner: CliRunner) -> None:
    found = rows(runner, "list", "--county", "Pulaski", "--state", "AR")
    assert {r["county"] for r in found} == {"Pulaski County", "Pulaksi County"}  # ICE: "Pulaksi"


def test_status_ended_lists_agreements_that_ended_with_when_and_how(runner: CliRunner) -> None:
    # `--status` knew active, paused, pending only
    ended = rows(runner, "list", "--status", "ended", "--state", "ME")
    got = {(r["department_id"], r["event"], r["since"]) for r in ended}
    assert ("me-wells-police-department", "terminated", "2025-10-21") in got
    assert {r["status"] for r in ended} == {"ended"}
    table, _ = run(runner, "list", "--status", "ended", "--state", "ME")
    assert "terminated" in table and "2025-10-21" in table
    # by default nothing ended is listed
    assert not any(r["status"] == "ended" for r in rows(runner, "list", "--state", "TX"))


# ---------------------------------------------------------------- history


def test_history_first_line_says_where_the_agency_stands(runner: CliRunner) -> None:
    # `history` had no line saying where the agency stands today
    out, _ = run(runner, "history", "wells")
    first = " ".join(out.split("\n\n")[0].split())
    assert first == ("Wells Police Department (ME) on 2026-05-20: ended: task force terminated 2025-10-21 "
                     "(registry data through 2026-05-18)")
    out, _ = run(runner, "history", "wells", "--on", "2025-05-01")
    assert " ".join(out.split("\n\n")[0].split()).startswith(
        "Wells Police Department (ME) on 2025-05-01: active: task force since 2025-04-02")
    doc = json.loads(run(runner, "history", "wells", "--on", "2025-05-01", "-f", "json")[0])
    assert (doc["standing"]["status"], doc["standing"]["data_through"]) == ("active", "2026-05-18")


def test_history_csv_is_one_row_per_event(runner: CliRunner) -> None:
    # `history wells --format csv` -> "this command has no CSV form" although its help lists csv
    out, _ = run(runner, "history", "wells", "--format", "csv")
    events = list(csv.DictReader(io.StringIO(out)))
    doc = json.loads(run(runner, "history", "wells", "-f", "json")[0])
    assert len(events) == len(doc["events"]) > 1
    assert {e["county"] for e in events} == {"York County"}


def test_history_shows_aliases_and_county(runner: CliRunner) -> None:
    out, _ = run(runner, "history", "tx-lampass-county-sheriffs-office")
    assert "Lampass County" in out and "also spelled: Lampasas County Sheriff's Office" in out


# ---------------------------------------------------------------- CLI finish

COMMANDS = ["list", "as-of", "history", "search", "schema", "init", "ingest", "record", "moa", "diff", "stats",
            "trend", "states", "sources", "validate", "update", "info", "agreements", "export", "help"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_speaks_in_words(runner: CliRunner, command: str) -> None:
    # Help showed <list[task_force|jail_enforcement|warrant_service]>, <str>, <int range> [x>=1], FILE... <list[Path]>
    out, _ = run(runner, command, "--help")
    assert "<" not in out.replace("<=", ""), out
    assert "[x>=" not in out and "list[" not in out


def test_command_summaries_are_whole(runner: CliRunner) -> None:
    # nine command summaries were cut with "..."
    out, _ = run(runner, "--help")
    commands = out.split("Commands:")[1]
    assert "..." not in commands
    for command in COMMANDS:
        assert f"\n  {command} " in commands


def test_help_command(runner: CliRunner) -> None:
    # there was no `icestatus help CMD`
    out, _ = run(runner, "help", "history")
    assert out.startswith("Usage: icestatus history [OPTIONS] NAME_OR_ID")
    assert run(runner, "help")[0].startswith("Usage: icestatus [OPTIONS] COMMAND")
    _, err = run(runner, "help", "histroy", code=2)
    assert err.startswith("icestatus: error: no command 'histroy': the commands are list, as-of, history")


def test_no_such_day(runner: CliRunner) -> None:
    # `2025-02-30` is called a format error
    _, err = run(runner, "as-of", "2025-02-30", code=2)
    assert err == "icestatus: error: bad date '2025-02-30': no such day (February 2025 has 28 days)\n"


def test_today_and_yesterday(runner: CliRunner) -> None:
    # `today`/`yesterday` are refused
    assert rows(runner, "as-of", "today") == rows(runner, "list")
    assert rows(runner, "as-of", "yesterday") == rows(runner, "as-of", "2026-05-19")
    doc = json.loads(run(runner, "history", "wells", "--on", "yesterday", "-f", "json")[0])
    assert doc["standing"]["date"] == "2026-05-19"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_one_line_and_its_own_exit_code(tmp_path: Path) -> None:
    # `list > /dev/full` reports "This is a bug in icestatus" (exit 70)
    env = {**os.environ, "ICESTATUS_TODAY": TODAY}
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "icestatus", "list"], stdout=full, stderr=subprocess.PIPE,
                              text=True, env=env, check=False, timeout=60)
    assert done.returncode == ExitCode.OUTPUT
    assert done.stderr == ("icestatus: error: cannot write the answer: no space left on the device standard "
                           "output goes to\n")


def test_a_closed_stdout_is_one_line_and_its_own_exit_code() -> None:
    env = {**os.environ, "ICESTATUS_TODAY": TODAY}
    proc = subprocess.Popen([sys.executable, "-m", "icestatus", "list", "--format", "csv"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader went away before the answer was written
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == ExitCode.OUTPUT
    # one error line (after any warning about what the data covers), no traceback
    errors = [line for line in err.splitlines() if not line.startswith("icestatus: warning: ")]
    assert errors == ["icestatus: error: cannot write the answer: standard output was closed before the answer was "
                      "written (by `head`, say)"]
