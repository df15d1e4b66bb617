"""A smoke run of the benchmark suite (benchmarks/): tiny sizes, one run per case, no timing
assertions. It proves the generator writes valid, deterministic registries and that every
case of the suite runs the installed command to success (or says n/a)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from icestatus.registry import load_registry
from icestatus.replay import replay
from icestatus.validate import validate_file

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def make_registry() -> ModuleType:
    return _module("make_registry")


def test_generated_registry_is_valid_and_deterministic(make_registry: ModuleType, tmp_path: Path) -> None:
    one, two, other = tmp_path / "one.json", tmp_path / "two.json", tmp_path / "other.json"
    for path, seed in ((one, 7), (two, 7), (other, 8)):
        assert make_registry.main(["--events", "3000", "--agencies", "60", "--seed", str(seed), str(path)]) == 0
    assert one.read_bytes() == two.read_bytes()
    assert one.read_bytes() != other.read_bytes()
    checked = validate_file(one, dt.date(2026, 1, 1))
    assert checked.problems == []
    registry = load_registry(one)
    assert len(registry.events) == 3000
    assert len(registry.departments) == 60
    kinds = {e.kind.value for e in registry.events}
    assert {"applied", "signed", "paused", "resumed", "terminated", "withdrawn", "delisted"} <= kinds
    assert any(e.not_before for e in registry.events)
    assert any(d.aliases for d in registry.departments)
    assert len({s.kind for s in registry.sources}) >= 3
    assert len({e.model for e in registry.events}) == 3
    assert replay(registry, dt.date(2025, 10, 31))  # agreements in force at the end


def test_suite_smoke_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _module("run")
    out = tmp_path / "figures.json"
    code = run.main(["--quick", "--runs", "1", "--warmup", "0", "--cache", str(tmp_path / "cache"),
                     "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    doc = json.loads(out.read_text())
    cases = {c["case"]: c for c in doc["cases"]}
    assert {"startup-list", "startup-help", "asof-ratio", "trend", "history", "ingest-all", "ingest-one"} <= set(cases)
    for case in cases.values():
        assert case.get("returncode", 0) == 0, case
        assert case.get("median_s", 1) > 0
        assert case["note"].startswith("n/a") or "median_s" in case or case["case"] == "asof-ratio", case
    assert cases["startup-list"]["figure"] > 0
    for name in cases:
        assert name in printed
