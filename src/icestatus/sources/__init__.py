"""Rosters: published lists of the agencies taking part in (or applying to) 287(g).

A roster is one file (ICE's participating or pending sheet today; ICE's web page or its
older HTML tables later) read into one typed ``Roster``: what it lists (``kind``), when it
was published, the facts of the source record that cites it, and its rows. ``ingest``
compares rosters with the registry and never sees a file format.

Each kind of file has one module here that satisfies ``RosterReader`` (``accepts`` and
``read``), listed in ``READERS``; ``read_roster`` gives a file to the first reader that
accepts it. A new kind of roster is a new module and one line in ``READERS``. A file that
holds many publications (a transcription of many captures) has a reader that also
provides ``read_all``; ``read_rosters`` gives every roster of a file.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol, TypedDict, Unpack, cast

from icestatus.enums import Model, SheetKind, SourceKind

ICE_PUBLISHER = "U.S. Immigration and Customs Enforcement"
ICE_PAGE = "https://www.ice.gov/identify-and-arrest/287g"  # ICE's 287(g) page: its lists, their links


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One row of a roster, typed; text as the publisher printed it, outer whitespace stripped."""

    row: int  # 1-based row number as the file shows it (Excel's row number for a sheet)
    state: str  # USPS code
    agency: str
    type: str | None
    county: str | None
    model: Model
    signed: date | None
    moa: str | None
    moa_url: str | None


@dataclass(frozen=True, slots=True)
class Roster:
    """One publication: what it lists, when it was published, and its rows in file order.

    ``sha1`` identifies the file (the same bytes are never ingested twice). ``warnings``
    holds one line per value that was read only by correcting a known typo or that looks
    wrong though readable; a reader never prints, so showing them is the caller's choice.
    ``source_kind``, ``publisher``, ``title`` and ``id_prefix`` are what the registry's
    source record for this roster says (its id is ``<id_prefix>-<kind>-<date>[-<half>]``);
    the defaults are ICE's, the publisher of every roster so far. ``saved`` (the file's
    own last-saved time) lets ``ingest`` tell an old list re-posted under a new name;
    ``seen`` is the day a Wayback capture shows the file still current.
    """

    path: Path
    kind: SheetKind
    published: date
    half: str | None
    sha1: str
    rows: tuple[RosterRow, ...]
    warnings: tuple[str, ...] = ()
    source_kind: SourceKind = SourceKind.ice_sheet
    publisher: str = ICE_PUBLISHER
    title: str = ""  # empty: "ICE 287(g) <kind> agencies sheet <file name>"
    id_prefix: str = "ice"
    saved: datetime | None = None  # when the file says it was last saved (UTC); None if the caller dated it
    seen: date | None = None  # a capture's date, when it is later than ``published``
    redate: date | None = None  # the day it was saved, if weeks after the name's date
    # the publication's own address: a Wayback capture's, or where ``icestatus update`` downloaded it
    url: str | None = None
    note: str | None = None  # what the source record's note says (a capture's caption, who transcribed it)
    source_id: str | None = None  # the source record's id, when not ``<id_prefix>-<kind>-<date>[-<half>]``

    def __post_init__(self) -> None:
        if not self.title:
            object.__setattr__(self, "title", f"ICE 287(g) {self.kind.value} agencies sheet {self.path.name}")


class ReadOptions(TypedDict, total=False):
    """What a caller may say about a roster that its file does not (each reader documents
    its defaults): which list it is, when it was published, the half-day, a size limit."""

    kind: SheetKind | None
    published: date | None
    half: str | None
    max_bytes: int | None


class RosterReader(Protocol):
    """What a roster module provides (a module satisfies this protocol)."""

    def accepts(self, path: Path) -> bool:
        """Whether this reader takes *path* (by its suffix, name or content)."""
        ...

    def read(self, path: Path, **options: Unpack[ReadOptions]) -> Roster:
        """The roster in *path*; SheetError (one line naming the file) when it is not one."""
        ...


# The readers, most specific first; the last one accepts every file. Named, not imported,
# so that importing this package costs nothing and the readers may import it.
READERS: tuple[str, ...] = (
    "icestatus.sources.ice_page_transcript",
    "icestatus.sources.ice_page_table",
    "icestatus.sources.ice_sheet",
)


def reader_for(path: Path) -> RosterReader:
    """The first reader of ``READERS`` that accepts *path*."""
    for name in READERS:
        reader = cast("RosterReader", importlib.import_module(name))
        if reader.accepts(path):
            return reader
    raise LookupError(f"no roster reader accepts {path}")  # the last reader accepts all


def read_roster(path: Path, **options: Unpack[ReadOptions]) -> Roster:
    """Read *path* with the reader that accepts it (see ``READERS``)."""
    return reader_for(path).read(path, **options)


def read_rosters(path: Path, **options: Unpack[ReadOptions]) -> list[Roster]:
    """Every roster in *path*: one for most files; a file of many publications (a
    transcription of many captures of ICE's page) has a reader with ``read_all``."""
    reader = reader_for(path)
    read_all = getattr(reader, "read_all", None)
    if read_all is not None:
        return cast("list[Roster]", read_all(path, **options))
    return [reader.read(path, **options)]
