"""The order aggregate, free of I/O.

An order is placed ``pending`` with its lines priced and snapshotted, and split into one
fulfilment per seller. The checkout saga confirms or cancels it; sellers then ship and
deliver their own fulfilments, and the order follows them: ``shipped`` once every
fulfilment has shipped, ``delivered`` once every one has arrived.

```
pending ──> confirmed ──> shipped ──> delivered
   │            │
   └────────────┴──> cancelled (with a cancellation_reason)
```

Every change returns a new ``Order`` one ``version`` on, and replaying a change that is
already done returns the order unchanged (``is`` the same object), so the saga's
at-least-once steps and a client's retries are harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from commerce.errors import Conflict, FieldError, InvalidInput, NotFound
from commerce.money import Money
from commerce.orders.pricing import PricedLine, Quote
from commerce.payments.model import NextAction, Payment, PaymentMethod, PaymentStatus

__all__ = [
    "CancellationReason",
    "CustomerAction",
    "Fulfilment",
    "FulfilmentStatus",
    "Order",
    "OrderLine",
    "OrderPayment",
    "OrderRefund",
    "OrderStatus",
    "RefundDestination",
    "RefundStatus",
    "Shipment",
    "ShippingAddress",
    "Totals",
]


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class FulfilmentStatus(StrEnum):
    PENDING = "pending"
    #: Confirmed and waiting for the seller to ship.
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class CancellationReason(StrEnum):
    PAYMENT_DECLINED = "payment_declined"
    INSUFFICIENT_STOCK = "insufficient_stock"
    RESERVATION_EXPIRED = "reservation_expired"
    #: The customer did not authenticate (3-D Secure) or approve (PayPal) in time.
    PAYMENT_ACTION_EXPIRED = "payment_action_expired"
    CUSTOMER_REQUEST = "customer_request"
    ADMIN_REQUEST = "admin_request"
    #: Anything the saga could not finish for a reason of its own (an outage, a bug).
    CHECKOUT_FAILED = "checkout_failed"

    @classmethod
    def of(cls, code: str) -> CancellationReason:
        """A failure code as a reason; codes the order does not know become ``checkout_failed``."""
        try:
            return cls(code)
        except ValueError:
            return cls.CHECKOUT_FAILED


@dataclass(frozen=True, slots=True)
class ShippingAddress:
    full_name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None
    region: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A line as it was sold: the price and name are snapshots, whatever the catalogue says later."""

    product_id: str
    seller_id: str
    name: str
    unit_price: Money
    quantity: int

    @property
    def subtotal(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Money
    shipping: Money
    tax: Money
    total: Money
    tax_rate_basis_points: int = 0

    @classmethod
    def of(cls, quote: Quote) -> Totals:
        return cls(quote.subtotal, quote.shipping, quote.tax, quote.total, quote.tax_rate_basis_points)


@dataclass(frozen=True, slots=True)
class Shipment:
    carrier: str
    tracking_number: str
    shipped_at: datetime


@dataclass(frozen=True, slots=True)
class Fulfilment:
    """One seller's part of an order: what they ship, and how far it has got."""

    seller_id: str
    lines: tuple[OrderLine, ...]
    status: FulfilmentStatus = FulfilmentStatus.PENDING
    shipment: Shipment | None = None
    delivered_at: datetime | None = None

    @property
    def subtotal(self) -> Money:
        total = Money.zero(self.lines[0].unit_price.currency)
        for line in self.lines:
            total += line.subtotal
        return total


#: How far a payment has got; a snapshot further back than the order's (a webhook delivered late,
#: out of order) is ignored, so the order's payment never moves backwards.
_PAYMENT_PROGRESS = {
    PaymentStatus.REQUIRES_ACTION: 0,
    PaymentStatus.AUTHORIZED: 1,
    PaymentStatus.VOIDED: 2,
    PaymentStatus.CAPTURED: 2,
    PaymentStatus.PARTIALLY_REFUNDED: 3,
    PaymentStatus.REFUNDED: 4,
}


class RefundDestination(StrEnum):
    #: Back to the card, PayPal account or wallet that paid.
    ORIGINAL = "original"
    #: Store credit in the customer's wallet, whatever paid.
    WALLET = "wallet"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"


@dataclass(frozen=True, slots=True)
class OrderRefund:
    """One refund the platform gave (or is giving): recorded on the order before the money moves,
    so the order alone knows how much is still refundable, whichever way each refund went."""

    refund_id: str
    amount: Money
    destination: RefundDestination
    reason: str
    requested_by: str
    requested_at: datetime
    status: RefundStatus = RefundStatus.PENDING
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderPayment:
    """What the order knows of its payment (the provider's record is the source of truth)."""

    method: PaymentMethod
    status: PaymentStatus | None = None
    reference: str | None = None
    provider: str | None = None
    authorized: Money | None = None
    captured: Money | None = None
    refunded: Money | None = None
    next_action: NextAction | None = None
    refunds: tuple[OrderRefund, ...] = ()

    def following(self, payment: Payment, provider: str) -> OrderPayment:
        """The provider's newer record of the payment; an older one changes nothing."""
        if self.status is not None and _behind(payment, self):
            return self
        return replace(
            self,
            status=payment.status,
            reference=payment.reference,
            provider=provider,
            authorized=payment.amount,
            captured=payment.captured,
            refunded=payment.refunded,
            next_action=payment.next_action if payment.status is PaymentStatus.REQUIRES_ACTION else None,
        )

    # ------------------------------------------------------------------ refunds
    def refund(self, refund_id: str) -> OrderRefund | None:
        return next((r for r in self.refunds if r.refund_id == refund_id), None)


def _behind(payment: Payment, known: OrderPayment) -> bool:
    assert known.status is not None
    new, old = _PAYMENT_PROGRESS[payment.status], _PAYMENT_PROGRESS[known.status]
    if new != old:
        return new < old
    return known.refunded is not None and payment.refunded < known.refunded


@dataclass(frozen=True, slots=True)
class CustomerAction:
    """The saga waits for the customer (3-D Secure, PayPal approval) until ``until``; ``task_token``
    resumes it. Never shown to clients."""

    task_token: str
    until: datetime


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    customer_id: str
    status: OrderStatus
    lines: tuple[OrderLine, ...]
    fulfilments: tuple[Fulfilment, ...]
    totals: Totals
    shipping_address: ShippingAddress
    payment: OrderPayment
    created_at: datetime
    updated_at: datetime
    cancellation_reason: CancellationReason | None = None
    cancellation_detail: str | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    customer_action: CustomerAction | None = None
    version: int = 1

    # ------------------------------------------------------------------ placing
    @classmethod
    def place(
        cls,
        order_id: str,
        customer_id: str,
        priced: Iterable[PricedLine],
        names: dict[str, str],
        quote: Quote,
        address: ShippingAddress,
        method: PaymentMethod,
        now: datetime,
    ) -> Order:
        lines = tuple(
            OrderLine(
                p.product_id, p.seller_id, names.get(p.product_id, p.product_id), p.unit_price, p.quantity
            )
            for p in priced
        )
        by_seller: dict[str, list[OrderLine]] = {}
        for line in lines:
            by_seller.setdefault(line.seller_id, []).append(line)
        fulfilments = tuple(
            Fulfilment(seller_id, tuple(seller_lines))
            for seller_id, seller_lines in sorted(by_seller.items())
        )
        return cls(
            order_id=order_id,
            customer_id=customer_id,
            status=OrderStatus.PENDING,
            lines=lines,
            fulfilments=fulfilments,
            totals=Totals.of(quote),
            shipping_address=address,
            payment=OrderPayment(method),
            created_at=now,
            updated_at=now,
        )

    # ------------------------------------------------------------------ reading
    @property
    def currency(self) -> str:
        return self.totals.total.currency

    @property
    def seller_ids(self) -> tuple[str, ...]:
        return tuple(f.seller_id for f in self.fulfilments)

    @property
    def is_final(self) -> bool:
        return self.status in (OrderStatus.DELIVERED, OrderStatus.CANCELLED)

    @property
    def has_shipped(self) -> bool:
        return any(f.shipment is not None for f in self.fulfilments)

    def fulfilment(self, seller_id: str) -> Fulfilment:
        found = next((f for f in self.fulfilments if f.seller_id == seller_id), None)
        if found is None:
            raise NotFound("No such order.", code="order_not_found")
        return found

    # ------------------------------------------------------------------ changing
    def _changed(self, now: datetime, **changes: object) -> Order:
        return replace(self, updated_at=now, version=self.version + 1, **changes)  # type: ignore[arg-type]

    def _with_fulfilments(
        self, status: FulfilmentStatus, only_from: FulfilmentStatus
    ) -> tuple[Fulfilment, ...]:
        return tuple(replace(f, status=status) if f.status is only_from else f for f in self.fulfilments)

    def confirmed(self, now: datetime) -> Order:
        if self.status is not OrderStatus.PENDING:
            if self.status is OrderStatus.CANCELLED:
                raise Conflict("The order was cancelled.", code="order_cancelled")
            return self  # a replay
        return self._changed(
            now,
            status=OrderStatus.CONFIRMED,
            confirmed_at=now,
            fulfilments=self._with_fulfilments(FulfilmentStatus.CONFIRMED, FulfilmentStatus.PENDING),
        )

    def cancelled(self, reason: CancellationReason, now: datetime, detail: str | None = None) -> Order:
        """Cancel before anything shipped; cancelling a cancelled order changes nothing."""
        if self.status is OrderStatus.CANCELLED:
            return self
        if self.has_shipped or self.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            raise Conflict("Part of this order has already shipped.", code="order_already_shipped")
        cancelled = tuple(replace(f, status=FulfilmentStatus.CANCELLED) for f in self.fulfilments)
        return self._changed(
            now,
            status=OrderStatus.CANCELLED,
            cancellation_reason=reason,
            cancellation_detail=detail,
            cancelled_at=now,
            fulfilments=cancelled,
        )

    def _replace_fulfilment(self, updated: Fulfilment, now: datetime) -> Order:
        fulfilments = tuple(updated if f.seller_id == updated.seller_id else f for f in self.fulfilments)
        done = {FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED}
        status = self.status
        if all(f.status is FulfilmentStatus.DELIVERED for f in fulfilments):
            status = OrderStatus.DELIVERED
        elif all(f.status in done for f in fulfilments):
            status = OrderStatus.SHIPPED
        return self._changed(now, fulfilments=fulfilments, status=status)

    def shipped_by(self, seller_id: str, carrier: str, tracking_number: str, now: datetime) -> Order:
        """A seller ships their part. Repeating the same shipment is a replay; another
        tracking number for a shipped fulfilment is a conflict."""
        fulfilment = self.fulfilment(seller_id)
        if fulfilment.shipment is not None:
            same = (fulfilment.shipment.carrier, fulfilment.shipment.tracking_number) == (
                carrier,
                tracking_number,
            )
            if same:
                return self
            raise Conflict("This part of the order has already shipped.", code="already_shipped")
        if fulfilment.status is not FulfilmentStatus.CONFIRMED:
            raise Conflict(
                f"An order that is {self.status.value} cannot be shipped.", code="order_not_shippable"
            )
        shipped = replace(
            fulfilment, status=FulfilmentStatus.SHIPPED, shipment=Shipment(carrier, tracking_number, now)
        )
        return self._replace_fulfilment(shipped, now)

    def delivered_for(self, seller_id: str, now: datetime) -> Order:
        fulfilment = self.fulfilment(seller_id)
        if fulfilment.status is FulfilmentStatus.DELIVERED:
            return self
        if fulfilment.status is not FulfilmentStatus.SHIPPED:
            raise Conflict("Only a shipped order can be delivered.", code="order_not_shipped")
        return self._replace_fulfilment(
            replace(fulfilment, status=FulfilmentStatus.DELIVERED, delivered_at=now), now
        )

    def with_payment(self, payment: Payment, provider: str, now: datetime) -> Order:
        """The provider's record of the payment; once it no longer waits for the customer, the
        saga's wait token is forgotten."""
        following = self.payment.following(payment, provider)
        action = self.customer_action if following.status is PaymentStatus.REQUIRES_ACTION else None
        if following == self.payment and action == self.customer_action:
            return self
        return self._changed(now, payment=following, customer_action=action)

    def awaiting_customer(self, task_token: str, until: datetime, now: datetime) -> Order:
        """The saga waits for the customer's 3-D Secure or PayPal approval until ``until``."""
        if self.status is not OrderStatus.PENDING:
            raise Conflict(f"The order is {self.status.value}.", code=f"order_{self.status.value}")
        action = CustomerAction(task_token, until)
        if self.customer_action == action:
            return self
        return self._changed(now, customer_action=action)

    # ------------------------------------------------------------------ refunds
    def refund_requested(
        self,
        refund_id: str,
        amount: Money,
        destination: RefundDestination,
        reason: str,
        requested_by: str,
        now: datetime,
    ) -> Order:
        """Record a refund before the money moves; never more than was captured and not yet refunded.

        The same ``refund_id`` again is a replay (returns the order unchanged) if it asks for
        the same; asking for something else under it is a conflict.
        """
        existing = self.payment.refund(refund_id)
        if existing is not None:
            if (existing.amount, existing.destination) != (amount, destination):
                raise InvalidInput(
                    "This Idempotency-Key was already used for another refund.",
                    code="idempotency_key_reused",
                )
            return self
        if self.payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED):
            status = self.payment_state.value if self.payment_state else "unpaid"
            raise Conflict(
                f"Only a captured payment can be refunded; this one is {status}.",
                code="payment_not_refundable",
                extra={"payment_status": status},
            )
        if amount.currency != self.currency:
            raise InvalidInput(
                f"The order was paid in {self.currency}, not {amount.currency}.",
                code="currency_mismatch",
                errors=[FieldError("body.amount.currency", f"expected {self.currency}")],
            )
        if amount.amount < 1:
            raise InvalidInput(
                "A refund is for at least one minor unit.",
                code="invalid_amount",
                errors=[FieldError("body.amount.amount", "must be at least 1")],
            )
        refundable = self.refundable
        if refundable < amount:
            raise InvalidInput(
                f"Only {refundable} of this order can still be refunded.",
                code="refund_exceeds_captured",
                extra={"refundable": {"amount": refundable.amount, "currency": refundable.currency}},
            )
        refund = OrderRefund(refund_id, amount, destination, reason, requested_by, now)
        return self._changed(now, payment=replace(self.payment, refunds=(*self.payment.refunds, refund)))

    def _sum(self, refunds: Iterable[OrderRefund]) -> Money:
        total = Money.zero(self.currency)
        for refund in refunds:
            total += refund.amount
        return total

    @property
    def refundable(self) -> Money:
        """Captured and not yet promised back by any refund, pending or done."""
        captured = self.payment.captured
        if (
            self.payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED)
            or not captured
        ):
            return Money.zero(self.currency)
        return captured - self._sum(self.payment.refunds)

    @property
    def refunded(self) -> Money:
        """Given back so far, to the original method (the provider's record) or to the wallet."""
        to_wallet = self._sum(
            r
            for r in self.payment.refunds
            if r.destination is RefundDestination.WALLET and r.status is RefundStatus.SUCCEEDED
        )
        return (self.payment.refunded or Money.zero(self.currency)) + to_wallet

    @property
    def payment_state(self) -> PaymentStatus | None:
        """The payment's state as the customer sees it: a wallet refund of a card payment counts
        as a refund, though the card processor still shows the payment captured."""
        captured = self.payment.captured
        if self.payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED):
            return self.payment.status
        refunded = self.refunded
        if not captured or refunded.amount == 0:
            return PaymentStatus.CAPTURED
        return PaymentStatus.REFUNDED if captured <= refunded else PaymentStatus.PARTIALLY_REFUNDED

    def refund_withdrawn(self, refund_id: str, now: datetime) -> Order:
        """A pending refund the provider refused: it no longer counts against what is refundable."""
        refund = self.payment.refund(refund_id)
        if refund is None or refund.status is RefundStatus.SUCCEEDED:
            return self
        refunds = tuple(r for r in self.payment.refunds if r.refund_id != refund_id)
        return self._changed(now, payment=replace(self.payment, refunds=refunds))

    def refund_completed(self, refund_id: str, now: datetime) -> Order:
        refund = self.payment.refund(refund_id)
        if refund is None:
            raise NotFound("No such refund.", code="refund_not_found")
        if refund.status is RefundStatus.SUCCEEDED:
            return self
        done = replace(refund, status=RefundStatus.SUCCEEDED, completed_at=now)
        refunds = tuple(done if r.refund_id == refund_id else r for r in self.payment.refunds)
        return self._changed(now, payment=replace(self.payment, refunds=refunds))
