"""What the payment steps need from a payment provider (Stripe, PayPal, the wallet, the simulator)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from commerce.money import Money
from commerce.payments.model import Payment, PaymentMethod

__all__ = ["PaymentProvider"]


class PaymentProvider(ABC):
    """One payment per order; every call is idempotent by order id (Step Functions delivers at least once)."""

    #: Stable name stored with the order, so a refund goes back to the provider that took the money.
    name: str

    @abstractmethod
    def authorize(self, order_id: str, amount: Money, method: PaymentMethod) -> Payment:
        """Hold ``amount``.

        Returns an ``authorized`` payment, or one that ``requires_action`` (3-D Secure, PayPal
        approval) with its ``next_action`` for the client; nothing is held until ``complete``.
        Called again for the same order: returns the stored payment unchanged (if amount or method
        differ: ``Conflict(code="payment_mismatch")``); a retried call never charges twice.
        Raises ``PaymentDeclined`` (nothing is held) or ``PaymentUnavailable`` (retry).
        """

    @abstractmethod
    def complete(self, order_id: str) -> Payment:
        """Finish an authorisation that waited for the customer, asking the provider what happened.

        Returns the payment ``authorized`` once the customer authenticated or approved, still
        ``requires_action`` if they have not yet, and an already authorised (or later) payment
        unchanged. Raises ``PaymentDeclined`` when the customer failed or abandoned the action
        (nothing is held), ``NotFound(code="payment_not_found")`` and ``PaymentUnavailable``.
        """

    @abstractmethod
    def capture(self, order_id: str) -> Payment:
        """Take the whole authorised amount; a captured payment is returned unchanged.

        Raises ``NotFound(code="payment_not_found")`` when the order has no payment and
        ``Conflict(code="payment_not_capturable")`` when it was voided or refunded.
        """

    @abstractmethod
    def void(self, order_id: str) -> Payment:
        """Release the hold, or abandon a payment still awaiting the customer; a voided payment is
        returned unchanged.

        Raises ``NotFound(code="payment_not_found")`` and ``Conflict(code="payment_not_voidable")``
        once captured (refund it instead).
        """

    @abstractmethod
    def refund(self, order_id: str, amount: Money, refund_id: str) -> Payment:
        """Give back ``amount`` of what was captured.

        Idempotent by ``refund_id``: the same refund_id again changes nothing and returns the payment.
        Raises ``InvalidInput(code="refund_exceeds_captured")`` beyond what is left and
        ``Conflict(code="payment_not_refundable")`` before capture.
        """

    @abstractmethod
    def find(self, order_id: str) -> Payment | None:
        """The order's payment, strongly consistent, or ``None`` when it has none."""
