"""Reading and validating the field policy files (``model.conf``, ``fields.csv``) into a Casbin enforcer.

Every check here turns a mistake that would silently widen or blur access into a PolicyError that
names the file, the line and the problem, before the policy is used: at start-up the gateway does not
start, on reload the policy in force is kept (000 双公示 五(一): access control; 002 二(七)2: 可控).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import casbin
from casbin.model import Model
from casbin.persist.adapters.string_adapter import StringAdapter

from gateway.access.masking import MASKERS
from gateway.domain import AgencyKind
from gateway.errors import PolicyError
from gateway.store.fields import self_only

# pycasbin logs every refused request at WARNING; a gateway asks for denials all day, and its
# decisions are explained in the audit log instead.
logging.getLogger("casbin").setLevel(logging.ERROR)

MODEL_FILE = "model.conf"
POLICY_FILE = "fields.csv"

ROLES: tuple[str, ...] = ("public", "partner", "individual", "enterprise", "provider", "auditor", "admin")
PARTNER_KINDS: tuple[str, ...] = tuple(f"partner:{kind.value}" for kind in AgencyKind)
SELF = "self"
SELF_ORGANIZATION = "self:organization"  # an organisation reading its own record (enterprise tokens)
CONSENT_SCOPES: tuple[str, ...] = ("consent:identity", "consent:contact", "consent:records", "consent:lists")
# Subjects a caller can carry. Groups declared by `g` rules are valid in the policy but never taken
# from a caller.
KNOWN_SUBJECTS: frozenset[str] = frozenset((*ROLES, *PARTNER_KINDS, SELF, SELF_ORGANIZATION, *CONSENT_SCOPES))
# Subjects given per request by the subject concerned (reading its own record, granting a consent);
# no role may inherit them, nor may they inherit a role (000 个人 五(二): authorised query).
_PER_REQUEST = frozenset((SELF, SELF_ORGANIZATION, *CONSENT_SCOPES))

# Health status and religious belief are for the person alone (000 双公示 二(四)1), and so is the
# person's query history (who looked at them: docs/audit.md): the catalogue's ``self_only`` fields.
# Checked through Casbin itself after loading, so that no wildcard or inheritance path can reach them.
SELF_ONLY_FIELDS: frozenset[str] = self_only()

EFFECT_WORDS: tuple[str, ...] = ("allow", "mask")

# The model decide() is written against; any other model.conf is refused (see policies/model.conf).
_EXPECTED_MODEL: dict[tuple[str, str], str] = {
    ("r", "r"): "sub, obj, effect",
    ("p", "p"): "sub, obj, effect",
    ("g", "g"): "_, _",
    ("e", "e"): "some(where (p_eft == allow))",
    ("m", "m"): "g(r_sub, p_sub) && keyMatch(r_obj, p_obj) && r_effect == p_effect",
}
_SECTION_NAMES = {
    "r": "request_definition",
    "p": "policy_definition",
    "g": "role_definition",
    "e": "policy_effect",
    "m": "matchers",
}
# Characters Casbin's policy reader treats specially (nesting, quoting): refused rather than guessed.
_SPECIAL = set('[]()"')

Stamps = tuple[tuple[int, int, int], ...]
Rule = tuple[int, str, str, str]  # line, subject, field or wildcard, effect word


# What a consent scope's rules open: (``Type.field``, scope), the scope as ``ConsentScope`` names it.
ConsentFields = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Validated:
    enforcer: casbin.Enforcer
    stamps: Stamps
    consent_fields: ConsentFields = ()
    # (file name, SHA-256 of its text as read): which policy is in force, for the reload's audit event.
    digests: tuple[tuple[str, str], ...] = ()


def file_stamps(policy_dir: Path) -> Stamps:
    """(mtime, size, inode) of both files: a cheap test of "changed since loaded"."""
    stamps = []
    for name in (MODEL_FILE, POLICY_FILE):
        try:
            st = os.stat(policy_dir / name)
        except OSError as exc:
            raise PolicyError(str(policy_dir / name), None, f"cannot read: {exc.strerror}") from None
        stamps.append((st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(stamps)


def load_validated(policy_dir: Path, known_fields: frozenset[str]) -> Validated:
    """Read, validate and load both files; raise PolicyError on the first problem found."""
    stamps = file_stamps(policy_dir)  # taken before reading: an edit during the read shows next time
    model_path, policy_path = policy_dir / MODEL_FILE, policy_dir / POLICY_FILE
    model_text = _read(model_path)
    model = _load_model(model_path, model_text)
    policy_text = _read(policy_path)
    rules, groupings = _parse_policy(str(policy_path), policy_text, known_fields)
    try:
        enforcer = casbin.Enforcer(model, StringAdapter(policy_text))
    except Exception as exc:
        raise PolicyError(str(policy_path), None, f"Casbin cannot load the policy: {exc}") from None
    if enforcer.get_policy() != [list(r[1:]) for r in rules] or enforcer.get_grouping_policy() != [
        list(g) for g in groupings
    ]:
        raise PolicyError(str(policy_path), None, "Casbin reads the rules differently from the validator")
    _check_self_only(str(policy_path), enforcer, rules, known_fields)
    digests = tuple(
        (name, hashlib.sha256(text.encode("utf-8")).hexdigest())
        for name, text in ((MODEL_FILE, model_text), (POLICY_FILE, policy_text))
    )
    return Validated(enforcer, stamps, _consent_fields(rules, known_fields), digests)


def _consent_fields(rules: list[Rule], known_fields: frozenset[str]) -> ConsentFields:
    """The fields each ``consent:<scope>`` rule opens, in the file's order, wildcards expanded. Consent
    scopes take part in no g rule (``_PER_REQUEST``), so their p rules are all that opens a field to
    them. The audit names a person's field groups by these scopes (``gateway.audit.field_groups``)."""
    return tuple(
        (field, subject.removeprefix("consent:").upper())
        for _, subject, obj, _ in rules
        if subject in CONSENT_SCOPES
        for field in sorted(_matched_fields(obj, known_fields))
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise PolicyError(str(path), None, f"cannot read: {reason}") from None


def _load_model(path: Path, text: str) -> Model:
    try:
        model = casbin.Enforcer.new_model(text=text)
    except Exception as exc:
        raise PolicyError(str(path), None, f"Casbin cannot read the model: {exc}") from None
    found = {(sec, key): ast.value for sec in model.model for key, ast in model.model[sec].items()}
    for (sec, key), expected in _EXPECTED_MODEL.items():
        if found.get((sec, key)) != expected:
            raise PolicyError(
                str(path),
                _model_line(text, _SECTION_NAMES[sec], key),
                f"[{_SECTION_NAMES[sec]}] {key} must be the gateway's ({expected!r}), "
                f"not {found.get((sec, key))!r}",
            )
    extra = sorted(set(found) - set(_EXPECTED_MODEL))
    if extra:
        sec, key = extra[0]
        raise PolicyError(
            str(path), _model_line(text, _SECTION_NAMES.get(sec, sec), key), f"unexpected {key}"
        )
    return model


def _model_line(text: str, section: str, key: str) -> int | None:
    current = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
        elif current == section and line.partition("=")[0].strip() == key:
            return number
    return None


def _matched_fields(obj: str, known_fields: frozenset[str]) -> frozenset[str]:
    """Fields an object names: itself, or every field starting with a wildcard's prefix (keyMatch)."""
    if obj.endswith("*"):
        return frozenset(f for f in known_fields if f.startswith(obj[:-1]))
    return frozenset({obj}) & known_fields


def _parse_policy(
    path: str, text: str, known_fields: frozenset[str]
) -> tuple[list[Rule], list[tuple[str, str]]]:
    """The p rules (with their line numbers) and g rules of the policy file, each checked."""
    lines = _tokenize(path, text)
    groupings = [(number, t[1], t[2]) for number, t in lines if t[0] == "g"]
    subjects = KNOWN_SUBJECTS | {parent for _, _, parent in groupings}
    for number, member, parent in groupings:
        for name in (member, parent):
            if name in _PER_REQUEST:
                raise PolicyError(path, number, f"{name} is given per request and takes part in no g rule")
        if member not in subjects:
            raise PolicyError(path, number, f"unknown subject {member!r}")
    rules: list[Rule] = []
    seen: dict[tuple[str, str], int] = {}
    for number, (_, subject, obj, effect) in ((n, t) for n, t in lines if t[0] == "p"):
        problem = _rule_problem(subject, obj, effect, subjects, known_fields)
        if problem is None and (subject, obj) in seen:
            problem = f"{subject} on {obj} is already decided on line {seen[subject, obj]}"
        if problem is not None:
            raise PolicyError(path, number, problem)
        seen[subject, obj] = number
        rules.append((number, subject, obj, effect))
    if not rules:
        raise PolicyError(path, None, "no p rules: every field would be denied (a truncated file?)")
    return rules, [(member, parent) for _, member, parent in groupings]


def _tokenize(path: str, text: str) -> list[tuple[int, list[str]]]:
    """Non-comment lines as (line number, tokens), each of the right size for its rule type."""
    lines: list[tuple[int, list[str]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = [t.strip() for t in line.split(",")]
        if any(not t for t in tokens) or any(ch in _SPECIAL for ch in line):
            raise PolicyError(path, number, 'a rule is comma-separated words, none empty, without []()"')
        size = {"p": 4, "g": 3}.get(tokens[0])
        if size is None:
            raise PolicyError(path, number, f"unknown rule type {tokens[0]!r} (p or g)")
        if len(tokens) != size:
            raise PolicyError(
                path, number, f"a {tokens[0]} rule has {size - 1} fields, not {len(tokens) - 1}"
            )
        lines.append((number, tokens))
    return lines


def _rule_problem(
    subject: str, obj: str, effect: str, subjects: frozenset[str], known_fields: frozenset[str]
) -> str | None:
    """What is wrong with one p rule, or None."""
    if subject not in subjects:
        return (
            f"unknown subject {subject!r}: not a role, partner kind, self, self:organization, "
            "consent scope or g group"
        )
    if obj.count("*") > (1 if obj.endswith("*") else 0):
        return f"a wildcard is a single trailing '*', not {obj!r}"
    fields = _matched_fields(obj, known_fields)
    if not fields:
        return f"wildcard {obj!r} matches no field" if obj.endswith("*") else f"unknown field {obj!r}"
    if effect not in EFFECT_WORDS:
        return f"unknown effect {effect!r} (allow or mask)"
    unmaskable = sorted(fields - MASKERS.keys()) if effect == "mask" else []
    if unmaskable:
        return f"no masker in gateway/access/masking.py for {', '.join(unmaskable)}"
    return None


def _check_self_only(
    path: str, enforcer: casbin.Enforcer, rules: list[Rule], known_fields: frozenset[str]
) -> None:
    line_of = {r[1:]: r[0] for r in rules}
    subjects = (KNOWN_SUBJECTS | {parent for _, parent in enforcer.get_grouping_policy()}) - {SELF}
    for subject in sorted(subjects):
        for field in sorted(SELF_ONLY_FIELDS & known_fields):
            for word in EFFECT_WORDS:
                allowed, rule = enforcer.enforce_ex(subject, field, word)
                if allowed:
                    raise PolicyError(
                        path,
                        line_of.get(tuple(rule)),
                        f"{field} reaches {subject}: it is for the person alone",
                    )
