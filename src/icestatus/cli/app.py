"""The Typer app and what every command shares: the error boundary, the consoles,
messages on stderr, opening a registry, and printing an answer in the format asked.

Command modules (``cli.query``, ``cli.ingest``, ...) import ``app`` from here and
register their commands on it; ``cli/__init__.py`` imports them. Nothing here imports a
command module, so there is no import cycle. The core, Rich and pydantic are imported
inside functions, so that ``icestatus --help`` pays for none of them.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core
from typer.core import TyperGroup

from icestatus.enums import OutputFormat
from icestatus.errors import ExitCode, IcestatusError, UsageError

if TYPE_CHECKING:
    import datetime as dt

    from rich.console import Console, RenderableType

    from icestatus.coverage import Answer, Basis
    from icestatus.models import Registry
    from icestatus.output.writers import Writer

ENV_DEBUG = "ICESTATUS_DEBUG"
ENV_PAGER = "ICESTATUS_PAGER"


def _error_line(message: str) -> None:
    from icestatus.output.text import inert

    typer.echo(f"icestatus: error: {inert(message)}", err=True)


def warn(message: str) -> None:
    """``icestatus: warning: ...`` on stderr."""
    from icestatus.output.text import inert

    typer.echo(f"icestatus: warning: {inert(message)}", err=True)


def say(message: str) -> None:
    """A message for the user, on stderr (stdout is for data)."""
    from icestatus.output.text import inert

    typer.echo(inert(message), err=True)


# Why writing the answer failed, for the one-line error (errno -> words).
_OUTPUT_ERRORS = {
    errno.EPIPE: "standard output was closed before the answer was written (by `head`, say)",
    errno.ENOSPC: "no space left on the device it is written to",
    errno.EDQUOT: "disk quota exceeded on the device it is written to",
    errno.EFBIG: "the file it is written to is too large",
    errno.EIO: "input/output error writing standard output",
}


def _output_failed(exc: OSError) -> None:
    """One line and ExitCode.OUTPUT for an answer that could not be written; stdout is
    pointed at /dev/null so that Python's own flush at exit does not fail again."""
    with suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    _error_line(f"cannot write the answer: {_OUTPUT_ERRORS[exc.errno or 0]}")
    raise typer.Exit(int(ExitCode.OUTPUT)) from None


class IcestatusGroup(TyperGroup):
    """The error boundary: expected errors become one line and an exit code;
    anything else is a bug, reported as such (traceback with ICESTATUS_DEBUG=1).
    Also where the help speaks in words (``help_in_words``)."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            help_in_words(cmd)
        return cmd

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a full disk shows here, inside the boundary
            return result
        except IcestatusError as exc:
            _error_line(str(exc))
            raise typer.Exit(int(exc.exit_code)) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            typer.echo("icestatus: interrupted", err=True)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except OSError as exc:
            # Writing stdout: the registry's own reads and writes turn theirs into RegistryError.
            if exc.errno in _OUTPUT_ERRORS and exc.filename is None:
                _output_failed(exc)
            if os.environ.get(ENV_DEBUG):
                raise
            _bug(exc)
        except Exception as exc:
            if os.environ.get(ENV_DEBUG):
                raise
            _bug(exc)


def _bug(exc: Exception) -> None:
    _error_line(
        f"unexpected {type(exc).__name__}: {exc}. This is a bug in icestatus; "
        f"run again with {ENV_DEBUG}=1 to see the traceback and report it"
    )
    raise typer.Exit(int(ExitCode.BUG)) from None


# ---------------------------------------------------------------- help in words

# Placeholders of options whose values are not a fixed choice, by parameter name.
_PLACEHOLDERS = {
    "state": "STATE", "registry": "FILE", "on": "DATE", "from_": "DATE", "to": "DATE", "published": "DATE",
    "source": "SOURCE_ID", "limit": "N", "type_": "TYPE", "county": "COUNTY", "model": "MODEL",
}


def help_in_words(cmd: Any) -> None:
    """Make *cmd*'s help speak in words, once: placeholders ``STATE``, ``DATE``, ``N``,
    ``FILE`` or the choices (``table|json|csv``), never a Python type (``<str>``,
    ``<list[Path]>``, ``<int range>``); arguments by their name alone (``FILE...``); and the
    command's summary in ``icestatus --help`` its whole first sentence, never cut."""
    if getattr(cmd, "_icestatus_words", False):
        return
    cmd._icestatus_words = True
    if cmd.help and not cmd.short_help:
        first = cmd.help.split("\n\n", 1)[0]
        cmd.short_help = " ".join(first.split())
    for param in getattr(cmd, "params", ()):
        if isinstance(param, typer.core.TyperArgument):
            _argument_in_words(param)
        elif not getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = _placeholder(param)


def _placeholder(param: Any) -> str:
    choices = getattr(param.type_descriptor, "choices", None) if param.type_descriptor.is_choice else None
    if choices:
        return "|".join(str(getattr(c, "value", c)) for c in choices)
    return _PLACEHOLDERS.get(param.name, str(param.name).upper().replace("-", "_"))


def _argument_in_words(param: Any) -> None:
    name = (param.metavar or str(param.name).upper()).removesuffix("...")
    many = param.nargs != 1
    shown = name + ("..." if many else "")
    param.metavar = shown
    param.display_type_rich = lambda ctx: None
    param._usage_display_name = lambda: shown if param.required else f"[{shown}]"


