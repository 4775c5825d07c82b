"""Retention: ``audit prune`` removes old events only behind a signed head, refuses a young cutoff,
leaves a log that verifies, proofs of retained events that verify and tampering that is still caught,
and does nothing more when run again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from gateway.audit import history
from gateway.audit import prune as pruning
from gateway.audit.events import CallerFacts, RequestOutcome, draft_document
from gateway.audit.findings import Problem
from gateway.audit.heads import HeadSigner, audit_public_keys
from gateway.audit.merkle import verify_consistency, verify_inclusion
from gateway.audit.store import AuditLog, HeadSchedule, latest_head
from gateway.audit.tree import TreeDataMissing, TreeReader
from gateway.audit.verify import verify_log
from gateway.keys.keyring import Keyring
from tests.cli import run_cli

OLD = datetime(2015, 1, 1, 2, 0, tzinfo=UTC)
CUTOFF = "2020-01-01"
OLD_EVENTS = 100  # one every 20 days from 2015: the first on or after the cutoff is event 92
YOUNG_EVENTS = 23


def document(n: int) -> dict[str, object]:
    moment = OLD + timedelta(days=20 * n) if n < OLD_EVENTS else datetime.now(UTC) - timedelta(days=1)
    return draft_document(
        time=moment,
        request_id=f"{n:016x}",
        batch_index=0,
        batch_size=1,
        caller=CallerFacts(id="bank", role="partner", organization="91370000999999100Q"),
        client="10.0.0.1",
        operation_type="query",
        root_fields=["person"],
        subjects=[f"{n % 7:032x}"],
        outcome=RequestOutcome.ANSWERED,
        purpose="FINANCIAL_SERVICE",
        http_status=200,
        duration_us=1_000,
    )


@pytest.fixture
def old_log(engine: Engine, keyring: Keyring) -> Engine:
    """123 events appended 5 at a time; heads at sizes 5, 15, … 115 (when 10 are pending)."""
    clock = iter(OLD + timedelta(days=d) for d in range(10_000))
    audit_log = AuditLog(
        HeadSigner(keyring), HeadSchedule(every_events=10, every_seconds=1e9), lambda: next(clock)
    )
    total = OLD_EVENTS + YOUNG_EVENTS
    for start in range(0, total, 5):
        with engine.begin() as conn:
            audit_log.append(conn, [document(n) for n in range(start, min(start + 5, total))])
    return engine


def prune(url: str, keyring_path: Path, before: str = CUTOFF, *extra: str) -> tuple[int, str, str]:
    done = run_cli(
        "audit", "prune", "--before", before, "--yes", *extra, keyring=keyring_path, database_url=url
    )
    return done.returncode, done.stdout, done.stderr


def stored(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        first = conn.execute(text("SELECT min(seq) FROM audit_events")).scalar_one()
        count = conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
        keys = conn.execute(text("SELECT count(*) FROM audit_event_keys WHERE seq < 80")).scalar_one()
    return int(first), int(count), int(keys)


def test_a_cutoff_younger_than_the_retention_period_is_refused(
    old_log: Engine, migrated_url: str, keyring_path: Path
) -> None:
    young = (date.today() - timedelta(days=365 * 5 - 30)).isoformat()
    code, _, err = prune(migrated_url, keyring_path, young)
    assert code == 1 and "AUDIT_PRUNE_REFUSED" in err and "5 years" in err
    assert stored(old_log) == (0, OLD_EVENTS + YOUNG_EVENTS, 80 * 2)  # nothing removed
    bad = run_cli(
        "audit", "prune", "--before", "01/01/2020", "--yes", keyring=keyring_path, database_url=migrated_url
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_the_retention_period_counts_calendar_years_in_china() -> None:
    now = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # 3 December in China
    pruning.check_retention(date(2021, 12, 3), now=now, years=5)
    with pytest.raises(pruning.AuditPruneRefused):
        pruning.check_retention(date(2021, 12, 4), now=now, years=5)
    with pytest.raises(pruning.AuditPruneRefused):
        pruning.check_retention(date(2017, 1, 1), now=now, years=10)


def test_prune_removes_old_events_behind_a_head_and_the_log_still_verifies(
    old_log: Engine, migrated_url: str, keyring_path: Path, keyring: Keyring
) -> None:
    code, out, err = prune(migrated_url, keyring_path)
    assert code == 0, err
    # Events 0-91 are older than the cutoff; 80 is the last multiple of 16 before 92.
    assert "80 events removed" in out and "starts at index 80" in out
    assert stored(old_log) == (80, OLD_EVENTS + YOUNG_EVENTS - 80, 0)
    with old_log.connect() as conn:
        nodes = conn.execute(text("SELECT level, idx FROM audit_nodes")).all()
        assert all((idx + 1) << level > 80 for level, idx in nodes)
    verified = run_cli("audit", "verify", keyring=keyring_path, database_url=migrated_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("OK 43 events verified (indexes 80 to 122)")
    with old_log.connect() as conn:
        reader = TreeReader(conn)
        head = latest_head(conn)
        assert head is not None and head.tree_size == 115
        leaves = {int(s): bytes(h) for s, h in conn.execute(text("SELECT seq, leaf_hash FROM audit_events"))}
        for index in range(80, head.tree_size):
            proof = reader.inclusion(index, head.tree_size)
            assert verify_inclusion(index, head.tree_size, leaves[index], proof, head.root_hash)
        with pytest.raises(TreeDataMissing):
            reader.inclusion(79, head.tree_size)
        # The checkpoint's size is covered by consistency proofs to later heads.
        older = TreeReader(conn).root(85)
        assert verify_consistency(85, 115, older, head.root_hash, reader.consistency(85, 115))


def test_tampering_a_retained_event_after_a_prune_is_still_caught(
    old_log: Engine, migrated_url: str, keyring_path: Path, keyring: Keyring
) -> None:
    assert prune(migrated_url, keyring_path)[0] == 0
    with old_log.begin() as conn:
        conn.execute(text("UPDATE audit_events SET purpose = 'MARKETING' WHERE seq = 85"))
    with old_log.connect() as conn:
        report = verify_log(conn, audit_public_keys(keyring))
    assert report.finding is not None
    assert (report.finding.problem, report.finding.index) == (Problem.MODIFIED, 85)


def test_running_prune_again_does_nothing_more(
    old_log: Engine, migrated_url: str, keyring_path: Path
) -> None:
    assert prune(migrated_url, keyring_path)[0] == 0
    after_first = stored(old_log)
    code, out, _ = prune(migrated_url, keyring_path)
    assert code == 0 and out.startswith("OK nothing to prune: the log starts at index 80")
    assert stored(old_log) == after_first
    with old_log.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_prunes")).scalar_one() == 1


def test_an_interrupted_prune_verifies_and_resumes(
    old_log: Engine, migrated_url: str, keyring_path: Path, keyring: Keyring
) -> None:
    now = datetime.now(UTC)
    with old_log.begin() as conn:
        plan = pruning.plan(conn, cutoff=date(2020, 1, 1), now=now, years=5)
        pruning.write_checkpoint(conn, plan, now=now)
    with old_log.begin() as conn:  # stopped after the first batch
        conn.execute(text("DELETE FROM audit_event_keys WHERE seq < 30"))
        conn.execute(text("DELETE FROM audit_events WHERE seq < 30"))
    with old_log.connect() as conn:
        assert verify_log(conn, audit_public_keys(keyring)).ok
        # The events still stored behind the checkpoint are out of every history already.
        listed = history.page(
            conn, person_id=f"{1:032x}", first=50, after=None, include_own=False, own_pseudonyms=(), now=now
        )
        assert listed.entries and min(e.seq for e in listed.entries) >= 80
        assert all(e.proof is not None for e in listed.entries if e.seq < 115)
    code, out, err = prune(migrated_url, keyring_path)
    assert code == 0, err
    assert "50 events removed" in out
    assert stored(old_log) == (80, OLD_EVENTS + YOUNG_EVENTS - 80, 0)


def test_a_prune_stopped_before_its_nodes_finishes_them_when_run_again(
    old_log: Engine, migrated_url: str, keyring_path: Path
) -> None:
    now = datetime.now(UTC)
    with old_log.begin() as conn:
        plan = pruning.plan(conn, cutoff=date(2020, 1, 1), now=now, years=5)
        pruning.write_checkpoint(conn, plan, now=now)
        conn.execute(text("DELETE FROM audit_event_keys WHERE seq < 80"))
        conn.execute(text("DELETE FROM audit_events WHERE seq < 80"))
    code, out, _ = prune(migrated_url, keyring_path)
    assert code == 0 and out.startswith("OK nothing to prune")
    with old_log.connect() as conn:
        nodes = conn.execute(text("SELECT level, idx FROM audit_nodes")).all()
    assert nodes and all((idx + 1) << level > 80 for level, idx in nodes)


def test_prune_refuses_when_the_stored_tree_disagrees_with_the_signed_head(
    old_log: Engine, migrated_url: str, keyring_path: Path
) -> None:
    with old_log.begin() as conn:  # event 83's leaf hash rewritten: the head of size 85 no longer agrees
        row = conn.execute(text("SELECT leaf_hash FROM audit_events WHERE seq = 84")).scalar_one()
        conn.execute(text("UPDATE audit_events SET leaf_hash = :h WHERE seq = 83"), {"h": bytes(row)})
    code, _, err = prune(migrated_url, keyring_path)
    assert code == 1 and "AUDIT_PRUNE_REFUSED" in err and "audit verify" in err
    assert stored(old_log)[0] == 0
