"""Finding an agency the way people type it: the matcher behind ``history``, ``search``
and every command that takes an agency's name.

Deterministic (the same registry and query give the same answer) and pure (no I/O).
How a query is read:

1. An agency id (``me-wells-police-department``) is that agency.
2. A state at the end of the query or at its start ("Harris County TX", "Harris County,
   Texas", "Nassau NY", "Texas Attorney General") is a filter, like ``--state``, when the
   rest of the query still has a distinctive word ("Washington County" stays a county
   name, "Texas DPS" stays words of names). Brackets and periods do not matter ("Harris
   County (TX)", as icestatus prints it; "N.Y."); the traditional abbreviations
   (``STATE_ABBREVIATIONS``: "Fla.", "Tex", "Calif.") are a state at the end only. A
   code that is also an abbreviation (``co`` county, ``mt`` mount) is a state only in
   capitals: "Harris Co." is a county. A parish is in Louisiana ("Jefferson Parish").
3. The rest is split into words as ``names.normalize_name`` does (``SO``, ``PD``,
   ``Co.``, ``Dept``, ``St.`` expanded, case, accents and punctuation ignored; and, in
   names and queries alike, the acronyms of ``ACRONYMS``: DOC, DOT, DNR), so word order
   does not matter.
4. Each word weighs by how rare it is among the registry's agencies (inverse document
   frequency, ``log(1 + agencies / agencies with the word)``). Words that carry no
   identity (``names.GENERIC_WORDS``: county, sheriff's office, police department, city
   of, ...) weigh ``GENERIC_WEIGHT`` in a name and ``GENERIC_QUERY_WEIGHT`` in a query (a
   kind the user typed counts: "Nassau County Sheriff" is not the police department);
   fillers (of, the, and) weigh ``FILLER_WEIGHT``.
5. A query word that occurs in some agency's name is taken as typed ("Harris" is not
   "Harrison"), and so is a word of a state's name ("Maine" is not "Marine"). A word
   that occurs in none is a typo or a variant: it stands for the
   registry's words within ``typo_edits`` Damerau-Levenshtein edits (rapidfuzz; one for
   4-5 letters, two for 6-8, three for longer), at similarity ``1 - edits / length``, and
   for those it begins (three letters or more) at ``PREFIX_SIMILARITY``.
6. An agency's score, for one of its spellings (its name and its aliases: ICE's own
   misspellings and variants, so "Lampass" and "Lampasas" both find it), is
   ``QUERY_SHARE`` x the share of the query's weight found in the spelling plus
   ``1 - QUERY_SHARE`` x the share of the spelling's weight the query accounts for (a
   state named in the query accounts for its words in the name). The agency scores its
   best spelling. It must match at least one distinctive word of the query, when the
   query has one.
6a. A match is *sure* when the spelling holds every word ``needed_words`` names (all
   but fillers and kinds of agency; a kind of place, county, city, town..., is needed:
   "Carson City" is not Carson County), each as typed or as a *sure typo*
   (``sure_typo``: the typed word keeps the first and last letters, is within
   ``typo_edits`` and at Jaro-Winkler similarity ``SURE_SIMILARITY`` or more, or is the
   first four letters or more of the word). A typo within the edit allowance but not
   sure ("Portland" for Courtland: another first letter; "Plano" for Plant: another last
   letter; "Knoxville" for Kingsville: little in common) still ranks in ``search``, after
   every sure match, but is never an answer. A match is *exact* when it is sure without
   any typo.
7. ``decide``: when no match is sure, there is no answer: "no agency named 'Portland';
   nearest: ..." (NoMatchError, exit 1). Otherwise, among the sure matches, the best is
   the answer when no other is within ``CLEAR_MARGIN`` of it; runners-up within
   ``ALSO_WINDOW`` that match every word the answer matched are mentioned; several within
   ``CLEAR_MARGIN`` are an ambiguity (the candidates, with state and id, exit 2). When a
   state filter leaves nothing, the nearest agencies elsewhere are named. ``search``
   lists every agency scoring at least ``SEARCH_FLOOR``: sure matches first, best first.
8. A command that writes (``find_department(..., exact=True)``: ``record``) takes only an
   id or an exact match: a typo, even a sure one, is refused with the agency it would be
   and its id ("did you mean ...?"), so nothing is ever written onto a guess.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from typing import NamedTuple

from icestatus.errors import IcestatusError, UsageError
from icestatus.models import Department, Registry
from icestatus.names import ABBREVIATIONS, FILLER_WORDS, GENERIC_WORDS, normalize_name, normalize_names
from icestatus.states import USPS_NAMES, state_name

GENERIC_WEIGHT = 0.25
GENERIC_QUERY_WEIGHT = 1.0
FILLER_WEIGHT = 0.1
QUERY_SHARE = 0.7
PREFIX_SIMILARITY = 0.9
SURE_SIMILARITY = 0.9  # Jaro-Winkler similarity a typo needs to be a sure reading (step 6)
CLEAR_MARGIN = 0.02
ALSO_WINDOW = 0.15
SEARCH_FLOOR = 0.5  # ``search`` lists agencies scoring at least this
MAX_LISTED = 10
NEAREST = 3  # agencies named after "no agency named ...; nearest:"

# Words that say what kind of place a name is: one the user typed must be in the answer's
# name ("Carson City" is not Carson County, "Kansas City" not the Kansas Bureau of
# Investigation), unless followed by "of" ("City of Wells" is Wells).
PLACE_WORDS: frozenset[str] = frozenset({"county", "city", "town", "township", "borough", "village", "parish"})
# Traditional state abbreviations (AP style, as ``us`` gives them, and a few more), read
# as a state at the end of a query: "Polk County, Fla.", "Harris County Tex".
STATE_ABBREVIATIONS: dict[str, str] = {
    "ala": "AL", "ariz": "AZ", "ark": "AR", "calif": "CA", "colo": "CO", "conn": "CT", "del": "DE",
    "fla": "FL", "ill": "IL", "ind": "IN", "kan": "KS", "kans": "KS", "mass": "MA", "mich": "MI",
    "minn": "MN", "miss": "MS", "mont": "MT", "neb": "NE", "nebr": "NE", "nev": "NV", "okla": "OK",
    "ore": "OR", "oreg": "OR", "penn": "PA", "tenn": "TN", "tex": "TX", "wash": "WA", "wva": "WV",
    "wis": "WI", "wisc": "WI", "wyo": "WY",
}
_BRACKETS = "()[]{}<>.,;:"
# Acronyms of state agencies, read as their words on both sides (query and names) by the
# matcher only ("Florida DOC" is the Florida Department of Corrections, and ICE's "Virginia
# DOC Law Enforcement Services" is found by "Virginia Department of Corrections"); DPS, SO,
# PD are ``names.ABBREVIATIONS``.
ACRONYMS: dict[str, str] = {
    "doc": "department of corrections", "dot": "department of transportation",
    "dnr": "department of natural resources",
}


def _expand(normal: str) -> str:
    return " ".join(ACRONYMS.get(w, w) for w in normal.split())

_STATE_WORDS: dict[str, str] = {
    **{code.lower(): code for code in USPS_NAMES},
    **{normalize_name(name): code for code, name in USPS_NAMES.items()},
}
_STATE_NAME_WORDS = frozenset(w for name in USPS_NAMES.values() for w in normalize_name(name).split())
_LONGEST_STATE = max(len(k.split()) for k in _STATE_WORDS)
_SPLIT = re.compile(r"[\s,;/]+")


class NoMatchError(IcestatusError):
    """No agency matches the name asked for."""


class AmbiguousMatchError(UsageError):
    """Several agencies match equally well; the user must pick one (exit 2)."""

    def __init__(self, message: str, candidates: list[Department]) -> None:
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True, slots=True)
class Query:
    """A query as the matcher reads it: its words and the state it names, if any."""

    text: str
    words: tuple[str, ...]
    state: str | None  # from the query itself ("Harris County TX")
    name: str = ""     # the text without that state ("Harris County")

    @property
    def shown(self) -> str:
        return self.name or self.text


@dataclass(frozen=True, slots=True)
class Candidate:
    department: Department
    score: float          # 0..1
    spelling: str         # the name or alias that matched best
    coverage: float       # share of the query's weight found in that spelling
    sure: bool = True     # every word the query needs is in the spelling, as typed or a sure typo
    exact: bool = True    # ... and as typed (no typo): what a write command needs


@dataclass(frozen=True)
class Match:
    department: Department
    also: list[Department] = field(default_factory=list)  # close runners-up worth mentioning
    state: str | None = None  # the state filter applied (from --state or the query)
    exact: bool = True  # an id, or every word the query needs as typed (no typo)


def _state_at(words: list[str], raw: list[str], start: bool) -> tuple[str, int] | None:
    """The state the first (or last) words of a query name, and how many words it takes.
    Brackets and periods around a code do not matter ("Harris County (TX)", "N.Y.").
    A two-letter code that is also an abbreviation of a name (``CO`` county, ``MT`` mount)
    is a state only in capitals and without a period: "Harris Co." is a county, "Mt.
    Pleasant" a town, "Denver CO" in Colorado. A traditional abbreviation ("Tex.",
    "Fla.", "Calif.") is a state at the end only ("Del Rio" is a town)."""
    for n in range(min(_LONGEST_STATE, len(words) - 1), 0, -1):
        if n == 1:
            typed = (raw[0] if start else raw[-1]).strip(_BRACKETS)
            bare = typed.replace(".", "")
            if len(bare) == 2 and bare.upper() in USPS_NAMES:
                if bare.casefold() in ABBREVIATIONS and typed != bare.upper():
                    continue
                return bare.upper(), 1
            if not start and bare.casefold() in STATE_ABBREVIATIONS:
                return STATE_ABBREVIATIONS[bare.casefold()], 1
        part = words[:n] if start else words[-n:]
        code = _STATE_WORDS.get(" ".join(part))
        if code is not None and (n > 1 or len(part[0]) > 2):
            return code, n
    return None


def parse_query(text: str) -> Query:
    """The words of *text* and the state it names at its end or start, if any.

    >>> parse_query("Harris County, Texas")
    Query(text='Harris County, Texas', words=('harris', 'county'), state='TX', name='Harris County')
    >>> parse_query("Washington County").state is None
    True
    """
    raw = [w for w in _SPLIT.split(text.strip()) if w]
    # Normalise word by word, so that a raw word lines up with its normal form(s).
    normal = [_expand(normalize_name(w)) for w in raw]
    keep = [(r, n) for r, n in zip(raw, normal, strict=True) if n]
    raw, normal = [r for r, _ in keep], [n for _, n in keep]
    for start in (False, True):
        found = _state_at(normal, raw, start)
        if found is None:
            continue
        code, n = found
        rest = normal[n:] if start else normal[:-n]
        rest_words = " ".join(rest).split()
        if any(w not in GENERIC_WORDS for w in rest_words):
            name = " ".join(raw[n:] if start else raw[:-n]).strip(" ,")
            return Query(text, tuple(rest_words), code, name)
    return Query(text, tuple(" ".join(normal).split()), None)


class _Spelling(NamedTuple):
    department: Department
    text: str
    words: frozenset[str]


class NameIndex:
    """Every agency's spellings as words, and how rare each word is."""

    def __init__(self, departments: Iterable[Department]) -> None:
        self.departments = tuple(departments)
        owners: list[Department] = []
        texts: list[str] = []
        several: list[Department] = []  # agencies with aliases: their words are counted once
        for dept in self.departments:
            owners.append(dept)
            texts.append(dept.name)
            if dept.aliases:
                several.append(dept)
                for alias in dept.aliases:
                    owners.append(dept)
                    texts.append(alias)
        words = [frozenset(_expand(normal).split()) for normal in normalize_names(texts)]
        self.spellings = list(map(_Spelling, owners, texts, words))
        seen_in = Counter(chain.from_iterable(ws for dept, ws in zip(owners, words, strict=True) if not dept.aliases))
        union: dict[str, set[str]] = {}
        for sp in self.spellings:
            if sp.department.aliases:
                union.setdefault(sp.department.id, set()).update(sp.words)
        seen_in.update(chain.from_iterable(union.values()))
        n = max(len(self.departments), 1)
        self.weights: dict[str, float] = {w: math.log(1 + n / k) for w, k in seen_in.items()}
        self.unknown_weight = math.log(1 + n)
        self.state_words = {code: frozenset(normalize_name(name).split()) for code, name in USPS_NAMES.items()}

    @cached_property
    def _vocabulary(self) -> list[str]:
        return sorted(self.weights)

    def weight(self, word: str) -> float:
        """How much *word* of a name says which agency it is."""
        if word in FILLER_WORDS:
            return FILLER_WEIGHT
        return GENERIC_WEIGHT if word in GENERIC_WORDS else self.weights.get(word, self.unknown_weight)

    def query_weight(self, word: str) -> float:
        """How much *word* of a query counts: a generic word the user typed counts more than
        one a name carries ("Nassau County Sheriff" is not the police department)."""
        if word in GENERIC_WORDS and word not in FILLER_WORDS:
            return GENERIC_QUERY_WEIGHT
        return self.weight(word)

    def senses(self, word: str) -> dict[str, float]:
        """The registry's words *word* stands for, with their similarity (0..1)."""
        if word in self.weights or word in GENERIC_WORDS:
            return {word: 1.0}
        if len(word) < 3 or word in _STATE_NAME_WORDS:  # "Maine" is no typo of "marine"
            return {}
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein

        found: dict[str, float] = {}
        edits = typo_edits(len(word))
        if edits:
            for cand, dist, _ in process.extract(
                word, self._vocabulary, scorer=DamerauLevenshtein.distance, score_cutoff=edits, limit=None
            ):
                found[cand] = 1 - dist / max(len(word), len(cand))
        for cand in self._vocabulary:
            if cand.startswith(word):
                found[cand] = max(found.get(cand, 0.0), PREFIX_SIMILARITY)
        return found

    def rank(self, query: Query, state: str | None = None) -> list[Candidate]:
        """Every agency (of *state*, if given) matching *query*: sure matches first (step
        6), then best score first."""
        senses = [self.senses(w) for w in query.words]
        sure_senses = [{s for s in ss if s == w or sure_typo(w, s)} for w, ss in zip(query.words, senses, strict=True)]
        needed = needed_words(query.words)
        weights = [
            max((self.query_weight(s) for s in ss), default=self.query_weight(w))
            for w, ss in zip(query.words, senses, strict=True)
        ]
        total_q = sum(weights)
        distinctive = [i for i, w in enumerate(query.words) if w not in GENERIC_WORDS]
        # The spellings worth scoring: those sharing a distinctive word of the query (any
        # word, when it has only generic ones).
        wanted = {s for i in (distinctive or range(len(query.words))) for s in senses[i]}
        # A state the query named was typed: its words in a name are accounted for.
        named_state = self.state_words.get(query.state or "", frozenset())
        best: dict[str, Candidate] = {}
        for sp in self.spellings:
            dept = sp.department
            if (state is not None and dept.state != state) or wanted.isdisjoint(sp.words):
                continue
            found_q = 0.0
            matched: dict[str, float] = dict.fromkeys(named_state & sp.words, 1.0)
            hit_distinctive = False
            for i, ss in enumerate(senses):
                sim = 0.0
                for s, sv in ss.items():
                    if s in sp.words:
                        sim = max(sim, sv)
                        matched[s] = max(matched.get(s, 0.0), sv)
                if sim and i in distinctive:
                    hit_distinctive = True
                found_q += weights[i] * sim
            if distinctive and not hit_distinctive:
                continue
            sure = all(not sure_senses[i].isdisjoint(sp.words) for i in needed)
            exact = sure and all(query.words[i] in sp.words for i in needed)
            total_n = sum(self.weight(w) for w in sp.words)
            found_n = sum(self.weight(w) * v for w, v in matched.items())
            coverage = found_q / total_q if total_q else 0.0
            score = QUERY_SHARE * coverage + (1 - QUERY_SHARE) * (found_n / total_n if total_n else 0.0)
            prev = best.get(dept.id)
            if score > 0 and (prev is None or (sure, exact, score) > (prev.sure, prev.exact, prev.score)):
                best[dept.id] = Candidate(dept, score, sp.text, coverage, sure, exact)
        return sorted(best.values(), key=lambda c: (
            not c.sure, -c.score, c.department.state, c.department.name, c.department.id))


