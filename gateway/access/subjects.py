"""Who a caller is, in the policy's terms: the subjects the Casbin policy decides on, and the row
level (viewer) the caller reads at. The one place that maps callers to policy subjects."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.access.tokens import Caller, Role
from gateway.access.visibility import Viewer
from gateway.domain import ConsentScope

SELF = "self"


def caller_subjects(caller: Caller) -> frozenset[str]:
    subjects = {caller.role.value.lower()}
    if caller.role is Role.PARTNER and caller.agency_kind is not None:
        subjects.add(f"partner:{caller.agency_kind.value}")
    return frozenset(subjects)


def consent_subjects(scopes: Iterable[ConsentScope]) -> frozenset[str]:
    return frozenset(f"consent:{scope.value.lower()}" for scope in scopes)


def viewer_for(caller: Caller, *, own_record: bool = False) -> Viewer:
    """The row level ``caller`` reads at. A signed-in person reads other subjects' rows as the public
    does (the policy's ``g, individual, public``: no unpublished penalties, 000 双公示 二(三)) and
    their own record (``own_record``) whole, free of charge (002 二(二)4)."""
    if caller.role in (Role.ADMIN, Role.AUDITOR):
        return Viewer.ARCHIVE
    if caller.role is Role.PUBLIC or (caller.role is Role.INDIVIDUAL and not own_record):
        return Viewer.PUBLIC
    return Viewer.QUERY
