"""What one request carries through resolvers: the caller, its unit of work, and the services."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.access.consent_tokens import ConsentTokens
from gateway.access.disclosure import DisclosureRules
from gateway.access.lawful import LawfulAccessRules
from gateway.access.policy import FieldPolicy
from gateway.access.revocations import SharedRevocationList
from gateway.access.tokens import Caller
from gateway.api.loaders import Loaders
from gateway.audit.changes import Change
from gateway.audit.pseudonyms import Pseudonyms
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.reports.rules import ReportRules
from gateway.reports.signing import ReportSigner
from gateway.settings import Settings
from gateway.workdays import WorkCalendar


@dataclass(frozen=True, slots=True)
class Services:
    """Long-lived collaborators shared by all requests of one worker."""

    settings: Settings
    cipher: FieldCipher
    policy: FieldPolicy
    consent_tokens: ConsentTokens
    calendar: WorkCalendar
    clock: Callable[[], datetime]
    lifecycle: LifecycleRules
    pseudonyms: Pseudonyms  # identity number -> the log's pseudonym (auditors' subject filter)
    audit_keys: Mapping[str, bytes]  # audit public keys by key id, to check signed heads
    lawful_access: LawfulAccessRules  # who may read a person without consent (policies/lawful-access.toml)
    disclosure: (
        DisclosureRules  # which individuals' list entries are public (policies/public-disclosure.toml)
    )
    revocations: SharedRevocationList | None = None  # the shared token revocation list (this copy)
    reports: ReportSigner | None = None  # signs credit reports with the keyring's report-<n> key
    report_rules: ReportRules | None = None  # validity periods (policies/reports.toml)


@dataclass(slots=True)
class RequestContext:
    caller: Caller
    session: Session
    services: Services
    now: datetime
    # Field outcomes of this request ("Person.phone" -> count per effect), for the audit event.
    field_outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    # The policy rule that masked or denied each such field, so every refusal can be explained.
    field_rules: dict[str, str] = field(default_factory=dict)
    subjects_touched: set[str] = field(default_factory=set)
    consent_id: str | None = None
    # Consent uses this operation counted (``gateway.access.consent_uses``): each is paired with the
    # operation's audit event in the transaction that appends it.
    consent_uses: list[str] = field(default_factory=list)
    purpose: str | None = None
    # What the operation changed in the store, one change event each (gateway.audit.changes); noted
    # by the resolvers once a service has written, dropped when the unit of work rolls back.
    changes: list[Change] = field(default_factory=list)
    # Changes that are not the unit of work's (a policy reload): kept whatever the operation does.
    noticed: list[Change] = field(default_factory=list)
    # Legal bases stated for lookups without consent (``law|article|reference``), and the instant
    # from which the persons looked up may see the lookup (None: at once), for the audit event.
    legal_bases: set[str] = field(default_factory=set)
    notice_after: datetime | None = None
    # Credit reports this operation issued (serial, subject, sections), for its audit event.
    reports: list[dict[str, Any]] = field(default_factory=list)
    # Batched reads for nested fields, cached for this request only (never shared: see loaders).
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.session)

    def withhold_notice_until(self, moment: datetime) -> None:
        """Keep this request's event out of its subjects' "who looked at me" until ``moment`` (the
        latest of the lookups' delays: the event is one entry for all the subjects it names)."""
        self.notice_after = moment if self.notice_after is None else max(self.notice_after, moment)
