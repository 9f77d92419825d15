"""When a cart is due a reminder, and what the reminder says, free of I/O.

A cart expires 24 hours after its last change (``CART_TTL``), so a cart "left for a day" is
already gone: the reminder is due ``REMIND_AFTER`` (20 hours) after the last change, which
leaves the customer at least three of the cart's last four hours to come back (the job runs
hourly). Only a signed-in customer's cart with at least one line is reminded: a guest has no
address, and an empty cart has nothing to come back for.

An idle period starts at every change of the cart (its ``updated_at``): each period earns one
reminder, and a change after a reminder starts a new period that earns its own.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from commerce.carts.model import CART_TTL, Cart, CartLine
from commerce.money import Money

__all__ = [
    "REMINDER_WINDOW",
    "REMIND_AFTER",
    "Email",
    "is_due",
    "reminder_due_at",
    "reminder_email",
]

#: How long a cart sits untouched before its owner is reminded of it.
REMIND_AFTER = timedelta(hours=20)
#: After the reminder falls due, how long sending it still makes sense: until the cart expires.
REMINDER_WINDOW = CART_TTL - REMIND_AFTER


def reminder_due_at(cart: Cart) -> datetime | None:
    """When the cart's current idle period earns a reminder; ``None`` for a cart that never
    does (a guest's, an empty one). Stored with the cart, so the job finds due carts by index."""
    if cart.is_guest or not cart.lines or cart.updated_at is None:
        return None
    return cart.updated_at + REMIND_AFTER


def is_due(cart: Cart, now: datetime) -> bool:
    """Due, not yet expired, and not being checked out (a checkout either empties the cart or
    gives it back unchanged, and then it is reminded if still due)."""
    due_at = reminder_due_at(cart)
    return (
        due_at is not None
        and due_at <= now
        and not cart.is_expired(now)
        and cart.checkout_in_progress(now) is None
    )


@dataclass(frozen=True, slots=True)
class Email:
    subject: str
    text: str
    html: str


def _name(line: CartLine) -> str:
    return line.name or f"Product {line.product_id}"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def reminder_email(cart: Cart, customer_name: str | None, cart_path: str) -> Email:
    """The lines at the prices the customer saw when setting them (the cart page shows today's)."""
    if not cart.lines:
        raise ValueError("an empty cart is never reminded")
    count = cart.item_count
    subject = f"You left {count} item{'s' if count != 1 else ''} in your cart"
    total = Money.zero(cart.lines[0].unit_price.currency)
    rows: list[tuple[str, int, Money, Money]] = []
    for line in cart.lines:
        subtotal = line.unit_price * line.quantity
        total += subtotal
        rows.append((_name(line), line.quantity, line.unit_price, subtotal))
    greeting = f"Hello {customer_name}," if customer_name else "Hello,"
    keep = f"We keep your cart until {_when(cart.expires_at)}." if cart.expires_at else ""
    text = "\n".join(
        [
            greeting,
            "",
            "These are still waiting in your cart:",
            "",
            *(f"- {name} x {quantity} at {price} = {subtotal}" for name, quantity, price, subtotal in rows),
            "",
            f"Total: {total}",
            "",
            f"{keep} Pick up where you left off: {cart_path}".strip(),
        ]
    )
    items = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{quantity}</td><td>{html.escape(str(price))}</td>"
        f"<td>{html.escape(str(subtotal))}</td></tr>"
        for name, quantity, price, subtotal in rows
    )
    body = (
        f"<p>{html.escape(greeting)}</p><p>These are still waiting in your cart:</p>"
        f"<table><tr><th>Product</th><th>Quantity</th><th>Price</th><th>Subtotal</th></tr>{items}</table>"
        f"<p>Total: {html.escape(str(total))}</p>"
        f'<p>{html.escape(keep)} <a href="{html.escape(cart_path, quote=True)}">Back to your cart</a></p>'
    )
    return Email(subject, text, body)
