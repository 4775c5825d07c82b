"""The operation-level role check shared by the lifecycle resolvers."""

from __future__ import annotations

from gateway.access.tokens import Caller, Role
from gateway.errors import Forbidden


def require(caller: Caller, *roles: Role) -> None:
    """FORBIDDEN_OPERATION unless the caller has one of ``roles``."""
    if caller.role not in roles:
        allowed = ", ".join(r.value.lower() for r in roles)
        raise Forbidden(f"this operation is for: {allowed}")
