"""The customer wallet as a payment provider: a wallet checkout holds the order's total in the
wallet's ledger, capture turns the hold into platform revenue, void releases it, refunds go back to
the wallet.

The method is ``PaymentMethod(PaymentMethodKind.WALLET, token=<customer_id>)``. The wallet never asks
the customer to act, so ``complete`` only returns the stored payment. Every call is idempotent by
order id (and refunds by refund id); the rules live in ``commerce.wallet.service``, the books in
``commerce.adapters.dynamodb_wallet``. Here the wallet's outages become ``PaymentUnavailable``, the
one error the payment steps retry on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from commerce.adapters.dynamodb_wallet import DynamoDBWalletLedger
from commerce.clock import Clock
from commerce.errors import NotFound
from commerce.money import Money
from commerce.payments.model import Payment, PaymentMethod, PaymentUnavailable
from commerce.payments.ports import PaymentProvider
from commerce.wallet.ports import WalletUnavailable
from commerce.wallet.service import WalletService

__all__ = ["WalletPayments"]


@contextmanager
def _unavailable_is_retryable() -> Iterator[None]:
    try:
        yield
    except WalletUnavailable as error:
        raise PaymentUnavailable(error.detail) from error


class WalletPayments(PaymentProvider):
    name = "wallet"

    def __init__(self, client: Any, table_name: str, clock: Clock) -> None:
        """The wallet provider on its DynamoDB table (``WALLET_TABLE``), with an injected client."""
        self._wallets = WalletService(DynamoDBWalletLedger(client, table_name), clock)

    @property
    def wallets(self) -> WalletService:
        """The wallet use cases on the same ledger (balances, statements, credits)."""
        return self._wallets

    def authorize(self, order_id: str, amount: Money, method: PaymentMethod) -> Payment:
        with _unavailable_is_retryable():
            return self._wallets.hold(order_id, amount, method)

    def complete(self, order_id: str) -> Payment:
        """A wallet payment is authorised (or declined) at once: the stored payment, unchanged."""
        payment = self.find(order_id)
        if payment is None:
            raise NotFound(f"Order {order_id} has no payment.", code="payment_not_found")
        return payment

    def capture(self, order_id: str) -> Payment:
        with _unavailable_is_retryable():
            return self._wallets.capture(order_id)

    def void(self, order_id: str) -> Payment:
        with _unavailable_is_retryable():
            return self._wallets.release(order_id)

    def refund(self, order_id: str, amount: Money, refund_id: str) -> Payment:
        with _unavailable_is_retryable():
            return self._wallets.refund(order_id, amount, refund_id)

    def find(self, order_id: str) -> Payment | None:
        with _unavailable_is_retryable():
            return self._wallets.payment(order_id)
