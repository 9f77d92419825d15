"""Specification of the one place where errors become RFC 9457 problem details."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from commerce.api import problems
from commerce.errors import (
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


def body(response: Any) -> dict[str, Any]:
    return json.loads(response.body)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("error", "status", "title"),
    [
        (InvalidInput("Bad price.", code="invalid_price"), 422, HTTPStatus.UNPROCESSABLE_ENTITY.phrase),
        (Unauthorized("Who are you?"), 401, "Unauthorized"),
        (Forbidden("Not yours.", code="not_product_owner"), 403, "Forbidden"),
        (NotFound("No such product.", code="product_not_found"), 404, "Not Found"),
        (Conflict("Slug taken.", code="slug_taken"), 409, "Conflict"),
        (PreconditionFailed("Stale.", code="version_conflict"), 412, "Precondition Failed"),
        (DependencyFailure("Cognito is down.", code="identity_unavailable"), 503, "Service Unavailable"),
        (CommerceError("Unclassified."), 500, "Internal Server Error"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_each_error_kind_maps_to_its_status_as_a_problem_document(
    error: CommerceError, status: int, title: str
) -> None:
    response = problems.from_error(error)

    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    assert body(response) == {
        "type": problems.PROBLEM_TYPE_BASE + error.code,
        "title": title,
        "status": status,
        "detail": error.detail,
        "code": error.code,
    }


def test_a_default_code_is_used_when_none_is_given() -> None:
    assert body(problems.from_error(NotFound("Gone.")))["code"] == "not_found"
    assert body(problems.from_error(InvalidInput("Bad.")))["code"] == "validation_failed"


def test_only_401_carries_a_www_authenticate_challenge() -> None:
    unauthorized = problems.from_error(Unauthorized("Token expired."))
    forbidden = problems.from_error(Forbidden("No."))

    assert unauthorized.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert "WWW-Authenticate" not in forbidden.headers


def test_field_errors_are_listed() -> None:
    error = InvalidInput(
        "The category does not exist.",
        code="unknown_category",
        errors=[FieldError("body.category_id", "No category has this id.", "unknown_category")],
    )

    assert body(problems.from_error(error))["errors"] == [
        {"field": "body.category_id", "message": "No category has this id.", "type": "unknown_category"}
    ]


def test_extra_members_are_added_but_never_override_the_standard_ones() -> None:
    error = PreconditionFailed(
        "Stale.", code="version_conflict", extra={"current_version": 3, "status": 200, "code": "ok"}
    )

    document = body(problems.from_error(error))

    assert document["current_version"] == 3
    assert document["status"] == 412
    assert document["code"] == "version_conflict"


# ------------------------------------------------------------------------------------------------ validation


def test_a_body_that_is_not_json_is_a_400_malformed_json() -> None:
    errors = [{"type": "json_invalid", "loc": ("body", 1), "msg": "JSON decode error", "input": {}}]

    response = problems.from_validation_errors(errors)

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    document = body(response)
    assert document["code"] == "malformed_json"
    assert document["status"] == 400
    assert "errors" not in document


def test_validation_errors_are_a_422_naming_every_field_by_dotted_path() -> None:
    errors: list[dict[str, Any]] = [
        {"type": "missing", "loc": ("body", "name"), "msg": "Field required"},
        {"type": "int_type", "loc": ("body", "price", "amount"), "msg": "Input should be a valid integer"},
        {"type": "string_too_long", "loc": ("body", "images", 0, "alt"), "msg": "Too long"},
        {"type": "int_parsing", "loc": ("query", "limit"), "msg": "Not a number"},
    ]

    response = problems.from_validation_errors(errors)

    assert response.status_code == 422
    document = body(response)
    assert document["code"] == "validation_failed"
    assert document["errors"] == [
        {"field": "body.name", "message": "Field required", "type": "missing"},
        {"field": "body.price.amount", "message": "Input should be a valid integer", "type": "int_type"},
        {"field": "body.images.0.alt", "message": "Too long", "type": "string_too_long"},
        {"field": "query.limit", "message": "Not a number", "type": "int_parsing"},
    ]
    for field in ("body.name", "body.price.amount", "body.images.0.alt", "query.limit"):
        assert field in document["detail"]


class _Price(BaseModel):
    amount: int
    currency: str


class _Draft(BaseModel):
    name: str
    price: _Price


def _pydantic_errors(raw: str) -> list[dict[str, Any]]:
    """Pydantic's errors as Powertools passes them on: each location prefixed with ``body``."""
    try:
        _Draft.model_validate_json(raw)
    except ValidationError as error:
        return [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
    raise AssertionError("expected a validation error")


def test_pydantics_own_errors_are_mapped_field_by_field() -> None:
    response = problems.from_validation_errors(
        _pydantic_errors('{"price": {"amount": "ten", "currency": 1}}')
    )

    assert response.status_code == 422
    assert sorted(e["field"] for e in body(response)["errors"]) == [
        "body.name",
        "body.price.amount",
        "body.price.currency",
    ]


def test_pydantics_json_invalid_error_is_a_400() -> None:
    response = problems.from_validation_errors(_pydantic_errors('{"name": '))

    assert response.status_code == 400
    assert body(response)["code"] == "malformed_json"
