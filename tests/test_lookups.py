"""Real lookups on the bundled registry, as people type them (issue 15).

Each row is a query (and an optional ``--state``) with the agency it means, or the short
list of agencies a real ambiguity must offer. Counties, cities and state agencies; with
and without a state; misspelt; ICE's own misspellings; words in another order.
"""

from __future__ import annotations

from functools import cache

import pytest

from icestatus.match import AmbiguousMatchError, NoMatchError, find_department, search
from icestatus.models import Registry
from icestatus.registry import bundled_registry_path, load_registry


@cache
def bundled() -> Registry:
    return load_registry(bundled_registry_path())


NASSAU_FL, NASSAU_NY_SO, NASSAU_NY_PD = (
    "fl-nassau-county-sheriffs-office", "ny-nassau-county-sheriffs-office", "ny-nassau-county-police-department",
)
TX_DPS = {"tx-department-of-public-safety-texas-highway-patrol",
          "tx-department-of-public-safety-criminal-investigations-division"}

# (query, --state, the agency meant: an id, or the set of ids a real ambiguity lists)
LOOKUPS: list[tuple[str, str | None, str | set[str]]] = [
    # counties
    ("Harris County GA", None, "ga-harris-county-sheriffs-office"),
    ("harris co", "GA", "ga-harris-county-sheriffs-office"),
    ("harris co", "TX", "tx-harris-county-sheriffs-office"),  # Texas's, on ICE's page of 2010-2017
    ("harris co", None, {"ga-harris-county-sheriffs-office", "tx-harris-county-sheriffs-office"}),
    ("Lampasas County", "TX", "tx-lampass-county-sheriffs-office"),          # ICE prints "Lampass"
    ("Lampass County", None, "tx-lampass-county-sheriffs-office"),           # ICE's own spelling
    ("Nasau county sheriff", None, {NASSAU_FL, NASSAU_NY_SO}),              # typo; NY and FL
    ("Nassau County", None, {NASSAU_FL, NASSAU_NY_SO, NASSAU_NY_PD}),
    ("Nassau NY", None, {NASSAU_NY_SO, NASSAU_NY_PD}),
    ("Nassau County Sheriff, NY", None, NASSAU_NY_SO),
    ("Sheriff Nassau County NY", None, NASSAU_NY_SO),                        # word order
    ("nassau county sheriff's office", "FL", NASSAU_FL),
    ("Hillsboro county", None, {"fl-hillsborough-county-sheriffs-office", "nh-hillsborough-county-sheriffs-office"}),
    ("Hillsborough County FL", None, "fl-hillsborough-county-sheriffs-office"),
    ("Rensalear", None, "ny-rensselaer-county-sheriffs-office"),             # typo
    ("Rensselaer County", None, "ny-rensselaer-county-sheriffs-office"),
    ("County of Coweta sheriff", None, "ga-coweta-county-sheriffs-office"),  # word order
    ("Coweta", None, "ga-coweta-county-sheriffs-office"),
    ("Callaway Co. Sheriff's Office", None, "mo-callaway-county-sheriffs-office"),
    ("Live Oak County TX", None, "tx-live-oak-county-sheriffs-office"),
    ("Wharton County Sheriff's Office", None, "tx-wharton-county-sheriffs-office"),  # ICE's curly apostrophe
    ("Childres county", None, "tx-childress-county-sheriffs-office"),        # typo
    ("Washington County, Utah", None, "ut-washington-county-sheriffs-office"),
    ("washington county", "PA", "pa-washington-county-sheriffs-office"),
    ("Jackson County AR", None, "ar-jackson-county-sheriffs-office"),
    ("Berrien County", None, "mi-berrian-county-sheriffs-office"),           # ICE prints "Berrian"
    ("Okalosa", None, "fl-okaloosa-county-sheriffs-office"),                 # typo
    ("Okaloosa BOCC", None, "fl-okaloosa-county-sheriffs-office"),           # an alias ICE used
    ("Harrison County", "TX", "tx-harrison-county-sheriffs-office"),
    ("Miami Dade Sheriff", None, "fl-miami-dade-sheriffs-office"),
    ("Miami-Dade Corrections", None, "fl-miami-dade-county-corrections-and-rehabilitation"),
    # cities and towns
    ("wells", None, "me-wells-police-department"),
    ("wels", None, "me-wells-police-department"),                            # typo
    ("Wells Maine", None, "me-wells-police-department"),
    ("wels police departmnt", None, "me-wells-police-department"),
    ("jim wells", None, "tx-jim-wells-county-sheriffs-office"),
    ("Alice PD", None, "tx-alice-police-department"),
    ("Fayetteville police", None, {"oh-fayetteville-police-department", "wv-fayetteville-police-department"}),
    ("Fayetteville police", "WV", "wv-fayetteville-police-department"),
    ("Muncy Borough", None, "pa-muncy-borough-police-department"),
    ("Orwigsburg", None, "pa-orwigsburg-borough-police-department"),
    ("Police Department Jellico", None, "tn-jellico-police-department"),     # word order
    ("North Bay Village", None, "fl-north-bay-village-police-department"),
    ("Marco Island", None, "fl-macro-island-police-department"),             # ICE prints "Macro"
    ("Macro Island PD", None, "fl-macro-island-police-department"),
    ("Indiatlantic police", None, "fl-indialantic-police-department"),       # ICE's misspelling, as an alias
    ("St. Cloud PD FL", None, "fl-saint-cloud-police-department"),
    ("Fort Myers Police", None, "fl-fort-myers-police-department"),          # ICE prints "Ft. Myers"
    # state agencies
    ("Georgia Department of Corrections", None, "ga-georgia-department-of-corrections"),
    ("Alaska Department of Corrections", None, "ak-department-of-corrections"),
    ("Texas DPS", None, TX_DPS),
    ("Iowa Department of Public Safety", None, "ia-iowa-department-of-public-safety"),
    ("Mississippi DPS", None, "ms-mississippi-department-of-public-safety"),
    ("Florida Dept of Law Enforcement", None, "fl-florida-department-of-law-enforcement"),
    ("Attorney General Texas", None, "tx-office-of-the-attorney-general"),
    ("Texas Attorney General", None, "tx-office-of-the-attorney-general"),  # word order
    ("West Virginia National Guard", None, "wv-west-virginia-national-guard"),
    ("Pensacola State College", None, "fl-distict-board-of-trustees-of-pensacola-state-college"),  # ICE: "Distict"
]


