"""Stripe's webhook endpoint (no JWT: Stripe signs each call, and the signature is checked first).

2xx tells Stripe the event is handled (duplicates and events about nothing of ours included);
400 a bad or stale signature; 503 a passing failure, so Stripe delivers the event again.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header

from commerce.api.http import create_resolver, lambda_handler
from commerce.api.schemas.payments import WebhookReceived
from commerce.bootstrap import payment_webhooks, stripe_webhook_secret
from commerce.payments.stripe_webhooks import verified_event

logger = Logger(service="payment-webhooks")
app = create_resolver(logger)


@app.post(
    "/v1/payments/webhooks/stripe",
    tags=["payments"],
    summary="Stripe's events (signed): resumes 3-D Secure waits and keeps orders' payments current",
)
def stripe_webhook(
    stripe_signature: Annotated[
        str | None, Header(alias="stripe-signature", description="Stripe's t=...,v1=... signature.")
    ] = None,
) -> Response[WebhookReceived]:
    event = verified_event(app.current_event.decoded_body or "", stripe_signature, stripe_webhook_secret())
    outcome = payment_webhooks().stripe_event(event)
    logger.info(
        "stripe event", extra={"event_id": event.event_id, "type": event.type, "outcome": outcome.value}
    )
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=WebhookReceived(event_id=event.event_id, outcome=outcome.value),
    )


handler = lambda_handler(app, logger)
