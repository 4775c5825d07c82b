"""The GraphQL fields of a guarded type, in the field catalogue's order, with the stored ones generated.

A stored field served as it is stored (``CreditRecord.documentNumber``: the row's ``document_number``)
needs no resolver written out: ``catalogue_fields`` adds one per catalogue row of the type that the
class does not define, reading the attribute of the same name from the object's ``source``
(``row``, or a dotted path such as ``view.row``). Fields the class defines by hand (computed ones such as ``displayUntil``, relations) are
kept, and take the catalogue's description when they state none. Every field, generated or not, is
guarded (``Guard``).

The fields are served in catalogue order, with one exception: the written-out fields fill the
catalogue's places of written-out fields in the order the class defines them. The published schema
orders a few relations otherwise than the catalogue (and the privacy table) does:
``Person.linkedRecords`` before ``listEntries``, ``Organization.agencyKind`` before
``legalRepresentative``; the class's order keeps the SDL as it was published.

Applied below ``@strawberry.type``, so Strawberry sees an ordinary class with its fields in place.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

import strawberry
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from gateway.api.context import RequestContext
from gateway.api.guard import Guard
from gateway.store import free_text
from gateway.store.fields import Field, of_type

T = TypeVar("T", bound=type)


def catalogue_fields(type_name: str, *, source: str) -> Callable[[T], T]:
    """Complete the class with the catalogue's fields of ``type_name``, read from ``self.<source>``.

    Raises TypeError at import when the class defines a field the catalogue does not list, or lacks
    one that is not stored (a computed field must be written out)."""

    def complete(cls: T) -> T:
        written = {name: value for name, value in vars(cls).items() if isinstance(value, StrawberryField)}
        rows = {f.name: f for f in of_type(type_name)}
        stray = sorted(set(written) - set(rows))
        if stray:
            raise TypeError(f"{type_name} defines fields not in the catalogue: {', '.join(stray)}")
        for name, field in written.items():
            field.description = field.description or rows[name].description
        hand = iter(written.items())
        for f in rows.values():
            if f.name in written:
                # The slot of a written-out field takes the next one in the class's order.
                name, field = next(hand)
            elif f.stored and f.value is not None:
                name, field = f.name, _stored_field(f, source)
            else:
                raise TypeError(f"{f.schema_field} is not stored: write its resolver on {cls.__name__}")
            if not any(isinstance(e, Guard) for e in field.extensions):
                field.extensions = [*field.extensions, Guard()]
            # Deleted and set again so that the class's own order is that of the fields served.
            if name in vars(cls):
                delattr(cls, name)
            setattr(cls, name, field)
        return cls

    return complete


def _stored_field(f: Field, source: str) -> Any:
    """A field resolving to ``self.<source>.<name>``, of the catalogue's value type (an ``ID`` for
    ``id``), nullable as every guarded field is (the guard may deny it). A free text about persons
    (``person_text``) resolves to what ``free_text.served`` gives, which the guard reveals or masks."""
    read = attrgetter(f"{source}.{f.name}")
    value: Any = strawberry.ID if f.name == "id" else f.value
    if f.person_text:
        return _person_text_field(f, attrgetter(source))

    def resolve(self: Any) -> Any:
        return read(self)

    resolve.__name__ = f.name
    resolve.__annotations__ = {"return": value | None}
    return strawberry.field(resolver=resolve, name=f.graphql_name, description=f.description)


def _person_text_field(f: Field, row_of: Callable[[Any], Any]) -> Any:
    def resolve(self: Any, info: Info) -> Any:
        ctx: RequestContext = info.context
        return free_text.served(ctx.services.cipher, row_of(self), f.name)

    resolve.__name__ = f.name
    resolve.__annotations__ = {"info": Info, "return": str | None}
    return strawberry.field(resolver=resolve, name=f.graphql_name, description=f.description)
