"""icestatus's benchmark suite: the figures and targets of issue 5, in one table.

    python benchmarks/run.py                 # full suite (generates 100k/1M-event registries once)
    python benchmarks/run.py --quick         # small sizes, few runs: a smoke run, targets not judged
    python benchmarks/run.py --json out.json --runs 7 --only asof,history

Every case runs the installed ``icestatus`` (the one beside this Python) as a child
process, like a user or a script would, several times after one warm-up run
(hyperfine-style); a command and its floor run alternately, 21 times for start-ups.
A case reports the median and the fastest wall time, and the peak resident memory of
its child (``ru_maxrss`` from ``os.wait4``). Ratios compare medians taken in the same
run, so a busy machine moves both sides.

Generated registries go to a cache directory outside the repository (``--cache``,
default ``$XDG_CACHE_HOME/icestatus-bench`` or ``~/.cache/icestatus-bench``), named by
size, seed and a hash of ``make_registry.py``, so they are built once.

Cases and targets (medians on the reference 2-core machine):

* ``startup-list``: ``icestatus list --state ME --format json`` on the bundled registry,
  <= 1.5x the floor ``python -c "import typer, rich.table, pydantic, json; json.load(...)"``.
* ``startup-history``, ``startup-history-typo``, ``startup-search``: ``icestatus history
  "Harris County GA"``, ``history Rensalear`` (a typo) and ``search "nassau county"``
  (``--format json``) on the bundled registry, each <= 1.2x ``list --state ME`` run
  alternately with it (issue 15).
* ``startup-help``: ``icestatus --help`` <= 1.3x ``python -c "import typer"``.
* ``asof-100k``, ``asof-1m``: ``icestatus as-of <last day> --format json``; 1M < 3 s and
  < 1 GB peak memory; ``asof-ratio`` 1M/100k <= 12 (linear).
* ``trend``: ``icestatus trend`` over the last 2 years, every day, on the 1M file, <= 2x as-of.
* ``history``: ``icestatus history <id>`` on the 1M file, no slower than as-of.
* ``ingest-all``: every shared ICE sheet (../shared/data/ice, use=yes) into an empty
  registry < 30 s; ``ingest-one``: the newest sheet into the registry of all the others
  < 1 s (issue 11's targets for 478 sheets).

A case whose command does not exist (yet) or whose inputs are missing reports "n/a".
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GB = 1_000_000_000  # targets say "1 GB": 10^9 bytes, the stricter reading
ASOF_DATE = "2025-10-31"  # make_registry's last day: as-of replays every event
TREND_FROM, TREND_TO = "2023-10-31", "2025-10-31"
LOOKUP_CASES = (
    ("startup-history", ["history", "Harris County GA", "--format", "json"]),
    ("startup-history-typo", ["history", "Rensalear", "--format", "json"]),
    ("startup-search", ["search", "nassau county", "--format", "json"]),
)


@dataclasses.dataclass
class Measure:
    """Wall times (s) and peak RSS (bytes) of repeated runs of one command."""

    argv: list[str]
    times: list[float]
    rss: list[int]
    returncode: int = 0
    stderr: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def peak(self) -> int:
        return max(self.rss)


@dataclasses.dataclass
class Row:
    case: str
    what: str
    measure: Measure | None = None
    target: str = ""
    value: float | None = None  # the figure judged against the target
    ok: bool | None = None  # None: not judged (n/a or --quick)
    note: str = ""
    unit: str = "x"  # "x": value is a ratio; "s": value is seconds


def run_once(argv: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, int, int, str]:
    """(wall seconds, peak RSS bytes, exit code, stderr) of one child process."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    return wall, usage.ru_maxrss * 1024, proc.returncode, text


WARMUP = 1  # untimed runs before the timed ones (page cache, .pyc files); --warmup


def measure(argv: Sequence[str], runs: int, setup: Callable[[], None] | None = None,
            env: dict[str, str] | None = None, warmup: int | None = None) -> Measure:
    warmup = WARMUP if warmup is None else warmup
    m = Measure(list(argv), [], [])
    for i in range(warmup + runs):
        if setup is not None:
            setup()
        wall, rss, code, err = run_once(argv, env)
        if code != 0:
            return Measure(list(argv), [wall], [rss], code, err)
        if i >= warmup:
            m.times.append(wall)
            m.rss.append(rss)
    return m


