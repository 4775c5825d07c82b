"""One error tree for the whole gateway.

Every error a caller can see carries a stable ``code`` (documented in ``docs/errors.md``) and a plain
message. Internal failures never reach callers with their details.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Root of all errors the gateway raises on purpose."""

    code = "GATEWAY_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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


class NotFound(GatewayError):
    code = "NOT_FOUND"


class Conflict(GatewayError):
    code = "CONFLICT"


class RotationUnfinished(GatewayError):
    """Rows are still on an older data-key version after a rotation ran: run it again to finish."""

    code = "ROTATION_UNFINISHED"
