"""Shapes at the notifications' edges: the bus events the queue carries (events/schemas/orders.json and
inventory.json) and the watches API."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, ValidationError

from commerce.api.schemas.common import MoneyModel, Schema
from commerce.errors import FieldError
from commerce.notifications.model import (
    BackInStock,
    CustomerEvent,
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderLine,
    OrderRefunded,
    OrderShipped,
    UnreadableEvent,
)
from commerce.notifications.service import WatchesView, WatchView

__all__ = ["WatchList", "WatchOut", "parse_customer_event"]

Id = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class _Detail(BaseModel):
    """Unknown fields are allowed: a producer may add one without breaking this consumer."""

    model_config = ConfigDict(extra="ignore")


class _OrderDetail(_Detail):
    order_id: Id
    customer_id: Id


class _Line(_Detail):
    product_id: Id
    quantity: int = Field(ge=1)


class _Confirmed(_OrderDetail):
    total: MoneyModel
    lines: list[_Line] = []


class _Shipped(_OrderDetail):
    seller_id: Id
    carrier: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    tracking_number: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    product_ids: list[Id] = []
    order_status: str = "shipped"


class _Delivered(_OrderDetail):
    seller_id: Id
    delivered_at: datetime
    product_ids: list[Id] = []
    order_status: str = "delivered"


class _Cancelled(_OrderDetail):
    total: MoneyModel
    cancellation_reason: str | None = None
    was_confirmed: StrictBool = True


class _Refunded(_OrderDetail):
    amount: MoneyModel
    refunded_total: MoneyModel
    payment_status: str | None = None


class _Stock(_Detail):
    product_id: Id
    available: int = Field(ge=0)


class _Envelope(_Detail):
    id: Id
    source: str
    detail_type: str = Field(alias="detail-type")
    detail: dict[str, Any]


#: Who may announce each event: an event from another source is not the one the contract describes.
_SOURCES = {
    "OrderConfirmed": "commerce.orders",
    "OrderShipped": "commerce.orders",
    "OrderDelivered": "commerce.orders",
    "OrderCancelled": "commerce.orders",
    "OrderRefunded": "commerce.orders",
    "BackInStock": "commerce.inventory",
}


def _to_domain(envelope: _Envelope) -> CustomerEvent:
    kind, detail, event_id = envelope.detail_type, envelope.detail, envelope.id
    if _SOURCES.get(kind) != envelope.source:
        raise UnreadableEvent(
            f"No notification is sent for {kind!r} events from {envelope.source!r}.",
            code="unknown_event_type",
        )
    if kind == "OrderConfirmed":
        c = _Confirmed.model_validate(detail)
        lines = tuple(OrderLine(line.product_id, line.quantity) for line in c.lines)
        return OrderConfirmed(event_id, c.order_id, c.customer_id, c.total.to_domain(), lines)
    if kind == "OrderShipped":
        s = _Shipped.model_validate(detail)
        return OrderShipped(
            event_id,
            s.order_id,
            s.customer_id,
            s.seller_id,
            s.carrier,
            s.tracking_number,
            tuple(s.product_ids),
            s.order_status,
        )
    if kind == "OrderDelivered":
        d = _Delivered.model_validate(detail)
        return OrderDelivered(
            event_id,
            d.order_id,
            d.customer_id,
            d.seller_id,
            d.delivered_at,
            tuple(d.product_ids),
            d.order_status,
        )
    if kind == "OrderCancelled":
        x = _Cancelled.model_validate(detail)
        return OrderCancelled(
            event_id, x.order_id, x.customer_id, x.total.to_domain(), x.cancellation_reason, x.was_confirmed
        )
    if kind == "OrderRefunded":
        r = _Refunded.model_validate(detail)
        return OrderRefunded(
            event_id,
            r.order_id,
            r.customer_id,
            r.amount.to_domain(),
            r.refunded_total.to_domain(),
            r.payment_status,
        )
    if kind == "BackInStock":
        b = _Stock.model_validate(detail)
        return BackInStock(event_id, b.product_id, b.available)
    raise AssertionError(f"{kind} is in _SOURCES but not read")  # pragma: no cover


def parse_customer_event(body: str) -> CustomerEvent:
    """An EventBridge event, as the rule put it on the queue, as a domain event.

    Raises ``UnreadableEvent`` for anything else (not JSON, not an event, a detail that does not
    follow its schema): such a message can never succeed, and ends in the dead-letter queue.
    """
    try:
        envelope = _Envelope.model_validate(json.loads(body))
        return _to_domain(envelope)
    except (ValueError, RecursionError) as error:  # JSON and pydantic errors are ValueErrors
        errors = (
            [FieldError(".".join(map(str, e["loc"])), e["msg"], e["type"]) for e in error.errors()]
            if isinstance(error, ValidationError)
            else []
        )
        raise UnreadableEvent(
            f"The message is not an event this service reads: {error}", errors=errors
        ) from None


# ------------------------------------------------------------------------------------------------ the API


class WatchOut(Schema):
    product_id: str
    name: str | None = Field(description="The product's name; null once the product is gone.")
    availability: str | None = Field(description="`in_stock`, `low_stock` or `out_of_stock`.")
    active: bool = Field(description="False once the product was archived.")
    watching_since: datetime

    @classmethod
    def of(cls, view: WatchView) -> WatchOut:
        product = view.product
        return cls(
            product_id=view.watch.product_id,
            name=product.name if product else None,
            availability=product.availability if product else None,
            active=product.active if product else False,
            watching_since=view.watch.created_at,
        )


class WatchList(Schema):
    items: list[WatchOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")

    @classmethod
    def of(cls, view: WatchesView) -> WatchList:
        return cls(items=[WatchOut.of(item) for item in view.items], next_cursor=view.next_cursor)
