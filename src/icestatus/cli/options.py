"""The options and parameter types the commands share, parsed before a command runs.

A command receives a USPS code for ``--state`` (``ME`` from ``me`` or ``Maine``), a
``date`` for every date, and an ``OutputFormat``: the parsing, and the one-line error for
a value that is not one, are here once. Typer evaluates these annotations, so everything
they name is imported at module level (and nothing heavy: the parsers import the core
when they run).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import inspect
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer

from icestatus.enums import DocumentFormat, Model, OutputFormat, Status, parse_model
from icestatus.errors import UsageError

if TYPE_CHECKING:
    from icestatus.models import Registry
    from icestatus.query import AgreementFilter

ENV_TODAY = "ICESTATUS_TODAY"


_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_RELATIVE = {"today": 0, "yesterday": -1}


def parse_date(text: str, what: str = "date") -> dt.date:
    """A date as YYYY-MM-DD, or ``today`` / ``yesterday`` (``$ICESTATUS_TODAY`` applies)."""
    cleaned = text.strip()
    if cleaned.casefold() in _RELATIVE and what != ENV_TODAY:
        return today() + dt.timedelta(days=_RELATIVE[cleaned.casefold()])
    try:
        return dt.date.fromisoformat(cleaned)
    except ValueError:
        pass
    form = _ISO_DAY.fullmatch(cleaned)
    if form:
        year, month = int(form.group(1)), int(form.group(2))
        if not 1 <= month <= 12:
            raise UsageError(f"bad {what} {text!r}: there is no month {month} (months run 01 to 12)")
        last = calendar.monthrange(year, month)[1]
        raise UsageError(
            f"bad {what} {text!r}: no such day ({calendar.month_name[month]} {year} has {last} days)"
        )
    raise UsageError(f"bad {what} {text!r}: use YYYY-MM-DD (e.g. 2025-05-01), today or yesterday")


def today() -> dt.date:
    """Today, or ``$ICESTATUS_TODAY`` (YYYY-MM-DD) for reproducible scripts and docs."""
    fixed = os.environ.get(ENV_TODAY)
    return parse_date(fixed, ENV_TODAY) if fixed else dt.date.today()


def date_param(what: str, *, required: bool = False) -> Callable[[str], dt.date | None]:
    """The parser of a date parameter; *what* names it in the error (``--on date``).
    An empty value is no date (the command's default applies) unless *required*."""

    def parse(text: str) -> dt.date | None:
        return parse_date(text, what) if text or required else None

    return parse


def state_param(text: str) -> str | None:
    """``--state``: a USPS code or a state's name, as its code; empty: no state."""
    from icestatus.states import parse_state

    return parse_state(text) if text else None


RegistryOpt = Annotated[
    Path | None,
    typer.Option(
        "--registry", "-r", show_default=False,
        help="Registry file to read (default: $ICESTATUS_REGISTRY, else your own from `icestatus update` or "
             "the bundled national registry, whichever covers the later date; see `icestatus info`).",
    ),
]
WriteRegistryOpt = Annotated[
    Path | None,
    typer.Option(
        "--registry", "-r", show_default=False,
        help="Registry file to write (default: $ICESTATUS_REGISTRY, else the one read commands use when it is "
             "your own from `icestatus update`; the bundled registry is never written: create one with "
             "`icestatus init PATH`).",
    ),
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", case_sensitive=False, help="table for people; json or csv for scripts."),
]
DocumentFormatOpt = Annotated[
    DocumentFormat,
    typer.Option("--format", "-f", case_sensitive=False,
                 help="table for people; json for scripts (one document, so no csv)."),
]
StateOpt = Annotated[
    str | None,
    typer.Option("--state", "-s", parser=state_param, help="State: USPS code or name (ME, me, Maine).",
                 show_default=False),
]
ModelOpt = Annotated[
    list[Model] | None,
    typer.Option("--model", "-m", parser=parse_model, metavar="MODEL", show_default=False,
                 help="Only this model: task_force (task force, tfm), jail_enforcement (jail), "
                      "warrant_service (warrant, wso); repeatable."),
]
NOT_STARTED = "not_started"  # ``agreements`` only: a term that had not begun on the date
UNLISTED = "unlisted"        # ``agreements`` only: between two listings of one agreement
TERM_ONLY = (NOT_STARTED, UNLISTED)


def status_param(text: str) -> Status | str:
    """``--status``: active, paused, pending or ended, in any case; ``not_started`` (also
    "not started") and ``unlisted`` for ``agreements`` (``Filters.resolve`` refuses them elsewhere)."""
    word = re.sub(r"[\s-]+", "_", text.strip().casefold())
    if word in TERM_ONLY:
        return word
    try:
        return Status(word)
    except ValueError:
        raise UsageError(f"unknown status {text!r}: use one of {', '.join(s.value for s in Status)} "
                         f"(agreements also takes {' and '.join(TERM_ONLY)})") from None


StatusOpt = Annotated[
    list[Status] | None,
    typer.Option("--status", parser=status_param, metavar="STATUS", show_default=False,
                 help="Only this status: active, paused, pending, or ended (with when and how); repeatable. "
                      "agreements also takes not_started (begun after the date) and unlisted."),
]
TypeOpt = Annotated[
    list[str] | None,
    typer.Option("--type", "-t", metavar="TYPE", show_default=False,
                 help="Only this agency type: County, Municipality, 'State Agency' (any case, plurals too); "
                      "repeatable."),
]
CountyOpt = Annotated[
    list[str] | None,
    typer.Option("--county", "-c", metavar="COUNTY", show_default=False,
                 help="Only agencies of this county as ICE gives it: Harris, 'harris county', 'Harris Co.'; "
                      "repeatable."),
]
StatesOpt = Annotated[
    list[str] | None,
    typer.Option("--state", "-s", parser=state_param, metavar="STATE", show_default=False,
                 help="Only this state: USPS code or name (ME, me, Maine); repeatable."),
]


def count_param(option: str) -> Callable[[str], int]:
    """The parser of an option that takes a count, 1 or more; *option* names it in the error."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            value = 0
        if value < 1:
            raise UsageError(f"bad {option} {text!r}: give a whole number, 1 or more")
        return value

    return parse


LimitOpt = Annotated[
    int | None,
    typer.Option("--limit", "-n", parser=count_param("--limit"), metavar="N", show_default=False,
                 help="Show only the first N rows (in every format)."),
]
SourceOpt = Annotated[
    str | None,
    typer.Option("--source", help="Only events citing this source id (see `icestatus sources`).", show_default=False),
]
OnOpt = Annotated[
    dt.date | None,
    typer.Option("--on", parser=date_param("--on date"), show_default=False,
                 help="The date: YYYY-MM-DD, today or yesterday (default: today)."),
]


# ---------------------------------------------------------------- the filters, in one place


@dataclass(frozen=True)
class Filters:
    """The filter options of a command that lists agreements, as given: ``--state``,
    ``--model``, ``--status``, ``--type``, ``--county``. Each is repeatable (any of its
    values) and they combine (all of them). ``resolve`` checks the types and counties
    against the registry and gives the core's ``query.AgreementFilter``."""

    states: tuple[str, ...] = ()
    models: tuple[Model, ...] = ()
    statuses: tuple[Status, ...] = ()
    types: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()
    term_only: tuple[str, ...] = ()  # --status not_started, unlisted (agreements only)

    @classmethod
    def from_options(
        cls, state: list[str] | None = None, model: list[Model] | None = None,
        status: list[Status | str] | None = None, type_: list[str] | None = None, county: list[str] | None = None,
    ) -> Filters:
        def once(values: list[Any] | None) -> tuple[Any, ...]:
            return tuple(dict.fromkeys(values or ()))

        statuses = once(status)
        return cls(once(state), once(model), tuple(s for s in statuses if isinstance(s, Status)), once(type_),
                   once(county), tuple(s for s in statuses if s in TERM_ONLY))

    @property
    def status_values(self) -> frozenset[str]:
        """The statuses asked, by value (``not_started`` and ``unlisted`` included)."""
        return frozenset({s.value for s in self.statuses} | set(self.term_only))

    def resolve(self, registry: Registry, *, statuses: bool = True) -> AgreementFilter:
        """The core's filter; without *statuses*, one that keeps every status (the caller
        filters them: ``agreements``). ``--status not_started`` and ``unlisted`` are refused
        where the statuses are the core's (``list``, ``as-of``): they are agreements' terms'."""
        from icestatus.query import AgreementFilter

        if statuses and self.term_only:
            raise UsageError(f"--status {self.term_only[0]} is for `icestatus agreements` (agreements begun after "
                             "the date, or between two listings by ICE); here every agreement shown is on its list")
        return AgreementFilter.build(registry, states=self.states, models=self.models,
                                     statuses=self.statuses if statuses else (), types=self.types,
                                     counties=self.counties)

    def describe(self) -> str:
        """``Maine or Texas · Jail Enforcement Model · status ended · type County``: for titles."""
        from icestatus.states import state_name

        parts = []
        if self.states:
            parts.append(" or ".join(state_name(s) for s in self.states))
        if self.models:
            parts.append(" or ".join(m.label for m in self.models))
        if self.statuses or self.term_only:
            parts.append("status " + ", ".join([*(s.value for s in self.statuses), *self.term_only]))
        if self.types:
            from icestatus.query import agency_type

            parts.append("type " + ", ".join(dict.fromkeys(agency_type(t) or t for t in self.types)))
        if self.counties:
            parts.append("county " + ", ".join(self.counties))
        return " · ".join(parts)

    def describe_types_and_counties(self) -> str:
        """`` of type County in county Harris``: for a sentence (empty without them)."""
        from icestatus.query import agency_type

        types = " or ".join(dict.fromkeys(agency_type(t) or t for t in self.types))
        return (f" of type {types}" if types else "") + (
            f" in county {' or '.join(self.counties)}" if self.counties else "")


# (parameter, annotation, default): the filter options in the order of --help.
FILTER_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("state", StatesOpt, None), ("model", ModelOpt, None), ("status", StatusOpt, None),
    ("type_", TypeOpt, None), ("county", CountyOpt, None),
)
_FILTER_NAMES = tuple(name for name, _, _ in FILTER_OPTIONS)