def needed_words(words: Sequence[str]) -> list[int]:
    """The positions of the query words a sure match must contain (step 6): every word
    but fillers and kinds of agency (county and city count: they say which place), and
    a kind of place followed by "of" ("City of Wells")."""
    return [
        i for i, w in enumerate(words)
        if w not in FILLER_WORDS and (w not in GENERIC_WORDS or w in PLACE_WORDS)
        and not (w in PLACE_WORDS and words[i + 1: i + 2] == ("of",))
    ]


def sure_typo(typed: str, word: str) -> bool:
    """Whether *typed* (no word of any name) surely means the registry's *word* (step 6):
    it begins *word* (four letters or more), or it keeps *word*'s first and last letters
    within ``typo_edits``, and their Jaro-Winkler similarity (which weighs a shared
    beginning) is at least ``SURE_SIMILARITY``. "Rensalear" is Rensselaer, "wels" Wells,
    but "Portland" is not Courtland, "Plano" not Plant, "Knoxville" not Kingsville."""
    from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

    if JaroWinkler.similarity(typed, word) < SURE_SIMILARITY:
        return False
    if word.startswith(typed):
        return len(typed) >= 4
    return (typed[:1] == word[:1] and typed[-1:] == word[-1:]
            and DamerauLevenshtein.distance(typed, word) <= typo_edits(len(typed)))


