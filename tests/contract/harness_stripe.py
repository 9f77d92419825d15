"""The Stripe adapter under the payment-provider contract, talking to ``FakeStripeAPI`` through the
real SDK.

The platform records the PaymentIntent id on the order once ``authorize`` answers; here a dict plays
that part. The SDK is built with ``max_network_retries=0`` so an outage or a lost answer fails at
once instead of sleeping through the SDK's backoff (the state machine owns retries).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import stripe

from commerce.adapters.stripe_payments import StripePayments
from commerce.money import Money
from commerce.payments.model import Payment, PaymentMethod, PaymentMethodKind
from contract.harness import ProviderHarness
from provider_fakes.stripe_api import NEEDS_AUTHENTICATION, FakeStripeAPI, StripeRequest

__all__ = ["NEEDS_AUTHENTICATION", "TEST_KEY", "FakeStripeAPI", "StripeHarness", "StripeRequest"]

TEST_KEY = "sk_test_contract_4eC39HqLyjWDarjtT1zdp7dc"


class _RecordingStripePayments(StripePayments):
    """The adapter, plus the platform's habit of recording the reference the provider returned."""

    def __init__(self, client: stripe.StripeClient, references: dict[str, str]) -> None:
        super().__init__(client, references.get, lambda: datetime.now(UTC))
        self._recorded = references

    def authorize(self, order_id: str, amount: Money, method: PaymentMethod) -> Payment:
        payment = super().authorize(order_id, amount, method)
        self._recorded.setdefault(order_id, payment.reference)
        return payment


class StripeHarness(ProviderHarness):
    name = "stripe"

    def __init__(self) -> None:
        self.api = FakeStripeAPI()
        self.references: dict[str, str] = {}
        client = stripe.StripeClient(TEST_KEY, http_client=self.api, max_network_retries=0)
        self.provider = _RecordingStripePayments(client, self.references)

    def approving(self, order_id: str, amount: Money) -> PaymentMethod:
        return PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa")

    def declining(self, order_id: str, amount: Money) -> tuple[PaymentMethod, str]:
        return PaymentMethod(
            PaymentMethodKind.CARD, "pm_card_chargeDeclinedInsufficientFunds"
        ), "insufficient_funds"

    def needing_action(self, order_id: str, amount: Money) -> PaymentMethod | None:
        return PaymentMethod(PaymentMethodKind.CARD, NEEDS_AUTHENTICATION)

    def act(self, order_id: str, *, succeed: bool) -> None:
        self.api.authenticate(self.references[order_id], succeed)

    def outage(self) -> AbstractContextManager[None]:
        return self.api.outage()

    def lost_response(self) -> AbstractContextManager[None]:
        return self.api.losing_next_response()

    def authorisations(self, order_id: str) -> int:
        return len(self.api.charges_for(order_id))

    def taken(self, order_id: str) -> Money:
        currency = self.currency
        total = 0
        for charge in self.api.charges_for(order_id):
            currency = str(charge["currency"]).upper()
            total += int(charge["amount_captured"]) - int(charge["amount_refunded"])
        return Money(total, currency)

    def close(self) -> Iterator[None] | None:
        self.api.close()
        return None

    def books(self) -> dict[str, Any]:
        """Stripe's side, for debugging a failing contract test."""
        return {"intents": self.api.intents, "charges": self.api.charges, "refunds": self.api.refunds}
