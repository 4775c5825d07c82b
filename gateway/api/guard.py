"""The field guard: every guarded field asks the policy before it resolves.

Attached only to fields of the subject types (Person, Organization, CreditRecord, ListEntry), so
operation fields and consent bookkeeping pay nothing. A denied field resolves to null with a
FORBIDDEN_FIELD error at its path naming the rule that decided; the rest of the query still answers.

``apply`` runs once per field when the schema is built: a guarded field that is not a row of the field
catalogue (so has no place in the policy's field list), or whose masker does not exist, stops the
gateway at start-up instead of failing a request. That the policy file names every catalogue field
is checked when the policy loads (``FieldPolicy.load`` with the schema's fields) and by
tests/test_field_catalogue.py.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from gateway.access.masking import MASKER_KINDS, MASKERS, mask
from gateway.access.policy import Effect
from gateway.access.text_masking import ProtectedText, reveals_person_text
from gateway.api.context import RequestContext
from gateway.errors import ConfigurationError
from gateway.store.fields import BY_SCHEMA_FIELD


def guarded_name(field: StrawberryField) -> str:
    """``Type.field`` as the policy names it. Guarded types are named in GraphQL as in Python."""
    origin = getattr(field.origin, "__name__", "?")
    return f"{origin}.{field.graphql_name or to_camel_case(field.python_name)}"


def check_maskers() -> None:
    """Every masked field is a catalogue field with an existing masker (MASKERS is built from both)."""
    strays = sorted(set(MASKERS) - set(BY_SCHEMA_FIELD))
    if strays:
        raise ConfigurationError(f"maskers for fields outside the field catalogue: {', '.join(strays)}")


class Guard(FieldExtension):
    def apply(self, field: StrawberryField) -> None:
        name = guarded_name(field)
        row = BY_SCHEMA_FIELD.get(name)
        if row is None:
            raise ConfigurationError(
                f"{name} is guarded but not in the field catalogue (gateway/store/fields.py), "
                "so no policy rule can name it"
            )
        if row.masker is not None and row.masker not in MASKER_KINDS:
            raise ConfigurationError(f"{name}: no masker of kind {row.masker!r} in gateway/access/masking.py")
        check_maskers()

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
        if isinstance(value, ProtectedText):
            # Free text about a person: whole only to who sees the person's name and address whole.
            if decision.effect is Effect.WHOLE and reveals_person_text(
                ctx.services.policy, source.policy_subjects
            ):
                return value.reveal()
            value = value.masked
        if decision.effect is Effect.MASKED and value is not None:
            return mask(field, value)
        return value
