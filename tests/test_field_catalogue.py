"""The field catalogue is the one statement of the guarded fields: the served schema, the policy and
the parser all agree with it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import strawberry

from gateway.access.policy import SCHEMA_FIELDS, FieldPolicy
from gateway.api.app import known_fields
from gateway.api.guard import Guard
from gateway.audit.field_groups import groups_under
from gateway.domain import Category
from gateway.errors import ConfigurationError, InvalidInput
from gateway.store.fields import CATALOGUE, GUARDED_TYPES, schema_fields
from gateway.store.inputs import parse_record
from tests.helpers import credit_code

POLICY_FILE = Path(__file__).resolve().parent.parent / "policies" / "fields.csv"
TODAY = date(2026, 3, 12)


def _policy_objects() -> set[str]:
    objects = set()
    for line in POLICY_FILE.read_text(encoding="utf-8").splitlines():
        tokens = [t.strip() for t in line.split(",")]
        if tokens[0] == "p":
            objects.add(tokens[2])
    return objects


def test_catalogue_is_the_served_guarded_fields_and_the_policy_field_list() -> None:
    catalogue = schema_fields()
    assert len(set(catalogue)) == len(catalogue)
    assert set(catalogue) == set(known_fields())
    assert catalogue == SCHEMA_FIELDS
    assert {f.type_name for f in CATALOGUE} == set(GUARDED_TYPES)
    # Every field is named by a rule of the policy file, itself or through a wildcard.
    objects = _policy_objects()
    for field in catalogue:
        assert field in objects or any(o.endswith("*") and field.startswith(o[:-1]) for o in objects), field


@strawberry.type(name="Person")
class StrayPerson:
    @strawberry.field(extensions=[Guard()])
    def shoe_size(self) -> int | None:
        return 42


@strawberry.type
class StrayQuery:
    person: StrayPerson | None = None


def test_a_guarded_field_outside_the_catalogue_stops_the_schema_build() -> None:
    # graphql-core reports an error raised while it builds a type's fields as a TypeError naming it.
    with pytest.raises((ConfigurationError, TypeError), match=r"StrayPerson\.shoeSize is guarded"):
        strawberry.Schema(query=StrayQuery)


FULL: dict[str, Any] = {
    "subject": {"creditCode": credit_code()},
    "category": "ADMINISTRATIVE_PENALTY",
    "documentNumber": "鲁市监罚〔2026〕1号",
    "authorityCode": credit_code("113700000042060"),
    "decisionDate": "2026-03-01",
    "content": "内容",
    "providerCode": credit_code("113700000042060"),
}


def _full(changes: dict[str, Any], category: Category) -> None:
    parse_record(FULL | {"category": category.value} | changes, today=TODAY)


def _partial(changes: dict[str, Any], category: Category) -> None:
    parse_record(changes, partial=True, category=category, today=TODAY)


@pytest.mark.parametrize("parse", [_full, _partial], ids=["full", "partial"])
@pytest.mark.parametrize(
    ("changes", "category", "field", "reason"),
    [
        (
            {"content": "字" * 20_001},
            Category.ADMINISTRATIVE_PENALTY,
            "content",
            "is longer than 20000 characters",
        ),
        (
            {"authorityName": "名" * 201},
            Category.ADMINISTRATIVE_PENALTY,
            "authorityName",
            "is longer than 200",
        ),
        (
            {"procedure": "SIMPLE"},
            Category.ADMINISTRATIVE_LICENSING,
            "procedure",
            "administrative penalties only",
        ),
        ({"kept": True}, Category.ADMINISTRATIVE_PENALTY, "kept", "credit commitments only"),
        ({"decisionDate": "2026-03-13"}, Category.ADMINISTRATIVE_PENALTY, "decisionDate", "is in the future"),
        ({"severity": "HUGE"}, Category.ADMINISTRATIVE_PENALTY, "severity", "must be one of"),
        ({"amount10kYuan": "-1"}, Category.ADMINISTRATIVE_PENALTY, "amount10kYuan", "non-negative"),
    ],
)
def test_a_partial_parse_applies_the_rules_of_a_full_one(
    parse: Any, changes: dict[str, Any], category: Category, field: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse(changes, category)
    assert refused.value.field == field and reason in refused.value.reason


def test_the_same_values_parse_alike_in_both_modes() -> None:
    changes = {"content": " 新内容 ", "procedure": "simple", "amount10kYuan": "1.5", "validUntil": "2027/1/2"}
    full = parse_record(FULL | changes, today=TODAY)
    partial = parse_record(changes, partial=True, category=Category.ADMINISTRATIVE_PENALTY, today=TODAY)
    assert partial == {name: getattr(full, name) for name in partial}


def test_the_audit_field_groups_follow_from_the_catalogue_and_the_consent_rules() -> None:
    # The groups a person's query history shows, as docs/audit.md publishes them: stated nowhere in
    # code, derived from the consent scopes' rules and the catalogue's audit groups.
    policy = FieldPolicy.load(POLICY_FILE.parent, SCHEMA_FIELDS)
    groups = groups_under(policy.consent_fields())
    assert dict(groups.fields) == {
        "Person.id": "IDENTITY",
        "Person.name": "IDENTITY",
        "Person.idNumber": "IDENTITY",
        "Person.phone": "CONTACT",
        "Person.address": "CONTACT",
        "Person.healthStatus": "SENSITIVE",
        "Person.religion": "SENSITIVE",
        "Person.records": "RECORDS",
        "Person.linkedRecords": "RECORDS",
        "Person.listEntries": "LISTS",
        "Person.responsibilities": "LISTS",
        "Person.queryHistory": "HISTORY",
    }
    assert groups.group("CreditRecord.content") == "RECORDS"
    assert groups.group("ListEntry.reason") == "LISTS"
    assert groups.group("Organization.name") is None
    document = {
        "fields": {"whole": {"Person.id": 1, "CreditRecord.id": 2}, "masked": {"ListEntry.reason": 1}}
    }
    assert groups.of(document) == ["IDENTITY", "LISTS", "RECORDS"]
