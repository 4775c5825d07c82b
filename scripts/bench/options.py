"""Options with two sets of defaults: a benchmark's full sizes, and its ``--quick`` sizes.

``--quick`` changes only the defaults, so an option given on the command line wins in either mode
(``request --quick --transports none --profile`` profiles without the transports). Options are
declared with ``default=None``; ``settle`` fills in what was left unset.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any


def settle(args: argparse.Namespace, full: Mapping[str, Any], quick: Mapping[str, Any]) -> None:
    """Each option in ``full`` left unset takes ``quick``'s value under ``--quick`` (when it has one),
    else ``full``'s."""
    for name, value in full.items():
        if getattr(args, name) is None:
            setattr(args, name, quick.get(name, value) if args.quick else value)


def default_help(text: str, full: Mapping[str, Any], quick: Mapping[str, Any], name: str) -> str:
    """``text`` followed by both defaults, so that ``--help`` shows what ``--quick`` changes."""
    if name in quick:
        return f"{text} (default {full[name]}; --quick: {quick[name]})"
    return f"{text} (default {full[name]})"
