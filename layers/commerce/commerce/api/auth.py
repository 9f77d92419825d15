"""The caller, as API Gateway's JWT authorizer describes it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from commerce.errors import Unauthorized
from commerce.identity import Principal

__all__ = ["optional_principal", "principal"]


def principal(app: APIGatewayHttpResolver) -> Principal:
    """Raises ``Unauthorized`` when the route was reached without verified claims."""
    authorizer: Any = app.current_event.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer is not None else None
    return Principal.from_claims(claims)


def optional_principal(app: APIGatewayHttpResolver) -> Principal | None:
    """On a public route: the caller if they sent a bearer token (checked here, since no
    authorizer ran), None if they sent none. A token that fails a check is a 401, not a
    silent anonymous request, so a client learns to refresh it."""
    authorizer: Any = app.current_event.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer is not None else None
    if claims:
        return Principal.from_claims(claims)
    scheme, _, token = (app.current_event.headers.get("authorization") or "").partition(" ")
    if not token.strip():
        return None
    if scheme.lower() != "bearer":
        raise Unauthorized("Send the access token as 'Authorization: Bearer <token>'.", code="invalid_token")
    from commerce.bootstrap import access_tokens

    return Principal.from_claims(access_tokens().claims(token.strip()))
