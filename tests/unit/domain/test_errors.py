from __future__ import annotations

from genfactory.domain.errors import ErrorCode, ProviderError


def test_retryable_defaults_follow_the_error_kind() -> None:
    assert ProviderError(ErrorCode.RATE_LIMITED, "slow down").retryable
    assert ProviderError(ErrorCode.TIMEOUT, "late").retryable
    assert ProviderError(ErrorCode.UNAVAILABLE, "down").retryable
    assert not ProviderError(ErrorCode.REJECTED, "no").retryable
    assert not ProviderError(ErrorCode.AUTH, "key").retryable


def test_wire_form() -> None:
    error = ProviderError(ErrorCode.RATE_LIMITED, "slow down", retry_after=12.5)
    assert error.to_dict() == {
        "code": "rate_limited",
        "message": "slow down",
        "retryable": True,
        "retry_after": 12.5,
    }
    assert ProviderError(ErrorCode.INTERNAL, "x", retryable=False).to_dict()["retryable"] is False
