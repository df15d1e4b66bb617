"""Crashes and concurrency: a killed ingest never leaves a mix, two ingests never lose an
update, and readers never see a half-written registry.

Child processes are forked from the test process (no interpreter start-up, so many kills
fit in a few seconds). In the child, writes go out in small chunks with short pauses, so
that SIGKILL lands in every phase of ``save_registry``: writing the backup's temporary
file, renaming it, writing the registry's temporary file, fsync, the rename itself.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import pytest
from typer.testing import CliRunner

from icestatus.cli import app
from icestatus.registry import load_registry, registry_lock

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork() to start writers quickly"
)
FORK = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None

STATES = ["TEXAS", "FLORIDA", "GEORGIA", "OHIO", "MAINE", "IDAHO"]
MODELS = ["Task Force Model", "Jail Enforcement Model", "Warrant Service Officer"]


def sheet(folder: Path, name: str, rows: int, offset: int = 0, pending: bool = False) -> Path:
    """A CSV sheet of *rows* agencies (numbered from *offset*, so that sheets overlap)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE",
                     *([] if pending else ["SIGNED", "MOA"])])
    for n in range(offset, offset + rows):
        writer.writerow([STATES[n % len(STATES)], f"Agency Number {n} Sheriff's Office", "County", f"County {n}",
                         MODELS[n % 3], *([] if pending else [f"{1 + n % 12}/{1 + n % 28}/2024", "link pending"])])
    path = folder / name
    path.write_text(out.getvalue())
    return path


