"""``report(subject, purpose, sections)``: a signed credit report of what the requester may see.

The report's content is the requester's own GraphQL read (``report_sources.report_read`` chooses
which), run through the same schema inside this operation: the same roles, consent admission, row
visibility (display periods; revoked and repaired records left out), field policy and masking as a
query, so a report can never hold a field the requester could not read. A field the policy denies is
left out and named in ``withheld``; a section the requester did not choose is listed as not
disclosed. The document is then signed (``gateway.reports``) and noted on the operation's audit event
(serial, subject, sections), where the subject finds it in "who looked at me".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSchema, get_named_type, is_leaf_type, is_non_null_type
from strawberry.types import Info

from gateway.access.tokens import Role
from gateway.api.context import RequestContext
from gateway.api.report_sources import ReportRead, ReportSubjectInput, report_read
from gateway.api.roles import for_roles
from gateway.domain import ConsentPurpose, SubjectKind
from gateway.errors import ConfigurationError, GatewayError, InvalidInput, NotFound
from gateway.reports import status
from gateway.reports.document import SECTIONS, ReportSection, new_serial, report_document
from gateway.reports.status import ReportState

strawberry.enum(ReportSection, description="What a credit report can hold (docs/reports.md).")
strawberry.enum(ReportState, description='A signed report\'s status now (docs/reports.md, "Status").')

# The field of the subject's type each section reads; IDENTITY is the type's own scalar fields.
SECTION_FIELDS: dict[ReportSection, tuple[str, str]] = {
    ReportSection.RECORDS: ("records", "CreditRecord"),
    ReportSection.LINKED_RECORDS: ("linkedRecords", "CreditRecord"),
    ReportSection.LIST_ENTRIES: ("listEntries", "ListEntry"),
    ReportSection.LEGAL_REPRESENTATIVE: ("legalRepresentative", "Person"),
}
_SECTION_OF_FIELD = {name: section for section, (name, _) in SECTION_FIELDS.items()}
_ID, _KIND = "reportSubjectId", "reportSubjectKind"  # aliases the read adds for the report's subject


@strawberry.type(description="A signed credit report (docs/reports.md: format, bytes signed, keys).")
class IssuedReport:
    serial: str
    issued_at: datetime
    valid_until: datetime
    purpose: ConsentPurpose
    sections: list[ReportSection] = strawberry.field(description="The sections disclosed.")
    not_disclosed: list[ReportSection] = strawberry.field(
        description="The subject's sections the requester left out: not disclosed, which is not empty."
    )
    withheld: list[str] = strawberry.field(
        description="Sections or fields (SECTION.field) the policy does not show this requester."
    )
    key_id: str = strawberry.field(description="The report-<n> key that signed it (/keys/reports.jwks).")
    document: str = strawberry.field(description="The signed payload: the report document as JSON.")
    jws: str = strawberry.field(description="The report: a compact JWS to hand over and verify offline.")


@strawberry.type(description="What the gateway says of a report today; nothing of its content.")
class ReportStatusResult:
    serial: str
    state: ReportState
    issued_at: datetime | None
    valid_until: datetime | None
    changed_since_issue: int = strawberry.field(
        description="Cited records corrected or revoked, and cited list entries revoked, since issue."
    )


def _leaves(schema: GraphQLSchema, type_name: str) -> list[str]:
    """The scalar and enum fields of a type that need no argument: what a section shows of it."""
    fields = schema.get_type(type_name).fields  # type: ignore[union-attr]
    return [
        name
        for name, f in fields.items()
        if is_leaf_type(get_named_type(f.type)) and not any(is_non_null_type(a.type) for a in f.args.values())
    ]


def _selection(schema: GraphQLSchema, type_name: str, section: ReportSection) -> str:
    if section is ReportSection.IDENTITY:
        return " ".join(_leaves(schema, type_name))
    name, child = SECTION_FIELDS[section]
    inner = " ".join(_leaves(schema, child))
    if section is ReportSection.LIST_ENTRIES:
        inner += " records { " + " ".join(_leaves(schema, "CreditRecord")) + " }"
    return f"{name} {{ {inner} }}"


def _query(schema: GraphQLSchema, read: ReportRead, sections: list[ReportSection]) -> str:
    parts = [f"{_ID}: id"]
    if read.kind is None:
        parts.append(f"{_KIND}: kind")
    parts += [_selection(schema, read.type_name, s) for s in sections]
    return (
        f"query Report{read.variable_definitions} {{ {read.root}{read.arguments} {{ {' '.join(parts)} }} }}"
    )


def _drop(data: Any, path: list[str | int]) -> None:
    """Remove the denied field at ``path`` (below the root) from the read's answer."""
    node = data
    for step in path[:-1]:
        if node is None:
            return
        node = node[step]
    if isinstance(node, dict):
        node.pop(path[-1], None)


def _withheld(path: list[str | int]) -> str:
    section = _SECTION_OF_FIELD.get(str(path[0]), ReportSection.IDENTITY)
    rest = [str(p) for p in (path if section is ReportSection.IDENTITY else path[1:]) if isinstance(p, str)]
    return ".".join([section.value, *rest])