def measure_pair(a: Sequence[str], b: Sequence[str], runs: int, env: dict[str, str] | None = None) -> tuple[Measure, Measure]:
    """Two commands run alternately (a, b, a, b, ...), so that a busy machine weighs on
    both sides of their ratio alike."""
    ma, mb = Measure(list(a), [], []), Measure(list(b), [], [])
    for i in range(WARMUP + runs):
        for argv, m in ((a, ma), (b, mb)):
            wall, rss, code, err = run_once(argv, env)
            if code != 0:
                m.returncode, m.stderr = code, err
                m.times, m.rss = [wall], [rss]
                return ma, mb
            if i >= WARMUP:
                m.times.append(wall)
                m.rss.append(rss)
    return ma, mb


def icestatus_exe() -> str:
    beside = Path(sys.executable).with_name("icestatus")
    found = str(beside) if beside.is_file() else shutil.which("icestatus")
    if not found:
        sys.exit("run.py: no `icestatus` beside this Python or on PATH; install the package first (pip install -e .)")
    return found


def has_command(exe: str, name: str) -> bool:
    return subprocess.run([exe, name, "--help"], check=False, capture_output=True).returncode == 0


def cache_dir(option: Path | None) -> Path:
    if option is not None:
        path = option
    else:
        base = os.environ.get("XDG_CACHE_HOME")
        path = (Path(base) if base else Path.home() / ".cache") / "icestatus-bench"
    path = path.resolve()
    if path == REPO or REPO in path.parents:
        sys.exit(f"run.py: --cache {path} is inside the repository; generated registries never go there")
    path.mkdir(parents=True, exist_ok=True)
    return path


def synthetic(cache: Path, events: int, agencies: int, seed: int = 1) -> Path:
    """A make_registry.py registry, generated once per size/seed/generator version."""
    version = hashlib.sha1((HERE / "make_registry.py").read_bytes()).hexdigest()[:10]
    path = cache / f"registry-{events}e-{agencies}a-s{seed}-{version}.json"
    if not path.is_file():
        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, str(HERE / "make_registry.py"), "--events", str(events),
                        "--agencies", str(agencies), "--seed", str(seed), str(path)], check=True)
    return path


def first_department(path: Path) -> str:
    """The id of the agency of the file's first event (a long-lived, busy one)."""
    with path.open("rb") as fh:
        for line in fh:
            if line.startswith(b'{"department_id": "'):
                return line.split(b'"')[3].decode()
    raise SystemExit(f"run.py: no events in {path}")


def shared_sheets() -> list[Path]:
    """ICE's shared sheets, the newest participating sheet last (as bench_ingest.py picks
    it: the one-new-sheet case ingests it into the registry of all the others)."""
    base = os.environ.get("ICESTATUS_SHARED")
    root = (Path(base) if base else REPO.parent / "shared") / "data" / "ice"
    manifest = root / "manifest.csv"
    if not manifest.is_file():
        return sorted(root.glob("sheets/*/*.xlsx"))
    with manifest.open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("use", "yes") == "yes"]

    def key(r: dict[str, str]) -> tuple[str, bool]:
        return (r["published"], r["half"] == "pm")

    newest = max((r for r in rows if r["kind"] == "participating"), key=key)
    return [root / "sheets" / r["path"] for r in rows if r is not newest] + [root / "sheets" / newest["path"]]


def compile_package() -> None:
    """Byte-compile the installed icestatus (its __pycache__ is git-ignored)."""
    code = "import compileall, icestatus, os; compileall.compile_dir(os.path.dirname(icestatus.__file__), quiet=1)"
    subprocess.run([sys.executable, "-c", code],
                   check=True, env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})


