"""An organisation signed in for itself (an enterprise token carrying its credit code), over real HTTP:
it reads its whole own record free of charge (002 二(二)4), unpublished parts included, files
objections and repair applications for its own records and for nobody else's, never sees more of its
legal representative than a masked identity, reads other organisations as the public does, and every
one of its requests is in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from gateway.access.masking import mask
from gateway.access.tokens import Caller, Role
from gateway.domain import ListKind, ListStatus, Procedure, Severity
from gateway.errors import NotFound
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.own_record import OwnOrganizationRecord, own_organization_record
from gateway.lifecycle.rules.periods import DisplayPeriods, today_in_china
from gateway.store import db
from gateway.store.inputs import ListEntryInput, OrganizationInput, SubjectRef
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.audit_helpers import events
from tests.clock import Clock
from tests.gateway_fixtures import BLACKLIST, COMPANY, MARKET, RECORDS, REPO, ZHANG, _record, build_env
from tests.gql import Served, codes, serve
from tests.helpers import credit_code

SERIOUS, SIMPLE, LICENCE, PERSONAL = (r.document_number for r in RECORDS)  # PERSONAL is Zhang's
OTHER = OrganizationInput(name="菏泽市丰华建材有限公司", credit_code=credit_code("913717020000888"))
OTHER_SIMPLE = _record(
    "菏市监罚〔2026〕9号",
    SubjectRef(credit_code=OTHER.credit_code),
    procedure=Procedure.SIMPLE,
    severity=Severity.MINOR,
)
EXITED = ListEntryInput(
    subject=SubjectRef(credit_code=COMPANY.credit_code),
    kind=ListKind.BLACK,
    list_name="重点关注名单",
    authority_code=MARKET.credit_code,
    reason="食品安全违法",
    listed_on=date(2026, 3, 3),
    status=ListStatus.EXITED,
    exited_on=date(2026, 3, 9),
    records=(RECORDS[0].key,),
)

ORGANIZATION_FIELDS = """
  name creditCode registeredAddress
  records { id documentNumber procedure status receivedAt }
  listEntries { id listName status reason }
