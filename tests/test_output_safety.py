"""Names from data are inert in every output: tables, JSON and CSV.

A registry is shared and hand-edited, and ICE's sheets are whatever ICE typed; a name
that carries Rich markup, an ANSI or OSC escape sequence, another control character or
a bidi override must come out as visible text, never restyle or take over a terminal,
and a CSV cell must never be run as a formula by a spreadsheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import SOURCE, dept, ev, registry_of, write
from icestatus.cli import app
from icestatus.models import Policy, Source
from icestatus.output.rows import AGREEMENT_COLUMNS
from icestatus.output.text import inert
from icestatus.output.writers import to_csv, to_json

# What must never reach a terminal raw: C0 controls (newline aside), DEL, C1 controls
# (\x9b is a one-byte CSI), bidi embeddings/overrides/isolates, line/paragraph separators.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

HOSTILE = {
    "markup": "[bold red]Evil[/] [link=https://evil.example]Sheriff[/link]",
    "ansi": "\x1b[31mRed\x1b[0m County \x1b[2J\x1b[H",
    "osc8": "\x1b]8;;http://x\x07Click\x1b]8;;\x07 PD",
    "osc_title": "\x1b]0;owned\x07Title PD",
    "c1": "CSI\x9b31m Police \x85NEL \x90DCS\x9c",
    "c0": "Bell\x07 Back\x08space Tab\tCR\rLF\nVT\x0bNUL\x00 PD",
    "bidi": "\u202eDP sllew\u202c \u2066iso\u2069 \u2067r\u2068f\u2069 \u200fmark \u061calm",
    "separators": "line\u2028para\u2029 PD",
    "formula": "=HYPERLINK(\"http://evil.example\",\"x\")",
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(1+1)",
    "long": "L" * 2000,  # the longest name a registry may hold
}
STARTS = {k: f"tx-{k.replace('_', '-')}" for k in HOSTILE}
LONG_NOTE = "N" * 9_000 + "\x1b[31m" + "n" * 995  # 10,000 characters, the longest a note may be


@pytest.fixture(scope="module")
def hostile_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = Source(id="evil-source", kind="news", title="\x1b]8;;http://x\x07[bold]Title\u202e",
                    publisher="=Publisher\x9b2J", url="https://example.org/a", note="@note\x1b[5m")
    depts = [
        dept(dept_id, name, type="=cmd\x1b[1m", county="+County\u202e", aliases=(name[:50] + " alias",))
        for (kind, name), dept_id in zip(HOSTILE.items(), STARTS.values(), strict=True)
    ]
    events = []
    for i, dept_id in enumerate(STARTS.values()):
        events.append(ev(dept_id, "applied", "2025-01-01", sources=("evil-source",), note=f"-note {i}\x1b[1m\u202e"))
        events.append(ev(dept_id, "signed", "2025-02-01", sources=("evil-source", SOURCE.id),
                         note=LONG_NOTE, moa_url="https://example.org/moa?x=\u202e"))
    events.append(ev(STARTS["markup"], "applied", "2025-02-02", model="jail_enforcement"))
    reg = registry_of(events, depts, sources=(SOURCE, source),
                      policies=(Policy(state="TX", kind="other", date=dt.date(2025, 1, 1),
                                       summary="=policy\x1b[31m\u202e", sources=("evil-source",)),))
    return write(reg, tmp_path_factory.mktemp("hostile") / "registry.json")


def run(runner: CliRunner, *args: str) -> tuple[str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout, result.stderr


def assert_inert(text: str) -> None:
    found = UNSAFE.search(text)
    assert found is None, f"raw {found.group()!r} at {found.start()}: {text[max(0, found.start() - 40): found.start() + 40]!r}"


AGREEMENT_COMMANDS = [("list",), ("as-of", "2025-02-01"), ("as-of", "2025-01-15")]


@pytest.mark.parametrize("command", AGREEMENT_COMMANDS, ids=" ".join)
def test_tables_show_names_as_visible_text(runner: CliRunner, hostile_registry: Path, command: tuple[str, ...],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # wide enough that no name is folded across lines
    monkeypatch.setenv("ICESTATUS_TODAY", "2025-03-01")
    out, err = run(runner, *command, "-r", str(hostile_registry))
    assert_inert(out)
    assert_inert(err)
    assert "[bold red]Evil[/] [link=https://evil.example]Sheriff[/link]" in out  # markup shown, not applied
    assert "\\x1b[31mRed\\x1b[0m County" in out and "\\x1b]8;;http://x\\x07Click" in out
    assert "CSI\\x9b31m Police \\x85NEL" in out
    assert "\\u202eDP sllew\\u202c \\u2066iso\\u2069" in out
    assert "Bell\\x07 Back\\x08space Tab\\x09CR\\x0dLF\\x0aVT\\x0bNUL\\x00 PD" in out
    assert "L" * 2000 not in out and "L" * 100 in out  # a cell is cut, with an ellipsis
    assert "…" in out


@pytest.mark.parametrize("command", [("list",), ("history", "tx-osc8")], ids=["list", "history"])
def test_on_a_colour_terminal_only_icestatus_styles_reach_it(
    runner: CliRunner, hostile_registry: Path, command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With colour on, Rich writes its own SGR style sequences; the data still adds none,
    no hyperlink (OSC 8) and no markup style (the name's [bold red] is not applied)."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setenv("ICESTATUS_TODAY", "2025-03-01")
    out, _ = run(runner, *command, "-r", str(hostile_registry))
    assert "\x1b[" in out, "colour was not on: the test would prove nothing"
    assert "\x1b]" not in out
    assert_inert(re.sub("\x1b\\[[0-9;]*m", "", out))
    assert "[bold red]Evil[/]" in re.sub("\x1b\\[[0-9;]*m", "", out) or command[0] == "history"


@pytest.mark.parametrize("command", AGREEMENT_COMMANDS, ids=" ".join)
def test_json_keeps_names_exact_and_escaped(runner: CliRunner, hostile_registry: Path, command: tuple[str, ...],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICESTATUS_TODAY", "2025-03-01")
    out, err = run(runner, *command, "-r", str(hostile_registry), "-f", "json")
    assert_inert(out)
    assert_inert(err)
    rows = json.loads(out)
    names = {r["department_id"]: r["department"] for r in rows}
    assert names == {STARTS[k]: HOSTILE[k] for k in HOSTILE}  # the data, exactly, once decoded
    assert {r["type"] for r in rows} == {"=cmd\x1b[1m"}


@pytest.mark.parametrize("command", AGREEMENT_COMMANDS, ids=" ".join)
def test_csv_cells_are_inert_and_never_formulas(runner: CliRunner, hostile_registry: Path, command: tuple[str, ...],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICESTATUS_TODAY", "2025-03-01")
    out, err = run(runner, *command, "-r", str(hostile_registry), "-f", "csv")
    assert_inert(out)
    assert_inert(err)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == AGREEMENT_COLUMNS
    assert len(rows) == len(json.loads(run(runner, *command, "-r", str(hostile_registry), "-f", "json")[0]))
    for r in rows:
        for column, cell in r.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
    names = {r["department_id"]: r["department"] for r in rows}
    assert names[STARTS["formula"]] == "'" + HOSTILE["formula"]
    assert names[STARTS["plus"]] == "'" + HOSTILE["plus"]
    assert names[STARTS["minus"]] == "'-2+3"
    assert names[STARTS["at"]] == "'@SUM(1+1)"
    assert names[STARTS["markup"]] == HOSTILE["markup"]
    assert names[STARTS["ansi"]] == "\\x1b[31mRed\\x1b[0m County \\x1b[2J\\x1b[H"
    assert {r["type"] for r in rows} == {"'=cmd\\x1b[1m"} and {r["county"] for r in rows} == {"'+County\\u202e"}


@pytest.mark.parametrize("key", list(HOSTILE), ids=list(HOSTILE))
def test_history_in_every_format(runner: CliRunner, hostile_registry: Path, key: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    table, err = run(runner, "history", STARTS[key], "-r", str(hostile_registry))
    assert_inert(table)
    assert_inert(err)
    assert "[bold]Title" in table  # a source title's markup is shown, not applied
    assert "N" * 100 in table.replace("\n", "").replace(" ", "").replace("│", "")
    out, err = run(runner, "history", STARTS[key], "-r", str(hostile_registry), "-f", "json")
    assert_inert(out)
    doc = json.loads(out)
    assert doc["department"]["name"] == HOSTILE[key]
    signed = next(e for e in doc["events"] if e["kind"] == "signed")
    assert signed["note"] == LONG_NOTE  # the whole 10,000-character note, exact
    assert doc["events"][0]["sources"][0]["title"] == "\x1b]8;;http://x\x07[bold]Title\u202e"


def test_history_of_a_name_typed_with_escapes(runner: CliRunner, hostile_registry: Path) -> None:
    """What the user typed is echoed inert in the error too."""
    result = runner.invoke(app, ["history", "Qwvzk\x1b\x07\x9b\u202e", "-r", str(hostile_registry)])
    assert result.exit_code == 1
    assert_inert(result.stderr)
    assert "Qwvzk\\x1b\\x07\\x9b\\u202e" in result.stderr


# Every other command that prints data from a registry, in every format it has.
OTHER_COMMANDS = [
    ("diff", "2024-12-31", "2025-03-01"), ("diff", "2024-12-31", "2025-03-01", "--all"),
    ("stats", "--on", "2025-03-01"), ("stats", "--on", "2025-03-01", "--by", "type"),
    ("trend", "--from", "2025-01-01", "--to", "2025-03-01"),
    ("states", "--on", "2025-03-01"), ("sources",), ("moa",), ("moa", "--missing"),
]


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
@pytest.mark.parametrize("command", OTHER_COMMANDS, ids=" ".join)
def test_every_other_command_is_inert(runner: CliRunner, hostile_registry: Path, command: tuple[str, ...], fmt: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICESTATUS_TODAY", "2025-03-01")
    result = runner.invoke(app, [*command, "-r", str(hostile_registry), "-f", fmt], catch_exceptions=False)
    assert result.exit_code in (0, 2), (result.stdout, result.stderr)  # 2: no such format for this command
    assert_inert(result.stdout)
    assert_inert(result.stderr)
    if fmt == "csv" and result.exit_code == 0:
        for row in csv.reader(io.StringIO(result.stdout)):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (command, cell)
                assert not re.match(r"-[^\d]", cell), (command, cell)


def test_validate_names_problems_inertly(runner: CliRunner, tmp_path: Path) -> None:
    reg = registry_of([ev("tx-a", "resumed", "2025-01-01", note="\x1b[31m")],
                      [dept("tx-a", "\x1b]0;owned\x07\u202eEvil")])
    result = runner.invoke(app, ["validate", str(write(reg, tmp_path / "r.json"))])
    assert result.exit_code == 1
    assert_inert(result.stdout)
    assert_inert(result.stderr)


# ---------------------------------------------------------------- the helpers themselves


@pytest.mark.parametrize("char", [chr(c) for c in [*range(0x20), *range(0x7f, 0xa0), 0x061c, 0x200e, 0x200f,
                                                    0x2028, 0x2029, *range(0x202a, 0x202f), *range(0x2066, 0x206a)]])
def test_every_unsafe_character_is_escaped_everywhere(char: str) -> None:
    text = f"a{char}b"
    assert not UNSAFE.search(inert(text))
    assert not UNSAFE.search(to_json({"name": text}))
    assert json.loads(to_json({"name": text}))["name"] == text
    assert not UNSAFE.search(to_csv([{"name": text}], ["name"]).replace("\n", ""))


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+1", "@A1", "\t=1", "\r=1", "=", "-"])
def test_csv_formula_starts_are_neutralized(value: str) -> None:
    (cell,) = list(csv.reader(io.StringIO(to_csv([{"c": value}], ["c"]))))[1]
    assert cell.startswith("'")
