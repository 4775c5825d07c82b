"""A few hundred subjects with records in every lifecycle state, built as StoreWriter inputs, for the
tests that must hold across a whole data set rather than one example.

Deterministic (a seeded random generator). Persons carry every identity field; a fifth of the
organisations are individual businesses (whose codes identify a person); a third of the records quote
the legal representative's identity number, phone and home address in their text, as decisions
sometimes do; some list entries of organisations cite a person's record.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from gateway.domain import (
    AgencyKind,
    Category,
    ListKind,
    OrgForm,
    Procedure,
    RecordStatus,
    Severity,
    SubjectKind,
)
from gateway.store.inputs import Item, ListEntryInput, OrganizationInput, PersonInput, RecordInput, SubjectRef
from tests.helpers import credit_code, id_number

AGENCIES = (
    OrganizationInput(name="示例市市场监督管理局", credit_code=credit_code("113717000000011"),
                      kind=SubjectKind.GOVERNMENT_AGENCY, form=OrgForm.AGENCY,
                      agency_kind=AgencyKind.MARKET_REGULATION),
    OrganizationInput(name="示例市税务局", credit_code=credit_code("113717000000022"),
                      kind=SubjectKind.GOVERNMENT_AGENCY, form=OrgForm.AGENCY, agency_kind=AgencyKind.TAX),
    OrganizationInput(name="示例市生态环境局", credit_code=credit_code("113717000000033"),
                      kind=SubjectKind.GOVERNMENT_AGENCY, form=OrgForm.AGENCY,
                      agency_kind=AgencyKind.ENVIRONMENT),
)  # fmt: skip
_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
_CATEGORIES = (
    Category.ADMINISTRATIVE_PENALTY, Category.ADMINISTRATIVE_PENALTY, Category.ADMINISTRATIVE_LICENSING,
    Category.ADMINISTRATIVE_COERCION, Category.ADMINISTRATIVE_REWARD, Category.SUPERVISION_INSPECTION,
    Category.CREDIT_COMMITMENT, Category.DISHONEST_JUDGMENT_DEBTOR, Category.PUBLIC_UTILITY_ARREARS,
)  # fmt: skip
_STATUSES = (
    [RecordStatus.ACTIVE] * 14
    + [RecordStatus.CORRECTED, RecordStatus.UNDER_OBJECTION, RecordStatus.EXPIRED]
    + [RecordStatus.REVOKED] * 2
    + [RecordStatus.REPAIRED] * 2
)


@dataclass
class Demo:
    items: list[Item] = field(default_factory=list)
    org_codes: list[str] = field(default_factory=list)
    persons: list[PersonInput] = field(default_factory=list)
    records: dict[str, RecordInput] = field(default_factory=dict)  # by document number
    person_documents: set[str] = field(default_factory=set)  # records against natural persons
    secrets: set[str] = field(default_factory=set)  # values the public must never see

    def add_record(self, record: RecordInput) -> None:
        self.records[record.document_number] = record
        self.items.append(record)


def person(n: int, rng: random.Random) -> PersonInput:
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(16_000))
    return PersonInput(
        name=name,
        id_number=id_number(region="371702", born=born, seq=n % 1000),
        phone=f"13{rng.randrange(5, 10)}{rng.randrange(10**8):08d}",
        address=f"山东省菏泽市牡丹区中华路{n + 1}号{rng.randrange(1, 9)}单元",
        health_status="高血压",
        religion="无",
    )


def build(*, persons: int = 160, organisations: int = 140, seed: int = 20261125) -> Demo:
    rng = random.Random(seed)
    demo = Demo()
    demo.items.extend(AGENCIES)
    people = [person(n, rng) for n in range(persons)]
    demo.persons = people
    for p in people:
        demo.secrets.update({p.name, p.id_number, p.phone or "", p.address or ""})
    demo.items.extend(people)
    doc = 0

    def record(subject: SubjectRef, rep: PersonInput | None) -> RecordInput:
        nonlocal doc
        doc += 1
        category = rng.choice(_CATEGORIES)
        authority = rng.choice(AGENCIES)
        text = "未按规定履行义务"
        if rep is not None and rng.random() < 0.35:
            text += f"，法定代表人身份证号{rep.id_number}，联系电话{rep.phone}，住{rep.address}"
        return RecordInput(
            subject=subject,
            category=category,
            document_number=f"示例〔{2020 + doc % 7}〕{doc}号",
            authority_code=authority.credit_code,
            authority_name=authority.name,
            decision_date=date(2022, 1, 1) + timedelta(days=rng.randrange(1_785)),  # to 2026-11-20
            content=text,
            provider_code=authority.credit_code,
            severity=rng.choice(list(Severity)),
            procedure=rng.choice(list(Procedure)) if category is Category.ADMINISTRATIVE_PENALTY else None,
            status=rng.choice(_STATUSES),
            kept=rng.choice((True, False)) if category is Category.CREDIT_COMMITMENT else None,
        )

    for p in people[: persons * 2 // 3]:
        r = record(SubjectRef(id_number=p.id_number), None)
        demo.person_documents.add(r.document_number)
        demo.add_record(r)
    for n in range(organisations):
        business = n % 5 == 0
        code = credit_code(("92" if business else "91") + f"3717{n:09d}")
        rep = people[n % persons]
        demo.items.append(
            OrganizationInput(
                name=f"示例{'个体经营部' if business else '商贸有限公司'}{n}号",
                credit_code=code,
                form=OrgForm.INDIVIDUAL_BUSINESS if business else OrgForm.LEGAL_PERSON,
                registered_address=f"山东省菏泽市牡丹区人民路{n + 1}号",
                legal_representative=rep,
            )
        )
        demo.org_codes.append(code)
        if business:
            demo.secrets.add(code)
        ref = SubjectRef(credit_code=code)
        own = [record(ref, rep) for _ in range(rng.randrange(1, 5))]
        for r in own:
            demo.add_record(r)
        cited = [r.key for r in own[:2]]
        if n % 13 == 0:
            # An entry that cites a person's record which nothing else would hide: recent, active,
            # general procedure. Only the rule "nothing of a natural person is public" keeps it off.
            cited_person = replace(
                record(SubjectRef(id_number=rep.id_number), None),
                category=Category.ADMINISTRATIVE_PENALTY,
                severity=Severity.GENERAL,
                procedure=Procedure.GENERAL,
                status=RecordStatus.ACTIVE,
                kept=None,
                decision_date=date(2026, 10, 1),
            )
            demo.person_documents.add(cited_person.document_number)
            demo.add_record(cited_person)
            cited.append(cited_person.key)
        if n % 4 == 0:
            demo.items.append(
                ListEntryInput(
                    subject=ref,
                    kind=ListKind.BLACK if n % 8 == 0 else ListKind.RED,
                    list_name="严重违法失信名单" if n % 8 == 0 else "守信激励名单",
                    authority_code=own[0].authority_code,
                    reason=f"经认定，联系电话{rep.phone}",
                    listed_on=date(2025, 1, 1) + timedelta(days=n),
                    records=tuple(cited),
                )
            )
    return demo


def from_items(items: list[Item]) -> Demo:
    """The same facts, read off any list of inputs (the seed command's generator, for one)."""
    demo = Demo(items=list(items))
    for item in items:
        if isinstance(item, PersonInput):
            demo.persons.append(item)
            demo.secrets.update(v for v in (item.name, item.id_number, item.phone, item.address) if v)
        elif isinstance(item, OrganizationInput):
            if item.kind is not SubjectKind.GOVERNMENT_AGENCY:
                demo.org_codes.append(item.credit_code)
            if item.form is OrgForm.INDIVIDUAL_BUSINESS:
                demo.secrets.add(item.credit_code)
            rep = item.legal_representative
            if rep is not None:
                demo.secrets.update(v for v in (rep.name, rep.id_number, rep.phone, rep.address) if v)
        elif isinstance(item, RecordInput):
            demo.records[item.document_number] = item
            if item.subject.id_number is not None:
                demo.person_documents.add(item.document_number)
    # A business named after its owner (王先早餐店) publishes that name as its registered name, as the
    # business register does; the name inside it is not counted as a leak of the person.
    org_names = [i.name for i in items if isinstance(i, OrganizationInput)]
    demo.secrets -= {p.name for p in demo.persons if any(p.name in name for name in org_names)}
    return demo
