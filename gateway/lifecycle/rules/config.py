"""Reading the lifecycle rule files: TOML, with every problem a ConfigurationError naming the file."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gateway.errors import ConfigurationError


def read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML ({exc})") from None


def table(document: dict[str, Any], key: str, where: str, allowed: Iterable[str]) -> dict[str, Any]:
    value = document.get(key)
    if not isinstance(value, dict):
        raise ConfigurationError(f"{where}: expected a [{key}] table")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ConfigurationError(f"{where}: [{key}] has an unknown key {unknown[0]!r}")
    return value


def whole(value: object, where: str, *, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigurationError(f"{where} must be a whole number from {low} to {high}")
    return value


def number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ConfigurationError(f"{where} must be a number")
    return float(value)


def words(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{where} must be a non-empty string")
    return value.strip()
