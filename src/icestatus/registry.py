"""Load, check, merge and save registry files.

Loading validates straight from bytes (pydantic-core's JSON parser, no ``json.load``
pass) and turns every failure into one ``RegistryError`` line naming the file, the
JSON path and the record. Saving is atomic (temporary file, fsync, rename) and keeps
the previous version beside the file as ``<name>.bak``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import gc
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import Enum
from functools import cache
from itertools import chain
from operator import attrgetter, le
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from icestatus.enums import EventKind
from icestatus.errors import LockError, RegistryError
from icestatus.models import SCHEMA_VERSION, Department, Event, Registry
from icestatus.settings import env_number

ENV_REGISTRY = "ICESTATUS_REGISTRY"
ENV_MAX_BYTES = "ICESTATUS_MAX_REGISTRY_BYTES"
DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB: far above any real registry, below what would exhaust memory
BUNDLED_NAME = "agreements.json"


def bundled_registry_path() -> Path:
    """The registry shipped with the package (``data/agreements.json`` in the repo)."""
    installed = Path(__file__).with_name("data") / BUNDLED_NAME
    if installed.is_file():
        return installed
    # Running from a source checkout (editable install): the repo keeps it at data/.
    return Path(__file__).resolve().parents[2] / "data" / BUNDLED_NAME


ENV_DATA_DIR = "ICESTATUS_DATA_DIR"


def user_data_dir() -> Path:
    """Where icestatus keeps the user's own files (``update``'s registry and archive):
    ``$ICESTATUS_DATA_DIR``, else the platform's user data folder (platformdirs:
    ``~/.local/share/icestatus`` on Linux, honouring ``$XDG_DATA_HOME``)."""
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path("icestatus", appauthor=False)


def user_registry_path() -> Path:
    """The user's own registry, which ``icestatus update`` keeps current."""
    return user_data_dir() / BUNDLED_NAME


def covered_through(path: Path) -> dt.date | None:
    """The last date *path*'s ICE sheets cover (None: none, or not a readable registry).

    Read from the ``"coverage"`` line that ``dump_registry`` writes near the top, without
    loading the file (choosing between two registries costs a few kB, not a load); a file
    written otherwise is loaded."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
    except OSError:
        return None
    for line in head.splitlines()[:6]:
        if line.startswith(b'"coverage": '):
            doc = parse_json_or_none(line.removeprefix(b'"coverage": ').rstrip(b","))
            if isinstance(doc, dict):
                try:
                    return max((dt.date.fromisoformat(c["last"]) for c in doc.values()), default=None)
                except (KeyError, TypeError, ValueError):
                    break
    try:
        registry = load_registry(path)
    except RegistryError:
        return None
    return max((c.last for c in registry.coverage.values()), default=None)


class RegistryOrigin(str, Enum):
    """Why a registry is the one in use."""

    flag = "flag"        # --registry FILE
    env = "env"          # $ICESTATUS_REGISTRY
    user = "user"        # the user's own, kept current by `icestatus update`
    bundled = "bundled"  # the one installed with icestatus


_ORIGIN_REASONS = {
    RegistryOrigin.flag: "given with --registry",
    RegistryOrigin.env: f"named by ${ENV_REGISTRY}",
    RegistryOrigin.user: "your own registry, kept current by `icestatus update` (no --registry, no $"
    + ENV_REGISTRY + ")",
    RegistryOrigin.bundled: "bundled with icestatus (no --registry, no $" + ENV_REGISTRY + ")",
}


@dataclass(frozen=True, slots=True)
class RegistryInUse:
    """The registry a command reads, and why that one (*detail*: why the user's or the
    bundled one, when both exist)."""

    path: Path
    origin: RegistryOrigin
    detail: str = ""

    @property
    def reason(self) -> str:
        return _ORIGIN_REASONS[self.origin] + (f"; {self.detail}" if self.detail else "")

    def load(self) -> Registry:
        """The registry, loaded; for the user's own, an error that says what to do."""
        try:
            return load_registry(self.path)
        except RegistryError as exc:
            if self.origin is RegistryOrigin.user:
                raise damaged_user_registry(self.path, str(exc)) from None
            raise


