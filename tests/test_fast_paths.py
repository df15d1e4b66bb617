"""The fast paths (issue 5) give exactly what the plain paths give.

``registry._validate_in_slices`` validates the event list of a file laid out as
``save_registry`` writes it a slice of lines at a time; any other layout, and any error,
must fall back to validating the whole file (same registry, same error message).
``registry._events_clean`` screens events so that ``check_records``' naming loop runs only
when there is a problem: the problems must be the same as without the screen.
``writers.to_json`` writes with pydantic-core when the data is plain: the same text as
``json.dumps(indent=2, ensure_ascii=False)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from builders import SOURCE, dept, ev, registry_of, write
from icestatus import registry as reg_mod
from icestatus.errors import RegistryError
from icestatus.models import Registry
from icestatus.output import writers
from icestatus.registry import check_records, dump_registry, load_registry, parse_registry


def _sample() -> Registry:
    events = [
        ev("me-wells", "applied", "2025-03-28", note="first; with \"quotes\" and a comma, ] and }"),
        ev("me-wells", "signed", "2025-04-02", moa_url="https://example.org/moa.pdf"),
        ev("me-wells", "paused", "2025-05-20", not_before="2025-05-10"),
        ev("tx-harris", "signed", "2019-01-01", model="jail_enforcement", signed="2018-12-20"),
        ev("tx-harris", "corrected", "2019-02-01", model="jail_enforcement", signed="2018-12-21"),
        ev("tx-harris", "moa_linked", "2019-03-01", model="jail_enforcement", moa_url="https://example.org/m2.pdf"),
        ev("me-wells", "resumed", "2025-06-01"),
        ev("me-wells", "terminated", "2025-10-21"),
    ]
    return registry_of(events, [dept("me-wells", "Wells Police Department", aliases=("Wells PD",)),
                                dept("tx-harris", "Harris County Sheriff\u2019s Office")])


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reg_mod, "_SLICE_BYTES", 40)  # a slice per line or two


@pytest.mark.usefixtures("small_slices")
def test_sliced_load_equals_whole_load(tmp_path: Path) -> None:
    data = dump_registry(_sample())
    sliced = reg_mod._validate_in_slices(data)
    assert sliced is not None
    assert sliced == Registry.model_validate_json(data)
    assert sliced.model_fields_set == Registry.model_validate_json(data).model_fields_set
    assert load_registry(write(_sample(), tmp_path / "r.json")) == _sample()


def _variants() -> dict[str, bytes]:
    data = dump_registry(_sample())
    doc = json.loads(data)
    lines = data.split(b"\n")
    first_event = next(i for i, line in enumerate(lines) if line.startswith(b'{"department_id"'))
    missing_comma = list(lines)
    missing_comma[first_event] = missing_comma[first_event].rstrip(b",")
    two_per_line = list(lines)
    two_per_line[first_event] += two_per_line.pop(first_event + 1)
    escaped = data.replace(b'"title":', b'"events": [], "title":', 1).replace(b'"events": [],', b'"\\u0065vents": [],', 1)
    return {
        "indented": json.dumps(doc, indent=2).encode(),
        "one line": json.dumps(doc).encode(),
        "crlf": data.replace(b"\n", b"\r\n"),
        "two events on a line": b"\n".join(two_per_line),
        "missing comma": b"\n".join(missing_comma),
        "trailing comma": data.replace(b"}\n]\n}", b"},\n]\n}"),
        "events not last": data.replace(b"}\n]\n}", b'}\n],\n"policies": [\n{"state": "ME", "kind": "ban", '
                                        b'"date": "2020-01-01", "summary": "x", "sources": ["test-source"]}\n]\n}'),
        "duplicate key": data.replace(b'"title":', b'"events": [], "title":', 1),
        "escaped duplicate key": escaped,
        "bad event": data.replace(b'"kind": "paused"', b'"kind": "napping"'),
        "unknown field": data.replace(b'"kind": "paused"', b'"kind": "paused", "colour": "red"'),
    }


@pytest.mark.usefixtures("small_slices")
@pytest.mark.parametrize("name", list(_variants()))
def test_other_layouts_and_errors_fall_back_to_the_whole_file(name: str, tmp_path: Path) -> None:
    data = _variants()[name]
    if name in {"two events on a line"}:
        sliced = reg_mod._validate_in_slices(data)
        assert sliced is None or sliced == Registry.model_validate_json(data)
        return
    assert reg_mod._validate_in_slices(data) is None
    path = tmp_path / "r.json"
    path.write_bytes(data)
    try:
        whole = Registry.model_validate_json(data)
    except ValidationError as exc:
        expected = reg_mod._describe_validation_error(exc, data, path)
        with pytest.raises(RegistryError) as caught:
            parse_registry(data, path)
        assert str(caught.value) == expected
        if name in {"bad event", "unknown field"}:
            assert "events[5]" in expected  # the index in the whole file
        return
    assert parse_registry(data, path) == whole


def test_the_screen_equals_the_full_check_on_every_event_kind() -> None:
    """``_events_clean`` (the screen) is True exactly when ``_event_problems`` (the full
    per-event check, ``event_rule_problems`` included) finds nothing: every event kind,
    with and without each field a rule looks at, known and unknown references."""
    import itertools

    from icestatus.enums import EventKind

    day = "2025-04-10"
    cases = itertools.product(
        EventKind, (None, "2025-04-01", day, "2025-04-20"), (None, "2025-03-01"),
        (None, "https://example.org/moa.pdf"), ("me-wells", "me-nobody"), (SOURCE.id, "no-such-source"),
    )
    checked = 0
    for kind, not_before, signed, moa_url, dept_id, source in cases:
        event = ev(dept_id, kind.value, day, not_before=not_before, signed=signed, moa_url=moa_url, sources=(source,))
        found = reg_mod._event_problems((event,), {"me-wells"}, {SOURCE.id})
        assert reg_mod._events_clean((event,), {"me-wells"}, {SOURCE.id}) == (not found), (event, found)
        checked += 1
    assert checked == len(EventKind) * 4 * 2 * 2 * 2 * 2


def test_the_screen_finds_what_the_loop_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = registry_of(
        [ev("me-wells", "signed", "2025-04-02"),
         ev("me-nobody", "signed", "2025-04-03"),
         ev("me-wells", "paused", "2025-04-04", sources=("no-such-source",)),
         ev("me-wells", "resumed", "2025-04-05", not_before="2025-04-06")],
        [dept("me-wells")],
    )
    bad = bad.model_copy(update={"departments": tuple(d for d in bad.departments if d.id == "me-wells")})
    with_screen = check_records(bad)
    monkeypatch.setattr(reg_mod, "_events_clean", lambda *args: False)
    assert check_records(bad) == with_screen
    assert [p.path for p in with_screen] == ["events[1].department_id", "events[2].sources[0]", "events[3].not_before"]
    assert check_records(_sample()) == []
    assert SOURCE.id in {s.id for s in _sample().sources}


# ---------------------------------------------------------------- writers.to_json

_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
_plain = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(_plain)
def test_fast_json_writes_what_json_dumps_writes(data: object) -> None:
    assert writers._json_plain(data)
    fast = writers._fast_json(data)
    slow = json.dumps(data, indent=2, ensure_ascii=False)
    if fast is None:  # pydantic-core refuses lone surrogates; json.dumps writes them
        assert any("\ud800" <= ch <= "\udfff" for ch in slow)
    else:
        assert fast == slow
    assert writers.to_json(data) == writers._UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", slow)


def test_floats_and_other_types_take_json_dumps() -> None:
    assert not writers._json_plain([{"share": 0.5}])
    assert not writers._json_plain({1: "x"})
    assert writers.to_json({"share": 1e16, "rows": [1, "\x1b\u202e", None, True]}) == (
        '{\n  "share": 1e+16,\n  "rows": [\n    1,\n    "\\u001b\\u202e",\n    null,\n    true\n  ]\n}'
    )
    assert writers.to_json([]) == "[]" and writers.to_json({"a": []}) == '{\n  "a": []\n}'


# ---------------------------------------------------------------- states without `us`


def test_usps_table_is_what_us_says() -> None:
    import us

    from icestatus.states import USPS_NAMES, parse_state, state_name

    known = [*us.states.STATES_AND_TERRITORIES, us.states.DC]
    assert {s.abbr: s.name for s in known} == USPS_NAMES
    for state in known:
        for typed in (state.abbr, state.abbr.lower(), f" {state.abbr} ", state.name, state.name.upper()):
            assert parse_state(typed) == state.abbr
        assert state_name(state.abbr) == state.name == state_name(state.abbr.lower())
    assert state_name("ZZ") == "ZZ"
    assert parse_state("Main") == "ME"  # still `us`'s phonetic lookup for names
