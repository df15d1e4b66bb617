"""Agency names: the normal form used to recognise one agency across spellings,
and the stable ids derived from it.

ICE's sheets spell the same agency differently from one edition to the next
(curly vs straight apostrophes, doubled or trailing spaces, "Dept" vs
"Department", "Ft." vs "Fort"). ``normalize_name`` maps all of those to one key.
"""

from __future__ import annotations

import re
import unicodedata

# Whole-word abbreviations seen in ICE's sheets, expanded before comparing.
ABBREVIATIONS: dict[str, str] = {
    "dept": "department",
    "pd": "police department",
    "so": "sheriffs office",
    "co": "county",
    "cnty": "county",
    "twp": "township",
    "ft": "fort",
    "st": "saint",
    "mt": "mount",
    "sheriff": "sheriffs",  # "Sheriff Office" and "Sheriff's Office" are one agency
    "bocc": "board of county commissioners",  # ICE spelled these out on 2025-03-17
    "dps": "department of public safety",
    "offic": "office",  # "Berrian County Sheriff's Offic" (participating sheets of 2025-05-16 and 05-19)
}

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalize_name(name: str) -> str:
    """Case-, space-, punctuation- and abbreviation-insensitive key for an agency name.

    >>> normalize_name("  St. Cloud Police Dept ")
    'saint cloud police department'
    >>> normalize_name("Jim Wells County Sheriff\u2019s Office") == normalize_name("Jim Wells County Sheriff's Office")
    True
    """
    text = unicodedata.normalize("NFKD", name).translate(_APOSTROPHES).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("'", "")  # sheriff's -> sheriffs, not "sheriff s"
    words = _NOT_WORD.sub(" ", text).split()
    return " ".join(ABBREVIATIONS.get(w, w) for w in words)


def department_id(state: str, name: str) -> str:
    """Stable id: ``me-wells-police-department`` for ("ME", "Wells Police Department")."""
    slug = "-".join(normalize_name(name).split())[:180] or "agency"
    return f"{state.lower()}-{slug}"
