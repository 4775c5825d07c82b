"""Who a caller is, in the policy's terms: the subjects the Casbin policy decides on, and the row
level (viewer) the caller reads at. The one place that maps callers to policy subjects.

A subject reading its own record carries a per-request subject on top of its role: ``self`` for a
person (an individual token on its own person), ``self:organization`` for an organisation (an
enterprise token on the organisation its credit code names). The two are kept apart because an
organisation reading itself is not its legal representative: ``self`` opens every field of a
person, ``self:organization`` the organisation's own record and no more of any person than
``policies/fields.csv`` gives it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.access.tokens import Caller, Role
from gateway.access.visibility import Viewer
from gateway.domain import ConsentScope

SELF = "self"
SELF_ORGANIZATION = "self:organization"

# The roles whose callers are themselves a subject of the store, and read their own record whole.
_OWN_SUBJECT = {Role.INDIVIDUAL: SELF, Role.ENTERPRISE: SELF_ORGANIZATION}


def caller_subjects(caller: Caller) -> frozenset[str]:
    subjects = {caller.role.value.lower()}
    if caller.role is Role.PARTNER and caller.agency_kind is not None:
        subjects.add(f"partner:{caller.agency_kind.value}")
    return frozenset(subjects)


def consent_subjects(scopes: Iterable[ConsentScope]) -> frozenset[str]:
    return frozenset(f"consent:{scope.value.lower()}" for scope in scopes)


def own_subject(caller: Caller) -> str | None:
    """The per-request subject ``caller`` carries on its own record: ``self``, ``self:organization``,
    or None for a role that is no subject of the store (agencies, auditors, admins)."""
    return _OWN_SUBJECT.get(caller.role)


def viewer_for(caller: Caller, *, own_record: bool = False) -> Viewer:
    """The row level ``caller`` reads at. A signed-in person or organisation reads other subjects'
    rows as the public does (the policy's ``g, individual, public`` and ``g, enterprise, public``: no
    unpublished penalties, 000 双公示 二(三)) and its own record (``own_record``) whole, free of
    charge (002 二(二)4)."""
    if caller.role in (Role.ADMIN, Role.AUDITOR):
        return Viewer.ARCHIVE
    if caller.role is Role.PUBLIC or (caller.role in _OWN_SUBJECT and not own_record):
        return Viewer.PUBLIC
    return Viewer.QUERY


@dataclass(frozen=True, slots=True)
class Reading:
    """What a caller reads one subject's record under: the policy subjects and the row level."""

    policy_subjects: frozenset[str]
    viewer: Viewer


def reading(caller: Caller, *, own_record: bool) -> Reading:
    """How ``caller`` reads a subject's record: as its role, plus its own-record subject when the
    record is its own (``own_record``, decided by who the caller is: ``gateway.access.own``)."""
    subjects = caller_subjects(caller)
    own = own_subject(caller) if own_record else None
    if own is not None:
        subjects = subjects | {own}
    return Reading(subjects, viewer_for(caller, own_record=own is not None))
