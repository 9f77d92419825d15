"""Errors become RFC 9457 problem details here, and nowhere else."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response

from commerce.errors import (
    BadRequest,
    CommerceError,
    Conflict,
    DependencyFailure,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    Unauthorized,
)

__all__ = ["PROBLEM_CONTENT_TYPE", "from_error", "from_validation_errors", "problem"]

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://commerce.example/problems/"

_STATUS: tuple[tuple[type[CommerceError], HTTPStatus], ...] = (
    (BadRequest, HTTPStatus.BAD_REQUEST),
    (InvalidInput, HTTPStatus.UNPROCESSABLE_ENTITY),
    (Unauthorized, HTTPStatus.UNAUTHORIZED),
    (Forbidden, HTTPStatus.FORBIDDEN),
    (NotFound, HTTPStatus.NOT_FOUND),
    (Conflict, HTTPStatus.CONFLICT),
    (PreconditionFailed, HTTPStatus.PRECONDITION_FAILED),
    (DependencyFailure, HTTPStatus.SERVICE_UNAVAILABLE),
)


def problem(
    status: HTTPStatus,
    code: str,
    detail: str,
    errors: Iterable[FieldError] = (),
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": status.phrase,
        "status": int(status),
        "detail": detail,
        "code": code,
    }
    listed = [{"field": e.field, "message": e.message, "type": e.type} for e in errors]
    if listed:
        body["errors"] = listed
    if extra:
        body.update({key: value for key, value in extra.items() if key not in body})
    return Response(
        status_code=int(status),
        content_type=PROBLEM_CONTENT_TYPE,
        body=json.dumps(body, separators=(",", ":")),
        headers=dict(headers or {}),
    )


def from_error(error: CommerceError) -> Response[Any]:
    status = next((s for kind, s in _STATUS if isinstance(error, kind)), HTTPStatus.INTERNAL_SERVER_ERROR)
    headers = (
        {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == HTTPStatus.UNAUTHORIZED else None
    )
    return problem(status, error.code, error.detail, error.errors, error.extra, headers)


def _field(location: Sequence[Any]) -> str:
    return ".".join(str(part) for part in location)


def from_validation_errors(errors: Sequence[Mapping[str, Any]]) -> Response[Any]:
    """Pydantic's error list (through Powertools) as a 422 naming every offending field,
    or a 400 when the body is not JSON at all."""
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem(HTTPStatus.BAD_REQUEST, "malformed_json", "The request body is not valid JSON.")
    fields = [
        FieldError(
            _field(error.get("loc", ())), str(error.get("msg", "Invalid value.")), str(error.get("type"))
        )
        for error in errors
    ]
    names = ", ".join(sorted({f.field for f in fields}))
    return problem(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "validation_failed",
        f"Some fields are missing or invalid: {names}.",
        fields,
    )
