"""The PayPal adapter against PayPal's sandbox. Skipped unless ``PAYPAL_CLIENT_ID`` and
``PAYPAL_CLIENT_SECRET`` hold sandbox REST app credentials; it creates one sandbox order (nothing is
approved, so nothing is authorised or charged) and reads it back."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest

from commerce.adapters.paypal_payments import PayPalPayments, paypal_client
from commerce.money import Money
from commerce.payments.model import PaymentMethod, PaymentMethodKind, PaymentStatus

CLIENT_ID = os.environ.get("PAYPAL_CLIENT_ID", "")
CLIENT_SECRET = os.environ.get("PAYPAL_CLIENT_SECRET", "")

pytestmark = pytest.mark.skipif(
    not (CLIENT_ID and CLIENT_SECRET), reason="set PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET (sandbox app)"
)


def test_an_order_is_created_in_the_sandbox_and_read_back_awaiting_the_buyer() -> None:
    references: dict[str, str] = {}
    client = paypal_client(CLIENT_ID, CLIENT_SECRET, environment="sandbox")
    provider = PayPalPayments(
        client,
        references.get,
        lambda: datetime.now(UTC),
        "https://example.com/paypal/return",
        "https://example.com/paypal/cancel",
    )
    order_id = f"live-{uuid.uuid4().hex[:20]}"
    amount = Money(1234, "EUR")
    paypal = PaymentMethod(PaymentMethodKind.PAYPAL)

    created = provider.authorize(order_id, amount, paypal)
    references[order_id] = created.reference
    assert created.status is PaymentStatus.REQUIRES_ACTION
    assert created.next_action is not None
    assert created.next_action.url and "paypal.com" in created.next_action.url

    found = provider.find(order_id)
    assert found is not None
    assert (found.reference, found.amount, found.status) == (created.reference, amount, created.status)
    assert provider.authorize(order_id, amount, paypal).reference == created.reference  # not created twice
    assert provider.complete(order_id).status is PaymentStatus.REQUIRES_ACTION  # the buyer has not approved