def user_registry_problem(path: Path, covers: dt.date | None) -> str | None:
    """Why the user's registry at *path* (covering ICE's sheets to *covers*, by its
    coverage line) cannot be read, or None. Cheap for a whole file: one that has a
    coverage line and ends as ``dump_registry`` ends a file (``}``) is taken as readable
    (loading it would cost a load on every command); any other is loaded to be sure
    (a truncated copy, ``{}``, a registry without sheets, which is readable)."""
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, path.stat().st_size - 64))
            tail = fh.read().rstrip()
    except OSError as exc:
        return f"{path}: cannot read: {exc.strerror or exc}"
    if covers is not None and tail.endswith(b"}"):
        return None
    try:
        load_registry(path)
    except RegistryError as exc:
        return str(exc)
    return None


def damaged_user_registry(path: Path, problem: str) -> RegistryError:
    """One line for a user's registry that cannot be read: what is wrong, and what to do."""
    bak = path.with_name(path.name + ".bak")
    restore = f"restore the previous version (`cp {bak} {path}`), " if bak.is_file() else ""
    return RegistryError(
        f"{problem}; this is your own registry, kept by `icestatus update`: {restore}remove it (commands then "
        "read the bundled registry, and `icestatus update` makes yours again), or pass --registry FILE")


def registry_in_use(option: Path | None) -> RegistryInUse:
    """The registry every command reads: ``--registry`` if given, else
    ``$ICESTATUS_REGISTRY`` if set (and not empty), else whichever of the user's own
    (``user_registry_path``, written by ``icestatus update``) and the bundled registry
    covers the later date (the user's on a tie): an upgrade that brings a newer bundled
    registry is not hidden by an old copy. The one place this choice is made
    (``cli.app.open_registry``, ``icestatus --version``)."""
    if option is not None:
        return RegistryInUse(option, RegistryOrigin.flag)
    env = os.environ.get(ENV_REGISTRY)
    if env:
        return RegistryInUse(Path(env), RegistryOrigin.env)
    bundled, user = bundled_registry_path(), user_registry_path()
    if not user.is_file():
        return RegistryInUse(bundled, RegistryOrigin.bundled)
    mine, theirs = covered_through(user), covered_through(bundled)
    problem = user_registry_problem(user, mine)
    if problem:
        raise damaged_user_registry(user, problem)
    if covers_later(mine, theirs):
        return RegistryInUse(user, RegistryOrigin.user, (
            f"it covers ICE's sheets to {mine}, as the bundled one does (yours on a tie)" if mine == theirs
            else f"it covers ICE's sheets to {mine}, the bundled one to {theirs}"))
    return RegistryInUse(bundled, RegistryOrigin.bundled, (
        f"it covers ICE's sheets to {theirs}, later than your own registry {user} ({mine or 'no sheet'}); "
        "`icestatus update` replaces yours by it (keeping yours as .bak) and adds ICE's newer sheets"))


def covers_later(mine: dt.date | None, bundled: dt.date | None) -> bool:
    """Whether the user's registry, covering ICE's sheets to *mine*, is the one to use
    rather than the bundled one, covering to *bundled*: it covers as late or later."""
    return mine is not None and (bundled is None or mine >= bundled)


def resolve_registry_path(option: Path | None) -> Path:
    """The path of ``registry_in_use``."""
    return registry_in_use(option).path


def max_registry_bytes() -> int:
    return env_number(ENV_MAX_BYTES, DEFAULT_MAX_BYTES, "bytes", RegistryError)


