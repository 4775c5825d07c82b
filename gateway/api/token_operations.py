"""Token revocation on the Mutation root: an administrator revokes any token by its id, any token
holder revokes the token it calls with (signing out for good). The list is shared by every worker
(``gateway.access.revocations``): the revoking worker refuses the token at once, every other within
``GATEWAY_REVOCATION_REFRESH`` seconds."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from gateway.access import revocations
from gateway.access.tokens import LEEWAY_SECONDS, MAX_TEXT_CLAIM_LENGTH, Role
from gateway.api.context import RequestContext
from gateway.api.roles import for_roles
from gateway.errors import InvalidInput

_TOKEN_HOLDERS = (Role.PARTNER, Role.INDIVIDUAL, Role.ENTERPRISE, Role.PROVIDER, Role.AUDITOR, Role.ADMIN)


@strawberry.type(description="A token put on the revocation list.")
class TokenRevocation:
    token_id: str = strawberry.field(description="The revoked token's id (its jti).")
    kept_until: datetime = strawberry.field(
        description="Until when the revocation is kept: past it, the token has expired anyway."
    )


def _revoke(ctx: RequestContext, token_id: str, exp: float | None) -> TokenRevocation:
    until = revocations.kept_until(
        ctx.now, exp=exp, max_ttl=ctx.services.settings.token_max_ttl, leeway=LEEWAY_SECONDS
    )
    revocations.revoke(ctx.session, token_id=token_id, expires_at=until, now=ctx.now)
    if ctx.services.revocations is not None:
        ctx.services.revocations.noted(token_id)
    return TokenRevocation(token_id=token_id, kept_until=until)


@strawberry.type
class TokenMutation:
    @strawberry.mutation(
        description=(
            "Revoke a caller token by its id (jti): every worker refuses it within "
            "GATEWAY_REVOCATION_REFRESH seconds (docs/authentication.md)."
        ),
        extensions=for_roles(Role.ADMIN),
    )
    def revoke_token(self, info: Info, token_id: str) -> TokenRevocation:
        if not token_id or len(token_id) > MAX_TEXT_CLAIM_LENGTH:
            raise InvalidInput("tokenId", f"a token id of 1 to {MAX_TEXT_CLAIM_LENGTH} characters")
        return _revoke(info.context, token_id, None)

    @strawberry.mutation(
        description="Revoke the token this request carries (sign out for good, on every worker).",
        extensions=for_roles(*_TOKEN_HOLDERS),
    )
    def revoke_my_token(self, info: Info) -> TokenRevocation:
        ctx: RequestContext = info.context
        if ctx.caller.token_id is None:
            raise InvalidInput("token", "this token has no id (jti) to revoke")
        expires = ctx.caller.expires_at.timestamp() if ctx.caller.expires_at is not None else None
        return _revoke(ctx, ctx.caller.token_id, expires)
