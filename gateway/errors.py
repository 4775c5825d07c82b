"""One error tree for the whole gateway.

Every error a caller can see carries a stable ``code`` (documented in ``docs/errors.md``) and a plain
message. Internal failures never reach callers with their details. Every code the gateway answers
with is the ``code`` of a class in this tree (a few packages keep their own subclasses beside them:
import files, audit verification and pruning); ``tests/test_errors_doc.py`` checks ``docs/errors.md``
against it.

A refusal of the HTTP request as a whole (``RequestRefused``) carries its HTTP status and headers as
plain data, so that this module, like every pure module, needs no web framework.
"""

from __future__ import annotations

from typing import ClassVar


class GatewayError(Exception):
    """Root of all errors the gateway raises on purpose."""

    code = "GATEWAY_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- the request as a whole: refused before any operation runs (4xx, 503) ----------------------------


class RequestRefused(GatewayError):
    """The whole request is refused with ``http_status`` and this error alone, no ``data``."""

    http_status: ClassVar[int] = 400

    def headers(self) -> dict[str, str]:
        """Response headers the refusal needs (``Retry-After``); none by default."""
        return {}


class MalformedRequest(RequestRefused):
    """The body is not UTF-8 JSON of the expected shape. Also the answer, inside a 200, to one
    operation object of a batch whose ``query``, ``variables`` or ``operationName`` is mistyped."""

    code = "MALFORMED_REQUEST"


class ClientDisconnected(RequestRefused):
    """The client went away before its request was read whole. Nobody receives the answer; the
    request's audit event (outcome ``ABANDONED``) says that it came and what it got."""

    code = "CLIENT_DISCONNECTED"
    http_status = 400


class TooManyOperations(RequestRefused):
    code = "TOO_MANY_OPERATIONS"


class RequestTooLarge(RequestRefused):
    code = "REQUEST_TOO_LARGE"
    http_status = 413


class MethodNotAllowed(RequestRefused):
    """``allow`` lists the methods the endpoint answers, for the ``Allow`` header RFC 9110 requires
    with a 405."""

    code = "METHOD_NOT_ALLOWED"
    http_status = 405

    def __init__(self, message: str, *, allow: str = "POST") -> None:
        super().__init__(message)
        self.allow = allow

    def headers(self) -> dict[str, str]:
        return {"Allow": self.allow}


class UnsupportedMediaType(RequestRefused):
    """The body is not declared as ``application/json`` (UTF-8): no ``Content-Type`` at all, another
    media type, or another charset. GraphQL over HTTP asks servers to refuse a POST that does not say
    what its body is rather than guess (docs/graphql-over-http.md)."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    http_status = 415


class NotAcceptable(RequestRefused):
    """The ``Accept`` header names neither ``application/graphql-response+json`` nor
    ``application/json`` (nor a range covering one): no answer the client could read."""

    code = "NOT_ACCEPTABLE"
    http_status = 406


class RateLimited(RequestRefused):
    """The caller spent its allowance; ``retry_after`` is the whole seconds until it holds one
    request again."""

    code = "RATE_LIMITED"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class SharedStateUnavailable(RequestRefused):
    """The state every worker shares (the token revocation list, the rate buckets) cannot be read, so
    the request is refused rather than checked against a stale or missing copy (fail closed)."""

    code = "SHARED_STATE_UNAVAILABLE"
    http_status = 503

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


class AuditUnavailable(RequestRefused):
    """The audit event could not be written, so the request's answer is withheld (fail closed)."""

    code = "AUDIT_UNAVAILABLE"
    http_status = 503

    def __init__(self, message: str = "the audit log cannot be written; no data is released") -> None:
        super().__init__(message)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


class DatabaseUnavailable(RequestRefused):
    """The database failed while the operation ran (its connection was cut, the server went away, a
    write was refused): the operation's work is rolled back and the answer carries no data (fail
    closed). The next request takes a fresh connection; nothing needs a restart."""

    code = "DATABASE_UNAVAILABLE"
    http_status = 503

    def __init__(self, message: str = "the database could not answer; nothing was changed") -> None:
        super().__init__(message)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


class DatabaseTimeout(DatabaseUnavailable):
    """A statement ran past the database's ``statement_timeout`` (or waited past its lock timeout):
    cancelled by the server, rolled back, no data."""

    code = "DATABASE_TIMEOUT"

    def __init__(self, message: str = "the database did not answer in time; nothing was changed") -> None:
        super().__init__(message)


class InvalidInput(GatewayError):
    """A value failed validation; ``field`` names it and ``reason`` says why."""

    code = "INVALID_INPUT"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class KeyringError(GatewayError):
    """The keyring is missing, unreadable or lacks a key a value needs."""

    code = "KEYRING_ERROR"


class DecryptionFailed(GatewayError):
    """A ciphertext did not authenticate: wrong key, or copied to another row or column."""

    code = "DECRYPTION_FAILED"