@dataclass(frozen=True, slots=True)
class Problem:
    """One integrity problem: where (a JSON path such as ``events[12].date``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def read_registry_bytes(path: Path) -> bytes:
    """The file's bytes, or a RegistryError that says what is wrong with the path."""
    limit = max_registry_bytes()
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise RegistryError(f"{path}: is a directory, not a registry file")
        if size > limit:
            raise RegistryError(
                f"{path}: {size:,} bytes is over the {limit:,}-byte limit "
                f"(raise it with {ENV_MAX_BYTES}=<bytes>)"
            )
        # Read at most one byte past the limit: stat() says 0 for a pipe or a device
        # (/dev/zero), and a file can grow between stat() and the read.
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise RegistryError(
                f"{path}: over the {limit:,}-byte limit (raise it with {ENV_MAX_BYTES}=<bytes>)"
            )
        return data
    except FileNotFoundError:
        raise RegistryError(
            f"{path}: no such registry (create one with `icestatus init {path}`)"
        ) from None
    except PermissionError:
        raise RegistryError(f"{path}: permission denied") from None
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror or exc}") from None


def parse_registry(data: bytes, path: Path) -> Registry:
    """Validate *data* as a registry; *path* only names the file in errors."""
    if not data or data.isspace():  # not data.strip(): that copies the whole file
        raise RegistryError(f"{path}: empty file, not a registry")
    with building_registry():
        try:
            registry = registry_from_json(data)
        except ValidationError as exc:
            raise RegistryError(_describe_validation_error(exc, data, path)) from None
        problems = check_records(registry)
        if problems:
            more = f" (and {len(problems) - 1} more; see `icestatus validate {path}`)" if len(problems) > 1 else ""
            raise RegistryError(f"{path}: {problems[0]}{more}")
        if not events_sorted(registry.events):
            # Hand-edited files may append out of order; a stable sort keeps same-day order.
            registry = registry.model_copy(update={"events": sort_events(registry.events)})
    return registry


