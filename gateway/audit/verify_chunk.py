"""The per-event checks of ``audit verify`` over a whole page of events at once: the fast path.

``verify_log`` (``gateway.audit.verify``) checks each event one by one: canonical bytes, sequence
number, leaf hash, indexed columns and keys against the event's projection. That is ~50 µs of
Python an event. ``check_chunk`` answers one question for a page, "would every one of these checks
pass?", with far less Python per event, and returns the page's leaf hashes when the answer is yes.

It may say no when the per-event checks would pass (a value of an unusual type, an operation name
longer than its column, stored text the database driver returned in another form): the caller then
runs the per-event checks on that page, which name the first bad index exactly as before. It must
never say yes when one of them would fail; each step below says why it cannot:

- canonical bytes: decoded with the same JSON decoder hooks as ``canonical.parse`` (floats and
  ``NaN``/``Infinity`` refused as they are read), encoded again by the same encoder settings, and
  compared with the stored bytes: the very test ``parse`` makes, without its per-call wrappers;
- sequence number: the stored ``seq`` and the event's ``seq`` must both be the expected index (the
  per-event check also accepts a ``seq`` of another type that ``int()`` turns into it);
- leaf hash: SHA-256(0x00 || bytes) equal to the stored one, byte for byte;
- columns: the event's values must equal the stored ones *and* be text within the column's cut (or
  null), so that ``project``'s ``str(value)[:limit]`` is the value itself; the time must have the one
  event-time form and the same instant (read as text from SQLite: exactly the text SQLAlchemy
  writes for that instant);
- keys: the set of (seq, kind, value) the events' lists give equals the set of stored key rows of
  the page, every stored value text of at most ``MAX_KEY`` characters, so that ``project``'s
  ``str(value)[:MAX_KEY]`` is the value itself and each event's keys equal its stored keys.

``read_page`` reads a page (the parent's connection, or a worker's); ``check_page`` is what a worker
process runs: it reads its page on its own connection and returns only the leaf hashes, so neither
the events nor their bytes travel between processes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import repeat
from operator import itemgetter, le
from typing import Any

from sqlalchemy import Connection, Engine, select

from gateway.audit.canonical import _ENCODER, _TIME, _refuse_number
from gateway.audit.events import CUT_COLUMNS, KEY_LISTS, MAX_KEY, KeyKind
from gateway.audit.models import AuditEvent, AuditEventKey
from gateway.store import db

# What ``select`` in ``verify`` reads per event, in this order.
EVENT_COLUMNS = (
    "seq",
    "time",
    "caller_id",
    "role",
    "organization",
    "caller_person",
    "operation_name",
    "consent_id",
    "purpose",
    "outcome",
    "body",
    "leaf_hash",
)
_SELECT_EVENTS = [getattr(AuditEvent, name) for name in EVENT_COLUMNS]
# The text columns ``project`` cuts, with the cut, in EVENT_COLUMNS order.
_CUT = CUT_COLUMNS
_CUT_VALUES = itemgetter(*(name for name, _ in _CUT))
_LIMITS = tuple(limit for _, limit in _CUT)
_TEXT_OR_NULL = frozenset({str, type(None)})
_KEY_LISTS = tuple((kind.value, name) for kind, name in KEY_LISTS)
_CHANGE_KEY = KeyKind.CHANGE.value

# canonical.parse's decoder (floats and constants refused as read), its scanner called directly:
# one C call an event instead of json.loads' three Python frames.
_DECODER = json.JSONDecoder(parse_float=_refuse_number, parse_constant=_refuse_number)
_SCAN = _DECODER.scan_once


def _encoder() -> Any:
    """canonical._ENCODER's C encoder, made once (``_ENCODER.encode`` builds it on every call);
    None where the C accelerator is missing or takes other arguments, and then ``_ENCODER.encode``.
    No circular-reference markers: decoded JSON cannot refer to itself."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None or _ENCODER.ensure_ascii or _ENCODER.indent is not None:
        return None
    try:
        encode = make(
            None,
            _ENCODER.default,
            json.encoder.encode_basestring,  # ensure_ascii=False, as _ENCODER
            None,
            _ENCODER.key_separator,
            _ENCODER.item_separator,
            _ENCODER.sort_keys,
            _ENCODER.skipkeys,
            _ENCODER.allow_nan,
        )
        sample = {"b": [1, True, None, -5], "a": '张三\n"\\\x01\x7f', "é": {"z": 0, "Z": "x"}}
        if "".join(encode(sample, 0)) != _ENCODER.encode(sample):
            return None
    except TypeError:
        return None
    return encode


_C_ENCODE = _encoder()


def _encode(value: Any) -> str:
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def check_chunk(start: int, rows: Sequence[Sequence[Any]], keys: Sequence[Sequence[Any]]) -> bytes | None:
    """The leaf hashes of ``rows`` (events ``start``, ``start + 1``, ... in EVENT_COLUMNS order),
    joined, when every per-event check of ``verify`` passes for each of them given the stored
    ``keys`` rows (seq, kind, value) of the page; None when one might not (see the module doc)."""
    try:
        return _check(start, rows, keys)
    except Exception:  # anything unexpected: let the per-event checks decide
        return None


