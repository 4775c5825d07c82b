"""Keyset pages of the lists kept newest first (consents, objections, repair applications), shaped
as ``auditEvents`` is: ``first`` (1 to 500), ``after`` a cursor, ``nodes`` and ``pageInfo``.

The lists were published without paging (``consents``, ``objections``, ``repairApplications``,
each a plain list). Changing their type would break every existing client's query, so the pages are
new fields beside them (``consentsPage``, ``objectionsPage``, ``repairApplicationsPage``), and the
old fields keep their shape and answers (docs/partner-guide.md, "Paging").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

import strawberry

from gateway.store import keyset

Row = TypeVar("Row")

DEFAULT_PAGE = 50


@strawberry.type(description="Where a page ends: pass endCursor as `after` for the next page.")
class PageInfo:
    end_cursor: str | None
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class Page(Generic[Row]):
    rows: Sequence[Row]
    page_info: PageInfo


def parse(first: int, after: str | None) -> keyset.After | None:
    """Checks ``first`` and decodes ``after`` (INVALID_INPUT naming the argument otherwise)."""
    keyset.check_first(first)
    return keyset.decode(after) if after is not None else None


def page(
    fetch: Callable[[keyset.After | None, int], Sequence[Row]],
    *,
    first: int,
    after: str | None,
    key: Callable[[Row], tuple[datetime, str]],
) -> Page[Row]:
    """One page: ``fetch(after, limit)`` is asked for one row more than ``first`` to learn whether
    another page follows. An empty page keeps the cursor it was given."""
    rows = fetch(parse(first, after), first + 1)
    shown = rows[:first]
    end = keyset.encode(*key(shown[-1])) if shown else after
    return Page(rows=shown, page_info=PageInfo(end_cursor=end, has_next_page=len(rows) > first))