@contextmanager
def building_registry() -> Iterator[None]:
    """The garbage-collection policy of loading a registry, the one place it is set.

    Validating, checking and sorting a registry allocate a few objects per field and make
    no reference cycles, so the cyclic GC would only walk the growing heap again and
    again: it is paused meanwhile (1M events: loading a third faster, check_records 0.75
    -> 0.25 s). On success the heap is frozen (``gc.freeze``) before the GC is back on,
    so the collections that later allocations trigger never walk the registry's objects
    either (1M events: three walks, ~0.6 s). Frozen objects are still freed when their
    last reference goes; only a reference cycle among them would outlive its use.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if collecting:
            gc.enable()


def registry_from_json(data: bytes) -> Registry:
    """*data* validated as a Registry, the fast and memory-lean way (``_validate_in_slices``
    when the file has the saved layout); raises pydantic's ValidationError, with every error
    of the file, when it is not valid. ``validate`` uses it too."""
    registry = _validate_in_slices(data)
    return registry if registry is not None else Registry.model_validate_json(data)


def load_registry(path: Path) -> Registry:
    return parse_registry(read_registry_bytes(path), path)


# How save_registry lays out the event list: one record per line between these lines.
_EVENTS_OPEN = b'\n"events": [\n'
_EVENTS_CLOSE = b"\n]"
_SLICE_BYTES = 1 << 18


@cache
def _events_adapter() -> TypeAdapter[tuple[Event, ...]]:
    return TypeAdapter(tuple[Event, ...])


def _validate_in_slices(data: bytes) -> Registry | None:
    """The registry in *data*, its events validated a slice of lines at a time; or None,
    and the caller validates *data* whole (which also gives the errors).

    Validating a whole document first parses all of it into a JSON tree, so a 1M-event
    file needs its bytes, that tree and the objects at once (1 GB); slice by slice the
    tree stays small (peak 0.5 GB) and the allocator reuses its memory (faster, too).
    It applies to the layout ``save_registry`` writes: a ``"events": [`` line, one event
    per line, a line ``]``. Slices end at newlines, which JSON allows only between tokens;
    each must hold at least one event and all but the last must end with a comma, so the
    slices, joined with commas, are exactly the list. The rest of the file (with an
    empty list in place) is validated as a Registry, so any other layout or any error
    gives None.
    """
    start = data.find(_EVENTS_OPEN)
    if start < 0:
        return None
    body = start + len(_EVENTS_OPEN)
    # The list is the last collection save_registry writes: its end is found from the end
    # of the file, not after a scan of the whole list (any other "]" line here fails below).
    end = data.rfind(_EVENTS_CLOSE, body - 1)
    if end < 0:
        return None
    head, tail = data[:body], data[end + 1 :]
    rest = head + tail
    # Exactly one top-level "events" key, or the whole-file parse must decide.
    if head.count(b'"events"') != 1 or b'"events"' in tail or (b"\\u" in rest and _escaped_events_key(rest)):
        return None
    try:
        registry = Registry.model_validate_json(rest)
        if registry.events:
            return None
        adapter = _events_adapter()
        events: list[Event] = []
        pos = body
        while pos < end:
            cut = data.find(b"\n", min(pos + _SLICE_BYTES, end))
            chunk = data[pos:cut]
            if cut < end:
                if not chunk.endswith(b","):
                    return None
                chunk = chunk[:-1]
            part = adapter.validate_json(b"[" + chunk + b"]")
            if not part:
                return None
            events.extend(part)
            pos = cut + 1
    except ValidationError:
        return None
    return registry.model_copy(update={"events": tuple(events)})


def _escaped_events_key(text: bytes) -> bool:
    """Whether a top-level key spelt with escapes (``"\\u0065vents"``) is ``events``."""
    keys: list[list[str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys.append([k for k, _ in items])
        return {}

    try:
        json.loads(text, object_pairs_hook=pairs)
    except ValueError:
        return True
    return not keys or keys[-1].count("events") != 1


def json_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe_validation_error(exc: ValidationError, data: bytes, path: Path) -> str:
    """The first of pydantic's errors as one line naming the file, the JSON path and the record."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        return f"{path}: {not_json_message(first, data)}"
    loc = tuple(first["loc"])
    if loc == ("schema_version",) and first["type"] == "literal_error":
        version = first["input"]
        if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
            return (
                f"{path}: schema_version is {version!r}; this icestatus reads version "
                f"{SCHEMA_VERSION} (a newer file needs a newer icestatus)"
            )
        shown = repr(version)
        return f"{path}: schema_version must be {SCHEMA_VERSION} (got {shown[:60]})"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{path}: {json_path(loc)}{record_label(data, loc)}: {error_message(first)}{more}"


# ---------------------------------------------------------------- describing errors (load and validate)

_UNKNOWN_FIELD = frozenset({"extra_forbidden", "unexpected_keyword_argument"})


def not_json_message(err: ErrorDetails, data: bytes) -> str:
    """Why *data* is not JSON: its encoding when that is the reason, else the parser's words."""
    return encoding_problem(data) or f"not valid JSON: {err['msg'].removeprefix('Invalid JSON: ')}"


def error_message(err: ErrorDetails, *, show_records: bool = True) -> str:
    """What one pydantic error says is wrong, with the value found (cut to a line).
    *show_records*: also show a value that is a whole object or list (load names one
    problem and shows what it found; validate lists many and leaves such values out)."""
    kind = err["type"]
    if kind in _UNKNOWN_FIELD:
        return "unknown field"
    message = err["msg"]
    if kind != "missing" and "input" in err and (show_records or not isinstance(err["input"], dict | list)):
        shown = repr(err["input"])
        message += f" (got {shown[:60] + '…' if len(shown) > 60 else shown})"
    return message