def bundled_registry() -> Path:
    out = subprocess.run([sys.executable, "-c", "from icestatus.registry import bundled_registry_path as b; print(b())"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


# ---------------------------------------------------------------- the suite


def suite(args: argparse.Namespace) -> list[Row]:
    exe = icestatus_exe()
    py = sys.executable
    runs = args.runs
    cache = cache_dir(args.cache)
    only = set(args.only.split(",")) if args.only else None
    small_n, large_n = (2_000, 20_000) if args.quick else (100_000, 1_000_000)
    def agencies(n: int) -> int:
        return max(50, n // 50)

    rows: list[Row] = []

    def want(name: str) -> bool:
        return only is None or any(name.startswith(o) for o in only)

    def judged(ok: bool) -> bool | None:
        return None if args.quick else ok

    env = {**os.environ, "ICESTATUS_TODAY": ASOF_DATE}
    env.pop("ICESTATUS_REGISTRY", None)
    # As installed: pip byte-compiles a package, so no run may pay for compiling ours
    # (an editable install under PYTHONDONTWRITEBYTECODE=1 would, on every run).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    compile_package()

    if want("startup"):
        bundled = bundled_registry()
        runs = args.startup_runs  # start-ups are short and noisy: more runs, same wall clock
        floor, listed = measure_pair(
            [py, "-c", f"import typer, rich.table, pydantic, json; json.load(open({str(bundled)!r}))"],
            [exe, "list", "--state", "ME", "--format", "json"], runs, env=env)
        rows.append(Row("floor-list", "python -c 'import typer, rich.table, pydantic, json; json.load(bundled)'", floor))
        ratio = listed.median / floor.median if listed.returncode == 0 else None
        rows.append(Row("startup-list", "icestatus list --state ME --format json", listed, "<= 1.5x floor", ratio,
                        judged(ratio is not None and ratio <= 1.5)))
        # Finding an agency by name (issue 15): within 1.2x of `list --state ME`, each pair run
        # alternately. A plain name, a typo (the edit-distance path), and `search`.
        for case, argv in LOOKUP_CASES:
            base, looked = measure_pair([exe, "list", "--state", "ME", "--format", "json"], [exe, *argv], runs, env=env)
            ratio = looked.median / base.median if looked.returncode == 0 and base.returncode == 0 else None
            rows.append(Row(case, f"icestatus {' '.join(argv)} / list --state ME", looked, "<= 1.2x list", ratio,
                            judged(ratio is not None and ratio <= 1.2)))
        typer_floor, helped = measure_pair([py, "-c", "import typer"], [exe, "--help"], runs, env=env)
        rows.append(Row("floor-help", "python -c 'import typer'", typer_floor))
        ratio = helped.median / typer_floor.median if helped.returncode == 0 else None
        rows.append(Row("startup-help", "icestatus --help", helped, "<= 1.3x floor", ratio,
                        judged(ratio is not None and ratio <= 1.3)))

    runs = args.runs
    asof: dict[int, Measure] = {}
    big: Path | None = None
    if want("asof") or want("trend") or want("history"):
        for n in (small_n, large_n):
            if n == small_n and not (want("asof")):
                continue
            path = synthetic(cache, n, agencies(n))
            if n == large_n:
                big = path
            m = measure([exe, "as-of", ASOF_DATE, "--registry", str(path), "--format", "json"], runs, env=env)
            asof[n] = m
            label = f"asof-{n // 1000}k" if n < 1_000_000 else f"asof-{n // 1_000_000}m"
            if n == large_n:
                ok = m.returncode == 0 and m.median < 3.0 and m.peak < GB
                rows.append(Row(label, f"as-of on {n:,} events (--format json)", m, "< 3 s, < 1 GB", m.median, judged(ok),
                                unit="s"))
            else:
                rows.append(Row(label, f"as-of on {n:,} events (--format json)", m))
        if small_n in asof and large_n in asof:
            ratio = asof[large_n].median / asof[small_n].median
            rows.append(Row("asof-ratio", f"as-of {large_n:,} / {small_n:,} events", None, "<= 12x", ratio, judged(ratio <= 12)))

    if want("trend") and big is not None:
        if has_command(exe, "trend"):
            m = measure([exe, "trend", "--from", TREND_FROM, "--to", TREND_TO, "--every", "day",
                         "--registry", str(big), "--format", "json"], runs, env=env)
            ratio = m.median / asof[large_n].median if m.returncode == 0 else None
            rows.append(Row("trend", f"trend {TREND_FROM}..{TREND_TO} every day, {large_n:,} events", m,
                            "<= 2x as-of", ratio, judged(ratio is not None and ratio <= 2)))
        else:
            rows.append(Row("trend", "trend over 2 years by day", None, "<= 2x as-of", note="n/a: no trend command"))

    if want("history") and big is not None:
        dept = first_department(big)
        m = measure([exe, "history", dept, "--registry", str(big), "--format", "json"], runs, env=env)
        ratio = m.median / asof[large_n].median if m.returncode == 0 else None
        rows.append(Row("history", f"history {dept}, {large_n:,} events", m, "<= as-of", ratio,
                        judged(ratio is not None and ratio <= 1.0)))

    if want("ingest"):
        rows.extend(ingest_cases(exe, runs, env, args.quick))
    return rows


def ingest_cases(exe: str, runs: int, env: dict[str, str], quick: bool) -> list[Row]:
    sheets = shared_sheets()
    if not has_command(exe, "ingest"):
        return [Row("ingest-all", "ingest every shared sheet", None, "< 30 s", note="n/a: no ingest command"),
                Row("ingest-one", "ingest one new sheet", None, "< 1 s", note="n/a: no ingest command")]
    if len(sheets) < 2:
        return [Row("ingest-all", "ingest every shared sheet", None, "< 30 s", note="n/a: ICE's sheets not found"),
                Row("ingest-one", "ingest one new sheet", None, "< 1 s", note="n/a: ICE's sheets not found")]
    if quick:
        sheets = sheets[:4]
    rows = []
    with tempfile.TemporaryDirectory(prefix="icestatus-bench-") as tmp:
        work = Path(tmp)
        empty, target = work / "empty.json", work / "registry.json"
        subprocess.run([exe, "init", str(empty)], check=True, capture_output=True, env=env)

        def fresh_empty() -> None:
            shutil.copyfile(empty, target)
            for extra in (work / "registry.json.bak",):
                extra.unlink(missing_ok=True)

        m = measure([exe, "ingest", *map(str, sheets), "--registry", str(target), "--format", "json"], runs,
                    setup=fresh_empty, env=env)
        rows.append(Row("ingest-all", f"ingest all {len(sheets)} shared sheets into an empty registry", m, "< 30 s",
                        m.median if m.returncode == 0 else None, None if quick else (m.returncode == 0 and m.median < 30),
                        unit="s"))
        # The registry of every sheet but the newest, then the newest into it.
        base = work / "base.json"
        shutil.copyfile(empty, base)
        done = subprocess.run([exe, "ingest", *map(str, sheets[:-1]), "--registry", str(base)], check=False,
                              capture_output=True, env=env)
        if done.returncode != 0:
            failed = Measure(list(map(str, done.args)), [0.0], [0], done.returncode, done.stderr.decode(errors="replace"))
            rows.append(Row("ingest-one", "ingest one new sheet (setting up its registry failed)", failed, "< 1 s"))
            return rows

        def fresh_base() -> None:
            shutil.copyfile(base, target)

        m = measure([exe, "ingest", str(sheets[-1]), "--registry", str(target), "--format", "json"], runs,
                    setup=fresh_base, env=env)
        rows.append(Row("ingest-one", f"ingest the newest sheet ({sheets[-1].name}) into the other {len(sheets) - 1}'s registry",
                        m, "< 1 s", m.median if m.returncode == 0 else None,
                        None if quick else (m.returncode == 0 and m.median < 1), unit="s"))
    return rows


# ---------------------------------------------------------------- output


def fmt_time(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def table(rows: Sequence[Row]) -> str:
    head = ("case", "median", "best", "peak RSS", "target", "figure", "result")
    lines: list[tuple[str, ...]] = []
    for r in rows:
        m = r.measure
        failed = m is not None and m.returncode != 0
        median = fmt_time(m.median) if m and not failed else ""
        best = fmt_time(m.best) if m and not failed else ""
        peak = f"{m.peak / 1e6:.0f} MB" if m and not failed else ""
        figure = "" if r.value is None else fmt_time(r.value) if r.unit == "s" else f"{r.value:.2f}x"
        if failed:
            result = f"ERROR (exit {m.returncode})"
        elif r.note:
            result = r.note
        elif r.ok is None:
            result = "" if not r.target else "(not judged)"
        else:
            result = "PASS" if r.ok else "FAIL"
        lines.append((r.case, median, best, peak, r.target, figure, result))
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    return "\n".join(out)


def to_json(rows: Sequence[Row], args: argparse.Namespace) -> dict[str, object]:
    return {
        "python": sys.version.split()[0], "cpus": os.cpu_count(), "runs": args.runs, "startup_runs": args.startup_runs, "quick": args.quick,
        "cases": [
            {
                "case": r.case, "what": r.what, "target": r.target, "figure": r.value, "ok": r.ok, "note": r.note,
                **({"argv": r.measure.argv, "median_s": r.measure.median, "best_s": r.measure.best,
                    "times_s": r.measure.times, "peak_rss_bytes": r.measure.peak, "returncode": r.measure.returncode}
                   if r.measure else {}),
            }
            for r in rows
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small registries and 2 runs: a smoke run, targets not judged")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per case after the warm-up (default 5; 2 with --quick)")
    parser.add_argument("--startup-runs", type=int, default=None,
                        help="timed runs of each start-up case and its floor (default 21; 2 with --quick)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs before each case's timed runs (default 1)")
    parser.add_argument("--only", help="comma-separated case prefixes: startup, asof, trend, history, ingest")
    parser.add_argument("--cache", type=Path, help="where generated registries are kept (never inside the repository)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 2 if args.quick else 5
    if args.startup_runs is None:
        args.startup_runs = args.runs if args.quick else max(args.runs, 21)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")
    global WARMUP  # noqa: PLW0603 (set once from the command line, read by every case)
    WARMUP = args.warmup
    rows = suite(args)
    print(table(rows))
    for r in rows:
        if r.measure is not None and r.measure.returncode != 0:
            print(f"\n{r.case}: {' '.join(r.measure.argv)}\n{r.measure.stderr.strip()}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(to_json(rows, args), indent=2) + "\n")
    failed = any(r.measure is not None and r.measure.returncode != 0 for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
