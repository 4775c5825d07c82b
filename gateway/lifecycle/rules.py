"""The lifecycle rule files of ``policies/``, loaded and validated together at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.lifecycle.periods import DisplayPeriods


@dataclass(frozen=True, slots=True)
class LifecycleRules:
    periods: DisplayPeriods

    @classmethod
    def load(cls, policy_dir: Path) -> LifecycleRules:
        """Raise ConfigurationError naming the file and the problem on anything short of valid rules."""
        return cls(periods=DisplayPeriods.load(policy_dir))
