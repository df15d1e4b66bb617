"""The user's archive of ICE's sheets: every file ``icestatus update`` downloaded, kept.

Laid out as ``../shared/data/ice`` is, so that the same tools read both: the files under
``<root>/sheets/<published>/<ICE's file name>`` and ``<root>/manifest.csv`` with one row per
file in the same columns (``MANIFEST_COLUMNS``). A file is kept once (by SHA-1); a second
file under a name already taken for that date gets its SHA-1's first 8 digits after the
name. Every write is atomic (``registry.atomic_write``) and made under
``<root>/archive.lock``: sheets first, then the manifest that lists them, so a reader never
sees a manifest row without its file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from icestatus.registry import atomic_write

MANIFEST_COLUMNS = (
    "path", "kind", "published", "half", "retrieved_utc", "rows", "sha1", "name_date", "use", "origin", "note",
)
MANIFEST = "manifest.csv"
SHEETS = "sheets"


@dataclass(frozen=True, slots=True)
class Entry:
    """One manifest row (the columns of ``MANIFEST_COLUMNS``; ``path`` relative to sheets/)."""

    path: str
    kind: str
    published: str
    half: str
    retrieved_utc: str  # YYYYMMDD_HHMMSS
    rows: str
    sha1: str
    name_date: str
    use: str
    origin: str
    note: str


class Archive:
    """The archive at *root* (``registry.user_data_dir()`` for ``update``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest = root / MANIFEST
        self.sheets = root / SHEETS

    def entries(self) -> list[Entry]:
        if not self.manifest.is_file():
            return []
        with self.manifest.open(newline="", encoding="utf-8") as fh:
            return [Entry(**{c: row.get(c) or "" for c in MANIFEST_COLUMNS}) for row in csv.DictReader(fh)]

    def find(self, sha1: str) -> Entry | None:
        return next((e for e in self.entries() if e.sha1 == sha1), None)

    def add(self, files: Sequence[tuple[Entry, bytes]]) -> list[Entry]:
        """Keep each file not kept yet (``Entry.path`` as ``<published>/<name>``, changed if
        taken); returns the entries added, as written."""
        from icestatus.registry import registry_lock

        if not files:
            return []
        self.root.mkdir(parents=True, exist_ok=True)
        with registry_lock(self.root / "archive"):  # <root>/archive.lock
            entries = self.entries()
            known = {e.sha1 for e in entries}
            taken = {e.path for e in entries}
            added: list[Entry] = []
            for wanted, data in files:
                if wanted.sha1 in known:
                    continue
                path = _free_path(wanted.path, wanted.sha1, taken, self.sheets)
                target = self.sheets / path
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(target, data)
                known.add(wanted.sha1)
                taken.add(path)
                added.append(replace(wanted, path=path))
            if added:
                atomic_write(self.manifest, manifest_text([*entries, *added]))
            return added


def manifest_text(entries: Sequence[Entry]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(asdict(e) for e in entries)
    return buf.getvalue().encode("utf-8")


def _free_path(path: str, sha1: str, taken: set[str], sheets: Path) -> str:
    if path not in taken and not (sheets / path).exists():
        return path
    stem, dot, suffix = path.rpartition(".")
    return f"{stem}-{sha1[:8]}{dot}{suffix}" if dot else f"{path}-{sha1[:8]}"
