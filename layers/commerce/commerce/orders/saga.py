"""The order fulfilment saga's steps, one command handler each.

The order, branching, retries and compensation live in the state machine
(``statemachines/order_fulfilment.asl.json``); each step here does one thing to one order
and is idempotent by order id, because Step Functions delivers at least once.

Failures reach the state machine as one of two error names (the exception's class name is
Lambda's ``errorType``): ``BusinessFailure`` (its message is the stable ``code``: not worth
retrying, compensate) and ``TransientFailure`` (retried with backoff). The compensation is
one chain whichever step failed, because every compensating step looks at what really
happened (the provider's record of the payment, the reservation's status) rather than at
where the forward path stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from commerce.clock import Clock, isoformat
from commerce.errors import CommerceError, Conflict, DependencyFailure, NotFound
from commerce.inventory.model import Line
from commerce.inventory.service import InventoryService
from commerce.orders.model import CancellationReason, Order, OrderStatus, RefundDestination
from commerce.orders.ports import FulfilmentWorkflow, OrderRepository, StaleOrder
from commerce.payments.model import PaymentDeclined, PaymentStatus
from commerce.payments.ports import PaymentProvider
from commerce.payments.providers import PaymentProviders

__all__ = [
    "TRANSIENT_CODES",
    "BusinessFailure",
    "FulfilmentSteps",
    "TransientFailure",
    "as_step_failure",
    "change_order",
    "failure_reason",
]

#: Conflicts that pass when tried again a moment later.
TRANSIENT_CODES = frozenset({"concurrent_update", "order_busy", "cart_busy"})
MAX_ATTEMPTS = 8


class BusinessFailure(Exception):
    """A step cannot succeed for this order (declined, out of stock): compensate, don't retry."""


class TransientFailure(Exception):
    """A step failed for a passing reason (throttling, a timeout, a lost race): retry it."""


def as_step_failure(error: CommerceError) -> Exception:
    if isinstance(error, DependencyFailure) or error.code in TRANSIENT_CODES:
        return TransientFailure(error.code)
    return BusinessFailure(error.code)


def failure_reason(failure: dict[str, Any] | None) -> tuple[CancellationReason, str]:
    """The cancellation reason and detail for a failure the state machine caught
    (``{"Error": ..., "Cause": ...}``; for a Lambda error the cause is its JSON payload)."""
    if not failure:
        return CancellationReason.CHECKOUT_FAILED, "unknown failure"
    error = str(failure.get("Error", ""))
    cause = failure.get("Cause")
    message = ""
    if isinstance(cause, str):
        try:
            payload = json.loads(cause)
        except ValueError:
            payload = None
        message = str(payload.get("errorMessage", "")) if isinstance(payload, dict) else cause
    if error == BusinessFailure.__name__ and message:
        return CancellationReason.of(message), message
    return CancellationReason.CHECKOUT_FAILED, f"{error}: {message}"[:500]


def change_order(orders: OrderRepository, order_id: str, change: Callable[[Order], Order]) -> Order:
    """Read, change and store an order with its version as the condition, again on a lost race."""
    for _ in range(MAX_ATTEMPTS):
        current = orders.get(order_id)
        if current is None:
            raise NotFound("No such order.", code="order_not_found")
        changed = change(current)
        if changed is current:
            return current
        try:
            orders.save(current, changed)
        except StaleOrder:
            continue
        return changed
    raise Conflict("The order is changing too fast; try again.", code="order_busy")


#: Stock stays reserved this long past the customer's deadline, so it outlives the wait itself.
RESERVATION_MARGIN = timedelta(minutes=5)


