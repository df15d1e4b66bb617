"""The README's statements about the bundled registry (its first and last sheets, the MOA
counts of its last sheet) are measured on it, not remembered from an older build (review F8).

The README's ```console examples are re-run by tests/test_cli_polish.py; these are the
facts stated in its prose."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ice_data import by_name
from icestatus.cli import app
from icestatus.enums import EventKind, SheetKind, SourceKind
from icestatus.registry import bundled_registry_path, load_registry

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BUNDLED = load_registry(bundled_registry_path())


def _flat(text: str) -> str:
    return " ".join(text.split())


def _num(text: str) -> int:
    return int(text.replace(",", ""))


def test_first_and_last_sheets_named_in_the_prose_are_the_registrys() -> None:
    # ICE's sheets (spreadsheets, from 2025); before them the registry has captures of ICE's page
    sheets_ = sorted(s.published for s in BUNDLED.sources
                     if s.sheet is SheetKind.participating and s.kind is SourceKind.ice_sheet and s.published)
    first, last = sheets_[0].isoformat(), sheets_[-1].isoformat()
    assert last == BUNDLED.coverage[SheetKind.participating].last.isoformat()
    flat = _flat(README)
    lasts = re.findall(r"ICE's last sheet in the registry \((\d{4}-\d\d-\d\d)", flat)
    assert lasts and set(lasts) == {last}
    assert f"which run from {first} to {last}" in flat
    earliest = re.findall(r"ICE's first list in the registry \(its page as captured on [\d-]+, dated (\d{4}-\d\d-\d\d)\)",
                          flat)
    assert earliest == [BUNDLED.coverage[SheetKind.participating].first.isoformat()]
    sheets = len({s.id for s in BUNDLED.sources if s.sheet is SheetKind.participating and s.kind is SourceKind.ice_sheet})
    assert f"two of the registry's {sheets}," in flat
    cover = BUNDLED.coverage[SheetKind.participating]
    assert f'"first": "{cover.first.isoformat()}", "first_source": "{cover.first_source}"' in README


def test_the_registrys_counts() -> None:
    found = re.search(r"[Tt]he registry holds ([\d,]+) agencies, ([\d,]+) agreements, ([\d,]+) events and ([\d,]+) "
                      r"sources", _flat(README))
    assert found
    # agreements as the build counts them: an agency and model with a signing
    pairs = {(e.department_id, e.model) for e in BUNDLED.events if e.kind is EventKind.signed}
    assert [_num(found[i]) for i in (1, 2, 3, 4)] == [
        len(BUNDLED.departments), len(pairs), len(BUNDLED.events), len(BUNDLED.sources)]


def _moa_claim() -> re.Match[str]:
    found = re.search(r"On ICE's last sheet in the registry \((\S+) (am|pm)\), ([\d,]+) of ([\d,]+) rows carry a "
                      r"hyperlink; the registry knows the MOA of ([\d,]+) agreements in force: those ([\d,]+), plus "
                      r"(.+?) \((\w\w)\)", _flat(README))
    assert found, "the README's MOA counts are gone"
    return found


def test_moa_counts_of_the_last_sheet(runner: CliRunner, tmp_path: Path) -> None:
    claim = _moa_claim()
    last = BUNDLED.coverage[SheetKind.participating].last.isoformat()
    assert claim[1] == last
    result = runner.invoke(app, ["moa", "--on", last, "--format", "json", "-r", str(bundled_registry_path())])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    linked = [r for r in rows if r["moa_url"]]
    assert (_num(claim[4]), _num(claim[5])) == (len(rows), len(linked))
    assert _num(claim[6]) == _num(claim[3]) == len(linked) - 1
    assert (claim[7], claim[8]) in {(r["department"], r["state"]) for r in linked}


@pytest.mark.shared
def test_moa_hyperlinks_on_the_last_sheet(ice_dir: Path) -> None:
    from icestatus.sources import read_roster

    claim = _moa_claim()
    source = next(s for s in BUNDLED.sources if s.id == BUNDLED.coverage[SheetKind.participating].last_source)
    name = source.title.rsplit(" ", 1)[-1]
    rows = read_roster(by_name(ice_dir, name)).rows
    assert (_num(claim[3]), _num(claim[4])) == (sum(1 for r in rows if r.moa_url), len(rows))
    (franklin,) = [r for r in rows if (r.agency, r.state) == (claim[7], claim[8])]
    assert franklin.moa_url is None and franklin.moa == "link pending"
