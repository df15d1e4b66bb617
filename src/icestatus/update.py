"""``icestatus update``: today's lists from ICE's page into a registry, with nothing
written unless every step succeeded.

The flow: **fetch** ICE's page and find its sheet links (``fetch.find_links``) →
**download** each (``fetch.Fetcher``: timeout, size limit, retries) into a temporary
folder under the name the server gave → **check** each with the sheet reader
(``sources.read_roster``: zip and XML safety, columns, dates, ICE's traps) and refuse one
whose list is not the one its link promised → under the registry's lock, **ingest** them
(``ingest.ingest_sheets``, the path ``icestatus ingest`` takes: a sheet already ingested
is a no-op, one older than the newest is refused) → **archive** the files not kept yet
(``archive.Archive``) → **save** the registry (``registry.save_registry``: atomic, with
``.bak``). Any failure before the archive step leaves both untouched.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from icestatus.archive import Archive, Entry
from icestatus.enums import EventKind, SheetKind
from icestatus.errors import FetchError, RegistryError, SheetError
from icestatus.fetch import Download, Fetcher, Link, find_links
from icestatus.ingest import IngestResult, ingest_sheets, publication_key
from icestatus.models import Registry, SheetCoverage
from icestatus.sources import Roster, read_roster

MAX_URL = 2000  # the registry's limit on a source's address


@dataclass(frozen=True, slots=True)
class Fetched:
    """One sheet as it came from ICE's site: the link, the download, and the roster read from it."""

    link: Link
    download: Download
    roster: Roster
    name: str


@dataclass(frozen=True, slots=True)
class Changes:
    """What an update added, in the words of the report."""

    started: Counter[str] = field(default_factory=Counter)  # agreements signed, by state
    ended: Counter[str] = field(default_factory=Counter)    # agreements ended (delisted, terminated), by state
    applied: int = 0
    withdrawn: int = 0
    corrected: int = 0       # signing dates corrected
    moa_linked: int = 0
    new_agencies: int = 0

    @property
    def none(self) -> bool:
        return not (self.started or self.ended or self.applied or self.withdrawn or self.corrected
                    or self.moa_linked or self.new_agencies)


@dataclass(frozen=True, slots=True)
class UpdateResult:
    page: str                        # the page's address, after redirects
    target: Path                     # the registry written (or that would be)
    start: Path                      # the registry the update started from
    fetched: tuple[Fetched, ...]
    ingest: IngestResult
    previous: dict[SheetKind, SheetCoverage]  # the registry's coverage before
    archived: tuple[Entry, ...]      # the files this run added to the archive
    dry_run: bool
    kept: dict[str, str] = field(default_factory=dict)  # SHA-1 -> where the archive keeps it (sheets/...)
    replaced: bool = False           # an existing *target* was (or would be) replaced by *start*
    note: str = ""                   # why *start* rather than *target* (or why not), for the report

    @property
    def new(self) -> bool:
        return self.ingest.changed

    @property
    def not_linked(self) -> list[SheetKind]:
        """The lists ICE's page had no link to (ICE stopped linking its pending list in 2026)."""
        linked = {f.link.kind for f in self.fetched}
        return [kind for kind in SheetKind if kind not in linked]

    @property
    def latest(self) -> dict[SheetKind, SheetCoverage]:
        return dict(self.ingest.registry.coverage)

    def changes(self) -> Changes:
        return changes_of(self.ingest)


def changes_of(result: IngestResult) -> Changes:
    states = {d.id: d.state for d in result.registry.departments}
    started: Counter[str] = Counter()
    ended: Counter[str] = Counter()
    kinds: Counter[EventKind] = Counter()
    for ev in result.events:
        kinds[ev.kind] += 1
        if ev.kind is EventKind.signed:
            started[states[ev.department_id]] += 1
        elif ev.kind in (EventKind.delisted, EventKind.terminated):
            ended[states[ev.department_id]] += 1
    return Changes(
        started=started, ended=ended, applied=kinds[EventKind.applied],
        withdrawn=kinds[EventKind.withdrawn] - sum(len(f.removed) for f in result.files),
        corrected=kinds[EventKind.corrected], moa_linked=kinds[EventKind.moa_linked],
        new_agencies=sum(len(f.new_departments) for f in result.files),
    )


