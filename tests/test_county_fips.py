"""The build's county FIPS step (scripts/county_fips.py) and the codes in the bundled registry."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from builders import dept, registry_of
from icestatus.registry import bundled_registry_path, load_registry

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
try:
    import county_fips
finally:
    sys.path.pop(0)


def fix(state: str, county: str, read_as: str | None, reason: str = "reviewed", department_id: str | None = None
        ) -> county_fips.Fix:
    return county_fips.Fix(state=state, county=county, read_as=read_as, reason=reason, department_id=department_id)


def codes(*departments: object, fixes: list[county_fips.Fix] | None = None) -> tuple[dict[str, str | None], list[str]]:
    reg = registry_of([], departments=departments)  # type: ignore[arg-type]
    out, report = county_fips.add_county_fips(reg, fixes or [])
    return {d.id: d.county_fips for d in out.departments}, report.lines()


def test_what_resolves_and_how() -> None:
    found, lines = codes(
        dept("me-wells-police-department", county="York County"),
        dept("ms-jackson-police-department", county="Hinds"),                 # the county word added
        dept("la-union-parish-sheriffs-office", county="Union County"),        # Louisiana: a parish
        dept("al-clarke-county-sheriffs-office", county="County"),             # from the name
        dept("fl-pasco-county-jail"),                                          # no county: the name
        dept("al-loxley-police-department", county="Baldwin Couny"),           # a fix
        dept("tx-splendora-police-department", county="#n?A"),                 # ICE's #N/A
        dept("fl-kershaw-county-sheriffs-office", county="Kershaw County"),    # reviewed: none
        dept("tx-plain-police-department"),                                    # nothing to go on
        fixes=[fix("AL", "Baldwin Couny", "Baldwin County"),
               fix("FL", "Kershaw County", None, "in South Carolina", "fl-kershaw-county-sheriffs-office"),
               fix("OR", "Nowhere", "Multnomah County")],
    )
    assert found == {
        "me-wells-police-department": "23031", "ms-jackson-police-department": "28049",
        "la-union-parish-sheriffs-office": "22111", "al-clarke-county-sheriffs-office": "01025",
        "fl-pasco-county-jail": "12101", "al-loxley-police-department": "01003",
        "tx-splendora-police-department": None, "fl-kershaw-county-sheriffs-office": None,
        "tx-plain-police-department": None,
    }
    assert lines[0].startswith("county FIPS: 5 of 9 agencies name a county: 4 resolved (3 as ICE prints it, "
                               "1 by a reviewed fix")
    assert "of the 4 with no county (none, or ICE's #N/A), 2 resolved from the agency's own name" in lines[0]
    text = "\n".join(lines)
    assert "tx-splendora-police-department: ICE gives no county" in text
    assert "fl-kershaw-county-sheriffs-office: reviewed: in South Carolina" in text
    assert "tx-plain-police-department" not in text  # no county given, none in its name: nothing to report
    assert "unused fix (no agency has that county any more): OR 'Nowhere'" in text


def test_a_fix_for_one_agency_wins_over_one_for_the_state() -> None:
    found, _ = codes(
        dept("ar-texarkana-police-department", county="Bowie County"),
        dept("ar-other-police-department", county="Bowie County"),
        fixes=[fix("AR", "Bowie County", "Miller County", department_id="ar-texarkana-police-department"),
               fix("AR", "Bowie County", None)],
    )
    assert found == {"ar-texarkana-police-department": "05091", "ar-other-police-department": None}


def test_bad_fixes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(county_fips.FixError, match="not a county of TX"):
        county_fips.Resolver([fix("TX", "Palmer County", "Palmer County")])
    path = tmp_path / "fixes.json"
    path.write_text(json.dumps({"fixes": [{"state": "TX", "county": "X", "read_as": None, "reason": " "}]}))
    with pytest.raises(county_fips.FixError, match="gives no reason"):
        county_fips.load_fixes(path)
    path.write_text("{")
    with pytest.raises(county_fips.FixError, match=r"fixes\.json"):
        county_fips.load_fixes(path)


def test_every_reviewed_fix_has_a_reason_and_resolves() -> None:
    fixes = county_fips.load_fixes()
    assert fixes and all(f.reason for f in fixes)
    county_fips.Resolver(fixes)  # raises when a read_as is not a county of its state


def test_the_bundled_registry_has_every_code_the_step_gives() -> None:
    """Every agency that names a county has a code in data/agreements.json, or is in the
    build's report; each code is of the agency's own state; no fix is stale."""
    import us

    bundled = load_registry(bundled_registry_path())
    without = tuple(dataclasses.replace(d, county_fips=None) for d in bundled.departments)
    rebuilt, report = county_fips.add_county_fips(bundled.model_copy(update={"departments": without}))
    assert [d.county_fips for d in rebuilt.departments] == [d.county_fips for d in bundled.departments]
    unresolved = {d.id for d, _ in report.unresolved}
    for d in bundled.departments:
        if county_fips.names_county(d):
            assert d.county_fips is not None or d.id in unresolved, d
        if d.county_fips is not None:
            assert d.county_fips[:2] == us.states.lookup(d.state).fips, d
    assert report.unused_fixes == []
    named = sum(county_fips.names_county(d) for d in bundled.departments)
    with_code = sum(1 for d in bundled.departments if county_fips.names_county(d) and d.county_fips)
    assert with_code / named > 0.99