def cli(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stderr


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A registry after one sheet ("old"), the next sheet, and the registry after it ("new")."""
    folder = tmp_path_factory.mktemp("world")
    first = sheet(folder, "participatingAgencies05162025am.csv", 1500)
    second = sheet(folder, "participatingAgencies05232025am.csv", 1500, offset=300)
    pending = sheet(folder, "pendingAgencies05232025am.csv", 400, offset=2000, pending=True)
    path = folder / "registry.json"
    cli("init", str(path))
    cli("ingest", str(first), "-r", str(path))
    old, old_bak = path.read_bytes(), path.with_name("registry.json.bak").read_bytes()
    cli("ingest", str(second), "-r", str(path))
    new = path.read_bytes()
    assert old != new and path.with_name("registry.json.bak").read_bytes() == old
    return {"folder": folder, "second": second, "pending": pending, "old": old, "old_bak": old_bak, "new": new}


def fresh(world: dict[str, Any], tmp_path: Path) -> Path:
    """The "old" registry (and its backup) in a directory of its own."""
    path = tmp_path / "registry.json"
    path.write_bytes(world["old"])
    path.with_name("registry.json.bak").write_bytes(world["old_bak"])
    return path


# ---------------------------------------------------------------- the child: a slow ingest

CHUNK = 16 * 1024


def _slow_ingest(argv: list[str], saving: Any, saved: Any, pause: float) -> None:
    """Run `icestatus ingest` with every step of the write stretched out (in the forked child)."""
    from icestatus import registry

    real_fdopen, real_replace, real_fsync = os.fdopen, os.replace, os.fsync
    real_save = registry.save_registry

    class SlowFile:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def write(self, data: bytes) -> int:
            for start in range(0, len(data), CHUNK):
                self.fh.write(data[start:start + CHUNK])
                self.fh.flush()
                time.sleep(pause)
            return len(data)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.fh, name)

        def __enter__(self) -> Self:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        return SlowFile(real_fdopen(fd, *args, **kwargs))

    def step(real: Callable[..., Any]) -> Callable[..., Any]:
        def slowly(*args: Any, **kwargs: Any) -> Any:
            time.sleep(pause)
            result = real(*args, **kwargs)
            time.sleep(pause)
            return result
        return slowly

    def save(*args: Any, **kwargs: Any) -> None:
        saving.set()
        real_save(*args, **kwargs)
        saved.set()
        time.sleep(pause * 100)  # still alive a moment after the rename, for the last kills

    os.fdopen, os.replace, os.fsync = fdopen, step(real_replace), step(real_fsync)  # type: ignore[assignment]
    registry.save_registry = save  # type: ignore[assignment]
    import sys

    from icestatus.cli import main

    sys.argv = ["icestatus", "ingest", *argv]
    try:
        main()
    finally:
        os._exit(0)


def start_slow_ingest(argv: list[str], pause: float = 0.002) -> tuple[Any, Any, Any]:
    """The child, an event set when it starts to save, and one set when it has saved."""
    assert FORK is not None
    saving, saved = FORK.Event(), FORK.Event()
    child = FORK.Process(target=_slow_ingest, args=(argv, saving, saved, pause))
    child.start()
    return child, saving, saved


# ---------------------------------------------------------------- SIGKILL at many moments


def test_killed_at_any_moment_the_registry_is_old_or_new_and_the_backup_usable(
    world: dict[str, Any], tmp_path: Path
) -> None:
    # How long the write takes, start to finish, in the slowed child.
    (tmp_path / "timing").mkdir()
    path = fresh(world, tmp_path / "timing")
    child, saving, saved = start_slow_ingest([str(world["second"]), "-r", str(path)])
    assert saving.wait(30), "the ingest never started writing"
    began = time.monotonic()
    assert saved.wait(30)
    write_time = time.monotonic() - began
    child.join(30)
    assert path.read_bytes() == world["new"]

    outcomes = set()
    moments = 16
    for n in range(moments):
        home = tmp_path / f"kill{n}"
        home.mkdir()
        path = fresh(world, home)
        child, saving, _ = start_slow_ingest([str(world["second"]), "-r", str(path)])
        if n == 0:
            time.sleep(0.05)  # still reading the sheet and diffing: nothing written yet
        else:  # from the first byte written to a little after the rename
            assert saving.wait(30)
            time.sleep(1.2 * write_time * (n - 1) / (moments - 2))
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        assert child.exitcode == -signal.SIGKILL

        data = path.read_bytes()
        assert data in (world["old"], world["new"]), f"killed {n}: a mix of old and new"
        load_registry(path)  # valid
        backup = path.with_name("registry.json.bak").read_bytes()
        assert backup in (world["old_bak"], world["old"]), f"killed {n}: the backup is a mix"
        load_registry(path.with_name("registry.json.bak"))  # usable
        outcomes.add("new" if data == world["new"] else "old")
        # Only temporary files may be left beside it; the next run does the job.
        assert {p.name for p in home.iterdir()} - {"registry.json", "registry.json.bak", "registry.json.lock"} == {
            p.name for p in home.iterdir() if p.name.endswith(".tmp")}
        cli("ingest", str(world["second"]), "-r", str(path))
        assert path.read_bytes() == world["new"]
    assert outcomes == {"old", "new"}, "the kills did not straddle the rename"


# ---------------------------------------------------------------- two writers


def test_a_second_ingest_waits_for_the_lock_then_fails_clearly(world: dict[str, Any], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = fresh(world, tmp_path)
    before = path.read_bytes()
    monkeypatch.setenv("ICESTATUS_LOCK_TIMEOUT", "0.3")
    with registry_lock(path, timeout=1):
        began = time.monotonic()
        result = CliRunner().invoke(app, ["ingest", str(world["second"]), "-r", str(path)])
        waited = time.monotonic() - began
    assert result.exit_code == 3
    assert result.stderr == (f"icestatus: error: {path}: another icestatus process is writing this registry "
                             f"(waited 0.3 s for {path}.lock; set ICESTATUS_LOCK_TIMEOUT to wait longer)\n")
    assert waited >= 0.3 and path.read_bytes() == before


def test_a_second_ingest_that_waits_long_enough_goes_ahead(world: dict[str, Any], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = fresh(world, tmp_path)
    monkeypatch.setenv("ICESTATUS_LOCK_TIMEOUT", "20")
    held = threading.Event()

    def hold() -> None:
        with registry_lock(path, timeout=1):
            held.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    cli("ingest", str(world["second"]), "-r", str(path))
    holder.join()
    assert path.read_bytes() == world["new"]


@pytest.mark.parametrize("value", ["soon", ""])
def test_a_lock_timeout_that_is_not_a_number(world: dict[str, Any], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    path = fresh(world, tmp_path)
    monkeypatch.setenv("ICESTATUS_LOCK_TIMEOUT", value)
    result = CliRunner().invoke(app, ["ingest", str(world["second"]), "-r", str(path)])
    if value == "":
        assert result.exit_code == 0  # unset in effect: the default wait
        return
    assert result.exit_code == 1
    assert result.stderr == "icestatus: error: ICESTATUS_LOCK_TIMEOUT='soon' is not a number of seconds\n"
    assert path.read_bytes() == world["old"]


def test_two_ingests_at_once_lose_no_update(world: dict[str, Any], tmp_path: Path) -> None:
    """Each writer reads the registry under the lock: the second sees the first's events."""
    path = fresh(world, tmp_path)
    first, first_saving, _ = start_slow_ingest([str(world["second"]), "-r", str(path)])
    assert first_saving.wait(30)  # holds the lock and is writing
    second, _, _ = start_slow_ingest([str(world["pending"]), "-r", str(path)])
    first.join(60)
    second.join(60)
    assert (first.exitcode, second.exitcode) == (0, 0)
    ids = {s.id for s in load_registry(path).sources}
    assert {"ice-participating-2025-05-23-am", "ice-pending-2025-05-23-am"} <= ids


# ---------------------------------------------------------------- readers during writes


def test_readers_never_see_a_half_written_file(world: dict[str, Any], tmp_path: Path) -> None:
    path = fresh(world, tmp_path)
    writer, saving, _ = start_slow_ingest([str(world["second"]), "-r", str(path)], pause=0.001)
    assert saving.wait(30)
    seen = set()
    reads = 0
    while writer.is_alive() or reads == 0:
        data = path.read_bytes()
        assert data in (world["old"], world["new"])
        seen.add(data == world["new"])
        if reads % 5 == 0:  # and through the CLI, as a user's script would
            result = CliRunner().invoke(app, ["list", "-r", str(path), "-f", "json"])
            assert result.exit_code == 0, result.stderr
        reads += 1
    writer.join()
    assert path.read_bytes() == world["new"] and reads > 5
