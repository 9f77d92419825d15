"""What an order's change announces on the bus (schemas in events/schemas/orders.json).

Status changes are published from the orders table's stream, after the write, so an event
is never lost nor sent for a write that did not happen. ``OrderConfirmed`` is the exception:
the saga publishes it itself once the stock is committed, the moment the order is really
final, so it is not repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commerce.clock import isoformat
from commerce.events import DomainEvent, EventPublisher
from commerce.orders.model import FulfilmentStatus, Order, OrderStatus

__all__ = ["SOURCE", "OrderEventPublisher", "order_events"]

SOURCE = "commerce.orders"


def _money(order: Order) -> dict[str, Any]:
    return {"amount": order.totals.total.amount, "currency": order.currency}


def order_events(before: Order | None, after: Order | None) -> list[DomainEvent]:
    if after is None:
        return []
    events: list[DomainEvent] = []
    base = {"order_id": after.order_id, "customer_id": after.customer_id}
    was = before.status if before is not None else None
    if after.status is OrderStatus.CANCELLED and was is not OrderStatus.CANCELLED:
        events.append(
            DomainEvent(
                SOURCE,
                "OrderCancelled",
                {
                    **base,
                    "cancellation_reason": after.cancellation_reason.value
                    if after.cancellation_reason
                    else None,
                    "was_confirmed": after.confirmed_at is not None,
                    "total": _money(after),
                    "seller_ids": list(after.seller_ids) if after.confirmed_at is not None else [],
                },
            )
        )
    previous = {f.seller_id: f for f in before.fulfilments} if before is not None else {}
    for fulfilment in after.fulfilments:
        old = previous.get(fulfilment.seller_id)
        old_status = old.status if old is not None else None
        if fulfilment.status is old_status:
            continue
        if fulfilment.status is FulfilmentStatus.SHIPPED and fulfilment.shipment is not None:
            events.append(
                DomainEvent(
                    SOURCE,
                    "OrderShipped",
                    {
                        **base,
                        "seller_id": fulfilment.seller_id,
                        "carrier": fulfilment.shipment.carrier,
                        "tracking_number": fulfilment.shipment.tracking_number,
                        "product_ids": [line.product_id for line in fulfilment.lines],
                        "order_status": after.status.value,
                    },
                )
            )
        elif fulfilment.status is FulfilmentStatus.DELIVERED and fulfilment.delivered_at is not None:
            events.append(
                DomainEvent(
                    SOURCE,
                    "OrderDelivered",
                    {
                        **base,
                        "seller_id": fulfilment.seller_id,
                        "product_ids": [line.product_id for line in fulfilment.lines],
                        "delivered_at": isoformat(fulfilment.delivered_at),
                        "order_status": after.status.value,
                    },
                )
            )
    # To the original method or as wallet credit: the customer's view of what came back.
    refunded_before = before.refunded.amount if before is not None else 0
    refunded_after = after.refunded.amount
    if refunded_after > refunded_before:
        events.append(
            DomainEvent(
                SOURCE,
                "OrderRefunded",
                {
                    **base,
                    "amount": {"amount": refunded_after - refunded_before, "currency": after.currency},
                    "refunded_total": {"amount": refunded_after, "currency": after.currency},
                    "payment_status": after.payment.status.value if after.payment.status else None,
                },
            )
        )
    return events


@dataclass
class OrderEventPublisher:
    events: EventPublisher

    def order_changed(self, before: Order | None, after: Order | None) -> list[DomainEvent]:
        published = order_events(before, after)
        if published:
            self.events.publish(published)
        return published
