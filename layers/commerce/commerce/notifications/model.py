"""What customers are told, and when a message counts as the same one: free of I/O.

Each event a customer hears about becomes one ``Message`` per recipient (subject, plain text, simple
HTML, and a short text for SMS). Each message has a ``Delivery`` per channel, named by the event's
``notice_key``: the key is what makes "the same notification", so a redelivered or republished event
finds the delivery it already made.

Order events are keyed by what they announce (the order, the seller's part, the refunded total), not by
EventBridge's event id: a publisher that retries ``PutEvents`` (a stream batch retried after a timeout)
publishes the same fact under a new id. ``BackInStock`` is keyed by its event id: each restock is a new
fact, and its watchers are removed once told, so a republished one finds nobody left to tell.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from commerce.errors import InvalidInput
from commerce.money import Money

__all__ = [
    "BackInStock",
    "Channel",
    "CustomerEvent",
    "Delivery",
    "Message",
    "OrderCancelled",
    "OrderConfirmed",
    "OrderDelivered",
    "OrderEvent",
    "OrderLine",
    "OrderRefunded",
    "OrderShipped",
    "ProductSummary",
    "Recipient",
    "UnreadableEvent",
    "Watch",
    "cancellation_in_words",
    "compose",
    "product_path",
]

#: How long a delivery's marker is kept: longer than any redelivery (SQS keeps a message 4 days, the
#: dead-letter queue 14) so a redrive from the dead-letter queue still finds it.
MARKER_TTL = timedelta(days=30)


class UnreadableEvent(InvalidInput):
    """A queue message that is not an event this service understands: retrying cannot help, so it ends
    in the dead-letter queue for an operator to look at."""

    default_code = "unreadable_event"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True, slots=True)
class Recipient:
    """A customer as notifications need them (their profile in the accounts table)."""

    customer_id: str
    email: str
    name: str
    phone: str | None = None
    sms_opt_in: bool = False

    @property
    def sms_number(self) -> str | None:
        """Texts go only to customers who opted in and gave a number."""
        return self.phone if self.sms_opt_in and self.phone else None

    def channels(self) -> tuple[Channel, ...]:
        return (Channel.EMAIL, Channel.SMS) if self.sms_number else (Channel.EMAIL,)


@dataclass(frozen=True, slots=True)
class ProductSummary:
    product_id: str
    name: str
    active: bool = True
    availability: str | None = None


def product_path(product_id: str) -> str:
    """The storefront's page of a product (relative: the sender's domain comes with the template)."""
    return f"/products/{product_id}"


# ------------------------------------------------------------------------------------------------ events


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An event about one customer's order."""

    event_id: str
    order_id: str
    customer_id: str

    @property
    def notice_key(self) -> str:
        raise NotImplementedError

    @property
    def product_ids(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class OrderConfirmed(OrderEvent):
    total: Money
    lines: tuple[OrderLine, ...] = ()

    @property
    def notice_key(self) -> str:
        return f"OrderConfirmed#{self.order_id}"

    @property
    def product_ids(self) -> tuple[str, ...]:
        return tuple(line.product_id for line in self.lines)


@dataclass(frozen=True, slots=True)
class OrderShipped(OrderEvent):
    seller_id: str
    carrier: str
    tracking_number: str
    shipped_product_ids: tuple[str, ...] = ()
    #: ``shipped`` once every seller has shipped; ``confirmed`` while some part is still to come.
    order_status: str = "shipped"

    @property
    def notice_key(self) -> str:
        return f"OrderShipped#{self.order_id}#{self.seller_id}#{self.tracking_number}"

    @property
    def product_ids(self) -> tuple[str, ...]:
        return self.shipped_product_ids


@dataclass(frozen=True, slots=True)
class OrderDelivered(OrderEvent):
    seller_id: str
    delivered_at: datetime
    delivered_product_ids: tuple[str, ...] = ()
    order_status: str = "delivered"

    @property
    def notice_key(self) -> str:
        return f"OrderDelivered#{self.order_id}#{self.seller_id}"

    @property
    def product_ids(self) -> tuple[str, ...]:
        return self.delivered_product_ids


@dataclass(frozen=True, slots=True)
class OrderCancelled(OrderEvent):
    total: Money
    reason: str | None = None
    #: False when checkout itself failed: nothing was ever charged or sold.
    was_confirmed: bool = True

    @property
    def notice_key(self) -> str:
        return f"OrderCancelled#{self.order_id}"


@dataclass(frozen=True, slots=True)
class OrderRefunded(OrderEvent):
    amount: Money
    refunded_total: Money
    payment_status: str | None = None

    @property
    def notice_key(self) -> str:
        # The refunded total only grows, so it names one refund of the order.
        return f"OrderRefunded#{self.order_id}#{self.refunded_total.amount}"


@dataclass(frozen=True, slots=True)
class BackInStock:
    event_id: str
    product_id: str
    available: int

    @property
    def notice_key(self) -> str:
        return f"BackInStock#{self.event_id}"


CustomerEvent = OrderConfirmed | OrderShipped | OrderDelivered | OrderCancelled | OrderRefunded | BackInStock


# ------------------------------------------------------------------------------------------------ watches


@dataclass(frozen=True, slots=True)
class Watch:
    """A customer waiting to hear that a product is back in stock; removed once they are told."""

    customer_id: str
    product_id: str
    created_at: datetime


# ------------------------------------------------------------------------------------------------ deliveries


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to one recipient over one channel: the unit that is sent once."""

    notice_key: str
    customer_id: str
    channel: Channel

    @property
    def key(self) -> str:
        return f"{self.notice_key}/{self.channel.value}/{self.customer_id}"


# ------------------------------------------------------------------------------------------------ messages


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    text: str
    html: str
    #: The short version for a text message.
    sms: str


_REASONS: Mapping[str, str] = {
    "payment_declined": "your payment was declined",
    "insufficient_stock": "some items were no longer in stock",
    "reservation_expired": "the items could not be held for you long enough",
    "payment_action_expired": "the payment was not confirmed in time",
    "customer_request": "you asked us to cancel it",
    "admin_request": "our customer service team cancelled it",
    "checkout_failed": "we could not complete the checkout",
}


def cancellation_in_words(reason: str | None) -> str:
    """A reason code as a customer would say it; codes added later read as a plain apology."""
    return _REASONS.get(reason or "", "we could not complete it")


def _short(text: str, limit: int = 60) -> str:
    """Names cut down for a text message, which should fit one SMS (160 characters)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _greeting(recipient: Recipient) -> str:
    return f"Hello {recipient.name}," if recipient.name else "Hello,"


def _named(product_ids: tuple[str, ...], products: Mapping[str, ProductSummary]) -> list[str]:
    return [products[p].name if p in products else f"Product {p}" for p in product_ids]


def _message(subject: str, paragraphs: list[str], sms: str, items: list[str] | None = None) -> Message:
    """Greeting and news first, then the items (if any), then the rest, in both text and HTML."""
    subject = " ".join(subject.split())  # a seller's product name must not break the email's headers
    head, tail = paragraphs[:2], paragraphs[2:]
    listed = items or []
    text = [*head, *(f"- {item}" for item in listed), *tail]
    body = [f"<h1>{html.escape(subject)}</h1>", *(f"<p>{html.escape(p)}</p>" for p in head)]
    if listed:
        body.append("<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in listed) + "</ul>")
    body += [f"<p>{html.escape(p)}</p>" for p in tail]
    return Message(
        subject=subject,
        text="\n\n".join(text) + "\n",
        html='<html><body style="font-family: sans-serif">' + "".join(body) + "</body></html>",
        sms=sms,
    )


def _order_message(
    event: OrderEvent, recipient: Recipient, products: Mapping[str, ProductSummary]
) -> Message:
    hello = _greeting(recipient)
    order = event.order_id
    if isinstance(event, OrderConfirmed):
        items = [
            f"{line.quantity} x {name}"
            for line, name in zip(event.lines, _named(event.product_ids, products), strict=True)
        ]
        return _message(
            f"Order {order} confirmed",
            [
                hello,
                f"Thank you: order {order} is confirmed. Total paid: {event.total}.",
                "We will tell you when it ships.",
            ],
            f"Order {order} confirmed. Total {event.total}.",
            items,
        )
    if isinstance(event, OrderShipped):
        rest = "" if event.order_status == "shipped" else " The rest of your order will follow separately."
        return _message(
            f"Order {order} has shipped",
            [
                hello,
                f"Part of order {order} is on its way with {event.carrier}."
                if rest
                else f"Order {order} is on its way with {event.carrier}.",
                f"Tracking number: {event.tracking_number}.{rest}",
            ],
            f"Order {order} shipped with {event.carrier}, tracking {event.tracking_number}.",
            _named(event.product_ids, products),
        )
    if isinstance(event, OrderDelivered):
        return _message(
            f"Order {order} was delivered",
            [
                hello,
                f"Order {order} was delivered. We hope you enjoy it; you can now review what you bought.",
            ],
            f"Order {order} was delivered.",
            _named(event.product_ids, products),
        )
    if isinstance(event, OrderCancelled):
        why = cancellation_in_words(event.reason)
        money = (
            f"Anything you paid ({event.total}) is refunded."
            if event.was_confirmed
            else "You have not been charged."
        )
        return _message(
            f"Order {order} was cancelled",
            [hello, f"Order {order} was cancelled because {why}.", money],
            f"Order {order} was cancelled because {why}.",
        )
    if isinstance(event, OrderRefunded):
        whole = " (the whole order)" if event.payment_status == "refunded" else ""
        return _message(
            f"Refund of {event.amount} for order {order}",
            [
                hello,
                f"We refunded {event.amount} for order {order}{whole}.",
                f"Refunded so far: {event.refunded_total}. It can take a few days to show on your statement.",
            ],
            f"We refunded {event.amount} for order {order}.",
        )
    raise TypeError(f"no message for {type(event).__name__}")


def compose(event: CustomerEvent, recipient: Recipient, products: Mapping[str, ProductSummary]) -> Message:
    """The message ``recipient`` gets for ``event`` (``products`` names what the event mentions)."""
    if isinstance(event, BackInStock):
        name = products[event.product_id].name if event.product_id in products else "A product you watch"
        path = product_path(event.product_id)
        return _message(
            f"{name} is back in stock",
            [
                _greeting(recipient),
                f"{name} is back in stock. Order it here: {path}",
                "You asked us to tell you once; we will not write again about it.",
            ],
            f"{_short(name)} is back in stock: {path}",
        )
    return _order_message(event, recipient, products)
