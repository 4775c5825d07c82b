"""``serve --demo``: everything a newcomer needs to see the gateway answer, from nothing.

Creates the keyring and a SQLite store with deterministic demo data when they are absent, then
prints one token per role, a consent token of a demo person for a demo partner agency, sample
``curl`` commands, a portal sign-in link per demo person of ``demo.people`` and the auditor's
console link. Safe to run again: existing keys and data are kept, new tokens are printed.

Nothing printed holds an identity number: standard output ends up in terminals' scroll-back, CI
logs and screenshots. The partner's consented lookup, which must name the person by identity
number, reads its body from a file beside the keyring that only the owner can read
(``demo-person-lookup.json``), and the curl passes it with ``-d @file``.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gateway.access.consent import ConsentGrant, grant
from gateway.access.consent_tokens import ConsentTokens
from gateway.access.tokens import Role, TokenIssuer
from gateway.demo import responsible
from gateway.demo.lawful import COURT_LOOKUP, court_code, court_lookup
from gateway.demo.lawful import basis as lawful_basis
from gateway.demo.lifecycle import Actors, add_lifecycle_examples
from gateway.demo.people import FIRST, DemoPerson, portal_people
from gateway.demo.plan import SeedPlan
from gateway.demo.seeding import run_seed
from gateway.domain import AgencyKind, ConsentPurpose, ConsentScope, OrgForm, ResponsibleRole, SubjectKind
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, create_keyring_file, load_keyring
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.settings import Settings
from gateway.store import db
from gateway.store.models import CreditRecord, Organization, RecordLink, Subject
from gateway.store.reads import persons_by_id
from gateway.workdays import WorkCalendar

LOOKUP_FILE = "demo-person-lookup.json"
COURT_FILE = "demo-court-lookup.json"
CHECK_FILE = "demo-responsible-check.json"
CHECK_QUERY = (
    "query($id: String!, $c: String) { creditCheck(subject: {idNumber: $id}, matter: ADMINISTRATIVE_LICENSING,"
    " purpose: ADMINISTRATIVE_LICENSING, consent: $c) { blackListed restrictions { code reasons }"
    " responsibilities { role basis reason } } }"
)
PERSON_QUERY = (
    "query($id: String!, $c: String) { person(idNumber: $id, purpose: ADMINISTRATIVE_LICENSING, consent: $c)"
    " { name idNumber phone records { category documentNumber } linkedRecords { documentNumber } } }"
)
DEMO_SEED = 20261125
DEMO_PEOPLE = 2_000
DEMO_ORGS = 300
TOKEN_TTL = 86_400

console = Console(stderr=True)
out = Console(soft_wrap=True)


@dataclass(frozen=True, slots=True)
class DemoActors:
    partner_code: str
    provider_code: str
    company_code: str
    person_id: str
    court_code: str


@dataclass(frozen=True, slots=True)
class Bodies:
    """The printed requests whose bodies name a person by identity number, each in an owner-only file."""

    lookup: Path  # a partner's consented lookup
    check: Path  # the black-listed company's legal representative, checked with consent
    court: Path  # a court's lookup under a legal basis


@dataclass(frozen=True, slots=True)
class ResponsibilitySamples:
    """The black-listed company's legal representative (identity number, consent token for the
    partner) and the minor, for the printed sample queries."""

    representative_id_number: str
    representative_consent: str
    minor_id: str


def prepare_demo(settings: Settings, *, host: str, port: int) -> None:
    keyring = _keyring(settings)
    db.upgrade(settings.database_url)
    engine = db.make_engine(settings.database_url)
    try:
        cipher = FieldCipher(keyring)
        seeded = _seed_if_empty(engine, cipher, settings)
        actors = _actors(engine)
        if seeded:
            _lifecycle_examples(engine, cipher, settings, actors)
        samples = _responsibility_samples(engine, cipher, settings, actors, keyring)
        with Session(engine, expire_on_commit=False) as session, session.begin():
            person = persons_by_id(session, cipher, [actors.person_id])[actors.person_id]
            people = portal_people(session, actors.person_id)
            consent = grant(
                session,
                person_id=actors.person_id,
                request=ConsentGrant(
                    grantee_code=actors.partner_code,
                    purpose=ConsentPurpose.ADMINISTRATIVE_LICENSING,
                    scopes=frozenset({ConsentScope.IDENTITY, ConsentScope.RECORDS, ConsentScope.LISTS}),
                    ttl=timedelta(days=30),
                    max_uses=100,
                ),
                now=datetime.now(UTC),
            )
        consent_token = ConsentTokens.from_keyring(keyring).issue(consent)
    finally:
        engine.dispose()
    if seeded:  # a court's lookup under a legal basis, shown in the person's "who looked at me"
        court_lookup(settings, court=actors.court_code, id_number=person.id_number)
    folder = settings.keyring_path.parent
    bodies = Bodies(
        lookup=write_private_body(
            folder / LOOKUP_FILE, PERSON_QUERY, {"id": person.id_number, "c": consent_token}
        ),
        check=write_private_body(
            folder / CHECK_FILE,
            CHECK_QUERY,
            {"id": samples.representative_id_number, "c": samples.representative_consent},
        ),
        court=write_private_body(
            folder / COURT_FILE, COURT_LOOKUP, {"id": person.id_number, "basis": lawful_basis()}
        ),
    )
    _print(settings, keyring, actors, bodies, consent_token, people, samples, host=host, port=port)


def write_private_body(path: Path, query: str, variables: dict[str, object]) -> Path:
    """A request body naming a person by identity number in its variables, in a file only its owner
    reads (rewritten on each run: a consent token in it is new each time)."""
    body = json.dumps({"query": query, "variables": variables}, ensure_ascii=False)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an older file keeps its mode through O_CREAT
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(body + "\n")
    return path


def _keyring(settings: Settings) -> Keyring:
    if settings.keyring_path.exists():
        return load_keyring(settings.keyring_path)
    console.print(f"creating a keyring at {settings.keyring_path}")
    return create_keyring_file(settings.keyring_path)


def _seed_if_empty(engine: Engine, cipher: FieldCipher, settings: Settings) -> bool:
    with Session(engine) as session:
        if session.scalar(select(func.count()).select_from(Subject)):
            return False
    console.print(f"writing demo data ({DEMO_PEOPLE} people, {DEMO_ORGS} organisations) …")
    plan = SeedPlan(seed=DEMO_SEED, people=DEMO_PEOPLE, orgs=DEMO_ORGS, batch_size=DEMO_PEOPLE)
    run_seed(engine, cipher, plan, calendar=WorkCalendar.load(settings.holidays_path))
    return True


def _lifecycle_examples(engine: Engine, cipher: FieldCipher, settings: Settings, actors: DemoActors) -> None:
    """Objections and repair applications in every state (docs/lifecycle.md)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        made = add_lifecycle_examples(
            session,
            cipher,
            actors=Actors(actors.partner_code, actors.provider_code, actors.person_id),
            rules=LifecycleRules.load(settings.policy_dir),
            calendar=WorkCalendar.load(settings.holidays_path),
            now=datetime.now(UTC),
        )
    console.print(f"lifecycle examples: {', '.join(made) or 'none'}")


