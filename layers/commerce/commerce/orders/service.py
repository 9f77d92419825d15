"""Order management after checkout: customers read and cancel their orders, sellers list,
ship and deliver their part of them, admins see and cancel any."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.clock import Clock
from commerce.errors import Conflict, NotFound
from commerce.identity import Principal, Role
from commerce.orders.model import CancellationReason, Fulfilment, Order, OrderStatus
from commerce.orders.ports import OrderRepository
from commerce.orders.saga import FulfilmentSteps, change_order

__all__ = ["OrderService"]


def _not_found() -> NotFound:
    return NotFound("No such order.", code="order_not_found")


@dataclass
class OrderService:
    orders: OrderRepository
    steps: FulfilmentSteps
    clock: Clock

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

    def cancel(self, principal: Principal, order_id: str) -> Order:
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
        change_order(self.orders, order_id, lambda o: o.cancelled(reason, self.clock()))
        self.steps.return_stock(order_id)
        self.steps.return_payment(order_id)
        return self._visible(principal, order_id)

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
