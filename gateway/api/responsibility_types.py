"""What reaches a person from the organisations they answer for (落实到人), as GraphQL types: served by
``creditCheck`` (``CreditCheck.responsibilities``) and on the person (``Person.responsibilities``, the
person's own view and a consented lookup). The list entries and records they cite are the guarded
types, read under the subjects of the object that returns them."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from gateway.access.visibility import Viewer
from gateway.api.context import RequestContext
from gateway.api.types import CreditRecord, ListEntry
from gateway.domain import CheckMatter, ResponsibleRole
from gateway.lifecycle.rules.responsibility import Reach, ReachBasis

strawberry.enum(ResponsibleRole)
strawberry.enum(ReachBasis)

Subjects = frozenset[str]


@strawberry.type(description="A restriction a reaching black listing brings in one check matter.")
class PersonalRestriction:
    matter: CheckMatter
    code: str
    description: str
    source: str


@strawberry.type(
    description=(
        "An organisation's black list entry in force or serious dishonesty reaching a person who answers "
        "for it as legal representative, principal or actual controller (落实到人), with the reason."
    )
)
class ResponsibilityReach:
    reach: strawberry.Private[Reach]
    subjects: strawberry.Private[Subjects]
    viewer: strawberry.Private[Viewer]

    @strawberry.field
    def role(self) -> ResponsibleRole:
        return self.reach.holding.role

    @strawberry.field(description="The organisation's credit code (an individual business's masked).")
    def organization_code(self) -> str:
        return self.reach.holding.organization_code

    @strawberry.field(description="First day the person held the role; null: not known.")
    def role_since(self) -> date | None:
        return self.reach.holding.since

    @strawberry.field(description="Last day the person held the role; null: still holds it.")
    def role_until(self) -> date | None:
        return self.reach.holding.until

    @strawberry.field
    def basis(self) -> ReachBasis:
        return self.reach.basis

    @strawberry.field(
        description='Why it reaches the person: "legal representative of 91…, black list entry …, since …".'
    )
    def reason(self) -> str:
        return self.reach.reason

    @strawberry.field(description="The organisation's black list entry, for a black listing.")
    def list_entry(self) -> ListEntry | None:
        x = self.reach.listing
        return (
            None if x is None else ListEntry(row=x.entry, policy_subjects=self.subjects, viewer=self.viewer)
        )

    @strawberry.field(description="The organisation's record, for a serious dishonesty.")
    def record(self) -> CreditRecord | None:
        r = self.reach.record
        return None if r is None else CreditRecord(row=r, policy_subjects=self.subjects)

    @strawberry.field(
        description="The restrictions it brings, per check matter the policy extends to people (policies/credit-check.toml)."
    )
    def restrictions(self, info: Info) -> list[PersonalRestriction]:
        ctx: RequestContext = info.context
        measures = ctx.services.lifecycle.checks.restrictions
        return [
            PersonalRestriction(matter=matter, code=m.code, description=m.description, source=m.source)
            for matter in CheckMatter
            if matter in self.reach.matters
            for m in measures[matter]
        ]


def reach_types(reached: tuple[Reach, ...], subjects: Subjects, viewer: Viewer) -> list[ResponsibilityReach]:
    return [ResponsibilityReach(reach=x, subjects=subjects, viewer=viewer) for x in reached]