# ---------------------------------------------------------------- fetch and check


def fetch_sheets(url: str, folder: Path, fetcher: Fetcher, limit: int) -> tuple[str, list[Fetched]]:
    """ICE's page at *url*, and every sheet it links to, downloaded into *folder* and read.
    FetchError when the page links no sheet; SheetError (naming the address) when one
    is not a readable sheet of the list its link names."""
    page, html = fetcher.page(url)
    links = find_links(html, page.final_url)
    if not links:
        raise FetchError(
            f"ICE's 287(g) page: {page.final_url} links no participating or pending sheet (no <a> whose text "
            "says 'participating' or 'pending' and whose address is an .xlsx file or a "
            "/file-download/download/public/ address): ICE may have redesigned its page. Download the "
            "sheets in a browser and run `icestatus ingest FILE...`, or give another page with --from URL"
        )
    fetched = []
    names: set[str] = set()
    for link in links.values():
        got = fetcher.sheet(link, limit)
        name = got.filename
        if name in names:
            raise FetchError(f"the {link.kind.value} sheet: {link.url} has the same file name as another "
                             f"sheet of the page, {name}")
        names.add(name)
        path = folder / name
        path.write_bytes(got.data)
        fetched.append(Fetched(link, got, _check(link, path, got), name))
    return page.final_url, fetched


def _check(link: Link, path: Path, got: Download) -> Roster:
    from icestatus.sources.ice_sheet import parse_name

    what = f"the {link.kind.value} sheet {link.url}"
    if parse_name(path.name) is None:
        raise SheetError(
            f"{what}: came as {path.name!r}, which is not one of ICE's sheet names (like "
            "participatingAgencies05182026am.xlsx), so its list and date are unknown; download it in a "
            "browser and run `icestatus ingest FILE --kind KIND --published DATE`"
        )
    try:
        roster = read_roster(path)
    except SheetError as exc:
        raise SheetError(f"{what}: {str(exc).replace(str(path), path.name)}") from None
    if roster.kind is not link.kind:
        raise SheetError(
            f"{what}: ICE's page links it as the {link.kind.value} sheet, but {path.name} holds the "
            f"{roster.kind.value} list (by its columns): refused, nothing written. ICE may have swapped its "
            "files; check them in a browser, and ingest them with `icestatus ingest FILE --kind KIND`"
        )
    # Named by its file name from here on (what ingest's messages and the report show), not
    # by the temporary folder it was read from.
    warnings = tuple(w.replace(str(path), path.name) for w in roster.warnings)
    url = link.url if len(link.url) <= MAX_URL else None
    return replace(roster, path=Path(path.name), warnings=warnings, url=url)


# ---------------------------------------------------------------- the update


