"""Responsible persons reach the store through every import door: the national layouts'
legal-representative columns and JSON Lines organisation lines; bad ones are refused by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gateway.domain import ResponsibleRole
from gateway.errors import InvalidInput
from gateway.keys.crypto import FieldCipher
from gateway.store.inputs import parse_item
from gateway.store.models import Organization, ResponsiblePerson
from tests.helpers import credit_code, id_number
from tests.import_helpers import DATA, run_import

CODE = credit_code("913717020000888")
ONE = {"name": "周一", "idNumber": id_number(seq=201)}
TWO = {"name": "吴二", "idNumber": id_number(seq=202)}


def holdings(engine: Engine) -> list[tuple[str, str, ResponsibleRole]]:
    with Session(engine) as session:
        stmt = select(Organization.subject_id, ResponsiblePerson.person_id, ResponsiblePerson.role).join(
            ResponsiblePerson, ResponsiblePerson.organization_id == Organization.subject_id
        )
        return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]


def test_the_csv_legal_representative_columns_become_legal_representative_holdings(
    engine: Engine, cipher: FieldCipher
) -> None:
    run_import(engine, cipher, DATA / "penalty_current.csv")
    with Session(engine) as session:
        reps = {
            (org, rep)
            for org, rep in session.execute(
                select(Organization.subject_id, Organization.legal_representative_id).where(
                    Organization.legal_representative_id.is_not(None)
                )
            )
        }
    assert reps, "the file names legal representatives"
    assert {
        (org, person)
        for org, person, role in holdings(engine)
        if role is ResponsibleRole.LEGAL_REPRESENTATIVE
    } == reps
    run_import(engine, cipher, DATA / "penalty_current.csv")  # again: each holding once
    assert len(holdings(engine)) == len(reps)


def test_a_json_lines_organisation_line_carries_its_responsible_persons(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    line = {
        "type": "organization",
        "name": "菏泽市示例科技有限公司",
        "creditCode": CODE,
        "responsiblePersons": [
            {"role": "LEGAL_REPRESENTATIVE", **ONE, "since": "2022-01-01"},
            {"role": "ACTUAL_CONTROLLER", **TWO},
        ],
    }
    path = tmp_path / "orgs.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    report = run_import(engine, cipher, path)
    assert not report.rejections
    roles = sorted(role.value for _, _, role in holdings(engine))
    assert roles == ["ACTUAL_CONTROLLER", "LEGAL_REPRESENTATIVE"]
    with Session(engine) as session:
        org = session.scalars(select(Organization)).one()
        # The one current legal representative named among them is the organisation's.
        assert org.legal_representative_id is not None


@pytest.mark.parametrize(
    ("persons", "field", "reason"),
    [
        ([{"role": "OWNER", **ONE}], "responsiblePersons[0].role", "must be one of"),
        ([{"role": "PRINCIPAL", **ONE, "since": "2024-02-01", "until": "2024-01-01"}], "responsiblePersons[0].until", "before since"),
        ([{"role": "PRINCIPAL", "name": "周一", "idNumber": "123"}], "responsiblePersons[0].idNumber", "18 characters"),
        ([{"role": "LEGAL_REPRESENTATIVE", **ONE}, {"role": "LEGAL_REPRESENTATIVE", **TWO}], "responsiblePersons", "two current"),
        ([{"role": "PRINCIPAL", **ONE}, {"role": "PRINCIPAL", **ONE}], "responsiblePersons[1]", "twice"),
        ("周一", "responsiblePersons", "must be a list"),
    ],
)  # fmt: skip
def test_bad_responsible_persons_are_refused_by_field(persons: object, field: str, reason: str) -> None:
    line = {"type": "organization", "name": "示例", "creditCode": CODE, "responsiblePersons": persons}
    with pytest.raises(InvalidInput) as refused:
        parse_item(line)
    assert refused.value.field == field and reason in refused.value.reason


def test_legal_representative_and_responsible_persons_must_agree() -> None:
    line = {
        "type": "organization",
        "name": "示例",
        "creditCode": CODE,
        "legalRepresentative": ONE,
        "responsiblePersons": [{"role": "LEGAL_REPRESENTATIVE", **TWO}],
    }
    with pytest.raises(InvalidInput, match="another current legal representative"):
        parse_item(line)
