"""The core commands through the CLI: list, as-of, history, schema, and their errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import dept, ev, registry_of, write
from icestatus.cli import app
from icestatus.output.rows import AGREEMENT_COLUMNS

REPO = Path(__file__).resolve().parents[1]
CURATED = str(REPO / "data" / "curated" / "maine.json")


def run(runner: CliRunner, *args: str, code: int = 0) -> tuple[str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout, result.stderr


def as_json(runner: CliRunner, *args: str) -> list[dict]:  # type: ignore[type-arg]
    out, _ = run(runner, *args, "--format", "json")
    return json.loads(out)  # type: ignore[no-any-return]


class TestMaineOnTheBundledRegistry:
    """Issue 2's acceptance facts, on the registry users get by default."""

    def test_april_10_wells_active_monmouth_winthrop_pending(self, runner: CliRunner) -> None:
        rows = as_json(runner, "as-of", "2025-04-10", "--state", "ME")
        got = {(r["department"], r["model"], r["status"], r["since"]) for r in rows}
        assert got == {
            ("Wells Police Department", "task_force", "active", "2025-04-02"),
            # ICE's pending sheet of 2025-04-04 (its spelling) and the Press Herald: one application
            ("Monmouth Winthrop Police Department", "task_force", "pending", "2025-04-04"),
        }
        pending = next(r for r in rows if r["status"] == "pending")
        assert pending["approximate"] is True and pending["since_not_before"] == "2025-04-03"

    def test_may_1_wells_active_nothing_pending(self, runner: CliRunner) -> None:
        rows = as_json(runner, "as-of", "2025-05-01", "--state", "maine")
        assert [(r["department"], r["status"]) for r in rows] == [("Wells Police Department", "active")]

    def test_today_nothing_in_force_in_maine(self, runner: CliRunner) -> None:
        assert as_json(runner, "list", "--state", "ME") == []
        out, _ = run(runner, "list", "--state", "ME")
        assert out.startswith("No 287(g) agreements in force in Maine on ")

    def test_history_wells_tells_the_story_with_sources(self, runner: CliRunner) -> None:
        doc = as_json(runner, "history", "wells")
        assert doc["department"]["id"] == "me-wells-police-department"  # type: ignore[call-overload]
        story = [(e["kind"], e["date"]) for e in doc["events"] if e["kind"] != "moa_linked"]  # type: ignore[call-overload]
        assert story == [
            ("applied", "2025-03-28"), ("signed", "2025-04-02"), ("paused", "2025-05-20"), ("terminated", "2025-10-21"),
        ]
        assert all(e["sources"] and e["sources"][0]["publisher"] for e in doc["events"])  # type: ignore[call-overload]


class TestFormats:
    def test_json_objects_carry_the_contract(self, runner: CliRunner) -> None:
        rows = as_json(runner, "as-of", "2025-04-10", "--registry", CURATED)
        assert rows and all(set(AGREEMENT_COLUMNS) <= set(r) for r in rows)
        wells = next(r for r in rows if r["department_id"] == "me-wells-police-department")
        assert wells["source"] == "pressherald-2025-04-08" and wells["sources"][0] == wells["source"]

    def test_csv_has_the_same_columns_as_json(self, runner: CliRunner) -> None:
        out, _ = run(runner, "as-of", "2025-04-10", "-r", CURATED, "-f", "csv")
        rows = list(csv.DictReader(io.StringIO(out)))
        assert tuple(rows[0]) == AGREEMENT_COLUMNS
        assert {r["department_id"] for r in rows} == {"me-wells-police-department", "me-monmouth-winthrop-police-department"}
        assert all(r["since"] for r in rows)

    def test_table_has_title_rows_and_counts(self, runner: CliRunner) -> None:
        out, _ = run(runner, "as-of", "2025-04-10", "-r", CURATED, "--state", "ME")
        assert "287(g) agreements on 2025-04-10 · Maine" in out
        assert "Wells Police Department" in out and "~2025-04-08" in out
        assert "2 agencies · 1 in force (1 task force) · 1 pending (1 task force)" in out

    def test_history_table_cites_sources(self, runner: CliRunner) -> None:
        out, _ = run(runner, "history", "wells", "-r", CURATED)
        assert "Wells Police Department (ME)" in out
        assert "https://www.mainepublic.org/politics/2025-05-21/" in out.replace("\n", "")
        assert "2025-04-02..2025-04-08" not in out  # that window is Monmouth-Winthrop's

    def test_history_window_is_shown(self, runner: CliRunner) -> None:
        doc = as_json(runner, "history", "monmouth", "-r", CURATED)
        applied = doc["events"][0]  # type: ignore[call-overload]
        assert (applied["kind"], applied["not_before"], applied["date"]) == ("applied", "2025-04-02", "2025-04-08")

    def test_history_csv_is_one_row_per_event(self, runner: CliRunner) -> None:
        # Was: "this command has no CSV form" although --help listed csv (issue 15).
        import csv
        import io

        out, _ = run(runner, "history", "wells", "-r", CURATED, "-f", "csv")
        rows = list(csv.DictReader(io.StringIO(out)))
        events = as_json(runner, "history", "wells", "-r", CURATED)["events"]  # type: ignore[index]
        assert [(r["date"], r["event"], r["model"]) for r in rows] == [
            (e["date"], e["kind"], e["model"]) for e in events]  # type: ignore[attr-defined]
        assert {r["department_id"] for r in rows} == {"me-wells-police-department"}
        out, _ = run(runner, "history", "wells", "-f", "csv")  # the bundled registry gives the county
        assert {r["county"] for r in csv.DictReader(io.StringIO(out))} == {"York County"}


