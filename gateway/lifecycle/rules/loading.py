"""The lifecycle rule files of ``policies/``, loaded and validated together at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.lifecycle.rules.checks import FILE_NAME as CHECK_FILE
from gateway.lifecycle.rules.checks import CheckRules
from gateway.lifecycle.rules.config import read_toml, table, whole, words
from gateway.lifecycle.rules.grades import GradeRules
from gateway.lifecycle.rules.lists import ListRules
from gateway.lifecycle.rules.objections import ObjectionRules
from gateway.lifecycle.rules.periods import DisplayPeriods
from gateway.lifecycle.rules.responsibility import ReachRules

LIFECYCLE_FILE = "lifecycle.toml"


@dataclass(frozen=True, slots=True)
class LifecycleRules:
    periods: DisplayPeriods
    objections: ObjectionRules
    checks: CheckRules
    grades: GradeRules
    responsibility: ReachRules
    lists: ListRules

    @classmethod
    def load(cls, policy_dir: Path) -> LifecycleRules:
        """Raise ConfigurationError naming the file and the problem on anything short of valid rules."""
        path = Path(policy_dir) / LIFECYCLE_FILE
        document = read_toml(path)
        objections = table(document, "objections", str(path), ("deadline_working_days", "source"))
        return cls(
            periods=DisplayPeriods.load(policy_dir),
            objections=ObjectionRules(
                deadline_working_days=whole(
                    objections.get("deadline_working_days"),
                    f"{path}: objections.deadline_working_days",
                    low=1,
                    high=60,
                ),
                source=words(objections.get("source"), f"{path}: objections.source"),
            ),
            checks=CheckRules.load(policy_dir),
            grades=GradeRules.load(policy_dir),
            responsibility=ReachRules.parse(
                read_toml(Path(policy_dir) / CHECK_FILE), str(Path(policy_dir) / CHECK_FILE)
            ),
            lists=ListRules.from_document(document, str(path)),
        )