def _responsibility_samples(
    engine: Engine, cipher: FieldCipher, settings: Settings, actors: DemoActors, keyring: Keyring
) -> ResponsibilitySamples:
    """A black-listed company with its three responsible persons and a minor's record (written once,
    docs/lifecycle.md), and the legal representative's consent for the demo partner."""
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        examples = responsible.find_examples(session) or responsible.add_examples(
            session,
            cipher,
            authority_code=actors.provider_code,
            calendar=WorkCalendar.load(settings.holidays_path),
            now=now,
        )
        rep_id = examples.holders[ResponsibleRole.LEGAL_REPRESENTATIVE]
        rep = persons_by_id(session, cipher, [rep_id])[rep_id]
        consent = grant(
            session,
            person_id=rep_id,
            request=ConsentGrant(
                grantee_code=actors.partner_code,
                purpose=ConsentPurpose.ADMINISTRATIVE_LICENSING,
                scopes=frozenset({ConsentScope.RECORDS, ConsentScope.LISTS}),
                ttl=timedelta(days=30),
                max_uses=100,
            ),
            now=now,
        )
    token = ConsentTokens.from_keyring(keyring).issue(consent)
    return ResponsibilitySamples(rep.id_number, token, examples.minor_id)


def _actors(engine: Engine) -> DemoActors:
    """Pick a market-regulation agency, a company with published records, and the legal
    representative of a company with a serious dishonesty (so ``me`` shows a linked record)."""
    with Session(engine) as session:
        partner = session.scalar(
            select(Organization.credit_code)
            .where(Organization.agency_kind == AgencyKind.MARKET_REGULATION)
            .order_by(Organization.credit_code)
            .limit(1)
        )
        provider = session.scalar(
            select(CreditRecord.authority_code)
            .group_by(CreditRecord.authority_code)
            .order_by(func.count().desc(), CreditRecord.authority_code)
            .limit(1)
        )
        company = session.scalar(
            select(Organization.credit_code)
            .join(CreditRecord, CreditRecord.subject_id == Organization.subject_id)
            .join(Subject, Subject.id == Organization.subject_id)
            .where(Subject.kind == SubjectKind.ORGANIZATION, Organization.form == OrgForm.LEGAL_PERSON)
            .group_by(Organization.credit_code)
            .order_by(func.count().desc(), Organization.credit_code)
            .limit(1)
        )
        person = session.scalar(select(RecordLink.subject_id).order_by(RecordLink.subject_id).limit(1))
    if not (partner and provider and company and person):
        raise RuntimeError("the demo data lacks an agency, a company or a linked person")
    return DemoActors(partner, provider, company, person, court_code(engine))


