"""The PayPal adapter on the real SDK, talking to PayPal's REST API played in-process.

The platform records the PayPal order id on its order when ``authorize`` returns; here a dict plays
that record. The provider's own books are the fake's orders, read behind the adapter's back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from decimal import Decimal

from commerce.adapters.paypal_payments import PayPalPayments, paypal_client
from commerce.clock import Clock
from commerce.money import CURRENCY_EXPONENTS, Money
from commerce.payments.model import Payment, PaymentMethod, PaymentMethodKind
from contract.harness import ProviderHarness
from provider_fakes.paypal_api import FakePayPalAPI, PayPalRequest
from unit.fakes import FixedClock

__all__ = [
    "CANCEL_URL",
    "RETURN_URL",
    "FakePayPalAPI",
    "PayPalHarness",
    "PayPalRequest",
    "RecordingPayPalPayments",
]

RETURN_URL = "https://shop.example.com/checkout/paypal/return"
CANCEL_URL = "https://shop.example.com/checkout/paypal/cancel"


class RecordingPayPalPayments(PayPalPayments):
    """The adapter plus what the platform does with its answer: record the reference on the order."""

    def __init__(
        self,
        client: object,
        references: dict[str, str],
        clock: Clock,
        return_url: str = RETURN_URL,
        cancel_url: str = CANCEL_URL,
    ) -> None:
        lookup: Callable[[str], str | None] = references.get
        super().__init__(client, lookup, clock, return_url, cancel_url)
        self.recorded = references

    def authorize(self, order_id: str, amount: Money, method: PaymentMethod) -> Payment:
        payment = super().authorize(order_id, amount, method)
        self.recorded.setdefault(order_id, payment.reference)
        return payment


def _minor(value: dict[str, str]) -> int:
    return int(Decimal(value["value"]).scaleb(CURRENCY_EXPONENTS[value["currency_code"]]))


class PayPalHarness(ProviderHarness):
    name = "paypal"

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.api = FakePayPalAPI()
        self.references: dict[str, str] = {}
        client = paypal_client(self.api.client_id, self.api.client_secret, http_client=self.api)
        self.paypal = RecordingPayPalPayments(client, self.references, clock or FixedClock())
        self.provider = self.paypal

    def _method(self) -> PaymentMethod:
        return PaymentMethod(PaymentMethodKind.PAYPAL)

    def approving(self, order_id: str, amount: Money) -> PaymentMethod:
        # Every PayPal payment waits for the buyer; ``act`` plays the buyer approving.
        return self._method()

    def declining(self, order_id: str, amount: Money) -> tuple[PaymentMethod, str]:
        self.api.decline_on_authorize(order_id, "INSTRUMENT_DECLINED")
        return self._method(), "instrument_declined"

    def needing_action(self, order_id: str, amount: Money) -> PaymentMethod | None:
        return self._method()

    def act(self, order_id: str, *, succeed: bool) -> None:
        self.api.approve(order_id, succeed=succeed)

    def outage(self) -> AbstractContextManager[None]:
        return self.api.outage()

    @contextmanager
    def _lost_response(self) -> Iterator[None]:
        self.api.lose_next_response()
        try:
            yield
        finally:
            self.api.keep_responses()

    def lost_response(self) -> AbstractContextManager[None]:
        return self._lost_response()

    def authorisations(self, order_id: str) -> int:
        return sum(
            len((unit.get("payments") or {}).get("authorizations") or [])
            for order in self.api.orders_for(order_id)
            for unit in order["purchase_units"]
        )

    def taken(self, order_id: str) -> Money:
        taken = 0
        currency = self.currency
        for order in self.api.orders_for(order_id):
            for unit in order["purchase_units"]:
                currency = unit["amount"]["currency_code"]
                payments = unit.get("payments") or {}
                taken += sum(
                    _minor(c["amount"]) for c in payments.get("captures", []) if c["status"] != "DECLINED"
                )
                taken -= sum(
                    _minor(r["amount"]) for r in payments.get("refunds", []) if r["status"] != "FAILED"
                )
        return Money(taken, currency)
