"""A payment as the provider records it, and its life: authorise, then capture or void, then refund.

Free of I/O. The invariant: ``0 <= refunded <= captured <= amount``, all in one currency, and money
is only ever held (authorised, not captured, not voided) or taken (captured minus refunded).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from commerce.errors import CommerceError, Conflict, DependencyFailure, FieldError, InvalidInput
from commerce.money import Money

__all__ = [
    "NextAction",
    "Payment",
    "PaymentDeclined",
    "PaymentMethod",
    "PaymentMethodKind",
    "PaymentStatus",
    "PaymentUnavailable",
]


class PaymentMethodKind(StrEnum):
    CARD = "card"
    WALLET = "wallet"
    PAYPAL = "paypal"


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    """How the customer pays. ``token`` is the provider's handle, never card data: a Stripe
    PaymentMethod id (``pm_card_visa``) for a card, a PayPal order id, ``None`` for the wallet."""

    kind: PaymentMethodKind
    token: str | None = None


class PaymentStatus(StrEnum):
    REQUIRES_ACTION = "requires_action"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


_REFUNDABLE = frozenset({PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED})
_VOIDABLE = frozenset({PaymentStatus.REQUIRES_ACTION, PaymentStatus.AUTHORIZED})


@dataclass(frozen=True, slots=True)
class NextAction:
    """What the customer must do before the payment is authorised: authenticate the card with
    3-D Secure (``use_stripe_sdk``: the client passes ``client_secret`` to Stripe.js) or approve
    it at the provider (``redirect_to_url``: PayPal's approval page)."""

    type: str
    client_secret: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    """One order's payment as the provider records it.

    Transitions are pure and return a new payment; repeating one that already happened
    (capture a captured payment, void a voided one) returns the payment unchanged, because
    every caller may be delivered twice.
    """

    order_id: str
    reference: str
    method: PaymentMethod
    amount: Money
    captured: Money
    refunded: Money
    status: PaymentStatus
    created_at: datetime
    updated_at: datetime
    next_action: NextAction | None = None

    def __post_init__(self) -> None:
        if not self.amount.currency == self.captured.currency == self.refunded.currency:
            raise ValueError("a payment's figures must share one currency")
        if not 0 <= self.refunded.amount <= self.captured.amount <= self.amount.amount:
            raise ValueError("a payment needs 0 <= refunded <= captured <= amount")

    @classmethod
    def authorized(
        cls, order_id: str, reference: str, method: PaymentMethod, amount: Money, now: datetime
    ) -> Payment:
        """A fresh hold of ``amount``; amounts are whole minor units from 1."""
        if amount.amount < 1:
            raise InvalidInput(
                "A payment is for at least one minor unit.",
                code="invalid_amount",
                errors=[FieldError("amount.amount", f"{amount.amount} is not a positive amount")],
            )
        zero = Money.zero(amount.currency)
        return cls(order_id, reference, method, amount, zero, zero, PaymentStatus.AUTHORIZED, now, now)

    @classmethod
    def awaiting_action(
        cls,
        order_id: str,
        reference: str,
        method: PaymentMethod,
        amount: Money,
        now: datetime,
        next_action: NextAction,
    ) -> Payment:
        """Nothing held yet: the customer must first authenticate or approve (``next_action``)."""
        held = cls.authorized(order_id, reference, method, amount, now)
        return replace(held, status=PaymentStatus.REQUIRES_ACTION, next_action=next_action)

    # ------------------------------------------------------------------ figures
    @property
    def held(self) -> Money:
        """Reserved on the customer's card but not yet taken."""
        return self.amount if self.status is PaymentStatus.AUTHORIZED else Money.zero(self.amount.currency)

    @property
    def taken(self) -> Money:
        """What the merchant keeps: captured minus refunded."""
        return self.captured - self.refunded

    @property
    def refundable(self) -> Money:
        return self.taken

    # ------------------------------------------------------------------ transitions
    def authorized_at(self, now: datetime) -> Payment:
        """The customer completed the action: the amount is now held."""
        if self.status is PaymentStatus.AUTHORIZED:
            return self
        if self.status is not PaymentStatus.REQUIRES_ACTION:
            raise Conflict(
                f"A {self.status.value} payment is past authorisation.",
                code="payment_not_awaiting_action",
                extra={"status": self.status.value},
            )
        return replace(self, status=PaymentStatus.AUTHORIZED, next_action=None, updated_at=now)

    def captured_at(self, now: datetime) -> Payment:
        """Take the whole authorised amount."""
        if self.status is PaymentStatus.CAPTURED:
            return self
        if self.status is not PaymentStatus.AUTHORIZED:
            raise Conflict(
                f"A {self.status.value} payment cannot be captured.",
                code="payment_not_capturable",
                extra={"status": self.status.value},
            )
        return replace(self, status=PaymentStatus.CAPTURED, captured=self.amount, updated_at=now)

    def voided_at(self, now: datetime) -> Payment:
        """Release the hold (or abandon a payment still awaiting the customer); nothing was taken."""
        if self.status is PaymentStatus.VOIDED:
            return self
        if self.status not in _VOIDABLE:
            raise Conflict(
                f"A {self.status.value} payment cannot be voided; refund it instead.",
                code="payment_not_voidable",
                extra={"status": self.status.value},
            )
        return replace(self, status=PaymentStatus.VOIDED, next_action=None, updated_at=now)

    def refunded_by(self, amount: Money, now: datetime) -> Payment:
        """Give back part or all of what was captured; never more than is left."""
        if self.status not in _REFUNDABLE:
            raise Conflict(
                f"A {self.status.value} payment cannot be refunded.",
                code="payment_not_refundable",
                extra={"status": self.status.value},
            )
        if amount.currency != self.captured.currency:
            raise InvalidInput(
                f"The payment is in {self.captured.currency}, not {amount.currency}.",
                code="currency_mismatch",
                errors=[FieldError("amount.currency", f"expected {self.captured.currency}")],
            )
        if amount.amount < 1:
            raise InvalidInput(
                "A refund is for at least one minor unit.",
                code="invalid_amount",
                errors=[FieldError("amount.amount", f"{amount.amount} is not a positive amount")],
            )
        refunded = self.refunded + amount
        if self.captured < refunded:
            raise InvalidInput(
                f"Only {self.refundable} of this payment can still be refunded.",
                code="refund_exceeds_captured",
                extra={"refundable": {"amount": self.refundable.amount, "currency": amount.currency}},
            )
        status = PaymentStatus.REFUNDED if refunded == self.captured else PaymentStatus.PARTIALLY_REFUNDED
        return replace(self, status=status, refunded=refunded, updated_at=now)


class PaymentDeclined(CommerceError):
    """The provider refused the payment; nothing is held. ``decline_code`` is the provider's reason
    (Stripe's: ``insufficient_funds``, ``expired_card``...), safe to branch on."""

    default_code = "payment_declined"

    def __init__(self, detail: str, decline_code: str) -> None:
        super().__init__(detail, extra={"decline_code": decline_code})
        self.decline_code = decline_code


class PaymentUnavailable(DependencyFailure):
    """The provider could not be reached or did not answer in time; the caller retries."""

    default_code = "payment_provider_unavailable"