def parse_json_or_none(data: bytes) -> Any:
    """*data* parsed as JSON, or None when it is not JSON (or nests too deeply)."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def record_label(doc: Any, loc: tuple[int | str, ...]) -> str:
    """`` (department_id 'me-wells-…')`` for an error inside a record, when it can be told.

    *doc*: the file parsed as JSON, or its bytes (parsed only when *loc* is in a record).
    """
    if len(loc) < 2 or not isinstance(loc[1], int):
        return ""
    if isinstance(doc, bytes):
        doc = parse_json_or_none(doc)
    if not isinstance(doc, dict):
        return ""
    try:
        record = doc[loc[0]][loc[1]]
    except (LookupError, TypeError):
        return ""
    if isinstance(record, dict):
        for key in ("id", "department_id", "state"):
            value = record.get(key)
            if isinstance(value, str):
                return f" ({key} {value[:80]!r})"
    return ""


_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)


def encoding_problem(data: bytes) -> str | None:
    """Why *data*, which is not valid JSON, is not even UTF-8 text; None if it is.

    Only called once a file has failed to parse, so decoding it costs nothing on the
    way to a good registry. The parser's own words for these ("expected value",
    "invalid unicode code point") would not tell the user what to do.
    """
    if data.startswith(codecs.BOM_UTF8):
        return (
            "starts with a byte-order mark (BOM), which a registry may not; "
            "save it as UTF-8 without a BOM"
        )
    for bom, name in _BOMS:
        if data.startswith(bom):
            return f"is {name} text; a registry is UTF-8 (save it as UTF-8)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        return (
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} column {column} "
            "(save the file as UTF-8)"
        )
    return None


def check_records(registry: Registry) -> list[Problem]:
    """Rules that span records or fields, checked in one pass over each collection:
    unique ids, known references, windows that close, and the fields some kinds need."""
    problems: list[Problem] = []
    source_ids: set[str] = set()
    for i, src in enumerate(registry.sources):
        if src.id in source_ids:
            problems.append(Problem(f"sources[{i}].id", f"duplicate source id {src.id!r}"))
        source_ids.add(src.id)
    dept_ids: set[str] = set()
    for i, dept in enumerate(registry.departments):
        if dept.id in dept_ids:
            problems.append(Problem(f"departments[{i}].id", f"duplicate department id {dept.id!r}"))
        dept_ids.add(dept.id)
    for kind, cov in registry.coverage.items():
        for field in ("first_source", "last_source"):
            if getattr(cov, field) not in source_ids:
                problems.append(
                    Problem(f"coverage.{kind.value}.{field}", f"unknown source {getattr(cov, field)!r}")
                )
    if not _events_clean(registry.events, dept_ids, source_ids):
        problems += _event_problems(registry.events, dept_ids, source_ids)
    for i, pol in enumerate(registry.policies):
        for j, sid in enumerate(pol.sources):
            if sid not in source_ids:
                problems.append(Problem(f"policies[{i}].sources[{j}]", f"unknown source {sid!r} ({pol.state})"))
        if pol.not_before is not None and pol.not_before > pol.date:
            problems.append(
                Problem(f"policies[{i}].not_before", f"{pol.not_before} is after date {pol.date} ({pol.state})")
            )
    return problems


def event_rule_problems(
    kind: EventKind, date: dt.date, not_before: dt.date | None, signed: dt.date | None, moa_url: str | None
) -> dict[str, str]:
    """The rules of one event that the schema does not state, as {field: what is wrong}:
    a window must close (``not_before`` <= ``date``), and some kinds need a field. The one
    home of these rules: ``check_records`` applies them to every event of a registry,
    ``curate.record_event`` to the event it is about to record."""
    out: dict[str, str] = {}
    if not_before is not None and not_before > date:
        out["not_before"] = f"{not_before} is after date {date}"
    if kind is EventKind.corrected and signed is None:
        out["signed"] = "a 'corrected' event needs the corrected signing date"
    if kind is EventKind.moa_linked and moa_url is None:
        out["moa_url"] = "a 'moa_linked' event needs moa_url"
    return out


def _event_problems(events: tuple[Event, ...], dept_ids: set[str], source_ids: set[str]) -> list[Problem]:
    """Every event's unknown references and broken rules, each at its JSON path."""
    problems: list[Problem] = []
    for i, ev in enumerate(events):
        where = f"events[{i}]"
        if ev.department_id not in dept_ids:
            problems.append(Problem(f"{where}.department_id", f"unknown department {ev.department_id!r}"))
        for j, sid in enumerate(ev.sources):
            if sid not in source_ids:
                problems.append(Problem(f"{where}.sources[{j}]", f"unknown source {sid!r} ({ev.department_id})"))
        for field, message in event_rule_problems(ev.kind, ev.date, ev.not_before, ev.signed, ev.moa_url).items():
            problems.append(Problem(f"{where}.{field}", f"{message} ({ev.department_id})"))
    return problems


