"""The one report writer of the benchmarks: a JSON file per run, and its chart where it has one.

Every subcommand writes ``<out>/<name>.json`` (indented, UTF-8 as is) so that a run can be quoted
from ``docs/performance/`` as it came out; a chart, when the benchmark draws one, goes beside it as
``<name>.png``. The JSON holds no machine paths: what the documents quote must not name a machine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

Chart = Callable[[Path], None]


def render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False, default=str)


def write_report(
    document: Mapping[str, Any],
    out: Path,
    name: str,
    *,
    chart: Chart | None = None,
    echo: bool = False,
) -> Path:
    """``document`` as ``out/name.json`` (and ``chart`` drawn into ``out/name.png``); ``echo`` also
    prints the JSON, for the benchmarks whose answer is the JSON itself."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    rendered = render(document)
    path.write_text(rendered + "\n", encoding="utf-8")
    if chart is not None:
        chart(out / f"{name}.png")
    if echo:
        print(rendered, flush=True)
    return path
