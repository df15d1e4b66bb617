"""Broken and hostile registry files: each refused with one line, a non-zero exit, no traceback,
and nothing written; plus a bounded fuzz run of the loader.

Every case goes through the CLI (``list``, and the writing commands ``ingest`` and
``record``), and checks that the directory holding the registry is byte-for-byte what it
was: no .bak, no temporary file, no change.
"""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from builders import dept, ev, registry_of
from icestatus import registry as reg_mod
from icestatus.cli import app
from icestatus.errors import RegistryError
from icestatus.models import Registry
from icestatus.registry import check_records, dump_registry, parse_registry

REPO = Path(__file__).resolve().parents[1]
CURATED = REPO / "data" / "curated" / "maine.json"

# Events in file order: tx-b signed (01-02), me-a applied (03-28), me-a signed (04-02).
GOOD = dump_registry(registry_of(
    [ev("me-a", "applied", "2025-03-28"), ev("me-a", "signed", "2025-04-02", moa_url="https://example.org/a.pdf"),
     ev("tx-b", "signed", "2025-01-02", model="jail_enforcement", not_before="2024-12-20")],
    [dept("me-a", "Wells Police Department", type="Municipality"), dept("tx-b", "Jim Wells County Sheriff's Office")],
))


def good_doc() -> dict[str, Any]:
    return json.loads(GOOD)  # type: ignore[no-any-return]


def with_(change: Callable[[dict[str, Any]], object]) -> bytes:
    doc = good_doc()
    change(doc)
    return json.dumps(doc, ensure_ascii=False).encode()


def snapshot(directory: Path) -> dict[str, bytes | None]:
    """Every file beside the registry and its bytes; the writers' lock file (empty, left by
    filelock on purpose, and harmless) is not a change to the registry."""
    return {p.name: (p.read_bytes() if p.is_file() else None) for p in directory.iterdir()
            if not p.name.endswith(".lock")}