def _reraise(error: GraphQLError) -> None:
    original = error.original_error
    if isinstance(original, GatewayError | GraphQLError):
        raise original
    raise error


def _chosen(kind: SubjectKind, sections: list[ReportSection] | None) -> list[ReportSection]:
    allowed = SECTIONS[kind]
    if sections is None:
        return list(allowed)
    strays = sorted({s.value for s in sections} - {s.value for s in allowed})
    if strays:
        raise InvalidInput("sections", f"a report on this subject has no section {', '.join(strays)}")
    if not sections:
        raise InvalidInput("sections", "choose at least one section")
    return [s for s in allowed if s in sections]


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description=(
            "A signed credit report for a stated purpose: exactly what you may read of the subject "
            "(the same policy, masking and display periods as a query), the sections you choose, the "
            "rest marked not disclosed. Your own report without `subject`; a partner's report on an "
            "organisation by credit code, or on a person with the person's consent for the purpose."
        ),
        extensions=for_roles(Role.INDIVIDUAL, Role.ENTERPRISE, Role.PARTNER),
    )
    def report(
        self,
        info: Info,
        purpose: ConsentPurpose,
        subject: ReportSubjectInput | None = None,
        sections: list[ReportSection] | None = None,
    ) -> IssuedReport:
        ctx: RequestContext = info.context
        signer, rules = ctx.services.reports, ctx.services.report_rules
        if signer is None or rules is None:
            raise ConfigurationError("reports are not configured on this gateway")
        read = report_read(ctx.caller, subject, purpose)
        # The graphql-core schema behind Strawberry's: the selections are built from its types, so a
        # field added to Person or CreditRecord is in the next report with no edit here.
        schema: GraphQLSchema = info.schema._schema
        # An organisation and an agency (the read says which) have the same sections.
        chosen = _chosen(read.kind or SubjectKind.ORGANIZATION, sections)
        ctx.purpose = purpose.value
        result = info.schema.execute_sync(_query(schema, read, chosen), read.variables, context_value=ctx)
        withheld: list[str] = []
        data = (result.data or {}).get(read.root)
        for error in result.errors or []:
            code = (error.extensions or {}).get("code")
            if code != "FORBIDDEN_FIELD" or data is None or not error.path or len(error.path) < 2:
                _reraise(error)
            withheld.append(_withheld(list(error.path[1:])))
            _drop(data, list(error.path[1:]))
        if data is None:
            raise NotFound("no such subject")
        kind = read.kind or SubjectKind(data.pop(_KIND))
        subject_id = data.pop(_ID, None)
        if not isinstance(subject_id, str):
            raise ConfigurationError("the policy hides the subject's id from this requester")
        contents: dict[ReportSection, Any] = {}
        for section in chosen:
            if section is ReportSection.IDENTITY:
                contents[section] = {k: v for k, v in data.items() if k not in _SECTION_OF_FIELD}
            elif SECTION_FIELDS[section][0] in data:
                contents[section] = data[SECTION_FIELDS[section][0]]
        issued_at = ctx.now.astimezone(UTC).replace(microsecond=0)
        serial = new_serial(issued_at)
        document = report_document(
            serial=serial, issued_at=issued_at, valid_for=rules.validity(purpose), purpose=purpose.value,
            requester=read.requester, subject_kind=kind, subject_id=subject_id, contents=contents,
            chosen=chosen, withheld=withheld,
        )  # fmt: skip
        signed = signer.sign(document)
        valid_until = datetime.fromtimestamp(document["exp"], UTC)
        status.note_issue(
            ctx.session,
            document=document,
            payload=signed.payload,
            issued_at=issued_at,
            valid_until=valid_until,
        )
        ctx.reports.append(
            {
                "serial": serial,
                "subject": subject_id,
                "sections": sorted(document["sections"]),
                "not_disclosed": document["not_disclosed"],
                "withheld": document["withheld"],
            }
        )
        return IssuedReport(
            serial=serial,
            issued_at=issued_at,
            valid_until=valid_until,
            purpose=purpose,
            sections=[ReportSection(s) for s in document["sections"]],
            not_disclosed=[ReportSection(s) for s in document["not_disclosed"]],
            withheld=document["withheld"],
            key_id=signed.kid,
            document=signed.payload.decode("utf-8"),
            jws=signed.jws,
        )

    @strawberry.field(
        description=(
            "Whether a signed report still stands: VALID, EXPIRED, SUPERSEDED (a record it cited was "
            "corrected or revoked, or a list entry it cited revoked, since it was issued) or UNKNOWN. "
            "Give the payload's SHA-256 (hex) to be sure it is the same report. Open to anyone."
        ),
        extensions=for_roles(*Role),  # every caller, the public without a token included
    )
    def report_status(self, info: Info, serial: str, payload_sha256: str | None = None) -> ReportStatusResult:
        ctx: RequestContext = info.context
        found = status.status_of(ctx.session, serial[:64], now=ctx.now, payload_sha256=payload_sha256)
        return ReportStatusResult(
            serial=serial[:64],
            state=found.state,
            issued_at=found.issued_at,
            valid_until=found.valid_until,
            changed_since_issue=found.changed,
        )
