"""The writers of rows for scripts: one table, ``WRITERS``, from format to writer.

Every command builds its rows once (``output.rows``); a writer turns them into text. A
command chooses its writer (``writer_for``) before it loads anything, so a format the
command cannot give is refused first. A new format is one function and one entry here.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from icestatus.enums import OutputFormat
from icestatus.errors import UsageError
from icestatus.output.text import inert

Rows = Sequence[Mapping[str, Any]]
# (rows, their columns, the document JSON writes instead of the rows, or None) -> text
Writer = Callable[[Rows, Sequence[str], Any], str]

_UNSAFE_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def to_json(data: Any) -> str:
    """Stable, readable JSON; characters that could act on a terminal are escaped."""
    text = _fast_json(data) if _json_plain(data) else None
    if text is None:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_JSON_SCALARS = frozenset({str, int, bool, type(None)})


def _json_plain(data: Any) -> bool:
    """Whether *data* holds only str/int/bool/None, lists, tuples and str-keyed dicts:
    the types for which pydantic-core writes the very text ``json.dumps(indent=2,
    ensure_ascii=False)`` does (floats are left out: the two spell some differently)."""
    stack = [data]
    pop, push, scalars = stack.pop, stack.extend, _JSON_SCALARS
    while stack:
        item = pop()
        kind = type(item)
        if kind in scalars:
            continue
        if kind is list or kind is tuple:
            push(item)
        elif kind is dict:
            if not all(type(k) is str for k in item):
                return False
            push(item.values())
        else:
            return False
    return True


def _fast_json(data: Any) -> str | None:
    """pydantic-core's JSON writer: the same text as json's, about 5x faster (json's
    indenting encoder is pure Python: 0.3 s for as-of's 26k rows on 1M events)."""
    from pydantic_core import PydanticSerializationError
    from pydantic_core import to_json as core_to_json

    try:
        return core_to_json(data, indent=2).decode()
    except (PydanticSerializationError, UnicodeError, ValueError):
        return None  # e.g. a lone surrogate: json.dumps says what it says


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    text = str(value)
    if text.startswith(_FORMULA_START):
        text = "'" + text  # a spreadsheet shows it as text instead of running it
    return inert(text)


def to_csv(rows: Rows, columns: Sequence[str]) -> str:
    """A header of *columns*, then one line per row; cells a spreadsheet would run as
    formulas are defused and text is made inert."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])
    return buf.getvalue()


def _write_json(rows: Rows, columns: Sequence[str], document: Any) -> str:
    return to_json(rows if document is None else document) + "\n"


def _write_csv(rows: Rows, columns: Sequence[str], document: Any) -> str:
    return to_csv(rows, columns)


WRITERS: dict[OutputFormat, Writer] = {
    OutputFormat.json: _write_json,
    OutputFormat.csv: _write_csv,
}
# Writers that need rows with columns: a command whose answer is one document has none.
TABULAR = frozenset({OutputFormat.csv})


def writer_for(fmt: OutputFormat, *, tabular: bool = True) -> Writer | None:
    """The writer of *fmt*, or None for a table (a Rich view). *tabular*: whether the
    command's answer is rows; UsageError when it is not and the format needs rows."""
    if fmt is OutputFormat.table:
        return None
    if not tabular and fmt in TABULAR:
        raise UsageError(f"this command has no {fmt.value.upper()} form; use --format json or table")
    return WRITERS[fmt]
