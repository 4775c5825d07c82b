"""Deterministic synthetic demo data: a seed plan and the batches of inputs it stands for.

One ``random.Random`` drives everything in a fixed order (agencies, then each person followed by
their records and by the organisations due at that point), so the same seed, people and
organisation counts give the same subjects, records and list entries whatever the batch size.
Batches are cut at person boundaries; each is written in one transaction, which is what makes an
interrupted run resumable: a re-run finds the finished batches unchanged and writes the rest.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from gateway.demo.names import HOME_CITIES
from gateway.demo.records import CHINA, RecordFactory
from gateway.demo.subjects import SubjectFactory
from gateway.errors import InvalidInput
from gateway.store.inputs import Item, PersonInput, SubjectRef

# The fixed "today" of demo data: decision dates run up to it and timestamps derive from it, so
# output never depends on the wall clock. ``--as-of`` moves it.
REFERENCE_DAY = date(2026, 6, 30)
GOVERNMENT_DISHONESTY_AGENCIES = 3
# Legal representatives are drawn among the most recent people, so they sit in the same batch or
# the one before it.
REPRESENTATIVE_WINDOW = 50
MAX_PEOPLE = 10_000_000


def reference_instant(day: date) -> datetime:
    """The fixed 'now' of a seed run: the end of the reference day, China time, as UTC."""
    return datetime.combine(day, time(18, 0), tzinfo=CHINA).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class SeedPlan:
    """What to generate. ``batch_size`` only decides how the same data is cut into transactions."""

    seed: int
    people: int
    orgs: int
    batch_size: int = 5_000
    reference_day: date = REFERENCE_DAY

    def __post_init__(self) -> None:
        if not 1 <= self.people <= MAX_PEOPLE:
            raise InvalidInput("people", f"must be between 1 and {MAX_PEOPLE:,}")
        if not 0 <= self.orgs <= MAX_PEOPLE:
            raise InvalidInput("orgs", f"must be between 0 and {MAX_PEOPLE:,}")
        if not 1 <= self.batch_size <= 100_000:
            raise InvalidInput("batchSize", "must be between 1 and 100,000")
        if self.seed < 0:
            raise InvalidInput("seed", "must be a non-negative integer")

    @property
    def batches(self) -> int:
        return -(-self.people // self.batch_size)

    @property
    def key(self) -> str:
        """Names the run: subject ids derive from it, so two different plans never share ids."""
        return f"{self.seed}/{self.people}/{self.orgs}/{self.batch_size}/{self.reference_day}"


@dataclass(slots=True)
class Batch:
    index: int
    people: int
    items: list[Item] = field(default_factory=list)
    blind_indexes: dict[tuple[str, str], bytes] = field(default_factory=dict)
    """Blind indexes of the batch's identifiers by (kind, value), when computed ahead by the
    process drawing the batches (``gateway.demo.background``); the writer computes any left out."""


def person_record_count(rng: random.Random) -> int:
    """About 0.3 records per person: most have none."""
    r = rng.random()
    return 0 if r < 0.74 else 1 if r < 0.95 else 2 if r < 0.99 else 3


def org_record_count(rng: random.Random) -> int:
    """One to three records per organisation, 1.75 on average."""
    r = rng.random()
    return 1 if r < 0.45 else 2 if r < 0.8 else 3


def generate(plan: SeedPlan) -> Iterator[Batch]:
    """The plan's batches, in order; the first one starts with the issuing agencies."""
    rng = random.Random(plan.seed)  # noqa: S311 - reproducible demo data, not secrets
    home = rng.choice(HOME_CITIES)
    subjects = SubjectFactory(rng, home, plan.reference_day)
    agencies = subjects.agencies()
    factory = RecordFactory(rng, agencies, plan.reference_day, home.city)
    head: list[Item] = [a.subject for a in agencies]
    for agency in rng.sample(agencies, GOVERNMENT_DISHONESTY_AGENCIES):
        dishonesty, _ = factory.for_subject(SubjectRef(credit_code=agency.code), "A", agency.name, 1)
        head += dishonesty
    recent: deque[PersonInput] = deque(maxlen=REPRESENTATIVE_WINDOW)
    orgs_made = 0
    for index in range(plan.batches):
        start = index * plan.batch_size
        stop = min(plan.people, start + plan.batch_size)
        people: list[Item] = []
        orgs: list[Item] = []
        records: list[Item] = []
        entries: list[Item] = []
        for number in range(start, stop):
            person = subjects.person()
            people.append(person)
            recent.append(person)
            count = person_record_count(rng)
            if count:
                ref = SubjectRef(id_number=person.id_number)
                found, listed = factory.for_subject(ref, "P", person.name, count, person.address)
                records += found
                entries += listed
            # Organisations are spread evenly over the people: org j follows person j * N / M.
            while orgs_made < (number + 1) * plan.orgs // plan.people:
                org = subjects.organization(rng.choice(recent), company=orgs_made == 0)
                orgs.append(org)
                ref = SubjectRef(credit_code=org.credit_code)
                found, listed = factory.for_subject(ref, "O", org.name, org_record_count(rng))
                records += found
                entries += listed
                orgs_made += 1
        yield Batch(index, stop - start, head + people + orgs + records + entries)
        head = []