"""
MINE = f"{{ myOrganization {{ {ORGANIZATION_FIELDS} }} }}"
BY_CODE = f"query($code: String!) {{ organization(creditCode: $code) {{ {ORGANIZATION_FIELDS} }} }}"
PUBLIC_VIEW = """
query($code: String!) {
  organization(creditCode: $code) {
    name creditCode registeredAddress legalRepresentative { name }
    records { id documentNumber procedure status content }
    listEntries { id listName status reason records { documentNumber } }
  }
}"""
REPRESENTATIVE = "{ myOrganization { legalRepresentative { name idNumber } } }"
FILE = """
mutation($record: ID!) {
  fileObjection(input: {recordId: $record, reason: "处罚对象错误", evidence: "营业执照副本"}) {
    id status filerKind record { documentNumber status }
  }
}"""
APPLY = """
mutation($record: ID!) {
  applyForRepair(input: {recordId: $record, statement: "罚款已缴清，承诺守法经营", evidence: "缴款凭证"}) {
    id status filerKind record { documentNumber }
  }
}"""
FILE_LIST = """
mutation($entry: ID!) {
  fileListObjection(input: {entryId: $entry, reason: "认定对象错误", evidence: "判决书"}) { id status filerKind }
}"""
RESOLVE_LIST = """
mutation($id: ID!) {
  resolveListObjection(input: {objectionId: $id, outcome: REVOKED, reason: "经复核"}) { status }
}"""
FILINGS = """{
  objections { filerKind status record { documentNumber } }
  repairApplications { filerKind status record { documentNumber } }
  listObjections { filerKind status }
}"""


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)
    engine = db.make_engine(database_url)
    now = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    try:
        with Session(engine) as session, session.begin():
            writer = StoreWriter(
                session, FieldCipher(env.keyring), calendar=WorkCalendar.load(), clock=lambda: now
            )
            results = writer.write([OTHER, OTHER_SIMPLE, EXITED])
    finally:
        engine.dispose()
    env.ids["other"] = results[0].id
    with serve(env, Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))) as s:
        records = s.data(BY_CODE, {"code": COMPANY.credit_code}, s.admin())["organization"]["records"]
        zhang = s.data("{ me { records { id documentNumber } } }", None, s.individual())["me"]["records"]
        s.env.ids.update({r["documentNumber"]: r["id"] for r in records + zhang})
        yield s


def enterprise(s: Served, code: str = COMPANY.credit_code) -> dict[str, str]:
    return s.env.headers(Role.ENTERPRISE, org_code=code)


def documents(organization: dict[str, Any]) -> set[str]:
    return {r["documentNumber"] for r in organization["records"]}


def test_an_enterprise_sees_its_simple_procedure_penalty_that_the_public_does_not(served: Served) -> None:
    mine = served.data(MINE, None, enterprise(served))["myOrganization"]
    assert documents(mine) == {SERIOUS, SIMPLE, LICENCE}
    assert {r["procedure"] for r in mine["records"]} >= {"SIMPLE"}
    # Its own record whole: the code, address and receipt data the public does not get.
    assert (mine["creditCode"], mine["registeredAddress"]) == (
        COMPANY.credit_code,
        COMPANY.registered_address,
    )
    assert all(r["receivedAt"] is not None for r in mine["records"])
    public = served.gql(BY_CODE, {"code": COMPANY.credit_code})
    assert documents(public["data"]["organization"]) == {SERIOUS, LICENCE}
    assert {tuple(e["path"][-1:]) for e in public["errors"]} == {("receivedAt",)}
    # The same organisation looked up by its code is still its own record.
    by_code = served.data(BY_CODE, {"code": COMPANY.credit_code}, enterprise(served))["organization"]
    assert by_code == mine


def test_the_legal_representatives_identity_stays_masked(served: Served) -> None:
    rep = served.data(REPRESENTATIVE, None, enterprise(served))["myOrganization"]["legalRepresentative"]
    assert rep == {
        "name": mask("Person.name", ZHANG.name),
        "idNumber": mask("Person.idNumber", ZHANG.id_number),
    }
    assert ZHANG.id_number not in str(rep) and rep["name"] != ZHANG.name
    more = served.gql(
        "{ myOrganization { legalRepresentative { phone records { id } } } }", None, enterprise(served)
    )
    assert more["data"]["myOrganization"]["legalRepresentative"] == {"phone": None, "records": None}
    assert codes(more) == ["FORBIDDEN_FIELD", "FORBIDDEN_FIELD"]


def test_another_organisations_record_shows_only_the_public_view(served: Served) -> None:
    public = served.gql(PUBLIC_VIEW, {"code": COMPANY.credit_code})
    as_other = served.gql(PUBLIC_VIEW, {"code": COMPANY.credit_code}, enterprise(served, OTHER.credit_code))
    assert as_other == public
    assert SIMPLE not in documents(as_other["data"]["organization"])
    # And the other way round: the company does not see the other's simple-procedure penalty.
    theirs = served.data(BY_CODE.replace("receivedAt", ""), {"code": OTHER.credit_code}, enterprise(served))
    assert documents(theirs["organization"]) == set()
    own = served.data(MINE, None, enterprise(served, OTHER.credit_code))["myOrganization"]
    assert documents(own) == {OTHER_SIMPLE.document_number}


def test_list_entries_in_every_state_and_every_filing_about_its_record(served: Served) -> None:
    company, market = enterprise(served), served.provider(MARKET.credit_code)
    entries = {e["listName"]: e for e in served.data(MINE, None, company)["myOrganization"]["listEntries"]}
    assert {n: e["status"] for n, e in entries.items()} == {
        BLACKLIST.list_name: "LISTED",
        EXITED.list_name: "EXITED",
    }
    filed = served.data(FILE_LIST, {"entry": entries[BLACKLIST.list_name]["id"]}, company)[
        "fileListObjection"
    ]
    assert (filed["status"], filed["filerKind"]) == ("OPEN", "SUBJECT")
    assert (
        served.data(RESOLVE_LIST, {"id": filed["id"]}, market)["resolveListObjection"]["status"] == "REVOKED"
    )
    statuses = {
        e["listName"]: e["status"] for e in served.data(MINE, None, company)["myOrganization"]["listEntries"]
    }
    assert statuses == {BLACKLIST.list_name: "REVOKED", EXITED.list_name: "EXITED"}
    # Filings about its records, whoever filed them (itself, its legal representative), and no others.
    served.data(FILE, {"record": served.env.ids[SIMPLE]}, company)
    served.data(FILE, {"record": served.env.ids[LICENCE]}, served.individual())
    served.data(FILE, {"record": served.env.ids[PERSONAL]}, served.individual())  # Zhang's, not the company's
    objections = served.data(FILINGS, None, company)["objections"]
    assert sorted((o["filerKind"], o["record"]["documentNumber"]) for o in objections) == [
        ("LEGAL_REPRESENTATIVE", LICENCE),
        ("SUBJECT", SIMPLE),
    ]
    served.clock.on(date(2027, 3, 3))  # the serious penalty's minimum display period has passed
    applied = served.data(APPLY, {"record": served.env.ids[SERIOUS]}, company)["applyForRepair"]
    assert (applied["status"], applied["filerKind"]) == ("PENDING", "SUBJECT")
    filings = served.data(FILINGS, None, company)
    assert filings["repairApplications"] == [
        {"filerKind": "SUBJECT", "status": "PENDING", "record": {"documentNumber": SERIOUS}}
    ]
    assert filings["listObjections"] == [{"filerKind": "SUBJECT", "status": "REVOKED"}]
    assert served.data(FILINGS, None, enterprise(served, OTHER.credit_code)) == {
        "objections": [], "repairApplications": [], "listObjections": []
    }  # fmt: skip
    # The service a report of its own record reads holds exactly what myOrganization shows.
    shown = served.data(MINE, None, company)["myOrganization"]
    own = service_view(served, COMPANY.credit_code)
    assert own.reading.policy_subjects == {"enterprise", "self:organization"}
    assert {r.document_number: r.status for r in own.records} == {
        r["documentNumber"]: r["status"] for r in shown["records"]
    }
    assert {e.list_name: e.status for e in own.list_entries} == statuses
    assert sorted(o.filer_kind for o in own.objections) == ["LEGAL_REPRESENTATIVE", "SUBJECT"]
    assert [(a.filer_kind, a.status) for a in own.repair_applications] == [("SUBJECT", "PENDING")]
    assert [o.status for o in own.list_objections] == ["REVOKED"]


def service_view(s: Served, code: str) -> OwnOrganizationRecord:
    engine = db.make_engine(s.env.settings.database_url)
    try:
        with Session(engine) as session:
            return own_organization_record(
                session,
                FieldCipher(s.env.keyring),
                Caller(code, Role.ENTERPRISE, org_code=code),
                today=today_in_china(s.clock()),
                periods=DisplayPeriods.load(REPO / "policies"),
            )
    finally:
        engine.dispose()


def test_an_enterprise_files_an_objection_on_its_own_record_and_is_refused_on_anothers(
    served: Served,
) -> None:
    mine = served.data(FILE, {"record": served.env.ids[SIMPLE]}, enterprise(served))["fileObjection"]
    assert mine["status"] == "OPEN" and mine["filerKind"] == "SUBJECT"
    assert mine["record"] == {"documentNumber": SIMPLE, "status": "UNDER_OBJECTION"}
    other = enterprise(served, OTHER.credit_code)
    for document in (SERIOUS, PERSONAL):  # another organisation's record, a person's record
        refused = served.gql(FILE, {"record": served.env.ids[document]}, other)
        assert codes(refused) == ["NOT_ENTITLED"] and refused["data"] is None
    served.clock.on(date(2027, 3, 3))
    assert codes(served.gql(APPLY, {"record": served.env.ids[SERIOUS]}, other)) == ["NOT_ENTITLED"]
    entry = served.data(MINE, None, enterprise(served))["myOrganization"]["listEntries"][0]["id"]
    assert codes(served.gql(FILE_LIST, {"entry": entry}, other)) == ["NOT_ENTITLED"]
    public = served.data(BY_CODE.replace("receivedAt", ""), {"code": COMPANY.credit_code})["organization"]
    assert {r["documentNumber"]: r["status"] for r in public["records"]}[SERIOUS] == "ACTIVE"


@pytest.mark.parametrize(
    "code", [credit_code("913717029999999"), MARKET.credit_code], ids=["unknown code", "an agency's code"]
)
def test_a_code_naming_no_organisation_of_its_own_has_no_own_record(served: Served, code: str) -> None:
    headers = enterprise(served, code)
    with pytest.raises(NotFound):
        service_view(served, code)
    assert codes(served.gql(MINE, None, headers)) == ["NOT_FOUND"]
    assert codes(served.gql("{ objections { id } }", None, headers)) == ["NOT_FOUND"]
    refused = served.gql(FILE, {"record": served.env.ids[SERIOUS]}, headers)
    assert codes(refused) == ["NOT_ENTITLED"]
    public = served.gql(PUBLIC_VIEW, {"code": COMPANY.credit_code})
    assert served.gql(PUBLIC_VIEW, {"code": COMPANY.credit_code}, headers) == public


def test_an_enterprise_may_not_run_what_is_for_other_roles(served: Served) -> None:
    for operation in ("{ me { name } }", "{ consents { id } }", '{ person(idNumber: "x") { name } }'):
        assert codes(served.gql(operation, None, enterprise(served))) == ["FORBIDDEN_OPERATION"]
    assert codes(served.gql(MINE, None, served.individual())) == ["FORBIDDEN_OPERATION"]
    assert codes(served.gql(MINE)) == ["FORBIDDEN_OPERATION"]


def test_every_enterprise_read_is_audited_like_any_other_request(served: Served) -> None:
    url = served.env.settings.database_url
    before = len(events(url))
    response = served.http.post("/graphql", json={"query": REPRESENTATIVE.replace("idNumber", "idNumber }"
                                " records { documentNumber")}, headers=enterprise(served))  # fmt: skip
    assert response.status_code == 200 and "errors" not in response.json()
    refused = served.http.post("/graphql", json={"query": "{ me { name } }"}, headers=enterprise(served))
    assert refused.status_code == 200
    new = events(url)[before:]
    assert len(new) == 2 and all("X-Audit-Sequence" in r.headers for r in (response, refused))
    read, denied = new
    assert (read["role"], read["organization"], read["caller_id"]) == (
        "enterprise",
        COMPANY.credit_code,
        COMPANY.credit_code,
    )
    assert (read["root_fields"], read["outcome"]) == (["myOrganization"], "ANSWERED")
    assert read["subjects"] == sorted([served.env.ids["company"], served.env.ids["zhang"]])
    assert read["fields"]["masked"] == {"Person.name": 1, "Person.idNumber": 1}
    assert read["fields"]["whole"]["CreditRecord.documentNumber"] == 3  # the simple-procedure penalty too
    assert read["rules"]["Person.idNumber"] == "p, self:organization, Person.idNumber, mask"
    assert (denied["role"], denied["outcome"], denied["errors"]) == (
        "enterprise",
        "REFUSED",
        ["FORBIDDEN_OPERATION"],
    )
    assert ZHANG.id_number not in str(new)
    # The auditor finds them by role, as every other caller's.
    found = served.data(
        '{ auditEvents(filter: {role: "enterprise"}) { nodes { role organization rootFields outcome } } }',
        None,
        served.auditor(),
    )["auditEvents"]["nodes"]
    assert [(n["rootFields"], n["outcome"]) for n in found] == [
        (["myOrganization"], "ANSWERED"),
        (["me"], "REFUSED"),
    ]
    assert {(n["role"], n["organization"]) for n in found} == {("enterprise", COMPANY.credit_code)}


def test_the_enterprise_view_of_its_own_record_is_kept_apart_from_the_persons(served: Served) -> None:
    """The representative reading the company with an individual token is ``self`` on their person
    only: the company's unpublished penalty stays out of their view of the organisation."""
    as_zhang = served.data(
        BY_CODE.replace("receivedAt", ""), {"code": COMPANY.credit_code}, served.individual()
    )
    assert documents(as_zhang["organization"]) == {SERIOUS, LICENCE}
