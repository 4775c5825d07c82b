"""The GraphQL inputs of a record, built from the field catalogue (``gateway.store.fields``).

``RecordSubmission`` (``submitRecords``) takes a record in the fields of a JSON Lines import line,
and ``RecordCorrection`` (``resolveObjection``) the fields a correction changes. Both are generated
from the catalogue's ``submittable`` and ``correctable`` rows rather than written out: a field added
to the catalogue reaches both inputs, their mappings to the import's field names, and the one parser
(``gateway.store.inputs.parse_record``) without another edit. The classes stay short enough to read
here, and ``schema/credit-gateway.graphql`` (checked by tests/test_schema_file.py) shows them whole.

Values are passed on as an import line gives them (text, parsed by ``parse_record``), except booleans
and the correction's ``severity``, which the published schema types as its enum.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from gateway.domain import ResponsibleRole
from gateway.store.fields import Field, correctable, submittable

# The correction input was published with severity as its enum; every other value is import text.
_TYPED_IN_CORRECTION = frozenset({"severity"})


def _annotation(f: Field, *, typed: bool) -> Any:
    kind = f.value if typed or f.value is bool else str
    return kind if f.required and not typed else kind | None  # type: ignore[operator]


def _input(name: str, description: str | None, rows: list[tuple[str, Any, Any]]) -> type:
    """A Strawberry input class from (attribute, annotation, strawberry field) rows, in order."""
    namespace: dict[str, Any] = {"__annotations__": {attr: ann for attr, ann, _ in rows}}
    namespace.update({attr: field for attr, _, field in rows})
    namespace["__module__"] = __name__
    return strawberry.input(type(name, (), namespace), description=description)


@strawberry.input(
    description=(
        "A person answering for the record's subject organisation in a role, from since to until "
        "(dates as in an import line; either may be left out)."
    )
)
class ResponsiblePersonSubmission:
    role: ResponsibleRole
    name: str
    id_number: str
    since: str | None = None
    until: str | None = None


def _submission_input() -> type:
    rows: list[tuple[str, Any, Any]] = [
        ("subject_id_number", str | None, strawberry.field(default=None)),
        ("subject_credit_code", str | None, strawberry.field(default=None)),
    ]
    for f in submittable():
        ann = _annotation(f, typed=False)
        field = (
            strawberry.field(name=f.graphql_name)
            if f.required
            else strawberry.field(default=None, name=f.graphql_name)
        )
        rows.append((f.name, ann, field))
    rows.append(
        (
            "responsible_persons",
            list[ResponsiblePersonSubmission] | None,
            strawberry.field(
                default=None,
                description=(
                    "The subject organisation's legal representative, principal and actual controller "
                    "(落实到人); kept with the organisation, as an import's organisation line keeps them."
                ),
            ),
        )
    )
    return _input(
        "RecordSubmission",
        "A record in the same fields as a JSON Lines import line (docs/import-format.md).",
        rows,
    )


def _correction_input() -> type:
    rows = [
        (
            f.name,
            _annotation(f, typed=f.name in _TYPED_IN_CORRECTION) | None,
            strawberry.field(default=None, name=f.graphql_name),
        )
        for f in correctable()
    ]
    return _input("RecordCorrection", "Fields a correction changes; fields left out keep their value.", rows)


RecordSubmission = _submission_input()
RecordCorrection = _correction_input()


def submission_mapping(r: Any) -> dict[str, object]:
    """A ``RecordSubmission`` as an import line: the subject by its one identifier, then the fields."""
    subject: dict[str, str] = {}
    if r.subject_id_number is not None:
        subject["idNumber"] = r.subject_id_number
    if r.subject_credit_code is not None:
        subject["creditCode"] = r.subject_credit_code
    mapping: dict[str, object] = {"subject": subject}
    mapping.update((f.graphql_name, getattr(r, f.name)) for f in submittable())
    if r.responsible_persons is not None:
        mapping["responsiblePersons"] = [
            {
                "role": p.role.value,
                "name": p.name,
                "idNumber": p.id_number,
                "since": p.since,
                "until": p.until,
            }
            for p in r.responsible_persons
        ]
    return mapping


def correction_mapping(c: Any | None) -> dict[str, Any] | None:
    """A ``RecordCorrection`` in the import's field names (an enum as its value), or None."""
    if c is None:
        return None
    values = {f.graphql_name: getattr(c, f.name) for f in correctable()}
    return {k: v.value if isinstance(v, Enum) else v for k, v in values.items()}
