"""Finding agencies by name, filtering results, and reading state names."""

from __future__ import annotations

import pytest

from builders import d, dept, ev, registry_of
from icestatus.enums import Model, Status
from icestatus.errors import UsageError
from icestatus.match import AmbiguousMatchError, NoMatchError, find_department
from icestatus.names import department_id, normalize_name
from icestatus.query import filter_states
from icestatus.replay import replay
from icestatus.states import code_for_sheet_name, parse_state, state_name

AGENCIES = [
    dept("me-wells-police-department", "Wells Police Department"),
    dept("tx-jim-wells-county-sheriffs-office", "Jim Wells County Sheriff's Office"),
    dept("fl-washington-county-sheriffs-office", "Washington County Sheriff's Office"),
    dept("pa-washington-county-sheriffs-office", "Washington County Sheriff's Office"),
    dept("mn-saint-cloud-police-department", "St. Cloud Police Department", aliases=("Saint Cloud PD",)),
]
REG = registry_of([], departments=AGENCIES)


class TestFindDepartment:
    def test_clear_best_match_mentions_the_others(self) -> None:
        match = find_department(REG, "wells")
        assert match.department.id == "me-wells-police-department"
        assert [x.id for x in match.also] == ["tx-jim-wells-county-sheriffs-office"]

    def test_case_and_typos_are_forgiven(self) -> None:
        assert find_department(REG, "WELLS POLICE").department.id == "me-wells-police-department"
        assert find_department(REG, "wels police departmnt").department.id == "me-wells-police-department"
        assert find_department(REG, "jim wells").department.id == "tx-jim-wells-county-sheriffs-office"

    def test_id_and_alias(self) -> None:
        assert find_department(REG, "tx-jim-wells-county-sheriffs-office").department.state == "TX"
        assert find_department(REG, "saint cloud pd").department.id == "mn-saint-cloud-police-department"

    def test_tie_lists_candidates_with_ids(self) -> None:
        with pytest.raises(AmbiguousMatchError) as info:
            find_department(REG, "washington county")
        assert "fl-washington-county-sheriffs-office" in str(info.value)
        assert "pa-washington-county-sheriffs-office" in str(info.value)
        assert info.value.exit_code == 2

    def test_state_breaks_the_tie(self) -> None:
        assert find_department(REG, "washington county", state="PA").department.id == "pa-washington-county-sheriffs-office"

    def test_no_match(self) -> None:
        with pytest.raises(NoMatchError, match="no agency matches 'zzyzx'"):
            find_department(REG, "zzyzx")


def test_names_normalize_spellings_seen_in_ice_sheets() -> None:
    assert normalize_name("Jim Wells County Sheriff\u2019s Office ") == normalize_name("jim  wells county sheriff's office")
    assert normalize_name("Ft. Myers Police Dept.") == normalize_name("Fort Myers Police Department")
    assert department_id("ME", "Wells Police Department") == "me-wells-police-department"
    assert department_id("TX", "Jim Wells County Sheriff's Office") == "tx-jim-wells-county-sheriffs-office"


class TestStates:
    @pytest.mark.parametrize("text", ["ME", "me", "Maine", "MAINE", " maine ", "23"])
    def test_user_state_forms(self, text: str) -> None:
        assert parse_state(text) == "ME"

    def test_unknown_state(self) -> None:
        with pytest.raises(UsageError, match="unknown state 'Atlantis'"):
            parse_state("Atlantis")

    def test_sheet_names_are_exact(self) -> None:
        assert code_for_sheet_name("DISTRICT OF COLUMBIA") == "DC"
        assert code_for_sheet_name("NEW  YORK") == "NY"
        assert code_for_sheet_name("MAIN") is None
        assert state_name("ME") == "Maine"


def test_filters_combine() -> None:
    reg = registry_of([
        ev("tx-a", "signed", "2025-01-01", model="jail_enforcement"),
        ev("tx-a", "signed", "2025-01-01"),
        ev("tx-a", "paused", "2025-02-01"),
        ev("me-b", "applied", "2025-01-01"),
    ], departments=[dept("tx-a", type="County"), dept("me-b", type="Municipality")])
    states = replay(reg, d("2025-03-01"))
    assert len(filter_states(states)) == 3
    assert [a.department.id for a in filter_states(states, state="ME")] == ["me-b"]
    assert [a.model for a in filter_states(states, models=[Model.jail_enforcement])] == [Model.jail_enforcement]
    assert [a.status for a in filter_states(states, statuses=[Status.paused, Status.pending])] == [Status.pending, Status.paused]
    assert {a.department.id for a in filter_states(states, types=["county"])} == {"tx-a"}
