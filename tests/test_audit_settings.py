from __future__ import annotations

from datetime import time

import pytest

from gateway.settings import Settings


def test_audit_settings_default_to_the_documented_values() -> None:
    audit = Settings.from_env({}).audit
    assert (audit.head_every_events, audit.head_every_seconds) == (1_000, 300.0)
    assert (audit.group_window_ms, audit.group_max_events, audit.write_timeout_seconds) == (2.0, 512, 10.0)
    assert audit.retention_years == 5
    assert audit.hours == (time(8, 30), time(18, 0))


def test_audit_settings_are_read_from_the_environment() -> None:
    audit = Settings.from_env(
        {"GATEWAY_AUDIT_HEAD_EVENTS": "10", "GATEWAY_AUDIT_RETENTION_YEARS": "10",
         "GATEWAY_AUDIT_WORKING_HOURS": "09:00-17:30", "GATEWAY_AUDIT_GROUP_WINDOW_MS": "0"}
    ).audit  # fmt: skip
    assert (audit.head_every_events, audit.retention_years, audit.group_window_ms) == (10, 10, 0.0)
    assert audit.hours == (time(9, 0), time(17, 30))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_AUDIT_HEAD_EVENTS", "0"),
        ("GATEWAY_AUDIT_HEAD_SECONDS", "soon"),
        ("GATEWAY_AUDIT_RETENTION_YEARS", "0"),
        ("GATEWAY_AUDIT_WORKING_HOURS", "18:00-08:30"),
        ("GATEWAY_AUDIT_WORKING_HOURS", "9-17"),
    ],
)
def test_bad_audit_settings_are_refused_with_their_name(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})
