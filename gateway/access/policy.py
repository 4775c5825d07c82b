"""The field policy: who sees which GraphQL field whole, masked, or not at all.

Access control is the first of the safeguards the seeds ask for (存取访问控制, 000 双公示 五(一));
query rights must be defined per user (000 个人 四(一)) and querying beyond one's authority is to be
prevented (002 二(七)1). The rules live in ``policies/`` (a Casbin model and a CSV policy) so that
they can be read, reviewed and changed without code; this module loads them into a Casbin enforcer,
validates them against the schema's fields and the maskers, and answers ``decide(subjects, field)``.

Privacy fails closed: no matching rule, an unknown field or subject, and any policy that does not
validate mean "denied" or a start-up error, never "allowed".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from gateway.access.policy_files import (
    KNOWN_SUBJECTS,
    ConsentFields,
    Stamps,
    Validated,
    file_stamps,
    load_validated,
)
from gateway.errors import PolicyError
from gateway.store.fields import schema_fields

log = logging.getLogger(__name__)

# The fields of the GraphQL schema, in the order the privacy table shows them: the field catalogue's.
# The GraphQL layer passes its own field list to FieldPolicy.load; this one serves the table script and
# the tests.
SCHEMA_FIELDS: tuple[str, ...] = schema_fields()

RELOAD_CHECK_INTERVAL = 1.0  # seconds between two looks at the files' modification times


class Effect(StrEnum):
    WHOLE = "WHOLE"
    MASKED = "MASKED"
    DENIED = "DENIED"


# The policy file's words for the two granting effects, most permissive first.
_GRANTS: tuple[tuple[Effect, str], ...] = ((Effect.WHOLE, "allow"), (Effect.MASKED, "mask"))
_SHOWN = {Effect.WHOLE: "whole", Effect.MASKED: "masked"}

DEFAULT_DENY = "default-deny"


@dataclass(frozen=True, slots=True)
class Decision:
    """What a caller sees of a field, the rule that decided it (as written in the policy, or
    ``default-deny``) and a plain reason naming the subjects: recorded in the audit event so that every
    answer, and every denial, can be explained (002 二(七)2: 可控、可核、可溯)."""

    effect: Effect
    rule: str
    reason: str


@dataclass(slots=True)
class _State:
    """One loaded policy and its memo. Replaced whole on reload, never changed in place (but for the
    memo, which only grows), so readers holding the old state stay consistent."""

    validated: Validated
    memo: dict[tuple[frozenset[str], str], Decision]
    lock: threading.Lock  # Casbin's role manager mutates itself while enforcing


class FieldPolicy:
    """The loaded field policy. Safe to share between threads: ``decide`` reads one state reference,
    and a reload swaps in a fully validated new state in one assignment."""

    def __init__(
        self,
        policy_dir: Path,
        known_fields: frozenset[str],
        state: _State,
        clock: Callable[[], float],
    ) -> None:
        self.policy_dir = policy_dir
        self.known_fields = known_fields
        self._state = state
        self._clock = clock
        self._checked_at = clock()
        self._check_lock = threading.Lock()
        self._rejected: Stamps | None = None
        self.last_error: PolicyError | None = None

    @classmethod
    def load(
        cls,
        policy_dir: Path,
        known_fields: Iterable[str],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> FieldPolicy:
        """Load and validate ``policy_dir/model.conf`` and ``policy_dir/fields.csv``; raise
        PolicyError (naming file, line and problem) on anything short of a valid policy."""
        fields = frozenset(known_fields)
        return cls(Path(policy_dir), fields, _new_state(Path(policy_dir), fields), clock)

    def decide(self, subjects: frozenset[str], field: str) -> Decision:
        """The most permissive effect any of ``subjects`` gets on ``field``. Subjects the gateway
        does not know grant nothing (and are not passed to Casbin, whose role manager would keep
        them); a field the schema does not have is denied."""
        state = self._state
        if field not in self.known_fields:
            return Decision(Effect.DENIED, DEFAULT_DENY, f"{field} is not a field of the schema")
        key = (KNOWN_SUBJECTS.intersection(subjects), field)
        decision = state.memo.get(key)
        if decision is None:
            with state.lock:
                decision = _evaluate(state.validated, *key)
            state.memo[key] = decision
        return decision

    def consent_fields(self) -> ConsentFields:
        """(``Type.field``, consent scope) for every field a consent scope's rule opens, in the policy
        file's order: what the audit's field groups are named by (``gateway.audit.field_groups``)."""
        return self._state.validated.consent_fields

    def digests(self) -> dict[str, str]:
        """SHA-256 of each policy file's text, as the policy in force was read from it."""
        return dict(self._state.validated.digests)

    def reload(self) -> None:
        """Re-read and re-validate the files and swap them in, dropping the memo. A policy that does
        not validate raises PolicyError and leaves the policy in force untouched: reload is called
        on purpose (by an operator or a deploy), and whoever called it must learn that it failed."""
        self._swap(_new_state(self.policy_dir, self.known_fields))

    def reload_if_changed(self) -> bool:
        """Reload when the files' modification times or sizes changed; cheap enough to call on every
        request, as it looks at the files at most once per RELOAD_CHECK_INTERVAL and lets one thread
        look at a time. Returns True when a new policy was swapped in.

        Unlike ``reload`` it never raises: it runs on a caller's request, and a half-saved or
        broken edit must not fail requests. The old policy stays in force, the error is logged and
        kept in ``last_error``, and the same broken files are not re-read until they change again."""
        now = self._clock()
        if now - self._checked_at < RELOAD_CHECK_INTERVAL or not self._check_lock.acquire(blocking=False):
            return False
        try:
            self._checked_at = now
            try:
                stamps = file_stamps(self.policy_dir)
            except PolicyError as exc:
                return self._reject(None, exc)
            if stamps in (self._state.validated.stamps, self._rejected):
                return False
            try:
                self._swap(_new_state(self.policy_dir, self.known_fields))
            except PolicyError as exc:
                return self._reject(stamps, exc)
            return True
        finally:
            self._check_lock.release()

    def _reject(self, stamps: Stamps | None, error: PolicyError) -> bool:
        self._rejected = stamps
        self.last_error = error
        log.warning("field policy not reloaded, the policy in force is kept: %s", error.message)
        return False

    def _swap(self, state: _State) -> None:
        self._state = state
        self._rejected = None
        self.last_error = None


def _new_state(policy_dir: Path, known_fields: frozenset[str]) -> _State:
    return _State(load_validated(policy_dir, known_fields), {}, threading.Lock())


def _evaluate(validated: Validated, subjects: frozenset[str], field: str) -> Decision:
    for effect, word in _GRANTS:
        granted: list[tuple[str, list[str]]] = []
        for subject in sorted(subjects):
            allowed, rule = validated.enforcer.enforce_ex(subject, field, word)
            if allowed:
                granted.append((subject, rule))
        if granted:
            who = ", ".join(sub if rule[0] == sub else f"{sub} (as {rule[0]})" for sub, rule in granted)
            return Decision(
                effect, "p, " + ", ".join(granted[0][1]), f"{field} shown {_SHOWN[effect]} to {who}"
            )
    who = ", ".join(sorted(subjects)) or "a caller with no known role"
    return Decision(Effect.DENIED, DEFAULT_DENY, f"no rule shows {field} to {who}")


__all__ = [
    "DEFAULT_DENY",
    "SCHEMA_FIELDS",
    "Decision",
    "Effect",
    "FieldPolicy",
]
