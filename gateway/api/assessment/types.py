"""GraphQL types of the assessments: credit checks, credit evaluations and data quality. The records
and list entries they cite are the guarded CreditRecord and ListEntry types, read under the caller's
policy subjects (and a person's consent scopes)."""

from __future__ import annotations

from datetime import date

import strawberry

from gateway.access.visibility import Viewer
from gateway.api.responsibility_types import ResponsibilityReach, reach_types
from gateway.api.types import CreditRecord, ListEntry
from gateway.domain import Category, CheckMatter
from gateway.lifecycle.rules.checks import AppliedMeasure, CheckOutcome, Listing
from gateway.lifecycle.rules.grades import Contribution, Evaluation, Grade
from gateway.lifecycle.rules.quality import QualityMeasures
from gateway.store.models import CreditRecord as RecordRow

strawberry.enum(CheckMatter)
strawberry.enum(Grade, name="CreditGrade")

Subjects = frozenset[str]


def _entries(listings: tuple[Listing, ...], subjects: Subjects) -> list[ListEntry]:
    return [ListEntry(row=x.entry, policy_subjects=subjects, viewer=Viewer.QUERY) for x in listings]


def _records(rows: tuple[RecordRow, ...], subjects: Subjects) -> list[CreditRecord]:
    return [CreditRecord(row=r, policy_subjects=subjects) for r in rows]


@strawberry.type(description="A measure that applies to the checked subject, with what justifies it.")
class CheckMeasure:
    applied: strawberry.Private[AppliedMeasure]
    subjects: strawberry.Private[Subjects]

    @strawberry.field
    def code(self) -> str:
        return self.applied.measure.code

    @strawberry.field
    def description(self) -> str:
        return self.applied.measure.description

    @strawberry.field(description="The rule the measure comes from.")
    def source(self) -> str:
        return self.applied.measure.source

    @strawberry.field(
        description="The list entries that justify it (none when it rests on three clean years)."
    )
    def list_entries(self) -> list[ListEntry]:
        return _entries(self.applied.listings, self.subjects)

    @strawberry.field(description="The records behind those entries that still count.")
    def records(self) -> list[CreditRecord]:
        return _records(self.applied.records, self.subjects)

    @strawberry.field(
        description=(
            "Why it reaches a checked person through an organisation they answer for (落实到人): "
            '"legal representative of 91…, black list entry …, since …"; empty for their own listing.'
        )
    )
    def reasons(self) -> list[str]:
        return list(self.applied.reasons)


@strawberry.type(
    description="A credit check (信用核查) of one subject for one matter, as of the request's date."
)
class CreditCheck:
    outcome: strawberry.Private[CheckOutcome]
    subjects: strawberry.Private[Subjects]

    @strawberry.field
    def matter(self) -> CheckMatter:
        return self.outcome.matter

    @strawberry.field
    def checked_on(self) -> date:
        return self.outcome.checked_on

    @strawberry.field(
        description=(
            "On a black list in force, or answering for an organisation on one "
            "(legal representative, principal, actual controller: see responsibilities)."
        )
    )
    def black_listed(self) -> bool:
        return bool(self.outcome.black) or any(x.listing is not None for x in self.outcome.reached)

    @strawberry.field(description="On a red list in force.")
    def red_listed(self) -> bool:
        return bool(self.outcome.red)

    @strawberry.field(description="No dishonesty record in force decided in the last three years.")
    def three_years_clean(self) -> bool:
        return self.outcome.three_years_clean

    @strawberry.field(description="When not clean: the first day it would be, if nothing new is recorded.")
    def clean_from(self) -> date | None:
        return self.outcome.clean_from

    @strawberry.field(description="Red and black list entries in force.")
    def list_entries(self) -> list[ListEntry]:
        return _entries(self.outcome.black + self.outcome.red, self.subjects)

    @strawberry.field(description="Dishonesty records in force from the last three years.")
    def dishonesty_records(self) -> list[CreditRecord]:
        return _records(self.outcome.dishonesty, self.subjects)

    @strawberry.field(description="Restrictive measures for a black-listed subject (联合惩戒).")
    def restrictions(self) -> list[CheckMeasure]:
        return [CheckMeasure(applied=a, subjects=self.subjects) for a in self.outcome.restrictions]

    @strawberry.field(
        description="Facilitation for a red-listed or three-years-clean subject (绿色通道, 容缺受理)."
    )
    def facilitation(self) -> list[CheckMeasure]:
        return [CheckMeasure(applied=a, subjects=self.subjects) for a in self.outcome.facilitation]

    @strawberry.field(
        description=(
            "For a person: the black listings and serious dishonesty of organisations they answer for "
            "that reach them, each with its reason (落实到人)."
        )
    )
    def responsibilities(self) -> list[ResponsibilityReach]:
        return reach_types(self.outcome.reached, self.subjects, Viewer.QUERY)


