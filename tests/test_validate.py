"""icestatus validate: every problem of a registry file, each with its JSON path."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from builders import dept, ev, registry_of, write
from icestatus.cli import app
from icestatus.models import Registry
from icestatus.registry import bundled_registry_path, dump_registry
from icestatus.validate import validate_bytes, validate_file

FIXTURE = Path(__file__).parent / "fixtures" / "reports_registry.json"
TODAY = dt.date(2025, 11, 1)


def problems_of(doc: dict[str, Any], tmp_path: Path, today: dt.date = TODAY) -> list[str]:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    return [str(p) for p in validate_file(path, today).problems]


def good_doc() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def run(runner: CliRunner, *args: str, code: int = 0) -> tuple[str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout, result.stderr


class TestChecks:
    def test_a_sound_file_has_no_problems(self, tmp_path: Path) -> None:
        result = validate_file(FIXTURE, TODAY)
        assert result.ok and result.problems == []
        assert result.summary() == f"{FIXTURE}: valid: 5 sources, 7 agencies, 19 events, 2 policies"

    def test_every_schema_error_with_its_path_and_record(self, tmp_path: Path) -> None:
        doc = good_doc()
        doc["events"][0]["date"] = "2025-02-30"
        doc["events"][1]["sources"] = []          # an event without a source
        doc["events"][2]["colour"] = "red"        # unknown field
        del doc["events"][3]["kind"]
        doc["departments"][0]["state"] = "Texas"
        doc["policies"][0]["sources"] = []
        got = problems_of(doc, tmp_path)
        first = doc["events"][0]["department_id"]
        assert any(p.startswith("events[0].date: Input should be a valid date") and f"(department_id {first!r})" in p
                   for p in got)
        assert any(p.startswith("events[1].sources: Tuple should have at least 1 item") for p in got)
        assert any(p.startswith("events[2].colour: unknown field") for p in got)
        assert any(p.startswith("events[3].kind: Field required") for p in got)
        assert any(p.startswith("departments[0].state: String should match pattern") and "'Texas'" in p for p in got)
        assert any(p.startswith("policies[0].sources: Tuple should have at least 1 item") for p in got)
        assert len(got) == 6

    def test_schema_errors_stop_the_integrity_checks_and_say_so(self, tmp_path: Path) -> None:
        path = tmp_path / "r.json"
        path.write_text('{"schema_version": 1, "events": [{"department_id": "tx-x"}]}')
        result = validate_file(path, TODAY)
        assert result.registry is None
        assert result.summary() == f"{path}: 4 problems (the integrity checks run once the file passes the schema)"

    def test_not_json_and_empty(self, tmp_path: Path) -> None:
        assert [str(p) for p in validate_bytes(b'{"schema_version": 1,', Path("x.json"), TODAY).problems] == [
            "(top level): not valid JSON: EOF while parsing a value at line 1 column 21"]
        assert [str(p) for p in validate_bytes(b"  \n", Path("x.json"), TODAY).problems] == [
            "(top level): empty file, not a registry"]

    def test_encodings_are_named(self) -> None:
        [p] = validate_bytes(b'\xef\xbb\xbf{"schema_version": 1}', Path("x.json"), TODAY).problems
        assert str(p) == ("(top level): starts with a byte-order mark (BOM), which a registry may not; "
                          "save it as UTF-8 without a BOM")

    def test_the_saved_layout_is_checked_as_fully_as_any(self) -> None:
        """A file in save_registry's layout is validated slice by slice (the loader's lean
        path); its errors are still every error, at their paths in the whole file."""
        registry = registry_of([ev("tx-a", "signed", f"2025-01-{d:02d}") for d in range(1, 29)])
        data = dump_registry(registry).replace(b'"date": "2025-01-07"', b'"date": "2025-01-32"')
        data = data.replace(b'"date": "2025-01-20"', b'"date": 20')
        got = [str(p) for p in validate_bytes(data, Path("x.json"), TODAY).problems]
        assert [p.split(":")[0] for p in got] == ["events[6].date", "events[19].date"]

    def test_references_duplicates_and_windows(self, tmp_path: Path) -> None:
        doc = good_doc()
        doc["sources"].append(dict(doc["sources"][0]))
        doc["departments"].append(dict(doc["departments"][0]))
        doc["events"][0]["department_id"] = "tx-nobody"
        doc["events"][1]["sources"] = ["nope"]
        doc["events"][2]["not_before"] = "2026-01-01"
        doc["policies"][1]["sources"] = ["gone"]
        got = problems_of(doc, tmp_path, today=dt.date(2030, 1, 1))
        assert "sources[5].id: duplicate source id 'ice-2025-05-16'" in got
        assert "departments[7].id: duplicate department id 'tx-harris-county-sheriffs-office'" in got
        assert "events[0].department_id: unknown department 'tx-nobody'" in got
        assert any(p.startswith("events[1].sources[0]: unknown source 'nope'") for p in got)
        assert any(p.startswith("events[2].not_before: 2026-01-01 is after date") for p in got)
        assert "policies[1].sources[0]: unknown source 'gone' (ME)" in got

    def test_keys_given_twice_are_named(self) -> None:
        text = json.dumps(good_doc())
        # A second "events" key: a JSON reader keeps only the last list, silently.
        doubled = text[:-1] + ', "events": []}'
        doubled = doubled.replace('"title": ', '"title": "x", "title": ', 1)
        result = validate_bytes(doubled.encode(), Path("r.json"), TODAY)
        got = [str(p) for p in result.problems]
        assert "title: key given twice in one object; a reader keeps only the last" in got
        assert "events: key given twice in one object; a reader keeps only the last" in got
        assert not result.ok

    def test_events_out_of_date_order(self, tmp_path: Path) -> None:
        doc = good_doc()
        doc["events"][0], doc["events"][5] = doc["events"][5], doc["events"][0]
        got = [p for p in problems_of(doc, tmp_path) if "date order" in p]
        dates = [e["date"] for e in doc["events"]]
        assert got == [
            f"events[1].date: {dates[1]} is before the date of events[0] ({dates[0]}): keep events in date order",
            f"events[5].date: {dates[5]} is before the date of events[4] ({dates[4]}): keep events in date order",
        ]

    def test_problems_come_in_record_order_each_record_in_check_order(self) -> None:
        doc = {"schema_version": 1, "sources": [{"id": "s", "kind": "news", "title": "t", "publisher": "p"}],
               "departments": [{"id": "tx-a", "name": "A", "state": "TX"}],
               "events": [
                   {"department_id": "tx-a", "model": "task_force", "kind": "signed", "date": "2025-06-01", "sources": ["s"]},
                   {"department_id": "tx-a", "model": "task_force", "kind": "resumed", "date": "2025-06-03", "sources": ["s"]},
                   {"department_id": "tx-a", "model": "task_force", "kind": "terminated", "date": "2025-05-20",
                    "not_before": "2025-05-28", "sources": ["nope"]}]}
        got = [str(p).split(":")[0] for p in validate_bytes(json.dumps(doc).encode(), Path("r.json"), TODAY).problems]
        assert got == ["events[1].kind",  # resumed, but not paused
                       "events[2].sources[0]", "events[2].not_before", "events[2].date",  # records, then order
                       "events[2].kind"]  # replayed in date order, it ends nothing: it comes first

    def test_impossible_transitions(self, tmp_path: Path) -> None:
        registry = registry_of([
            ev("tx-a", "terminated", "2025-01-01"),                # terminated before any signing
            ev("tx-a", "resumed", "2025-01-02"),                   # resumed with nothing in force
            ev("tx-a", "signed", "2025-01-03"),
            ev("tx-a", "resumed", "2025-01-04"),                   # resumed while not paused
            ev("tx-a", "paused", "2025-01-05"),
            ev("tx-a", "paused", "2025-01-06"),                    # paused while paused
            ev("tx-b", "withdrawn", "2025-01-07"),                 # withdrawn with nothing pending
            ev("tx-b", "corrected", "2025-01-08", signed="2025-01-01"),
            ev("tx-b", "moa_linked", "2025-01-09", moa_url="https://example.org/m.pdf"),
            ev("tx-b", "delisted", "2025-01-10"),
            ev("tx-b", "paused", "2025-01-11"),
            ev("tx-a", "signed", "2025-01-12"),                     # a renewal while in force: fine
            ev("tx-a", "applied", "2025-01-13"),                    # a renewal application: fine
        ])
        got = [str(p) for p in validate_bytes(dump_registry(registry), Path("r.json"), TODAY).problems]
        assert got == [
            "events[0].kind: terminated, but no agreement is in force (tx-a, task_force, 2025-01-01)",
            "events[1].kind: resumed, but no agreement is in force (tx-a, task_force, 2025-01-02)",
            "events[3].kind: resumed, but not paused (tx-a, task_force, 2025-01-04)",
            "events[5].kind: paused, but already paused (tx-a, task_force, 2025-01-06)",
            "events[6].kind: withdrawn, but no application is pending (tx-b, task_force, 2025-01-07)",
            "events[7].kind: corrected, but no agreement is in force (tx-b, task_force, 2025-01-08)",
            "events[8].kind: moa_linked, but no agreement is in force (tx-b, task_force, 2025-01-09)",
            "events[9].kind: delisted, but no agreement is in force (tx-b, task_force, 2025-01-10)",
            "events[10].kind: paused, but no agreement is in force (tx-b, task_force, 2025-01-11)",
        ]

    def test_transitions_follow_replay_order_but_name_file_positions(self, tmp_path: Path) -> None:
        doc = good_doc()
        # Wells' pause moved to the end of the file: in date order it still follows the signing.
        wells_pause = next(i for i, e in enumerate(doc["events"]) if e["kind"] == "paused")
        doc["events"].append(doc["events"].pop(wells_pause))
        got = problems_of(doc, tmp_path)
        assert len(got) == 1 and "keep events in date order" in got[0]

    def test_same_day_events_apply_in_file_order(self) -> None:
        signed_then_paused = registry_of([ev("tx-a", "signed", "2025-01-01"), ev("tx-a", "paused", "2025-01-01")])
        paused_then_signed = signed_then_paused.model_copy(update={"events": signed_then_paused.events[::-1]})
        assert validate_bytes(dump_registry(signed_then_paused), Path("r"), TODAY).ok
        [p] = validate_bytes(dump_registry(paused_then_signed), Path("r"), TODAY).problems
        assert str(p) == "events[0].kind: paused, but no agreement is in force (tx-a, task_force, 2025-01-01)"

    def test_dates_in_the_future(self, tmp_path: Path) -> None:
        doc = good_doc()
        doc["events"][-1]["date"] = "2025-11-02"
        doc["policies"][0]["date"] = "2030-01-01"
        doc["sources"][0]["published"] = "2026-01-01"
        doc["coverage"] = {"participating": {"first": "2025-05-16", "first_source": "ice-2025-05-16",
                                             "last": "2025-12-01", "last_source": "ice-2025-07-18"}}
        got = problems_of(doc, tmp_path)
        assert got == [  # in the order of the file's sections
            "coverage.participating.last: 2025-12-01 is in the future (today is 2025-11-01)",
            "sources[0].published: 2026-01-01 is in the future (today is 2025-11-01) (ice-2025-05-16)",
            "policies[0].date: 2030-01-01 is in the future (today is 2025-11-01) (CA)",
            "events[18].date: 2025-11-02 is in the future (today is 2025-11-01) (me-wells-police-department)",
        ]
        assert problems_of(doc, tmp_path, today=dt.date(2031, 1, 1)) == []


# Sensible logs, generated with their own (test-side) rules: validate finds nothing in them.
@st.composite
def sensible_logs(draw: st.DrawFn) -> Registry:
    events = []
    day = 0
    for agency in ("tx-a", "tx-b", "me-c"):
        in_force = paused = pending = False
        for _ in range(draw(st.integers(0, 12))):
            day += draw(st.integers(0, 3))
            allowed = ["applied", "signed"]
            if pending:
                allowed.append("withdrawn")
            if in_force:
                allowed += ["terminated", "delisted", "corrected", "moa_linked", "resumed" if paused else "paused"]
            kind = draw(st.sampled_from(allowed))
            date = (dt.date(2025, 1, 1) + dt.timedelta(days=day)).isoformat()
            extra: dict[str, Any] = {"signed": "2024-12-01"} if kind == "corrected" else {}
            if kind == "moa_linked":
                extra["moa_url"] = "https://example.org/moa.pdf"
            events.append(ev(agency, kind, date, **extra))
            if kind == "applied":
                pending = True
            elif kind == "withdrawn":
                pending = False
            elif kind == "signed":
                in_force, paused, pending = True, False, False
            elif kind in ("terminated", "delisted"):
                in_force = paused = False
            elif kind in ("paused", "resumed"):
                paused = kind == "paused"
    return registry_of(events, [dept("tx-a"), dept("tx-b"), dept("me-c")])


@settings(max_examples=100, derandomize=True, deadline=None)
@given(sensible_logs())
def test_sensible_logs_have_no_problems(registry: Registry) -> None:
    result = validate_bytes(dump_registry(registry), Path("r.json"), dt.date(2030, 1, 1))
    assert result.problems == []


class TestCommand:
    def test_sound_file_exits_0_with_a_summary(self, runner: CliRunner) -> None:
        out, err = run(runner, "validate", str(FIXTURE))
        assert out == f"{FIXTURE}: valid: 5 sources, 7 agencies, 19 events, 2 policies\n" and err == ""
        out, err = run(runner, "validate", str(FIXTURE), "--format", "json")
        assert json.loads(out) == [] and err.startswith(f"{FIXTURE}: valid")

    def test_every_problem_listed_then_one_error_line(self, runner: CliRunner, tmp_path: Path) -> None:
        registry = registry_of([ev("tx-a", "resumed", "2025-01-01"), ev("tx-a", "terminated", "2025-01-02")])
        path = write(registry, tmp_path / "r.json")
        out, err = run(runner, "validate", str(path), code=1)
        assert out.splitlines() == [
            "events[0].kind: resumed, but no agreement is in force (tx-a, task_force, 2025-01-01)",
            "events[1].kind: terminated, but no agreement is in force (tx-a, task_force, 2025-01-02)",
        ]
        assert err == f"icestatus: error: {path}: 2 problems\n"
        rows = json.loads(run(runner, "validate", str(path), "--format", "json", code=1)[0])
        assert rows[0] == {"path": "events[0].kind",
                           "message": "resumed, but no agreement is in force (tx-a, task_force, 2025-01-01)"}
        out, _ = run(runner, "validate", str(path), "--format", "csv", code=1)
        assert out.splitlines()[0] == "path,message" and out.splitlines()[2].startswith("events[1].kind,")

    def test_path_defaults_to_registry_option_env_then_bundled(self, runner: CliRunner, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
        out, _ = run(runner, "validate", "--registry", str(FIXTURE))
        assert out.startswith(f"{FIXTURE}: valid")
        monkeypatch.setenv("ICESTATUS_REGISTRY", str(FIXTURE))
        assert run(runner, "validate")[0].startswith(f"{FIXTURE}: valid")
        monkeypatch.delenv("ICESTATUS_REGISTRY")
        result = runner.invoke(app, ["validate"], catch_exceptions=False)
        assert f"{bundled_registry_path()}: " in result.stdout + result.stderr

    def test_today_comes_from_icestatus_today(self, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ICESTATUS_TODAY", "2025-07-01")  # before some of the fixture's events
        out, err = run(runner, "validate", str(FIXTURE), code=1)
        assert "is in the future (today is 2025-07-01)" in out
        assert err.startswith(f"icestatus: error: {FIXTURE}: ")

    def test_unreadable_paths(self, runner: CliRunner, tmp_path: Path) -> None:
        _, err = run(runner, "validate", str(tmp_path / "missing.json"), code=1)
        assert err.startswith(f"icestatus: error: {tmp_path / 'missing.json'}: no such registry")
        _, err = run(runner, "validate", str(tmp_path), code=1)
        assert err == f"icestatus: error: {tmp_path}: is a directory, not a registry file\n"

    def test_data_in_messages_is_inert(self, runner: CliRunner, tmp_path: Path) -> None:
        doc = good_doc()
        doc["events"][0]["department_id"] = "tx-\x1b[31mevil"
        path = tmp_path / "r.json"
        path.write_text(json.dumps(doc))
        out, _ = run(runner, "validate", str(path), code=1)
        assert "\x1b" not in out and "\\x1b[31mevil" in out


def test_the_bundled_registry_is_sound(runner: CliRunner) -> None:
    """The registry users get by default passes every check (today: the real date)."""
    out, err = run(runner, "validate")
    assert out.startswith(f"{bundled_registry_path()}: valid: ") and err == ""
