"""Loading, checking, saving and merging registry files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import SOURCE, d, dept, ev, registry_of, write
from icestatus.errors import RegistryError
from icestatus.models import Source
from icestatus.registry import (
    bundled_registry_path,
    check_records,
    dump_registry,
    load_registry,
    merge_registries,
    save_registry,
)

REPO = Path(__file__).resolve().parents[1]


def test_bundled_registry_loads_and_is_sound() -> None:
    reg = load_registry(bundled_registry_path())
    assert reg.schema_version == 1
    assert check_records(reg) == []
    assert any(x.id == "me-wells-police-department" for x in reg.departments)


def test_curated_facts_are_a_valid_registry_with_every_event_sourced() -> None:
    reg = load_registry(REPO / "data" / "curated" / "maine.json")
    ids = {s.id for s in reg.sources}
    assert reg.events and all(e.sources and set(e.sources) <= ids for e in reg.events)
    assert reg.policies and all(set(p.sources) <= ids for p in reg.policies)


def test_save_then_load_is_identity_and_keeps_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    first = registry_of([ev("me-a", "signed", "2025-04-02", moa_url="https://example.org/a.pdf")])
    write(first, path)
    assert load_registry(path) == first
    second = registry_of([ev("me-a", "signed", "2025-04-02"), ev("me-a", "paused", "2025-05-20")])
    save_registry(second, path)
    assert load_registry(path) == second
    assert load_registry(path.with_name("r.json.bak")) == first
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_saving_keeps_the_files_permissions(tmp_path: Path) -> None:
    import os
    import stat

    path = tmp_path / "shared.json"
    old_umask = os.umask(0o022)
    try:
        write(registry_of([]), path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o644  # a new file: 0666 less the umask
        path.chmod(0o664)
        save_registry(registry_of([ev("me-a", "signed", "2025-04-02")]), path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o664
    finally:
        os.umask(old_umask)


def test_dump_is_one_record_per_line_and_deterministic() -> None:
    reg = registry_of([ev("me-a", "signed", "2025-04-02"), ev("me-a", "paused", "2025-05-20")])
    text = dump_registry(reg).decode()
    assert dump_registry(reg).decode() == text
    event_lines = [ln for ln in text.splitlines() if ln.startswith('{"department_id"')]
    assert len(event_lines) == 2
    assert json.loads(text)["schema_version"] == 1


def test_hand_edited_out_of_order_events_are_sorted_stably(tmp_path: Path) -> None:
    reg = registry_of([ev("me-a", "signed", "2025-04-02")])
    doc = json.loads(dump_registry(reg))
    doc["events"].insert(0, doc["events"][0] | {"kind": "paused", "date": "2025-05-20"})
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    assert [e.kind.value for e in load_registry(path).events] == ["signed", "paused"]


class TestLoadErrors:
    def load_error(self, tmp_path: Path, content: bytes | str) -> str:
        path = tmp_path / "bad.json"
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        with pytest.raises(RegistryError) as info:
            load_registry(path)
        message = str(info.value)
        assert "\n" not in message and message.startswith(str(path))
        return message

    def good_doc(self) -> dict:  # type: ignore[type-arg]
        return json.loads(dump_registry(registry_of([ev("me-a", "signed", "2025-04-02")])))

    def test_missing_file_names_init(self, tmp_path: Path) -> None:
        with pytest.raises(RegistryError, match=r"no such registry \(create one with `icestatus init .*nope.json`\)"):
            load_registry(tmp_path / "nope.json")

    def test_directory(self, tmp_path: Path) -> None:
        with pytest.raises(RegistryError, match="is a directory"):
            load_registry(tmp_path)

    def test_truncated_json_names_line_and_column(self, tmp_path: Path) -> None:
        message = self.load_error(tmp_path, '{"schema_version": 1, "events": [')
        assert "not valid JSON" in message and "line 1 column" in message

    def test_wrong_type_names_json_path_and_record(self, tmp_path: Path) -> None:
        doc = self.good_doc()
        doc["events"][0]["date"] = "April 2"
        message = self.load_error(tmp_path, json.dumps(doc))
        assert "events[0].date (department_id 'me-a'): " in message
        assert "'April 2'" in message

    def test_unknown_field(self, tmp_path: Path) -> None:
        doc = self.good_doc()
        doc["departments"][0]["mayor"] = "x"
        assert "departments[0].mayor (id 'me-a'): unknown field" in self.load_error(tmp_path, json.dumps(doc))

    def test_unknown_department_reference(self, tmp_path: Path) -> None:
        doc = self.good_doc()
        doc["events"][0]["department_id"] = "me-nobody"
        assert "events[0].department_id: unknown department 'me-nobody'" in self.load_error(tmp_path, json.dumps(doc))

    def test_window_that_ends_before_it_starts(self, tmp_path: Path) -> None:
        doc = self.good_doc()
        doc["events"][0]["not_before"] = "2025-05-01"
        assert "events[0].not_before: 2025-05-01 is after date 2025-04-02 (me-a)" in self.load_error(tmp_path, json.dumps(doc))

    def test_schema_version_is_required(self, tmp_path: Path) -> None:
        doc = self.good_doc()
        del doc["schema_version"]
        assert "schema_version: Field required" in self.load_error(tmp_path, json.dumps(doc))

    def test_newer_schema_version(self, tmp_path: Path) -> None:
        doc = self.good_doc()
        doc["schema_version"] = 2
        assert "schema_version is 2; this icestatus reads version 1" in self.load_error(tmp_path, json.dumps(doc))

    def test_empty_file(self, tmp_path: Path) -> None:
        assert "empty file" in self.load_error(tmp_path, b"")

    def test_size_limit_says_how_to_raise_it(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ICESTATUS_MAX_REGISTRY_BYTES", "10")
        message = self.load_error(tmp_path, json.dumps(self.good_doc()))
        assert "over the 10-byte limit (raise it with ICESTATUS_MAX_REGISTRY_BYTES=<bytes>)" in message


class TestMerge:
    def test_same_fact_from_two_registries_unites_sources(self) -> None:
        news = Source(id="news-1", kind="news", title="t", publisher="p", published=d("2025-04-08"))
        base = registry_of([ev("me-a", "signed", "2025-04-02")])
        extra = registry_of([ev("me-a", "signed", "2025-04-02", sources=("news-1",)), ev("me-a", "paused", "2025-05-20", sources=("news-1",))],
                            sources=(news,))
        merged = merge_registries(base, extra)
        assert [(e.kind.value, e.sources) for e in merged.events] == [
            ("signed", (SOURCE.id, "news-1")), ("paused", ("news-1",)),
        ]
        assert check_records(merged) == []
        assert merge_registries(merged, extra) == merged  # merging twice changes nothing

    def test_department_spelling_becomes_alias(self) -> None:
        base = registry_of([], departments=[dept("tx-a", "Jim Wells County Sheriff's Office")])
        extra = registry_of([], departments=[dept("tx-a", "Jim Wells County Sheriff\u2019s Office", county="Jim Wells County")])
        (merged,) = merge_registries(base, extra).departments
        assert merged.name == "Jim Wells County Sheriff's Office"
        assert merged.aliases == ("Jim Wells County Sheriff\u2019s Office",)
        assert merged.county == "Jim Wells County"

    def test_conflicting_source_ids_are_refused(self) -> None:
        other = SOURCE.model_copy(update={"title": "Something else"})
        with pytest.raises(RegistryError, match="source 'test-source' differs"):
            merge_registries(registry_of([]), registry_of([], sources=(other,)))
