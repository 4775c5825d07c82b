"""Run the installed ``credit-gateway`` command for real, in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("credit-gateway")


def run_cli(
    *args: str, keyring: Path, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run one command with GATEWAY_KEYRING set, in ``cwd`` if given; extra keyword arguments become
    GATEWAY_* variables."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    environ.update({"GATEWAY_KEYRING": str(keyring), "NO_COLOR": "1", "COLUMNS": "200"})
    environ.update({f"GATEWAY_{name.upper()}": value for name, value in env.items()})
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=environ, cwd=cwd, timeout=60, check=False
    )
