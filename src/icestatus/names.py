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

# Words of agency names that carry no identity (after ``normalize_name``): the kind of
# agency, not which one. The matcher (``match``) weighs them little.
GENERIC_WORDS: frozenset[str] = frozenset({
    "county", "sheriffs", "office", "police", "department", "city", "of", "the", "town",
    "township", "borough", "village", "parish", "and", "constable", "constables", "precinct",
    "public", "safety", "board", "commissioners",
    "facility", "division", "services", "state", "marshal", "marshals", "law",
    "enforcement", "agency", "for", "in", "at",
})
# Generic words that are not even a kind of agency.
FILLER_WORDS: frozenset[str] = frozenset({"of", "the", "and", "for", "in", "at"})

_APOSTROPHE_MARKS = ("\u2019", "\u2018", "\u02bc", "`", "\u00b4")
_APOSTROPHES = str.maketrans(dict.fromkeys(_APOSTROPHE_MARKS, "'"))
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_NOT_WORD_OR_LINE = re.compile(r"[^a-z0-9\n]+")


def normalize_name(name: str) -> str:
    """Case-, space-, punctuation- and abbreviation-insensitive key for an agency name.

    >>> normalize_name("  St. Cloud Police Dept ")
    'saint cloud police department'
    >>> normalize_name("Jim Wells County Sheriff\u2019s Office") == normalize_name("Jim Wells County Sheriff's Office")
    True
    """
    if name.isascii():  # most names: NFKD and combining marks change nothing
        text = name.translate(_APOSTROPHES).casefold()
    else:
        text = unicodedata.normalize("NFKD", name).translate(_APOSTROPHES).casefold()
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("'", "")  # sheriff's -> sheriffs, not "sheriff s"
    words = _NOT_WORD.sub(" ", text).split()
    return " ".join(ABBREVIATIONS.get(w, w) for w in words)


def normalize_names(names: list[str]) -> list[str]:
    """``normalize_name`` of each of *names*, several times faster for many: the ASCII
    ones (curly apostrophes straightened) are cased, cleaned and split as one text."""
    text = "\n".join(names)
    for mark in _APOSTROPHE_MARKS:  # str.translate is slow on a long text
        text = text.replace(mark, "'")
    lines = _NOT_WORD_OR_LINE.sub(" ", text.casefold().replace("'", "")).split("\n")
    if len(lines) != len(names):  # a name with a line break in it
        return [normalize_name(n) for n in names]
    get = ABBREVIATIONS.get
    return [
        " ".join([get(w, w) for w in line.split()]) if name.isascii() else normalize_name(name)  # NFKD first
        for name, line in zip(names, lines, strict=True)
    ]


def department_id(state: str, name: str) -> str:
    """Stable id: ``me-wells-police-department`` for ("ME", "Wells Police Department")."""
    slug = "-".join(normalize_name(name).split())[:180] or "agency"
    return f"{state.lower()}-{slug}"