@strawberry.type(description="What one record or list entry adds to the score, and the rule that says so.")
class ScoreContribution:
    contribution: strawberry.Private[Contribution]
    subjects: strawberry.Private[Subjects]
    viewer: strawberry.Private[Viewer]

    @strawberry.field
    def points(self) -> int:
        return self.contribution.points

    @strawberry.field
    def rule(self) -> str:
        return self.contribution.rule

    @strawberry.field
    def record(self) -> CreditRecord | None:
        row = self.contribution.record
        return None if row is None else CreditRecord(row=row, policy_subjects=self.subjects)

    @strawberry.field
    def list_entry(self) -> ListEntry | None:
        listing = self.contribution.listing
        if listing is None:
            return None
        return ListEntry(row=listing.entry, policy_subjects=self.subjects, viewer=self.viewer)


@strawberry.type(
    description="Public credit evaluation (公共信用综合评价): a grade and score, as of the request's date."
)
class CreditEvaluation:
    evaluation: strawberry.Private[Evaluation]
    subjects: strawberry.Private[Subjects]
    viewer: strawberry.Private[Viewer]

    @strawberry.field
    def evaluated_on(self) -> date:
        return self.evaluation.evaluated_on

    @strawberry.field(description="The score of a subject with nothing recorded.")
    def start_score(self) -> int:
        return self.evaluation.start

    @strawberry.field(description="Start plus every contribution, within the floor and ceiling.")
    def score(self) -> int:
        return self.evaluation.score

    @strawberry.field
    def grade(self) -> Grade:
        return self.evaluation.grade

    @strawberry.field(description="Why the grade is lower than the score alone gives, if it is.")
    def capped_by(self) -> str | None:
        return self.evaluation.capped_by

    @strawberry.field(description="Every record that counts and every list entry in force, with its points.")
    def contributions(self) -> list[ScoreContribution]:
        return [
            ScoreContribution(contribution=c, subjects=self.subjects, viewer=self.viewer)
            for c in self.evaluation.contributions
        ]


@strawberry.type(
    description=(
        "Double-publicity data quality of one providing authority over a window of receipt dates "
        "(000 双公示 三(二)); rates are null when their denominator is 0."
    )
)
class DataQuality:
    measures: strawberry.Private[QualityMeasures]
    start: strawberry.Private[date]
    end: strawberry.Private[date]

    @strawberry.field
    def authority_code(self) -> str:
        return self.measures.authority_code

    @strawberry.field(name="from")
    def from_(self) -> date:
        return self.start

    @strawberry.field
    def to(self) -> date:
        return self.end

    @strawberry.field(description="Records received in the window.")
    def records(self) -> int:
        return self.measures.records

    @strawberry.field(
        description="Of those, records the portal may show by rule (organisations, not simple procedure)."
    )
    def in_scope(self) -> int:
        return self.measures.in_scope

    @strawberry.field(description="Of those, records the portal shows today.")
    def published(self) -> int:
        return self.measures.published

    @strawberry.field(
        description="Rows refused by validation in the window (submissions, loaded import reports)."
    )
    def rejected_rows(self) -> int:
        return self.measures.rejected_rows

    @strawberry.field(description="published / (inScope + rejectedRows).")
    def publication_rate(self) -> float | None:
        return self.measures.publication_rate

    @strawberry.field(description="Share of records received within 7 working days of the decision.")
    def within_deadline_rate(self) -> float | None:
        return self.measures.within_deadline_rate

    @strawberry.field(description="records / (records + rejectedRows).")
    def validation_pass_rate(self) -> float | None:
        return self.measures.validation_pass_rate

    @strawberry.field(description="Share of the ten publicity categories with at least one record.")
    def category_coverage(self) -> float:
        return self.measures.category_coverage

    @strawberry.field
    def covered_categories(self) -> list[Category]:
        return sorted(self.measures.covered)

    @strawberry.field
    def missing_categories(self) -> list[Category]:
        return sorted(self.measures.missing)