def _print(
    settings: Settings, keyring: Keyring, actors: DemoActors, bodies: Bodies, consent_token: str,
    people: list[DemoPerson], samples: ResponsibilitySamples, *, host: str, port: int,
) -> None:  # fmt: skip
    lookup = bodies.lookup
    issuer = TokenIssuer(keyring, issuer=settings.issuer_id)
    tokens = {
        "partner (market regulation)": issuer.issue(
            role=Role.PARTNER,
            org_code=actors.partner_code,
            agency_kind=AgencyKind.MARKET_REGULATION,
            ttl=TOKEN_TTL,
        ),
        f"individual ({FIRST})": issuer.issue(
            role=Role.INDIVIDUAL, person_id=actors.person_id, ttl=TOKEN_TTL
        ),
        "provider (the busiest issuing agency)": issuer.issue(
            role=Role.PROVIDER, org_code=actors.provider_code, ttl=TOKEN_TTL
        ),
        "individual (a minor's record)": issuer.issue(
            role=Role.INDIVIDUAL, person_id=samples.minor_id, ttl=TOKEN_TTL
        ),
        "partner (court)": issuer.issue(
            role=Role.PARTNER, org_code=actors.court_code, agency_kind=AgencyKind.COURT, ttl=TOKEN_TTL
        ),
        "auditor": issuer.issue(role=Role.AUDITOR, subject="demo-auditor", ttl=TOKEN_TTL),
        "admin": issuer.issue(role=Role.ADMIN, subject="demo-admin", ttl=TOKEN_TTL),
    }
    url = f"http://{host}:{port}/graphql"
    out.print("\n[bold]Demo tokens (valid 24 hours)[/bold]")
    for label, token in tokens.items():
        out.print(f"  {label}:\n    {token.value}")
    out.print(
        f"\n[bold]Consent token[/bold] (the individual's consent for the partner):\n    {consent_token}"
    )
    public_query = (
        '{"query": "{ organization(creditCode: \\"'
        + actors.company_code
        + '\\") { name creditCode legalRepresentative { name idNumber } records { category documentNumber decisionDate content } listEntries { kind listName } } }"}'
    )
    out.print("\n[bold]Try it[/bold] (public view of a company; then the same with a role token):")
    out.print(f"  curl -s {url} -H 'Content-Type: application/json' -d {shlex.quote(public_query)}")
    partner = tokens["partner (market regulation)"].value
    out.print(
        f"\n  A partner's consented lookup of a person (the body, with the person's identity number as $id"
        f" and the consent token as $c, is in {lookup}, readable by you alone):"
    )
    out.print(
        f"  curl -s {url} -H 'Content-Type: application/json' -H 'Authorization: Bearer {partner}' "
        f"-d {shlex.quote('@' + str(lookup))}"
    )
    admin = tokens["admin"].value
    lifecycle_query = (
        '{"query": "{ objections { status overdue record { documentNumber status } } '
        'overdueObjections { dueOn } repairApplications { status record { status } } }"}'
    )
    out.print(
        "\n  Objections and repair applications in every state (docs/lifecycle.md); the provider token"
        " sees its own authority's:"
    )
    out.print(
        f"  curl -s {url} -H 'Content-Type: application/json' -H 'Authorization: Bearer {admin}' "
        f"-d {shlex.quote(lifecycle_query)}"
    )
    auditor = tokens["auditor"].value
    audit_query = (
        '{"query": "{ auditEvents(first: 5) { nodes { seq time callerId role rootFields outcome errorCodes '
        "subjects } pageInfo { endCursor hasNextPage } } auditVerification { treeSize headSignatureValid "
        'headMatchesTree latestHead { treeSize rootHash keyId } } }"}'
    )
    out.print(
        "\n  The audit log, for the auditor: the first page of events (pass pageInfo.endCursor as"
        ' `after` for the next) and the verification status (docs/audit.md, "For auditors"):'
    )
    out.print(
        f"  curl -s {url} -H 'Content-Type: application/json' -H 'Authorization: Bearer {auditor}' "
        f"-d {shlex.quote(audit_query)}"
    )
    _print_responsibility_samples(url, partner, tokens["individual (a minor's record)"].value, bodies.check)
    _print_report_sample(url, partner, actors.company_code, f"http://{host}:{port}/keys/reports.jwks")
    court = tokens["partner (court)"].value
    out.print(
        "\n  A court's lookup of the same person without consent, under a legal basis (docs/partner-guide.md;"
        f" the body, naming the person by identity number, is in {bodies.court}, readable by you alone);"
        " the demo made one already, which the person's portal shows under who looked at me:"
    )
    out.print(
        f"  curl -s {url} -H 'Content-Type: application/json' -H 'Authorization: Bearer {court}' "
        f"-d {shlex.quote('@' + str(bodies.court))}"
    )
    published_query = (
        '{"query": "{ publishedListEntries(list: BLACK, category: DISHONEST_JUDGMENT_DEBTOR, first: 5) '
        '{ nodes { subjectKind name identifier listName listedOn authorityCode } pageInfo { endCursor hasNextPage } } }"}'
    )
    out.print(
        "\n  The published dishonest judgment debtors, for anyone: name and masked identity number"
        ' (docs/lifecycle.md, "Public disclosure"):'
    )
    out.print(f"  curl -s {url} -H 'Content-Type: application/json' -d {shlex.quote(published_query)}")
    out.print(f"\nGraphiQL: {url} (dev mode)")
    # The token rides in the fragment, which the browser never sends: no server log sees it.
    out.print(
        "\n[bold]Portal[/bold] (the individual's pages; each link signs one demo person in at a click, the"
        " first one to try first; docs/portal.md):"
    )
    for demo in people:
        label = f"individual ({demo.story})"
        token = tokens[label] if label in tokens else issuer.issue(role=Role.INDIVIDUAL, person_id=demo.person_id,
                                                                   ttl=TOKEN_TTL)  # fmt: skip
        out.print(f"  {label}: http://{host}:{port}/portal/#token={token.value}")
    out.print(
        "\n[bold]Console[/bold] (the auditor's pages: events, counts, flags, the tree, export; docs/portal.md):"
    )
    out.print(f"  auditor: http://{host}:{port}/console/#token={auditor}\n")