def _events_clean(events: tuple[Event, ...], dept_ids: set[str], source_ids: set[str]) -> bool:
    """True when ``_event_problems`` would find nothing: a screen at C speed (``map``, set
    operations, the rules of ``event_rule_problems`` inlined for the few events they can
    concern) so that the loop that names problems runs only when there is one (1M
    events: 0.6 s -> 0.15 s). tests/test_fast_paths.py checks that the two agree on
    every event kind."""
    if not dept_ids.issuperset(map(_DEPARTMENT_ID, events)):
        return False
    if not source_ids.issuperset(chain.from_iterable(map(_SOURCES, events))):
        return False
    corrected, moa_linked = EventKind.corrected, EventKind.moa_linked
    return not any(
        (ev.not_before is not None and ev.not_before > ev.date)
        or (ev.kind is corrected and ev.signed is None)
        or (ev.kind is moa_linked and ev.moa_url is None)
        for ev in events
        if ev.not_before is not None or ev.kind is corrected or ev.kind is moa_linked
    )


_DEPARTMENT_ID = attrgetter("department_id")
_SOURCES = attrgetter("sources")


def events_sorted(events: tuple[Event, ...]) -> bool:
    dates = list(map(_DATE, events))  # at C speed: 1M events 0.16 -> 0.04 s
    return all(map(le, dates, dates[1:]))


_DATE = attrgetter("date")


def sort_events(events: tuple[Event, ...] | list[Event]) -> tuple[Event, ...]:
    """Date order; events of the same day keep the order in which they were recorded."""
    return tuple(sorted(events, key=lambda e: e.date))


def empty_registry(title: str = "icestatus registry") -> Registry:
    return Registry(schema_version=SCHEMA_VERSION, title=title)


# ---------------------------------------------------------------- writing


def dump_registry(registry: Registry) -> bytes:
    """Stable, diff-friendly JSON: one record per line, default fields left out."""
    doc: dict[str, Any] = registry.model_dump(mode="json", exclude_defaults=True)
    doc["schema_version"] = registry.schema_version
    lines = ["{"]
    head = [k for k in ("schema_version", "title", "coverage") if k in doc]
    for key in head:
        lines.append(f"{json.dumps(key)}: {json.dumps(doc[key], ensure_ascii=False, sort_keys=True)},")
    collections = [k for k in ("sources", "departments", "policies", "events") if k in doc]
    for n, name in enumerate(collections):
        items = doc[name]
        lines.append(f"{json.dumps(name)}: [")
        lines.extend(
            json.dumps(item, ensure_ascii=False) + ("," if i < len(items) - 1 else "")
            for i, item in enumerate(items)
        )
        lines.append("]" + ("," if n < len(collections) - 1 else ""))
    if lines[-1].endswith(","):
        lines[-1] = lines[-1][:-1]
    lines.append("}")
    return ("\n".join(lines) + "\n").encode()


def save_registry(registry: Registry, path: Path, *, backup: bool = True) -> None:
    """Write atomically: a reader sees the old file or the new one, never a mix.

    The previous version, if any, is kept as ``<path>.bak`` (itself replaced atomically).
    """
    data = dump_registry(registry)
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if backup and path.is_file():
        atomic_write(path.with_name(path.name + ".bak"), path.read_bytes())
    atomic_write(path, data, directory)


