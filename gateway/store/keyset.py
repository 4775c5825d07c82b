"""Keyset pages over lists kept newest first: a cursor after one row, and the condition for the rows
that follow it.

Rows are ordered by a timestamp, newest first, then by id; a cursor holds both, so a page does not
shift when rows are added meanwhile (new ones are newer, and come before the first page) and two rows
of the same instant are never skipped or repeated. Cursors are opaque to callers: the form may change.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from gateway.clock import as_utc
from gateway.errors import InvalidInput

MAX_PAGE = 500
_CURSOR = re.compile(r"k1:([0-9T:.+\-]{19,40})\|([0-9a-f]{1,64})")


@dataclass(frozen=True, slots=True)
class After:
    """The last row of the previous page."""

    at: datetime
    id: str


def check_first(first: int, *, field: str = "first") -> None:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(field, f"must be between 1 and {MAX_PAGE}")


def encode(at: datetime, row_id: str) -> str:
    text = f"k1:{as_utc(at).isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def decode(cursor: str, *, field: str = "after") -> After:
    """The row a cursor of ``encode`` stands for; anything else is INVALID_INPUT naming ``field``."""
    try:
        text = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")).decode("ascii")
        match = _CURSOR.fullmatch(text)
        if match is None:
            raise ValueError(cursor)
        return After(as_utc(datetime.fromisoformat(match.group(1))), match.group(2))
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidInput(field, "not a cursor of this list") from None


def following(at_column: Any, id_column: Any, after: After) -> ColumnElement[bool]:
    """Rows after ``after`` in the order (``at_column`` descending, ``id_column`` ascending)."""
    return or_(at_column < after.at, and_(at_column == after.at, id_column > after.id))
