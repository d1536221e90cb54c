"""Typed errors: what providers raise and what the core refuses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Why an attempt failed. The values are stored and sent on the wire."""

    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    REJECTED = "rejected"
    AUTH = "auth"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


#: Whether an error of each kind is worth another attempt when the provider does not say.
DEFAULT_RETRYABLE: dict[ErrorCode, bool] = {
    ErrorCode.RATE_LIMITED: True,
    ErrorCode.TIMEOUT: True,
    ErrorCode.REJECTED: False,
    ErrorCode.AUTH: False,
    ErrorCode.UNAVAILABLE: True,
    ErrorCode.INTERNAL: True,
}


class ProviderError(Exception):
    """A typed failure of one attempt.

    ``retry_after`` is the provider's own hint in seconds (for example from a
    ``Retry-After`` header); the worker waits at least that long before the next attempt.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = DEFAULT_RETRYABLE[code] if retryable is None else retryable
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "message": self.message,
            "retryable": self.retryable,
            "retry_after": self.retry_after,
        }


class JobCancelled(Exception):
    """Raised inside a provider when the job's cancellation token fires."""


@dataclass
class TransitionError(Exception):
    """A status change that the rules refuse (HTTP 409)."""

    current: str
    target: str
    reason: str

    def __str__(self) -> str:
        return self.reason


class NotFound(Exception):
    """The job (or other record) does not exist (HTTP 404)."""


class Conflict(Exception):
    """A request that the current state refuses for a reason other than a transition (409)."""


class LeaseLost(Exception):
    """The worker no longer owns the job (it was cancelled, or its lease expired and
    another worker took it over). The worker must stop touching the job."""