def atomic_write(path: Path, data: bytes, directory: Path | None = None) -> None:
    """Write *data* to *path* atomically and durably (temporary file, fsync, rename)."""
    directory = directory or (path.parent if str(path.parent) else Path("."))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes the file private (0600); a registry keeps the mode it had, or
        # gets the one any new file would (0666 less the umask), so sharing still works.
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside *path* to write (by any means: SQLite, say), renamed onto
    *path* once the block ends without an error and fsynced, or deleted if it fails: a
    reader sees the old file or the new one, never half of one."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    tmp = Path(name)
    try:
        os.fchmod(fd, _mode_for(path))
        os.close(fd)
        yield tmp
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make a rename in *directory* durable."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


ENV_LOCK_TIMEOUT = "ICESTATUS_LOCK_TIMEOUT"


def lock_timeout() -> float:
    """``$ICESTATUS_LOCK_TIMEOUT`` in seconds (default 30; negative: wait as long as it takes)."""
    return env_number(ENV_LOCK_TIMEOUT, 30.0, "seconds", RegistryError, positive=False)


@contextmanager
def registry_lock(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold ``<path>.lock`` while writing; wait up to *timeout* seconds for another writer."""
    from filelock import FileLock, Timeout

    if timeout is None:
        timeout = lock_timeout()
    lock = FileLock(str(path) + ".lock")
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise LockError(
            f"{path}: another icestatus process is writing this registry "
            f"(waited {timeout:g} s for {path}.lock; set {ENV_LOCK_TIMEOUT} to wait longer)"
        ) from None
    try:
        yield
    finally:
        lock.release()


# ---------------------------------------------------------------- merging


def merge_registries(base: Registry, extra: Registry) -> Registry:
    """Add *extra*'s sources, departments, events and policies to *base*.

    Records already present are not duplicated: a source or department with the same
    id is kept once (department aliases are united), and an event with the same
    agency, model, kind and date as one already recorded only adds its sources to it.
    Raises RegistryError when the same id means two different things.
    """
    sources = {s.id: s for s in base.sources}
    for src in extra.sources:
        if src.id in sources and sources[src.id] != src:
            raise RegistryError(f"source {src.id!r} differs between the registries being merged")
        sources.setdefault(src.id, src)
    depts = {d.id: d for d in base.departments}
    for dept in extra.departments:
        old = depts.get(dept.id)
        if old is None:
            depts[dept.id] = dept
            continue
        if (old.name, old.state) != (dept.name, dept.state) and dept.name not in old.aliases:
            aliases = tuple(dict.fromkeys([*old.aliases, dept.name, *dept.aliases]))
        else:
            aliases = tuple(dict.fromkeys([*old.aliases, *dept.aliases]))
        depts[dept.id] = Department(
            id=old.id, name=old.name, state=old.state, type=old.type or dept.type,
            county=old.county or dept.county, aliases=tuple(a for a in aliases if a != old.name),
            county_fips=old.county_fips or dept.county_fips,
        )
    events = list(base.events)
    index = {(e.department_id, e.model, e.kind, e.date): i for i, e in enumerate(events)}
    for ev in extra.events:
        i = index.get((ev.department_id, ev.model, ev.kind, ev.date))
        if i is None:
            index[(ev.department_id, ev.model, ev.kind, ev.date)] = len(events)
            events.append(ev)
            continue
        old_ev = events[i]
        merged_sources = tuple(dict.fromkeys([*old_ev.sources, *ev.sources]))
        note = old_ev.note if not ev.note or ev.note == old_ev.note else (
            f"{old_ev.note} {ev.note}" if old_ev.note else ev.note
        )
        events[i] = Event(**{**_event_fields(old_ev), "sources": merged_sources, "note": note})
    policies = list(base.policies)
    policies.extend(p for p in extra.policies if p not in policies)
    return base.model_copy(
        update={
            "sources": tuple(sources.values()),
            "departments": tuple(sorted(depts.values(), key=lambda d: d.id)),
            "events": sort_events(events),
            "policies": tuple(policies),
        }
    )


def _event_fields(ev: Event) -> dict[str, Any]:
    return {f: getattr(ev, f) for f in ev.__dataclass_fields__}
