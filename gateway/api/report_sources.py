"""What a report is read from: the one place that decides which GraphQL read of which subject a
requester's report is made of.

A report holds exactly what its requester could read over GraphQL, because it *is* that read: the
root field chosen here runs through the same schema, roles, admission (consent), row visibility
(display periods, repaired and revoked records), field policy and masking as the requester's own
query would (``gateway.api.reports``). Nothing here decides a field; it only says whose read.

- an individual's own report: ``me`` (free of charge, no consent: 002 二(二)4);
- a partner's report on an organisation: ``organization(creditCode)``, what partners see of it;
- a partner's report on a person: ``person(idNumber, purpose, consent)``, the person's consent for
  the report's purpose, counted as one use, exactly as a lookup.

An organisation's own report is one more branch here (its role and its root field).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry

from gateway.access.tokens import Caller, Role
from gateway.domain import ConsentPurpose, SubjectKind
from gateway.errors import Forbidden, InvalidInput
from gateway.reports.document import Requester


@strawberry.input(
    description=(
        "Whom a report is about. Leave it out for your own report (an individual: `me`; an enterprise: "
        "`myOrganization`). A partner "
        "names an organisation by `creditCode`, or a person by `idNumber` with the person's `consent` "
        "token for the report's purpose."
    )
)
class ReportSubjectInput:
    credit_code: str | None = None
    id_number: str | None = None
    consent: str | None = None


@dataclass(frozen=True, slots=True)
class ReportRead:
    """One root field of the schema, its arguments, and the requester the report names."""

    root: str
    type_name: str  # the GraphQL type the root field returns: Person or Organization
    kind: SubjectKind | None  # None: the read says (an organisation's ``kind``)
    variable_definitions: str
    arguments: str
    variables: dict[str, Any]
    requester: Requester


def report_read(caller: Caller, subject: ReportSubjectInput | None, purpose: ConsentPurpose) -> ReportRead:
    """The read a report of ``subject`` for ``caller`` is made of, or FORBIDDEN_OPERATION /
    INVALID_INPUT for a request no read answers."""
    code = subject.credit_code if subject else None
    number = subject.id_number if subject else None
    consent = subject.consent if subject else None
    if code is not None and number is not None:
        raise InvalidInput("subject", "name one subject: creditCode or idNumber, not both")
    if code is None and number is None:
        if consent is not None:
            raise InvalidInput(
                "subject.consent", "a consent goes with the idNumber of the person who gave it"
            )
        if caller.role is Role.INDIVIDUAL:
            return ReportRead(
                "me", "Person", SubjectKind.PERSON, "", "", {}, Requester(caller.role.value, own_report=True)
            )
        if caller.role is Role.ENTERPRISE:  # an organisation's own record, as myOrganization shows it
            return ReportRead(
                "myOrganization", "Organization", None, "", "", {},
                Requester(caller.role.value, organization=caller.org_code, own_report=True),
            )  # fmt: skip
        raise Forbidden("only a subject can ask for its own report; name the subject")
    if caller.role is not Role.PARTNER:
        raise Forbidden("reports on another subject are for partners")
    requester = Requester(caller.role.value, organization=caller.org_code)
    if code is not None:
        if consent is not None:
            raise InvalidInput("subject.consent", "an organisation's report takes no consent")
        return ReportRead(
            "organization", "Organization", None, "($code: String!)", "(creditCode: $code)",
            {"code": code}, requester,
        )  # fmt: skip
    if consent is None:
        raise InvalidInput(
            "subject.consent", "a report on a person needs the person's consent token for its purpose"
        )
    return ReportRead(
        "person", "Person", SubjectKind.PERSON,
        "($number: String!, $purpose: ConsentPurpose!, $consent: String!)",
        "(idNumber: $number, purpose: $purpose, consent: $consent)",
        {"number": number, "purpose": purpose.value, "consent": consent}, requester,
    )  # fmt: skip
