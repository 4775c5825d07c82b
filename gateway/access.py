"""Who a caller is, in the policy's terms: the subjects the Casbin policy decides on, and the row
level (viewer) the caller reads at. The one place that maps callers to policy subjects."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.domain import ConsentScope
from gateway.tokens import Caller, Role
from gateway.visibility import Viewer

SELF = "self"


def caller_subjects(caller: Caller) -> frozenset[str]:
    subjects = {caller.role.value.lower()}
    if caller.role is Role.PARTNER and caller.agency_kind is not None:
        subjects.add(f"partner:{caller.agency_kind.value}")
    return frozenset(subjects)


def consent_subjects(scopes: Iterable[ConsentScope]) -> frozenset[str]:
    return frozenset(f"consent:{scope.value.lower()}" for scope in scopes)


def viewer_for(caller: Caller) -> Viewer:
    if caller.role in (Role.ADMIN, Role.AUDITOR):
        return Viewer.ARCHIVE
    if caller.role is Role.PUBLIC:
        return Viewer.PUBLIC
    return Viewer.QUERY