def refused(runner: CliRunner, path: Path, *args: str, code: int = 1) -> str:
    """Run the command on the registry at *path*; it must fail with one stderr line naming
    *path*, print nothing on stdout, and leave the registry's directory as it was."""
    before = snapshot(path.parent)
    result = runner.invoke(app, [*args, "--registry", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, (result.stdout, result.stderr)
    err = result.stderr
    assert err.startswith(f"icestatus: error: {path}: ") and err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err and result.stdout == ""
    assert len(err) < 500, err  # one readable line, whatever the size of the bad value
    assert snapshot(path.parent) == before
    return err.removeprefix(f"icestatus: error: {path}: ").rstrip("\n")


# ---------------------------------------------------------------- each bad file, through `list`

NESTED = b"[" * 100_000 + b"]" * 100_000

CASES: dict[str, tuple[bytes, str]] = {
    # name: (file content, what the message must say)
    "truncated mid-record": (GOOD[: GOOD.index(b'"events"') + 40], "not valid JSON: EOF while parsing"),
    "truncated after a comma": (GOOD[: GOOD.rindex(b"},") + 2], "not valid JSON: EOF while parsing"),
    "trailing garbage": (GOOD + b"}{", "not valid JSON: trailing characters at line"),
    "trailing comma": (GOOD.replace(b"}\n]", b"},\n]", 1), "not valid JSON: trailing comma at line"),
    "top level is a list": (b"[1, 2, 3]", "(top level): Input should be an object"),
    "top level is a string": (b'"registry"', "(top level): Input should be an object"),
    "top level is null": (b"null", "(top level): Input should be an object"),
    "events is a number": (with_(lambda d: d.update(events=5)), "events: Input should be a valid array (got 5)"),
    "event is a number": (with_(lambda d: d["events"].insert(1, 7)), "events[1]: Input should be an object (got 7)"),
    "date of the wrong type": (with_(lambda d: d["events"][1].update(date=20250402)),
                               "events[1].date (department_id 'me-a'): "),
    "date not a date": (with_(lambda d: d["events"][1].update(date="April 2")),
                        "events[1].date (department_id 'me-a'): Input should be a valid date"),
    "model misspelt": (with_(lambda d: d["events"][0].update(model="tfm")),
                       "events[0].model (department_id 'tx-b'): Input should be 'task_force'"),
    "sources empty": (with_(lambda d: d["events"][0].update(sources=[])),
                      "events[0].sources (department_id 'tx-b'): Tuple should have at least 1 item"),
    "name is a number": (with_(lambda d: d["departments"][0].update(name=12)),
                         "departments[0].name (id 'me-a'): Input should be a valid string (got 12)"),
    "unknown top-level field": (with_(lambda d: d.update(mayor="x")), "mayor: unknown field"),
    "unknown event field": (with_(lambda d: d["events"][2].update(sigend="2025-01-01")),
                            "events[2].sigend (department_id 'me-a'): unknown field"),
    "unknown coverage kind": (with_(lambda d: d.update(coverage={"bogus": {}})), "coverage.bogus"),
    "10,000-character name": (with_(lambda d: d["departments"][0].update(name="W" * 10_000)),
                              "departments[0].name (id 'me-a'): String should have at most 2000 characters (got 'WWW"),
    "5 MB title": (with_(lambda d: d.update(title="t" * 5_000_000)), "title: String should have at most 2000 characters"),
    "deeply nested value": (GOOD.replace(b'"title"', b'"x": ' + NESTED + b', "title"') if b'"title"' in GOOD
                            else GOOD.replace(b"{", b'{"x": ' + NESTED + b",", 1),
                            "not valid JSON: recursion limit exceeded"),
    "deeply nested document": (NESTED, "not valid JSON: recursion limit exceeded"),
    "Latin-1 byte in a name": (GOOD.replace(b"Wells Police", b"W\xe9lls Police", 1),
                               "not UTF-8 text: byte 0xe9 at line 7"),
    "invalid UTF-8 sequence": (GOOD.replace(b"Jim Wells", b"Jim \xc3\x28Wells", 1), "not UTF-8 text: byte 0xc3"),
    "UTF-8 byte-order mark": (codecs.BOM_UTF8 + GOOD, "starts with a byte-order mark (BOM)"),
    "UTF-16": (GOOD.decode().encode("utf-16"), "is UTF-16 text"),
    "NUL bytes": (b"\x00" * 64, "not valid JSON"),
    "lone surrogate escape": (GOOD.replace(b"Wells Police", b"\\ud800 Police", 1), "not valid JSON: unexpected end of hex escape"),
    "raw control character in a string": (GOOD.replace(b"Wells Police", b"Wells\x1b[31m Police", 1),
                                          "not valid JSON: control character"),
    "NaN": (GOOD.replace(b'"schema_version": 1', b'"schema_version": NaN'), "schema_version must be 1 (got nan)"),
    "number out of range": (GOOD.replace(b'"schema_version": 1', b'"schema_version": ' + b"9" * 5000),
                            "not valid JSON: number out of range"),
    "zero-byte file": (b"", "empty file, not a registry"),
    "only whitespace": (b" \n\t\r\n", "empty file, not a registry"),
    "unknown department": (with_(lambda d: d["events"][0].update(department_id="me-nobody")),
                           "events[0].department_id: unknown department 'me-nobody'"),
    "window that ends before it starts": (with_(lambda d: d["events"][0].update(not_before="2025-02-01")),
                                          "events[0].not_before: 2025-02-01 is after date 2025-01-02 (tx-b)"),
}


@pytest.mark.parametrize("content,message", CASES.values(), ids=CASES.keys())
def test_bad_registry_is_refused_in_one_line(runner: CliRunner, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "registry.json"
    path.write_bytes(content)
    assert message in refused(runner, path, "list", "--format", "json")


@pytest.mark.parametrize("content", [
    GOOD.replace(b'"schema_version": 1', b'"schema_version": "1"'),
    GOOD.replace(b'"schema_version": 1', b'"schema_version": 0'),
    GOOD.replace(b'"schema_version": 1', b'"schema_version": Infinity'),
], ids=["string", "zero", "infinity"])
def test_a_schema_version_that_is_not_a_version_is_not_called_newer(
    runner: CliRunner, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "registry.json"
    path.write_bytes(content)
    message = refused(runner, path, "list")
    assert message.startswith("schema_version ") and "newer" not in message and "must be 1" in message


def test_a_newer_schema_version_asks_for_a_newer_icestatus(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_bytes(GOOD.replace(b'"schema_version": 1', b'"schema_version": 2'))
    assert "schema_version is 2; this icestatus reads version 1 (a newer file needs a newer icestatus)" in refused(
        runner, path, "list")


def test_control_characters_in_a_bad_value_are_not_echoed_raw(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_bytes(with_(lambda d: d["events"][0].update(date="\x1b]8;;http://x\x07\x9b31m\u202e")))
    message = refused(runner, path, "list")
    assert "\x1b" not in message and "\x07" not in message and "\x9b" not in message and "\u202e" not in message
    assert "\\x1b]8;;http://x\\x07" in message


def test_directory(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.mkdir()
    assert refused(runner, path, "list") == "is a directory, not a registry file"


def test_unreadable_file(runner: CliRunner, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / "registry.json"
    path.write_bytes(GOOD)
    path.chmod(0)
    assert refused(runner, path, "list") == "permission denied"


class TestSizeLimit:
    def test_over_the_limit_says_the_limit_and_how_to_raise_it(
        self, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "registry.json"
        path.write_bytes(GOOD)
        monkeypatch.setenv("ICESTATUS_MAX_REGISTRY_BYTES", "100")
        assert refused(runner, path, "list") == (
            f"{len(GOOD):,} bytes is over the 100-byte limit (raise it with ICESTATUS_MAX_REGISTRY_BYTES=<bytes>)")
        monkeypatch.setenv("ICESTATUS_MAX_REGISTRY_BYTES", str(len(GOOD)))
        result = runner.invoke(app, ["as-of", "2025-05-01", "-r", str(path), "-f", "json"], catch_exceptions=False)
        assert result.exit_code == 0 and len(json.loads(result.stdout)) == 2

    @pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
    def test_an_endless_file_is_cut_at_the_limit(self, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
        """stat() says 0 bytes for a device or a pipe; the read itself must stop at the limit."""
        monkeypatch.setenv("ICESTATUS_MAX_REGISTRY_BYTES", "4096")
        result = runner.invoke(app, ["list", "-r", "/dev/zero"])
        assert result.exit_code == 1
        assert result.stderr == ("icestatus: error: /dev/zero: over the 4,096-byte limit "
                                 "(raise it with ICESTATUS_MAX_REGISTRY_BYTES=<bytes>)\n")

    @pytest.mark.parametrize("value", ["lots", "1e6", "0", "-5"])
    def test_a_limit_that_is_not_a_positive_number(
        self, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
    ) -> None:
        path = tmp_path / "registry.json"
        path.write_bytes(GOOD)
        monkeypatch.setenv("ICESTATUS_MAX_REGISTRY_BYTES", value)
        result = runner.invoke(app, ["list", "-r", str(path)])
        assert result.exit_code == 1
        assert result.stderr == (f"icestatus: error: ICESTATUS_MAX_REGISTRY_BYTES={value!r} "
                                 "is not a positive number of bytes\n")


# ---------------------------------------------------------------- the writing commands refuse too

SHEET = ("STATE,LAW ENFORCEMENT AGENCY,TYPE,COUNTY,SUPPORT TYPE,SIGNED,MOA\n"
         "TEXAS,Kerr County Sheriff's Office,County,Kerr County,Jail Enforcement Model,5/2/2025,link pending\n")

WRITER_CASES = {k: CASES[k][0] for k in (
    "truncated mid-record", "unknown event field", "Latin-1 byte in a name", "UTF-8 byte-order mark",
    "zero-byte file", "deeply nested document", "unknown department")}


@pytest.mark.parametrize("content", WRITER_CASES.values(), ids=WRITER_CASES.keys())
def test_ingest_and_record_refuse_a_bad_registry_and_write_nothing(
    runner: CliRunner, tmp_path: Path, content: bytes
) -> None:
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    sheet = sheets / "participatingAgencies05162025am.csv"
    sheet.write_text(SHEET)
    home = tmp_path / "reg"
    home.mkdir()
    path = home / "registry.json"
    path.write_bytes(content)
    refused(runner, path, "ingest", str(sheet))
    refused(runner, path, "record", "wells", "--kind", "paused", "--model", "task_force", "--date", "2025-05-20",
            "--source-url", "https://example.org/x", "--source-title", "x")


# ---------------------------------------------------------------- fuzz: Registry or RegistryError, nothing else

FUZZ = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

SEEDS = [GOOD, CURATED.read_bytes()]
TOKENS = [b"{", b"}", b"[", b"]", b",", b":", b'"', b"\\", b"\\u", b"null", b"true", b"-1", b"1e999", b"\n",
          b'"events": [', b'"schema_version": 1', b'"date": "2025-02-30"', b"\xff", b"\xef\xbb\xbf", b"\x00",
          b'"\\ud800"', b'"sources": []', b'"kind": "corrected"', b'"not_before": "2030-01-01"']


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A real registry's bytes after a few random edits: cuts, insertions, overwrites and
    swapped lines, the damage hand edits and broken transfers do."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["cut", "insert", "overwrite", "truncate", "swap"]))
        at = draw(st.integers(0, len(data)))
        if op == "cut":
            del data[at: at + draw(st.integers(1, 40))]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=8))
        elif op == "overwrite" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[at:]
        elif op == "swap":
            lines = bytes(data).split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(["2025-04-02", "me-a", "task_force", "signed", "https://x.example/a", "test-source"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "date", "kind", "model", "sources", "name", "state", "events", "department_id", "x"]),
        inner, max_size=4),
    max_leaves=12,
)


@st.composite
def restructured(draw: st.DrawFn) -> bytes:
    """A valid registry with one field or record replaced by random JSON: wrong types,
    wrong shapes and wrong values in every place the schema has."""
    doc = good_doc()
    where = draw(st.sampled_from(["top", "events", "departments", "sources"]))
    value = draw(json_values)
    if where == "top":
        doc[draw(st.sampled_from(["schema_version", "title", "coverage", "events", "policies", "sources", "zzz"]))] = value
    else:
        records = doc[where]
        i = draw(st.integers(0, len(records) - 1))
        if draw(st.booleans()):
            records[i] = value
        else:
            records[i][draw(st.sampled_from([*records[i], "extra"]))] = value
    return saved_layout(doc)


def saved_layout(doc: dict[str, Any]) -> bytes:
    """*doc* laid out as ``save_registry`` writes (one event per line, the list last), so
    that the loader's sliced fast path, not only whole-file validation, meets the damage."""
    events = doc.pop("events", None)
    head = json.dumps(doc, ensure_ascii=False)[:-1]
    if not isinstance(events, list):
        return (head + ("" if events is None else f', "events": {json.dumps(events)}') + "}").encode()
    lines = ",\n".join(json.dumps(e, ensure_ascii=False) for e in events)
    return f'{head},\n"events": [\n{lines}\n]\n}}\n'.encode()


def _check_outcome(data: bytes, path: Path) -> None:
    try:
        registry = parse_registry(data, path)
    except RegistryError as exc:
        message = str(exc)
        assert message.startswith(f"{path}: ") and "\n" not in message and len(message) < 2000, message
        # The fast path (slices of lines) must refuse exactly what whole-file validation refuses.
        try:
            whole = Registry.model_validate_json(data)
        except ValidationError:
            return
        except Exception as other:  # pragma: no cover - reported as the failure
            raise AssertionError(f"whole-file validation raised {other!r}") from other
        assert check_records(whole) or not data.strip() or data.startswith(codecs.BOM_UTF8), (
            "refused a file that validates whole and passes check_records", message)
        return
    assert isinstance(registry, Registry)
    assert check_records(registry) == []
    # Whatever loads, saves and loads back the same.
    assert parse_registry(dump_registry(registry), path) == registry
    # ... and is what whole-file validation gives (the sliced fast path changes nothing).
    whole = Registry.model_validate_json(data)
    assert registry == whole.model_copy(update={"events": reg_mod.sort_events(whole.events)})


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of a few lines, so that the fuzzed files, small as they are, take the sliced path in several pieces."""
    monkeypatch.setattr(reg_mod, "_SLICE_BYTES", 64)


@FUZZ
@given(data=mutated())
def test_fuzz_mutated_files(small_slices: None, data: bytes) -> None:
    _check_outcome(data, Path("fuzz.json"))


@FUZZ
@given(data=restructured())
def test_fuzz_wrong_shapes(small_slices: None, data: bytes) -> None:
    _check_outcome(data, Path("fuzz.json"))


@settings(FUZZ, max_examples=100)
@given(data=st.binary(max_size=200))
def test_fuzz_random_bytes(data: bytes) -> None:
    _check_outcome(data, Path("fuzz.json"))