def run_update(
    url: str,
    target: Path,
    *,
    archive: Archive,
    dry_run: bool = False,
    fallback: Path | None = None,
    fetcher: Fetcher | None = None,
    limit: int | None = None,
) -> UpdateResult:
    """Fetch, check, ingest into *target*, archive, save; see the module's doc.

    *fallback*: the registry to start from when *target* does not exist yet or covers an
    earlier date (the bundled one, for the user's registry); without it *target* must
    exist. *limit*: the largest sheet accepted, in bytes (default: the sheet reader's).
    """
    from icestatus.registry import (
        covered_through,
        damaged_user_registry,
        load_registry,
        registry_lock,
        save_registry,
        user_registry_problem,
    )
    from icestatus.sources.xlsx import max_bytes_from_env

    if fallback is None and not target.is_file():
        raise RegistryError(
            f"{target}: no such registry; create it with `icestatus init {target}` (or copy one), or leave "
            "out --registry to update your own"
        )
    if fallback is not None and target.is_file():
        # A damaged copy of the user's is not replaced: its .bak, the last good version, would
        # be overwritten by it. Said before any request.
        problem = user_registry_problem(target, covered_through(target))
        if problem:
            raise damaged_user_registry(target, problem)
    limit = limit if limit is not None else max_bytes_from_env()
    with tempfile.TemporaryDirectory(prefix="icestatus-update-") as tmp, \
            fetcher if fetcher is not None else Fetcher() as client:
        page, fetched = fetch_sheets(url, Path(tmp), client, limit)
    rosters = sorted((f.roster for f in fetched), key=publication_key)
    if not dry_run:
        target.parent.mkdir(parents=True, exist_ok=True)  # the user's data folder, on first use
    # A dry run only reads, as `ingest --dry-run` does: no lock.
    with nullcontext() if dry_run else registry_lock(target):
        start, note = start_registry(target, fallback)
        replaced = start != target and target.is_file()
        registry: Registry = load_registry(start)
        result = ingest_sheets(registry, rosters)
        archived: list[Entry] = []
        kept: dict[str, str] = {}
        if not dry_run:
            archived = archive.add([(entry_for(f, page), f.download.data) for f in fetched])
            kept = {e.sha1: e.path for e in archive.entries() if e.sha1 in {f.roster.sha1 for f in fetched}}
            if result.changed or replaced:  # an older copy gives way even when no sheet is new
                save_registry(result.registry, target)
    return UpdateResult(
        page=page, target=target, start=start, fetched=tuple(fetched), ingest=result,
        previous=dict(registry.coverage), archived=tuple(archived), dry_run=dry_run, kept=kept,
        replaced=replaced, note=note,
    )


def start_registry(target: Path, fallback: Path | None) -> tuple[Path, str]:
    """The registry an update starts from, and why (a sentence for the report, or "").

    *target*, unless *fallback* (the bundled registry) covers a later date (or *target*
    does not exist yet): the rule by which read commands choose
    (``registry.registry_in_use``); an older *target* is then replaced, kept as ``.bak``.
    On a tie, *fallback* when it holds every source *target* holds and more (a newer
    release that adds curated facts, to a copy with nothing of the user's own); else
    *target*, with a note when *fallback* holds sources it lacks."""
    from icestatus.registry import covered_through, covers_later

    if fallback is None:
        return target, ""
    if not target.is_file():
        return fallback, ""
    mine, theirs = covered_through(target), covered_through(fallback)
    if mine is not None and mine == theirs:
        return _on_a_tie(target, fallback)
    if covers_later(mine, theirs):
        return target, ""
    return fallback, (f"the bundled registry ({fallback}) covers ICE's sheets to {theirs}, later than your "
                      f"registry did ({mine or 'no sheet'})")


def _on_a_tie(target: Path, fallback: Path) -> tuple[Path, str]:
    from icestatus.registry import load_registry

    mine = {s.id for s in load_registry(target).sources}
    theirs = {s.id for s in load_registry(fallback).sources}
    extra, own = len(theirs - mine), len(mine - theirs)
    if extra and not own:
        return fallback, (f"the bundled registry ({fallback}) covers the same date as your registry and holds "
                          f"all its sources and {extra:,} more")
    if extra:
        return target, (
            f"the bundled registry ({fallback}) covers the same date as your registry and holds {extra:,} "
            f"source{'s' if extra > 1 else ''} yours lacks, but yours holds {own:,} of its own: kept yours (to "
            f"start again from the bundled one, move {target} aside and run `icestatus update`)")
    return target, ""


def entry_for(f: Fetched, page: str) -> Entry:
    from icestatus.sources.ice_sheet import parse_name

    roster = f.roster
    name = parse_name(f.name)
    origin = f.link.url if f.download.final_url == f.link.url else f"{f.link.url} -> {f.download.final_url}"
    return Entry(
        path=f"{roster.published.isoformat()}/{f.name}", kind=roster.kind.value,
        published=roster.published.isoformat(), half=roster.half or "",
        retrieved_utc=f.download.retrieved.strftime("%Y%m%d_%H%M%S"), rows=str(len(roster.rows)),
        sha1=roster.sha1, name_date=name.printed.isoformat() if name and name.printed else "", use="yes",
        origin=origin, note=f"linked from {page} as {f.link.text!r}",
    )


def newest(coverage: dict[SheetKind, SheetCoverage]) -> dt.date | None:
    return max((c.last for c in coverage.values()), default=None)
