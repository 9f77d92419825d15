"""Shopping carts and what a shopper sees in them, free of I/O.

A cart belongs to a customer (its id is the customer's user id) or to a guest (its id is
``g_`` and 32 random hex characters: the id is the only credential for a guest cart, so it
must be unguessable). Lines are keyed by product and remember the price the shopper saw
when the line was last set, so the view can warn when the price changed since.

A cart expires 24 hours after its last change. An expired cart is empty to every reader and
writer, whatever is still stored (DynamoDB TTL deletes late, and moto never does).

While a checkout of the cart is under way the cart is locked to that order (checkout sets
the lock in the same transaction that places the order, and the saga clears the cart or
lifts the lock when it ends): no change is allowed, so a second tab cannot change what is
being bought nor start a second order. A lock that outlives its deadline is ignored.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from commerce.catalog.model import Product
from commerce.errors import Conflict, FieldError, InvalidInput
from commerce.money import Money

__all__ = [
    "CART_TTL",
    "GUEST_CART_PATTERN",
    "MAX_LINES",
    "MAX_QUANTITY",
    "Cart",
    "CartLine",
    "CartView",
    "LineWarning",
    "PricedLine",
    "SkipReason",
    "SkippedLine",
    "ensure_quantity",
    "is_guest_cart_id",
    "new_guest_cart_id",
    "price_cart",
]

#: A cart lives this long after its last change.
CART_TTL = timedelta(hours=24)
#: Distinct products in one cart.
MAX_LINES = 50
#: Units of one product in one cart.
MAX_QUANTITY = 99
GUEST_CART_PATTERN = r"^g_[0-9a-f]{32}$"
_GUEST_CART_RE = re.compile(GUEST_CART_PATTERN)


def new_guest_cart_id() -> str:
    """128 bits from the OS's CSPRNG: the guest cart's only credential."""
    return "g_" + secrets.token_hex(16)


def is_guest_cart_id(value: str) -> bool:
    return bool(_GUEST_CART_RE.fullmatch(value))


def _expiry(now: datetime) -> datetime:
    """24 hours on, kept to the whole second: the store's TTL attribute is epoch seconds, so
    what is read back is exactly what was decided (never later than 24 hours)."""
    return (now + CART_TTL).replace(microsecond=0)


def ensure_quantity(quantity: int) -> None:
    if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(
            f"A quantity is a whole number from 1 to {MAX_QUANTITY}.",
            code="invalid_quantity",
            errors=[FieldError("body.quantity", f"Must be 1 to {MAX_QUANTITY}.", "invalid_quantity")],
        )


@dataclass(frozen=True, slots=True)
class CartLine:
    product_id: str
    quantity: int
    #: The price the shopper saw when the line was last set.
    unit_price: Money
    added_at: datetime
    updated_at: datetime
    #: The product's name and thumbnail when the line was set, shown if the product disappears.
    name: str | None = None
    image: str | None = None


class SkipReason(StrEnum):
    CURRENCY_MISMATCH = "currency_mismatch"
    CART_FULL = "cart_full"


@dataclass(frozen=True, slots=True)
class SkippedLine:
    """A guest line a merge could not take over."""

    product_id: str
    quantity: int
    reason: SkipReason


@dataclass(frozen=True, slots=True)
class Cart:
    """One cart, stored whole. ``version`` is 0 until the cart is first stored and grows by
    one with every change, for optimistic concurrency."""

    cart_id: str
    lines: tuple[CartLine, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    expires_at: datetime | None = None
    version: int = 0
    #: The order being checked out of this cart, and until when the lock holds.
    checkout_order_id: str | None = None
    checkout_until: datetime | None = None

    # ------------------------------------------------------------------ reading
    @property
    def is_guest(self) -> bool:
        return is_guest_cart_id(self.cart_id)

    @property
    def currency(self) -> str | None:
        return self.lines[0].unit_price.currency if self.lines else None

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def product_ids(self) -> list[str]:
        return [line.product_id for line in self.lines]

    def line(self, product_id: str) -> CartLine | None:
        return next((line for line in self.lines if line.product_id == product_id), None)

    def is_expired(self, now: datetime) -> bool:
        """Exactly 24 hours after the last change the cart is gone."""
        return self.expires_at is not None and self.expires_at <= now

    def checkout_in_progress(self, now: datetime) -> str | None:
        """The order id a live checkout lock holds this cart for, if any."""
        if self.checkout_order_id is None or self.checkout_until is None or self.checkout_until <= now:
            return None
        return self.checkout_order_id

    def ensure_unlocked(self, now: datetime) -> None:
        order_id = self.checkout_in_progress(now)
        if order_id is not None:
            raise Conflict(
                "This cart is being checked out; wait for that order to finish.",
                code="checkout_in_progress",
                extra={"order_id": order_id},
            )

    def as_of(self, now: datetime) -> Cart:
        """What the cart is at ``now``: an expired cart is empty (keeping its stored version,
        so the next write replaces exactly what was read)."""
        if not self.is_expired(now):
            return self
        return Cart(self.cart_id, version=self.version)

    # ------------------------------------------------------------------ changing
    @classmethod
    def new_guest(cls, now: datetime) -> Cart:
        return cls(new_guest_cart_id()).touched(now)

    def touched(self, now: datetime, lines: tuple[CartLine, ...] | None = None) -> Cart:
        """The cart after a change at ``now``: next version, 24 more hours. Refused while a
        checkout holds the cart; a lock past its deadline is dropped."""
        self.ensure_unlocked(now)
        return replace(
            self,
            checkout_order_id=None,
            checkout_until=None,
            lines=self.lines if lines is None else lines,
            created_at=self.created_at or now,
            updated_at=now,
            expires_at=_expiry(now),
            version=self.version + 1,
        )

    def _ensure_currency(self, price: Money, ignoring: str | None = None) -> None:
        others = [line for line in self.lines if line.product_id != ignoring]
        if others and others[0].unit_price.currency != price.currency:
            raise Conflict(
                f"This cart is in {others[0].unit_price.currency}; the product is priced in "
                f"{price.currency}. Check out or empty the cart first.",
                code="currency_mismatch",
                extra={"cart_currency": others[0].unit_price.currency},
            )

    def with_line(self, product: Product, quantity: int, now: datetime) -> Cart:
        """Set the line for ``product`` to ``quantity`` units at its current price."""
        ensure_quantity(quantity)
        self._ensure_currency(product.price, ignoring=product.product_id)
        image = product.images[0].thumbnail if product.images else None
        current = self.line(product.product_id)
        if current is None:
            if len(self.lines) >= MAX_LINES:
                raise Conflict(
                    f"A cart holds at most {MAX_LINES} different products.",
                    code="cart_full",
                    extra={"max_lines": MAX_LINES},
                )
            added = CartLine(product.product_id, quantity, product.price, now, now, product.name, image)
            return self.touched(now, (*self.lines, added))
        changed = replace(
            current,
            quantity=quantity,
            unit_price=product.price,
            updated_at=now,
            name=product.name,
            image=image,
        )
        return self.touched(
            now, tuple(changed if line.product_id == product.product_id else line for line in self.lines)
        )

    def without_line(self, product_id: str, now: datetime) -> Cart:
        """Removing a line that is not there changes nothing (and stores nothing)."""
        if self.line(product_id) is None:
            return self
        return self.touched(now, tuple(line for line in self.lines if line.product_id != product_id))

    def emptied(self, now: datetime) -> Cart:
        if not self.lines:
            return self
        return self.touched(now, ())

    def merged_with(self, guest: Cart, now: datetime) -> tuple[Cart, list[SkippedLine]]:
        """The guest's lines added to this cart: quantities summed and capped at the maximum,
        the most recently seen price kept. Lines in another currency, or beyond the line
        limit, are skipped and reported."""
        lines = list(self.lines)
        skipped: list[SkippedLine] = []
        for incoming in guest.lines:
            currency = lines[0].unit_price.currency if lines else None
            if currency is not None and incoming.unit_price.currency != currency:
                skipped.append(
                    SkippedLine(incoming.product_id, incoming.quantity, SkipReason.CURRENCY_MISMATCH)
                )
                continue
            index = next((i for i, line in enumerate(lines) if line.product_id == incoming.product_id), None)
            if index is None:
                if len(lines) >= MAX_LINES:
                    skipped.append(SkippedLine(incoming.product_id, incoming.quantity, SkipReason.CART_FULL))
                    continue
                lines.append(incoming)
                continue
            existing = lines[index]
            newer = incoming if incoming.updated_at > existing.updated_at else existing
            lines[index] = replace(
                existing,
                quantity=min(existing.quantity + incoming.quantity, MAX_QUANTITY),
                unit_price=newer.unit_price,
                updated_at=max(existing.updated_at, incoming.updated_at),
                name=newer.name,
                image=newer.image,
            )
        # A merge is a change even when nothing was taken over: it renews the cart.
        return self.touched(now, tuple(lines)), skipped


# ---------------------------------------------------------------------- the view
class LineWarning(StrEnum):
    PRICE_CHANGED = "price_changed"
    INSUFFICIENT_STOCK = "insufficient_stock"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A line as the shopper sees it now: at the product's current price, with warnings."""

    product_id: str
    name: str | None
    image: str | None
    unit_price: Money
    quantity: int
    subtotal: Money
    warnings: tuple[LineWarning, ...]
    added_at: datetime
    previous_unit_price: Money | None = None
    available: int | None = None


