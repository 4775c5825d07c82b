"""The policy of punishment reaching the responsible people (``[responsible_persons]`` of
policies/credit-check.toml): the repository's local default, and a bad table refused at load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.domain import CheckMatter, ResponsibleRole
from gateway.errors import ConfigurationError
from gateway.lifecycle.rules.config import read_toml
from gateway.lifecycle.rules.responsibility import ReachRules

POLICIES = Path(__file__).resolve().parent.parent / "policies"
GOOD: dict[str, Any] = {"roles": ["PRINCIPAL"], "matters": "*", "local_default": False, "source": "test"}


def test_the_local_default_reaches_every_role_in_every_matter() -> None:
    rules = ReachRules.parse(read_toml(POLICIES / "credit-check.toml"), "credit-check.toml")
    assert rules.roles == frozenset(ResponsibleRole) and rules.matters == frozenset(CheckMatter)
    assert rules.local_default and "落实到人" in rules.source


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        (None, r"expected a \[responsible_persons\] table"),
        ({**GOOD, "roles": ["OWNER"]}, "roles must be among"),
        ({**GOOD, "matters": "all"}, "matters must be a list"),
        ({**GOOD, "local_default": "yes"}, "local_default must be true or false"),
        ({**GOOD, "source": " "}, "source must be a non-empty string"),
        ({**GOOD, "days": 3}, "unknown key 'days'"),
    ],
)
def test_a_bad_table_is_refused_naming_the_problem(table: dict[str, Any] | None, problem: str) -> None:
    document = {} if table is None else {"responsible_persons": table}
    with pytest.raises(ConfigurationError, match=problem):
        ReachRules.parse(document, "credit-check.toml")


def test_a_narrower_policy_names_only_some_roles_and_matters() -> None:
    rules = ReachRules.parse({"responsible_persons": {**GOOD, "matters": ["COMMENDATION"]}}, "x")
    assert rules.roles == {ResponsibleRole.PRINCIPAL} and rules.matters == {CheckMatter.COMMENDATION}
