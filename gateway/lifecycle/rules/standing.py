"""Who may act for a record's subject: file an objection (异议) or apply for credit repair (信用修复).

A person acts for themself (subjects may query and correct their own information, 002 二(二)4,
二(七)3). An organisation acts for itself with an enterprise token (its credit code; the service
resolves the organisation it names, ``gateway.access.own``), through its legal representative's own
account (the seeds record an organisation's serious dishonesty against its legal representative
too, 001 (十), 004 三(二), and a representative applies in the organisation's name in practice), or
through a partner agency acting for it, as credit offices and approval halls do when they take
applications at the counter (002 二(七)4: 协同联动、一网通办). Nobody files for a person but the
person.
"""

from __future__ import annotations

from gateway.access.tokens import Caller, Role
from gateway.domain import FilerKind, SubjectKind
from gateway.errors import NotEntitled


def standing(
    caller: Caller,
    *,
    subject_id: str,
    subject_kind: SubjectKind,
    legal_representative_id: str | None,
    caller_organization_id: str | None = None,
) -> FilerKind:
    """How ``caller`` may act for the subject, or NotEntitled. ``caller_organization_id`` is the
    subject id of the organisation an enterprise caller is (None when its code names none): an
    enterprise acts for that organisation alone."""
    if caller.role is Role.ENTERPRISE:
        if (
            caller_organization_id is not None
            and caller_organization_id == subject_id
            and subject_kind is SubjectKind.ORGANIZATION
        ):
            return FilerKind.SUBJECT
        raise NotEntitled("an enterprise acts only for its own organisation's records")
    if caller.role is Role.INDIVIDUAL and caller.person_id is not None:
        if caller.person_id == subject_id:
            return FilerKind.SUBJECT
        if subject_kind is not SubjectKind.PERSON and caller.person_id == legal_representative_id:
            return FilerKind.LEGAL_REPRESENTATIVE
    if caller.role is Role.PARTNER and subject_kind is not SubjectKind.PERSON:
        return FilerKind.AGENCY
    raise NotEntitled(
        "only the record's subject, its legal representative or an agency acting for it may do this"
    )


def filer_id(caller: Caller) -> str:
    """How the filer is recorded: a person's pseudonymous subject id, or the credit code of an agency
    or of an enterprise filing for itself."""
    value = caller.person_id if caller.role is Role.INDIVIDUAL else caller.org_code
    if value is None:
        raise NotEntitled("this caller carries no identity to file under")
    return value


def deciding_authority(caller: Caller, authority_code: str) -> str:
    """Only the provider of the issuing authority decides ("who produces is responsible",
    000 政务 9, 003 second plan 二(五): 信息提供和采集单位应当及时核实、处置、反馈)."""
    if caller.role is not Role.PROVIDER or caller.org_code != authority_code:
        raise NotEntitled("only the issuing authority's provider decides this")
    return authority_code
