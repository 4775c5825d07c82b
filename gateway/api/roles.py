"""Which roles may run an operation, declared on the field rather than checked inside its resolver.

``for_roles(Role.PARTNER)`` gives a field the Strawberry ``PermissionExtension`` that refuses every
other caller before the resolver runs, with FORBIDDEN_OPERATION and the same message as ever ("this
operation is for: partner"). The refusal is our own ``Forbidden`` error, so it leaves the gateway and
its audit event exactly as an error raised by a resolver does.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from gateway.access.tokens import Role
from gateway.api.context import RequestContext
from gateway.errors import Forbidden

ANY_TOKEN: tuple[Role, ...] = tuple(r for r in Role if r is not Role.PUBLIC)


class HasRole(BasePermission):
    """The caller's role is one of ``roles``. A plain synchronous check: it never returns an
    awaitable, which Strawberry would refuse on the synchronous execution path."""

    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("an operation is for at least one role")
        self.roles = frozenset(roles)
        self.message = "this operation is for: " + ", ".join(r.value.lower() for r in roles)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        ctx: RequestContext = info.context
        return ctx.caller.role in self.roles

    def on_unauthorized(self) -> None:
        raise Forbidden(self.message or "")


def for_roles(*roles: Role) -> list[FieldExtension]:
    """The extensions of a field only ``roles`` may run. No schema directive: the published SDL
    says nothing about roles (docs/errors.md, FORBIDDEN_OPERATION, does)."""
    return [PermissionExtension([HasRole(*roles)], use_directives=False)]
