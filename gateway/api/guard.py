"""The field guard: every guarded field asks the policy before it resolves.

Attached only to fields of the subject types (Person, Organization, CreditRecord, ListEntry), so
operation fields and consent bookkeeping pay nothing. A denied field resolves to null with a
FORBIDDEN_FIELD error at its path naming the rule that decided; the rest of the query still answers.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types import Info

from gateway.access.masking import mask
from gateway.access.policy import Effect
from gateway.api.context import RequestContext


class Guard(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        ctx: RequestContext = info.context
        # Guarded types are named in GraphQL as in Python (Person, Organization, …).
        field = f"{type(source).__name__}.{info.field_name}"
        decision = ctx.services.policy.decide(source.policy_subjects, field)
        ctx.field_outcomes[(field, decision.effect.value)] += 1
        if decision.effect is not Effect.WHOLE:
            ctx.field_rules[field] = decision.rule
        if decision.effect is Effect.DENIED:
            raise GraphQLError(
                f"{field} is not available to this caller: {decision.reason}",
                extensions={"code": "FORBIDDEN_FIELD", "rule": decision.rule, "reason": decision.reason},
            )
        value = next_(source, info, **kwargs)
        if decision.effect is Effect.MASKED and value is not None:
            return mask(field, value)
        return value