def with_filters(*extra: tuple[str, Any, Any]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A command with its own parameters, then ``FILTER_OPTIONS``, then *extra* options
    (name, annotation, default), as Typer reads them. The command takes ``filters:
    Filters`` (built from the filter options) and the *extra* ones as keyword arguments
    (``**options``, or keyword-only parameters of those names)::

        @app.command()
        @with_filters(("limit", LimitOpt, None), ("format_", FormatOpt, OutputFormat.table))
        def agreements(filters: Filters, **options: Any) -> None: ...
    """

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        hints = get_type_hints(func, include_extras=True)
        given = {"filters", *(name for name, _, _ in extra)}  # the command may name them, typed plainly
        own = [p.replace(annotation=hints[p.name]) for p in inspect.signature(func).parameters.values()
               if p.kind is not inspect.Parameter.VAR_KEYWORD and p.name not in given]
        added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint)
                 for name, hint, default in (*FILTER_OPTIONS, *extra)]

        @functools.wraps(func)
        def command(**kwargs: Any) -> None:
            filters = Filters.from_options(**{name: kwargs.pop(name, None) for name in _FILTER_NAMES})
            func(filters=filters, **kwargs)

        params = [*own, *added]
        command.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
        command.__annotations__ = {**{p.name: p.annotation for p in params}, "return": None}
        return command

    return decorate
