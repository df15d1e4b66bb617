"""``export``: the registry as a SQLite database, for SQL and Datasette (``output.sqlite``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from icestatus.cli.app import app, open_registry, say, warn_coverage
from icestatus.cli.options import OnOpt, RegistryOpt, today
from icestatus.errors import UsageError


@app.command()
def export(
    path: Annotated[Path, typer.Argument(
        metavar="PATH.db", show_default=False, help="The database to write (replaced if it is an earlier export).")],
    on: OnOpt = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace PATH (and PATH.metadata.json) even when icestatus did not write them; "
                        "write a name not ending .db, .sqlite or .sqlite3.")] = False,
    registry: RegistryOpt = None,
) -> None:
    """Write the registry as a SQLite database: agencies, agreements, events, sources, policies, coverage.

    Tables have primary and foreign keys, indexes on state, model and dates, and full-text search on agency names and aliases (agencies_fts). Dates are ISO text, booleans 0/1, lists link tables (event_sources, ...). The agreements table is `icestatus agreements --ever`, its status as of --on (default today). Datasette's metadata (titles, descriptions, sources, licence) goes beside it as PATH.metadata.json. The file is written to a temporary file and renamed into place, so a reader never sees half of it.

    Example: icestatus export 287g.db && datasette 287g.db -m 287g.metadata.json
    """  # noqa: E501 (Typer prints a docstring's lines as they are)
    import json

    from icestatus import agreements
    from icestatus.coverage import Coverage, answer_on
    from icestatus.output.sqlite import SUFFIXES, export_facts, is_export, is_our_metadata, metadata_for, write_database
    from icestatus.registry import atomic_write, registry_in_use

    if path.is_dir():
        raise UsageError(f"{path} is a directory; give the database's file name, e.g. {path / '287g.db'}")
    if path.suffix.casefold() not in SUFFIXES and not force:
        raise UsageError(f"{path} does not end in {', '.join(SUFFIXES)}: the export is a SQLite database, not "
                         f"{path.suffix[1:].upper() or 'text'} (for CSV: icestatus agreements --ever --format csv); "
                         "pass --force to write it there anyway")
    if path.exists() and path.stat().st_size and not force and not is_export(path):
        raise UsageError(f"{path} exists and is not a database icestatus exported; pass --force to replace it")
    meta_path = path.with_name(path.stem + ".metadata.json")
    if meta_path.exists() and not force and not is_our_metadata(meta_path):
        raise UsageError(f"{meta_path} exists and is not Datasette metadata icestatus wrote; pass --force to "
                         "replace it (or export under another name)")
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent} is not a directory")
    date = on or today()
    reg = open_registry(registry)
    warn_coverage(reg, date)
    terms = agreements.on_date(reg, agreements.terms(reg), date, ever=True)
    from importlib.metadata import version

    answer = answer_on(Coverage.of(reg), date)
    info = {**export_facts(answer), "registry": str(registry_in_use(registry).path),
            "registry_title": reg.title, "icestatus_version": version("icestatus")}
    counts = write_database(path, reg, terms, date, info)
    meta = metadata_for(path.stem, reg, answer)
    atomic_write(meta_path, (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode())
    what = {"agreements": "agreements (terms, applications included)"}
    shown = ", ".join(f"{counts[t]:,} {what.get(t, t)}" for t in ("agencies", "agreements", "events", "sources",
                                                                    "policies"))
    say(f"wrote {path}: {shown}; Datasette metadata: {meta_path}")
    say(f"open it with: datasette {path} -m {meta_path}")
