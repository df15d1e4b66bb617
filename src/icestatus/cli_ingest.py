"""Commands that write a registry: ``init``, ``ingest`` (ICE's sheets) and ``record``
(one curated fact with its source).

Each one parses, calls the core (``icestatus.ingest``), and prints: data (the events a
dry run would add) on stdout, messages and summaries on stderr. Writing always holds
the registry's lock and goes through ``registry.save_registry`` (atomic, keeps
``<file>.bak``). The core is imported inside the commands so that ``icestatus --help``
stays light.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from icestatus.cli import FormatOpt, StateOpt, app, emit, parse_date, warn
from icestatus.enums import EventKind, Model, OutputFormat, SheetKind, SourceKind
from icestatus.errors import RegistryError, UsageError

if TYPE_CHECKING:
    from rich.table import Table

    from icestatus.ingest import IngestResult
    from icestatus.models import Department, Event, Registry
    from icestatus.sources import Roster

WriteRegistryOpt = Annotated[
    Path | None,
    typer.Option(
        "--registry", "-r", envvar="ICESTATUS_REGISTRY", show_default=False,
        help="Registry file to write (create one with `icestatus init PATH`).",
    ),
]


def _say(message: str) -> None:
    """A message for the user, on stderr (stdout is for data)."""
    from icestatus.render import inert

    typer.echo(inert(message), err=True)


def _writable_registry(option: Path | None) -> Path:
    """The registry a command may write: never the one installed with the package."""
    from icestatus.registry import bundled_registry_path, resolve_registry_path

    path = resolve_registry_path(option)
    bundled = bundled_registry_path()
    if path.exists() and bundled.exists() and path.resolve() == bundled.resolve():
        raise UsageError(
            f"{path} is the registry bundled with icestatus, which this command does not change; "
            "create your own with `icestatus init my-registry.json` (or copy the bundled one) and "
            "pass --registry my-registry.json or set ICESTATUS_REGISTRY"
        )
    return path


# ---------------------------------------------------------------- init


@app.command()
def init(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="Registry file to create.", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file (kept as PATH.bak).")] = False,
) -> None:
    """Create an empty registry at PATH, ready for `icestatus ingest`.

    Example: icestatus init my-registry.json && icestatus ingest participatingAgencies07182025pm.xlsx -r my-registry.json
    """
    from icestatus.registry import empty_registry, registry_lock, save_registry

    if path.is_dir():
        raise UsageError(f"{path}: is a directory; give the path of the registry file to create")
    if not path.parent.is_dir():
        raise RegistryError(f"{path}: directory {path.parent} does not exist")
    if path.exists() and not force:
        raise UsageError(f"{path}: already exists; pass --force to replace it (the old file is kept as {path.name}.bak)")
    with registry_lock(path):
        save_registry(empty_registry(), path)
    _say(f"Created an empty registry at {path}. Next: icestatus ingest FILE... --registry {path}")


# ---------------------------------------------------------------- ingest

INGEST_COLUMNS = (
    "action", "file", "source", "date", "not_before", "kind", "department_id", "department", "state",
    "model", "signed", "moa_url", "moa_pending", "note",
)


def _event_rows(result: IngestResult) -> list[dict[str, Any]]:
    """One row per event a run adds (action "add") or drops ("remove": a withdrawal that a
    later sheet shows was a signing), in the order the sheets were applied."""
    depts: dict[str, Department] = {d.id: d for d in result.registry.departments}
    rows = []
    for f in result.files:
        changes = [("remove", ev) for ev in f.removed] + [("add", ev) for ev in f.events]
        for action, ev in changes:
            dept = depts[ev.department_id]
            rows.append({
                "action": action, "file": f.path.name, "source": f.source_id, "date": ev.date.isoformat(),
                "not_before": ev.not_before.isoformat() if ev.not_before else None,
                "kind": ev.kind.value, "department_id": dept.id, "department": dept.name,
                "state": dept.state, "model": ev.model.value,
                "signed": ev.signed.isoformat() if ev.signed else None,
                "moa_url": ev.moa_url, "moa_pending": ev.moa_pending, "note": ev.note,
            })
    return rows


def _events_table(rows: Sequence[dict[str, Any]], title: str) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from icestatus.render import MODEL_SHORT, fmt_date, inert

    table = Table(title=Text(inert(title)), box=box.SIMPLE_HEAD)
    table.add_column("Date", no_wrap=True)
    table.add_column("Event", no_wrap=True)
    table.add_column("Agency", ratio=1, overflow="fold", min_width=20)
    table.add_column("St", no_wrap=True)
    table.add_column("Model", no_wrap=True)
    table.add_column("Details", ratio=1, overflow="fold")
    for row in rows:
        details = []
        if row["signed"]:
            details.append(f"ICE SIGNED {row['signed']}")
        if row["moa_url"]:
            details.append(f"MOA {row['moa_url']}")
        elif row["moa_pending"]:
            details.append("MOA link pending")
        table.add_row(
            fmt_date(row["date"], row["not_before"]),
            row["kind"] if row["action"] == "add" else f"{row['kind']} (removed)", Text(inert(row["department"])), row["state"],
            MODEL_SHORT[Model(row["model"])], Text(inert("; ".join(details))),
        )
    return table


def _read(files: Sequence[Path], kind: SheetKind | None, published: dt.date | None) -> list[Roster]:
    """Every file read and checked before anything else, with a progress bar on a terminal."""
    from icestatus.ingest import read_sheets

    if len(files) < 2 or not sys.stderr.isatty():
        return read_sheets(files, kind=kind, published=published)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("reading ICE's sheets"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.description}"), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=len(files))
        return read_sheets(files, kind=kind, published=published,
                           on_read=lambda p: bar.update(task, advance=1, description=p.name))


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(
        metavar="FILE...", show_default=False,
        help="ICE's sheets (XLSX, or CSV with the same columns), e.g. participatingAgencies07182025pm.xlsx.",
    )],
    registry: WriteRegistryOpt = None,
    published: Annotated[str | None, typer.Option(
        "--published", metavar="DATE", show_default=False,
        help="Publication date, when the file name does not say (one file only).",
    )] = None,
    kind: Annotated[SheetKind | None, typer.Option(
        "--kind", case_sensitive=False, show_default=False,
        help="Which sheet, when the file name does not say.",
    )] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the events it would add; write nothing.")] = False,
    format_: FormatOpt = OutputFormat.table,
) -> None:
    """Bring a registry up to date with ICE's published sheets.

    Files are applied in publication order (date, am before pm), each compared with the
    registry as of its date; a file already ingested changes nothing.

    Example: icestatus ingest ~/Downloads/participatingAgencies07182025pm.xlsx -r my-registry.json
    """
    from icestatus.ingest import ingest_sheets, summary_line
    from icestatus.registry import (
        load_registry,
        registry_lock,
        resolve_registry_path,
        save_registry,
    )

    if published is not None and len(files) > 1:
        raise UsageError("--published gives the date of one file; ingest files without a date in their name one at a time")
    date = parse_date(published, "--published date") if published is not None else None
    path = resolve_registry_path(registry) if dry_run else _writable_registry(registry)
    sheets = _read(files, kind, date)
    # A dry run only reads, and a registry is replaced atomically: no lock (none could be
    # taken beside a registry installed read-only).
    with nullcontext() if dry_run else registry_lock(path):
        result = ingest_sheets(load_registry(path), sheets)
        if result.changed and not dry_run:
            save_registry(result.registry, path)
    for f in result.files:
        for warning in () if f.skipped else f.warnings:
            warn(warning)
    rows = _event_rows(result)
    if dry_run:
        title = f"Events {len(files)} file{'s' if len(files) > 1 else ''} would add to {path.name} (dry run)"
        if rows or format_ is not OutputFormat.table:
            emit(format_, rows, INGEST_COLUMNS, lambda: _events_table(rows, title))
        else:
            typer.echo("No events to add.")
    for f in result.files:
        what = f.skipped or f"{summary_line(f.counts())} ({f.source_id})"
        _say(f"{f.path.name}: {what}")
    if len(result.files) > 1:
        _say(f"total: {summary_line(result.counts())}")
    if dry_run:
        _say(f"dry run: nothing written to {path}")
    elif result.changed:
        _say(f"wrote {path} (previous version: {path.name}.bak)")


# ---------------------------------------------------------------- record


@app.command()
def record(
    agency: Annotated[str, typer.Argument(metavar="AGENCY", help="Agency name, alias or id (as `history` finds it).", show_default=False)],
    kind: Annotated[EventKind, typer.Option("--kind", case_sensitive=False, help="What happened.", show_default=False)],
    model: Annotated[Model, typer.Option("--model", "-m", case_sensitive=False, help="Which agreement.", show_default=False)],
    date: Annotated[str, typer.Option("--date", metavar="DATE", help="When it happened (or the end of its window).", show_default=False)],
    source_url: Annotated[str, typer.Option("--source-url", metavar="URL", help="Where it was reported.", show_default=False)],
    source_title: Annotated[str, typer.Option("--source-title", metavar="TEXT", help="Title of the report.", show_default=False)],
    not_before: Annotated[str | None, typer.Option("--not-before", metavar="DATE", help="Start of the window, when the day is not known.", show_default=False)] = None,
    state: StateOpt = None,
    source_publisher: Annotated[str | None, typer.Option("--source-publisher", metavar="TEXT", help="Who published it (default: the URL's site).", show_default=False)] = None,
    source_published: Annotated[str | None, typer.Option("--source-published", metavar="DATE", help="When it was published.", show_default=False)] = None,
    source_kind: Annotated[SourceKind, typer.Option("--source-kind", case_sensitive=False, help="What kind of source it is.")] = SourceKind.news,
    signed: Annotated[str | None, typer.Option("--signed", metavar="DATE", help="kind corrected: the corrected signing date; kind signed: ICE's SIGNED date when it differs.", show_default=False)] = None,
    moa_url: Annotated[str | None, typer.Option("--moa-url", metavar="URL", help="kind signed or moa_linked: the signed MOA's address.", show_default=False)] = None,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="What the source says, in a sentence.", show_default=False)] = None,
    registry: WriteRegistryOpt = None,
) -> None:
    """Add one dated fact with its source (a news report, a press release) to a registry.

    Example: icestatus record wells --state ME --kind paused --model task_force --date 2025-05-20
    --source-url https://www.mainepublic.org/... --source-title "Wells pauses agreement with ICE" -r my-registry.json
    """
    from icestatus.curate import SourceFacts, record_event
    from icestatus.query import find_department
    from icestatus.registry import load_registry, registry_lock, save_registry
    from icestatus.states import parse_state

    code = parse_state(state) if state else None
    facts = SourceFacts(
        url=source_url, title=source_title, publisher=source_publisher, kind=source_kind,
        published=parse_date(source_published, "--source-published date") if source_published else None,
    )
    when = parse_date(date, "--date")
    since = parse_date(not_before, "--not-before date") if not_before else None
    corrected_to = parse_date(signed, "--signed date") if signed else None
    path = _writable_registry(registry)
    with registry_lock(path):
        reg: Registry = load_registry(path)
        dept = find_department(reg, agency, code).department
        outcome = record_event(
            reg, dept.id, kind=kind, model=model, date=when, not_before=since, source=facts,
            note=note, signed=corrected_to, moa_url=moa_url,
        )
        if not outcome.unchanged:
            save_registry(outcome.registry, path)
    ev: Event = outcome.event
    if outcome.unchanged:
        _say(f"already recorded: {ev.kind.value} {ev.model.value} {ev.date} for {dept.name} ({dept.state}) "
             f"citing {outcome.source_id}; nothing written")
        return
    verb = "added a source to the existing" if outcome.merged else "recorded"
    _say(f"{verb} {ev.kind.value} {ev.model.value} {ev.date} for {dept.name} ({dept.state}) {dept.id}, "
         f"source {outcome.source_id}{' (new)' if outcome.new_source else ''}")
    if outcome.no_effect:
        warn(f"this event changes nothing where it stands ({outcome.no_effect}); "
             "check the date, or record the events before it first")
    _say(f"wrote {path} (previous version: {path.name}.bak)")