def _check(start: int, rows: Sequence[Sequence[Any]], keys: Sequence[Sequence[Any]]) -> bytes | None:
    sha256 = hashlib.sha256
    scan, encode, fullmatch = _SCAN, _encode, _TIME.fullmatch
    cut_values, limits, text_or_null = _CUT_VALUES, _LIMITS, _TEXT_OR_NULL
    fromiso = datetime.fromisoformat
    leaves: list[bytes] = []
    expected_keys: set[tuple[Any, ...]] = set()
    add_keys = expected_keys.update
    index = start
    for seq, time, c1, c2, c3, c4, c5, c6, c7, outcome, body, stored_leaf in rows:
        if seq != index or type(body) is not bytes:
            return None
        text = body.decode("utf-8")
        document, end = scan(text, 0)
        if end != len(text) or type(document) is not dict:
            return None
        if encode(document).encode("utf-8") != body:
            return None
        if document["seq"] != index or type(document["seq"]) is not int:
            return None
        leaf = sha256(b"\x00" + body).digest()
        if leaf != stored_leaf:
            return None
        stamp = document["time"]
        if type(stamp) is not str or fullmatch(stamp) is None:
            return None
        moment = fromiso(stamp[:-1])  # raises on a date or time out of range, as parse_time
        if type(time) is str:
            # SQLite read without type processing: the text SQLAlchemy wrote for the UTC instant,
            # which its reader turns back into exactly that instant; any other text goes slowly.
            if time != f"{stamp[:10]} {stamp[11:26]}":
                return None
        elif type(time) is not datetime:
            return None
        elif (time if time.tzinfo is not None else time.replace(tzinfo=UTC)) != moment.replace(tzinfo=UTC):
            return None
        values = cut_values(document)
        if values != (c1, c2, c3, c4, c5, c6, c7) or type(outcome) is not str:
            return None
        if document["outcome"] != outcome or not set(map(type, values)) <= text_or_null:
            return None
        if not all(map(le, map(len, map(str, values)), limits)):  # str(None) is short enough
            return None
        for kind, name in _KEY_LISTS:
            listed = document.get(name)
            if listed:
                add_keys(zip(repeat(index), repeat(kind), listed))
        change = document.get("change")
        if change is not None:  # a change event's kind (events.project)
            if type(change) is not str:
                return None
            add_keys(((index, _CHANGE_KEY, change),))
        leaves.append(leaf)
        index += 1
    stored_keys = {tuple(k) for k in keys}
    values = [k[2] for k in keys]
    if stored_keys != expected_keys or not set(map(type, values)) <= {str}:
        return None
    if max(map(len, values), default=0) > MAX_KEY:
        return None
    return b"".join(leaves)


def read_page(conn: Connection, start: int, chunk: int) -> tuple[Sequence[Any], Sequence[Any]]:
    """Up to ``chunk`` events from ``start`` on (keyset: never the whole log), EVENT_COLUMNS each,
    and the stored (seq, kind, value) keys of the sequence numbers they span."""
    rows = conn.execute(
        select(*_SELECT_EVENTS).where(AuditEvent.seq >= start).order_by(AuditEvent.seq).limit(chunk)
    ).all()
    if not rows:
        return rows, []
    first, last = rows[0].seq, rows[-1].seq
    keys = conn.execute(
        select(AuditEventKey.seq, AuditEventKey.kind, AuditEventKey.value).where(
            AuditEventKey.seq >= first, AuditEventKey.seq <= last
        )
    ).all()
    return rows, keys


_EVENTS_SQL = (
    "SELECT seq, time, caller_id, role, organization, caller_person, operation_name, consent_id, "
    "purpose, outcome, body, leaf_hash FROM audit_events WHERE seq >= ? ORDER BY seq LIMIT ?"
)
_KEYS_SQL = "SELECT seq, kind, value FROM audit_event_keys WHERE seq >= ? AND seq <= ?"


def read_page_raw(conn: Connection, start: int, chunk: int) -> tuple[Sequence[Any], Sequence[Any]]:
    """``read_page`` without SQLAlchemy's per-value result processing (it cost three quarters of
    reading a page): what the driver returns, the time as text on SQLite."""
    qmark = conn.dialect.paramstyle == "qmark"
    events, keys = (_EVENTS_SQL, _KEYS_SQL) if qmark else (_to_format(_EVENTS_SQL), _to_format(_KEYS_SQL))
    rows = conn.exec_driver_sql(events, (start, chunk)).all()
    if not rows:
        return [], []
    return rows, conn.exec_driver_sql(keys, (rows[0][0], rows[-1][0])).all()


def _to_format(statement: str) -> str:
    return statement.replace("?", "%s")


assert _EVENTS_SQL.split(" FROM ")[0] == "SELECT " + ", ".join(EVENT_COLUMNS)


_worker_engine: Engine | None = None


def init_worker(url: str) -> None:
    """A worker process's own engine on the log's database (a pool initializer)."""
    global _worker_engine
    _worker_engine = db.make_engine(url)


def check_page(start: int, chunk: int) -> tuple[int, bytes | None]:
    """In a worker: read the page of ``chunk`` events from ``start`` (a transaction of its own, so
    that it sees what is committed now) and check it: (events read, ``check_chunk``'s answer)."""
    if _worker_engine is None:
        raise RuntimeError("check_page runs in a worker set up by init_worker")
    with _worker_engine.connect() as conn:
        rows, keys = read_page_raw(conn, start, chunk)
    return len(rows), check_chunk(start, rows, keys) if rows else None
