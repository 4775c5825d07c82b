"""``python scripts/bench audit --quick`` runs end to end (3 clients, 2 lookups each, one round) and
reports both variants and the ratio."""

from __future__ import annotations

import re
from pathlib import Path

from tests.bench_tool import report, run_bench


def test_the_audit_benchmark_reports_lookups_with_and_without_audit_and_their_ratio(tmp_path: Path) -> None:
    done = run_bench("audit", tmp_path)
    lines = [line for line in done.stdout.splitlines() if "lookups:" in line]
    assert len(lines) == 2
    for line in lines:
        assert re.search(
            r"without audit +[\d.]+/s, with audit +[\d.]+/s, ratio [\d.]+; 9 events in \d+ transactions", line
        )
    lookups = report(tmp_path, "audit")["lookups"]
    assert set(lookups) == {"organisation", "person"}
    for kind in lookups.values():
        assert kind["without_audit_per_s"] > 0 and kind["with_audit_per_s"] > 0 and kind["ratio"] > 0
        assert kind["events"] == 9 and 1 <= kind["transactions"] <= 9
