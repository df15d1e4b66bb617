"""What users of good command-line tools expect, across every command: shell completion,
--version, NO_COLOR, no escape codes in pipes, tables readable at 80 columns, --limit
and a pager for long lists, and a fast start (no heavy imports before a command runs)."""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import readme_examples
from typer.testing import CliRunner

from icestatus.cli import app

# The module (``icestatus.cli.app`` the attribute is the Typer app it defines).
cli = importlib.import_module("icestatus.cli.app")

FIXTURE = Path(__file__).parent / "fixtures" / "reports_registry.json"
LONG_NAME = ("Consolidated Municipal Police Department of the Town of Saint Augustine Beach and "
             "Surrounding Unincorporated Areas")
SGR = re.compile(r"\x1b\[([0-9;]*)m")

# Every command that prints a table, with arguments that give it something to show.
TABLE_COMMANDS = [
    ["list"],
    ["as-of", "2025-07-18"],
    ["history", "consolidated municipal"],
    ["diff", "2025-05-16", "2025-07-18", "--all"],
    ["stats", "--on", "2025-07-18"],
    ["stats", "--on", "2025-07-18", "--by", "model"],
    ["stats", "--on", "2025-07-18", "--by", "type"],
    ["trend", "--from", "2025-05-01", "--to", "2025-11-01"],
    ["states", "--on", "2025-11-01"],
    ["sources"],
]
PLAIN_COMMANDS = [["validate"]]  # lines of text, no table


@pytest.fixture(autouse=True)
def _fixture_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICESTATUS_REGISTRY", str(FIXTURE))
    monkeypatch.setenv("ICESTATUS_TODAY", "2025-11-01")


def invoke(runner: CliRunner, args: list[str], **env: str) -> str:
    result = runner.invoke(app, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return result.stdout


def cells(line: str) -> int:
    from rich.cells import cell_len

    return cell_len(SGR.sub("", line))


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("_ICESTATUS")}
    env.update(extra)
    return env


class TestColour:
    @pytest.mark.parametrize("args", TABLE_COMMANDS + PLAIN_COMMANDS, ids=" ".join)
    def test_no_escape_codes_when_piped(self, runner: CliRunner, args: list[str]) -> None:
        """CliRunner's stdout is not a terminal, as in `icestatus ... | less` or `> file`."""
        out = invoke(runner, args, TERM="xterm-256color")
        assert out.strip() and "\x1b" not in out

    def test_colour_in_a_terminal_and_none_with_no_color(self, runner: CliRunner) -> None:
        args = ["trend", "--from", "2025-05-01", "--to", "2025-11-01"]
        # FORCE_COLOR makes Rich treat the output as a colour terminal.
        coloured = invoke(runner, args, TERM="xterm-256color", FORCE_COLOR="1")
        assert "36" in SGR.findall(coloured)  # the bars are cyan
        for command in [args, *TABLE_COMMANDS, *PLAIN_COMMANDS]:
            out = invoke(runner, command, TERM="xterm-256color", FORCE_COLOR="1", NO_COLOR="1")
            codes = {c for seq in SGR.findall(out) for c in seq.split(";")}
            colours = {c for c in codes if c.isdigit() and (30 <= int(c) <= 49 or 90 <= int(c) <= 107)}
            assert not colours, (command, codes)  # styles (bold, dim) stay; colours go


class TestEightyColumns:
    @pytest.mark.parametrize("args", TABLE_COMMANDS, ids=" ".join)
    def test_fits_and_never_truncates(self, runner: CliRunner, args: list[str]) -> None:
        out = invoke(runner, args, COLUMNS="80")
        assert all(cells(line) <= 80 for line in out.splitlines()), out
        assert "…" not in out

    @pytest.mark.parametrize("args", [["as-of", "2025-07-18"], ["history", "consolidated municipal"],
                                      ["diff", "2025-05-16", "2025-07-18"]], ids=" ".join)
    def test_long_agency_names_wrap_whole(self, runner: CliRunner, args: list[str]) -> None:
        out = invoke(runner, args, COLUMNS="80")
        words = " ".join(out.split())
        # every word of the name is there, in order (wrapped across lines, not cut)
        position = 0
        for word in LONG_NAME.split():
            position = words.index(word, position) + len(word)

    @pytest.mark.parametrize("args", TABLE_COMMANDS, ids=" ".join)
    def test_piped_lines_end_at_their_last_character(self, runner: CliRunner, args: list[str]) -> None:
        out = invoke(runner, args)
        assert out.strip() and not [line for line in out.splitlines() if line != line.rstrip()]

    def test_wide_terminals_show_more(self, runner: CliRunner) -> None:
        narrow = invoke(runner, ["sources"], COLUMNS="80")
        wide = invoke(runner, ["sources"], COLUMNS="140")
        assert "State statute banning" not in narrow and "State statute banning" in wide


class TestLimit:
    def test_list_and_as_of(self, runner: CliRunner) -> None:
        rows = json.loads(invoke(runner, ["as-of", "2025-07-18", "--limit", "2", "--format", "json"]))
        every = json.loads(invoke(runner, ["as-of", "2025-07-18", "--format", "json"]))
        assert rows == every[:2] and len(every) > 2
        csv_out = invoke(runner, ["list", "-n", "1", "--format", "csv"])
        assert len(csv_out.splitlines()) == 2
        table = invoke(runner, ["as-of", "2025-07-18", "--limit", "2"])
        assert f"showing the first 2 of {len(every)} (drop --limit to see all)" in table
        assert "5 agencies" in table  # the counts still count everything

    def test_limit_must_be_positive(self, runner: CliRunner) -> None:
        result = runner.invoke(app, ["list", "--limit", "0"])
        assert result.exit_code == 2 and "bad --limit '0': give a whole number, 1 or more" in result.stderr