class TestFilters:
    def test_model_status_type(self, runner: CliRunner, tmp_path: Path) -> None:
        reg = registry_of(
            [ev("tx-a", "signed", "2025-01-01", model="jail_enforcement"), ev("tx-a", "signed", "2025-01-01"),
             ev("tx-a", "paused", "2025-02-01"), ev("me-b", "applied", "2025-01-01")],
            departments=[dept("tx-a", type="County"), dept("me-b", type="Municipality")],
        )
        path = str(write(reg, tmp_path / "r.json"))
        base = ("as-of", "2025-03-01", "-r", path)
        assert {r["model"] for r in as_json(runner, *base, "--model", "jail_enforcement")} == {"jail_enforcement"}
        assert {r["status"] for r in as_json(runner, *base, "--status", "paused", "--status", "pending")} == {"paused", "pending"}
        assert {r["department_id"] for r in as_json(runner, *base, "--type", "county")} == {"tx-a"}
        assert {r["department_id"] for r in as_json(runner, *base, "--state", "Texas")} == {"tx-a"}

    def test_registry_from_environment(self, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        path = write(registry_of([ev("tx-a", "signed", "2025-01-01")]), tmp_path / "r.json")
        monkeypatch.setenv("ICESTATUS_REGISTRY", str(path))
        assert [r["department_id"] for r in as_json(runner, "as-of", "2025-03-01")] == ["tx-a"]


class TestMessages:
    def test_coverage_warning_is_one_stderr_line(self, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ICESTATUS_TODAY", "2030-01-01")
        out, err = run(runner, "list", "-r", CURATED, "-f", "json")
        assert json.loads(out) == []
        assert err.count("\n") == 1 and err.startswith("icestatus: warning: 2030-01-01 is outside")

    def test_empty_result_in_words(self, runner: CliRunner) -> None:
        out, _ = run(runner, "as-of", "2025-04-10", "-r", CURATED, "--state", "WY")
        assert out == "No 287(g) agreements in force in Wyoming on 2025-04-10 (and none pending).\n"
        out, _ = run(runner, "as-of", "2025-04-10", "-r", CURATED, "--state", "WY", "--status", "pending")
        assert out == "No pending 287(g) applications in Wyoming on 2025-04-10.\n"
        out, _ = run(runner, "as-of", "2025-04-10", "-r", CURATED, "--state", "WY", "--status", "paused")
        assert out == "No 287(g) agreements paused in Wyoming on 2025-04-10.\n"


class TestErrors:
    @pytest.mark.parametrize(("args", "code", "message"), [
        (["as-of", "2025-13-01"], 2, "icestatus: error: bad date '2025-13-01': there is no month 13 (months run 01 to 12)\n"),
        (["as-of", "2025-02-30"], 2, "icestatus: error: bad date '2025-02-30': no such day (February 2025 has 28 days)\n"),
        (["as-of", "May 1"], 2, "icestatus: error: bad date 'May 1': use YYYY-MM-DD (e.g. 2025-05-01), today or yesterday\n"),
        (["list", "--state", "Atlantis"], 2, "icestatus: error: unknown state 'Atlantis': give a USPS code (ME) or a name (Maine)\n"),
        (["history", "zzyzx qqq"], 1, "icestatus: error: no agency matches 'zzyzx qqq'; see `icestatus list` for names\n"),
    ])
    def test_usage_errors_are_one_line(self, runner: CliRunner, args: list[str], code: int, message: str) -> None:
        _, err = run(runner, *args, "-r", CURATED, code=code)
        assert err == message

    def test_tie_lists_candidates_and_exits_2(self, runner: CliRunner, tmp_path: Path) -> None:
        reg = registry_of([], departments=[dept("fl-washington-county-sheriffs-office", "Washington County Sheriff's Office"),
                                           dept("pa-washington-county-sheriffs-office", "Washington County Sheriff's Office")])
        _, err = run(runner, "history", "washington", "-r", str(write(reg, tmp_path / "r.json")), code=2)
        assert "fl-washington-county-sheriffs-office" in err and "pa-washington-county-sheriffs-office" in err
        assert err.count("\n") == 1

    def test_missing_registry_names_init(self, runner: CliRunner, tmp_path: Path) -> None:
        _, err = run(runner, "list", "-r", str(tmp_path / "none.json"), code=1)
        assert err == f"icestatus: error: {tmp_path / 'none.json'}: no such registry (create one with `icestatus init {tmp_path / 'none.json'}`)\n"

    def test_invalid_registry_names_file_path_and_record(self, runner: CliRunner, tmp_path: Path) -> None:
        bad = tmp_path / "bad.json"
        doc = json.loads((REPO / "data" / "curated" / "maine.json").read_text())
        doc["events"][2]["model"] = "tfm"
        bad.write_text(json.dumps(doc))
        _, err = run(runner, "list", "-r", str(bad), code=1)
        assert err.startswith(f"icestatus: error: {bad}: events[2].model (department_id 'me-monmouth-winthrop-police-department'): Input should be")
        assert err.count("\n") == 1

    def test_unexpected_error_is_reported_as_a_bug_without_traceback(self, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
        import icestatus.replay

        def boom(*_a: object, **_k: object) -> None:
            raise ZeroDivisionError("division by zero")

        monkeypatch.setattr(icestatus.replay, "replay", boom)
        _, err = run(runner, "as-of", "2025-05-01", "-r", CURATED, code=70)
        assert err == ("icestatus: error: unexpected ZeroDivisionError: division by zero. This is a bug in icestatus; "
                       "run again with ICESTATUS_DEBUG=1 to see the traceback and report it\n")


class TestDataIsPrintedLiterally:
    NAME = "[bold red]Evil[/] \x1b[31mPD\x1b]8;;http://x\x07"

    def test_markup_and_escapes_are_inert(self, runner: CliRunner, tmp_path: Path) -> None:
        reg = registry_of([ev("tx-evil", "signed", "2025-01-01")], departments=[dept("tx-evil", self.NAME)])
        path = str(write(reg, tmp_path / "r.json"))
        out, _ = run(runner, "as-of", "2025-02-01", "-r", path)
        assert "[bold red]Evil[/]" in out and "\x1b" not in out and "\\x1b[31mPD" in out
        raw = json.loads(run(runner, "as-of", "2025-02-01", "-r", path, "-f", "json")[0])
        assert raw[0]["department"] == self.NAME  # JSON keeps the data exact (escaped, not altered)
        out, _ = run(runner, "history", "evil", "-r", path)
        assert "\x1b" not in out and "\x07" not in out


def test_schema_is_the_models_json_schema(runner: CliRunner) -> None:
    out, _ = run(runner, "schema")
    schema = json.loads(out)
    assert schema["title"] == "Registry"
    assert set(schema["$defs"]) >= {"Event", "Department", "Source", "Policy"}
    assert "moa_url" in schema["$defs"]["Event"]["properties"]


def test_version(runner: CliRunner) -> None:
    out, _ = run(runner, "--version")
    assert out.startswith("icestatus ")
