"""scripts/bench_audit.py runs end to end (with tiny numbers) and reports both variants and the ratio."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bench_audit.py"


def test_the_audit_benchmark_reports_lookups_with_and_without_audit_and_their_ratio() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--clients", "3", "--requests", "2", "--rounds", "1"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "lookups:" in line]
    assert len(lines) == 2
    for line in lines:
        assert re.search(
            r"without audit +[\d.]+/s, with audit +[\d.]+/s, ratio [\d.]+; 9 events in \d+ transactions", line
        )
