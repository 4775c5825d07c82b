"""JSON Lines: one object per line, dispatched on ``type`` by ``gateway.store.inputs.parse_item``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date

from gateway.errors import InvalidInput
from gateway.importing.rows import SourceRow
from gateway.store.inputs import parse_item


def read_jsonl(lines: Iterable[str], *, today: date) -> Iterator[SourceRow]:
    """Rows of a JSON Lines text, numbered from 1; blank lines are skipped but still counted."""
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            # The decoder's message names what it expected and where, never the text it read.
            yield SourceRow.rejected(number, None, f"not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield SourceRow.rejected(number, None, "not valid JSON: nested too deeply")
            continue
        try:
            item = parse_item(obj, today=today)
        except InvalidInput as exc:
            yield SourceRow.rejected(number, exc.field, exc.reason)
            continue
        yield SourceRow(number, (item,))