def typo_edits(length: int) -> int:
    """How many edits (insert, delete, substitute, swap two letters) a word of *length*
    letters may be from the registry's word it stands for."""
    return 0 if length < 4 else 1 if length <= 5 else 2 if length <= 8 else 3


def _listing(candidates: Sequence[Department]) -> str:
    shown = "; ".join(f"{d.name} ({d.state}) {d.id}" for d in candidates[:MAX_LISTED])
    more = len(candidates) - MAX_LISTED
    return shown + (f"; and {more} more (see `icestatus search`)" if more > 0 else "")


def resolve_state(query: Query, state: str | None) -> str | None:
    """The one state filter of a lookup: ``--state``, or the state the query names
    (a parish is in Louisiana: "Jefferson Parish")."""
    if state and query.state and state != query.state:
        raise UsageError(
            f"{query.text!r} names {state_name(query.state)} but --state says {state_name(state)}: give one"
        )
    return state or query.state or ("LA" if "parish" in query.words else None)


def search(
    registry: Registry, text: str, state: str | None = None, *, index: NameIndex | None = None
) -> list[Candidate]:
    """Every agency matching *text* (of *state*, or of the state *text* names), best first.
    Raises NoMatchError, naming the nearest agencies elsewhere, when none does."""
    query = parse_query(text)
    if not query.words:
        raise UsageError("give an agency name or id, e.g. `icestatus search wells`")
    where = resolve_state(query, state)
    idx = index or NameIndex(registry.departments)
    found = [c for c in idx.rank(query, where) if c.score >= SEARCH_FLOOR]
    if not found:
        raise NoMatchError(_nothing(query, where, idx))
    return found


