"""Operation roles declared on the fields: who is let through, the refusal's code and message, and
that every root field but the public ``organization`` declares its roles."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from gateway.access.tokens import Role
from gateway.api.roles import ANY_TOKEN, HasRole, for_roles
from gateway.api.schema import Mutation, Query
from gateway.errors import Forbidden


def _info(role: Role) -> Info:
    return cast(Info, SimpleNamespace(context=SimpleNamespace(caller=SimpleNamespace(role=role))))


@pytest.mark.parametrize("role", list(Role))
def test_a_role_passes_exactly_when_it_is_declared(role: Role) -> None:
    check = HasRole(Role.PROVIDER, Role.ADMIN)
    answer: Any = check.has_permission(None, _info(role))
    assert answer is (role in (Role.PROVIDER, Role.ADMIN))  # a bool, never an awaitable


def test_the_refusal_is_forbidden_operation_naming_the_roles_in_declared_order() -> None:
    with pytest.raises(Forbidden) as refused:
        HasRole(Role.PROVIDER, Role.ADMIN).on_unauthorized()
    assert refused.value.code == "FORBIDDEN_OPERATION"
    assert refused.value.message == "this operation is for: provider, admin"


def test_any_token_is_every_role_but_the_public() -> None:
    assert Role.PUBLIC not in ANY_TOKEN and len(ANY_TOKEN) == len(Role) - 1


def test_the_extension_adds_no_schema_directive() -> None:
    (extension,) = for_roles(Role.AUDITOR)
    assert isinstance(extension, PermissionExtension) and not extension.use_directives


@pytest.mark.parametrize("root", [Query, Mutation])
def test_every_root_field_declares_its_roles_but_the_public_organization(root: type) -> None:
    undeclared = [
        f.name
        for f in root.__strawberry_definition__.fields  # type: ignore[attr-defined]
        if not any(isinstance(e, PermissionExtension) for e in f.extensions)
    ]
    assert undeclared == (["organization"] if root is Query else [])
