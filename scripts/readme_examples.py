"""The README's examples, run again: check them, or write their real output back.

The ```console blocks of the README's query sections ran on the bundled registry with
COLUMNS=80 and ICESTATUS_TODAY=2026-05-20; tests/test_cli_polish.py re-runs each and
compares. After a change to what a command prints, or a rebuild of the registry:

    python scripts/readme_examples.py           # list the examples that differ (exit 1 if any)
    python scripts/readme_examples.py --write   # paste each command's real output into README.md

A few examples pipe through `head` or `jq`; those pipelines are done here in Python.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import tempfile
from collections import Counter
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
QUERY_SECTIONS = ("## Using it", "## More questions: diff, stats, trend, states, sources, validate")
ENV = {"COLUMNS": "80", "ICESTATUS_TODAY": "2026-05-20"}
# The README shows the bundled registry's path as it was on the machine the examples ran on.
SHOWN_PATH = "/work/main/data/agreements.json"
BROKEN_FIXTURE = README.parent / "tests" / "fixtures" / "readme_broken.json"
BLOCK = re.compile(r"```console\n(.*?)```", flags=re.DOTALL)
SUPPORTED_PIPES = ("head", "jq")


def _query_spans(readme: str) -> list[tuple[int, int]]:
    """Where each query section runs in the README (start, end offsets)."""
    spans = []
    for head in QUERY_SECTIONS:
        start = readme.index(head)
        end = readme.find("\n## ", start + len(head))
        spans.append((start, len(readme) if end < 0 else end))
    return spans


def examples(readme: str | None = None) -> list[tuple[str, str]]:
    """(command, expected output) of every ```console block in the query sections."""
    readme = README.read_text() if readme is None else readme
    found = []
    for start, end in _query_spans(readme):
        for block in BLOCK.findall(readme[start:end]):
            first, _, expected = block.partition("\n")
            found.append((first.removeprefix("$ "), expected.rstrip("\n")))
    return found


def _pipe(out: str, pipeline: list[str]) -> str | None:
    """The README's pipelines done in Python; None for one this does not know."""
    if pipeline[:2] == ["|", "head"]:
        return "\n".join(out.splitlines()[: int(pipeline[2].lstrip("-"))])
    if pipeline == ["|", "jq", "-r", ".[].change", "|", "sort", "|", "uniq", "-c"]:
        counts = sorted(Counter(r["change"] for r in json.loads(out)).items())
        return "\n".join(f"{n:>7} {change}" for change, n in counts)
    if pipeline[:3] == ["|", "jq", "-c"] and pipeline[3].startswith(".[] | select(.policy) | {"):
        keys = [k.strip() for k in pipeline[3].split("{")[1].rstrip("}").split(",")]
        return "\n".join(json.dumps({k: r[k] for k in keys}, separators=(",", ":"))
                         for r in json.loads(out) if r["policy"])
    return None


def run(command: str) -> tuple[int, str] | None:
    """Run one README command on the bundled registry as the README says: (exit code,
    what it shows, with the bundled registry's path written as the README shows it). None when it
    pipes through a program this script does not imitate."""
    from typer.testing import CliRunner

    from icestatus.cli import app
    from icestatus.registry import bundled_registry_path

    words = shlex.split(command)
    pipeline = words[words.index("|"):] if "|" in words else []
    words = words[: len(words) - len(pipeline)]
    saved = {k: os.environ.pop(k, None) for k in ("ICESTATUS_REGISTRY", "NO_COLOR", "FORCE_COLOR")}
    here = Path.cwd()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if "broken.json" in words:  # the README's broken file is tests/fixtures/readme_broken.json
                (Path(tmp) / "broken.json").write_bytes(BROKEN_FIXTURE.read_bytes())
            os.chdir(tmp)
            # On the bundled registry, not the user's own (`icestatus update` writes one).
            env = {**ENV, "ICESTATUS_DATA_DIR": str(Path(tmp) / "no-user-data")}
            result = CliRunner().invoke(app, words[1:], env=env, catch_exceptions=False)
    finally:
        os.chdir(here)
        os.environ.update({k: v for k, v in saved.items() if v is not None})
    out = result.stdout + (result.stderr if result.exit_code else "")
    if pipeline:
        piped = _pipe(out, pipeline)
        if piped is None:
            return None
        out = piped
    shown = "\n".join(line.rstrip() for line in out.splitlines()).rstrip("\n")
    # The bundled registry's path, even where it wrapped across lines (where icestatus is
    # installed sets its length), is shown as the README shows it.
    wrapped = re.compile(r"\s*".join(map(re.escape, str(bundled_registry_path()))))
    return result.exit_code, wrapped.sub(SHOWN_PATH, shown)


def same(shown: str, expected: str) -> bool:
    """Whether a command's output is the README's. Exact, except around the bundled
    registry's path, whose length depends on where icestatus is installed: output that
    shows it compares with runs of white space taken as one."""
    if shown == expected:
        return True
    return SHOWN_PATH in expected and re.sub(r"\s+", " ", expected) == re.sub(r"\s+", " ", shown)


def main(argv: list[str]) -> int:
    write = "--write" in argv
    readme = README.read_text()
    spans = _query_spans(readme)
    differ = 0

    def redo(match: re.Match[str]) -> str:
        nonlocal differ
        first, _, expected = match.group(1).partition("\n")
        ran = run(first.removeprefix("$ "))
        if ran is None or same(ran[1], expected.rstrip("\n")):
            return match.group(0)
        differ += 1
        print(f"differs: {first}", file=sys.stderr)
        return f"```console\n{first}\n{ran[1]}\n```"

    pieces, last = [], 0
    for start, end in spans:
        pieces += [readme[last:start], BLOCK.sub(redo, readme[start:end])]
        last = end
    pieces.append(readme[last:])
    if write and differ:
        tmp = README.with_suffix(".md.tmp")
        tmp.write_text("".join(pieces))
        tmp.replace(README)
        print(f"wrote {differ} example(s) into {README.name}", file=sys.stderr)
        return 0
    print(f"{differ} example(s) differ" if differ else "every example matches", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
