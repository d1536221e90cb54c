"""Provider secrets (API keys): the OS keyring when it has a backend, else environment
variables. Secrets never go into the database, logs, exports or job snapshots."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

SERVICE = "genfactory"

#: secret name → environment variables read when the keyring has nothing (first wins).
ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "openai_api_key": ("GENFACTORY_OPENAI_API_KEY", "OPENAI_API_KEY"),
    "comfyui_token": ("GENFACTORY_COMFYUI_TOKEN",),
}


@dataclass(frozen=True)
class KeyringStatus:
    usable: bool
    backend: str
    reason: str | None


def keyring_status() -> KeyringStatus:
    """Whether secrets can be stored in the OS keyring here, and if not, why."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            return KeyringStatus(
                False,
                "none",
                "No OS keyring is available on this machine; set the environment variables "
                "instead.",
            )
        return KeyringStatus(True, type(backend).__name__, None)
    except Exception as exc:  # a broken backend must not break the server
        return KeyringStatus(False, "error", f"The OS keyring failed: {type(exc).__name__}")


def get_secret(name: str) -> tuple[str | None, str]:
    """The secret and where it came from: ``"keyring"``, the variable's name, or ``"unset"``."""
    if keyring_status().usable:
        try:
            import keyring

            value = keyring.get_password(SERVICE, name)
            if value:
                return value, "keyring"
        except Exception:
            pass
    for variable in ENVIRONMENT.get(name, ()):
        value = os.environ.get(variable)
        if value:
            return value, variable
    return None, "unset"


def set_secret(name: str, value: str | None) -> None:
    """Store (or with ``None``, delete) a secret in the keyring; raises if there is none."""
    status = keyring_status()
    if not status.usable:
        raise RuntimeError(status.reason or "no keyring")
    import keyring

    if value:
        keyring.set_password(SERVICE, name, value)
    else:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(SERVICE, name)
