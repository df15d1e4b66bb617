"""``icestatus update``: today's lists from ICE's page, into the user's own registry.

Parses, resolves the registry (``--registry``/``$ICESTATUS_REGISTRY``, else the user's own,
started as a copy of the bundled one), calls ``icestatus.update.run_update`` and prints
its report: the report on stdout (a few lines, or JSON), messages on stderr. httpx and
platformdirs are imported only when the command runs.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from icestatus.cli.app import app, output_for, say, warn, writable_registry
from icestatus.cli.options import DocumentFormatOpt
from icestatus.enums import DocumentFormat, OutputFormat

if TYPE_CHECKING:
    from icestatus.update import UpdateResult


UpdateRegistryOpt = Annotated[Path | None, typer.Option(
    "--registry", "-r", show_default=False,
    help="Registry file to update, made with `icestatus init PATH` or copied (default: $ICESTATUS_REGISTRY, "
         "else your own in the user data folder, made from the bundled one on first use; see `icestatus info`).",
)]


@app.command()
def update(
    registry: UpdateRegistryOpt = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Fetch, check and report what would change; write nothing.")] = False,
    from_: Annotated[str | None, typer.Option(
        "--from", metavar="URL", envvar="ICESTATUS_ICE_URL", show_default=False,
        help="The page that links ICE's sheets (default: ICE's 287(g) page; a mirror, a test server).",
    )] = None,
    format_: DocumentFormatOpt = DocumentFormat.table,
) -> None:
    """Fetch ICE's latest participating and pending sheets and ingest them into your registry.

    Finds the sheets on ICE's 287(g) page, downloads and checks them, ingests the new ones
    (a sheet already ingested changes nothing), keeps every file in your archive, and
    reports what changed. Without --registry (or $ICESTATUS_REGISTRY) it updates your own
    registry in the user data folder (created on first use as a copy of the bundled one),
    which read commands then use while it is newer than the bundled one. Nothing is
    written if any step fails.

    Example: icestatus update --dry-run · icestatus update --format json
    """
    from icestatus.archive import Archive
    from icestatus.fetch import page_url
    from icestatus.output.rows import update_document
    from icestatus.registry import ENV_REGISTRY, bundled_registry_path, user_data_dir, user_registry_path
    from icestatus.update import run_update

    out = output_for(OutputFormat(format_.value), tabular=False)
    if registry is not None or os.environ.get(ENV_REGISTRY):
        target, fallback = writable_registry(registry), None
    else:
        target, fallback = user_registry_path(), bundled_registry_path()
    existed = target.is_file()
    result = run_update(page_url(from_), target, archive=Archive(user_data_dir()), dry_run=dry_run,
                        fallback=fallback)
    for f in result.ingest.files:
        for warning in () if f.skipped else f.warnings:
            warn(warning)
    if out.table:
        typer.echo("\n".join(report_lines(result)))
    else:
        out.data([], [], update_document(result))
    if result.note and result.start == target:
        warn(result.note)
    if dry_run:
        if result.replaced:
            say(f"{result.note}: an update would start again from it")
        say(f"dry run: nothing written to {target}")
        return
    if result.archived:
        n = len(result.archived)
        say(f"archived {n} file{'s' if n > 1 else ''} in {_shown(user_data_dir())}")
    if result.new or result.replaced:
        if result.start != target and not existed:
            say(f"created your registry as a copy of the bundled one ({result.start}), then updated it")
        elif result.replaced:
            say(f"{result.note}: started again from it")
        say(f"wrote {target}" + (f" (previous version: {target.name}.bak)" if existed else ""))


def report_lines(result: UpdateResult) -> list[str]:
    """The report for people: each sheet and what became of it, then the changes."""
    from icestatus.ingest import summary_line
    from icestatus.update import newest

    lines = [f"ICE's page: {result.page}"]
    files = {f.path.name: f for f in result.ingest.files}
    for got in result.fetched:
        done = files[got.roster.path.name]
        edition = f"{done.published}" + (f" {done.half}" if done.half else "")
        what = "already ingested" if done.skipped else summary_line(done.counts())
        lines.append(f"  {got.link.kind.value}: {got.name} ({edition}, {done.rows:,} rows)")
        lines.extend(_wrapped(what, "    "))
    lines.extend(f"  {kind.value}: not linked on ICE's page" for kind in result.not_linked)
    before = newest(result.previous)
    if not result.new:
        lines.append(f"No new sheet since {before}." if before else "No new sheet.")
        return lines
    changes = result.changes()
    would = " (dry run, not written)" if result.dry_run else ""
    lines.append(f"Changes since {before}{would}:" if before else f"Changes{would}:")
    lines.extend(_wrapped(f"agreements started: {_by_state(changes.started)}", "  "))
    lines.extend(_wrapped(f"agreements ended: {_by_state(changes.ended)}", "  "))
    lines.append(f"  applications: {changes.applied:,} new, {changes.withdrawn:,} withdrawn")
    lines.append(f"  corrections: {changes.corrected:,} signing dates, {changes.moa_linked:,} MOA links")
    if changes.new_agencies:
        lines.append(f"  new agencies: {changes.new_agencies:,}")
    return lines


def _wrapped(text: str, indent: str) -> list[str]:
    """*text* in lines that fit the terminal (80 columns through a pipe), after *indent*."""
    import shutil
    import textwrap

    width = min(max(shutil.get_terminal_size().columns, 40), 120)
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_on_hyphens=False) or [indent]


def _shown(path: Path) -> str:
    """*path* with the home folder as ``~`` (where a user's data folder usually is)."""
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


def _by_state(counts: Counter[str]) -> str:
    total = sum(counts.values())
    if not total:
        return "0"
    shown = ", ".join(f"{state} {n:,}" for state, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"{total:,} ({shown})"
