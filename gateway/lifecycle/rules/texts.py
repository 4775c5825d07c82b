"""Free-text statements of filers and deciders (reasons, evidence), validated as every text input is
(``gateway.store.value_parsers``: required, trimmed, bounded, no NUL)."""

from __future__ import annotations

from gateway.store.value_parsers import text


def statement(value: str | None, field: str, *, max_len: int) -> str:
    parsed = text({field: value}, field, max_len=max_len)
    assert parsed is not None  # text() raises for a missing required value
    return parsed
