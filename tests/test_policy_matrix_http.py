"""The role x field matrix, over real HTTP, generated from the schema and the policy file.

For every role a caller can have (the public, each partner agency kind, an individual reading their own
record and someone else's, an enterprise reading its own record and another's, a provider, an auditor, an admin, and a partner holding a consent of each
scope), one query selects every field of Person, Organization, CreditRecord and ListEntry the role can
reach. Every value in the answer must be exactly what ``FieldPolicy.decide`` on ``policies/`` says:

- whole: the stored plaintext (read from the database and decrypted here, not through the API);
- masked: ``gateway.access.masking.mask`` of the stored plaintext, and different from it;
- free text about a person (``person_text`` in the catalogue: content, reason, a trade name): whole
  only to a caller shown the person's name and address whole, else the masked form stored in clear
  (``gateway.store.free_text``), which differs from the plaintext where the text names the person;
- denied: null, with a FORBIDDEN_FIELD error at that path naming the deciding rule and its reason.

The subjects and the row-level viewer each role reads under are stated here, not borrowed from
``gateway.access.subjects``: they are part of what is being checked. The data is chosen so that every masker
has something to hide (an individual business's credit code, free text carrying a phone number, an
identity number and a street address).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import httpx
import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, get_named_type
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.access.masking import mask
from gateway.access.policy import Effect, FieldPolicy
from gateway.access.text_masking import reveals_person_text
from gateway.access.tokens import Role
from gateway.access.visibility import Viewer, visible_list_entries, visible_records
from gateway.api.app import known_fields
from gateway.api.schema import build_schema
from gateway.domain import AgencyKind, Category, ListKind, OrgForm, Procedure, Severity, SubjectKind
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.responsibilities import reaches_of
from gateway.lifecycle.rules.checks import Listing, basis_lapsed
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.lifecycle.rules.periods import DisplayPeriods, today_in_china
from gateway.store import db, free_text
from gateway.store.fields import person_texts
from gateway.store.inputs import ListEntryInput, OrganizationInput, PersonInput, RecordInput, SubjectRef
from gateway.store.models import (
    CreditRecord,
    ListEntry,
    ListEntryRecord,
    Organization,
    Person,
    RecordLink,
    Subject,
)
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.api_client import grant
from tests.clock import Clock, app_with_clock
from tests.conftest import PG_ENV, fresh_pg_schema
from tests.gateway_fixtures import BANK_CODE, COMPANY, MARKET, REPO, GatewayEnv, build_env
from tests.helpers import credit_code, id_number
from tests.server import running

GUARDED = ("Person", "Organization", "CreditRecord", "ListEntry")
NOW = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
TODAY = today_in_china(NOW)
PERIODS = DisplayPeriods.load(REPO / "policies")
RULES = LifecycleRules.load(REPO / "policies")
SCHEMA = build_schema()._schema  # type: ignore[attr-defined]
POLICY = FieldPolicy.load(REPO / "policies", known_fields=known_fields())
PERSON_TEXTS = person_texts()

# --- the data: an individual business run by a person, every maskable value worth masking ---------

WANG = PersonInput(
    name="王晓明",
    id_number=id_number(region="371703", born=date(1979, 8, 1), seq=52),
    phone="13605301234",
    address="山东省菏泽市定陶区青年路12号",
    health_status="高血压",
    religion="佛教",
)
SHOP = OrganizationInput(
    name="定陶区晓明五金店",
    credit_code=credit_code("923717030000521"),  # 92…: an individual business, masked for the public
    form=OrgForm.INDIVIDUAL_BUSINESS,
    registered_address="山东省菏泽市定陶区青年路12号",
    legal_representative=WANG,
)
SHOP_REF = SubjectRef(credit_code=SHOP.credit_code)
WANG_REF = SubjectRef(id_number=WANG.id_number)
TRAITS = f"当事人王晓明（身份证号{WANG.id_number}，电话13605301234）家住定陶区青年路12号"


def _record(doc: str, subject: SubjectRef, **changes: Any) -> RecordInput:
    values: dict[str, Any] = {
        "subject": subject,
        "category": Category.ADMINISTRATIVE_PENALTY,
        "document_number": doc,
        "authority_code": MARKET.credit_code,
        "authority_name": MARKET.name,
        "decision_date": date(2026, 3, 3),
        "content": f"{TRAITS}，销售假冒五金产品",
        "provider_code": MARKET.credit_code,
        "severity": Severity.SERIOUS,
        "procedure": Procedure.GENERAL,
        "legal_basis": "《产品质量法》第五十条",
        "penalty_kinds": "罚款;没收违法所得",
        "amount_10k_yuan": Decimal("3.5"),
        "valid_until": date(2029, 3, 3),
        "publication_until": date(2029, 3, 3),
    }
    values.update(changes)
    return RecordInput(**values)


SHOP_RECORDS = [
    _record("定市监罚〔2026〕11号", SHOP_REF),  # serious: reaches Wang as legal representative
    _record("定市监罚〔2026〕12号", SHOP_REF, procedure=Procedure.SIMPLE, severity=Severity.MINOR),
    _record("定市监许〔2026〕13号", SHOP_REF, category=Category.ADMINISTRATIVE_LICENSING, procedure=None,
            severity=Severity.GENERAL, penalty_kinds=None, amount_10k_yuan=None),
    _record("定市监诺〔2026〕14号", SHOP_REF, category=Category.CREDIT_COMMITMENT, procedure=None,
            severity=Severity.GENERAL, kept=True, penalty_kinds=None, amount_10k_yuan=None),
]  # fmt: skip
WANG_RECORDS = [_record("定市监罚〔2026〕15号", WANG_REF, severity=Severity.GENERAL)]
LISTS = [
    ListEntryInput(
        subject=SHOP_REF, kind=ListKind.BLACK, list_name="严重违法失信名单", authority_code=MARKET.credit_code,
        reason=f"{TRAITS}，多次销售假冒产品", listed_on=date(2026, 3, 10), planned_exit=date(2029, 3, 10),
        records=(SHOP_RECORDS[0].key,),
    ),
    ListEntryInput(
        subject=WANG_REF, kind=ListKind.BLACK, list_name="失信被执行人名单", authority_code=MARKET.credit_code,
        reason=f"{TRAITS}，拒不履行判决", listed_on=date(2026, 3, 11), records=(WANG_RECORDS[0].key,),
    ),
]  # fmt: skip


# --- what each role is: its subjects and the row level it reads at ------------------------------


@dataclass(frozen=True)
class Reading:
    """The policy subjects and row-level viewer one part of an answer is read under."""

    subjects: frozenset[str]
    viewer: Viewer


def reading(viewer: Viewer, *subjects: str) -> Reading:
    return Reading(frozenset(subjects), viewer)


@dataclass(frozen=True)
class Case:
    name: str
    headers: str  # which token: "public", "partner:<KIND>", "provider", … (see `headers_for`)
    roots: dict[str, Reading]  # root field -> reading of its object
    representative: Reading | None = None  # Organization.legalRepresentative, when it differs
    consent_scopes: tuple[str, ...] = ()


ORG = "organization"
PUBLIC = reading(Viewer.PUBLIC, "public")
CASES = [
    Case("public", "public", {ORG: PUBLIC}),
    *(
        Case(
            f"partner:{kind}",
            f"partner:{kind}",
            {ORG: reading(Viewer.QUERY, "partner", f"partner:{kind}")},
        )
        for kind in AgencyKind
    ),
    # A signed-in person reading someone else's business sees what the public sees (policies/fields.csv:
    # "g, individual, public"), rows included: no simple-procedure penalties (000 双公示 二(三)).
    Case("individual reading another", "individual:li", {ORG: reading(Viewer.PUBLIC, "individual")}),
    Case(
        "individual reading self",
        "individual:wang",
        {"me": reading(Viewer.QUERY, "individual", "self"), ORG: reading(Viewer.PUBLIC, "individual")},
        representative=reading(Viewer.QUERY, "individual", "self"),
    ),
    # An organisation signed in for itself reads another organisation as the public does
    # ("g, enterprise, public"), and its own record whole, unpublished rows included, with its legal
    # representative masked (self:organization): here an individual business, found by blind index.
    Case("enterprise reading another", "enterprise:company", {ORG: reading(Viewer.PUBLIC, "enterprise")}),
    Case(
        "enterprise reading self",
        "enterprise:shop",
        {
            "myOrganization": reading(Viewer.QUERY, "enterprise", "self:organization"),
            ORG: reading(Viewer.QUERY, "enterprise", "self:organization"),
        },
    ),
    Case("provider", "provider", {ORG: reading(Viewer.QUERY, "provider")}),
    Case("auditor", "auditor", {ORG: reading(Viewer.ARCHIVE, "auditor")}),
    Case("admin", "admin", {ORG: reading(Viewer.ARCHIVE, "admin")}),
    *(
        Case(
            f"partner with consent {'+'.join(scopes)}",
            "partner:FINANCE",
            {
                "person": reading(
                    Viewer.QUERY,
                    "partner",
                    "partner:FINANCE",
                    *(f"consent:{s.lower()}" for s in scopes),
                )
            },
            consent_scopes=scopes,
        )
        for scopes in (("IDENTITY",), ("CONTACT",), ("RECORDS",), ("LISTS",), ("CONTACT", "IDENTITY", "LISTS", "RECORDS"))
    ),
]  # fmt: skip


# --- the query, generated from the schema ---------------------------------------------------------


# Guarded fields whose value is an object of an unguarded type: the matrix checks who may reach them
# (tests/test_query_history.py checks what they hold).
UNGUARDED_OBJECTS: dict[str, Any] = {
    "queryHistory": {"__typename": "QueryHistory"},
    "responsibilities": [],  # per person: one ResponsibilityReach per reach (Store.person)
}


def fields_of(type_name: str) -> list[tuple[str, str | None, bool]]:
    """(field, guarded child type or None, is a list) for every field of a guarded type."""
    gtype = SCHEMA.type_map[type_name]
    assert isinstance(gtype, GraphQLObjectType)
    out = []
    for name, gfield in gtype.fields.items():
        child = get_named_type(gfield.type).name
        inner = gfield.type.of_type if isinstance(gfield.type, GraphQLNonNull) else gfield.type
        out.append((name, child if child in GUARDED else None, isinstance(inner, GraphQLList)))
    return out


def reachable(type_name: str) -> list[str]:
    seen: list[str] = []

    def visit(name: str) -> None:
        if name not in seen:
            seen.append(name)
            for _, child, _ in fields_of(name):
                if child is not None:
                    visit(child)

    visit(type_name)
    return seen


def fragments(*roots: str) -> str:
    names = dict.fromkeys(t for root in roots for t in reachable(root))
    parts = []
    for type_name in names:
        selection = " ".join(
            (f"{f} {{ __typename }}" if f in UNGUARDED_OBJECTS else f)
            if child is None
            else f"{f} {{ ...{child}Fields }}"
            for f, child, _ in fields_of(type_name)
        )
        parts.append(f"fragment {type_name}Fields on {type_name} {{ {selection} }}")
    return "\n".join(parts)  # fmt: skip


def query_for(case: Case) -> str:
    selections = {
        ORG: "organization(creditCode: $code) { ...OrganizationFields }",
        "myOrganization": "myOrganization { ...OrganizationFields }",
        "me": "me { ...PersonFields }",
        "person": "person(idNumber: $id, consent: $consent, purpose: FINANCIAL_SERVICE) { ...PersonFields }",
    }
    args = {ORG: "$code: String!", "myOrganization": "", "me": "", "person": "$id: String!, $consent: String"}
    declared = ", ".join(args[r] for r in case.roots if args[r])
    types = {ORG: "Organization", "myOrganization": "Organization", "me": "Person", "person": "Person"}
    body = " ".join(selections[r] for r in case.roots)
    return f"query({declared}) {{ {body} }}\n{fragments(*(types[r] for r in case.roots))}"


# --- the stored plaintext, read straight from the database ------------------------------------------


@dataclass
class Stored:
    """One object as stored: its scalar fields as GraphQL would render them, its guarded children."""

    values: dict[str, Any]
    raw: dict[str, Any]  # the plaintext before rendering, what a masker is given
    children: dict[str, Stored | list[Stored] | None] = field(default_factory=dict)
    row: Any = None  # the ORM row, for the row-level viewer
    # Free text about a person: the clear column (masked when ``<column>_enc`` holds the whole text).
    clear: dict[str, Any] = field(default_factory=dict)


def render(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def stored(
    raw: dict[str, Any], row: Any = None, clear: dict[str, Any] | None = None, **children: Any
) -> Stored:
    return Stored({k: render(v) for k, v in raw.items()}, raw, children, row, clear or {})


class Store:
    def __init__(self, session: Session, cipher: FieldCipher) -> None:
        self.session = session
        self.cipher = cipher
        self.kinds: dict[str, SubjectKind] = {
            sid: kind for sid, kind in session.execute(select(Subject.id, Subject.kind))
        }

    def person(self, subject_id: str) -> Stored:
        row = self.session.get(Person, subject_id)
        assert row is not None

        def plain(column: str) -> str | None:
            blob = getattr(row, f"{column}_enc")
            return (
                None
                if blob is None
                else self.cipher.decrypt(blob, table="persons", column=f"{column}_enc", row=subject_id)
            )

        linked = select(CreditRecord).join(RecordLink, RecordLink.record_id == CreditRecord.id)
        reached = reaches_of(self.session, self.cipher, subject_id, rules=RULES, today=TODAY)
        return stored(
            {"id": subject_id, "name": plain("name"), "idNumber": plain("id_number"), "phone": plain("phone"),
             "address": plain("address"), "healthStatus": plain("health_status"), "religion": plain("religion"),
             **UNGUARDED_OBJECTS, "responsibilities": [{"__typename": "ResponsibilityReach"}] * len(reached)},
            records=self.records(select(CreditRecord).where(CreditRecord.subject_id == subject_id)),
            linkedRecords=self.records(linked.where(RecordLink.subject_id == subject_id)),
            listEntries=self.list_entries(subject_id),
        )  # fmt: skip

    def organization(self, subject_id: str) -> Stored:
        row = self.session.get(Organization, subject_id)
        assert row is not None
        code = row.credit_code
        if code is None:
            assert row.credit_code_enc is not None
            code = self.cipher.decrypt(
                row.credit_code_enc, table="organizations", column="credit_code_enc", row=subject_id
            )
        rep = row.legal_representative_id
        return stored(
            {"id": subject_id, "kind": self.kinds[subject_id], "form": row.form,
             "name": free_text.whole(self.cipher, row, "name"),
             "creditCode": code, "registeredAddress": row.registered_address, "agencyKind": row.agency_kind},
            clear={"name": row.name},
            legalRepresentative=None if rep is None else self.person(rep),
            records=self.records(select(CreditRecord).where(CreditRecord.subject_id == subject_id)),
            listEntries=self.list_entries(subject_id),
        )  # fmt: skip

    def records(self, stmt: Any) -> list[Stored]:
        return [
            stored(
                {"id": r.id, "category": r.category, "documentNumber": r.document_number,
                 "authorityCode": r.authority_code, "authorityName": r.authority_name,
                 "decisionDate": r.decision_date, "actDate": r.act_date,
                 "content": free_text.whole(self.cipher, r, "content"),
                 "legalBasis": r.legal_basis,
                 "severity": r.severity, "procedure": r.procedure, "status": r.status, "kept": r.kept,
                 "penaltyKinds": r.penalty_kinds, "amount10kYuan": r.amount_10k_yuan,
                 "validUntil": r.valid_until, "publicationUntil": r.publication_until,
                 "providerCode": r.provider_code, "receivedAt": r.received_at,
                 "receivedWithinDeadline": r.received_within_deadline, "version": r.version,
                 # Derived from the display-period table (docs/lifecycle.md), not stored.
                 "displayUntil": PERIODS.window(r).last_shown, "repairableFrom": PERIODS.window(r).repairable_from},
                row=r,
                clear={"content": r.content},
            )
            for r in self.session.scalars(stmt)
        ]  # fmt: skip

    def list_entries(self, subject_id: str) -> list[Stored]:
        justifying = select(CreditRecord).join(ListEntryRecord, ListEntryRecord.record_id == CreditRecord.id)
        entries = self.session.scalars(select(ListEntry).where(ListEntry.subject_id == subject_id)).all()
        cited = {
            e.id: tuple(self.session.scalars(justifying.where(ListEntryRecord.list_entry_id == e.id)))
            for e in entries
        }
        return [
            stored(
                {"id": e.id, "kind": e.kind, "listName": e.list_name, "authorityCode": e.authority_code,
                 "reason": free_text.whole(self.cipher, e, "reason"), "listedOn": e.listed_on,
                 "plannedExit": e.planned_exit, "status": e.status, "exitedOn": e.exited_on,
                 "exitReason": e.exit_reason,
                 # Computed by the one rule of checks (docs/lifecycle.md), not stored.
                 "basisLapsed": basis_lapsed(Listing(e, cited[e.id]), today=TODAY, periods=PERIODS)},
                row=e,
                clear={"reason": e.reason},
                records=self.records(justifying.where(ListEntryRecord.list_entry_id == e.id)),
            )
            for e in entries
        ]  # fmt: skip


# --- the check ----------------------------------------------------------------------------------------


class Answer:
    """One GraphQL answer; every error must be accounted for by a denied field."""

    def __init__(self, body: dict[str, Any], kinds: dict[str, SubjectKind]) -> None:
        self.data = body["data"]
        unplaced = [e for e in body.get("errors", []) if "path" not in e]
        assert not unplaced, unplaced
        self.errors = {tuple(e["path"]): e for e in body.get("errors", [])}
        assert len(self.errors) == len(body.get("errors", [])), body["errors"]
        self.unexplained = set(self.errors)
        self.kinds = kinds
        self.counts: dict[Effect, int] = dict.fromkeys(Effect, 0)

    def check(self, node: dict[str, Any], type_name: str, stored_obj: Stored, read: Reading,
              path: tuple[Any, ...], rep: Reading | None) -> None:  # fmt: skip
        for name, child, is_list in fields_of(type_name):
            where = (*path, name)
            fname = f"{type_name}.{name}"
            decision = POLICY.decide(read.subjects, fname)
            self.counts[decision.effect] += 1
            value = node[name]
            if decision.effect is Effect.DENIED:
                assert value is None, f"{where}: denied but answered {value!r}"
                error = self.errors.get(where)
                assert error is not None, f"{where}: denied without an error"
                assert error["extensions"] == {
                    "code": "FORBIDDEN_FIELD",
                    "rule": decision.rule,
                    "reason": decision.reason,
                }
                assert decision.rule in error["message"] or decision.reason in error["message"]
                self.unexplained.discard(where)
                continue
            assert where not in self.errors, f"{where}: {self.errors[where]}"
            expected = stored_obj.children.get(name) if child else stored_obj.values[name]
            if child is None:
                clear = stored_obj.clear.get(name, stored_obj.raw[name])
                if fname in PERSON_TEXTS and not reveals_person_text(POLICY, read.subjects):
                    # Names and addresses inside are for who sees the person's name and address whole.
                    if decision.effect is Effect.WHOLE:
                        assert value == clear, f"{where}: {value!r} is not the stored masked {clear!r}"
                    if "王晓明" in expected:
                        assert "王晓明" not in value and "青年路12号" not in value, f"{where}: {value!r}"
                if decision.effect is Effect.WHOLE:
                    if fname not in PERSON_TEXTS or reveals_person_text(POLICY, read.subjects):
                        assert value == expected, f"{where}: {value!r} is not the stored {expected!r}"
                else:
                    assert value == mask(fname, clear), f"{where}: {value!r} is not the masked value"
                    assert value != expected, f"{where}: the masked value is the plaintext"
                continue
            assert decision.effect is Effect.WHOLE, f"{fname}: an object field can only be shown or denied"
            child_read = rep if (fname == "Organization.legalRepresentative" and rep is not None) else read
            if not is_list:
                assert isinstance(expected, Stored) and value is not None, f"{where}: missing"
                self.check(value, child, expected, child_read, where, rep)
                continue
            assert isinstance(expected, list)
            visible = self.visible(child, expected, child_read.viewer)
            key = self.key_field(child, child_read)
            by_key = {s.values[key]: s for s in visible}
            assert sorted(item[key] for item in value) == sorted(by_key), f"{where}: rows differ"
            for i, item in enumerate(value):
                self.check(item, child, by_key[item[key]], child_read, (*where, i), rep)  # fmt: skip

    def visible(self, type_name: str, rows: list[Stored], viewer: Viewer) -> list[Stored]:
        if type_name == "ListEntry":
            shown = {id(r) for r in visible_list_entries([s.row for s in rows], viewer=viewer)}
        else:
            shown = {
                id(r)
                for r in visible_records(
                    [s.row for s in rows],
                    viewer=viewer,
                    subject_kinds=self.kinds,
                    today=TODAY,
                    periods=PERIODS,
                )
            }
        return [s for s in rows if id(s.row) in shown]

    @staticmethod
    def key_field(type_name: str, read: Reading) -> str:
        for candidate in ("id", "documentNumber", "listName"):
            if f"{type_name}.{candidate}" in known_fields():
                if POLICY.decide(read.subjects, f"{type_name}.{candidate}").effect is Effect.WHOLE:
                    return candidate
        raise AssertionError(f"{type_name} rows cannot be told apart under {sorted(read.subjects)}")


# --- fixtures -----------------------------------------------------------------------------------------


@dataclass
class Matrix:
    env: GatewayEnv
    client: httpx.Client
    ids: dict[str, str]
    consents: dict[tuple[str, ...], str]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    tmp = tmp_path_factory.mktemp("matrix")
    with ExitStack() as stack:
        base = os.environ.get(PG_ENV)
        url = stack.enter_context(fresh_pg_schema(base)) if base else f"sqlite:///{tmp / 'credit.db'}"
        # One query selects every field a role can reach: that is the policy under test, not the
        # per-role document limits (tests/test_hardening_http.py pins those).
        roomy = ",".join(
            f"{role}=12:50:20000" for role in ("public", "partner", "individual", "enterprise", "provider")
        )
        env = build_env(tmp, url, limits=roomy)
        ids = write_matrix_data(env)
        env = GatewayEnv(env.settings, env.keyring, {**env.ids, **ids})
        # The request clock is the data's date: display periods would otherwise move the rows under the test.
        server = stack.enter_context(running(app_with_clock(env.settings, Clock(NOW))))
        client = stack.enter_context(httpx.Client(base_url=server, timeout=10))
        consents = {
            c.consent_scopes: grant(client, env, list(c.consent_scopes), who="wang")[1]
            for c in CASES
            if c.consent_scopes
        }
        yield Matrix(env, client, env.ids, consents)


def write_matrix_data(env: GatewayEnv) -> dict[str, str]:
    engine = db.make_engine(env.settings.database_url)
    now = NOW
    try:
        with Session(engine) as session, session.begin():
            writer = StoreWriter(
                session, FieldCipher(env.keyring), calendar=WorkCalendar.load(), clock=lambda: now
            )
            results = writer.write([WANG, SHOP, *SHOP_RECORDS, *WANG_RECORDS, *LISTS])
            # Every field holds a value, so that each masked one is seen masked: the exit reason
            # as an objection that revoked the entry would write it.
            session.execute(update(ListEntry).values(exit_reason=f"objection 0: {TRAITS}，认定对象错误"))
    finally:
        engine.dispose()
    return {"wang": results[0].id, "shop": results[1].id}


def headers_for(m: Matrix, who: str) -> dict[str, str]:
    if who == "public":
        return {}
    if who.startswith("partner:"):
        return m.env.headers(Role.PARTNER, org_code=BANK_CODE, agency_kind=AgencyKind(who.split(":")[1]))
    if who.startswith("individual:"):
        return m.env.headers(Role.INDIVIDUAL, person_id=m.ids[who.split(":")[1]])
    if who.startswith("enterprise:"):
        code = {"shop": SHOP.credit_code, "company": COMPANY.credit_code}[who.split(":")[1]]
        return m.env.headers(Role.ENTERPRISE, org_code=code)
    if who == "provider":
        return m.env.headers(Role.PROVIDER, org_code=MARKET.credit_code)
    return m.env.headers(Role(who), subject=f"{who}-1")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_field_is_whole_masked_or_denied_as_the_policy_decides(matrix: Matrix, case: Case) -> None:
    variables = {
        "code": SHOP.credit_code,
        "id": WANG.id_number,
        "consent": matrix.consents.get(case.consent_scopes),
    }
    query = query_for(case)
    response = matrix.client.post("/graphql", json={"query": query, "variables": variables},
                                  headers=headers_for(matrix, case.headers))  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    engine = db.make_engine(matrix.env.settings.database_url)
    try:
        with Session(engine) as session:
            store = Store(session, FieldCipher(matrix.env.keyring))
            answer = Answer(body, store.kinds)
            for root, read in case.roots.items():
                node = body["data"][root]
                assert node is not None, body.get("errors")
                is_org = root in (ORG, "myOrganization")
                expected = (
                    store.organization(matrix.ids["shop"]) if is_org else store.person(matrix.ids["wang"])
                )
                answer.check(
                    node,
                    "Organization" if is_org else "Person",
                    expected,
                    read,
                    (root,),
                    case.representative,
                )
    finally:
        engine.dispose()
    assert not answer.unexplained, [answer.errors[p] for p in answer.unexplained]
    assert answer.counts[Effect.WHOLE] > 0


def test_the_matrix_covers_every_guarded_field_and_every_effect() -> None:
    """The cases together reach every field of the four types, and each effect occurs."""
    reached: set[str] = set()
    effects: set[Effect] = set()
    for case in CASES:
        for root, read in case.roots.items():
            for type_name in reachable("Organization" if root in (ORG, "myOrganization") else "Person"):
                for name, _, _ in fields_of(type_name):
                    reached.add(f"{type_name}.{name}")
                    effects.add(POLICY.decide(read.subjects, f"{type_name}.{name}").effect)
    assert reached == set(known_fields())
    assert effects == set(Effect)
    assert {f"partner:{k}" for k in AgencyKind} <= {c.headers for c in CASES}
