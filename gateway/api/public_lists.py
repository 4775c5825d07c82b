"""``publishedListEntries``: the red and black lists as the public sees them, a keyset page at a time.

Open to every caller, with or without a token (every role declared, the public's included). What is published, and how a
person's identity is shown, is decided below this layer (``gateway.access.disclosure``,
``gateway.store.public_lists``); this type carries only the published form, so no field guard is
needed: nothing else of the entry's subject is reachable from it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from gateway.access.tokens import Role
from gateway.api import paging
from gateway.api.context import RequestContext
from gateway.api.paging import PageInfo
from gateway.api.roles import for_roles
from gateway.domain import Category, ListKind, ListStatus, SubjectKind
from gateway.lifecycle.rules.periods import today_in_china
from gateway.store import public_lists
from gateway.store.keyset import After
from gateway.store.public_lists import ListFilter, PublishedEntry


@strawberry.type(
    description=(
        "A published list entry: an organisation's, or a natural person's black-list entry of a "
        "category the disclosure policy names (policies/public-disclosure.toml), shown with the name "
        "and the identity number masked as courts publish them."
    )
)
class PublishedListEntry:
    id: strawberry.ID
    kind: ListKind
    list_name: str
    authority_code: str
    listed_on: date
    planned_exit: date | None
    status: ListStatus
    subject_kind: SubjectKind
    name: str = strawberry.field(description="The organisation's name, or the person's name.")
    identifier: str = strawberry.field(
        description="A person's identity number masked (370103********123X); an organisation's credit code "
        "(an individual business's masked)."
    )
    reason: str | None = strawberry.field(
        description="An organisation's listing reason, masked as free text; null for a person."
    )
    categories: list[Category] = strawberry.field(
        description="Categories of the records in force that justify the entry (for a person, only those "
        "the disclosure policy names)."
    )

    @classmethod
    def of(cls, item: PublishedEntry) -> PublishedListEntry:
        e = item.entry
        return cls(
            id=strawberry.ID(e.id), kind=e.kind, list_name=e.list_name, authority_code=e.authority_code,
            listed_on=e.listed_on, planned_exit=e.planned_exit, status=e.status, subject_kind=item.subject_kind,
            name=item.name, identifier=item.identifier, reason=item.reason, categories=item.categories,
        )  # fmt: skip


@strawberry.type(description="A page of published list entries (publishedListEntries).")
class PublishedListEntryConnection:
    nodes: list[PublishedListEntry]
    page_info: PageInfo


@strawberry.type
class PublicListQuery:
    @strawberry.field(
        description=(
            "Red and black list entries in force, newest listing first, for anyone: organisations', and "
            "natural persons' black-list entries that the disclosure policy publishes. Filter by list, by "
            "a category of the justifying records, by the listing authority's region (2, 4 or 6 digits of "
            "the division code) and by listing date; `first` is 1 to 500, pass pageInfo.endCursor as "
            "`after` for the next page."
        ),
        extensions=for_roles(*Role),  # every caller, the public without a token included
    )
    def published_list_entries(
        self,
        info: Info,
        list_kind: Annotated[ListKind | None, strawberry.argument(name="list")] = None,
        category: Category | None = None,
        region: str | None = None,
        listed_from: date | None = None,
        listed_to: date | None = None,
        first: int = paging.DEFAULT_PAGE,
        after: str | None = None,
    ) -> PublishedListEntryConnection:
        ctx: RequestContext = info.context
        f = ListFilter(
            kind=list_kind, category=category, region=region, listed_from=listed_from, listed_to=listed_to
        )
        today = today_in_china(ctx.now)

        def fetch(cursor: After | None, limit: int) -> list[PublishedEntry]:
            return public_lists.published_page(
                ctx.session, ctx.services.cipher, rules=ctx.services.disclosure,
                periods=ctx.services.lifecycle.periods, today=today, f=f, after=cursor, limit=limit,
            )  # fmt: skip

        result = paging.page(
            fetch,
            first=first,
            after=after,
            key=public_lists.cursor_of,
        )
        return PublishedListEntryConnection(
            nodes=[PublishedListEntry.of(r) for r in result.rows], page_info=result.page_info
        )
