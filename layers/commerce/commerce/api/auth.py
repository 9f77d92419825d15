"""The caller, as API Gateway's JWT authorizer describes it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from commerce.identity import Principal

__all__ = ["principal"]


def principal(app: APIGatewayHttpResolver) -> Principal:
    """Raises ``Unauthorized`` when the route was reached without verified claims."""
    authorizer: Any = app.current_event.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer is not None else None
    return Principal.from_claims(claims)
