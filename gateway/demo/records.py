"""Synthetic credit records and red/black list entries for seeded subjects.

Records carry document numbers in each agency's own style, dates over the five years before the
reference day, a mix of severities, procedures and statuses, and a share received after the
7-working-day deadline (000 双公示 二(三)). List entries are only made from records that justify
them: black lists from serious penalties and dishonest judgment debtors, red lists from commendations.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from gateway.demo.subjects import Agency
from gateway.demo.texts import (
    BLACK_LISTS,
    COURT_WORDS,
    DECISIONS,
    DOC_WORDS,
    PENALTIES,
    POLICE_PENALTY_WORD,
    RED_LIST_NAME,
    Decision,
    Violation,
)
from gateway.domain import (
    AgencyKind,
    Category,
    ListKind,
    ListStatus,
    Procedure,
    RecordStatus,
    Severity,
    is_dishonesty,
)
from gateway.store.inputs import ListEntryInput, RecordInput, SubjectRef

CHINA = timezone(timedelta(hours=8), "CST")
YEARS_BACK = 5
LATE_SHARE = 0.12
BLACK_SHARE = 0.5
RED_SHARE = 0.35
EXIT_EARLY_EVERY = 5  # one list entry in five is left early, after credit repair

# Relative frequency of categories among the records of organisations and of people.
ORG_WEIGHTS: dict[Category, int] = {
    Category.ADMINISTRATIVE_LICENSING: 26, Category.ADMINISTRATIVE_PENALTY: 20,
    Category.SUPERVISION_INSPECTION: 12, Category.CREDIT_COMMITMENT: 9, Category.COMMENDATION: 5,
    Category.ADMINISTRATIVE_COERCION: 4, Category.ADMINISTRATIVE_CONFIRMATION: 3,
    Category.ADMINISTRATIVE_LEVY: 4, Category.ADMINISTRATIVE_PAYMENT: 2,
    Category.ADMINISTRATIVE_ADJUDICATION: 2, Category.ADMINISTRATIVE_COMPENSATION: 1,
    Category.ADMINISTRATIVE_REWARD: 2, Category.DISHONEST_JUDGMENT_DEBTOR: 4,
    Category.PUBLIC_UTILITY_ARREARS: 3,
}  # fmt: skip
PERSON_WEIGHTS: dict[Category, int] = {
    Category.ADMINISTRATIVE_PENALTY: 30, Category.ADMINISTRATIVE_LICENSING: 12, Category.COMMENDATION: 14,
    Category.DISHONEST_JUDGMENT_DEBTOR: 8, Category.PUBLIC_UTILITY_ARREARS: 8,
    Category.ADMINISTRATIVE_REWARD: 4, Category.ADMINISTRATIVE_PAYMENT: 7,
    Category.ADMINISTRATIVE_CONFIRMATION: 4, Category.CREDIT_COMMITMENT: 4,
    Category.ADMINISTRATIVE_ADJUDICATION: 3, Category.ADMINISTRATIVE_COMPENSATION: 1,
    Category.ADMINISTRATIVE_LEVY: 2,
}  # fmt: skip


Choice = Violation | Decision


def _choices(who: str) -> dict[Category, tuple[Choice, ...]]:
    table: dict[Category, tuple[Choice, ...]] = {
        Category.ADMINISTRATIVE_PENALTY: tuple(v for v in PENALTIES if who in v.who)
    }
    table.update({c: tuple(d for d in ds if who in d.who) for c, ds in DECISIONS.items()})
    return {c: opts for c, opts in table.items() if opts}


class RecordFactory:
    """Draws records for subjects; numbers documents per agency, category and year without gaps."""

    def __init__(self, rng: random.Random, agencies: list[Agency], reference_day: date, city: str) -> None:
        self.rng = rng
        self.reference_day = reference_day
        self.city = city
        self.by_kind: dict[AgencyKind, list[Agency]] = defaultdict(list)
        for agency in agencies:
            self.by_kind[agency.kind].append(agency)
        self.options = {who: _choices(who) for who in "OPA"}
        self._numbers: dict[tuple[str, Category, int], int] = {}
        # Categories still to be shown at least once: the first records of organisations go through
        # them in turn, so even a small run has every category, starting with a serious penalty.
        self.pending = sorted(ORG_WEIGHTS, key=lambda c: c is not Category.ADMINISTRATIVE_PENALTY)
        self._serious_shown = False
        self._listed_once: set[ListKind] = set()
        self._entries = 0

    # --- records ---------------------------------------------------------------------------------

    def for_subject(
        self, subject: SubjectRef, who: str, name: str, count: int, address: str | None = None
    ) -> tuple[list[RecordInput], list[ListEntryInput]]:
        """``count`` records of one subject (``who``: O organisation, P person, A agency), and the
        list entries they justify (at most one per list)."""
        records: list[RecordInput] = []
        entries: dict[tuple[ListKind, str], ListEntryInput] = {}
        for _ in range(count):
            if who == "O" and self.pending:
                category, serious = self.pending.pop(0), not self._serious_shown
                self._serious_shown = True
            elif who == "A":
                category, serious = Category.GOVERNMENT_AFFAIRS_DISHONESTY, False
            else:
                weights = ORG_WEIGHTS if who == "O" else PERSON_WEIGHTS
                category = self.rng.choices(list(weights), weights=list(weights.values()))[0]
                serious = False
            record, agency = self.record(subject, who, name, category, serious, address)
            records.append(record)
            entry = self.list_entry(record, agency)
            if entry is not None:
                entries.setdefault((entry.kind, entry.list_name), entry)
        return records, list(entries.values())

    def record(
        self,
        subject: SubjectRef,
        who: str,
        name: str,
        category: Category,
        serious: bool,
        address: str | None,
    ) -> tuple[RecordInput, Agency]:
        rng = self.rng
        options = self.options[who][category]
        if serious:  # a forced serious penalty should be for something serious
            options = tuple(o for o in options if isinstance(o, Violation) and o.serious) or options
        choice: Choice = rng.choice(options)
        agency = rng.choice(self.by_kind[choice.agency])
        decided = self.decision_date()
        severity, procedure, kinds, amount = Severity.GENERAL, None, None, None
        kept: bool | None = None
        valid_until = publication_until = None
        if isinstance(choice, Violation):
            severity, procedure, kinds, amount = self.penalty_terms(choice, who, serious)
            party = "当事人" if who == "P" else f"当事人{name}"
            if who == "P" and address and rng.random() < 0.05:
                party += f"（住址：{address}）"  # a personal trait the importer must flag
            content = f"{party}{choice.facts}。依据{choice.basis}，决定给予{kinds.replace(';', '、')}处罚"
            content += f"，罚款{amount}万元。" if amount is not None else "。"
            basis: str | None = choice.basis
            days = {Severity.MINOR: 90, Severity.GENERAL: 365, Severity.SERIOUS: 3 * 365}[severity]
            publication_until = decided + timedelta(days=days)
        else:
            content, basis = choice.content.format(city=self.city), choice.basis
            if category is Category.CREDIT_COMMITMENT:
                kept = rng.random() < 0.85
                content += "。" + ("已按承诺履行" if kept else "经核查未履行承诺")
            elif category is Category.DISHONEST_JUDGMENT_DEBTOR:
                severity, valid_until = Severity.SERIOUS, decided + timedelta(days=2 * 365)
            elif category in (Category.GOVERNMENT_AFFAIRS_DISHONESTY, Category.PUBLIC_UTILITY_ARREARS):
                severity = rng.choice((Severity.MINOR, Severity.GENERAL, Severity.GENERAL, Severity.SERIOUS))
            elif category is Category.ADMINISTRATIVE_LICENSING:
                valid_until = decided + timedelta(days=5 * 365) if rng.random() < 0.8 else date(2099, 12, 31)
        status = self.status(category, severity, kept, decided)
        received = self.received_at(decided)
        record = RecordInput(
            subject=subject,
            category=category,
            document_number=self.document_number(agency, category, decided.year),
            authority_code=agency.code,
            authority_name=agency.name,
            decision_date=decided,
            content=content,
            provider_code=agency.code,
            severity=severity,
            legal_basis=basis,
            procedure=procedure,
            status=status,
            kept=kept,
            penalty_kinds=kinds,
            amount_10k_yuan=amount,
            valid_until=valid_until,
            publication_until=publication_until,
            received_at=received,
        )
        return record, agency

    def penalty_terms(
        self, v: Violation, who: str, serious: bool
    ) -> tuple[Severity, Procedure, str, Decimal | None]:
        """Severity, procedure, penalty kinds and fine. Simple procedure is for a warning or a fine
        of at most 200 yuan (a person) or 3,000 yuan (an organisation), Administrative Penalty Law
        art. 51."""
        rng = self.rng
        if serious or (v.serious and rng.random() < 0.6):
            severity = Severity.SERIOUS
        else:
            severity = Severity.MINOR if rng.random() < 0.4 else Severity.GENERAL
        if severity is Severity.MINOR and rng.random() < 0.6:
            cap = 0.02 if who == "P" else 0.3
            if rng.random() < 0.3 or v.fine is None:
                return severity, Procedure.SIMPLE, "警告", None
            return severity, Procedure.SIMPLE, "罚款", Decimal(f"{rng.uniform(0.005, cap):.2f}")
        if v.fine is None:
            return severity, Procedure.GENERAL, v.kinds, None
        low, high = v.fine
        if severity is Severity.SERIOUS:
            low = (low + high) / 2
        return severity, Procedure.GENERAL, v.kinds, Decimal(f"{rng.uniform(low, high):.2f}")

    def status(
        self, category: Category, severity: Severity, kept: bool | None, decided: date
    ) -> RecordStatus:
        r = self.rng.random()
        if r < 0.02:
            return RecordStatus.UNDER_OBJECTION
        if r < 0.04:
            return RecordStatus.CORRECTED
        if r < 0.055:
            return RecordStatus.REVOKED
        if r < 0.12 and is_dishonesty(category, severity, kept):
            return RecordStatus.REPAIRED
        if r < 0.2 and (self.reference_day - decided).days > 3 * 365:
            return RecordStatus.EXPIRED
        return RecordStatus.ACTIVE

    def decision_date(self) -> date:
        """A working day in the five years before the reference day (weekends move to Friday)."""
        day = self.reference_day - timedelta(days=self.rng.randrange(1, YEARS_BACK * 365))
        return day - timedelta(days=max(0, day.weekday() - 4))

    def received_at(self, decided: date) -> datetime:
        """Most decisions arrive within a few days; some after the 7-working-day deadline."""
        late = self.rng.random() < LATE_SHARE
        delay = self.rng.randint(14, 60) if late else self.rng.randint(0, 5)
        day = min(decided + timedelta(days=delay), self.reference_day)
        moment = time(self.rng.randint(8, 17), self.rng.randrange(60), self.rng.randrange(60))
        return datetime.combine(day, moment, tzinfo=CHINA)

    def document_number(self, agency: Agency, category: Category, year: int) -> str:
        key = (agency.code, category, year)
        number = self._numbers.get(key) or self.rng.randint(1, 40)
        self._numbers[key] = number + 1
        if agency.court_code is not None:
            return f"（{year}）{agency.court_code}{COURT_WORDS.get(category, '执')}{number}号"
        word = DOC_WORDS[category]
        if agency.kind is AgencyKind.PUBLIC_SECURITY and category is Category.ADMINISTRATIVE_PENALTY:
            word = POLICE_PENALTY_WORD
        return f"{agency.doc_prefix}{word}〔{year}〕{number}号"

    # --- lists -----------------------------------------------------------------------------------

    def list_entry(self, record: RecordInput, agency: Agency) -> ListEntryInput | None:
        """A red or black list entry justified by ``record``, or None. The first record that can
        justify each kind of list always does, so every run shows both."""
        if record.status not in (RecordStatus.ACTIVE, RecordStatus.REPAIRED):
            return None
        if record.severity is Severity.SERIOUS and (record.category, agency.kind) in BLACK_LISTS:
            kind, name, issuer, share = (
                ListKind.BLACK,
                BLACK_LISTS[record.category, agency.kind],
                agency,
                BLACK_SHARE,
            )
        elif record.category is Category.COMMENDATION:
            kind, name, share = ListKind.RED, RED_LIST_NAME, RED_SHARE
            issuer = self.by_kind[AgencyKind.CREDIT_OFFICE][0]
        else:
            return None
        if kind in self._listed_once and self.rng.random() >= share:
            return None
        self._listed_once.add(kind)
        self._entries += 1
        listed_on = min(record.decision_date + timedelta(days=self.rng.randint(5, 30)), self.reference_day)
        planned_exit = listed_on + timedelta(days=(3 if kind is ListKind.BLACK else 2) * 365)
        exit_day = planned_exit
        if record.status is RecordStatus.REPAIRED or self._entries % EXIT_EARLY_EVERY == 0:
            exit_day = listed_on + timedelta(days=self.rng.randint(180, 700))  # repaired early
        exited_on = exit_day if exit_day <= self.reference_day else None
        return ListEntryInput(
            subject=record.subject,
            kind=kind,
            list_name=name,
            authority_code=issuer.code,
            reason=f"依据{record.document_number}：{record.content.split('。')[0]}",
            listed_on=listed_on,
            planned_exit=planned_exit,
            status=ListStatus.EXITED if exited_on else ListStatus.LISTED,
            exited_on=exited_on,
            records=(record.key,),
        )
