"""``icestatus info``: which registry is in use and why, what ICE's lists in it cover
(first and last sheet, how many, the gaps between them), its counts, and how old its data
is today (``reports.registry_info``; ``output.rows.info_document`` for JSON).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from icestatus.cli.app import app, output_for
from icestatus.cli.options import DocumentFormatOpt, RegistryOpt, today
from icestatus.enums import DocumentFormat, OutputFormat

if TYPE_CHECKING:
    from rich.console import RenderableType


@app.command()
def info(format_: DocumentFormatOpt = DocumentFormat.table, registry: RegistryOpt = None) -> None:
    """Which registry is in use and why, the period ICE's lists in it cover, its gaps and counts, and how old it is.

    The registry is --registry FILE, else $ICESTATUS_REGISTRY, else your own from `icestatus update` or the one bundled with icestatus, whichever covers the later date. Gaps are stretches of more than 14 days between two of ICE's lists of a kind; the data is stale more than 7 days after the latest participating list.

    Example: icestatus info --format json
    """  # noqa: E501 (Typer prints a docstring's lines as they are)
    from icestatus.output.rows import info_document
    from icestatus.registry import registry_in_use
    from icestatus.reports import registry_info

    out = output_for(OutputFormat(format_.value), tabular=False)
    chosen = registry_in_use(registry)
    found = registry_info(chosen.load(), today())

    def view() -> RenderableType:
        from icestatus.output.views_reports import info_view

        return info_view(chosen, found)

    out.emit((), (), view, document=info_document(chosen, found))
