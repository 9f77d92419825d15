"""One base error for the domain and a small family of typed subclasses.

Each error carries a stable snake_case ``code`` that clients branch on; the HTTP status
is chosen in exactly one place (``commerce.api.problems``), never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "BadRequest",
    "CommerceError",
    "Conflict",
    "DependencyFailure",
    "FieldError",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PreconditionFailed",
    "Unauthorized",
]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One offending field: a dotted path such as ``body.price.amount`` and why."""

    field: str
    message: str
    type: str = "invalid"


class CommerceError(Exception):
    """Base of every error the domain raises on purpose."""

    default_code = "error"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.errors = errors or []
        self.extra = extra or {}


class InvalidInput(CommerceError):
    """The request is well-formed but breaks a rule (a field value, a reference)."""

    default_code = "validation_failed"


class BadRequest(InvalidInput):
    """The request itself cannot be read or trusted (a bad signature, a body that is not what the
    endpoint takes): 400, not 422."""

    default_code = "bad_request"


class Unauthorized(CommerceError):
    """Credentials are missing or wrong."""

    default_code = "unauthorized"


class Forbidden(CommerceError):
    """The caller is known but may not do this."""

    default_code = "forbidden"


class NotFound(CommerceError):
    """The thing does not exist, or its existence is private to someone else."""

    default_code = "not_found"


class Conflict(CommerceError):
    """The request clashes with the current state (a duplicate, a wrong state)."""

    default_code = "conflict"


class PreconditionFailed(CommerceError):
    """An ``If-Match`` version no longer matches what is stored."""

    default_code = "precondition_failed"


class DependencyFailure(CommerceError):
    """A dependency (identity provider, database) failed in a way that is not the caller's fault."""

    default_code = "dependency_failure"
