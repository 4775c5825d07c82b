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
from gateway.store.models import Organization


class AgencyDirectory:
    """Name → credit code of registered agencies, read once for the run (agencies do not change
    during a CSV import, which cannot register them).

    All agencies are read in one query when the directory is made: there are hundreds, not
    millions, and a directory that holds them needs no database connection afterwards, so rows can
    be converted in a process that has none (``gateway.importing.background``)."""

    def __init__(self, engine: Engine) -> None:
        stmt = select(Organization.name, Organization.credit_code).where(
            Organization.form == OrgForm.AGENCY, Organization.credit_code.is_not(None)
        )
        self._codes: dict[str, list[str]] = {}
        with Session(engine) as session:
            for agency_name, code in session.execute(stmt):
                self._codes.setdefault(agency_name, []).append(code)

    def code_for(self, name: str, *, field: str = "authorityName") -> str:
        name = name.strip()
        if not name:
            raise InvalidInput(field, "is required")
        codes = self._codes.get(name, [])
        if not codes:
            raise InvalidInput(
                field, "names no registered agency; import the agency first (JSON Lines type agency)"
            )
        if len(codes) > 1:
            raise InvalidInput(field, "names more than one registered agency")
        return codes[0]