class ConfigurationError(GatewayError):
    """A setting or a file it names is unusable; raised at start-up, never per request."""

    code = "CONFIGURATION_ERROR"


class DatabaseNotFound(GatewayError):
    """The default SQLite database does not exist where the command looked (a relative path, so the
    current folder decides): refused rather than silently starting a new, empty store."""

    code = "DATABASE_NOT_FOUND"


class HolidayCalendarEnded(GatewayError):
    """A warning, not a refusal: a working-day count reached a year the holiday calendar does not
    list, and counted it with weekends only (gateway/workdays.py says why it does not fail)."""

    code = "HOLIDAY_CALENDAR_ENDED"


class AuthenticationError(RequestRefused):
    """A bearer token was refused; the subclass's code says why (documented in docs/authentication.md).

    Messages never quote the token nor any value read from it: those are chosen by whoever sent the
    request, and messages end up in logs and audit events.
    """

    code = "AUTHENTICATION_FAILED"
    http_status = 401
    default_message = "the bearer token was refused"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class TokenMalformed(AuthenticationError):
    code = "TOKEN_MALFORMED"
    default_message = "the Authorization header does not carry a well-formed bearer token"


class TokenSignatureInvalid(AuthenticationError):
    code = "TOKEN_SIGNATURE_INVALID"
    default_message = "the token's signature does not verify with a key of its issuer"


class TokenUnknownIssuer(AuthenticationError):
    code = "TOKEN_UNKNOWN_ISSUER"
    default_message = "the token's issuer is not trusted by this gateway"


class TokenExpired(AuthenticationError):
    code = "TOKEN_EXPIRED"
    default_message = "the token has expired"


class TokenNotYetValid(AuthenticationError):
    code = "TOKEN_NOT_YET_VALID"
    default_message = "the token is not valid yet"


class TokenClaimsInvalid(AuthenticationError):
    code = "TOKEN_CLAIMS_INVALID"
    default_message = "the token's claims are missing or invalid"


class TokenRevoked(AuthenticationError):
    code = "TOKEN_REVOKED"
    default_message = "the token has been revoked"


class NotFound(GatewayError):
    code = "NOT_FOUND"


class Conflict(GatewayError):
    code = "CONFLICT"


class ConsentError(GatewayError):
    """A consent that cannot be used; each state has its own code (see docs/errors.md)."""

    code = "CONSENT_INVALID"


class ConsentExpired(ConsentError):
    code = "CONSENT_EXPIRED"


class ConsentRevoked(ConsentError):
    code = "CONSENT_REVOKED"


class ConsentPaused(ConsentError):
    code = "CONSENT_PAUSED"


class ConsentExhausted(ConsentError):
    code = "CONSENT_EXHAUSTED"


class ConsentWrongGrantee(ConsentError):
    code = "CONSENT_WRONG_GRANTEE"


class ConsentPurposeMismatch(ConsentError):
    code = "CONSENT_PURPOSE_MISMATCH"


class ConsentScopeMissing(ConsentError):
    """The consent does not open what the operation reads (a credit check reads records and lists)."""

    code = "CONSENT_SCOPE_MISSING"


class LegalBasisInvalid(InvalidInput):
    """A lawful lookup's legal basis is not of the shape a basis has (law, article, case or document
    number); decided before the person is looked up, so it says nothing about who exists."""

    code = "LEGAL_BASIS_INVALID"


class BatchTooLarge(InvalidInput):
    """A bulk credit check names more subjects than ``[bulk] max_subjects`` of
    ``policies/credit-check.toml``; refused whole, before anybody is looked up."""

    code = "BATCH_TOO_LARGE"


class PersonUnavailable(GatewayError):
    """The one answer for "no such person" and "no valid consent for that person": the gateway must
    not be an oracle of who exists."""

    code = "PERSON_UNAVAILABLE"


class Forbidden(GatewayError):
    """The caller's role may not run this operation at all."""

    code = "FORBIDDEN_OPERATION"


class NotEntitled(GatewayError):
    """The caller may not act on this record: objections and repair applications come from the
    record's subject (or for an organisation, its legal representative or an agency acting for it),
    and only the issuing authority's provider decides them (docs/lifecycle.md)."""

    code = "NOT_ENTITLED"


class InvalidState(Conflict):
    """The record, objection or application is not in a state that allows this step."""

    code = "INVALID_STATE"


class RepairTooEarly(InvalidState):
    """A repair was applied for before the record's minimum display period passed."""

    code = "REPAIR_TOO_EARLY"


class PolicyError(GatewayError):
    """The field policy is unreadable or invalid; ``path`` and ``line`` say where, ``problem`` what.

    Raised at start-up and by an explicit reload: privacy fails closed, so a policy that cannot be
    fully validated is never used."""

    code = "POLICY_INVALID"

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}" if line is not None else f"{path}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class RotationUnfinished(GatewayError):
    """Rows are still on an older data-key version after a rotation ran: run it again to finish."""

    code = "ROTATION_UNFINISHED"