app = typer.Typer(
    name="icestatus",
    cls=IcestatusGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain (Click) help and usage errors: Rich-formatted help imports rich's console,
    # markdown and tables first, 2.6x `python -c "import typer"` for `icestatus --help`
    # against 1.3x plain (issue 5; benchmarks/run.py).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=(
        "Which law-enforcement agencies take part in ICE's 287(g) program: today, on any "
        "past date, and how each one got there. Answers come from a dated, sourced event "
        "log (your own registry, kept current by `icestatus update`, or the bundled one, whichever is "
        "newer; or --registry FILE) replayed to the date asked."
    ),
    epilog="Examples: icestatus list --state ME · icestatus as-of 2025-05-01 --format json · icestatus history wells",
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"icestatus {version('icestatus')}")
        typer.echo(_registry_line())
        raise typer.Exit()


def _registry_line() -> str:
    """``registry: ... (bundled), ICE's last sheet 2026-05-18`` for ``--version`` (the
    registry in use: $ICESTATUS_REGISTRY or the bundled one; --registry is a command's)."""
    from icestatus.output.text import inert
    from icestatus.registry import covered_through, registry_in_use

    try:
        chosen = registry_in_use(None)
        through = covered_through(chosen.path)  # the coverage line near the top: no full load
        if through is None:
            from icestatus.coverage import Coverage

            span = Coverage.of(chosen.load()).span()
            through = span[1] if span else None
    except IcestatusError as exc:
        return inert(f"registry: cannot be read: {exc}")
    last = f"ICE's last sheet {through}" if through else "no ICE sheet"
    return inert(f"registry: {chosen.path} ({chosen.origin.value}), {last}")


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Which agencies take part in ICE's 287(g) program, on any date, and how they got there."""


# ---------------------------------------------------------------- registries


def open_registry(path: Path | None) -> Registry:
    """The registry a command reads: ``registry.registry_in_use`` (``--registry``,
    ``$ICESTATUS_REGISTRY`` or the bundled one), loaded."""
    from icestatus.registry import registry_in_use

    return registry_in_use(path).load()


def writable_registry(option: Path | None) -> Path:
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


def warn_coverage(registry: Registry, *dates: dt.date) -> None:
    """Warn when a date lies outside what the registry's sources cover (``coverage.coverage_warnings``)."""
    from icestatus.coverage import coverage_warnings

    for message in coverage_warnings(registry, *dates):
        warn(message)


def echo_line(text: str) -> None:
    """One line of a plain-text answer on stdout: in a terminal, wrapped at its width
    between words (a terminal would break it mid-word); through a pipe, as is."""
    if sys.stdout.isatty():
        import textwrap

        text = textwrap.fill(text, width=terminal_width(), break_long_words=False, break_on_hyphens=False)
    typer.echo(text)


def echo_basis(answer: Answer, *, pending: bool = True, basis: Basis | None = None) -> None:
    """Under a one-line answer (no table to hold a footer): ICE's list it rests on
    (*basis*, default the participating list) and what it cannot say (``Answer.limits``)."""
    from icestatus.output.text import limit_lines, sheet_phrase

    phrase = sheet_phrase(basis or answer.participating)
    for line in [*([f"{phrase}."] if phrase else []), *limit_lines(answer.limits(pending=pending))]:
        echo_line(line)


# ---------------------------------------------------------------- printing


def console() -> Console:
    from rich.console import Console

    # Rich itself drops colour when stdout is not a terminal or NO_COLOR is set.
    return Console(highlight=False, emoji=False)


_TRAILING_BLANKS = re.compile(r"[ \t]+$", flags=re.MULTILINE)


def print_table(renderable: RenderableType) -> None:
    """Print *renderable*; in an interactive terminal, through a pager when it is taller
    than the screen ($ICESTATUS_PAGER, else $MANPAGER/$PAGER, else less; set
    ICESTATUS_PAGER= (empty) to never page). Pipes and files get plain text, never paged."""
    con = console()
    pager = os.environ.get(ENV_PAGER)
    if not con.is_terminal:
        # a pipe or a file: no padding after the last cell of a line (grep, diff and
        # `cut` see the text alone)
        with con.capture() as captured:
            con.print(renderable)
        con.file.write(_TRAILING_BLANKS.sub("", captured.get()))
        return
    if pager == "" or not sys.stdin.isatty():
        con.print(renderable)
        return
    with con.capture() as captured:
        con.print(renderable)
    text = captured.get()
    if text.count("\n") < con.height:
        con.file.write(text)
        return
    import pydoc

    os.environ.setdefault("LESS", "FRX")  # as git does: quit if one screen, keep colours
    if pager:
        pydoc.pipepager(text, pager)
    else:
        pydoc.pager(text)


@dataclass(frozen=True, slots=True)
class Output:
    """How a command prints its answer, chosen (``output_for``) before it does any work."""

    format: OutputFormat
    writer: Writer | None  # None: a Rich view for people

    @property
    def table(self) -> bool:
        return self.writer is None

    def data(self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str], document: Any = None) -> None:
        """Print *rows* (or, in JSON, *document*) with the chosen writer."""
        assert self.writer is not None, "data() is for JSON and CSV; a table is a view"
        typer.echo(self.writer(rows, columns, document), nl=False)

    def emit(
        self,
        rows: Sequence[Mapping[str, Any]],
        columns: Sequence[str],
        view: Callable[[], RenderableType],
        *,
        document: Any = None,
    ) -> None:
        """Print *rows* as JSON or CSV, or the Rich renderable *view* builds."""
        if self.writer is None:
            print_table(view())
        else:
            self.data(rows, columns, document)


def output_for(fmt: OutputFormat, *, tabular: bool = True) -> Output:
    """The output of *fmt*; UsageError now, before any work, when the command cannot give
    it (*tabular* False: the answer is one document, which has no CSV form)."""
    from icestatus.output.writers import writer_for

    return Output(fmt, writer_for(fmt, tabular=tabular))


def terminal_width() -> int:
    return console().width
