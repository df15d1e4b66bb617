"""Turn ICE's published sheets into dated, sourced events.

ICE publishes snapshots (who participates, who is pending) with no ids and no changelog.
``ingest_sheets`` diffs each snapshot against the registry replayed to the snapshot's
publication date (``replay.fold``) and records what changed as events that cite the
sheet. The rules are documented in the README ("Keeping the registry up to date"):

* Sheets apply in publication order: date, am before pm (unknown half last), and for one
  date and half the participating sheet before the pending one. A sheet older than the
  newest of its kind already ingested is refused, unless it is that very file (same
  SHA-1), which is a no-op.
* Identity: an agency is its state plus ``names.normalize_name`` of its name or of any
  alias. A new spelling of a known agency becomes an alias; a row repeated within one
  sheet (same agency and model) counts once; a row ICE renamed continues its agreement
  (``_Log._renamed``).
* Participating sheet: a listed agreement not in force is ``signed``, dated by SIGNED
  when no earlier sheet contradicts that date, else known to the window since the sheet
  that does (ICE's SIGNED kept in ``signed``); one in force whose SIGNED changed is
  ``corrected``, or, when the new date lies after the previous sheet, ``signed`` again on
  that date (a renewal); a new or changed MOA link is ``moa_linked``; an agreement ICE listed that
  is no longer listed is ``delisted``.
* Pending sheet: a listed application not pending is ``applied``; one ICE listed that is
  no longer listed is ``withdrawn`` (dropped again if a later sheet shows it was signed
  by then).

Pure: no printing, no terminal. Reading is ``read_sheets`` (all files first, so that a
malformed one stops the whole run before anything is computed or written).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from icestatus.enums import ICE_LISTINGS, EventKind, Model, SheetKind, SourceKind
from icestatus.errors import SheetError
from icestatus.models import Department, Event, Registry, SheetCoverage, Source
from icestatus.names import department_id
from icestatus.names import normalize_name as _normalize_name
from icestatus.replay import Agreement, AgreementKey, fold
from icestatus.sources import ICE_PUBLISHER, Roster, RosterRow, read_rosters

# The same few thousand names recur in every sheet: normalize each spelling once.
normalize_name = lru_cache(maxsize=1 << 16)(_normalize_name)

PUBLISHER = ICE_PUBLISHER  # who publishes the sheets ingested so far

_KIND_ORDER = {SheetKind.participating: 0, SheetKind.pending: 1}

# The order in which per-file counts are reported.
SUMMARY_KINDS: tuple[tuple[str, str], ...] = (
    ("signed", "new signings"),
    ("ended", "ended"),
    ("applied", "applied"),
    ("withdrawn", "withdrawn"),
    ("withdrawn_signed", "withdrawals found signed"),
    ("corrected", "corrected"),
    ("moa_linked", "MOA links"),
    ("new_agencies", "new agencies"),
    ("new_aliases", "new aliases"),
    ("renamed", "renamed rows"),
    ("held", "endings held (suspect sheet)"),
)

# A participating sheet that leaves out at least SUSPECT_SHARE of the agreements ICE listed
# before, and at least SUSPECT_MIN of them, is held as suspect (README: "Suspect sheets").
# Between two of ICE's real sheets of 2025-2026 the largest share ever dropped is under 4%
# (9 of 239 on 2025-03-17, most of them renames); a truncated or stale list drops far more
# (the old list ICE re-posted as participatingAgencies04212025am leaves out 144 of 452).
SUSPECT_SHARE = 0.10
SUSPECT_MIN = 10

# ICE works in Washington (see sources.ice_sheet): the day a workbook was saved, there.
_ICE_TIME = dt.timezone(dt.timedelta(hours=-5))


def half_rank(half: str | None) -> int:
    """Same-day order of ICE's suffixes: am, then am plus a letter (amB), then mid or none,
    then pm, then pm plus a letter or digit (pm2, pmB, pm_b)."""
    if half is None or half == "mid":
        return 2
    if half.startswith("am"):
        return 0 if half == "am" else 1
    if half.startswith("pm"):
        return 3 if half == "pm" else 4
    return 2


class OutOfOrderError(SheetError):
    """A sheet older than the newest of its kind already in the registry."""


# ---------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class FileResult:
    """What one sheet did to the registry (or why it did nothing)."""

    path: Path
    kind: SheetKind
    published: dt.date
    half: str | None
    rows: int
    source_id: str | None              # the Source recorded for it; None when skipped
    events: tuple[Event, ...] = ()
    removed: tuple[Event, ...] = ()    # withdrawals found to be signings seen late
    new_departments: tuple[Department, ...] = ()
    new_aliases: tuple[tuple[str, str], ...] = ()  # (department id, spelling)
    repeated_rows: int = 0             # rows that repeat an earlier row of the same sheet
    skipped: str | None = None         # why nothing was done (identical to an ingested sheet)
    warnings: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()  # (department id, new name) paired by the rename rule
    same_as: str | None = None         # the source whose rows it repeats (no events of its own)
    held: tuple[Event, ...] = ()       # delistings not made: the sheet is suspect

    def counts(self) -> Counter[str]:
        """Counts by summary kind (see ``SUMMARY_KINDS``)."""
        counts: Counter[str] = Counter()
        for ev in self.events:
            kind = ev.kind.value
            counts["ended" if kind in ("delisted", "terminated") else kind] += 1
        counts["withdrawn_signed"] = len(self.removed)
        counts["new_agencies"] = len(self.new_departments)
        counts["new_aliases"] = len(self.new_aliases)
        counts["renamed"] = len(self.renamed)
        counts["held"] = len(self.held)
        return counts


@dataclass(frozen=True, slots=True)
class IngestResult:
    registry: Registry
    files: tuple[FileResult, ...]

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(ev for f in self.files for ev in f.events)

    @property
    def changed(self) -> bool:
        return any(f.source_id is not None for f in self.files)

    def counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.counts())
        return total


def summary_line(counts: Counter[str]) -> str:
    """``3 new signings, 1 ended, 2 MOA links`` (kinds that did not occur left out, in the
    order of ``SUMMARY_KINDS``), or ``no changes``."""
    return ", ".join(f"{counts[key]:,} {label}" for key, label in SUMMARY_KINDS if counts[key]) or "no changes"


# ---------------------------------------------------------------- reading


def publication_key(sheet: Roster) -> tuple[dt.date, int, int]:
    """Sort key of publication order: date (a capture's date for a Wayback capture), ICE's
    suffix (``half_rank``), participating first."""
    return (sheet.seen or sheet.published, half_rank(sheet.half), _KIND_ORDER[sheet.kind])


def read_sheets(
    paths: Sequence[Path],
    *,
    kind: SheetKind | None = None,
    published: dt.date | None = None,
    half: str | None = None,
    on_read: Callable[[Path], None] | None = None,
) -> list[Roster]:
    """Read and validate every file (raising SheetError on the first bad one), in
    publication order; files of the same publication keep the order given."""
    sheets = []
    for path in paths:
        sheets.extend(read_rosters(Path(path), kind=kind, published=published, half=half))
        if on_read is not None:
            on_read(Path(path))
    return sorted(sheets, key=publication_key)


def ingest_paths(
    registry: Registry,
    paths: Sequence[Path],
    *,
    kind: SheetKind | None = None,
    published: dt.date | None = None,
) -> IngestResult:
    """``read_sheets`` then ``ingest_sheets``: the whole pipeline for files on disk."""
    return ingest_sheets(registry, read_sheets(paths, kind=kind, published=published))


# ---------------------------------------------------------------- the diff


def ingest_sheets(
    registry: Registry,
    sheets: Iterable[Roster],
    *,
    accept_suspect: bool = False,
    aliases: AliasTable | None = None,
) -> IngestResult:
    """Apply *sheets* (sorted into publication order) to *registry*; returns the new
    registry and what each sheet added. Raises OutOfOrderError, before changing
    anything, when a sheet is older than the newest of its kind already ingested.

    *accept_suspect*: end the agreements a suspect sheet leaves out on its word (a real
    mass ending). *aliases*: the identity table (default: the reviewed one shipped with
    icestatus, ``known_aliases``)."""
    log = _Log(registry, known_aliases() if aliases is None else aliases)
    ordered = sorted(_redated(list(sheets), log), key=publication_key)
    _check_order(log, ordered)
    results = []
    for sheet in ordered:
        same = log.already(sheet)
        if same is None:
            results.append(log.apply(sheet, accept_suspect=accept_suspect))
            continue
        results.append(FileResult(
            path=sheet.path, kind=sheet.kind, published=sheet.published, half=sheet.half,
            rows=len(sheet.rows), source_id=None, skipped=f"identical to {same}, already ingested",
            warnings=sheet.warnings,
        ))
    return IngestResult(registry=log.registry(registry), files=tuple(results))


def _redated(sheets: list[Roster], log: _Log) -> list[Roster]:
    """Sheets whose workbook was saved weeks after the date in their name (``Roster.redate``)
    dated by the save instead, when other sheets of their kind (given, or ingested) were
    published in between: the name is then wrong (participatingAgencies08022025pm.xlsx was
    saved on 2025-09-02, after ICE's sheets of August), not the file merely re-saved."""
    if all(sheet.redate is None for sheet in sheets):
        return sheets
    dates: dict[SheetKind, set[dt.date]] = {kind: set() for kind in SheetKind}
    for src in log.sources.values():
        if src.sheet is not None and src.published is not None:
            dates[src.sheet].add(src.published)
    for sheet in sheets:
        dates[sheet.kind].add(sheet.seen or sheet.published)
    out = []
    for sheet in sheets:
        redate = sheet.redate
        if redate is not None:
            between = sorted(d for d in dates[sheet.kind] if sheet.published < d <= redate)
            if between:
                warning = (
                    f"{sheet.path}: the name's date is {sheet.published}, but the workbook was saved on "
                    f"{redate}, after ICE's {sheet.kind.value} sheets of {between[0]}"
                    + (f" to {between[-1]}" if len(between) > 1 else "")
                    + f": dated {redate}, the day it was saved; pass --published DATE to say otherwise"
                )
                out.append(replace(sheet, published=redate, redate=None, warnings=(warning, *sheet.warnings)))
                continue
        out.append(sheet)
    return out


def _check_order(log: _Log, ordered: Sequence[Roster]) -> None:
    """Refuse the first sheet older than the newest of its kind (ingested or given)."""
    newest = {k: latest for k in SheetKind if (latest := log.newest(k)) is not None}
    known: set[tuple[str, SheetKind, dt.date]] = set()
    for sheet in ordered:
        identity = (sheet.sha1, sheet.kind, sheet.seen or sheet.published)
        if identity in known or log.already(sheet) is not None:
            continue
        known.add(identity)
        order = (sheet.seen or sheet.published, half_rank(sheet.half))
        latest = newest.get(sheet.kind)
        if latest is not None and order < latest[0]:
            raise OutOfOrderError(
                f"{sheet.path}: refused: this {sheet.kind.value} sheet of "
                f"{_edition(sheet.published, sheet.half)} is older than the newest {sheet.kind.value} "
                f"sheet already ingested, {latest[1]}; ICE's sheets must be ingested in the order "
                "ICE published them"
            )
        newest[sheet.kind] = (order, f"{sheet.path.name} ({_edition(order[0], sheet.half)})")


def _edition(published: dt.date, half: str | None) -> str:
    return f"{published}" + (f" {half}" if half else "")


def source_id_for(kind: SheetKind, published: dt.date, half: str | None, prefix: str = "ice") -> str:
    """``ice-participating-2025-07-18-pm`` (no half suffix when the half is unknown; ICE's
    suffix in lower case: ``-pmb`` for pmB)."""
    return f"{prefix}-{kind.value}-{published.isoformat()}" + (f"-{half.lower()}" if half else "")


# ---------------------------------------------------------------- identity table


@dataclass(frozen=True, slots=True)
class Alias:
    """One reviewed entry of the identity table: a row as ICE printed it (state, name, and
    the model when only that agreement is concerned) is the agency (state, name)."""

    state: str
    name: str
    model: Model | None
    agency_state: str
    agency_name: str
    kind: str       # state_correction, typo, rename, expansion
    evidence: str


class AliasTable:
    """``resolve(row)``: the (state, name) a row stands for when the table names it."""

    def __init__(self, entries: Iterable[Alias] = ()) -> None:
        self.entries = tuple(entries)
        self._by_key: dict[tuple[str, str, Model | None], Alias] = {}
        for entry in self.entries:
            key = (entry.state, normalize_name(entry.name), entry.model)
            if key in self._by_key:
                raise ValueError(f"two entries for {entry.state} {entry.name!r} {entry.model}")
            self._by_key[key] = entry

    def resolve(self, state: str, name: str, model: Model) -> Alias | None:
        if not self._by_key:
            return None
        key = normalize_name(name)
        return self._by_key.get((state, key, model)) or self._by_key.get((state, key, None))


ALIASES_NAME = "aliases.json"


def aliases_path() -> Path:
    """The reviewed identity table shipped with icestatus (``data/curated/aliases.json``)."""
    installed = Path(__file__).with_name("data") / ALIASES_NAME
    if installed.is_file():
        return installed
    return Path(__file__).resolve().parents[2] / "data" / "curated" / ALIASES_NAME


def load_aliases(path: Path) -> AliasTable:
    """Read an identity table (``{"aliases": [{state, name, model?, agency: {state, name},
    kind, evidence}]}``); RegistryError naming the entry when one is malformed."""
    import json

    from icestatus.errors import RegistryError

    try:
        doc = json.loads(path.read_bytes())
        entries = []
        for i, item in enumerate(doc["aliases"]):
            try:
                model = Model(item["model"]) if item.get("model") else None
                entries.append(Alias(
                    state=str(item["state"]), name=str(item["name"]), model=model,
                    agency_state=str(item["agency"]["state"]), agency_name=str(item["agency"]["name"]),
                    kind=str(item["kind"]), evidence=str(item["evidence"]),
                ))
            except (KeyError, TypeError, ValueError) as exc:
                raise RegistryError(f"{path}: aliases[{i}]: missing or bad field {exc}") from None
        return AliasTable(entries)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RegistryError(f"{path}: not a readable identity table: {exc}") from None


_KNOWN: list[AliasTable] = []


def known_aliases() -> AliasTable:
    """The shipped identity table, read once (an empty one if it is not installed)."""
    if not _KNOWN:
        path = aliases_path()
        _KNOWN.append(load_aliases(path) if path.is_file() else AliasTable())
    return _KNOWN[0]


@dataclass(slots=True)
class _Listed:
    """One agreement or application as a sheet lists it (repeated rows folded in)."""

    rows: list[RosterRow]
    signed: tuple[dt.date, ...]   # SIGNED of every row listing it, first row first
    moa_url: str | None           # the first MOA link among its rows
    moa_pending: bool             # its first row's MOA cell reads "link pending"


def _list(listed: dict[AgreementKey, _Listed], dept_id: str, row: RosterRow) -> int:
    """Add *row* to what the sheet lists; 1 if it repeats an agreement already listed."""
    key = (dept_id, row.model)
    item = listed.get(key)
    if item is None:
        listed[key] = _Listed([row], (row.signed,) if row.signed else (), row.moa_url, row.moa == "link pending")
        return 0
    item.rows.append(row)
    if row.signed and row.signed not in item.signed:
        item.signed = (*item.signed, row.signed)
    item.moa_url = item.moa_url or row.moa_url
    return 1


# Words that say what kind of agency it is, not which one: left out when comparing names
# for a rename, so that "Bay County Sheriff's Office" is not "Clay County Sheriff's Office".
_GENERIC_WORDS = frozenset(["police", "department", "sheriffs", "office", "county", "city", "town", "of", "the", "and"])
SIMILAR_NAME_SCORE = 85.0
SAME_NAME_SCORE = 90.0


_LONG_GENERIC = tuple(w for w in _GENERIC_WORDS if len(w) >= 6)


@lru_cache(maxsize=1 << 14)
def _generic(word: str) -> bool:
    """A generic word, or one ICE mistyped by a letter ("Departent", "Counry", "Couny")."""
    if word in _GENERIC_WORDS:
        return True
    if len(word) < 5:
        return False
    from rapidfuzz.distance import Levenshtein

    return any(Levenshtein.distance(word, g, score_cutoff=1) <= 1 for g in _LONG_GENERIC)


@lru_cache(maxsize=64)
def _state_words(state: str | None) -> frozenset[str]:
    from icestatus.states import USPS_NAMES

    return frozenset(USPS_NAMES.get(state, "").lower().split()) if state else frozenset()


def _distinctive(name: str, state: str | None = None) -> str:
    """The words that say which agency it is: generic words and the agency's own state's
    name left out ("Virginia Department of Corrections" in VA is "corrections")."""
    own = _state_words(state)
    return " ".join(w for w in normalize_name(name).split() if not _generic(w) and w not in own)


def similar_names(a: str, b: str, *, loose: bool = False, state: str | None = None) -> bool:
    """Whether two spellings can name one agency, comparing their distinctive words
    (generic ones such as "police", "county", "city of" left out).

    Strictly: the same words up to a typo or their order ("Lake Clark Shores" / "Lake
    Clarke Shores", "Unity Township Constable" / "Constable Unity Township"), never one
    name inside another ("Melbourne" / "West Melbourne"). *loose* (for rows that share
    an MOA document): one name's words may also be a subset of the other's ("Boca Raton
    Police Department" / "Boca Raton Police Services Department")."""
    from rapidfuzz import fuzz

    x, y = _distinctive(a, state), _distinctive(b, state)
    if not x or not y:
        return False
    if loose:
        return fuzz.token_set_ratio(x, y) >= SIMILAR_NAME_SCORE
    return fuzz.token_sort_ratio(x, y) >= SAME_NAME_SCORE


DELISTED_NOTE = "No longer on ICE's participating list; the sheet does not say why."
WITHDRAWN_NOTE = (
    "No longer on ICE's pending list; the sheet does not say why (withdrawn or denied, or "
    "signed and not yet on the participating list)."
)
FIRST_PENDING_NOTE = "On the first pending sheet ingested: applied on or before this date."
SUSPECT_NOTE = (
    "Held as suspect: this sheet leaves out {left_out} of the {before} agreements ICE listed before; "
    "nothing was recorded on its word (the next sheet confirms or refutes it)."
)
RENEWED_NOTE = (
    "Signed again: earlier lists gave {old}; the new signing date lies after the last list that "
    "showed the old one ({previous})."
)
IMPOSSIBLE_SIGNED_NOTE = "ICE's SIGNED reads {}, after this sheet's date: the signing date is not known."


class _Log:
    """The registry being built: a date-sorted event list and indexes, mutable while
    sheets are applied, turned back into a Registry once at the end."""

    def __init__(self, registry: Registry, aliases: AliasTable) -> None:
        self.aliases = aliases
        self.events: list[Event] = list(registry.events)
        self.dates: list[dt.date] = [e.date for e in self.events]
        self.departments: dict[str, Department] = {d.id: d for d in registry.departments}
        self.index: dict[tuple[str, str], str] = {}
        for dept in registry.departments:
            for name in (dept.name, *dept.aliases):
                self.index.setdefault((dept.state, normalize_name(name)), dept.id)
        self.sources: dict[str, Source] = {s.id: s for s in registry.sources}
        self.ice_sources: set[str] = {s.id for s in registry.sources if s.kind in ICE_LISTINGS}
        self.by_sha1: dict[str, str] = {s.sha1: s.id for s in registry.sources if s.sha1}
        # (sha1, kind, date) -> source: a file already ingested for that date changes nothing.
        self.ingested: dict[tuple[str, SheetKind, dt.date], str] = {
            (s.sha1, s.sheet, s.published): s.id
            for s in registry.sources if s.sha1 and s.sheet is not None and s.published is not None
        }
        # The newest sheet of each kind, and the newest not held as suspect (sources are
        # recorded in publication order).
        self.first_by_sha1: dict[str, Source] = {}
        for src in registry.sources:
            if src.sha1 is not None:
                self.first_by_sha1.setdefault(src.sha1, src)
        self.last: dict[SheetKind, Source] = {}
        self.trusted: dict[SheetKind, Source] = {}
        for src in registry.sources:
            if src.kind in ICE_LISTINGS and src.sheet is not None and src.published is not None:
                self.last[src.sheet] = src
                if not src.suspect:
                    self.trusted[src.sheet] = src
        self.coverage: dict[SheetKind, SheetCoverage] = dict(registry.coverage)
        self.departments_changed = False

    # -- what is known

    def newest(self, kind: SheetKind) -> tuple[tuple[dt.date, int], str] | None:
        """((date, half order), description) of the newest sheet of *kind* ingested."""
        cov = self.coverage.get(kind)
        if cov is None:
            return None
        src = self.sources.get(cov.last_source)
        half = src.half if src is not None else None
        return (cov.last, half_rank(half)), f"{cov.last_source} ({_edition(cov.last, half)})"

    def previous(self, kind: SheetKind) -> dt.date | None:
        """Date of the newest sheet of *kind* ingested so far that is not held as suspect
        (None: this is the first): what a change since is known to the window from."""
        src = self.trusted.get(kind)
        if src is not None:
            return src.published
        cov = self.coverage.get(kind)  # a registry of sources without a sheet kind
        return cov.last if cov is not None and kind not in self.last else None

    def already(self, sheet: Roster) -> str | None:
        """The source of this very file for this date, if it was ingested (a capture or a
        redated file may have been recorded under its other date)."""
        for day in (sheet.seen, sheet.published, sheet.redate):
            if day is not None and (sid := self.ingested.get((sheet.sha1, sheet.kind, day))) is not None:
                if day is sheet.seen or sheet.seen is None:
                    return sid
                # a capture under the date ICE saved it: this capture, unless it is a later one
                latest = max(d for (h, k, d) in self.ingested if h == sheet.sha1 and k is sheet.kind)
                if latest >= sheet.seen:
                    return sid
        return None

    def content_since(self, kind: SheetKind) -> Source | None:
        """The source where the rows of the newest sheet of *kind* first appeared (the
        newest, or what it repeats)."""
        src = self.last.get(kind)
        while src is not None and src.same_as is not None and src.same_as in self.sources:
            src = self.sources[src.same_as]
        if src is not None and src.sha1 is not None:
            src = self.first_by_sha1.get(src.sha1, src)  # the same file ingested before
        return src

    def cites_ice(self, ev: Event) -> bool:
        return any(s in self.ice_sources for s in ev.sources)

    # -- changes

    def add(self, ev: Event) -> None:
        """Insert keeping date order, after the events already recorded for that day."""
        i = bisect.bisect_right(self.dates, ev.date)
        self.events.insert(i, ev)
        self.dates.insert(i, ev.date)

    def remove(self, ev: Event) -> None:
        i = next(j for j in range(bisect.bisect_left(self.dates, ev.date), len(self.events)) if self.events[j] is ev)
        del self.events[i], self.dates[i]

    def new_department(self, row: RosterRow, alias: Alias | None = None) -> Department:
        state, name = (alias.agency_state, alias.agency_name) if alias else (row.state, row.agency)
        base = department_id(state, name)
        dept_id, n = base, 2
        while dept_id in self.departments:  # the id of another agency's first spelling
            dept_id, n = f"{base}-{n}", n + 1
        dept = Department(id=dept_id, name=name, state=state, type=row.type, county=row.county)
        self.departments[dept_id] = dept
        self.index[(state, normalize_name(name))] = dept_id
        self.departments_changed = True
        return dept

    def note_spelling(self, dept_id: str, row: RosterRow) -> bool:
        """Record *row*'s spelling as an alias if it is new (True), and fill in the type
        and county the agency lacks."""
        dept = self.departments[dept_id]
        spelled = row.agency != dept.name and row.agency not in dept.aliases
        fill = (dept.type is None and row.type is not None) or (dept.county is None and row.county is not None)
        if spelled or fill:
            self.departments[dept_id] = Department(
                id=dept.id, name=dept.name, state=dept.state,
                type=dept.type if dept.type is not None else row.type,
                county=dept.county if dept.county is not None else row.county,
                aliases=(*dept.aliases, row.agency) if spelled else dept.aliases,
                county_fips=dept.county_fips,
            )
            self.index.setdefault((row.state, normalize_name(row.agency)), dept_id)
            self.departments_changed = True
        return spelled

    def source_id(self, sheet: Roster, date: dt.date) -> str:
        """The id the roster's source will get."""
        base = sheet.source_id or source_id_for(sheet.kind, date, sheet.half, sheet.id_prefix)
        sid, n = base, 2
        while sid in self.sources:  # ICE re-published the same edition with other content
            sid, n = f"{base}-{n}", n + 1
        return sid

    def add_source(
        self, sheet: Roster, sid: str, date: dt.date, *, same_as: str | None = None,
        suspect: bool = False, note: str | None = None,
    ) -> str:
        """Record the source the roster's events cite (its facts are the roster's own)."""
        src = Source(
            id=sid, kind=sheet.source_kind, publisher=sheet.publisher, title=sheet.title, url=sheet.url,
            published=date, sheet=sheet.kind, sha1=sheet.sha1, half=sheet.half,
            rows=len(sheet.rows), same_as=same_as, suspect=suspect,
            note=" ".join(filter(None, (sheet.note, note))) or None,
        )
        self.sources[sid] = src
        self.first_by_sha1.setdefault(sheet.sha1, src)
        self.ice_sources.add(sid)
        self.by_sha1[sheet.sha1] = sid
        self.ingested[(sheet.sha1, sheet.kind, date)] = sid
        self.last[sheet.kind] = src
        if not suspect:
            self.trusted[sheet.kind] = src
        cov = self.coverage.get(sheet.kind)
        self.coverage[sheet.kind] = SheetCoverage(
            first=cov.first if cov else date, first_source=cov.first_source if cov else sid,
            last=date, last_source=sid,
        )
        return sid

    # -- one sheet

    def apply(self, sheet: Roster, *, accept_suspect: bool = False) -> FileResult:
        previous = self.previous(sheet.kind)
        date = sheet.published
        if sheet.seen is not None and (sheet.sha1 in self.by_sha1 or (previous is not None and date < previous)):
            # A capture of a file already ingested, or saved before the last sheet seen: it
            # stands for the day it was captured.
            date = sheet.seen
        agreements, applications = fold(self.events, date)
        signings, last_app = _latest(self.events, date) if sheet.kind is SheetKind.participating else ({}, {})
        undo = (dict(self.departments), dict(self.index), self.departments_changed)
        # Rows of known agencies, and rows whose name is new, grouped by normalized name.
        listed: dict[AgreementKey, _Listed] = {}
        unknown: dict[tuple[str, str], list[RosterRow]] = {}
        by_alias: dict[int, Alias] = {}  # row number -> the identity table's entry for it
        repeated = 0
        for row in sheet.rows:
            alias = self.aliases.resolve(row.state, row.agency, row.model)
            if alias is not None:
                by_alias[row.row] = alias
                name_key = (alias.agency_state, normalize_name(alias.agency_name))
            else:
                name_key = (row.state, normalize_name(row.agency))
            dept_id = self.index.get(name_key)
            if dept_id is None:
                unknown.setdefault(name_key, []).append(row)
            else:
                repeated += _list(listed, dept_id, row)
        # ICE-listed agreements (applications) this sheet no longer lists under a known name.
        if sheet.kind is SheetKind.participating:
            missing = {k: ag.moa_url for k, ag in agreements.items()
                       if k not in listed and k in signings and self.cites_ice(signings[k])}
            signed_on = {k: agreements[k].signed for k in missing}
            # An application ICE listed and this sheet does not list as participating
            # under a known name: a new name here may be that applicant, now signed.
            for k, app in applications.items():
                if k not in listed and k not in missing and self.cites_ice(app):
                    missing[k] = None
        else:
            missing = {k: None for k, app in applications.items() if k not in listed and self.cites_ice(app)}
            signed_on = {}
        renamed = self._renamed(unknown, missing, signed_on)
        new: list[Department] = []
        aliases: list[tuple[str, str]] = []
        renames: list[tuple[str, str]] = []
        for name_key, rows in unknown.items():
            dept_id = renamed.get(name_key)
            if dept_id is None:
                dept = self.new_department(rows[0], by_alias.get(rows[0].row))
                new.append(dept)
                dept_id = dept.id
            else:
                renames.append((dept_id, rows[0].agency))
            for row in rows:
                repeated += _list(listed, dept_id, row)
        for (dept_id, _), item in listed.items():
            for row in item.rows:
                entry = by_alias.get(row.row)
                if entry is not None and (entry.model is not None or entry.state != entry.agency_state):
                    continue  # a spelling that names this agency only for one agreement or state
                if self.note_spelling(dept_id, row):
                    aliases.append((dept_id, row.agency))
        sid = self.source_id(sheet, date)
        dropped: list[Event] = []
        if sheet.kind is SheetKind.participating:
            events = self._participating(date, previous, listed, agreements, applications, signings,
                                         last_app, sid, dropped)
        else:
            events = self._pending(date, previous, listed, applications, sid)
        base = dict(
            path=sheet.path, kind=sheet.kind, published=date, half=sheet.half, rows=len(sheet.rows),
            new_departments=tuple(new), new_aliases=tuple(aliases), repeated_rows=repeated,
            renamed=tuple(renames),
        )
        if not events and not dropped and not new and not aliases and self.last.get(sheet.kind) is not None:
            # The same rows as the newest sheet: evidence that nothing changed up to its date.
            # A capture counts to the day it was captured.
            first = self.content_since(sheet.kind)
            same_as = first.id if first is not None else None
            if sheet.seen is not None and sheet.seen > date:
                date = sheet.seen
                sid = self.source_id(sheet, date)
                base["published"] = date
            self.add_source(sheet, sid, date, same_as=same_as)
            return FileResult(**base, source_id=sid, same_as=same_as, warnings=sheet.warnings)  # type: ignore[arg-type]
        stale = None if accept_suspect else self._stale(sheet)
        if stale is not None:
            self.departments, self.index, self.departments_changed = undo
            return FileResult(
                path=sheet.path, kind=sheet.kind, published=date, half=sheet.half, rows=len(sheet.rows),
                source_id=None, skipped=stale, warnings=sheet.warnings,
            )
        held: list[Event] = []
        note = None
        # A capture of ICE's page is never held: the page is what ICE showed that day, and
        # its drops are real (39 of 71 agreements gone between 2010 and 2012-12-31).
        capture = sheet.source_kind is SourceKind.ice_page
        if sheet.kind is SheetKind.participating and not accept_suspect and not capture:
            ended = [ev for ev in events if ev.kind is EventKind.delisted]
            before = sum(1 for k in agreements if k in signings and self.cites_ice(signings[k]))
            last = self.last.get(sheet.kind)
            if (len(ended) >= SUSPECT_MIN and len(ended) >= SUSPECT_SHARE * before
                    and not (last is not None and last.suspect)):
                # Nothing it says is taken: its other changes come again from the next sheet.
                held, events, dropped = events, [], []
                note = SUSPECT_NOTE.format(left_out=len(ended), before=before)
        self.add_source(sheet, sid, date, suspect=bool(held), note=note)
        for ev in dropped:
            self.remove(ev)
        for ev in events:
            self.add(ev)
        warnings = sheet.warnings
        if held:
            left_out = sum(1 for ev in held if ev.kind is EventKind.delisted)
            warnings = (*warnings, (
                f"{sheet.path}: suspect: it leaves out {left_out} of the {before} agreements ICE listed "
                f"before ({left_out / before:.0%}); nothing is recorded on its word, and they stay in "
                "force until a later sheet confirms it (if ICE really ended them, the next sheet that also "
                "leaves them out ends them, within the window since the last sheet that listed them)"
            ))
        return FileResult(**base, source_id=sid, events=tuple(events), removed=tuple(dropped),  # type: ignore[arg-type]
                          held=tuple(held), warnings=warnings)

    def _stale(self, sheet: Roster) -> str | None:
        """Why *sheet* is an old list re-posted, or None: a workbook saved before the day the
        rows of the newest sheet of its kind first appeared cannot be newer than them."""
        if sheet.saved is None:
            return None
        first = self.content_since(sheet.kind)
        saved_on = sheet.saved.astimezone(_ICE_TIME).date()
        if first is None or first.published is None or saved_on >= first.published:
            return None
        return (
            f"skipped: an old list re-posted under a new name: the workbook was saved on {saved_on}, "
            f"before ICE published the rows it would replace ({first.id}, {first.published}); "
            "ingesting it would end or reopen everything that changed since (pass --published DATE "
            "to ingest it anyway)"
        )

    def _renamed(
        self, unknown: dict[tuple[str, str], list[RosterRow]],
        missing: dict[AgreementKey, str | None], signed_on: dict[AgreementKey, dt.date],
    ) -> dict[tuple[str, str], str]:
        """New names that are a known agency renamed: name key -> department id.

        A row under a new name continues an agreement (or application) ICE listed before
        and no longer lists under its old names when it has the same state, model and
        type, a similar name (``similar_names``: loosely similar if it links the same MOA
        document), and, for an agreement in force, the same MOA document or signing date;
        and when that pairing is one-to-one. (*missing*:
        those agreements and applications with the agreement's MOA address; *signed_on*:
        the signing dates of the agreements in force among them.)
        """
        if not unknown or not missing:
            return {}
        edges: list[tuple[tuple[str, str], Model, AgreementKey]] = []
        for name_key, rows in unknown.items():
            for row in {r.model: r for r in reversed(rows)}.values():
                for key, url in missing.items():
                    dept = self.departments[key[0]]
                    if key[1] is not row.model or dept.state != row.state:
                        continue
                    if dept.type is not None and row.type is not None and dept.type != row.type:
                        continue
                    same_moa = url is not None and any(r.moa_url == url for r in rows)
                    if key in signed_on and not same_moa and not any(
                            r.signed == signed_on[key] for r in rows if r.model is row.model):
                        continue
                    if not any(similar_names(row.agency, n, loose=same_moa, state=dept.state)
                               for n in (dept.name, *dept.aliases)):
                        continue
                    edges.append((name_key, row.model, key))
        by_row = Counter((n, m) for n, m, _ in edges)
        by_key = Counter(k for _, _, k in edges)
        out: dict[tuple[str, str], str] = {}
        refused: set[tuple[str, str]] = set()
        for name_key, model, key in edges:
            if by_row[(name_key, model)] != 1 or by_key[key] != 1:
                continue
            if out.get(name_key, key[0]) != key[0]:  # one name, two agencies: not a rename
                refused.add(name_key)
            out[name_key] = key[0]
        return {n: d for n, d in out.items() if n not in refused}

    def _participating(
        self, date: dt.date, previous: dt.date | None, listed: dict[AgreementKey, _Listed],
        agreements: dict[AgreementKey, Agreement], applications: dict[AgreementKey, Event],
        signings: dict[AgreementKey, Event], last_app: dict[AgreementKey, Event], sid: str,
        dropped: list[Event],
    ) -> list[Event]:
        """Events for a participating sheet; *dropped* receives the withdrawals that a
        signing dated on or before them shows to have been that signing, seen late."""
        window = _window(previous, date)
        pending_sheet = self.previous(SheetKind.pending)
        out: list[Event] = []
        for (dept_id, model), item in listed.items():
            ag = agreements.get((dept_id, model))
            # A SIGNED after the sheet's own date is a typo (5025-07-07): not a signing date.
            possible = tuple(x for x in item.signed if x <= date)
            signed = possible[0] if possible else None
            impossible = next((x for x in item.signed if x > date), None)
            if ag is None:
                # The signing cannot be dated before the last sheet that did not list it as
                # participating, nor before the last pending sheet that listed it as pending
                # (``signed`` closes the application): either would contradict a sheet.
                floor = previous
                applied = applications.get((dept_id, model))
                if applied is not None and pending_sheet is not None and self.cites_ice(applied):
                    floor = _later(floor, pending_sheet)
                gone = last_app.get((dept_id, model))  # an application ICE stopped listing
                if gone is not None and gone.kind is EventKind.withdrawn and self.cites_ice(gone):
                    # Last listed on the previous pending sheet; without a window, on an
                    # earlier sheet of the withdrawal's own day, which a signing may share.
                    floor = _later(floor, gone.not_before or gone.date - dt.timedelta(days=1))
                else:
                    gone = None
                if signed is not None and (floor is None or signed > floor):
                    when, since, ice_signed = signed, None, None
                else:  # listed late (or its SIGNED is impossible): known to the window only
                    when, since, ice_signed = date, _window(floor, date), signed
                out.append(Event(
                    department_id=dept_id, model=model, kind=EventKind.signed, date=when,
                    not_before=since, signed=ice_signed if ice_signed != when else None, sources=(sid,),
                    moa_url=item.moa_url, moa_pending=item.moa_url is None and item.moa_pending,
                    note=IMPOSSIBLE_SIGNED_NOTE.format(impossible) if signed is None and impossible else None,
                ))
                if gone is not None and when <= gone.date:
                    dropped.append(gone)  # it left the pending list because it was signed
                continue
            if signed is not None and ag.signed not in possible:
                if previous is not None and signed > previous and signed > ag.signed:
                    # The new date lies after the last sheet that showed the old one: the
                    # agreement was signed again since (a renewed MOA), not corrected.
                    out.append(Event(
                        department_id=dept_id, model=model, kind=EventKind.signed, date=signed,
                        sources=(sid,), note=RENEWED_NOTE.format(old=ag.signed, previous=previous),
                        moa_pending=item.moa_url is None and item.moa_pending,
                    ))
                else:
                    out.append(Event(
                        department_id=dept_id, model=model, kind=EventKind.corrected, date=date,
                        not_before=window, signed=signed, sources=(sid,),
                        note=f"Earlier sheets gave {ag.signed}.",
                    ))
            if item.moa_url is not None and item.moa_url != ag.moa_url:
                out.append(Event(
                    department_id=dept_id, model=model, kind=EventKind.moa_linked, date=date,
                    moa_url=item.moa_url, sources=(sid,),
                ))
        for key in agreements:
            signing = signings.get(key)
            if key not in listed and signing is not None and self.cites_ice(signing):
                out.append(Event(
                    department_id=key[0], model=key[1], kind=EventKind.delisted, date=date,
                    not_before=window, sources=(sid,), note=DELISTED_NOTE,
                ))
        return out

    def _pending(
        self, date: dt.date, previous: dt.date | None, listed: dict[AgreementKey, _Listed],
        applications: dict[AgreementKey, Event], sid: str,
    ) -> list[Event]:
        window = _window(previous, date)
        out: list[Event] = []
        for dept_id, model in listed:
            if (dept_id, model) not in applications:
                out.append(Event(
                    department_id=dept_id, model=model, kind=EventKind.applied, date=date,
                    not_before=window, sources=(sid,),
                    note=FIRST_PENDING_NOTE if previous is None else None,
                ))
        for key, applied in applications.items():
            if key not in listed and self.cites_ice(applied):
                out.append(Event(
                    department_id=key[0], model=key[1], kind=EventKind.withdrawn, date=date,
                    not_before=window, sources=(sid,), note=WITHDRAWN_NOTE,
                ))
        return out

    def registry(self, base: Registry) -> Registry:
        if len(self.sources) == len(base.sources) and not self.departments_changed:
            return base
        return base.model_copy(update={
            "sources": tuple(self.sources.values()),
            "departments": tuple(sorted(self.departments.values(), key=lambda d: d.id)),
            "events": tuple(self.events),
            "coverage": dict(self.coverage),
        })


def _window(previous: dt.date | None, date: dt.date) -> dt.date | None:
    """Start of the window (previous sheet, this sheet]; None when both are of one day."""
    return previous if previous is not None and previous < date else None


def _later(a: dt.date | None, b: dt.date) -> dt.date:
    return b if a is None else max(a, b)


def _latest(events: Sequence[Event], as_of: dt.date) -> tuple[dict[AgreementKey, Event], dict[AgreementKey, Event]]:
    """Among events dated <= *as_of*: the latest ``signed`` event of every agreement, and
    the latest ``applied`` or ``withdrawn`` event of every agreement."""
    signings: dict[AgreementKey, Event] = {}
    applications: dict[AgreementKey, Event] = {}
    for ev in events:
        if ev.date > as_of:
            break
        kind = ev.kind
        if kind is EventKind.signed:
            signings[(ev.department_id, ev.model)] = ev
        elif kind is EventKind.applied or kind is EventKind.withdrawn:
            applications[(ev.department_id, ev.model)] = ev
    return signings, applications