class BackupFailed(GatewayError):
    """``db backup`` or ``db restore`` refused (a file or a store already there) or its tool failed;
    nothing was overwritten."""

    code = "BACKUP_FAILED"


class AuditProofUnavailable(GatewayError):
    """A proof needs events the log no longer holds (behind the retention checkpoint)."""

    code = "AUDIT_PROOF_UNAVAILABLE"


# --- the GraphQL document: answered with 200, the query is not run -----------------------------------


class QuerySyntaxError(GatewayError):
    code = "GRAPHQL_PARSE_FAILED"


class ValidationFailed(GatewayError):
    """The document does not fit the schema; graphql-core's own validation errors get this code."""

    code = "GRAPHQL_VALIDATION_FAILED"


class OperationNotChosen(ValidationFailed):
    """``operationName`` names no operation of the document, or is missing where several are: the
    GraphQL spec's "GetOperation" fails (Strawberry would run the first operation, or fail internally)."""


class BadUserInput(GatewayError):
    """A variable or argument does not coerce to its GraphQL type (graphql-core's coercion errors)."""

    code = "BAD_USER_INPUT"


class LimitExceeded(GatewayError):
    code = "LIMIT_EXCEEDED"


class QueryTooDeep(LimitExceeded):
    code = "QUERY_TOO_DEEP"


class TooManyAliases(LimitExceeded):
    code = "TOO_MANY_ALIASES"


class QueryTooLarge(LimitExceeded):
    code = "QUERY_TOO_LARGE"


class IntrospectionDisabled(GatewayError):
    code = "INTROSPECTION_DISABLED"


class DocumentError(GatewayError):
    """Root of the trusted-document codes (``gateway.api.trusted_documents``, docs/partner-guide.md)."""

    code = "DOCUMENT_ERROR"


class DocumentUnknown(DocumentError):
    """The request names a trusted document (its ``sha256:`` id) that is not registered, or trusted
    documents are off (``GATEWAY_TRUSTED_DOCUMENTS=off``)."""

    code = "DOCUMENT_UNKNOWN"


class DocumentRequired(DocumentError):
    """The caller's role may run only trusted documents (``policies/trusted-documents.toml``, with
    ``GATEWAY_TRUSTED_DOCUMENTS=require``) and sent query text."""

    code = "DOCUMENT_REQUIRED"


class DocumentIdInvalid(DocumentError):
    """The document id is not ``sha256:`` and 64 lower-case hex digits, is given twice in different
    shapes, or does not match the query text sent with it."""

    code = "DOCUMENT_ID_INVALID"


class DocumentRefused(DocumentError):
    """``documents add``: the document does not parse or validate against the schema, or embeds an
    identity value in a literal (identity values belong in variables)."""

    code = "DOCUMENT_REFUSED"


# --- one field while answering -----------------------------------------------------------------------


class ForbiddenField(GatewayError):
    """The field policy denies a field to this caller. The field guard answers it as a GraphQL error
    carrying this code with the deciding rule and the reason (``gateway.api.guard``)."""

    code = "FORBIDDEN_FIELD"


class ReportError(GatewayError):
    """A credit report that does not verify offline (``gateway.reports.verification``): the command
    ``report verify`` and the third-party verifier answer with these codes (docs/reports.md)."""

    code = "REPORT_INVALID"


class ReportMalformed(ReportError):
    """Not a compact JWS of a credit report: parts, encoding, header or members are wrong."""

    code = "REPORT_MALFORMED"


class ReportKeyUnknown(ReportError):
    """The report names a signing key that the JWKS used for verification does not hold."""

    code = "REPORT_KEY_UNKNOWN"


class ReportSignatureInvalid(ReportError):
    """The signature does not verify over the signed bytes with the key the report names."""

    code = "REPORT_SIGNATURE_INVALID"


class ReportExpired(ReportError):
    """The signature is good but the report's validity period has ended."""

    code = "REPORT_EXPIRED"


class InternalError(GatewayError):
    """Anything unexpected: logged with its details on the server, shown to the caller without them."""

    code = "INTERNAL_ERROR"

    def __init__(self, message: str = "internal error") -> None:
        super().__init__(message)


def error_classes() -> list[type[GatewayError]]:
    """Every class of the tree that is loaded, the root first, each before its subclasses: the one
    place the documented codes (docs/errors.md) are checked against."""
    found: list[type[GatewayError]] = []
    pending: list[type[GatewayError]] = [GatewayError]
    while pending:
        cls = pending.pop(0)
        if cls not in found:
            found.append(cls)
            pending.extend(cls.__subclasses__())
    return found
