"""Run ``python scripts/bench <subcommand> --quick`` for real, in a child process, into a temporary
directory: how the tests keep every benchmark from rotting without ever asserting a timing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

TOOL = Path(__file__).resolve().parent.parent / "scripts" / "bench"


def run_bench(
    subcommand: str, out: Path, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The quick form of ``subcommand``, its report written into ``out``; fails the test on a non-zero
    exit, showing the tail of what the tool printed."""
    command = [sys.executable, str(TOOL), subcommand, "--quick", "--out", str(out), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def report(out: Path, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
    return document
