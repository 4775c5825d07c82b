"""Error naming of the shared input parsers: nested fields by full path, NUL refused everywhere."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.domain import Category
from gateway.errors import InvalidInput
from gateway.store.inputs import parse_item
from tests.helpers import credit_code, id_number

AUTHORITY = credit_code("113717000000001")
COMPANY = credit_code("913717020000001")


def _org(rep: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "organization",
        "name": "示例商贸有限公司",
        "creditCode": COMPANY,
        "legalRepresentative": rep,
    }


def _list_entry(record_key: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "listEntry",
        "subject": {"creditCode": COMPANY},
        "kind": "BLACK",
        "listName": "严重违法失信名单",
        "authorityCode": AUTHORITY,
        "reason": "严重违法",
        "listedOn": "2026-02-25",
        "records": [
            {"authorityCode": AUTHORITY, "documentNumber": "A1号", "category": "ADMINISTRATIVE_PENALTY"},
            record_key,
        ],
    }


@pytest.mark.parametrize(
    ("obj", "field", "reason"),
    [
        (_org({"idNumber": id_number()}), "legalRepresentative.name", "is required"),
        (_org({"name": "张伟"}), "legalRepresentative.idNumber", "is required"),
        (
            _org({"name": "张伟", "idNumber": id_number()[:17] + "0"}),
            "legalRepresentative.idNumber",
            "bad check character",
        ),
        (
            _org({"name": "张伟", "idNumber": id_number(), "phone": "12345"}),
            "legalRepresentative.phone",
            "must be a mainland mobile (11 digits) or landline number with area code",
        ),
        (
            _list_entry({"authorityCode": AUTHORITY, "category": "ADMINISTRATIVE_PENALTY"}),
            "records[1].documentNumber",
            "is required",
        ),
        (
            _list_entry({"documentNumber": "A2号", "category": "ADMINISTRATIVE_PENALTY"}),
            "records[1].authorityCode",
            "is required",
        ),
        (
            _list_entry({"authorityCode": AUTHORITY, "documentNumber": "A2号", "category": "FINE"}),
            "records[1].category",
            "must be one of " + ", ".join(Category),
        ),
        (
            {"type": "person", "name": "张\x00伟", "idNumber": id_number()},
            "name",
            "must not contain NUL characters",
        ),
    ],
)
def test_errors_name_nested_fields_by_their_full_path(obj: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_item(obj)
    assert (caught.value.field, caught.value.reason) == (field, reason)
