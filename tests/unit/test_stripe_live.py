"""The Stripe adapter against Stripe itself, in test mode. Skipped unless ``STRIPE_API_KEY`` holds a
test key (``sk_test_...``); it creates, captures and refunds one real test-mode PaymentIntent."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
import stripe

from commerce.adapters.stripe_payments import StripePayments
from commerce.money import Money
from commerce.payments.model import PaymentMethod, PaymentMethodKind, PaymentStatus

API_KEY = os.environ.get("STRIPE_API_KEY", "")

pytestmark = pytest.mark.skipif(
    not API_KEY.startswith("sk_test_"), reason="set STRIPE_API_KEY to a Stripe test-mode secret key"
)


def test_a_card_is_authorised_captured_and_refunded_in_stripe_test_mode() -> None:
    references: dict[str, str] = {}
    client = stripe.StripeClient(API_KEY, max_network_retries=2)
    provider = StripePayments(client, references.get, lambda: datetime.now(UTC))
    order_id = f"live-{uuid.uuid4()}"
    amount = Money(1234, "EUR")
    visa = PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa")

    authorised = provider.authorize(order_id, amount, visa)
    references[order_id] = authorised.reference
    assert authorised.status is PaymentStatus.AUTHORIZED
    assert provider.authorize(order_id, amount, visa) == authorised  # replayed, not charged twice

    captured = provider.capture(order_id)
    assert (captured.status, captured.captured) == (PaymentStatus.CAPTURED, amount)

    refunded = provider.refund(order_id, Money(234, "EUR"), "refund-1")
    assert (refunded.status, refunded.refunded) == (PaymentStatus.PARTIALLY_REFUNDED, Money(234, "EUR"))
    assert provider.refund(order_id, Money(234, "EUR"), "refund-1").refunded == Money(234, "EUR")
