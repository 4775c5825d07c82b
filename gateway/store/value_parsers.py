"""Parsers of single values in a JSON-like input: text, enums, dates, amounts, phone numbers.

Every input door (imports, submissions, corrections, lifecycle statements) reads its values through
these, so a value is refused for the same reason, with the same words, whichever door it came
through. Errors are :class:`InvalidInput` naming the (camelCase) field and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from gateway.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)

_PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}\d{7,8})$")
_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def text(obj: Mapping[str, Any], field: str, *, max_len: int, required: bool = True) -> str | None:
    value = obj.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(field, "is required")
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, "must be a string")
    if "\x00" in value:
        # PostgreSQL cannot store NUL in text; refusing it here keeps both backends alike.
        raise InvalidInput(field, "must not contain NUL characters")
    value = value.strip()
    if len(value) > max_len:
        raise InvalidInput(field, f"is longer than {max_len} characters")
    return value


def required_text(obj: Mapping[str, Any], field: str, *, max_len: int) -> str:
    value = text(obj, field, max_len=max_len)
    assert value is not None
    return value


def enum_value(obj: Mapping[str, Any], field: str, cls: type[E], default: E | None = None) -> E:
    raw = obj.get(field)
    if raw is None or raw == "":
        if default is None:
            raise InvalidInput(field, "is required")
        return default
    try:
        return cls(str(raw).strip().upper())
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInput(field, f"must be one of {allowed}") from None


def parse_date(raw: object, field: str) -> date:
    """``YYYY-MM-DD`` or ``YYYY/MM/DD``, optionally followed by a time (as agencies export them)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    match = _DATE.match(str(raw).strip()) if isinstance(raw, str) else None
    if not match:
        raise InvalidInput(field, "must be a date as YYYY-MM-DD or YYYY/MM/DD")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise InvalidInput(field, "is not a calendar date") from None


def optional_date(obj: Mapping[str, Any], field: str) -> date | None:
    raw = obj.get(field)
    if raw is None or raw == "":
        return None
    return parse_date(raw, field)


def optional_datetime(obj: Mapping[str, Any], field: str) -> datetime | None:
    raw = obj.get(field)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise InvalidInput(field, "must be an ISO 8601 timestamp")
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(field, "must be an ISO 8601 timestamp") from None
    if value.tzinfo is None:
        raise InvalidInput(field, "must carry a UTC offset")
    return value


def optional_decimal(obj: Mapping[str, Any], field: str) -> Decimal | None:
    raw = obj.get(field)
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise InvalidInput(field, "must be a number")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidInput(field, "must be a number") from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise InvalidInput(field, "must be a non-negative amount below 10^12")
    return value


def optional_bool(obj: Mapping[str, Any], field: str) -> bool | None:
    raw = obj.get(field)
    if raw is None:
        return None
    if not isinstance(raw, bool):
        raise InvalidInput(field, "must be true or false")
    return raw


def phone(raw: str | None, field: str = "phone") -> str | None:
    if raw is None:
        return None
    digits = re.sub(r"[\s-]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    if not _PHONE.match(digits):
        raise InvalidInput(field, "must be a mainland mobile (11 digits) or landline number with area code")
    return digits


@contextmanager
def prefixed(prefix: str) -> Iterator[None]:
    """Name fields of a nested object by their full path (``legalRepresentative.name``)."""
    try:
        yield
    except InvalidInput as exc:
        if not prefix:
            raise
        raise InvalidInput(prefix + exc.field, exc.reason) from None
