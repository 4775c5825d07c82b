"""The demo's lookup without consent: a court reads the demo person under a legal basis, through the
gateway's own request path (``Gateway.execute``, the audit event committed as for any request), so
that the person's "who looked at me" shows the court, the statutory purpose and the case number.

Run once, when the demo data is first written. The gateway is built here and closed again; the
served gateway reads the same store and log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gateway.access.tokens import Caller, Role
from gateway.domain import AgencyKind
from gateway.settings import Settings
from gateway.store.models import Organization

# The court's case: enforcement of a judgment (民事诉讼法 第二百五十五条: 查询被执行人的财产情况).
LAW = "中华人民共和国民事诉讼法"
ARTICLE = "第二百五十五条"
REFERENCE = "(2026)鲁1702执123号"
COURT_LOOKUP = (
    "query($id: String!, $basis: LegalBasisInput) { person(idNumber: $id, legalBasis: $basis) "
    "{ name idNumber records { category documentNumber } listEntries { kind listName } } }"
)


def basis() -> dict[str, str]:
    return {"law": LAW, "article": ARTICLE, "reference": REFERENCE, "purpose": "ENFORCEMENT"}


def court_code(engine: Engine) -> str:
    """A court of the demo data (the first by credit code)."""
    with Session(engine) as session:
        code = session.scalar(
            select(Organization.credit_code)
            .where(Organization.agency_kind == AgencyKind.COURT)
            .order_by(Organization.credit_code)
            .limit(1)
        )
    if code is None:
        raise RuntimeError("the demo data lacks a court")
    return code


def court_lookup(settings: Settings, *, court: str, id_number: str) -> dict[str, Any]:
    """The court's lookup of the person, answered and logged as a request would be; its answer."""
    from gateway.api.app import Gateway  # the request path itself; imported here, where it is run

    gateway = Gateway.from_settings(settings)
    try:
        caller = Caller(
            id=court,
            role=Role.PARTNER,
            org_code=court,
            agency_kind=AgencyKind.COURT,
            issuer=settings.issuer_id,
        )
        trail = gateway.auditor.start(None)
        answer = gateway.execute(
            {"query": COURT_LOOKUP, "variables": {"id": id_number, "basis": basis()}}, caller, trail
        )
        gateway.committer.append(trail.documents)
    finally:
        gateway.committer.close()
        gateway.dispose()
    if "errors" in answer:
        raise RuntimeError(f"the demo court lookup was refused: {answer['errors']}")
    return answer
