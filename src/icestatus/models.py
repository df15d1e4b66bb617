"""The registry: sources, departments (agencies), events and state policies.

Everything is frozen and strict (``extra="forbid"``): a registry is data people cite,
so an unknown or misspelt field is an error, not something silently dropped.
Cross-record rules (references, order) are checked in ``registry.check_references``
and, in full, by ``validate``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.dataclasses import dataclass

from icestatus.enums import EventKind, Model, PolicyKind, SheetKind, SourceKind

SCHEMA_VERSION: Literal[1] = 1

# Every free text is bounded: a registry is shared and hand-edited, and a 100 MB
# "name" would otherwise flow straight into a terminal.
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]
SourceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,199}$")]
DepartmentId = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}-[a-z0-9][a-z0-9-]{0,199}$")]
StateCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Sha1 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40}$")]
CountyFips = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]
Half = Annotated[str, StringConstraints(pattern=r"^(am|pm|mid)(_?[A-Za-z0-9])?$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", cache_strings="all")


# Records that a registry holds by the hundred thousand (events, departments) are slotted
# pydantic dataclasses rather than BaseModels: validating 1M events from JSON takes
# 2.8 s and 0.8 GB this way against 9.2 s and 1.8 GB as BaseModels (benchmarks/).
_RECORD = ConfigDict(extra="forbid", cache_strings="all")


class Source(_Frozen):
    """Where a fact comes from: one ICE sheet, article, press release or record."""

    id: SourceId
    kind: SourceKind
    title: Text
    publisher: Text
    url: Url | None = None
    published: dt.date | None = Field(
        default=None, description="Publication date; None when only a period is known (see note)."
    )
    note: LongText | None = None
    # For ICE sheets (kind=ice_sheet): which list, which edition, and the file's identity.
    sheet: SheetKind | None = None
    half: Half | None = Field(
        default=None, description="ICE's suffix after the date: am, pm, mid, or one of them and a "
        "letter or digit (pm2, pmB, amB, pm_b).",
    )
    sha1: Sha1 | None = None
    rows: int | None = Field(default=None, ge=0)
    same_as: SourceId | None = Field(
        default=None, description="ICE sheets: this publication lists the same rows as that "
        "source: evidence that nothing changed up to its date, no events of its own.",
    )
    suspect: bool = Field(
        default=False, description="ICE sheets: held as suspect (it left out a large share of the "
        "agreements listed before); the agreements it left out were not ended on its word.",
    )


@dataclass(frozen=True, slots=True, config=_RECORD)
class Department:
    """A law-enforcement agency. ``id`` is derived from state + name and never changes."""

    id: DepartmentId
    name: Text
    state: StateCode
    type: Text | None = Field(default=None, description="As ICE prints it: County, Municipality, State Agency.")
    county: Text | None = None
    aliases: tuple[Text, ...] = Field(default=(), description="Other spellings seen in sources.")
    county_fips: CountyFips | None = Field(
        default=None, description="The county's 5-digit Census FIPS code (state + county), derived by the "
        "build from `county` (or a county-type agency's own name) and the reviewed data/fips_fixes.json; "
        "None when not known.",
    )


@dataclass(frozen=True, slots=True, config=_RECORD)
class Event:
    """One dated fact about one agreement (one agency, one model).

    ``date`` is when the fact takes effect in the log. When a fact is only known to a
    window, ``not_before`` is the window's start and ``date`` its end; replay counts the
    fact from ``date`` and reports it as approximate.
    """

    department_id: DepartmentId
    model: Model
    kind: EventKind
    date: dt.date
    sources: tuple[SourceId, ...] = Field(min_length=1)
    not_before: dt.date | None = None
    note: LongText | None = None
    signed: dt.date | None = Field(
        default=None,
        description="kind=signed: the signing date ICE printed, when it differs from `date` "
        "(an agreement listed late); kind=corrected: the corrected signing date.",
    )
    moa_url: Url | None = Field(
        default=None, description="kind=signed or moa_linked: the signed MOA document's address."
    )
    moa_pending: bool = Field(
        default=False, description="kind=signed: ICE's MOA cell read 'link pending'."
    )


class Policy(_Frozen):
    """A state's stance on 287(g) agreements (e.g. a statutory ban), as a sourced fact."""

    state: StateCode
    kind: PolicyKind
    date: dt.date
    not_before: dt.date | None = None
    summary: Text
    sources: tuple[SourceId, ...] = Field(min_length=1)


class SheetCoverage(_Frozen):
    """The first and last ICE publication of one kind ingested into the registry."""

    first: dt.date
    first_source: SourceId
    last: dt.date
    last_source: SourceId


class Registry(_Frozen):
    """A whole registry file. Events are kept sorted by date; events of the same day
    apply in the order they were recorded (their order in the file)."""

    schema_version: Literal[1]
    title: Text = "icestatus registry"
    coverage: dict[SheetKind, SheetCoverage] = Field(default_factory=dict)
    sources: tuple[Source, ...] = ()
    departments: tuple[Department, ...] = ()
    events: tuple[Event, ...] = ()
    policies: tuple[Policy, ...] = ()