class TestPager:
    @pytest.fixture
    def terminal(self, monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
        """A 10-line colour terminal on stdout, and a keyboard on stdin."""
        from rich.console import Console

        screen = io.StringIO()
        monkeypatch.setattr(cli, "console", lambda: Console(file=screen, force_terminal=True, height=10, width=80))
        monkeypatch.setattr(sys, "stdin", type("Keyboard", (), {"isatty": staticmethod(lambda: True)})())
        return screen

    def test_tall_output_goes_through_the_pager(self, terminal: io.StringIO, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
        from rich.text import Text

        paged = tmp_path / "paged.txt"
        monkeypatch.setenv("ICESTATUS_PAGER", f"cat > {paged}")
        cli.print_table(Text("\n".join(f"line {i}" for i in range(30))))
        assert terminal.getvalue() == ""
        assert paged.read_text().splitlines()[29] == "line 29"

    def test_short_output_and_opting_out_print_directly(self, terminal: io.StringIO, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
        from rich.text import Text

        paged = tmp_path / "paged.txt"
        monkeypatch.setenv("ICESTATUS_PAGER", f"cat > {paged}")
        cli.print_table(Text("three\nshort\nlines"))
        assert terminal.getvalue() == "three\nshort\nlines\n" and not paged.exists()
        monkeypatch.setenv("ICESTATUS_PAGER", "")
        cli.print_table(Text("\n".join(f"line {i}" for i in range(30))))
        assert "line 29" in terminal.getvalue() and not paged.exists()

    def test_never_when_stdin_is_not_a_terminal(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        from rich.console import Console
        from rich.text import Text

        screen = io.StringIO()
        monkeypatch.setattr(cli, "console", lambda: Console(file=screen, force_terminal=True, height=10, width=80))
        monkeypatch.setattr(sys, "stdin", io.StringIO())
        monkeypatch.setenv("ICESTATUS_PAGER", f"cat > {tmp_path / 'paged.txt'}")
        cli.print_table(Text("\n".join(f"line {i}" for i in range(30))))
        assert "line 29" in screen.getvalue()


class TestShell:
    def test_completion_of_commands_and_choices(self) -> None:
        """Typer's completion, as bash asks for it (what `--install-completion` sets up)."""
        def complete(words: str) -> list[str]:
            env = subprocess_env(_ICESTATUS_COMPLETE="complete_bash", COMP_WORDS=words,
                                 COMP_CWORD=str(len(words.split()) - (0 if words.endswith(" ") else 1)))
            done = subprocess.run([sys.executable, "-m", "icestatus"], env=env, capture_output=True, text=True,
                                  timeout=60, check=True)
            return done.stdout.split()

        assert complete("icestatus st") == ["stats", "states"]
        assert complete("icestatus trend --every ") == ["day", "week", "month"]
        assert complete("icestatus stats --by ") == ["state", "model", "type"]
        assert complete("icestatus diff 2025-01-01 2025-02-01 --model ") == [
            "task_force", "jail_enforcement", "warrant_service"]

    def test_show_completion_prints_a_script(self) -> None:
        done = subprocess.run([sys.executable, "-m", "icestatus", "--show-completion", "bash"],
                              env=subprocess_env(), capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0 and "_ICESTATUS_COMPLETE=complete_bash" in done.stdout

    def test_version(self, runner: CliRunner) -> None:
        from importlib.metadata import version

        first, second = invoke(runner, ["--version"]).splitlines()
        assert first == f"icestatus {version('icestatus')}"
        assert second.startswith("registry: ") and "ICE's last sheet 20" in second

    def test_start_up_imports_no_heavy_module(self) -> None:
        """Loading the CLI (every command module) imports neither pydantic nor rich: each
        command imports what it needs when it runs."""
        code = ("import sys, icestatus.cli; "
                "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'rich', 'us', 'rapidfuzz', 'httpx', 'platformdirs'}))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
        assert done.stdout.strip() == "[]"

    def test_every_command_has_a_one_line_summary_and_an_example(self) -> None:
        import typer.main

        group = typer.main.get_command(app)
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            doc = command.help or ""
            summary = doc.split("\n\n")[0]
            assert summary and "\n" not in summary, name
            if name in {"diff", "stats", "trend", "states", "sources", "validate"}:
                assert "Example: icestatus " + name in doc, name


def test_readme_shows_every_report_command() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## More questions: diff, stats, trend, states, sources, validate", 1)[1].split("\n## ", 1)[0]
    for command in ("diff", "stats", "trend", "states", "sources", "validate"):
        assert f"$ icestatus {command}" in section, command


@pytest.mark.parametrize(("command", "expected"), readme_examples.examples(),
                         ids=[c for c, _ in readme_examples.examples()])
def test_readme_output_is_what_the_command_prints(command: str, expected: str) -> None:
    """The README's examples, run again on the bundled registry as the README says
    (COLUMNS=80, ICESTATUS_TODAY=2026-05-20). If the registry is rebuilt or a command's
    output changes and this fails, run `python scripts/readme_examples.py --write`."""
    ran = readme_examples.run(command)
    if ran is None:
        pytest.skip("piped through a program the test does not imitate")
    code, shown = ran
    assert code == (1 if "broken.json" in command else 0), shown
    assert readme_examples.same(shown, expected), shown