@dataclass(frozen=True, slots=True)
class CartView:
    cart_id: str
    lines: tuple[PricedLine, ...]
    #: Sum of the lines that can be bought; ``None`` for an empty cart.
    total: Money | None
    item_count: int
    #: When the cart will be gone; ``None`` for an empty customer cart (nothing to lose).
    expires_at: datetime | None
    currency: str | None
    skipped: tuple[SkippedLine, ...] = ()


def _priced(line: CartLine, product: Product | None, currency: str, available: int) -> PricedLine:
    if product is None or not product.is_active or product.price.currency != currency:
        # Gone, archived, or re-priced in another currency: shown, but not bought.
        return PricedLine(
            product_id=line.product_id,
            name=product.name if product is not None else line.name,
            image=(product.images[0].thumbnail if product is not None and product.images else line.image),
            unit_price=line.unit_price,
            quantity=line.quantity,
            subtotal=Money.zero(currency),
            warnings=(LineWarning.UNAVAILABLE,),
            added_at=line.added_at,
        )
    warnings: list[LineWarning] = []
    previous = None
    if product.price != line.unit_price:
        warnings.append(LineWarning.PRICE_CHANGED)
        previous = line.unit_price
    short = available < line.quantity
    if short:
        warnings.append(LineWarning.INSUFFICIENT_STOCK)
    return PricedLine(
        product_id=line.product_id,
        name=product.name,
        image=product.images[0].thumbnail if product.images else None,
        unit_price=product.price,
        quantity=line.quantity,
        subtotal=product.price * line.quantity,
        warnings=tuple(warnings),
        added_at=line.added_at,
        previous_unit_price=previous,
        available=available if short else None,
    )


def price_cart(
    cart: Cart,
    products: Mapping[str, Product],
    available: Mapping[str, int],
    skipped: Iterable[SkippedLine] = (),
) -> CartView:
    """The cart at current prices and stock. ``products`` lacks the products that are gone;
    ``available`` maps a product to its sellable units (missing: none)."""
    currency = cart.currency
    lines = tuple(
        _priced(
            line, products.get(line.product_id), line.unit_price.currency, available.get(line.product_id, 0)
        )
        for line in cart.lines
    )
    total = None
    if currency is not None:
        total = Money.zero(currency)
        for priced in lines:
            total += priced.subtotal
    return CartView(
        cart_id=cart.cart_id,
        lines=lines,
        total=total,
        item_count=cart.item_count,
        expires_at=cart.expires_at if cart.lines or cart.is_guest else None,
        currency=currency,
        skipped=tuple(skipped),
    )