def find_department(registry: Registry, text: str, state: str | None = None, *, exact: bool = False) -> Match:
    """The agency *text* names: an id, a name or an alias (see the module's docstring).
    With *exact* (commands that write), only an id or a match without typos will do.

    Raises NoMatchError when nothing matches surely (or, with *exact*, exactly),
    AmbiguousMatchError on a real ambiguity.
    """
    wanted = text.strip().casefold()
    for dept in registry.departments:
        if dept.id == wanted and (state is None or dept.state == state):
            return Match(dept, state=state)
    query = parse_query(text)
    if not query.words:
        raise UsageError("give an agency name or id, e.g. `icestatus history wells`")
    where = resolve_state(query, state)
    index = NameIndex(registry.departments)
    match = decide(query, index.rank(query, where), where, index)
    if exact and not match.exact:
        dept = match.department
        raise NoMatchError(
            f"no agency is named exactly {query.shown!r}; did you mean {dept.name} ({dept.state})? "
            f"A command that writes takes the name as the registry spells it, or the id: {dept.id}"
        )
    return match


def decide(query: Query, ranked: Sequence[Candidate], state: str | None, index: NameIndex) -> Match:
    """The answer a ranking gives (module docstring, step 7)."""
    if not ranked:
        raise NoMatchError(_nothing(query, state, index))
    top = ranked[0]
    if not top.sure:
        where = f" in {state_name(state)}" if state is not None else ""
        nearest = _listing([c.department for c in ranked[:NEAREST]])
        raise NoMatchError(f"no agency{where} named {query.shown!r}; nearest: {nearest}")
    ranked = [c for c in ranked if c.sure]
    tied = [c.department for c in ranked if top.score - c.score < CLEAR_MARGIN]
    if len(tied) > 1:
        states = sorted({d.state for d in tied})
        hint = "give the id" + (", or narrow with --state (or name the state)" if len(states) > 1 else "")
        raise AmbiguousMatchError(
            f"{query.text!r} matches {len(tied)} agencies equally well: {_listing(tied)}. {hint[0].upper()}{hint[1:]}",
            tied,
        )
    also = [
        c.department for c in ranked[1:]
        if top.score - c.score <= ALSO_WINDOW and c.coverage >= top.coverage - 1e-9
    ][:5]
    return Match(top.department, also, state, top.exact)


def _nothing(query: Query, state: str | None, index: NameIndex) -> str:
    if state is not None:
        elsewhere = [c.department for c in index.rank(query) if c.score >= SEARCH_FLOOR][:5]
        if elsewhere:
            return (
                f"nothing in {state_name(state)} matches {query.shown!r}; "
                f"nearest elsewhere: {_listing(elsewhere)}"
            )
        return f"nothing in {state_name(state)} matches {query.shown!r}; see `icestatus list --state {state}` for names"
    code = _STATE_WORDS.get(" ".join(query.words))
    if code is not None and len(query.words[0]) > 2:  # "Maine": a state, not an agency's name
        return (f"no agency is named {query.text!r}; "
                f"for the agencies of {state_name(code)}: icestatus list --state {code}")
    return f"no agency matches {query.text!r}; see `icestatus list` for names"
