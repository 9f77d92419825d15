"""Order management after checkout: customers read and cancel their orders, sellers list,
ship and deliver their part of them, admins see and cancel any."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from commerce.clock import Clock
from commerce.errors import CommerceError, Conflict, DependencyFailure, InvalidInput, NotFound
from commerce.identity import Principal, Role
from commerce.money import Money
from commerce.orders.checkout import ensure_idempotency_key
from commerce.orders.model import CancellationReason, Fulfilment, Order, OrderStatus, RefundDestination
from commerce.orders.ports import OrderRepository
from commerce.orders.saga import FulfilmentSteps, change_order

__all__ = ["OrderService", "StoreCredit"]


class StoreCredit(Protocol):
    """Pays a refund into the customer's wallet (``WalletService`` satisfies it)."""

    def store_credit(self, customer_id: str, amount: Money, refund_id: str, order_id: str) -> object: ...


def _not_found() -> NotFound:
    return NotFound("No such order.", code="order_not_found")


@dataclass
class OrderService:
    orders: OrderRepository
    steps: FulfilmentSteps
    clock: Clock
    #: Where wallet refunds go; ``None`` when this deployment has no wallet.
    wallet: StoreCredit | None = None

    # ------------------------------------------------------------------ customers
    def _visible(self, principal: Principal, order_id: str) -> Order:
        """Someone else's order is as unknown as a missing one."""
        order = self.orders.get(order_id)
        if order is None or not (principal.is_admin or order.customer_id == principal.user_id):
            raise _not_found()
        return order

    def view(self, principal: Principal, order_id: str) -> Order:
        return self._visible(principal, order_id)

    def history(self, principal: Principal, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        principal.require(Role.CUSTOMER)
        return self.orders.for_customer(principal.user_id, limit, cursor)

    def cancel(self, principal: Principal, order_id: str, detail: str | None = None) -> Order:
        """Cancel before anything ships: the order first (so nothing can ship any more), then
        its stock goes back on sale and its money back to the customer. Every step is
        idempotent, so cancelling again finishes a cancellation that stopped half-way."""
        order = self._visible(principal, order_id)
        if order.status is OrderStatus.PENDING:
            raise Conflict("The order is still being placed; try again in a moment.", code="order_processing")
        if order.status is OrderStatus.CANCELLED and order.confirmed_at is None:
            return order  # cancelled by its checkout: the saga already gave everything back
        reason = (
            CancellationReason.ADMIN_REQUEST if principal.is_admin else CancellationReason.CUSTOMER_REQUEST
        )
        change_order(self.orders, order_id, lambda o: o.cancelled(reason, self.clock(), detail))
        self.steps.return_stock(order_id)
        self.steps.return_payment(order_id)
        return self._visible(principal, order_id)

    def customer_returned(self, principal: Principal, order_id: str) -> Order:
        """The customer is back from 3-D Secure or PayPal's approval page: if the saga waits,
        it goes on (it asks the provider what happened; this call proves nothing by itself)."""
        order = self._visible(principal, order_id)
        if order.status is OrderStatus.PENDING:
            self.steps.customer_acted(order_id)
        return self._visible(principal, order_id)

    # ------------------------------------------------------------------ refunds
    def refund(
        self,
        principal: Principal,
        order_id: str,
        key: str | None,
        amount: Money | None,
        destination: RefundDestination,
        reason: str,
    ) -> Order:
        """An admin gives back all or part of what was captured, to the original method or as
        wallet credit. The refund is recorded on the order before the money moves (so the sum
        of refunds can never pass what was captured, however many admins race), then made with
        the Idempotency-Key as its id: repeating the call finishes a refund that stopped half-way
        and never pays twice."""
        principal.require(Role.ADMIN)
        refund_id = ensure_idempotency_key(key)
        if destination is RefundDestination.WALLET and self.wallet is None:
            raise InvalidInput("This platform has no wallet to refund into.", code="wallet_not_available")
        order = self._visible(principal, order_id)
        if order.payment.refund(refund_id) is None:
            order = self.steps.record_payment(order_id)  # refund against the provider's latest record
            wanted = amount if amount is not None else order.refundable
            if amount is None and wanted.amount == 0 and order.payment_state is not None:
                raise InvalidInput(
                    "Nothing of this order is left to refund.",
                    code="refund_exceeds_captured",
                    extra={"refundable": {"amount": 0, "currency": order.currency}},
                )
            order = change_order(
                self.orders,
                order_id,
                lambda o: o.refund_requested(
                    refund_id, wanted, destination, reason, principal.user_id, self.clock()
                ),
            )
        refund = order.payment.refund(refund_id)
        assert refund is not None
        try:
            if refund.destination is RefundDestination.WALLET:
                assert self.wallet is not None
                self.wallet.store_credit(order.customer_id, refund.amount, refund_id, order_id)
            else:
                self.steps.provider(order).refund(order_id, refund.amount, refund_id)
        except DependencyFailure:
            raise  # still pending: the same key later finishes it
        except CommerceError:
            # The provider refused (e.g. refunded from its dashboard meanwhile): withdraw the promise.
            change_order(self.orders, order_id, lambda o: o.refund_withdrawn(refund_id, self.clock()))
            raise
        change_order(self.orders, order_id, lambda o: o.refund_completed(refund_id, self.clock()))
        return self.steps.record_payment(order_id)

    # ------------------------------------------------------------------ sellers
    def seller_orders(
        self, principal: Principal, limit: int, cursor: str | None
    ) -> tuple[list[tuple[Order, Fulfilment]], str | None]:
        principal.require(Role.SELLER)
        return self.orders.for_seller(principal.user_id, limit, cursor)

    def _sellers_part(self, principal: Principal, order_id: str) -> Order:
        principal.require(Role.SELLER)
        order = self.orders.get(order_id)
        if order is None or principal.user_id not in order.seller_ids or order.confirmed_at is None:
            raise _not_found()
        return order

    def ship(self, principal: Principal, order_id: str, carrier: str, tracking_number: str) -> Order:
        self._sellers_part(principal, order_id)
        change_order(
            self.orders,
            order_id,
            lambda o: o.shipped_by(principal.user_id, carrier, tracking_number, self.clock()),
        )
        return self._sellers_part(principal, order_id)  # as stored (times to the millisecond)

    def deliver(self, principal: Principal, order_id: str) -> Order:
        self._sellers_part(principal, order_id)
        change_order(self.orders, order_id, lambda o: o.delivered_for(principal.user_id, self.clock()))
        return self._sellers_part(principal, order_id)