def _print_responsibility_samples(url: str, partner: str, minor: str, check: Path) -> None:
    out.print(
        "\n  The legal representative of a black-listed company, checked with their consent: the restriction"
        " reaches them with its reason (the principal and the actual controller alike; docs/lifecycle.md;"
        f" the body, naming the person by identity number, is in {check}, readable by you alone):"
    )
    out.print(
        f"  curl -s {url} -H 'Content-Type: application/json' -H 'Authorization: Bearer {partner}' "
        f"-d {shlex.quote('@' + str(check))}"
    )
    minor_query = (
        '{"query": "{ me { records { documentNumber actDate displayUntil } } '
        'myCreditEvaluation { grade contributions { rule } } }"}'
    )
    out.print(
        "\n  A minor's record, in the person's own view: shown for the minors' shorter period, never"
        " published, not in the grade:"
    )
    out.print(
        f"  curl -s {url} -H 'Content-Type: application/json' -H 'Authorization: Bearer {minor}' "
        f"-d {shlex.quote(minor_query)}"
    )


def _print_report_sample(url: str, partner: str, company_code: str, jwks_url: str) -> None:
    """A signed credit report on the demo company, saved, then verified offline (docs/reports.md)."""
    body = json.dumps(
        {
            "query": f'{{ report(purpose: PUBLIC_PROCUREMENT, subject: {{creditCode: "{company_code}"}}) {{ jws }} }}'
        }
    )
    extract = 'import json,sys; print(json.load(sys.stdin)["data"]["report"]["jws"])'
    out.print(
        "\n  A signed credit report on the company for a tender, saved, then checked offline with the"
        " published report keys (docs/reports.md):"
    )
    out.print(
        f"  curl -s {url} -H 'Content-Type: application/json' -H 'Authorization: Bearer {partner}' "
        f"-d {shlex.quote(body)} | python3 -c {shlex.quote(extract)} > report.jws"
    )
    out.print(f"  curl -s {jwks_url} > reports.jwks")
    out.print("  credit-gateway report verify report.jws --jwks reports.jwks")
