"""US states and territories: USPS codes and names, from the ``us`` package.

``us`` is imported on first use only, so commands that never touch a state name
don't pay for it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from icestatus.errors import UsageError

if TYPE_CHECKING:
    from us.states import State

_SPACES = re.compile(r"\s+")

# The codes and names of ``us.states.STATES_AND_TERRITORIES`` and DC, so that the most
# common question (``--state ME``) is answered without importing ``us`` (10 ms, a
# metadata lookup included: 5% of `icestatus list`). tests/test_fast_paths.py checks
# that this is exactly what ``us`` says.
USPS_NAMES: dict[str, str] = {
    "AK": "Alaska", "AL": "Alabama", "AR": "Arkansas", "AS": "American Samoa", "AZ": "Arizona",
    "CA": "California", "CO": "Colorado", "CT": "Connecticut", "DC": "District of Columbia",
    "DE": "Delaware", "FL": "Florida", "GA": "Georgia", "GU": "Guam", "HI": "Hawaii", "IA": "Iowa",
    "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "KS": "Kansas", "KY": "Kentucky",
    "LA": "Louisiana", "MA": "Massachusetts", "MD": "Maryland", "ME": "Maine", "MI": "Michigan",
    "MN": "Minnesota", "MO": "Missouri", "MP": "Northern Mariana Islands", "MS": "Mississippi",
    "MT": "Montana", "NC": "North Carolina", "ND": "North Dakota", "NE": "Nebraska",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NV": "Nevada", "NY": "New York",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "PR": "Puerto Rico",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VA": "Virginia", "VI": "Virgin Islands", "VT": "Vermont",
    "WA": "Washington", "WI": "Wisconsin", "WV": "West Virginia", "WY": "Wyoming",
}


@cache
def _by_name() -> dict[str, State]:
    import us

    table: dict[str, State] = {}
    for st in [*us.states.STATES_AND_TERRITORIES, us.states.DC]:
        table[st.name.upper()] = st
        table[st.abbr] = st
    return table


def code_for_sheet_name(text: str) -> str | None:
    """USPS code for a state as ICE's STATE column prints it (``"MAINE"``), or None.

    Exact up to case and spacing: a spreadsheet's state must be a real state name or
    code, never a phonetic guess.
    """
    st = _by_name().get(_SPACES.sub(" ", text).strip().upper())
    return st.abbr if st else None


def parse_state(text: str) -> str:
    """USPS code for what a user typed: ``ME``, ``me``, ``Maine``, ``maine`` or FIPS ``23``.

    Misspelt names that sound right (``Main``) are accepted, as ``us`` does.
    Raises UsageError for anything else.
    """
    cleaned = _SPACES.sub(" ", text).strip()
    if cleaned.upper() in USPS_NAMES:
        return cleaned.upper()
    st = _by_name().get(cleaned.upper())
    if st is None and cleaned:
        import us

        st = us.states.lookup(cleaned)
    if st is None:
        raise UsageError(
            f"unknown state {text!r}: give a USPS code (ME) or a name (Maine)"
        )
    return str(st.abbr)


def state_name(code: str) -> str:
    """``"Maine"`` for ``"ME"``; the code itself if it is not a known state."""
    if code.upper() in USPS_NAMES:
        return USPS_NAMES[code.upper()]
    st = _by_name().get(code.upper())
    return str(st.name) if st else code


def all_state_codes() -> list[str]:
    """Every state's and territory's USPS code (DC included), as ``us`` lists them."""
    return list(USPS_NAMES)
