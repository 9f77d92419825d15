"""Stripe's webhook calls: the signature checked with Stripe's own SDK, the event read down to
what the platform acts on.

Stripe signs ``<timestamp>.<body>`` with the endpoint's secret (HMAC-SHA256) in the
``Stripe-Signature`` header; a signature that does not match, or is older than the tolerance
(a replayed call), is refused before the body is even parsed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from commerce.errors import BadRequest, FieldError

__all__ = ["TOLERANCE_SECONDS", "StripeEvent", "sign", "verified_event"]

#: Stripe's own default: a signature older than five minutes is a replay.
TOLERANCE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class StripeEvent:
    event_id: str
    type: str
    created: int
    #: The platform's order, from the PaymentIntent's ``metadata.order_id`` (``None``: not ours).
    order_id: str | None
    #: The object's status at the time of the event (a snapshot: events arrive out of order).
    object_status: str | None


def _invalid_signature(detail: str) -> BadRequest:
    return BadRequest(
        detail,
        code="invalid_signature",
        errors=[FieldError("header.Stripe-Signature", detail, "invalid_signature")],
    )


def verified_event(payload: str, signature: str | None, secret: str) -> StripeEvent:
    """The event, if Stripe signed this very body recently; ``BadRequest`` otherwise."""
    import stripe  # the SDK is only needed where webhooks arrive

    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as error:
        raise _invalid_signature("The Stripe-Signature header is missing, wrong or too old.") from error
    except (ValueError, IndexError) as error:  # a header that is not t=...,v1=...
        raise _invalid_signature("The Stripe-Signature header is malformed.") from error
    try:
        body = json.loads(payload)
        event_id, event_type = str(body["id"]), str(body["type"])
        created = int(body.get("created", 0))
        obj: dict[str, Any] = body.get("data", {}).get("object", {}) or {}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BadRequest("The event is not a Stripe event.", code="invalid_payload") from error
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    order_id = metadata.get("order_id") if isinstance(metadata, dict) else None
    status = obj.get("status") if isinstance(obj, dict) else None
    return StripeEvent(event_id, event_type, created, str(order_id) if order_id else None, status)


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send with ``payload`` (for the local
    simulator, which plays Stripe, and for tests)."""
    import stripe

    return str(stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp))
