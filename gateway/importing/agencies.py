"""Credit codes of registered government agencies, looked up by name.

The earlier double-publicity layouts name the deciding authority (处罚机关 / 许可机关) but give no
credit code, and the store keys records by the authority's code. The agency must therefore already
be registered (JSON Lines ``"type": "agency"``); a name that matches no agency, or more than one,
rejects the row instead of guessing.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gateway.domain import OrgForm
from gateway.errors import InvalidInput
from gateway.models import Organization


class AgencyDirectory:
    """Name → credit code of registered agencies, cached for the run (agencies do not change
    during a CSV import, which cannot register them)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._codes: dict[str, list[str]] = {}

    def code_for(self, name: str, *, field: str = "authorityName") -> str:
        name = name.strip()
        if not name:
            raise InvalidInput(field, "is required")
        if name not in self._codes:
            stmt = select(Organization.credit_code).where(
                Organization.form == OrgForm.AGENCY, Organization.name == name
            )
            with Session(self._engine) as session:
                self._codes[name] = [c for c in session.scalars(stmt) if c is not None]
        codes = self._codes[name]
        if not codes:
            raise InvalidInput(
                field, "names no registered agency; import the agency first (JSON Lines type agency)"
            )
        if len(codes) > 1:
            raise InvalidInput(field, "names more than one registered agency")
        return codes[0]
