"""Credit repair (信用修复): the rules, without the database.

After the subject corrects its behaviour and discharges its obligations, repaired information is
removed from public and query pages, kept as an archive, and no longer a basis for punishment
(002 二(七)4, 003 second plan 二(五)); the national credit-repair measures admit an application once
the minimum display period has passed and the obligations are fulfilled, with a credit commitment
(《信用修复管理办法》, NDRC 2025). The subject files a statement (obligations fulfilled, the
commitment) and evidence; the issuing authority decides.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from gateway.domain import RecordStatus, is_dishonesty
from gateway.errors import InvalidState, RepairTooEarly
from gateway.lifecycle.rules.periods import DisplayPeriods, RecordFacts

REPAIRABLE = frozenset({RecordStatus.ACTIVE, RecordStatus.CORRECTED})
MAX_STATEMENT = 5_000
MAX_EVIDENCE = 20_000


class RepairableRecord(RecordFacts, Protocol):
    @property
    def status(self) -> RecordStatus: ...


def check_repairable(record: RepairableRecord, *, today: date, periods: DisplayPeriods) -> None:
    """Raise unless a repair may be applied for (or approved) on ``today``."""
    if not is_dishonesty(record.category, record.severity, record.kept):
        raise InvalidState("only dishonesty records are repaired")
    if record.status is RecordStatus.UNDER_OBJECTION:
        raise InvalidState("the record is under objection; it is resolved first")
    if record.status not in REPAIRABLE:
        raise InvalidState(f"a {record.status.value.lower()} record cannot be repaired")
    window = periods.window(record)
    if not window.shown_on(today):
        raise InvalidState("the record is past its display period and no longer shown or used")
    assert window.repairable_from is not None  # every dishonesty record has one
    if today < window.repairable_from:
        raise RepairTooEarly(
            f"the minimum display period has not passed: a repair may be applied for from "
            f"{window.repairable_from.isoformat()}"
        )