@dataclass
class FulfilmentSteps:
    orders: OrderRepository
    inventory: InventoryService
    payments: PaymentProviders
    workflow: FulfilmentWorkflow
    clock: Clock
    #: How long the customer has to authenticate (3-D Secure) or approve (PayPal) a payment.
    customer_action_timeout: timedelta = timedelta(minutes=15)

    def _order(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise NotFound("No such order.", code="order_not_found")
        return order

    def _still_pending(self, order_id: str) -> Order:
        order = self._order(order_id)
        if order.status is OrderStatus.CANCELLED:
            raise Conflict("The order was cancelled.", code="order_cancelled")
        return order

    def provider(self, order: Order) -> PaymentProvider:
        """The provider that took (or will take) the order's payment."""
        if order.payment.provider:
            return self.payments.named(order.payment.provider)
        return self.payments.for_kind(order.payment.method.kind)

    def record_payment(self, order_id: str) -> Order:
        """The order's payment as the provider now records it (never moving it backwards)."""
        order = self._order(order_id)
        provider = self.provider(order)
        payment = provider.find(order_id)
        if payment is None:
            return order
        return change_order(
            self.orders, order_id, lambda o: o.with_payment(payment, provider.name, self.clock())
        )

    # ------------------------------------------------------------------ forward
    def reserve_stock(self, order_id: str) -> dict[str, Any]:
        order = self._still_pending(order_id)
        reservation = self.inventory.reserve(
            order_id, [Line(line.product_id, line.quantity) for line in order.lines]
        )
        return {"expires_at": isoformat(reservation.expires_at)}

    def authorize_payment(self, order_id: str) -> dict[str, Any]:
        """Hold the total; ``requires_action`` sends the saga to wait for the customer."""
        order = self._still_pending(order_id)
        provider = self.provider(order)
        payment = provider.authorize(order_id, order.totals.total, order.payment.method)
        change_order(self.orders, order_id, lambda o: o.with_payment(payment, provider.name, self.clock()))
        return self._payment_step(payment.reference, payment.status, None)

    def _payment_step(self, reference: str, status: PaymentStatus, order: Order | None) -> dict[str, Any]:
        """The payment steps' result; ``wait_seconds`` is how long the saga may wait for the
        customer from now (the state machine's ``TimeoutSecondsPath``)."""
        now = self.clock()
        until = (
            order.customer_action.until
            if order and order.customer_action
            else now + self.customer_action_timeout
        )
        wait = max(1, int((until - now).total_seconds()))
        return {"reference": reference, "status": status.value, "wait_seconds": wait}

    def await_customer(self, order_id: str, task_token: str) -> dict[str, Any]:
        """Park the saga until the customer authenticates or approves the payment.

        Stores the task token for the webhook (or the customer's return) to resume with, and
        keeps the stock reserved past the deadline, so a customer who has paid never finds it
        gone. The deadline is set by the first wait and kept by later ones. The customer may
        have acted before the token was stored: then the saga is resumed at once.
        """
        order = self._still_pending(order_id)
        now = self.clock()
        until = order.customer_action.until if order.customer_action else now + self.customer_action_timeout
        if until <= now:
            raise Conflict(
                "The customer did not complete the payment in time.", code="payment_action_expired"
            )
        self.inventory.hold_until(order_id, until + RESERVATION_MARGIN)
        change_order(self.orders, order_id, lambda o: o.awaiting_customer(task_token, until, self.clock()))
        if self._customer_has_acted(order):
            self.workflow.resume(task_token)
        return {"until": isoformat(until)}

    def _customer_has_acted(self, order: Order) -> bool:
        try:
            payment = self.provider(order).complete(order.order_id)
        except PaymentDeclined:
            return True  # failed the challenge: complete_payment reports it
        return payment.status is not PaymentStatus.REQUIRES_ACTION

    def complete_payment(self, order_id: str) -> dict[str, Any]:
        """After the wait: authorised, still waiting (the saga waits again), or declined."""
        order = self._still_pending(order_id)
        provider = self.provider(order)
        payment = provider.complete(order_id)
        order = change_order(
            self.orders, order_id, lambda o: o.with_payment(payment, provider.name, self.clock())
        )
        return self._payment_step(payment.reference, payment.status, order)

    def customer_acted(self, order_id: str) -> bool:
        """The provider says the customer authenticated or approved: wake the waiting saga.
        False when no saga waits (not yet parked, or already moved on)."""
        order = self.orders.get(order_id)
        if order is None or order.customer_action is None:
            return False
        return self.workflow.resume(order.customer_action.task_token)

    def confirm_order(self, order_id: str) -> dict[str, Any]:
        """Confirmed, and the ``OrderConfirmed`` event's detail for the publishing step."""
        order = change_order(self.orders, order_id, lambda o: o.confirmed(self.clock()))
        return order_confirmed_detail(order)

    def capture_payment(self, order_id: str) -> dict[str, Any]:
        provider = self.provider(self._order(order_id))
        payment = provider.capture(order_id)
        change_order(self.orders, order_id, lambda o: o.with_payment(payment, provider.name, self.clock()))
        return {"status": payment.status.value}

    def commit_stock(self, order_id: str) -> dict[str, Any]:
        try:
            return {"status": self.inventory.commit(order_id).status.value}
        except Conflict as conflict:
            if conflict.code != "reservation_released":
                raise
            # Released by the expiry job while the saga was slow: the units may be sold again.
            raise Conflict("The stock reservation expired.", code="reservation_expired") from conflict

    # ------------------------------------------------------------------ compensation
    def return_payment(self, order_id: str) -> dict[str, Any]:
        """Nothing stays taken: a hold is voided (or a wait for the customer abandoned), a
        capture refunded: whatever no earlier refund (to the card or the wallet) gave back."""
        order = self._order(order_id)
        provider = self.provider(order)
        payment = provider.find(order_id)
        if payment is None:
            return {"status": None}
        if payment.status in (PaymentStatus.AUTHORIZED, PaymentStatus.REQUIRES_ACTION):
            provider.void(order_id)
        elif payment.refundable.amount > 0:
            refund_id = f"{order_id}-cancelled"
            order = self.record_payment(order_id)
            promised = order.payment.refund(refund_id)
            amount = promised.amount if promised else min(order.refundable, payment.refundable)
            if amount.amount > 0:
                change_order(
                    self.orders,
                    order_id,
                    lambda o: o.refund_requested(
                        refund_id,
                        amount,
                        RefundDestination.ORIGINAL,
                        "order cancelled",
                        "system",
                        self.clock(),
                    ),
                )
                provider.refund(order_id, amount, refund_id=refund_id)
                change_order(self.orders, order_id, lambda o: o.refund_completed(refund_id, self.clock()))
        status = self.record_payment(order_id).payment.status
        return {"status": status.value if status else None}

    def return_stock(self, order_id: str) -> dict[str, Any]:
        reservation = self.inventory.give_back(order_id, "order cancelled")
        return {"status": reservation.status.value if reservation else None}

    def cancel_order(self, order_id: str, failure: dict[str, Any] | None) -> dict[str, Any]:
        reason, detail = failure_reason(failure)
        order = change_order(self.orders, order_id, lambda o: o.cancelled(reason, self.clock(), detail))
        return {"status": order.status.value, "cancellation_reason": reason.value}


def order_confirmed_detail(order: Order) -> dict[str, Any]:
    """The ``OrderConfirmed`` event (events/schemas/orders.json): enough for notifications,
    recommendations ("bought together") and sellers, without reading the order again."""
    return {
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "total": {"amount": order.totals.total.amount, "currency": order.currency},
        "lines": [
            {"product_id": line.product_id, "seller_id": line.seller_id, "quantity": line.quantity}
            for line in order.lines
        ],
        "seller_ids": list(order.seller_ids),
        "confirmed_at": isoformat(order.confirmed_at) if order.confirmed_at else None,
    }