def test_the_table_is_big_enough() -> None:
    assert len(LOOKUPS) >= 40


@pytest.mark.parametrize(("query", "state", "meant"), LOOKUPS, ids=[f"{q}|{s or ''}" for q, s, _ in LOOKUPS])
def test_lookup(query: str, state: str | None, meant: str | set[str]) -> None:
    reg = bundled()
    if isinstance(meant, str):
        assert find_department(reg, query, state).department.id == meant
    else:
        with pytest.raises(AmbiguousMatchError) as info:
            find_department(reg, query, state)
        assert {d.id for d in info.value.candidates} == meant
        for dept_id in meant:
            assert dept_id in str(info.value)  # each candidate is offered with its id
    # search lists the same agencies first
    top = [c.department.id for c in search(bundled(), query, state)]
    wanted = {meant} if isinstance(meant, str) else meant
    assert set(top[: len(wanted)]) == wanted


def test_nothing_in_the_state_names_the_nearest_elsewhere() -> None:
    for state, query in (("TX", "Rensselaer County"), (None, "Rensselaer County, Texas"),
                         (None, "Rensselaer County TX")):
        with pytest.raises(NoMatchError) as info:
            find_department(bundled(), query, state)
        message = str(info.value)
        assert message.startswith("nothing in Texas matches 'Rensselaer County'; nearest elsewhere: ")
        assert "ny-rensselaer-county-sheriffs-office" in message
        assert "Anderson" not in message


def test_a_clear_answer_mentions_only_close_runners_up() -> None:
    assert find_department(bundled(), "Rensselaer County").also == []
    assert [d.id for d in find_department(bundled(), "wells").also] == ["tx-jim-wells-county-sheriffs-office"]
    assert find_department(bundled(), "Harris County", "TX").also == []  # Harrison is another name


def test_a_word_that_names_an_agency_is_taken_as_typed() -> None:
    ids = [c.department.id for c in search(bundled(), "Harris County")]
    # Georgia's of ICE's sheets, Texas's of ICE's page (2010-2017); no Harrison County
    assert ids == ["ga-harris-county-sheriffs-office", "tx-harris-county-sheriffs-office"]


def test_query_state_and_option_state_must_agree() -> None:
    from icestatus.errors import UsageError

    with pytest.raises(UsageError, match="names Texas but --state says Georgia"):
        find_department(bundled(), "Harris County TX", "GA")


@pytest.mark.parametrize(("text", "words", "state"), [
    ("Harris County, Texas", ("harris", "county"), "TX"),
    ("Harris County TX", ("harris", "county"), "TX"),
    ("Nassau NY", ("nassau",), "NY"),
    ("Texas Attorney General", ("attorney", "general"), "TX"),
    ("West Virginia National Guard", ("national", "guard"), "WV"),
    ("Harris Co.", ("harris", "county"), None),          # a lower-case "co" is county, not Colorado
    ("Denver CO", ("denver",), "CO"),
    ("Washington County", ("washington", "county"), None),  # the rest would name nothing
    ("Texas DPS", ("texas", "department", "of", "public", "safety"), None),
    ("Wells me", ("wells",), "ME"),
    ("Mt. Pleasant PD", ("mount", "pleasant", "police", "department"), None),  # "Mt." is mount
    ("Helena MT", ("helena",), "MT"),
])
def test_parse_query_reads_a_state_at_either_end(text: str, words: tuple[str, ...], state: str | None) -> None:
    from icestatus.match import parse_query

    q = parse_query(text)
    assert (q.words, q.state) == (words, state)


def test_typo_allowance_grows_with_the_word() -> None:
    from icestatus.match import typo_edits

    assert [typo_edits(n) for n in (3, 4, 5, 6, 8, 9, 12)] == [0, 1, 1, 2, 2, 3, 3]


def test_ranking_is_deterministic_and_ordered() -> None:
    first = [(c.department.id, c.score) for c in search(bundled(), "county sheriff", "TX")]
    again = [(c.department.id, c.score) for c in search(bundled(), "county sheriff", "TX")]
    assert first == again and len(first) > 50
    assert [s for _, s in first] == sorted((s for _, s in first), reverse=True)
