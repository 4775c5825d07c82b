"""The field policy: the real Casbin enforcer on the real policy files, checked against a grid written
here (not derived from the policy, so a policy regression fails), plus validation and reload."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.access.policy import DEFAULT_DENY, SCHEMA_FIELDS, Effect, FieldPolicy
from gateway.errors import PolicyError

POLICIES = Path(__file__).resolve().parent.parent / "policies"

W, M, D = Effect.WHOLE, Effect.MASKED, Effect.DENIED

# One column per caller (a set of subjects), in this order:
COLUMNS: tuple[frozenset[str], ...] = tuple(
    frozenset(s)
    for s in (
        {"public"},
        {"individual"},
        {"individual", "self"},
        {"enterprise"},
        {"enterprise", "self:organization"},
        {"self:organization"},  # an organisation's own record: what it opens, alone
        {"partner", "partner:TAX"},
        {"partner", "partner:COURT"},
        {"partner:PUBLIC_SECURITY"},  # inherits partner through g alone
        {"provider"},
        {"auditor"},
        {"admin"},
        {"public", "consent:identity"},
        {"public", "consent:contact"},
        {"public", "consent:records"},
        {"public", "consent:lists"},
        {"consent:identity", "consent:contact", "consent:records", "consent:lists"},  # no role at all
        {"self"},
        frozenset(),
        {"hacker", "partner:NOBODY", "Person.*"},  # unknown subjects grant nothing
    )
)

# W = whole, M = masked, D = denied; one letter per column above.
EXPECTED: dict[str, str] = {
    #                            pub ind slf ent eso so  tax crt ps  prv aud adm cid cct crc cls all slf  -  unk
    "Person.id":                "D   D   W   D   D   D   W   W   W   W   W   W   W   D   D   D   W   W   D   D",
    "Person.name":              "M   M   W   M   M   M   M   W   W   M   M   W   W   M   M   M   W   W   D   D",
    "Person.idNumber":          "D   D   W   D   M   M   M   W   W   M   M   W   W   D   D   D   W   W   D   D",
    "Person.phone":             "D   D   W   D   D   D   D   D   D   D   D   W   D   W   D   D   W   W   D   D",
    "Person.address":           "D   D   W   D   D   D   D   D   D   D   D   W   D   W   D   D   W   W   D   D",
    "Person.healthStatus":      "D   D   W   D   D   D   D   D   D   D   D   D   D   D   D   D   D   W   D   D",
    "Person.religion":          "D   D   W   D   D   D   D   D   D   D   D   D   D   D   D   D   D   W   D   D",
    "Person.records":           "D   D   W   D   D   D   D   D   D   D   D   W   D   D   W   D   W   W   D   D",
    "Person.listEntries":       "D   D   W   D   D   D   D   D   D   D   D   W   D   D   D   W   W   W   D   D",
    "Person.linkedRecords":     "D   D   W   D   D   D   D   D   D   D   D   W   D   D   W   D   W   W   D   D",
    "Person.responsibilities":  "D   D   W   D   D   D   D   D   D   D   D   W   D   D   D   W   W   W   D   D",
    "Person.queryHistory":      "D   D   W   D   D   D   D   D   D   D   D   D   D   D   D   D   D   W   D   D",
    "Organization.id":          "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   D   D   D",
    "Organization.kind":        "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   D   D   D",
    "Organization.form":        "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   D   D   D",
    "Organization.name":        "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   D   D   D",
    "Organization.creditCode":  "M   M   M   M   W   W   W   W   W   W   W   W   M   M   M   M   D   D   D   D",
    "Organization.registeredAddress":
                                "M   M   M   M   W   W   W   W   W   W   W   W   M   M   M   M   D   D   D   D",
    "Organization.legalRepresentative":
                                "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   D   D   D",
    "Organization.agencyKind":  "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   D   D   D",
    "Organization.records":     "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   D   D   D",
    "Organization.listEntries": "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   D   D   D",
    "CreditRecord.id":          "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.category":    "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.documentNumber":
                                "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.authorityCode":
                                "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.authorityName":
                                "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.decisionDate":"W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.actDate":     "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.content":     "M   M   W   M   W   W   W   W   W   W   W   W   M   M   M   M   D   W   D   D",
    "CreditRecord.legalBasis":  "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.severity":    "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.procedure":   "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.status":      "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.kept":        "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.penaltyKinds":"W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.amount10kYuan":
                                "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.validUntil":  "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.publicationUntil":
                                "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.displayUntil":"W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.repairableFrom":
                                "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.providerCode":"W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "CreditRecord.receivedAt":  "D   D   W   D   W   W   W   W   W   W   W   W   D   D   D   D   D   W   D   D",
    "CreditRecord.receivedWithinDeadline":
                                "D   D   W   D   W   W   W   W   W   W   W   W   D   D   D   D   D   W   D   D",
    "CreditRecord.version":     "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "ListEntry.id":             "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "ListEntry.kind":           "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "ListEntry.listName":       "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "ListEntry.authorityCode":  "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "ListEntry.reason":         "M   M   W   M   W   W   W   W   W   W   W   W   M   M   M   M   D   W   D   D",
    "ListEntry.listedOn":       "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "ListEntry.plannedExit":    "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "ListEntry.status":         "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "ListEntry.exitedOn":       "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "ListEntry.exitReason":     "M   M   W   M   W   W   W   W   W   W   W   W   M   M   M   M   D   W   D   D",
    "ListEntry.basisLapsed":    "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
    "ListEntry.records":        "W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   W   D   W   D   D",
}  # fmt: skip
_LETTER = {"W": W, "M": M, "D": D}
GRID = [
    pytest.param(column, field, _LETTER[letter], id=f"{'+'.join(sorted(column)) or 'nobody'}-{field}")
    for field, row in EXPECTED.items()
    for column, letter in zip(COLUMNS, row.split(), strict=True)
]
# Partner kinds without rules of their own see exactly what `partner` sees (the TAX column).
PLAIN_PARTNER_KINDS = ("MARKET_REGULATION", "FINANCE", "ENVIRONMENT", "HOUSING", "HUMAN_RESOURCES",
                       "CREDIT_OFFICE", "UTILITY", "OTHER")  # fmt: skip


@pytest.fixture(scope="module")
def policy() -> FieldPolicy:
    return FieldPolicy.load(POLICIES, SCHEMA_FIELDS)


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """A private copy of the real policy, to edit."""
    return Path(shutil.copytree(POLICIES, tmp_path / "policies"))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def edit(path: Path, change: Callable[[str], str]) -> None:
    """Rewrite a policy file and move its modification time on, as a later save would."""
    before = path.stat().st_mtime_ns
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def drop_line(line: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert line + "\n" in text
        return text.replace(line + "\n", "")

    return change


def test_grid_covers_every_schema_field() -> None:
    assert list(EXPECTED) == list(SCHEMA_FIELDS)


@pytest.mark.parametrize(("subjects", "field", "effect"), GRID)
def test_policy_grid(policy: FieldPolicy, subjects: frozenset[str], field: str, effect: Effect) -> None:
    assert policy.decide(subjects, field).effect is effect


@pytest.mark.parametrize("field", SCHEMA_FIELDS)
@pytest.mark.parametrize("kind", PLAIN_PARTNER_KINDS)
def test_partner_kinds_without_own_rules_see_what_partner_sees(
    policy: FieldPolicy, kind: str, field: str
) -> None:
    expected = _LETTER[EXPECTED[field].split()[COLUMNS.index(frozenset({"partner", "partner:TAX"}))]]
    assert policy.decide(frozenset({f"partner:{kind}"}), field).effect is expected


def test_decision_names_the_rule_that_decided(policy: FieldPolicy) -> None:
    decision = policy.decide(frozenset({"public", "consent:contact"}), "Person.phone")
    assert decision.rule == "p, consent:contact, Person.phone, allow"
    assert decision.reason == "Person.phone shown whole to consent:contact"


def test_decision_names_the_inherited_role(policy: FieldPolicy) -> None:
    decision = policy.decide(frozenset({"partner:TAX"}), "Organization.creditCode")
    assert (decision.effect, decision.rule) == (W, "p, partner, Organization.*, allow")
    assert decision.reason == "Organization.creditCode shown whole to partner:TAX (as partner)"


def test_most_permissive_subject_decides(policy: FieldPolicy) -> None:
    decision = policy.decide(frozenset({"partner", "partner:COURT"}), "Person.idNumber")
    assert (decision.effect, decision.rule) == (W, "p, partner:COURT, Person.idNumber, allow")


def test_denial_is_default_deny_naming_the_subjects(policy: FieldPolicy) -> None:
    decision = policy.decide(frozenset({"admin", "auditor"}), "Person.religion")
    assert decision == type(decision)(D, DEFAULT_DENY, "no rule shows Person.religion to admin, auditor")


def test_unknown_field_is_denied(policy: FieldPolicy) -> None:
    decision = policy.decide(frozenset({"admin", "self"}), "Person.shoeSize")
    assert (decision.effect, decision.rule) == (D, DEFAULT_DENY)


def test_decisions_are_memoised(policy: FieldPolicy) -> None:
    subjects = frozenset({"auditor"})
    assert policy.decide(subjects, "Person.name") is policy.decide(subjects, "Person.name")


def test_reload_drops_the_memo(policy_dir: Path) -> None:
    policy = FieldPolicy.load(policy_dir, SCHEMA_FIELDS)
    public = frozenset({"public"})
    assert policy.decide(public, "Person.name").effect is M
    edit(policy_dir / "fields.csv", drop_line("p, public, Person.name, mask"))
    assert policy.decide(public, "Person.name").effect is M  # memoised: files are read on reload only
    policy.reload()
    assert policy.decide(public, "Person.name").effect is D


def test_reload_if_changed_picks_up_an_edit_at_most_once_a_second(policy_dir: Path) -> None:
    clock = Clock()
    policy = FieldPolicy.load(policy_dir, SCHEMA_FIELDS, clock=clock)
    public = frozenset({"public"})
    clock.now += 1.5
    assert policy.reload_if_changed() is False  # nothing changed
    edit(policy_dir / "fields.csv", drop_line("p, public, Person.name, mask"))
    clock.now += 0.5
    assert policy.reload_if_changed() is False  # looked less than a second ago
    assert policy.decide(public, "Person.name").effect is M
    clock.now += 0.6
    assert policy.reload_if_changed() is True
    assert policy.decide(public, "Person.name").effect is D


INVALID = [
    ("p, public, Person.shoeSize, allow", "unknown field 'Person.shoeSize'"),
    ("p, public, Vehicle.*, allow", "wildcard 'Vehicle.*' matches no field"),
    ("p, public, Person.*name, allow", "a wildcard is a single trailing '*'"),
    ("p, public, Person.idNumber, show", "unknown effect 'show'"),
    ("p, public, Person.idNumber, deny", "unknown effect 'deny'"),
    ("p, guest, Person.name, mask", "unknown subject 'guest'"),
    ("p, Public, Person.idNumber, mask", "unknown subject 'Public'"),
    ("p, public, Person.records, mask", "no masker in gateway/access/masking.py for Person.records"),
    (
        "p, provider, CreditRecord.*, mask",
        "no masker in gateway/access/masking.py for CreditRecord.actDate, CreditRecord.amount10kYuan",
    ),
    ("p, admin, Person.*, allow", "Person.healthStatus reaches admin"),
    ("p, consent:identity, Person.religion, allow", "Person.religion reaches consent:identity"),
    ("g, admin, self", "self is given per request"),
    # An organisation reading itself is not its legal representative: the person's own fields stay
    # out of reach, and no role inherits the organisation's own view.
    ("p, self:organization, Person.*, allow", "Person.healthStatus reaches self:organization"),
    ("g, enterprise, self:organization", "self:organization is given per request"),
    ("g, self:organization, public", "self:organization is given per request"),
    ("g, partner, consent:identity", "consent:identity is given per request"),
    ("g, stranger, admin", "unknown subject 'stranger'"),
    ("p, public, Person.name, allow", "public on Person.name is already decided on line"),
    ("p, public, Person.idNumber", "a p rule has 3 fields, not 2"),
    ("p, public, Person.idNumber, mask, now", "a p rule has 3 fields, not 4"),
    ("g, admin", "a g rule has 2 fields, not 1"),
    ("x, public, Person.idNumber, allow", "unknown rule type 'x'"),
    ("p, public, , allow", "none empty"),
    ('p, public, "Person.idNumber", allow', "none empty"),
    ("p, public, keyMatch(Person.idNumber), allow", "none empty"),
]


@pytest.mark.parametrize(("line", "problem"), INVALID, ids=[line for line, _ in INVALID])
def test_invalid_rule_is_refused_naming_file_and_line(policy_dir: Path, line: str, problem: str) -> None:
    path = policy_dir / "fields.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + line + "\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        FieldPolicy.load(policy_dir, SCHEMA_FIELDS)
    error = caught.value
    assert error.code == "POLICY_INVALID"
    assert (error.path, error.line) == (str(path), len(text.splitlines()) + 1)
    assert problem in error.problem
    assert str(error).startswith(f"{path}:{error.line}: ")


def test_group_declared_by_g_is_a_valid_subject(policy_dir: Path) -> None:
    path = policy_dir / "fields.csv"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "g, partner:HOUSING, judicial\np, judicial, Person.idNumber, allow\n",
        encoding="utf-8",
    )
    policy = FieldPolicy.load(policy_dir, SCHEMA_FIELDS)
    assert policy.decide(frozenset({"partner:HOUSING"}), "Person.idNumber").effect is W
    assert policy.decide(frozenset({"judicial"}), "Person.idNumber").effect is D  # never a caller's subject


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        ("model.conf", "m = g(r.sub", "m = true || g(r.sub", "[matchers] m must be"),
        ("model.conf", "e = some(where (p.eft == allow))", "e = !some(where (p.eft == deny))",
         "[policy_effect] e must be"),
        ("model.conf", "r = sub, obj, effect", "r = sub, obj", "[request_definition] r must be"),
        ("model.conf", "g = _, _", "g = _, _\ng2 = _, _", "unexpected g2"),
    ],
)  # fmt: skip
def test_model_other_than_the_gateways_is_refused(
    policy_dir: Path, file: str, old: str, new: str, problem: str
) -> None:
    path = policy_dir / file
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        FieldPolicy.load(policy_dir, SCHEMA_FIELDS)
    lines = path.read_text(encoding="utf-8").splitlines()
    changed_line = next(n for n, text in enumerate(lines, start=1) if text.startswith(new.splitlines()[-1]))
    assert (caught.value.path, caught.value.line) == (str(path), changed_line)
    assert problem in caught.value.problem


def test_policy_without_rules_is_refused(policy_dir: Path) -> None:
    (policy_dir / "fields.csv").write_text("# nothing left\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="no p rules"):
        FieldPolicy.load(policy_dir, SCHEMA_FIELDS)


@pytest.mark.parametrize("file", ["model.conf", "fields.csv"])
def test_missing_file_is_refused(policy_dir: Path, file: str) -> None:
    (policy_dir / file).unlink()
    with pytest.raises(PolicyError, match=f"{file}: cannot read"):
        FieldPolicy.load(policy_dir, SCHEMA_FIELDS)


def test_unreadable_file_is_refused(policy_dir: Path) -> None:
    (policy_dir / "fields.csv").write_bytes(b"p, public, Person.name, mask\n\xff\xfe\n")
    with pytest.raises(PolicyError, match=r"fields\.csv: cannot read: not UTF-8 text"):
        FieldPolicy.load(policy_dir, SCHEMA_FIELDS)


def test_field_unknown_to_the_schema_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"fields\.csv:\d+: unknown field 'Person\.phone'"):
        FieldPolicy.load(POLICIES, [f for f in SCHEMA_FIELDS if f != "Person.phone"])


def test_reload_of_a_bad_policy_raises_and_keeps_the_old_one(policy_dir: Path) -> None:
    policy = FieldPolicy.load(policy_dir, SCHEMA_FIELDS)
    admin = frozenset({"admin"})
    before = {field: policy.decide(admin, field) for field in SCHEMA_FIELDS}
    edit(
        policy_dir / "fields.csv",
        lambda t: t.replace("p, admin, Person.phone, allow", "p, admin, Person.*, allow"),
    )
    with pytest.raises(PolicyError, match=r"Person\.healthStatus reaches admin"):
        policy.reload()
    assert {field: policy.decide(admin, field) for field in SCHEMA_FIELDS} == before


def test_reload_if_changed_keeps_the_old_policy_and_reports_a_bad_one(policy_dir: Path) -> None:
    clock = Clock()
    policy = FieldPolicy.load(policy_dir, SCHEMA_FIELDS, clock=clock)
    public = frozenset({"public"})
    path = policy_dir / "fields.csv"
    edit(path, lambda t: t.replace("p, public, Person.name, mask", "p, public, Person.name, show"))
    clock.now += 1.1
    assert policy.reload_if_changed() is False  # never raises on the request path
    assert (
        policy.last_error is not None and policy.last_error.problem == "unknown effect 'show' (allow or mask)"
    )
    assert policy.decide(public, "Person.name").effect is M
    edit(path, lambda t: t.replace("p, public, Person.name, show", "p, public, Person.name, allow"))
    clock.now += 1.1
    assert policy.reload_if_changed() is True
    assert policy.last_error is None
    assert policy.decide(public, "Person.name").effect is W


def test_reload_if_changed_survives_a_file_removed_mid_edit(policy_dir: Path) -> None:
    clock = Clock()
    policy = FieldPolicy.load(policy_dir, SCHEMA_FIELDS, clock=clock)
    (policy_dir / "fields.csv").unlink()
    clock.now += 1.1
    assert policy.reload_if_changed() is False
    assert policy.last_error is not None and "cannot read" in policy.last_error.problem
    assert policy.decide(frozenset({"public"}), "Person.name").effect is M


def test_decisions_stay_consistent_while_reloading_in_another_thread(policy_dir: Path) -> None:
    policy = FieldPolicy.load(policy_dir, SCHEMA_FIELDS)
    path = policy_dir / "fields.csv"
    with_rule = path.read_text(encoding="utf-8")
    without_rule = drop_line("p, public, Person.name, mask")(with_rule)
    public = frozenset({"public"})
    seen: set[Effect] = set()
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                seen.add(policy.decide(public, "Person.name").effect)
                assert policy.decide(public, "Organization.name").effect is W
                time.sleep(0)  # let the reloading thread run
        except BaseException as exc:  # reported below
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    for i in range(10):
        path.write_text(without_rule if i % 2 == 0 else with_rule, encoding="utf-8")
        policy.reload()
    done.set()
    for thread in readers:
        thread.join()
    assert errors == []
    assert seen <= {M, D}
    assert policy.decide(public, "Person.name").effect is M  # the last reload had the rule
