"""``audit verify`` catches every kind of tampering done with raw SQL and names the first bad index;
proofs served from the database verify with the pure functions, and fail once tampered with."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, text

from gateway.audit.canonical import canonical_bytes
from gateway.audit.events import CallerFacts, RequestOutcome, draft_document, project
from gateway.audit.findings import Problem, Report
from gateway.audit.heads import HeadSigner, audit_public_keys
from gateway.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from gateway.audit.models import AuditEvent, AuditEventKey
from gateway.audit.store import AuditLog, HeadSchedule, latest_head
from gateway.audit.tree import TreeReader
from gateway.audit.verify import verify_log
from gateway.keys.keyring import Keyring
from tests.cli import run_cli

START = datetime(2026, 3, 12, 1, 0, tzinfo=UTC)


def document(n: int) -> dict[str, object]:
    return draft_document(
        time=START + timedelta(minutes=n),
        request_id=f"{n:016x}",
        batch_index=0,
        batch_size=1,
        caller=CallerFacts(id=f"caller-{n % 3}", role="partner", organization="91370000999999100Q"),
        client="10.0.0.1",
        operation_type="query",
        root_fields=["organization"],
        subjects=[f"{n:032x}"],
        outcome=RequestOutcome.ANSWERED if n % 4 else RequestOutcome.REFUSED,
        errors=[] if n % 4 else ["FORBIDDEN_OPERATION"],
        http_status=200,
        duration_us=1_000 + n,
    )


@pytest.fixture
def log_engine(engine: Engine, keyring: Keyring) -> Engine:
    """40 events appended in batches of 1 to 7; heads when 10 events are pending (at 1, 13, 28, 40)."""
    clock = iter(START + timedelta(seconds=s) for s in range(1000))
    audit_log = AuditLog(
        HeadSigner(keyring), HeadSchedule(every_events=10, every_seconds=3600), lambda: next(clock)
    )
    n = 0
    for size in (1, 2, 7, 3, 5, 4, 6, 1, 2, 3, 6):
        with engine.begin() as conn:
            audit_log.append(conn, [document(n + i) for i in range(size)])
        n += size
    with engine.begin() as conn:
        if latest_head(conn).tree_size != n:  # type: ignore[union-attr]
            audit_log.sign_head(conn)
    return engine


def verify(engine: Engine, keyring: Keyring) -> Report:
    with engine.connect() as conn:
        return verify_log(conn, audit_public_keys(keyring), chunk=7)


def sql(engine: Engine, *statements: str, **params: object) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), params)


def heads(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [int(s) for s in conn.execute(text("SELECT tree_size FROM audit_heads ORDER BY id")).scalars()]


def test_an_untouched_log_verifies(log_engine: Engine, keyring: Keyring) -> None:
    report = verify(log_engine, keyring)
    assert report.ok and report.events == 40 and report.size == 40
    assert heads(log_engine) == [1, 13, 28, 40]  # the first append signs at once, then at 10 or more pending
    assert report.heads == 4


def test_a_modified_event_is_named(log_engine: Engine, keyring: Keyring) -> None:
    sql(log_engine, "UPDATE audit_events SET body = :body WHERE seq = 13",
        body=canonical_bytes({**document(13), "seq": 13, "caller_id": "someone-else"}))  # fmt: skip
    finding = verify(log_engine, keyring).finding
    assert finding is not None and (finding.problem, finding.index) == (Problem.MODIFIED, 13)


def test_a_modified_index_column_is_named(log_engine: Engine, keyring: Keyring) -> None:
    sql(log_engine, "UPDATE audit_events SET outcome = 'ANSWERED' WHERE seq = 16")
    finding = verify(log_engine, keyring).finding
    assert finding is not None and (finding.problem, finding.index) == (Problem.MODIFIED, 16)


def test_an_event_rewritten_with_its_leaf_hash_and_index_is_caught_by_the_head_covering_it(
    log_engine: Engine, keyring: Keyring
) -> None:
    forged = canonical_bytes({**document(15), "seq": 15, "client": "10.9.9.9"})
    sql(log_engine, "UPDATE audit_events SET body = :body, leaf_hash = :leaf WHERE seq = 15",
        body=forged, leaf=leaf_hash(forged))  # fmt: skip
    finding = verify(log_engine, keyring).finding
    assert finding is not None and finding.problem is Problem.HEAD_MISMATCH
    assert finding.index == 13 and "[13, 28)" in finding.message  # between the last good head and this one
    sql(
        log_engine, "DELETE FROM audit_heads WHERE tree_size > 13"
    )  # without the heads, the tree state shows it
    finding = verify(log_engine, keyring).finding
    assert finding is not None and finding.problem is Problem.STATE_MISMATCH


def test_a_deleted_event_is_named(log_engine: Engine, keyring: Keyring) -> None:
    sql(log_engine, "DELETE FROM audit_event_keys WHERE seq = 7", "DELETE FROM audit_events WHERE seq = 7")
    finding = verify(log_engine, keyring).finding
    assert finding is not None and (finding.problem, finding.index) == (Problem.MISSING, 7)


def _shift(engine: Engine, first: int, by: int) -> None:
    """Renumber events from ``first`` on by ``by`` (via negative numbers: the key stays unique)."""
    sql(engine,
        "DELETE FROM audit_event_keys WHERE seq >= :first",
        "UPDATE audit_events SET seq = -seq - 1 WHERE seq >= :first",
        "UPDATE audit_events SET seq = -seq - 1 + :by WHERE seq < 0",
        first=first, by=by)  # fmt: skip


def test_a_deletion_hidden_by_renumbering_is_named(log_engine: Engine, keyring: Keyring) -> None:
    sql(log_engine, "DELETE FROM audit_event_keys WHERE seq = 7", "DELETE FROM audit_events WHERE seq = 7")
    _shift(log_engine, 8, -1)
    finding = verify(log_engine, keyring).finding
    assert finding is not None and (finding.problem, finding.index) == (Problem.OUT_OF_PLACE, 7)


def test_an_inserted_event_is_named(log_engine: Engine, keyring: Keyring) -> None:
    _shift(log_engine, 5, 1)
    forged = {**document(99), "seq": 5}  # a forger who gets everything about the event itself right
    body, projection = canonical_bytes(forged), project(forged)
    with log_engine.begin() as conn:
        conn.execute(
            insert(AuditEvent).values(seq=5, **projection.columns(), body=body, leaf_hash=leaf_hash(body))
        )
        conn.execute(insert(AuditEventKey), [{"seq": 5, "kind": k, "value": v} for k, v in projection.keys])
    finding = verify(log_engine, keyring).finding
    assert finding is not None and (finding.problem, finding.index) == (Problem.OUT_OF_PLACE, 5)


def _reorder(engine: Engine) -> None:
    """Swap events 3 and 4 (and their keys), moving the events after them out of the way and back."""
    _shift(engine, 3, 100)
    sql(
        engine,
        "UPDATE audit_events SET seq = 4 WHERE seq = 103",
        "UPDATE audit_events SET seq = 3 WHERE seq = 104",
    )
    _shift(engine, 105, -100)


def test_reordered_events_are_named(log_engine: Engine, keyring: Keyring) -> None:
    _reorder(log_engine)
    finding = verify(log_engine, keyring).finding
    assert finding is not None and (finding.problem, finding.index) == (Problem.OUT_OF_PLACE, 3)


def test_a_log_cut_behind_a_head_is_named(log_engine: Engine, keyring: Keyring) -> None:
    sql(
        log_engine, "DELETE FROM audit_event_keys WHERE seq >= 35", "DELETE FROM audit_events WHERE seq >= 35"
    )
    finding = verify(log_engine, keyring).finding
    assert finding is not None and (finding.problem, finding.index) == (Problem.TRUNCATED, 35)


def test_a_cut_with_its_heads_removed_is_still_caught_by_the_tree_state(
    log_engine: Engine, keyring: Keyring
) -> None:
    sql(log_engine, "DELETE FROM audit_event_keys WHERE seq >= 35", "DELETE FROM audit_events WHERE seq >= 35",
        "DELETE FROM audit_heads WHERE tree_size > 35")  # fmt: skip
    finding = verify(log_engine, keyring).finding
    assert finding is not None and (finding.problem, finding.index) == (Problem.TRUNCATED, 35)


def test_a_forged_head_or_tree_data_is_caught(log_engine: Engine, keyring: Keyring) -> None:
    sql(log_engine, "UPDATE audit_nodes SET hash = :h WHERE level = 4 AND idx = 1", h=bytes(32))
    finding = verify(log_engine, keyring).finding
    assert finding is not None and (finding.problem, finding.index) == (Problem.NODE_MISMATCH, 16)
    sql(log_engine, "UPDATE audit_heads SET root_hash = :h WHERE tree_size = 28", h=bytes(32))
    finding = verify(log_engine, keyring).finding
    assert finding is not None and finding.problem is Problem.BAD_SIGNATURE


def test_inclusion_and_consistency_proofs_from_the_database_verify_and_fail_when_tampered(
    log_engine: Engine, keyring: Keyring
) -> None:
    with log_engine.connect() as conn:
        tree = TreeReader(conn)
        head = tree.latest_head()
        assert head is not None and head.tree_size == 40
        leaves = [
            bytes(h) for h in conn.execute(text("SELECT leaf_hash FROM audit_events ORDER BY seq")).scalars()
        ]
        for index in range(40):
            proof = tree.inclusion(index, 40)
            assert verify_inclusion(index, 40, leaves[index], proof, head.root_hash)
            assert not verify_inclusion(index, 40, leaves[(index + 1) % 40], proof, head.root_hash)
        for first in (1, 13, 28, 39):
            proof = tree.consistency(first, 40)
            old_root = tree.root(first)
            assert verify_consistency(first, 40, old_root, head.root_hash, proof)
            bent = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
            assert not verify_consistency(first, 40, old_root, head.root_hash, bent)


def test_the_command_names_the_first_bad_index_and_checks_heads_kept_outside(
    tmp_path: Path, log_engine: Engine, keyring: Keyring, keyring_path: Path, migrated_url: str
) -> None:
    ok = run_cli("audit", "verify", keyring=keyring_path, database_url=migrated_url)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK 40 events verified")
    kept = tmp_path / "heads.json"
    exported = run_cli("audit", "export-heads", str(kept), keyring=keyring_path, database_url=migrated_url)
    assert exported.returncode == 0, exported.stderr
    document = json.loads(kept.read_text())
    assert [h["tree_size"] for h in document["heads"]] == [1, 13, 28, 40]
    assert document["keys"]["keys"][0]["kid"] == "audit-1"

    # Cut the log and remove every head that would show it: only the kept heads still can.
    sql(log_engine, "DELETE FROM audit_event_keys WHERE seq >= 25", "DELETE FROM audit_events WHERE seq >= 25",
        "DELETE FROM audit_heads WHERE tree_size > 25", "DELETE FROM audit_nodes WHERE idx * 16 + 16 > 25",
        "UPDATE audit_state SET size = 25, frontier = :f", f=_frontier_bytes(log_engine, 25))  # fmt: skip
    assert verify(log_engine, keyring).ok  # the database alone cannot tell
    failed = run_cli("audit", "verify", "--heads", str(kept), keyring=keyring_path, database_url=migrated_url)
    assert failed.returncode == 1
    assert "FAILED first bad index 25 (TRUNCATED)" in failed.stdout


def test_deleting_every_signed_head_is_caught_against_the_exported_heads(
    tmp_path: Path, log_engine: Engine, keyring: Keyring, keyring_path: Path, migrated_url: str
) -> None:
    kept = tmp_path / "heads.json"
    exported = run_cli("audit", "export-heads", str(kept), keyring=keyring_path, database_url=migrated_url)
    assert exported.returncode == 0, exported.stderr
    sql(log_engine, "DELETE FROM audit_heads")
    alone = run_cli("audit", "verify", keyring=keyring_path, database_url=migrated_url)
    assert (
        alone.returncode == 0 and "0 signed heads checked" in alone.stdout
    )  # the database alone cannot tell
    failed = run_cli("audit", "verify", "--heads", str(kept), keyring=keyring_path, database_url=migrated_url)
    assert failed.returncode == 1
    assert "FAILED first bad index 1 (HEAD_MISSING)" in failed.stdout
    assert "it holds no signed head" in failed.stdout


def test_a_newer_head_than_the_exported_ones_keeps_the_log_verified(
    tmp_path: Path, log_engine: Engine, keyring: Keyring, keyring_path: Path, migrated_url: str
) -> None:
    kept = tmp_path / "heads.json"
    assert (
        run_cli(
            "audit", "export-heads", str(kept), keyring=keyring_path, database_url=migrated_url
        ).returncode
        == 0
    )
    with log_engine.begin() as conn:
        AuditLog(HeadSigner(keyring), HeadSchedule(), lambda: START).append(conn, [document(40)])
    assert run_cli("audit", "sign-head", keyring=keyring_path, database_url=migrated_url).returncode == 0
    ok = run_cli("audit", "verify", "--heads", str(kept), keyring=keyring_path, database_url=migrated_url)
    assert ok.returncode == 0, ok.stdout
    assert ok.stdout.startswith("OK 41 events verified")


def _frontier_bytes(engine: Engine, size: int) -> bytes:
    from gateway.audit.merkle import Frontier

    frontier = Frontier()
    with engine.connect() as conn:
        for h in conn.execute(
            text("SELECT leaf_hash FROM audit_events WHERE seq < :n ORDER BY seq"), {"n": size}
        ).scalars():
            frontier.append(bytes(h))
    return frontier.to_bytes()


def test_a_signed_head_on_demand_covers_the_whole_log(
    log_engine: Engine, keyring: Keyring, keyring_path: Path, migrated_url: str
) -> None:
    with log_engine.begin() as conn:
        AuditLog(HeadSigner(keyring), HeadSchedule(), lambda: START).append(conn, [document(40)])
    signed = run_cli("audit", "sign-head", keyring=keyring_path, database_url=migrated_url)
    assert signed.returncode == 0, signed.stderr
    head = json.loads(signed.stdout)
    assert head["tree_size"] == 41 and head["key_id"] == "audit-1"
    assert verify(log_engine, keyring).heads == 5


def _cut_behind_a_head(engine: Engine) -> None:
    sql(engine, "DELETE FROM audit_event_keys WHERE seq >= 35", "DELETE FROM audit_events WHERE seq >= 35")


def _rewrite_with_leaf(engine: Engine) -> None:
    forged = canonical_bytes({**document(15), "seq": 15, "client": "10.9.9.9"})
    sql(engine, "UPDATE audit_events SET body = :body, leaf_hash = :leaf WHERE seq = 15",
        body=forged, leaf=leaf_hash(forged))  # fmt: skip


TAMPERING = {
    "untouched": lambda engine: None,
    "body": lambda engine: sql(engine, "UPDATE audit_events SET body = :body WHERE seq = 13",
                               body=canonical_bytes({**document(13), "seq": 13, "caller_id": "x"})),
    "non-canonical body": lambda engine: sql(engine, "UPDATE audit_events SET body = :body WHERE seq = 20",
                                             body=canonical_bytes({**document(20), "seq": 20}) + b" "),
    "column": lambda engine: sql(engine, "UPDATE audit_events SET outcome = 'ANSWERED' WHERE seq = 16"),
    "column of another type": lambda engine: sql(engine, "UPDATE audit_events SET role = 5 WHERE seq = 30"),
    "key": lambda engine: sql(engine, "UPDATE audit_event_keys SET value = 'x' WHERE seq = 22 AND kind = 'subject'"),
    "key removed": lambda engine: sql(engine, "DELETE FROM audit_event_keys WHERE seq = 9 AND kind = 'field'"),
    "deleted": lambda engine: sql(engine, "DELETE FROM audit_event_keys WHERE seq = 7",
                                  "DELETE FROM audit_events WHERE seq = 7"),
    "reordered": _reorder,
    "rewritten with its leaf hash": _rewrite_with_leaf,
    "cut": _cut_behind_a_head,
    "node": lambda engine: sql(engine, "UPDATE audit_nodes SET hash = :h WHERE level = 4 AND idx = 1", h=bytes(32)),
    "state": lambda engine: sql(engine, "UPDATE audit_state SET frontier = :f", f=bytes(96)),
}  # fmt: skip


@pytest.mark.parametrize("tampering", sorted(TAMPERING))
def test_worker_processes_find_exactly_what_one_process_finds(
    log_engine: Engine, keyring: Keyring, tampering: str
) -> None:
    """Pages checked in worker processes (and by the page-at-once fast path) give the same report,
    first bad index included, as the event-by-event checks in this process."""
    TAMPERING[tampering](log_engine)
    with log_engine.connect() as conn:
        alone = verify_log(conn, audit_public_keys(keyring), chunk=7)
    with log_engine.connect() as conn:
        pooled = verify_log(conn, audit_public_keys(keyring), chunk=7, workers=2, parallel_from=0)
    assert pooled == alone
    assert alone.ok is (tampering == "untouched")


def test_the_command_takes_a_number_of_workers(
    log_engine: Engine, keyring_path: Path, migrated_url: str
) -> None:
    for workers in ("1", "2"):
        ok = run_cli("audit", "verify", "--workers", workers, keyring=keyring_path, database_url=migrated_url)
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.startswith("OK 40 events verified")
    refused = run_cli("audit", "verify", "--workers", "0", keyring=keyring_path, database_url=migrated_url)
    assert refused.returncode != 0
