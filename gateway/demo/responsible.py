"""Demo examples of punishment reaching the responsible people (落实到人) and of a minor's record.

A black-listed company with its legal representative, principal and actual controller, and a person
with a record of an act committed at 16 beside one of the same person as an adult: written through
the store writer like every other demo row, dated from the day the demo is made so that both stay in
force. ``find_examples`` finds them again on a later ``serve --demo`` (by the company's fixed credit
code and the minor's record), so the printed sample queries always name them (docs/lifecycle.md,
"Responsible persons" and "Minors").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain import Category, ListKind, ResponsibleRole, Severity
from gateway.identifiers import credit_code_check_char, id_number_check_char
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.rules.periods import add_months, today_in_china
from gateway.store.inputs import (
    ListEntryInput,
    OrganizationInput,
    PersonInput,
    RecordInput,
    ResponsiblePersonInput,
    SubjectRef,
)
from gateway.store.models import CreditRecord, Organization, ResponsiblePerson
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar

_CODE_BODY = "91371702MA3DEM08"  # 16 characters; a check character makes it a valid GB 32100 code
COMPANY_CODE = _CODE_BODY + "1" + credit_code_check_char(_CODE_BODY + "1")
MINOR_DOCUMENT = "菏牡市监罚〔未〕1号"


@dataclass(frozen=True, slots=True)
class Examples:
    company_code: str
    holders: dict[ResponsibleRole, str]  # role -> person subject id
    minor_id: str


def _id_number(region: str, born: date, seq: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + id_number_check_char(first17)


def add_examples(
    session: Session,
    cipher: FieldCipher,
    *,
    authority_code: str,
    calendar: WorkCalendar,
    now: datetime,
) -> Examples:
    """Write the examples (an unchanged re-run changes nothing) and return who they are."""
    today = today_in_china(now)
    holders = {
        ResponsibleRole.LEGAL_REPRESENTATIVE: PersonInput(
            "韩立德", _id_number("371702", date(1976, 5, 8), 311)
        ),
        ResponsibleRole.PRINCIPAL: PersonInput("冯守正", _id_number("371702", date(1983, 9, 21), 425)),
        ResponsibleRole.ACTUAL_CONTROLLER: PersonInput(
            "褚景行", _id_number("371703", date(1969, 2, 14), 537)
        ),
    }
    company = OrganizationInput(
        name="菏泽市示范建材有限公司",
        credit_code=COMPANY_CODE,
        registered_address="山东省菏泽市牡丹区长江路66号",
        legal_representative=holders[ResponsibleRole.LEGAL_REPRESENTATIVE],
        responsible_persons=tuple(
            ResponsiblePersonInput(role, person, since=date(2018, 4, 1)) for role, person in holders.items()
        ),
    )
    company_ref = SubjectRef(credit_code=COMPANY_CODE)
    serious = RecordInput(
        subject=company_ref,
        category=Category.ADMINISTRATIVE_PENALTY,
        document_number="菏牡市监罚〔示〕1号",
        authority_code=authority_code,
        decision_date=today - timedelta(days=20),
        content="生产销售不合格建材，情节严重，罚款50万元。",
        severity=Severity.SERIOUS,
        penalty_kinds="罚款",
        provider_code=authority_code,
    )
    listing = ListEntryInput(
        subject=company_ref,
        kind=ListKind.BLACK,
        list_name="严重违法失信名单",
        authority_code=authority_code,
        reason="生产销售不合格建材，情节严重",
        listed_on=today - timedelta(days=10),
        records=(serious.key,),
    )
    # 16 years old on the day of the act, a month before the decision: a minor's record, shown for the
    # minors' shorter period (6 months by default) from the decision.
    acted = today - timedelta(days=60)
    minor = PersonInput(
        "卫小安", _id_number("371702", add_months(acted, -16 * 12) - timedelta(days=100), 649)
    )
    minor_record = RecordInput(
        subject=SubjectRef(id_number=minor.id_number),
        category=Category.ADMINISTRATIVE_PENALTY,
        document_number=MINOR_DOCUMENT,
        authority_code=authority_code,
        decision_date=today - timedelta(days=30),
        act_date=acted,
        content="在校外无证摆摊经营，警告。",
        severity=Severity.GENERAL,
        penalty_kinds="警告",
        provider_code=authority_code,
    )
    writer = StoreWriter(session, cipher, calendar=calendar, clock=lambda: now)
    writer.write([*holders.values(), company, serious, listing, minor, minor_record])
    found = find_examples(session)
    assert found is not None
    return found


def find_examples(session: Session) -> Examples | None:
    """The examples of an earlier run, or None when the store has none."""
    company = session.scalar(select(Organization.subject_id).where(Organization.credit_code == COMPANY_CODE))
    minor = session.scalar(
        select(CreditRecord.subject_id).where(CreditRecord.document_number == MINOR_DOCUMENT)
    )
    if company is None or minor is None:
        return None
    rows = session.execute(
        select(ResponsiblePerson.role, ResponsiblePerson.person_id).where(
            ResponsiblePerson.organization_id == company
        )
    )
    return Examples(COMPANY_CODE, {role: person for role, person in rows}, minor)
