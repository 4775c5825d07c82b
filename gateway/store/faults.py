"""Which database failures a request answers with a code of its own, rather than INTERNAL_ERROR.

A failure of the database itself (a connection cut or terminated, the server gone, a write refused
because the file is read-only or the disk full, a statement cancelled by ``statement_timeout``) is not
a bug of the gateway: the caller gets ``DATABASE_UNAVAILABLE`` or ``DATABASE_TIMEOUT`` (503, with
``Retry-After``), the operation's work is rolled back, and no data leaves. Anything else a driver
raises (a constraint broken, a bad statement) stays an internal error.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

from gateway.errors import DatabaseTimeout, DatabaseUnavailable

# PostgreSQL's SQLSTATEs: query_canceled (statement_timeout), lock_not_available (lock_timeout).
_TIMEOUT_STATES = frozenset({"57014", "55P03"})
# Class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now),
# 53 (insufficient resources: disk full, out of memory), 25006 (read-only transaction).
_UNAVAILABLE_PREFIXES = ("08", "57P", "53", "25006")
# SQLite: the file read-only, the disk full, an I/O error, the file gone. A missing table or a bad
# statement is an OperationalError too, and stays an internal error.
_SQLITE_UNAVAILABLE = ("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN")


def database_fault(exc: BaseException | None) -> DatabaseUnavailable | None:
    """The refusal ``exc`` stands for when it is a failure of the database, else None."""
    if not isinstance(exc, DBAPIError):
        return None
    state = getattr(exc.orig, "sqlstate", None)
    if isinstance(state, str) and state in _TIMEOUT_STATES:
        return DatabaseTimeout()
    if exc.connection_invalidated:
        return DatabaseUnavailable()
    if isinstance(state, str):
        return DatabaseUnavailable() if state.startswith(_UNAVAILABLE_PREFIXES) else None
    name = getattr(exc.orig, "sqlite_errorname", None)  # SQLite's primary result code, by name
    if isinstance(name, str):
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return DatabaseTimeout()
        return DatabaseUnavailable() if name.startswith(_SQLITE_UNAVAILABLE) else None
    if isinstance(exc, OperationalError) and state is None:  # psycopg: no server to give a state
        return DatabaseUnavailable()
    return None
