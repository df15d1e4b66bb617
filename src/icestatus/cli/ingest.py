"""Commands that write a registry: ``init``, ``ingest`` (ICE's sheets) and ``record``
(one curated fact with its source).

Each one parses, calls the core (``icestatus.ingest``, ``icestatus.curate``), and prints:
data (the events a dry run would add) on stdout, messages and summaries on stderr.
Writing always holds the registry's lock and goes through ``registry.save_registry``
(atomic, keeps ``<file>.bak``); the flow is read -> diff -> save.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from icestatus.cli.app import app, output_for, say, warn, writable_registry
from icestatus.cli.options import FormatOpt, StateOpt, WriteRegistryOpt, date_param
from icestatus.enums import EventKind, Model, OutputFormat, SheetKind, SourceKind
from icestatus.errors import RegistryError, UsageError

if TYPE_CHECKING:
    from rich.table import Table

    from icestatus.models import Event, Registry
    from icestatus.sources import Roster


# ---------------------------------------------------------------- init


@app.command()
def init(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="Registry file to create.", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file (kept as PATH.bak).")] = False,
) -> None:
    """Create an empty registry at PATH, ready for `icestatus ingest`.

    Example: icestatus init my-registry.json && icestatus ingest participatingAgencies07182025pm.xlsx -r my-registry.json
    """  # noqa: E501 (Typer prints a docstring's lines as they are)
    from icestatus.registry import empty_registry, registry_lock, save_registry

    if path.is_dir():
        raise UsageError(f"{path}: is a directory; give the path of the registry file to create")
    if not path.parent.is_dir():
        raise RegistryError(f"{path}: directory {path.parent} does not exist")
    if path.exists() and not force:
        raise UsageError(
            f"{path}: already exists; pass --force to replace it (the old file is kept as {path.name}.bak)"
        )
    with registry_lock(path):
        save_registry(empty_registry(), path)
    say(f"Created an empty registry at {path}. Next: icestatus ingest FILE... --registry {path}")


# ---------------------------------------------------------------- ingest


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
    published: Annotated[dt.date | None, typer.Option(
        "--published", metavar="DATE", show_default=False, parser=date_param("--published date", required=True),
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
    from icestatus.output.rows import INGEST_COLUMNS, ingest_rows
    from icestatus.registry import (
        load_registry,
        registry_lock,
        resolve_registry_path,
        save_registry,
    )

    out = output_for(format_)
    if published is not None and len(files) > 1:
        raise UsageError(
            "--published gives the date of one file; ingest files without a date in their name one at a time"
        )
    path = resolve_registry_path(registry) if dry_run else writable_registry(registry)
    sheets = _read(files, kind, published)
    # A dry run only reads, and a registry is replaced atomically: no lock (none could be
    # taken beside a registry installed read-only).
    with nullcontext() if dry_run else registry_lock(path):
        result = ingest_sheets(load_registry(path), sheets)
        if result.changed and not dry_run:
            save_registry(result.registry, path)
    for f in result.files:
        for warning in () if f.skipped else f.warnings:
            warn(warning)
    if dry_run:
        rows = ingest_rows(result)
        title = f"Events {len(files)} file{'s' if len(files) > 1 else ''} would add to {path.name} (dry run)"

        def view() -> Table:
            from icestatus.output.views import events_table

            return events_table(rows, title)

        if rows or not out.table:
            out.emit(rows, INGEST_COLUMNS, view)
        else:
            typer.echo("No events to add.")
    for f in result.files:
        what = f.skipped or f"{summary_line(f.counts())} ({f.source_id})"
        say(f"{f.path.name}: {what}")
    if len(result.files) > 1:
        say(f"total: {summary_line(result.counts())}")
    if dry_run:
        say(f"dry run: nothing written to {path}")
    elif result.changed:
        say(f"wrote {path} (previous version: {path.name}.bak)")


# ---------------------------------------------------------------- record


@app.command()
def record(
    agency: Annotated[str, typer.Argument(
        metavar="AGENCY", help="Agency name, alias or id (as `history` finds it).", show_default=False)],
    kind: Annotated[EventKind, typer.Option("--kind", case_sensitive=False, help="What happened.", show_default=False)],
    model: Annotated[Model, typer.Option(
        "--model", "-m", case_sensitive=False, help="Which agreement.", show_default=False)],
    date: Annotated[dt.date, typer.Option(
        "--date", metavar="DATE", parser=date_param("--date", required=True),
        help="When it happened (or the end of its window).", show_default=False)],
    source_url: Annotated[str, typer.Option(
        "--source-url", metavar="URL", help="Where it was reported.", show_default=False)],
    source_title: Annotated[str, typer.Option(
        "--source-title", metavar="TEXT", help="Title of the report.", show_default=False)],
    not_before: Annotated[dt.date | None, typer.Option(
        "--not-before", metavar="DATE", parser=date_param("--not-before date"),
        help="Start of the window, when the day is not known.", show_default=False)] = None,
    state: StateOpt = None,
    source_publisher: Annotated[str | None, typer.Option(
        "--source-publisher", metavar="TEXT",
        help="Who published it (default: the URL's site).", show_default=False)] = None,
    source_published: Annotated[dt.date | None, typer.Option(
        "--source-published", metavar="DATE", parser=date_param("--source-published date"),
        help="When it was published.", show_default=False)] = None,
    source_kind: Annotated[SourceKind, typer.Option(
        "--source-kind", case_sensitive=False, help="What kind of source it is.")] = SourceKind.news,
    signed: Annotated[dt.date | None, typer.Option(
        "--signed", metavar="DATE", parser=date_param("--signed date"),
        help="kind corrected: the corrected signing date; kind signed: ICE's SIGNED date when it differs.",
        show_default=False)] = None,
    moa_url: Annotated[str | None, typer.Option(
        "--moa-url", metavar="URL",
        help="kind signed or moa_linked: the signed MOA's address.", show_default=False)] = None,
    note: Annotated[str | None, typer.Option(
        "--note", metavar="TEXT", help="What the source says, in a sentence.", show_default=False)] = None,
    registry: WriteRegistryOpt = None,
) -> None:
    """Add one dated fact with its source (a news report, a press release) to a registry.

    Example: icestatus record wells --state ME --kind paused --model task_force --date 2025-05-20
    --source-url https://www.mainepublic.org/... --source-title "Wells pauses agreement with ICE" -r my-registry.json
    """
    from icestatus.curate import SourceFacts, record_event
    from icestatus.match import find_department
    from icestatus.registry import load_registry, registry_lock, save_registry

    facts = SourceFacts(url=source_url, title=source_title, publisher=source_publisher, kind=source_kind,
                        published=source_published)
    path = writable_registry(registry)
    with registry_lock(path):
        reg: Registry = load_registry(path)
        dept = find_department(reg, agency, state).department
        outcome = record_event(
            reg, dept.id, kind=kind, model=model, date=date, not_before=not_before, source=facts,
            note=note, signed=signed, moa_url=moa_url,
        )
        if not outcome.unchanged:
            save_registry(outcome.registry, path)
    ev: Event = outcome.event
    if outcome.unchanged:
        say(f"already recorded: {ev.kind.value} {ev.model.value} {ev.date} for {dept.name} ({dept.state}) "
            f"citing {outcome.source_id}; nothing written")
        return
    verb = "added a source to the existing" if outcome.merged else "recorded"
    say(f"{verb} {ev.kind.value} {ev.model.value} {ev.date} for {dept.name} ({dept.state}) {dept.id}, "
        f"source {outcome.source_id}{' (new)' if outcome.new_source else ''}")
    if outcome.no_effect:
        warn(f"this event changes nothing where it stands ({outcome.no_effect}); "
             "check the date, or record the events before it first")
    say(f"wrote {path} (previous version: {path.name}.bak)")
